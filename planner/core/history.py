"""Audit entries people can read: the audit log and every change history speak the UI's language.

The audit log stores table names, column names and raw values (``measures``, ``funding_type``, ``grant``).
This module turns an entry into what the pages show: the record's name ("Maßnahme MOB-M01 Smart Parking"),
the action ("geändert"), each changed column under the label its form gives it, and values as the pages show
them (enum labels, dates and times in the city's zone, amounts, yes/no, the name of a linked record).

Each package describes its audited records in ``planner/<package>/audit_labels.py`` (found by name, so
core imports no package)::

    from planner.core.history import describe, describe_action

    describe(Measure, _l("Measure"), {"title": _l("Title"), "cost_estimate": _l("Cost estimate (euros)")},
             hidden=("number_key",), formatters={"cost_estimate": money})
    describe_action("support", _l("supported"))

Values are formatted from the column's type, so an enum column shows its ``label`` and a foreign key the name
of the record it points at without more code; ``formatters`` override that per column. A column without a
label is shown under a generic "Other detail" label, never under its database name; ``hidden`` columns
(internal keys, sort helpers, secrets) are left out.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from flask_babel import format_currency, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, DateTime, Numeric
from sqlalchemy import Enum as SAEnum

from planner.core.audit import AuditEntry
from planner.core.formats import format_date, format_datetime
from planner.core.models import UTCDateTime

TRUNCATE = 300
# Technical columns no page shows: left out of every history.
ALWAYS_HIDDEN = frozenset({"id", "version", "number_key", "created_at", "updated_at", "session_epoch"})
SECRET_MARKERS = ("password", "token", "secret", "hash")


@dataclass
class Entity:
    """How one audited table is named and shown."""

    table: str
    label: Any
    columns: dict[str, Any] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset()
    formatters: dict[str, Callable[[Any], str]] = field(default_factory=dict)
    model: type | None = None
    title: Callable[[Any], str] | None = None
    quiet: frozenset[str] = frozenset()  # actions whose stored summary is not shown for this record type


@dataclass(frozen=True)
class Change:
    label: str
    before: str | None  # None: a single value (e.g. a count), not a before → after pair
    after: str


@dataclass(frozen=True)
class ReadableEntry:
    entry: AuditEntry
    at: datetime
    actor: str
    action: str
    entity: str
    record: str
    summary: str
    changes: tuple[Change, ...]
    note: str


_ENTITIES: dict[str, Entity] = {}
_ACTIONS: dict[str, Any] = {
    "create": _l("created"),
    "update": _l("changed"),
    "delete": _l("deleted"),
    "merge": _l("merged"),
    "import": _l("imported"),
}
# Explicit entries whose stored summary is a fixed English sentence (the action's label says it) or names
# nothing the changes do not show: the summary is not shown.
_QUIET_SUMMARIES: set[str] = set()
_IMPERSONAL_ACTORS = {
    "system": _l("System"),
    "anonymous": _l("Anonymous visitor"),
    "demo": _l("Demo data"),
    "retention": _l("Retention job"),
}
_loaded = False


def describe(model_or_table, label, columns: dict[str, Any] | None = None, *, hidden: Iterable[str] = (),
             formatters: dict[str, Callable[[Any], str]] | None = None,
             title: Callable[[Any], str] | None = None, quiet: Iterable[str] = ()) -> Entity:
    """Registers how the records of a model (or an explicit entry's entity name) are named and shown."""
    if isinstance(model_or_table, str):
        table, model = model_or_table, None
    else:
        table, model = model_or_table.__tablename__, model_or_table
    entity = Entity(table=table, label=label, columns=dict(columns or {}), hidden=frozenset(hidden),
                    formatters=dict(formatters or {}), model=model, title=title, quiet=frozenset(quiet))
    _ENTITIES[table] = entity
    return entity


def describe_action(code: str, label, *, quiet_summary: bool = False) -> None:
    """Names an explicit action (``audit.record("support", ...)``); ``quiet_summary`` hides its stored summary."""
    _ACTIONS[code] = label
    if quiet_summary:
        _QUIET_SUMMARIES.add(code)


def _load() -> None:
    """Imports every package's audit_labels module once (core names no package)."""
    global _loaded
    if _loaded:
        return
    from planner import BLUEPRINT_PACKAGES

    for name in BLUEPRINT_PACKAGES:
        module = f"planner.{name}.audit_labels"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    _loaded = True


def entity(table: str) -> Entity | None:
    _load()
    return _ENTITIES.get(table)


def entity_label(table: str) -> str:
    described = entity(table)
    return str(described.label) if described else _("Other record")


def action_label(code: str) -> str:
    _load()
    label = _ACTIONS.get(code)
    return str(label) if label is not None else _("Other change")


def entity_choices(tables: Iterable[str]) -> list[tuple[str, str]]:
    """(table, label) for a filter, sorted by label."""
    return sorted(((t, entity_label(t)) for t in tables), key=lambda pair: pair[1].lower())


# --- values -------------------------------------------------------------------------------------------------------


def yes_no(value) -> str:
    return _("yes") if value else _("no")


def money(value) -> str:
    try:
        return format_currency(Decimal(str(value)), "EUR")
    except (InvalidOperation, ValueError):
        return str(value)


def plain(value) -> str:
    return str(value)


def _model_for_table(table: str):
    from planner.extensions import db

    for mapper in db.Model.registry.mappers:
        if getattr(mapper.local_table, "name", None) == table:
            return mapper.class_
    return None


def record_title(table: str, record_id) -> str:
    """The name of a record as pages show it, or "#id" when it is gone or has no name."""
    from planner.extensions import db

    described = entity(table)
    model = described.model if described and described.model else _model_for_table(table)
    obj = db.session.get(model, record_id) if model is not None and record_id is not None else None
    if obj is None:
        return f"#{record_id}" if record_id is not None else ""
    if described and described.title:
        return str(described.title(obj))
    for attr in ("label", "full_name", "title", "name", "number", "code"):
        value = getattr(obj, attr, None)
        if value:
            return str(value)
    return f"#{record_id}"


def _columns(model) -> dict:
    """attribute key and column name → Column, for a mapped class."""
    from sqlalchemy import inspect

    found = {}
    mapper = inspect(model)
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        found[attr.key] = column
        found[column.name] = column
    return found


def format_value(described: Entity | None, key: str, value) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if described is not None and key in described.formatters:
        return described.formatters[key](value)
    column = _columns(described.model).get(key) if described is not None and described.model else None
    if column is not None:
        column_type = column.type
        for fk in column.foreign_keys:
            return record_title(fk.column.table.name, value)
        if isinstance(column_type, SAEnum) and column_type.enum_class is not None:
            try:
                member = column_type.enum_class(value)
            except ValueError:
                return str(value)
            return str(getattr(member, "label", member.value))
        if isinstance(column_type, Boolean):
            return yes_no(value)
        if isinstance(column_type, UTCDateTime | DateTime):
            return _datetime(value)
        if isinstance(column_type, Date):
            return _date(value)
        if isinstance(column_type, Numeric):
            try:
                return format_decimal(Decimal(str(value)))
            except (InvalidOperation, ValueError):
                return str(value)
        if isinstance(column_type, JSON):
            return _listing(value)
    return _generic(value)


def _datetime(value) -> str:
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return format_datetime(moment, "medium")


def _date(value) -> str:
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return format_date(day, "medium")


def _listing(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_generic(v) for v in value) or "–"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_generic(v)}" for k, v in value.items()) or "–"
    return _generic(value)


