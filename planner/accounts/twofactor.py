"""The second factor: time-based one-time codes (TOTP, RFC 6238, pyotp) and single-use recovery codes.

Set-up: the account holder scans a QR code (or types the secret) and confirms with a first code; only then is the
secret stored, and ten recovery codes are shown once (stored hashed). Sign-in asks for a code after the password;
a code of a time step already used is refused (no replay). Wrong codes count towards the account's lock-out like
wrong passwords. An administrator may require the second factor per role; another administrator resets it with
a reason that goes into the audit log.
"""

import hmac
import secrets
import time

import pyotp
import segno
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from planner.accounts.encryption import SecretUnreadable
from planner.accounts.models import RecoveryCode, SecondFactorRole, User
from planner.core import audit
from planner.core.errors import DomainError, NotAllowed
from planner.core.models import utcnow
from planner.core.permissions import Role
from planner.core.security import hash_token
from planner.extensions import db

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without mistakes


def issuer() -> str:
    return current_app.config.get("TOTP_ISSUER") or "Smart City Planner"


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer())


def qr_svg(uri: str, title: str) -> str:
    """The otpauth URI as an inline SVG QR code (drawn here: no outside request)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, title=title, dark="#000", light="#fff")


def format_secret(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _clean(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code this is (the current one or one step either side, for clock drift)."""
    code = _clean(code)
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    step = int(now // totp.interval)
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


# --- the setting: which roles must use a second factor ------------------------------------------------------


def required_roles() -> set[Role]:
    return set(db.session.scalars(select(SecondFactorRole.role)))


def set_required_roles(actor: User, roles) -> None:
    if actor.role != Role.ADMIN:
        raise NotAllowed(_l("Only administrators can change this setting."))
    wanted = {Role(r) for r in roles}
    before = required_roles()
    if wanted == before:
        return
    db.session.execute(delete(SecondFactorRole))
    for role in sorted(wanted):
        db.session.add(SecondFactorRole(role=role))
    db.session.flush()
    audit.record(
        "second_factor_policy", entity="second_factor_roles", entity_id=None,
        changes={"roles": [sorted(r.value for r in before), sorted(r.value for r in wanted)]},
    )


def is_required(user: User) -> bool:
    return user.require_second_factor or user.role in required_roles()


def setup_missing(user: User) -> bool:
    """True when the account must use a second factor and has none yet (it is sent to the set-up page)."""
    return not user.has_second_factor and is_required(user)


# --- set-up by the account holder ---------------------------------------------------------------------------


def enable(user: User, secret: str, code: str, now: float | None = None) -> list[str]:
    """Stores the secret once the first code from the app matches; returns the recovery codes (shown once)."""
    if user.has_second_factor:
        raise DomainError(_l("A second factor is already set up for this account."))
    step = _matching_step(secret, code, now) if secret else None
    if step is None:
        raise DomainError(
            _l("This code is not correct. Check the time on your phone and enter the code the app shows now."),
            field="code",
        )
    user.totp_secret = secret
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    db.session.flush()
    audit.record("second_factor_enabled", user, summary="second factor set up by the account holder")
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _j in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_token(raw)))
    return codes


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(
        select(db.func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


# --- sign-in ------------------------------------------------------------------------------------------------


def verify(user: User, code: str, now: float | None = None) -> bool:
    """Checks a code at sign-in: a TOTP code of a step not used before, or an unused recovery code.

    Raises SignInLocked while the account is locked, SecretUnreadable when the stored secret cannot be decrypted
    with the configured keys (nobody gets in with a TOTP code then); a wrong code counts as a failed sign-in. The
    caller commits in every case (the failure counter, the used step or recovery code)."""
    from planner.accounts.services import SignInLocked, _count_failure, reset_failures

    moment = utcnow()
    if user.locked_until and user.locked_until > moment:
        raise SignInLocked(_l("Too many failed sign-ins. Please wait a few minutes and try again."))
    if not user.is_active or not user.has_second_factor:
        return False
    try:
        secret = user.totp_secret
    except SecretUnreadable:
        # Fails closed: only a recovery code (stored hashed, independent of the key) still lets the holder in.
        if _use_recovery_code(user, code, moment):
            reset_failures(user, moment)
            audit.record("recovery_code_used", user, summary=f"{remaining_recovery_codes(user)} recovery codes left")
            return True
        raise
    step = _matching_step(secret, code, now)
    if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
        user.totp_last_step = step
        reset_failures(user, moment)
        return True
    if step is None and _use_recovery_code(user, code, moment):
        reset_failures(user, moment)
        audit.record("recovery_code_used", user, summary=f"{remaining_recovery_codes(user)} recovery codes left")
        return True
    _count_failure(user, moment)
    return False


def _use_recovery_code(user: User, code: str, moment) -> bool:
    cleaned = _clean(code)
    if len(cleaned) != 12:
        return False
    record = db.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == hash_token(cleaned),
            RecoveryCode.used_at.is_(None),
        )
    )
    if record is None:
        return False
    record.used_at = moment
    db.session.flush()
    return True


# --- reset by another administrator -------------------------------------------------------------------------


def reset(actor: User, user: User, reason: str) -> None:
    """Removes the second factor (a lost phone): only another administrator, with a reason for the audit log.
    The account is signed out everywhere and sets up a new factor at its next sign-in if one is required."""
    if actor.role != Role.ADMIN:
        raise NotAllowed(_l("Only administrators can reset a second factor."))
    if actor.id == user.id:
        raise DomainError(_l("Another administrator must reset your own second factor."))
    reason = " ".join((reason or "").split())
    if len(reason) < 5:
        raise DomainError(_l("Please give the reason for the reset (at least 5 characters)."), field="reason")
    if not user.has_second_factor:
        raise DomainError(_l("This account has no second factor to reset."))
    user.totp_secret = None
    user.totp_last_step = None
    user.session_epoch += 1
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()
    audit.record("second_factor_reset", user, summary=reason[:500])
