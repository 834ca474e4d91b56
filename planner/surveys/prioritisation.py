"""Priority scores for action fields and measures: citizens' importance combined with expert ratings.

score = Σ wₖ·sₖ / Σ wₖ over the criteria k an item has (citizens, impact, feasibility, cost, urgency);
each sₖ lies in 0..1. ``gather()`` reads the database once; ``score_items()`` is pure, so the sensitivity
analysis can recompute the ranking many times without touching the database.
"""

from dataclasses import dataclass, field

from flask_babel import format_percent
from flask_babel import gettext as _
from sqlalchemy import select

from planner.extensions import db
from planner.surveys.models import (
    WEIGHT_KEYS,
    ExpertRating,
    PriorityWeights,
    QuestionKind,
    Survey,
    SurveyQuestion,
)
from planner.surveys.results import results_in_one_pass

EXPERT_KEYS = ("impact", "feasibility", "cost", "urgency")
DEFAULT_WEIGHTS = {"citizen": 0.4, "impact": 0.2, "feasibility": 0.15, "cost": 0.1, "urgency": 0.15}
EXCLUDED_MEASURE_STATUSES = ("rejected", "merged")


@dataclass
class Item:
    kind: str  # "field" | "measure"
    id: int
    code: str
    label: str
    field_code: str
    components: dict[str, float] = field(default_factory=dict)  # criterion → 0..1
    citizen_inherited: bool = False
    score: float = 0.0
    expert: float | None = None
    rank: int = 0

    @property
    def citizen(self) -> float | None:
        return self.components.get("citizen")


def normalise_rating(value: int, criterion: str) -> float:
    """Expert ratings 1–5 to 0..1; cost is reversed (cheap is better)."""
    return (5 - value) / 4 if criterion == "cost" else (value - 1) / 4


def current_weights() -> dict[str, float]:
    row = db.session.scalars(select(PriorityWeights).order_by(PriorityWeights.id)).first()
    return row.as_dict() if row else dict(DEFAULT_WEIGHTS)


def citizen_signals() -> tuple[dict[int, list[float]], dict[int, list[float]]]:
    """Field id → signals and measure id → signals (each 0..1) from every mapped question of every survey."""
    from planner.fields.models import ActionField

    code_to_id = dict(db.session.execute(select(ActionField.code, ActionField.id)).all())
    fields: dict[int, list[float]] = {}
    measures: dict[int, list[float]] = {}
    questions = db.session.scalars(
        select(SurveyQuestion).join(Survey).order_by(Survey.id, SurveyQuestion.position)
    ).all()
    used = [q for q in questions
            if (q.field_id or q.measure_id or q.option_fields or q.option_measures)
            and q.kind not in (QuestionKind.TEXT, QuestionKind.IGNORE, QuestionKind.DEMOGRAPHIC)]
    results: dict[int, dict] = {}
    for survey_id in dict.fromkeys(q.survey_id for q in used):  # one read of each survey's responses
        results[survey_id] = results_in_one_pass(survey_id, [q for q in used if q.survey_id == survey_id])
    for question in used:
        result = results[question.survey_id][question.key]
        if not result.answered:
            continue
        if question.kind == QuestionKind.RATING and result.mean is not None:
            value = (result.mean - 1) / ((result.scale or 5) - 1)
            if question.field_id:
                fields.setdefault(question.field_id, []).append(value)
            if question.measure_id:
                measures.setdefault(question.measure_id, []).append(value)
            continue
        option_count = len(question.options)
        for row in result.rows:
            if question.kind == QuestionKind.RANKING:
                if row.mean is None or option_count < 2:
                    continue
                value = (option_count - row.mean) / (option_count - 1)
            else:
                value = row.share or 0.0
            code = (question.option_fields or {}).get(row.label)
            if code and code in code_to_id:
                fields.setdefault(code_to_id[code], []).append(value)
            measure_id = (question.option_measures or {}).get(row.label)
            if measure_id:
                measures.setdefault(int(measure_id), []).append(value)
    return fields, measures


def gather() -> tuple[list[Item], list[Item]]:
    """Every action field and every open measure with its criteria (0..1), not yet scored."""
    from planner.fields.models import ActionField
    from planner.findings.models import Measure

    field_signals, measure_signals = citizen_signals()
    ratings = db.session.scalars(select(ExpertRating)).all()
    by_field = {r.field_id: r for r in ratings if r.field_id}
    by_measure = {r.measure_id: r for r in ratings if r.measure_id}

    fields = []
    field_citizen: dict[int, float] = {}
    for f in db.session.scalars(select(ActionField).order_by(ActionField.position, ActionField.id)):
        item = Item("field", f.id, f.code, f.name, f.code)
        if field_signals.get(f.id):
            item.components["citizen"] = sum(field_signals[f.id]) / len(field_signals[f.id])
            field_citizen[f.id] = item.components["citizen"]
        _add_ratings(item, by_field.get(f.id))
        fields.append(item)

    measures = []
    code_of = {f.id: f.code for f in fields}
    stmt = (
        select(Measure.id, Measure.number, Measure.title, Measure.field_id)
        .where(Measure.status.not_in(EXCLUDED_MEASURE_STATUSES))
        .order_by(Measure.field_id, Measure.id)
    )
    for m in db.session.execute(stmt):  # plain rows: thousands of measures without building ORM objects
        item = Item("measure", m.id, measure_code(m), m.title, code_of.get(m.field_id, ""))
        if measure_signals.get(m.id):
            item.components["citizen"] = sum(measure_signals[m.id]) / len(measure_signals[m.id])
        elif m.field_id in field_citizen:
            item.components["citizen"] = field_citizen[m.field_id]
            item.citizen_inherited = True
        _add_ratings(item, by_measure.get(m.id))
        measures.append(item)
    return fields, measures


