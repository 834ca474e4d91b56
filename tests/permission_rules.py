"""The permission table: every endpoint × every role and anonymous → the expected status.

Each domain package declares its rules in ``tests/<package>/permissions.py`` as ``RULES = {endpoint: Rule}``.
``test_permission_table.py`` fails for any endpoint of ``app.url_map`` without a rule.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from planner.core.permissions import Role

PUBLIC = "public"
SIGNED_IN = "signed_in"
ANONYMOUS = "anonymous"
ALL = tuple(r.value for r in Role)
STAFF = (Role.FACILITATOR.value, Role.STRATEGY_TEAM.value)


@dataclass(frozen=True)
class Rule:
    """``allowed``: role names, PUBLIC or SIGNED_IN (admins are always allowed, as in the app).

    ``params`` builds the URL's arguments inside an app context (with tests.factories) and returns a dict;
    ``ok`` is the status an allowed user gets; ``ok_for`` overrides it per role (object-level rules).
    ``data`` is the form sent with a POST (the table only checks who gets in, not what happens).
    """

    allowed: tuple[str, ...] | str
    params: Callable[[], dict] | None = None
    method: str = "GET"
    ok: int = 200
    ok_for: dict[str, int] = field(default_factory=dict)
    data: dict | None = None
    query: str = ""

    def expected(self, who: str) -> int | str:
        allowed = (self.allowed,) if isinstance(self.allowed, str) else self.allowed
        if PUBLIC in allowed:
            return self.ok_for.get(who, self.ok)
        if who == ANONYMOUS:
            return "login"
        if SIGNED_IN in allowed or who in allowed or who == Role.ADMIN.value:
            return self.ok_for.get(who, self.ok)
        return 403
