"""Dates and times as people in the city read them: times without seconds, 24-hour clock, day before month.

German follows its locale (10.02.2027, 10:00). English uses British conventions (10 Feb 2027, 10:00), never the
US ones (Feb 10, 2027, 10:00:00 AM). The template filters ``datetimeformat``, ``dateformat`` and ``timeformat``
are these functions; the named widths are short, medium, long and full, any other value is a Babel pattern."""

from datetime import date, datetime

from babel import Locale
from babel import dates as babel_dates
from flask_babel import get_locale, to_user_timezone

NAMED = ("short", "medium", "long", "full")
TIME_PATTERN = "HH:mm"


def format_locale() -> Locale:
    locale = get_locale() or Locale("de")
    if locale.language == "en" and not locale.territory:
        return Locale("en", "GB")  # 24-hour clock, day-month-year
    return locale


def _local(value):
    return to_user_timezone(value) if isinstance(value, datetime) else value


def format_time(value: datetime | None, format: str | None = None) -> str:
    if value is None:
        return ""
    pattern = TIME_PATTERN if format in (None, *NAMED) else format
    return babel_dates.format_time(_local(value), pattern, locale=format_locale())


def format_date(value: date | datetime | None, format: str | None = "medium") -> str:
    if value is None:
        return ""
    return babel_dates.format_date(_local(value), format or "medium", locale=format_locale())


def format_datetime(value: datetime | None, format: str | None = "medium") -> str:
    if value is None:
        return ""
    format = format or "medium"
    locale = format_locale()
    if format not in NAMED:
        return babel_dates.format_datetime(_local(value), format, locale=locale)
    day = format_date(value, format)
    at = format_time(value)
    pattern = str(locale.datetime_formats.get(format, "{1}, {0}"))
    return pattern.replace("'", "").replace("{1}", day).replace("{0}", at)


def init_app(app) -> None:
    app.jinja_env.filters.update(datetimeformat=format_datetime, dateformat=format_date, timeformat=format_time)
