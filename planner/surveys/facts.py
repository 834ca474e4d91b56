"""What the concept paper reads from the surveys package: immutable facts, no ORM objects.

The contract (planner.strategy codes against exactly these names and fields):
``survey_facts()``, ``priority_facts(run_id=None)``, ``need_sources()`` and the dataclasses below.
Strings are translated in the current locale; call these inside an app (and request or
``force_locale``) context.
"""

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
class SurveyFacts:
    survey_id: int
    title: str
    wave: str
    starts_on: date | None
    ends_on: date | None
    participants: int
    comments: int
    headline: tuple[tuple[str, str], ...]  # (label, formatted value) in the current locale
    charts: tuple[ChartData, ...]


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
    formula: str  # in words, current locale
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
    comment_counts = dict(
        db.session.execute(
            select(SurveyComment.survey_id, func.count()).group_by(SurveyComment.survey_id)
        ).all()
    )
    return tuple(_facts_of(survey, comment_counts.get(survey.id, 0)) for survey in surveys)


def _facts_of(survey, comments: int) -> SurveyFacts:
    from planner.surveys.charts import charts_for
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
        headline=headline(survey, results),
        charts=tuple(charts_for(survey, results)),
    )


def headline(survey, results) -> tuple[tuple[str, str], ...]:
    """Headline figures: the mapped ones (question.headline = {label, options}) or each choice's top answer."""
    from planner.surveys.models import QuestionKind
    from planner.surveys.results import top_rows

    by_key = {q.key: q for q in survey.questions}
    items: list[tuple[str, str]] = []
    for result in results:
        question = by_key[result.key]
        if not result.answered:
            continue
        spec = question.headline or None
        if spec and spec.get("options"):
            wanted = set(spec["options"])
            count = sum(r.count for r in result.rows if r.label in wanted)
            items.append((spec.get("label") or result.text, format_percent(count / (result.share_base or 1))))
        elif result.kind == QuestionKind.SINGLE and result.rows:
            top = top_rows(result)[0]
            items.append((f"{result.text}: {top.label}", format_percent(top.share or 0)))
        elif result.kind == QuestionKind.MULTIPLE and result.rows:
            for row in top_rows(result)[:3]:
                items.append((f"{result.text}: {row.label}", format_percent(row.share or 0)))
        elif result.kind == QuestionKind.RATING and spec is None and question.field_id is None:
            items.append((result.text, _("mean %(mean)s of %(scale)s", mean=format_decimal(result.mean or 0, "0.0"),
                                         scale=result.scale)))
    return tuple(items)


def priority_facts(run_id: int | None = None) -> PriorityFacts | None:
    """A frozen prioritisation run; None → the latest frozen run (None when there is none)."""
    from planner.surveys.models import PriorityRun
    from planner.surveys.prioritisation import formula_text

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
        formula=formula_text(run.weights),
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
