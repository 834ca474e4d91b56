"""Base model pieces shared by every domain package."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, Index, MetaData, PrimaryKeyConstraint, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalise_email(value: str) -> str:
    return (value or "").strip().lower()


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and always hands back aware UTC datetimes.

    SQLite has no time zone type; without this, values would come back naive on SQLite and
    aware on PostgreSQL, and comparisons would differ between the two.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; pass an aware one (UTC or Europe/Berlin)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


def index_foreign_keys(metadata: MetaData) -> None:
    """Give every foreign-key column that leads no index, primary key or unique constraint an index of its own.

    Neither SQLite nor PostgreSQL indexes the referencing side by itself; without it, loading a need's
    measures or checking a deleted person's rows scans the whole table once data grows (metropolis scale).
    Idempotent: create_app runs it after importing every package's models.
    """
    for table in metadata.tables.values():
        leading = {next(iter(index.columns)).name for index in table.indexes if index.columns}
        leading |= {next(iter(c.columns)).name for c in table.constraints
                    if isinstance(c, UniqueConstraint | PrimaryKeyConstraint) and c.columns}
        for column in table.columns:
            if column.foreign_keys and not column.index and not column.unique and column.name not in leading:
                Index(None, column, _column_flag=False)
