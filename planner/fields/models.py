from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.core.models import TimestampMixin
from planner.extensions import db


class StrategyProcess(TimestampMixin, db.Model):
    """The city's strategy process. One per installation; it frames everything else."""

    __tablename__ = "strategy_processes"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    vision: Mapped[str] = mapped_column(Text, default="")
    target_year: Mapped[int] = mapped_column(default=2040)
    milestone_years: Mapped[list[int]] = mapped_column(JSON, default=lambda: [2025, 2030, 2035, 2040])

    @classmethod
    def current(cls) -> "StrategyProcess | None":
        return db.session.scalars(db.select(cls).order_by(cls.id).limit(1)).first()


class ActionField(TimestampMixin, db.Model):
    """Handlungsfeld: one of the city's fixed fields of action (a city has a handful, e.g. seven)."""

    __tablename__ = "action_fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name_de: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    description_de: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    colour: Mapped[str] = mapped_column(String(7), default="#1d4e89")
    position: Mapped[int] = mapped_column(default=0)

    # Read-only views onto packages further right (string names: no import against the domain order).
    # Dynamic, so a page can count and limit in SQL instead of loading thousands of rows.
    workshops = relationship(
        "Workshop", secondary="workshop_fields", viewonly=True, lazy="dynamic", order_by="Workshop.starts_at"
    )
    findings = relationship("Finding", viewonly=True, lazy="dynamic", order_by="Finding.id")
    measures = relationship("Measure", viewonly=True, lazy="dynamic", order_by="Measure.id")

    def name_for(self, locale: str) -> str:
        return self.name_en if str(locale).startswith("en") and self.name_en else self.name_de

    def description_for(self, locale: str) -> str:
        return self.description_en if str(locale).startswith("en") and self.description_en else self.description_de

    @property
    def name(self) -> str:
        from flask_babel import get_locale

        return self.name_for(str(get_locale() or "de"))

    @property
    def description(self) -> str:
        from flask_babel import get_locale

        return self.description_for(str(get_locale() or "de"))

    def __repr__(self) -> str:
        return f"<ActionField {self.code}>"
