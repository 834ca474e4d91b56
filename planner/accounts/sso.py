"""Single sign-on: the providers of the instance config and how their answers become planner accounts.

``SSO_PROVIDERS`` in the instance config lists the providers, several at once; each is a dict with ``name`` (in
URLs), ``label`` (on the sign-in page) and ``type``:

- ``"oidc"``: OpenID Connect through Authlib, with ``server_metadata_url``, ``client_id``, ``client_secret``;
- ``"ldap"``: LDAP / Active Directory through ldap3 (see planner/accounts/ldap.py).

Common keys: ``groups_claim`` (OIDC: the claim with the groups, default ``groups``), ``role_map``
(``{"group": "role"}``: when set, the role follows the groups at every sign-in, and someone in none of the
mapped groups cannot sign in), ``trust_provider_mfa`` (the provider's second factor counts; the planner does not
ask for its own). ``SSO_CREATE_ACCOUNTS`` lets a first sign-in create the account (otherwise an account with the
same, verified e-mail address must exist).
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from planner.accounts.models import ExternalIdentity, User
from planner.core import audit
from planner.core.errors import DomainError
from planner.core.models import normalise_email, utcnow
from planner.core.permissions import Role
from planner.extensions import db

# Of several mapped groups, the most powerful role wins.
_ROLE_ORDER = [Role.ADMIN, Role.STRATEGY_TEAM, Role.FACILITATOR, Role.REVIEWER, Role.EXPERT]


class SignInRefused(DomainError):
    """The provider vouched for someone the planner does not let in (no account, no group, deactivated)."""


def providers(config) -> list[dict]:
    return [p for p in config.get("SSO_PROVIDERS") or [] if p.get("name") and p.get("type") in ("oidc", "ldap")]


def provider(config, name: str) -> dict | None:
    return next((p for p in providers(config) if p["name"] == name), None)


def role_for_groups(provider_config: dict, groups) -> Role | None:
    """The role the group mapping gives (None when no group is mapped)."""
    role_map = provider_config.get("role_map") or {}
    if isinstance(groups, str):
        groups = [groups]
    wanted = {Role(role_map[g]) for g in groups or [] if g in role_map}
    return next((r for r in _ROLE_ORDER if r in wanted), None)


def sign_in(provider_config: dict, *, subject: str, email: str | None, email_verified: bool, name: str = "",
            groups=None, create_accounts: bool = False) -> User:
    """The account for an identity the provider has confirmed; links it on the first sign-in.

    Linking goes by verified e-mail address; without an account one is created only when the instance allows it.
    With a ``role_map`` the role follows the groups, and nobody outside the mapped groups gets in. The caller
    commits."""
    name_of_provider = provider_config["name"]
    subject = str(subject or "")
    if not subject:
        raise SignInRefused(_l("The sign-in service did not say who you are. Please try again."))
    mapped = provider_config.get("role_map") or {}
    role = role_for_groups(provider_config, groups) if mapped else None
    if mapped and role is None:
        raise SignInRefused(_l("Your account in the city's directory is not in a group that may use the planner. "
                               "Please ask your administrator."))
    identity = db.session.scalar(
        select(ExternalIdentity).where(ExternalIdentity.provider == name_of_provider,
                                       ExternalIdentity.subject == subject)
    )
    user = identity.user if identity is not None else None
    if user is None:
        if not email or not email_verified:
            raise SignInRefused(_l("The sign-in service did not confirm your e-mail address, so your account "
                                   "cannot be linked. Please ask your administrator."))
        email = normalise_email(email)
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            if not create_accounts:
                raise SignInRefused(_l("There is no planner account for %(email)s. Please ask your administrator "
                                       "to create one.", email=email))
            user = _create_account(email, name, role or Role(provider_config.get("default_role") or "expert"))
        db.session.add(ExternalIdentity(provider=name_of_provider, subject=subject[:255], user_id=user.id,
                                        linked_at=utcnow()))
        db.session.flush()
        audit.record("sso_linked", user, summary=f"linked to {name_of_provider}")
    if not user.is_active:
        raise SignInRefused(_l("This account has been deactivated. Please ask your administrator."))
    if user.locked_until and user.locked_until > utcnow():
        raise SignInRefused(_l("Too many failed sign-ins. Please wait a few minutes and try again."))
    if role is not None and user.role == Role.ADMIN and role != Role.ADMIN and _last_active_admin(user):
        role = None  # the planner keeps at least one administrator, whatever the groups say
    if role is not None and user.role != role:
        audit.record("update", user, changes={"role": [user.role, role]},
                     summary=f"role from the groups at {name_of_provider}")
        user.role = role
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def _create_account(email: str, name: str, role: Role) -> User:
    import secrets

    user = User(email=email, role=role, display_name=(name or "").strip()[:200])
    # No password anyone knows: the account signs in through its provider (a reset link can set one later).
    user.set_password(secrets.token_urlsafe(32))
    db.session.add(user)
    db.session.flush()
    audit.record("create", user, changes={"email": [None, user.email], "role": [None, user.role]},
                 summary="created at the first single sign-on")
    return user


def directory_sign_in(provider_config: dict, username: str, password: str, *,
                      create_accounts: bool = False) -> User | None:
    """LDAP / Active Directory: the account for a user name and password the directory accepts, else None.

    A wrong password counts towards the planner account's lock-out, as on the password form. Raises
    DirectoryUnavailable when the directory is down, SignInRefused as ``sign_in`` does. The caller commits."""
    from planner.accounts import directory
    from planner.accounts.services import _count_failure

    entry, ok = directory.authenticate(provider_config, username, password)
    if entry is None:
        return None
    if not ok:
        user = _known_user(provider_config["name"], entry.dn, entry.email)
        if user is not None:
            if user.locked_until and user.locked_until > utcnow():
                raise SignInRefused(_l("Too many failed sign-ins. Please wait a few minutes and try again."))
            _count_failure(user, utcnow())
        return None
    return sign_in(provider_config, subject=entry.dn, email=entry.email, email_verified=bool(entry.email),
                   name=entry.name, groups=entry.groups, create_accounts=create_accounts)


def _known_user(provider_name: str, subject: str, email: str | None) -> User | None:
    identity = db.session.scalar(
        select(ExternalIdentity).where(ExternalIdentity.provider == provider_name, ExternalIdentity.subject == subject)
    )
    if identity is not None:
        return identity.user
    if email:
        return db.session.scalar(select(User).where(User.email == normalise_email(email)))
    return None


def end_sessions(provider_name: str, subject: str) -> bool:
    """The provider says this identity signed out (back-channel logout): every planner session of the linked
    account ends. False when no account is linked to it."""
    identity = db.session.scalar(
        select(ExternalIdentity).where(ExternalIdentity.provider == provider_name,
                                       ExternalIdentity.subject == str(subject))
    )
    if identity is None:
        return False
    identity.user.session_epoch += 1
    db.session.flush()
    audit.record("sso_logout", identity.user, summary=f"signed out at {provider_name}")
    return True


def _last_active_admin(user: User) -> bool:
    from planner.accounts.services import _active_admin_count

    return user.is_active_account and _active_admin_count() <= 1
