from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from planner.accounts import encryption
from planner.core.locking import Versioned
from planner.core.models import TimestampMixin, UTCDateTime, normalise_email
from planner.core.permissions import Role
from planner.extensions import db


def password_hash_method() -> str:
    # Tests lower the scrypt cost (PASSWORD_HASH_METHOD); production keeps werkzeug's default strength.
    if has_app_context():
        return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return "scrypt"


class User(UserMixin, Versioned, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-case, so uniqueness is case-insensitive on SQLite and PostgreSQL alike.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(db.Enum(Role, native_enum=False, length=20, validate_strings=True))
    is_active_account: Mapped[bool] = mapped_column("is_active", default=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    # Raised on password change: sessions carrying an older value are signed out everywhere.
    session_epoch: Mapped[int] = mapped_column(default=0)
    last_login_at = mapped_column(UTCDateTime(), nullable=True)
    # Lock-out after repeated failed sign-ins (LOGIN_LOCKOUT_ATTEMPTS within LOGIN_LOCKOUT_MINUTES).
    failed_logins: Mapped[int] = mapped_column(default=0)
    first_failed_login_at = mapped_column(UTCDateTime(), nullable=True)
    locked_until = mapped_column(UTCDateTime(), nullable=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # Second factor (TOTP, RFC 6238): the shared secret once set up, stored encrypted (planner/accounts/encryption.py;
    # read and written through ``totp_secret``), and the last time step accepted (a code is good only once).
    # ``require_second_factor``: this account must set one up whatever its role.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    totp_last_step: Mapped[int | None] = mapped_column()
    require_second_factor: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    person = relationship("Person", foreign_keys=[person_id])

    @property
    def has_second_factor(self) -> bool:
        # The stored value, not the decrypted one: a key that no longer opens it must not switch the factor off.
        return bool(self.totp_secret_encrypted)

    @property
    def totp_secret(self) -> str | None:
        """The shared secret in plain text (raises SecretUnreadable when the configured keys cannot open it)."""
        return encryption.decrypt(self.totp_secret_encrypted) if self.totp_secret_encrypted else None

    @totp_secret.setter
    def totp_secret(self, value: str | None) -> None:
        self.totp_secret_encrypted = encryption.encrypt(value) if value else None

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive accounts cannot sign in
        return self.is_active_account

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_hash_method())

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def name(self) -> str:
        return self.display_name or self.email

    @validates("email")
    def _normalise_email(self, key, value: str) -> str:
        return normalise_email(value)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class PasswordResetToken(db.Model):
    """A single-use link to set a new password. Only the token's hash is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = mapped_column(UTCDateTime(), nullable=False)
    expires_at = mapped_column(UTCDateTime(), nullable=False)
    used_at = mapped_column(UTCDateTime(), nullable=True)

    user = relationship("User")


class RecoveryCode(db.Model):
    """A single-use code that stands in for the second factor (a lost phone). Only its hash is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at = mapped_column(UTCDateTime(), nullable=True)


class SecondFactorRole(db.Model):
    """The administrator's setting: every account with this role must use a second factor."""

    __tablename__ = "second_factor_roles"

    role: Mapped[Role] = mapped_column(
        db.Enum(Role, native_enum=False, length=20, validate_strings=True), primary_key=True
    )


class ExternalIdentity(db.Model):
    """An account's identity at a single sign-on provider (OIDC ``sub``, LDAP DN), linked at the first sign-in."""

    __tablename__ = "external_identities"
    __table_args__ = (db.UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(255))
    linked_at = mapped_column(UTCDateTime(), nullable=False)

    user = relationship("User")
