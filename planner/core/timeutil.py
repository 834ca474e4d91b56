"""Time zone helpers: the database holds UTC, people see Europe/Berlin (or the configured zone)."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TZ = "Europe/Berlin"


def local_tz() -> ZoneInfo:
    name = current_app.config.get("TIMEZONE", DEFAULT_TZ) if has_app_context() else DEFAULT_TZ
    return ZoneInfo(name)


def to_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(local_tz())


def local_today() -> date:
    """Today's date in the city's zone (a workshop's day is a local day, not a UTC one)."""
    return datetime.now(UTC).astimezone(local_tz()).date()


def local_datetime(day: date, at: time) -> datetime:
    """A wall-clock date and time in the city's zone as an aware datetime (DST handled by zoneinfo)."""
    return datetime.combine(day, at, tzinfo=local_tz())
