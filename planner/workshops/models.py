from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.core.errors import InvalidTransition
from planner.core.locking import Versioned
from planner.core.models import TimestampMixin, UTCDateTime
from planner.core.timeutil import local_today, to_local
from planner.extensions import db
from planner.fields.models import process_column


class WorkshopFormat(StrEnum):
    VIRTUAL = "virtual"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"

    @property
    def label(self):
        return {
            WorkshopFormat.VIRTUAL: _l("Virtual"),
            WorkshopFormat.IN_PERSON: _l("In person"),
            WorkshopFormat.HYBRID: _l("Hybrid"),
        }[self]


class WorkshopStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    HELD = "held"
    DOCUMENTED = "documented"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return {
            WorkshopStatus.DRAFT: _l("Draft"),
            WorkshopStatus.SCHEDULED: _l("Scheduled"),
            WorkshopStatus.HELD: _l("Held"),
            WorkshopStatus.DOCUMENTED: _l("Documented"),
            WorkshopStatus.CANCELLED: _l("Cancelled"),
        }[self]


# Which status may follow which: a held workshop never goes back to draft; a documented one can be reopened
# (back to held) by a facilitator, e.g. to correct its findings.
WORKSHOP_TRANSITIONS: dict[WorkshopStatus, set[WorkshopStatus]] = {
    WorkshopStatus.DRAFT: {WorkshopStatus.SCHEDULED, WorkshopStatus.CANCELLED},
    WorkshopStatus.SCHEDULED: {WorkshopStatus.HELD, WorkshopStatus.CANCELLED, WorkshopStatus.DRAFT},
    WorkshopStatus.HELD: {WorkshopStatus.DOCUMENTED},
    WorkshopStatus.DOCUMENTED: {WorkshopStatus.HELD},
    WorkshopStatus.CANCELLED: set(),
}
# Public pages (home page, public lists, calendar feeds) show only these; drafts and cancelled ones never.
PUBLIC_STATUSES = (WorkshopStatus.SCHEDULED, WorkshopStatus.HELD, WorkshopStatus.DOCUMENTED)


class WorkshopKind(StrEnum):
    """The kinds of event the planner holds: expert workshops and the participation events of the process."""

    WORKSHOP = "workshop"
    CITIZEN_DIALOGUE = "citizen_dialogue"
    POLITICAL_BRIEFING = "political_briefing"

    @property
    def label(self):
        return {
            WorkshopKind.WORKSHOP: _l("Workshop"),
            WorkshopKind.CITIZEN_DIALOGUE: _l("Citizen dialogue"),
            WorkshopKind.POLITICAL_BRIEFING: _l("Briefing of a political body"),
        }[self]

    @property
    def has_open_registration(self) -> bool:
        """Citizen dialogues: anyone may register by e-mail, without an account."""
        return self is WorkshopKind.CITIZEN_DIALOGUE


class ParticipationRole(StrEnum):
    EXPERT = "expert"
    FACILITATOR = "facilitator"
    NOTE_TAKER = "note_taker"
    CITIZEN = "citizen"

    @property
    def label(self):
        return {
            ParticipationRole.EXPERT: _l("Expert"),
            ParticipationRole.FACILITATOR: _l("Facilitator"),
            ParticipationRole.NOTE_TAKER: _l("Note-taker"),
            ParticipationRole.CITIZEN: _l("Citizen"),
        }[self]


