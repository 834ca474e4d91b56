"""The audit log: who changed what, when, with the values before and after.

Models opt in with ``__audited__ = True``; a ``before_flush`` hook then records every insert, update and
delete of their columns, so no service can forget it. The acting user comes from ``acting_as`` (set for
each request by core.web from the signed-in user, and by CLI commands explicitly). Changes that are not
column changes (links, merges) are recorded with ``record``.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from planner.core.models import UTCDateTime, utcnow
from planner.extensions import db

_actor: ContextVar[tuple[int | None, str] | None] = ContextVar("audit_actor", default=None)


class AuditEntry(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[int | None]
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[str] = mapped_column(Text, default="")


@contextmanager
def acting_as(user_id: int | None, label: str = ""):
    token = _actor.set((user_id, label))
    try:
        yield
    finally:
        _actor.reset(token)


def set_actor(user_id: int | None, label: str = "") -> None:
    _actor.set((user_id, label))


def current_actor() -> tuple[int | None, str]:
    return _actor.get() or (None, "system")


def to_json(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def record(action: str, obj=None, *, entity: str | None = None, entity_id: int | None = None,
           changes: dict | None = None, summary: str = "") -> AuditEntry:
    """An explicit entry, e.g. for a merge or a changed link between a measure and its needs."""
    actor_id, label = current_actor()
    entry = AuditEntry(
        actor_id=actor_id,
        actor_label=label,
        action=action,
        entity=entity or obj.__tablename__,
        entity_id=entity_id if entity_id is not None else getattr(obj, "id", None),
        changes=to_json(changes or {}),
        summary=summary,
    )
    db.session.add(entry)
    return entry


def history(obj) -> list[AuditEntry]:
    return db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == obj.__tablename__, AuditEntry.entity_id == obj.id)
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()


def _column_changes(obj, *, new: bool = False, deleted: bool = False) -> dict:
    state = inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in ("created_at", "updated_at"):
            continue
        hist = state.attrs[key].history
        if new:
            value = getattr(obj, key)
            if value is not None:
                changes[key] = [None, to_json(value)]
        elif deleted:
            changes[key] = [to_json(getattr(obj, key)), None]
        elif hist.has_changes():
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if before != after:
                changes[key] = [to_json(before), to_json(after)]
    return changes



@event.listens_for(Session, "before_flush")
def _audit_before_flush(session, flush_context, instances):
    for obj in list(session.dirty):
        if getattr(obj, "__audited__", False) and session.is_modified(obj, include_collections=False):
            changes = _column_changes(obj)
            if changes:
                _add(session, "update", obj, changes)
    for obj in list(session.deleted):
        if getattr(obj, "__audited__", False):
            _add(session, "delete", obj, _column_changes(obj, deleted=True))
    # New objects get their id only during the flush: they are recorded right after it.
    new = [obj for obj in session.new if getattr(obj, "__audited__", False)]
    session.info.setdefault("audit_new", []).extend(new)


@event.listens_for(Session, "after_flush_postexec")
def _audit_after_flush(session, flush_context):
    new = session.info.pop("audit_new", [])
    for obj in new:
        _add(session, "create", obj, _column_changes(obj, new=True))


@event.listens_for(db.Model, "mapper_configured", propagate=True)
def _load_old_values(mapper, cls):
    """Audited columns load their old value before a change, so 'before' is known even when expired."""
    if not getattr(cls, "__audited__", False):
        return
    for attr in mapper.column_attrs:
        event.listen(getattr(cls, attr.key), "set", _keep, active_history=True)


def _keep(target, value, oldvalue, initiator):
    return value


def _add(session, action: str, obj, changes: dict) -> None:
    actor_id, label = current_actor()
    session.add(
        AuditEntry(
            actor_id=actor_id,
            actor_label=label,
            action=action,
            entity=obj.__tablename__,
            entity_id=obj.id,
            changes=changes,
        )
    )
