from planner.accounts.models import User
from planner.core.permissions import Role
from planner.extensions import db
from tests import factories
from tests.conftest import text_of


def test_sign_in_and_out(app, client, auth):
    auth.create("facilitator", email="mia@example.org")
    response = client.post("/login", data={"email": "MIA@example.org ", "password": factories.PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Angemeldet als" in text_of(client.get("/"))
    assert client.get("/logout").status_code == 405  # signing out changes state: POST only
    response = client.post("/logout")
    assert response.headers["Location"].endswith("/login")
    assert client.get("/workshops/").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(app, client, auth):
    auth.create("expert", email="known@example.org")
    wrong = text_of(client.post("/login", data={"email": "known@example.org", "password": "wrong-password"}))
    unknown = text_of(client.post("/login", data={"email": "nobody@example.org", "password": "wrong-password"}))
    message = "E-Mail-Adresse oder Passwort ist nicht korrekt."
    assert message in wrong and message in unknown
    assert wrong.replace("known@example.org", "X") == unknown.replace("nobody@example.org", "X")


def test_deactivated_accounts_cannot_sign_in(app, client, auth):
    auth.create("expert", email="gone@example.org", is_active_account=False)
    response = client.post("/login", data={"email": "gone@example.org", "password": factories.PASSWORD})
    assert response.status_code == 200
    assert "nicht korrekt" in text_of(response)


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(app, client, auth):
    auth.create("expert", email="e@example.org")
    response = client.get("/workshops/")
    assert response.status_code == 302 and "next=" in response.headers["Location"]
    ok = client.post("/login", data={"email": "e@example.org", "password": factories.PASSWORD, "next": "/workshops/"})
    assert ok.headers["Location"] == "/workshops/"
    client.post("/logout")
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post("/login", data={"email": "e@example.org", "password": factories.PASSWORD, "next": evil})
        assert response.headers["Location"] == "/"
        client.post("/logout")


def test_roles_see_their_navigation(app, client, auth):
    auth.login("expert")
    nav = client.get("/").get_data(as_text=True)
    assert 'href="/workshops/"' in nav and 'href="/people/"' not in nav and 'href="/accounts/users"' not in nav
    auth.logout()
    auth.login("admin")
    nav = client.get("/").get_data(as_text=True)
    assert 'href="/people/"' in nav and 'href="/accounts/users"' in nav


def test_admin_creates_an_account_and_bad_input_changes_nothing(app, client, auth):
    auth.login("admin")
    response = client.post(
        "/accounts/users/new",
        data={"email": "neu@example.org", "display_name": "Neu", "role": "reviewer", "password": "lang-genug-123"},
    )
    assert response.status_code == 302
    for data, message in [
        ({"email": "NEU@example.org", "role": "expert", "password": "lang-genug-123"}, "bereits ein Konto"),
        ({"email": "kurz@example.org", "role": "expert", "password": "kurz"}, "mindestens 10 Zeichen"),
        ({"email": "keine-adresse", "role": "expert", "password": "lang-genug-123"}, "gültige E-Mail-Adresse"),
        ({"email": "x@example.org", "role": "superuser", "password": "lang-genug-123"}, "Rolle:"),
    ]:
        response = client.post("/accounts/users/new", data=data)
        assert response.status_code == 200
        assert message in text_of(response) or message.lower() in text_of(response).lower()
    with app.app_context():
        emails = {u.email for u in db.session.query(User)}
        assert "neu@example.org" in emails and "kurz@example.org" not in emails and "keine-adresse" not in emails
        assert db.session.query(User).filter_by(email="neu@example.org").one().role == Role.REVIEWER


def test_admin_changes_role_and_deactivates_but_never_locks_out_the_last_admin(app, client, auth):
    admin_id = auth.login("admin")
    other = auth.create("expert")
    edit = f"/accounts/users/{other}/edit"
    assert client.post(edit, data={"role": "facilitator", "is_active": "y"}).status_code == 302
    assert client.post(f"/accounts/users/{other}/edit", data={"role": "facilitator"}).status_code == 302
    response = client.post(f"/accounts/users/{admin_id}/edit", data={"role": "expert", "is_active": "y"})
    assert "Administrationsrechte entziehen" in text_of(response)
    with app.app_context():
        assert db.session.get(User, other).role == Role.FACILITATOR
        assert db.session.get(User, other).is_active_account is False
        assert db.session.get(User, admin_id).role == Role.ADMIN


def test_changing_the_password_signs_out_other_sessions(app, auth):
    first = app.test_client()
    second = app.test_client()
    user_id = AuthHelper(app, first).login()
    with app.app_context():
        email = db.session.get(User, user_id).email
    second.post("/login", data={"email": email, "password": factories.PASSWORD})
    assert second.get("/workshops/").status_code == 200
    response = first.post(
        "/account/password", data={"current_password": factories.PASSWORD, "password": "ein-neues-passwort"}
    )
    assert response.status_code == 302
    assert first.get("/workshops/").status_code == 200  # this session stays
    assert second.get("/workshops/").status_code == 302  # the other one is signed out


def test_idle_sessions_expire(app, client, auth):
    auth.login("expert")
    with client.session_transaction() as session:
        session["last_seen"] = session.get("last_seen", 0) - app.config["IDLE_TIMEOUT_MINUTES"] * 60 - 5
    response = client.get("/workshops/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "workshops" in response.headers["Location"]
    assert client.get("/workshops/").status_code == 302


class AuthHelper:
    def __init__(self, app, client):
        self.app, self.client = app, client

    def login(self) -> int:
        with self.app.app_context():
            user = factories.user(role="expert")
            db.session.commit()
            user_id, email = user.id, user.email
        self.client.post("/login", data={"email": email, "password": factories.PASSWORD})
        return user_id


def test_htmx_request_without_session_goes_to_sign_in_as_a_whole_page(app, client):
    """A fragment request (htmx) of an expired session must not swap the sign-in page into the fragment."""
    response = client.get("/workshops/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.get_data() == b""
    assert response.headers["HX-Redirect"].startswith("/login?next=")
    assert "Location" not in response.headers
    plain = client.get("/workshops/")
    assert plain.status_code == 302 and "HX-Redirect" not in plain.headers
