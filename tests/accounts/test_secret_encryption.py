"""Second-factor secrets at rest: the database holds only ciphertext, sign-in still works, a wrong key fails
closed with a message for the administrator, old keys rotate out, and the migration encrypts existing rows."""

import re
import time

import pyotp
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask_migrate import upgrade

from planner.accounts import encryption
from planner.accounts.models import User
from planner.extensions import db
from tests import factories
from tests.conftest import make_test_app, text_of

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _admin(app) -> tuple[int, str]:
    with app.app_context():
        user = factories.user(role="admin", totp_secret=SECRET)
        db.session.commit()
        return user.id, user.email


def _sign_in(client, email, secret=SECRET):
    assert client.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code == 302
    return client.post("/login/code", data={"code": pyotp.TOTP(secret).at(time.time())})


def _raw_rows(app):
    with app.app_context(), db.engine.connect() as conn:
        return [tuple(str(v) for v in row) for row in conn.execute(sa.text("SELECT * FROM users"))]


def test_the_database_holds_no_plain_secret_and_sign_in_works(app, client):
    user_id, email = _admin(app)
    rows = _raw_rows(app)
    assert rows and not any(SECRET in value for row in rows for value in row)
    with app.app_context():
        stored = db.session.get(User, user_id).totp_secret_encrypted
        assert stored.startswith("gAAAA") and SECRET not in stored
        assert db.session.get(User, user_id).totp_secret == SECRET
    assert _sign_in(client, email).status_code == 302
    assert client.get("/account/two-factor").status_code == 200


def test_setting_up_the_second_factor_stores_it_encrypted(app, client, auth):
    user_id = auth.login("facilitator")
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'class="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).at(time.time())})
    with app.app_context():
        assert db.session.get(User, user_id).has_second_factor
    assert not any(secret in value for row in _raw_rows(app) for value in row)


def test_a_wrong_key_fails_closed_with_a_clear_message(app, client):
    user_id, email = _admin(app)
    app.config["ENCRYPTION_KEY"] = Fernet.generate_key().decode()  # not the key the secret was stored with
    response = _sign_in(client, email)
    assert response.status_code == 200
    assert "Verschlüsselungsschlüssel" in text_of(response) and "Administration" in text_of(response)
    # Not signed in, and the account still counts as having a second factor (nothing switched off).
    assert "/login" in client.get("/workshops/").headers.get("Location", "")
    with app.app_context():
        assert db.session.get(User, user_id).has_second_factor


def test_a_wrong_key_still_lets_a_recovery_code_in(app, client):
    from planner.accounts import twofactor

    with app.app_context():
        user = factories.user(role="admin")
        now = time.time()
        codes = twofactor.enable(user, SECRET, pyotp.TOTP(SECRET).at(now), now=now)
        db.session.commit()
        email = user.email
    app.config["ENCRYPTION_KEY"] = "another passphrase that is long enough"
    assert client.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code == 302
    assert client.post("/login/code", data={"code": codes[0]}).status_code == 302


def test_rotation_moves_every_secret_to_the_new_key(app, client):
    old_key = app.config["SECRET_KEY"]
    user_id, email = _admin(app)
    new_key = Fernet.generate_key().decode()
    app.config.update(ENCRYPTION_KEY=new_key, ENCRYPTION_OLD_KEYS=old_key)  # comma-separated form
    assert _sign_in(client, email).status_code == 302  # the old key still opens it meanwhile
    client.post("/logout")
    result = app.test_cli_runner().invoke(args=["rotate-encryption-key"])
    assert result.exit_code == 0 and "1 second-factor secrets" in result.output
    app.config["ENCRYPTION_OLD_KEYS"] = []
    with app.app_context():
        stored = db.session.get(User, user_id).totp_secret_encrypted
        assert Fernet(new_key.encode()).decrypt(stored.encode()).decode() == SECRET
        db.session.get(User, user_id).totp_last_step = None
        db.session.commit()
    assert _sign_in(client, email).status_code == 302


def test_rotation_reports_secrets_no_key_opens(app):
    _admin(app)
    app.config["ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    result = app.test_cli_runner().invoke(args=["rotate-encryption-key"])
    assert result.exit_code != 0 and "could not be decrypted" in result.output


def test_the_migration_encrypts_existing_secrets(tmp_path):
    app = make_test_app(tmp_path)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade(revision="40f2a4fe32b6")
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO users (email, display_name, password_hash, role, is_active, session_epoch, "
                "failed_logins, totp_secret, require_second_factor, version, created_at, updated_at) VALUES "
                "('a@example.org', 'A', 'x', 'ADMIN', true, 0, 0, :secret, false, 1, :now, :now)"),
                {"secret": SECRET, "now": "2026-01-01 00:00:00"})
        upgrade()
        with db.engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT totp_secret_encrypted FROM users")).scalar_one()
        assert SECRET not in stored and encryption.decrypt(stored) == SECRET
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
