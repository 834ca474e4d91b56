"""CSRF on every state-changing request, and no state change on GET."""

import pytest
from sqlalchemy import select

from planner.core.audit import AuditEntry
from planner.core.permissions import Role
from planner.extensions import db
from tests import factories
from tests.conftest import make_test_app
from tests.security.helpers import build_url, endpoints_with, row_counts, sign_in_as


@pytest.fixture
def csrf_app(tmp_path):
    app = make_test_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


SIGNED_INSTEAD_OF_CSRF = {"accounts.sso_backchannel_logout"}


def test_every_post_endpoint_rejects_a_request_without_csrf_token(csrf_app):
    app = csrf_app
    client = app.test_client()
    with app.app_context():
        factories.process()
        admin = factories.user(role=Role.ADMIN)
        db.session.commit()
        sign_in_as(client, admin)
        urls = {endpoint: build_url(app, endpoint) for endpoint in endpoints_with(app, "POST")}
        urls = {endpoint: url for endpoint, url in urls.items() if url}
        before = row_counts()
    assert urls, "no POST endpoints found"
    failures = []
    for endpoint, url in urls.items():
        response = client.post(url, data={"email": "x@example.org", "password": "egal-egal-egal", "confirm": "y"})
        if endpoint in SIGNED_INSTEAD_OF_CSRF:
            # Called server to server by an identity provider: a signed logout token stands in for the CSRF token,
            # and without one (or without such a provider) nothing happens.
            if response.status_code not in (400, 404):
                failures.append(f"{endpoint}: {response.status_code}")
        elif response.status_code != 400:
            failures.append(f"{endpoint}: {response.status_code}")
    assert not failures, f"POST without CSRF token was not rejected: {failures}"
    with app.app_context():
        assert row_counts() == before
    # The admin is still signed in: the refused requests did nothing, not even sign out.
    assert client.get("/accounts/users").status_code == 200


def test_a_post_with_a_valid_token_is_accepted(csrf_app):
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
    value = token.group(1) or token.group(2)
    response = client.post("/language", data={"lang": "en", "csrf_token": value})
    assert response.status_code == 302


def test_get_changes_nothing(app):
    """Every GET endpoint as an administrator: no audit entry, no row added or removed."""
    client = app.test_client()
    with app.app_context():
        factories.process()
        admin = factories.user(role=Role.ADMIN)
        db.session.commit()
        sign_in_as(client, admin)
        urls = {endpoint: build_url(app, endpoint) for endpoint in endpoints_with(app, "GET")}
        urls = {endpoint: url for endpoint, url in urls.items() if url}
        before = row_counts()
        last_audit = db.session.scalar(select(db.func.max(AuditEntry.id))) or 0
    errors = []
    for endpoint, url in urls.items():
        response = client.get(url)
        response.close()  # file downloads hold their file open until closed
        if response.status_code >= 500:
            errors.append(f"{endpoint}: {response.status_code}")
    assert not errors, errors
    with app.app_context():
        new_entries = db.session.scalars(select(AuditEntry).where(AuditEntry.id > last_audit)).all()
        assert not new_entries, [(e.action, e.entity) for e in new_entries]
        after = row_counts()
    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    assert not changed, f"GET requests changed row counts: {changed}"
