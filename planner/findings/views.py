from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planner.core.forms import is_stale, perform, stale_conflict
from planner.core.permissions import SIGNED_IN, STAFF, Role, access
from planner.core.web import render_error
from planner.extensions import db
from planner.fields.services import list_fields, offered_fields
from planner.findings import bp, services
from planner.findings.forms import (
    CaptureForm,
    CommentForm,
    DependencyByNumberForm,
    DependencyForm,
    EvaluateForm,
    FindingEditForm,
    HideForm,
    KPIForm,
    MeasureByNumbersForm,
    MeasureFilterForm,
    MeasureForm,
    MergeByNumberForm,
    MergeForm,
    NeedFilterForm,
    with_placeholder,
)
from planner.findings.models import Finding, Measure, MeasureKPI, MeasureStatus
from planner.workshops.models import Workshop

CONTRIBUTORS = (Role.EXPERT, Role.FACILITATOR, Role.STRATEGY_TEAM)
EDITORS = (Role.EXPERT, *STAFF)


def _workshop_or_404(workshop_id: int) -> Workshop:
    return db.session.get(Workshop, workshop_id) or abort(404)


def _finding_or_404(finding_id: int) -> Finding:
    return db.session.get(Finding, finding_id) or abort(404)


def _measure_or_404(measure_id: int) -> Measure:
    return db.session.get(Measure, measure_id) or abort(404)


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _int(value):
    return int(value) if str(value or "").isdigit() else None


def _int_arg(name: str):
    return _int(request.args.get(name))


# --- capture ---------------------------------------------------------------------------------------------------


def _capture_form(workshop: Workshop, formdata=None, defaults=None) -> CaptureForm:
    """The capture form; without formdata it is empty and preselects block, field and kind from ``defaults``."""
    defaults = request.args if defaults is None else defaults
    blocks = services.capture_blocks(workshop)
    form = CaptureForm(formdata=formdata)
    chosen_block = None
    if blocks:
        block_id = form.block.data if formdata is not None else _int(defaults.get("block"))
        chosen_block = next((b for b in blocks if b.id == block_id), blocks[0])
    # Every kind is offered (the service checks it against the block); findings.js preselects the block's kind.
    kinds = services.ALL_CAPTURE_KINDS
    authors = services.capture_authors(workshop) if services.facilitates(current_user, workshop) else None
    fields = [f for f in workshop.fields if f.retired_at is None]  # a retired field takes no new findings
    form.set_choices(blocks, fields, kinds, authors, services.workshop_needs(workshop),
                     services.workshop_swot(workshop))
    if formdata is None:
        if blocks:
            form.block.data = chosen_block.id
        field_id = _int(defaults.get("field"))
        form.field.data = field_id if any(f.id == field_id for f in fields) else (
            fields[0].id if fields else None)
        kind = defaults.get("kind")
        block_kinds = services.kinds_for(chosen_block)
        form.kind.data = kind if kind in block_kinds else block_kinds[0]
    return form


def _render_capture(workshop: Workshop, form: CaptureForm, saved=None, status: int = 200):
    items = services.workshop_findings(workshop, current_user, limit=100)
    template = "findings/_capture_region.html" if _is_htmx() else "findings/capture.html"
    return render_template(
        template, workshop=workshop, form=form, items=items, saved=saved,
        blocks=services.capture_blocks(workshop),
    ), status


@bp.route("/workshops/<int:workshop_id>/capture", methods=["GET", "POST"], endpoint="capture")
@access(Role.EXPERT, Role.FACILITATOR)
def capture(workshop_id: int):
    workshop = _workshop_or_404(workshop_id)
    if not services.may_capture(current_user, workshop):
        abort(403)
    if services.is_closed_for(current_user, workshop):
        flash(services.CLOSED_MESSAGE, "warning")
        return redirect(url_for("workshops.detail", workshop_id=workshop.id))
    if request.method == "GET":
        return _render_capture(workshop, _capture_form(workshop))

    if request.form.get("workshop_id") not in (None, "", str(workshop.id)):
        abort(400)
    form = _capture_form(workshop, formdata=request.form)
    if form.validate():
        data = services.Capture(
            kind=form.kind.data, text=form.text.data, field_id=form.field.data,
            block_id=form.block.data if "block" in form else None, title=form.title.data or "",
            need_ids=tuple(form.needs.data or ()),
            author_id=form.author.data if "author" in form else None,
            swot_ids=tuple(form.answers.data or ()),
        )
        saved = perform(lambda: services.capture(current_user, workshop, data), form=form, forbid=True)
        if saved:
            keep = {"block": data.block_id or "", "field": data.field_id, "kind": data.kind}
            if _is_htmx():
                fresh = _capture_form(workshop, defaults={k: str(v) for k, v in keep.items()})
                return _render_capture(workshop, fresh, saved=saved.value.number)
            flash(_("Saved as %(number)s.", number=saved.value.number), "success")
            return redirect(url_for("findings.capture", workshop_id=workshop.id, **keep))
    return _render_capture(workshop, form, status=200 if _is_htmx() else 422)


