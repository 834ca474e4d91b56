from tests import factories
from tests.permission_rules import PUBLIC, SIGNED_IN, Rule

RULES = {
    "accounts.login": Rule(PUBLIC),
    "accounts.logout": Rule(SIGNED_IN, method="POST", ok=302),
    "accounts.password": Rule(SIGNED_IN),
    "accounts.users": Rule(()),
    "accounts.create": Rule(()),
    "accounts.edit": Rule((), params=lambda: {"user_id": factories.user().id}),
}
