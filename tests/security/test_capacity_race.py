"""20 invitees accept at the same moment for the last place of a workshop: exactly one gets it, the other 19 are
waitlisted (the workshop's row is locked while places are counted). Runs on SQLite and, with ``--postgres``, on
PostgreSQL (SELECT … FOR UPDATE; without the lock, several of the 20 are told they have a place there).
On SQLite the lock takes the database's write lock before the places are counted."""

import threading

import pytest
from sqlalchemy import func, select

from planner.extensions import db
from planner.invitations.services import respond
from planner.workshops.models import InvitationStatus, Participation
from tests import factories
from tests.conftest import make_test_app

CONTENDERS = 20
CAPACITY = 5


@pytest.fixture
def crowded(tmp_path):
    """A workshop with one free place (capacity 5, 4 accepted) and 20 invitees who have not answered yet."""
    # One connection per contender (the default pool of 15 would make the last ones wait at the start line).
    app = make_test_app(tmp_path, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": CONTENDERS + 5})
    with app.app_context():
        db.create_all()
        workshop = factories.workshop(capacity=CAPACITY)
        for _ in range(CAPACITY - 1):
            factories.participation(workshop=workshop, invitation_status=InvitationStatus.ACCEPTED)
        invited = [factories.participation(workshop=workshop, invitation_status=InvitationStatus.INVITED).id
                   for _ in range(CONTENDERS)]
        db.session.commit()
        workshop_id = workshop.id
    yield app, workshop_id, invited
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _statuses(app, workshop_id) -> dict:
    with app.app_context():
        rows = db.session.execute(
            select(Participation.invitation_status, func.count(Participation.id))
            .where(Participation.workshop_id == workshop_id).group_by(Participation.invitation_status)
        ).all()
        return {status: count for status, count in rows}


def test_twenty_acceptances_for_the_last_place(crowded):
    app, workshop_id, invited = crowded
    start = threading.Barrier(CONTENDERS)
    answers, errors = [], []
    lock = threading.Lock()

    def accept(participation_id: int):
        with app.app_context():
            try:
                participation = db.session.get(Participation, participation_id)
                assert participation.workshop.capacity == CAPACITY  # everything loaded before the start
                start.wait(timeout=30)
                status = respond(participation, "accept", consent=True)
                db.session.commit()
                with lock:
                    answers.append(status)
            except Exception as error:  # noqa: BLE001 - reported below with the others
                db.session.rollback()
                with lock:
                    errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept, args=(pid,)) for pid in invited]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "an acceptance hung"
    assert errors == [], set(errors)
    # What each invitee was told matches what was stored: one place, 19 on the waitlist.
    assert sorted(answers) == sorted([InvitationStatus.ACCEPTED] + [InvitationStatus.WAITLISTED] * (CONTENDERS - 1))
    assert _statuses(app, workshop_id) == {InvitationStatus.ACCEPTED: CAPACITY,
                                           InvitationStatus.WAITLISTED: CONTENDERS - 1}
