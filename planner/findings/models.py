"""Findings (status quo and needs) and measures (Maßnahmen) with their fact sheet, KPIs and comments."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext  # extracted as pgettext (msgctxt)
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Numeric, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.core.errors import InvalidTransition
from planner.core.models import TimestampMixin, UTCDateTime, utcnow
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
            # A context of their own: "Accepted" means "Zusage" for an invitation, "angenommen" here.
            MeasureStatus.PROPOSED: pgettext("measure status", "Proposed"),
            MeasureStatus.UNDER_EVALUATION: pgettext("measure status", "Under evaluation"),
            MeasureStatus.ACCEPTED: pgettext("measure status", "Accepted"),
            MeasureStatus.REJECTED: pgettext("measure status", "Rejected"),
            MeasureStatus.MERGED: pgettext("measure status", "Merged"),
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

class SmartCityArea(StrEnum):
    """The five areas of the Bitkom Smart City Index."""

    ADMINISTRATION = "administration"
    IT_COMMUNICATION = "it_communication"
    ENERGY_ENVIRONMENT = "energy_environment"
    MOBILITY = "mobility"
    SOCIETY_EDUCATION = "society_education"

    @property
    def label(self):
        return {
            SmartCityArea.ADMINISTRATION: _l("Administration"),
            SmartCityArea.IT_COMMUNICATION: _l("IT and communication"),
            SmartCityArea.ENERGY_ENVIRONMENT: _l("Energy and environment"),
            SmartCityArea.MOBILITY: _l("Mobility"),
            SmartCityArea.SOCIETY_EDUCATION: _l("Society and education"),
        }[self]


PRIORITY_ORDER = {Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3}
SWOT_KINDS = (FindingKind.STRENGTH, FindingKind.WEAKNESS, FindingKind.OPPORTUNITY, FindingKind.RISK)

# Length limits of long texts (characters): a clear message above them, never a 413 or 500.
TEXT_MAX = 5_000
DESCRIPTION_MAX = 20_000


measure_needs = Table(
    "measure_needs",
    db.metadata,
    Column("measure_id", ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True),
    Column("need_id", ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True),
)

measure_dependencies = Table(
    "measure_dependencies",
    db.metadata,
    Column("measure_id", ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True),
    Column("depends_on_id", ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True),
    CheckConstraint("measure_id <> depends_on_id", name="no_self_dependency"),
)

measure_supporters = Table(
    "measure_supporters",
    db.metadata,
    Column("measure_id", ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
)

# A need names the status-quo findings (strengths, weaknesses, opportunities, risks) it answers.
need_swot_links = Table(
    "need_swot_links",
    db.metadata,
    Column("need_id", ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True),
    Column("finding_id", ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True),
    CheckConstraint("need_id <> finding_id", name="no_self_link"),
)


class Finding(TimestampMixin, db.Model):
    """A status-quo statement (SWOT) or a need for action, logged in a workshop."""

    __tablename__ = "findings"
    __audited__ = True
    # Per-field counts and lists by kind (dashboard, field pages, the paper) read this index alone.
    __table_args__ = (Index("ix_findings_field_id_kind", "field_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshops.id", ondelete="SET NULL"))
    agenda_block_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_blocks.id", ondelete="SET NULL"))
    field_id: Mapped[int] = mapped_column(ForeignKey("action_fields.id", ondelete="RESTRICT"))
    # The real author; recorded_by is who typed it (a facilitator logging on someone's behalf).
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[FindingKind] = mapped_column(
        db.Enum(FindingKind, native_enum=False, length=20, validate_strings=True)
    )
    text: Mapped[str] = mapped_column(Text)
    # Stable, human-readable number (MOB-B07, MOB-S03), given once at insert (planner.findings.numbering).
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    number_key: Mapped[str | None] = mapped_column(String(30), index=True)
    # Moderation: a facilitator hides a finding with a reason; it stays in the database and the history.
    is_hidden: Mapped[bool] = mapped_column(default=False)
    hidden_reason: Mapped[str] = mapped_column(String(500), default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    workshop = relationship("Workshop")
    agenda_block = relationship("AgendaBlock")
    field = relationship("ActionField")
    author = relationship("Person")
    recorded_by = relationship("User", foreign_keys=[recorded_by_user_id])
    hidden_by = relationship("User", foreign_keys=[hidden_by_id])
    measures = relationship("Measure", secondary=measure_needs, back_populates="needs", order_by="Measure.id")
    comments = relationship(
        "Comment", back_populates="finding", order_by="Comment.created_at", cascade="all, delete-orphan"
    )
    # For a need: the SWOT findings it answers (planner.findings.services.link_swot); for a SWOT finding: the needs.
    answers = relationship(
        "Finding", secondary=need_swot_links, primaryjoin=lambda: Finding.id == need_swot_links.c.need_id,
        secondaryjoin=lambda: Finding.id == need_swot_links.c.finding_id, order_by=lambda: Finding.number,
        back_populates="answered_by",
    )
    answered_by = relationship(
        "Finding", secondary=need_swot_links, primaryjoin=lambda: Finding.id == need_swot_links.c.finding_id,
        secondaryjoin=lambda: Finding.id == need_swot_links.c.need_id, order_by=lambda: Finding.number,
        back_populates="answers",
    )

    @property
    def is_need(self) -> bool:
        return self.kind == FindingKind.NEED

    @property
    def label(self) -> str:
        return f"{self.number} {self.short_text}" if self.number else self.short_text

    @property
    def short_text(self) -> str:
        text = " ".join((self.text or "").split())
        return text if len(text) <= 90 else text[:89] + "…"

    def __repr__(self) -> str:
        return f"<Finding {self.number or self.id} {self.kind}>"


class Measure(TimestampMixin, db.Model):
    """Maßnahme: a proposed or agreed measure, with what a German measure fact sheet holds."""

    __tablename__ = "measures"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("start_year IS NULL OR end_year IS NULL OR start_year <= end_year", name="years_ordered"),
        Index("ix_measures_field_id_status", "field_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("action_fields.id", ondelete="RESTRICT"))
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    number_key: Mapped[str | None] = mapped_column(String(30), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    goal: Mapped[str] = mapped_column(Text, default="")
    expected_effect: Mapped[str] = mapped_column(Text, default="")
    lead_unit: Mapped[str] = mapped_column(String(200), default="")
    partners: Mapped[str] = mapped_column(Text, default="")
    funding_type: Mapped[FundingType | None] = mapped_column(
        db.Enum(FundingType, native_enum=False, length=20, validate_strings=True)
    )
    funding_note: Mapped[str] = mapped_column(String(500), default="")
    cost_estimate: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    priority: Mapped[Priority | None] = mapped_column(
        db.Enum(Priority, native_enum=False, length=20, validate_strings=True)
    )
    index_area: Mapped[SmartCityArea | None] = mapped_column(
        db.Enum(SmartCityArea, native_enum=False, length=20, validate_strings=True)
    )
    start_year: Mapped[int | None]
    end_year: Mapped[int | None]
    status: Mapped[MeasureStatus] = mapped_column(
        db.Enum(MeasureStatus, native_enum=False, length=20, validate_strings=True),
        default=MeasureStatus.PROPOSED,
    )
    official_answer: Mapped[str] = mapped_column(Text, default="")
    evaluated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("measures.id", ondelete="SET NULL"))
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshops.id", ondelete="SET NULL"))
    agenda_block_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_blocks.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    field = relationship("ActionField")
    needs = relationship("Finding", secondary=measure_needs, back_populates="measures", order_by="Finding.id")
    proposed_by = relationship("Person")
    recorded_by = relationship("User", foreign_keys=[recorded_by_user_id])
    evaluated_by = relationship("User", foreign_keys=[evaluated_by_id])
    merged_by = relationship("User", foreign_keys=[merged_by_id])
    workshop = relationship("Workshop")
    agenda_block = relationship("AgendaBlock")
    merged_into = relationship("Measure", remote_side=[id], foreign_keys=[merged_into_id], back_populates="merged_from")
    merged_from = relationship("Measure", foreign_keys=[merged_into_id], back_populates="merged_into",
                               order_by="Measure.id")
    dependencies = relationship(
        "Measure",
        secondary=measure_dependencies,
        primaryjoin=lambda: Measure.id == measure_dependencies.c.measure_id,
        secondaryjoin=lambda: Measure.id == measure_dependencies.c.depends_on_id,
        back_populates="required_by",
        order_by="Measure.number_key",
    )
    required_by = relationship(
        "Measure",
        secondary=measure_dependencies,
        primaryjoin=lambda: Measure.id == measure_dependencies.c.depends_on_id,
        secondaryjoin=lambda: Measure.id == measure_dependencies.c.measure_id,
        back_populates="dependencies",
        order_by="Measure.number_key",
    )
    supporters = relationship("Person", secondary=measure_supporters, order_by="Person.last_name")
    kpis = relationship("MeasureKPI", back_populates="measure", cascade="all, delete-orphan",
                        order_by="MeasureKPI.id")
    comments = relationship(
        "Comment", back_populates="measure", order_by="Comment.created_at", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title

    @property
    def is_evaluated(self) -> bool:
        return self.status in (MeasureStatus.ACCEPTED, MeasureStatus.REJECTED)

    def can_become(self, status: MeasureStatus) -> bool:
        return status in MEASURE_TRANSITIONS[self.status]

    def change_status(self, status: MeasureStatus) -> None:
        if not self.can_become(status):
            raise InvalidTransition(
                _l("A measure cannot change from %(old)s to %(new)s.", old=self.status.label, new=status.label)
            )
        self.status = status

    def __repr__(self) -> str:
        return f"<Measure {self.number or self.id} {self.title}>"


class MeasureKPI(TimestampMixin, db.Model):
    """Kennzahl: how the effect of a measure is measured."""

    __tablename__ = "measure_kpis"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"))
    indicator: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(50), default="")
    baseline: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    target_value: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    target_year: Mapped[int | None]

    measure = relationship("Measure", back_populates="kpis")


class Comment(db.Model):
    """A comment on a finding or on a measure (exactly one of the two)."""

    __tablename__ = "finding_comments"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("(finding_id IS NULL) <> (measure_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    finding = relationship("Finding", back_populates="comments")
    measure = relationship("Measure", back_populates="comments")
    author = relationship("User")


class NumberCounter(db.Model):
    """The last number given per prefix (MOB-M, MOB-B, ...): numbers are never given twice."""

    __tablename__ = "finding_number_counters"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


from planner.findings import numbering  # noqa: E402,F401  (registers the numbering hook)
