"""The wall's pages: signed in and by personal link, bad input answered with a clear message and nothing changed."""

from planner.extensions import db
from planner.findings.models import Finding
from planner.wall.models import Wall
from tests.conftest import text_of

JSON = {"Accept": "application/json"}


def _open_wall(client, auth, scene) -> int:
    auth.login_as(scene.facilitator_email)
    page = client.get(f"/wall/block/{scene.status_block_id}")
    assert page.status_code == 200
    assert "Kartenwand" in text_of(page)
    with client.application.app_context():
        wall_id = db.session.query(Wall).filter_by(agenda_block_id=scene.status_block_id).one().id
    opened = client.post(f"/wall/{wall_id}/control", data={"action": "open"}, follow_redirects=True)
    assert "Die Wand ist geöffnet." in text_of(opened)
    auth.logout()
    return wall_id


def test_an_expert_posts_a_card_and_sees_it_numbered_on_the_wall(client, auth, scene):
    wall_id = _open_wall(client, auth, scene)
    auth.login_as(scene.expert_email)
    posted = client.post(f"/wall/{wall_id}/cards", data={"kind": "strength", "text": "Gutes Radnetz",
                                                         "field": scene.field_id}, follow_redirects=True)
    page = text_of(posted)
    assert "Ihre Karte hängt an der Wand." in page
    assert "MOB-S01" in page and "Gutes Radnetz" in page and "Erika Expertin" in page


def test_a_participant_by_personal_link_posts_without_an_account(client, auth, scene):
    wall_id = _open_wall(client, auth, scene)
    board = client.get(f"/wall/l/{scene.token}/block/{scene.status_block_id}")
    assert board.status_code == 200
    assert "Ihre Karte" in text_of(board)
    answer = client.post(f"/wall/l/{scene.token}/{wall_id}/cards",
                         data={"kind": "risk", "text": "Fachkräftemangel", "field": scene.other_field_id},
                         headers=JSON)
    assert answer.status_code == 200
    card = answer.get_json()["card"]
    assert card["number"] == "UMW-S01" and card["author"] == "Lina Link"
    assert client.get(f"/wall/l/not-a-token/block/{scene.status_block_id}").status_code == 410


def test_bad_input_gets_a_clear_message_and_changes_nothing(client, auth, scene):
    wall_id = _open_wall(client, auth, scene)
    auth.login_as(scene.expert_email)
    long = client.post(f"/wall/{wall_id}/cards", data={"kind": "risk", "text": "x" * 10_000,
                                                       "field": scene.field_id}, headers=JSON)
    assert long.status_code == 400
    assert "höchstens 500 Zeichen" in long.get_json()["error"]
    shown = client.post(f"/wall/{wall_id}/cards", data={"kind": "risk", "text": "", "field": scene.field_id},
                        follow_redirects=True)
    assert shown.status_code == 200 and "Bitte schreiben Sie etwas auf die Karte." in text_of(shown)
    wrong = client.post(f"/wall/{wall_id}/cards", data={"kind": "nonsense", "text": "Hallo", "field": "x"},
                        headers=JSON)
    assert wrong.status_code == 400
    assert client.post(f"/wall/{wall_id}/control", data={"action": "open"}).status_code == 403
    with client.application.app_context():
        assert db.session.query(Finding).count() == 0


def test_a_participant_posting_too_fast_is_slowed_down(app, client, auth, scene):
    app.config["WALL_RATE_LIMIT"] = 5
    wall_id = _open_wall(client, auth, scene)
    auth.login_as(scene.expert_email)
    statuses = [client.post(f"/wall/{wall_id}/cards", data={"kind": "risk", "text": f"Karte {i}",
                                                            "field": scene.field_id}, headers=JSON)
                for i in range(20)]
    assert [r.status_code for r in statuses].count(200) == 5
    assert "sehr schnell" in statuses[-1].get_json()["error"]
    with app.app_context():
        assert db.session.query(Finding).count() == 5


def test_the_strategy_team_sees_the_closed_votes_results(client, auth, scene):
    wall_id = _open_wall(client, auth, scene)
    auth.login_as(scene.facilitator_email)
    card = client.post(f"/wall/{wall_id}/cards", data={"kind": "risk", "text": "Hitzeinseln",
                                                       "field": scene.field_id}, headers=JSON).get_json()["card"]
    client.post(f"/wall/{wall_id}/control", data={"action": "vote_start", "dots": "3"})
    assert client.post(f"/wall/card/{card['id']}/dot", data={"action": "add"}, headers=JSON).status_code == 200
    client.post(f"/wall/{wall_id}/control", data={"action": "vote_close"})
    auth.logout()
    auth.login_as(scene.strategy_email)
    page = text_of(client.get(f"/wall/workshop/{scene.workshop_id}"))
    assert "Ergebnisse der Punktabfrage" in page and "MOB-S01" in page and "Hitzeinseln" in page


