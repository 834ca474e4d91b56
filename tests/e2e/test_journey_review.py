"""Die Abstimmung jedes Teils: Das Strategieteam lädt eine Ratsfrau ohne Konto per Link ein, sie kommentiert einen
Absatz und gibt die Teile frei, das Strategieteam beantwortet den Kommentar und zeichnet die Version ab; die
Veröffentlichung wird erst verweigert (mit Begründung) und dann erlaubt."""

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def _guest_link(server) -> str:
    outbox = Path(server.app.instance_path) / "outbox"
    for path in sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if message["To"] == "rita.rat@example.org":
            found = re.search(r"https?://\S+/strategy/review/\S+", message.get_body(("plain",)).get_content())
            return found.group(0)
    pytest.fail("no invitation mail to the outside reviewer")


def _approve_the_rest(server, round_id: int) -> None:
    """The outside reviewer approves the remaining parts (dozens of measures; one is approved in the browser)."""
    from planner.extensions import db
    from planner.strategy import review, versions
    from planner.strategy.models import ReviewRound

    with server.app.app_context():
        round_ = db.session.get(ReviewRound, round_id)
        guest = round_.guests[0]
        for part in review.parts_of(versions.version_rollup(round_.version)):
            review.set_verdict(round_, guest, part=part.key, verdict="approved", reason="")
        db.session.commit()


def test_abstimmung_jedes_teils_bis_zur_veroeffentlichung(page, live_server):
    # The strategy team starts a round on version 1 and invites an outside reviewer.
    login(page, live_server, "strategie@example.org")
    page.goto(live_server.url + "/strategy/versions/1")
    page.get_by_role("link", name="Prüfrunde starten").click()
    page.get_by_label("Titel der Prüfrunde").fill("Abstimmung mit der Bezirksvertretung")
    page.get_by_role("button", name="Prüfrunde anlegen").click()
    page.wait_for_load_state()
    round_id = int(re.search(r"/rounds/(\d+)", page.url).group(1))
    page.get_by_label("Name", exact=True).fill("Rita Rat")
    page.get_by_label("E-Mail-Adresse").fill("rita.rat@example.org")
    page.get_by_label("Gremium oder Organisation").fill("Bezirksvertretung I")
    page.get_by_role("button", name="Einladung senden").click()
    page.wait_for_load_state()
    assert "Rita Rat wurde per E-Mail eingeladen." in page.locator(".flash-messages").inner_text()
    assert_accessible(page, "Prüfrunde mit externer Prüferin")
    screenshot(page, "review", "01-einladung")
    link = _guest_link(live_server)
    page.context.clear_cookies()

    # Without an account: the personal link opens the round and the frozen version.
    page.goto(link)
    assert "Sie prüfen als Rita Rat (Bezirksvertretung I)" in page.locator("main").inner_text()
    assert page.get_by_role("table", name="Maßnahmen", exact=True).is_visible()
    assert_accessible(page, "Prüfrunde über den persönlichen Link")
    # A comment on one paragraph of the vision: a real link below the paragraph.
    control = page.locator("a[href*='/paragraph?'][href*='vision']").first
    assert "Diesen Absatz kommentieren" in control.inner_text()
    control.click()
    assert page.locator("h1").inner_text() == "Einen Absatz kommentieren"
    assert_accessible(page, "Absatz kommentieren")
    page.get_by_label("Ihr Kommentar zu diesem Absatz").fill("Bitte das Ziel für die Bezirke konkreter fassen.")
    page.get_by_role("button", name="Kommentar speichern").click()
    page.wait_for_load_state()
    comment = page.locator("article.review-comment", has_text="Bitte das Ziel für die Bezirke konkreter fassen.")
    assert "Absatz 1" in comment.inner_text() and "Rita Rat" in comment.inner_text()
    screenshot(page, "review", "02-absatz-kommentiert")
    # A verdict on the roadmap in the browser, the other parts through the service.
    page.get_by_label("Teil des Papiers", exact=True).select_option(value="roadmap")
    page.get_by_label("Freigeben", exact=True).check()
    page.get_by_role("button", name="Votum speichern").click()
    page.wait_for_load_state()
    assert "Ihr Votum wurde gespeichert." in page.locator(".flash-messages").inner_text()
    assert "Rita Rat: Freigegeben" in page.get_by_role("table", name="Umsetzungsplan", exact=True).inner_text()
    _approve_the_rest(live_server, round_id)

    # The strategy team signs off: every part is approved by every member of the round.
    login(page, live_server, "strategie@example.org")
    page.goto(live_server.url + "/strategy/versions/1")
    page.get_by_role("button", name="Diese Version abschließend freigeben").click()
    page.wait_for_load_state()
    assert "Version 1 ist abschließend freigegeben." in page.locator(".flash-messages").inner_text()
    assert re.search(r"Abschließend freigegeben am .+ von ", page.locator("main").inner_text())
    # Publishing is refused, naming why: the outside reviewer's comment is not answered.
    refusal = page.locator(".kern-alert", has_text="Diese Version kann noch nicht veröffentlicht werden")
    assert "Kommentar" in refusal.inner_text() and "noch nicht beantwortet" in refusal.inner_text()
    assert page.get_by_role("button", name="Diese Version veröffentlichen").count() == 0
    assert_accessible(page, "Version mit Einwänden")
    screenshot(page, "review", "03-veroeffentlichung-verweigert")

    # The answer …
    page.goto(f"{live_server.url}/strategy/rounds/{round_id}")
    answer = page.locator("article.review-comment", has_text="Bitte das Ziel für die Bezirke konkreter fassen.")
    answer.get_by_label("Geändert").check()
    answer.get_by_role("button", name="Antwort speichern").click()
    page.wait_for_load_state()
    page.goto(live_server.url + "/strategy/versions/1")
    refusal = page.locator(".kern-alert", has_text="Diese Version kann noch nicht veröffentlicht werden")
    if refusal.count():
        # … the demo's other round still has open comments (or the paper gaps): an administrator publishes
        # anyway, with a reason that the version's history keeps.
        page.context.clear_cookies()
        login(page, live_server, "admin@example.org")
        page.goto(live_server.url + "/strategy/versions/1")
        assert_accessible(page, "Version mit Einwänden (Administration)")
        screenshot(page, "review", "03b-ueberschreiben")
        page.get_by_label("Begründung für die Veröffentlichung trotz Einwänden").fill(
            "Der Rat entscheidet am 15. Juni; die offenen Punkte folgen in Version 2.")
        page.get_by_role("button", name="Trotz der Einwände veröffentlichen").click()
    else:
        page.get_by_role("button", name="Diese Version veröffentlichen").click()
    page.wait_for_load_state()
    assert "Version 1 ist veröffentlicht." in page.locator(".flash-messages").inner_text()
    assert_accessible(page, "Version veröffentlicht")
    screenshot(page, "review", "04-veroeffentlicht")

    # The public page never shows the readiness box.
    page.context.clear_cookies()
    page.goto(live_server.url + "/strategy/published/1")
    text = page.locator("main").inner_text()
    assert "Noch offen" not in text and "noch nicht vollständig" not in text
