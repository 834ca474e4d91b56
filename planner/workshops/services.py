"""Workshops: series, workshops, agendas, open registration, networking and calendar links.

Services take the acting user, only flush, and raise DomainError subclasses with lazily translated messages.
"""

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from planner.accounts.models import User
from planner.core import identity
from planner.core.errors import DomainError, NotAllowed
from planner.core.formats import format_datetime, format_time
from planner.core.locking import bump_version, check_version, lock_row, save_version
from planner.core.mail import send_mail
from planner.core.models import normalise_email, utcnow
from planner.core.permissions import Role, has_role
from planner.core.security import hash_token, new_token
from planner.core.timeutil import local_datetime, to_local
from planner.extensions import db
from planner.fields.models import ActionField, StrategyProcess, in_process
from planner.fields.services import (
    EARLIER_PROCESS_MESSAGE,
    EarlierProcess,
    is_earlier_process,
    require_current_process,
)
from planner.people.models import Person
from planner.workshops.models import (
    PUBLIC_STATUSES,
    AgendaBlock,
    AgendaBlockKind,
    CalendarFeedKind,
    CalendarToken,
    InvitationStatus,
    Participation,
    ParticipationRole,
    Workshop,
    WorkshopFormat,
    WorkshopKind,
    WorkshopSeries,
    WorkshopStatus,
    WorkshopTemplate,
    workshop_fields,
)

MIN_BLOCK_MINUTES = 5
MAX_BLOCK_MINUTES = 480
# Participants who receive a cancellation: everyone who has not declined.
# A workshop date further ahead than this is probably a typing error: a warning the facilitator confirms.
MAX_YEARS_AHEAD = 5
NOTIFIED_ON_CANCEL = (InvitationStatus.INVITED, InvitationStatus.ACCEPTED, InvitationStatus.WAITLISTED)


# --- errors ---------------------------------------------------------------------------------------------------


class WorkshopInvalid(DomainError):
    """One or more hard errors: nothing is saved. ``problems`` holds (field name, message) pairs."""

    def __init__(self, problems: list[tuple[str | None, object]]):
        field_name, message = problems[0]
        super().__init__(message, field=field_name)
        self.problems = problems


class ConflictsFound(DomainError):
    """Warnings the facilitator may confirm ("Save anyway"); nothing is saved until they do."""

    def __init__(self, conflicts: list):
        super().__init__(_l("Please check the following conflicts before you save."))
        self.conflicts = conflicts


# --- reading --------------------------------------------------------------------------------------------------


def workshops_query(series_id: int | None = None, kind: str | None = None, field_id: int | None = None,
                    status: str | None = None, process: StrategyProcess | None = None):
    stmt = select(Workshop).options(selectinload(Workshop.fields), selectinload(Workshop.series))
    if process is not None:
        stmt = stmt.where(in_process(Workshop.process_id, process))
    if series_id:
        stmt = stmt.where(Workshop.series_id == series_id)
    if kind in {k.value for k in WorkshopKind}:
        stmt = stmt.where(Workshop.kind == WorkshopKind(kind))
    if status in {s.value for s in WorkshopStatus}:
        stmt = stmt.where(Workshop.status == WorkshopStatus(status))
    if field_id:
        stmt = stmt.where(
            Workshop.id.in_(select(workshop_fields.c.workshop_id).where(workshop_fields.c.field_id == field_id))
        )
    return stmt.order_by(Workshop.starts_at, Workshop.id)


def list_series(process: StrategyProcess | None = None) -> list[WorkshopSeries]:
    """The series of a process (by default the current one)."""
    process = process or StrategyProcess.current()
    return db.session.scalars(
        select(WorkshopSeries)
        .where(in_process(WorkshopSeries.process_id, process))
        .options(selectinload(WorkshopSeries.workshops).selectinload(Workshop.fields))
        .order_by(WorkshopSeries.starts_on, WorkshopSeries.id)
    ).all()


def facilitator_candidates() -> list[User]:
    return db.session.scalars(
        select(User)
        .where(User.role.in_([Role.FACILITATOR, Role.ADMIN]), User.is_active_account.is_(True))
        .order_by(User.display_name, User.email)
    ).all()


def may_see_participants(user) -> bool:
    return has_role(user, Role.FACILITATOR, Role.STRATEGY_TEAM)


def may_plan(user) -> bool:
    return has_role(user, Role.FACILITATOR)


def participations_of(workshop: Workshop) -> list[Participation]:
    return db.session.scalars(
        select(Participation)
        .where(Participation.workshop_id == workshop.id)
        .options(selectinload(Participation.person).selectinload(Person.organisation))
        .order_by(Participation.id)
    ).all()


def accepted_count(workshop: Workshop) -> int:
    if workshop.id is None:
        return 0
    return db.session.scalar(
        select(func.count(Participation.id)).where(
            Participation.workshop_id == workshop.id, Participation.invitation_status == InvitationStatus.ACCEPTED
        )
    ) or 0


# --- places ---------------------------------------------------------------------------------------------------


def lock_places(workshop: Workshop) -> None:
    """Locks the workshop's row until the transaction ends: whoever counts or changes its places waits here, so
    two answers for the last place cannot both see it free (planner.core.locking.lock_row)."""
    if workshop.id is not None:
        lock_row(workshop)


def take_place(participation: Participation, now: datetime | None = None) -> InvitationStatus:
    """The one writer of an acceptance: a place when one is free, else the waitlist. Locks the workshop first,
    so the places are counted after every earlier answer has been committed (capacity holds under load)."""
    workshop = participation.workshop
    lock_places(workshop)
    stmt = select(func.count(Participation.id)).where(
        Participation.workshop_id == workshop.id, Participation.invitation_status == InvitationStatus.ACCEPTED
    )
    if participation.id is not None:
        stmt = stmt.where(Participation.id != participation.id)
    full = workshop.capacity is not None and (db.session.scalar(stmt) or 0) >= workshop.capacity
    participation.invitation_status = InvitationStatus.WAITLISTED if full else InvitationStatus.ACCEPTED
    participation.responded_at = now or utcnow()
    db.session.flush()
    return participation.invitation_status


def invite_to_place(workshop: Workshop, person, now: datetime,
                    participation: Participation | None = None) -> Participation | None:
    """The one writer of an invitation: the person's participation (new, or one still only invited) becomes
    invited. Someone who has answered already (accepted, waitlisted, declined) keeps their place: None."""
    if participation is not None and participation.invitation_status != InvitationStatus.INVITED:
        return None
    if participation is None:
        participation = Participation(workshop=workshop, person=person, role=ParticipationRole.EXPERT)
        db.session.add(participation)
    participation.invitation_status = InvitationStatus.INVITED
    participation.invited_at = now
    db.session.flush()
    return participation


