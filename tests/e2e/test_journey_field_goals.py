"""Das Strategieteam schreibt für ein Handlungsfeld das Zielbild 2040 und seine messbaren Ziele: vom Papier aus
erreicht, ein Fehler wird am Feld genannt, gespeichert steht das Ziel im Entwurf des Papiers; jede Seite ohne
WCAG-Verstoß."""

import pytest

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e

JOURNEY = "field_goals"
STRATEGY = "strategie@example.org"


def test_das_strategieteam_pflegt_die_ziele_eines_handlungsfelds(page, live_server):
    login(page, live_server, STRATEGY)
    page.goto(live_server.url + "/strategy/")
    goals = page.locator("#goals")
    assert "Zielbilder und Ziele der Handlungsfelder" in goals.inner_text()
    goals.get_by_role("link", name="SER Smarte Services / Verwaltung").click()
    assert page.url.endswith("/goals")
    assert page.get_by_label("Zielbild 2040").input_value().startswith("Die Verwaltung ist 2040")
    assert_accessible(page, "Zielbild und Ziele")
    screenshot(page, JOURNEY, "01-ziele")

    page.locator("#goal4_text").fill("Bürgerkonto für alle Leistungen")
    page.get_by_label("Kennzahl (Ziel 4)").fill("Anteil der Leistungen mit Bürgerkonto")
    page.get_by_label("Zielwert (Ziel 4)").fill("100")
    page.get_by_label("Einheit (Ziel 4)").fill("%")
    page.get_by_label("Zieljahr (Ziel 4)").fill("2045")
    page.get_by_role("button", name="Zielbild und Ziele speichern").click()
    summary = page.locator("#error-summary")
    assert "Das Zieljahr darf nicht nach dem Zieljahr der Strategie (2040) liegen." in summary.inner_text()
    assert page.get_by_label("Zieljahr (Ziel 4)").get_attribute("aria-invalid") == "true"
    assert_accessible(page, "Zielbild und Ziele mit Fehler")
    screenshot(page, JOURNEY, "02-fehler")

    page.get_by_label("Zieljahr (Ziel 4)").fill("2030")
    with page.expect_navigation():
        page.get_by_role("button", name="Zielbild und Ziele speichern").click()
    assert "gespeichert" in page.locator(".flash-messages").inner_text()
    assert page.url.endswith("/strategy/#goals")

    page.goto(live_server.url + "/strategy/draft")
    chapter = page.locator("main")
    assert "Leitbild und Ziele 2040" in chapter.inner_text()
    assert "Bürgerkonto für alle Leistungen" in chapter.inner_text()
    screenshot(page, JOURNEY, "03-entwurf")
