from planner.accounts.services import issue_reset_token
from tests import factories
from tests.permission_rules import PUBLIC, SIGNED_IN, Rule

RULES = {
    "accounts.login": Rule(PUBLIC),
    "accounts.logout": Rule(SIGNED_IN, method="POST", ok=302),
    "accounts.password": Rule(SIGNED_IN),
    "accounts.forgot_password": Rule(PUBLIC),
    "accounts.reset_password": Rule(PUBLIC, params=lambda: {"token": issue_reset_token(factories.user())}),
    "accounts.users": Rule(()),
    "accounts.create": Rule(()),
    "accounts.edit": Rule((), params=lambda: {"user_id": factories.user().id}),
    "accounts.set_active": Rule(
        (), method="POST", ok=302, params=lambda: {"user_id": factories.user().id}, data={"active": "0"}
    ),
    "accounts.send_reset": Rule((), method="POST", ok=302, params=lambda: {"user_id": factories.user().id}),
}
