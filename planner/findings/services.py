"""Findings and measures: who may do what, the use cases, and the queries behind the pages.

Services take the acting user, only flush(), and raise DomainError subclasses with translated messages.
"""

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from planner.core import audit
from planner.core.errors import DomainError, InvalidTransition, NotAllowed
from planner.core.locking import check_version, save_version
from planner.core.models import utcnow
from planner.core.permissions import Role, has_role
from planner.extensions import db
from planner.fields.models import ActionField, StrategyProcess
from planner.findings.models import (
    DESCRIPTION_MAX,
    PRIORITY_ORDER,
    SWOT_KINDS,
    TEXT_MAX,
    Comment,
    Finding,
    FindingKind,
    FundingType,
    Measure,
    MeasureKPI,
    MeasureStatus,
    Priority,
    SmartCityArea,
    measure_dependencies,
    measure_needs,
)
from planner.people.models import Person
from planner.workshops.models import (
    AgendaBlock,
    AgendaBlockKind,
    InvitationStatus,
    Participation,
    Workshop,
    WorkshopStatus,
)

# What may be captured in which kind of agenda block. "measure" is a measure proposal.
MEASURE_KIND = "measure"
KINDS_FOR_BLOCK = {
    AgendaBlockKind.STATUS_QUO: tuple(k.value for k in SWOT_KINDS),
    AgendaBlockKind.NEEDS: (FindingKind.NEED.value,),
    AgendaBlockKind.MEASURES: (MEASURE_KIND,),
}
ALL_CAPTURE_KINDS = (*[k.value for k in SWOT_KINDS], FindingKind.NEED.value, MEASURE_KIND)
FIRST_YEAR = 2000


# --- who may ---------------------------------------------------------------------------------------------------


def is_staff(user) -> bool:
    return has_role(user, Role.FACILITATOR, Role.STRATEGY_TEAM)


def takes_part(user, workshop: Workshop) -> bool:
    """The user's person has accepted the invitation to the workshop or attended it."""
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return False
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Participation)
            .where(
                Participation.workshop_id == workshop.id,
                Participation.person_id == person_id,
                or_(Participation.invitation_status == InvitationStatus.ACCEPTED, Participation.attended.is_(True)),
            )
        )
        > 0
    )


def facilitates(user, workshop: Workshop) -> bool:
    """Administrators and the facilitators listed on the workshop moderate its findings."""
    if has_role(user):  # has_role with no roles: True for administrators only
        return True
    return any(u.id == user.id for u in workshop.facilitators)


def is_closed_for(user, workshop: Workshop | None) -> bool:
    """A documented workshop's findings are final for experts; its facilitators (and administrators) may still
    correct them, or reopen the workshop so its participants can."""
    return (workshop is not None and workshop.status == WorkshopStatus.DOCUMENTED
            and not facilitates(user, workshop) and not has_role(user, Role.FACILITATOR))


CLOSED_MESSAGE = _l("This workshop is documented: its findings can no longer be changed. A facilitator can reopen it.")


def may_capture(user, workshop: Workshop) -> bool:
    return facilitates(user, workshop) or takes_part(user, workshop)


def may_read_workshop(user, workshop: Workshop) -> bool:
    """The documentation: staff (facilitators, strategy team), administrators and the participants."""
    return is_staff(user) or takes_part(user, workshop)


def is_own_finding(user, finding: Finding) -> bool:
    person_id = getattr(user, "person_id", None)
    return bool(person_id and finding.author_id == person_id) or finding.recorded_by_user_id == user.id


def may_read_finding(user, finding: Finding) -> bool:
    if is_staff(user) or is_own_finding(user, finding):
        return True
    if finding.is_hidden:
        return False
    if finding.kind == FindingKind.NEED:
        return True  # needs are read by every signed-in user (needs list, measure fact sheets)
    return finding.workshop is not None and takes_part(user, finding.workshop)


def may_edit_finding(user, finding: Finding) -> bool:
    if finding.workshop is not None and facilitates(user, finding.workshop):
        return True
    if is_closed_for(user, finding.workshop):
        return False
    return has_role(user, Role.EXPERT) and is_own_finding(user, finding)


def may_moderate_finding(user, finding: Finding) -> bool:
    return finding.workshop is not None and facilitates(user, finding.workshop) or has_role(user)


def may_edit_measure(user, measure: Measure) -> bool:
    if measure.status == MeasureStatus.MERGED:
        return False
    if is_staff(user):
        return True
    if is_closed_for(user, measure.workshop):
        return False
    person_id = getattr(user, "person_id", None)
    return bool(person_id) and measure.proposed_by_id == person_id and measure.status == MeasureStatus.PROPOSED


def may_evaluate(user) -> bool:
    return has_role(user, Role.STRATEGY_TEAM)


def may_comment(user) -> bool:
    return has_role(user, Role.EXPERT, Role.FACILITATOR, Role.STRATEGY_TEAM)


def may_read_history(user) -> bool:
    return is_staff(user)


# --- validation helpers ----------------------------------------------------------------------------------------


