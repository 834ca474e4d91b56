"""Optimistic locking for everything people edit in forms, and row locks for counted resources.

Optimistic locking: a model mixes in ``Versioned`` (a ``version`` column that SQLAlchemy also puts into the WHERE
clause of every UPDATE). The edit form carries the version it was filled from (a hidden field, see
planner.core.forms.VersionedForm); the edit service calls ``check_version`` before it changes anything and
``save_version`` after, so a save based on an older version is refused with ``StaleVersion`` and nothing is
changed, even when two saves race each other (the loser's UPDATE matches no row). The view shows the stored values
beside the user's input (planner.core.forms.stale_conflict, templates/_macros/conflict.html) with status 409.

Row locks: ``lock_row`` serialises writers of one row for the rest of the transaction (SELECT … FOR UPDATE on
PostgreSQL; on SQLite, which locks the whole database, by taking the write lock at once).
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from planner.core.errors import StaleVersion
from planner.extensions import db

STALE_MESSAGE = _l(
    "Someone else has changed this in the meantime. Your changes were not saved: compare them with "
    "the current version below and save again."
)


class Versioned:
    """A ``version`` column used as SQLAlchemy's version_id_col. The version is raised by edit services only
    (``save_version``), so a background write (a login, a recorded consent) does not invalidate open forms."""

    version: Mapped[int] = mapped_column(default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version, "version_id_generator": False}


def parse_version(value) -> int | None:
    """The version a form sent: an int, or None when it is missing or not a number (then nothing is checked)."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() and len(text) < 10 else None


def check_version(obj, version) -> None:
    """Refuses a change based on an older version of ``obj`` (``version`` from the form; None skips the check)."""
    version = parse_version(version)
    if version is not None and version != obj.version:
        raise StaleVersion(STALE_MESSAGE)


def bump_version(obj) -> None:
    """Marks a change of something an edit form shows, made outside that form (a consent given through an
    invitation, an end time fitted to the agenda): forms opened before it are stale now. Flushed with the rest."""
    obj.version = (obj.version or 0) + 1


def save_version(obj) -> None:
    """Raises ``obj``'s version and flushes; a concurrent save that got there first turns into StaleVersion."""
    bump_version(obj)
    try:
        db.session.flush()
    except StaleDataError as error:
        raise StaleVersion(STALE_MESSAGE) from error


def lock_row(obj) -> None:
    """Locks ``obj``'s row until the transaction ends and reloads its columns (other writers wait).

    PostgreSQL: SELECT … FOR UPDATE. SQLite has no row locks: a no-op UPDATE of the row takes the database's
    write lock now (waiting up to the busy timeout), so no other transaction can write until this one ends,
    and every read that follows sees the latest committed data.
    """
    mapper = inspect(obj).mapper
    table = mapper.local_table
    key = inspect(obj).identity
    pk = mapper.primary_key
    condition = [column == value for column, value in zip(pk, key, strict=True)]
    if db.session.get_bind().dialect.name == "sqlite":
        # Every column set to itself (the primary key, and those with an onupdate such as updated_at, which
        # would otherwise be stamped): the row is unchanged, only the lock is taken.
        unchanged = {column.name: column for column in table.c if column.primary_key or column.onupdate is not None}
        db.session.execute(update(table).where(*condition).values(unchanged))
    db.session.execute(
        select(mapper.class_).where(*condition).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
