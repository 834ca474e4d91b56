"""The retention dry run, the audit log and the change histories in a real browser: readable, accessible
(axe, WCAG 2.1 AA) and valid HTML (Nu HTML Checker), on the demo."""

import pytest
from sqlalchemy import select

from planner.extensions import db
from tests.e2e.conftest import ARTIFACTS, assert_accessible, login, nu_errors, screenshot

pytestmark = pytest.mark.e2e
JOURNEY = "retention"


def _keep(page, name: str, files: list) -> None:
    folder = ARTIFACTS / "html" / JOURNEY
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.html"
    path.write_text(page.content(), encoding="utf-8")
    files.append(path)


def test_dry_run_audit_log_and_histories_are_readable_and_accessible(page, live_server):
    with live_server.app.app_context():
        from planner.findings.models import Measure

        measure_id = db.session.scalar(select(Measure.id).where(Measure.number.is_not(None)).order_by(Measure.id))
    files: list = []
    login(page, live_server, "admin@example.org")
    page.goto(f"{live_server.url}/privacy-requests/")
    with page.expect_navigation():
        page.get_by_role("link", name="Aufbewahrung").first.click()
    assert page.get_by_role("heading", name="Aufbewahrung", level=1).is_visible()
    assert page.get_by_role("heading", name="Persönliche Einladungslinks", level=2).is_visible()
    assert_accessible(page, "Aufbewahrung")
    screenshot(page, JOURNEY, "aufbewahrung")
    _keep(page, "retention", files)
    page.goto(f"{live_server.url}/privacy-requests/audit?entity=measures")
    main = page.locator("main").inner_text()
    assert "Maßnahme" in main and "angelegt" in main and "measures" not in main
    assert_accessible(page, "Änderungsprotokoll")
    _keep(page, "audit", files)
    page.goto(f"{live_server.url}/findings/measures/{measure_id}/history")
    assert "Titel:" in page.locator("main").inner_text()
    assert_accessible(page, "Verlauf einer Maßnahme")
    _keep(page, "measure_history", files)
    page.goto(f"{live_server.url}/strategy/sections/foreword")
    with page.expect_navigation():
        page.get_by_role("link", name="Verlauf").click()
    assert page.get_by_role("heading", level=1).is_visible()
    assert_accessible(page, "Verlauf eines Abschnitts")
    _keep(page, "section_history", files)
    errors = nu_errors(files)
    assert not errors, "Nu HTML Checker errors:\n" + "\n".join(errors)
