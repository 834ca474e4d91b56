from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from planner.core.audit import history
from planner.core.forms import is_stale, perform, stale_conflict
from planner.core.permissions import SIGNED_IN, Role, access
from planner.extensions import db
from planner.fields import bp, services
from planner.fields.forms import FieldForm, MergeForm, ProcessForm
from planner.fields.models import ActionField, StrategyProcess

PAGE_LIMIT = 200


@bp.route("/", endpoint="list")
@access(SIGNED_IN)
def list_fields():
    return render_template("fields/list.html", fields=services.list_fields(include_retired=False),
                           retired=[f for f in services.list_fields() if f.is_retired],
                           may_manage=services.may_manage_fields(current_user))


@bp.route("/<code>")
@access(SIGNED_IN)
def detail(code: str):
    field = services.get_field_by_code(code) or abort(404)
    # The finding class through the relationship: fields sits left of findings in the domain order.
    finding = ActionField.findings.property.mapper.class_
    needs = field.findings.filter_by(kind="need")
    shown_needs = needs.options(selectinload(finding.workshop), selectinload(finding.measures))
    return render_template(
        "fields/detail.html",
        field=field,
        workshops=field.workshops.limit(PAGE_LIMIT).all(),
        needs=shown_needs.limit(PAGE_LIMIT).all(),
        need_count=needs.count(),
        measures=field.measures.limit(PAGE_LIMIT).all(),
        measure_count=field.measures.count(),
        may_manage=services.may_manage_fields(current_user),
    )


# --- administration of the fields ------------------------------------------------------------------------------


def _field_data(form: FieldForm) -> services.FieldData:
    return services.FieldData(
        code=form.code.data or "", name_de=form.name_de.data or "", name_en=form.name_en.data or "",
        description_de=form.description_de.data or "", description_en=form.description_en.data or "",
        colour=form.colour.data or "", index_area=form.index_area.data or None,
    )


@bp.route("/manage")
@access(Role.STRATEGY_TEAM)
def manage():
    return render_template("fields/manage.html", fields=services.list_fields())


@bp.route("/new", methods=["GET", "POST"])
@access(Role.STRATEGY_TEAM)
def create():
    form = FieldForm()
    if form.validate_on_submit() and perform(
        lambda: services.create_field(current_user, _field_data(form)), form=form,
        success=lambda f: _("The action field %(code)s has been created.", code=f.code),
    ):
        return redirect(url_for("fields.manage"))
    return render_template("fields/form.html", form=form, field=None)


@bp.route("/<code>/edit", methods=["GET", "POST"])
@access(Role.STRATEGY_TEAM)
def edit(code: str):
    field = services.get_field_by_code(code) or abort(404)
    form = _filled_field_form(field) if request.method == "GET" else FieldForm(obj=field)
    stale = None
    if form.validate_on_submit():
        saved = perform(lambda: services.update_field(current_user, field, _field_data(form),
                                                      version=form.submitted_version()),
                        form=form, success=_("The action field has been saved."))
        if saved:
            return redirect(url_for("fields.manage"))
        if is_stale(saved):
            stale = stale_conflict(form, _filled_field_form(field), field.version)
    return render_template("fields/form.html", form=form, field=field, history=history(field), stale=stale), \
        409 if stale else 200


def _filled_field_form(field: ActionField) -> FieldForm:
    form = FieldForm(formdata=None, obj=field)
    form.index_area.data = field.index_area.value if field.index_area else ""
    return form


@bp.route("/<code>/move", methods=["POST"])
@access(Role.STRATEGY_TEAM)
def move(code: str):
    field = services.get_field_by_code(code) or abort(404)
    step = -1 if request.form.get("direction") == "up" else 1
    perform(lambda: services.move_field(current_user, field, step),
            success=_("%(code)s has been moved.", code=field.code))
    return redirect(url_for("fields.manage", _anchor=f"field-{field.code}"))


