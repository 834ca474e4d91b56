"""Column mappings: which columns form which question, of which kind, linked to which field or measure.

A mapping is plain JSON (saved by name, exported for the CLI, reused for the next wave)::

    {"version": 1, "questions": [
        {"key": "q1", "text": "Stadtbezirk", "kind": "demographic", "columns": ["Stadtbezirk"]},
        {"key": "q4", "text": "Mobilität", "kind": "rating", "scale": 5, "columns": ["Q4"], "field": "MOB"},
        {"key": "q5", "text": "Priorität", "kind": "multiple", "columns": ["Q5[SQ001]", "Q5[SQ002]"],
         "options": ["Mobilität", "Bildung"], "option_fields": {"Mobilität": "MOB"}},
        {"key": "q6", "text": "Rangfolge", "kind": "ranking", "layout": "by_rank",
         "columns": ["Q6[1]", "Q6[2]"], "options": ["A", "B"]},
        {"key": "q7", "text": "Anmerkungen", "kind": "text", "columns": ["Q7"]}]}

Columns not named in any question are ignored. ``RowMapper`` turns one row of cells into the flattened
answers stored on ``SurveyResponse`` (see planner.surveys.models) plus comments and row errors.
"""

import json
import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from operator import itemgetter

from flask_babel import lazy_gettext as _l

from planner.core.errors import DomainError
from planner.surveys.importer import RowError, personal_data_reason, redact, system_column
from planner.surveys.models import QuestionKind
from planner.surveys.results import option_key

MAPPING_VERSION = 1
SUBQUESTION_RE = re.compile(r"^(?P<base>.*?)\s*\[(?P<sub>[^\[\]]+)\]$")
YES = {"y", "yes", "ja", "j", "1", "x", "true", "wahr", "ausgewählt", "selected"}
NO = {"", "n", "no", "nein", "0", "false", "falsch", "nicht ausgewählt", "not selected"}
DEMOGRAPHIC_HINTS = re.compile(r"(stadtbezirk|bezirk|district|stadtteil|quartier|alter|age|geschlecht|gender)", re.I)
TEXT_HINTS = re.compile(r"(anmerk|kommentar|sonstig|anregung|freitext|wunsch|wünsche|vorschl|idee|bemerk|hinweis|"
                        r"comment|suggest|remark|feedback|other|anderes)", re.I)
RANKING_HINTS = re.compile(r"(rang|reihenfolge|rangfolge|ranking|rank|priorisier|sortier)", re.I)
# A school grade: 1 = sehr gut … 6 = ungenügend, lower is better.
GRADE_HINTS = re.compile(r"(schulnote|\bnote\b|\bnoten\b|grade|1\s*=\s*sehr gut|1\s*\(sehr gut\))", re.I)
SCALE_HINT = re.compile(r"\b1\s*(?:-|–|bis|to)\s*(\d{1,2})\b")
# "Don't know" and "no answer" are not a point of the scale: the answer counts as missing.
MISSING_ANSWERS = ("weiß nicht", "weiss nicht", "keine angabe", "k. a.", "k.a.", "keine antwort", "don't know",
                   "no answer", "-oth-", "n/a")
MIN_SCALE, MAX_SCALE = 2, 11
OTHER_SUBS = {"other", "comment", "sonstiges"}
MAX_OPTIONS = 60
# A comment is kept whole up to the most an Excel or XLSX cell holds (32,767 characters; far beyond any comment a
# survey form takes), so it also leaves through `suggest-codes` whole. A longer one is shortened to that, marked
# with " […]", and the import's preview names its line (BatchResult.shortened).
MAX_TEXT = 32_767
SHORTENED_MARK = " […]"
MAX_VALUE = 200


class MappingError(DomainError):
    pass


def comment_text(value: str) -> tuple[str, bool]:
    """A free-text answer as stored, and whether it was shortened: addresses redacted, whole up to MAX_TEXT
    characters (else shortened to that and marked)."""
    text = redact(value)
    if len(text) <= MAX_TEXT:
        return text, False
    return text[:MAX_TEXT].rstrip() + SHORTENED_MARK, True


@dataclass(frozen=True)
class ColumnGroup:
    base: str
    columns: tuple[str, ...]
    subs: tuple[str, ...]  # the bracketed part of each column ("" for a plain column)


