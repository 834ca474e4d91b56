"""Pages of the implementation monitoring: the overview, one action with its trail and reports, progress reports."""

import io
import json
from pathlib import Path

from flask import abort, current_app, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.accounts.models import User
from planner.core.forms import is_stale, perform, stale_conflict
from planner.core.permissions import PUBLIC, SIGNED_IN, Role, access
from planner.core.timeutil import local_today, to_local
from planner.extensions import db
from planner.fields.models import ActionField
from planner.monitoring import bp, notify, public, report, services
from planner.monitoring.forms import ActionForm, KPIValueForm, ReportForm, TaskForm, UpdateForm
from planner.monitoring.models import ActionStatus, ActionTask, MonitoredAction
from planner.strategy import versions
from planner.strategy.exporters import FORMATS

ST = (Role.STRATEGY_TEAM,)


def _action_or_404(action_id: int) -> MonitoredAction:
    """The action with what its page shows, in a fixed number of queries: the measure's needs with their
    workshops, its KPIs, the adopted version's number and decision (never the version's stored roll-up)."""
    from planner.findings.models import Finding, Measure
    from planner.strategy.council import CouncilDecision
    from planner.strategy.models import PaperVersion

    action = db.session.scalar(select(MonitoredAction).where(MonitoredAction.id == action_id).options(
        selectinload(MonitoredAction.measure).selectinload(Measure.needs).selectinload(Finding.workshop),
        selectinload(MonitoredAction.measure).selectinload(Measure.kpis),
        selectinload(MonitoredAction.adopted_version).load_only(PaperVersion.id, PaperVersion.number)
        .selectinload(PaperVersion.decision).selectinload(CouncilDecision.steps))) or abort(404)
    if not services.can_update(action, current_user):
        abort(403)
    return action


OVERVIEW_PER_PAGE = 50


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 6 else None


@bp.route("/", endpoint="overview")
@access(SIGNED_IN)
def overview():
    """The monitored measures, filtered by field, status and tracking score, a page at a time: the scores come from
    one query of aggregates for the shown page, and only its measures are loaded."""
    fields = db.session.scalars(select(ActionField).order_by(ActionField.position, ActionField.code)).all()
    status = request.args.get("status") or None
    chosen = ActionStatus(status) if status in {s.value for s in ActionStatus} else None
    field = next((f for f in fields if f.code == request.args.get("field")), None)
    score = _int_arg("quality")
    score = score if score is not None and 0 <= score <= 4 else None
    today = local_today()
    search = request.args.get("q", "").strip()[:services.SEARCH_MAX] or None
    shown = services.tracking(current_user, status=chosen, field_id=field.id if field else None, score_is=score,
                              search=search, page=_int_arg("page"), per_page=OVERVIEW_PER_PAGE, as_of=today)
    actions = {a.id: a for a in db.session.scalars(
        select(MonitoredAction).where(MonitoredAction.id.in_([t.action_id for t in shown.items]))
        .options(selectinload(MonitoredAction.measure)))}
    names = {f.id: f for f in fields}
    rows = [(actions[t.action_id], names[t.field_id], t) for t in shown.items]
    waiting = []
    if services.is_staff(current_user):
        started = services.monitored_version_ids()
        adopted = services.adopted_versions()
        # A version waits to be started unless a newer one is monitored already (its measures follow that one).
        newest = max((v.number for v in adopted if v.id in started), default=0)
        waiting = [v for v in adopted if v.id not in started and v.number > newest]
    filters = {key: value for key, value in (("field", field.code if field else None),
                                             ("status", chosen.value if chosen else None),
                                             ("quality", score), ("q", search)) if value is not None}
    return render_template("monitoring/overview.html", rows=rows, page=shown, status=chosen,
                           statuses=list(ActionStatus), fields=fields, field=field, quality=score, search=search,
                           filters=filters, waiting=waiting,
                           staff=services.is_staff(current_user), today=today)


@bp.route("/start/<int:number>", methods=["POST"], endpoint="start")
@access(*ST)
def start(number: int):
    try:
        version = versions.get_version(number)
    except versions.UnknownVersion:
        abort(404)
    perform(lambda: services.start_monitoring(version, current_user),
            success=lambda count: ngettext("%(num)s measure of version %(number)s is monitored now.",
                                           "%(num)s measures of version %(number)s are monitored now.", count,
                                           number=number) if count else
            _("All measures of version %(number)s were monitored already; they now follow this version.",
              number=number))
    return redirect(url_for("monitoring.overview"))


def _kpi_form(action, form=None):
    form = form or KPIValueForm(formdata=None)
    form.kpi_id.choices = [(k.id, f"{k.indicator} ({k.unit})" if k.unit else k.indicator) for k in action.measure.kpis]
    return form


# The action page shows the newest status updates and the newest values of each KPI; "show all" lists every one
# (a measure reported on quarterly for ten years has 40 updates and 40 values per KPI).
UPDATES_SHOWN = 10
VALUES_SHOWN = 12


