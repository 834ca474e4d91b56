"""What the mails of the date-finding chain say: accepting while a date poll is open does not state the provisional
date as fixed (it names the proposed dates); the fixed-date mail leads from its sentence straight to the date."""

from planner.extensions import db
from planner.invitations import services
from tests import factories
from tests.invitations import helpers


def _poll(workshop):
    return services.create_poll(None, workshop, [
        (factories.aware(2030, 6, d, 9), factories.aware(2030, 6, d, 16)) for d in (3, 10)])


def test_accepting_during_an_open_poll_says_the_date_is_not_fixed_yet(app, client, smtp):
    with app.app_context():
        workshop = helpers.draft_workshop(title="Zusagewerkstatt")
        inv, _token = helpers.invitation(workshop=workshop)
        _poll(workshop)
        db.session.commit()
        address = inv.participation.person.email
    token = helpers.token_from(smtp.text(smtp.to(address)[-1]))  # announcing the poll mailed a fresh link
    client.post(f"/invitations/r/{token}/answer", data={"answer": "accept", "consent": "y"})
    [mail] = [m for m in smtp.to(address) if "bestätigt" in m["Subject"]]
    text = smtp.text(mail)
    assert "Der Termin steht noch nicht fest" in text
    assert "noch nicht festgelegt – eine Terminumfrage läuft" in text
    assert "Montag, 3. Juni 2030, 09:00 – 16:00" in text and "Montag, 10. Juni 2030, 09:00 – 16:00" in text
    assert "Wann: Montag, 3. Juni 2030" not in text  # the provisional date is not stated as the date
    assert any(part.get_filename() == "termin.ics" for part in mail.iter_attachments())


def test_accepting_without_a_poll_states_the_date(app, client, smtp):
    with app.app_context():
        workshop = helpers.draft_workshop(title="Festwerkstatt", starts_at=factories.aware(2030, 6, 3, 9),
                                          ends_at=factories.aware(2030, 6, 3, 16))
        inv, token = helpers.invitation(workshop=workshop)
        db.session.commit()
        address = inv.participation.person.email
    client.post(f"/invitations/r/{token}/answer", data={"answer": "accept", "consent": "y"})
    [mail] = [m for m in smtp.to(address) if "bestätigt" in m["Subject"]]
    text = smtp.text(mail)
    assert "Wann: Montag, 3. Juni 2030, 09:00 – 16:00" in text and "noch nicht fest" not in text


def test_the_fixed_date_mail_names_the_date_right_after_its_sentence(app, smtp):
    with app.app_context():
        workshop = helpers.draft_workshop(title="Terminwerkstatt")
        inv, _token = helpers.invitation(workshop=workshop)
        poll = _poll(workshop)
        services.vote(inv.participation, poll, {o.id: "yes" for o in poll.options})
        services.fix_date(None, poll, poll.options[1])
        db.session.commit()
        address = inv.participation.person.email
    [mail] = [m for m in smtp.to(address) if "Der Termin steht fest" in m["Subject"]]
    lines = [line for line in smtp.text(mail).splitlines() if line.strip()]
    thanks = next(i for i, line in enumerate(lines) if "findet an diesem Termin statt:" in line)
    assert lines[thanks + 1] == "Terminwerkstatt"
    assert lines[thanks + 2].startswith("Wann: Montag, 10. Juni 2030")
    assert any("Kalenderdatei" in line for line in lines[thanks + 3:])


def test_the_fixed_date_mail_points_to_the_latest_link_not_the_invitations(app, client, smtp):
    """Invited, then the poll's mail replaced the invitation's link: the fixed-date mail must not send people to
    "the link in your invitation" (dead by now) but to the latest mail's link, which opens the fixed date."""
    with app.app_context():
        workshop = helpers.draft_workshop(title="Linkwerkstatt")
        inv, invitation_token = helpers.invitation(workshop=workshop)
        poll = _poll(workshop)
        services.fix_date(None, poll, poll.options[0])
        db.session.commit()
        address = inv.participation.person.email
    poll_mail, fixed_mail = smtp.to(address)
    text = smtp.text(fixed_mail)
    assert "Link in Ihrer Einladung" not in text
    assert "den aus der neuesten E-Mail zu diesem Workshop, die einen Link enthielt" in text
    assert client.get(f"/invitations/r/{invitation_token}").status_code == 404  # the invitation's link is dead
    page = client.get(f"/invitations/r/{helpers.token_from(smtp.text(poll_mail))}")  # the latest link works
    assert page.status_code == 200 and "Montag, 3. Juni 2030" in page.get_data(as_text=True)
