"""Die Expertin erfasst im Workshop drei Erkenntnisse und einen Maßnahmenvorschlag – nur mit der Tastatur,
die Liste aktualisiert sich ohne Neuladen. Das Strategieteam nimmt eine Maßnahme mit Antwort an und führt
zwei Dubletten zusammen; die Spur (Handlungsbedarf → Maßnahme, zusammengeführt aus) ist sichtbar."""

import re

import pytest
from sqlalchemy import select

from planner.extensions import db
from planner.findings.models import Measure
from planner.people.models import Person
from planner.workshops.models import Participation, Workshop
from tests.e2e.conftest import assert_accessible, choose_option, focus_by_keyboard, login, screenshot

pytestmark = pytest.mark.e2e
JOURNEY = "findings"


def _expert_workshop(server) -> int:
    from planner.workshops.models import WorkshopStatus

    with server.app.app_context():
        workshop = db.session.scalar(
            select(Workshop)
            .join(Participation, Participation.workshop_id == Workshop.id)
            .join(Person, Person.id == Participation.person_id)
            .where(Person.email == "expertin@example.org", Participation.invitation_status == "accepted")
            .order_by(Workshop.starts_at)
        )
        # The demo's workshops are documented (closed to experts): the facilitator reopened this one.
        workshop.status = WorkshopStatus.HELD
        db.session.commit()
        return workshop.id


def _block_value(page, kind_label: str) -> str:
    return page.locator("#block option", has_text=kind_label).first.get_attribute("value")


def _log(page, text: str, kind: str, block_label: str | None, number_before: int) -> None:
    """Block and kind with the keyboard, the text, Enter – and the list grows without a page load."""
    if block_label and page.locator("#block").count():
        focus_by_keyboard(page, "#block")
        choose_option(page, "#block", _block_value(page, block_label))
    focus_by_keyboard(page, "#kind")
    choose_option(page, "#kind", kind)
    focus_by_keyboard(page, "#text")
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.locator(".capture-list > li").nth(number_before).wait_for()
    assert page.locator(".capture-list").inner_text().count(text) == 1