class InvitationStatus(StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WAITLISTED = "waitlisted"

    @property
    def label(self):
        return {
            InvitationStatus.INVITED: _l("Invited"),
            # With a context: "Accepted" of a measure means something else (Angenommen, not Zusage).
            InvitationStatus.ACCEPTED: pgettext("invitation status", "Accepted"),
            InvitationStatus.DECLINED: pgettext("invitation status", "Declined"),
            InvitationStatus.WAITLISTED: _l("Waitlisted"),
        }[self]


class AgendaBlockKind(StrEnum):
    WELCOME = "welcome"
    INPUT = "input"
    STATUS_QUO = "status_quo"
    NEEDS = "needs"
    MEASURES = "measures"
    NETWORKING = "networking"
    BREAK = "break"
    WRAP_UP = "wrap_up"

    @property
    def label(self):
        return {
            AgendaBlockKind.WELCOME: _l("Welcome"),
            AgendaBlockKind.INPUT: _l("Input"),
            AgendaBlockKind.STATUS_QUO: _l("Status quo"),
            AgendaBlockKind.NEEDS: _l("Needs for action"),
            AgendaBlockKind.MEASURES: _l("Measures"),
            AgendaBlockKind.NETWORKING: _l("Networking"),
            AgendaBlockKind.BREAK: _l("Break"),
            AgendaBlockKind.WRAP_UP: _l("Wrap-up"),
        }[self]

    @property
    def captures_findings(self) -> bool:
        """Blocks in which participants log findings (status quo, needs, measures)."""
        return self in CAPTURE_KINDS


CAPTURE_KINDS = frozenset({AgendaBlockKind.STATUS_QUO, AgendaBlockKind.NEEDS, AgendaBlockKind.MEASURES})


workshop_fields = Table(
    "workshop_fields",
    db.metadata,
    Column("workshop_id", ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True),
    Column("field_id", ForeignKey("action_fields.id", ondelete="CASCADE"), primary_key=True),
)

workshop_facilitators = Table(
    "workshop_facilitators",
    db.metadata,
    Column("workshop_id", ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class WorkshopSeries(Versioned, TimestampMixin, db.Model):
    __tablename__ = "workshop_series"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    process_id: Mapped[int | None] = process_column()

    workshops = relationship("Workshop", back_populates="series", order_by="Workshop.starts_at")


class Workshop(Versioned, TimestampMixin, db.Model):
    __tablename__ = "workshops"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("workshop_series.id", ondelete="SET NULL"))
    process_id: Mapped[int | None] = process_column()  # also for a workshop outside any series
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[WorkshopFormat] = mapped_column(
        db.Enum(WorkshopFormat, native_enum=False, length=20, validate_strings=True)
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    location: Mapped[str] = mapped_column(String(300), default="")
    video_link: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None]
    status: Mapped[WorkshopStatus] = mapped_column(
        db.Enum(WorkshopStatus, native_enum=False, length=20, validate_strings=True), default=WorkshopStatus.DRAFT
    )
    kind: Mapped[WorkshopKind] = mapped_column(
        db.Enum(WorkshopKind, native_enum=False, length=30, validate_strings=True), default=WorkshopKind.WORKSHOP
    )
    # Who the event is for, e.g. "Ausschuss für Digitalisierung" or "Bezirksvertretung III".
    audience: Mapped[str] = mapped_column(String(200), default="")
    # iCalendar SEQUENCE: raised on every change of time, place or status, so calendars update the event.
    sequence: Mapped[int] = mapped_column(default=0)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # The card walls of the whole workshop name no author (issue 17); written by planner.wall.services only.
    cards_anonymous: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    series = relationship("WorkshopSeries", back_populates="workshops")
    fields = relationship("ActionField", secondary=workshop_fields, order_by="ActionField.position")
    facilitators = relationship("User", secondary=workshop_facilitators)
    participations = relationship(
        "Participation", back_populates="workshop", cascade="all, delete-orphan", order_by="Participation.id"
    )
    agenda_blocks = relationship(
        "AgendaBlock", back_populates="workshop", cascade="all, delete-orphan", order_by="AgendaBlock.position"
    )

    @property
    def local_day(self) -> date:
        """The workshop's (first) day in the city's time zone."""
        return to_local(self.starts_at).date()

    def has_begun(self, today: date | None = None) -> bool:
        """True on and after the workshop's day (Europe/Berlin)."""
        return (today or local_today()) >= self.local_day

    def can_become(self, status: WorkshopStatus, today: date | None = None) -> bool:
        if status not in WORKSHOP_TRANSITIONS[self.status]:
            return False
        if status == WorkshopStatus.HELD and self.status == WorkshopStatus.SCHEDULED:
            return self.has_begun(today)
        return True

    def change_status(self, status: WorkshopStatus, today: date | None = None) -> None:
        if (status == WorkshopStatus.HELD and self.status == WorkshopStatus.SCHEDULED
                and not self.has_begun(today)):
            raise InvalidTransition(_l("A workshop can only be marked as held on or after its day."))
        if not self.can_become(status, today):
            raise InvalidTransition(
                _l(
                    "A workshop cannot change from %(old)s to %(new)s.",
                    old=self.status.label,
                    new=status.label,
                )
            )
        self.status = status

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @property
    def is_over(self) -> bool:
        return self.status in (WorkshopStatus.HELD, WorkshopStatus.DOCUMENTED)

    @property
    def needs_location(self) -> bool:
        return self.format in (WorkshopFormat.IN_PERSON, WorkshopFormat.HYBRID)

    @property
    def needs_video_link(self) -> bool:
        return self.format in (WorkshopFormat.VIRTUAL, WorkshopFormat.HYBRID)

    def __repr__(self) -> str:
        return f"<Workshop {self.title}>"


class Participation(TimestampMixin, db.Model):
    """A person in a workshop: their role, the state of their invitation and whether they came."""

    __tablename__ = "participations"
    __table_args__ = (UniqueConstraint("workshop_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[ParticipationRole] = mapped_column(
        db.Enum(ParticipationRole, native_enum=False, length=20, validate_strings=True),
        default=ParticipationRole.EXPERT,
    )
    invitation_status: Mapped[InvitationStatus] = mapped_column(
        db.Enum(InvitationStatus, native_enum=False, length=20, validate_strings=True),
        default=InvitationStatus.INVITED,
    )
    invited_at = mapped_column(UTCDateTime(), nullable=True)
    responded_at = mapped_column(UTCDateTime(), nullable=True)
    # None: not recorded yet; True/False once the day's check-in list is done.
    attended: Mapped[bool | None]
    # Networking: the person agrees that the other consenting participants see their contact details.
    shares_contact: Mapped[bool] = mapped_column(default=False)

    workshop = relationship("Workshop", back_populates="participations")
    person = relationship("Person", back_populates="participations")


class AgendaBlock(Versioned, TimestampMixin, db.Model):
    """One block of a workshop's timed agenda. Start times follow from the day's start and the durations."""

    __tablename__ = "agenda_blocks"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AgendaBlockKind] = mapped_column(
        db.Enum(AgendaBlockKind, native_enum=False, length=20, validate_strings=True)
    )
    duration_minutes: Mapped[int] = mapped_column(default=30)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")

    workshop = relationship("Workshop", back_populates="agenda_blocks")
    responsible = relationship("Person")


class WorkshopTemplate(TimestampMixin, db.Model):
    """A city's own workshop template: the day's times, format and agenda of a workshop it saved as a pattern.

    ``blocks`` holds the agenda as plain values (title, kind, duration_minutes, notes), not people: a template
    outlives the workshop it was saved from and names nobody. The standard template ships with the app
    (planner.workshops.templates) and is not stored."""

    __tablename__ = "workshop_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    format: Mapped[WorkshopFormat] = mapped_column(
        db.Enum(WorkshopFormat, native_enum=False, length=20, validate_strings=True)
    )
    start_time: Mapped[str] = mapped_column(String(5))  # "09:00", local time (Europe/Berlin)
    end_time: Mapped[str] = mapped_column(String(5))
    blocks: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CalendarFeedKind(StrEnum):
    SERIES = "series"
    PERSON = "person"

    @property
    def label(self):
        return {CalendarFeedKind.SERIES: _l("Series feed"), CalendarFeedKind.PERSON: _l("Personal feed")}[self]


class CalendarToken(TimestampMixin, db.Model):
    """A secret link to a subscribable calendar feed. Only the hash is stored; revoked links stop working."""

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[CalendarFeedKind] = mapped_column(
        db.Enum(CalendarFeedKind, native_enum=False, length=20, validate_strings=True)
    )
    series_id: Mapped[int | None] = mapped_column(ForeignKey("workshop_series.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at = mapped_column(UTCDateTime(), nullable=True)

    series = relationship("WorkshopSeries")
    person = relationship("Person")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
