from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.core.errors import InvalidTransition
from planner.core.models import TimestampMixin
from planner.extensions import db


class FindingKind(StrEnum):
    STRENGTH = "strength"
    WEAKNESS = "weakness"
    OPPORTUNITY = "opportunity"
    RISK = "risk"
    NEED = "need"

    @property
    def label(self):
        return {
            FindingKind.STRENGTH: _l("Strength"),
            FindingKind.WEAKNESS: _l("Weakness"),
            FindingKind.OPPORTUNITY: _l("Opportunity"),
            FindingKind.RISK: _l("Risk"),
            FindingKind.NEED: _l("Need for action"),
        }[self]


class FundingType(StrEnum):
    OWN = "own"
    EXTERNAL = "external"
    GRANT = "grant"

    @property
    def label(self):
        return {
            FundingType.OWN: _l("Own funds"),
            FundingType.EXTERNAL: _l("External funds"),
            FundingType.GRANT: _l("Grants"),
        }[self]


class Priority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def label(self):
        return {
            Priority.HIGH: _l("High (start now)"),
            Priority.MEDIUM: _l("Medium (within 2 years)"),
            Priority.LOW: _l("Low (within 4 years)"),
        }[self]


class MeasureStatus(StrEnum):
    PROPOSED = "proposed"
    UNDER_EVALUATION = "under_evaluation"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MERGED = "merged"

    @property
    def label(self):
        return {
            MeasureStatus.PROPOSED: _l("Proposed"),
            MeasureStatus.UNDER_EVALUATION: _l("Under evaluation"),
            MeasureStatus.ACCEPTED: _l("Accepted"),
            MeasureStatus.REJECTED: _l("Rejected"),
            MeasureStatus.MERGED: _l("Merged"),
        }[self]


MEASURE_TRANSITIONS: dict[MeasureStatus, set[MeasureStatus]] = {
    MeasureStatus.PROPOSED: {MeasureStatus.UNDER_EVALUATION, MeasureStatus.MERGED, MeasureStatus.REJECTED},
    MeasureStatus.UNDER_EVALUATION: {
        MeasureStatus.ACCEPTED,
        MeasureStatus.REJECTED,
        MeasureStatus.MERGED,
        MeasureStatus.PROPOSED,
    },
    MeasureStatus.ACCEPTED: {MeasureStatus.UNDER_EVALUATION, MeasureStatus.MERGED},
    MeasureStatus.REJECTED: {MeasureStatus.UNDER_EVALUATION},
    MeasureStatus.MERGED: set(),
}

measure_needs = Table(
    "measure_needs",
    db.metadata,
    Column("measure_id", ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True),
    Column("need_id", ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True),
)


class Finding(TimestampMixin, db.Model):
    """A status-quo statement (SWOT) or a need for action, logged in a workshop."""

    __tablename__ = "findings"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshops.id", ondelete="SET NULL"))
    field_id: Mapped[int] = mapped_column(ForeignKey("action_fields.id", ondelete="RESTRICT"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    kind: Mapped[FindingKind] = mapped_column(
        db.Enum(FindingKind, native_enum=False, length=20, validate_strings=True)
    )
    text: Mapped[str] = mapped_column(Text)

    workshop = relationship("Workshop")
    field = relationship("ActionField")
    author = relationship("Person")
    measures = relationship("Measure", secondary=measure_needs, back_populates="needs")


class Measure(TimestampMixin, db.Model):
    """Maßnahme: a proposed or agreed measure, with what a German measure fact sheet holds."""

    __tablename__ = "measures"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("start_year IS NULL OR end_year IS NULL OR start_year <= end_year", name="years_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("action_fields.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    lead_unit: Mapped[str] = mapped_column(String(200), default="")
    partners: Mapped[str] = mapped_column(Text, default="")
    funding_type: Mapped[FundingType | None] = mapped_column(
        db.Enum(FundingType, native_enum=False, length=20, validate_strings=True)
    )
    priority: Mapped[Priority | None] = mapped_column(
        db.Enum(Priority, native_enum=False, length=20, validate_strings=True)
    )
    start_year: Mapped[int | None]
    end_year: Mapped[int | None]
    status: Mapped[MeasureStatus] = mapped_column(
        db.Enum(MeasureStatus, native_enum=False, length=20, validate_strings=True),
        default=MeasureStatus.PROPOSED,
    )
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshops.id", ondelete="SET NULL"))

    field = relationship("ActionField")
    needs = relationship("Finding", secondary=measure_needs, back_populates="measures", order_by="Finding.id")
    proposed_by = relationship("Person")
    workshop = relationship("Workshop")

    def change_status(self, status: MeasureStatus) -> None:
        if status not in MEASURE_TRANSITIONS[self.status]:
            raise InvalidTransition(
                _l("A measure cannot change from %(old)s to %(new)s.", old=self.status.label, new=status.label)
            )
        self.status = status
