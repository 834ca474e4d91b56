"""The concept paper: editable sections, frozen versions, review rounds and their verdicts."""

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from planner.core.errors import DomainError
from planner.core.models import TimestampMixin, UTCDateTime, utcnow
from planner.extensions import db
from planner.fields.models import process_column


class FrozenVersionError(DomainError):
    """A frozen version of the paper is never changed."""


class PaperSection(TimestampMixin, db.Model):
    """An editable text chapter of the paper (foreword, vision, governance ...), Markdown."""

    __tablename__ = "paper_sections"
    __audited__ = True
    __table_args__ = (UniqueConstraint("process_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int | None] = process_column()
    key: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by = relationship("User")

    __mapper_args__ = {"version_id_col": version}


class PaperVersion(db.Model):
    """A numbered, frozen state of the paper: its roll-up stored as it was. Only publication may follow."""

    __tablename__ = "paper_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)  # counted across processes: URLs stay unambiguous
    process_id: Mapped[int | None] = process_column()
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    rollup_json: Mapped[str] = mapped_column(Text)
    published_at = mapped_column(UTCDateTime(), nullable=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The administrator's reason for publishing past the guard (open comments, gaps); empty: no override.
    publish_override_reason: Mapped[str] = mapped_column(Text, default="")
    # The whole-document sign-off after every part has been approved (who and when).
    signed_off_at = mapped_column(UTCDateTime(), nullable=True)
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    frozen_by = relationship("User", foreign_keys=[frozen_by_id])
    published_by = relationship("User", foreign_keys=[published_by_id])
    signed_off_by = relationship("User", foreign_keys=[signed_off_by_id])
    rounds = relationship("ReviewRound", back_populates="version", order_by="ReviewRound.id")

    IMMUTABLE = ("number", "frozen_at", "frozen_by_id", "note", "rollup_json")

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def is_signed_off(self) -> bool:
        return self.signed_off_at is not None

    def sign_off(self, user_id: int | None) -> None:
        from planner.core.errors import InvalidTransition

        if self.is_signed_off:
            raise InvalidTransition(_l("Version %(number)s has already been signed off.", number=self.number))
        self.signed_off_at = utcnow()
        self.signed_off_by_id = user_id

    @validates(*IMMUTABLE)
    def _guard(self, key, value):
        if self.id is not None and getattr(self, key) is not None and getattr(self, key) != value:
            raise FrozenVersionError(_l("Version %(number)s is frozen and cannot be changed.", number=self.number))
        return value


@event.listens_for(PaperVersion, "before_update")
def _refuse_changes(mapper, connection, target):
    from sqlalchemy import inspect

    state = inspect(target)
    for key in PaperVersion.IMMUTABLE:
        if state.attrs[key].history.has_changes():
            raise FrozenVersionError(
                _l("Version %(number)s is frozen and cannot be changed.", number=target.number)
            )


@event.listens_for(PaperVersion, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise FrozenVersionError(_l("Version %(number)s is frozen and cannot be deleted.", number=target.number))


class RoundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self):
        return {RoundStatus.OPEN: _l("Open"), RoundStatus.CLOSED: _l("Closed")}[self]


class ReviewRound(TimestampMixin, db.Model):
    """Abstimmung: reviewers read a version, comment and approve it section by section."""

    __tablename__ = "review_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("paper_versions.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date | None]
    status: Mapped[RoundStatus] = mapped_column(
        db.Enum(RoundStatus, native_enum=False, length=20, validate_strings=True), default=RoundStatus.OPEN
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    version = relationship("PaperVersion", back_populates="rounds")
    members = relationship(
        "ReviewRoundMember", back_populates="round", cascade="all, delete-orphan", order_by="ReviewRoundMember.id"
    )
    comments = relationship(
        "ReviewComment", back_populates="round", cascade="all, delete-orphan", order_by="ReviewComment.id"
    )
    verdicts = relationship("SectionVerdict", back_populates="round", cascade="all, delete-orphan")
    guests = relationship(
        "ReviewGuest", back_populates="round", cascade="all, delete-orphan", order_by="ReviewGuest.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN

    def close(self) -> None:
        if self.status != RoundStatus.OPEN:
            from planner.core.errors import InvalidTransition

            raise InvalidTransition(_l("This review round is already closed."))
        self.status = RoundStatus.CLOSED


class ReviewRoundMember(TimestampMixin, db.Model):
    __tablename__ = "review_round_members"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body_label: Mapped[str] = mapped_column(String(200), default="")

    round = relationship("ReviewRound", back_populates="members")
    user = relationship("User")


class ReviewGuest(TimestampMixin, db.Model):
    """An outside reviewer (a council or committee member, a partner organisation) invited to one round by e-mail.

    No account: the personal link is the authorisation. Only the token's hash is stored; the link expires and can
    be withdrawn (at once: every request looks the guest up anew)."""

    __tablename__ = "review_guests"
    __table_args__ = (UniqueConstraint("round_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"))
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    body_label: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at = mapped_column(UTCDateTime(), nullable=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    round = relationship("ReviewRound", back_populates="guests")

    @property
    def name(self) -> str:
        return self.full_name

    def is_expired(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.expires_at

    def is_usable(self, now: datetime | None = None) -> bool:
        return self.revoked_at is None and not self.is_expired(now)

    def revoke(self) -> None:
        from planner.core.errors import InvalidTransition

        if self.revoked_at is not None:
            raise InvalidTransition(_l("This link has already been withdrawn."))
        self.revoked_at = utcnow()


class CommentAnswer(StrEnum):
    ACCEPTED = "accepted"
    CHANGED = "changed"
    REJECTED = "rejected"

    @property
    def label(self):
        return {
            CommentAnswer.ACCEPTED: _l("Accepted"),
            CommentAnswer.CHANGED: _l("Changed"),
            CommentAnswer.REJECTED: _l("Rejected"),
        }[self]


class ReviewComment(TimestampMixin, db.Model):
    """A reviewer's comment on a part of the paper (a section, an action field's chapter, a measure, the roadmap,
    or the paper as a whole), optionally on one paragraph of it, and the strategy team's answer."""

    __tablename__ = "review_comments"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    guest_id: Mapped[int | None] = mapped_column(ForeignKey("review_guests.id", ondelete="SET NULL"))
    # section | field | measure | roadmap | paper; the key: a section's key, a field's code, a measure's number
    target_kind: Mapped[str] = mapped_column(String(20), default="section")
    target_key: Mapped[str] = mapped_column(String(60), default="")
    paragraph: Mapped[int | None]  # 1-based, within the part as the frozen version shows it
    quote: Mapped[str] = mapped_column(Text, default="")  # the paragraph's beginning, as the reviewer saw it
    text: Mapped[str] = mapped_column(Text)
    answer: Mapped[CommentAnswer | None] = mapped_column(
        db.Enum(CommentAnswer, native_enum=False, length=20, validate_strings=True)
    )
    answer_text: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at = mapped_column(UTCDateTime(), nullable=True)

    round = relationship("ReviewRound", back_populates="comments")
    author = relationship("User", foreign_keys=[author_id])
    guest = relationship("ReviewGuest")
    answered_by = relationship("User", foreign_keys=[answered_by_id])

    @property
    def is_open(self) -> bool:
        return self.answer is None

    @property
    def target(self) -> str:
        """The part's stable key: ``paper``, ``roadmap``, ``section:vision``, ``field:MOB``, ``measure:M-12``."""
        if self.target_kind in ("paper", "roadmap"):
            return self.target_kind
        return f"{self.target_kind}:{self.target_key}"

    @property
    def author_name(self) -> str:
        if self.guest is not None:
            return self.guest.full_name
        return self.author.name if self.author else "–"


class Verdict(StrEnum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"

    @property
    def label(self):
        return {Verdict.APPROVED: _l("Approved"), Verdict.CHANGES_REQUESTED: _l("Changes requested")}[self]


class SectionVerdict(TimestampMixin, db.Model):
    """A member's verdict on one part of the version under review (the latest one counts). ``part_key`` is the
    part's stable key (``section:vision``, ``field:MOB``, ``measure:M-12``, ``roadmap``); the member is an account
    (``user_id``) or an outside reviewer (``guest_id``)."""

    __tablename__ = "section_verdicts"
    __table_args__ = (UniqueConstraint("round_id", "user_id", "part_key"),
                      UniqueConstraint("round_id", "guest_id", "part_key"))
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    guest_id: Mapped[int | None] = mapped_column(ForeignKey("review_guests.id", ondelete="CASCADE"))
    part_key: Mapped[str] = mapped_column(String(80))
    verdict: Mapped[Verdict] = mapped_column(db.Enum(Verdict, native_enum=False, length=20, validate_strings=True))
    reason: Mapped[str] = mapped_column(Text, default="")

    round = relationship("ReviewRound", back_populates="verdicts")
    user = relationship("User")
    guest = relationship("ReviewGuest")

    @property
    def reviewer_key(self) -> tuple[str, int]:
        return ("guest", self.guest_id) if self.guest_id is not None else ("user", self.user_id)

    @property
    def reviewer_name(self) -> str:
        if self.guest is not None:
            return self.guest.full_name
        return self.user.name if self.user else "–"