def give_up_place(participation: Participation, now: datetime | None = None) -> None:
    """The one writer of a declined invitation: a freed place goes to the waitlist in order."""
    was_accepted = participation.invitation_status == InvitationStatus.ACCEPTED
    participation.invitation_status = InvitationStatus.DECLINED
    participation.responded_at = now or utcnow()
    db.session.flush()
    if was_accepted:
        promote_waitlisted(participation.workshop, now)


def set_attended(participation: Participation, present: bool) -> None:
    """The one writer of who was there (the check-in list)."""
    participation.attended = bool(present)


# Who is told of a promotion from the waitlist: packages to the right (invitations) register their mail here, so
# the one writer of places stays in workshops and the dependency points one way.
_promotion_notifiers: list = []


def on_promoted(notify) -> None:
    """Registers ``notify(participation)``, called for each person promoted from the waitlist (mail after commit)."""
    if notify not in _promotion_notifiers:
        _promotion_notifiers.append(notify)


def waitlist(workshop: Workshop) -> list[Participation]:
    """The waitlisted people in order: who answered first comes first."""
    return db.session.scalars(
        select(Participation)
        .where(Participation.workshop_id == workshop.id, Participation.invitation_status == InvitationStatus.WAITLISTED)
        .order_by(Participation.responded_at, Participation.id)
    ).all()


def promote_waitlisted(workshop: Workshop, now: datetime | None = None) -> list[Participation]:
    """Gives the free places to the waitlisted people in order (through take_place) and tells each of them."""
    if workshop.status == WorkshopStatus.CANCELLED:
        return []
    lock_places(workshop)
    promoted = []
    for participation in waitlist(workshop):
        if take_place(participation, now) != InvitationStatus.ACCEPTED:
            break
        promoted.append(participation)
    for participation in promoted:
        for notify in _promotion_notifiers:
            notify(participation)
    return promoted


class WorkshopFull(DomainError):
    pass


def promote_by_hand(participation: Participation, actor, raise_capacity: bool = False) -> Participation:
    """A facilitator gives a waitlisted person a place out of order. In a full workshop only with
    ``raise_capacity``: the capacity rises by one for them, nobody else loses a place."""
    if not has_role(actor, Role.FACILITATOR):
        raise NotAllowed(_l("Only facilitators can promote people from the waitlist."))
    workshop = participation.workshop
    if workshop.status not in (WorkshopStatus.DRAFT, WorkshopStatus.SCHEDULED):
        raise NotAllowed(_l("Places can only be given before the workshop takes place."))
    if participation.invitation_status != InvitationStatus.WAITLISTED:
        raise DomainError(_l("This person is not on the waitlist."))
    lock_places(workshop)
    if workshop.capacity is not None and accepted_count(workshop) >= workshop.capacity:
        if not raise_capacity:
            raise WorkshopFull(_l("The workshop is full. Raise its capacity by one to give this person a place."))
        workshop.capacity += 1
        bump_version(workshop)  # an edit form opened before still shows the old capacity
    take_place(participation)
    for notify in _promotion_notifiers:
        notify(participation)
    return participation


# --- series ---------------------------------------------------------------------------------------------------


@dataclass
class SeriesData:
    title: str
    description: str = ""
    starts_on: date | None = None
    ends_on: date | None = None


def series_problems(data: SeriesData) -> list[tuple[str, object]]:
    problems = []
    if not (data.title or "").strip():
        problems.append(("title", _l("Please enter a title.")))
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        problems.append(("ends_on", _l("The end of the period must not be before its start.")))
    return problems


def _check_series(data: SeriesData) -> None:
    problems = series_problems(data)
    if problems:
        raise WorkshopInvalid(problems)


def create_series(data: SeriesData, actor) -> WorkshopSeries:
    _check_series(data)
    series = WorkshopSeries(title=data.title.strip(), description=data.description or "", starts_on=data.starts_on,
                            ends_on=data.ends_on)
    db.session.add(series)
    db.session.flush()
    return series


def require_current(obj: "Workshop | WorkshopSeries | AgendaBlock") -> None:
    """A workshop, series or agenda block of an earlier strategy process is read-only (EarlierProcess)."""
    if isinstance(obj, AgendaBlock):
        obj = obj.workshop
    if isinstance(obj, Workshop):
        require_current_process(obj.process_id, obj.series.process_id if obj.series is not None else None)
    else:
        require_current_process(obj.process_id)


def update_series(series: WorkshopSeries, data: SeriesData, actor, version: int | None = None) -> WorkshopSeries:
    """Saves the series; a save based on an older version (``version`` from the form) raises StaleVersion."""
    require_current(series)
    check_version(series, version)
    _check_series(data)
    series.title = data.title.strip()
    series.description = data.description or ""
    series.starts_on = data.starts_on
    series.ends_on = data.ends_on
    save_version(series)
    return series


# --- workshops ------------------------------------------------------------------------------------------------


@dataclass
class WorkshopData:
    """What a facilitator enters: the date and wall-clock times are Europe/Berlin."""

    title: str
    format: WorkshopFormat
    day: date
    start: time
    end: time
    kind: WorkshopKind = WorkshopKind.WORKSHOP
    series_id: int | None = None
    audience: str = ""
    field_ids: list[int] = field(default_factory=list)
    location: str = ""
    video_link: str = ""
    capacity: int | None = None
    facilitator_ids: list[int] = field(default_factory=list)
    description: str = ""

    # In UTC: Python compares and subtracts datetimes of one zone by wall clock, which is wrong on DST days.
    @property
    def starts_at(self) -> datetime:
        return local_datetime(self.day, self.start).astimezone(UTC)

    @property
    def ends_at(self) -> datetime:
        return local_datetime(self.day, self.end).astimezone(UTC)

    @property
    def needs_location(self) -> bool:
        return self.format in (WorkshopFormat.IN_PERSON, WorkshopFormat.HYBRID)

    @property
    def needs_video_link(self) -> bool:
        return self.format in (WorkshopFormat.VIRTUAL, WorkshopFormat.HYBRID)

    @classmethod
    def from_workshop(cls, w: Workshop) -> "WorkshopData":
        start, end = to_local(w.starts_at), to_local(w.ends_at)
        return cls(
            title=w.title, format=w.format, day=start.date(), start=start.time().replace(tzinfo=None),
            end=end.time().replace(tzinfo=None), kind=w.kind, series_id=w.series_id, audience=w.audience,
            field_ids=[f.id for f in w.fields], location=w.location, video_link=w.video_link, capacity=w.capacity,
            facilitator_ids=[u.id for u in w.facilitators], description=w.description,
        )


def is_https_url(value: str) -> bool:
    parts = urlsplit(value.strip())
    return parts.scheme == "https" and bool(parts.netloc) and " " not in value.strip()


