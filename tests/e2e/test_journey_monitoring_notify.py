"""Nach dem Beschluss: Eine Bürgerin lässt sich ohne Konto über eine Maßnahme benachrichtigen und bestätigt ihre
Adresse über den Link aus der E-Mail; das Strategieteam meldet einen neuen Status und schreibt die offizielle
Antwort; die Bürgerin erhält die Nachricht und beendet die Benachrichtigung mit dem Link darin."""

import email
import re
from email import policy
from pathlib import Path

import pytest

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e

JOURNEY = "monitoring_notify"
CITIZEN = "nachbarin@example.org"


def outbox(server) -> list:
    folder = Path(server.app.instance_path) / "outbox"
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]


def link_in(message, part: str) -> str:
    return next(link for link in re.findall(r"http://\S+", message.get_content()) if part in link)


def test_benachrichtigung_bestaetigt_status_gemeldet_und_abbestellt(page, browser, live_server):
    from sqlalchemy import select

    from planner.extensions import db
    from planner.monitoring.models import ActionStatus, MonitoredAction

    with live_server.app.app_context():
        action = db.session.scalars(select(MonitoredAction).where(
            MonitoredAction.status.in_([ActionStatus.ON_TRACK, ActionStatus.NOT_STARTED]))
            .order_by(MonitoredAction.id)).first()
        action_id, label = action.id, action.measure.label
        measure_id, field_code = action.measure_id, action.measure.field.code

    # The citizen, without an account, goes from the public dashboard to the field and the measure, and asks to be
    # told.
    citizen_context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    citizen = citizen_context.new_page()
    citizen.goto(f"{live_server.url}/monitoring/public")
    citizen.locator(f"main a[href='/monitoring/public/fields/{field_code}']").click()
    citizen.get_by_role("link", name=label, exact=True).click()
    assert citizen.url.endswith(f"/monitoring/public/measures/{measure_id}")
    assert_accessible(citizen, "public measure page")
    citizen.get_by_role("link", name=f"Per E-Mail benachrichtigen, wenn sich der Stand von {label} ändert").click()
    assert_accessible(citizen, "follow form")
    citizen.get_by_label("Ihre E-Mail-Adresse").fill(CITIZEN)
    citizen.get_by_role("button", name="Benachrichtigen").click()
    assert "Bitte stimmen Sie zu" in citizen.content()  # consent is asked for, never assumed
    assert_accessible(citizen, "follow form with errors")
    citizen.get_by_label("Ich möchte per E-Mail benachrichtigt werden", exact=False).check()
    citizen.get_by_role("button", name="Benachrichtigen").click()
    citizen.wait_for_load_state()
    assert "Fast geschafft" in citizen.content()

    confirmation = next(m for m in outbox(live_server) if m["To"] == CITIZEN)
    citizen.goto(link_in(confirmation, "/follow/confirm/"))
    assert_accessible(citizen, "confirm page")
    screenshot(citizen, JOURNEY, "bestaetigen")
    citizen.get_by_role("button", name="Bestätigen").click()
    citizen.wait_for_load_state()
    assert "Vielen Dank" in citizen.content()

    # The strategy team reports a new status and publishes the official answer.
    login(page, live_server, "strategie@example.org")
    page.goto(f"{live_server.url}/monitoring/actions/{action_id}")
    page.get_by_label("Status", exact=True).select_option("delayed")
    page.get_by_label("Was geschehen ist").fill("Die Vergabe verzögert sich um ein Quartal.")
    page.get_by_role("button", name="Sachstand speichern").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/monitoring/actions/{action_id}/answer")
    assert_accessible(page, "official answer form")
    page.get_by_label("Die offizielle Antwort der Stadt").fill("Danke für Ihre Idee: Sie wird 2027 umgesetzt.")
    page.get_by_role("button", name="Antwort").click()
    page.wait_for_load_state()
    assert "Danke für Ihre Idee" in page.content()

    news = [m for m in outbox(live_server) if m["To"] == CITIZEN][-1]
    assert "Neuer Status" in news["Subject"] and "„verzögert“" in news.get_content()
    citizen.goto(link_in(news, f"/monitoring/public/measures/{measure_id}"))
    assert "Danke für Ihre Idee: Sie wird 2027 umgesetzt." in citizen.content()

    # The citizen ends it with the link in the mail: no account, the address is deleted.
    citizen.goto(link_in(news, "/follow/stop/"))
    assert_accessible(citizen, "stop page")
    citizen.get_by_role("button", name="E-Mails beenden").click()
    citizen.wait_for_load_state()
    assert "Ihre Adresse wurde gelöscht" in citizen.content()
    screenshot(citizen, JOURNEY, "abbestellt")
    citizen_context.close()
