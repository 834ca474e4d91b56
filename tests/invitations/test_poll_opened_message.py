"""Opening a date poll says whom it mailed: with nobody invited yet it does not claim that invitees were asked."""

from planner.extensions import db
from tests.conftest import text_of
from tests.invitations import helpers

DATES = {"options-0-day": "2030-06-03", "options-0-starts": "09:00", "options-0-ends": "16:00",
         "options-1-day": "2030-06-10", "options-1-starts": "09:00", "options-1-ends": "16:00"}


def test_opening_a_poll_without_invitees_says_nobody_is_invited_yet(app, client, auth):
    auth.login("facilitator")
    with app.app_context():
        wid = helpers.draft_workshop().id
        db.session.commit()
    page = text_of(client.post(f"/invitations/workshop/{wid}/dates", data=DATES, follow_redirects=True))
    assert "Die Terminumfrage wurde gestartet. Noch ist niemand eingeladen" in page
    assert "per E-Mail gebeten" not in page


def test_opening_a_poll_with_invitees_says_they_were_mailed(app, client, auth, smtp):
    auth.login("facilitator")
    with app.app_context():
        workshop = helpers.draft_workshop()
        inv, _token = helpers.invitation(workshop=workshop)
        db.session.commit()
        wid, address = workshop.id, inv.participation.person.email
    page = text_of(client.post(f"/invitations/workshop/{wid}/dates", data=DATES, follow_redirects=True))
    assert "die Eingeladenen wurden per E-Mail gebeten" in page and "Noch ist niemand eingeladen" not in page
    assert len(smtp.to(address)) == 1