@bp.route("/<code>/merge", methods=["GET", "POST"])
@access(Role.STRATEGY_TEAM)
def merge(code: str):
    field = services.get_field_by_code(code) or abort(404)
    form = MergeForm()
    form.set_choices([f for f in services.list_fields(include_retired=False) if f.id != field.id])
    if form.validate_on_submit():
        target = db.session.get(ActionField, int(form.target.data)) if form.target.data.isdigit() else None
        if target is None:
            form.target.errors = [_("Please choose a field.")]
        elif perform(lambda: services.merge_fields(current_user, field, target), form=form,
                     success=_("%(source)s has been merged into %(target)s.", source=field.code, target=target.code)):
            return redirect(url_for("fields.detail", code=target.code))
    return render_template("fields/merge.html", form=form, field=field)


@bp.route("/<code>/retire", methods=["POST"])
@access(Role.STRATEGY_TEAM)
def retire(code: str):
    field = services.get_field_by_code(code) or abort(404)
    perform(lambda: services.retire_field(current_user, field),
            success=_("%(code)s has been retired. It stays in existing data and past papers.", code=field.code))
    return redirect(url_for("fields.manage"))


@bp.route("/<code>/reactivate", methods=["POST"])
@access(Role.STRATEGY_TEAM)
def reactivate(code: str):
    field = services.get_field_by_code(code) or abort(404)
    perform(lambda: services.reactivate_field(current_user, field),
            success=_("%(code)s is active again.", code=field.code))
    return redirect(url_for("fields.manage"))


# --- strategy processes ----------------------------------------------------------------------------------------


def _process_data(form: ProcessForm) -> services.ProcessData:
    return services.ProcessData(
        title=form.title.data or "", vision=form.vision.data or "", target_year=form.target_year.data,
        milestone_years=services.parse_years(form.milestone_years.data or ""),
    )


@bp.route("/processes")
@access(Role.ADMIN)
def processes():
    return render_template("fields/processes.html", processes=services.list_processes(),
                           current=StrategyProcess.current())


@bp.route("/processes/new", methods=["GET", "POST"])
@access(Role.ADMIN)
def process_create():
    form = ProcessForm()
    if request.method == "GET":
        form.target_year.data = 2040
    if form.validate_on_submit() and perform(
        lambda: services.create_process(current_user, _process_data(form)), form=form,
        success=lambda p: _("The strategy process “%(title)s” has been created.", title=p.title),
    ):
        return redirect(url_for("fields.processes"))
    return render_template("fields/process_form.html", form=form, process=None)


@bp.route("/processes/<int:process_id>/edit", methods=["GET", "POST"])
@access(Role.ADMIN)
def process_edit(process_id: int):
    process = db.session.get(StrategyProcess, process_id) or abort(404)
    form = _filled_process_form(process) if request.method == "GET" else ProcessForm(obj=process)
    stale = None
    if form.validate_on_submit():
        saved = perform(lambda: services.update_process(current_user, process, _process_data(form),
                                                        version=form.submitted_version()),
                        form=form, success=_("The strategy process has been saved."))
        if saved:
            return redirect(url_for("fields.processes"))
        if is_stale(saved):
            stale = stale_conflict(form, _filled_process_form(process), process.version)
    return render_template("fields/process_form.html", form=form, process=process, stale=stale), \
        409 if stale else 200


def _filled_process_form(process: StrategyProcess) -> ProcessForm:
    form = ProcessForm(formdata=None, obj=process)
    form.milestone_years.data = ", ".join(str(y) for y in process.milestone_years or [])
    return form


@bp.route("/processes/<int:process_id>/current", methods=["POST"])
@access(Role.ADMIN)
def process_current(process_id: int):
    process = db.session.get(StrategyProcess, process_id) or abort(404)
    perform(lambda: services.set_current_process(current_user, process),
            success=_("“%(title)s” is now the current process.", title=process.title))
    return redirect(url_for("fields.processes"))