def _exists_on_the_clock(day: date, at: time) -> bool:
    """False for wall-clock times skipped when the clocks go forward (e.g. 02:30 on the last Sunday of March)."""
    return to_local(local_datetime(day, at).astimezone(UTC)).time().replace(tzinfo=None) == at


def workshop_problems(data: WorkshopData) -> list[tuple[str, object]]:
    """The hard errors of a workshop: each one blocks saving."""
    problems: list[tuple[str, object]] = []
    if not (data.title or "").strip():
        problems.append(("title", _l("Please enter a title.")))
    if not data.field_ids:
        problems.append(("fields", _l("Please choose at least one action field.")))
    if data.day is not None and data.start is not None and data.end is not None:  # else the form names them
        for name, at in (("start_time", data.start), ("end_time", data.end)):
            if not _exists_on_the_clock(data.day, at):
                problems.append((name, _l("This time does not exist on this day: the clocks go forward.")))
        if data.ends_at <= data.starts_at:
            problems.append(("end_time", _l("The end must be after the start.")))
    if data.needs_location and not (data.location or "").strip():
        problems.append(("location", _l("Please enter a location for an event in person or a hybrid one.")))
    if data.needs_video_link and not (data.video_link or "").strip():
        problems.append(("video_link", _l("Please enter a video link for a virtual or hybrid event.")))
    elif (data.video_link or "").strip() and not is_https_url(data.video_link):
        problems.append(("video_link", _l("Please enter the video link as a full address starting with https://.")))
    if data.capacity is not None and data.capacity < 1:
        problems.append(("capacity", _l("The capacity must be a positive whole number.")))
    if data.facilitator_ids:
        found = db.session.scalars(
            select(User.id).where(User.id.in_(data.facilitator_ids), User.role.in_([Role.FACILITATOR, Role.ADMIN]))
        ).all()
        if len(set(found)) != len(set(data.facilitator_ids)):
            problems.append(("facilitators", _l("Only facilitators and administrators can facilitate a workshop.")))
    if data.series_id and db.session.get(WorkshopSeries, data.series_id) is None:
        problems.append(("series", _l("This series does not exist.")))
    return problems


def implausible_dates(data: WorkshopData, workshop: Workshop | None = None, now: datetime | None = None) -> list:
    """Warnings about a date that is probably a typing error: in the past (a new workshop, or one moved there) or
    more than MAX_YEARS_AHEAD years ahead. The series' period is checked with the other conflicts."""
    now = now or utcnow()
    warnings = []
    moved = workshop is None or workshop.starts_at != data.starts_at
    if moved and data.starts_at < now:
        warnings.append(_l("The date %(day)s lies in the past.", day=format_date(data.day, "medium")))
    today = to_local(now).date()
    try:
        limit = today.replace(year=today.year + MAX_YEARS_AHEAD)
    except ValueError:  # 29 February
        limit = today.replace(year=today.year + MAX_YEARS_AHEAD, day=28)
    if data.day > limit:
        warnings.append(_l("The date %(day)s is more than %(years)s years ahead.",
                           day=format_date(data.day, "medium"), years=MAX_YEARS_AHEAD))
    return warnings


def find_conflicts(data: WorkshopData, workshop: Workshop | None = None) -> list:
    """Warnings (not errors): implausible dates; double bookings of facilitators, accepted experts and rooms; the
    series' period."""
    start, end = data.starts_at, data.ends_at
    if end <= start:
        return []
    own_id = workshop.id if workshop is not None else None
    overlap = (Workshop.starts_at < end) & (Workshop.ends_at > start) & (Workshop.status != WorkshopStatus.CANCELLED)
    if own_id is not None:
        overlap &= Workshop.id != own_id
    others = db.session.scalars(
        select(Workshop).where(overlap).options(selectinload(Workshop.facilitators)).order_by(Workshop.starts_at)
    ).all()
    conflicts = implausible_dates(data, workshop)
    wanted_facilitators = set(data.facilitator_ids)
    location = (data.location or "").strip().lower()
    for other in others:
        for user in other.facilitators:
            if user.id in wanted_facilitators:
                conflicts.append(_l("%(name)s already facilitates “%(title)s” at an overlapping time.",
                                    name=user.name, title=other.title))
        if data.needs_location and other.needs_location and location and other.location.strip().lower() == location:
            conflicts.append(_l("The location “%(location)s” is already booked for “%(title)s” at an overlapping time.",
                                location=other.location, title=other.title))
    if own_id is not None:
        accepted_here = select(Participation.person_id).where(
            Participation.workshop_id == own_id, Participation.invitation_status == InvitationStatus.ACCEPTED
        )
        clashes = db.session.execute(
            select(Person, Workshop)
            .join(Participation, Participation.person_id == Person.id)
            .join(Workshop, Workshop.id == Participation.workshop_id)
            .where(overlap, Participation.invitation_status == InvitationStatus.ACCEPTED,
                   Participation.person_id.in_(accepted_here))
            .order_by(Person.last_name, Workshop.starts_at)
        ).all()
        for person, other in clashes:
            conflicts.append(_l("%(name)s has accepted “%(title)s”, which overlaps with this one.",
                                name=person.full_name, title=other.title))
    if data.series_id:
        series = db.session.get(WorkshopSeries, data.series_id)
        if series is not None:
            first, last = to_local(start).date(), to_local(end).date()
            if (series.starts_on and first < series.starts_on) or (series.ends_on and last > series.ends_on):
                conflicts.append(_l(
                    "The date lies outside the period of the series “%(title)s” (%(start)s – %(end)s).",
                    title=series.title,
                    start=format_date(series.starts_on, "medium") if series.starts_on else "…",
                    end=format_date(series.ends_on, "medium") if series.ends_on else "…",
                ))
    return conflicts


def _check_workshop(data: WorkshopData, workshop: Workshop | None, confirmed: bool) -> None:
    problems = workshop_problems(data)
    if workshop is not None and data.capacity is not None:
        accepted = accepted_count(workshop)
        if data.capacity < accepted:
            problems.append(("capacity", _l(
                "The capacity cannot be lower than the %(count)s people who have already accepted.", count=accepted)))
    kept = {f.id for f in workshop.fields} if workshop is not None else set()
    if data.field_ids and db.session.scalar(select(func.count(ActionField.id)).where(
            ActionField.id.in_(set(data.field_ids) - kept), ActionField.retired_at.is_not(None))):
        problems.append(("fields", _l("A retired action field cannot be chosen for a workshop.")))
    if problems:
        raise WorkshopInvalid(problems)
    conflicts = find_conflicts(data, workshop)
    if conflicts and not confirmed:
        raise ConflictsFound(conflicts)


