"""The minutes: who may read and write them, saving the facilitator's text (optimistic locking), building them as
the paper's outline, exporting them through the paper's writers, sending them to the participants (a mail with the
personal link, never an attachment) and the read-only page a participant opens by that link.

Services take the acting user, only flush and raise DomainError subclasses with user-facing messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from planner.core import identity
from planner.core.errors import DomainError, NotAllowed
from planner.core.locking import check_version, lock_row, save_version
from planner.core.models import utcnow
from planner.core.permissions import Role, has_role
from planner.core.timeutil import local_today
from planner.extensions import db
from planner.findings.facts import workshop_findings
from planner.findings.services import may_read_workshop
from planner.invitations.models import Invitation
from planner.minutes.models import WorkshopMinutes
from planner.minutes.outline import MinutesText, build_minutes_outline
from planner.people.models import Person
from planner.strategy.outline import LANGUAGES, Outline
from planner.workshops.facts import minutes_workshop
from planner.workshops.models import InvitationStatus, Participation, Workshop, WorkshopStatus
from planner.workshops.services import require_current

FORMATS = ("docx", "pdf", "html")
MAX_TEXT = 20_000
HELD = (WorkshopStatus.HELD, WorkshopStatus.DOCUMENTED)
RESEND_PAUSE = timedelta(minutes=2)


class NothingToSend(DomainError):
    pass


# --- who ---------------------------------------------------------------------------------------------------------

def may_read(user, workshop: Workshop) -> bool:
    """Staff (facilitators, strategy team), administrators and the workshop's participants."""
    return may_read_workshop(user, workshop)


def may_write(user) -> bool:
    return has_role(user, Role.FACILITATOR)


# --- the facilitator's text --------------------------------------------------------------------------------------

def minutes_of(workshop: Workshop) -> WorkshopMinutes | None:
    return db.session.scalar(select(WorkshopMinutes).where(WorkshopMinutes.workshop_id == workshop.id))


def text_of(minutes: WorkshopMinutes | None) -> MinutesText:
    if minutes is None:
        return MinutesText()
    return MinutesText(summary=minutes.summary or "", decisions=minutes.decisions or "",
                       open_points=minutes.open_points or "", next_steps=minutes.next_steps or "")


def save_minutes(actor, workshop: Workshop, text: MinutesText, version=None) -> WorkshopMinutes:
    """Stores what the facilitator wrote; a save based on an older version raises StaleVersion, nothing changes
    (``version`` 0: the form was opened before there were minutes, so minutes saved since then are newer)."""
    if not may_write(actor):
        raise NotAllowed(_l("Only facilitators write the minutes."))
    require_current(workshop)
    if workshop.status == WorkshopStatus.CANCELLED:
        raise DomainError(_l("A cancelled workshop has no minutes."))
    for name, value in vars(text).items():
        if len(value or "") > MAX_TEXT:
            raise DomainError(_l("The text is too long: at most %(max)d characters are allowed.", max=MAX_TEXT),
                              field=name)
    lock_row(workshop)  # two first saves at once: the second waits and then finds the first one's minutes
    minutes = minutes_of(workshop)
    if minutes is None:
        minutes = WorkshopMinutes(workshop_id=workshop.id, workshop=workshop)
        db.session.add(minutes)
    else:
        check_version(minutes, version)
    for name, value in vars(text).items():
        setattr(minutes, name, (value or "").strip())
    if minutes.id is None:
        db.session.flush()
    else:
        save_version(minutes)
    return minutes


def approved_minutes() -> list[WorkshopMinutes]:
    """The minutes that stand as the record of their workshop (for the city archive): the workshop was held, the
    facilitator wrote them, and they were either sent to the participants or the workshop was marked documented.
    Oldest workshop first."""
    return db.session.scalars(
        select(WorkshopMinutes).join(Workshop, Workshop.id == WorkshopMinutes.workshop_id)
        .where(Workshop.status.in_(HELD),
               or_(Workshop.status == WorkshopStatus.DOCUMENTED, WorkshopMinutes.sent_at.is_not(None)))
        .options(selectinload(WorkshopMinutes.workshop))
        .order_by(Workshop.starts_at, Workshop.id)
    ).all()


# --- the outline and the files -------------------------------------------------------------------------------

def build_outline(workshop: Workshop, language: str = "de") -> Outline:
    """The minutes of ``workshop`` as the paper's outline in ``language`` (de | en)."""
    facts = minutes_workshop(workshop.id)
    return build_minutes_outline(text_of(minutes_of(workshop)), facts, workshop_findings(workshop.id),
                                 language=language if language in LANGUAGES else "de",
                                 city=identity.city_name(), as_of=local_today())


def write_minutes(workshop: Workshop, code: str, output: BinaryIO, language: str = "de") -> None:
    """The minutes as DOCX (in the city's Word template when it has one), PDF or HTML, by the paper's writers."""
    from planner.strategy.exporters import writer

    if code not in FORMATS:
        raise DomainError(_l("Unknown format: %(format)s.", format=code))
    outline = build_outline(workshop, language)
    if code == "docx":
        from planner.city.services import paper_template
        from planner.strategy.exporters import docx

        docx.write(outline, output, template=paper_template())
        return
    writer(code)(outline, output)


def filename(workshop: Workshop, code: str, language: str = "de") -> str:
    """Protokoll-2022-03-18-Smarte-Mobilitaet.pdf (ASCII only, so every browser keeps the name)."""
    title = workshop.title
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue"), ("ß", "ss")):
        title = title.replace(umlaut, plain)
    slug = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in title)
    slug = "-".join(part for part in slug.split("-") if part)[:60].strip("-") or "Workshop"
    base = "Protokoll" if language == "de" else "Minutes"
    return f"{base}-{workshop.local_day.isoformat()}-{slug}.{code}"


