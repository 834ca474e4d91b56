"""What the concept paper reads from the surveys package: immutable facts, no ORM objects.

The contract (planner.strategy codes against exactly these names and fields):
``survey_facts()``, ``priority_facts(run_id=None)``, ``need_sources()`` and the dataclasses below.
Numbers, codes and the survey's own texts only, never a sentence or a formatted figure: the concept paper
formats them in its own language. Each share is computed once, here (count ÷ base), so a figure is the same
in the paper's key figures, its charts and the survey's own pages. ``ChartData`` and ``headline`` are the
survey pages' formatted view of the same numbers, in the current locale.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from sqlalchemy import func, select

from planner.extensions import db


@dataclass(frozen=True)
class ChartData:
    title: str  # translated in the current locale
    description: str  # one sentence for screen readers / alt text
    unit: str  # "percent" | "count" | "mean"
    categories: tuple[str, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class KeyFigure:
    """A headline result: a share (``count`` of ``base`` respondents) or a mean rating on a scale."""

    label: str  # the survey's own text (question, or question and answer option)
    kind: str  # "share" | "mean"
    count: int = 0
    base: int = 0  # what the share is of: who answered the question (tick boxes: all complete responses)
    mean: float | None = None
    scale: int | None = None

    @property
    def share(self) -> float | None:
        return self.count / self.base if self.kind == "share" and self.base else None


@dataclass(frozen=True)
class SurveyChart:
    """A question's result as numbers: shares 0..1 (choice, rating), average ranks (ranking, lower is better)
    or mean ratings per action field (field_ratings, categories are field codes)."""

    kind: str  # "choice" | "rating" | "ranking" | "field_ratings"
    question: str  # the survey's own text; "" for field_ratings
    base: int  # respondents who answered
    categories: tuple[str, ...]
    values: tuple[float, ...]
    scale: int | None = None
    mean: float | None = None


@dataclass(frozen=True)
class SurveyFacts:
    survey_id: int
    title: str
    wave: str
    starts_on: date | None
    ends_on: date | None
    participants: int
    comments: int
    key_figures: tuple[KeyFigure, ...]
    charts: tuple[SurveyChart, ...]
    coded_comments: int = 0  # comments with at least one code (comment coding)


@dataclass(frozen=True)
class FieldPriority:
    field_code: str
    score: float  # 0..1
    rank: int
    citizen_score: float | None
    expert_score: float | None
    coverage: float | None = None  # share of the weights carried by the criteria the field has


@dataclass(frozen=True)
class MeasurePriority:
    measure_id: int
    score: float  # the blended score, 0..1
    rank: int
    citizen_score: float | None = None
    expert_score: float | None = None  # None: not rated by the experts
    coverage: float | None = None


@dataclass(frozen=True)
class PriorityFacts:
    run_id: int
    name: str
    frozen_at: datetime
    weights: tuple[tuple[str, float], ...]  # criterion code → weight, as frozen
    fields: tuple[FieldPriority, ...]
    measures: tuple[MeasurePriority, ...]


def survey_facts(process=None) -> tuple[SurveyFacts, ...]:
    """The surveys of the current strategy process (``process``, when the caller has it at hand), oldest first."""
    from planner.fields.models import StrategyProcess, in_process
    from planner.surveys.models import Survey, SurveyComment

    surveys = db.session.scalars(
        select(Survey).where(in_process(Survey.process_id, process or StrategyProcess.current(), is_current=True))
        .order_by(Survey.imported_at, Survey.id)).all()
    if not surveys:
        return ()
    from planner.surveys.models import CommentCoding

    counts = {survey_id: (total, coded) for survey_id, total, coded in db.session.execute(
        select(SurveyComment.survey_id, func.count(func.distinct(SurveyComment.id)),
               func.count(func.distinct(CommentCoding.comment_id)))
        .outerjoin(CommentCoding, CommentCoding.comment_id == SurveyComment.id)
        .group_by(SurveyComment.survey_id))}
    return tuple(_facts_of(survey, *counts.get(survey.id, (0, 0))) for survey in surveys)


def _facts_of(survey, comments: int, coded: int = 0) -> SurveyFacts:
    from planner.surveys.results import survey_results

    results = survey_results(survey)
    return SurveyFacts(
        survey_id=survey.id,
        title=survey.title,
        wave=survey.wave or "",
        starts_on=survey.starts_on,
        ends_on=survey.ends_on,
        participants=survey.response_count,
        comments=comments,
        key_figures=key_figures(survey, results),
        charts=survey_charts(survey, results),
        coded_comments=coded,
    )


def answer_label(question: str, option: str) -> str:
    """A key figure's label: the question and the answer ("Wie sollen Services angeboten werden: online"); after a
    question mark without the colon ("Welche Bereiche sollen Priorität haben? Mobilität", not "haben?: ")."""
    question = question.rstrip()
    return f"{question} {option}" if question.endswith(("?", ":", "!")) else f"{question}: {option}"


def key_figures(survey, results) -> tuple[KeyFigure, ...]:
    """Headline figures: the mapped ones (question.headline = {label, options}) or each choice's top answer."""
    from planner.surveys.models import QuestionKind
    from planner.surveys.results import top_rows

    by_key = {q.key: q for q in survey.questions}
    items: list[KeyFigure] = []
    for result in results:
        question = by_key[result.key]
        if not result.answered:
            continue
        spec = question.headline or None
        if spec and spec.get("options"):
            wanted = set(spec["options"])
            count = sum(r.count for r in result.rows if r.label in wanted)
            items.append(KeyFigure(spec.get("label") or result.text, "share", count, result.share_base))
        elif result.kind == QuestionKind.SINGLE and result.rows:
            top = top_rows(result)[0]
            items.append(KeyFigure(answer_label(result.text, top.label), "share", top.count, result.answered))
        elif result.kind == QuestionKind.MULTIPLE and result.rows:
            for row in top_rows(result)[:3]:
                items.append(KeyFigure(answer_label(result.text, row.label), "share", row.count, result.share_base))
        elif result.kind == QuestionKind.RATING and spec is None and question.field_id is None:
            items.append(KeyFigure(result.text, "mean", base=result.answered, mean=result.mean, scale=result.scale))
    return tuple(items)


