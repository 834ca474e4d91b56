"""Throttling of sign-in and password-reset attempts (Flask-Limiter).

The Limiter is created here, unbound, and attached to the app when the accounts blueprint is registered
(``bp.record_once``). Storage comes from RATELIMIT_STORAGE_URI (``memory://`` by default; use a shared
store such as ``redis://`` when several app processes serve the planner); RATELIMIT_ENABLED switches it off.
Only failed attempts count: a successful sign-in (a redirect) costs nothing.
"""

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from planner.core.models import normalise_email

limiter = Limiter(key_func=get_remote_address, default_limits=[])


def init_limiter(state) -> None:
    limiter.init_app(state.app)


def account_key() -> str:
    """The e-mail address typed into the form: the same budget whether the account exists or not."""
    return "account:" + normalise_email(request.form.get("email", ""))[:254]


def address_key() -> str:
    return "address:" + (get_remote_address() or "")


def login_failed(response) -> bool:
    # A failed sign-in re-renders the form (200); a success redirects.
    return response.status_code == 200


def per_account_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def per_address_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]


def registration_limit() -> str:
    return current_app.config["REGISTRATION_LIMIT_PER_ADDRESS"]


def password_reset_limit() -> str:
    return current_app.config["PASSWORD_RESET_LIMIT"]
