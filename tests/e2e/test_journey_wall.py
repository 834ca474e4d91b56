"""Der Live-Workshop: Die Moderation öffnet die Kartenwand eines Status-quo-Blocks, eine angemeldete Expertin und
ein Experte über seinen persönlichen Einladungslink (von einem zweiten App-Prozess bedient) heften Karten an – jede
erscheint bei den anderen ohne Neuladen. Die Moderation clustert zwei Karten, startet eine Punktabfrage, die
Expertin vergibt einen Punkt, die Moderation beendet die Abfrage. Danach gibt es die Karten als nummerierte
Ergebnisse, das Cluster mit seinen Quellen und die Punkte beim Strategieteam, auch auf der Seite des Ergebnisses.
Vorher legt die Moderation für den Workshop fest, ob Karten ihre Verfasser nennen; an der Maßnahmenwand wird eine
Karte ein nummerierter Maßnahmenvorschlag."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from planner import create_app
from planner.accounts.models import User
from planner.core.models import utcnow
from planner.extensions import db
from planner.findings.models import Finding
from planner.invitations import services as invitations
from planner.people.models import Person
from planner.wall.models import WallCard
from planner.workshops.models import AgendaBlock, AgendaBlockKind, Participation, Workshop, WorkshopStatus
from tests.e2e.conftest import LiveServer, assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e
JOURNEY = "wall"
LIVE = 5_000  # ms: "within a second or two", with room for a loaded test machine


def _scene(server) -> tuple[int, str, int | None]:
    """The expert's workshop, reopened, run by the demo facilitator; a second participant's fresh personal link."""
    with server.app.app_context():
        workshop = db.session.scalar(
            select(Workshop).join(Participation, Participation.workshop_id == Workshop.id)
            .join(Person, Person.id == Participation.person_id)
            .where(Person.email == "expertin@example.org", Participation.invitation_status == "accepted")
            .order_by(Workshop.starts_at)
        )
        workshop.status = WorkshopStatus.HELD
        facilitator = db.session.scalar(select(User).where(User.email == "moderation@example.org"))
        if facilitator not in workshop.facilitators:
            workshop.facilitators.append(facilitator)
        block = next(b for b in workshop.agenda_blocks if b.kind == AgendaBlockKind.STATUS_QUO)
        measures = next((b for b in workshop.agenda_blocks if b.kind == AgendaBlockKind.MEASURES), None)
        if measures is None:
            measures = AgendaBlock(workshop=workshop, kind=AgendaBlockKind.MEASURES, title="Maßnahmen", position=98)
            db.session.add(measures)
        guest = db.session.scalar(
            select(Participation).join(Person, Person.id == Participation.person_id)
            .where(Participation.workshop_id == workshop.id, Person.email != "expertin@example.org",
                   Participation.invitation_status == "accepted")
        )
        invitation, token = invitations._issue_token(guest, utcnow())
        invitation.expires_at = utcnow() + timedelta(days=1)  # the day of the workshop is today
        db.session.commit()
        return block.id, token, measures.id


def _post(page, text: str, column: str) -> None:
    page.select_option("#post-kind", label=column)
    page.fill("#post-text", text)
    page.get_by_role("button", name="Karte anheften").click()
    expect(page.locator(".wall-board")).to_contain_text(text, timeout=LIVE)


def _card(page, text: str):
    return page.locator(".wall-card", has_text=text)


def _second_process(server, tmp_path) -> LiveServer:
    """A second app on the same database, as a second gunicorn worker or server would be: nothing in memory shared."""
    config = {key: server.app.config[key] for key in (
        "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "MAIL_SERVER", "RATELIMIT_ENABLED", "PASSWORD_HASH_METHOD")}
    app = create_app(config, instance_path=tmp_path / "instance-2")
    app.config["BASE_URL"] = server.url
    return LiveServer(app).start()


def test_live_wall_mit_drei_browsern(browser, browser_context_args, live_server, tmp_path):
    block_id, token, measures_block_id = _scene(live_server)
    board = f"{live_server.url}/wall/block/{block_id}"
    other = _second_process(live_server, tmp_path)
    contexts = [browser.new_context(**browser_context_args) for _ in range(3)]
    moderation, expertin, gast = (context.new_page() for context in contexts)
    try:
        login(moderation, live_server, "moderation@example.org")
        with live_server.app.app_context():
            workshop_id = db.session.get(AgendaBlock, block_id).workshop_id
        # Whether cards name their authors is the workshop's setting, for all its walls (named here).
        moderation.goto(f"{live_server.url}/wall/workshop/{workshop_id}")
        expect(moderation.get_by_label("Karten ohne Namen der Verfasserin oder des Verfassers")).not_to_be_checked()
        assert_accessible(moderation, "wall overview with the anonymity setting (facilitator)")
        moderation.goto(board)
        with moderation.expect_navigation():  # the facilitation panel reloads to show the controls of an open wall
            moderation.get_by_role("button", name="Wand öffnen").click()
        expect(moderation.locator('[data-slot="wall-state"]')).to_have_text("Geöffnet")
        assert_accessible(moderation, "wall (facilitator)")

        login(expertin, live_server, "expertin@example.org")
        expertin.goto(board)
        expect(expertin.locator("#post-anonymity")).to_contain_text("Ihr Name wird bei Ihren Karten angezeigt")
        # The guest is served by the other app process.
        gast.goto(f"{other.url}/wall/l/{token}/block/{block_id}")
        assert_accessible(gast, "wall (personal link)")

        _post(expertin, "Zu wenige öffentliche Ladesäulen", "Schwäche")
        expect(gast.locator(".wall-board")).to_contain_text("Zu wenige öffentliche Ladesäulen", timeout=LIVE)
        expect(moderation.locator(".wall-board")).to_contain_text("Zu wenige öffentliche Ladesäulen", timeout=LIVE)
        _post(gast, "Ladeinfrastruktur in den Quartieren fehlt", "Schwäche")
        expect(expertin.locator(".wall-board")).to_contain_text("Ladeinfrastruktur in den Quartieren fehlt",
                                                                timeout=LIVE)
        expect(moderation.locator(".wall-board")).to_contain_text("Ladeinfrastruktur in den Quartieren fehlt",
                                                                  timeout=LIVE)
        # The live region tells screen-reader users, politely and in a summary.
        expect(expertin.locator("#wall-live")).to_contain_text("Neue Karten", timeout=LIVE + 4_000)
        screenshot(expertin, JOURNEY, "cards")

        # The facilitator clusters the two cards into one finding.
        for text in ("Zu wenige öffentliche Ladesäulen", "Ladeinfrastruktur in den Quartieren fehlt"):
            _card(moderation, text).get_by_label("Für ein Cluster wählen", exact=False).check()
        moderation.fill("#cluster-text", "Ladeinfrastruktur ausbauen")
        moderation.get_by_role("button", name="Gewählte Karten clustern").click()
        for page in (expertin, gast):
            expect(_card(page, "Ladeinfrastruktur ausbauen")).to_be_visible(timeout=LIVE)
            expect(_card(page, "Zu wenige öffentliche Ladesäulen")).to_have_count(0, timeout=LIVE)
        expect(_card(expertin, "Ladeinfrastruktur ausbauen")).to_contain_text("Quellen:")

        # A dot vote: three dots each; the expert gives one to the cluster, the facilitator closes the vote.
        moderation.fill("#vote-dots", "3")
        with moderation.expect_navigation():
            moderation.get_by_role("button", name="Punktabfrage starten").click()
        expect(moderation.locator('[data-slot="vote-state"]')).to_contain_text("3 Punkte pro Person")
        cluster = _card(expertin, "Ladeinfrastruktur ausbauen")
        expect(cluster.get_by_role("button", name="Punkt vergeben", exact=False)).to_be_visible(timeout=LIVE)
        cluster.get_by_role("button", name="Punkt vergeben", exact=False).click()
        expect(_card(moderation, "Ladeinfrastruktur ausbauen")).to_contain_text("Punkte: 1", timeout=LIVE)
        expect(_card(gast, "Ladeinfrastruktur ausbauen")).to_contain_text("Punkte: 1", timeout=LIVE)
        with moderation.expect_navigation():
            moderation.get_by_role("button", name="Punktabfrage beenden").click()
        expect(moderation.locator(".kern-alert, .flash, [role=status], [role=alert]").first).to_be_visible()
        screenshot(moderation, JOURNEY, "voted")
        assert_accessible(expertin, "wall after the vote (expert)")

        with live_server.app.app_context():
            cards = db.session.scalars(select(WallCard).join(AgendaBlock, AgendaBlock.id == block_id)
                                       .where(WallCard.wall.has(agenda_block_id=block_id))).all()
            findings = {c.finding.text: c for c in cards}
            assert set(findings) == {"Zu wenige öffentliche Ladesäulen", "Ladeinfrastruktur in den Quartieren fehlt",
                                     "Ladeinfrastruktur ausbauen"}
            cluster_card = findings["Ladeinfrastruktur ausbauen"]
            assert all(c.finding.number for c in cards)
            assert sorted(s.finding.text for s in cluster_card.sources) == [
                "Ladeinfrastruktur in den Quartieren fehlt", "Zu wenige öffentliche Ladesäulen"]
            assert cluster_card.dots == 1
            guest_card = findings["Ladeinfrastruktur in den Quartieren fehlt"]
            assert guest_card.finding.author_id is not None and guest_card.finding.recorded_by_user_id is None
            assert db.session.get(Finding, cluster_card.finding_id).agenda_block_id == block_id
            cluster_finding_id = cluster_card.finding_id

        # The presenter view for screen sharing: large, high contrast, the cards as they are now.
        moderation.goto(board + "?view=presenter")
        expect(moderation.locator(".wall--presenter")).to_contain_text("Ladeinfrastruktur ausbauen")
        expect(moderation.locator(".wall--presenter").get_by_text("Karte bearbeiten")).to_be_hidden()
        assert_accessible(moderation, "wall presenter view")
        screenshot(moderation, JOURNEY, "presenter")

        # The strategy team sees the result as an input to prioritisation.
        login(moderation, live_server, "strategie@example.org")
        moderation.goto(f"{live_server.url}/wall/workshop/{workshop_id}")
        expect(moderation.locator("table")).to_contain_text("Ladeinfrastruktur ausbauen")
        assert_accessible(moderation, "wall results (strategy team)")
        # ... and on the finding's own page: which vote, its dots and rank.
        moderation.goto(f"{live_server.url}/findings/{cluster_finding_id}")
        votes = moderation.locator("section", has=moderation.get_by_role("heading", name="Punktabfragen im Workshop"))
        expect(votes).to_contain_text("Abfrage 1 an der Wand")
        expect(votes).to_contain_text("1 von")
        assert_accessible(moderation, "finding with its dot votes (strategy team)")

        # The measures wall: a card is a numbered measure proposal, live for the others.
        login(moderation, live_server, "moderation@example.org")
        measures_board = f"{live_server.url}/wall/block/{measures_block_id}"
        moderation.goto(measures_board)
        with moderation.expect_navigation():
            moderation.get_by_role("button", name="Wand öffnen").click()
        expertin.goto(measures_board)
        expertin.fill("#post-text", "Sensoren für Stadtbäume")
        expertin.get_by_role("button", name="Karte anheften").click()
        expect(_card(moderation, "Sensoren für Stadtbäume")).to_contain_text("-M", timeout=LIVE)
        assert_accessible(moderation, "measures wall (facilitator)")
        assert_accessible(expertin, "measures wall (expert)")
    finally:
        for context in contexts:
            context.close()
        other.stop()
