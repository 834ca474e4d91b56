"""Survey results computed in SQL: counts and shares, rating means and distributions, average ranks,
breakdowns by a demographic question. Every function reads; nothing here writes."""

from dataclasses import dataclass

from sqlalchemy import func, select

from planner.extensions import db
from planner.surveys.models import QuestionKind, Survey, SurveyQuestion, SurveyResponse


def option_key(question_key: str, index: int) -> str:
    """The flattened answer key of option `index` (0-based) of a multiple-choice or ranking question."""
    return f"{question_key}_{index}"


@dataclass(frozen=True)
class ResultRow:
    label: str
    count: int
    share: float | None = None  # of those who answered, 0..1
    mean: float | None = None  # average rank (ranking)


@dataclass(frozen=True)
class QuestionResult:
    key: str
    text: str
    kind: QuestionKind
    n: int  # all responses of the survey
    answered: int
    rows: tuple[ResultRow, ...]
    mean: float | None = None  # rating scales
    scale: int | None = None

    @property
    def no_answer(self) -> int:
        return self.n - self.answered

    @property
    def no_answer_share(self) -> float:
        return self.no_answer / self.n if self.n else 0.0


def _answer(key: str):
    return SurveyResponse.answers[key]


def _base(survey_id: int, *columns):
    return select(*columns).where(SurveyResponse.survey_id == survey_id)


def response_count(survey_id: int) -> int:
    return db.session.scalar(_base(survey_id, func.count(SurveyResponse.id))) or 0


def _aggregates(question: SurveyQuestion) -> tuple[list, object | None]:
    """The SELECT columns a question's result needs, and (choices, ratings) the answer value to group by."""
    key = question.key
    if question.kind in (QuestionKind.SINGLE, QuestionKind.DEMOGRAPHIC):
        value = _answer(key).as_string()
        return [value, func.count()], value
    if question.kind == QuestionKind.RATING:
        value = _answer(key).as_integer()
        return [value, func.count()], value
    if question.kind == QuestionKind.MULTIPLE:
        sums = [func.count(_answer(option_key(key, i)).as_integer()) for i in range(len(question.options))]
        return [func.count(_answer(key).as_integer()), *sums], None
    if question.kind == QuestionKind.RANKING:
        columns = [func.count(_answer(key).as_integer())]
        for i in range(len(question.options)):
            rank = _answer(option_key(key, i)).as_integer()
            columns += [func.count(rank), func.avg(rank)]
        return columns, None
    return [], None


def _build(question: SurveyQuestion, n: int, data) -> QuestionResult:
    """A QuestionResult from what `_aggregates` selected: {value: count} for choices and ratings, one row else."""
    key, kind = question.key, question.kind
    if kind in (QuestionKind.SINGLE, QuestionKind.DEMOGRAPHIC):
        counts = data
        answered = sum(counts.values())
        labels = [o for o in question.options if o in counts] + sorted(o for o in counts if o not in question.options)
        rows = tuple(
            ResultRow(label, counts[label], counts[label] / answered if answered else None) for label in labels
        )
        return QuestionResult(key, question.text, kind, n, answered, rows)
    if kind == QuestionKind.RATING:
        counts = data
        answered = sum(counts.values())
        scale = question.scale or 5
        rows = tuple(
            ResultRow(str(v), counts.get(v, 0), counts.get(v, 0) / answered if answered else None)
            for v in range(1, scale + 1)
        )
        mean = sum(v * c for v, c in counts.items()) / answered if answered else None
        return QuestionResult(key, question.text, kind, n, answered, rows, mean=mean, scale=scale)
    if kind == QuestionKind.MULTIPLE:
        values = data
        answered = values[0] or 0
        rows = tuple(
            ResultRow(label, values[i + 1] or 0, (values[i + 1] or 0) / answered if answered else None)
            for i, label in enumerate(question.options)
        )
        return QuestionResult(key, question.text, kind, n, answered, rows)
    if kind == QuestionKind.RANKING:
        values = data
        answered = values[0] or 0
        rows = []
        for i, label in enumerate(question.options):
            count, avg = values[1 + 2 * i] or 0, values[2 + 2 * i]
            share = count / answered if answered else None
            rows.append(ResultRow(label, count, share, float(avg) if avg is not None else None))
        rows.sort(key=lambda r: (r.mean is None, r.mean or 0))
        return QuestionResult(key, question.text, kind, n, answered, tuple(rows))
    return QuestionResult(key, question.text, kind, n, 0, ())


def question_result(question: SurveyQuestion, n: int | None = None, where=None) -> QuestionResult:
    """The result of one question; `where` narrows the respondents."""
    survey_id = question.survey_id
    conditions = [SurveyResponse.survey_id == survey_id]
    if where is not None:
        conditions.append(where)
    if n is None:
        n = db.session.scalar(select(func.count(SurveyResponse.id)).where(*conditions)) or 0
    if question.kind == QuestionKind.TEXT:
        from planner.surveys.models import SurveyComment

        answered = db.session.scalar(
            select(func.count(func.distinct(SurveyComment.response_id))).where(
                SurveyComment.survey_id == survey_id, SurveyComment.question_key == question.key
            )
        ) or 0
        return QuestionResult(question.key, question.text, question.kind, n, answered, ())
    columns, value = _aggregates(question)
    if not columns:
        return _build(question, n, None)
    if value is not None:
        data = dict(db.session.execute(select(*columns).where(*conditions, value.is_not(None)).group_by(value)).all())
    else:
        data = db.session.execute(select(*columns).where(*conditions)).one()
    return _build(question, n, data)


def survey_results(survey: Survey) -> list[QuestionResult]:
    n = response_count(survey.id)
    return [question_result(q, n) for q in survey.questions if q.kind != QuestionKind.IGNORE]


@dataclass(frozen=True)
class BreakdownGroup:
    label: str
    n: int
    result: QuestionResult


def breakdown(question: SurveyQuestion, by: SurveyQuestion) -> list[BreakdownGroup]:
    """The question's result per group of a demographic (or single-choice) question: two queries whatever the
    number of groups (the group sizes, then the question's aggregates GROUP BY the group)."""
    group = _answer(by.key).as_string()
    survey = SurveyResponse.survey_id == question.survey_id
    counts = dict(db.session.execute(select(group, func.count()).where(survey).group_by(group)).all())
    labels = [o for o in by.options if o in counts] + sorted(o for o in counts if o is not None and o not in by.options)
    columns, value = _aggregates(question)
    per_group: dict = {}
    if columns and value is not None:
        rows = db.session.execute(
            select(group, *columns).where(survey, group.is_not(None), value.is_not(None)).group_by(group, value)
        ).all()
        for label, answer, count in rows:
            per_group.setdefault(label, {})[answer] = count
    elif columns:
        for label, *values in db.session.execute(
            select(group, *columns).where(survey, group.is_not(None)).group_by(group)
        ).all():
            per_group[label] = values
    groups = []
    for label in labels:
        data = per_group.get(label)
        if data is None:
            data = {} if value is not None else [0] * len(columns)
            if question.kind == QuestionKind.RANKING:
                data = [0] + [None] * (len(columns) - 1)
        groups.append(BreakdownGroup(label, counts[label], _build(question, counts[label], data)))
    return groups


def top_rows(result: QuestionResult) -> list[ResultRow]:
    """Rows sorted by what matters most: share for choices, average rank for rankings."""
    if result.kind == QuestionKind.RANKING:
        return list(result.rows)
    return sorted(result.rows, key=lambda r: -(r.count))