def test_expertin_erfasst_erkenntnisse_und_strategieteam_bewertet(page, live_server):
    workshop_id = _expert_workshop(live_server)
    assert workshop_id, "the demo expert takes part in a workshop"
    login(page, live_server, "expertin@example.org")
    page.goto(f"{live_server.url}/workshops/{workshop_id}")
    assert_accessible(page, "workshop page (expert)")
    with page.expect_navigation():
        page.get_by_role("link", name="Erkenntnisse erfassen").click()
    assert page.locator("h1").inner_text() == "Erkenntnisse erfassen"
    assert page.evaluate("document.activeElement.id") == "text"  # autofocus: type right away
    assert_accessible(page, "capture page")
    screenshot(page, JOURNEY, "01-erfassen")

    page.evaluate("window.__marker = 'no reload'")  # gone if the page were loaded again
    before = page.locator(".capture-list > li").count()
    _log(page, "Viele Pendlerinnen und Pendler nutzen bereits den ÖPNV.", "strength", "Status quo", before)
    _log(page, "Baustellen werden kaum digital koordiniert.", "weakness", None, before + 1)
    _log(page, "Baustellen digital koordinieren und Umleitungen früh anzeigen", "need", "Handlungsbedarfe", before + 2)
    assert page.evaluate("window.__marker") == "no reload"
    status = page.locator(".capture-status").inner_text()
    assert re.search(r"Gespeichert als (MOB|UMW)-B\d\d", status)
    need_number = re.search(r"(\w{3}-B\d\d)", status).group(1)
    screenshot(page, JOURNEY, "02-drei-erkenntnisse")

    # The measure proposal: block, description, title, the need just logged – keyboard only.
    if page.locator("#block").count():
        focus_by_keyboard(page, "#block")
        choose_option(page, "#block", _block_value(page, "Maßnahmen"))
        assert page.locator("#kind").input_value() == "measure"  # the block preselects the kind
    else:
        focus_by_keyboard(page, "#kind")
        choose_option(page, "#kind", "measure")
    focus_by_keyboard(page, "#text")
    page.keyboard.type("Eine Baustellen-Plattform bündelt alle Baustellen und zeigt Umleitungen in Echtzeit.")
    focus_by_keyboard(page, "details.capture-form__measure > summary")
    if page.locator("details.capture-form__measure").get_attribute("open") is None:
        page.keyboard.press("Enter")
    focus_by_keyboard(page, "#title")
    page.keyboard.type("Digitale Baustellenkoordination")
    need_id = page.locator("#needs label", has_text=need_number).get_attribute("for")
    focus_by_keyboard(page, f"#{need_id}")
    page.keyboard.press("Space")
    focus_by_keyboard(page, ".capture-form button[type=submit]")
    page.keyboard.press("Enter")
    page.locator(".capture-list > li.finding-item--measure", has_text="Digitale Baustellenkoordination").wait_for()
    assert page.evaluate("window.__marker") == "no reload"
    measure_text = page.locator(".capture-list > li.finding-item--measure", has_text="Digitale Baustellenkoordination")
    assert need_number in measure_text.inner_text()
    assert_accessible(page, "capture page after four entries")
    screenshot(page, JOURNEY, "03-massnahmenvorschlag")

    # The documentation of the day, grouped by agenda block and field.
    page.goto(f"{live_server.url}/findings/workshops/{workshop_id}/documentation")
    assert need_number in page.locator("main").inner_text()
    assert_accessible(page, "documentation")
    screenshot(page, JOURNEY, "04-dokumentation")

    with live_server.app.app_context():
        proposal = db.session.scalars(select(Measure).where(Measure.title == "Digitale Baustellenkoordination")).one()
        proposal_id, proposal_number = proposal.id, proposal.number
        dashboard = db.session.scalars(select(Measure).where(Measure.title == "Smart City-Dashboard")).one()
        dashboard_id = dashboard.id
        parking = db.session.scalars(select(Measure).where(Measure.title == "Smart Parking in zwei Stadtteilen")).one()
        parking_id, parking_number = parking.id, parking.number

    # The strategy team accepts a measure with an official answer.
    page.locator("form[action='/logout'] button").click()
    login(page, live_server, "strategie@example.org")
    page.goto(f"{live_server.url}/findings/measures/{dashboard_id}")
    assert_accessible(page, "measure fact sheet (strategy team)")
    screenshot(page, JOURNEY, "05-steckbrief")
    page.locator("#status").select_option("accepted")
    page.locator("#answer").fill("Das Dashboard wird 2024 mit den offenen Daten der Stadt aufgebaut.")
    with page.expect_navigation():
        page.get_by_role("button", name="Bewertung speichern").click()
    main = page.locator("main").inner_text()
    assert "Angenommen" in main and "Das Dashboard wird 2024" in main
    assert_accessible(page, "accepted measure")
    screenshot(page, JOURNEY, "06-angenommen")

    # Two duplicates merged: the same idea arrives again from the administration; her proposal is kept.
    page.goto(f"{live_server.url}/findings/measures/new")
    page.locator("#title").fill("Baustellen digital koordinieren")
    page.locator("#field").select_option(index=1)
    page.locator("#description").fill("Doppelter Vorschlag aus der Verwaltung.")
    with page.expect_navigation():
        page.get_by_role("button", name="Speichern").click()
    duplicate_url = page.url
    assert_accessible(page, "new measure")
    page.locator("#kept").select_option(str(proposal_id))
    with page.expect_navigation():
        page.get_by_role("button", name="Mit der gewählten Maßnahme zusammenführen").click()
    assert page.url.endswith(f"/findings/measures/{proposal_id}")
    kept = page.locator("main").inner_text()
    assert "Zusammengeführt aus" in kept and "Baustellen digital koordinieren" in kept
    assert need_number in kept  # need → measure
    assert_accessible(page, "kept measure with merge trail")
    screenshot(page, JOURNEY, "07-zusammengefuehrt")
    page.goto(duplicate_url)
    merged = page.locator("main").inner_text()
    assert "Zusammengeführt in" in merged and proposal_number in merged
    screenshot(page, JOURNEY, "08-dublette")

    # The trace from the need: the measure addressing it is linked on the need's page.
    page.goto(f"{live_server.url}/findings/needs?q={need_number}")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("Baustellen digital koordinieren und")).click()
    assert proposal_number in page.locator("main").inner_text()
    assert_accessible(page, "need with its measure")
    screenshot(page, JOURNEY, "09-bedarf-zu-massnahme")

    # The demo's own merged duplicate stays traceable too.
    page.goto(f"{live_server.url}/findings/measures/{parking_id}")
    parking_page = page.locator("main").inner_text()
    assert "Zusammengeführt aus" in parking_page and "Parkleitsystem mit Sensoren" in parking_page
    assert parking_number in parking_page
    page.goto(f"{live_server.url}/findings/measures/{proposal_id}/history")
    history = page.locator("main").inner_text()
    assert "zusammengeführt" in history and "Handlungsbedarf verknüpft" in history
    assert_accessible(page, "history")
    screenshot(page, JOURNEY, "10-verlauf")
