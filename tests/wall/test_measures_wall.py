"""The measures wall (cards are measure proposals), the workshop's anonymity for all its walls, and the closed
votes on the finding's and the measure's page and on the prioritisation page."""

import io

import pytest

from planner.accounts.models import User
from planner.core.errors import DomainError, NotAllowed
from planner.extensions import db
from planner.findings.models import Finding, Measure, MeasureStatus
from planner.wall import services
from planner.wall.models import VoteResult, Wall
from planner.workshops.models import AgendaBlock, Participation, Workshop
from tests.conftest import text_of

JSON = {"Accept": "application/json"}


def _actors(scene):
    facilitator = services.Actor(user=db.session.get(User, scene.facilitator_id))
    expert = services.Actor(user=db.session.get(User, scene.expert_id))
    link = services.Actor(participation=db.session.get(Participation, scene.link_participation_id))
    return facilitator, expert, link


def _open(scene, block_id) -> Wall:
    facilitator, _expert, _link = _actors(scene)
    wall = services.wall_for_block(db.session.get(AgendaBlock, block_id))
    services.open_wall(facilitator, wall)
    db.session.commit()
    return wall


def test_a_measure_card_is_a_numbered_measure_proposal_completed_later(app, scene):
    with app.app_context():
        wall = _open(scene, scene.measures_block_id)
        _facilitator, expert, link = _actors(scene)
        card = services.post_card(expert, wall, "measure", "Baumsensoren im Stadtgarten", scene.field_id)
        other = services.post_card(link, wall, "measure", "Smart Parking", scene.other_field_id)
        db.session.commit()
        measure = db.session.get(Measure, card.measure_id)
        assert card.finding_id is None
        assert (measure.number, measure.title, measure.status) == ("MOB-M01", "Baumsensoren im Stadtgarten",
                                                                   MeasureStatus.PROPOSED)
        assert measure.proposed_by_id == scene.expert_person_id and measure.workshop_id == scene.workshop_id
        assert measure.agenda_block_id == scene.measures_block_id
        assert measure.description == "" and measure.lead_unit == ""  # the fact sheet follows on its page
        assert db.session.get(Measure, other.measure_id).number == "UMW-M01"
        data = services.card_data(card)
        assert (data["kind"], data["number"], data["author"]) == ("measure", "MOB-M01", "Erika Expertin")
        # A measure card is a title: at most 300 characters; a SWOT column does not exist here.
        with pytest.raises(DomainError, match="höchstens 300 Zeichen"):
            services.post_card(expert, wall, "measure", "x" * 301, scene.field_id)
        with pytest.raises(DomainError, match="Spalte"):
            services.post_card(expert, wall, "risk", "Risiko", scene.field_id)
        services.edit_card(expert, card, "Baumsensoren in allen Parks")
        assert measure.title == "Baumsensoren in allen Parks"
        assert db.session.query(Finding).count() == 0


def test_withdrawing_clustering_and_voting_on_measure_cards(app, scene):
    with app.app_context():
        wall = _open(scene, scene.measures_block_id)
        facilitator, expert, link = _actors(scene)
        a = services.post_card(expert, wall, "measure", "Ladesäulen an Laternen", scene.field_id)
        b = services.post_card(link, wall, "measure", "Mehr Ladepunkte", scene.field_id)
        c = services.post_card(link, wall, "measure", "Werbung für mein Café", scene.field_id)
        d = services.post_card(expert, wall, "measure", "Radwege beleuchten", scene.field_id)
        with pytest.raises(NotAllowed):
            services.hide_card(expert, c, "")
        services.hide_card(facilitator, c, "")
        withdrawn = c.measure
        assert withdrawn.status == MeasureStatus.REJECTED
        assert withdrawn.official_answer == "Im Workshop zurückgezogen: Themenfremd"
        cluster = services.cluster_cards(facilitator, wall, [a.id, b.id], "Ladeinfrastruktur an Laternen")
        db.session.commit()
        kept = cluster.measure
        assert kept.number == "MOB-M05" and kept.status == MeasureStatus.PROPOSED
        assert {m.number for m in kept.merged_from} == {a.measure.number, b.measure.number}
        assert a.measure.status == MeasureStatus.MERGED and a.measure.merged_into_id == kept.id
        assert [card.id for card in services.active_cards(wall)] == [d.id, cluster.id]
        # Dot voting works on measure cards as on the others; the result is kept per vote.
        services.start_vote(facilitator, wall, 3)
        services.cast_dot(expert, cluster)
        services.cast_dot(expert, cluster)
        services.cast_dot(link, d)
        vote = services.close_vote(facilitator, wall)
        db.session.commit()
        results = {r.card_id: (r.dots, r.rank) for r in db.session.query(VoteResult).filter_by(vote_id=vote.id)}
        assert results == {cluster.id: (2, 1), d.id: (1, 2)}
        lines = services.votes_of(measure_id=kept.id)
        assert [(v.dots, v.rank, v.cards, v.voters, v.vote_number) for v in lines] == [(2, 1, 2, 2, 1)]
        assert services.dots_by_measure([kept.id, d.measure_id, withdrawn.id]) == {kept.id: (2, 1),
                                                                                   d.measure_id: (1, 1)}


