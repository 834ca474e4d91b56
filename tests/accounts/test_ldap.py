"""Sign-in through LDAP against a real OpenLDAP server (slapd, tests/ldap_server.py): service-account search and
direct bind, groups → roles, a disabled or removed user, a directory that is down (password sign-in still works)."""

import pytest

from planner.accounts.models import ExternalIdentity, User
from planner.core.permissions import Role
from planner.extensions import db
from tests import factories
from tests.conftest import make_test_app, text_of
from tests.ldap_server import SUFFIX, SlapdServer, free_port, group, person

pytestmark = pytest.mark.skipif(not SlapdServer.available(), reason="slapd is not installed (make setup)")

ROLE_MAP = {"smartcity-moderation": "facilitator", f"cn=smartcity-admins,ou=groups,{SUFFIX}": "admin"}


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    server = SlapdServer(tmp_path_factory.mktemp("slapd"), [
        person("mkaya", "Mehmet Kaya", "m.kaya@essen.de", "Kaya-Passwort-1"),
        person("jweber", "Julia Weber", "j.weber@essen.de", "Weber-Passwort-1"),
        person("alt", "Ali Alt", "a.alt@essen.de", "Alt-Passwort-1", disabled=True),
        person("ohne", "Olga Ohne", "o.ohne@essen.de", "Ohne-Passwort-1"),
        group("smartcity-moderation", "mkaya", "alt", "jweber"),
        group("smartcity-admins", "jweber"),
        group("staff", "ohne", "mkaya"),
    ]).start()
    yield server
    server.stop()


def _app(tmp_path, provider: dict, **config):
    app = make_test_app(tmp_path, SSO_PROVIDERS=[provider], **config)
    with app.app_context():
        db.create_all()
    return app


def _account(app, email, role=Role.EXPERT, **kw) -> int:
    with app.app_context():
        user = factories.user(role=role, email=email, **kw)
        db.session.commit()
        return user.id


def _ldap(client, username, password, next_page=""):
    return client.post("/login/directory/rathaus", data={"username": username, "password": password,
                                                          "next": next_page})


def test_sign_in_page_links_to_the_directory_form(tmp_path, slapd):
    client = _app(tmp_path, slapd.provider()).test_client()
    login = client.get("/login")
    assert "Anmelden mit Rathaus-Konto (Active Directory)" in text_of(login)
    form = client.get("/login/directory/rathaus")
    assert form.status_code == 200 and "Benutzername" in text_of(form)


def test_facilitator_signs_in_with_the_directory_and_gets_the_mapped_role(tmp_path, slapd):
    app = _app(tmp_path, slapd.provider(role_map=ROLE_MAP))
    user_id = _account(app, "m.kaya@essen.de")
    client = app.test_client()
    response = _ldap(client, "mkaya", "Kaya-Passwort-1", "/workshops/")
    assert response.status_code == 302 and response.headers["Location"] == "/workshops/"
    assert client.get("/workshops/").status_code == 200
    with app.app_context():
        assert db.session.get(User, user_id).role == Role.FACILITATOR
        identity = db.session.scalars(db.select(ExternalIdentity)).one()
        assert identity.subject == f"uid=mkaya,ou=people,{SUFFIX}"


def test_most_powerful_mapped_group_wins_and_dn_keys_work(tmp_path, slapd):
    app = _app(tmp_path, slapd.provider(role_map=ROLE_MAP), SSO_CREATE_ACCOUNTS=True)
    client = app.test_client()
    assert _ldap(client, "jweber", "Weber-Passwort-1").status_code == 302
    with app.app_context():
        user = db.session.scalars(db.select(User).where(User.email == "j.weber@essen.de")).one()
        assert user.role == Role.ADMIN and user.display_name == "Julia Weber"


def test_direct_bind_as_the_user(tmp_path, slapd):
    provider = slapd.provider(role_map=ROLE_MAP, user_dn_template=f"uid={{username}},ou=people,{SUFFIX}")
    del provider["bind_dn"], provider["bind_password"]
    app = _app(tmp_path, provider)
    _account(app, "m.kaya@essen.de")
    client = app.test_client()
    assert _ldap(client, "mkaya", "wrong-password-1").status_code == 200
    assert _ldap(client, "mkaya", "Kaya-Passwort-1").status_code == 302


@pytest.mark.parametrize(("username", "password", "message"), [
    ("mkaya", "wrong-password-1", "Benutzername oder Passwort ist nicht richtig"),
    ("mkaya", "", "Bitte geben Sie Ihr Passwort ein"),  # never an anonymous bind
    ("alt", "Alt-Passwort-1", "Benutzername oder Passwort ist nicht richtig"),  # disabled in the directory
    ("niemand", "Irgendwas-123", "Benutzername oder Passwort ist nicht richtig"),  # removed
    ("mkaya*", "Kaya-Passwort-1", "Benutzername oder Passwort ist nicht richtig"),  # no filter injection
    ("ohne", "Ohne-Passwort-1", "nicht in einer Gruppe"),  # not (or no longer) in a mapped group
])
def test_refused_directory_sign_ins(tmp_path, slapd, username, password, message):
    app = _app(tmp_path, slapd.provider(role_map=ROLE_MAP))
    for email in ("m.kaya@essen.de", "a.alt@essen.de", "o.ohne@essen.de"):
        _account(app, email)
    client = app.test_client()
    response = _ldap(client, username, password)
    assert response.status_code == 200
    assert message in text_of(response)
    assert client.get("/workshops/").status_code == 302


def test_wrong_directory_passwords_lock_the_planner_account(tmp_path, slapd):
    app = _app(tmp_path, slapd.provider(role_map=ROLE_MAP), LOGIN_LOCKOUT_ATTEMPTS=3)
    user_id = _account(app, "m.kaya@essen.de")
    client = app.test_client()
    for _i in range(3):
        _ldap(client, "mkaya", "wrong-password-1")
    response = _ldap(client, "mkaya", "Kaya-Passwort-1")
    assert response.status_code == 200 and "Zu viele fehlgeschlagene" in text_of(response)
    with app.app_context():
        assert db.session.get(User, user_id).locked_until is not None


def test_directory_down_gives_a_clear_message_and_break_glass_password_sign_in_works(tmp_path, slapd):
    provider = slapd.provider(url=f"ldap://127.0.0.1:{free_port()}", timeout=1)
    app = _app(tmp_path, provider)
    _account(app, "m.kaya@essen.de")
    _account(app, "notfall-admin@essen.de", role=Role.ADMIN)
    client = app.test_client()
    response = _ldap(client, "mkaya", "Kaya-Passwort-1")
    assert response.status_code == 200
    assert "Verzeichnis der Stadt ist gerade nicht erreichbar" in text_of(response)
    response = client.post("/login", data={"email": "notfall-admin@essen.de", "password": factories.PASSWORD})
    assert response.status_code == 302
    assert client.get("/accounts/users").status_code == 200


def test_unknown_directory_provider_is_404(tmp_path, slapd):
    client = _app(tmp_path, slapd.provider()).test_client()
    assert client.get("/login/directory/other").status_code == 404
