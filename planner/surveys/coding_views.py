"""Pages of comment coding: the codebook, the coding queue (htmx, works without JS) and the analysis."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from planner.core.forms import perform
from planner.core.permissions import STAFF, Role, access
from planner.extensions import db
from planner.fields.services import list_fields
from planner.surveys import bp, coding, services
from planner.surveys.models import CommentCode, CommentType, Survey, SurveyComment

MANAGE = (Role.STRATEGY_TEAM,)
QUEUE_SIZE = 10
INLINE_LIMIT = 3000  # comments: above this the suggestions are renewed by the job worker


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _survey(survey_id: int) -> Survey:
    return db.session.get(Survey, survey_id) or abort(404)


def _code(code_id: int) -> CommentCode:
    return db.session.get(CommentCode, code_id) or abort(404)


def _comment(comment_id: int) -> SurveyComment:
    return db.session.get(SurveyComment, comment_id) or abort(404)


# --- codebook -------------------------------------------------------------------------------------------------

@bp.route("/codebook", endpoint="codebook")
@access(*STAFF)
def codebook():
    codes = coding.codebook()
    field_codes = [c for c in codes if not c.slug and not c.is_retired]
    return render_template("surveys/codebook.html", codes=codes, field_codes=field_codes,
                           may_manage=services.may_manage(current_user), prefill=request.args)


@bp.route("/codebook/seed", methods=["POST"], endpoint="seed_codebook")
@access(*MANAGE)
def seed_codebook():
    perform(lambda: coding.seed_codebook(current_user),
            success=lambda n: ngettext("%(num)s code created from the action fields.",
                                       "%(num)s codes created from the action fields.", n))
    return redirect(url_for("surveys.codebook"))


@bp.route("/codebook/new", methods=["POST"], endpoint="create_code")
@access(*MANAGE)
def create_code():
    form = request.form
    outcome = perform(lambda: coding.create_code(current_user, _int(form.get("field")), form.get("slug", ""),
                                                 form.get("label", ""), form.get("description", ""),
                                                 form.get("examples", "")),
                      success=lambda code: _("Code %(key)s created.", key=code.key))
    if outcome.error is not None:
        return redirect(url_for("surveys.codebook", **{k: form.get(k, "") for k in
                                                       ("field", "slug", "label", "description", "examples")}))
    return redirect(url_for("surveys.codebook"))


def _int(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@bp.route("/codebook/<int:code_id>", methods=["GET", "POST"], endpoint="edit_code")
@access(*MANAGE)
def edit_code(code_id: int):
    code = _code(code_id)
    if request.method == "POST":
        form = request.form
        outcome = perform(lambda: coding.rename_code(current_user, code, form.get("label", ""),
                                                     form.get("description", ""), form.get("examples", "")),
                          success=_("Code saved."))
        if outcome.error is None:
            return redirect(url_for("surveys.codebook"))
    targets = [c for c in coding.codebook(include_retired=False) if c.id != code.id]
    return render_template("surveys/code_edit.html", code=code, targets=targets), 200


@bp.route("/codebook/<int:code_id>/retire", methods=["POST"], endpoint="retire_code")
@access(*MANAGE)
def retire_code(code_id: int):
    code = _code(code_id)
    perform(lambda: coding.retire_code(current_user, code), success=_("Code retired; its codings stay."))
    return redirect(url_for("surveys.codebook"))


@bp.route("/codebook/<int:code_id>/reinstate", methods=["POST"], endpoint="reinstate_code")
@access(*MANAGE)
def reinstate_code(code_id: int):
    code = _code(code_id)
    perform(lambda: coding.reinstate_code(current_user, code), success=_("Code in use again."))
    return redirect(url_for("surveys.codebook"))


@bp.route("/codebook/<int:code_id>/merge", methods=["POST"], endpoint="merge_code")
@access(*MANAGE)
def merge_code(code_id: int):
    code = _code(code_id)
    target = db.session.get(CommentCode, _int(request.form.get("target")) or 0)
    if target is None:
        flash(_("Please choose a code to merge into."), "error")
        return redirect(url_for("surveys.edit_code", code_id=code.id))
    perform(lambda: coding.merge_codes(current_user, code, target),
            success=lambda n: ngettext("Merged: %(num)s coding moved.", "Merged: %(num)s codings moved.", n))
    return redirect(url_for("surveys.codebook"))


# --- coding queue -----------------------------------------------------------------------------------------

def _queue_context(survey: Survey, message: str | None = None, codes: list[CommentCode] | None = None) -> dict:
    items = db.session.scalars(coding.uncoded(survey.id).limit(QUEUE_SIZE)).all()
    codes = coding.codebook(include_retired=False) if codes is None else codes
    return {"survey": survey, "items": items, "codes": codes,
            "types": list(CommentType), "progress": coding.progress(survey.id), "message": message,
            "has_suggestions": any(i.language is not None for i in items)}


def _render_queue(survey: Survey, message: str | None = None, status: int = 200):
    if _is_htmx():
        return render_template("surveys/_coding_queue.html", **_queue_context(survey, message)), status
    if message:
        flash(message, "success" if status < 400 else "error")
    return redirect(url_for("surveys.coding", survey_id=survey.id))


def _renew(survey: Survey) -> str | None:
    """Renews the suggestions: in the request for a survey of up to INLINE_LIMIT comments (a few seconds), else
    as a background job (one at a time per survey). Returns the message to show."""
    total = coding.progress(survey.id).total
    if total <= INLINE_LIMIT:
        result = coding.refresh_suggestions(survey, current_app.instance_path)
        db.session.commit()
        return _("Suggestions renewed for %(num)s comments.", num=result.suggested)
    from planner.jobs.models import Job, JobStatus
    from planner.jobs.services import enqueue
    from planner.surveys.tasks import SUGGEST_TASK

    running = db.session.scalars(select(Job).where(Job.task == SUGGEST_TASK,
                                                   Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))).all()
    if not any(job.params.get("survey_id") == survey.id for job in running):
        enqueue("comment_coding", SUGGEST_TASK, actor_id=current_user.id, survey_id=survey.id)
        db.session.commit()
    return _("The suggestions are being renewed in the background; the queue shows the new ones in a few "
             "moments.")


def _refresh(survey: Survey) -> None:
    """Re-trains after enough new codes (coding.RETRAIN_EVERY) while staff work."""
    if coding.needs_refresh(survey.id, current_app.instance_path):
        _renew(survey)


@bp.route("/<int:survey_id>/coding", endpoint="coding")
@access(*MANAGE)
def coding_page(survey_id: int):
    survey = _survey(survey_id)
    codes = coding.codebook(include_retired=False)
    if not codes:
        return render_template("surveys/coding.html", no_codebook=True, **_queue_context(survey, codes=codes))
    message = None
    if coding.never_suggested(survey.id):
        # The first visit trains the suggestions (a cache of the comments' language and best code).
        message = _renew(survey)
        codes = None
    return render_template("surveys/coding.html", no_codebook=False, **_queue_context(survey, message, codes))


@bp.route("/<int:survey_id>/coding/refresh", methods=["POST"], endpoint="refresh_suggestions")
@access(*MANAGE)
def refresh_suggestions(survey_id: int):
    survey = _survey(survey_id)
    return _render_queue(survey, _renew(survey))


def _after_coding(comment: SurveyComment, outcome, message: str):
    survey = comment.survey
    if outcome.error is not None:
        return _render_queue(survey, str(outcome.error.message), status=400)
    _refresh(survey)
    return _render_queue(survey, message)


@bp.route("/comments/<int:comment_id>/code", methods=["POST"], endpoint="code_comment")
@access(*MANAGE)
def code_comment(comment_id: int):
    comment = _comment(comment_id)
    code_ids = [c for c in request.form.getlist("code") if c]
    suggested = comment.suggested_code_id
    from_suggestion = suggested is not None and [str(suggested)] == code_ids
    outcome = perform(lambda: coding.set_codes(current_user, comment, code_ids, request.form.get("comment_type"),
                                               from_suggestion=from_suggestion))
    return _after_coding(comment, outcome, _("Comment %(id)s coded.", id=comment.id))


@bp.route("/comments/<int:comment_id>/accept", methods=["POST"], endpoint="accept_suggestion")
@access(*MANAGE)
def accept_suggestion(comment_id: int):
    comment = _comment(comment_id)
    outcome = perform(lambda: coding.accept_suggestion(current_user, comment))
    return _after_coding(comment, outcome, _("Suggestion accepted for comment %(id)s.", id=comment.id))


@bp.route("/comments/<int:comment_id>/similar", methods=["POST"], endpoint="accept_similar")
@access(*MANAGE)
def accept_similar(comment_id: int):
    comment = _comment(comment_id)
    code_id = request.form.get("code") or comment.suggested_code_id
    outcome = perform(lambda: coding.accept_similar(current_user, comment, code_id, current_app.instance_path))
    count = outcome.value or 0
    return _after_coding(comment, outcome, ngettext(
        "Comment %(id)s and %(num)s similar comment coded.", "Comment %(id)s and %(num)s similar comments coded.",
        count, id=comment.id))


# --- analysis -------------------------------------------------------------------------------------------------

@bp.route("/<int:survey_id>/analysis", endpoint="coding_analysis")
@access(*STAFF)
def coding_analysis(survey_id: int):
    survey = _survey(survey_id)
    questions = coding.demographic_questions(survey)
    chosen = next((q for q in questions if q.key == request.args.get("by")), questions[0] if questions else None)
    table = coding.crosstab(survey, chosen) if chosen is not None else None
    counts = coding.code_counts(survey.id)
    quotes = {}
    topics = []
    if any(c.count for c in counts) or not coding.never_suggested(survey.id):
        instance = current_app.instance_path
        if coding.has_model(survey.id, instance):
            quotes = {c.code.id: coding.representatives(survey.id, c.code, instance) for c in counts if c.count}
            topics = coding.remainder_topics(survey.id, instance)
    return render_template("surveys/coding_analysis.html", survey=survey, questions=questions, chosen=chosen,
                           table=table, counts=counts, quotes=quotes, topics=topics, fields=list_fields(),
                           progress=coding.progress(survey.id), may_manage=services.may_manage(current_user),
                           min_cell=coding.MIN_CELL)


@bp.route("/<int:survey_id>/analysis/need", methods=["POST"], endpoint="need_from_comments")
@access(*MANAGE)
def need_from_comments(survey_id: int):
    survey = _survey(survey_id)
    form = request.form
    perform(lambda: coding.create_need_from_comments(current_user, survey, form.getlist("comments"),
                                                     form.get("field"), form.get("text", "")),
            success=lambda need: ngettext("Need created from %(num)s comment.", "Need created from %(num)s comments.",
                                          len(form.getlist("comments"))))
    return redirect(url_for("surveys.coding_analysis", survey_id=survey.id, by=form.get("by") or None))

