from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.core.models import UTCDateTime, utcnow
from planner.extensions import db


class RequestKind(StrEnum):
    ERASURE = "erasure"
    CONSENT_WITHDRAWAL = "consent_withdrawal"

    @property
    def label(self):
        return {
            RequestKind.ERASURE: _l("Erasure (Art. 17 GDPR)"),
            RequestKind.CONSENT_WITHDRAWAL: _l("Consent withdrawn"),
        }[self]


class RequestStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    REJECTED = "rejected"

    @property
    def label(self):
        return {
            RequestStatus.OPEN: _l("Open"),
            RequestStatus.DONE: _l("Carried out"),
            RequestStatus.REJECTED: _l("Rejected"),
        }[self]


class PrivacyRequest(db.Model):
    """A person's request under the GDPR that an administrator confirms (erasure, withdrawn consent)."""

    __tablename__ = "privacy_requests"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RequestKind] = mapped_column(db.Enum(RequestKind, native_enum=False, length=20,
                                                      validate_strings=True))
    status: Mapped[RequestStatus] = mapped_column(
        db.Enum(RequestStatus, native_enum=False, length=20, validate_strings=True), default=RequestStatus.OPEN
    )
    note: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at = mapped_column(UTCDateTime(), nullable=True)

    person = relationship("Person")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