@bp.route("/workshops/<int:workshop_id>/documentation", endpoint="documentation")
@access(SIGNED_IN)
def documentation(workshop_id: int):
    workshop = _workshop_or_404(workshop_id)
    if not services.may_read_workshop(current_user, workshop):
        abort(403)
    return render_template("findings/documentation.html", workshop=workshop,
                           doc=services.documentation(workshop.id))


# --- findings --------------------------------------------------------------------------------------------------


@bp.route("/needs", endpoint="need_list")
@access(SIGNED_IN)
def need_list():
    form = NeedFilterForm(request.args)
    form.set_choices(list_fields())
    form.validate()
    field_id = int(form.field.data) if (form.field.data or "").isdigit() else None
    sort = form.sort.data or "number"
    stmt = services.needs_query(current_user, field_id, form.q.data, bool(form.without_measure.data), sort,
                                request.args.get("order") == "desc")
    page = db.paginate(stmt, per_page=50, error_out=False)
    filters = {k: v for k, v in request.args.items() if k in ("field", "q", "without_measure", "sort", "order") and v}
    return render_template("findings/need_list.html", page=page, form=form, filters=filters)


@bp.route("/<int:finding_id>", endpoint="finding_detail")
@access(SIGNED_IN)
def finding_detail(finding_id: int):
    finding = _finding_or_404(finding_id)
    if not services.may_read_finding(current_user, finding):
        abort(403)
    return render_template(
        "findings/finding_detail.html", finding=finding, comment_form=CommentForm(), hide_form=HideForm(),
        may_edit=services.may_edit_finding(current_user, finding),
        may_moderate=services.may_moderate_finding(current_user, finding),
        may_comment=services.may_comment(current_user),
    )


@bp.route("/<int:finding_id>/edit", methods=["GET", "POST"], endpoint="finding_edit")
@access(*EDITORS)
def finding_edit(finding_id: int):
    finding = _finding_or_404(finding_id)
    if not services.may_edit_finding(current_user, finding):
        abort(403)
    form = FindingEditForm(obj=finding if request.method == "GET" else None)
    form.set_swot(finding, services.swot_candidates(finding) if finding.is_need else [])
    stale = None
    if form.validate_on_submit():
        swot_ids = (form.answers.data or []) if "answers" in form else None
        saved = perform(lambda: services.update_finding(current_user, finding, form.text.data, form.version.data,
                                                        swot_ids=swot_ids),
                        form=form, success=_("The finding %(number)s has been saved.", number=finding.number))
        if saved:
            return redirect(url_for("findings.finding_detail", finding_id=finding.id))
        if is_stale(saved):
            stale = stale_conflict(form, FindingEditForm(formdata=None, obj=finding), finding.version)
    status = 409 if stale else (422 if form.errors else 200)
    return render_template("findings/finding_edit.html", finding=finding, form=form, stale=stale), status


@bp.route("/<int:finding_id>/delete", methods=["POST"], endpoint="finding_delete")
@access(*EDITORS)
def finding_delete(finding_id: int):
    finding = _finding_or_404(finding_id)
    if not services.may_edit_finding(current_user, finding):
        abort(403)
    workshop_id, number = finding.workshop_id, finding.number
    if not perform(lambda: services.delete_finding(current_user, finding),
                   success=_("The finding %(number)s has been deleted.", number=number)):
        return redirect(url_for("findings.finding_detail", finding_id=finding_id))
    if workshop_id:
        return redirect(url_for("findings.capture", workshop_id=workshop_id))
    return redirect(url_for("findings.need_list"))


