"""Ein persönlicher Link, der während des Workshops ungültig wird (abgelaufen oder zurückgezogen): Die offene Wand
trennt sich und sagt es sichtbar – nicht nur ausgegraute Knöpfe und ein Hinweis allein für Screenreader."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from planner.core.models import utcnow
from planner.extensions import db
from planner.invitations.models import Invitation
from tests.e2e.conftest import login
from tests.e2e.test_journey_wall import _scene

pytestmark = pytest.mark.e2e


def test_ein_ungueltig_gewordener_link_wird_sichtbar_gemeldet(browser, browser_context_args, live_server):
    block_id, token, _measures = _scene(live_server)
    contexts = [browser.new_context(**browser_context_args) for _ in range(2)]
    moderation, gast = (context.new_page() for context in contexts)
    try:
        login(moderation, live_server, "moderation@example.org")
        moderation.goto(f"{live_server.url}/wall/block/{block_id}")
        if moderation.get_by_role("button", name="Wand öffnen").count():
            with moderation.expect_navigation():
                moderation.get_by_role("button", name="Wand öffnen").click()
        gast.goto(f"{live_server.url}/wall/l/{token}/block/{block_id}")
        alert = gast.get_by_role("alert").filter(has_text="Ihr Link gilt nicht mehr")
        expect(alert).to_have_count(0)
        with live_server.app.app_context():
            for invitation in db.session.scalars(select(Invitation).where(Invitation.expires_at > utcnow())):
                invitation.expires_at = utcnow() - timedelta(minutes=1)
            db.session.commit()
        expect(alert).to_be_visible(timeout=10_000)
        expect(gast.get_by_role("button", name="Karte anheften")).to_be_disabled()
    finally:
        for context in contexts:
            context.close()
