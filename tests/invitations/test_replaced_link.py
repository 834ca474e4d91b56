"""A personal link replaced by a later e-mail's (date poll, reminder, minutes) is unknown: the page says that later
e-mails bring a new link and to use the latest, not only to check the copying."""

from planner.core.models import utcnow
from planner.extensions import db
from planner.invitations import services
from tests.conftest import text_of
from tests.invitations import helpers


def test_an_old_link_replaced_by_a_later_mail_says_to_use_the_latest(app, client):
    with app.app_context():
        inv, old = helpers.invitation(workshop=helpers.draft_workshop())
        _inv, new = services._issue_token(inv.participation, utcnow())  # what a later e-mail does
        db.session.commit()
    response = client.get(f"/invitations/r/{old}")
    assert response.status_code == 404
    page = text_of(response)
    assert "nicht bekannt" in page and "bringt einen neuen persönlichen Link" in page
    assert "Bitte verwenden Sie den neuesten." in page
    assert client.get(f"/invitations/r/{new}").status_code == 200
