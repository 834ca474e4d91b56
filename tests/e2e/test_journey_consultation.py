"""Öffentliche Konsultation: Das Strategieteam stellt eine eingefrorene Version öffentlich zur Diskussion; eine
Bürgerin kommentiert ohne Konto einen Absatz, bestätigt ihre Adresse über den Link aus der E-Mail; das Team
beantwortet den Kommentar, und die Antwort steht öffentlich unter dem Absatz."""

import email
import re
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest

from planner.core.timeutil import local_today
from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e

JOURNEY = "consultation"
CITIZEN = "anwohnerin@example.org"
COMMENT = "Bitte Sitzbänke mit Schatten an den Haltestellen einplanen."
ANSWER = "Danke! Wir nehmen das in die Maßnahme zu smarten Haltestellen auf."


def outbox(server) -> list:
    folder = Path(server.app.instance_path) / "outbox"
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]


@pytest.fixture(scope="module")
def version_number(live_server):
    from planner.extensions import db
    from planner.strategy import versions

    with live_server.app.app_context():
        number = versions.freeze_version(None, "Entwurf für die öffentliche Konsultation").number
        db.session.commit()
        return number


def test_konsultation_kommentar_bestaetigt_und_oeffentlich_beantwortet(page, browser, live_server, version_number):
    # The strategy team opens the version to the public for four weeks.
    login(page, live_server, "strategie@example.org")
    page.goto(f"{live_server.url}/strategy/versions/{version_number}")
    page.get_by_role("link", name="Öffentliche Konsultation").click()
    today = local_today()  # the city's day, as the form reads it
    page.get_by_label("Erster Tag").fill(today.isoformat())
    page.get_by_label("Letzter Tag").fill((today + timedelta(days=28)).isoformat())
    page.get_by_label("Einleitung für die Öffentlichkeit").fill("Was fehlt Ihnen im Entwurf?")
    page.get_by_role("button", name="Konsultation speichern").click()
    page.wait_for_load_state()
    assert "/comments" in page.url
    consultation_url = page.get_by_role("link", name="Öffentliche Seite").get_attribute("href")

    # A citizen, without an account, in another browser context.
    citizen_context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    citizen = citizen_context.new_page()
    citizen.goto(live_server.url + "/")
    citizen.get_by_role("link", name=f"Entwurf des Handlungskonzepts, Version {version_number}").click()
    assert citizen.url.endswith(consultation_url)
    assert_accessible(citizen, "public consultation page")
    citizen.get_by_role("link", name="Kommentar zu Absatz 2", exact=True).click()
    assert_accessible(citizen, "comment form")
    citizen.get_by_label("Ihr Kommentar").fill(COMMENT)
    citizen.get_by_label("Ihr Name (optional)").fill("Anwohnerin aus Rüttenscheid")
    citizen.get_by_label("E-Mail-Adresse", exact=True).fill(CITIZEN)
    citizen.get_by_label(re.compile("Ich bin einverstanden")).check()
    citizen.get_by_role("button", name="Kommentar senden").click()
    citizen.wait_for_load_state()
    assert "Fast geschafft" in citizen.content()
    assert COMMENT not in citizen.locator("main").inner_text()  # nobody sees it before the confirmation

    mail = [m for m in outbox(live_server) if m["To"] == CITIZEN][-1]
    link = re.search(r"(/strategy/consultations/confirm/\S+)", mail.get_body(("plain",)).get_content()).group(1)
    citizen.goto(live_server.url + link)
    assert_accessible(citizen, "confirmation page")
    citizen.get_by_role("button", name="Kommentar bestätigen").click()
    citizen.wait_for_load_state()
    assert "Ihr Kommentar ist bestätigt" in citizen.content()

    # The team answers; the answer publishes the comment.
    page.reload()
    article = page.locator("article", has_text=COMMENT)
    article.get_by_label("Öffentliche Antwort").fill(ANSWER)
    article.get_by_role("button", name="Antwort veröffentlichen").click()
    page.wait_for_load_state()
    assert "Die Antwort ist veröffentlicht." in page.content()

    citizen.goto(live_server.url + consultation_url)
    paragraph = citizen.locator("#p-2")
    assert COMMENT in paragraph.inner_text() and ANSWER in paragraph.inner_text()
    assert CITIZEN not in citizen.content()
    screenshot(citizen, JOURNEY, "answered")

    # Later she erases her comment with the link from the answer mail (Art. 17): it stays, anonymous, with the answer.
    answered = [m for m in outbox(live_server) if m["To"] == CITIZEN][-1]
    erase = re.search(r"(/strategy/consultations/erase/\S+)", answered.get_body(("plain",)).get_content()).group(1)
    citizen.goto(live_server.url + erase)
    assert COMMENT in citizen.locator("main").inner_text()
    assert_accessible(citizen, "erasure page of a commenter")
    citizen.get_by_role("button", name="Meine Kommentare und meine Adresse löschen").click()
    citizen.wait_for_load_state()
    assert "Ihr Kommentar wurde gelöscht" in citizen.content()
    paragraph = citizen.locator("#p-2")
    assert COMMENT in paragraph.inner_text() and "Anwohnerin aus Rüttenscheid" not in paragraph.inner_text()
    citizen_context.close()

    # Her request by letter: the administrator finds what is left under her address (the mails to her in the
    # outbox folder, no comment) and erases it.
    page.context.clear_cookies()
    login(page, live_server, "admin@example.org")
    page.goto(f"{live_server.url}/privacy-requests/")
    page.get_by_role("link", name="Anfrage zu einer E-Mail-Adresse").click()
    page.get_by_label("E-Mail-Adresse").fill(CITIZEN)
    page.get_by_role("button", name="Nachsehen").click()
    page.wait_for_load_state()
    held = page.get_by_role("table", name="Unter der Adresse gespeicherte Einträge und Dateien").inner_text()
    assert "Kommentare öffentlicher Konsultationen" not in held and "Postausgangsordner" in held
    assert_accessible(page, "request for an e-mail address")
    page.get_by_label(re.compile("Ja, alles löschen")).check()
    page.get_by_role("button", name="Jetzt löschen").click()
    page.wait_for_load_state()
    assert "Alles, was unter der Adresse gespeichert war, wurde gelöscht." in page.content()
    assert not [m for m in outbox(live_server) if m["To"] == CITIZEN]