def _apply(workshop: Workshop, data: WorkshopData) -> None:
    workshop.title = data.title.strip()
    workshop.kind = data.kind
    workshop.audience = (data.audience or "").strip()
    if data.series_id:  # a workshop belongs to the strategy process of its series; an earlier one is read-only
        series_process = db.session.scalar(select(WorkshopSeries.process_id).where(WorkshopSeries.id == data.series_id))
        if is_earlier_process(series_process):
            raise EarlierProcess(EARLIER_PROCESS_MESSAGE, field="series")
        workshop.process_id = series_process or workshop.process_id
    workshop.series_id = data.series_id
    workshop.format = data.format
    workshop.starts_at = data.starts_at
    workshop.ends_at = data.ends_at
    workshop.location = (data.location or "").strip()
    workshop.video_link = (data.video_link or "").strip()
    workshop.capacity = data.capacity
    workshop.description = data.description or ""
    workshop.fields = db.session.scalars(
        select(ActionField).where(ActionField.id.in_(data.field_ids)).order_by(ActionField.position)
    ).all()
    workshop.facilitators = db.session.scalars(
        select(User).where(User.id.in_(data.facilitator_ids)).order_by(User.display_name)
    ).all() if data.facilitator_ids else []


def create_workshop(data: WorkshopData, actor, confirmed: bool = False) -> Workshop:
    """A new workshop in draft. Conflicts raise ConflictsFound unless the facilitator confirmed them."""
    _check_workshop(data, None, confirmed)
    workshop = Workshop(status=WorkshopStatus.DRAFT, sequence=0)
    _apply(workshop, data)
    db.session.add(workshop)
    db.session.flush()
    return workshop


def update_workshop(workshop: Workshop, data: WorkshopData, actor, confirmed: bool = False,
                    version: int | None = None) -> Workshop:
    """Saves the workshop; a save based on an older version (``version`` from the form) raises StaleVersion.

    The workshop's row is locked first, so the capacity is checked against the places taken at this moment."""
    require_current(workshop)
    check_version(workshop, version)
    if workshop.status == WorkshopStatus.CANCELLED:
        raise NotAllowed(_l("A cancelled workshop cannot be changed."))
    lock_row(workshop)
    check_version(workshop, version)
    _check_workshop(data, workshop, confirmed)
    before = (workshop.starts_at, workshop.ends_at, workshop.location, workshop.format)
    capacity_before = workshop.capacity
    _apply(workshop, data)
    if before != (workshop.starts_at, workshop.ends_at, workshop.location, workshop.format):
        workshop.sequence += 1
    save_version(workshop)
    if capacity_before is not None and (workshop.capacity is None or workshop.capacity > capacity_before):
        promote_waitlisted(workshop)  # more places: the waitlist moves up in order, each one is told
    return workshop


def duplicate_workshop(source: Workshop, day: date, actor, title: str | None = None) -> Workshop:
    """A template for the next workshop: same fields, format, times of day, place, facilitators and agenda;
    a new date; draft; no participants."""
    start, end = to_local(source.starts_at), to_local(source.ends_at)
    # A copy of an earlier process's workshop is planned in the current process, outside the earlier series.
    series = source.series if source.series is not None and not is_earlier_process(source.series.process_id) \
        else None
    new_start = local_datetime(day, start.time().replace(tzinfo=None)).astimezone(UTC)
    new_end = local_datetime(day + (end.date() - start.date()), end.time().replace(tzinfo=None)).astimezone(UTC)
    copy = Workshop(
        title=(title or source.title).strip(), kind=source.kind, audience=source.audience, series=series,
        format=source.format, starts_at=new_start, ends_at=new_end, location=source.location,
        video_link=source.video_link, capacity=source.capacity, description=source.description,
        status=WorkshopStatus.DRAFT, sequence=0,
    )
    copy.fields = list(source.fields)
    copy.facilitators = list(source.facilitators)
    copy.agenda_blocks = [
        AgendaBlock(position=b.position, title=b.title, kind=b.kind, duration_minutes=b.duration_minutes,
                    responsible_id=b.responsible_id, notes=b.notes)
        for b in source.agenda_blocks
    ]
    db.session.add(copy)
    db.session.flush()
    return copy


def change_workshop_status(workshop: Workshop, status: WorkshopStatus, actor, today: date | None = None) -> Workshop:
    """draft → scheduled → held → documented; cancelling goes through cancel_workshop (reason, notices).

    "Held" only on or after the workshop's day (Europe/Berlin; ``today`` for tests); a facilitator may reopen a
    documented workshop (back to held), e.g. so its findings can be corrected."""
    if status == WorkshopStatus.CANCELLED:
        raise NotAllowed(_l("Please cancel a workshop with a reason, so its participants can be told."))
    require_current(workshop)
    if workshop.status == WorkshopStatus.DOCUMENTED and not has_role(actor, Role.FACILITATOR):
        raise NotAllowed(_l("Only a facilitator can reopen a documented workshop."))
    workshop.change_status(status, today)
    workshop.sequence += 1
    db.session.flush()
    return workshop


def cancel_workshop(workshop: Workshop, reason: str, actor) -> int:
    """Cancels and tells every invited, accepted or waitlisted participant (German e-mail with an .ics CANCEL).

    Returns the number of e-mails sent."""
    reason = (reason or "").strip()
    if not reason:
        raise WorkshopInvalid([("reason", _l("Please give a reason for the cancellation."))])
    require_current(workshop)
    workshop.change_status(WorkshopStatus.CANCELLED)
    workshop.cancel_reason = reason
    workshop.sequence += 1
    db.session.flush()
    from planner.workshops.calendars import build_calendar

    recipients = [p for p in participations_of(workshop) if p.invitation_status in NOTIFIED_ON_CANCEL]
    sent = 0
    with force_locale("de"):
        ics = build_calendar([workshop], method="CANCEL")
        when = format_datetime(workshop.starts_at, "full")
        subject = _("Cancelled: %(title)s", title=workshop.title)
        for participation in recipients:
            text = _(
                "Dear %(name)s,\n\nunfortunately the event “%(title)s” on %(when)s has been cancelled.\n\n"
                "Reason: %(reason)s\n\nThe attached calendar file removes the date from your calendar.\n\n"
                "Kind regards\nThe Smart City team of %(city)s",
                name=participation.person.full_name, title=workshop.title, when=when, reason=reason,
                city=identity.city_name(),
            )
            send_mail(participation.person.email, subject, text,
                      attachments=[("absage.ics", "text/calendar", ics)])
            sent += 1
    return sent


# --- agenda ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledBlock:
    block: AgendaBlock
    starts_at: datetime
    ends_at: datetime

    @property
    def captures_findings(self) -> bool:
        return self.block.kind.captures_findings


