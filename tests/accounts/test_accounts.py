"""Accounts: password policy, reset by e-mail, throttling, lock-out, sessions, admin actions."""

import re
import time
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest

from planner.accounts import services
from planner.accounts.models import PasswordResetToken, User
from planner.accounts.passwords import check_password_policy, common_passwords
from planner.core.audit import AuditEntry
from planner.core.errors import DomainError
from planner.core.models import utcnow
from planner.core.permissions import Role
from planner.extensions import db
from tests import factories
from tests.conftest import make_test_app, text_of

GOOD = "Ruhrpott-Sonnenblume-77"


# --- password policy ---------------------------------------------------------------------------------------


def test_common_password_list_has_ten_thousand_entries():
    words = common_passwords()
    assert 9_900 <= len(words) <= 10_000
    assert {"123456", "password", "qwerty"} <= words


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("kurz", "mindestens 10"),
        ("1234567890", "häufigsten"),
        ("PASSWORD123", "häufigsten"),
        ("qwertyuiop", "häufigsten"),
        ("anna.meyer@example.org", "E-Mail-Adresse"),
        ("Anna.Meyer", None),  # the local part alone, too short anyway -> length message
    ],
)
def test_password_policy_rejects_weak_passwords(ctx, password, message):
    with pytest.raises(DomainError) as info:
        check_password_policy(password, "anna.meyer@example.org")
    if message:
        assert message in str(info.value.message)
    assert info.value.field == "password"


def test_password_policy_accepts_a_good_password(ctx):
    check_password_policy(GOOD, "anna.meyer@example.org")


def test_local_part_of_the_email_is_refused(ctx):
    with pytest.raises(DomainError):
        check_password_policy("anna.meyer.essen", "anna.meyer.essen@example.org")


def test_change_password_form_shows_the_policy_in_german(app, client, auth):
    auth.login(Role.EXPERT)
    response = client.post(
        "/account/password", data={"current_password": factories.PASSWORD, "password": "iloveyou12"}
    )
    assert response.status_code == 200
    assert "häufigsten" in text_of(response) or "most commonly" in text_of(response)


# --- password reset ----------------------------------------------------------------------------------------


def _reset_link(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"http://localhost(/password/reset/\S+)", body).group(1)


def test_password_reset_by_email(app, client, outbox):
    with app.app_context():
        factories.user(email="anna@example.org")
        db.session.commit()
    # A second, already signed-in session of the same account.
    other = app.test_client()
    other.post("/login", data={"email": "anna@example.org", "password": factories.PASSWORD})
    assert other.get("/account/password").status_code == 200

    response = client.post("/password/forgot", data={"email": "ANNA@example.org"})
    assert response.status_code == 302
    messages = outbox()
    assert len(messages) == 1 and messages[0]["To"] == "anna@example.org"
    link = _reset_link(messages[0])

    with app.app_context():
        stored = db.session.scalars(db.select(PasswordResetToken)).one()
        assert link.rsplit("/", 1)[1] not in stored.token_hash  # only the hash is stored
        assert stored.expires_at - stored.created_at == timedelta(hours=1)

    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": GOOD, "confirm": GOOD})
    assert response.status_code == 302 and "/login" in response.headers["Location"]

    # Single use.
    assert client.get(link).status_code == 404
    assert client.post(link, data={"password": GOOD + "x", "confirm": GOOD + "x"}).status_code == 404
    # The new password works, the old one does not, the other session is signed out.
    assert client.post("/login", data={"email": "anna@example.org", "password": factories.PASSWORD}).status_code == 200
    assert client.post("/login", data={"email": "anna@example.org", "password": GOOD}).status_code == 302
    assert other.get("/account/password").status_code == 302
    with app.app_context():
        actions = db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.entity == "users")).all()
        assert "password_reset" in actions and "password_reset_requested" in actions


