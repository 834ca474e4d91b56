"""Who may use which route.

Every view declares its audience with ``@access(...)``; one ``before_request`` hook enforces it, so a
check cannot be forgotten inside a view, and ``create_app`` refuses to start when a view declares
nothing. Object-level rules (an expert and *their* workshops) live in the services and views on top.
"""

from dataclasses import dataclass
from enum import StrEnum

from flask import abort, current_app, request
from flask_login import current_user

from planner.extensions import login_manager


class Role(StrEnum):
    ADMIN = "admin"
    FACILITATOR = "facilitator"
    EXPERT = "expert"
    STRATEGY_TEAM = "strategy_team"
    REVIEWER = "reviewer"

    @property
    def label(self):
        from flask_babel import lazy_gettext as _l

        return {
            Role.ADMIN: _l("Administrator"),
            Role.FACILITATOR: _l("Facilitator"),
            Role.EXPERT: _l("Expert"),
            Role.STRATEGY_TEAM: _l("Strategy team"),
            Role.REVIEWER: _l("Reviewer"),
        }[self]


PUBLIC = "public"
SIGNED_IN = "signed_in"

# Shorthands for the common audiences.
STAFF = (Role.FACILITATOR, Role.STRATEGY_TEAM)
ALL_ROLES = tuple(Role)


@dataclass(frozen=True)
class AccessRule:
    public: bool
    roles: frozenset[Role]

    def allows(self, role: Role | str | None) -> bool:
        if self.public:
            return True
        if role is None:
            return False
        # Administrators may do everything a role may; object rules can still say no.
        return role == Role.ADMIN or role in self.roles


def access(*who: Role | str):
    """Declare the audience of a view: ``PUBLIC``, ``SIGNED_IN`` or one or more roles."""
    if not who:
        raise ValueError("access() needs an audience")
    public = PUBLIC in who
    roles = frozenset(ALL_ROLES) if SIGNED_IN in who else frozenset(Role(r) for r in who if r != PUBLIC)

    def decorate(view):
        view.access_rule = AccessRule(public=public, roles=roles)
        return view

    return decorate


def rule_for(endpoint: str) -> AccessRule | None:
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def enforce_access():
    """before_request: anonymous users go to sign-in, signed-in users without the role get 403."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":
        return None
    rule = rule_for(endpoint)
    if rule is None:  # unreachable: create_app refuses views without a rule
        abort(403)
    if rule.public:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not rule.allows(current_user.role):
        abort(403)
    return None


def check_every_view_declares_access(app) -> None:
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and getattr(view, "access_rule", None) is None
    ]
    if missing:
        raise RuntimeError(f"views without @access(...): {', '.join(sorted(missing))}")


def has_role(user, *roles: Role) -> bool:
    """True for the given roles and for administrators (who may do everything)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role == Role.ADMIN or user.role in roles