def _render_action(action, *, update_form=None, task_form=None, kpi_form=None, status=200):
    if update_form is None:
        update_form = UpdateForm(formdata=None, data={"reported_on": local_today(), "status": action.status.value,
                                                      "progress": action.progress})
    show_all = request.args.get("all", "")
    updates, update_count = services.recent_updates(action, None if show_all == "updates" else UPDATES_SHOWN)
    all_values = show_all == "values"
    return render_template(
        "monitoring/action.html", action=action, measure=action.measure, today=local_today(),
        update_form=update_form, task_form=task_form or TaskForm(formdata=None), kpi_form=_kpi_form(action, kpi_form),
        updates=updates, update_count=update_count,
        values=services.kpi_values(action.measure, newest=None if all_values else VALUES_SHOWN),
        value_counts=services.kpi_value_counts(action.measure), all_values=all_values,
        staff=services.is_staff(current_user), quality=services.current_quality(action, local_today()),
        decision=getattr(action.adopted_version, "decision", None) if action.adopted_version else None,
    ), status


@bp.route("/actions/<int:action_id>", endpoint="action")
@access(SIGNED_IN)
def action_detail(action_id: int):
    return _render_action(_action_or_404(action_id))


@bp.route("/actions/<int:action_id>/updates", methods=["POST"], endpoint="post_update")
@access(SIGNED_IN)
def post_update(action_id: int):
    action = _action_or_404(action_id)
    form = UpdateForm()
    if form.validate_on_submit() and perform(lambda: services.post_update(
            action, current_user, reported_on=form.reported_on.data, status=form.status.data,
            progress=form.progress.data, text=form.text.data), form=form,
            success=_("The status update has been saved."), forbid=True):
        return redirect(url_for("monitoring.action", action_id=action_id) + "#updates-heading")
    return _render_action(action, update_form=form, status=400)


@bp.route("/actions/<int:action_id>/tasks", methods=["POST"], endpoint="add_task")
@access(SIGNED_IN)
def add_task(action_id: int):
    action = _action_or_404(action_id)
    form = TaskForm()
    if form.validate_on_submit() and perform(lambda: services.add_task(
            action, current_user, title=form.title.data, kind=form.kind.data, due_on=form.due_on.data), form=form,
            success=_("The task has been added."), forbid=True):
        return redirect(url_for("monitoring.action", action_id=action_id) + "#tasks-heading")
    return _render_action(action, task_form=form, status=400)


@bp.route("/tasks/<int:task_id>/done", methods=["POST"], endpoint="task_done")
@access(SIGNED_IN)
def task_done(task_id: int):
    task = db.session.get(ActionTask, task_id) or abort(404)
    _action_or_404(task.action_id)
    done = request.form.get("done", "1") == "1"
    perform(lambda: services.complete_task(task, current_user, done=done), forbid=True,
            success=_("The task is done.") if done else _("The task is open again."))
    return redirect(url_for("monitoring.action", action_id=task.action_id) + "#tasks-heading")


@bp.route("/actions/<int:action_id>/kpi-values", methods=["POST"], endpoint="add_kpi_value")
@access(SIGNED_IN)
def add_kpi_value(action_id: int):
    action = _action_or_404(action_id)
    form = _kpi_form(action, KPIValueForm())
    if form.validate_on_submit() and perform(lambda: services.record_kpi_value(
            action, current_user, kpi_id=form.kpi_id.data, measured_on=form.measured_on.data, value=form.value.data,
            district=form.district.data or "", note=form.note.data or ""), form=form,
            success=_("The measured value has been saved."), forbid=True):
        return redirect(url_for("monitoring.action", action_id=action_id) + "#kpis-heading")
    return _render_action(action, kpi_form=form, status=400)


def _lead_choices():
    users = db.session.scalars(select(User).where(User.is_active_account.is_(True))
                               .order_by(User.display_name, User.email)).all()
    return [(None, _("nobody yet"))] + [(u.id, f"{u.name} ({u.email})") for u in users]


def _filled_action_form(action) -> ActionForm:
    form = ActionForm(formdata=None, obj=action)
    form.version.data = action.version
    for name, value in notify.report_fields(action).items():  # the reporting dates as people write them
        form[name].data = value
    form.lead_id.choices = _lead_choices()
    return form


