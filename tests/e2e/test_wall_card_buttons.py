"""Die Knöpfe auf einer Karte (Punkt vergeben, Punkt zurücknehmen, Als themenfremd ausblenden) zeigen ihre
Beschriftung lesbar in der Karte: KERN macht kleine Knöpfe mit verstecktem Text (hier die Kartennummer für
Screenreader) sonst zu 32 px breiten Symbolknöpfen, deren Wörter untereinander stehen und über die Karte ragen."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.e2e.test_journey_wall import _scene

pytestmark = pytest.mark.e2e


def test_kartenknoepfe_lesbar_in_der_karte(browser, browser_context_args, live_server):
    block_id, _token, _measures = _scene(live_server)
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    try:
        login(page, live_server, "moderation@example.org")
        page.goto(f"{live_server.url}/wall/block/{block_id}")
        if page.get_by_role("button", name="Wand öffnen").count():
            with page.expect_navigation():
                page.get_by_role("button", name="Wand öffnen").click()
        page.fill("#post-text", "Zu wenige Radwege im Norden")
        page.get_by_role("button", name="Karte anheften").click()
        card = page.locator(".wall-card", has_text="Zu wenige Radwege im Norden")
        expect(card).to_be_visible()
        page.fill("#vote-dots", "3")
        with page.expect_navigation():
            page.get_by_role("button", name="Punktabfrage starten").click()
        card = page.locator(".wall-card", has_text="Zu wenige Radwege im Norden")
        box = card.bounding_box()
        for name in ("Punkt vergeben", "Punkt zurücknehmen", "Als themenfremd ausblenden"):
            button = card.get_by_role("button", name=name, exact=False)
            expect(button).to_be_visible()
            b = button.bounding_box()
            assert b["x"] >= box["x"] and b["x"] + b["width"] <= box["x"] + box["width"], f"{name} ragt aus der Karte"
            assert b["width"] > 60, f"{name} ist ein schmaler Symbolknopf ({b['width']} px)"
            assert b["height"] < 60, f"{name}: ein Wort pro Zeile ({b['height']} px hoch)"
    finally:
        context.close()
