"""Accounts: who may sign in, with which role."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from planner.accounts.models import User
from planner.core.errors import DomainError
from planner.core.models import normalise_email, utcnow
from planner.core.permissions import Role
from planner.extensions import db

# Compared against when the e-mail is unknown, so both answers take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (no hint which of the two was wrong)."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    user.last_login_at = utcnow()
    return user


def validate_password(password: str) -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password or "") < minimum:
        raise DomainError(_l("The password must have at least %(n)s characters.", n=minimum), field="password")


def create_user(
    email: str, role: Role | str, password: str, display_name: str = "", person_id: int | None = None
) -> User:
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise DomainError(_l("An account with this e-mail address already exists."), field="email")
    validate_password(password)
    user = User(email=email, role=Role(role), display_name=display_name.strip(), person_id=person_id)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(actor: User, user: User, *, role: Role | str, is_active: bool, display_name: str) -> User:
    role = Role(role)
    if actor.id == user.id and (role != Role.ADMIN or not is_active):
        raise DomainError(_l("You cannot remove your own administrator rights or deactivate yourself."))
    if user.role == Role.ADMIN and (role != Role.ADMIN or not is_active) and _active_admin_count() <= 1:
        raise DomainError(_l("The planner needs at least one active administrator."))
    user.role = role
    user.is_active_account = is_active
    user.display_name = display_name.strip()
    db.session.flush()
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not user.check_password(current_password):
        raise DomainError(_l("The current password is not correct."), field="current_password")
    validate_password(new_password)
    user.set_password(new_password)
    # Every other session of this account is signed out.
    user.session_epoch += 1
    db.session.flush()


def _active_admin_count() -> int:
    return db.session.scalar(
        select(db.func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active_account.is_(True))
    )
