"""Ein Bürgerdialog mit offener Anmeldung: Jemand meldet die Adresse einer bekannten Expertin (in Großbuchstaben)
an. Die Seite sagt nur „Bitte öffnen Sie den Link“; an der Expertin ändert sich nichts. Erst der Link aus der
E-Mail und der Klick auf „Anmeldung bestätigen“ melden an; ihre Einwilligung bleibt, wie sie war."""

import email
import re
from datetime import date, time, timedelta
from email import policy
from pathlib import Path

import pytest

from tests.e2e.conftest import assert_accessible, screenshot

pytestmark = pytest.mark.e2e

JOURNEY = "registration"
KNOWN = "expertin@example.org"


def outbox(server) -> list:
    folder = Path(server.app.instance_path) / "outbox"
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]


@pytest.fixture(scope="module")
def dialogue(live_server):
    from planner.core.timeutil import local_datetime
    from planner.extensions import db
    from planner.workshops.models import Workshop, WorkshopFormat, WorkshopKind, WorkshopStatus

    with live_server.app.app_context():
        day = date.today() + timedelta(days=60)
        workshop = Workshop(
            kind=WorkshopKind.CITIZEN_DIALOGUE, title="Bürgerdialog Smarte Quartiere",
            description="Offener Bürgerdialog.", format=WorkshopFormat.IN_PERSON,
            starts_at=local_datetime(day, time(17, 0)), ends_at=local_datetime(day, time(19, 0)),
            location="Rathaus, Ratssaal", capacity=50, status=WorkshopStatus.SCHEDULED,
        )
        db.session.add(workshop)
        db.session.commit()
        return workshop.id


def _expert(live_server):
    from planner.extensions import db
    from planner.people.models import Person

    with live_server.app.app_context():
        person = db.session.query(Person).filter_by(email=KNOWN).one()
        return (person.first_name, person.last_name, person.has_consent, person.consent_text, person.consent_at,
                [p.workshop_id for p in person.participations])


def test_anmeldung_nur_mit_dem_link_aus_der_email(page, live_server, dialogue):
    before = _expert(live_server)
    sent_before = len(outbox(live_server))
    page.goto(f"{live_server.url}/workshops/{dialogue}/register")
    page.get_by_label("Vorname", exact=True).fill("Mallory")
    page.get_by_label("Nachname", exact=True).fill("Fremd")
    page.get_by_label("E-Mail-Adresse", exact=True).fill(KNOWN.upper())
    page.get_by_label(re.compile("Ich willige ein")).check()
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()
    assert "Bitte öffnen Sie den Link" in page.locator("main").inner_text()
    assert _expert(live_server) == before, "a public form changes no one"

    [mail] = outbox(live_server)[sent_before:]
    assert mail["To"] == KNOWN
    path = re.search(r"https?://[^/\s]+(/workshops/register/confirm/\S+)",
                     mail.get_body(("plain",)).get_content()).group(1)
    page.goto(live_server.url + path)
    assert _expert(live_server) == before, "opening the link changes nothing"
    assert_accessible(page, "Anmeldung bestätigen")
    screenshot(page, JOURNEY, "01-bestaetigen")
    page.get_by_role("button", name="Anmeldung bestätigen").click()
    page.wait_for_load_state()
    assert "Sie sind angemeldet" in page.locator("main").inner_text()
    after = _expert(live_server)
    assert after[:5] == before[:5], "name and consent stay as they were"
    assert dialogue in after[5]
    assert_accessible(page, "Anmeldung bestätigt")
