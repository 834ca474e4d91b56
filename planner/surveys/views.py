import json

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from planner.core.errors import DomainError
from planner.core.forms import is_stale, perform, show_domain_error, stale_conflict
from planner.core.pagination import ListPage
from planner.core.permissions import STAFF, Role, access
from planner.extensions import db
from planner.fields.services import list_fields
from planner.surveys import bp, services
from planner.surveys import forms as survey_forms
from planner.surveys.charts import breakdown_chart, chart_for, ratings_chart, svg_bar_chart
from planner.surveys.facts import headline
from planner.surveys.forms import (
    CommentFilterForm,
    FreezeForm,
    MappingImportForm,
    MeasureFilterForm,
    PromoteForm,
    UploadForm,
    WeightsForm,
    mapping_form,
    mapping_from_form,
    option_slots,
    referenced_measure_ids,
)
from planner.surveys.importer import personal_data_reason, system_column
from planner.surveys.mapping import MAX_TEXT
from planner.surveys.models import (
    CommentCoding,
    PriorityRun,
    QuestionKind,
    SavedMapping,
    Survey,
    SurveyComment,
    SurveyUpload,
)
from planner.surveys.results import breakdown, survey_results

MANAGE = (Role.STRATEGY_TEAM,)


PER_PAGE = 50


def _open_measures():
    from planner.findings.models import Measure
    from planner.surveys.prioritisation import EXCLUDED_MEASURE_STATUSES

    return select(Measure).where(Measure.status.not_in(EXCLUDED_MEASURE_STATUSES)).order_by(Measure.field_id,
                                                                                              Measure.id)


def _measures():
    return db.session.scalars(_open_measures()).all()


def _mapping_measures(mapping: dict):
    """The candidate measures for the mapping's selects, or (None, id → number) when there are too many."""
    from planner.findings.models import Measure

    count = db.session.scalar(select(func.count()).select_from(_open_measures().order_by(None).subquery()))
    if count <= survey_forms.MEASURE_CHOICE_LIMIT:
        return _measures(), None
    ids = referenced_measure_ids(mapping)
    rows = db.session.execute(select(Measure.id, Measure.number).where(Measure.id.in_(ids))).all() if ids else []
    return None, {measure_id: number for measure_id, number in rows if number}


def _measure_filter(fields):
    """The action-field filter of a measure table (GET ?field=CODE) and the chosen code ("" for all)."""
    form = MeasureFilterForm(request.args)
    form.set_choices(fields)
    return form, form.chosen(fields)


def _measure_page(items, fields):
    """Filter and page of a computed (ranked) measure list: ranks stay those among all measures."""
    form, code = _measure_filter(fields)
    shown = [item for item in items if item.field_code == code] if code else items
    page = ListPage.of(shown, request.args.get("page", type=int), per_page=PER_PAGE)
    return form, page, ({"field": code} if code else {})


def _own_upload(upload_id: int) -> SurveyUpload:
    upload = db.session.get(SurveyUpload, upload_id) or abort(404)
    if not services.may_use_upload(current_user, upload):
        abort(403)
    return upload


# --- surveys ------------------------------------------------------------------------------------------------

@bp.route("/", endpoint="list")
@access(*STAFF)
def list_surveys():
    from planner.fields.services import process_choice

    choice = process_choice(request.args.get("process"))
    page = db.paginate(services.survey_list_query(choice.chosen), per_page=20, error_out=False)
    counts = services.comment_counts([s.id for s in page.items])
    uploads = []
    if services.may_manage(current_user):
        uploads = db.session.scalars(
            select(SurveyUpload).where(SurveyUpload.uploaded_by_id == current_user.id).order_by(SurveyUpload.id)
        ).all()
    return render_template("surveys/list.html", page=page, counts=counts, uploads=uploads, process_choice=choice,
                           may_manage=services.may_manage(current_user) and choice.is_current)


