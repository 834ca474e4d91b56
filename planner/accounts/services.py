"""Accounts: who may sign in, with which role; passwords, resets and lock-out."""

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from werkzeug.security import check_password_hash

from planner.accounts.models import PasswordResetToken, User
from planner.accounts.passwords import check_password_policy
from planner.core import audit
from planner.core.errors import DomainError
from planner.core.locking import check_version, save_version
from planner.core.models import normalise_email, utcnow
from planner.core.permissions import Role
from planner.core.security import hash_token, new_token
from planner.extensions import db

# Compared against when the e-mail is unknown, so both answers take the same time. Written out (werkzeug's
# generate_password_hash("not-a-real-password", method="scrypt")): hashing it at import cost every process 0.3 s.
_DUMMY_HASH = (
    "scrypt:32768:8:1$9TJ3n05FZ8TnMgNg$e5629061f65d692036f54fc277"
    "27dfc3c84cdd90d217677227728fdfdc6a9b614d8203192e4b368a414cdc4000e8f6d80e0872e8437edaf1412626827b0bcc28"
)


class SignInLocked(DomainError):
    """Too many failed sign-ins for this account: no sign-in, not even with the right password, for a while."""


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (no hint which of the two was wrong).

    Raises SignInLocked while the account is locked after repeated failures. The failure counter is
    changed in the session: the caller commits in both cases.
    """
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        check_password_hash(_DUMMY_HASH, password)
        raise SignInLocked(_l("Too many failed sign-ins. Please wait a few minutes and try again."))
    if not user.check_password(password) or not user.is_active:
        _count_failure(user, now)
        return None
    if not user.has_second_factor:
        # With a second factor the counter keeps running until the code is right too (twofactor.verify):
        # knowing the password must not buy fresh attempts at guessing the code.
        reset_failures(user, now)
    return user


def reset_failures(user: User, now) -> None:
    """A sign-in step passed: the failure counter starts again."""
    user.failed_logins = 0
    user.first_failed_login_at = None
    user.locked_until = None
    user.last_login_at = now


def _count_failure(user: User, now) -> None:
    window = timedelta(minutes=int(current_app.config["LOGIN_LOCKOUT_MINUTES"]))
    if user.first_failed_login_at is None or now - user.first_failed_login_at > window:
        user.first_failed_login_at = now
        user.failed_logins = 1
    else:
        user.failed_logins += 1
    if user.failed_logins >= int(current_app.config["LOGIN_LOCKOUT_ATTEMPTS"]):
        user.locked_until = now + window
        user.failed_logins = 0
        user.first_failed_login_at = None
        audit.record("lock", user, summary="sign-in locked after repeated failures")


def validate_password(password: str, email: str | None = None) -> None:
    check_password_policy(password, email)


def create_user(
    email: str, role: Role | str, password: str, display_name: str = "", person_id: int | None = None,
    require_second_factor: bool = False,
) -> User:
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise DomainError(_l("An account with this e-mail address already exists."), field="email")
    validate_password(password, email)
    user = User(email=email, role=Role(role), display_name=display_name.strip(), person_id=person_id,
                require_second_factor=require_second_factor)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("create", user, changes={"email": [None, user.email], "role": [None, user.role]})
    return user


def update_user(actor: User, user: User, *, role: Role | str, is_active: bool, display_name: str,
                version: int | None = None) -> User:
    """Saves role, state and name; a save based on an older version (``version`` from the form) raises
    StaleVersion."""
    check_version(user, version)
    role = Role(role)
    if actor.id == user.id and (role != Role.ADMIN or not is_active):
        raise DomainError(_l("You cannot remove your own administrator rights or deactivate yourself."))
    if user.role == Role.ADMIN and (role != Role.ADMIN or not is_active) and _active_admin_count() <= 1:
        raise DomainError(_l("The planner needs at least one active administrator."))
    changes = {}
    if user.role != role:
        changes["role"] = [user.role, role]
    if user.is_active_account != is_active:
        changes["is_active"] = [user.is_active_account, is_active]
    if user.display_name != display_name.strip():
        changes["display_name"] = [user.display_name, display_name.strip()]
    user.role = role
    if user.is_active_account and not is_active:
        user.session_epoch += 1  # a deactivated account is signed out everywhere
    user.is_active_account = is_active
    user.display_name = display_name.strip()
    save_version(user)
    if changes:
        audit.record("update", user, changes=changes)
    return user


def set_active(actor: User, user: User, is_active: bool) -> User:
    return update_user(actor, user, role=user.role, is_active=is_active, display_name=user.display_name)


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not user.check_password(current_password):
        raise DomainError(_l("The current password is not correct."), field="current_password")
    validate_password(new_password, user.email)
    user.set_password(new_password)
    # Every other session of this account is signed out.
    user.session_epoch += 1
    db.session.flush()
    audit.record("password_change", user, summary="password changed by the account holder")


# --- password reset by e-mail ------------------------------------------------------------------------------


def request_password_reset(email: str, link_for, requested_by: User | None = None) -> bool:
    """Sends a reset link when an active account has this e-mail; says nothing about it to the caller.

    ``link_for(token)`` builds the absolute link. Returns whether a mail was sent (for tests and admins
    only: views must answer the same either way).
    """
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return False
    token = issue_reset_token(user)
    _send_reset_mail(user, link_for(token))
    audit.record(
        "password_reset_requested",
        user,
        summary="by an administrator" if requested_by is not None and requested_by.id != user.id else "",
    )
    return True


def issue_reset_token(user: User) -> str:
    now = utcnow()
    # Only the newest link works.
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = new_token()
    hours = int(current_app.config["PASSWORD_RESET_HOURS"])
    db.session.add(
        PasswordResetToken(
            user_id=user.id, token_hash=hash_token(token), created_at=now, expires_at=now + timedelta(hours=hours)
        )
    )
    db.session.flush()
    return token


def _send_reset_mail(user: User, link: str) -> None:
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from planner.core.mail import send_mail

    with force_locale(user.locale or current_app.config["DEFAULT_LOCALE"]):
        hours = int(current_app.config["PASSWORD_RESET_HOURS"])
        subject = _("Reset your password for the Smart City planner")
        text = "\n\n".join(
            [
                _("Hello %(name)s,", name=user.name),
                _("someone (hopefully you) asked to reset the password of your account in the Smart City planner."),
                _("To choose a new password, open this link within %(hours)s hour(s):", hours=hours),
                link,
                _("The link works only once. If you did not ask for it, ignore this e-mail: your password stays "
                  "the same."),
            ]
        )
    send_mail(user.email, subject, text)


def find_reset_token(token: str) -> PasswordResetToken | None:
    """The still valid token record, or None when it is unknown, used or expired."""
    if not token or len(token) > 200:
        return None
    record = db.session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == hash_token(token)))
    if record is None or record.used_at is not None or record.expires_at <= utcnow():
        return None
    if not record.user.is_active:
        return None
    return record


def reset_password(token: str, new_password: str) -> User:
    record = find_reset_token(token)
    if record is None:
        raise DomainError(_l("This link is invalid or has expired. Please request a new one."))
    user = record.user
    validate_password(new_password, user.email)
    user.set_password(new_password)
    user.session_epoch += 1  # signed out everywhere
    user.failed_logins = 0
    user.first_failed_login_at = None
    user.locked_until = None
    record.used_at = utcnow()
    db.session.flush()
    audit.record("password_reset", user, summary="password set through an e-mailed reset link")
    return user


def _active_admin_count() -> int:
    return db.session.scalar(
        select(db.func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active_account.is_(True))
    )
