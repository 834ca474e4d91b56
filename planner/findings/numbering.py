"""Stable numbers for needs (MOB-B07), status-quo findings (MOB-S03) and measures (MOB-M03).

A ``before_flush`` hook gives every new Finding and Measure its number, whichever path inserts it (the
capture page, the demo seed, the survey import), so no caller can forget it. The number is taken from a
per-prefix counter, never reused (not even after a delete) and never changed afterwards (not even when a
measure moves to another field).
"""

import re

from sqlalchemy import event, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

NUMBER_RE = re.compile(r"^(?P<prefix>.+-[A-Z])(?P<seq>\d+)$")


def letter_for(obj) -> str:
    from planner.findings.models import FindingKind, Measure

    if isinstance(obj, Measure):
        return "M"
    return "B" if obj.kind == FindingKind.NEED else "S"


def format_number(prefix: str, seq: int) -> tuple[str, str]:
    """The visible number (two digits minimum) and a sort key that sorts 100 after 99."""
    return f"{prefix}{seq:02d}", f"{prefix}{seq:06d}"


def _field_code(session, obj) -> str | None:
    from planner.fields.models import ActionField

    field = obj.field if obj.field is not None else (session.get(ActionField, obj.field_id) if obj.field_id else None)
    return field.code if field is not None else None


def _highest_used(session, prefix: str) -> int:
    """For a prefix seen for the first time: continue after the highest number already used."""
    from planner.findings.models import Finding, Measure

    model = Measure if prefix.endswith("-M") else Finding
    highest = 0
    for number in session.scalars(select(model.number).where(model.number.like(f"{prefix}%"))):
        match = NUMBER_RE.match(number or "")
        if match and match["prefix"] == prefix:
            highest = max(highest, int(match["seq"]))
    return highest


def _reserve(session, prefix: str, count: int) -> int:
    """Reserves ``count`` numbers for the prefix and returns the last one.

    One atomic ``UPDATE ... SET last = last + n RETURNING last``: it takes the write lock before it reads,
    so two requests numbering at the same time can never get the same number (a read-then-write would).
    """
    from planner.findings.models import NumberCounter

    table = NumberCounter.__table__
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite_insert if dialect == "sqlite" else pg_insert
        session.execute(
            insert(table).values(prefix=prefix, last=_highest_used(session, prefix)).on_conflict_do_nothing()
        )
    elif session.execute(select(table.c.prefix).where(table.c.prefix == prefix)).first() is None:
        session.execute(table.insert().values(prefix=prefix, last=_highest_used(session, prefix)))
    return session.execute(
        update(table).where(table.c.prefix == prefix).values(last=table.c.last + count).returning(table.c.last)
    ).scalar_one()


def assign_numbers(session, objects) -> None:
    by_prefix: dict[str, list] = {}
    with session.no_autoflush:
        for obj in objects:
            if obj.number:
                continue
            code = _field_code(session, obj)
            if not code:
                continue  # the flush fails on the missing field anyway
            by_prefix.setdefault(f"{code}-{letter_for(obj)}", []).append(obj)
        for prefix, rows in sorted(by_prefix.items()):
            last = _reserve(session, prefix, len(rows))
            for seq, obj in enumerate(rows, start=last - len(rows) + 1):
                obj.number, obj.number_key = format_number(prefix, seq)


@event.listens_for(Session, "before_flush")
def _number_new_rows(session, flush_context, instances):
    from planner.findings.models import Finding, Measure

    new = [obj for obj in session.new if isinstance(obj, Finding | Measure) and not obj.number]
    if new:
        assign_numbers(session, new)