def group_columns(header: list[str]) -> list[ColumnGroup]:
    """LimeSurvey writes one column per option or rank ("Q3[SQ001]", "Q5[1]"): those form one group."""
    groups: dict[str, list[tuple[str, str]]] = {}
    order: list[str] = []
    for column in header:
        match = SUBQUESTION_RE.match(column)
        base, sub = (match["base"].strip(), match["sub"].strip()) if match and match["base"].strip() else (column, "")
        key = base if sub else f"\0{column}"
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append((column, sub))
    result = []
    for key in order:
        items = groups[key]
        if len(items) == 1 and items[0][1] == "" or key.startswith("\0"):
            result.append(ColumnGroup(items[0][0], (items[0][0],), ("",)))
        else:
            result.append(ColumnGroup(key, tuple(c for c, _s in items), tuple(s for _c, s in items)))
    return result


def _all_int(values: list[str]) -> list[int] | None:
    numbers = []
    for value in values:
        try:
            numbers.append(int(float(value.replace(",", "."))))
        except ValueError:
            return None
        if float(value.replace(",", ".")) != numbers[-1]:
            return None
    return numbers


def _rating_values(values: list[str]) -> tuple[list[int], list[str]] | None:
    """The whole numbers among `values` and the "don't know" answers beside them; None when other text is there."""
    numbers, missing = [], []
    for value in values:
        if value.strip().lower() in MISSING_ANSWERS:
            missing.append(value)
        elif (number := _all_int([value])) is not None:
            numbers += number
        else:
            return None
    return numbers, missing


def _rating(text: str, numbers: list[int], missing: list[str]) -> dict | None:
    """Scale and direction of a rating question from its wording and the values seen; None when it is no rating."""
    if not numbers or min(numbers) < 0:
        return None
    hinted = SCALE_HINT.search(text)
    is_grade = bool(GRADE_HINTS.search(text))
    highest = max(numbers)
    if hinted:
        scale = int(hinted.group(1))
    elif is_grade:
        scale = 6
    else:
        scale = next(s for s in (5, 6, 7, 10, highest) if highest <= s)
    scale = max(scale, highest)
    if not MIN_SCALE <= scale <= MAX_SCALE or min(numbers) < 1:
        return None
    question = {"kind": QuestionKind.RATING.value, "scale": scale, "direction": "lower" if is_grade else "higher"}
    if missing:
        question["missing"] = sorted(set(missing))
    return question


def match_field(label: str, fields: list[dict]) -> str | None:
    """The action field a label names ("Mobilität", "Smarte Mobilität und Infrastruktur", "MOB"), if exactly one."""
    wanted = _words(label)
    if not wanted:
        return None
    hits = []
    for f in fields:
        if label.strip().upper() == f["code"].upper():
            return f["code"]
        names = [_words(f.get("name_de", "")), _words(f.get("name_en", ""))]
        if any(name and (wanted <= name or name <= wanted) for name in names):
            hits.append(f["code"])
    return hits[0] if len(hits) == 1 else None


_STOP = {"und", "and", "smarte", "smart", "smartes", "der", "die", "das", "&", "/", "–", "-"}


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[\wäöüß]+", text.lower()) if w not in _STOP and len(w) > 2}


def _array_items(key: str, group: ColumnGroup, rating: dict, fields: list[dict]) -> list[dict]:
    """An array question (LimeSurvey "Q01[SQ001]", one column per item rated on one scale): one rating per item,
    each linked to the field its label names; ``group`` keeps them together."""
    items = []
    for number, (column, sub) in enumerate(zip(group.columns, group.subs, strict=True), start=1):
        item = {"key": f"{key}s{number}", "text": f"{group.base} [{sub}]", "columns": [column], **rating,
                "group": group.base}
        if code := match_field(sub, fields):
            item["field"] = code
        items.append(item)
    return items


def suggest_questions(key: str, group: ColumnGroup, profiles: dict[str, dict],
                      fields: list[dict] | None = None) -> list[dict]:
    """One question for the group, or one per item for an array question of ratings."""
    fields = fields or []
    if len(group.columns) > 1 and not any(personal_data_reason(c, profiles.get(c)) for c in group.columns):
        values = [v for c in group.columns for v in profiles.get(c, {}).get("values", [])]
        lowered = {v.lower() for v in values}
        found = _rating_values(values)
        if not lowered <= YES | NO and not RANKING_HINTS.search(group.base) and found and _rank_numbers(
                list(group.subs)) is None:
            rating = _rating(group.base, *found)
            if rating:
                return _array_items(key, group, rating, fields)
    question = suggest_question(key, group, profiles)
    if question.get("kind") == QuestionKind.MULTIPLE.value:
        links = {o: code for o in question["options"] if (code := match_field(o, fields))}
        if links:
            question["option_fields"] = links
    elif question.get("kind") == QuestionKind.RANKING.value:
        links = {o: code for o in question.get("options", []) if (code := match_field(o, fields))}
        if links:
            question["option_fields"] = links
    elif question.get("kind") == QuestionKind.RATING.value and (code := match_field(group.base, fields)):
        question["field"] = code
    return [question]


