"""Das Strategieteam sieht die Ergebnisse der Bürgerbefragung 2022, lädt eine zweite Welle als CSV hoch,
wendet die gespeicherte Zuordnung an, scheitert zunächst an einer E-Mail-Spalte (personenbezogene Daten),
ignoriert sie, prüft die Vorschau, importiert, sieht die veränderte Rangfolge der Handlungsfelder und
schreibt eine Priorisierung fest."""

import random
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    assert_accessible,
    assert_focus_visible,
    choose_option,
    focus_by_keyboard,
    login,
    login_by_keyboard,
    screenshot,
)

pytestmark = pytest.mark.e2e

JOURNEY = "survey"
STRATEGY = "strategie@example.org"
# The second wave: economy and science come first, mobility falls behind.
SECOND_WAVE = [
    ("Mobilität & Infrastruktur", "MOB", 0.15, 2.2),
    ("Bürger-Services", "SER", 0.45, 4.0),
    ("Bildung", "BIL", 0.4, 3.9),
    ("Umwelt", "UMW", 0.4, 3.8),
    ("Gesundheit", "GES", 0.35, 3.7),
    ("Wohnen & Quartiere", "WOH", 0.3, 3.5),
    ("Wirtschaft & Wissenschaft", "WWF", 0.95, 5.0),
]


def field_rank(page, code: str) -> int:
    table = page.locator("table", has=page.locator("caption", has_text="Handlungsfelder nach Prioritätswert"))
    row = table.locator("tbody tr", has=page.locator("th", has_text=re.compile(rf"^{code} –")))
    return int(row.locator("td").first.inner_text().strip())


def test_strategieteam_importiert_zweite_welle(page, live_server, tmp_path):
    from planner.surveys.demo import generate_csv

    base = live_server.url
    login(page, live_server, STRATEGY)

    # Die Ergebnisse der ersten Welle mit den veröffentlichten Kernergebnissen.
    page.goto(f"{base}/surveys/")
    page.get_by_role("link", name="Online-Bürgerbefragung Smart City Essen").click()
    expect(page.get_by_role("heading", name="Online-Bürgerbefragung Smart City Essen")).to_be_visible()
    assert page.get_by_text("Digitalisierung im Alltag sehr wichtig").count() == 1
    assert page.locator("svg title").count() >= 3
    screenshot(page, JOURNEY, "01-ergebnisse")
    assert_accessible(page, "Ergebnisse")

    page.goto(f"{base}/surveys/priorities")
    before = field_rank(page, "WWF")
    mob_before = field_rank(page, "MOB")
    screenshot(page, JOURNEY, "02-priorisierung-vorher")
    assert_accessible(page, "Priorisierung")

    # Zweite Welle hochladen und die gespeicherte Zuordnung anwenden.
    wave = tmp_path / "buergerbefragung-welle-2.csv"
    wave.write_bytes(generate_csv(random.Random(2023), 400, options=SECOND_WAVE, extra_email=True))
    page.goto(f"{base}/surveys/")
    page.get_by_role("link", name="Befragung importieren").click()
    expect(page.get_by_role("heading", name="Befragung importieren")).to_be_visible()
    page.get_by_label("Export der Befragung").set_input_files(str(wave))
    page.get_by_label("Titel").fill("Bürgerbefragung 2. Welle")
    page.get_by_label("Welle").fill("2. Welle 2023")
    page.get_by_label("Gespeicherte Zuordnung anwenden").select_option(label="Bürgerbefragung Smart City (LimeSurvey)")
    screenshot(page, JOURNEY, "03-hochladen")
    assert_accessible(page, "Hochladen")
    page.get_by_role("button", name="Hochladen und weiter").click()
    expect(page.get_by_role("heading", name="Spalten zuordnen")).to_be_visible()
    assert "/mapping" in page.url
    expect(page.get_by_text("Möglicherweise personenbezogene Daten").first).to_be_visible()
    screenshot(page, JOURNEY, "04-zuordnung")
    assert_accessible(page, "Zuordnung")

    # Die E-Mail-Spalte als Freitext übernehmen wollen: abgelehnt, mit verlinkter Fehlermeldung.
    email_question = page.locator("fieldset.survey-question", has_text="E-Mail")
    email_question.get_by_label("Art der Frage").select_option("text")
    page.get_by_role("button", name="Zuordnung speichern und Vorschau zeigen").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    assert "personenbezogene Daten" in summary.inner_text()
    screenshot(page, JOURNEY, "05-zuordnung-fehler")
    assert_accessible(page, "Zuordnung mit Fehler")

    email_question = page.locator("fieldset.survey-question", has_text="E-Mail")
    email_question.get_by_label("Art der Frage").select_option("ignore")
    page.get_by_role("button", name="Zuordnung speichern und Vorschau zeigen").click()
    expect(page.get_by_role("heading", name="Vorschau des Imports")).to_be_visible()
    assert "/preview" in page.url
    assert page.get_by_text("400 vollständige Antworten gelesen").count() == 1
    screenshot(page, JOURNEY, "06-vorschau")
    assert_accessible(page, "Vorschau")
    page.get_by_role("button", name=re.compile("Antworten jetzt importieren")).click()
    expect(page.get_by_text("400 Antworten importiert.")).to_be_visible()
    assert page.get_by_role("heading", name="Bürgerbefragung 2. Welle").count() == 1
    screenshot(page, JOURNEY, "07-zweite-welle")
    assert_accessible(page, "Zweite Welle")

    # Die Rangfolge ändert sich: Wirtschaft & Wissenschaft steigt, Mobilität fällt.
    page.goto(f"{base}/surveys/priorities")
    assert field_rank(page, "WWF") < before
    assert field_rank(page, "MOB") >= mob_before
    screenshot(page, JOURNEY, "08-priorisierung-nachher")

    page.goto(f"{base}/surveys/priorities/sensitivity")
    assert page.get_by_text("stabil").count() >= 1
    screenshot(page, JOURNEY, "09-sensitivitaet")
    assert_accessible(page, "Sensitivität")

    page.goto(f"{base}/surveys/priorities")
    page.get_by_label("Name des Laufs").fill("Priorisierung Frühjahr 2023")
    page.get_by_role("button", name="Lauf festschreiben").click()
    expect(page.get_by_role("heading", name="Priorisierung Frühjahr 2023")).to_be_visible()
    screenshot(page, JOURNEY, "10-lauf")
    assert_accessible(page, "Festgeschriebener Lauf")
    page.goto(f"{base}/surveys/priorities/runs")
    assert page.get_by_role("link", name="Priorisierung Herbst 2022").count() == 1
    assert_accessible(page, "Läufe")