@bp.route("/import", methods=["GET", "POST"], endpoint="upload")
@access(*MANAGE)
def upload():
    form = UploadForm()
    mappings = db.session.scalars(select(SavedMapping).order_by(SavedMapping.name)).all()
    form.set_choices(mappings)
    if form.validate_on_submit():
        saved = db.session.get(SavedMapping, form.saved_mapping.data) if form.saved_mapping.data else None
        meta = services.UploadMeta(form.title.data, form.wave.data or "", form.starts_on.data, form.ends_on.data)
        done = perform(lambda: services.store_upload(current_user, form.file.data.stream,
                                                     form.file.data.filename or "", meta, current_app.instance_path,
                                                     saved_mapping=saved),
                       form=form, success=_("File uploaded. Please check the mapping of the columns."))
        if done:
            return redirect(url_for("surveys.mapping", upload_id=done.value.id))
    return render_template("surveys/upload.html", form=form), 400 if form.errors else 200


@bp.route("/uploads/<int:upload_id>/mapping", methods=["GET", "POST"], endpoint="mapping")
@access(*MANAGE)
def mapping(upload_id: int):
    item = _own_upload(upload_id)
    fields = list_fields()
    measures, numbers = _mapping_measures(item.mapping)
    form = mapping_form(item.mapping, item.profile, fields, measures,
                        formdata=request.form if request.method == "POST" else None, measure_numbers=numbers)
    problems: list[str] = []
    if request.method == "POST" and form.validate():
        new_mapping = mapping_from_form(form, item.mapping, item.profile)
        try:
            problems = services.set_upload_mapping(current_user, item, new_mapping)
            if not problems and form.save_as.data:
                services.save_mapping(current_user, form.save_as.data, new_mapping)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            if not problems:
                db.session.commit()
                return redirect(url_for("surveys.preview", upload_id=item.id))
            db.session.rollback()
    questions = [
        {
            "q": q,
            "flags": {c: personal_data_reason(c, item.profile.get(c)) for c in q["columns"]},
            "samples": {c: item.profile.get(c, {}).get("values", [])[:5] for c in q["columns"]},
            "slots": range(len(option_slots(q, item.profile))),
            # LimeSurvey's own columns (id, submitdate, ipaddr...) left out: shown folded away
            "system": q.get("kind") == QuestionKind.IGNORE.value and all(system_column(c) for c in q["columns"]),
        }
        for q in item.mapping["questions"]
    ]
    status = 400 if (form.errors or problems) else 200
    return render_template("surveys/mapping.html", upload=item, form=form, questions=questions,
                           problems=problems), status


@bp.route("/uploads/<int:upload_id>/preview", endpoint="preview")
@access(*MANAGE)
def preview(upload_id: int):
    item = _own_upload(upload_id)
    error = None
    result = None
    try:
        result = services.preview_upload(item, current_app.instance_path)
    except DomainError as exc:
        error = exc.message
    questions = {q["key"]: q for q in item.mapping["questions"]}
    duplicate = services.duplicate_of(result) if result is not None and not result.error_count else None
    return render_template("surveys/preview.html", upload=item, result=result, error=error, questions=questions,
                           duplicate=duplicate, max_text=MAX_TEXT)


@bp.route("/uploads/<int:upload_id>/import", methods=["POST"], endpoint="confirm")
@access(*MANAGE)
def confirm(upload_id: int):
    item = _own_upload(upload_id)
    token = item.token
    allow_duplicates = request.form.get("allow_duplicates") == "1"
    if services.runs_in_background(item, current_app.config):
        from planner.jobs.services import enqueue
        from planner.surveys.tasks import IMPORT_TASK

        job = enqueue("survey_import", IMPORT_TASK, actor_id=current_user.id, upload_id=item.id,
                      importer_id=current_user.id, allow_duplicates=allow_duplicates)
        db.session.commit()
        flash(_("The import has started. This page shows its progress."), "success")
        return redirect(url_for("jobs.detail", job_id=job.id))
    done = perform(lambda: services.import_upload(current_user, item, current_app.instance_path,
                                                  allow_duplicates=allow_duplicates),
                   success=lambda survey: _("%(count)s responses imported.", count=survey.response_count))
    if not done:
        return redirect(url_for("surveys.preview", upload_id=upload_id))
    services.remove_upload_file(token, current_app.instance_path)
    return redirect(url_for("surveys.detail", survey_id=done.value.id))


