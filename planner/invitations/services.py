"""Invitations, answers, waitlist, reminders, attendance, participant lists, sector balance and date finding.

Services take the acting user (or, on the public link pages, the invitation the token opened) as a parameter,
only flush, and raise DomainError subclasses with user-facing messages.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from planner.core.errors import DomainError, NotAllowed
from planner.core.models import utcnow
from planner.core.security import hash_token, new_token
from planner.core.timeutil import local_today, to_local
from planner.extensions import db
from planner.invitations import mails
from planner.invitations.models import DateAnswer, DateOption, DatePoll, DatePollReminder, DateVote, Invitation
from planner.jobs.models import Job, JobStatus
from planner.jobs.services import enqueue
from planner.people.models import Organisation, Person, Sector
from planner.people.services import record_consent
from planner.workshops.models import (
    InvitationStatus,
    Participation,
    ParticipationRole,
    Workshop,
    WorkshopStatus,
)
from planner.workshops.services import (
    give_up_place,
    invite_to_place,
    on_promoted,
    require_current,
    set_attended,
    take_place,
)
from planner.workshops.services import promote_waitlisted as workshop_promote_waitlisted

REMINDER_INTERVAL = timedelta(days=1)
MAX_POLL_OPTIONS = 30
# More recipients than this (config INVITATION_BACKGROUND_THRESHOLD) and the e-mails go out in a background job
# (planner.invitations.tasks); up to it they are sent within the request, as before.
DEFAULT_BACKGROUND_THRESHOLD = 20
SEND_TASK = "invitations.send"
SEND_JOB_KIND = "invitation_mail"
CLOSED_STATUSES = (WorkshopStatus.CANCELLED, WorkshopStatus.HELD, WorkshopStatus.DOCUMENTED)

# What an expert agrees to when accepting (stored on the Person, word for word, with the time).
ACCEPT_CONSENT_TEXT = _l(
    "I agree that the city processes my name, organisation, e-mail address and answer to organise this "
    "workshop and the Smart City strategy process, and documents my participation. I can withdraw this "
    "consent at any time."
)


class LinkGone(DomainError):
    """The invitation link was revoked or has expired (HTTP 410)."""


class AlreadyAnswered(DomainError):
    pass


def has_shares_contact() -> bool:
    return hasattr(Participation, "shares_contact")


# --- the personal link -------------------------------------------------------------------------------------


def is_answerable(workshop: Workshop, now: datetime | None = None) -> bool:
    """Answers (accept, decline, dates) are possible until the workshop is held, cancelled or over."""
    return workshop.status not in CLOSED_STATUSES and workshop.ends_at > (now or utcnow())


def invitation_for_token(token: str) -> Invitation | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(token)).options(
            selectinload(Invitation.participation).selectinload(Participation.workshop),
            selectinload(Invitation.participation).selectinload(Participation.person),
        )
    )


def check_usable(invitation: Invitation, now: datetime | None = None, reading: bool = False) -> None:
    """A withdrawn link never works. After the workshop the link no longer answers, but ``reading`` the personal
    page stays possible for whoever answered it (read-only; the retention period ends it)."""
    if invitation.revoked_at is not None:
        raise LinkGone(_l("This invitation link has been withdrawn."))
    if reading and invitation.participation.invitation_status != InvitationStatus.INVITED:
        return
    if invitation.is_expired(now):
        raise LinkGone(_l("This invitation link has expired: the workshop is over."))


def _issue_token(participation: Participation, now: datetime) -> tuple[Invitation, str]:
    """A fresh link (256 bits; only its hash is stored). An earlier link of the same invitation stops working."""
    token = new_token()
    invitation = db.session.scalar(select(Invitation).where(Invitation.participation_id == participation.id))
    if invitation is None:
        invitation = Invitation(participation=participation, participation_id=participation.id)
        db.session.add(invitation)
    invitation.token_hash = hash_token(token)
    invitation.expires_at = participation.workshop.ends_at
    invitation.revoked_at = None
    return invitation, token


# --- inviting ------------------------------------------------------------------------------------------------


def background_threshold() -> int:
    try:
        return max(0, int(current_app.config.get("INVITATION_BACKGROUND_THRESHOLD", DEFAULT_BACKGROUND_THRESHOLD)))
    except (TypeError, ValueError):
        return DEFAULT_BACKGROUND_THRESHOLD


@dataclass
class InviteResult:
    invited: list[Person]
    skipped: list[Person]
    job: Job | None = None  # set when the e-mails go out in the background


@dataclass
class SendResult:
    count: int
    job: Job | None = None


def _send_in_background(actor, workshop: Workshop, invitation_ids: list[int], mail: str, **extra) -> Job:
    """``mail``: "invitation" or "reminder"."""
    return enqueue(SEND_JOB_KIND, SEND_TASK, actor_id=getattr(actor, "id", None), workshop_id=workshop.id,
                   invitation_ids=invitation_ids, mail=mail, **extra)


def invite_people(actor, workshop: Workshop, people: list[Person], now: datetime | None = None, *,
                  threshold: int | None = None) -> InviteResult:
    """Invites each person (a Participation in status invited, an Invitation with a personal link, an e-mail).

    People who already answered are left alone; those invited but silent get a new link. More than ``threshold``
    e-mails (default: the config's INVITATION_BACKGROUND_THRESHOLD) are sent by a background job that starts once
    the caller commits; the invitations are saved now, each one's ``sent_at`` is set when its e-mail went out.
    """
    require_current(workshop)  # an earlier strategy process is read-only
    now = now or utcnow()
    threshold = background_threshold() if threshold is None else threshold
    if workshop.status in CLOSED_STATUSES:
        raise DomainError(_l("Invitations are only possible for planned workshops."))
    if not people:
        raise DomainError(_l("Please select at least one person."), field="person_id")
    existing = {p.person_id: p for p in db.session.scalars(
        select(Participation).where(Participation.workshop_id == workshop.id))}
    result = InviteResult([], [])
    outgoing = []
    for person in dict.fromkeys(people):
        participation = invite_to_place(workshop, person, now, existing.get(person.id))
        if participation is None:
            result.skipped.append(person)
            continue
        invitation, token = _issue_token(participation, now)
        invitation.sent_at = None
        invitation.reminder_sent_at = None
        outgoing.append((person, invitation, token))
        result.invited.append(person)
    db.session.flush()
    if len(outgoing) > threshold:
        result.job = _send_in_background(actor, workshop, [inv.id for _p, inv, _t in outgoing], "invitation")
        return result
    for person, invitation, token in outgoing:
        invitation.sent_at = now
        mails.send_invitation(person, workshop, token)
    db.session.flush()
    return result


@dataclass(frozen=True)
class InvitePreview:
    """The confirmation step before sending: who gets an e-mail, the selection's sector balance, the mail."""

    invited: list[Person]
    skipped: list[Person]  # already answered: not invited again
    balance: "Balance"
    is_draft: bool
    poll: DatePoll | None
    mail: mails.RenderedMail | None
    in_background: bool


PREVIEW_TOKEN = "…"  # noqa: S105 - a placeholder in the preview, never a secret


def preview_invitations(actor, workshop: Workshop, people: list[Person]) -> InvitePreview:
    """What invite_people would do, without changing anything; the mail as the first invitee will get it."""
    require_current(workshop)
    if workshop.status in CLOSED_STATUSES:
        raise DomainError(_l("Invitations are only possible for planned workshops."))
    if not people:
        raise DomainError(_l("Please select at least one person."), field="person_id")
    answered = set(db.session.scalars(select(Participation.person_id).where(
        Participation.workshop_id == workshop.id, Participation.invitation_status != InvitationStatus.INVITED)))
    unique = list(dict.fromkeys(people))
    invited = [p for p in unique if p.id not in answered]
    skipped = [p for p in unique if p.id in answered]
    counts: dict[Sector | None, int] = {}
    for person in invited:
        counts[person.sector] = counts.get(person.sector, 0) + 1
    mail = mails.render_invitation(invited[0], workshop, mails.link_for(PREVIEW_TOKEN)) if invited else None
    return InvitePreview(invited, skipped, _balance(counts), workshop.status == WorkshopStatus.DRAFT,
                         open_poll(workshop), mail, len(invited) > background_threshold())


def people_for_filter(field_id: int | None, sector: str | None, organisation_id: int | None = None,
                      search: str | None = None) -> list[Person]:
    from planner.people.services import roster_query

    if not field_id and not sector and not organisation_id:
        raise DomainError(_l("Please choose an action field or a sector to invite by filter."), field="field")
    return list(db.session.scalars(roster_query(field_id, sector, organisation_id, search)).unique())


# --- answering -----------------------------------------------------------------------------------------------


def accepted_count(workshop: Workshop, exclude_id: int | None = None) -> int:
    stmt = select(func.count(Participation.id)).where(
        Participation.workshop_id == workshop.id, Participation.invitation_status == InvitationStatus.ACCEPTED
    )
    if exclude_id is not None:
        stmt = stmt.where(Participation.id != exclude_id)
    return db.session.scalar(stmt) or 0


def _check_open(workshop: Workshop, now: datetime) -> None:
    if workshop.status == WorkshopStatus.CANCELLED:
        raise DomainError(_l("This workshop has been cancelled."))
    if workshop.status in CLOSED_STATUSES or workshop.ends_at <= now:
        raise LinkGone(_l("This workshop is over; answers are no longer possible."))


def respond(participation: Participation, answer: str, *, consent: bool = False, share_contact: bool = False,
            now: datetime | None = None, link: str | None = None) -> InvitationStatus:
    """Accept or decline. A full workshop puts an acceptance on the waitlist; a declined seat is passed on.

    An acceptance with a place is confirmed by mail with the calendar file (``link``: the personal page)."""
    now = now or utcnow()
    workshop = participation.workshop
    _check_open(workshop, now)
    person = participation.person
    if answer == "accept":
        if participation.invitation_status == InvitationStatus.ACCEPTED:
            raise AlreadyAnswered(_l("You have already accepted this invitation."))
        if participation.invitation_status == InvitationStatus.WAITLISTED:
            raise AlreadyAnswered(_l("You are already on the waiting list for this workshop."))
        if not consent:
            raise DomainError(_l("Please agree to the processing of your data to accept."), field="consent")
        record_consent(person, ACCEPT_CONSENT_TEXT, now)
        take_place(participation, now)
        if has_shares_contact():
            participation.shares_contact = bool(share_contact)
        if participation.invitation_status == InvitationStatus.ACCEPTED:
            mails.send_accepted(person, workshop, link)
    elif answer == "decline":
        if participation.invitation_status == InvitationStatus.DECLINED:
            raise AlreadyAnswered(_l("You have already declined this invitation."))
        if has_shares_contact():
            participation.shares_contact = False
        give_up_place(participation, now)
        return participation.invitation_status
    else:
        raise DomainError(_l("Please choose whether you accept or decline."))
    participation.responded_at = now
    db.session.flush()
    return participation.invitation_status


def promote_waitlisted(workshop: Workshop, now: datetime | None = None) -> list[Participation]:
    """Moves the first waitlisted people (by the time they answered) up while seats are free; tells them.
    The places are written by planner.workshops.services (take_place); the mail is registered below."""
    return workshop_promote_waitlisted(workshop, now)


def _tell_promoted(participation: Participation) -> None:
    mails.send_promoted(participation.person, participation.workshop)


on_promoted(_tell_promoted)


def respond_as_user(user, participation: Participation, answer: str, **kwargs) -> InvitationStatus:
    """'My invitations': a signed-in expert answers for their own person only."""
    if user.person_id is None or participation.person_id != user.person_id:
        raise NotAllowed(_l("This invitation is not yours."))
    return respond(participation, answer, **kwargs)


def my_participations(user) -> list[Participation]:
    if not getattr(user, "person_id", None):
        return []
    return db.session.scalars(
        select(Participation).join(Workshop, Workshop.id == Participation.workshop_id)
        .where(Participation.person_id == user.person_id)
        .options(selectinload(Participation.workshop))
        .order_by(Workshop.starts_at.desc())
    ).all()


# --- reminders, revoking -------------------------------------------------------------------------------------


def _check_sending_open(workshop: Workshop, now: datetime) -> None:
    if workshop.status in CLOSED_STATUSES or workshop.ends_at <= now:
        raise DomainError(_l("Reminders are only possible for planned workshops."))


def send_reminders(actor, workshop: Workshop, now: datetime | None = None, *,
                   threshold: int | None = None) -> SendResult:
    """A reminder to everyone invited who has not answered, at most once a day each (with a fresh link).

    More than ``threshold`` reminders go out in a background job; each is marked as reminded now, so a second
    click does not queue them twice, and the job puts the mark back where an e-mail fails.
    """
    require_current(workshop)  # an earlier strategy process is read-only
    now = now or utcnow()
    threshold = background_threshold() if threshold is None else threshold
    _check_sending_open(workshop, now)
    rows = db.session.execute(
        select(Participation, Invitation)
        .join(Invitation, Invitation.participation_id == Participation.id)
        .where(Participation.workshop_id == workshop.id,
               Participation.invitation_status == InvitationStatus.INVITED,
               Invitation.revoked_at.is_(None))
        .options(selectinload(Participation.person))
    ).all()
    due = []
    for participation, invitation in rows:
        last = invitation.reminder_sent_at or invitation.sent_at
        if invitation.reminder_sent_at is not None and now - last < REMINDER_INTERVAL:
            continue
        due.append((participation, invitation))
    if len(due) > threshold:
        previous = {str(inv.id): inv.reminder_sent_at.isoformat() if inv.reminder_sent_at else None
                    for _p, inv in due}
        for _participation, invitation in due:
            invitation.reminder_sent_at = now
        db.session.flush()
        job = _send_in_background(actor, workshop, [inv.id for _p, inv in due], "reminder", previous=previous)
        return SendResult(len(due), job)
    outgoing = []
    for participation, invitation in due:
        _invitation, token = _issue_token(participation, now)
        invitation.reminder_sent_at = now
        outgoing.append((participation.person, token))
    db.session.flush()
    for person, token in outgoing:
        mails.send_reminder(person, workshop, token)
    return SendResult(len(outgoing))


def unsent_invitations(workshop: Workshop) -> list[Invitation]:
    """Invitations whose e-mail has not gone out (failed, or still queued) and that are still worth sending."""
    return db.session.scalars(
        select(Invitation).join(Participation, Participation.id == Invitation.participation_id)
        .where(Participation.workshop_id == workshop.id,
               Participation.invitation_status == InvitationStatus.INVITED,
               Invitation.sent_at.is_(None), Invitation.revoked_at.is_(None))
        .options(selectinload(Invitation.participation).selectinload(Participation.person))
        .order_by(Invitation.id)
    ).all()


def active_sending_jobs(workshop: Workshop) -> list[Job]:
    """The background jobs still sending this workshop's e-mails (few at a time; params are JSON)."""
    jobs = db.session.scalars(
        select(Job).where(Job.task == SEND_TASK, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
        .order_by(Job.id)
    ).all()
    return [job for job in jobs if (job.params or {}).get("workshop_id") == workshop.id]


def resend_unsent(actor, workshop: Workshop, now: datetime | None = None, *,
                  threshold: int | None = None) -> SendResult:
    """Sends the invitations whose e-mail failed again (a fresh link each), in the background above ``threshold``."""
    require_current(workshop)  # an earlier strategy process is read-only
    now = now or utcnow()
    threshold = background_threshold() if threshold is None else threshold
    if workshop.status in CLOSED_STATUSES or workshop.ends_at <= now:
        raise DomainError(_l("Invitations are only possible for planned workshops."))
    if active_sending_jobs(workshop):
        raise DomainError(_l("E-mails of this workshop are still being sent in the background. Please wait until "
                             "that job is done."))
    unsent = unsent_invitations(workshop)
    if not unsent:
        raise DomainError(_l("Every invitation of this workshop has been sent."))
    if len(unsent) > threshold:
        return SendResult(len(unsent), _send_in_background(actor, workshop, [i.id for i in unsent], "invitation"))
    outgoing = []
    for invitation in unsent:
        _invitation, token = _issue_token(invitation.participation, now)
        invitation.sent_at = now
        outgoing.append((invitation.participation.person, token))
    db.session.flush()
    for person, token in outgoing:
        mails.send_invitation(person, workshop, token)
    return SendResult(len(outgoing))


def revoke_invitation(actor, invitation: Invitation, now: datetime | None = None) -> None:
    if invitation.revoked_at is None:
        invitation.revoked_at = now or utcnow()
    db.session.flush()


# --- answers overview, attendance, export --------------------------------------------------------------------


def participations_with_invitations(workshop: Workshop) -> list[tuple[Participation, Invitation | None]]:
    return db.session.execute(
        select(Participation, Invitation)
        .outerjoin(Invitation, Invitation.participation_id == Participation.id)
        .where(Participation.workshop_id == workshop.id)
        .options(selectinload(Participation.person).selectinload(Person.organisation))
        .join(Person, Person.id == Participation.person_id)
        .order_by(Person.last_name, Person.first_name, Participation.id)
    ).all()


def status_counts(workshop: Workshop) -> dict[InvitationStatus, int]:
    rows = db.session.execute(
        select(Participation.invitation_status, func.count(Participation.id))
        .where(Participation.workshop_id == workshop.id).group_by(Participation.invitation_status)
    ).all()
    counts = dict.fromkeys(InvitationStatus, 0)
    counts.update({status: n for status, n in rows})
    return counts


def accepted_participations(workshop: Workshop) -> list[Participation]:
    return db.session.scalars(
        select(Participation).join(Person, Person.id == Participation.person_id)
        .where(Participation.workshop_id == workshop.id,
               Participation.invitation_status == InvitationStatus.ACCEPTED)
        .options(selectinload(Participation.person).selectinload(Person.organisation))
        .order_by(Person.last_name, Person.first_name, Participation.id)
    ).all()


class CheckinTooEarly(DomainError):
    def __init__(self):
        super().__init__(_l("Attendance can only be recorded on the day of the workshop."))


class LateCorrection(DomainError):
    """The workshop's day is over: a correction of the check-in list is saved only once it is confirmed."""

    def __init__(self):
        super().__init__(_l("The day of this workshop is over. Please confirm that you want to correct the "
                            "attendance afterwards."))


def checkin_phase(workshop: Workshop, today: date | None = None) -> str:
    """"before" the workshop's day, "day" (check-in), "after" (a correction that needs a confirmation)."""
    today = today or local_today()
    if today < workshop.local_day:
        return "before"
    if today > to_local(workshop.ends_at).date():
        return "after"
    return "day"


def record_attendance(actor, workshop: Workshop, attended_ids: set[int],
                      shown: dict[int, bool | None] | None = None, confirmed: bool = False,
                      today: date | None = None) -> int:
    """One save for the whole check-in list: ticked → attended, not ticked → absent.

    Check-in happens on the workshop's day (Europe/Berlin): before it nothing is recorded (CheckinTooEarly); after
    it a correction needs ``confirmed`` (LateCorrection otherwise).

    ``shown`` is what the list showed when it was opened (participation id → attended). With it, only what this
    list changed is written, so two facilitators checking people in at two doors do not undo each other's ticks;
    a person not on the list when it was opened is left alone."""
    require_current(workshop)  # an earlier strategy process is read-only
    if workshop.status == WorkshopStatus.CANCELLED:
        raise DomainError(_l("This workshop has been cancelled."))
    phase = checkin_phase(workshop, today)
    if phase == "before":
        raise CheckinTooEarly()
    if phase == "after" and not confirmed:
        raise LateCorrection()
    participations = accepted_participations(workshop)
    for participation in participations:
        present = participation.id in attended_ids
        if shown is None:
            set_attended(participation, present)
        elif participation.id not in shown:
            continue
        elif present != bool(shown[participation.id]) or participation.attended is None:
            # Changed on this list, or still unrecorded: "the others are recorded as absent".
            set_attended(participation, present)
    db.session.flush()
    return sum(1 for p in participations if p.attended)


def participant_table(workshop: Workshop) -> tuple[list[str], list[list]]:
    from flask_babel import gettext as _

    header = [_("Name"), _("Organisation"), _("Sector"), _("Action fields"), _("E-mail address"), _("Role"),
              _("Answer"), _("Attended")]
    rows = []
    people = db.session.scalars(
        select(Participation).join(Person, Person.id == Participation.person_id)
        .where(Participation.workshop_id == workshop.id)
        .options(selectinload(Participation.person).selectinload(Person.organisation),
                 selectinload(Participation.person).selectinload(Person.fields))
        .order_by(Person.last_name, Person.first_name, Participation.id)
    ).all()
    for p in people:
        person = p.person
        attended = "" if p.attended is None else (_("Yes") if p.attended else _("No"))
        rows.append([
            person.full_name,
            person.organisation.name if person.organisation else "",
            str(person.sector.label) if person.sector else "",
            ", ".join(f.code for f in person.fields),
            person.email,
            str(p.role.label),
            str(p.invitation_status.label),
            attended,
        ])
    return header, rows


# --- sector balance ------------------------------------------------------------------------------------------

CORE_SECTORS = (Sector.ADMINISTRATION, Sector.BUSINESS, Sector.SCIENCE, Sector.CIVIL_SOCIETY)


@dataclass(frozen=True)
class BalanceRow:
    sector: Sector | None
    count: int
    share: float


@dataclass(frozen=True)
class Balance:
    rows: list[BalanceRow]
    total: int
    missing: list[Sector]


def _balance(counts: dict[Sector | None, int]) -> Balance:
    total = sum(counts.values())
    rows = [BalanceRow(s, counts.get(s, 0), (counts.get(s, 0) / total) if total else 0.0) for s in Sector]
    if counts.get(None):
        rows.append(BalanceRow(None, counts[None], counts[None] / total))
    missing = [s for s in CORE_SECTORS if not counts.get(s)]
    return Balance(rows, total, missing)


def _accepted_expert_sectors(where) -> dict[Sector | None, int]:
    rows = db.session.execute(
        select(Organisation.sector, func.count(func.distinct(Participation.person_id)))
        .select_from(Participation)
        .join(Workshop, Workshop.id == Participation.workshop_id)
        .join(Person, Person.id == Participation.person_id)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .where(Participation.invitation_status == InvitationStatus.ACCEPTED,
               Participation.role == ParticipationRole.EXPERT, *where)
        .group_by(Organisation.sector)
    ).all()
    return {sector: n for sector, n in rows}


def sector_balance_for_workshop(workshop: Workshop) -> Balance:
    return _balance(_accepted_expert_sectors([Participation.workshop_id == workshop.id]))


def sector_balance_for_field(field) -> Balance:
    from planner.workshops.models import workshop_fields

    in_field = select(workshop_fields.c.workshop_id).where(workshop_fields.c.field_id == field.id)
    return _balance(_accepted_expert_sectors([Participation.workshop_id.in_(in_field),
                                              Workshop.status != WorkshopStatus.CANCELLED]))


# --- date finding --------------------------------------------------------------------------------------------


def open_poll(workshop: Workshop) -> DatePoll | None:
    return db.session.scalar(
        select(DatePoll).where(DatePoll.workshop_id == workshop.id, DatePoll.closed_at.is_(None))
        .options(selectinload(DatePoll.options)).order_by(DatePoll.id.desc()).limit(1)
    )


def latest_poll(workshop: Workshop) -> DatePoll | None:
    return db.session.scalar(
        select(DatePoll).where(DatePoll.workshop_id == workshop.id)
        .options(selectinload(DatePoll.options).selectinload(DateOption.votes)).order_by(DatePoll.id.desc()).limit(1)
    )


def create_poll(actor, workshop: Workshop, options: list[tuple[datetime, datetime]], note: str = "",
                now: datetime | None = None) -> DatePoll:
    """Opens a date poll. Proposed dates must lie ahead: a date that has already begun is refused. The poll's
    transient ``announced`` is the number of invitees mailed."""
    now = now or utcnow()
    if workshop.status != WorkshopStatus.DRAFT:
        raise DomainError(_l("Dates can only be polled for a workshop in draft."))
    current = open_poll(workshop)
    if current is not None:
        if current.upcoming_options(now):
            raise DomainError(_l("This workshop already has an open date poll."))
        current.closed_at = now  # every date of it has passed: the new proposal replaces it
    if len(options) < 2:
        raise DomainError(_l("Please propose at least two dates."), field="options")
    if len(options) > MAX_POLL_OPTIONS:
        raise DomainError(_l("Please propose at most %(num)s dates.", num=MAX_POLL_OPTIONS), field="options")
    for starts_at, ends_at in options:
        if ends_at <= starts_at:
            raise DomainError(_l("Each proposed date must end after it begins."), field="options")
        if starts_at <= now:
            raise DomainError(_l("The proposed date %(date)s has already passed. Please propose only dates to come.",
                                 date=format_datetime(starts_at, "short")), field="options")
    if len(set(options)) != len(options):
        raise DomainError(_l("The same date was proposed twice."), field="options")
    poll = DatePoll(workshop=workshop, created_by_id=getattr(actor, "id", None), note=note.strip())
    poll.options = [DateOption(starts_at=s, ends_at=e) for s, e in sorted(options)]
    db.session.add(poll)
    db.session.flush()
    poll.announced = _announce_poll(workshop, poll)  # how many were mailed (not stored): the view says so
    return poll


def _poll_invitees(workshop: Workshop) -> list[tuple[Participation, Invitation]]:
    """Who takes part in date finding: everyone with a valid personal link who has not declined."""
    return db.session.execute(
        select(Participation, Invitation)
        .join(Invitation, Invitation.participation_id == Participation.id)
        .where(Participation.workshop_id == workshop.id,
               Participation.invitation_status != InvitationStatus.DECLINED,
               Invitation.revoked_at.is_(None))
        .options(selectinload(Participation.person))
        .order_by(Participation.id)
    ).all()


def _announce_poll(workshop: Workshop, poll: DatePoll, now: datetime | None = None) -> int:
    """Mails each invitee the proposed dates with a fresh personal link (where they mark the dates)."""
    now = now or utcnow()
    outgoing = []
    for participation, _invitation in _poll_invitees(workshop):
        _inv, token = _issue_token(participation, now)
        outgoing.append((participation.person, token))
    db.session.flush()
    for person, token in outgoing:
        mails.send_poll(person, workshop, poll, token)
    return len(outgoing)


def my_votes(poll: DatePoll, participation: Participation) -> dict[int, DateAnswer]:
    rows = db.session.scalars(
        select(DateVote).join(DateOption, DateOption.id == DateVote.option_id)
        .where(DateOption.poll_id == poll.id, DateVote.participation_id == participation.id)
    ).all()
    return {v.option_id: v.answer for v in rows}


def vote(participation: Participation, poll: DatePoll, answers: dict[int, str], now: datetime | None = None) -> None:
    """An invitee marks which dates suit them. Only this poll's options still to come; only the link's own
    participation. Marks on dates that have passed are kept as they were."""
    if poll.workshop_id != participation.workshop_id:
        raise NotAllowed(_l("This date poll belongs to another workshop."))
    if not poll.is_open:
        raise DomainError(_l("The date poll is closed: the date has been fixed."))
    if participation.invitation_status == InvitationStatus.DECLINED:
        raise DomainError(_l("You have declined this invitation."))
    option_ids = {o.id for o in poll.options}
    if not answers or set(answers) - option_ids:
        raise DomainError(_l("Please mark each proposed date."))
    passed = [o for o in poll.passed_options(now) if o.id in answers]
    if passed:
        raise DomainError(_l("The date %(date)s has passed and can no longer be chosen. Please reload the page and "
                             "mark the dates still to come.", date=format_datetime(passed[0].starts_at, "short")))
    try:
        parsed = {oid: DateAnswer(value) for oid, value in answers.items()}
    except ValueError as error:
        raise DomainError(_l("Please mark each proposed date.")) from error
    existing = {v.option_id: v for v in db.session.scalars(
        select(DateVote).where(DateVote.participation_id == participation.id, DateVote.option_id.in_(option_ids)))}
    for option_id, answer in parsed.items():
        if option_id in existing:
            existing[option_id].answer = answer
        else:
            db.session.add(DateVote(option_id=option_id, participation_id=participation.id, answer=answer))
    db.session.flush()


def vote_as_user(user, participation: Participation, poll: DatePoll, answers: dict[int, str],
                 now: datetime | None = None) -> None:
    """A signed-in expert marks the dates on "My invitations": the same rule as the link, for their own person."""
    if user.person_id is None or participation.person_id != user.person_id:
        raise NotAllowed(_l("This invitation is not yours."))
    if not is_answerable(participation.workshop):
        raise DomainError(_l("This workshop is over; answers are no longer possible."))
    vote(participation, poll, answers, now)


@dataclass(frozen=True)
class GridRow:
    participation: Participation
    answers: dict[int, DateAnswer]  # option id → answer
    reminded_at: datetime | None

    @property
    def has_answered(self) -> bool:
        return bool(self.answers)


@dataclass(frozen=True)
class OptionTotal:
    option: DateOption
    yes: int
    maybe: int
    no: int


@dataclass(frozen=True)
class VoterGrid:
    """Who answered what: one row per invitee of the poll, one column per proposed date, totals per date."""

    options: list[DateOption]
    rows: list[GridRow]
    totals: list[OptionTotal]

    @property
    def not_answered(self) -> list[GridRow]:
        return [r for r in self.rows if not r.has_answered]


def voter_grid(poll: DatePoll) -> VoterGrid:
    """Everyone the poll was meant for (not declined, link not withdrawn), and anyone who voted, by name."""
    option_ids = [o.id for o in poll.options]
    votes: dict[int, dict[int, DateAnswer]] = {}
    for v in db.session.scalars(select(DateVote).where(DateVote.option_id.in_(option_ids))):
        votes.setdefault(v.participation_id, {})[v.option_id] = v.answer
    reminded = dict(db.session.execute(
        select(DatePollReminder.participation_id, DatePollReminder.sent_at).where(DatePollReminder.poll_id == poll.id)
    ).all())
    participations = {p.id: p for p, _inv in _poll_invitees(poll.workshop)}
    missing = set(votes) - set(participations)
    if missing:
        participations.update({p.id: p for p in db.session.scalars(
            select(Participation).where(Participation.id.in_(missing)).options(selectinload(Participation.person)))})
    ordered = sorted(participations.values(),
                     key=lambda p: (p.person.last_name.casefold(), p.person.first_name.casefold(), p.id))
    rows = [GridRow(p, votes.get(p.id, {}), reminded.get(p.id)) for p in ordered]
    totals = []
    for option in poll.options:
        answers = [r.answers.get(option.id) for r in rows]
        totals.append(OptionTotal(option, answers.count(DateAnswer.YES), answers.count(DateAnswer.MAYBE),
                                  answers.count(DateAnswer.NO)))
    return VoterGrid(list(poll.options), rows, totals)


def remind_non_voters(actor, poll: DatePoll, now: datetime | None = None) -> SendResult:
    """One mail to each invitee who has not marked the dates (a fresh personal link), at most once a day each.
    The time is kept per poll and person; the grid shows it."""
    require_current(poll.workshop)
    now = now or utcnow()
    if not poll.is_open:
        raise DomainError(_l("The date poll is closed: the date has been fixed."))
    if not poll.upcoming_options(now):
        raise DomainError(_l("All proposed dates have passed: a reminder would ask for nothing."))
    grid = voter_grid(poll)
    due = [r for r in grid.not_answered
           if r.participation.invitation_status != InvitationStatus.DECLINED
           and (r.reminded_at is None or now - r.reminded_at >= REMINDER_INTERVAL)]
    if not due:
        return SendResult(0)
    existing = {r.participation_id: r for r in db.session.scalars(
        select(DatePollReminder).where(DatePollReminder.poll_id == poll.id))}
    outgoing = []
    for row in due:
        participation = row.participation
        _invitation, token = _issue_token(participation, now)
        mark = existing.get(participation.id)
        if mark is None:
            db.session.add(DatePollReminder(poll_id=poll.id, participation_id=participation.id, sent_at=now))
        else:
            mark.sent_at = now
        outgoing.append((participation.person, token))
    db.session.flush()
    for person, token in outgoing:
        mails.send_poll(person, poll.workshop, poll, token, reminder=True)
    return SendResult(len(outgoing))


@dataclass(frozen=True)
class RankedOption:
    option: DateOption
    yes: int
    maybe: int
    no: int

    @property
    def score(self) -> int:
        return 2 * self.yes + self.maybe


def ranking(poll: DatePoll) -> list[RankedOption]:
    counts = {(oid, answer): n for oid, answer, n in db.session.execute(
        select(DateVote.option_id, DateVote.answer, func.count(DateVote.id))
        .join(DateOption, DateOption.id == DateVote.option_id)
        .where(DateOption.poll_id == poll.id).group_by(DateVote.option_id, DateVote.answer)
    )}
    ranked = [RankedOption(o, counts.get((o.id, DateAnswer.YES), 0), counts.get((o.id, DateAnswer.MAYBE), 0),
                           counts.get((o.id, DateAnswer.NO), 0)) for o in poll.options]
    return sorted(ranked, key=lambda r: (-r.score, -r.yes, r.no, r.option.starts_at))


def voter_count(poll: DatePoll) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(DateVote.participation_id)))
        .join(DateOption, DateOption.id == DateVote.option_id).where(DateOption.poll_id == poll.id)
    ) or 0


