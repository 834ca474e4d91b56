"""After the day (held, documented, cancelled or over), the answers page offers no more inviting or reminding (the
service would refuse them only after the facilitator had ticked people); the invite page says why instead."""

from datetime import timedelta

from planner.core.models import utcnow
from planner.extensions import db
from planner.workshops.models import WorkshopStatus
from tests import factories
from tests.conftest import text_of
from tests.invitations import helpers


def _workshop(**kw):
    workshop = factories.workshop(title="Nachherwerkstatt", **kw)
    helpers.invitation(workshop=workshop)
    db.session.commit()
    return workshop.id


def test_a_held_workshop_offers_no_invitations_or_reminders(app, client, auth):
    auth.login("facilitator")
    with app.app_context():
        past = utcnow() - timedelta(days=2)
        held = _workshop(status=WorkshopStatus.HELD, starts_at=past, ends_at=past + timedelta(hours=6))
        planned = _workshop(status=WorkshopStatus.SCHEDULED)
    page = text_of(client.get(f"/invitations/workshop/{held}/answers"))
    assert "Einladungen sind nur für geplante Workshops möglich." in page
    assert "Alle ohne Antwort erinnern" not in page and "Expertinnen und Experten einladen" not in page
    response = client.get(f"/invitations/workshop/{held}/invite")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/invitations/workshop/{held}/answers")
    assert "Einladungen sind nur für geplante Workshops möglich." in text_of(client.get(response.headers["Location"]))
    # A planned workshop still offers both.
    page = text_of(client.get(f"/invitations/workshop/{planned}/answers"))
    assert "Expertinnen und Experten einladen" in page and "Alle ohne Antwort erinnern" in page
    assert "Einladungen sind nur für geplante Workshops möglich." not in page
    assert client.get(f"/invitations/workshop/{planned}/invite").status_code == 200
