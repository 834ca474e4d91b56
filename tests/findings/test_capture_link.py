from planner.extensions import db
from planner.workshops.models import InvitationStatus
from tests import factories


def test_the_capture_link_is_offered_only_where_the_expert_takes_part(app, client, auth):
    with app.app_context():
        mine = factories.workshop(title="Mein Workshop")
        other = factories.workshop(title="Fremder Workshop")
        person = factories.person()
        factories.participation(workshop=mine, person=person, invitation_status=InvitationStatus.ACCEPTED)
        db.session.commit()
        mine_id, other_id, person_id = mine.id, other.id, person.id
    auth.login("expert", person_id=person_id)
    assert f"/findings/workshops/{mine_id}/capture" in client.get(f"/workshops/{mine_id}").get_data(as_text=True)
    assert "/capture" not in client.get(f"/workshops/{other_id}").get_data(as_text=True)
