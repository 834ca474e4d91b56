"""The password policy: a minimum length, not one of the 10,000 most common passwords, not the e-mail address."""

from functools import cache
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from planner.core.errors import DomainError
from planner.core.models import normalise_email

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    return (password or "").strip().lower() in common_passwords()


def check_password_policy(password: str, email: str | None = None, field: str = "password") -> None:
    """Raises DomainError (on ``field``) when the password does not meet the policy."""
    password = password or ""
    minimum = int(current_app.config["PASSWORD_MIN_LENGTH"])
    if len(password) < minimum:
        raise DomainError(_l("The password must have at least %(n)s characters.", n=minimum), field=field)
    if is_common(password):
        raise DomainError(
            _l("This password is one of the most commonly used passwords. Please choose another one."), field=field
        )
    if email:
        address = normalise_email(email)
        lowered = password.strip().lower()
        if lowered in (address, address.split("@", 1)[0]):
            raise DomainError(_l("The password must not be your e-mail address."), field=field)