def agenda_schedule(workshop: Workshop) -> list[ScheduledBlock]:
    """Each block's start and end: the day's start plus the durations of the blocks before it."""
    schedule = []
    at = workshop.starts_at.astimezone(UTC)  # real minutes, also across a clock change
    for block in sorted(workshop.agenda_blocks, key=lambda b: (b.position, b.id or 0)):
        end = at + timedelta(minutes=block.duration_minutes)
        schedule.append(ScheduledBlock(block, at, end))
        at = end
    return schedule


def agenda_end(workshop: Workshop) -> datetime:
    minutes = sum(b.duration_minutes for b in workshop.agenda_blocks)
    return workshop.starts_at.astimezone(UTC) + timedelta(minutes=minutes)


def agenda_overruns(workshop: Workshop) -> bool:
    return bool(workshop.agenda_blocks) and agenda_end(workshop) > workshop.ends_at.astimezone(UTC)


@dataclass
class BlockData:
    title: str
    kind: AgendaBlockKind
    duration_minutes: int
    responsible_id: int | None = None
    notes: str = ""
    # What the responsible person's search field holds; when set, it decides responsible_id (resolve_responsible).
    responsible_name: str | None = None


def _check_block(data: BlockData) -> None:
    problems = []
    if not (data.title or "").strip():
        problems.append(("title", _l("Please enter a title.")))
    if data.duration_minutes is None or not MIN_BLOCK_MINUTES <= data.duration_minutes <= MAX_BLOCK_MINUTES:
        problems.append(("duration_minutes", _l("The duration must be between %(min)s and %(max)s minutes.",
                                                min=MIN_BLOCK_MINUTES, max=MAX_BLOCK_MINUTES)))
    if data.responsible_id and db.session.get(Person, data.responsible_id) is None:
        problems.append(("responsible", _l("This person does not exist.")))
    if problems:
        raise WorkshopInvalid(problems)


def _renumber(workshop: Workshop) -> None:
    for position, block in enumerate(sorted(workshop.agenda_blocks, key=lambda b: (b.position, b.id or 0))):
        block.position = position


def _resolve_block_person(workshop: Workshop, data: BlockData, current_id: int | None = None) -> None:
    if data.responsible_name is not None:
        problems = []
        try:
            data.responsible_id = resolve_responsible(workshop, data.responsible_name, current_id)
        except WorkshopInvalid as error:
            problems = error.problems
        try:
            _check_block(data)
        except WorkshopInvalid as error:
            problems = error.problems + problems
        if problems:
            raise WorkshopInvalid(problems)  # every error of the form at once


def add_agenda_block(workshop: Workshop, data: BlockData, actor) -> AgendaBlock:
    require_current(workshop)
    _resolve_block_person(workshop, data)
    _check_block(data)
    position = max((b.position for b in workshop.agenda_blocks), default=-1) + 1
    block = AgendaBlock(workshop=workshop, position=position, title=data.title.strip(), kind=data.kind,
                        duration_minutes=data.duration_minutes, responsible_id=data.responsible_id or None,
                        notes=data.notes or "")
    db.session.add(block)
    db.session.flush()
    return block


def update_agenda_block(block: AgendaBlock, data: BlockData, actor, version: int | None = None) -> AgendaBlock:
    """Saves the block; a save based on an older version (``version`` from the form) raises StaleVersion."""
    require_current(block)
    check_version(block, version)
    _resolve_block_person(block.workshop, data, block.responsible_id)
    _check_block(data)
    block.title = data.title.strip()
    block.kind = data.kind
    block.duration_minutes = data.duration_minutes
    block.responsible_id = data.responsible_id or None
    block.notes = data.notes or ""
    save_version(block)
    return block


def delete_agenda_block(block: AgendaBlock, actor) -> None:
    require_current(block)
    workshop = block.workshop
    workshop.agenda_blocks.remove(block)
    db.session.delete(block)
    _renumber(workshop)
    db.session.flush()


def move_agenda_block(block: AgendaBlock, direction: str, actor) -> bool:
    """Moves a block one place "up" or "down"; False when it is already first or last."""
    if direction not in ("up", "down"):
        raise DomainError(_l("Unknown direction."))
    require_current(block)
    workshop = block.workshop
    _renumber(workshop)
    ordered = sorted(workshop.agenda_blocks, key=lambda b: b.position)
    index = ordered.index(block)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(ordered):
        return False
    ordered[index].position, ordered[other].position = ordered[other].position, ordered[index].position
    db.session.flush()
    return True


class AgendaChanged(DomainError):
    """A reorder based on an agenda that has changed meanwhile (a block added or removed elsewhere)."""

    def __init__(self):
        super().__init__(_l("The agenda has changed meanwhile; nothing was moved. Please try again."))


def reorder_agenda(workshop: Workshop, block_ids: list[int], actor) -> bool:
    """Puts the blocks in the given order (drag and drop); the ids must be exactly the agenda's blocks.

    False when nothing changed."""
    require_current(workshop)
    blocks = {b.id: b for b in workshop.agenda_blocks}
    if len(block_ids) != len(blocks) or set(block_ids) != set(blocks):
        raise AgendaChanged()
    changed = False
    for position, block_id in enumerate(block_ids):
        if blocks[block_id].position != position:
            blocks[block_id].position = position
            changed = True
    db.session.flush()
    return changed


def fit_end_to_agenda(workshop: Workshop, actor) -> Workshop:
    """Sets the workshop's end to the end of its agenda (one click when the agenda runs longer)."""
    require_current(workshop)
    if not workshop.agenda_blocks:
        raise DomainError(_l("The agenda is empty."))
    end = agenda_end(workshop)
    if end != workshop.ends_at:
        workshop.ends_at = end
        workshop.sequence += 1
        bump_version(workshop)  # an edit form opened before still shows the old end
    db.session.flush()
    return workshop


@dataclass(frozen=True)
class ResponsibleOption:
    """A person who can be responsible for an agenda block; ``display`` is what the search field holds.

    A facilitator whose account has no person record yet is offered by ``user``; choosing them creates it."""

    person: Person | None
    display: str
    note: str  # "Facilitator", "Invited", "Accepted", ... in the UI language
    user: User | None = None

    @property
    def name(self) -> str:
        return self.person.full_name if self.person is not None else (self.user.display_name or self.user.email)

    @property
    def organisation(self):
        return self.person.organisation if self.person is not None else None


