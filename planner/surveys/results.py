"""Survey results computed in SQL: counts and shares, rating means and distributions, average ranks,
breakdowns by a demographic question. Every function reads; nothing here writes."""

import contextlib
import copy
import hashlib
import json
import logging
import os
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Text, cast, func, select

from planner.extensions import db
from planner.surveys.models import QuestionKind, Survey, SurveyQuestion, SurveyResponse

log = logging.getLogger(__name__)


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
    def share_base(self) -> int:
        """What a share is of: a tick box's ticks of all complete responses; any other answer of those who
        answered the question."""
        return self.n if self.kind == QuestionKind.MULTIPLE else self.answered

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
        # Ticks are a share of all complete responses: who ticked nothing also said no to every option.
        rows = tuple(
            ResultRow(label, values[i + 1] or 0, (values[i + 1] or 0) / n if n else None)
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


def results_in_one_pass(survey_id: int, questions, n: int | None = None) -> dict[str, QuestionResult]:
    """The results of several questions of one survey from one read of its responses.

    The same numbers as `question_result`, which runs one aggregate query per question: each of those parses
    every response's JSON again, so a survey of 100,000 responses and 30 questions took seconds. Here each
    response is parsed once and counted for every question (text questions count their comments in SQL).
    """
    count, last_id = db.session.execute(
        select(func.count(SurveyResponse.id), func.max(SurveyResponse.id)).where(SurveyResponse.survey_id == survey_id)
    ).one()
    n = count if n is None else n
    # All the survey's questions are tallied, whichever were asked for: the pages ask for different subsets.
    every = db.session.scalars(select(SurveyQuestion).where(SurveyQuestion.survey_id == survey_id)).all()
    counted = [q for q in every if q.kind not in (QuestionKind.TEXT, QuestionKind.IGNORE)]
    # Imported responses never change: the tallies are kept per process and in the instance folder, keyed by what
    # they depend on (the database, the imported file and when, the responses, the mapping of the questions).
    origin = db.session.execute(select(Survey.sha256, Survey.imported_at).where(Survey.id == survey_id)).one_or_none()
    cache_key = (str(db.engine.url), survey_id, tuple(origin or ()), count, last_id,
                 tuple((q.key, q.kind, tuple(q.options)) for q in counted))
    with _cache_lock:
        tallies = copy.deepcopy(_tally_cache.get(cache_key))
    if tallies is None:
        stored = _stored_tallies(survey_id, cache_key)
        tallies = stored if stored is not None else _tally(survey_id, counted)
        with _cache_lock:
            _tally_cache[cache_key] = copy.deepcopy(tallies)
            while len(_tally_cache) > 16:
                _tally_cache.popitem(last=False)
        if stored is None:
            _store_tallies(survey_id, cache_key, tallies)
    return _results_from(questions, tallies, n)


_tally_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()


# --- the tallies kept between processes ---------------------------------------------------------------------------
# A survey's tallies depend only on what the cache key names (the responses never change after the import), so they
# are also kept as a small JSON file in the instance folder: the next process (a paper export on the command line,
# the job worker, another gunicorn worker) reads them instead of the 100,000 responses.

def _tally_file(survey_id: int, cache_key) -> Path | None:
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    digest = hashlib.sha256(repr(cache_key).encode("utf-8")).hexdigest()[:32]
    return Path(current_app.instance_path) / "cache" / "survey-tallies" / f"survey-{survey_id}-{digest}.json"


def _stored_tallies(survey_id: int, cache_key) -> dict[str, object] | None:
    path = _tally_file(survey_id, cache_key)
    if path is None or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {key: Counter(dict((k, c) for k, c in value["counter"])) if isinstance(value, dict) else list(value)
                for key, value in data["tallies"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store_tallies(survey_id: int, cache_key, tallies: dict[str, object]) -> None:
    """Writes the file beside the others of the survey (and removes those: they belong to older keys)."""
    path = _tally_file(survey_id, cache_key)
    if path is None:
        return
    data = {"tallies": {key: {"counter": [[k, c] for k, c in value.items()]} if isinstance(value, Counter)
                        else value for key, value in tallies.items()}}
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        part.replace(path)
        for other in path.parent.glob(f"survey-{survey_id}-*.json"):
            if other != path:
                other.unlink(missing_ok=True)
    except OSError as error:
        # Only a cache: the tallies are counted again by the next process. Said, so an unwritable instance folder
        # (every paper export counting the whole survey anew) shows in the log.
        log.warning("survey tallies not kept in %s: %s", path.parent, error)
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)


def _tally(survey_id: int, counted) -> dict[str, object]:
    """One read of the survey's responses: per question its counts (see `results_in_one_pass`).

    The responses are read as JSON text and parsed a few thousand at a time; their (key, type, value) triples are
    counted by ``Counter`` (in C), and each distinct triple is then tallied once with its number of occurrences.
    The type keeps 1, 1.0 and true apart, as the per-answer rules (``str(value)``, ``_integer``) do."""
    tallies: dict[str, object] = {}
    for q in counted:
        if q.kind in (QuestionKind.SINGLE, QuestionKind.DEMOGRAPHIC, QuestionKind.RATING):
            tallies[q.key] = Counter()
        elif q.kind == QuestionKind.MULTIPLE:
            tallies[q.key] = [0] * (1 + len(q.options))
        elif q.kind == QuestionKind.RANKING:
            tallies[q.key] = [0] + [0, 0.0] * len(q.options)  # answered, then (count, sum of ranks) per option
    # Each answer key of a row leads straight to what it counts: (how, tally, position).
    dispatch: dict[str, tuple[str, object, int]] = {}
    for q in counted:
        tally = tallies[q.key]
        if q.kind in (QuestionKind.SINGLE, QuestionKind.DEMOGRAPHIC):
            dispatch[q.key] = ("choice", tally, 0)
        elif q.kind == QuestionKind.RATING:
            dispatch[q.key] = ("rating", tally, 0)
        else:
            dispatch[q.key] = ("count", tally, 0)
            for i in range(len(q.options)):
                dispatch[option_key(q.key, i)] = ("count", tally, i + 1) if q.kind == QuestionKind.MULTIPLE \
                    else ("rank", tally, 1 + 2 * i)

    def add(key, value, times: int = 1) -> None:
        if value is None:
            return
        target = dispatch.get(key)
        if target is None:
            return
        how, tally, position = target
        if how == "count":  # SQL counts the non-null values
            tally[position] += times
        elif how == "choice":
            tally[value if isinstance(value, str) else str(value)] += times
        else:
            number = _integer(value)
            if number is None:
                return
            if how == "rating":
                tally[number] += times
            else:
                tally[position] += times
                tally[position + 1] += number * times

    triples: Counter = Counter()

    def count(answers) -> None:
        if not answers:
            return
        values = answers.values()
        try:
            triples.update(zip(answers.keys(), map(type, values), values, strict=True))
        except TypeError:  # a list or an object among the values: the triples before it are counted already
            done = True
            for key, value in answers.items():
                try:
                    hash(value)
                except TypeError:
                    done = False
                    add(key, value)
                    continue
                if not done:
                    triples[(key, type(value), value)] += 1

    rows = db.session.scalars(
        select(cast(SurveyResponse.answers, Text)).where(SurveyResponse.survey_id == survey_id)
        .execution_options(yield_per=5000))
    for chunk in rows.partitions():
        if all(isinstance(text, str) for text in chunk):
            parsed = json.loads("[" + ",".join(chunk) + "]")
        else:  # a driver that hands over parsed values
            parsed = [json.loads(text) if isinstance(text, str | bytes) else text for text in chunk]
        for answers in parsed:
            count(answers)
    for (key, _type, value), times in triples.items():
        add(key, value, times)
    return tallies


def _results_from(questions, tallies: dict[str, object], n: int) -> dict[str, QuestionResult]:
    results = {}
    for q in questions:
        if q.kind == QuestionKind.IGNORE:
            continue
        if q.key not in tallies:
            results[q.key] = question_result(q, n)
            continue
        tally = tallies[q.key]
        if q.kind == QuestionKind.RANKING:  # the SQL path hands over averages, not sums
            tally = [tally[0]] + [x for i in range(len(q.options)) for x in (
                tally[1 + 2 * i], tally[2 + 2 * i] / tally[1 + 2 * i] if tally[1 + 2 * i] else None)]
        results[q.key] = _build(q, n, dict(tally) if isinstance(tally, Counter) else tally)
    return results


def _integer(value) -> int | None:
    """An answer as SQL's integer cast sees it for counting: numbers and numeric text; None otherwise."""
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def survey_results(survey: Survey) -> list[QuestionResult]:
    results = results_in_one_pass(survey.id, survey.questions)
    return [results[q.key] for q in survey.questions if q.kind != QuestionKind.IGNORE]


@dataclass(frozen=True)
class BreakdownGroup:
    label: str
    n: int
    result: QuestionResult


def breakdown(question: SurveyQuestion, by: SurveyQuestion, order: list[str] | None = None) -> list[BreakdownGroup]:
    """The question's result per group of a demographic (or single-choice) question: two queries whatever the
    number of groups (the group sizes, then the question's aggregates GROUP BY the group).

    ``order``: group labels to put first in this order (the city's districts), the others after them."""
    group = _answer(by.key).as_string()
    survey = SurveyResponse.survey_id == question.survey_id
    counts = dict(db.session.execute(select(group, func.count()).where(survey).group_by(group)).all())
    labels = [o for o in by.options if o in counts] + sorted(o for o in counts if o is not None and o not in by.options)
    if order:
        rank = {name.casefold(): i for i, name in enumerate(order)}
        labels.sort(key=lambda label: rank.get(str(label).casefold(), len(rank)))  # stable: the rest keep theirs
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
