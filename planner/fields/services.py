"""Action fields and strategy processes: listing, and their administration.

Services take the acting user, check the rules, change the rows and only ``flush()``; the request (or the CLI
command) commits once. Rows of packages further right (findings, measures, workshops, survey mappings) are moved
by a merge through their tables by name, so this package keeps to the domain order.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select, update

from planner.core import audit
from planner.core.errors import DomainError, NotAllowed
from planner.core.locking import check_version, save_version
from planner.core.models import utcnow
from planner.core.permissions import Role, has_role
from planner.extensions import db
from planner.fields.models import ActionField, IndexArea, StrategyProcess

CODE_RE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")
COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 3.0  # WCAG 2.1 1.4.11: a field's colour marks bars and swatches on white
NAME_MAX = 120
DESCRIPTION_MAX = 5_000
# Measures in these states are still being worked on: a field with any of them cannot be retired.
OPEN_MEASURE_STATES = ("PROPOSED", "UNDER_EVALUATION", "ACCEPTED")
YEAR_MIN, YEAR_MAX = 2000, 2100


class FieldError(DomainError):
    pass


class ProcessError(DomainError):
    pass


# --- reading ---------------------------------------------------------------------------------------------------


def list_fields(include_retired: bool = True) -> list[ActionField]:
    stmt = select(ActionField).order_by(ActionField.position, ActionField.code)
    if not include_retired:
        stmt = stmt.where(ActionField.retired_at.is_(None))
    return db.session.scalars(stmt).all()


def offered_fields(keep: Iterable[ActionField] = ()) -> list[ActionField]:
    """The fields to choose from for something new: the active ones, plus those an existing object already has
    (so editing an old workshop does not silently drop its retired field)."""
    kept = {f.id for f in keep}
    return [f for f in list_fields() if f.retired_at is None or f.id in kept]


def get_field_by_code(code: str) -> ActionField | None:
    return db.session.scalar(select(ActionField).where(ActionField.code == code.upper()))


def may_manage_fields(user) -> bool:
    return has_role(user, Role.STRATEGY_TEAM)


def may_manage_processes(user) -> bool:
    return has_role(user)  # administrators only


def _require(allowed: bool, message) -> None:
    if not allowed:
        raise NotAllowed(message)


# --- colour contrast -------------------------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_with_white(colour: str) -> float:
    return 1.05 / (_luminance(colour) + 0.05)


# --- fields ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldData:
    code: str
    name_de: str
    name_en: str = ""
    description_de: str = ""
    description_en: str = ""
    colour: str = "#1d4e89"
    index_area: str | None = None


def _clean(data: FieldData, field: ActionField | None) -> FieldData:
    code = (data.code or "").strip().upper()
    if not code:
        raise FieldError(_l("Please enter a short code."), field="code")
    if not CODE_RE.match(code):
        raise FieldError(_l("The code has 2 to 8 capital letters or digits and starts with a letter (e.g. MOB)."),
                         field="code")
    other = get_field_by_code(code)
    if other is not None and (field is None or other.id != field.id):
        raise FieldError(_l("The code %(code)s is already used by the field “%(name)s”.", code=code,
                            name=other.name_de), field="code")
    name_de = (data.name_de or "").strip()
    if not name_de:
        raise FieldError(_l("Please enter the German name."), field="name_de")
    name_en = (data.name_en or "").strip()
    for key, value in (("name_de", name_de), ("name_en", name_en)):
        if len(value) > NAME_MAX:
            raise FieldError(_l("The name is too long (at most %(max)s characters).", max=NAME_MAX), field=key)
    for key in ("description_de", "description_en"):
        if len(getattr(data, key) or "") > DESCRIPTION_MAX:
            raise FieldError(_l("The description is too long (at most %(max)s characters).", max=DESCRIPTION_MAX),
                             field=key)
    colour = (data.colour or "").strip().lower()
    if not COLOUR_RE.match(colour):
        raise FieldError(_l("Please enter the colour as # and six hexadecimal digits (e.g. #1d4e89)."),
                         field="colour")
    if contrast_with_white(colour) < MIN_CONTRAST:
        raise FieldError(_l("The colour %(colour)s is too light: its contrast with white is %(ratio)s:1, at least "
                            "3:1 is needed so bars and markers stay visible. Please choose a darker colour.",
                            colour=colour, ratio=f"{contrast_with_white(colour):.1f}".replace(".", ",")),
                         field="colour")
    area = data.index_area or None
    if area is not None and area not in {a.value for a in IndexArea}:
        raise FieldError(_l("Please choose an area of the Smart City Index."), field="index_area")
    return FieldData(code=code, name_de=name_de, name_en=name_en,
                     description_de=(data.description_de or "").strip(),
                     description_en=(data.description_en or "").strip(), colour=colour, index_area=area)


def _apply(field: ActionField, data: FieldData) -> None:
    field.code = data.code
    field.name_de = data.name_de
    field.name_en = data.name_en
    field.description_de = data.description_de
    field.description_en = data.description_en
    field.colour = data.colour
    field.index_area = IndexArea(data.index_area) if data.index_area else None


def create_field(actor, data: FieldData) -> ActionField:
    """A new field at the end of the order. ``actor`` None means the system (setup file, ``init-city``)."""
    if actor is not None:
        _require(may_manage_fields(actor), _l("Only administrators and the strategy team may manage action fields."))
    data = _clean(data, None)
    last = db.session.scalar(select(func.max(ActionField.position))) or 0
    field = ActionField(position=last + 1)
    _apply(field, data)
    db.session.add(field)
    db.session.flush()
    return field


def update_field(actor, field: ActionField, data: FieldData, *, version: int | None = None) -> ActionField:
    """Changes code, names, descriptions, colour and index area. Numbers of findings and measures keep the old
    code (they never change); survey mappings that named the old code follow the new one. A save based on an
    older version of the field (``version`` from the form) raises StaleVersion."""
    if actor is not None:
        _require(may_manage_fields(actor), _l("Only administrators and the strategy team may manage action fields."))
    check_version(field, version)
    data = _clean(data, field)
    old_code = field.code
    _apply(field, data)
    save_version(field)
    if old_code != field.code:
        _rename_in_survey_mappings(old_code, field.code)
    return field


def reorder_fields(actor, ordered_ids: Iterable[int]) -> list[ActionField]:
    """Sets the order of all fields; ``ordered_ids`` must name each field once."""
    if actor is not None:
        _require(may_manage_fields(actor), _l("Only administrators and the strategy team may manage action fields."))
    ids = [int(i) for i in ordered_ids]
    fields = {f.id: f for f in list_fields()}
    if sorted(ids) != sorted(fields):
        raise FieldError(_l("The order must name every action field exactly once. Please reload the page."))
    for position, field_id in enumerate(ids, start=1):
        if fields[field_id].position != position:
            fields[field_id].position = position
    db.session.flush()
    return [fields[i] for i in ids]


def move_field(actor, field: ActionField, step: int) -> list[ActionField]:
    """One place up (-1) or down (+1): what the buttons of the order page do."""
    ids = [f.id for f in list_fields()]
    index = ids.index(field.id)
    target = index + (1 if step > 0 else -1)
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
    return reorder_fields(actor, ids)


def _open_measures(field: ActionField) -> int:
    measures = db.metadata.tables["measures"]
    return db.session.scalar(
        select(func.count()).select_from(measures)
        .where(measures.c.field_id == field.id, measures.c.status.in_(OPEN_MEASURE_STATES))
    ) or 0


def retire_field(actor, field: ActionField) -> ActionField:
    """A retired field stays with its data and in past papers; it is no longer offered for new workshops,
    findings or measures. Refused while measures of the field are still open (move them or merge the field)."""
    if actor is not None:
        _require(may_manage_fields(actor), _l("Only administrators and the strategy team may manage action fields."))
    if field.retired_at is not None:
        raise FieldError(_l("The field %(code)s is already retired.", code=field.code))
    open_count = _open_measures(field)
    if open_count:
        raise FieldError(_l("The field %(code)s still has %(count)s open measures (proposed, under evaluation or "
                            "accepted). Move them to another field or merge this field into another one first.",
                            code=field.code, count=open_count))
    field.retired_at = utcnow()
    db.session.flush()
    audit.record("retire", field, summary=field.code)
    return field


def reactivate_field(actor, field: ActionField) -> ActionField:
    if actor is not None:
        _require(may_manage_fields(actor), _l("Only administrators and the strategy team may manage action fields."))
    if field.merged_into_id is not None:
        raise FieldError(_l("A field merged into another one cannot be reactivated."))
    field.retired_at = None
    db.session.flush()
    return field


def merge_fields(actor, source: ActionField, target: ActionField) -> dict[str, int]:
    """Moves everything of ``source`` to ``target`` and retires ``source`` (it stays, marked as merged, so the
    history and past papers still name it). Findings and measures keep their numbers. Returns what was moved."""
    if actor is not None:
        _require(may_manage_fields(actor), _l("Only administrators and the strategy team may manage action fields."))
    if source.id == target.id:
        raise FieldError(_l("A field cannot be merged into itself."), field="target")
    if target.retired_at is not None:
        raise FieldError(_l("Please choose an active field to merge into."), field="target")
    if source.merged_into_id is not None:
        raise FieldError(_l("The field %(code)s has already been merged.", code=source.code))
    tables = db.metadata.tables
    moved: dict[str, int] = {}

    def move(name: str, column: str = "field_id") -> None:
        table = tables[name]
        result = db.session.execute(
            update(table).where(table.c[column] == source.id).values({column: target.id})
            .execution_options(synchronize_session=False)
        )
        moved[name] = result.rowcount or 0

    def move_links(name: str, owner: str) -> None:
        """An association table (owner_id, field_id): owners of the source get the target once."""
        table = tables[name]
        owners = set(db.session.scalars(select(table.c[owner]).where(table.c.field_id == source.id)))
        has_target = set(db.session.scalars(select(table.c[owner]).where(table.c.field_id == target.id)))
        new = sorted(owners - has_target)
        if new:
            db.session.execute(insert(table), [{owner: o, "field_id": target.id} for o in new])
        db.session.execute(delete(table).where(table.c.field_id == source.id))
        moved[name] = len(owners)

    db.session.flush()
    for name in ("findings", "measures", "survey_questions", "survey_comments"):
        if name in tables:
            move(name)
    move_links("workshop_fields", "workshop_id")
    move_links("person_fields", "person_id")
    if "expert_ratings" in tables:  # one rating per field: the target's own rating wins
        ratings = tables["expert_ratings"]
        if db.session.scalar(select(ratings.c.id).where(ratings.c.field_id == target.id)) is None:
            move("expert_ratings")
        else:
            db.session.execute(delete(ratings).where(ratings.c.field_id == source.id))
    moved["survey_mappings"] = _rename_in_survey_mappings(source.code, target.code)
    source.retired_at = source.retired_at or utcnow()
    source.merged_into_id = target.id
    db.session.flush()
    # Objects already loaded in the session would show the old field until reloaded.
    db.session.expire_all()
    audit.record("merge", source, changes={"merged_into": [None, target.code], **{k: [None, v] for k, v in
                                                                                   moved.items() if v}},
                 summary=f"{source.code} → {target.code}")
    audit.record("merge", target, changes={"merged_from": [None, source.code]}, summary=f"{source.code} → "
                 f"{target.code}")
    db.session.flush()
    return moved


def _rename_code(mapping, old: str, new: str) -> tuple[object, int]:
    """A survey mapping (see planner.surveys.mapping) with ``old`` field code replaced by ``new``."""
    if not isinstance(mapping, dict):
        return mapping, 0
    count = 0
    questions = []
    for q in mapping.get("questions") or []:
        if isinstance(q, dict):
            q = dict(q)
            if q.get("field") == old:
                q["field"] = new
                count += 1
            if isinstance(q.get("option_fields"), dict):
                renamed = {k: (new if v == old else v) for k, v in q["option_fields"].items()}
                count += sum(1 for k, v in q["option_fields"].items() if v == old)
                q["option_fields"] = renamed
        questions.append(q)
    if not count:
        return mapping, 0
    return {**mapping, "questions": questions}, count


def _rename_in_survey_mappings(old: str, new: str) -> int:
    """Saved mappings, imported surveys and pending uploads that name the old code name the new one."""
    tables = db.metadata.tables
    changed = 0
    for name in ("survey_mappings", "surveys", "survey_uploads"):
        table = tables.get(name)
        if table is None or "mapping" not in table.c:
            continue
        for row_id, mapping in db.session.execute(select(table.c.id, table.c.mapping)).all():
            renamed, count = _rename_code(mapping, old, new)
            if count:
                db.session.execute(update(table).where(table.c.id == row_id).values(mapping=renamed)
                                   .execution_options(synchronize_session=False))
                changed += 1
    return changed


# --- strategy processes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessData:
    title: str
    vision: str = ""
    target_year: int | None = 2040
    milestone_years: tuple[int, ...] = ()
    city_name: str = ""


def parse_years(text: str) -> tuple[int, ...]:
    """"2025, 2030 2035" → (2025, 2030, 2035); anything else raises a clear message."""
    parts = [p for p in re.split(r"[\s,;]+", (text or "").strip()) if p]
    years = []
    for part in parts:
        if not part.isdigit():
            raise ProcessError(_l("“%(value)s” is not a year. Please enter years such as 2030, separated by commas.",
                                  value=part[:20]), field="milestone_years")
        years.append(int(part))
    return tuple(years)


def _check_process(data: ProcessData) -> ProcessData:
    title = (data.title or "").strip()
    if not title:
        raise ProcessError(_l("Please enter a title."), field="title")
    if len(title) > 200:
        raise ProcessError(_l("The title is too long (at most 200 characters)."), field="title")
    if len(data.vision or "") > 20_000:
        raise ProcessError(_l("The vision is too long (at most 20,000 characters)."), field="vision")
    target = data.target_year
    if target is None or not YEAR_MIN <= int(target) <= YEAR_MAX:
        raise ProcessError(_l("Please enter a target year between %(min)s and %(max)s.", min=YEAR_MIN, max=YEAR_MAX),
                           field="target_year")
    years = tuple(int(y) for y in data.milestone_years)
    for year in years:
        if not YEAR_MIN <= year <= YEAR_MAX:
            raise ProcessError(_l("The milestone year %(year)s is not between %(min)s and %(max)s.", year=year,
                                  min=YEAR_MIN, max=YEAR_MAX), field="milestone_years")
    if any(b <= a for a, b in zip(years, years[1:], strict=False)):
        raise ProcessError(_l("Please enter the milestone years in ascending order, each year once."),
                           field="milestone_years")
    if years and years[-1] > target:
        raise ProcessError(_l("The target year %(target)s must not be before the last milestone (%(year)s).",
                              target=target, year=years[-1]), field="target_year")
    return ProcessData(title=title, vision=(data.vision or "").strip(), target_year=int(target),
                       milestone_years=years, city_name=(data.city_name or "").strip())


def list_processes() -> list[StrategyProcess]:
    return db.session.scalars(select(StrategyProcess).order_by(StrategyProcess.id)).all()


def create_process(actor, data: ProcessData, *, make_current: bool = False) -> StrategyProcess:
    """A new round of the strategy. It shares fields, people and organisations with earlier rounds and starts
    with its own (empty) workshop series, surveys and paper. The first process becomes current by itself."""
    if actor is not None:
        _require(may_manage_processes(actor), _l("Only administrators may manage strategy processes."))
    data = _check_process(data)
    earlier = StrategyProcess.current()
    process = StrategyProcess(
        title=data.title, vision=data.vision, target_year=data.target_year,
        milestone_years=list(data.milestone_years),
        city_name=data.city_name or (earlier.city_name if earlier else ""),
    )
    db.session.add(process)
    db.session.flush()
    if earlier is None:
        _adopt_unassigned(process)
        make_current = True
    if make_current:
        set_current_process(actor, process)
    return process


def update_process(actor, process: StrategyProcess, data: ProcessData, *,
                   version: int | None = None) -> StrategyProcess:
    """Changes the process's texts and years; a save based on an older version raises StaleVersion."""
    if actor is not None:
        _require(may_manage_processes(actor), _l("Only administrators may manage strategy processes."))
    check_version(process, version)
    data = _check_process(data)
    process.title = data.title
    process.vision = data.vision
    process.target_year = data.target_year
    process.milestone_years = list(data.milestone_years)
    if data.city_name:
        process.city_name = data.city_name
    save_version(process)
    return process