def test_anonymity_is_the_workshops_setting_for_all_its_walls_and_fixed_after_the_first_card(app, scene):
    with app.app_context():
        facilitator, expert, link = _actors(scene)
        workshop = db.session.get(Workshop, scene.workshop_id)
        with pytest.raises(NotAllowed):
            services.set_anonymity(expert.user, workshop, True)
        services.set_anonymity(facilitator.user, workshop, True)
        status = _open(scene, scene.status_block_id)
        measures = _open(scene, scene.measures_block_id)
        assert status.is_anonymous and measures.is_anonymous
        finding_card = services.post_card(expert, status, "risk", "Datenschutz", scene.field_id)
        measure_card = services.post_card(link, measures, "measure", "Open Data Portal", scene.field_id)
        db.session.commit()
        assert finding_card.finding.author_id is None and measure_card.measure.proposed_by_id is None
        assert services.card_data(measure_card)["author"] is None
        services.edit_card(link, measure_card, "Open-Data-Portal ausbauen")  # still the poster's own card
        with pytest.raises(DomainError, match="nicht mehr geändert"):
            services.set_anonymity(facilitator.user, workshop, False)
        services.set_anonymity(facilitator.user, workshop, True)  # unchanged: no objection
        assert workshop.cards_anonymous


def test_the_facilitator_sets_anonymity_on_the_workshop_and_participants_read_it_before_posting(client, auth, scene):
    auth.login_as(scene.facilitator_email)
    page = text_of(client.get(f"/wall/workshop/{scene.workshop_id}"))
    assert "Karten ohne Namen der Verfasserin oder des Verfassers" in page
    saved = client.post(f"/wall/workshop/{scene.workshop_id}/anonymity", data={"anonymous": "y"},
                        follow_redirects=True)
    assert "Die Karten an den Wänden dieses Workshops sind jetzt anonym." in text_of(saved)
    board = text_of(client.get(f"/wall/block/{scene.needs_block_id}"))
    assert ("Anonymer Workshop: Ihr Name wird bei Ihren Karten weder angezeigt noch als Verfasserin oder Verfasser "
            "gespeichert.") in board
    with client.application.app_context():
        wall_id = db.session.query(Wall).filter_by(agenda_block_id=scene.needs_block_id).one().id
    client.post(f"/wall/{wall_id}/control", data={"action": "open"})
    auth.logout()
    link_board = text_of(client.get(f"/wall/l/{scene.token}/block/{scene.needs_block_id}"))
    assert "Anonymer Workshop" in link_board
    posted = client.post(f"/wall/l/{scene.token}/{wall_id}/cards",
                         data={"kind": "need", "text": "Hitzeschutz", "field": scene.field_id}, headers=JSON)
    assert posted.get_json()["card"]["author"] is None
    auth.login_as(scene.facilitator_email)
    refused = client.post(f"/wall/workshop/{scene.workshop_id}/anonymity", data={}, follow_redirects=True)
    assert "nicht mehr geändert werden" in text_of(refused)
    with client.application.app_context():
        assert db.session.get(Workshop, scene.workshop_id).cards_anonymous