def _rank_numbers(subs: list[str]) -> list[int] | None:
    """The ranks a ranking's columns stand for: "1", "2" (code headings) or "Rang 1", "Rank 2" (full text)."""
    numbers = []
    for sub in subs:
        match = re.fullmatch(r"(?:(?:rang|rank|platz|priorität|priority)\s*)?(\d{1,2})\.?", sub.strip(), re.I)
        if not match:
            return None
        numbers.append(int(match.group(1)))
    return numbers


def _looks_like_free_text(text: str, p: dict) -> bool:
    """Comments: worded as a request for remarks with varied answers, or long and varied answers whatever the
    wording (the first rows of a survey may hold only a handful of comments)."""
    distinct, filled, longest = p.get("distinct", 0), p.get("filled", 0), p.get("max_length", 0)
    if filled and TEXT_HINTS.search(text) and _all_int(p.get("values", [])) is None and (
            longest > 20 or distinct >= 0.5 * filled):
        return True
    return distinct > 30 or longest > 80 or (longest > 25 and distinct >= 0.8 * filled)


def suggest_question(key: str, group: ColumnGroup, profiles: dict[str, dict]) -> dict:
    """A first guess for a group of columns, from its header and the values seen in the first rows."""
    question = {"key": key, "text": group.base, "columns": list(group.columns)}
    flagged = [c for c in group.columns if personal_data_reason(c, profiles.get(c))]
    if flagged or all(system_column(c) for c in group.columns):
        question["kind"] = QuestionKind.IGNORE.value
        return question
    values = [v for c in group.columns for v in profiles.get(c, {}).get("values", [])]
    if len(group.columns) > 1:
        lowered = {v.lower() for v in values}
        ranks = _rank_numbers(list(group.subs))
        if lowered <= YES | NO:
            question.update(kind=QuestionKind.MULTIPLE.value, options=list(group.subs))
        elif ranks and sorted(ranks) == list(range(1, len(ranks) + 1)) and _all_int(values) is None:
            options = list(dict.fromkeys(values))
            question.update(kind=QuestionKind.RANKING.value, layout="by_rank", options=options)
        elif (numbers := _all_int(values)) is not None and numbers and max(numbers) <= len(group.columns):
            question.update(kind=QuestionKind.RANKING.value, layout="by_option", options=list(group.subs))
        else:
            question.update(kind=QuestionKind.SINGLE.value, options=list(dict.fromkeys(values)))
        return question
    column = group.columns[0]
    p = profiles.get(column, {})
    found = _rating_values(p.get("values", []))
    rating = _rating(group.base, *found) if found and found[0] and p.get("distinct", 0) <= MAX_SCALE + 3 else None
    if rating and (rating["direction"] == "lower" or not DEMOGRAPHIC_HINTS.search(group.base)):
        question.update(rating)  # a grade of life "in Ihrem Stadtteil" is a rating, not a district
    elif DEMOGRAPHIC_HINTS.search(group.base):
        question.update(kind=QuestionKind.DEMOGRAPHIC.value, options=natural_order(p.get("values", [])))
    elif _looks_like_free_text(group.base, p):
        question["kind"] = QuestionKind.TEXT.value
    elif p.get("filled", 0) == 0:
        question["kind"] = QuestionKind.IGNORE.value
    else:
        question.update(kind=QuestionKind.SINGLE.value, options=natural_order(p.get("values", [])))
    return question


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10, "xi": 11,
          "xii": 12}


def natural_key(label: str) -> tuple:
    """Categories in their natural order: districts I–IX by their numeral, age groups by their first number
    ("unter 18" before "18–29", "65 und älter" last), anything else alphabetically after them."""
    text = label.strip().lower()
    roman = re.search(r"\b([ivx]{1,5})\b", text)
    if roman and roman.group(1) in _ROMAN:
        return (0, _ROMAN[roman.group(1)], 0, text)
    number = re.search(r"\d+", text)
    if number:
        value = int(number.group())
        below = re.search(r"(unter|bis|under|jünger|younger|<)\s*\d", text)
        return (0, value, -1 if below else 0, text)
    return (1, 0, 0, text)


def natural_order(labels) -> list[str]:
    return sorted(labels, key=natural_key)


