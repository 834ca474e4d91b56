"""Sicherheit im Alltag: Die Sitzung der Expertin läuft ab, nach der Anmeldung ist sie wieder auf der Seite, auf
der sie war (erhalten bleibt die Adresse über ?next=, nicht getippter Text). Die Moderatorin setzt ihr Passwort
über den Link aus der E-Mail zurück. Ein Doppelklick auf „Rückmeldung senden“ legt nur einen Datensatz an, und der
Zurück-Knopf nach dem Absenden sendet nichts erneut (POST/Redirect/GET). Die Expertin sieht ihre Einwilligung
und lädt ihre Daten herunter; die Administration sieht Datenschutz-Anfragen und das Änderungsprotokoll."""

import json
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from planner.extensions import db
from planner.site.models import AccessibilityFeedback
from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e
JOURNEY = "security"
NEW_PASSWORD = "Zeche-Zollverein-1932"


def test_abgelaufene_sitzung_fuehrt_zurueck(page, live_server):
    login(page, live_server, "expertin@example.org")
    page.goto(f"{live_server.url}/privacy-requests/me")
    assert page.get_by_role("heading", name="Meine Daten", level=1).is_visible()
    assert page.get_by_text("Einwilligung erteilt").is_visible()
    assert_accessible(page, "Meine Daten")
    screenshot(page, JOURNEY, "meine-daten")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Meine Daten herunterladen (JSON)").click()
    data = json.loads(Path(download_info.value.path()).read_text(encoding="utf-8"))
    assert data["person"]["email"] == "expertin@example.org"

    live_server.app.config["IDLE_TIMEOUT_MINUTES"] = 0
    try:
        time.sleep(1.2)
        page.goto(f"{live_server.url}/account/password")
        assert "/login" in page.url and "next=" in page.url
        assert page.get_by_text("Inaktivität").is_visible()
    finally:
        live_server.app.config["IDLE_TIMEOUT_MINUTES"] = 120
    page.get_by_label("E-Mail-Adresse").fill("expertin@example.org")
    page.get_by_label("Passwort").fill("planner-demo")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()
    assert page.url.endswith("/account/password")


def test_passwort_zuruecksetzen_per_email(page, live_server):
    page.goto(f"{live_server.url}/login")
    page.get_by_role("link", name="Passwort vergessen?").click()
    assert_accessible(page, "Passwort vergessen")
    page.get_by_label("E-Mail-Adresse").fill("moderation@example.org")
    page.get_by_role("button", name="Link senden").click()
    page.wait_for_load_state()
    assert "/login" in page.url
    assert page.get_by_text("Falls zu dieser Adresse ein Konto besteht").is_visible()

    outbox = Path(live_server.app.instance_path) / "outbox"
    mails = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)
    body = mails[-1].read_text(encoding="utf-8", errors="replace")
    link = re.search(r"(http://127\.0\.0\.1:\d+/password/reset/[A-Za-z0-9_\-]+)", body.replace("=\n", "")).group(1)
    page.goto(link)
    assert_accessible(page, "Neues Passwort")
    screenshot(page, JOURNEY, "neues-passwort")
    page.get_by_label("Neues Passwort", exact=True).fill("password123")
    page.get_by_label("Neues Passwort wiederholen").fill("password123")
    with page.expect_navigation():
        page.get_by_role("button", name="Neues Passwort speichern").click()
    assert page.get_by_text("am häufigsten verwendeten Passwörtern").first.is_visible()
    page.get_by_label("Neues Passwort", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Neues Passwort wiederholen").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Neues Passwort speichern").click()
    page.wait_for_load_state()
    assert "/login" in page.url
    login(page, live_server, "moderation@example.org", NEW_PASSWORD)
    # The link works only once.
    page.goto(link)
    assert page.get_by_role("heading", name="Link ungültig oder abgelaufen").is_visible()


def _feedback_count(server) -> int:
    with server.app.app_context():
        return db.session.scalar(select(func.count()).select_from(AccessibilityFeedback))


def test_doppelklick_und_zurueck_knopf(page, live_server):
    before = _feedback_count(live_server)
    page.goto(f"{live_server.url}/accessibility")
    page.get_by_label("Auf welche Barriere sind Sie gestoßen?").fill("Der Kontrast der Fußzeile ist zu gering.")
    page.get_by_role("button", name="Rückmeldung senden").dblclick()
    page.wait_for_load_state()
    page.wait_for_timeout(500)
    assert _feedback_count(live_server) == before + 1
    # Back after the redirect shows the form again (GET); nothing is sent twice.
    page.go_back()
    page.wait_for_load_state()
    page.reload()
    page.wait_for_load_state()
    assert _feedback_count(live_server) == before + 1


def test_administration_datenschutz_seiten(page, live_server):
    login(page, live_server, "admin@example.org")
    page.goto(f"{live_server.url}/privacy-requests/")
    assert page.get_by_role("heading", name="Datenschutz-Anfragen", level=1).is_visible()
    assert_accessible(page, "Datenschutz-Anfragen")
    page.goto(f"{live_server.url}/privacy-requests/audit")
    assert_accessible(page, "Änderungsprotokoll")
    screenshot(page, JOURNEY, "aenderungsprotokoll")
    with live_server.app.app_context():
        from planner.people.models import Person

        person_id = db.session.scalar(select(Person.id).where(Person.email == "expertin@example.org"))
    page.goto(f"{live_server.url}/people/{person_id}")
    page.get_by_role("link", name="Datenauskunft (JSON)").click()
    assert_accessible(page, "Datenauskunft")
    page.goto(f"{live_server.url}/privacy-requests/people/{person_id}/erase")
    assert_accessible(page, "Löschen")
    page.goto(f"{live_server.url}/accounts/users")
    assert_accessible(page, "Benutzerkonten")