@bp.route("/<int:finding_id>/moderate", methods=["POST"], endpoint="finding_moderate")
@access(Role.FACILITATOR)
def finding_moderate(finding_id: int):
    finding = _finding_or_404(finding_id)
    if not services.may_moderate_finding(current_user, finding):
        abort(403)
    form = HideForm()
    if request.form.get("action") == "show":
        perform(lambda: services.show_finding(current_user, finding), success=_("The finding is visible again."))
    elif form.validate_on_submit():
        perform(lambda: services.hide_finding(current_user, finding, form.reason.data),
                success=_("The finding has been hidden."))
    else:
        flash(_("Please give a reason for hiding the finding."), "error")
    return redirect(url_for("findings.finding_detail", finding_id=finding.id))


@bp.route("/<int:finding_id>/comments", methods=["POST"], endpoint="finding_comment")
@access(*CONTRIBUTORS)
def finding_comment(finding_id: int):
    finding = _finding_or_404(finding_id)
    if not services.may_read_finding(current_user, finding):
        abort(403)
    return _comment(finding, url_for("findings.finding_detail", finding_id=finding.id))


def _comment(target, back: str):
    form = CommentForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(_("Comment not saved: %(message)s", message=message), "error")
        return redirect(back + "#comments")
    perform(lambda: services.add_comment(current_user, target, form.text.data),
            success=_("Your comment has been saved."))
    return redirect(back + "#comments")


@bp.route("/<int:finding_id>/history", endpoint="finding_history")
@access(*STAFF)
def finding_history(finding_id: int):
    finding = _finding_or_404(finding_id)
    return render_template("findings/history.html", obj=finding, entries=services.history_of(finding),
                           back=url_for("findings.finding_detail", finding_id=finding.id),
                           heading=finding.number or finding.short_text)


# --- measures --------------------------------------------------------------------------------------------------


@bp.route("/measures", endpoint="measure_list")
@access(SIGNED_IN)
def measure_list():
    form = MeasureFilterForm(request.args)
    form.set_choices(list_fields())
    form.validate()
    field_id = int(form.field.data) if (form.field.data or "").isdigit() else None
    stmt = services.measures_query(
        field_id, form.status.data or None, form.priority.data or None, form.area.data or None, form.q.data,
        form.sort.data or "number", request.args.get("order") == "desc", gap=form.gap.data or None,
    )
    page = db.paginate(stmt, per_page=50, error_out=False)
    keys = ("field", "status", "priority", "area", "gap", "q", "sort", "order")
    filters = {k: v for k, v in request.args.items() if k in keys and v}
    return render_template("findings/measure_list.html", page=page, form=form, filters=filters,
                           may_create=services.is_staff(current_user))


def _measure_form(measure: Measure | None = None, formdata=None) -> MeasureForm:
    listed = services.needs_fit_as_choices()
    form = (MeasureForm if listed else MeasureByNumbersForm)(formdata=formdata,
                                                            obj=measure if formdata is None else None)
    fields = offered_fields([measure.field] if measure is not None else ())  # no retired field for new ones
    if listed:
        form.set_choices(fields, services.all_needs())
    else:
        form.set_choices(fields, ())
        form.needs.resolve = services.need_ids_by_number
    if formdata is None and measure is not None:
        form.field.data = measure.field_id
        if listed:
            form.needs.data = [n.id for n in measure.needs]
        form.funding_type.data = measure.funding_type.value if measure.funding_type else ""
        form.priority.data = measure.priority.value if measure.priority else ""
        form.index_area.data = measure.index_area.value if measure.index_area else ""
        form.version.data = measure.version
    elif formdata is None:
        field_id = _int_arg("field")
        form.field.data = field_id
    return form