def measure_code(measure) -> str:
    """The measure's stable number when the findings package provides one (e.g. MOB-M03), else M<id>."""
    return getattr(measure, "code", None) or getattr(measure, "number", None) or f"M{measure.id}"


def _add_ratings(item: Item, rating: ExpertRating | None) -> None:
    if rating is None:
        return
    for key in EXPERT_KEYS:
        value = getattr(rating, key)
        if value is not None:
            item.components[key] = normalise_rating(value, key)


def _scores(items: list[Item], weights: dict[str, float]) -> list[float]:
    """Each item's score: the weighted mean of its criteria, criteria with weight 0 left out."""
    active = {k: w for k, w in weights.items() if w > 0}
    scores = []
    for item in items:
        total = weighted = 0.0
        for key, value in item.components.items():
            weight = active.get(key)
            if weight:
                total += weight
                weighted += weight * value
        scores.append(weighted / total if total else 0.0)
    return scores


def _code_order(items: list[Item]) -> list[int]:
    return sorted(range(len(items)), key=lambda i: (items[i].code, items[i].id))


def _ranking(code_order: list[int], scores: list[float]) -> list[int]:
    """Item indices best first; ties keep ``code_order`` (by code, then id) as the sort is stable."""
    rounded = [-round(score, 9) for score in scores]
    return sorted(code_order, key=rounded.__getitem__)


def score_items(items: list[Item], weights: dict[str, float]) -> list[Item]:
    """Scores and ranks (1 = highest priority; ties broken by code). Returns new items, best first."""
    scores = _scores(items, weights)
    expert_weights = {k: weights[k] for k in EXPERT_KEYS if weights.get(k, 0) > 0}
    scored = []
    for rank, index in enumerate(_ranking(_code_order(items), scores), start=1):
        item = items[index]
        expert_total = expert_sum = 0.0
        for key, weight in expert_weights.items():
            if key in item.components:
                expert_total += weight
                expert_sum += weight * item.components[key]
        scored.append(Item(item.kind, item.id, item.code, item.label, item.field_code, dict(item.components),
                           item.citizen_inherited, scores[index], expert_sum / expert_total if expert_total else None,
                           rank))
    return scored


def prioritise(weights: dict[str, float] | None = None) -> tuple[list[Item], list[Item]]:
    weights = weights or current_weights()
    fields, measures = gather()
    return score_items(fields, weights), score_items(measures, weights)


@dataclass(frozen=True)
class Sensitivity:
    item: Item
    base_rank: int
    min_rank: int
    max_rank: int

    @property
    def is_stable(self) -> bool:
        return self.base_rank - self.min_rank <= 1 and self.max_rank - self.base_rank <= 1


SENSITIVITY_STEPS = (-0.2, -0.1, 0.1, 0.2)


def weight_variations(weights: dict[str, float]) -> list[dict[str, float]]:
    """Each weight moved by ±0.1 and ±0.2 (never below 0), the others unchanged."""
    variations = []
    for key in WEIGHT_KEYS:
        for step in SENSITIVITY_STEPS:
            varied = dict(weights)
            varied[key] = max(0.0, round(weights[key] + step, 4))
            if varied != weights and sum(varied.values()) > 0:
                variations.append(varied)
    return variations


def sensitivity(items: list[Item], weights: dict[str, float]) -> list[Sensitivity]:
    """Every item's rank at the current weights and its lowest and highest rank across the variations."""
    base = score_items(items, weights)
    position = {(item.kind, item.id): index for index, item in enumerate(items)}
    lowest = [0] * len(items)
    highest = [0] * len(items)
    for item in base:
        index = position[(item.kind, item.id)]
        lowest[index] = highest[index] = item.rank
    code_order = _code_order(items)
    for varied in weight_variations(weights):
        for rank, index in enumerate(_ranking(code_order, _scores(items, varied)), start=1):
            lowest[index] = min(lowest[index], rank)
            highest[index] = max(highest[index], rank)
    return [
        Sensitivity(item, item.rank, lowest[position[(item.kind, item.id)]], highest[position[(item.kind, item.id)]])
        for item in base
    ]


def formula_text(weights: dict[str, float]) -> str:
    """The formula in words, with the weights as shares, in the current locale."""
    total = sum(float(weights.get(k, 0)) for k in WEIGHT_KEYS) or 1.0

    def share(key):
        return format_percent(float(weights.get(key, 0)) / total)

    return _(
        "Priority score = weighted mean of five criteria, each scaled to 0–1: citizens' importance "
        "%(citizen)s, impact %(impact)s, feasibility %(feasibility)s, cost %(cost)s (lower cost scores "
        "higher) and urgency %(urgency)s. Expert ratings 1–5 become (rating − 1) ÷ 4, cost (5 − rating) ÷ 4. "
        "Citizens' importance is the mean of the mapped survey questions of all imported surveys: a mean "
        "rating becomes (mean − 1) ÷ (scale − 1), a choice the share of respondents naming it, a ranking "
        "(options − average rank) ÷ (options − 1); a measure without its own question takes its field's "
        "value. Criteria without data are left out and the remaining weights rescaled.",
        citizen=share("citizen"), impact=share("impact"), feasibility=share("feasibility"),
        cost=share("cost"), urgency=share("urgency"),
    )
