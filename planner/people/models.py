from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from planner.core.locking import Versioned
from planner.core.models import TimestampMixin, UTCDateTime, normalise_email
from planner.extensions import db


class Sector(StrEnum):
    ADMINISTRATION = "administration"
    BUSINESS = "business"
    SCIENCE = "science"
    CIVIL_SOCIETY = "civil_society"
    POLITICS = "politics"

    @property
    def label(self):
        return SECTOR_LABELS[self]


SECTOR_LABELS = {
    Sector.ADMINISTRATION: _l("Administration"),
    Sector.BUSINESS: _l("Business"),
    Sector.SCIENCE: _l("Science"),
    Sector.CIVIL_SOCIETY: _l("Civil society"),
    Sector.POLITICS: _l("Politics"),
}

person_fields = Table(
    "person_fields",
    db.metadata,
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    Column("field_id", ForeignKey("action_fields.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(Versioned, TimestampMixin, db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    sector: Mapped[Sector] = mapped_column(db.Enum(Sector, native_enum=False, length=20, validate_strings=True))

    people = relationship("Person", back_populates="organisation", order_by="Person.last_name")

    def __repr__(self) -> str:
        return f"<Organisation {self.name}>"


class Person(Versioned, TimestampMixin, db.Model):
    """An expert or other participant. Personal data: held on recorded consent (GDPR Art. 6(1)(a))."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(50), default="")
    # Stored lower-case, so uniqueness is case-insensitive on SQLite and PostgreSQL alike.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    position: Mapped[str] = mapped_column(String(200), default="")
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    has_consent: Mapped[bool] = mapped_column(default=False)
    consent_at = mapped_column(UTCDateTime(), nullable=True)
    consent_text: Mapped[str] = mapped_column(Text, default="")
    # Set when the person (or staff on their behalf) withdrew consent; a public form never gives it back.
    consent_withdrawn_at = mapped_column(UTCDateTime(), nullable=True)
    is_fictional: Mapped[bool] = mapped_column(default=False)

    organisation = relationship("Organisation", back_populates="people")
    fields = relationship("ActionField", secondary=person_fields, order_by="ActionField.position")
    participations = relationship("Participation", back_populates="person", order_by="Participation.id")

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.title, self.first_name, self.last_name) if p)

    @property
    def sector(self) -> Sector | None:
        return self.organisation.sector if self.organisation else None

    @validates("email")
    def _normalise_email(self, key, value: str) -> str:
        return normalise_email(value)

    def __repr__(self) -> str:
        return f"<Person {self.full_name}>"
