"""Single sign-on by OpenID Connect against a provider that speaks the real protocol (tests/oidc_provider.py):
linking by verified e-mail, accounts created when allowed, roles from groups, refused ID tokens (wrong audience,
expired), a user removed from the group, the planner's second factor or the provider's, sign-out at both."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import requests

from planner.accounts.models import ExternalIdentity, User
from planner.core.permissions import Role
from planner.extensions import db
from tests import factories
from tests.conftest import make_test_app, text_of
from tests.oidc_provider import OIDCProvider

ROLE_MAP = {"smartcity-moderation": "facilitator", "smartcity-admins": "admin"}


@pytest.fixture(scope="module")
def provider():
    server = OIDCProvider().start()
    yield server
    server.stop()


@pytest.fixture
def idp(provider):
    provider.users.clear()
    provider.audience = None
    provider.lifetime = 300
    provider.azp = None
    provider.logouts.clear()
    return provider


def _app(tmp_path, idp, **provider_extra):
    overrides = provider_extra.pop("app_config", {})
    app = make_test_app(tmp_path, SSO_PROVIDERS=[idp.config(**provider_extra)], **overrides)
    with app.app_context():
        db.create_all()
    return app


def _sso(client, idp, username: str, next_page: str = ""):
    """The browser's round trip: planner → provider's sign-in form → back to the planner's callback."""
    start = client.get("/login/sso/keycloak" + (f"?next={next_page}" if next_page else ""))
    assert start.status_code == 302
    authorize = start.headers["Location"]
    assert authorize.startswith(idp.url + "/authorize")
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    form = requests.get(authorize, timeout=10)
    assert form.status_code == 200 and "User name" in form.text
    answer = requests.post(idp.url + "/authorize", data={**query, "username": username}, allow_redirects=False,
                           timeout=10)
    callback = urlsplit(answer.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def test_sign_in_page_offers_each_provider_by_label(tmp_path, idp):
    app = make_test_app(tmp_path, SSO_PROVIDERS=[idp.config(), idp.config(name="land", label="Landesportal")])
    page = app.test_client().get("/login")
    assert "Anmelden mit Stadt-Login (Keycloak)" in text_of(page)
    assert "Anmelden mit Landesportal" in text_of(page)


def test_first_sign_in_links_the_account_by_verified_email_and_maps_the_role(tmp_path, idp):
    app = _app(tmp_path, idp, role_map=ROLE_MAP)
    with app.app_context():
        user = factories.user(role=Role.EXPERT, email="m.kaya@essen.de")
        db.session.commit()
        user_id = user.id
    idp.add_user("mkaya", email="M.Kaya@essen.de", groups=["smartcity-moderation", "staff"])
    client = app.test_client()
    response = _sso(client, idp, "mkaya", next_page="/workshops/")
    assert response.status_code == 302 and response.headers["Location"] == "/workshops/"
    assert client.get("/workshops/").status_code == 200
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.role == Role.FACILITATOR
        identity = db.session.scalars(db.select(ExternalIdentity)).one()
        assert (identity.provider, identity.subject, identity.user_id) == ("keycloak", "sub-mkaya", user_id)


def test_unverified_email_is_not_linked_and_no_account_is_created_unless_allowed(tmp_path, idp):
    app = _app(tmp_path, idp)
    with app.app_context():
        factories.user(email="anna@essen.de")
        db.session.commit()
    idp.add_user("anna", email="anna@essen.de", email_verified=False)
    idp.add_user("neu", email="neu@essen.de")
    client = app.test_client()
    refused = _sso(client, idp, "anna")
    assert refused.headers["Location"].endswith("/login")
    assert "nicht bestätigt" in text_of(client.get("/login"))
    refused = _sso(client, idp, "neu")
    assert "Kein Planer-Konto für neu@essen.de" in text_of(client.get("/login"))
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ExternalIdentity)) == 0


def test_account_is_created_when_allowed_with_the_mapped_role(tmp_path, idp):
    app = _app(tmp_path, idp, role_map=ROLE_MAP, app_config={"SSO_CREATE_ACCOUNTS": True})
    idp.add_user("neu", email="neu@essen.de", groups=["smartcity-moderation"], name="Neu Mann")
    client = app.test_client()
    assert _sso(client, idp, "neu").status_code == 302
    assert client.get("/workshops/").status_code == 200
    with app.app_context():
        user = db.session.scalars(db.select(User).where(User.email == "neu@essen.de")).one()
        assert user.role == Role.FACILITATOR and user.display_name == "Neu Mann"


def test_a_user_removed_from_the_group_cannot_sign_in(tmp_path, idp):
    app = _app(tmp_path, idp, role_map=ROLE_MAP)
    with app.app_context():
        factories.user(role=Role.FACILITATOR, email="ex@essen.de")
        db.session.commit()
    idp.add_user("ex", email="ex@essen.de", groups=["smartcity-moderation"])
    client = app.test_client()
    assert _sso(client, idp, "ex").headers["Location"] == "/"
    client.post("/logout")
    idp.users["ex"]["groups"] = ["staff"]
    assert _sso(client, idp, "ex").headers["Location"].endswith("/login")
    assert "nicht in einer Gruppe" in text_of(client.get("/login"))
    assert client.get("/workshops/").status_code == 302


