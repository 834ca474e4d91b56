"""From demo to real: remove every row and file the demo left, keep the administrator who asks for it."""

import shutil
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from planner.city.models import CitySettings
from planner.core import audit, identity
from planner.core.errors import DomainError
from planner.extensions import db

# Folders of the instance that hold data written by the planner (never the secret key or the config).
DATA_FOLDERS = ("outbox", "jobs", "uploads", "published-exports")
KEEP_TABLES = {"alembic_version"}


@dataclass(frozen=True)
class RemovalReport:
    rows: dict[str, int]
    files: int
    kept_account: str | None


def demo_loaded() -> bool:
    settings = CitySettings.get()
    return bool(settings and settings.demo_loaded_at)


def demo_counts() -> dict[str, int]:
    """Rows per table that a removal would delete (tables without rows left out)."""
    counts = {}
    for table in db.metadata.sorted_tables:
        if table.name in KEEP_TABLES:
            continue
        n = db.session.scalar(select(func.count()).select_from(table)) or 0
        if n:
            counts[table.name] = n
    return counts


def remove_demo(actor, *, force: bool = False) -> RemovalReport:
    """Deletes every row of every table (people, accounts, workshops, findings, surveys, versions, mails, the
    audit log, the city's settings) and the files of the instance folder; keeps ``actor``'s account (without
    a link to a person). Refused unless the demo was loaded (``force`` for installations seeded before the
    marker existed)."""
    if not force and not demo_loaded():
        raise DomainError(_l("This installation holds no demo data; nothing was removed."))
    keep_id = getattr(actor, "id", None)
    kept_email = getattr(actor, "email", None)
    users = db.metadata.tables["users"]
    if keep_id is not None:
        db.session.execute(update(users).where(users.c.id == keep_id).values(person_id=None))
    rows = {}
    for table in reversed(db.metadata.sorted_tables):
        if table.name in KEEP_TABLES:
            continue
        stmt = delete(table)
        if table.name == "users" and keep_id is not None:
            stmt = stmt.where(table.c.id != keep_id)
        result = db.session.execute(stmt)
        if result.rowcount:
            rows[table.name] = result.rowcount
    db.session.flush()
    db.session.expire_all()
    identity.forget()
    files = _remove_files()
    audit.record("delete", entity="demo", summary="demo data removed")
    db.session.flush()
    return RemovalReport(rows=rows, files=files, kept_account=kept_email)


def _remove_files() -> int:
    instance = Path(current_app.instance_path)
    count = 0
    for name in DATA_FOLDERS:
        folder = instance / name
        if folder.is_dir():
            count += sum(1 for p in folder.rglob("*") if p.is_file())
            shutil.rmtree(folder, ignore_errors=True)
    _flush_queue()
    return count


def _flush_queue() -> None:
    """Queued jobs carry demo ids and addresses: drop them."""
    try:
        from planner.jobs.queue import get_huey

        get_huey(current_app).flush()
    except Exception:  # noqa: BLE001 - no queue configured or reachable: nothing queued to drop
        current_app.logger.info("job queue not flushed", exc_info=True)
