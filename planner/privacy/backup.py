"""Backup and restore as portable JSON lines: one header line, then one line per row, tables in dependency order.

The snapshot is consistent while the app keeps writing: on SQLite the database is first copied with the
online backup API (a single consistent snapshot, WAL-safe) and the rows are read from that copy; on other
databases every table is read inside one REPEATABLE READ transaction. The format does not depend on the
database, so a backup of SQLite restores into PostgreSQL and the other way round.
"""

import base64
import json
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import Path

from sqlalchemy import Enum as SAEnum
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Connection

from planner.extensions import db

FORMAT = "planner-backup"
VERSION = 1


class RestoreError(Exception):
    pass


def _encode(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, bytes | memoryview):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _decode(value, column):
    if isinstance(value, dict) and len(value) == 1:
        (key, raw), = value.items()
        if key == "$datetime":
            return datetime.fromisoformat(raw)
        if key == "$date":
            return date.fromisoformat(raw)
        if key == "$time":
            return time.fromisoformat(raw)
        if key == "$decimal":
            return Decimal(raw)
        if key == "$bytes":
            return base64.b64decode(raw)
    if value is not None and isinstance(column.type, SAEnum) and column.type.enum_class is not None:
        return column.type.enum_class(value)
    return value


def tables():
    return db.metadata.sorted_tables


@contextmanager
def _snapshot_connection() -> Iterator[Connection]:
    engine = db.engine
    if engine.dialect.name == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "snapshot.sqlite3"
            raw = engine.raw_connection()
            try:
                target = sqlite3.connect(copy)
                raw.driver_connection.backup(target)  # the online backup API: one consistent snapshot
                target.close()
            finally:
                raw.close()
            snapshot = create_engine(f"sqlite:///{copy}")
            try:
                with snapshot.connect() as conn:
                    yield conn
            finally:
                snapshot.dispose()
    else:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            yield conn


def backup(path: str | Path) -> dict[str, int]:
    """Writes the whole database to ``path``; returns the number of rows per table."""
    counts: dict[str, int] = {}
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    with _snapshot_connection() as conn, tmp.open("w", encoding="utf-8") as out:
        header = {"format": FORMAT, "version": VERSION, "tables": [t.name for t in tables()]}
        out.write(json.dumps(header) + "\n")
        for table in tables():
            order = list(table.primary_key.columns) or list(table.columns)
            n = 0
            for row in conn.execute(select(table).order_by(*order)).mappings():
                out.write(json.dumps({"t": table.name, "r": {k: _encode(v) for k, v in row.items()}},
                                     ensure_ascii=False, sort_keys=True) + "\n")
                n += 1
            counts[table.name] = n
    tmp.replace(path)
    return counts


def non_empty_tables() -> list[str]:
    return [t.name for t in tables() if db.session.scalar(select(func.count()).select_from(t))]


def restore(path: str | Path, batch_size: int = 500) -> dict[str, int]:
    """Loads a backup into an empty database (tables must exist: run ``flask db upgrade`` first)."""
    from sqlalchemy import inspect

    existing = set(inspect(db.engine).get_table_names())
    missing = [t.name for t in tables() if t.name not in existing]
    if missing:
        raise RestoreError(f"the database has no tables {', '.join(missing[:5])}...: run 'flask db upgrade' first")
    filled = non_empty_tables()
    if filled:
        raise RestoreError(f"the database is not empty (tables with rows: {', '.join(filled)}); "
                           "restore only into an empty database")
    by_name = {t.name: t for t in tables()}
    counts: dict[str, int] = {}
    with Path(path).open(encoding="utf-8") as fh:
        header = json.loads(fh.readline() or "{}")
        if header.get("format") != FORMAT or header.get("version") != VERSION:
            raise RestoreError("this is not a planner backup file (or from an unknown version)")
        batch: list[dict] = []
        current = None

        def flush():
            if batch:
                db.session.execute(current.insert(), batch)
                batch.clear()

        for line in fh:
            item = json.loads(line)
            table = by_name.get(item["t"])
            if table is None:
                raise RestoreError(f"unknown table in backup: {item['t']}")
            if table is not current:
                flush()
                current = table
            batch.append({k: _decode(v, table.c[k]) for k, v in item["r"].items() if k in table.c})
            counts[table.name] = counts.get(table.name, 0) + 1
            if len(batch) >= batch_size:
                flush()
        flush()
    _reset_sequences()
    return counts


def _reset_sequences() -> None:
    if db.engine.dialect.name != "postgresql":
        return
    for table in tables():
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].autoincrement in (True, "auto") and pk[0].type.python_type is int:
            # Table and column names come from our own metadata, never from input.
            column = pk[0]
            next_id = select(func.coalesce(func.max(column), 0) + 1).scalar_subquery()
            db.session.execute(select(func.setval(func.pg_get_serial_sequence(table.name, column.name), next_id,
                                                  False)))