def _generic(value) -> str:
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, Enum):
        return str(getattr(value, "label", value.value))
    if isinstance(value, list | tuple | dict):
        return _listing(value)
    text = str(value)
    return text if len(text) <= TRUNCATE else text[: TRUNCATE - 1] + "…"


# --- entries ------------------------------------------------------------------------------------------------------


def actor_name(entry: AuditEntry) -> str:
    from planner.extensions import db

    if (entry.actor_label or "").startswith("deleted-user-"):
        return _("Deleted account")
    if entry.actor_id is not None:
        model = _model_for_table("users")
        user = db.session.get(model, entry.actor_id) if model is not None else None
        if user is not None:
            return user.display_name or entry.actor_label or user.email
    label = entry.actor_label or ""
    if label in _IMPERSONAL_ACTORS:
        return str(_IMPERSONAL_ACTORS[label])
    return label or "–"


def _is_secret(key: str) -> bool:
    return any(marker in key.lower() for marker in SECRET_MARKERS)


def readable(entry: AuditEntry) -> ReadableEntry:
    _load()
    described = _ENTITIES.get(entry.entity)
    changes: list[Change] = []
    note = ""
    raw = entry.changes or {}
    if raw.get("_erased"):
        note = _("The personal values were erased (Art. 17 GDPR).")
    elif raw.get("_expired"):
        note = _("The personal values were removed after the retention period.")
    else:
        for key, value in raw.items():
            if (key.startswith("_") or key in ALWAYS_HIDDEN or (described and key in described.hidden)
                    or _is_secret(key)):
                continue
            label = described.columns.get(key) if described else None
            label = str(label) if label is not None else _("Other detail")
            if isinstance(value, list) and len(value) == 2 and entry.action in ("create", "update", "delete", "link",
                                                                               "unlink", "depend", "undepend"):
                before, after = format_value(described, key, value[0]), format_value(described, key, value[1])
                if before != after:  # e.g. an empty text on creation
                    changes.append(Change(label, before, after))
            else:
                changes.append(Change(label, None, format_value(described, key, value)))
    record = described.label if described else _("Other record")
    title = record_title(entry.entity, entry.entity_id) if entry.entity_id is not None else ""
    quiet = entry.action in _QUIET_SUMMARIES or (described is not None and entry.action in described.quiet)
    summary = "" if quiet else (entry.summary or "")
    return ReadableEntry(
        entry=entry,
        at=entry.at,
        actor=actor_name(entry),
        action=action_label(entry.action),
        entity=str(record),
        record=f"{record} {title}".strip(),
        summary=summary,
        changes=tuple(changes),
        note=note,
    )


