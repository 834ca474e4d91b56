import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from planner.core.forms import is_stale, perform, stale_conflict
from planner.core.permissions import PUBLIC, SIGNED_IN, Role, access, has_role
from planner.extensions import db
from planner.minutes import bp, mails, services
from planner.minutes.forms import MinutesForm, SendForm
from planner.minutes.outline import MinutesText
from planner.strategy.exporters import FORMATS as WRITER_FORMATS
from planner.strategy.exporters.html import block_context
from planner.workshops.models import Workshop, WorkshopStatus

PLANNERS = (Role.FACILITATOR,)


def _load(workshop_id: int) -> Workshop:
    return db.session.get(Workshop, workshop_id) or abort(404)


def _language() -> str:
    """?lang=de|en, else the UI's language."""
    chosen = request.args.get("lang", "")
    if chosen in ("de", "en"):
        return chosen
    return "en" if str(get_locale() or "de").startswith("en") else "de"


def _file(workshop: Workshop, code: str, language: str) -> Response:
    if code not in services.FORMATS:
        abort(404)
    buffer = io.BytesIO()
    services.write_minutes(workshop, code, buffer, language)
    name = services.filename(workshop, code, language)
    return Response(buffer.getvalue(), mimetype=WRITER_FORMATS[code].mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/workshop/<int:workshop_id>", endpoint="show")
@access(SIGNED_IN)
def show(workshop_id: int):
    workshop = _load(workshop_id)
    if not services.may_read(current_user, workshop):
        abort(403)
    language = _language()
    minutes = services.minutes_of(workshop)
    return render_template(
        "minutes/show.html", workshop=workshop, minutes=minutes, language=language,
        may_write=services.may_write(current_user), is_held=workshop.status in services.HELD,
        may_history=has_role(current_user, Role.FACILITATOR, Role.STRATEGY_TEAM),
        **block_context(services.build_outline(workshop, language), offset=1))


@bp.route("/workshop/<int:workshop_id>/download/<fmt>", endpoint="download")
@access(SIGNED_IN)
def download(workshop_id: int, fmt: str):
    workshop = _load(workshop_id)
    if not services.may_read(current_user, workshop):
        abort(403)
    return _file(workshop, fmt, _language())


def _filled_form(workshop: Workshop) -> MinutesForm:
    minutes = services.minutes_of(workshop)
    form = MinutesForm(formdata=None, obj=minutes)
    form.version.data = minutes.version if minutes else 0  # 0: opened before anybody wrote them
    return form


@bp.route("/workshop/<int:workshop_id>/edit", methods=["GET", "POST"], endpoint="edit")
@access(*PLANNERS)
def edit(workshop_id: int):
    workshop = _load(workshop_id)
    if workshop.status == WorkshopStatus.CANCELLED:
        flash(_("A cancelled workshop has no minutes."), "warning")
        return redirect(url_for("workshops.detail", workshop_id=workshop.id))
    form = _filled_form(workshop) if request.method == "GET" else MinutesForm()
    stale = None
    if form.validate_on_submit():
        text = MinutesText(summary=form.summary.data or "", decisions=form.decisions.data or "",
                           open_points=form.open_points.data or "", next_steps=form.next_steps.data or "")
        saved = perform(lambda: services.save_minutes(current_user, workshop, text, form.submitted_version()),
                        form=form, success=_("The minutes were saved."), forbid=True)
        if saved:
            return redirect(url_for("minutes.show", workshop_id=workshop.id))
        if is_stale(saved):
            minutes = services.minutes_of(workshop)
            stale = stale_conflict(form, _filled_form(workshop), minutes.version)
    return render_template("minutes/edit.html", workshop=workshop, form=form, stale=stale), 409 if stale else 200


@bp.route("/workshop/<int:workshop_id>/send", methods=["GET", "POST"], endpoint="send")
@access(*PLANNERS)
def send(workshop_id: int):
    workshop = _load(workshop_id)
    form = SendForm()
    if form.validate_on_submit():
        sent = perform(lambda: services.send_minutes(current_user, workshop), forbid=True)
        if sent and sent.value.job is not None:
            flash(ngettext("The minutes go to %(num)s participant in the background.",
                           "The minutes go to %(num)s participants in the background.", sent.value.count), "success")
            return redirect(url_for("jobs.detail", job_id=sent.value.job.id))
        if sent:
            flash(ngettext("The minutes were sent to %(num)s participant.",
                           "The minutes were sent to %(num)s participants.", sent.value.count), "success")
            return redirect(url_for("minutes.show", workshop_id=workshop.id))
    recipients = services.recipients(workshop)
    example = next((r.person for r in recipients if r.has_link), None)
    preview = mails.render(example, workshop, mails.link_for("…")) if example else None
    return render_template("minutes/send.html", workshop=workshop, form=form, recipients=recipients,
                           preview=preview, minutes=services.minutes_of(workshop),
                           is_held=workshop.status in services.HELD), 200 if not form.errors else 422


@bp.route("/workshop/<int:workshop_id>/history", endpoint="history")
@access(Role.FACILITATOR, Role.STRATEGY_TEAM)
def history(workshop_id: int):
    workshop = _load(workshop_id)
    minutes = services.minutes_of(workshop)
    from planner.findings.services import history_of

    return render_template("findings/history.html", obj=minutes, entries=history_of(minutes) if minutes else [],
                           heading=_("Minutes: %(title)s", title=workshop.title),
                           back=url_for("minutes.show", workshop_id=workshop.id))


# --- the personal link (public: the token is the authorisation) ----------------------------------------------

def _participation_or_error(token: str):
    from planner.invitations.services import LinkGone

    try:
        return services.participation_for_token(token), None
    except LinkGone as error:
        return None, (render_template("minutes/unavailable.html", message=error.message), 410)
    except services.LinkNotForMinutes as error:
        return None, (render_template("minutes/unavailable.html", message=error.message), 403)


@bp.route("/r/<token>", endpoint="personal")
@access(PUBLIC)
def personal(token: str):
    participation, error = _participation_or_error(token)
    if error:
        return error
    workshop = participation.workshop
    language = _language()
    return render_template(
        "minutes/personal.html", workshop=workshop, participation=participation, token=token, language=language,
        own=services.own_findings(participation), contacts=services.networking_list(participation),
        **block_context(services.build_outline(workshop, language), offset=2))


@bp.route("/r/<token>/download/<fmt>", endpoint="personal_download")
@access(PUBLIC)
def personal_download(token: str, fmt: str):
    participation, error = _participation_or_error(token)
    if error:
        return error
    return _file(participation.workshop, fmt, _language())