def test_reset_answers_the_same_for_unknown_addresses(app, client, outbox):
    with app.app_context():
        factories.user(email="known@example.org")
        db.session.commit()
    known = client.post("/password/forgot", data={"email": "known@example.org"}, follow_redirects=True)
    unknown = client.post("/password/forgot", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert text_of(known) == text_of(unknown)
    assert len(outbox()) == 1


def test_expired_reset_link_is_refused(app, client):
    with app.app_context():
        user = factories.user()
        token = services.issue_reset_token(user)
        record = db.session.scalars(db.select(PasswordResetToken)).one()
        record.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 404
    assert "abgelaufen" in text_of(response) or "expired" in text_of(response)


def test_only_the_newest_reset_link_works(app, client):
    with app.app_context():
        user = factories.user()
        first = services.issue_reset_token(user)
        second = services.issue_reset_token(user)
        db.session.commit()
    assert client.get(f"/password/reset/{first}").status_code == 404
    assert client.get(f"/password/reset/{second}").status_code == 200


def test_reset_enforces_the_policy(app, client):
    with app.app_context():
        token = services.issue_reset_token(factories.user())
        db.session.commit()
    response = client.post(f"/password/reset/{token}", data={"password": "password123", "confirm": "password123"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalars(db.select(PasswordResetToken)).one().used_at is None


def test_reset_link_uses_base_url_not_the_host_header(app, client, outbox):
    with app.app_context():
        factories.user(email="host@example.org")
        db.session.commit()
    client.post("/password/forgot", data={"email": "host@example.org"}, headers={"Host": "evil.example"})
    body = outbox()[0].get_body(("plain",)).get_content()
    assert "evil.example" not in body and "http://localhost/password/reset/" in body


# --- sign-in throttling and lock-out -------------------------------------------------------------------------


def test_lockout_after_repeated_failures(app, client):
    app.config["LOGIN_LOCKOUT_ATTEMPTS"] = 3
    with app.app_context():
        factories.user(email="lock@example.org")
        db.session.commit()
    for _ in range(3):
        response = client.post("/login", data={"email": "lock@example.org", "password": "wrong-password"})
        assert response.status_code == 200
    # Locked: even the right password is refused, with a clear message.
    response = client.post("/login", data={"email": "lock@example.org", "password": factories.PASSWORD})
    assert response.status_code == 429
    assert "Zu viele" in text_of(response) or "Too many" in text_of(response)
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == "lock@example.org"))
        user.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.post("/login", data={"email": "lock@example.org", "password": factories.PASSWORD}).status_code == 302


@pytest.fixture
def limited_app(tmp_path):
    app = make_test_app(tmp_path, RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes",
                        LOGIN_LIMIT_PER_ADDRESS="5 per 15 minutes", LOGIN_LOCKOUT_ATTEMPTS=100)
    with app.app_context():
        db.create_all()
        factories.user(email="real@example.org")
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_throttled_per_account_without_revealing_whether_it_exists(limited_app):
    client = limited_app.test_client()
    for email in ("real@example.org", "ghost@example.org"):
        for _ in range(3):
            assert client.post("/login", data={"email": email, "password": "falsch-falsch"},
                               environ_base={"REMOTE_ADDR": f"10.0.0.{len(email)}"}).status_code == 200
        blocked = client.post("/login", data={"email": email, "password": "falsch-falsch"},
                              environ_base={"REMOTE_ADDR": f"10.0.0.{len(email)}"})
        assert blocked.status_code == 429
        assert "Zu viele Versuche" in text_of(blocked)


def test_throttled_per_address(limited_app):
    client = limited_app.test_client()
    for n in range(5):
        response = client.post("/login", data={"email": f"user{n}@example.org", "password": "x-x-x-x-x-x"})
        assert response.status_code == 200
    response = client.post("/login", data={"email": "other@example.org", "password": "x-x-x-x-x-x"})
    assert response.status_code == 429
    # Another address is not affected.
    response = client.post("/login", data={"email": "other@example.org", "password": "x-x-x-x-x-x"},
                           environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert response.status_code == 200


def test_successful_sign_ins_are_not_throttled(limited_app):
    client = limited_app.test_client()
    for _ in range(6):
        response = client.post("/login", data={"email": "real@example.org", "password": factories.PASSWORD})
        assert response.status_code == 302
        client.post("/logout")


# --- sessions ----------------------------------------------------------------------------------------------


def _session_cookie_header(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


def test_session_cookie_flags(app, client, auth):
    auth.create(email="flags@example.org")
    response = client.post("/login", data={"email": "flags@example.org", "password": factories.PASSWORD})
    header = _session_cookie_header(response)
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header


def test_secure_cookie_when_configured(tmp_path):
    app = make_test_app(tmp_path, SESSION_COOKIE_SECURE=True)
    with app.app_context():
        db.create_all()
        factories.user(email="secure@example.org")
        db.session.commit()
    client = app.test_client()
    response = client.post("/login", data={"email": "secure@example.org", "password": factories.PASSWORD},
                           base_url="https://localhost")
    header = _session_cookie_header(response)
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    with app.app_context():
        db.engine.dispose()


def test_new_session_at_sign_in(app, client, auth):
    auth.create(email="fix@example.org")
    client.get("/login")
    client.post("/language", data={"lang": "de"})  # the anonymous session now carries data
    before = client.get_cookie("session").value
    client.post("/login", data={"email": "fix@example.org", "password": factories.PASSWORD})
    after = client.get_cookie("session").value
    assert before != after
    # The pre-login cookie replayed by someone else is not signed in.
    attacker = app.test_client()
    attacker.set_cookie("session", before)
    assert attacker.get("/account/password").status_code == 302


def test_password_change_signs_out_other_sessions(app, client, auth):
    auth.create(email="multi@example.org")
    other = app.test_client()
    for c in (client, other):
        c.post("/login", data={"email": "multi@example.org", "password": factories.PASSWORD})
        assert c.get("/account/password").status_code == 200
    response = client.post("/account/password",
                           data={"current_password": factories.PASSWORD, "password": GOOD})
    assert response.status_code == 302
    assert client.get("/account/password").status_code == 200
    assert other.get("/account/password").status_code == 302


def test_idle_timeout_signs_out(app, client, auth):
    auth.login(Role.EXPERT)
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - app.config["IDLE_TIMEOUT_MINUTES"] * 60 - 5
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "next=" in response.headers["Location"]
    assert client.get("/account/password").status_code == 302


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example", "http:/evil.example",
     "javascript:alert(1)", " //evil.example", "/%2F%2Fevil.example"],
)
def test_open_redirects_in_next_are_ignored(app, client, auth, target):
    auth.create(email="redir@example.org")
    response = client.post("/login", data={"email": "redir@example.org", "password": factories.PASSWORD,
                                           "next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil" not in location.split("?")[0] or location.startswith("/%2F")
    assert not location.startswith(("http", "//", "javascript", "\\"))


def test_local_next_is_followed(app, client, auth):
    auth.create(email="local@example.org")
    response = client.post("/login", data={"email": "local@example.org", "password": factories.PASSWORD,
                                           "next": "/account/password"})
    assert response.headers["Location"] == "/account/password"


def test_inactive_account_cannot_sign_in(app, client):
    with app.app_context():
        factories.user(email="off@example.org", is_active_account=False)
        db.session.commit()
    response = client.post("/login", data={"email": "off@example.org", "password": factories.PASSWORD})
    assert response.status_code == 200
    assert "nicht korrekt" in text_of(response) or "not correct" in text_of(response)


# --- administration ------------------------------------------------------------------------------------------


def test_admin_deactivates_and_reactivates(app, client, auth):
    auth.login(Role.ADMIN)
    with app.app_context():
        target = factories.user(email="target@example.org")
        db.session.commit()
        target_id = target.id
    victim = app.test_client()
    victim.post("/login", data={"email": "target@example.org", "password": factories.PASSWORD})
    assert victim.get("/account/password").status_code == 200

    assert client.post(f"/accounts/users/{target_id}/active", data={"active": "0"}).status_code == 302
    assert victim.get("/account/password").status_code == 302  # signed out at once
    assert victim.post("/login", data={"email": "target@example.org",
                                       "password": factories.PASSWORD}).status_code == 200
    assert client.post(f"/accounts/users/{target_id}/active", data={"active": "1"}).status_code == 302
    assert victim.post("/login", data={"email": "target@example.org",
                                       "password": factories.PASSWORD}).status_code == 302
    with app.app_context():
        changes = db.session.scalars(
            db.select(AuditEntry.changes).where(AuditEntry.entity == "users", AuditEntry.entity_id == target_id,
                                                AuditEntry.action == "update")).all()
        assert {"is_active": [True, False]} in changes and {"is_active": [False, True]} in changes


def test_admin_cannot_deactivate_themself(app, client, auth):
    admin_id = auth.login(Role.ADMIN)
    response = client.post(f"/accounts/users/{admin_id}/active", data={"active": "0"}, follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(User, admin_id).is_active_account


def test_admin_changes_role(app, client, auth):
    auth.login(Role.ADMIN)
    with app.app_context():
        target_id = factories.user(email="role@example.org").id
        db.session.commit()
    response = client.post(f"/accounts/users/{target_id}/edit",
                           data={"display_name": "Rolle", "role": "reviewer", "is_active": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, target_id).role == Role.REVIEWER


def test_admin_triggers_reset_mail_and_sees_last_sign_in(app, client, auth, outbox):
    auth.login(Role.ADMIN)
    with app.app_context():
        target_id = factories.user(email="mailme@example.org").id
        db.session.commit()
    response = client.post(f"/accounts/users/{target_id}/send-reset")
    assert response.status_code == 302
    assert [m["To"] for m in outbox()] == ["mailme@example.org"]
    page = text_of(client.get("/accounts/users"))
    assert "Letzte Anmeldung" in page or "Last sign-in" in page
    assert "nie" in page or "never" in page


def test_create_user_refuses_a_common_password(app, client, auth):
    auth.login(Role.ADMIN)
    response = client.post("/accounts/users/new", data={"email": "neu@example.org", "role": "expert",
                                                        "password": "1q2w3e4r5t"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.email == "neu@example.org")) is None


def test_login_page_links_to_password_reset(client):
    assert "/password/forgot" in client.get("/login").get_data(as_text=True)


def test_simple_cookie_parses(app):
    # Guard against a Werkzeug change in cookie formatting used above.
    cookie = SimpleCookie()
    cookie.load("session=abc; HttpOnly; Path=/; SameSite=Lax")
    assert cookie["session"]["httponly"]