def suggest_mapping(header: list[str], profiles: dict[str, dict], saved: dict | None = None,
                    fields: list[dict] | None = None) -> dict:
    """A mapping for this header: questions of a saved mapping whose columns are all present, guesses for the rest.

    LimeSurvey's system columns are recognised: the response id and the submit date are named at the top
    (``response_id``, ``submitdate``; incomplete responses are left out unless ``include_incomplete``), and every
    system column is a question of kind ``ignore``. ``fields`` (dicts with ``code``, ``name_de``, ``name_en``)
    let items and options that name an action field be linked to it."""
    questions = []
    used: set[str] = set()
    keys: set[str] = set()
    for question in (saved or {}).get("questions", []):
        if question.get("columns") and all(c in header for c in question["columns"]):
            questions.append(dict(question))
            used.update(question["columns"])
            keys.add(question["key"])
    number = 1
    for group in group_columns(header):
        if any(c in used for c in group.columns):
            continue
        while f"q{number}" in keys:
            number += 1
        keys.add(f"q{number}")
        others = [c for c, sub in zip(group.columns, group.subs, strict=True) if sub.lower() in OTHER_SUBS]
        if others and len(others) < len(group.columns):  # "Q04[other]": the free text beside a choice question
            rest = [(c, sub) for c, sub in zip(group.columns, group.subs, strict=True) if c not in others]
            group = ColumnGroup(group.base, tuple(c for c, _s in rest), tuple(s for _c, s in rest))
            for index, column in enumerate(others, start=1):
                questions.append({"key": f"q{number}t{index}", "text": column, "kind": QuestionKind.TEXT.value,
                                  "columns": [column]})
        questions += suggest_questions(f"q{number}", group, profiles, fields)
    order = {c: i for i, c in enumerate(header)}
    questions.sort(key=lambda q: order.get(q["columns"][0], 0))
    mapping = {"version": MAPPING_VERSION, "questions": questions}
    for column in header:
        role = system_column(column)
        if role == "id":
            mapping.setdefault("response_id", column)
        elif role == "submitdate":
            mapping.setdefault("submitdate", column)
    if saved:
        for top in ("response_id", "submitdate", "include_incomplete"):
            if top in saved and (top == "include_incomplete" or saved[top] in header):
                mapping[top] = saved[top]
    return mapping


KEY_RE = re.compile(r"^[a-z][a-z0-9]{0,15}$")


def validate_mapping(mapping: dict, header: list[str], profiles: dict[str, dict] | None = None) -> list[str]:
    """Problems with a mapping for this header (empty list: fine). Messages are translated."""
    problems: list[str] = []
    if not isinstance(mapping, dict) or not isinstance(mapping.get("questions"), list):
        return [str(_l("The mapping is not valid (a list of questions is missing)."))]
    seen_columns: set[str] = set()
    seen_keys: set[str] = set()
    kinds = {k.value for k in QuestionKind}
    for top, label in (("response_id", _l("response id")), ("submitdate", _l("submit date"))):
        if mapping.get(top) is not None and mapping[top] not in header:
            problems.append(str(_l("The column for the %(what)s is not in the file: %(column)s", what=label,
                                   column=str(mapping[top])[:80])))
    for question in mapping["questions"]:
        key = str(question.get("key", ""))
        name = question.get("text") or key
        if not KEY_RE.match(key) or key in seen_keys:
            problems.append(str(_l("Question %(name)s: the key must be unique (letters and digits).", name=name)))
        seen_keys.add(key)
        if question.get("kind") not in kinds:
            problems.append(str(_l("Question %(name)s: unknown type.", name=name)))
            continue
        columns = question.get("columns") or []
        missing = [c for c in columns if c not in header]
        if not columns or missing:
            problems.append(
                str(_l("Question %(name)s: columns not in the file: %(columns)s", name=name,
                       columns=", ".join(missing) or "–"))
            )
        if seen_columns & set(columns):
            problems.append(str(_l("Question %(name)s: a column belongs to two questions.", name=name)))
        seen_columns.update(columns)
        kind = QuestionKind(question["kind"])
        if profiles is not None and kind not in (QuestionKind.IGNORE, QuestionKind.DEMOGRAPHIC):
            for column in columns:
                reason = personal_data_reason(column, profiles.get(column))
                if reason:
                    problems.append(
                        str(_l("Column %(column)s may hold personal data (%(reason)s): ignore it or keep it "
                               "explicitly as a demographic.", column=column, reason=reason))
                    )
        if kind == QuestionKind.RATING:
            scale = question.get("scale")
            if not isinstance(scale, int) or isinstance(scale, bool) or not MIN_SCALE <= scale <= MAX_SCALE:
                problems.append(str(_l("Question %(name)s: the rating scale must run from 1 to a number between "
                                       "%(low)s and %(high)s.", name=name, low=MIN_SCALE, high=MAX_SCALE)))
            if question.get("direction", "higher") not in ("higher", "lower"):
                problems.append(str(_l("Question %(name)s: say whether a higher or a lower rating is better.",
                                       name=name)))
            missing = question.get("missing", [])
            if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
                problems.append(str(_l("Question %(name)s: the answers that count as missing must be a list of "
                                       "texts.", name=name)))
        if kind in (QuestionKind.RATING, QuestionKind.SINGLE, QuestionKind.DEMOGRAPHIC) and len(columns) > 1:
            problems.append(str(_l("Question %(name)s: this type takes exactly one column.", name=name)))
        if kind == QuestionKind.MULTIPLE and len(question.get("options") or []) != len(columns):
            problems.append(str(_l("Question %(name)s: one option per column is needed.", name=name)))
        if kind == QuestionKind.RANKING:
            layout = question.get("layout")
            if layout not in ("by_rank", "by_option"):
                problems.append(str(_l("Question %(name)s: choose how the ranking is stored.", name=name)))
            if layout == "by_option" and len(question.get("options") or []) != len(columns):
                problems.append(str(_l("Question %(name)s: one option per column is needed.", name=name)))
    return problems


