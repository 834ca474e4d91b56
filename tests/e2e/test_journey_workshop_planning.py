"""Die Moderation plant einen fünften Workshop: anlegen (hybrid, zwei Handlungsfelder), Konfliktwarnung
bestätigen, Tagesordnung mit vier Blöcken bauen, einen Block verschieben, Druckfassung öffnen, .ics laden.
Eine Variante legt den Workshop nur mit der Tastatur an (Tab, Enter, Leertaste, Pfeiltasten)."""

import re

import pytest
import vobject
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, focus_by_keyboard, login, screenshot

pytestmark = pytest.mark.e2e

JOURNEY = "workshop_planning"
FACILITATOR = "moderation@example.org"


def test_moderation_plant_workshop_5_mit_tagesordnung_und_kalender(page, live_server, tmp_path):
    login(page, live_server, FACILITATOR)
    page.goto(live_server.url + "/workshops/")
    assert_accessible(page, "Workshopliste")
    assert "Bürgerdialog" in page.locator("main table").inner_text()
    screenshot(page, JOURNEY, "01-liste")

    page.get_by_role("link", name="Neuer Workshop").click()
    page.get_by_label("Titel").fill("Workshop 5: Smarte Services und Smarte Bildung")
    page.get_by_label("Reihe").select_option(label="Strategie-Workshops 2022")
    page.get_by_label("SER – Smarte Services / Verwaltung").check()
    page.get_by_label("BIL – Smarte Bildung").check()
    page.get_by_label("Hybrid").check()
    page.get_by_label("Datum", exact=True).fill("2022-06-14")
    page.get_by_label("Beginn (Uhrzeit)").fill("09:00")
    page.get_by_label("Ende (Uhrzeit)").fill("12:00")
    page.get_by_label("Ort").fill("Rathaus Essen, Raum 1")
    page.get_by_label("Videolink").fill("https://video.example.org/workshop-5")
    page.get_by_label("Plätze").fill("40")
    assert_accessible(page, "Workshop anlegen")
    screenshot(page, JOURNEY, "02-formular")
    page.get_by_role("button", name="Speichern", exact=True).click()

    # The date lies after the series' period (and in the past): a warning, nothing saved yet, then "Trotzdem
    # speichern".
    warning = page.locator("#conflicts")
    assert "außerhalb des Zeitraums der Reihe" in warning.inner_text()
    assert "liegt in der Vergangenheit" in warning.inner_text()
    assert_accessible(page, "Konfliktwarnung")
    screenshot(page, JOURNEY, "03-konfliktwarnung")
    with page.expect_navigation():
        page.get_by_role("button", name="Trotzdem speichern").click()
    assert "als Entwurf angelegt" in page.locator(".flash-messages").inner_text()
    assert "Smarte Bildung" in page.locator("main").inner_text()
    workshop_url = page.url
    assert_accessible(page, "Workshopseite")
    screenshot(page, JOURNEY, "04-workshop")

    page.locator("nav.object-actions").get_by_role("link", name="Tagesordnung", exact=True).click()
    add = page.locator("form.agenda-form--add")
    for title, kind, minutes in (
        ("Begrüßung", "Begrüßung", "15"),
        ("Status quo der Services", "Status quo", "60"),
        ("Handlungsbedarfe", "Handlungsbedarfe", "60"),
        ("Abschluss", "Abschluss", "30"),
    ):
        add.locator("#title").fill(title)
        add.locator("#kind").select_option(label=kind)
        add.locator("#duration_minutes").fill(minutes)
        add.get_by_role("button", name="Zur Tagesordnung hinzufügen").click()
        expect(page.locator("#agenda-announce")).to_contain_text(f"„{title}“ wurde der Tagesordnung hinzugefügt")
    rows = page.locator(".agenda-list .agenda-item")
    assert rows.count() == 4
    assert "09:15–10:15" in rows.nth(1).inner_text()
    assert page.locator(".capture-mark").count() == 2
    assert "endet um 11:45" in page.locator(".agenda-summary").inner_text()

    # "Handlungsbedarfe" moves above "Status quo": the times follow.
    row = page.locator(".agenda-item", has_text="Handlungsbedarfe")
    row.get_by_role("button", name=re.compile(r"^Nach oben")).click()
    expect(rows.nth(1)).to_contain_text("Handlungsbedarfe")
    titles = [t.strip() for t in page.locator(".agenda-list .agenda-title").all_inner_texts()]
    assert titles == ["Begrüßung", "Handlungsbedarfe", "Status quo der Services", "Abschluss"]
    assert "09:15–10:15" in rows.nth(1).inner_text()
    assert_accessible(page, "Tagesordnung")
    screenshot(page, JOURNEY, "05-tagesordnung")

    with page.expect_navigation():
        page.get_by_role("link", name="Druckfassung der Tagesordnung").click()
    assert page.locator(".site-nav").count() == 0
    assert "Handlungsbedarfe" in page.locator("table").inner_text()
    assert_accessible(page, "Druckfassung")
    screenshot(page, JOURNEY, "06-druckfassung")

    page.goto(workshop_url)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="In den Kalender (.ics)").click()
    path = tmp_path / "workshop.ics"
    download_info.value.save_as(path)
    event = vobject.readOne(path.read_text(encoding="utf-8")).vevent
    assert event.summary.value == "Workshop 5: Smarte Services und Smarte Bildung"
    assert event.location.value == "Rathaus Essen, Raum 1"
    assert "09:15–10:15 Handlungsbedarfe" in event.description.value
    assert event.url.value == workshop_url
    assert re.fullmatch(r"workshop-\d+@127\.0\.0\.1", event.uid.value)