def responsible_candidates(workshop: Workshop, current_id: int | None = None) -> list[ResponsibleOption]:
    """The workshop's facilitators first, then its invitees (not declined), and the person chosen so far.

    Never the whole expert pool: a block is led by someone who is there. Two people of one name are told apart
    by their e-mail address."""
    found: dict[object, tuple[Person | None, str, User | None]] = {}
    for user in workshop.facilitators:
        if user.person is not None:
            found.setdefault(user.person.id, (user.person, str(_l("Facilitator")), None))
        else:
            found.setdefault(f"user-{user.id}", (None, str(_l("Facilitator")), user))
    for participation in participations_of(workshop):
        if participation.invitation_status == InvitationStatus.DECLINED:
            continue
        note = participation.role.label if participation.role != ParticipationRole.EXPERT \
            else participation.invitation_status.label
        found.setdefault(participation.person_id, (participation.person, str(note), None))
    if current_id and current_id not in found:
        current = db.session.get(Person, current_id)
        if current is not None:
            found[current.id] = (current, str(_l("Chosen so far")), None)
    options = [ResponsibleOption(person, "", note, user) for person, note, user in found.values()]
    options.sort(key=lambda o: (o.name.split()[-1].lower() if o.name.split() else "", o.name.lower()))
    names = [o.name for o in options]
    return [ResponsibleOption(o.person, o.name if names.count(o.name) == 1 else
                              f"{o.name} <{o.person.email if o.person else o.user.email}>", o.note, o.user)
            for o in options]


def _person_for_facilitator(user: User) -> Person:
    """The person record of a facilitator's account (made once, from the account's name and address)."""
    person = db.session.scalar(select(Person).where(Person.email == normalise_email(user.email)))
    if person is None:
        first, _sep, last = (user.display_name or user.email.split("@")[0]).strip().rpartition(" ")
        person = Person(first_name=(first or last)[:100], last_name=(last if first else "")[:100] or "–",
                        email=user.email)
        db.session.add(person)
    user.person = person
    db.session.flush()
    return person


def resolve_responsible(workshop: Workshop, text: str | None, current_id: int | None = None,
                        check_only: bool = False) -> int | None:
    """The person id for what the search field holds (empty: nobody); anyone else is refused with a message.

    ``check_only``: only refuse, never create a facilitator's person record."""
    text = (text or "").strip()
    if not text:
        return None
    matches = [o for o in responsible_candidates(workshop, current_id) if o.display.casefold() == text.casefold()]
    if len(matches) != 1:
        raise WorkshopInvalid([("responsible", _l(
            "Please choose the responsible person from the suggestions: the workshop's facilitators and invitees."))])
    if matches[0].person is None:
        if check_only:
            return None
        return _person_for_facilitator(matches[0].user).id
    return matches[0].person.id


# --- open registration (citizen dialogues) --------------------------------------------------------------------


def registration_open(workshop: Workshop) -> bool:
    return workshop.kind.has_open_registration and workshop.status == WorkshopStatus.SCHEDULED


REGISTRATION_CONSENT_TEXT = _l(
    "I agree that the city processes my name and e-mail address to organise this event and to write to me "
    "about it. I can withdraw my consent at any time.")
REGISTRATION_KEY_CONTEXT = b"planner.workshops.registration\0"


class RegistrationLinkInvalid(DomainError):
    def __init__(self):
        super().__init__(_l("This confirmation link is invalid or has expired. Please register again."))


