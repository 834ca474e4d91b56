"""What the concept paper reads from the workshops package: frozen facts of the workshops that took place.

The rule lives here, where the data lives: only held or documented workshops count. Draft, scheduled
(planned) and cancelled workshops never reach the paper: not in the list of workshops, not in the
participant numbers (so no check-in data of a future workshop, no participants of a cancelled one), not as
the source of a need and not in the workshop documentation. Codes and numbers only, never translated labels.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.extensions import db
from planner.people.models import Organisation, Person
from planner.workshops.models import InvitationStatus, Participation, Workshop, WorkshopStatus

HELD_STATES = (WorkshopStatus.HELD, WorkshopStatus.DOCUMENTED)
SECTOR_ORDER = ("administration", "business", "science", "civil_society", "politics", "")


@dataclass(frozen=True)
class AgendaBlockFact:
    id: int
    title: str
    kind: str


@dataclass(frozen=True)
class HeldWorkshop:
    id: int
    title: str
    day: date
    format: str  # code: virtual | in_person | hybrid
    status: str  # code: held | documented
    field_codes: tuple[str, ...]
    invited: int
    accepted: int
    attended: int
    blocks: tuple[AgendaBlockFact, ...]


@dataclass(frozen=True)
class ParticipantCount:
    key: str  # a sector code or a field code
    accepted: int
    attended: int


@dataclass(frozen=True)
class OrganisationFact:
    name: str
    sector: str  # code
    people: tuple[str, ...]  # only people who consented to being named


@dataclass(frozen=True)
class WorkshopFacts:
    workshops: tuple[HeldWorkshop, ...]
    participants_total: int
    attended_total: int
    organisations_total: int
    by_sector: tuple[ParticipantCount, ...]
    by_field: tuple[ParticipantCount, ...]
    organisations: tuple[OrganisationFact, ...]

    def workshop(self, workshop_id: int | None) -> HeldWorkshop | None:
        return next((w for w in self.workshops if w.id == workshop_id), None)


def _code(value) -> str:
    if value is None:
        return ""
    return str(getattr(value, "_value_", value))  # an enum member's value (without the slower ``value`` property)


def _local_day(value) -> date:
    from planner.core.timeutil import to_local

    return to_local(value).date()


def workshop_facts(field_codes: tuple[str, ...] = (), process=None) -> WorkshopFacts:
    """The held workshops of the current strategy process (``process``, when the caller has it at hand) with
    their participation, grouped in a fixed number of queries.

    ``field_codes``: the action fields in the paper's order (every one gets a row in ``by_field``)."""
    from planner.fields.models import StrategyProcess, in_process

    # The paper is always the current process's (build_rollup passes it): its unassigned rows count too.
    of_process = in_process(Workshop.process_id, process or StrategyProcess.current(), is_current=True)
    options = [selectinload(Workshop.fields)]
    if hasattr(Workshop, "agenda_blocks"):
        options.append(selectinload(Workshop.agenda_blocks))
    held = db.session.scalars(
        select(Workshop).options(*options).where(Workshop.status.in_(HELD_STATES), of_process)
        .order_by(Workshop.starts_at, Workshop.id)
    ).all()
    held_ids = [w.id for w in held]
    rows = db.session.execute(
        select(Participation.workshop_id, Organisation.id, Organisation.sector, Participation.person_id,
               Participation.invitation_status, Participation.attended)
        .join(Person, Person.id == Participation.person_id)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .where(Participation.workshop_id.in_(held_ids))
    ).all() if held_ids else []

    invited, accepted, attended = Counter(), Counter(), Counter()
    sector_accepted: dict[str, set] = defaultdict(set)
    sector_attended: dict[str, set] = defaultdict(set)
    ws_accepted: dict[int, set] = defaultdict(set)
    ws_attended: dict[int, set] = defaultdict(set)
    accepted_people, attended_people, organisations = set(), set(), set()
    for workshop_id, organisation_id, sector, person_id, status, was_there in rows:
        invited[workshop_id] += 1
        if status == InvitationStatus.ACCEPTED:
            accepted[workshop_id] += 1
            accepted_people.add(person_id)
            sector_accepted[_code(sector)].add(person_id)
            ws_accepted[workshop_id].add(person_id)
            if organisation_id is not None:
                organisations.add(organisation_id)
        if was_there:
            attended[workshop_id] += 1
            attended_people.add(person_id)
            sector_attended[_code(sector)].add(person_id)
            ws_attended[workshop_id].add(person_id)

    field_accepted: dict[str, set] = defaultdict(set)
    field_attended: dict[str, set] = defaultdict(set)
    workshops = []
    for w in held:
        codes = tuple(f.code for f in w.fields)
        for code in codes:
            field_accepted[code] |= ws_accepted[w.id]
            field_attended[code] |= ws_attended[w.id]
        blocks = tuple(AgendaBlockFact(b.id, b.title, _code(b.kind)) for b in getattr(w, "agenda_blocks", None) or ())
        workshops.append(HeldWorkshop(
            id=w.id, title=w.title, day=_local_day(w.starts_at), format=_code(w.format), status=_code(w.status),
            field_codes=codes, invited=invited[w.id], accepted=accepted[w.id], attended=attended[w.id],
            blocks=blocks))

    by_sector = tuple(
        ParticipantCount(s, len(sector_accepted[s]), len(sector_attended[s]))
        for s in SECTOR_ORDER if sector_accepted.get(s) or sector_attended.get(s))
    by_field = tuple(ParticipantCount(c, len(field_accepted[c]), len(field_attended[c])) for c in field_codes)
    return WorkshopFacts(
        workshops=tuple(workshops), participants_total=len(accepted_people), attended_total=len(attended_people),
        organisations_total=len(organisations), by_sector=by_sector, by_field=by_field,
        organisations=_organisations(accepted_people | attended_people),
    )


