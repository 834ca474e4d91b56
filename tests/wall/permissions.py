"""Who may use the wall's endpoints. The table's users are fresh accounts without a Person: an expert takes part in
no workshop (403 by the object rule), the strategy team
reads walls but posts nothing, and a facilitator not listed on the workshop reads it only (the listed ones run it,
as they moderate its findings). The routes under /wall/l/<token> are the same endpoints (the link's own tests are in
test_views.py and test_transport.py)."""

from planner.extensions import db
from planner.findings.models import FindingKind
from planner.wall.models import Wall, WallCard, WallState
from planner.workshops.models import AgendaBlock, AgendaBlockKind
from tests import factories
from tests.permission_rules import PUBLIC, Rule

EXPERT = "expert"
FACILITATOR = "facilitator"
STRATEGY = "strategy_team"
REVIEWER = "reviewer"
ANONYMOUS = "anonymous"


def _wall() -> Wall:
    workshop = factories.workshop()
    block = AgendaBlock(workshop=workshop, kind=AgendaBlockKind.STATUS_QUO, title="Status quo")
    wall = Wall(agenda_block=block, state=WallState.OPEN)
    db.session.add_all([block, wall])
    db.session.flush()
    return wall


def _card() -> WallCard:
    wall = _wall()
    finding = factories.finding(workshop=wall.agenda_block.workshop, agenda_block=wall.agenda_block,
                                kind=FindingKind.WEAKNESS, text="Karte")
    card = WallCard(wall=wall, finding=finding)
    db.session.add(card)
    db.session.flush()
    return card


def _workshop():
    return {"workshop_id": _wall().agenda_block.workshop_id}


def _block():
    return {"block_id": _wall().agenda_block_id}


def _wall_id():
    return {"wall_id": _wall().id}


def _card_id():
    return {"card_id": _card().id}


READERS = {ANONYMOUS: 302, EXPERT: 403, REVIEWER: 403}
WRITERS = {ANONYMOUS: 302, EXPERT: 403, REVIEWER: 403, STRATEGY: 403, FACILITATOR: 403}
LISTED_ONLY = {FACILITATOR: 403}
RUN = (FACILITATOR,)

RULES = {
    "wall.workshop": Rule((EXPERT, FACILITATOR, STRATEGY), params=_workshop, ok_for={EXPERT: 403}),
    "wall.anonymity": Rule(RUN, params=_workshop, method="POST", ok=302, ok_for=LISTED_ONLY,
                           data={"anonymous": "y"}),
    "wall.board": Rule(PUBLIC, params=_block, ok_for=READERS),
    # Only a personal link opens it: a made-up one is unknown (404 page, 410 as for every stale link), for everyone.
    "wall.link_walls": Rule(PUBLIC, params=lambda: {"token": "made-up-token"}, ok=410),
    "wall.poll": Rule(PUBLIC, params=_wall_id, ok_for=READERS, query="?after=0"),
    "wall.events": Rule(PUBLIC, params=_wall_id, ok_for=READERS),
    "wall.post_card": Rule(PUBLIC, params=_wall_id, method="POST", ok=302, ok_for=WRITERS,
                           data={"kind": "risk", "text": "Neue Karte"}),
    "wall.edit_card": Rule(PUBLIC, params=_card_id, method="POST", ok=302, ok_for=WRITERS, data={"text": "Neu"}),
    "wall.dot": Rule(PUBLIC, params=_card_id, method="POST", ok=302, ok_for=WRITERS),
    "wall.control": Rule(RUN, params=_wall_id, method="POST", ok=302, ok_for=LISTED_ONLY,
                         data={"action": "timer_start", "minutes": "5"}),
    "wall.move_card": Rule(RUN, params=_card_id, method="POST", ok=302, ok_for=LISTED_ONLY, data={"kind": "risk"}),
    "wall.hide_card": Rule(RUN, params=_card_id, method="POST", ok=302, ok_for=LISTED_ONLY, data={"reason": "Werbung"}),
    "wall.import_cards": Rule(RUN, params=_wall_id, ok_for=LISTED_ONLY),
    "wall.cluster": Rule(RUN, params=_wall_id, method="POST", ok=302, ok_for=LISTED_ONLY, data={"cards": ["1"]}),
}