# --- sending ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipient:
    participation: Participation
    invitation: Invitation | None

    @property
    def person(self) -> Person:
        return self.participation.person

    @property
    def has_link(self) -> bool:
        """A withdrawn link is never issued again: that person is left out."""
        return self.invitation is None or self.invitation.revoked_at is None


def recipients(workshop: Workshop) -> list[Recipient]:
    """Everyone who took part: accepted (and not recorded as absent) or recorded as present, link-only participants
    included, sorted by name."""
    rows = db.session.execute(
        select(Participation, Invitation)
        .outerjoin(Invitation, Invitation.participation_id == Participation.id)
        .join(Person, Person.id == Participation.person_id)
        .where(Participation.workshop_id == workshop.id,
               or_(Participation.attended.is_(True),
                   (Participation.invitation_status == InvitationStatus.ACCEPTED)
                   & or_(Participation.attended.is_(None), Participation.attended.is_(True))))
        .options(selectinload(Participation.person).selectinload(Person.organisation))
        .order_by(Person.last_name, Person.first_name, Person.id)
    ).all()
    return [Recipient(p, i) for p, i in rows]


@dataclass(frozen=True)
class SendResult:
    count: int
    job: object | None = None  # planner.jobs.models.Job when the e-mails go out in the background


def send_minutes(actor, workshop: Workshop, now: datetime | None = None, *,
                 threshold: int | None = None) -> SendResult:
    """Mails every participant a fresh personal link to the minutes (through the outbox, after the commit); the
    minutes themselves are never attached. More than ``threshold`` (the invitations' INVITATION_BACKGROUND_THRESHOLD)
    go out in a background job (planner.minutes.tasks)."""
    from planner.invitations.services import (
        _issue_token,  # the invitations package owns the personal link
        background_threshold,
    )
    from planner.jobs.services import enqueue
    from planner.minutes import mails
    from planner.minutes.tasks import SEND_JOB_KIND, SEND_TASK

    if not may_write(actor):
        raise NotAllowed(_l("Only facilitators send the minutes."))
    require_current(workshop)
    if workshop.status not in HELD:
        raise DomainError(_l("The minutes can be sent once the workshop has been held."))
    minutes = minutes_of(workshop)
    if minutes is None or not (minutes.summary or "").strip():
        raise NothingToSend(_l("Please write at least the summary before sending the minutes."))
    now = now or utcnow()
    lock_row(minutes)  # a double click: the second request waits, then sees the first one's sending
    if minutes.sent_at is not None and now - _aware(minutes.sent_at) < RESEND_PAUSE:
        raise NothingToSend(_l("The minutes have just been sent; nothing was sent twice."))
    due = [r for r in recipients(workshop) if r.has_link and r.person.email]
    if not due:
        raise NothingToSend(_l("Nobody took part in this workshop yet: there is nobody to send the minutes to."))
    minutes.sent_at = now
    minutes.sent_count = len(due)
    threshold = background_threshold() if threshold is None else threshold
    if len(due) > threshold:
        db.session.flush()
        job = enqueue(SEND_JOB_KIND, SEND_TASK, actor_id=getattr(actor, "id", None), workshop_id=workshop.id,
                      participation_ids=[r.participation.id for r in due])
        return SendResult(len(due), job)
    outgoing = [(r.person, _issue_token(r.participation, now)[1]) for r in due]
    db.session.flush()
    for person, token in outgoing:
        mails.send_minutes(person, workshop, token)
    return SendResult(len(outgoing))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- the personal page ----------------------------------------------------------------------------------------

class LinkNotForMinutes(DomainError):
    pass


def participation_for_token(token: str) -> Participation:
    """The participation whose personal link this is, when it may read the minutes; LinkGone (withdrawn, or
    deleted by the retention period) or LinkNotForMinutes otherwise."""
    from planner.invitations.services import LinkGone, invitation_for_token

    invitation = invitation_for_token(token)
    if invitation is None:
        raise LinkGone(_l("This link is not known (any more). Personal links are deleted when the retention "
                          "period ends; please ask the facilitators for the minutes."))
    if invitation.revoked_at is not None:
        raise LinkGone(_l("This invitation link has been withdrawn."))
    # No expiry here: whoever took part reads the minutes until the retention period deletes the link (also
    # someone checked in on the day without having answered the invitation).
    participation = invitation.participation
    if participation.workshop.status not in HELD:
        raise LinkNotForMinutes(_l("The minutes are available once the workshop has been held."))
    took_part = participation.attended is True or (
        participation.invitation_status == InvitationStatus.ACCEPTED and participation.attended is not False)
    if not took_part:
        raise LinkNotForMinutes(_l("The minutes are for the people who took part in the workshop."))
    return participation


def own_findings(participation: Participation) -> list:
    """The findings and measure proposals of this participant in the workshop (visible ones)."""
    found = workshop_findings(participation.workshop_id)
    mine = [f for f in found.findings if f.author_person_id == participation.person_id]
    measures = [m for m in found.measures if m.author_person_id == participation.person_id]
    return mine + measures


def networking_list(participation: Participation) -> list[Participation] | None:
    """The other participants who share their contact details, when this participant shares theirs; else None."""
    from planner.workshops.services import networking_contacts, took_part

    if not (took_part(participation) and participation.shares_contact):
        return None
    return networking_contacts(participation.workshop, exclude_person_id=participation.person_id)
