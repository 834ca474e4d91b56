"""The minutes (Protokoll) of a workshop: what the facilitator writes. Everything else in the minutes (attendance,
the agenda as held, the findings and measures) is read from the workshops and findings packages when they are
built (planner.minutes.outline), so the minutes never hold a stale copy of them."""

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.core.locking import Versioned
from planner.core.models import TimestampMixin, UTCDateTime
from planner.extensions import db

TEXT_FIELDS = ("summary", "decisions", "open_points", "next_steps")


class WorkshopMinutes(Versioned, TimestampMixin, db.Model):
    """One per workshop; edited by facilitators with optimistic locking (planner.core.locking)."""

    __tablename__ = "workshop_minutes"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), unique=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    open_points: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    # The last time the minutes were sent to the participants, and to how many.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_count: Mapped[int] = mapped_column(default=0)

    workshop = relationship("Workshop")

    @property
    def is_empty(self) -> bool:
        return not any((getattr(self, name) or "").strip() for name in TEXT_FIELDS)
