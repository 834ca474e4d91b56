"""While a date poll runs, the invitation pages link to it as "Zur Terminumfrage", not "Terminumfrage starten"
(the poll page's button to start one): a facilitator must not think the poll still has to be started."""

from planner.extensions import db
from planner.invitations import services
from tests import factories
from tests.conftest import text_of
from tests.invitations import helpers


def test_invite_pages_link_to_the_running_poll_without_offering_to_start_it(app, client, auth):
    auth.login("facilitator")
    with app.app_context():
        workshop = helpers.draft_workshop(title="Umfragewerkstatt")
        expert = factories.person()
        services.create_poll(None, workshop, [
            (factories.aware(2030, 6, d, 9), factories.aware(2030, 6, d, 16)) for d in (2, 9)])
        db.session.commit()
        wid, eid = workshop.id, expert.id
    selection = text_of(client.get(f"/invitations/workshop/{wid}/invite"))
    assert "läuft eine Terminumfrage" in selection
    assert "Zur Terminumfrage" in selection and "Terminumfrage starten" not in selection
    confirm = text_of(client.post(f"/invitations/workshop/{wid}/invite", data={
        "mode": "selection", "page": "1", "shown_id": str(eid), "person_id": str(eid)}, follow_redirects=True))
    assert "Einladungen prüfen und senden" in confirm
    assert "Zur Terminumfrage" in confirm and "Terminumfrage starten" not in confirm
