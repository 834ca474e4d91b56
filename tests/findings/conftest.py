"""A small workshop scene for the findings tests: two workshops, agenda blocks, an expert in the first one."""

from dataclasses import dataclass

import pytest

from planner.core.permissions import Role
from planner.extensions import db
from planner.workshops.models import AgendaBlock, AgendaBlockKind, InvitationStatus
from tests import factories


@dataclass
class Scene:
    field_id: int
    other_field_id: int
    workshop_id: int
    other_workshop_id: int
    status_block_id: int
    needs_block_id: int
    measures_block_id: int
    other_block_id: int
    expert_id: int
    expert_email: str
    expert_person_id: int
    colleague_id: int
    colleague_email: str
    colleague_person_id: int
    facilitator_id: int
    facilitator_email: str
    strategy_id: int
    strategy_email: str


def _block(workshop, kind, position):
    block = AgendaBlock(workshop=workshop, kind=kind, title=str(kind.label), position=position)
    db.session.add(block)
    db.session.flush()
    return block


@pytest.fixture
def scene(app) -> Scene:
    with app.app_context():
        factories.process(target_year=2040)
        mob = factories.field(code="MOB", name_de="Smarte Mobilität", name_en="Smart mobility")
        umw = factories.field(code="UMW", name_de="Smarte Umwelt", name_en="Smart environment")
        facilitator = factories.user(Role.FACILITATOR, email="moderation@example.org")
        workshop = factories.workshop(fields=[mob, umw], facilitators=[facilitator])
        other = factories.workshop(fields=[mob])
        blocks = [_block(workshop, k, i) for i, k in enumerate(
            (AgendaBlockKind.WELCOME, AgendaBlockKind.STATUS_QUO, AgendaBlockKind.NEEDS, AgendaBlockKind.MEASURES))]
        other_block = _block(other, AgendaBlockKind.NEEDS, 1)
        person = factories.person(first_name="Erika", last_name="Expertin", email="expertin@example.org",
                                  has_consent=True)
        colleague_person = factories.person(first_name="Kai", last_name="Kollege", email="kollege@example.org",
                                            has_consent=True)
        factories.participation(workshop=workshop, person=person, invitation_status=InvitationStatus.ACCEPTED)
        factories.participation(workshop=workshop, person=colleague_person,
                                invitation_status=InvitationStatus.INVITED, attended=True)
        expert = factories.user(Role.EXPERT, email="expertin@example.org", person=person)
        colleague = factories.user(Role.EXPERT, email="kollege@example.org", person=colleague_person)
        strategy = factories.user(Role.STRATEGY_TEAM, email="strategie@example.org")
        db.session.commit()
        return Scene(
            field_id=mob.id, other_field_id=umw.id, workshop_id=workshop.id, other_workshop_id=other.id,
            status_block_id=blocks[1].id, needs_block_id=blocks[2].id, measures_block_id=blocks[3].id,
            other_block_id=other_block.id, expert_id=expert.id, expert_email=expert.email,
            expert_person_id=person.id, colleague_id=colleague.id, colleague_email=colleague.email,
            colleague_person_id=colleague_person.id, facilitator_id=facilitator.id,
            facilitator_email=facilitator.email, strategy_id=strategy.id, strategy_email=strategy.email,
        )
