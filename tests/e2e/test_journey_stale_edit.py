"""Zwei Moderatorinnen bearbeiten denselben Workshop in zwei Browsern (issue 18, Befund 4): die erste speichert,
die zweite sieht statt eines stillen Überschreibens die aktuelle Fassung neben ihren Eingaben (409), vergleicht
und speichert bewusst erneut."""

import pytest

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e

JOURNEY = "stale_edit"
FACILITATOR = "moderation@example.org"


def _open_edit(page, server) -> None:
    page.goto(server.url + "/workshops/")
    page.locator("main table").get_by_role("link", name="Bürgerdialog Smart City Essen").click()
    page.locator("main").get_by_role("link", name="Bearbeiten", exact=True).click()
    assert page.url.endswith("/edit")


def test_zwei_moderatorinnen_speichern_denselben_workshop(page, browser, browser_context_args, live_server):
    other_context = browser.new_context(**browser_context_args)
    other = other_context.new_page()
    try:
        login(page, live_server, FACILITATOR)
        login(other, live_server, FACILITATOR)
        _open_edit(page, live_server)
        _open_edit(other, live_server)

        page.get_by_label("Titel").fill("Bürgerdialog Smart City Essen – Rathaus")
        with page.expect_navigation():
            page.get_by_role("button", name="Speichern", exact=True).click()
        assert "gespeichert" in page.locator(".flash-messages").inner_text()

        other.get_by_label("Titel").fill("Bürgerdialog Smart City Essen – Zeche Zollverein")
        other.get_by_label("Plätze").fill("60")
        response_status = []
        other.on("response", lambda r: response_status.append(r.status) if r.request.method == "POST" else None)
        other.get_by_role("button", name="Speichern", exact=True).click()
        other.wait_for_load_state()
        assert response_status[-1] == 409
        assert "Jemand anderes hat dies inzwischen geändert" in other.locator(".flash-messages").inner_text()
        comparison = other.locator("section.stale-version")
        differing = comparison.locator("tr.stale-version__differs")
        assert differing.count() == 2  # title and places; everything else is the same in both
        title_row = differing.filter(has_text="Titel").inner_text()
        assert "– Rathaus" in title_row and "– Zeche Zollverein" in title_row
        assert other.get_by_label("Titel").input_value() == "Bürgerdialog Smart City Essen – Zeche Zollverein"
        assert_accessible(other, "Konflikt beim Speichern")
        screenshot(other, JOURNEY, "01-konflikt")

        # Compared: she keeps her own title and saves knowingly.
        with other.expect_navigation():
            other.get_by_role("button", name="Speichern", exact=True).click()
        assert "gespeichert" in other.locator(".flash-messages").inner_text()
        assert "Zeche Zollverein" in other.locator("main h1").inner_text()
        screenshot(other, JOURNEY, "02-gespeichert")
    finally:
        other_context.close()