def _organisations(participant_ids: set) -> tuple[OrganisationFact, ...]:
    """The organisations of the people who took part in a held workshop; names only with consent. Two queries of
    plain rows (thousands of people at metropolis scale: no ORM objects)."""
    if not participant_ids:
        return ()
    orgs = db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.sector)
        .where(Organisation.id.in_(select(Person.organisation_id).where(Person.id.in_(participant_ids))))
        .order_by(Organisation.name)
    ).all()
    names: dict[int, list[str]] = defaultdict(list)
    if orgs:
        for organisation_id, person_id, title, first_name, last_name in db.session.execute(
            select(Person.organisation_id, Person.id, Person.title, Person.first_name, Person.last_name)
            .where(Person.organisation_id.in_([o.id for o in orgs]), Person.has_consent.is_(True))
            .order_by(Person.last_name, Person.id)
        ):
            if person_id in participant_ids:  # Person.full_name
                names[organisation_id].append(" ".join(p for p in (title, first_name, last_name) if p))
    return tuple(OrganisationFact(name=o.name, sector=_code(o.sector), people=tuple(names[o.id])) for o in orgs)


# --- the minutes of one workshop (planner.minutes) ---------------------------------------------------------------

@dataclass(frozen=True)
class MinutesBlock:
    id: int
    title: str
    kind: str  # code
    starts_at: datetime  # aware, as held (the day's start plus the durations before it)
    ends_at: datetime
    responsible: str  # a name only with consent, else ""


@dataclass(frozen=True)
class MinutesWorkshop:
    """One workshop as its minutes need it: codes, numbers and user text, never translated labels."""

    id: int
    title: str
    kind: str  # code: workshop | citizen_dialogue | political_briefing
    status: str  # code
    format: str  # code
    starts_at: datetime  # aware
    ends_at: datetime
    location: str
    fields: tuple[tuple[str, str, str], ...]  # (code, German name, English name)
    facilitators: tuple[str, ...]  # staff names
    invited: int
    accepted: int
    attended: int
    by_sector: tuple[ParticipantCount, ...]
    blocks: tuple[MinutesBlock, ...]

    @property
    def is_over(self) -> bool:
        return self.status in HELD_STATES


def minutes_workshop(workshop_id: int) -> MinutesWorkshop | None:
    """The facts of one workshop for its minutes (any state: the minutes page says when it is not held yet);
    None for an unknown workshop. Attendance counts people recorded as present; acceptances count by sector too."""
    from planner.workshops.services import agenda_schedule

    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        return None
    rows = db.session.execute(
        select(Organisation.sector, Participation.invitation_status, Participation.attended)
        .select_from(Participation)
        .join(Person, Person.id == Participation.person_id)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .where(Participation.workshop_id == workshop.id)
    ).all()
    accepted, attended = Counter(), Counter()
    invited = 0
    for sector, status, was_there in rows:
        invited += 1
        if status == InvitationStatus.ACCEPTED:
            accepted[_code(sector)] += 1
        if was_there:
            attended[_code(sector)] += 1
    by_sector = tuple(ParticipantCount(s, accepted[s], attended[s]) for s in SECTOR_ORDER
                      if accepted[s] or attended[s])
    blocks = tuple(
        MinutesBlock(id=s.block.id, title=s.block.title, kind=_code(s.block.kind), starts_at=s.starts_at,
                     ends_at=s.ends_at,
                     responsible=(s.block.responsible.full_name
                                  if s.block.responsible is not None and s.block.responsible.has_consent else ""))
        for s in agenda_schedule(workshop))
    return MinutesWorkshop(
        id=workshop.id, title=workshop.title, kind=_code(workshop.kind), status=_code(workshop.status),
        format=_code(workshop.format), starts_at=workshop.starts_at, ends_at=workshop.ends_at,
        location=workshop.location or "",
        fields=tuple((f.code, f.name_de, f.name_en or f.name_de) for f in workshop.fields),
        facilitators=tuple(u.name for u in workshop.facilitators),
        invited=invited, accepted=sum(accepted.values()), attended=sum(attended.values()),
        by_sector=by_sector, blocks=blocks)