@bp.route("/measures/new", methods=["GET", "POST"], endpoint="measure_create")
@access(*STAFF)
def measure_create():
    form = _measure_form(formdata=request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        created = perform(
            lambda: services.create_measure(current_user, form.field.data, form.data_for_service(), form.needs.data),
            form=form, success=lambda measure: _("The measure %(number)s has been created.", number=measure.number),
        )
        if created:
            return redirect(url_for("findings.measure_detail", measure_id=created.value.id))
    return render_template("findings/measure_form.html", form=form, measure=None,
                           target_year=services.target_year()), 422 if form.errors else 200


@bp.route("/measures/<int:measure_id>", endpoint="measure_detail")
@access(SIGNED_IN)
def measure_detail(measure_id: int):
    measure = services.measure_page(measure_id) or abort(404)
    may_edit = services.may_edit_measure(current_user, measure)
    may_evaluate = services.may_evaluate(current_user) and measure.status != MeasureStatus.MERGED
    evaluate_form = merge_form = dependency_form = None
    listed = (may_edit or may_evaluate) and services.measure_choices_fit(measure)
    others = services.other_measures(measure) if listed else []
    if may_evaluate:
        evaluate_form = EvaluateForm()
        evaluate_form.set_choices(measure)
        merge_form = MergeForm() if listed else MergeByNumberForm()
        if listed:
            merge_form.kept.choices = with_placeholder([(m.id, m.label) for m in others])
    if may_edit:
        dependency_form = DependencyForm() if listed else DependencyByNumberForm()
        if listed:
            dependency_form.depends_on.choices = with_placeholder(
                [(m.id, m.label) for m in others if m not in measure.dependencies])
    supporting = any(p.id == current_user.person_id for p in measure.supporters)
    return render_template(
        "findings/measure_detail.html", measure=measure, may_edit=may_edit, may_evaluate=may_evaluate,
        evaluate_form=evaluate_form, merge_form=merge_form, dependency_form=dependency_form,
        kpi_form=KPIForm() if may_edit else None, comment_form=CommentForm(),
        may_comment=services.may_comment(current_user) and measure.status != MeasureStatus.MERGED,
        may_support=bool(getattr(current_user, "person_id", None)) and measure.status != MeasureStatus.MERGED
        and (not services.is_own_measure(current_user, measure) or supporting),
        supporting=supporting,
        target_year=services.target_year(),
    )


@bp.route("/measures/<int:measure_id>/edit", methods=["GET", "POST"], endpoint="measure_edit")
@access(*EDITORS)
def measure_edit(measure_id: int):
    measure = _measure_or_404(measure_id)
    if not services.may_edit_measure(current_user, measure):
        abort(403)
    form = _measure_form(measure, formdata=request.form if request.method == "POST" else None)
    stale = None
    if form.validate_on_submit():
        saved = perform(lambda: services.update_measure(current_user, measure, form.field.data,
                                                        form.data_for_service(), form.needs.data, form.version.data),
                        form=form, success=_("The measure %(number)s has been saved.", number=measure.number))
        if saved:
            return redirect(url_for("findings.measure_detail", measure_id=measure.id))
        if is_stale(saved):  # saving again now overwrites knowingly
            stale = stale_conflict(form, _measure_form(measure), measure.version)
    status = 409 if stale else (422 if form.errors else 200)
    return render_template("findings/measure_form.html", form=form, measure=measure, stale=stale,
                           target_year=services.target_year()), status


def _back_to(measure: Measure, anchor: str = ""):
    return redirect(url_for("findings.measure_detail", measure_id=measure.id) + anchor)


@bp.route("/measures/<int:measure_id>/kpis", methods=["POST"], endpoint="kpi_add")
@access(*EDITORS)
def kpi_add(measure_id: int):
    measure = _measure_or_404(measure_id)
    if not services.may_edit_measure(current_user, measure):
        abort(403)
    form = KPIForm()
    if form.validate_on_submit() and perform(
        lambda: services.add_kpi(current_user, measure, form.indicator.data, form.unit.data, form.baseline.data,
                                 form.target_value.data, form.target_year.data),
        form=form, success=_("The indicator has been added."),
    ):
        return _back_to(measure, "#kpis")
    for name, errors in form.errors.items():
        for message in errors:
            flash(f"{form[name].label.text}: {message}", "error")
    return _back_to(measure, "#kpis")


@bp.route("/kpis/<int:kpi_id>/delete", methods=["POST"], endpoint="kpi_delete")
@access(*EDITORS)
def kpi_delete(kpi_id: int):
    kpi = db.session.get(MeasureKPI, kpi_id) or abort(404)
    measure = kpi.measure
    if not services.may_edit_measure(current_user, measure):
        abort(403)
    services.delete_kpi(current_user, kpi)
    db.session.commit()
    flash(_("The indicator has been removed."), "success")
    return _back_to(measure, "#kpis")


@bp.route("/measures/<int:measure_id>/dependencies", methods=["POST"], endpoint="dependency_add")
@access(*EDITORS)
def dependency_add(measure_id: int):
    measure = _measure_or_404(measure_id)
    if not services.may_edit_measure(current_user, measure):
        abort(403)
    other = services.measure_by_reference(request.form.get("depends_on"))
    if other is None:
        flash(_("Please choose a measure or enter the number of an existing one."), "error")
        return _back_to(measure, "#dependencies")
    perform(lambda: services.add_dependency(current_user, measure, other),
            success=lambda _result: _("%(this)s now depends on %(other)s.", this=measure.number, other=other.number))
    return _back_to(measure, "#dependencies")


@bp.route("/measures/<int:measure_id>/dependencies/<int:other_id>/delete", methods=["POST"],
          endpoint="dependency_remove")
@access(*EDITORS)
def dependency_remove(measure_id: int, other_id: int):
    measure = _measure_or_404(measure_id)
    other = _measure_or_404(other_id)
    if not services.may_edit_measure(current_user, measure):
        abort(403)
    services.remove_dependency(current_user, measure, other)
    db.session.commit()
    flash(_("The dependency has been removed."), "success")
    return _back_to(measure, "#dependencies")


@bp.route("/measures/<int:measure_id>/evaluate", methods=["POST"], endpoint="measure_evaluate")
@access(Role.STRATEGY_TEAM)
def measure_evaluate(measure_id: int):
    measure = _measure_or_404(measure_id)
    form = EvaluateForm()
    form.set_choices(measure)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return _back_to(measure, "#evaluation")
    if not perform(
        lambda: services.evaluate_measure(current_user, measure, MeasureStatus(form.status.data), form.answer.data),
        success=lambda _result: _("%(number)s is now: %(status)s.", number=measure.number,
                                  status=measure.status.label),
    ):
        return _back_to(measure, "#evaluation")
    return _back_to(measure)


@bp.route("/measures/<int:measure_id>/merge", methods=["POST"], endpoint="measure_merge")
@access(Role.STRATEGY_TEAM)
def measure_merge(measure_id: int):
    measure = _measure_or_404(measure_id)
    kept = services.measure_by_reference(request.form.get("kept"))
    if kept is None:
        flash(_("Please choose the measure to keep or enter the number of an existing one."), "error")
        return _back_to(measure, "#merge")
    if not perform(lambda: services.merge_measures(current_user, measure, kept),
                   success=lambda _result: _("%(merged)s has been merged into %(kept)s.", merged=measure.number,
                                             kept=kept.number)):
        return _back_to(measure, "#merge")
    return _back_to(kept)


@bp.route("/measures/<int:measure_id>/support", methods=["POST"], endpoint="measure_support")
@access(*CONTRIBUTORS)
def measure_support(measure_id: int):
    measure = _measure_or_404(measure_id)
    supporting = any(p.id == current_user.person_id for p in measure.supporters)
    if services.is_own_measure(current_user, measure) and not supporting:
        # The button is hidden on one's own measure; a POST anyway reads the service's rule (400, nothing changes).
        return render_error(400, services.OWN_MEASURE_MESSAGE)
    if not perform(lambda: services.toggle_support(current_user, measure),
                   success=lambda supporting: _("Thank you for your support.") if supporting
                   else _("You no longer support this measure.")):
        return _back_to(measure)
    return _back_to(measure, "#supporters")



@bp.route("/measures/<int:measure_id>/comments", methods=["POST"], endpoint="measure_comment")
@access(*CONTRIBUTORS)
def measure_comment(measure_id: int):
    measure = _measure_or_404(measure_id)
    return _comment(measure, url_for("findings.measure_detail", measure_id=measure.id))


@bp.route("/measures/<int:measure_id>/history", endpoint="measure_history")
@access(*STAFF)
def measure_history(measure_id: int):
    measure = _measure_or_404(measure_id)
    return render_template("findings/history.html", obj=measure, entries=services.history_of(measure),
                           back=url_for("findings.measure_detail", measure_id=measure.id), heading=measure.label)


@bp.route("/gaps", endpoint="gaps")
@access(*STAFF)
def gaps():
    fields = list_fields()
    field_id = _int_arg("field")
    return render_template("findings/gaps.html", gaps=services.gaps(field_id), fields=fields, field_id=field_id)
