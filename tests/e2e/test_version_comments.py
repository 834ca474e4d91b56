"""Eine Prüferin liest die festgeschriebene Version in der Leseansicht und kommentiert mit der Tastatur allein einen
Absatz und, in der Kurzfassung, eine einzelne Maßnahme."""

import pytest

from tests.e2e.conftest import assert_accessible, focus_by_keyboard, login_by_keyboard, screenshot

pytestmark = pytest.mark.e2e


def _open_round(server) -> int:
    """A review round on version 2 of the demo with its reviewer as a member."""
    from sqlalchemy import select

    from planner.accounts.models import User
    from planner.extensions import db
    from planner.strategy import versions
    from planner.strategy.models import ReviewRound, ReviewRoundMember

    with server.app.app_context():
        reviewer = db.session.scalar(select(User).where(User.email == "pruefung@example.org"))
        round_ = ReviewRound(version=versions.get_version(2), title="Leseansicht-Runde")
        db.session.add(round_)
        db.session.flush()
        db.session.add(ReviewRoundMember(round_id=round_.id, user_id=reviewer.id, body_label="Ausschuss"))
        db.session.commit()
        return round_.id


def test_pruefung_aus_der_leseansicht_mit_der_tastatur(page, live_server):
    round_id = _open_round(live_server)
    login_by_keyboard(page, live_server, "pruefung@example.org")

    page.goto(live_server.url + "/strategy/versions/2/view")
    assert "Leseansicht-Runde" in page.locator("main").inner_text()
    assert_accessible(page, "Leseansicht mit Kommentar-Links")
    focus_by_keyboard(page, "a[href*='/paragraph?']", "Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"/strategy/rounds/{round_id}/paragraph" in page.url
    assert page.locator("h1").inner_text() == "Einen Absatz kommentieren"

    page.goto(live_server.url + "/strategy/versions/2/view?short=1")
    measure_link = "a[href*='n=0']"
    assert page.locator(measure_link).count() >= 3, "every top measure of the short edition has its own link"
    assert_accessible(page, "Kurzfassung mit Maßnahmen-Links")
    focus_by_keyboard(page, measure_link, "Tab", limit=400)
    name = page.locator(measure_link).first.inner_text()
    assert name.startswith("Diese Maßnahme kommentieren")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Kommentar zu einer Maßnahme"
    assert_accessible(page, "Kommentar zu einer Maßnahme")
    page.get_by_label("Ihr Kommentar zu dieser Maßnahme").fill("Bitte den Zeitraum begründen.")
    page.get_by_role("button", name="Kommentar speichern").click()
    page.wait_for_load_state()
    comment = page.locator("article.review-comment", has_text="Bitte den Zeitraum begründen.")
    assert comment.count() == 1
    screenshot(page, "version-comments", "01-massnahme-kommentiert")
