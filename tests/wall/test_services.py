"""The wall's rules without HTTP: cards are findings, limits, clustering, voting, the timer."""

import pytest

from planner.accounts.models import User
from planner.core.errors import DomainError, NotAllowed
from planner.extensions import db
from planner.findings.models import Finding, FindingKind
from planner.wall import services
from planner.wall.models import Wall, WallCard, WallEvent
from planner.workshops.models import AgendaBlock, Participation


def _actors(scene):
    facilitator = services.Actor(user=db.session.get(User, scene.facilitator_id))
    expert = services.Actor(user=db.session.get(User, scene.expert_id))
    link = services.Actor(participation=db.session.get(Participation, scene.link_participation_id))
    return facilitator, expert, link


def _open_wall(scene, anonymous=False) -> Wall:
    facilitator, _expert, _link = _actors(scene)
    block = db.session.get(AgendaBlock, scene.status_block_id)
    services.set_anonymity(facilitator.user, block.workshop, anonymous)
    wall = services.wall_for_block(block)
    services.open_wall(facilitator, wall)
    db.session.commit()
    return wall


def test_a_card_is_a_numbered_finding_with_author_block_and_field(app, scene):
    with app.app_context():
        wall = _open_wall(scene)
        _facilitator, expert, link = _actors(scene)
        card = services.post_card(expert, wall, "weakness", "  Zu wenig Ladesäulen  ", scene.field_id)
        other = services.post_card(link, wall, "strength", "Gutes ÖPNV-Netz", scene.other_field_id)
        db.session.commit()
        finding = db.session.get(Finding, card.finding_id)
        assert finding.number == "MOB-S01"
        assert finding.text == "Zu wenig Ladesäulen"
        assert finding.kind == FindingKind.WEAKNESS
        assert finding.author_id == scene.expert_person_id
        assert finding.agenda_block_id == scene.status_block_id and finding.workshop_id == scene.workshop_id
        assert db.session.get(Finding, other.finding_id).author_id == scene.link_person_id
        assert db.session.get(Finding, other.finding_id).number == "UMW-S01"
        kinds = [e.kind for e in db.session.query(WallEvent).order_by(WallEvent.id)]
        assert kinds == ["wall", "card", "card"]


def test_an_anonymous_wall_names_no_author_but_the_poster_may_edit(app, scene):
    with app.app_context():
        wall = _open_wall(scene, anonymous=True)
        _facilitator, expert, link = _actors(scene)
        card = services.post_card(expert, wall, "risk", "Datenschutz", scene.field_id)
        db.session.commit()
        assert card.finding.author_id is None
        assert services.card_data(card)["author"] is None
        services.edit_card(expert, card, "Datenschutz und Akzeptanz")
        with pytest.raises(NotAllowed):
            services.edit_card(link, card, "fremd")


def test_limits_a_long_card_a_fast_poster_and_a_closed_wall(app, scene):
    with app.app_context():
        app.config["WALL_RATE_LIMIT"] = 3
        wall = _open_wall(scene)
        facilitator, expert, _link = _actors(scene)
        with pytest.raises(DomainError, match="höchstens 500 Zeichen; diese hat 10000"):
            services.post_card(expert, wall, "risk", "x" * 10_000, scene.field_id)
        for i in range(3):
            services.post_card(expert, wall, "risk", f"Karte {i}", scene.field_id)
        with pytest.raises(DomainError, match="sehr schnell"):
            services.post_card(expert, wall, "risk", "noch eine", scene.field_id)
        services.close_wall(facilitator, wall)
        with pytest.raises(DomainError, match="Wand ist geschlossen"):
            services.post_card(facilitator, wall, "risk", "zu spät", scene.field_id)


def test_a_wrong_column_and_an_outsider_are_refused(app, scene):
    with app.app_context():
        wall = _open_wall(scene)
        _facilitator, expert, _link = _actors(scene)
        with pytest.raises(DomainError, match="Spalte"):
            services.post_card(expert, wall, "need", "Bedarf", scene.field_id)
        from tests import factories

        outsider = services.Actor(user=factories.user("expert", person=factories.person()))
        with pytest.raises(NotAllowed):
            services.post_card(outsider, wall, "risk", "Hallo", scene.field_id)


def test_a_cluster_is_one_finding_with_the_cards_as_sources_and_takes_no_card_twice(app, scene):
    with app.app_context():
        wall = _open_wall(scene)
        facilitator, expert, link = _actors(scene)
        a = services.post_card(expert, wall, "weakness", "Wenig Ladesäulen", scene.field_id)
        b = services.post_card(link, wall, "weakness", "Ladeinfrastruktur fehlt", scene.field_id)
        c = services.post_card(link, wall, "weakness", "Schlechte Radwege", scene.field_id)
        db.session.commit()
        cluster = services.cluster_cards(facilitator, wall, [a.id, b.id], "Ladeinfrastruktur ausbauen")
        db.session.commit()
        assert cluster.finding.number == "MOB-S04"
        assert sorted(s.id for s in cluster.sources) == [a.id, b.id]
        assert [card.id for card in services.active_cards(wall)] == [c.id, cluster.id]
        # The second facilitator chose the same card a moment later: refused, nothing changes.
        with pytest.raises(DomainError, match="inzwischen geclustert oder ausgeblendet"):
            services.cluster_cards(facilitator, wall, [a.id, c.id], "")
        db.session.rollback()
        assert db.session.get(WallCard, c.id).cluster_id is None
        assert db.session.query(WallCard).filter_by(is_cluster=True).count() == 1


