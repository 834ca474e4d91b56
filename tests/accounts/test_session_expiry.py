"""A form sent after the session expired: back to the form's page through sign-in, never a 400 or a 405.

(The browser half, keeping what was typed, is tested in tests/e2e/test_session_drafts.py.)"""

import re

import pytest
from sqlalchemy import select

from planner.accounts.models import User
from planner.core.permissions import Role
from planner.extensions import db
from tests import factories
from tests.conftest import make_test_app
from tests.security.helpers import sign_in_as


@pytest.fixture
def csrf_app(tmp_path):
    app = make_test_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        factories.process()
        factories.user(role=Role.STRATEGY_TEAM, email="strategie@example.org")
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def _token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"', html).group(1)


def _next_field(response) -> str:
    html = response.get_data(as_text=True)
    return re.search(r'<input id="next" name="next" type="hidden" value="([^"]*)"', html).group(1)


def test_a_post_whose_session_is_gone_goes_to_sign_in_and_back_to_the_form_page(csrf_app):
    browser = csrf_app.test_client()
    token = _token(browser, "/login")
    browser.delete_cookie("session")  # the session expired: the token has nothing to match any more
    response = browser.post("/strategy/versions", data={"csrf_token": token, "note": "Entwurf"},
                            headers={"Referer": "http://localhost/strategy/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/strategy/"
    assert "planner_resend=1" in response.headers["Set-Cookie"]
    page = browser.get(response.headers["Location"])
    assert "Ihre Sitzung war abgelaufen, deshalb wurde das Formular nicht gesendet." in page.get_data(as_text=True)
    assert _next_field(page) == "/strategy/"


def test_a_public_form_goes_straight_back_to_its_page(csrf_app):
    browser = csrf_app.test_client()
    token = _token(browser, "/login")
    browser.delete_cookie("session")
    response = browser.post("/language", data={"csrf_token": token, "lang": "en"},
                            headers={"Referer": "http://localhost/accessibility"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/accessibility"


def test_other_csrf_failures_stay_bad_requests(csrf_app):
    browser = csrf_app.test_client()
    _token(browser, "/login")  # the session holds a token
    wrong = browser.post("/language", data={"csrf_token": "forged", "lang": "en"},
                         headers={"Referer": "http://localhost/"})
    missing = browser.post("/language", data={"lang": "en"}, headers={"Referer": "http://localhost/"})
    assert (wrong.status_code, missing.status_code) == (400, 400)


def test_sign_in_after_a_bounced_post_leads_to_the_form_page_not_a_405(csrf_app):
    """Signed out while idle, the POST-only action is in ?next=: sign-in returns to the page (the Referer)."""
    browser = csrf_app.test_client()
    page = browser.get("/login?next=/strategy/export", headers={"Referer": "http://localhost/strategy/"})
    assert _next_field(page) == "/strategy/"
    # No usable page (none, another site's, or the sign-in page itself): the overview after sign-in.
    for referrer in (None, "https://evil.example/strategy/", "http://localhost/login"):
        headers = {"Referer": referrer} if referrer else {}
        assert _next_field(browser.get("/login?next=/strategy/export", headers=headers)) == ""
    # A page that opens with GET stays the target; a foreign one is refused.
    assert _next_field(browser.get("/login?next=/strategy/")) == "/strategy/"
    assert _next_field(browser.get("/login?next=//evil.example/")) == ""


def test_sign_in_with_a_post_only_next_does_not_land_on_a_405(csrf_app):
    browser = csrf_app.test_client()
    token = _token(browser, "/login")
    response = browser.post("/login", data={"csrf_token": token, "email": "strategie@example.org",
                                            "password": factories.PASSWORD, "next": "/strategy/export"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_signed_in_user_whose_idle_session_ends_gets_the_page_back(csrf_app):
    browser = csrf_app.test_client()
    with csrf_app.app_context():
        sign_in_as(browser, db.session.scalar(select(User).filter_by(email="strategie@example.org")))
    token = _token(browser, "/strategy/")
    csrf_app.config["IDLE_TIMEOUT_MINUTES"] = -1
    response = browser.post("/strategy/versions", data={"csrf_token": token, "note": "x"},
                            headers={"Referer": "http://localhost/strategy/"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    page = browser.get(response.headers["Location"], headers={"Referer": "http://localhost/strategy/"})
    # /strategy/versions also opens with GET (the version list): the target stays; the page's script knows better.
    assert _next_field(page) == "/strategy/versions"
