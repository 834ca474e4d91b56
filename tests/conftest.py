import os
import re

import pytest

from planner import create_app
from planner.core.permissions import Role
from planner.extensions import db
from tests import factories

# Tests run against SQLite by default; PLANNER_TEST_DATABASE_URL selects another server (PostgreSQL).
# `pytest --postgres` (make test-pg) starts a throwaway PostgreSQL cluster and sets it (tests/pg_plugin.py).
pytest_plugins = ["tests.pg_plugin"]
TEST_DATABASE_URL = os.environ.get("PLANNER_TEST_DATABASE_URL")


def database_url_for_tests() -> str | None:
    """Read when an app is made, so the PostgreSQL plugin can set it after this module was imported."""
    return os.environ.get("PLANNER_TEST_DATABASE_URL") or TEST_DATABASE_URL



def make_test_app(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url_for_tests() or f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "WTF_CSRF_ENABLED": False,
        "MAIL_SERVER": None,
        "RATELIMIT_ENABLED": False,
        "BASE_URL": "http://localhost",
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
    }
    config.update(overrides)
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    app = create_app(config, instance_path=instance)
    shared = database_url_for_tests()
    if shared and config["SQLALCHEMY_DATABASE_URI"] == shared:
        # One server for the whole run: every app a test makes starts from empty tables, as a fresh SQLite
        # file would (tests that build their own app would otherwise see the previous test's rows).
        from tests.pg_plugin import reset_database

        with app.app_context():
            reset_database(db)
    return app


@pytest.fixture
def app(tmp_path):
    app = make_test_app(tmp_path)
    with app.app_context():
        if database_url_for_tests():
            # PostgreSQL: the schema is created once per session and emptied per test (TRUNCATE is much
            # faster than dropping and creating every table).
            from tests.pg_plugin import reset_database

            reset_database(db)
        else:
            db.drop_all()
            db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An app context for unit tests of models and services (no HTTP)."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, app, client):
        self.app = app
        self.client = client

    def create(self, role: Role | str = Role.EXPERT, **kw) -> int:
        with self.app.app_context():
            user = factories.user(role=role, **kw)
            db.session.commit()
            return user.id

    def login(self, role: Role | str = Role.EXPERT, **kw) -> int:
        """Creates a user with the role and signs in; returns the user's id."""
        kw.setdefault("email", f"{Role(role).value}-{factories._n()}@example.org")
        user_id = self.create(role, **kw)
        self.login_as(kw["email"])
        return user_id

    def login_as(self, email: str, password: str = factories.PASSWORD):
        response = self.client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(app, client):
    return AuthActions(app, client)


@pytest.fixture
def outbox(app):
    """The .eml files written to the instance outbox (mail in development and tests)."""
    from pathlib import Path

    def read():
        import email
        from email import policy

        folder = Path(app.instance_path) / "outbox"
        if not folder.exists():
            return []
        return [
            email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))
        ]

    return read


def text_of(response) -> str:
    """The visible text of an HTML response, whitespace folded (for assertions a user would notice)."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    import html as html_lib

    return re.sub(r"\s+", " ", html_lib.unescape(text)).strip()
