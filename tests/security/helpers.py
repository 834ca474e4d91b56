"""Shared helpers for the security tests: walking the URL map with the permission table's parameters."""

from flask import url_for
from sqlalchemy import func, select

from planner.extensions import db
from tests.test_permission_table import all_rules


def sign_in_as(client, user) -> None:
    """Signs a test client in without the login form (for apps with CSRF on)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def row_counts() -> dict[str, int]:
    db.session.rollback()
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def endpoints_with(app, method: str) -> list[str]:
    rules = app.url_map.iter_rules()
    return sorted({r.endpoint for r in rules if method in (r.methods or ()) and r.endpoint != "static"})


def build_url(app, endpoint: str) -> str | None:
    """The URL of an endpoint, its arguments made by the permission table's Rule.params (inside app context)."""
    from werkzeug.routing import BuildError

    rule = all_rules().get(endpoint)
    params = rule.params() if rule and rule.params else {}
    db.session.commit()
    with app.test_request_context():
        try:
            return url_for(endpoint, **params) + (rule.query if rule else "")
        except BuildError:
            return None  # no rule with params yet: test_permission_table reports the missing rule
