"""Priority scores for action fields and measures: what citizens said combined with the experts' ratings.

Every indicator is put on a 0–1 scale of its own before anything is combined, its direction respected:

- a rating question linked to a field or measure: the share of its top two boxes ("wichtig"/"sehr wichtig"; for
  a school grade 1 and 2) among those who answered — or, as the alternative method, the rescaled mean;
- a ticked option (multiple or single choice): the share of all complete responses that ticked it;
- a ranked option: its Borda share — each respondent gives m points to their first choice, m − 1 to the second
  and so on (m ranks); the option's points divided by the most it could have had, m × all complete responses.

The citizen score of an item is the mean of its indicators. A measure gets citizen evidence only through what
is linked to it (never from its field). The expert score is the weighted mean of the ratings 1–5 it has (each
rescaled to 0–1, cost reversed), or none: "nicht bewertet". The blended score is the weighted mean of the
criteria an item has; its coverage is the share of the weights those criteria carry. Items not rated by the
experts on every weighted criterion rank after those that are ("never above fully rated ones").

``gather()`` reads the database once; ``score_items()`` is pure, so the sensitivity analysis recomputes rankings
many times without touching the database.
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
from planner.surveys.results import QuestionResult, breakdown, results_in_one_pass

EXPERT_KEYS = ("impact", "feasibility", "cost", "urgency")
DEFAULT_WEIGHTS = {"citizen": 0.4, "impact": 0.2, "feasibility": 0.15, "cost": 0.1, "urgency": 0.15}
EXCLUDED_MEASURE_STATUSES = ("rejected", "merged")
METHODS = ("top_two", "mean")  # how a rating becomes 0–1
MIN_GROUP = 30  # groups with fewer respondents are not shown (no person can be singled out)


@dataclass
class Item:
    kind: str  # "field" | "measure"
    id: int
    code: str
    label: str
    field_code: str
    components: dict[str, float] = field(default_factory=dict)  # criterion → 0..1 ("citizen" and the expert keys)
    citizen_inherited: bool = False  # kept for frozen runs made before measures stopped inheriting
    score: float = 0.0  # the blended score
    expert: float | None = None  # None: not rated by the experts
    rank: int = 0
    coverage: float = 0.0  # share of the weights carried by the criteria the item has
    fully_rated: bool = False  # every weighted expert criterion rated
    indicators: int = 0  # how many survey indicators make up the citizen score

    @property
    def citizen(self) -> float | None:
        return self.components.get("citizen")


def normalise_rating(value: int, criterion: str) -> float:
    """Expert ratings 1–5 to 0..1; cost is reversed (cheap is better)."""
    return (5 - value) / 4 if criterion == "cost" else (value - 1) / 4


def current_weights() -> dict[str, float]:
    row = db.session.scalars(select(PriorityWeights).order_by(PriorityWeights.id)).first()
    return row.as_dict() if row else dict(DEFAULT_WEIGHTS)


def counting_survey_ids() -> list[int]:
    """The surveys that count in the prioritisation unless a run names others (the main waves, not a pilot)."""
    return list(db.session.scalars(select(Survey.id).where(Survey.counts_in_priorities.is_(True)).order_by(Survey.id)))


# --- indicators: one survey question's answers on 0–1 -----------------------------------------------------------

def rating_indicator(result: QuestionResult, direction: str, method: str = "top_two") -> float | None:
    """A rating on 0–1: the share of the two best boxes among those who answered, or the rescaled mean."""
    if not result.answered or not result.scale or result.scale < 2:
        return None
    scale = result.scale
    lower_is_better = direction == "lower"
    if method == "mean":
        if result.mean is None:
            return None
        value = (result.mean - 1) / (scale - 1)
        return 1 - value if lower_is_better else value
    best = {"1", "2"} if lower_is_better else {str(scale - 1), str(scale)}
    return sum(row.count for row in result.rows if row.label in best) / result.answered


def option_indicators(question: SurveyQuestion, result: QuestionResult, n: int) -> dict[str, float]:
    """Per option label: ticks as the share of all complete responses; ranks as the Borda share."""
    if not n:
        return {}
    if question.kind == QuestionKind.RANKING:
        ranks = max(len(question.columns), 1)
        values = {}
        for row in result.rows:
            if row.count and row.mean is not None:
                points = row.count * (ranks + 1) - row.count * row.mean  # Σ (m + 1 − rank)
                values[row.label] = max(0.0, points / (ranks * n))
            else:
                values[row.label] = 0.0
        return values
    return {row.label: row.count / n for row in result.rows}


@dataclass
class Signals:
    fields: dict[int, list[float]]
    measures: dict[int, list[float]]


def _linked(questions) -> list[SurveyQuestion]:
    return [q for q in questions
            if (q.field_id or q.measure_id or q.option_fields or q.option_measures)
            and q.kind not in (QuestionKind.TEXT, QuestionKind.IGNORE, QuestionKind.DEMOGRAPHIC)]


def _add(signals: Signals, question: SurveyQuestion, result: QuestionResult, n: int, method: str,
         code_to_id: dict[str, int]) -> None:
    if not result.answered:
        return
    if question.kind == QuestionKind.RATING:
        value = rating_indicator(result, question.direction, method)
        if value is None:
            return
        if question.field_id:
            signals.fields.setdefault(question.field_id, []).append(value)
        if question.measure_id:
            signals.measures.setdefault(question.measure_id, []).append(value)
        return
    for label, value in option_indicators(question, result, n).items():
        code = (question.option_fields or {}).get(label)
        if code and code in code_to_id:
            signals.fields.setdefault(code_to_id[code], []).append(value)
        measure_id = (question.option_measures or {}).get(label)
        if measure_id:
            signals.measures.setdefault(int(measure_id), []).append(value)


def _questions(survey_ids: list[int]) -> list[SurveyQuestion]:
    if not survey_ids:
        return []
    return _linked(db.session.scalars(
        select(SurveyQuestion).join(Survey).where(Survey.id.in_(survey_ids))
        .order_by(Survey.id, SurveyQuestion.position)
    ).all())


def _code_to_id() -> dict[str, int]:
    from planner.fields.models import ActionField

    return dict(db.session.execute(select(ActionField.code, ActionField.id)).all())


def citizen_signals(survey_ids: list[int] | None = None, method: str = "top_two") -> Signals:
    """Field id → indicators and measure id → indicators (each 0..1) from the linked questions of the surveys."""
    survey_ids = counting_survey_ids() if survey_ids is None else survey_ids
    used = _questions(survey_ids)
    code_to_id = _code_to_id()
    signals = Signals({}, {})
    for survey_id in dict.fromkeys(q.survey_id for q in used):  # one read of each survey's responses
        questions = [q for q in used if q.survey_id == survey_id]
        results = results_in_one_pass(survey_id, questions)
        for question in questions:
            result = results[question.key]
            _add(signals, question, result, result.n, method, code_to_id)
    return signals


def group_signals(survey_ids: list[int] | None = None, method: str = "top_two") -> dict[tuple[str, str], Signals]:
    """The same indicators per group of every demographic question (district, age group): (question text, group)
    → signals. Groups with fewer than MIN_GROUP respondents are left out."""
    survey_ids = counting_survey_ids() if survey_ids is None else survey_ids
    used = _questions(survey_ids)
    if not used:
        return {}
    code_to_id = _code_to_id()
    demographics = db.session.scalars(
        select(SurveyQuestion).where(SurveyQuestion.survey_id.in_(survey_ids),
                                     SurveyQuestion.kind == QuestionKind.DEMOGRAPHIC)
        .order_by(SurveyQuestion.survey_id, SurveyQuestion.position)
    ).all()
    groups: dict[tuple[str, str], Signals] = {}
    for by in demographics:
        for question in (q for q in used if q.survey_id == by.survey_id):
            for group in breakdown(question, by):
                if group.n < MIN_GROUP:
                    continue
                signals = groups.setdefault((by.text, group.label), Signals({}, {}))
                _add(signals, question, group.result, group.n, method, code_to_id)
    return groups


# --- items ------------------------------------------------------------------------------------------------------

def gather(survey_ids: list[int] | None = None, method: str = "top_two",
           signals: Signals | None = None) -> tuple[list[Item], list[Item]]:
    """Every action field and every open measure with its criteria (0..1), not yet scored."""
    from planner.fields.models import ActionField
    from planner.findings.models import Measure

    signals = signals or citizen_signals(survey_ids, method)
    ratings = db.session.scalars(select(ExpertRating)).all()
    by_field = {r.field_id: r for r in ratings if r.field_id}
    by_measure = {r.measure_id: r for r in ratings if r.measure_id}

    fields = []
    for f in db.session.scalars(select(ActionField).order_by(ActionField.position, ActionField.id)):
        item = Item("field", f.id, f.code, f.name, f.code)
        _add_citizen(item, signals.fields.get(f.id))
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
        _add_citizen(item, signals.measures.get(m.id))
        _add_ratings(item, by_measure.get(m.id))
        measures.append(item)
    return fields, measures


def with_citizen(items: list[Item], signals: dict[int, list[float]]) -> list[Item]:
    """The items with their citizen criterion replaced by these signals (a group's, another method's)."""
    copies = []
    for item in items:
        components = {k: v for k, v in item.components.items() if k != "citizen"}
        copy = Item(item.kind, item.id, item.code, item.label, item.field_code, components)
        _add_citizen(copy, signals.get(item.id))
        copies.append(copy)
    return copies


def _add_citizen(item: Item, values: list[float] | None) -> None:
    if values:
        item.components["citizen"] = sum(values) / len(values)
        item.indicators = len(values)


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


# --- scoring ------------------------------------------------------------------------------------------------------

def _scores(items: list[Item], weights: dict[str, float]) -> list[float]:
    """Each item's blended score: the weighted mean of its criteria, criteria with weight 0 left out."""
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