@bp.route("/uploads/<int:upload_id>/discard", methods=["POST"], endpoint="discard")
@access(*MANAGE)
def discard(upload_id: int):
    item = _own_upload(upload_id)
    services.discard_upload(current_user, item, current_app.instance_path)
    db.session.commit()
    flash(_("The upload was discarded and the file deleted."), "success")
    return redirect(url_for("surveys.list"))


@bp.route("/<int:survey_id>", endpoint="detail")
@access(*STAFF)
def detail(survey_id: int):
    survey = db.session.get(Survey, survey_id) or abort(404)
    results = survey_results(survey)
    charts = {}
    for index, result in enumerate(results):
        chart = chart_for(result)
        if chart:
            charts[result.key] = (chart, svg_bar_chart(chart, f"chart-{index}"))
    combined_chart = ratings_chart(survey, results)
    combined = [(combined_chart, svg_bar_chart(combined_chart, "chart-combined"))] if combined_chart else []
    demographics = [q for q in survey.questions if q.kind in (QuestionKind.DEMOGRAPHIC, QuestionKind.SINGLE)]
    comment_total = services.comment_counts([survey.id]).get(survey.id, 0)
    return render_template(
        "surveys/detail.html", survey=survey, results=results, charts=charts, combined=combined,
        headline=headline(survey, results), demographics=demographics, comment_total=comment_total,
        may_manage=services.may_manage(current_user),
    )


@bp.route("/<int:survey_id>/counting", methods=["POST"], endpoint="counting")
@access(*MANAGE)
def counting(survey_id: int):
    """Whether the survey counts in the prioritisation (the main wave yes; a pilot or a duplicate copy no)."""
    survey = db.session.get(Survey, survey_id) or abort(404)
    counts = request.form.get("counts") == "1"
    perform(lambda: services.set_survey_counts(current_user, survey, counts),
            success=_("The survey now counts in the prioritisation.") if counts
            else _("The survey no longer counts in the prioritisation."))
    return redirect(url_for("surveys.detail", survey_id=survey.id))


@bp.route("/<int:survey_id>/breakdown", endpoint="breakdown")
@access(*STAFF)
def breakdown_view(survey_id: int):
    survey = db.session.get(Survey, survey_id) or abort(404)
    by_key = {q.key: q for q in survey.questions}
    by = by_key.get(request.args.get("by", ""))
    question = by_key.get(request.args.get("question", ""))
    demographics = [q for q in survey.questions if q.kind in (QuestionKind.DEMOGRAPHIC, QuestionKind.SINGLE)]
    choosable = [q for q in survey.questions if q.kind not in (QuestionKind.TEXT, QuestionKind.IGNORE)]
    if by is None and demographics:
        by = demographics[0]
    if question is None:
        question = next((q for q in choosable if q is not by), None)
    from planner.city.services import district_names
    from planner.surveys.prioritisation import MIN_GROUP

    every = (breakdown(question, by, order=district_names())
             if (question is not None and by is not None and question is not by) else [])
    # Groups too small to show without singling someone out are only counted.
    groups = [g for g in every if g.n >= MIN_GROUP]
    suppressed = len(every) - len(groups)
    chart = breakdown_chart(question.text, by.text, groups, request.args.get("option")) if groups else None
    return render_template("surveys/breakdown.html", survey=survey, groups=groups, question=question, by=by,
                           demographics=demographics, choosable=choosable, suppressed=suppressed,
                           min_group=MIN_GROUP, chart=chart,
                           svg=svg_bar_chart(chart, "breakdown-chart") if chart else None)


@bp.route("/<int:survey_id>/delete", methods=["POST"], endpoint="delete")
@access(*MANAGE)
def delete(survey_id: int):
    survey = db.session.get(Survey, survey_id) or abort(404)
    title = survey.title
    if not perform(lambda: services.delete_survey(current_user, survey),
                   success=_("The survey “%(title)s” and all its responses were deleted.", title=title)):
        return redirect(url_for("surveys.detail", survey_id=survey_id))
    from planner.surveys.coding import forget_model

    forget_model(survey_id, current_app.instance_path)  # the comment coding's cache, after the commit
    return redirect(url_for("surveys.list"))


