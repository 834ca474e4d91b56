"""A workshop with a status-quo, a needs and a measures block, a listed facilitator, an expert signed in and a second
expert who only has her personal invitation link."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from planner.core.models import utcnow
from planner.core.permissions import Role
from planner.extensions import db
from planner.invitations import services as invitations
from planner.workshops.models import AgendaBlock, AgendaBlockKind, InvitationStatus
from tests import factories


@dataclass
class WallScene:
    workshop_id: int
    field_id: int
    other_field_id: int
    status_block_id: int
    needs_block_id: int
    measures_block_id: int
    welcome_block_id: int
    facilitator_id: int
    facilitator_email: str
    expert_id: int
    expert_email: str
    expert_person_id: int
    link_person_id: int
    link_participation_id: int
    token: str
    strategy_email: str


def make_scene() -> WallScene:
    factories.process(target_year=2040)
    mob = factories.field(code="MOB", name_de="Smarte Mobilität", name_en="Smart mobility")
    umw = factories.field(code="UMW", name_de="Smarte Umwelt", name_en="Smart environment")
    facilitator = factories.user(Role.FACILITATOR, email="moderation@example.org")
    workshop = factories.workshop(fields=[mob, umw], facilitators=[facilitator],
                                  starts_at=utcnow() - timedelta(hours=1), ends_at=utcnow() + timedelta(hours=6))
    blocks = []
    for position, kind in enumerate((AgendaBlockKind.WELCOME, AgendaBlockKind.STATUS_QUO, AgendaBlockKind.NEEDS,
                                  AgendaBlockKind.MEASURES)):
        block = AgendaBlock(workshop=workshop, kind=kind, title=str(kind.label), position=position)
        db.session.add(block)
        blocks.append(block)
    db.session.flush()
    person = factories.person(first_name="Erika", last_name="Expertin", email="expertin@example.org",
                              has_consent=True)
    factories.participation(workshop=workshop, person=person, invitation_status=InvitationStatus.ACCEPTED)
    expert = factories.user(Role.EXPERT, email="expertin@example.org", person=person)
    link_person = factories.person(first_name="Lina", last_name="Link", email="lina@example.org", has_consent=True)
    participation = factories.participation(workshop=workshop, person=link_person,
                                            invitation_status=InvitationStatus.ACCEPTED)
    _invitation, token = invitations._issue_token(participation, utcnow())
    strategy = factories.user(Role.STRATEGY_TEAM, email="strategie@example.org")
    db.session.commit()
    return WallScene(
        workshop_id=workshop.id, field_id=mob.id, other_field_id=umw.id, status_block_id=blocks[1].id,
        needs_block_id=blocks[2].id, measures_block_id=blocks[3].id, welcome_block_id=blocks[0].id,
        facilitator_id=facilitator.id,
        facilitator_email=facilitator.email, expert_id=expert.id, expert_email=expert.email,
        expert_person_id=person.id, link_person_id=link_person.id, link_participation_id=participation.id,
        token=token, strategy_email=strategy.email,
    )


@pytest.fixture
def scene(app) -> WallScene:
    with app.app_context():
        return make_scene()