def _fully_rated(item: Item, weights: dict[str, float]) -> bool:
    weighted = [k for k in EXPERT_KEYS if weights.get(k, 0) > 0]
    return all(k in item.components for k in weighted)


def _code_order(items: list[Item]) -> list[int]:
    return sorted(range(len(items)), key=lambda i: (items[i].code, items[i].id))


def _ranking(code_order: list[int], scores: list[float], tiers: list[int] | None = None) -> list[int]:
    """Item indices best first: fully rated items before the others (``tiers``), then by score; ties keep
    ``code_order`` (by code, then id) as the sort is stable."""
    rounded = [-round(score, 9) for score in scores]
    if tiers is None:
        return sorted(code_order, key=rounded.__getitem__)
    return sorted(code_order, key=lambda i: (tiers[i], rounded[i]))


def _tiers(items: list[Item], weights: dict[str, float], unrated_last: bool) -> list[int] | None:
    if not unrated_last:
        return None
    return [0 if _fully_rated(item, weights) else 1 for item in items]


def score_items(items: list[Item], weights: dict[str, float], unrated_last: bool = True) -> list[Item]:
    """Scores and ranks (1 = highest priority; ties broken by code). Returns new items, best first."""
    scores = _scores(items, weights)
    expert_weights = {k: weights[k] for k in EXPERT_KEYS if weights.get(k, 0) > 0}
    all_weight = sum(w for w in weights.values() if w > 0) or 1.0
    scored = []
    order = _ranking(_code_order(items), scores, _tiers(items, weights, unrated_last))
    for rank, index in enumerate(order, start=1):
        item = items[index]
        expert_total = expert_sum = 0.0
        for key, weight in expert_weights.items():
            if key in item.components:
                expert_total += weight
                expert_sum += weight * item.components[key]
        coverage = sum(weights.get(k, 0) for k in item.components if weights.get(k, 0) > 0) / all_weight
        scored.append(Item(item.kind, item.id, item.code, item.label, item.field_code, dict(item.components),
                           item.citizen_inherited, scores[index], expert_sum / expert_total if expert_total else None,
                           rank, coverage, _fully_rated(item, weights), item.indicators))
    return scored