@bp.route("/<int:survey_id>/mapping.json", endpoint="survey_mapping_json")
@access(*MANAGE)
def survey_mapping_json(survey_id: int):
    survey = db.session.get(Survey, survey_id) or abort(404)
    return _json_download(survey.mapping, f"mapping-survey-{survey.id}.json")


def _json_download(data: dict, filename: str) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- comments ---------------------------------------------------------------------------------------------

@bp.route("/<int:survey_id>/comments", endpoint="comments")
@access(*STAFF)
def comments(survey_id: int):
    survey = db.session.get(Survey, survey_id) or abort(404)
    fields = list_fields()
    form = CommentFilterForm(request.args)
    form.set_choices(fields)
    form.validate()
    field_id = form.field.data if form.field.data and form.field.data > 0 else None
    stmt = services.comments_query(survey.id, search=(form.q.data or "").strip() or None, field_id=field_id,
                                   untagged=form.field.data == -1)
    # Each comment's codes with who set them, when, and whether a suggestion was accepted (comment coding).
    codings = selectinload(SurveyComment.codings)
    stmt = stmt.options(codings.selectinload(CommentCoding.code), codings.selectinload(CommentCoding.coded_by))
    page = db.paginate(stmt, per_page=25, error_out=False)
    filters = {k: v for k, v in request.args.items() if k in ("q", "field") and v}
    return render_template("surveys/comments.html", survey=survey, page=page, form=form, fields=fields,
                           filters=filters, may_manage=services.may_manage(current_user))


@bp.route("/comments/<int:comment_id>/tag", methods=["POST"], endpoint="tag_comment")
@access(*MANAGE)
def tag_comment(comment_id: int):
    comment = db.session.get(SurveyComment, comment_id) or abort(404)
    raw = request.form.get("field", "")
    field_id = int(raw) if raw.isdigit() else None
    perform(lambda: services.tag_comment(current_user, comment, field_id), success=_("Comment tagged."))
    back = request.form.get("back", "")
    if back.startswith("/surveys/") and not back.startswith("//"):
        return redirect(back)
    return redirect(url_for("surveys.comments", survey_id=comment.survey_id))


@bp.route("/comments/<int:comment_id>/promote", methods=["GET", "POST"], endpoint="promote_comment")
@access(*MANAGE)
def promote_comment(comment_id: int):
    comment = db.session.get(SurveyComment, comment_id) or abort(404)
    form = PromoteForm(data={"field": comment.field_id, "text": comment.text} if request.method == "GET" else None)
    form.set_choices(list_fields())
    failed = False
    if form.validate_on_submit():
        done = perform(lambda: services.promote_comment(current_user, comment, form.field.data, form.text.data),
                       form=form, success=_("The comment became a need for action."))
        if done:
            return redirect(url_for("surveys.comments", survey_id=comment.survey_id))
        failed = True
    return render_template("surveys/promote.html", comment=comment, form=form), 400 if (form.errors or failed) else 200


# --- saved mappings ---------------------------------------------------------------------------------------

@bp.route("/mappings", endpoint="mappings")
@access(*MANAGE)
def mappings():
    items = db.session.scalars(select(SavedMapping).order_by(SavedMapping.name)).all()
    return render_template("surveys/mappings.html", items=items, form=MappingImportForm())


@bp.route("/mappings/<int:mapping_id>.json", endpoint="mapping_json")
@access(*MANAGE)
def mapping_json(mapping_id: int):
    saved = db.session.get(SavedMapping, mapping_id) or abort(404)
    return _json_download(saved.mapping, f"mapping-{saved.id}.json")


def _mapping_file(stream) -> dict:
    """A mapping file uploaded as JSON (at most 1 MB)."""
    raw = stream.read(1024 * 1024 + 1)
    if len(raw) > 1024 * 1024:
        raise DomainError(_("The mapping file is too large."), field="file")
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise DomainError(_("The file is not valid JSON."), field="file") from error


