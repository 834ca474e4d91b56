from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from planner.core.models import TimestampMixin
from planner.extensions import db


class AccessibilityFeedback(TimestampMixin, db.Model):
    """A barrier reported through the accessibility statement's feedback form (BITV § 7)."""

    __tablename__ = "accessibility_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    message: Mapped[str] = mapped_column(Text)
    page: Mapped[str] = mapped_column(String(500), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