def headline(survey, results) -> tuple[tuple[str, str], ...]:
    """The key figures as (label, formatted value) in the current locale: the survey's own result page."""
    items = []
    for figure in key_figures(survey, results):
        if figure.kind == "share":
            items.append((figure.label, format_percent(figure.share or 0)))
        else:
            items.append((figure.label, _("mean %(mean)s of %(scale)s", mean=format_decimal(figure.mean or 0, "0.0"),
                                          scale=figure.scale)))
    return tuple(items)


def survey_charts(survey, results) -> tuple[SurveyChart, ...]:
    """The paper's charts of a survey: the field ratings in one chart, then each other question but the
    demographic ones."""
    from planner.surveys.models import QuestionKind
    from planner.surveys.results import top_rows

    by_key = {q.key: q for q in survey.questions}
    charts: list[SurveyChart] = []
    rated = [(by_key[r.key].field.code, r) for r in results
             if r.kind == QuestionKind.RATING and r.mean is not None and by_key[r.key].field_id is not None]
    combined = len(rated) >= 2
    if combined:
        rated.sort(key=lambda item: -item[1].mean)
        charts.append(SurveyChart(
            kind="field_ratings", question="", base=max(r.answered for _c, r in rated),
            categories=tuple(code for code, _r in rated), values=tuple(float(r.mean) for _c, r in rated),
            scale=max(r.scale or 5 for _c, r in rated)))
    for result in results:
        if not result.answered or result.kind == QuestionKind.DEMOGRAPHIC:
            continue
        if result.kind == QuestionKind.RATING and combined and by_key[result.key].field_id is not None:
            continue
        if result.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            rows = top_rows(result) if result.kind == QuestionKind.MULTIPLE else list(result.rows)
            base = result.share_base  # a tick box's share as its key figure has it: of all complete responses
            charts.append(SurveyChart("choice", result.text, base, tuple(r.label for r in rows),
                                      tuple(r.count / base for r in rows)))
        elif result.kind == QuestionKind.RATING:
            charts.append(SurveyChart("rating", result.text, result.answered, tuple(r.label for r in result.rows),
                                      tuple(r.count / result.answered for r in result.rows), scale=result.scale,
                                      mean=result.mean))
        elif result.kind == QuestionKind.RANKING:
            charts.append(SurveyChart("ranking", result.text, result.answered, tuple(r.label for r in result.rows),
                                      tuple(float(r.mean) if r.mean is not None else 0.0 for r in result.rows)))
    return tuple(charts)