@bp.route("/mappings/import", methods=["POST"], endpoint="import_mapping")
@access(*MANAGE)
def import_mapping():
    form = MappingImportForm()
    if form.validate_on_submit() and perform(
            lambda: services.save_mapping(current_user, form.name.data, _mapping_file(form.file.data.stream)),
            form=form, success=_("Mapping saved.")):
        return redirect(url_for("surveys.mappings"))
    items = db.session.scalars(select(SavedMapping).order_by(SavedMapping.name)).all()
    return render_template("surveys/mappings.html", items=items, form=form), 400


@bp.route("/mappings/<int:mapping_id>/delete", methods=["POST"], endpoint="delete_mapping")
@access(*MANAGE)
def delete_mapping(mapping_id: int):
    saved = db.session.get(SavedMapping, mapping_id) or abort(404)
    services.delete_mapping(current_user, saved)
    db.session.commit()
    flash(_("Mapping deleted."), "success")
    return redirect(url_for("surveys.mappings"))


# --- prioritisation -----------------------------------------------------------------------------------------

def _priorities_page(weights, form, runs, may_manage, stale=None):
    from planner.surveys.prioritisation import formula_text, prioritise
    from planner.wall.services import dots_by_measure

    fields, measures = prioritise(weights)
    filter_form, page, filters = _measure_page(measures, list_fields())
    workshop_dots = dots_by_measure(item.id for item in page.items)  # the workshops' dot votes, beside the score
    counting = db.session.scalars(select(Survey).where(Survey.counts_in_priorities.is_(True)).order_by(Survey.id)).all()
    return render_template(
        "surveys/priorities.html", fields=fields, page=page, filter_form=filter_form, filters=filters,
        weights=weights, form=form, formula=formula_text(weights), freeze_form=FreezeForm(prefix="freeze"),
        runs=runs, may_manage=may_manage, counting=counting, stale=stale, workshop_dots=workshop_dots,
    )


@bp.route("/priorities", endpoint="priorities")
@access(*STAFF)
def priorities():
    from planner.surveys.prioritisation import current_weights

    weights = current_weights()
    runs = db.session.scalars(select(PriorityRun).order_by(PriorityRun.frozen_at.desc()).limit(5)).all()
    form = WeightsForm(data={**weights, "version": services.weights_version()})
    return _priorities_page(weights, form, runs, services.may_manage(current_user))


@bp.route("/priorities/weights", methods=["POST"], endpoint="weights")
@access(*MANAGE)
def weights():
    from planner.surveys.prioritisation import current_weights

    form = WeightsForm()
    if form.validate_on_submit():
        saved = perform(lambda: services.set_weights(current_user, form.weights(), version=form.submitted_version()),
                        form=form, success=_("Weights saved; the ranking was recalculated."))
        if saved:
            return redirect(url_for("surveys.priorities"))
        if is_stale(saved):
            current = WeightsForm(formdata=None, data=current_weights())
            stale = stale_conflict(form, current, services.weights_version())
            return _priorities_page(current_weights(), form, [], True, stale=stale), 409
    return _priorities_page(current_weights(), form, [], True), 400


CRITERIA = ("impact", "feasibility", "cost", "urgency")


def _submitted_ids(name: str) -> list[int]:
    raw = request.form.getlist(name)
    # ASCII digits short enough for a database integer: "²" or 2**63 must not reach int() or the query.
    if not all(value.isascii() and value.isdigit() and len(value) < 10 for value in raw):
        raise DomainError(_("The form is out of date; nothing was saved. Please reload the page."))
    return list(dict.fromkeys(int(value) for value in raw))


def _submitted_ratings(prefix: str, ids: list[int]) -> dict[int, dict[str, int | None]]:
    ratings = {}
    for item_id in ids:
        values = {}
        for criterion in CRITERIA:
            raw = request.form.get(f"{prefix}{item_id}-{criterion}", "").strip()
            if raw and not (raw.isascii() and raw.isdigit() and len(raw) < 3):
                raise DomainError(_("Ratings lie between 1 and 5."))
            values[criterion] = int(raw) if raw else None
        ratings[item_id] = values
    return ratings