@dataclass
class _Compiled:
    key: str
    kind: QuestionKind
    indexes: list[int]
    columns: list[str]
    scale: int
    options: list[str]
    layout: str
    missing: frozenset[str] = frozenset()


class RowMapper:
    """Applies a mapping to rows. Options of choice questions grow as new values appear (``options``)."""

    def __init__(self, mapping: dict, header: list[str]):
        position = {c: i for i, c in enumerate(header)}
        self.questions: list[_Compiled] = []
        for q in mapping["questions"]:
            kind = QuestionKind(q["kind"])
            if kind == QuestionKind.IGNORE:
                continue
            self.questions.append(
                _Compiled(
                    key=q["key"], kind=kind, indexes=[position[c] for c in q["columns"]], columns=list(q["columns"]),
                    scale=int(q.get("scale") or 5), options=list(q.get("options") or []),
                    layout=q.get("layout") or "by_rank",
                    missing=frozenset(m.strip().lower() for m in (q.get("missing") or [])) | frozenset(MISSING_ANSWERS),
                )
            )

    def options(self) -> dict[str, list[str]]:
        return {q.key: q.options for q in self.questions}

    def _option_index(self, question: _Compiled, value: str) -> int | None:
        try:
            return question.options.index(value)
        except ValueError:
            if len(question.options) >= MAX_OPTIONS:
                return None
            question.options.append(value)
            return len(question.options) - 1

    def apply(self, line: int, cells: list[str]) -> tuple[dict, list[tuple[str, str]], list[RowError]]:
        answers: dict = {}
        comments: list[tuple[str, str]] = []
        errors: list[RowError] = []
        for q in self.questions:
            values = [cells[i] for i in q.indexes]
            if q.kind in (QuestionKind.SINGLE, QuestionKind.DEMOGRAPHIC):
                value = values[0][:MAX_VALUE]
                if value:
                    if self._option_index(q, value) is None:
                        errors.append(RowError(line, q.columns[0], str(_l("too many different answers"))))
                    answers[q.key] = value
            elif q.kind == QuestionKind.RATING:
                value = values[0]
                if value and value.strip().lower() not in q.missing:
                    number = _as_int(value)
                    if number is None:
                        errors.append(RowError(line, q.columns[0], str(_l("“%(value)s” is not a whole number",
                                                                          value=value[:40]))))
                    elif not 1 <= number <= q.scale:
                        errors.append(RowError(line, q.columns[0], str(
                            _l("rating %(value)s is outside the scale 1–%(scale)s", value=number, scale=q.scale))))
                    else:
                        answers[q.key] = number
            elif q.kind == QuestionKind.MULTIPLE:
                selected = 0
                for index, (column, value) in enumerate(zip(q.columns, values, strict=True)):
                    lowered = value.strip().lower()
                    if lowered in YES:
                        answers[option_key(q.key, index)] = 1
                        selected += 1
                    elif lowered not in NO:
                        errors.append(RowError(line, column, str(
                            _l("“%(value)s” is neither selected (Y/1) nor empty", value=value[:40]))))
                if selected:
                    answers[q.key] = selected
            elif q.kind == QuestionKind.RANKING:
                self._ranking(q, line, values, answers, errors)
            elif q.kind == QuestionKind.TEXT:
                for value in values:
                    if value:
                        comments.append((q.key, comment_text(value)[0]))
        return answers, comments, errors

    def _ranking(self, q: _Compiled, line: int, values: list[str], answers: dict, errors: list[RowError]) -> None:
        ranked = 0
        if q.layout == "by_rank":
            seen: set[int] = set()
            for rank, (column, value) in enumerate(zip(q.columns, values, strict=True), start=1):
                if not value:
                    continue
                index = self._option_index(q, value[:MAX_VALUE])
                if index is None:
                    errors.append(RowError(line, column, str(_l("too many different answers"))))
                elif index in seen:
                    errors.append(RowError(line, column, str(
                        _l("“%(value)s” is ranked twice", value=value[:40]))))
                else:
                    seen.add(index)
                    answers[option_key(q.key, index)] = rank
                    ranked += 1
        else:
            used: set[int] = set()
            for index, (column, value) in enumerate(zip(q.columns, values, strict=True)):
                if not value:
                    continue
                rank = _as_int(value)
                if rank is None or not 1 <= rank <= len(q.columns):
                    errors.append(RowError(line, column, str(
                        _l("rank “%(value)s” is not between 1 and %(max)s", value=value[:40], max=len(q.columns)))))
                elif rank in used:
                    errors.append(RowError(line, column, str(_l("rank %(value)s is given twice", value=rank))))
                else:
                    used.add(rank)
                    answers[option_key(q.key, index)] = rank
                    ranked += 1
        if ranked:
            answers[q.key] = ranked