def _enter(page, selector: str) -> None:
    """Tab to a link or button and press Enter: the next page loads."""
    focus_by_keyboard(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_strategieteam_importiert_und_priorisiert_nur_mit_der_tastatur(page, live_server, tmp_path):
    """Die dritte Welle mit der Tastatur allein: Hochladen, Zuordnung (mit Fehler), Vorschau, Import, Lauf."""
    from planner.surveys.demo import generate_csv

    login_by_keyboard(page, live_server, STRATEGY)
    _enter(page, "nav.site-nav a:text-is('Bürgerbefragung')")
    _enter(page, "main a:has-text('Befragung importieren')")
    assert page.locator("h1").inner_text() == "Befragung importieren"

    # Die Datei kommt aus dem Dateidialog des Betriebssystems: das fokussierte Feld bekommt sie.
    wave = tmp_path / "buergerbefragung-welle-3.csv"
    wave.write_bytes(generate_csv(random.Random(2024), 200, options=SECOND_WAVE, extra_email=True))
    focus_by_keyboard(page, "#file")
    page.locator("#file").set_input_files(str(wave))
    focus_by_keyboard(page, "#title")
    page.keyboard.type("Bürgerbefragung 3. Welle")
    focus_by_keyboard(page, "#wave")
    page.keyboard.type("3. Welle 2024")
    focus_by_keyboard(page, "#saved_mapping")
    mapping = page.locator("#saved_mapping option", has_text="Bürgerbefragung Smart City (LimeSurvey)")
    choose_option(page, "#saved_mapping", mapping.get_attribute("value"))
    screenshot(page, JOURNEY, "11-tastatur-hochladen")
    _enter(page, "main form button[type=submit]")
    assert "/mapping" in page.url

    # Die E-Mail-Spalte als Freitext: abgelehnt; der Link in der Fehlerliste führt zum Feld.
    kind = page.locator("fieldset.survey-question", has_text="E-Mail").locator("select[id$='__kind']")
    kind_id = kind.get_attribute("id")
    focus_by_keyboard(page, f"#{kind_id}")
    choose_option(page, f"#{kind_id}", "text")
    _enter(page, "main form button[type=submit]:has-text('Zuordnung speichern und Vorschau zeigen')")
    summary = page.locator("#error-summary")
    assert summary.evaluate("el => el === document.activeElement")
    assert "personenbezogene Daten" in summary.inner_text()
    kind = page.locator("fieldset.survey-question", has_text="E-Mail").locator("select[id$='__kind']")
    kind_id = kind.get_attribute("id")
    focus_by_keyboard(page, f"#error-summary a[href='#{kind_id}']", "Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == kind_id
    assert_focus_visible(page, "field reached from the error summary")
    choose_option(page, f"#{kind_id}", "ignore")
    screenshot(page, JOURNEY, "12-tastatur-zuordnung")
    _enter(page, "main form button[type=submit]:has-text('Zuordnung speichern und Vorschau zeigen')")
    assert "/preview" in page.url
    assert page.get_by_text("200 vollständige Antworten gelesen").count() == 1

    _enter(page, "main form button:has-text('Antworten jetzt importieren')")
    assert "200 Antworten importiert." in page.locator(".flash-messages").inner_text()
    assert page.get_by_role("heading", name="Bürgerbefragung 3. Welle").count() == 1
    assert_accessible(page, "Dritte Welle (Tastatur)")
    screenshot(page, JOURNEY, "13-tastatur-importiert")

    # Priorisierung: über die Unternavigation, Name des Laufs tippen, Enter schickt das Formular ab.
    _enter(page, "nav.survey-subnav a:text-is('Priorisierung')")
    focus_by_keyboard(page, "#freeze-name")
    page.keyboard.type("Priorisierung Tastatur 2024")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Priorisierung Tastatur 2024"
    assert_accessible(page, "Lauf (Tastatur)")
    screenshot(page, JOURNEY, "14-tastatur-lauf")