def clean_text(value: str | None, field: str, limit: int = TEXT_MAX, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(_l("Please enter a text."), field=field)
    if len(text) > limit:
        raise DomainError(
            _l("The text is too long: %(length)s characters, at most %(limit)s are allowed.",
               length=len(text), limit=limit),
            field=field,
        )
    return text


def target_year() -> int:
    process = StrategyProcess.current()
    return process.target_year if process else 2040


class YearsInvalid(DomainError):
    """Every problem of a measure's period at once: ``problems`` holds (field name, message) pairs."""

    def __init__(self, problems: list[tuple[str, object]]):
        super().__init__(problems[0][1], field=problems[0][0])
        self.problems = problems


def year_problems(start: int | None, end: int | None) -> list[tuple[str, object]]:
    limit = target_year()
    problems = []
    for value, name in ((start, "start_year"), (end, "end_year")):
        if value is not None and not FIRST_YEAR <= value <= limit:
            problems.append((name, _l("The year must lie between %(first)s and the target year %(last)s.",
                                      first=FIRST_YEAR, last=limit)))
    if start is not None and end is not None and end < start:
        problems.append(("end_year", _l("The end year must not be before the start year.")))
    return problems


def check_years(start: int | None, end: int | None) -> None:
    problems = year_problems(start, end)
    if problems:
        raise YearsInvalid(problems)




# --- capturing -------------------------------------------------------------------------------------------------


def capture_blocks(workshop: Workshop) -> list[AgendaBlock]:
    return [b for b in workshop.agenda_blocks if b.kind.captures_findings]


def kinds_for(block: AgendaBlock | None) -> tuple[str, ...]:
    return KINDS_FOR_BLOCK.get(block.kind, ()) if block is not None else ALL_CAPTURE_KINDS


def capture_authors(workshop: Workshop) -> list[Person]:
    """The people a facilitator may log on behalf of: accepted or attending participants."""
    return db.session.scalars(
        select(Person)
        .join(Participation, Participation.person_id == Person.id)
        .where(
            Participation.workshop_id == workshop.id,
            or_(Participation.invitation_status == InvitationStatus.ACCEPTED, Participation.attended.is_(True)),
        )
        .order_by(Person.last_name, Person.first_name)
    ).all()


@dataclass
class Capture:
    kind: str
    text: str
    field_id: int | None
    block_id: int | None = None
    title: str = ""
    need_ids: tuple[int, ...] = ()
    author_id: int | None = None
    swot_ids: tuple[int, ...] = ()  # a need: the status-quo findings it answers


def capture(user, workshop: Workshop, data: Capture) -> Finding | Measure:
    """Logs a finding or a measure proposal in a workshop, for the user or (facilitators) on someone's behalf."""
    if not may_capture(user, workshop):
        raise NotAllowed(_l("You may only log findings for workshops you take part in."))
    if is_closed_for(user, workshop):
        raise NotAllowed(CLOSED_MESSAGE)
    block = None
    if data.block_id:
        block = db.session.get(AgendaBlock, data.block_id)
        if block is None or block.workshop_id != workshop.id or not block.kind.captures_findings:
            raise DomainError(_l("Please choose an agenda block of this workshop."), field="block")
    elif capture_blocks(workshop):
        raise DomainError(_l("Please choose the agenda block."), field="block")
    # A retired field takes no new findings.
    field = next((f for f in workshop.fields if f.id == data.field_id and f.retired_at is None), None)
    if field is None:
        raise DomainError(_l("Please choose an action field of this workshop."), field="field")
    if data.kind not in kinds_for(block):
        raise DomainError(_l("This kind of finding does not belong to the chosen agenda block."), field="kind")

    author_id = getattr(user, "person_id", None)
    if data.author_id and data.author_id != author_id:
        if not facilitates(user, workshop):
            raise NotAllowed(_l("Only the workshop's facilitators may log findings on someone else's behalf."))
        if data.author_id not in {p.id for p in capture_authors(workshop)}:
            raise DomainError(_l("Please choose a participant of this workshop."), field="author")
        author_id = data.author_id

    if data.kind == MEASURE_KIND:
        title = clean_text(data.title, "title", limit=300)
        description = clean_text(data.text, "text", limit=DESCRIPTION_MAX, required=False)
        needs = []
        if data.need_ids:
            needs = db.session.scalars(
                select(Finding).where(Finding.id.in_(data.need_ids), Finding.kind == FindingKind.NEED)
            ).all()
            if len(needs) != len(set(data.need_ids)) or any(n.workshop_id != workshop.id for n in needs):
                raise DomainError(_l("Please choose needs of this workshop."), field="needs")
        measure = Measure(
            field=field, title=title, description=description, workshop=workshop, agenda_block=block,
            proposed_by_id=author_id, recorded_by_user_id=user.id, status=MeasureStatus.PROPOSED,
        )
        measure.needs = list(needs)
        db.session.add(measure)
        db.session.flush()
        for need in needs:
            audit.record("link", measure, changes={"need": [None, need.number]}, summary=f"+ {need.number}")
        return measure

    text = clean_text(data.text, "text")
    finding = Finding(
        workshop=workshop, agenda_block=block, field=field, kind=FindingKind(data.kind), text=text,
        author_id=author_id, recorded_by_user_id=user.id,
    )
    db.session.add(finding)
    db.session.flush()
    if data.swot_ids and finding.is_need:
        _set_swot(finding, data.swot_ids)
        db.session.flush()
    return finding


def workshop_findings(workshop: Workshop, user, limit: int | None = None) -> list[Finding | Measure]:
    """What the capture page lists below the form: the workshop's findings and measures, newest first."""
    findings_stmt = (
        select(Finding)
        .where(Finding.workshop_id == workshop.id)
        .options(selectinload(Finding.author), selectinload(Finding.field), selectinload(Finding.agenda_block))
        .order_by(Finding.id.desc())
    )
    if not is_staff(user):
        findings_stmt = findings_stmt.where(
            or_(Finding.is_hidden.is_(False), Finding.author_id == getattr(user, "person_id", None))
        )
    measures_stmt = (
        select(Measure)
        .where(Measure.workshop_id == workshop.id)
        .options(selectinload(Measure.proposed_by), selectinload(Measure.field), selectinload(Measure.needs))
        .order_by(Measure.id.desc())
    )
    if limit:
        findings_stmt = findings_stmt.limit(limit)
        measures_stmt = measures_stmt.limit(limit)
    items = [*db.session.scalars(findings_stmt).all(), *db.session.scalars(measures_stmt).all()]
    items.sort(key=lambda i: i.created_at, reverse=True)
    return items[:limit] if limit else items


def workshop_needs(workshop: Workshop) -> list[Finding]:
    return db.session.scalars(
        select(Finding)
        .where(Finding.workshop_id == workshop.id, Finding.kind == FindingKind.NEED, Finding.is_hidden.is_(False))
        .order_by(Finding.number_key)
    ).all()


def workshop_swot(workshop: Workshop) -> list[Finding]:
    """The visible strengths, weaknesses, opportunities and risks of a workshop (what a new need may answer)."""
    return db.session.scalars(
        select(Finding)
        .where(Finding.workshop_id == workshop.id, Finding.kind.in_(SWOT_KINDS), Finding.is_hidden.is_(False))
        .order_by(Finding.number_key, Finding.id)
    ).all()


# --- findings: edit, delete, moderate --------------------------------------------------------------------------


def update_finding(user, finding: Finding, text: str, version: int | None, swot_ids=None) -> Finding:
    """``swot_ids`` (a need only; None leaves them): the strengths, weaknesses, opportunities and risks it answers."""
    if is_closed_for(user, finding.workshop):
        raise NotAllowed(CLOSED_MESSAGE)
    if not may_edit_finding(user, finding):
        raise NotAllowed(_l("You may only change your own findings."))
    check_version(finding, version)
    finding.text = clean_text(text, "text")
    if swot_ids is not None and finding.is_need:
        _set_swot(finding, swot_ids)
    save_version(finding)
    return finding


# --- need ↔ SWOT -----------------------------------------------------------------------------------------------


def swot_candidates(need: Finding) -> list[Finding]:
    """What a need may answer: the visible SWOT findings of its workshop or its action field."""
    same = Finding.field_id == need.field_id
    if need.workshop_id:
        same = or_(same, Finding.workshop_id == need.workshop_id)
    return db.session.scalars(
        select(Finding).where(Finding.kind.in_(SWOT_KINDS), same, Finding.is_hidden.is_(False))
        .order_by(Finding.field_id, Finding.number_key, Finding.id)
    ).all()


def _set_swot(need: Finding, finding_ids) -> None:
    """Replaces the visible links; a link to a finding hidden since stays (it is neither offered nor dropped)."""
    wanted = {int(i) for i in finding_ids or ()}
    allowed = {f.id: f for f in swot_candidates(need)}
    if wanted - allowed.keys():
        raise DomainError(_l("Please choose strengths, weaknesses, opportunities or risks of the same workshop or "
                             "action field."), field="answers")
    hidden = [f for f in need.answers if f.is_hidden]
    before = {f.id: f for f in need.answers if not f.is_hidden}
    for fid in before.keys() - wanted:
        audit.record("unlink_swot", need, changes={"answers": [before[fid].number, None]},
                     summary=f"- {before[fid].number}")
    for fid in wanted - before.keys():
        audit.record("link_swot", need, changes={"answers": [None, allowed[fid].number]},
                     summary=f"+ {allowed[fid].number}")
    need.answers = sorted([*(allowed[i] for i in wanted), *hidden], key=lambda f: (f.number_key or "", f.id))


def link_swot(user, need: Finding, finding_ids) -> Finding:
    """Links a need to the status-quo findings it answers (replacing the earlier links)."""
    if is_closed_for(user, need.workshop):
        raise NotAllowed(CLOSED_MESSAGE)
    if not may_edit_finding(user, need):
        raise NotAllowed(_l("You may only change your own findings."))
    if not need.is_need:
        raise DomainError(_l("Only a need for action answers status-quo findings."), field="answers")
    _set_swot(need, finding_ids)
    db.session.flush()
    return need


def delete_finding(user, finding: Finding) -> None:
    if is_closed_for(user, finding.workshop):
        raise NotAllowed(CLOSED_MESSAGE)
    if not may_edit_finding(user, finding):
        raise NotAllowed(_l("You may only delete your own findings."))
    if finding.measures:
        raise DomainError(_l("This need is addressed by measures; unlink it from them first."))
    db.session.delete(finding)
    db.session.flush()


def hide_finding(user, finding: Finding, reason: str) -> Finding:
    if not may_moderate_finding(user, finding):
        raise NotAllowed(_l("Only the workshop's facilitators may moderate its findings."))
    finding.hidden_reason = clean_text(reason, "reason", limit=500)
    finding.is_hidden = True
    finding.hidden_by_id = user.id
    finding.hidden_at = utcnow()
    finding.version += 1
    db.session.flush()
    return finding


def show_finding(user, finding: Finding) -> Finding:
    if not may_moderate_finding(user, finding):
        raise NotAllowed(_l("Only the workshop's facilitators may moderate its findings."))
    finding.is_hidden = False
    finding.hidden_reason = ""
    finding.hidden_by_id = None
    finding.hidden_at = None
    finding.version += 1
    db.session.flush()
    return finding


# --- measures: fact sheet --------------------------------------------------------------------------------------


MEASURE_FIELDS = (
    "title", "description", "goal", "expected_effect", "lead_unit", "partners", "funding_type", "funding_note",
    "cost_estimate", "priority", "index_area", "start_year", "end_year",
)


def _apply_measure_data(measure: Measure, data: dict) -> None:
    measure.title = clean_text(data.get("title"), "title", limit=300)
    measure.description = clean_text(data.get("description"), "description", DESCRIPTION_MAX, required=False)
    measure.goal = clean_text(data.get("goal"), "goal", DESCRIPTION_MAX, required=False)
    measure.expected_effect = clean_text(data.get("expected_effect"), "expected_effect", DESCRIPTION_MAX, False)
    measure.lead_unit = clean_text(data.get("lead_unit"), "lead_unit", 200, required=False)
    measure.partners = clean_text(data.get("partners"), "partners", TEXT_MAX, required=False)
    measure.funding_note = clean_text(data.get("funding_note"), "funding_note", 500, required=False)
    measure.funding_type = FundingType(data["funding_type"]) if data.get("funding_type") else None
    measure.priority = Priority(data["priority"]) if data.get("priority") else None
    measure.index_area = SmartCityArea(data["index_area"]) if data.get("index_area") else None
    cost = data.get("cost_estimate")
    if cost is not None and Decimal(cost) < 0:
        raise DomainError(_l("The cost estimate must not be negative."), field="cost_estimate")
    measure.cost_estimate = Decimal(cost) if cost is not None else None
    check_years(data.get("start_year"), data.get("end_year"))
    measure.start_year, measure.end_year = data.get("start_year"), data.get("end_year")


def _set_needs(measure: Measure, need_ids) -> None:
    need_ids = set(need_ids or ())
    needs = db.session.scalars(
        select(Finding).where(Finding.id.in_(need_ids), Finding.kind == FindingKind.NEED)
    ).all() if need_ids else []
    if len(needs) != len(need_ids):
        raise DomainError(_l("Please choose needs from the list."), field="needs")
    before = {n.id: n for n in measure.needs}
    after = {n.id: n for n in needs}
    for need_id in before.keys() - after.keys():
        audit.record("unlink", measure, changes={"need": [before[need_id].number, None]},
                     summary=f"- {before[need_id].number}")
    for need_id in after.keys() - before.keys():
        audit.record("link", measure, changes={"need": [None, after[need_id].number]},
                     summary=f"+ {after[need_id].number}")
    measure.needs = sorted(needs, key=lambda n: n.id)


def create_measure(user, field_id: int, data: dict, need_ids=()) -> Measure:
    if not is_staff(user):
        raise NotAllowed(_l("Only facilitators and the strategy team may create measures here."))
    field = db.session.get(ActionField, field_id)
    if field is None or field.retired_at is not None:  # a retired field takes no new measures
        raise DomainError(_l("Please choose an action field."), field="field")
    measure = Measure(field=field, status=MeasureStatus.PROPOSED, recorded_by_user_id=user.id,
                      proposed_by_id=getattr(user, "person_id", None))
    _apply_measure_data(measure, data)
    db.session.add(measure)
    db.session.flush()
    _set_needs(measure, need_ids)
    db.session.flush()
    return measure


def update_measure(user, measure: Measure, field_id: int, data: dict, need_ids, version: int | None) -> Measure:
    """Saves the fact sheet; a save based on an older version is refused (StaleVersion), nothing is changed."""
    if not may_edit_measure(user, measure):
        raise NotAllowed(_l("You may not change this measure."))
    check_version(measure, version)
    field = db.session.get(ActionField, field_id)
    if field is None or (field.retired_at is not None and field.id != measure.field_id):
        raise DomainError(_l("Please choose an action field."), field="field")
    measure.field = field  # the number stays as it is
    _apply_measure_data(measure, data)
    _set_needs(measure, need_ids)
    save_version(measure)
    return measure


def add_kpi(user, measure: Measure, indicator: str, unit: str = "", baseline=None, target_value=None,
            target_year: int | None = None) -> MeasureKPI:
    if not may_edit_measure(user, measure):
        raise NotAllowed(_l("You may not change this measure."))
    indicator = clean_text(indicator, "indicator", limit=300)
    unit = (unit or "").strip()
    if len(unit) > 50:
        raise DomainError(_l("The unit is too long (at most 50 characters)."), field="unit")
    if (target_value is not None or baseline is not None) and not unit:
        raise DomainError(_l("A target value or baseline needs a unit (e.g. %, t CO₂, number)."), field="unit")
    if target_year is not None and not FIRST_YEAR <= target_year <= target_year_limit():
        raise DomainError(
            _l("The year must lie between %(first)s and the target year %(last)s.", first=FIRST_YEAR,
               last=target_year_limit()),
            field="target_year",
        )
    kpi = MeasureKPI(measure=measure, indicator=indicator, unit=unit, baseline=baseline,
                     target_value=target_value, target_year=target_year)
    db.session.add(kpi)
    db.session.flush()
    return kpi


def target_year_limit() -> int:
    return target_year()


def delete_kpi(user, kpi: MeasureKPI) -> None:
    if not may_edit_measure(user, kpi.measure):
        raise NotAllowed(_l("You may not change this measure."))
    db.session.delete(kpi)
    db.session.flush()


def _depends_transitively(start: Measure, target_id: int) -> bool:
    """True when ``start`` already depends (directly or through others) on the measure ``target_id``."""
    seen, frontier = set(), {start.id}
    while frontier:
        seen |= frontier
        rows = db.session.execute(
            select(measure_dependencies.c.depends_on_id).where(measure_dependencies.c.measure_id.in_(frontier))
        ).scalars().all()
        if target_id in rows:
            return True
        frontier = set(rows) - seen
    return False


def add_dependency(user, measure: Measure, other: Measure) -> None:
    if not may_edit_measure(user, measure):
        raise NotAllowed(_l("You may not change this measure."))
    if other.id == measure.id:
        raise DomainError(_l("A measure cannot depend on itself."), field="depends_on")
    if other in measure.dependencies:
        raise DomainError(_l("This dependency exists already."), field="depends_on")
    if _depends_transitively(other, measure.id):
        raise DomainError(
            _l("%(other)s already depends on %(this)s: the dependency would form a cycle.",
               other=other.number, this=measure.number),
            field="depends_on",
        )
    measure.dependencies.append(other)
    audit.record("depend", measure, changes={"depends_on": [None, other.number]}, summary=f"→ {other.number}")
    db.session.flush()


def remove_dependency(user, measure: Measure, other: Measure) -> None:
    if not may_edit_measure(user, measure):
        raise NotAllowed(_l("You may not change this measure."))
    if other in measure.dependencies:
        measure.dependencies.remove(other)
        audit.record("undepend", measure, changes={"depends_on": [other.number, None]}, summary=f"↛ {other.number}")
        db.session.flush()


# --- evaluation ------------------------------------------------------------------------------------------------


def evaluate_measure(user, measure: Measure, status: MeasureStatus, answer: str) -> Measure:
    """Moves the measure on (under evaluation, accepted, rejected) with the official answer the proposer sees."""
    if not may_evaluate(user):
        raise NotAllowed(_l("Only the strategy team evaluates measures."))
    if status == MeasureStatus.MERGED:
        raise InvalidTransition(_l("Use “merge” to merge a duplicate."))
    answer = clean_text(answer, "answer", DESCRIPTION_MAX, required=status in (MeasureStatus.ACCEPTED,
                                                                                 MeasureStatus.REJECTED))
    measure.change_status(status)
    if answer:
        measure.official_answer = answer
    measure.evaluated_by_id = user.id
    measure.evaluated_at = utcnow()
    measure.version += 1
    db.session.flush()
    return measure


def merge_measures(user, merged: Measure, kept: Measure) -> Measure:
    """Merges a duplicate into the kept measure: needs, comments and supporters move over; numbers stay."""
    if not may_evaluate(user):
        raise NotAllowed(_l("Only the strategy team merges measures."))
    return _merge(user, merged, kept)


def _merge(user, merged: Measure, kept: Measure) -> Measure:
    if merged.id == kept.id:
        raise DomainError(_l("A measure cannot be merged into itself."), field="kept")
    if kept.status == MeasureStatus.MERGED:
        raise DomainError(_l("The measure to keep has itself been merged; choose the measure it was merged into."),
                          field="kept")
    merged.change_status(MeasureStatus.MERGED)
    moved_needs = [n for n in merged.needs if n not in kept.needs]
    kept.needs = sorted([*kept.needs, *moved_needs], key=lambda n: n.id)
    merged.needs = []
    # Nobody supports their own measure: the kept measure's proposer is not moved over as its supporter.
    moved_supporters = [p for p in merged.supporters if p not in kept.supporters and p.id != kept.proposed_by_id]
    kept.supporters.extend(moved_supporters)
    merged.supporters = []
    comments = list(merged.comments)
    for comment in comments:
        comment.measure = kept  # the backref moves it from one list to the other
    for dependency in list(merged.dependencies):
        if dependency.id != kept.id and dependency not in kept.dependencies and not _depends_transitively(
            dependency, kept.id
        ):
            kept.dependencies.append(dependency)
    merged.dependencies = []
    merged.merged_into = kept
    merged.merged_by_id = user.id
    merged.merged_at = utcnow()
    merged.version += 1
    kept.version += 1
    summary = f"{merged.number} → {kept.number}"
    details = {
        "merged": merged.number, "kept": kept.number, "needs": [n.number for n in moved_needs],
        "supporters": len(moved_supporters), "comments": len(comments),
    }
    audit.record("merge", merged, changes=details, summary=summary)
    audit.record("merge", kept, changes=details, summary=summary)
    db.session.flush()
    return kept


# --- a workshop's own proposals (the measures wall) ------------------------------------------------------------


def may_run_proposal(user, measure: Measure) -> bool:
    """A workshop's facilitators tidy up the measures proposed in their workshop while they are still proposals."""
    return (user is not None and measure.workshop is not None and measure.status == MeasureStatus.PROPOSED
            and facilitates(user, measure.workshop))


def merge_proposals(user, proposals: list[Measure], title: str) -> Measure:
    """Several proposals of one workshop and field become one new proposal (a cluster on the measures wall); each of
    them is merged into it, as the strategy team merges duplicates (needs, comments, supporters move over)."""
    if len(proposals) < 2:
        raise DomainError(_l("Please choose at least two cards to cluster."), field="cards")
    if not all(may_run_proposal(user, m) for m in proposals):
        raise NotAllowed(_l("Only the workshop's facilitators may cluster its measure proposals."))
    first = proposals[0]
    if len({m.field_id for m in proposals}) > 1 or len({m.workshop_id for m in proposals}) > 1:
        raise DomainError(_l("Only cards of the same action field can be clustered."), field="cards")
    kept = Measure(field_id=first.field_id, title=clean_text(title, "text", limit=300), workshop_id=first.workshop_id,
                   agenda_block_id=first.agenda_block_id, recorded_by_user_id=user.id, status=MeasureStatus.PROPOSED)
    db.session.add(kept)
    db.session.flush()
    for measure in proposals:
        _merge(user, measure, kept)
    return kept


def withdraw_proposal(user, measure: Measure, reason: str) -> Measure:
    """A facilitator takes an off-topic proposal of their workshop off the table: it is rejected with the reason as
    its official answer (it stays, with its history; the strategy team can take it up again)."""
    if not may_run_proposal(user, measure):
        raise NotAllowed(_l("Only the workshop's facilitators may withdraw its measure proposals."))
    reason = clean_text(reason, "reason", limit=500)
    measure.change_status(MeasureStatus.REJECTED)
    measure.official_answer = str(_l("Withdrawn in the workshop: %(reason)s", reason=reason))
    measure.evaluated_by_id = user.id
    measure.evaluated_at = utcnow()
    measure.version += 1
    db.session.flush()
    return measure


# --- comments and support --------------------------------------------------------------------------------------


def add_comment(user, target: Finding | Measure, text: str) -> Comment:
    if not may_comment(user):
        raise NotAllowed(_l("You may not comment here."))
    text = clean_text(text, "text")
    comment = Comment(author_id=user.id, text=text)
    if isinstance(target, Measure):
        comment.measure = target
    else:
        comment.finding = target
    db.session.add(comment)
    db.session.flush()
    return comment


OWN_MEASURE_MESSAGE = _l("You proposed this measure yourself; support is for other people's measures.")


class OwnMeasure(DomainError):
    """Nobody supports their own measure."""


def is_own_measure(user, measure: Measure) -> bool:
    person_id = getattr(user, "person_id", None)
    return person_id is not None and measure.proposed_by_id == person_id


def toggle_support(user, measure: Measure) -> bool:
    """'Ich unterstütze das': adds or removes the user's person as supporter; returns True when supporting."""
    person = db.session.get(Person, user.person_id) if getattr(user, "person_id", None) else None
    if person is None:
        raise NotAllowed(_l("Only people with an expert profile can support measures."))
    if measure.status == MeasureStatus.MERGED:
        raise DomainError(_l("This measure has been merged; support the measure it was merged into."))
    if is_own_measure(user, measure) and person not in measure.supporters:
        raise OwnMeasure(OWN_MEASURE_MESSAGE)
    if person in measure.supporters:
        measure.supporters.remove(person)
        # The person by id only: a name in a summary would outlive an erasure (issue 18).
        audit.record("unsupport", measure, changes={"person_id": [person.id, None]})
        supporting = False
    else:
        measure.supporters.append(person)
        audit.record("support", measure, changes={"person_id": [None, person.id]})
        supporting = True
    db.session.flush()
    return supporting


# --- lists -----------------------------------------------------------------------------------------------------

MEASURE_SORTS = {
    "number": (Measure.number_key,),
    "title": (Measure.title,),
    "priority": (
        db.case({p.value: n for p, n in PRIORITY_ORDER.items()}, value=Measure.priority, else_=9),
        Measure.number_key,
    ),
    "status": (Measure.status, Measure.number_key),
}
NEED_SORTS = {"number": (Finding.number_key,), "text": (Finding.text,)}


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def measures_query(field_id: int | None = None, status: str | None = None, priority: str | None = None,
                   area: str | None = None, q: str | None = None, sort: str = "number", descending: bool = False,
                   gap: str | None = None):
    stmt = select(Measure).options(selectinload(Measure.field), selectinload(Measure.needs))
    if gap and measure_gap_condition(gap) is not None:
        stmt = stmt.where(measure_gap_condition(gap))
    if field_id:
        stmt = stmt.where(Measure.field_id == field_id)
    if status in {s.value for s in MeasureStatus}:
        stmt = stmt.where(Measure.status == MeasureStatus(status))
    if priority in {p.value for p in Priority}:
        stmt = stmt.where(Measure.priority == Priority(priority))
    if area in {a.value for a in SmartCityArea}:
        stmt = stmt.where(Measure.index_area == SmartCityArea(area))
    if q:
        pattern = _like(q.strip())
        stmt = stmt.where(
            or_(Measure.title.ilike(pattern, escape="\\"), Measure.description.ilike(pattern, escape="\\"),
                Measure.number.ilike(pattern, escape="\\"))
        )
    order = MEASURE_SORTS.get(sort, MEASURE_SORTS["number"])
    return stmt.order_by(*[o.desc() if descending else o for o in order], Measure.id)


def needs_query(user, field_id: int | None = None, q: str | None = None, without_measure: bool = False,
                sort: str = "number", descending: bool = False):
    stmt = (
        select(Finding)
        .where(Finding.kind == FindingKind.NEED)
        .options(selectinload(Finding.field), selectinload(Finding.measures), selectinload(Finding.workshop))
    )
    if not is_staff(user):
        stmt = stmt.where(Finding.is_hidden.is_(False))
    if field_id:
        stmt = stmt.where(Finding.field_id == field_id)
    if q:
        pattern = _like(q.strip())
        stmt = stmt.where(or_(Finding.text.ilike(pattern, escape="\\"), Finding.number.ilike(pattern, escape="\\")))
    if without_measure:
        stmt = stmt.where(~select(measure_needs.c.need_id).where(measure_needs.c.need_id == Finding.id).exists())
    order = NEED_SORTS.get(sort, NEED_SORTS["number"])
    return stmt.order_by(*[o.desc() if descending else o for o in order], Finding.id)


def all_needs() -> list[Finding]:
    return db.session.scalars(
        select(Finding).where(Finding.kind == FindingKind.NEED, Finding.is_hidden.is_(False))
        .options(selectinload(Finding.field)).order_by(Finding.number_key)
    ).all()


# Above this many needs the measure form asks for the needs' numbers instead of a checkbox per need.
NEED_CHOICE_LIMIT = 300


def needs_fit_as_choices() -> bool:
    visible = (Finding.kind == FindingKind.NEED) & Finding.is_hidden.is_(False)
    return (db.session.scalar(select(func.count(Finding.id)).where(visible)) or 0) <= NEED_CHOICE_LIMIT


def need_ids_by_number(numbers: list[str]) -> tuple[list[int], list[str]]:
    """The ids of the visible needs with these numbers (any case), in the given order, and the unknown numbers."""
    wanted = {n.upper(): n for n in numbers}
    found = dict(db.session.execute(
        select(func.upper(Finding.number), Finding.id).where(
            Finding.kind == FindingKind.NEED, Finding.is_hidden.is_(False),
            func.upper(Finding.number).in_(list(wanted)))
    ).all())
    return [found[key] for key in wanted if key in found], [n for key, n in wanted.items() if key not in found]


# Above this many measures a page asks for a measure's number instead of listing every measure in a select.
MEASURE_CHOICE_LIMIT = 200


def measure_choices_fit(measure: Measure) -> bool:
    others = db.session.scalar(
        select(func.count(Measure.id)).where(Measure.status != MeasureStatus.MERGED, Measure.id != measure.id))
    return (others or 0) <= MEASURE_CHOICE_LIMIT


def measure_by_reference(value: str | None) -> Measure | None:
    """The measure a form names: its id (from a select) or its number, e.g. MOB-M02 (typed, any case)."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return db.session.get(Measure, int(value))
    return db.session.scalars(select(Measure).where(func.upper(Measure.number) == value.upper())).first()


def other_measures(measure: Measure | None = None) -> list[Measure]:
    stmt = select(Measure).where(Measure.status != MeasureStatus.MERGED).order_by(Measure.number_key)
    if measure is not None:
        stmt = stmt.where(Measure.id != measure.id)
    return db.session.scalars(stmt).all()


GAP_LIST_LIMIT = 20  # per field and kind of gap; the full lists are the filtered need and measure lists
OPEN_MEASURE = Measure.status.not_in([MeasureStatus.MERGED, MeasureStatus.REJECTED])


def measure_gap_condition(gap: str):
    """SQL condition of a measure gap (no_need, no_lead, no_kpi) for open measures; None when unknown."""
    return {
        "no_need": OPEN_MEASURE & Measure.id.not_in(select(measure_needs.c.measure_id)),
        "no_lead": OPEN_MEASURE & (func.trim(func.coalesce(Measure.lead_unit, "")) == ""),
        "no_kpi": OPEN_MEASURE & Measure.id.not_in(select(MeasureKPI.measure_id)),
    }.get(gap)


@dataclass(frozen=True)
class GapItem:
    id: int
    number: str
    text: str


@dataclass
class GapList:
    items: list[GapItem]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


@dataclass
class FieldGaps:
    field: ActionField
    needs_without_measure: GapList
    measures_without_needs: GapList
    measures_without_lead: GapList
    measures_without_kpi: GapList

    @property
    def total(self) -> int:
        return (self.needs_without_measure.total + self.measures_without_needs.total
                + self.measures_without_lead.total + self.measures_without_kpi.total)


def _first_per_field(model, text_column, condition, field_id: int | None) -> dict[int, GapList]:
    """Per field: the first GAP_LIST_LIMIT rows by number and the count, in one windowed query."""
    ranked = select(
        model.field_id, model.id, model.number, text_column.label("text"),
        func.row_number().over(partition_by=model.field_id, order_by=(model.number_key, model.id)).label("rank"),
        func.count().over(partition_by=model.field_id).label("total"),
    ).where(condition)
    if field_id:
        ranked = ranked.where(model.field_id == field_id)
    ranked = ranked.subquery()
    rows = db.session.execute(
        select(ranked).where(ranked.c.rank <= GAP_LIST_LIMIT).order_by(ranked.c.field_id, ranked.c.rank)).all()
    result: dict[int, GapList] = {}
    for row in rows:
        gap_list = result.setdefault(row.field_id, GapList([], row.total))
        text = " ".join((row.text or "").split())
        gap_list.items.append(GapItem(row.id, row.number or "", text if len(text) <= 90 else text[:89] + "…"))
    return result


def gaps(field_id: int | None = None) -> list[FieldGaps]:
    """Per field: needs without any measure; measures (not merged or rejected) without needs, lead unit or KPI.

    Each list holds the first few by number and the total: four windowed queries, whatever the data size.
    """
    fields = db.session.scalars(select(ActionField).order_by(ActionField.position)).all()
    if field_id:
        fields = [f for f in fields if f.id == field_id]
    open_need = (Finding.kind == FindingKind.NEED) & Finding.is_hidden.is_(False) & Finding.id.not_in(
        select(measure_needs.c.need_id))
    needs = _first_per_field(Finding, Finding.text, open_need, field_id)
    by_gap = {gap: _first_per_field(Measure, Measure.title, measure_gap_condition(gap), field_id)
              for gap in ("no_need", "no_lead", "no_kpi")}
    none = GapList([], 0)
    return [
        FieldGaps(
            field=field,
            needs_without_measure=needs.get(field.id, none),
            measures_without_needs=by_gap["no_need"].get(field.id, none),
            measures_without_lead=by_gap["no_lead"].get(field.id, none),
            measures_without_kpi=by_gap["no_kpi"].get(field.id, none),
        )
        for field in fields
    ]


def measure_page(measure_id: int) -> Measure | None:
    return db.session.scalars(
        select(Measure)
        .where(Measure.id == measure_id)
        .options(
            selectinload(Measure.needs).selectinload(Finding.field),
            selectinload(Measure.kpis),
            selectinload(Measure.dependencies).selectinload(Measure.field),
            selectinload(Measure.required_by).selectinload(Measure.field),
            selectinload(Measure.supporters),
            selectinload(Measure.comments).selectinload(Comment.author),
            selectinload(Measure.merged_from),
        )
    ).first()


def history_of(obj) -> list:
    """The record's audit entries as the pages show them (planner.core.history.ReadableEntry)."""
    from planner.core.history import readable_entries

    return readable_entries(audit.history(obj))


# --- the workshop's documentation (annex of the concept paper) -------------------------------------------------


def documentation(workshop_id: int) -> dict | None:
    """The day's findings as plain data, grouped by agenda block, then field, then kind.

    Returns None for an unknown workshop, else::

        {"workshop": {"id", "title", "starts_at" (aware datetime), "ends_at", "fields": [{"code", "name"}]},
         "blocks": [{"id" (None: without block), "title", "kind" (AgendaBlockKind value or None),
                     "fields": [{"code", "name",
                                 "kinds": [{"kind" (finding kind value or "measure"), "label",
                                            "entries": [{"number", "text", "author" (name or None),
                                                       "title" (measures only), "needs" (measures: numbers),
                                                       "status" (measures: value)}]}]}]}],
         "counts": {"findings": n, "needs": n, "measures": n}}

    Hidden (moderated) findings are left out. Author names appear only for people who consented.
    """
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        return None
    findings = db.session.scalars(
        select(Finding)
        .where(Finding.workshop_id == workshop.id, Finding.is_hidden.is_(False))
        .options(selectinload(Finding.author), selectinload(Finding.recorded_by), selectinload(Finding.field))
        .order_by(Finding.number_key)
    ).all()
    measures = db.session.scalars(
        select(Measure)
        .where(Measure.workshop_id == workshop.id, Measure.status != MeasureStatus.MERGED)
        .options(selectinload(Measure.proposed_by), selectinload(Measure.recorded_by), selectinload(Measure.field),
                 selectinload(Measure.needs))
        .order_by(Measure.number_key)
    ).all()

    from planner.findings.facts import author_name

    def author(person, recorder):  # a facilitator's own finding shows the facilitator (planner.findings.facts)
        return author_name(person, recorder) or None

    blocks = [(b.id, b.title, b.kind.value) for b in workshop.agenda_blocks if b.kind.captures_findings]
    block_ids = {b[0] for b in blocks}
    entries = []  # (block_id, field, kind, item)
    for f in findings:
        entries.append((f.agenda_block_id if f.agenda_block_id in block_ids else None, f.field, f.kind.value, {
            "number": f.number, "text": f.text, "author": author(f.author, f.recorded_by), "title": "", "needs": [],
            "status": "",
        }))
    for m in measures:
        entries.append((m.agenda_block_id if m.agenda_block_id in block_ids else None, m.field, MEASURE_KIND, {
            "number": m.number, "text": m.description, "author": author(m.proposed_by, m.recorded_by), "title": m.title,
            "needs": [n.number for n in m.needs], "status": m.status.value,
        }))
    kind_order = [*ALL_CAPTURE_KINDS]
    labels = {k.value: k.label for k in FindingKind} | {MEASURE_KIND: _l("Measure proposals")}
    result_blocks = []
    for block_id, title, kind in [*blocks, (None, None, None)]:
        in_block = [e for e in entries if e[0] == block_id]
        if block_id is None and not in_block:
            continue
        fields = []
        for field in sorted({e[1] for e in in_block}, key=lambda f: f.position):
            kinds = []
            for k in kind_order:
                items = [e[3] for e in in_block if e[1] is field and e[2] == k]
                if items:
                    kinds.append({"kind": k, "label": str(labels[k]), "entries": items})
            fields.append({"code": field.code, "name": field.name, "kinds": kinds})
        result_blocks.append({
            "id": block_id, "title": title if block_id else str(_l("Without agenda block")), "kind": kind,
            "fields": fields,
        })
    return {
        "workshop": {
            "id": workshop.id, "title": workshop.title, "starts_at": workshop.starts_at, "ends_at": workshop.ends_at,
            "fields": [{"code": f.code, "name": f.name} for f in workshop.fields],
        },
        "blocks": result_blocks,
        "counts": {
            "findings": len(findings),
            "needs": sum(1 for f in findings if f.kind == FindingKind.NEED),
            "measures": len(measures),
        },
    }