def prioritise(weights: dict[str, float] | None = None, survey_ids: list[int] | None = None,
               method: str = "top_two") -> tuple[list[Item], list[Item]]:
    weights = weights or current_weights()
    fields, measures = gather(survey_ids, method)
    return score_items(fields, weights), score_items(measures, weights)


# --- sensitivity ------------------------------------------------------------------------------------------------

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
    """Every item's rank at the current weights and its lowest and highest rank across the weight variations."""
    base = score_items(items, weights)
    position = {(item.kind, item.id): index for index, item in enumerate(items)}
    lowest = [0] * len(items)
    highest = [0] * len(items)
    for item in base:
        index = position[(item.kind, item.id)]
        lowest[index] = highest[index] = item.rank
    code_order = _code_order(items)
    for varied in weight_variations(weights):
        order = _ranking(code_order, _scores(items, varied), _tiers(items, varied, True))
        for rank, index in enumerate(order, start=1):
            lowest[index] = min(lowest[index], rank)
            highest[index] = max(highest[index], rank)
    return [
        Sensitivity(item, item.rank, lowest[position[(item.kind, item.id)]], highest[position[(item.kind, item.id)]])
        for item in base
    ]


def citizen_only(weights: dict[str, float]) -> dict[str, float]:
    return {k: (weights.get("citizen", 0) or 1.0) if k == "citizen" else 0.0 for k in WEIGHT_KEYS}