def _as_int(value: str) -> int | None:
    text = value.strip().replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


# --- the fast path: a batch of rows at a time, one look-up per row and unit ---------------------------------------

CACHE_LIMIT = 5000  # distinct keys (raw cells or tuples of them) remembered per unit
MAX_COMBINED_COLUMNS = 8  # multiple choice up to this many columns: one look-up per row for all of them
MAX_RUN_COMBINATIONS = 1500  # consecutive ratings share a look-up while (scale + 1) ** n stays below this (5: 4, 10: 3)


@dataclass
class BatchResult:
    """What ``BatchMapper.apply_batch`` found in a batch of rows (all of the same width)."""

    answers_json: list[str]  # per row: the flattened answers as JSON text, ready for the INSERT
    comments: list[tuple[int, str, str]]  # (row index in the batch, question key, redacted text), in row order
    errors: list[tuple[int, int, int, RowError]]  # sortable: (line, question position, column position, error)
    answered: dict[str, int]  # question key → rows that answered it (only when counted)
    shortened: list[tuple[int, str]] = field(default_factory=list)  # (line, column) of comments over MAX_TEXT


@dataclass
class _Unit:
    """Questions whose JSON fragment one dictionary look-up per row finds: a choice question (the key is its cell),
    a run of consecutive rating questions or a narrow multiple-choice question (the key is the tuple of their cells).
    ``miss(key, line, errors)`` builds the fragment of a key not seen before and says whether it may be cached (not
    when the cells are broken: every such row reports its own errors)."""

    questions: list[tuple[int, _Compiled]]  # (position in the mapping, question)
    get: Callable[[list[str]], object]
    miss: Callable[[object, int, list], tuple[str, bool]]
    cache: dict = field(default_factory=dict)