def _preload(entries: list[AuditEntry]) -> list:
    """Loads the records, accounts and linked records the entries name, one query per table (kept by the caller
    while the entries are formatted, so ``session.get`` finds them in the identity map)."""
    from sqlalchemy import select

    from planner.extensions import db

    wanted: dict[str, set] = {}
    for e in entries:
        if e.actor_id is not None:
            wanted.setdefault("users", set()).add(e.actor_id)
        if e.entity_id is not None:
            wanted.setdefault(e.entity, set()).add(e.entity_id)
        described = _ENTITIES.get(e.entity)
        if described is None or described.model is None or not isinstance(e.changes, dict):
            continue
        columns = _columns(described.model)
        for key, value in e.changes.items():
            column = columns.get(key)
            if column is None or key in described.formatters:
                continue
            for fk in column.foreign_keys:
                values = value if isinstance(value, list) else [value]
                wanted.setdefault(fk.column.table.name, set()).update(
                    v for v in values if isinstance(v, int) and not isinstance(v, bool))
    loaded = []
    for table, ids in wanted.items():
        described = _ENTITIES.get(table)
        model = described.model if described and described.model else _model_for_table(table)
        if model is None or not ids:
            continue
        loaded.extend(db.session.scalars(select(model).where(model.id.in_(sorted(ids)))).all())
    return loaded


def readable_entries(entries: Iterable[AuditEntry]) -> list[ReadableEntry]:
    """Readable entries; changes that touched only technical columns (a version counter) are left out."""
    _load()
    entries = list(entries)
    keep = _preload(entries)  # noqa: F841 - held so the identity map keeps them while formatting
    result = []
    for e in entries:
        r = readable(e)
        if r.changes or r.note or r.summary or e.action not in ("update",):
            result.append(r)
    return result