def priority_facts(run_id: int | None = None) -> PriorityFacts | None:
    """A frozen prioritisation run; None → the latest frozen run (None when there is none)."""
    from planner.surveys.models import PriorityRun
    from planner.surveys.prioritisation import WEIGHT_KEYS

    if run_id is None:
        stmt = select(PriorityRun).order_by(PriorityRun.frozen_at.desc(), PriorityRun.id.desc())
        run = db.session.scalars(stmt).first()
    else:
        run = db.session.get(PriorityRun, run_id)
    if run is None:
        return None
    results = run.results or {}
    return PriorityFacts(
        run_id=run.id,
        name=run.name,
        frozen_at=run.frozen_at,
        weights=tuple((key, float((run.weights or {}).get(key, 0))) for key in WEIGHT_KEYS),
        fields=tuple(
            FieldPriority(
                field_code=item["field_code"],
                score=float(item["score"]),
                rank=int(item["rank"]),
                citizen_score=item.get("citizen"),
                expert_score=item.get("expert"),
                coverage=item.get("coverage"),
            )
            for item in results.get("fields", [])
        ),
        measures=tuple(
            MeasurePriority(measure_id=int(item["measure_id"]), score=float(item["score"]), rank=int(item["rank"]),
                            citizen_score=item.get("citizen"), expert_score=item.get("expert"),
                            coverage=item.get("coverage"))
            for item in results.get("measures", [])
        ),
    )


def need_sources() -> dict[int, tuple[int, str]]:
    """Need finding id → (survey comment id, excerpt of at most 200 characters)."""
    from planner.surveys.models import SurveyComment

    rows = db.session.execute(
        select(SurveyComment.need_id, SurveyComment.id, SurveyComment.text)
        .where(SurveyComment.need_id.is_not(None))
        .order_by(SurveyComment.id)
    ).all()
    sources: dict[int, tuple[int, str]] = {}
    for need_id, comment_id, text in rows:
        sources.setdefault(need_id, (comment_id, excerpt(text)))
    return sources


def excerpt(text: str, limit: int = 200) -> str:
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class FieldCommentFacts:
    """What citizens wrote about an action field (comment coding): how many comments, the main sub-codes (label,
    count) and up to three representative comments, shortened, without names (the import redacted addresses)."""

    field_code: str
    comments: int
    topics: tuple[tuple[str, int], ...]
    quotes: tuple[str, ...]


QUOTE_CHARS = 220


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    """The text up to ``limit`` characters, cut at a word and ended with an ellipsis when it was longer."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:–- ")
    return f"{cut} …"


def field_comment_facts(process=None, instance_path: str | None = None) -> dict[str, FieldCommentFacts]:
    """Per action field code: the coded comments of the process's surveys (a comment counts once per field)."""
    from planner.fields.models import ActionField, StrategyProcess, in_process
    from planner.surveys import coding
    from planner.surveys.models import CommentCode, CommentCoding, Survey, SurveyComment

    # One query (the paper's query count stays bounded); a second only when comments are coded.
    rows = db.session.execute(
        select(CommentCoding.comment_id, CommentCode.field_id, CommentCode.slug, CommentCode.label,
               SurveyComment.survey_id)
        .join(CommentCode, CommentCode.id == CommentCoding.code_id)
        .join(SurveyComment, SurveyComment.id == CommentCoding.comment_id)
        .join(Survey, Survey.id == SurveyComment.survey_id)
        .where(in_process(Survey.process_id, process or StrategyProcess.current(), is_current=True))).all()
    if not rows:
        return {}
    code_of = dict(db.session.execute(select(ActionField.id, ActionField.code)).all())
    comments_of: dict[int, dict[int, int]] = defaultdict(dict)  # field → comment → survey
    topic_counts: dict[int, Counter] = defaultdict(Counter)
    for comment_id, field_id, slug, label, survey_id in rows:
        comments_of[field_id][comment_id] = survey_id
        if slug:
            topic_counts[field_id][label] += 1
    result = {}
    for field_id, comments in comments_of.items():
        code = code_of.get(field_id)
        if code is None:
            continue
        quotes = coding.quotes_for(comments, instance_path)
        result[code] = FieldCommentFacts(
            field_code=code, comments=len(comments),
            topics=tuple(topic_counts[field_id].most_common(3)),
            quotes=tuple(shorten(q) for q in quotes))
    return result
