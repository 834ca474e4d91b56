"""Every route declares who may use it; this table proves it for every role (and fails for a new route
that has no entry in a tests/<package>/permissions.py)."""

import importlib
from pathlib import Path

import pytest
from flask import url_for

from planner.core.permissions import Role
from planner.extensions import db
from tests.permission_rules import ANONYMOUS, Rule

TESTS = Path(__file__).parent


def all_rules() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for module_file in sorted(TESTS.glob("*/permissions.py")):
        module = importlib.import_module(f"tests.{module_file.parent.name}.permissions")
        for endpoint, rule in module.RULES.items():
            assert endpoint not in rules, f"{endpoint} has two rules"
            rules[endpoint] = rule
    return rules


RULES = all_rules()
WHO = (ANONYMOUS, *(r.value for r in Role))



def test_every_endpoint_has_a_rule(app):
    endpoints = {e for e in app.view_functions if e != "static"}
    missing = sorted(endpoints - set(RULES))
    assert not missing, f"endpoints without a rule in tests/<package>/permissions.py: {missing}"
    stale = sorted(set(RULES) - endpoints)
    assert not stale, f"rules for endpoints that do not exist: {stale}"


@pytest.mark.parametrize("endpoint", sorted(RULES))
@pytest.mark.parametrize("who", WHO)
def test_permission_table(app, client, auth, endpoint, who):
    rule = RULES[endpoint]
    with app.app_context():
        params = rule.params() if rule.params else {}
        db.session.commit()
    if who != ANONYMOUS:
        auth.login(who)
    with app.test_request_context():
        url = url_for(endpoint, **params) + rule.query
    response = client.open(url, method=rule.method, data=rule.data or {})
    response.close()  # a file download (send_file) holds its file open until closed
    expected = rule.expected(who)
    if expected == "login":
        assert response.status_code == 302, f"{endpoint} as {who}: {response.status_code}"
        assert "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected, f"{endpoint} as {who}: {response.status_code}, expected {expected}"
