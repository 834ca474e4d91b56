from planner.workshops.models import WorkshopStatus
from tests import factories
from tests.invitations.helpers import invitation
from tests.permission_rules import PUBLIC, SIGNED_IN, Rule

FACILITATOR = ("facilitator",)
# Object level: staff and the workshop's own participants; the expert and reviewer of the table took part nowhere.
NOT_PARTICIPANTS = {"expert": 403, "reviewer": 403}


def _held():
    return {"workshop_id": factories.workshop(status=WorkshopStatus.DOCUMENTED).id}


def _download():
    return {**_held(), "fmt": "html"}


def _token():
    workshop = factories.workshop(status=WorkshopStatus.DOCUMENTED)
    _invitation, token = invitation(workshop=workshop, invitation_status="accepted", attended=True)
    return {"token": token}


def _token_download():
    return {**_token(), "fmt": "html"}


RULES = {
    "minutes.show": Rule(SIGNED_IN, params=_held, ok_for=NOT_PARTICIPANTS),
    "minutes.download": Rule(SIGNED_IN, params=_download, ok_for=NOT_PARTICIPANTS),
    "minutes.edit": Rule(FACILITATOR, params=_held),
    "minutes.send": Rule(FACILITATOR, params=_held),
    "minutes.history": Rule(("facilitator", "strategy_team"), params=_held),
    "minutes.personal": Rule(PUBLIC, params=_token),
    "minutes.personal_download": Rule(PUBLIC, params=_token_download),
}
