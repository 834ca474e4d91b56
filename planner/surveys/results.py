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


def question_result(question: SurveyQuestion, n: int | None = None, where=None) -> QuestionResult:
    """The result of one question; `where` narrows the respondents (used by breakdowns)."""
    survey_id = question.survey_id
    conditions = [SurveyResponse.survey_id == survey_id]
    if where is not None:
        conditions.append(where)
    if n is None:
        n = db.session.scalar(select(func.count(SurveyResponse.id)).where(*conditions)) or 0
    key = question.key
    kind = question.kind
    if kind in (QuestionKind.SINGLE, QuestionKind.DEMOGRAPHIC):
        value = _answer(key).as_string()
        counts = dict(
            db.session.execute(
                select(value, func.count()).where(*conditions, value.is_not(None)).group_by(value)
            ).all()
        )
        answered = sum(counts.values())
        labels = [o for o in question.options if o in counts] + sorted(o for o in counts if o not in question.options)
        rows = tuple(
            ResultRow(label, counts[label], counts[label] / answered if answered else None) for label in labels
        )
        return QuestionResult(key, question.text, kind, n, answered, rows)
    if kind == QuestionKind.RATING:
        value = _answer(key).as_integer()
        counts = dict(
            db.session.execute(
                select(value, func.count()).where(*conditions, value.is_not(None)).group_by(value)
            ).all()
        )
        answered = sum(counts.values())
        scale = question.scale or 5
        rows = tuple(
            ResultRow(str(v), counts.get(v, 0), counts.get(v, 0) / answered if answered else None)
            for v in range(1, scale + 1)
        )
        mean = sum(v * c for v, c in counts.items()) / answered if answered else None
        return QuestionResult(key, question.text, kind, n, answered, rows, mean=mean, scale=scale)
    if kind == QuestionKind.MULTIPLE:
        sums = [func.count(_answer(option_key(key, i)).as_integer()) for i in range(len(question.options))]
        answered_col = func.count(_answer(key).as_integer())
        values = db.session.execute(select(answered_col, *sums).where(*conditions)).one()
        answered = values[0] or 0
        rows = tuple(
            ResultRow(label, values[i + 1] or 0, (values[i + 1] or 0) / answered if answered else None)
            for i, label in enumerate(question.options)
        )
        return QuestionResult(key, question.text, kind, n, answered, rows)
    if kind == QuestionKind.RANKING:
        columns = []
        for i in range(len(question.options)):
            rank = _answer(option_key(key, i)).as_integer()
            columns += [func.count(rank), func.avg(rank)]
        answered_col = func.count(_answer(key).as_integer())
        values = db.session.execute(select(answered_col, *columns).where(*conditions)).one()
        answered = values[0] or 0
        rows = []
        for i, label in enumerate(question.options):
            count, avg = values[1 + 2 * i] or 0, values[2 + 2 * i]
            share = count / answered if answered else None
            rows.append(ResultRow(label, count, share, float(avg) if avg is not None else None))
        rows.sort(key=lambda r: (r.mean is None, r.mean or 0))
        return QuestionResult(key, question.text, kind, n, answered, tuple(rows))
    if kind == QuestionKind.TEXT:
        from planner.surveys.models import SurveyComment

        answered = db.session.scalar(
            select(func.count(func.distinct(SurveyComment.response_id))).where(
                SurveyComment.survey_id == survey_id, SurveyComment.question_key == key
            )
        ) or 0
        return QuestionResult(key, question.text, kind, n, answered, ())
    return QuestionResult(key, question.text, kind, n, 0, ())


def survey_results(survey: Survey) -> list[QuestionResult]:
    n = response_count(survey.id)
    return [question_result(q, n) for q in survey.questions if q.kind != QuestionKind.IGNORE]


@dataclass(frozen=True)
class BreakdownGroup:
    label: str
    n: int
    result: QuestionResult


def breakdown(question: SurveyQuestion, by: SurveyQuestion) -> list[BreakdownGroup]:
    """The question's result per group of a demographic (or single-choice) question, plus "no answer"."""
    value = _answer(by.key).as_string()
    counts = dict(
        db.session.execute(
            select(value, func.count()).where(SurveyResponse.survey_id == question.survey_id).group_by(value)
        ).all()
    )
    labels = [o for o in by.options if o in counts] + sorted(o for o in counts if o is not None and o not in by.options)
    groups = [
        BreakdownGroup(label, counts[label], question_result(question, counts[label], where=value == label))
        for label in labels
    ]
    return groups


def top_rows(result: QuestionResult) -> list[ResultRow]:
    """Rows sorted by what matters most: share for choices, average rank for rankings."""
    if result.kind == QuestionKind.RANKING:
        return list(result.rows)
    return sorted(result.rows, key=lambda r: -(r.count))
