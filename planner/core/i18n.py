"""Language and time zone selection, and the catalogues of every package."""

from pathlib import Path

from flask import current_app, has_request_context, session
from flask_login import current_user

PLANNER_DIR = Path(__file__).resolve().parent.parent


def translation_directories() -> list[str]:
    """planner/translations first, then each domain package's own catalogue (planner/<pkg>/translations)."""
    dirs = [PLANNER_DIR / "translations"]
    dirs += sorted(p for p in PLANNER_DIR.glob("*/translations") if p.is_dir())
    return [str(d) for d in dirs]


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return user_locale
    return current_app.config["DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]
