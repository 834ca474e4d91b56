from planner.workshops.models import InvitationStatus
from tests import factories
from tests.invitations import helpers
from tests.permission_rules import PUBLIC, STAFF, Rule

FACILITATOR = ("facilitator",)
EXPERT = ("expert",)


def _token() -> dict:
    _inv, token = helpers.invitation()
    return {"token": token}


def _workshop() -> dict:
    return {"workshop_id": factories.workshop().id}


def _invitation_id() -> dict:
    inv, _token = helpers.invitation()
    return {"invitation_id": inv.id}


RULES = {
    # Public pages: the token is the authorisation. A real token opens the page for everyone …
    "invitations.respond": Rule(PUBLIC, params=_token),
    # … a made-up one is unknown (404) and changes nothing.
    "invitations.answer": Rule(PUBLIC, method="POST", ok=404, params=lambda: {"token": "made-up-token"},
                               data={"answer": "accept", "consent": "y"}),
    "invitations.vote": Rule(PUBLIC, method="POST", ok=404, params=lambda: {"token": "made-up-token"}),
    "invitations.mine": Rule(EXPERT),
    # Someone else's participation: even the expert role (and an admin without that person) gets 403.
    "invitations.mine_answer": Rule(EXPERT, method="POST", ok=403,
                                    params=lambda: {"participation_id": factories.participation().id},
                                    data={"answer": "decline"}),
    "invitations.mine_vote": Rule(EXPERT, method="POST", ok=403,
                                  params=lambda: {"participation_id": factories.participation().id}),
    "invitations.invite": Rule(FACILITATOR, params=_workshop),
    "invitations.answers": Rule(FACILITATOR, params=_workshop),
    "invitations.remind": Rule(FACILITATOR, method="POST", ok=302, params=_workshop),
    "invitations.resend": Rule(FACILITATOR, method="POST", ok=302, params=_workshop),
    "invitations.revoke": Rule(FACILITATOR, method="POST", ok=302, params=_invitation_id),
    "invitations.promote": Rule(FACILITATOR, method="POST", ok=302, params=lambda: {
        "participation_id": factories.participation(invitation_status=InvitationStatus.WAITLISTED).id}),
    "invitations.checkin": Rule(FACILITATOR, params=_workshop),
    "invitations.checkin_print": Rule(FACILITATOR, params=_workshop),
    "invitations.export": Rule(FACILITATOR, params=_workshop),
    "invitations.balance_workshop": Rule(STAFF, params=_workshop),
    "invitations.balance_field": Rule(STAFF, params=lambda: {"field_id": factories.field().id}),
    "invitations.poll": Rule(FACILITATOR, params=lambda: {"workshop_id": helpers.draft_workshop().id}),
    "invitations.poll_remind": Rule(FACILITATOR, method="POST", ok=404, params=lambda: {"poll_id": 999999}),
    "invitations.poll_fix": Rule(FACILITATOR, method="POST", ok=404, params=lambda: {"poll_id": 999999},
                                 data={"option_id": "1"}),
}