def native_field_uses_german_order(page, server) -> bool:
    """Native date and time fields follow the browser's UI language (German: TT.MM.JJJJ, 24 h; otherwise
    MM/DD/YYYY, 12 h): typing once tells which keys to press."""
    page.goto(server.url + "/workshops/new")
    focus_by_keyboard(page, "#day")
    page.keyboard.type("21062022")
    return page.locator("#day").input_value() == "2022-06-21"


def test_workshop_nur_mit_der_tastatur_anlegen(page, live_server):
    login(page, live_server, FACILITATOR)
    german = native_field_uses_german_order(page, live_server)
    keys = ({"day": "21062022", "start": "1000", "end": "1500"} if german
            else {"day": "06212022", "start": "1000AM", "end": "0300PM"})
    page.goto(live_server.url + "/workshops/new")
    focus_by_keyboard(page, "#title")
    page.keyboard.type("Workshop 6: Tastatur")
    focus_by_keyboard(page, "#fields-0")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    focus_by_keyboard(page, "#format-0")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.locator("#format-2").is_checked()  # hybrid
    focus_by_keyboard(page, "#day")
    page.keyboard.type(keys["day"])
    focus_by_keyboard(page, "#start_time")
    page.keyboard.type(keys["start"])
    focus_by_keyboard(page, "#end_time")
    page.keyboard.type(keys["end"])
    assert page.locator("#day").input_value() == "2022-06-21"
    assert (page.locator("#start_time").input_value(), page.locator("#end_time").input_value()) == ("10:00", "15:00")
    focus_by_keyboard(page, "#location")
    page.keyboard.type("Haus der Technik")
    focus_by_keyboard(page, "#video_link")
    page.keyboard.type("https://video.example.org/workshop-6")
    screenshot(page, JOURNEY, "07-tastatur-formular")
    focus_by_keyboard(page, "main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # A date in the past is probably a typing error: a warning, confirmed by keyboard as well.
    assert "liegt in der Vergangenheit" in page.locator("#conflicts").inner_text()
    focus_by_keyboard(page, "main form button[name=confirm_conflicts]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "als Entwurf angelegt" in page.locator(".flash-messages").inner_text()
    main = page.locator("main").inner_text()
    assert "Workshop 6: Tastatur" in main and "Hybrid" in main and "Haus der Technik" in main
    assert_accessible(page, "Workshop per Tastatur angelegt")
    screenshot(page, JOURNEY, "08-tastatur-angelegt")


def test_reihen_kalender_vernetzung_und_anmeldung_sind_barrierefrei(page, live_server):
    login(page, live_server, FACILITATOR)
    for path in ("/workshops/series", "/workshops/1/duplicate", "/workshops/1/networking",
                 "/workshops/?kind=citizen_dialogue", "/workshops/1/save-as-template"):
        page.goto(live_server.url + path)
        assert_accessible(page, path)
    with page.expect_navigation():
        page.get_by_role("button", name="Vorlage speichern").click()
    assert "Neue Workshops können mit ihr beginnen" in page.locator(".flash-messages").inner_text()
    assert_accessible(page, "Workshop-Vorlagen")
    screenshot(page, JOURNEY, "09-vorlagen")
    page.goto(live_server.url + "/workshops/calendar")
    page.get_by_role("row", name=re.compile("Beteiligung 2022")).get_by_role("button", name="Link erstellen").click()
    link = page.get_by_label("Kalenderlink").input_value()
    assert "/workshops/feeds/series/" in link
    assert_accessible(page, "Kalenderlinks")
    screenshot(page, JOURNEY, "09-kalenderlink")
    feed = page.request.get(link)
    assert feed.ok and "Bürgerdialog Smart City Essen" in vobject.readOne(feed.text()).vevent.summary.value

    page.context.clear_cookies()
    login(page, live_server, "expertin@example.org")
    page.goto(live_server.url + "/workshops/1/networking")
    assert "@" in page.locator("main table").inner_text()
    assert_accessible(page, "Vernetzung (Expertin)")
    screenshot(page, JOURNEY, "10-vernetzung")
    page.get_by_role("link", name="Ändern").click()
    assert_accessible(page, "Kontaktdaten teilen")

    page.context.clear_cookies()
    page.goto(live_server.url + "/workshops/5/register")
    assert "Anmeldung zu dieser Veranstaltung ist geschlossen" in page.locator("main").inner_text()
    assert_accessible(page, "Anmeldung Bürgerdialog")