def test_the_presenter_view_and_the_breakout_groups(client, auth, scene):
    wall_id = _open_wall(client, auth, scene)
    auth.login_as(scene.expert_email)
    client.post(f"/wall/{wall_id}/cards", data={"kind": "strength", "text": "Mobilitätskarte",
                                                "field": scene.field_id})
    client.post(f"/wall/{wall_id}/cards", data={"kind": "strength", "text": "Umweltkarte",
                                                "field": scene.other_field_id})
    presenter = client.get(f"/wall/block/{scene.status_block_id}?view=presenter")
    html = presenter.get_data(as_text=True)
    assert "wall--presenter" in html and "Präsentationsansicht verlassen" in html
    assert "Karte anheften" not in text_of(presenter)  # nothing to operate on the shared screen
    group = text_of(client.get(f"/wall/block/{scene.status_block_id}?field={scene.field_id}"))
    assert "Mobilitätskarte" in group and "Umweltkarte" not in group
    plenary = text_of(client.get(f"/wall/block/{scene.status_block_id}"))
    assert "Mobilitätskarte" in plenary and "Umweltkarte" in plenary


def _set_status(app, scene, participation_id: int | None, status) -> None:
    from sqlalchemy import select

    from planner.workshops.models import Participation
    with app.app_context():
        if participation_id is None:
            participation = db.session.scalar(select(Participation).where(
                Participation.workshop_id == scene.workshop_id, Participation.person_id == scene.expert_person_id))
        else:
            participation = db.session.get(Participation, participation_id)
        participation.invitation_status = status
        db.session.commit()


def test_an_invited_expert_who_has_not_accepted_is_told_why_the_same_by_link_and_signed_in(app, client, auth,
                                                                                              scene):
    from planner.workshops.models import InvitationStatus
    wall_id = _open_wall(client, auth, scene)
    _set_status(app, scene, None, InvitationStatus.INVITED)
    _set_status(app, scene, scene.link_participation_id, InvitationStatus.INVITED)
    auth.login_as(scene.expert_email)
    signed_in = client.get(f"/wall/block/{scene.status_block_id}")
    assert signed_in.status_code == 403
    assert "Bitte sagen Sie zuerst zu" in text_of(signed_in) and 'href="/invitations/mine"' in signed_in.text
    auth.logout()
    by_link = client.get(f"/wall/l/{scene.token}/block/{scene.status_block_id}")
    assert by_link.status_code == 403
    assert "Bitte sagen Sie zuerst zu" in text_of(by_link) and f'href="/invitations/r/{scene.token}"' in by_link.text
    refused = client.post(f"/wall/l/{scene.token}/{wall_id}/cards",
                          data={"kind": "risk", "text": "Fachkräftemangel", "field": scene.field_id}, headers=JSON)
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.query(Finding).filter_by(text="Fachkräftemangel").count() == 0
    _set_status(app, scene, scene.link_participation_id, InvitationStatus.WAITLISTED)
    assert "Warteliste" in text_of(client.get(f"/wall/l/{scene.token}/block/{scene.status_block_id}"))


def test_the_walls_overview_names_the_groups_as_the_wall_does(client, auth, scene):
    auth.login_as(scene.facilitator_email)
    overview = text_of(client.get(f"/wall/workshop/{scene.workshop_id}"))
    board = text_of(client.get(f"/wall/block/{scene.status_block_id}"))
    for group in ("Gruppe Smarte Mobilität", "Gruppe Smarte Umwelt"):
        assert group in overview and group in board
    assert "Gruppe MOB" not in overview
    assert "Noch nicht geöffnet" in overview  # which wall is open is said beside each


def test_the_walls_overview_says_which_wall_is_open(client, auth, scene):
    _open_wall(client, auth, scene)
    auth.login_as(scene.facilitator_email)
    overview = text_of(client.get(f"/wall/workshop/{scene.workshop_id}"))
    assert overview.count("Geöffnet") == 1 and overview.count("Noch nicht geöffnet") == 2


