"""The live workshop wall: one wall per capture block, its cards (each a Finding), dot votes and the event log.

The event log (``wall_events``) is the transport's source of truth: every change writes its event in the same
transaction, the event's id is the cursor a client resumes from. Nothing a second app process would need lives in
memory.
"""

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext  # extracted as pgettext (msgctxt)
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.core.errors import InvalidTransition
from planner.core.models import TimestampMixin, UTCDateTime, utcnow
from planner.extensions import db


class WallState(StrEnum):
    PREPARED = "prepared"
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self):
        return {
            WallState.PREPARED: pgettext("wall state", "Not opened yet"),
            WallState.OPEN: pgettext("wall state", "Open"),
            WallState.CLOSED: pgettext("wall state", "Closed"),
        }[self]


WALL_TRANSITIONS: dict[WallState, set[WallState]] = {
    WallState.PREPARED: {WallState.OPEN},
    WallState.OPEN: {WallState.CLOSED},
    WallState.CLOSED: {WallState.OPEN},
}


class Wall(TimestampMixin, db.Model):
    """The card wall of one agenda block (status quo, needs, measures)."""

    __tablename__ = "walls"

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_block_id: Mapped[int] = mapped_column(ForeignKey("agenda_blocks.id", ondelete="CASCADE"), unique=True)
    state: Mapped[WallState] = mapped_column(
        db.Enum(WallState, native_enum=False, length=20, validate_strings=True), default=WallState.PREPARED
    )
    # The block's timer: running until timer_ends_at, or paused/stopped with the seconds left.
    timer_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    timer_seconds_left: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    agenda_block = relationship("AgendaBlock")

    @property
    def is_anonymous(self) -> bool:
        """The workshop's setting (Workshop.cards_anonymous): all its walls name their cards' authors, or none."""
        return bool(self.agenda_block.workshop.cards_anonymous)

    def can_become(self, state: WallState) -> bool:
        return state in WALL_TRANSITIONS[self.state]

    def change_state(self, state: WallState) -> None:
        if not self.can_become(state):
            raise InvalidTransition(_l("The wall cannot change from %(old)s to %(new)s.",
                                       old=self.state.label, new=state.label))
        self.state = state

    @property
    def is_open(self) -> bool:
        return self.state == WallState.OPEN

    def seconds_left(self, now: datetime | None = None) -> int | None:
        if self.timer_ends_at is not None:
            return max(0, int((self.timer_ends_at - (now or utcnow())).total_seconds() + 0.999))
        return self.timer_seconds_left


MEASURE_COLUMN = "measure"  # the one column of a measures wall: its cards are Measures, not Findings


class WallCard(TimestampMixin, db.Model):
    """A card on a wall: the wall's view of one Finding (status quo, needs) or one Measure (a measures block); the
    finding or measure holds the text, kind, field and number."""

    __tablename__ = "wall_cards"
    __table_args__ = (
        CheckConstraint("(finding_id IS NULL) <> (measure_id IS NULL)", name="one_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wall_id: Mapped[int] = mapped_column(ForeignKey("walls.id", ondelete="CASCADE"), index=True)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), unique=True)
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"), unique=True)
    # Who posted it, kept even on an anonymous wall (own cards stay editable, the rate limit counts per person);
    # never shown on an anonymous wall.
    poster_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    poster_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A card that a facilitator clustered: the cluster's finding (the card is one of its sources).
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("wall_cards.id", ondelete="SET NULL"))
    is_cluster: Mapped[bool] = mapped_column(default=False)
    # The dots of the last closed vote (the strategy team reads them beside the finding).
    dots: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    wall = relationship("Wall")
    finding = relationship("Finding")
    measure = relationship("Measure")
    cluster = relationship("WallCard", remote_side=[id], foreign_keys=[cluster_id], back_populates="sources")
    sources = relationship("WallCard", foreign_keys=[cluster_id], back_populates="cluster", order_by="WallCard.id")

    @property
    def item(self):
        """The Finding or the Measure this card shows."""
        return self.finding if self.finding is not None else self.measure

    @property
    def kind(self) -> str:
        return self.finding.kind.value if self.finding is not None else MEASURE_COLUMN

    @property
    def text(self) -> str:
        return self.finding.text if self.finding is not None else self.measure.title

    @property
    def number(self) -> str | None:
        return self.item.number

    @property
    def author(self):
        """The Person named on the card (ignoring the workshop's anonymity: the caller decides)."""
        return self.finding.author if self.finding is not None else self.measure.proposed_by

    @property
    def is_hidden(self) -> bool:
        """Hidden finding, or a measure proposal withdrawn from the wall (rejected) or merged into a cluster."""
        if self.finding is not None:
            return self.finding.is_hidden
        return self.measure.status.value in ("rejected", "merged")

    @property
    def is_active(self) -> bool:
        """On the wall: not clustered into another card and not hidden."""
        return self.cluster_id is None and not self.is_hidden


class DotVote(TimestampMixin, db.Model):
    """A dot vote on a wall's cards: n dots per person; closing it stores the results on the cards."""

    __tablename__ = "wall_dot_votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    wall_id: Mapped[int] = mapped_column(ForeignKey("walls.id", ondelete="CASCADE"), index=True)
    dots_per_person: Mapped[int] = mapped_column(default=3)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    wall = relationship("Wall")
    results = relationship("VoteResult", back_populates="vote", order_by="VoteResult.rank")

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def close(self, now: datetime | None = None) -> None:
        if not self.is_open:
            raise InvalidTransition(_l("This vote is already closed."))
        self.closed_at = now or utcnow()


class VoteResult(db.Model):
    """A closed vote's result on one card that was on the wall when it closed: its dots and its rank. Stored once at
    closing, so the finding's (or measure's) page shows every vote it took part in, not only the last one."""

    __tablename__ = "wall_vote_results"
    __table_args__ = (UniqueConstraint("vote_id", "card_id", name="uq_wall_vote_results_vote_card"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("wall_dot_votes.id", ondelete="CASCADE"))
    card_id: Mapped[int] = mapped_column(ForeignKey("wall_cards.id", ondelete="CASCADE"), index=True)
    dots: Mapped[int] = mapped_column(default=0)
    rank: Mapped[int] = mapped_column(default=0)  # 1 = most dots; cards with the same dots share a rank

    vote = relationship("DotVote", back_populates="results")
    card = relationship("WallCard")


class Dot(db.Model):
    """One dot of one voter on one card (a voter may put several dots on the same card)."""

    __tablename__ = "wall_dots"
    __table_args__ = (Index("ix_wall_dots_vote_voter", "vote_id", "voter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("wall_dot_votes.id", ondelete="CASCADE"))
    card_id: Mapped[int] = mapped_column(ForeignKey("wall_cards.id", ondelete="CASCADE"), index=True)
    # "p<person id>" or "u<user id>": the same person by link or signed in counts once.
    voter: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WallEvent(db.Model):
    """One change on a wall, in commit order: the id is the cursor (SSE ``id:``, polling ``?after=``)."""

    __tablename__ = "wall_events"
    __table_args__ = (Index("ix_wall_events_wall_id_id", "wall_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wall_id: Mapped[int] = mapped_column(ForeignKey("walls.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

