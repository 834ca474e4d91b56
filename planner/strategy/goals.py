"""Each action field's "Zielbild 2040" and its measurable goals, per strategy process: the model and its service.

The strategy team writes, per field, the picture of the field in the target year (``FieldVision.text``) and two to
five measurable goals (text, indicator, baseline, target value with unit, target year no later than the process's
target year). The paper shows them in "Leitbild und Ziele 2040", at the start of each field chapter and in the
Kurzfassung; readiness names a field without goals or with more than five.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.core.errors import DomainError, StaleVersion
from planner.core.locking import STALE_MESSAGE, Versioned, check_version, parse_version, save_version
from planner.core.models import TimestampMixin
from planner.extensions import db
from planner.fields.models import ActionField, StrategyProcess, in_process, process_column

MAX_GOALS = 5
MIN_GOALS = 2
MAX_VISION = 5000
MAX_GOAL_TEXT = 500
MAX_INDICATOR = 200
MAX_UNIT = 40


class FieldVision(Versioned, TimestampMixin, db.Model):
    """Zielbild 2040 of one action field in one strategy process, with its measurable goals."""

    __tablename__ = "field_visions"
    __audited__ = True
    __table_args__ = (UniqueConstraint("process_id", "field_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int | None] = process_column()
    field_id: Mapped[int] = mapped_column(ForeignKey("action_fields.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    field = relationship("ActionField")
    updated_by = relationship("User")
    goals = relationship("FieldGoal", back_populates="vision", cascade="all, delete-orphan",
                         order_by="FieldGoal.position")


class FieldGoal(TimestampMixin, db.Model):
    """A measurable goal of an action field: what, measured by which indicator, from where to where by when."""

    __tablename__ = "field_goals"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    vision_id: Mapped[int] = mapped_column(ForeignKey("field_visions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(MAX_GOAL_TEXT))
    indicator: Mapped[str] = mapped_column(String(MAX_INDICATOR), default="")
    unit: Mapped[str] = mapped_column(String(MAX_UNIT), default="")
    baseline: Mapped[float | None] = mapped_column(Float, nullable=True)
    target_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    target_year: Mapped[int | None]

    vision = relationship("FieldVision", back_populates="goals")


class GoalsError(DomainError):
    """Several problems of the goals page at once: ``problems`` are (form field name, message) pairs."""

    def __init__(self, problems):
        super().__init__(problems[0][1], field=problems[0][0])
        self.problems = problems


# --- facts for the paper ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GoalFact:
    text: str
    indicator: str
    unit: str
    baseline: float | None
    target_value: float | None
    target_year: int | None


@dataclass(frozen=True)
class FieldGoalsFact:
    field_id: int
    vision: str
    goals: tuple[GoalFact, ...]


def goal_facts(process: StrategyProcess | None, *, is_current: bool | None = None) -> dict[int, FieldGoalsFact]:
    """Per field id: its Zielbild and goals in ``process`` (one query; ``is_current`` as for ``in_process``)."""
    rows = db.session.execute(
        select(FieldVision.id, FieldVision.field_id, FieldVision.process_id, FieldVision.text, FieldGoal.text,
               FieldGoal.indicator, FieldGoal.unit, FieldGoal.baseline, FieldGoal.target_value, FieldGoal.target_year)
        .outerjoin(FieldGoal, FieldGoal.vision_id == FieldVision.id)
        .where(in_process(FieldVision.process_id, process, is_current=is_current))
        .order_by(FieldVision.process_id.is_(None), FieldVision.id, FieldGoal.position, FieldGoal.id)
    ).all()
    chosen: dict[int, int] = {}  # field id → its vision row (the process's own row wins over an unassigned one)
    visions: dict[int, str] = {}
    found: dict[int, list[GoalFact]] = {}
    for vision_id, field_id, _process_id, vision, text, indicator, unit, baseline, target, year in rows:
        if chosen.setdefault(field_id, vision_id) != vision_id:
            continue
        visions[field_id] = vision or ""
        items = found.setdefault(field_id, [])
        if text is not None:
            items.append(GoalFact(text, indicator or "", unit or "", baseline, target, year))
    return {field_id: FieldGoalsFact(field_id, visions[field_id], tuple(items)) for field_id, items in found.items()}


# --- the service ------------------------------------------------------------------------------------------------

def _current_row(field: ActionField, process: StrategyProcess | None) -> FieldVision | None:
    stmt = select(FieldVision).where(FieldVision.field_id == field.id)
    if process is not None:
        stmt = stmt.where(in_process(FieldVision.process_id, process)).order_by(FieldVision.process_id.is_(None))
    return db.session.scalars(stmt.limit(1)).first()


def field_vision(field: ActionField, process: StrategyProcess | None = None) -> FieldVision | None:
    """The field's Zielbild and goals in ``process`` (default: the current one); None while never saved."""
    return _current_row(field, process if process is not None else StrategyProcess.current())


def _number(value, name: str, problems: list) -> float | None:
    text = str(value if value is not None else "").strip().replace("\xa0", "").replace(" ", "")
    if not text:
        return None
    if isinstance(value, int | float):
        return float(value)
    if "," in text:  # German input: 1.234,5
        text = text.replace(".", "").replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        problems.append((name, _l("Please enter a number, e.g. 1250 or 12,5.")))
        return None
    if number != number or abs(number) > 1e12:  # NaN or absurd
        problems.append((name, _l("Please enter a number, e.g. 1250 or 12,5.")))
        return None
    return number