@bp.route("/actions/<int:action_id>/edit", methods=["GET", "POST"], endpoint="edit_action")
@access(*ST)
def edit_action(action_id: int):
    action = db.session.get(MonitoredAction, action_id) or abort(404)
    form = _filled_action_form(action) if request.method == "GET" else ActionForm()
    form.lead_id.choices = _lead_choices()
    stale = None
    if form.validate_on_submit():
        saved = perform(lambda: services.edit_action(
            action, current_user, responsible_unit=form.responsible_unit.data or "", lead_id=form.lead_id.data,
            funding_programme=form.funding_programme.data or "", grant_amount=form.grant_amount.data,
            own_share=form.own_share.data, funding_from=form.funding_from.data,
            funding_until=form.funding_until.data, expected_version=form.submitted_version(),
            funder_report_dates=form.funder_report_dates.data or "",
            funder_report_yearly=form.funder_report_yearly.data or ""),
            form=form, success=_("The measure's responsibility and funding have been saved."))
        if saved:
            return redirect(url_for("monitoring.action", action_id=action_id))
        if is_stale(saved):
            stale = stale_conflict(form, _filled_action_form(action), action.version)
    status = 409 if stale else (400 if request.method == "POST" else 200)
    return render_template("monitoring/action_edit.html", form=form, action=action, stale=stale), status


@bp.route("/reports", methods=["GET", "POST"], endpoint="reports")
@access(*ST)
def reports():
    form = ReportForm()
    if form.validate_on_submit() and perform(lambda: services.freeze_report(form.period.data, current_user),
                                             form=form, success=_("The progress report has been frozen.")):
        return redirect(url_for("monitoring.reports"))
    if request.method == "GET":
        form = ReportForm(formdata=None, data={"period": str(local_today().year)})
    return render_template("monitoring/reports.html", form=form, reports=services.reports()), \
        400 if request.method == "POST" else 200


@bp.route("/reports/<int:report_id>/download", endpoint="report_download")
@access(*ST)
def report_download(report_id: int):
    from planner.monitoring.models import ProgressReport

    stored = db.session.get(ProgressReport, report_id) or abort(404)
    code = request.args.get("format", "docx")
    language = request.args.get("locale", "de")
    if code not in report.REPORT_FORMATS or language not in ("de", "en"):
        abort(404)
    output = io.BytesIO()
    report.export_report(stored, code, output, language)
    output.seek(0)
    return send_file(output, mimetype=FORMATS[code].mimetype, as_attachment=True,
                     download_name=report.report_filename(stored.period, code, language))


# --- public: the dashboard and the open data -------------------------------------------------------------------

@bp.route("/public", endpoint="public_dashboard")
@access(PUBLIC)
def public_dashboard():
    return render_template("monitoring/public.html", fields=public.dashboard(), statuses=list(ActionStatus))


@bp.route("/public/fields/<code>", endpoint="public_field")
@access(PUBLIC)
def public_field(code: str):
    found = public.field_page(code, _int_arg("page")) or abort(404)
    field, shown = found
    return render_template("monitoring/public_field.html", field=field, page=shown)


@bp.route("/public/measures/<int:measure_id>", endpoint="public_measure")
@access(PUBLIC)
def public_measure(measure_id: int):
    pm = public.public_measure(measure_id) or abort(404)
    return render_template("monitoring/public_measure.html", pm=pm, a=pm.action)


def _open_data_response(body: str, mimetype: str, name: str):
    response = make_response(body)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Access-Control-Allow-Origin"] = "*"  # open data: any portal may read it
    return response


@bp.route("/open-data/<any(measures, 'kpi-values'):dataset>.<any(csv, json):fmt>", endpoint="open_data")
@access(PUBLIC)
def open_data(dataset: str, fmt: str):
    """The file as of the data's newest change: built once per change (public.open_data_file), sent with an ETag
    and Last-Modified, so a portal that harvests it again gets "304 Not Modified" while nothing has changed."""
    folder = Path(current_app.config.get("MONITORING_OPEN_DATA_DIR") or Path(current_app.instance_path)
                  / "cache" / "open-data")
    path, etag, changed = public.open_data_file(folder, dataset, fmt)
    size = path.stat().st_size

    def chunks():  # the file is opened (and closed) only while the body is sent
        with path.open("rb") as handle:
            while chunk := handle.read(256 * 1024):
                yield chunk

    mimetype = "text/csv" if fmt == "csv" else "application/json"  # Werkzeug adds "; charset=utf-8" to text/*
    response = current_app.response_class(chunks(), mimetype=mimetype, direct_passthrough=True)
    response.content_length = size
    response.set_etag(etag)
    response.last_modified = changed
    response.headers["Content-Disposition"] = f'inline; filename="{dataset}.{fmt}"'
    response.headers["Access-Control-Allow-Origin"] = "*"  # open data: any portal may read it
    response.headers["Cache-Control"] = "no-cache"  # may be stored, but asked again (with the ETag) each time
    return response.make_conditional(request)


@bp.route("/open-data", endpoint="open_data_catalogue")
@access(PUBLIC)
def open_data_catalogue():
    from planner.core.identity import city_name

    base = current_app.config.get("BASE_URL", request.host_url).rstrip("/")
    _stamp, changed = public.open_data_stamp()  # the files' Last-Modified: the day the data last changed
    modified = to_local(changed).date() if changed else local_today()
    return _open_data_response(json.dumps(public.catalogue(base, city_name(), modified), ensure_ascii=False,
                                          indent=1), "application/ld+json", "catalog.jsonld")
