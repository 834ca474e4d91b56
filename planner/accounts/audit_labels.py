"""How accounts appear in change histories (planner.core.history)."""

from flask_babel import lazy_gettext as _l

from planner.accounts.models import User
from planner.core.history import describe, describe_action

describe(User, _l("Account"), {
    "email": _l("E-mail address"),
    "display_name": _l("Name"),
    "role": _l("Role"),
    "is_active": _l("Account is active"),
    "is_active_account": _l("Account is active"),
    "locale": _l("Language"),
    "last_login_at": _l("Last sign-in"),
    "person_id": _l("Person"),
}, hidden=("failed_logins", "first_failed_login_at", "locked_until"),
    title=lambda u: u.display_name or u.email)

describe_action("lock", _l("sign-in locked after repeated failures"), quiet_summary=True)
describe_action("password_change", _l("password changed by the account holder"), quiet_summary=True)
describe_action("password_reset", _l("password set through an e-mailed link"), quiet_summary=True)
describe_action("password_reset_requested", _l("password reset link sent"), quiet_summary=True)
