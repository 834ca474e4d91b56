"""Das Strategieteam findet das Codebuch der Demo (Handlungsfelder und Unterthemen) vor, codiert weitere Kommentare
der Bürgerbefragung mit der Tastatur (Vorschlag übernehmen mit A, nächster Kommentar mit J), übernimmt einen
Vorschlag für alle ähnlichen Kommentare und sieht die Auswertung: Codes nach Stadtbezirk und repräsentative
Kommentare."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, assert_focus_visible, login, screenshot

pytestmark = pytest.mark.e2e

JOURNEY = "coding"
STRATEGY = "strategie@example.org"


def coded_count(page) -> int:
    text = page.locator("#coding-queue > p.kern-body").first.inner_text()
    return int(re.match(r"([\d.]+) von", text).group(1).replace(".", ""))


def test_strategieteam_codiert_kommentare_mit_der_tastatur(page, live_server):
    base = live_server.url
    login(page, live_server, STRATEGY)

    page.goto(f"{base}/surveys/codebook")
    # The demo's team started the codebook from the action fields and added topics (sub-codes); starting it again
    # creates nothing twice.
    expect(page.get_by_role("rowheader", name="MOB.parken")).to_be_visible()
    page.get_by_role("button", name="Für jedes Handlungsfeld einen Code anlegen").click()
    expect(page.get_by_text("0 Codes aus den Handlungsfeldern angelegt.")).to_be_visible()
    screenshot(page, JOURNEY, "01-codebuch")
    assert_accessible(page, "Codebuch")

    page.goto(f"{base}/surveys/")
    page.get_by_role("link", name="Online-Bürgerbefragung Smart City Essen").click()
    page.get_by_role("link", name="Kommentare codieren").click()
    expect(page.get_by_role("heading", name=re.compile("^Kommentare codieren:"))).to_be_visible()
    assert page.get_by_text(re.compile(r"^Vorschlag: [A-Z]{3}(\.[a-z_-]+)? – ")).count() > 0
    screenshot(page, JOURNEY, "02-warteschlange")
    assert_accessible(page, "Codieren")
    before = coded_count(page)

    # The keyboard: the first comment's accept button, A accepts, the queue comes back with the focus on it.
    first = page.locator("[data-coding-item]").first
    first_id = first.get_attribute("id")
    first.locator("[data-key='a']").focus()
    assert_focus_visible(page, "Vorschlag übernehmen")
    page.keyboard.press("a")
    expect(page.locator(f"#{first_id}")).to_have_count(0)
    expect(page.locator("#coding-queue [role=status]")).to_contain_text("Vorschlag für Kommentar")
    assert coded_count(page) == before + 1
    focused = page.evaluate("document.activeElement.closest('[data-coding-item]')?.id")
    assert focused == page.locator("[data-coding-item]").first.get_attribute("id")
    page.keyboard.press("j")
    second = page.evaluate("document.activeElement.closest('[data-coding-item]')?.id")
    assert second == page.locator("[data-coding-item]").nth(1).get_attribute("id")

    # Accept for all similar comments at once (S).
    page.keyboard.press("s")
    expect(page.locator("#coding-queue [role=status]")).to_contain_text("ähnliche")
    assert coded_count(page) > before + 2
    screenshot(page, JOURNEY, "03-nach-dem-codieren")

    page.get_by_role("link", name="Was die Kommentare sagen").first.click()
    expect(page.get_by_role("heading", name=re.compile("^Was die Kommentare sagen:"))).to_be_visible()
    expect(page.locator("caption", has_text="Codes nach „Stadtbezirk“")).to_be_visible()
    assert page.get_by_role("group").count() >= 1  # the representative comments of a code
    screenshot(page, JOURNEY, "04-auswertung")
    assert_accessible(page, "Auswertung")
