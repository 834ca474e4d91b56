"""Eine abgelaufene Sitzung führt zur Anmeldung und zurück zum Formular, ohne dass Getipptes verloren geht: der
Browser hält einen Entwurf (sessionStorage), stellt ihn nach der Anmeldung wieder her, kündigt das an und
verwirft ihn, sobald das Formular erfolgreich gesendet ist. Passwörter werden nie gespeichert."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD, assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e

JOURNEY = "session_drafts"
REVIEWER = "pruefung@example.org"
STRATEGY = "strategie@example.org"
COMMENT = "Bitte im Leitbild die Ziele für 2030 als Kennzahlen nennen."


def drafts(page) -> dict:
    return page.evaluate(
        "() => Object.fromEntries(Object.keys(sessionStorage)"
        ".filter(k => k.startsWith('planner.draft:')).map(k => [k, sessionStorage.getItem(k)]))")


def sign_in_here(page, email: str) -> None:
    """Signs in on the sign-in page the browser was sent to (keeps its ?next=)."""
    assert "/login" in page.url
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/login" not in page.url


def notice(page):
    return page.locator(".draft-notice [role=status]")


def expert_workshop_id(server) -> int:
    """The first workshop the demo expert has accepted: she may capture findings there."""
    from sqlalchemy import select

    from planner.extensions import db
    from planner.people.models import Person
    from planner.workshops.models import Participation, Workshop, WorkshopStatus

    with server.app.app_context():
        workshop = db.session.scalar(
            select(Workshop).join(Participation, Participation.workshop_id == Workshop.id)
            .join(Person, Person.id == Participation.person_id)
            .where(Person.email == "expertin@example.org", Participation.invitation_status == "accepted")
            .order_by(Workshop.starts_at))
        # The demo's workshops are documented (closed to experts): the facilitator reopened this one.
        workshop.status = WorkshopStatus.HELD
        db.session.commit()
        return workshop.id


def round_url(page, server) -> str:
    page.goto(f"{server.url}/strategy/my-rounds")
    page.get_by_role("link", name="Abstimmung mit dem Ratsausschuss Digitalisierung").click()
    page.wait_for_load_state()
    return page.url


def test_kommentar_ueberlebt_die_abgelaufene_sitzung(page, live_server):
    login(page, live_server, REVIEWER)
    url = round_url(page, live_server)
    form = page.locator("form[action$='/comments']")
    form.get_by_label("Kommentar zu").select_option(label="Abschnitt: Leitbild 2040")
    form.get_by_label("Kommentar", exact=True).fill(COMMENT)
    stored = drafts(page)
    assert len(stored) == 1 and COMMENT in next(iter(stored.values()))
    assert "csrf_token" not in next(iter(stored.values()))

    # The session cookie is gone (expired, browser restarted): the form is sent anyway.
    page.context.clear_cookies()
    with page.expect_navigation():
        form.get_by_role("button", name="Kommentar speichern").click()
    assert "/login" in page.url
    assert "Ihre Sitzung war abgelaufen" in page.locator(".flash-messages").inner_text()
    sign_in_here(page, REVIEWER)

    # Back on the round page (the comment URL takes POST only), the text is back and the notice says so.
    assert page.url == url
    form = page.locator("form[action$='/comments']")
    assert form.get_by_label("Kommentar", exact=True).input_value() == COMMENT
    assert form.get_by_label("Kommentar zu").locator("option:checked").inner_text() == "Abschnitt: Leitbild 2040"
    expect(notice(page)).to_have_text(re.compile("Wiederhergestellt"))
    assert page.get_by_role("status").filter(has_text="Wiederhergestellt").count() == 1
    assert page.get_by_role("button", name="Wiederhergestellte Eingaben verwerfen").is_visible()
    assert not any(DEMO_PASSWORD in value for value in drafts(page).values())
    assert_accessible(page, "round page with the restored draft")
    screenshot(page, JOURNEY, "01-entwurf-wiederhergestellt")

    # Sent successfully: the comment is saved once, the draft is gone, the form is empty when opened again.
    with page.expect_navigation():
        form.get_by_role("button", name="Kommentar speichern").click()
    assert "Ihr Kommentar wurde gespeichert." in page.locator(".flash-messages").inner_text()
    assert page.locator("article.review-comment", has_text=COMMENT).count() == 1
    assert drafts(page) == {}
    page.goto(url)
    assert page.locator("form[action$='/comments'] textarea").input_value() == ""
    assert notice(page).count() == 0


def test_leerlauf_abmeldung_fuehrt_zur_seite_des_formulars_zurueck(page, live_server):
    """Signed out after idling: the freeze form posts to a POST-only URL; sign-in leads to the paper page."""
    login(page, live_server, STRATEGY)
    page.goto(f"{live_server.url}/strategy/")
    note = "Entwurf nach der Sitzung des Lenkungskreises"
    page.get_by_label("Notiz zu dieser Version").fill(note)
    app = live_server.app
    idle = app.config["IDLE_TIMEOUT_MINUTES"]
    app.config["IDLE_TIMEOUT_MINUTES"] = -1  # every session counts as idle
    try:
        with page.expect_navigation():
            page.get_by_role("button", name="Als neue Version festschreiben").click()
    finally:
        app.config["IDLE_TIMEOUT_MINUTES"] = idle
    assert "/login" in page.url
    assert "Inaktivität" in page.locator(".flash-messages").inner_text()
    sign_in_here(page, STRATEGY)
    assert page.url == f"{live_server.url}/strategy/"  # where the form was, not its action /strategy/versions
    assert page.get_by_label("Notiz zu dieser Version").input_value() == note
    expect(notice(page)).to_have_text(re.compile("Wiederhergestellt"))

    # Discarding empties the field again and removes the draft.
    discard = page.get_by_role("button", name="Wiederhergestellte Eingaben verwerfen")
    discard.focus()
    page.keyboard.press("Enter")
    field = page.get_by_label("Notiz zu dieser Version")
    assert field.input_value() == ""
    assert field.evaluate("el => el === document.activeElement")  # the focus is not lost with the button
    expect(notice(page)).to_have_text(re.compile("verworfen"))
    assert drafts(page) == {}
    page.reload()
    assert notice(page).count() == 0


def test_fehlerseite_behaelt_den_entwurf(page, live_server):
    """A validation error keeps the draft (the server shows the text again); back on the form page it returns."""
    login(page, live_server, REVIEWER)
    url = round_url(page, live_server)
    text = "Ohne Bezug abgeschickt: bitte die Beteiligung der Quartiere beschreiben."
    page.locator("form[action$='/comments'] textarea").fill(text)
    with page.expect_navigation():
        page.get_by_role("button", name="Kommentar speichern").click()
    assert page.locator("#error-summary").is_visible()
    assert page.locator("form[action$='/comments'] textarea").input_value() == text  # rendered by the server
    assert notice(page).count() == 0
    assert any(text in value for value in drafts(page).values())

    page.goto(url)
    assert page.locator("form[action$='/comments'] textarea").input_value() == text
    expect(notice(page)).to_have_text(re.compile("Wiederhergestellt"))
    form = page.locator("form[action$='/comments']")
    form.get_by_label("Kommentar zu").select_option(label="Abschnitt: Vorwort des Oberbürgermeisters")
    with page.expect_navigation():
        form.get_by_role("button", name="Kommentar speichern").click()
    assert "Ihr Kommentar wurde gespeichert." in page.locator(".flash-messages").inner_text()
    assert drafts(page) == {}


def test_erfassung_mit_htmx_hinterlaesst_keinen_entwurf(page, live_server):
    """The capture form is sent by htmx (no page load): its draft goes once the entry is saved."""
    workshop_id = expert_workshop_id(live_server)
    login(page, live_server, "expertin@example.org")
    page.goto(f"{live_server.url}/findings/workshops/{workshop_id}/capture")
    text = "Ladesäulen fehlen in den Quartieren im Norden."
    expect(page.locator("#text")).to_be_focused()  # autofocus: wait for it, or the first key goes elsewhere
    page.keyboard.type(text)
    assert any(text in value for value in drafts(page).values())
    before = page.locator(".capture-list > li").count()
    page.keyboard.press("Enter")
    page.locator(".capture-list > li").nth(before).wait_for()
    assert drafts(page) == {}
    page.reload()
    assert notice(page).count() == 0


def test_erfassung_mit_htmx_nach_abgelaufener_sitzung(page, live_server):
    """htmx with an expired session: the whole page goes to sign-in (no sign-in form inside the capture list),
    back to the capture page, and the typed entry is restored."""
    workshop_id = expert_workshop_id(live_server)
    login(page, live_server, "expertin@example.org")
    capture = f"{live_server.url}/findings/workshops/{workshop_id}/capture"
    page.goto(capture)
    text = "Mehr Sitzbänke mit Schatten an den Haltestellen."
    expect(page.locator("#text")).to_be_focused()
    page.keyboard.type(text)
    page.context.clear_cookies()
    with page.expect_navigation(url=re.compile(r"/login")):
        page.keyboard.press("Enter")
    assert page.locator(".capture-list #email").count() == 0
    sign_in_here(page, "expertin@example.org")
    assert page.url.startswith(capture)
    expect(notice(page)).to_be_visible()
    expect(page.locator("#text")).to_have_value(text)


def test_passwoerter_werden_nie_gespeichert(page, live_server):
    login(page, live_server, STRATEGY)
    page.goto(f"{live_server.url}/account/password")
    page.get_by_label("Aktuelles Passwort").fill("mein-altes-Geheimnis")
    page.get_by_label("Neues Passwort", exact=True).fill("ein-neues-Geheimnis-2040")
    page.keyboard.press("Tab")
    assert drafts(page) == {}
    values = page.evaluate("() => JSON.stringify(sessionStorage)")
    assert "Geheimnis" not in values