def fix_date(actor, poll: DatePoll, option: DateOption, now: datetime | None = None) -> Workshop:
    """Sets the workshop's date from the chosen option, closes the poll and tells the invitees."""
    now = now or utcnow()
    if option.poll_id != poll.id:
        raise NotAllowed(_l("This date does not belong to the poll."))
    if not poll.is_open:
        raise DomainError(_l("The date poll is already closed."))
    workshop = poll.workshop
    if workshop.status != WorkshopStatus.DRAFT:
        raise DomainError(_l("Dates can only be polled for a workshop in draft."))
    if option.has_passed(now):
        raise DomainError(_l("The date %(date)s has passed and cannot be fixed. Please choose a date to come.",
                             date=format_datetime(option.starts_at, "short")))
    workshop.starts_at, workshop.ends_at = option.starts_at, option.ends_at
    if hasattr(workshop, "sequence"):
        workshop.sequence = (workshop.sequence or 0) + 1
    option.is_chosen = True
    poll.closed_at = now
    workshop.change_status(WorkshopStatus.SCHEDULED)  # the date stands: no page calls it provisional any more
    rows = _poll_invitees(workshop)
    for _participation, invitation in rows:
        invitation.expires_at = workshop.ends_at
    voted = set(db.session.scalars(
        select(DateVote.participation_id).join(DateOption, DateOption.id == DateVote.option_id)
        .where(DateOption.poll_id == poll.id)).all())
    db.session.flush()
    for participation, _invitation in rows:
        mails.send_date_fixed(participation.person, workshop, voted=participation.id in voted)
    return workshop
