from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, Text, false, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.core.locking import Versioned
from planner.core.models import TimestampMixin, UTCDateTime
from planner.extensions import db


class IndexArea(StrEnum):
    """The five areas of the Bitkom Smart City Index (the same codes as findings' SmartCityArea)."""

    ADMINISTRATION = "administration"
    IT_COMMUNICATION = "it_communication"
    ENERGY_ENVIRONMENT = "energy_environment"
    MOBILITY = "mobility"
    SOCIETY_EDUCATION = "society_education"

    @property
    def label(self):
        return {
            IndexArea.ADMINISTRATION: _l("Administration"),
            IndexArea.IT_COMMUNICATION: _l("IT and communication"),
            IndexArea.ENERGY_ENVIRONMENT: _l("Energy and environment"),
            IndexArea.MOBILITY: _l("Mobility"),
            IndexArea.SOCIETY_EDUCATION: _l("Society and education"),
        }[self]


class StrategyProcess(Versioned, TimestampMixin, db.Model):
    """A round of the city's strategy process (e.g. the strategy of 2022 and its update in 2028).

    Fields, people and organisations are shared by all processes; workshop series, surveys and the paper belong
    to one. The administrator marks one process as current: lists and the paper show it by default, earlier
    ones stay readable."""

    __tablename__ = "strategy_processes"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    city_name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    vision: Mapped[str] = mapped_column(Text, default="")
    target_year: Mapped[int] = mapped_column(default=2040)
    milestone_years: Mapped[list[int]] = mapped_column(JSON, default=lambda: [2025, 2030, 2035, 2040])
    is_current: Mapped[bool] = mapped_column(default=False, server_default=false())

    @classmethod
    def current(cls) -> "StrategyProcess | None":
        """The process marked current; without a mark (a single process), the first one."""
        process_id = cls.current_id()
        return db.session.get(cls, process_id) if process_id is not None else None

    @classmethod
    def current_id(cls) -> int | None:
        """Asked by many lists of one page: within a request the answer is kept (``forget_current`` drops it)."""
        from flask import g, has_request_context

        if has_request_context() and "current_process_id" in g:
            return g.current_process_id
        process_id = db.session.scalar(db.select(cls.id).order_by(cls.is_current.desc(), cls.id).limit(1))
        if has_request_context() and process_id is not None:
            g.current_process_id = process_id
        return process_id

    @classmethod
    def forget_current(cls) -> None:
        from flask import g, has_request_context

        if has_request_context():
            g.pop("current_process_id", None)

    @classmethod
    def chosen(cls, process_id) -> "StrategyProcess | None":
        """The process a page was asked for (``?process=<id>``), else the current one."""
        if process_id is not None and str(process_id).isdigit():
            chosen = db.session.get(cls, int(process_id))
            if chosen is not None:
                return chosen
        return cls.current()

    def __repr__(self) -> str:
        return f"<StrategyProcess {self.id} {self.title!r}>"


class ActionField(Versioned, TimestampMixin, db.Model):
    """Handlungsfeld: one of the city's fixed fields of action (a city has a handful, e.g. seven)."""

    __tablename__ = "action_fields"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name_de: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    description_de: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    colour: Mapped[str] = mapped_column(String(7), default="#1d4e89")
    position: Mapped[int] = mapped_column(default=0)
    index_area: Mapped[IndexArea | None] = mapped_column(
        db.Enum(IndexArea, native_enum=False, length=20, validate_strings=True)
    )
    # A retired field keeps its findings, measures and place in past papers but is offered for nothing new.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("action_fields.id", ondelete="SET NULL"))

    merged_into = relationship("ActionField", remote_side=[id])

    # Read-only views onto packages further right (string names: no import against the domain order).
    # Dynamic, so a page can count and limit in SQL instead of loading thousands of rows.
    workshops = relationship(
        "Workshop", secondary="workshop_fields", viewonly=True, lazy="dynamic", order_by="Workshop.starts_at"
    )
    findings = relationship("Finding", viewonly=True, lazy="dynamic", order_by="Finding.id")
    measures = relationship("Measure", viewonly=True, lazy="dynamic", order_by="Measure.id")

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

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


def process_column():
    """A ``process_id`` column for the rows that belong to one strategy process (workshop series, surveys, the
    paper). A new row joins the current process unless it names one; rows from before the first process keep
    NULL, which the lists read as "the current process"."""
    current = (select(StrategyProcess.id).order_by(StrategyProcess.is_current.desc(), StrategyProcess.id)
               .limit(1).scalar_subquery())
    return mapped_column(ForeignKey("strategy_processes.id", ondelete="RESTRICT"), nullable=True, default=current)


def in_process(column, process: "StrategyProcess | None", *, is_current: bool | None = None):
    """The filter for a list of one process: its own rows, and for the current process the unassigned ones.
    ``is_current`` saves the query when the caller knows it has the current process."""
    from sqlalchemy import or_, true

    if process is None:
        return true()
    if is_current if is_current is not None else process.id == StrategyProcess.current_id():
        return or_(column == process.id, column.is_(None))
    return column == process.id
