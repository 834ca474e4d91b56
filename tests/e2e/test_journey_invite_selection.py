"""Die Moderation wählt Fachleute über mehrere Seiten und einen Filterwechsel hinweg aus: Die Häkchen bleiben
erhalten, die Auswahl zählt alle Seiten, sie lässt sich prüfen und einzeln bereinigen, bevor der
Bestätigungsschritt alle Ausgewählten zeigt."""

import re
from datetime import date, time, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e

JOURNEY = "invite_selection"
FACILITATOR = "moderation@example.org"


def test_auswahl_bleibt_ueber_seiten_und_filter_erhalten(page, live_server):
    from planner.core.timeutil import local_datetime
    from planner.extensions import db
    from planner.workshops.models import Workshop, WorkshopFormat, WorkshopStatus

    with live_server.app.app_context():
        day = date.today() + timedelta(days=100)
        workshop = Workshop(title="Workshop 7: Auswahl über Seiten", format=WorkshopFormat.VIRTUAL,
                            starts_at=local_datetime(day, time(9, 0)), ends_at=local_datetime(day, time(16, 0)),
                            status=WorkshopStatus.SCHEDULED)
        db.session.add(workshop)
        db.session.commit()
        wid = workshop.id
    login(page, live_server, FACILITATOR)
    page.goto(f"{live_server.url}/invitations/workshop/{wid}/invite")
    boxes = page.locator(".invite-form input[name=person_id]:not([disabled])")
    for i in range(2):
        boxes.nth(i).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Nächste Seite").click()
    assert "page=2" in page.url
    summary = page.locator("#selection-summary")
    expect(summary).to_contain_text("2 Personen ausgewählt")
    page.locator(".invite-form input[name=person_id]:not([disabled])").first.check()
    expect(summary).to_contain_text("3 Personen ausgewählt")
    # The sector balance is said once, in the sentence (the script's per-sector list stays hidden).
    assert summary.inner_text().count("Verwaltung") == 1
    expect(page.locator("#selection-balance")).to_be_hidden()
    # A filter: the ticks of page 2 are kept too.
    page.get_by_label("Sektor").select_option(label="Wissenschaft")
    with page.expect_navigation():
        page.get_by_role("button", name="Filtern").click()
    expect(summary).to_contain_text("3 Personen ausgewählt")
    page.locator(".selection-review summary").click()
    review = page.locator(".selection-review__list li")
    expect(review).to_have_count(3)
    assert_accessible(page, "Auswahl über Seiten prüfen")
    screenshot(page, JOURNEY, "01-auswahl-pruefen")
    # Remove one from the review, then continue: the confirmation counts the rest.
    with page.expect_navigation():
        review.first.get_by_role("button", name=re.compile("aus der Auswahl entfernen")).click()
    expect(summary).to_contain_text("2 Personen ausgewählt")
    with page.expect_navigation():
        page.get_by_role("button", name="Weiter mit den ausgewählten Personen").first.click()
    assert "2 Personen werden per E-Mail eingeladen" in page.locator("main").inner_text()
