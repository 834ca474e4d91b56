"""Secrets at rest: the second factor's shared secrets are stored encrypted (Fernet: AES-128-CBC with an
HMAC-SHA256 tag, from ``cryptography``), never in plain text.

The key: ``ENCRYPTION_KEY`` (``PLANNER_ENCRYPTION_KEY``) when set — a Fernet key
(``Fernet.generate_key()``) or any long passphrase, which is then hashed into one — otherwise a key derived
from ``SECRET_KEY``. Rotation: put the new key in ``ENCRYPTION_KEY``, the old one(s) in
``ENCRYPTION_OLD_KEYS`` (a list, or comma-separated), run ``flask --app planner rotate-encryption-key``, then drop
the old keys (docs/security.md). A value that no configured key opens is never treated as "no secret": the
sign-in fails closed with a message for the administrator.
"""

import base64
import hashlib
import logging

from flask import current_app
from flask_babel import lazy_gettext as _l

from planner.core.errors import DomainError

KEY_CONTEXT = b"planner.accounts.secrets-at-rest\0"
log = logging.getLogger(__name__)


class SecretUnreadable(DomainError):
    """A stored secret cannot be decrypted with the configured keys (a wrong or lost ENCRYPTION_KEY)."""

    def __init__(self):
        super().__init__(_l(
            "The second factor of this account cannot be checked: the server's encryption key does not match "
            "the stored data. Please contact the administrator."))


def _fernet(key):
    from cryptography.fernet import Fernet  # imported when first used: the app starts without it

    raw = key.encode() if isinstance(key, str) else bytes(key)
    try:
        return Fernet(raw)  # a proper Fernet key (32 url-safe base64 bytes) is used as it is
    except ValueError:
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(KEY_CONTEXT + raw).digest()))


def _old_keys() -> list:
    old = current_app.config.get("ENCRYPTION_OLD_KEYS") or []
    if isinstance(old, str):
        old = [k for k in (part.strip() for part in old.split(",")) if k]
    return list(old)


def _box():
    from cryptography.fernet import MultiFernet

    current = current_app.config.get("ENCRYPTION_KEY") or current_app.config["SECRET_KEY"]
    return MultiFernet([_fernet(current), *(_fernet(k) for k in _old_keys())])


def encrypt(plain: str) -> str:
    return _box().encrypt(plain.encode()).decode("ascii")


def decrypt(token: str) -> str:
    from cryptography.fernet import InvalidToken

    try:
        return _box().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError, ValueError):
        log.error("A stored second-factor secret cannot be decrypted: check ENCRYPTION_KEY / ENCRYPTION_OLD_KEYS")
        raise SecretUnreadable() from None


def rotate(token: str) -> str:
    """The same secret, encrypted with the current key (raises SecretUnreadable when no key opens it)."""
    from cryptography.fernet import InvalidToken

    try:
        return _box().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError, ValueError):
        raise SecretUnreadable() from None


def rotate_all() -> tuple[int, int]:
    """Re-encrypts every stored second-factor secret with the current key. Returns (rotated, unreadable); the
    caller commits. Unreadable values are left as they are (their accounts fail closed until reset)."""
    from sqlalchemy import select

    from planner.accounts.models import User
    from planner.extensions import db

    rotated = unreadable = 0
    for user in db.session.scalars(select(User).where(User.totp_secret_encrypted.is_not(None))):
        try:
            user.totp_secret_encrypted = rotate(user.totp_secret_encrypted)
            rotated += 1
        except SecretUnreadable:
            unreadable += 1
    db.session.flush()
    return rotated, unreadable