class BatchMapper:
    """The same mapping as ``RowMapper`` (same answers, comments, errors and learned options), applied to a batch of
    rows. The questions are grouped into units (``_Unit``); per unit and batch, an ``itemgetter`` takes every row's
    key (C code, no per-row Python), one ``map`` looks the keys up in the unit's cache of JSON fragments (``"q4":5,``),
    and only keys not seen before (or broken cells) take the slow path. A row's JSON is the join of its fragments, so
    no dict per row is built and no JSON encoder runs per row. Ranking and wide multiple-choice questions keep a
    per-row or per-column path. ``RowMapper`` stays the reference (tests/surveys compare both on generated data).
    """

    def __init__(self, mapping: dict, header: list[str]):
        self.mapping = mapping
        self.reference = RowMapper(mapping, header)  # shares the compiled questions and their growing options
        self._units: list[_Unit | tuple[int, _Compiled]] = []  # units, and (position, question) for the rest
        run: list[tuple[int, _Compiled]] = []
        for position, q in enumerate(self.reference.questions):
            if q.kind == QuestionKind.RATING:
                if run and (max(q.scale, *(r.scale for _p, r in run)) + 1) ** (len(run) + 1) > MAX_RUN_COMBINATIONS:
                    self._units.append(self._rating_unit(run))
                    run = []
                run.append((position, q))
                continue
            if run:
                self._units.append(self._rating_unit(run))
                run = []
            if q.kind in (QuestionKind.SINGLE, QuestionKind.DEMOGRAPHIC):
                self._units.append(_Unit([(position, q)], itemgetter(q.indexes[0]), self._single_miss(position, q)))
            elif q.kind == QuestionKind.MULTIPLE and len(q.indexes) <= MAX_COMBINED_COLUMNS:
                self._units.append(_Unit([(position, q)], itemgetter(*q.indexes), self._multiple_miss(position, q)))
            else:
                self._units.append((position, q))
        if run:
            self._units.append(self._rating_unit(run))
        self._flag_caches: dict[tuple[int, int], dict[str, int]] = {}

    def options(self) -> dict[str, list[str]]:
        return self.reference.options()

    def apply_batch(self, lines: list[int], rows: list[list[str]], count_answers: bool = True) -> BatchResult:
        """The batch's answers as JSON text, its comments and errors; with `count_answers`, how many rows answered
        each question (the preview shows it; the import itself does not need it)."""
        n = len(rows)
        fragment_lists: list[list[str]] = []
        result = BatchResult([], [], [], {})
        for unit in self._units:
            if isinstance(unit, _Unit):
                fragments = self._unit_fragments(unit, lines, rows, result.errors)
                if count_answers:
                    if len(unit.questions) == 1:
                        result.answered[unit.questions[0][1].key] = n - fragments.count("")
                    else:  # a rating run: its fragments hold only its own keys and numbers
                        text = "".join(fragments)
                        for _position, q in unit.questions:
                            result.answered[q.key] = text.count(f"{json.dumps(q.key)}:")
                fragment_lists.append(fragments)
                continue
            position, q = unit
            if q.kind == QuestionKind.MULTIPLE:
                fragments, counts = self._wide_multiple(position, q, lines, rows, result.errors)
                fragment_lists += fragments
                result.answered[q.key] = n - counts.count(0)
            elif q.kind == QuestionKind.RANKING:
                fragments = []
                answered = 0
                for line, row in zip(lines, rows, strict=True):
                    answers: dict = {}
                    errors: list[RowError] = []
                    self.reference._ranking(q, line, [row[i].strip() for i in q.indexes], answers, errors)
                    result.errors.extend((e.line, position, q.columns.index(e.column), e) for e in errors)
                    answered += q.key in answers
                    fragments.append("".join(f"{json.dumps(k)}:{v}," for k, v in answers.items()))
                fragment_lists.append(fragments)
                result.answered[q.key] = answered
            elif q.kind == QuestionKind.TEXT:
                for column, index in zip(q.columns, q.indexes, strict=True):
                    for row_index, value in enumerate(map(itemgetter(index), rows)):
                        if value and (text := value.strip()):
                            stored, shortened = comment_text(text)
                            if shortened:
                                result.shortened.append((lines[row_index], column))
                            result.comments.append((row_index, q.key, stored))
        if len(self.reference.questions) > 1:
            result.comments.sort(key=lambda c: c[0])  # row order, questions in mapping order within a row
        if fragment_lists:
            # Every fragment ends with a comma: one C-level join per row, then the braces around all but the last.
            result.answers_json = [f"{{{text[:-1]}}}" for text in map("".join, zip(*fragment_lists, strict=True))]
        else:
            result.answers_json = ["{}"] * n
        return result

    @staticmethod
    def _unit_fragments(unit: _Unit, lines: list[int], rows: list[list[str]], errors: list) -> list[str]:
        keys = list(map(unit.get, rows))
        cache = unit.cache
        fragments = list(map(cache.get, keys))
        i = -1
        with suppress(ValueError):
            while True:
                i = fragments.index(None, i + 1)  # the misses only (a C-level scan), not a Python loop over all rows
                key = keys[i]
                fragment = cache.get(key)  # a key first seen earlier in this batch
                if fragment is None:
                    fragment, cacheable = unit.miss(key, lines[i], errors)
                    if cacheable and len(cache) < CACHE_LIMIT:
                        cache[key] = fragment
                fragments[i] = fragment
        return fragments

    # -- the slow path of each kind: one key not seen before ------------------------------------------------------

    def _single_miss(self, position: int, q: _Compiled):
        key = json.dumps(q.key)

        def miss(raw: str, line: int, errors: list) -> tuple[str, bool]:
            value = raw.strip()[:MAX_VALUE]
            if not value:
                return "", True
            fragment = f"{key}:{json.dumps(value)},"
            if self.reference._option_index(q, value) is None:
                errors.append((line, position, 0, RowError(line, q.columns[0], str(_l("too many different answers")))))
                return fragment, False
            return fragment, True

        return miss

    def _rating_unit(self, run: list[tuple[int, _Compiled]]) -> _Unit:
        # Per question, the fragment of each valid raw cell ("" for an empty one): a new combination is mostly
        # made of cells seen before.
        cell_caches = [{"": "", **{str(v): f"{json.dumps(q.key)}:{v}," for v in range(1, q.scale + 1)}}
                       for _p, q in run]

        def miss(cells: str | tuple[str, ...], line: int, errors: list) -> tuple[str, bool]:
            if isinstance(cells, str):  # a run of one: itemgetter gives the cell itself
                cells = (cells,)
            parts = list(map(dict.get, cell_caches, cells))
            ok = True
            for number, part in enumerate(parts):
                if part is not None:
                    continue
                (position, q), raw = run[number], cells[number]
                parts[number] = ""
                value = raw.strip()
                if not value or value.lower() in q.missing:
                    parts[number] = ""
                    if len(cell_caches[number]) < CACHE_LIMIT:
                        cell_caches[number][raw] = ""
                    continue
                rating = _as_int(value)
                if rating is None:
                    ok = False
                    errors.append((line, position, 0, RowError(line, q.columns[0], str(
                        _l("“%(value)s” is not a whole number", value=value[:40])))))
                elif not 1 <= rating <= q.scale:
                    ok = False
                    errors.append((line, position, 0, RowError(line, q.columns[0], str(
                        _l("rating %(value)s is outside the scale 1–%(scale)s", value=rating, scale=q.scale)))))
                else:
                    parts[number] = f"{json.dumps(q.key)}:{rating},"
                    if len(cell_caches[number]) < CACHE_LIMIT:
                        cell_caches[number][raw] = parts[number]
            return "".join(parts), ok

        return _Unit(run, itemgetter(*(q.indexes[0] for _p, q in run)), miss)

    def _multiple_miss(self, position: int, q: _Compiled):
        count_key = json.dumps(q.key)
        option_keys = [json.dumps(option_key(q.key, number)) for number in range(len(q.indexes))]

        def miss(cells: str | tuple[str, ...], line: int, errors: list) -> tuple[str, bool]:
            if isinstance(cells, str):  # one column: itemgetter gives the cell itself
                cells = (cells,)
            ok = True
            selected = []
            for number, raw in enumerate(cells):
                lowered = raw.strip().lower()
                if lowered in YES:
                    selected.append(option_keys[number])
                elif lowered not in NO:
                    ok = False
                    errors.append((line, position, number, RowError(line, q.columns[number], str(
                        _l("“%(value)s” is neither selected (Y/1) nor empty", value=raw.strip()[:40])))))
            fragment = "".join(f"{key}:1," for key in selected) + (f"{count_key}:{len(selected)}," if selected else "")
            return fragment, ok

        return miss

    def _wide_multiple(self, position, q: _Compiled, lines, rows, errors) -> tuple[list[list[str]], list[int]]:
        """A multiple-choice question with many columns (too many combinations for one look-up): column by column."""
        flag_lists = []
        fragment_lists = []
        for number, index in enumerate(q.indexes):
            flags = self._flags(position, number, q, list(map(itemgetter(index), rows)), lines, errors)
            flag_lists.append(flags)
            key = json.dumps(option_key(q.key, number))
            fragment_lists.append(list(map(("", f"{key}:1,").__getitem__, flags)))
        counts = [sum(t) for t in zip(*flag_lists, strict=True)]
        key = json.dumps(q.key)
        count_fragments = [""] + [f"{key}:{k}," for k in range(1, len(q.indexes) + 1)]
        fragment_lists.append(list(map(count_fragments.__getitem__, counts)))
        return fragment_lists, counts

    def _flags(self, position, number, q: _Compiled, column, lines, errors) -> list[int]:
        cache = self._flag_caches.setdefault((position, number), {"": 0})
        flags = list(map(cache.get, column))
        if None in flags:
            for i, flag in enumerate(flags):
                if flag is not None:
                    continue
                raw = column[i]
                lowered = raw.strip().lower()
                if lowered in YES:
                    flags[i] = 1
                elif lowered in NO:
                    flags[i] = 0
                else:
                    flags[i] = 0
                    errors.append((lines[i], position, number, RowError(lines[i], q.columns[number], str(
                        _l("“%(value)s” is neither selected (Y/1) nor empty", value=raw.strip()[:40])))))
                    continue
                if len(cache) < CACHE_LIMIT:
                    cache[raw] = flags[i]
        return flags
