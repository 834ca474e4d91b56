"""Links that work: a BASE_URL that is not the address the planner is served at is logged and shown to admins."""

import logging

from planner.core.baseurl import origin
from tests.conftest import text_of

NOTICE = "Persönliche Links in Einladungen"


def test_origin_ignores_case_paths_and_default_ports():
    assert origin("HTTP://Planner.Example:80/some/path") == "http://planner.example"
    assert origin("https://planner.example:443/") == "https://planner.example"
    assert origin("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert origin("http://127.0.0.1:5000") != origin("http://127.0.0.1:8080")


def test_a_request_at_another_port_is_logged_once_and_shown_to_admins_only(app, client, auth, caplog):
    app.config["BASE_URL"] = "http://localhost:5000"
    with caplog.at_level(logging.WARNING, logger="planner.baseurl"):
        client.get("/")
        client.get("/privacy")
    warnings = [r.getMessage() for r in caplog.records if r.name == "planner.baseurl"]
    assert len(warnings) == 1
    assert "http://localhost:5000" in warnings[0] and "served at http://localhost: the links" in warnings[0]

    assert NOTICE not in text_of(client.get("/"))  # nobody signed in: no notice
    auth.login("facilitator")
    assert NOTICE not in text_of(client.get("/"))
    auth.logout()
    auth.login("admin")
    page = text_of(client.get("/"))
    assert NOTICE in page and "http://localhost:5000" in page and "http://localhost" in page


def test_no_notice_when_base_url_matches(app, client, auth, caplog):
    app.config["BASE_URL"] = "http://localhost/"
    auth.login("admin")
    with caplog.at_level(logging.WARNING, logger="planner.baseurl"):
        page = text_of(client.get("/"))
    assert NOTICE not in page
    assert not [r for r in caplog.records if r.name == "planner.baseurl"]
