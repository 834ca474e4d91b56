"""Pages for the council's decision on a published version: the Drucksache and its Beratungsfolge."""

import io

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planner.core.forms import is_stale, perform, stale_conflict
from planner.core.permissions import Role, access
from planner.extensions import db
from planner.strategy import bp, council, council_paper, versions
from planner.strategy.council_forms import DecisionForm, StepForm
from planner.strategy.exporters import FORMATS
from planner.strategy.models import PaperVersion
from planner.strategy.views import version_or_404

ST = (Role.STRATEGY_TEAM,)


def _step_or_404(step_id: int) -> council.DecisionStep:
    return db.session.get(council.DecisionStep, step_id) or abort(404)


def _filled_decision_form(decision: council.CouncilDecision | None) -> DecisionForm:
    form = DecisionForm(formdata=None, obj=decision)
    if decision is None:
        form.paper_type.data = "Beschlussvorlage"
    else:
        form.version.data = decision.version
    return form


def _filled_step_form(step: council.DecisionStep | None) -> StepForm:
    form = StepForm(formdata=None, obj=step)
    if step is not None:
        form.result.data = step.result.value if step.result else ""
        form.amendment.data = step.amendment_version.number if step.amendment_version else None
        form.version.data = step.version
    return form


def _to_detail(version: PaperVersion):
    return redirect(url_for("strategy.version_detail", number=version.number) + "#decision-heading")


@bp.route("/versions/<int:number>/decision", methods=["GET", "POST"], endpoint="decision_edit")
@access(*ST)
def decision_edit(number: int):
    version = version_or_404(number)
    decision = council.decision_of(version)
    form = _filled_decision_form(decision) if request.method == "GET" else DecisionForm()
    stale = None
    if form.validate_on_submit():
        saved = perform(lambda: council.save_decision(
            version, current_user, reference=form.reference.data, paper_type=form.paper_type.data or "",
            title=form.title.data or "", submitted_on=form.submitted_on.data,
            resolution_text=form.resolution_text.data or "", expected_version=form.submitted_version()),
            form=form, success=_("The council decision has been saved."))
        if saved:
            return _to_detail(version)
        if is_stale(saved):
            decision = council.decision_of(version)
            stale = stale_conflict(form, _filled_decision_form(decision), decision.version)
    status = 409 if stale else (400 if request.method == "POST" else 200)
    return render_template("strategy/decision_form.html", form=form, version=version, decision=decision,
                           stale=stale), status


@bp.route("/versions/<int:number>/decision/steps/new", methods=["GET", "POST"], endpoint="decision_step_add")
@access(*ST)
def decision_step_add(number: int):
    version = version_or_404(number)
    decision = council.decision_of(version)
    if decision is None:
        return redirect(url_for("strategy.decision_edit", number=number))
    form = StepForm()
    if form.validate_on_submit() and perform(lambda: council.add_step(
            decision, current_user, body=form.body.data, meeting_date=form.meeting_date.data, role=form.role.data or "",
            authoritative=form.authoritative.data, result=form.result.data or None, note=form.note.data or "",
            amendment_number=form.amendment.data), form=form, success=_("The step has been added.")):
        return _to_detail(version)
    return render_template("strategy/decision_step_form.html", form=form, version=version, step=None,
                           stale=None), 400 if request.method == "POST" else 200


@bp.route("/decision-steps/<int:step_id>", methods=["GET", "POST"], endpoint="decision_step_edit")
@access(*ST)
def decision_step_edit(step_id: int):
    step = _step_or_404(step_id)
    version = step.decision.paper_version
    form = _filled_step_form(step) if request.method == "GET" else StepForm()
    stale = None
    if form.validate_on_submit():
        saved = perform(lambda: council.edit_step(
            step, current_user, body=form.body.data, meeting_date=form.meeting_date.data, role=form.role.data or "",
            authoritative=form.authoritative.data, result=form.result.data or None, note=form.note.data or "",
            amendment_number=form.amendment.data, expected_version=form.submitted_version()),
            form=form, success=_("The step has been saved."))
        if saved:
            return _to_detail(version)
        if is_stale(saved):
            step = _step_or_404(step_id)
            stale = stale_conflict(form, _filled_step_form(step), step.version)
    status = 409 if stale else (400 if request.method == "POST" else 200)
    return render_template("strategy/decision_step_form.html", form=form, version=version, step=step,
                           stale=stale), status


@bp.route("/decision-steps/<int:step_id>/delete", methods=["POST"], endpoint="decision_step_delete")
@access(*ST)
def decision_step_delete(step_id: int):
    step = _step_or_404(step_id)
    version = step.decision.paper_version
    perform(lambda: council.delete_step(step, current_user), success=_("The step has been removed."))
    return _to_detail(version)


@bp.route("/versions/<int:number>/decision/document", endpoint="decision_document")
@access(*ST)
def decision_document(number: int):
    """The Beschlussvorlage of this version for the council (a small document: written at once)."""
    version = version_or_404(number)
    code = request.args.get("format", "docx")
    language = request.args.get("locale", "de")
    if code not in council_paper.DOCUMENT_FORMATS or language not in ("de", "en"):
        abort(404)
    rollup = versions.version_rollup(version, locale=language)
    decision = council.decision_of(version)
    output = io.BytesIO()
    council_paper.write_decision_document(rollup, decision, code, output, language)
    output.seek(0)
    return send_file(output, mimetype=FORMATS[code].mimetype, as_attachment=True,
                     download_name=council_paper.document_filename(rollup, decision, code))
