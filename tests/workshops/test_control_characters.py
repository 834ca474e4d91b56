"""Finding 3 of issue 18: a CR/LF in a workshop title broke every mail about it (500 on public registration).

Forms refuse control characters in single-line fields; a value that is already stored (imported, or from before)
still cannot break a mail header."""

import re

from planner.extensions import db
from planner.workshops.models import InvitationStatus, Workshop, WorkshopKind, WorkshopStatus
from tests import factories
from tests.conftest import text_of
from tests.invitations import helpers
from tests.workshops.helpers import form_data

BROKEN_TITLE = "Bürgerdialog\r\nBcc: angreifer@example.org\x0b"


def _headers_ok(mail) -> None:
    assert "\n" not in mail["Subject"] and "\r" not in mail["Subject"]
    assert mail["Bcc"] is None and "angreifer" not in (mail["To"] or "")
    assert mail["Subject"].endswith("Bürgerdialog Bcc: angreifer@example.org")


def test_a_stored_line_break_in_a_title_breaks_no_mail(app, client, auth, outbox):
    with app.app_context():
        dialogue = factories.workshop(kind=WorkshopKind.CITIZEN_DIALOGUE, capacity=5, status=WorkshopStatus.SCHEDULED,
                                      title=BROKEN_TITLE)
        workshop = factories.workshop(status=WorkshopStatus.SCHEDULED, title=BROKEN_TITLE)
        reminded, _token = helpers.invitation(workshop=workshop)
        invitee = factories.person(email="eingeladen@example.org")
        db.session.commit()
        did, wid, invitee_id = dialogue.id, workshop.id, invitee.id
        assert db.session.get(Workshop, did).title == BROKEN_TITLE  # stored as it is

    # Public registration and its confirmation.
    asked = client.post(f"/workshops/{did}/register", data={
        "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org", "consent": "y"})
    assert asked.status_code == 302
    [confirm] = outbox()
    _headers_ok(confirm)
    link = re.search(r"http://localhost(\S+)", confirm.get_body(("plain",)).get_content()).group(1)
    assert client.get(link).status_code == 200
    done = client.post(link, follow_redirects=True)
    assert done.status_code == 200 and "Sie sind angemeldet" in text_of(done)

    auth.login("facilitator")
    # An invitation and a reminder.
    invited = client.post(f"/invitations/workshop/{wid}/invite",
                          data={"confirmed": "1", "mode": "selection", "person_id": [invitee_id]})
    assert invited.status_code == 302
    reminded = client.post(f"/invitations/workshop/{wid}/remind")
    assert reminded.status_code == 302
    # The cancellation tells everyone who has not declined.
    cancelled = client.post(f"/workshops/{wid}/cancel", data={"reason": "Raum nicht verfügbar"})
    assert cancelled.status_code == 302

    mails = outbox()
    subjects = [m["Subject"].split(":")[0] for m in mails]
    assert subjects[:2] == ["Bitte bestätigen Sie Ihre Anmeldung", "Anmeldung bestätigt"]
    assert "Einladung" in subjects and "Erinnerung" in subjects[2:] and subjects.count("Abgesagt") == 2
    for mail in mails:
        _headers_ok(mail)
    with app.app_context():
        statuses = {p.invitation_status for p in db.session.get(Workshop, wid).participations}
        assert statuses == {InvitationStatus.INVITED}


def test_forms_refuse_control_characters_and_strip_spaces(app, client, auth):
    with app.app_context():
        workshop = factories.workshop(status=WorkshopStatus.SCHEDULED, title="Alt")
        fields = [f.id for f in workshop.fields]
        db.session.commit()
        wid = workshop.id
    auth.login("facilitator")
    for bad in ("Neu\r\nZeile", "Neu\tZeile", "Neu\x85Zeile"):
        refused = client.post(f"/workshops/{wid}/edit", data=form_data(fields, title=bad))
        assert refused.status_code == 200
        assert "eine einzelne Zeile ohne Zeilenumbrüche" in text_of(refused)
    refused = client.post(f"/workshops/{wid}/edit", data=form_data(fields, location="Rathaus\nRaum 1",
                                                                     format="in_person"))
    assert "eine einzelne Zeile ohne Zeilenumbrüche" in text_of(refused)
    with app.app_context():
        assert db.session.get(Workshop, wid).title == "Alt"
    saved = client.post(f"/workshops/{wid}/edit", data=form_data(fields, title="  Neu\n"))
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(Workshop, wid).title == "Neu"


def test_single_line_field_in_people_and_registration_forms(app, client, auth):
    with app.app_context():
        did = factories.workshop(kind=WorkshopKind.CITIZEN_DIALOGUE, capacity=5, status=WorkshopStatus.SCHEDULED).id
        db.session.commit()
    refused = client.post(f"/workshops/{did}/register", data={
        "first_name": "Ada\r\nBcc: x@example.org", "last_name": "L", "email": "ada@example.org", "consent": "y"})
    assert refused.status_code == 200 and "eine einzelne Zeile" in text_of(refused)
    auth.login("facilitator")
    refused = client.post("/people/new", data={"first_name": "Eva", "last_name": "Neu\x00", "email": "eva@example.org"})
    assert refused.status_code == 200 and "eine einzelne Zeile" in text_of(refused)