def test_the_measures_wall_page_and_its_import(client, auth, scene):
    auth.login_as(scene.facilitator_email)
    page = client.get(f"/wall/block/{scene.measures_block_id}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Maßnahmenvorschläge" in text and "MOB-M01" not in text
    assert "Titel eines neuen, nummerierten Maßnahmenvorschlags" in text
    with client.application.app_context():
        wall_id = db.session.query(Wall).filter_by(agenda_block_id=scene.measures_block_id).one().id
    client.post(f"/wall/{wall_id}/control", data={"action": "open"})
    client.post(f"/wall/{wall_id}/cards", data={"kind": "measure", "text": "Baumsensoren", "field": scene.field_id})
    text = text_of(client.get(f"/wall/block/{scene.measures_block_id}"))
    assert "MOB-M01" in text and "Baumsensoren" in text and "Als themenfremd zurückziehen" in text
    csv = "Text;Art\nQuartiersplattform;Maßnahme\nSchwammstadt-Monitoring;\n".encode()
    preview = client.post(f"/wall/{wall_id}/import", data={"file": (io.BytesIO(csv), "miro.csv"),
                                                            "field": scene.field_id},
                          content_type="multipart/form-data")
    assert "Quartiersplattform" in text_of(preview) and "Zeilenfehler" not in text_of(preview)
    payload = '[{"line": 2, "text": "Quartiersplattform", "kind": "measure"}, ' \
              '{"line": 3, "text": "Schwammstadt-Monitoring", "kind": null}]'
    done = client.post(f"/wall/{wall_id}/import", data={"step": "import", "payload": payload, "kind": "measure",
                                                         "field": scene.field_id}, follow_redirects=True)
    assert "2 Karten wurden importiert." in text_of(done)
    with client.application.app_context():
        titles = sorted(m.title for m in db.session.query(Measure))
        assert titles == ["Baumsensoren", "Quartiersplattform", "Schwammstadt-Monitoring"]
    wrong = "Text;Art\nStärke im Netz;Stärke\n".encode()
    refused = client.post(f"/wall/{wall_id}/import", data={"file": (io.BytesIO(wrong), "x.csv")},
                          content_type="multipart/form-data")
    assert "keine Spalte „Stärke“" in text_of(refused)


def test_the_dots_show_on_the_finding_page_the_measure_page_and_the_prioritisation(client, auth, scene):
    auth.login_as(scene.facilitator_email)
    client.get(f"/wall/block/{scene.status_block_id}")
    client.get(f"/wall/block/{scene.measures_block_id}")
    with client.application.app_context():
        status_id = db.session.query(Wall).filter_by(agenda_block_id=scene.status_block_id).one().id
        measures_id = db.session.query(Wall).filter_by(agenda_block_id=scene.measures_block_id).one().id
    cards = {}
    for wall_id, kind, text in ((status_id, "risk", "Hitzeinseln"), (status_id, "risk", "Starkregen"),
                                (measures_id, "measure", "Sensoren für Stadtbäume")):
        client.post(f"/wall/{wall_id}/control", data={"action": "open"})
        cards[text] = client.post(f"/wall/{wall_id}/cards", data={"kind": kind, "text": text,
                                                                  "field": scene.field_id},
                                  headers=JSON).get_json()["card"]
    for wall_id, voted in ((status_id, ["Hitzeinseln", "Hitzeinseln", "Starkregen"]),
                           (measures_id, ["Sensoren für Stadtbäume"])):
        client.post(f"/wall/{wall_id}/control", data={"action": "vote_start", "dots": "3"})
        for text in voted:
            client.post(f"/wall/card/{cards[text]['id']}/dot", data={"action": "add"}, headers=JSON)
        client.post(f"/wall/{wall_id}/control", data={"action": "vote_close"})
    auth.logout()
    auth.login_as(scene.strategy_email)
    finding = text_of(client.get(f"/findings/{cards['Hitzeinseln']['finding_id']}"))
    assert "Punktabfragen im Workshop" in finding
    assert "Abfrage 1 an der Wand „Status quo“" in finding and "3 Punkte pro Person" in finding
    assert "2 1 von 2 1" in finding  # 2 dots, rank 1 of 2 cards, 1 voter
    measure_id = cards["Sensoren für Stadtbäume"]["measure_id"]
    measure = text_of(client.get(f"/findings/measures/{measure_id}"))
    assert "Punktabfragen im Workshop" in measure and "Abfrage 1 an der Wand „Maßnahmen“" in measure
    priorities = text_of(client.get("/surveys/priorities"))
    assert "Punkte in Workshops" in priorities and "1 Punkt (1 Abfrage)" in priorities
    ratings = text_of(client.get("/surveys/priorities/ratings"))
    assert "Punkte in Workshops" in ratings and "Sensoren für Stadtbäume" in ratings and "5 1 Punkt" in ratings