@bp.route("/priorities/ratings", methods=["GET", "POST"], endpoint="ratings")
@access(*MANAGE)
def ratings():
    """Expert ratings per action field and page: the field ratings on the first page, then 50 measures a page.
    A POST saves exactly the items its page listed (their ids come with the form), all or nothing."""
    fields = list_fields()
    filter_form, code = _measure_filter(fields)
    stmt = _open_measures()
    if code:
        from planner.findings.models import Measure

        stmt = stmt.where(Measure.field_id == next(f.id for f in fields if f.code == code))
    page = db.paginate(stmt, page=request.args.get("page", type=int), per_page=PER_PAGE, error_out=False)
    filters = {"field": code} if code else {}
    if request.method == "POST":
        def save() -> int:
            return services.rate_many(current_user, fields=_submitted_ratings("f", _submitted_ids("field_ids")),
                                      measures=_submitted_ratings("m", _submitted_ids("measure_ids")))

        if perform(save, success=_("Expert ratings saved.")):
            return redirect(url_for("surveys.ratings", **filters, **({"page": page.page} if page.page > 1 else {})))
    shown_fields = ([f for f in fields if not code or f.code == code]) if page.page == 1 else []
    by_field, by_measure = services.ratings_of([f.id for f in shown_fields], [m.id for m in page.items])
    from planner.wall.services import dots_by_measure

    return render_template("surveys/ratings.html", fields=shown_fields, measures=page.items, page=page,
                           by_field=by_field, by_measure=by_measure, criteria=CRITERIA, filter_form=filter_form,
                           filters=filters, all_fields=fields, workshop_dots=dots_by_measure(m.id for m in page.items),
                           ), 400 if request.method == "POST" else 200


@bp.route("/priorities/sensitivity", endpoint="sensitivity")
@access(*STAFF)
def sensitivity():
    from planner.surveys.prioritisation import (
        MIN_GROUP,
        SENSITIVITY_STEPS,
        citizen_signals,
        current_weights,
        gather,
        group_comparison,
        group_signals,
        method_comparison,
    )
    from planner.surveys.prioritisation import sensitivity as analyse

    weights = current_weights()
    fields, measures = gather()
    methods = method_comparison(fields, weights, citizen_signals(method="mean").fields)
    by_group = group_signals()
    groups = group_comparison(fields, weights, by_group)
    rows = analyse(measures, weights)
    filter_form, page, filters = _measure_page([row.item for row in rows], list_fields())
    by_item = {row.item.id: row for row in rows}
    page = ListPage([by_item[item.id] for item in page.items], page.page, page.per_page, page.total)
    return render_template(
        "surveys/sensitivity.html", fields=analyse(fields, weights), page=page, filter_form=filter_form,
        filters=filters, weights=weights, steps=SENSITIVITY_STEPS, methods=methods, groups=groups,
        group_keys=list(by_group), min_group=MIN_GROUP, top=3,
    )


@bp.route("/priorities/runs", endpoint="runs")
@access(*STAFF)
def runs():
    page = db.paginate(select(PriorityRun).order_by(PriorityRun.frozen_at.desc(), PriorityRun.id.desc()),
                       per_page=20, error_out=False)
    return render_template("surveys/runs.html", page=page)


@bp.route("/priorities/freeze", methods=["POST"], endpoint="freeze")
@access(*MANAGE)
def freeze():
    form = FreezeForm(prefix="freeze")
    if form.validate_on_submit():
        done = perform(lambda: services.freeze_run(current_user, form.name.data),
                       success=lambda run: _("Prioritisation frozen as “%(name)s”.", name=run.name))
        if done:
            return redirect(url_for("surveys.run", run_id=done.value.id))
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(url_for("surveys.priorities"))


@bp.route("/priorities/runs/<int:run_id>", endpoint="run")
@access(*STAFF)
def run(run_id: int):
    from planner.surveys.prioritisation import formula_text

    item = db.session.get(PriorityRun, run_id) or abort(404)
    return render_template("surveys/run.html", run=item, formula=formula_text(item.weights))