def test_deactivated_account_cannot_sign_in_by_sso(tmp_path, idp):
    app = _app(tmp_path, idp)
    with app.app_context():
        factories.user(email="weg@essen.de", is_active_account=False)
        db.session.commit()
    idp.add_user("weg", email="weg@essen.de")
    client = app.test_client()
    assert _sso(client, idp, "weg").headers["Location"].endswith("/login")
    assert "deaktiviert" in text_of(client.get("/login"))


@pytest.mark.parametrize(("setting", "message"), [
    ({"audience": "another-app"}, "nicht für den Planer ausgestellt"),
    ({"audience": "another-app", "azp": "planner"}, "nicht für den Planer ausgestellt"),
    ({"lifetime": -600}, "bereits abgelaufen"),
])
def test_id_token_with_wrong_audience_or_expired_is_refused(tmp_path, idp, setting, message):
    app = _app(tmp_path, idp)
    with app.app_context():
        factories.user(email="anna@essen.de")
        db.session.commit()
    idp.add_user("anna", email="anna@essen.de")
    for key, value in setting.items():
        setattr(idp, key, value)
    client = app.test_client()
    response = _sso(client, idp, "anna")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert message in text_of(client.get("/login"))
    assert client.get("/workshops/").status_code == 302  # not signed in


def test_provider_that_is_down_gives_a_clear_message(tmp_path):
    app = make_test_app(tmp_path, SSO_PROVIDERS=[{
        "name": "keycloak", "label": "Stadt-Login", "type": "oidc", "client_id": "x", "client_secret": "y",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}])
    client = app.test_client()
    response = client.get("/login/sso/keycloak")
    assert response.headers["Location"].endswith("/login")
    assert "nicht erreichbar" in text_of(client.get("/login"))


def test_planner_second_factor_after_sso_unless_the_provider_is_trusted(tmp_path, idp):
    secret = pyotp.random_base32()
    app = _app(tmp_path, idp)
    with app.app_context():
        factories.user(role=Role.ADMIN, email="admin@essen.de", totp_secret=secret)
        db.session.commit()
    idp.add_user("admin", email="admin@essen.de")
    client = app.test_client()
    response = _sso(client, idp, "admin")
    assert response.headers["Location"].endswith("/login/code")
    assert client.get("/accounts/users").status_code == 302
    assert client.post("/login/code", data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert client.get("/accounts/users").status_code == 200

    (tmp_path / "t").mkdir()
    trusted = _app(tmp_path / "t", idp, trust_provider_mfa=True)
    with trusted.app_context():
        factories.user(role=Role.ADMIN, email="admin@essen.de", totp_secret=secret)
        db.session.commit()
    client = trusted.test_client()
    assert _sso(client, idp, "admin").headers["Location"] == "/"
    assert client.get("/accounts/users").status_code == 200


def test_sign_out_ends_the_planner_session_and_the_provider_session(tmp_path, idp):
    app = _app(tmp_path, idp)
    with app.app_context():
        factories.user(email="anna@essen.de")
        db.session.commit()
    idp.add_user("anna", email="anna@essen.de")
    client = app.test_client()
    _sso(client, idp, "anna")
    response = client.post("/logout")
    # A page that moves on to the provider (a redirect after the sign-out form would break CSP form-action).
    assert response.status_code == 200 and "Abmelden bei Stadt-Login (Keycloak)" in text_of(response)
    location = re.search(r'content="0; url=([^"]+)"', response.get_data(as_text=True)).group(1)
    location = html.unescape(location)
    assert location.startswith(idp.url + "/logout")
    params = parse_qs(urlsplit(location).query)
    assert params["post_logout_redirect_uri"] == ["http://localhost/login"] and params["id_token_hint"]
    assert requests.get(location, allow_redirects=False, timeout=10).headers["Location"] == "http://localhost/login"
    assert client.get("/workshops/").status_code == 302


def test_back_channel_logout_from_the_provider_ends_the_planner_session(tmp_path, idp):
    from joserfc.jwk import RSAKey

    app = _app(tmp_path, idp, app_config={"WTF_CSRF_ENABLED": True})
    with app.app_context():
        factories.user(email="anna@essen.de")
        db.session.commit()
    idp.add_user("anna", email="anna@essen.de")
    client = app.test_client()
    _sso(client, idp, "anna")
    assert client.get("/workshops/").status_code == 200
    provider = app.test_client()  # the provider's server calls the planner, without the user's cookie
    forged = idp.logout_token("anna", key=RSAKey.generate_key(2048, parameters={"kid": "test-key"}))
    assert provider.post("/login/sso/keycloak/backchannel-logout", data={"logout_token": forged}).status_code == 400
    other_client = idp.logout_token("anna", audience="another-app")
    assert provider.post("/login/sso/keycloak/backchannel-logout",
                         data={"logout_token": other_client}).status_code == 400
    assert client.get("/workshops/").status_code == 200
    response = provider.post("/login/sso/keycloak/backchannel-logout", data={"logout_token": idp.logout_token("anna")})
    assert response.status_code == 200
    assert client.get("/workshops/").status_code == 302


def test_groups_never_take_the_role_of_the_last_administrator(tmp_path, idp):
    app = _app(tmp_path, idp, role_map=ROLE_MAP)
    with app.app_context():
        admin = factories.user(role=Role.ADMIN, email="chefin@essen.de")
        db.session.commit()
        admin_id = admin.id
    idp.add_user("chefin", email="chefin@essen.de", groups=["smartcity-moderation"])
    assert _sso(app.test_client(), idp, "chefin").status_code == 302
    with app.app_context():
        assert db.session.get(User, admin_id).role == Role.ADMIN