def _adopt_unassigned(process: StrategyProcess) -> None:
    """Rows made before any process existed belong to the first one."""
    for name in ("workshop_series", "workshops", "surveys", "paper_versions", "paper_sections"):
        table = db.metadata.tables.get(name)
        if table is not None and "process_id" in table.c:
            db.session.execute(update(table).where(table.c.process_id.is_(None)).values(process_id=process.id)
                               .execution_options(synchronize_session=False))


def set_current_process(actor, process: StrategyProcess) -> StrategyProcess:
    """Lists and the paper show the current process by default; the earlier ones stay readable."""
    if actor is not None:
        _require(may_manage_processes(actor), _l("Only administrators may manage strategy processes."))
    # Rows not yet assigned belonged to the process current so far: they stay with it.
    before = StrategyProcess.current()
    if before is not None and before.id != process.id:
        _adopt_unassigned(before)
    for other in list_processes():
        other.is_current = other.id == process.id
    db.session.flush()
    StrategyProcess.forget_current()
    return process


EARLIER_PROCESS_MESSAGE = _l(
    "This belongs to an earlier strategy process, which can only be read now. Changes are made in the current "
    "process."
)


class EarlierProcess(NotAllowed):
    """A change to a row of an earlier strategy process: those stay as they were (read-only)."""


def is_earlier_process(process_id: int | None) -> bool:
    """True when ``process_id`` names a process that is not the current one (None: the current process)."""
    if process_id is None:
        return False
    current = StrategyProcess.current_id()
    return current is not None and process_id != current


def require_current_process(*process_ids: int | None) -> None:
    """Refuses (EarlierProcess) a change to something that belongs to an earlier strategy process: its workshops,
    series, surveys and paper stay readable as they were. Every edit service of those rows calls it first."""
    if any(is_earlier_process(process_id) for process_id in process_ids):
        raise EarlierProcess(EARLIER_PROCESS_MESSAGE)


@dataclass(frozen=True)
class ProcessChoice:
    """Which process a list shows: ``chosen`` (from ``?process=``, else the current one), all processes for the
    switch, and whether the chosen one is the current one (earlier processes are read-only)."""

    chosen: StrategyProcess | None
    processes: list[StrategyProcess]
    is_current: bool


def process_choice(requested=None) -> ProcessChoice:
    current = StrategyProcess.current()
    chosen = StrategyProcess.chosen(requested)
    processes = list_processes() if chosen is not None else []
    return ProcessChoice(chosen, processes, chosen is None or current is None or chosen.id == current.id)
