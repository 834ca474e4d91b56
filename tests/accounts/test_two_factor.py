"""The second factor: set-up with a QR code, sign-in with a code, no replay, recovery codes, lock-out, the
per-role setting that leads an account to the set-up page, reset by another administrator."""

import re
import time

import pyotp
import pytest

from planner.accounts import twofactor
from planner.accounts.models import RecoveryCode, User
from planner.core.audit import AuditEntry
from planner.core.permissions import Role
from planner.extensions import db
from tests import factories
from tests.conftest import make_test_app, text_of

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _code(secret: str = SECRET, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def _user(app, role=Role.ADMIN, **kw) -> int:
    with app.app_context():
        user = factories.user(role=role, **kw)
        db.session.commit()
        return user.id


def _email(app, user_id) -> str:
    with app.app_context():
        return db.session.get(User, user_id).email


def _password_step(client, email):
    return client.post("/login", data={"email": email, "password": factories.PASSWORD})


def test_setup_by_scanning_the_qr_code_then_sign_in_asks_for_the_code(app, client, auth):
    user_id = auth.login(Role.FACILITATOR)
    page = client.get("/account/two-factor")
    html = page.get_data(as_text=True)
    assert "<svg" in html and "Schlüssel zum Eintippen" in text_of(page)
    secret = re.search(r'class="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    # A wrong code first: nothing is switched on.
    wrong = client.post("/account/two-factor", data={"code": "000000" if _code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200
    with app.app_context():
        assert db.session.get(User, user_id).totp_secret is None
    done = client.post("/account/two-factor", data={"code": _code(secret)})
    codes = re.findall(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>", done.get_data(as_text=True))
    assert len(codes) == 10
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.totp_secret == secret
        stored = [r.code_hash for r in db.session.scalars(db.select(RecoveryCode))]
        assert len(stored) == 10 and not set(codes) & set(stored)  # hashed
    # The codes are never shown again.
    assert "<code>" not in client.get("/account/two-factor").get_data(as_text=True)

    auth.logout()
    email = _email(app, user_id)
    response = _password_step(client, email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/code")
    # Not signed in yet: a staff page still asks for sign-in.
    assert "/login" in client.get("/workshops/").headers.get("Location", "/login")
    # The code of the step used during set-up is refused (replay); the next one is taken.
    step = int(time.time() // 30)
    with app.app_context():
        user = db.session.get(User, user_id)
        user.totp_last_step = step
        db.session.commit()
    replay = client.post("/login/code", data={"code": pyotp.TOTP(secret).at(step * 30)})
    assert replay.status_code == 200 and "nicht richtig" in text_of(replay)
    ok = client.post("/login/code", data={"code": pyotp.TOTP(secret).at((step + 1) * 30)})
    assert ok.status_code == 302
    assert client.get("/account/two-factor").status_code == 200


def test_a_code_is_good_only_once(ctx):
    user = factories.user(totp_secret=SECRET)
    now = time.time()
    code = pyotp.TOTP(SECRET).at(now)
    assert twofactor.verify(user, code, now=now)
    assert not twofactor.verify(user, code, now=now)
    assert not twofactor.verify(user, pyotp.TOTP(SECRET).at(now - 30), now=now)  # an older step neither


def test_recovery_code_works_once(ctx):
    user = factories.user()
    now = time.time()
    codes = twofactor.enable(user, SECRET, pyotp.TOTP(SECRET).at(now), now=now)
    user.totp_last_step = None
    assert twofactor.verify(user, codes[0].upper().replace("-", " "))
    assert not twofactor.verify(user, codes[0])
    assert twofactor.remaining_recovery_codes(user) == 9


def test_wrong_codes_lock_the_account_even_with_the_right_password(app, client):
    user_id = _user(app, totp_secret=SECRET)
    email = _email(app, user_id)
    attempts = app.config["LOGIN_LOCKOUT_ATTEMPTS"]
    for _i in range(attempts):
        assert _password_step(client, email).status_code == 302
        assert client.post("/login/code", data={"code": "12345x"}).status_code == 200
    # Locked: the password step now refuses even the right password, and the right code does not help.
    assert _password_step(client, email).status_code == 429
    with app.app_context():
        assert db.session.get(User, user_id).locked_until is not None


def test_code_step_is_throttled(tmp_path):
    app = make_test_app(tmp_path, RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT="2 per minute",
                        LOGIN_LOCKOUT_ATTEMPTS=100)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    user_id = _user(app, totp_secret=SECRET)
    email = _email(app, user_id)
    assert _password_step(client, email).status_code == 302
    statuses = [client.post("/login/code", data={"code": "000001"}).status_code for _i in range(3)]
    assert statuses == [200, 200, 429]


def test_code_step_without_a_password_step_goes_back_to_sign_in(client):
    response = client.post("/login/code", data={"code": "123456"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_required_role_leads_to_the_setup_page_before_any_page(app, client, auth):
    admin_id = auth.login(Role.ADMIN)
    # Off by default: the admin reaches every page.
    assert client.get("/accounts/users").status_code == 200
    response = client.post("/accounts/two-factor", data={"roles": ["admin", "strategy_team"]})
    assert response.status_code == 302
    with app.app_context():
        assert twofactor.required_roles() == {Role.ADMIN, Role.STRATEGY_TEAM}
        entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "second_factor_policy")).one()
        assert entry.changes == {"roles": [[], ["admin", "strategy_team"]]}
    for page in ("/accounts/users", "/", "/workshops/"):
        response = client.get(page)
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/two-factor")
    assert client.get("/account/two-factor").status_code == 200
    # A facilitator (not required) is not stopped.
    auth.logout()
    auth.login(Role.FACILITATOR)
    assert client.get("/").status_code == 200
    del admin_id


def test_create_user_require_2fa(app, runner, client):
    result = runner.invoke(args=["create-user", "--email", "it@example.org", "--role", "facilitator",
                                 "--password", "Ruhrpott-Sonnenblume-77", "--require-2fa"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(db.select(User).where(User.email == "it@example.org")).one()
        assert user.require_second_factor and not user.has_second_factor
    client.post("/login", data={"email": "it@example.org", "password": "Ruhrpott-Sonnenblume-77"})
    assert client.get("/").headers["Location"].endswith("/account/two-factor")
    # Without the flag: no second factor asked for (scripts and the demo keep working).
    runner.invoke(args=["create-user", "--email", "x@example.org", "--role", "admin",
                        "--password", "Ruhrpott-Sonnenblume-77"])
    with app.app_context():
        assert not db.session.scalars(db.select(User).where(User.email == "x@example.org")).one().require_second_factor


def test_reset_by_another_admin_with_a_reason(app, client, auth):
    target_id = _user(app, role=Role.STRATEGY_TEAM, totp_secret=SECRET)
    admin_id = auth.login(Role.ADMIN)
    page = client.get(f"/accounts/users/{target_id}/edit")
    assert "Zweiten Faktor zurücksetzen" in text_of(page) or "Reset the second factor" in text_of(page)
    # Without a reason nothing changes.
    client.post(f"/accounts/users/{target_id}/two-factor/reset", data={"reason": ""})
    with app.app_context():
        assert db.session.get(User, target_id).totp_secret == SECRET
    client.post(f"/accounts/users/{target_id}/two-factor/reset", data={"reason": "Handy verloren, persönlich geprüft"})
    with app.app_context():
        assert db.session.get(User, target_id).totp_secret is None
        entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "second_factor_reset")).one()
        assert entry.summary == "Handy verloren, persönlich geprüft" and entry.actor_id == admin_id


def test_an_admin_cannot_reset_their_own_second_factor(ctx):
    from planner.core.errors import DomainError

    admin = factories.user(role=Role.ADMIN, totp_secret=SECRET)
    with pytest.raises(DomainError):
        twofactor.reset(admin, admin, "lost my phone")
    assert admin.totp_secret == SECRET