def test_move_and_hide_are_for_facilitators(app, scene):
    with app.app_context():
        wall = _open_wall(scene)
        facilitator, expert, _link = _actors(scene)
        card = services.post_card(expert, wall, "weakness", "Off-Topic-Werbung", scene.field_id)
        with pytest.raises(NotAllowed):
            services.move_card(expert, card, "risk")
        services.move_card(facilitator, card, "opportunity")
        assert card.finding.kind == FindingKind.OPPORTUNITY
        services.hide_card(facilitator, card, "")
        assert card.finding.is_hidden and services.active_cards(wall) == []


def test_dot_vote_counts_n_dots_per_person_and_stores_the_result_on_the_cards(app, scene):
    with app.app_context():
        wall = _open_wall(scene)
        facilitator, expert, link = _actors(scene)
        a = services.post_card(expert, wall, "strength", "A", scene.field_id)
        b = services.post_card(expert, wall, "strength", "B", scene.field_id)
        services.start_vote(facilitator, wall, 2)
        services.cast_dot(expert, a)
        services.cast_dot(expert, a)
        with pytest.raises(DomainError, match="alle Ihre 2 Punkte"):
            services.cast_dot(expert, b)
        services.cast_dot(expert, a, add=False)
        services.cast_dot(expert, b)
        services.cast_dot(link, b)
        vote = services.close_vote(facilitator, wall)
        db.session.commit()
        assert services.vote_state(vote)["tallies"] == {str(a.id): 1, str(b.id): 2}
        assert (a.dots, b.dots) == (1, 2)
        assert [c.id for c in services.voted_findings(scene.workshop_id)] == [b.id, a.id]
        with pytest.raises(DomainError, match="keine Punktabfrage"):
            services.cast_dot(link, a)


def test_the_timer_runs_pauses_and_checks_minutes(app, scene):
    with app.app_context():
        wall = _open_wall(scene)
        facilitator, expert, _link = _actors(scene)
        with pytest.raises(NotAllowed):
            services.set_timer(expert, wall, "start", 5)
        with pytest.raises(DomainError, match="zwischen 1 und 240 Minuten"):
            services.set_timer(facilitator, wall, "start", 0)
        services.set_timer(facilitator, wall, "start", 5)
        assert 299 <= wall.seconds_left() <= 300
        services.set_timer(facilitator, wall, "pause")
        assert wall.timer_ends_at is None and 299 <= wall.timer_seconds_left <= 300
        services.set_timer(facilitator, wall, "reset")
        assert wall.seconds_left() is None


def test_only_status_quo_and_needs_blocks_have_a_wall(app, scene):
    with app.app_context(), pytest.raises(DomainError):
        services.wall_for_block(db.session.get(AgendaBlock, scene.welcome_block_id))


def test_two_facilitators_clustering_the_same_card_at_once_lose_none_and_duplicate_none(app, scene):
    import threading

    from planner.accounts.models import User as UserModel

    with app.app_context():
        wall = _open_wall(scene)
        _facilitator, expert, _link = _actors(scene)
        ids = [services.post_card(expert, wall, "risk", f"Karte {i}", scene.field_id).id for i in range(3)]
        db.session.commit()
        wall_id = wall.id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def cluster(card_ids, text):
        with app.app_context():
            actor = services.Actor(user=db.session.get(UserModel, scene.facilitator_id))
            target = db.session.get(Wall, wall_id)
            barrier.wait()
            try:
                services.cluster_cards(actor, target, card_ids, text)
                db.session.commit()
                outcomes.append("ok")
            except DomainError:
                db.session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=cluster, args=([ids[0], ids[1]], "Erstes Cluster")),
               threading.Thread(target=cluster, args=([ids[1], ids[2]], "Zweites Cluster"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["ok", "refused"]
    with app.app_context():
        cards = db.session.query(WallCard).order_by(WallCard.id).all()
        clusters = [c for c in cards if c.is_cluster]
        assert len(clusters) == 1
        sources = [c.id for c in cards if c.cluster_id == clusters[0].id]
        assert len(sources) == 2 and ids[1] in sources
        # Every posted card is either a source of the one cluster or still on the wall: none lost.
        active = [c.id for c in services.active_cards(db.session.get(Wall, wall_id))]
        assert sorted(sources + [i for i in active if i != clusters[0].id]) == ids