def _registration_box() -> Fernet:
    """Encrypts and authenticates the confirmation link: the address and name it carries are unreadable in the
    URL (server and proxy logs, browser history), and nothing is stored before the click."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else bytes(secret)
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(REGISTRATION_KEY_CONTEXT + secret).digest()))


def registration_token(workshop_id: int, email: str, first_name: str, last_name: str, locale: str = "de") -> str:
    payload = {"w": workshop_id, "e": email, "f": first_name, "l": last_name, "loc": locale}
    return _registration_box().encrypt(json.dumps(payload).encode()).decode()


def registration_link_hours() -> int:
    return int(current_app.config.get("REGISTRATION_LINK_HOURS", 48))


def _person_by_email(email: str) -> Person | None:
    return db.session.scalar(select(Person).where(func.lower(Person.email) == normalise_email(email)))


def _check_registration_open(workshop: Workshop) -> None:
    if not workshop.kind.has_open_registration:
        raise NotAllowed(_l("This event has no open registration."))
    if workshop.status != WorkshopStatus.SCHEDULED:
        raise NotAllowed(_l("Registration for this event is closed."))


def request_registration(workshop: Workshop, first_name: str, last_name: str, email: str,
                         locale: str = "de") -> None:
    """A citizen asks to register for a citizen dialogue (no account). Nothing is stored: a mail to the address
    carries a signed, expiring link, and only its confirmation registers (double opt-in), so nobody can sign up
    someone else or change an existing person. The answer is the same whether the address is known or not."""
    _check_registration_open(workshop)
    locale = locale if locale in ("de", "en") else "de"
    email = normalise_email(email)
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if not email or not first_name or not last_name:
        raise WorkshopInvalid([("email", _l("Please enter your name and e-mail address."))])
    person = _person_by_email(email)
    from planner.workshops.calendars import base_url

    with force_locale(locale):
        when = format_datetime(workshop.starts_at, "full")
        city = identity.city_name()
        if person is not None and person.consent_withdrawn_at is not None:
            subject = _("Your registration: %(title)s", title=workshop.title)
            body = [
                _("Hello,"),
                _("someone (hopefully you) asked to register this address for “%(title)s” on %(when)s.",
                  title=workshop.title, when=when),
                _("You have withdrawn your consent to the processing of your data, so we cannot register you online. "
                  "If you would like to take part, please contact the Smart City team; they will explain what it "
                  "means for your data. If you did not ask for this, ignore this e-mail."),
            ]
        else:
            token = registration_token(workshop.id, email, first_name, last_name, locale)
            subject = _("Please confirm your registration: %(title)s", title=workshop.title)
            body = [
                _("Hello,"),
                _("someone (hopefully you) asked to register this address for “%(title)s” on %(when)s.",
                  title=workshop.title, when=when),
                _("To confirm the registration, open this link within %(hours)s hours:",
                  hours=registration_link_hours()),
                f"{base_url()}{_registration_path(token)}",
                _("If you did not ask for it, ignore this e-mail: nothing is registered and nothing is stored."),
            ]
        body.append(_("Kind regards\nThe Smart City team of %(city)s", city=city))
        send_mail(email, subject, "\n\n".join(body))


def _registration_path(token: str) -> str:
    from planner.workshops import bp

    return f"{bp.url_prefix}/register/confirm/{token}"


@dataclass(frozen=True)
class PendingRegistration:
    workshop: Workshop
    email: str
    first_name: str
    last_name: str
    locale: str


def read_registration_link(token: str) -> PendingRegistration:
    try:
        data = json.loads(_registration_box().decrypt(token.encode(), ttl=registration_link_hours() * 3600))
        workshop = db.session.get(Workshop, int(data["w"]))
        pending = PendingRegistration(workshop, normalise_email(data["e"]), str(data["f"]), str(data["l"]),
                                      str(data.get("loc") or "de"))
    except (InvalidToken, KeyError, TypeError, ValueError) as error:
        raise RegistrationLinkInvalid() from error
    if workshop is None or not pending.email:
        raise RegistrationLinkInvalid()
    return pending


def confirm_registration(token: str) -> Participation:
    """The click in the confirmation mail: registers the address's owner. A new address becomes a person with the
    dialogue's consent; a known person is never changed except that their consent is recorded when they have
    none; a withdrawal is never reversed (ConsentWithdrawn). Confirming again changes nothing."""
    from planner.people.services import record_consent_if_missing

    pending = read_registration_link(token)
    workshop = pending.workshop
    _check_registration_open(workshop)
    person = _person_by_email(pending.email)
    with force_locale(pending.locale):
        consent_text = str(REGISTRATION_CONSENT_TEXT)
    if person is None:
        person = Person(first_name=pending.first_name[:100], last_name=pending.last_name[:100], email=pending.email)
        db.session.add(person)
        db.session.flush()
    record_consent_if_missing(person, consent_text)
    participation = db.session.scalar(
        select(Participation).where(Participation.workshop_id == workshop.id, Participation.person_id == person.id))
    if participation is not None and participation.invitation_status in (InvitationStatus.ACCEPTED,
                                                                         InvitationStatus.WAITLISTED):
        return participation  # confirmed before: nothing changes, no second mail
    if participation is None:
        participation = Participation(workshop=workshop, person=person, role=ParticipationRole.CITIZEN)
        db.session.add(participation)
    take_place(participation)  # the one writer of a place: locks the workshop, so capacity holds
    db.session.flush()
    _send_registration_mail(workshop, participation)
    return participation


def _send_registration_mail(workshop: Workshop, participation: Participation) -> None:
    from planner.workshops.calendars import build_calendar, workshop_url

    with force_locale("de"):
        when = format_datetime(workshop.starts_at, "full")
        until = format_time(workshop.ends_at, "short")
        if participation.invitation_status == InvitationStatus.ACCEPTED:
            subject = _("Registration confirmed: %(title)s", title=workshop.title)
            body = _("your registration for “%(title)s” on %(when)s (until %(until)s) is confirmed.",
                     title=workshop.title, when=when, until=until)
            attachments = [("termin.ics", "text/calendar", build_calendar([workshop], method="PUBLISH"))]
        else:
            subject = _("Waitlist: %(title)s", title=workshop.title)
            body = _("“%(title)s” on %(when)s is fully booked. You are on the waitlist; we will write to you when a "
                     "place becomes free.", title=workshop.title, when=when)
            attachments = []
        place = workshop.location or workshop.video_link
        text = "\n\n".join(filter(None, [
            _("Dear %(name)s,", name=participation.person.full_name),
            body,
            _("Place: %(place)s", place=place) if place else "",
            workshop_url(workshop),
            _("Kind regards\nThe Smart City team of %(city)s", city=identity.city_name()),
        ]))
        send_mail(participation.person.email, subject, text, attachments=attachments)


# --- networking -----------------------------------------------------------------------------------------------


def took_part(participation: Participation | None) -> bool:
    """Accepted and not recorded as absent."""
    return (participation is not None and participation.invitation_status == InvitationStatus.ACCEPTED
            and participation.attended is not False)


def own_participation(user, workshop: Workshop) -> Participation | None:
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return None
    return db.session.scalar(
        select(Participation).where(Participation.workshop_id == workshop.id, Participation.person_id == person_id)
    )


def may_see_network(user, workshop: Workshop) -> bool:
    """Facilitators, and participants who took part (they see the list once they consented themselves)."""
    return has_role(user, Role.FACILITATOR) or took_part(own_participation(user, workshop))


def networking_contacts(workshop: Workshop, exclude_person_id: int | None = None) -> list[Participation]:
    """Participants who took part and agreed to share their contact details."""
    stmt = (
        select(Participation)
        .join(Person, Person.id == Participation.person_id)
        .where(Participation.workshop_id == workshop.id, Participation.shares_contact.is_(True),
               Participation.invitation_status == InvitationStatus.ACCEPTED,
               or_(Participation.attended.is_(None), Participation.attended.is_(True)))
        .options(selectinload(Participation.person).selectinload(Person.organisation),
                 selectinload(Participation.person).selectinload(Person.fields))
        .order_by(Person.last_name, Person.first_name)
    )
    if exclude_person_id:
        stmt = stmt.where(Participation.person_id != exclude_person_id)
    return db.session.scalars(stmt).all()


def set_shares_contact(workshop: Workshop, actor, shares: bool) -> Participation:
    participation = own_participation(actor, workshop)
    if not took_part(participation):
        raise NotAllowed(_l("Only participants of this workshop can share their contact details."))
    participation.shares_contact = bool(shares)
    db.session.flush()
    return participation


# --- calendar links -------------------------------------------------------------------------------------------


def create_calendar_token(actor, *, series: WorkshopSeries | None = None, person: Person | None = None) -> str:
    """A new secret feed link; an earlier active link for the same feed stops working. Returns the secret once."""
    if (series is None) == (person is None):
        raise DomainError(_l("A calendar link belongs to either a series or a person."))
    if series is not None and not has_role(actor, Role.FACILITATOR):
        raise NotAllowed(_l("Only facilitators can create a link to a series calendar."))
    if person is not None and getattr(actor, "person_id", None) != person.id:
        raise NotAllowed(_l("You can only create your own calendar link."))
    kind = CalendarFeedKind.SERIES if series is not None else CalendarFeedKind.PERSON
    for old in active_tokens(series=series, person=person):
        old.revoked_at = utcnow()
    secret = new_token()
    db.session.add(CalendarToken(token_hash=hash_token(secret), kind=kind, series=series, person=person,
                                 created_by_id=getattr(actor, "id", None)))
    db.session.flush()
    return secret


def may_manage_token(actor, token: CalendarToken) -> bool:
    if token.kind == CalendarFeedKind.SERIES:
        return has_role(actor, Role.FACILITATOR)
    return token.person_id is not None and getattr(actor, "person_id", None) == token.person_id


def revoke_calendar_token(token: CalendarToken, actor) -> None:
    if not may_manage_token(actor, token):
        raise NotAllowed(_l("You cannot revoke this calendar link."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.session.flush()


def active_tokens(*, series: WorkshopSeries | None = None, person: Person | None = None) -> list[CalendarToken]:
    stmt = select(CalendarToken).where(CalendarToken.revoked_at.is_(None))
    if series is not None:
        stmt = stmt.where(CalendarToken.series_id == series.id)
    if person is not None:
        stmt = stmt.where(CalendarToken.person_id == person.id)
    return db.session.scalars(stmt.order_by(CalendarToken.id)).all()


def token_for_secret(secret: str, kind: CalendarFeedKind) -> CalendarToken | None:
    if not secret or len(secret) > 200:
        return None
    token = db.session.scalar(select(CalendarToken).where(CalendarToken.token_hash == hash_token(secret)))
    if token is None or token.kind != kind or token.revoked_at is not None:
        return None
    return token


def feed_workshops(token: CalendarToken) -> list[Workshop]:
    """A series feed: its scheduled, held and documented workshops. A personal feed: those of them the person
    accepted or is invited to. Drafts and cancelled workshops never appear in a feed."""
    stmt = select(Workshop).options(selectinload(Workshop.agenda_blocks), selectinload(Workshop.facilitators))
    if token.kind == CalendarFeedKind.SERIES:
        stmt = stmt.where(Workshop.series_id == token.series_id, Workshop.status.in_(PUBLIC_STATUSES))
    else:
        stmt = stmt.where(Workshop.id.in_(
            select(Participation.workshop_id).where(
                Participation.person_id == token.person_id,
                Participation.invitation_status.in_([InvitationStatus.ACCEPTED, InvitationStatus.INVITED]),
            )
        ), Workshop.status.in_(PUBLIC_STATUSES))
    return db.session.scalars(stmt.order_by(Workshop.starts_at, Workshop.id)).all()


# --- workshop templates ---------------------------------------------------------------------------------------

STANDARD_TEMPLATE_KEY = "standard"


@dataclass(frozen=True)
class TemplateBlock:
    title: str
    kind: AgendaBlockKind
    duration_minutes: int
    notes: str = ""


@dataclass(frozen=True)
class TemplateChoice:
    """A template as the new-workshop form offers it: the shipped standard one or a city template."""

    key: str  # "standard" or "city-<id>"
    name: str
    format: WorkshopFormat
    start: time
    end: time
    blocks: tuple[TemplateBlock, ...]
    template: "WorkshopTemplate | None" = None

    @property
    def total_minutes(self) -> int:
        return sum(b.duration_minutes for b in self.blocks)


def standard_template() -> TemplateChoice:
    """The standard full-day strategy workshop (09:00–16:00), in the UI language of the moment."""
    blocks = (
        (_("Welcome and goals of the day"), AgendaBlockKind.WELCOME, 15),
        (_("Keynote input"), AgendaBlockKind.INPUT, 30),
        (_("Status quo: strengths, weaknesses, opportunities, risks"), AgendaBlockKind.STATUS_QUO, 75),
        (_("Coffee break"), AgendaBlockKind.BREAK, 15),
        (_("Needs for action"), AgendaBlockKind.NEEDS, 75),
        (_("Lunch break"), AgendaBlockKind.BREAK, 45),
        (_("Measures: ideas and first fact sheets"), AgendaBlockKind.MEASURES, 90),
        (_("Coffee break"), AgendaBlockKind.BREAK, 15),
        (_("Networking"), AgendaBlockKind.NETWORKING, 30),
        (_("Wrap-up and next steps"), AgendaBlockKind.WRAP_UP, 30),
    )
    return TemplateChoice(
        key=STANDARD_TEMPLATE_KEY, name=_("Standard full-day strategy workshop"), format=WorkshopFormat.VIRTUAL,
        start=time(9, 0), end=time(16, 0), blocks=tuple(TemplateBlock(t, k, m) for t, k, m in blocks),
    )


def _city_choice(template: WorkshopTemplate) -> TemplateChoice:
    blocks = []
    for raw in template.blocks or []:
        try:
            blocks.append(TemplateBlock(str(raw["title"]), AgendaBlockKind(raw["kind"]),
                                        int(raw["duration_minutes"]), str(raw.get("notes", ""))))
        except (KeyError, TypeError, ValueError):
            continue  # a damaged entry is left out rather than breaking the form
    return TemplateChoice(key=f"city-{template.id}", name=template.name, format=template.format,
                          start=time.fromisoformat(template.start_time), end=time.fromisoformat(template.end_time),
                          blocks=tuple(blocks), template=template)


def city_templates() -> list[WorkshopTemplate]:
    return list(db.session.scalars(select(WorkshopTemplate).order_by(func.lower(WorkshopTemplate.name),
                                                                     WorkshopTemplate.id)))


def template_choices() -> list[TemplateChoice]:
    """The standard template first, then the city's own ones by name."""
    return [standard_template()] + [_city_choice(t) for t in city_templates()]


