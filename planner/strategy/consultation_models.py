"""Public consultation of a frozen version: the period it is open, and the public's comments on its paragraphs."""

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.core.errors import InvalidTransition
from planner.core.models import TimestampMixin, UTCDateTime, utcnow
from planner.extensions import db

COMMENT_MAX = 2000
NAME_MAX = 100
REASON_MAX = 500
ANSWER_MAX = 4000


class Consultation(TimestampMixin, db.Model):
    """A frozen version opened to the public from ``starts_on`` to ``ends_on`` (both days included, local time)."""

    __tablename__ = "consultations"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("paper_versions.id", ondelete="CASCADE"), unique=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    intro: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    version = relationship("PaperVersion")
    comments = relationship("ConsultationComment", back_populates="consultation", cascade="all, delete-orphan",
                            order_by="ConsultationComment.id")

    def state(self, today: date) -> str:
        if today < self.starts_on:
            return "scheduled"
        return "open" if today <= self.ends_on else "ended"

    def is_open(self, today: date) -> bool:
        return self.state(today) == "open"


class CommentStatus(StrEnum):
    UNCONFIRMED = "unconfirmed"  # the address has not been confirmed yet: nobody sees the comment
    PENDING = "pending"  # confirmed, waiting for moderation
    PUBLISHED = "published"
    HIDDEN = "hidden"

    @property
    def label(self):
        return {
            CommentStatus.UNCONFIRMED: _l("Address not confirmed"),
            CommentStatus.PENDING: _l("Waiting for moderation"),
            CommentStatus.PUBLISHED: _l("Published"),
            CommentStatus.HIDDEN: _l("Hidden"),
        }[self]


# The moderation as a transition table: which state may follow which (the model guards itself).
TRANSITIONS = {
    CommentStatus.UNCONFIRMED: {CommentStatus.PENDING},
    CommentStatus.PENDING: {CommentStatus.PUBLISHED, CommentStatus.HIDDEN},
    CommentStatus.PUBLISHED: {CommentStatus.HIDDEN},
    CommentStatus.HIDDEN: {CommentStatus.PUBLISHED},
}


class ConsultationComment(TimestampMixin, db.Model):
    """A member of the public's comment on one paragraph of the consulted version, and the team's public answer.

    The e-mail address is only for the confirmation (double opt-in) and is never shown; the name is optional and
    shown with the comment when given."""

    __tablename__ = "consultation_comments"
    # Not in the audit log: it would keep the public's addresses beyond their retention. The comment itself
    # records who moderated and answered it, and when.

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    paragraph: Mapped[int]  # the paragraph's number on the consultation page (1, 2, ...)
    excerpt: Mapped[str] = mapped_column(Text, default="")  # the paragraph's start, as the commenter saw it
    text: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    locale: Mapped[str] = mapped_column(String(5), default="de")
    status: Mapped[CommentStatus] = mapped_column(
        db.Enum(CommentStatus, native_enum=False, length=20, validate_strings=True),
        default=CommentStatus.UNCONFIRMED)
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    consultation = relationship("Consultation", back_populates="comments")
    moderated_by = relationship("User", foreign_keys=[moderated_by_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])

    def _move(self, status: CommentStatus) -> None:
        if status not in TRANSITIONS.get(self.status, ()):
            raise InvalidTransition(_l("This comment cannot be changed that way (it is “%(state)s”).",
                                       state=self.status.label))
        self.status = status

    def confirm(self) -> None:
        self._move(CommentStatus.PENDING)
        self.confirmed_at = utcnow()
        self.confirm_token_hash = None

    def publish(self, user) -> None:
        self._move(CommentStatus.PUBLISHED)
        self.hidden_reason = ""
        self.moderated_at, self.moderated_by_id = utcnow(), getattr(user, "id", None)

    def hide(self, user, reason: str) -> None:
        self._move(CommentStatus.HIDDEN)
        self.hidden_reason = reason
        self.moderated_at, self.moderated_by_id = utcnow(), getattr(user, "id", None)
