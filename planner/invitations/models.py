from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.core.models import TimestampMixin, UTCDateTime, utcnow
from planner.extensions import db


class Invitation(TimestampMixin, db.Model):
    """The personal link of one participation. Only the token's hash is stored; the link is the authorisation."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participations.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at = mapped_column(UTCDateTime(), nullable=True)
    sent_at = mapped_column(UTCDateTime(), nullable=True)
    reminder_sent_at = mapped_column(UTCDateTime(), nullable=True)

    participation = relationship("Participation")

    def is_expired(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.expires_at

    def is_usable(self, now: datetime | None = None) -> bool:
        return self.revoked_at is None and not self.is_expired(now)


class DateAnswer(StrEnum):
    YES = "yes"
    MAYBE = "maybe"
    NO = "no"

    @property
    def label(self):
        return {DateAnswer.YES: _l("Yes"), DateAnswer.MAYBE: _l("If need be"), DateAnswer.NO: _l("No")}[self]

    @property
    def score(self) -> int:
        return {DateAnswer.YES: 2, DateAnswer.MAYBE: 1, DateAnswer.NO: 0}[self]


class DatePoll(TimestampMixin, db.Model):
    """Date finding for a draft workshop: candidate dates that invitees mark through their personal link."""

    __tablename__ = "date_polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    closed_at = mapped_column(UTCDateTime(), nullable=True)

    workshop = relationship("Workshop")
    options = relationship("DateOption", back_populates="poll", cascade="all, delete-orphan",
                           order_by="DateOption.starts_at")

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def upcoming_options(self, now: datetime | None = None) -> list["DateOption"]:
        """The proposed dates still to come: the only ones invitees are offered and a facilitator may fix."""
        now = now or utcnow()
        return [o for o in self.options if not o.has_passed(now)]

    def passed_options(self, now: datetime | None = None) -> list["DateOption"]:
        now = now or utcnow()
        return [o for o in self.options if o.has_passed(now)]


class DateOption(TimestampMixin, db.Model):
    __tablename__ = "date_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("date_polls.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    is_chosen: Mapped[bool] = mapped_column(default=False)

    poll = relationship("DatePoll", back_populates="options")
    votes = relationship("DateVote", back_populates="option", cascade="all, delete-orphan")

    def has_passed(self, now: datetime | None = None) -> bool:
        """True once the date has begun: nobody can meet on it any more."""
        return self.starts_at <= (now or utcnow())


class DateVote(TimestampMixin, db.Model):
    __tablename__ = "date_votes"
    __table_args__ = (UniqueConstraint("option_id", "participation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("date_options.id", ondelete="CASCADE"))
    participation_id: Mapped[int] = mapped_column(ForeignKey("participations.id", ondelete="CASCADE"))
    answer: Mapped[DateAnswer] = mapped_column(
        db.Enum(DateAnswer, native_enum=False, length=10, validate_strings=True)
    )

    option = relationship("DateOption", back_populates="votes")
    participation = relationship("Participation")


class DatePollReminder(db.Model):
    """When an invitee who had not marked the dates was last reminded of a poll (at most once a day each)."""

    __tablename__ = "date_poll_reminders"
    __table_args__ = (UniqueConstraint("poll_id", "participation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("date_polls.id", ondelete="CASCADE"))
    participation_id: Mapped[int] = mapped_column(ForeignKey("participations.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