def template_for_key(key: str | None) -> TemplateChoice | None:
    if not key:
        return None
    if key == STANDARD_TEMPLATE_KEY:
        return standard_template()
    if key.startswith("city-") and key[5:].isdigit():
        template = db.session.get(WorkshopTemplate, int(key[5:]))
        if template is not None:
            return _city_choice(template)
    raise DomainError(_l("This template no longer exists. Please choose another one."), field="template")


def apply_template(workshop: Workshop, choice: TemplateChoice) -> None:
    """Gives a workshop without an agenda the template's agenda (the times follow from the workshop's start)."""
    require_current(workshop)
    if workshop.agenda_blocks:
        raise DomainError(_l("The workshop already has an agenda."))
    for position, block in enumerate(choice.blocks):
        db.session.add(AgendaBlock(workshop=workshop, position=position, title=block.title, kind=block.kind,
                                   duration_minutes=block.duration_minutes, notes=block.notes))
    db.session.flush()


def create_workshop_from_template(data: WorkshopData, template_key: str | None, actor,
                                  confirmed: bool = False) -> Workshop:
    """A new draft workshop; with a template its agenda exists at once."""
    choice = template_for_key(template_key)
    workshop = create_workshop(data, actor, confirmed=confirmed)
    if choice is not None:
        apply_template(workshop, choice)
    return workshop


def _check_template_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Please enter a name for the template."), field="name")
    if len(name) > 200:
        raise DomainError(_l("The name may be at most %(max)s characters long.", max=200), field="name")
    return name


def save_as_template(workshop: Workshop, name: str, actor) -> WorkshopTemplate:
    """Saves the workshop's format, times of day and agenda (without people) as a city template."""
    name = _check_template_name(name)
    if not workshop.agenda_blocks:
        raise DomainError(_l("A workshop without an agenda cannot be saved as a template."))
    start, end = to_local(workshop.starts_at), to_local(workshop.ends_at)
    template = WorkshopTemplate(
        name=name, format=workshop.format, start_time=start.strftime("%H:%M"), end_time=end.strftime("%H:%M"),
        blocks=[{"title": b.title, "kind": b.kind.value, "duration_minutes": b.duration_minutes, "notes": b.notes}
                for b in sorted(workshop.agenda_blocks, key=lambda b: (b.position, b.id or 0))],
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(template)
    db.session.flush()
    return template


def rename_template(template: WorkshopTemplate, name: str, actor) -> WorkshopTemplate:
    template.name = _check_template_name(name)
    db.session.flush()
    return template


def delete_template(template: WorkshopTemplate, actor) -> None:
    """Workshops made from it keep their agenda: a template is only copied, never linked."""
    db.session.delete(template)
    db.session.flush()
