"""Who the installation speaks for: the city's name, mail sender and feedback contact.

The values live in the database (planner/city); the config keys ``CITY_NAME``, ``MAIL_SENDER`` and
``FEEDBACK_EMAIL`` are only the fallback for an installation whose administrator has not set them yet.
Every package reads them here (core is left of every domain package), the city package registers the
provider that loads them, so no package has to import planner.city.
"""

from collections.abc import Callable

from flask import current_app, g, has_app_context

_provider: Callable[[], dict | None] | None = None
_CACHE = "_planner_city_identity"


def register_provider(provider: Callable[[], dict | None]) -> None:
    """``provider()`` returns the stored settings as a dict (name, mail_sender, feedback_email, ...) or None."""
    global _provider
    _provider = provider


def settings() -> dict:
    """The stored settings of this app context (loaded once per request or job), {} when there are none."""
    if not has_app_context() or _provider is None:
        return {}
    if _CACHE not in g:
        setattr(g, _CACHE, _provider() or {})
    return getattr(g, _CACHE)


def forget() -> None:
    """Drop the cached values after the settings changed."""
    if has_app_context():
        g.pop(_CACHE, None)


def _value(key: str, config_key: str) -> str:
    return settings().get(key) or current_app.config.get(config_key) or ""


def city_name() -> str:
    return _value("name", "CITY_NAME")


def mail_sender() -> str:
    return _value("mail_sender", "MAIL_SENDER")


def feedback_email() -> str:
    return _value("feedback_email", "FEEDBACK_EMAIL")


def sectors() -> list[str]:
    """Codes of the sectors the city uses (planner.people.models.Sector); empty: all of them."""
    return list(settings().get("sectors") or [])