def clean_goals(goals: list[dict], target_year: int) -> list[dict]:
    """The filled goal rows checked: every problem at once (``GoalsError``), nothing half-saved.

    A row is empty when none of its fields is filled; ``goals`` rows carry the form field prefix ``goalN`` in
    ``prefix`` (for messages at the right place)."""
    problems: list[tuple[str, object]] = []
    cleaned = []
    for index, goal in enumerate(goals, start=1):
        prefix = goal.get("prefix") or f"goal{index}"
        values = {k: (str(goal.get(k)) if goal.get(k) is not None else "").strip()
                  for k in ("text", "indicator", "unit", "baseline", "target_value", "target_year")}
        if not any(values.values()):
            continue
        if not values["text"]:
            problems.append((f"{prefix}_text", _l("Please describe the goal.")))
        elif len(values["text"]) > MAX_GOAL_TEXT:
            problems.append((f"{prefix}_text", _l("At most %(max)s characters, please.", max=MAX_GOAL_TEXT)))
        if not values["indicator"]:
            problems.append((f"{prefix}_indicator", _l("Please name the indicator that measures the goal.")))
        elif len(values["indicator"]) > MAX_INDICATOR:
            problems.append((f"{prefix}_indicator", _l("At most %(max)s characters, please.", max=MAX_INDICATOR)))
        if len(values["unit"]) > MAX_UNIT:
            problems.append((f"{prefix}_unit", _l("At most %(max)s characters, please.", max=MAX_UNIT)))
        baseline = _number(values["baseline"], f"{prefix}_baseline", problems)
        target = _number(values["target_value"], f"{prefix}_target_value", problems)
        if target is None and values["target_value"] == "":
            problems.append((f"{prefix}_target_value", _l("Please give the target value.")))
        year = None
        if not values["target_year"]:
            problems.append((f"{prefix}_target_year", _l("Please give the target year.")))
        elif not values["target_year"].isdigit() or len(values["target_year"]) != 4:
            problems.append((f"{prefix}_target_year", _l("Please enter a year such as 2030.")))
        else:
            year = int(values["target_year"])
            if year > target_year:
                problems.append((f"{prefix}_target_year", _l(
                    "The target year must not be after the strategy's target year %(year)s.", year=target_year)))
            elif year < 2000:
                problems.append((f"{prefix}_target_year", _l("Please enter a year such as 2030.")))
        cleaned.append(dict(text=values["text"], indicator=values["indicator"], unit=values["unit"],
                            baseline=baseline, target_value=target, target_year=year))
    if len(cleaned) > MAX_GOALS:
        problems.append((None, _l("At most %(max)s goals per action field, please.", max=MAX_GOALS)))
    if problems:
        raise GoalsError(problems)
    return cleaned


def save_field_goals(field: ActionField, user, *, vision: str, goals: list[dict], version: int | None,
                     process: StrategyProcess | None = None) -> FieldVision:
    """Saves the field's Zielbild and goals (replacing the goals); refuses a save based on an older version."""
    process = process if process is not None else StrategyProcess.current()
    if process is None:
        raise DomainError(_l("Please set up a strategy process first (administration)."))
    vision = (vision or "").strip()
    if len(vision) > MAX_VISION:
        raise GoalsError([("vision", _l("The target vision is too long: at most %(max)s characters, please.",
                                        max=MAX_VISION))])
    cleaned = clean_goals(goals, process.target_year)
    row = _current_row(field, process)
    created = row is None
    if created:
        if parse_version(version):  # the form was filled from a saved row that is gone now
            raise StaleVersion(STALE_MESSAGE)
        row = FieldVision(field_id=field.id, process_id=process.id, text="")
        db.session.add(row)
    else:
        check_version(row, version)
    row.text = vision
    row.updated_by_id = getattr(user, "id", None)
    existing = list(row.goals)
    for index, values in enumerate(cleaned):
        goal = existing[index] if index < len(existing) else None
        if goal is None:
            goal = FieldGoal(position=index, **values)
            row.goals.append(goal)
        else:
            goal.position = index
            for key, value in values.items():
                if getattr(goal, key) != value:
                    setattr(goal, key, value)
    for goal in existing[len(cleaned):]:
        row.goals.remove(goal)
    if created:
        db.session.flush()
    else:
        save_version(row)
    return row


def goals_history(field: ActionField) -> list:
    """The changes of the field's Zielbild and of its goals, removed goals included (planner.core.history), in the
    order they were made."""
    from planner.core import audit
    from planner.core.audit import AuditEntry
    from planner.core.history import readable_entries

    row = field_vision(field)
    if row is None:
        return []
    goal_entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == FieldGoal.__tablename__)
                                      .order_by(AuditEntry.at, AuditEntry.id)).all()
    created = {e.entity_id for e in goal_entries
               if (e.changes or {}).get("vision_id") and row.id in (e.changes["vision_id"] or [])}
    entries = list(audit.history(row)) + [e for e in goal_entries if e.entity_id in created]
    entries.sort(key=lambda e: (e.at, e.id))
    return readable_entries(entries)


def fields_with_goals(process: StrategyProcess | None = None) -> list[tuple[ActionField, int, bool]]:
    """Every active field with its number of goals and whether its Zielbild is written (the paper page; one query)."""
    from sqlalchemy import and_, func

    process = process if process is not None else StrategyProcess.current()
    rows = db.session.execute(
        select(ActionField, func.count(FieldGoal.id), func.max(func.length(func.trim(FieldVision.text))))
        .outerjoin(FieldVision, and_(FieldVision.field_id == ActionField.id,
                                     in_process(FieldVision.process_id, process)))
        .outerjoin(FieldGoal, FieldGoal.vision_id == FieldVision.id)
        .where(ActionField.retired_at.is_(None))
        .group_by(ActionField.id).order_by(ActionField.position, ActionField.id)
    ).all()
    return [(field, int(count or 0), bool(length)) for field, count, length in rows]
