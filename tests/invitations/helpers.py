"""Test helpers of the invitations package."""

import re

from planner.core.security import hash_token, new_token
from planner.extensions import db
from planner.invitations.models import Invitation
from planner.workshops.models import InvitationStatus, WorkshopStatus
from tests import factories

LINK = re.compile(r"/invitations/r/([A-Za-z0-9_\-]+)")


def invitation(**kw) -> tuple[Invitation, str]:
    """A participation in status invited with a working link; returns (invitation, token)."""
    participation = kw.pop("participation", None)
    if participation is None:
        kw.setdefault("invitation_status", InvitationStatus.INVITED)
        participation = factories.participation(**kw)
    token = new_token()
    inv = Invitation(participation=participation, participation_id=participation.id, token_hash=hash_token(token),
                     expires_at=participation.workshop.ends_at)
    db.session.add(inv)
    db.session.flush()
    return inv, token


def draft_workshop(**kw):
    kw.setdefault("status", WorkshopStatus.DRAFT)
    return factories.workshop(**kw)


def token_from(text: str) -> str:
    match = LINK.search(text)
    assert match, text
    return match.group(1)
