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


def _user_with_second_factor():
    import pyotp

    user = factories.user(totp_secret=pyotp.random_base32())
    return {"user_id": user.id}


RULES.update({
    # Public: it answers only a session whose password step passed; any other visitor is sent back to sign-in.
    "accounts.login_code": Rule(PUBLIC, ok=302),
    "accounts.two_factor": Rule(SIGNED_IN),
    "accounts.two_factor_policy": Rule(()),
    "accounts.reset_two_factor": Rule(
        (), method="POST", ok=302, params=_user_with_second_factor, data={"reason": "phone lost, checked in person"}
    ),
})

RULES.update({
    # Without a configured provider of that name there is nothing to open (404 for everyone).
    "accounts.sso_start": Rule(PUBLIC, ok=404, params=lambda: {"name": "keycloak"}),
    "accounts.sso_callback": Rule(PUBLIC, ok=404, params=lambda: {"name": "keycloak"}),
})
RULES["accounts.ldap_login"] = Rule(PUBLIC, ok=404, params=lambda: {"name": "rathaus"})
RULES["accounts.sso_backchannel_logout"] = Rule(PUBLIC, method="POST", ok=404, params=lambda: {"name": "keycloak"})