def test_a_clusters_finding_page_names_its_sources_and_each_source_its_cluster(client, auth, scene):
    wall_id = _open_wall(client, auth, scene)
    auth.login_as(scene.expert_email)
    ids = [client.post(f"/wall/{wall_id}/cards", data={"kind": "weakness", "text": text, "field": scene.field_id},
                       headers=JSON).get_json()["card"]["id"] for text in ("Zu wenige Ladesäulen", "Kein Carsharing")]
    auth.logout()
    auth.login_as(scene.facilitator_email)
    cluster = client.post(f"/wall/{wall_id}/cluster", data={"cards": ids, "text": "Mobilität im Quartier"},
                          headers=JSON).get_json()["card"]
    with client.application.app_context():
        from planner.wall.models import WallCard
        cluster_finding = db.session.get(WallCard, cluster["id"]).finding_id
        source_finding = db.session.get(WallCard, ids[0]).finding_id
    page = text_of(client.get(f"/findings/{cluster_finding}"))
    assert "Cluster an der Kartenwand" in page
    assert "MOB-S01 Zu wenige Ladesäulen" in page and "MOB-S02 Kein Carsharing" in page
    source = client.get(f"/findings/{source_finding}")
    assert f"{cluster['number']} Mobilität im Quartier" in text_of(source)
    assert f'href="/findings/{cluster_finding}"' in source.text


def test_a_participant_by_link_finds_the_workshops_walls_from_one_page(app, client, auth, scene):
    from planner.workshops.models import InvitationStatus
    _open_wall(client, auth, scene)
    page = client.get(f"/wall/l/{scene.token}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Kartenwände" in text and "Geöffnet" in text and "Noch nicht geöffnet" in text
    assert f'href="/wall/l/{scene.token}/block/{scene.status_block_id}"' in page.text
    assert f'href="/wall/l/{scene.token}/block/{scene.welcome_block_id}"' not in page.text  # no wall for a welcome
    assert client.get(f"/wall/l/{scene.token}x").status_code == 410
    _set_status(app, scene, scene.link_participation_id, InvitationStatus.INVITED)
    assert "Bitte sagen Sie zuerst zu" in text_of(client.get(f"/wall/l/{scene.token}"))
    _set_status(app, scene, scene.link_participation_id, InvitationStatus.ACCEPTED)
    board = client.get(f"/wall/l/{scene.token}/block/{scene.status_block_id}")
    assert f'href="/wall/l/{scene.token}"' in board.text and "Alle Wände des Workshops" in text_of(board)


def test_the_vote_results_are_ranked_per_wall_not_across_walls(client, auth, scene):
    auth.login_as(scene.facilitator_email)
    ids = {}
    for block_id, kind, text in ((scene.status_block_id, "risk", "Hitzeinseln"),
                                 (scene.measures_block_id, "measure", "Schattenplätze schaffen")):
        client.get(f"/wall/block/{block_id}")
        with client.application.app_context():
            wall_id = db.session.query(Wall).filter_by(agenda_block_id=block_id).one().id
        client.post(f"/wall/{wall_id}/control", data={"action": "open"})
        card = client.post(f"/wall/{wall_id}/cards", data={"kind": kind, "text": text, "field": scene.field_id},
                           headers=JSON).get_json()["card"]
        client.post(f"/wall/{wall_id}/control", data={"action": "vote_start", "dots": "3"})
        client.post(f"/wall/card/{card['id']}/dot", data={"action": "add"}, headers=JSON)
        client.post(f"/wall/{wall_id}/control", data={"action": "vote_close"})
        ids[text] = card["number"]
    page = client.get(f"/wall/workshop/{scene.workshop_id}")
    html = page.get_data(as_text=True)
    assert html.count('<table class="kern-table"') == 2  # one ranking per wall
    status_quo = html.index("Status quo", html.index('id="votes-heading"'))
    measures = html.index("Maßnahmen", status_quo)
    assert status_quo < html.index("Hitzeinseln") < measures < html.index("Schattenplätze schaffen")
    assert ">Nummer<" in html


def test_the_invitation_page_leads_a_participant_to_the_walls(app, client, scene):
    from flask import url_for

    from planner.workshops.models import InvitationStatus
    with app.test_request_context():
        page_url = url_for("invitations.respond", token=scene.token)
    _set_status(app, scene, scene.link_participation_id, InvitationStatus.ACCEPTED)
    page = client.get(page_url)
    assert page.status_code == 200
    assert f'href="/wall/l/{scene.token}"' in page.text and "Zu den Kartenwänden des Workshops" in text_of(page)
    _set_status(app, scene, scene.link_participation_id, InvitationStatus.INVITED)
    assert f'href="/wall/l/{scene.token}"' not in client.get(page_url).text  # answers first, then the walls