@dataclass(frozen=True)
class MethodRanks:
    """An item's rank under each method: the current one, the rescaled mean instead of the top two boxes, and
    citizens alone (without the experts)."""

    item: Item
    ranks: dict[str, int]

    @property
    def spread(self) -> int:
        return max(self.ranks.values()) - min(self.ranks.values())


def method_comparison(items: list[Item], weights: dict[str, float], mean_signals: dict[int, list[float]]
                      ) -> list[MethodRanks]:
    """Ranks of the items (fields) under the alternative methods, to show whether the order depends on them."""
    variants = {
        "current": score_items(items, weights),
        "mean": score_items(with_citizen(items, mean_signals), weights),
        "citizens_only": score_items(items, citizen_only(weights), unrated_last=False),
    }
    ranks = {name: {(i.kind, i.id): i.rank for i in ranked} for name, ranked in variants.items()}
    return [MethodRanks(item, {name: ranks[name][(item.kind, item.id)] for name in variants})
            for item in variants["current"]]


@dataclass(frozen=True)
class GroupRanks:
    """An item's rank in each group (district, age group) with enough respondents, and whether it is among the
    top ``top`` in every group or only on average."""

    item: Item
    ranks: dict[tuple[str, str], int]
    top: int

    @property
    def high_everywhere(self) -> bool:
        return bool(self.ranks) and all(rank <= self.top for rank in self.ranks.values())

    @property
    def high_only_on_average(self) -> bool:
        return self.item.rank <= self.top and not self.high_everywhere


def group_comparison(items: list[Item], weights: dict[str, float], groups: dict[tuple[str, str], Signals],
                     top: int = 3) -> list[GroupRanks]:
    """The ranking of fields per group: what ranks high in every group, and what only on average."""
    base = score_items(items, weights)
    per_group = {}
    for key, signals in groups.items():
        ranked = score_items(with_citizen(items, signals.fields), weights)
        per_group[key] = {i.id: i.rank for i in ranked}
    return [GroupRanks(item, {key: ranks[item.id] for key, ranks in per_group.items()}, top) for item in base]


def formula_text(weights: dict[str, float]) -> str:
    """The method in words, with the weights as shares, in the current locale."""
    total = sum(float(weights.get(k, 0)) for k in WEIGHT_KEYS) or 1.0

    def share(key):
        return format_percent(float(weights.get(key, 0)) / total)

    return _(
        "Priority score = weighted mean of five criteria, each scaled to 0–1: citizens' importance "
        "%(citizen)s, impact %(impact)s, feasibility %(feasibility)s, cost %(cost)s (lower cost scores "
        "higher) and urgency %(urgency)s. Expert ratings 1–5 become (rating − 1) ÷ 4, cost (5 − rating) ÷ 4. "
        "Citizens' importance is the mean of the survey indicators linked to the field or measure, each on a 0–1 "
        "scale of its own: a rating question the share of its two best answers among those who answered (for a "
        "school grade 1 and 2), a ticked option the share of all complete responses, a ranked option its Borda "
        "share (points m for a first place down to 1 for place m, divided by m × all complete responses). A "
        "measure counts only the survey answers linked to it. Criteria without data are left out and the remaining "
        "weights rescaled; items not rated by the experts on every criterion rank after the fully rated ones.",
        citizen=share("citizen"), impact=share("impact"), feasibility=share("feasibility"),
        cost=share("cost"), urgency=share("urgency"),
    )
