"""Date finding as one chain: signed-in experts vote on "My invitations", the facilitator sees who answered what
(people × dates with totals) and reminds those who have not answered, at most once a day each."""

from datetime import timedelta

from sqlalchemy import select

from planner.core.models import utcnow
from planner.extensions import db
from planner.invitations import services
from planner.invitations.models import DateAnswer, DatePoll, DatePollReminder, DateVote
from tests import factories
from tests.conftest import text_of
from tests.invitations import helpers


def _poll(workshop, days=2):
    options = [(factories.aware(2030, 6, 1 + d, 9), factories.aware(2030, 6, 1 + d, 16)) for d in range(days)]
    return services.create_poll(None, workshop, options)


def _votes(pid):
    return {v.option_id: v.answer for v in db.session.scalars(select(DateVote).where(DateVote.participation_id == pid))}


def test_signed_in_expert_marks_the_dates_on_my_invitations_and_changes_them_until_fixed(app, client, auth):
    with app.app_context():
        person = factories.person()
        workshop = helpers.draft_workshop(title="Terminwerkstatt")
        inv, _token = helpers.invitation(workshop=workshop, person=person)
        other, _t = helpers.invitation(workshop=workshop)
        poll = _poll(workshop)
        db.session.commit()
        pid, other_pid, person_id = inv.participation_id, other.participation_id, person.id
        first, second = [o.id for o in poll.options]
        poll_id = poll.id
    auth.login("expert", person_id=person_id)
    page = text_of(client.get("/invitations/mine"))
    assert "Terminwerkstatt" in page and "Welche Termine passen Ihnen?" in page and "Meine Termine speichern" in page
    response = client.post(f"/invitations/mine/{pid}/dates", data={f"option-{first}": "yes",
                                                                   f"option-{second}": "maybe"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#dates-{pid}")
    page = text_of(client.get("/invitations/mine"))
    assert "Ihre Termine wurden gespeichert" in page and "Bis der Termin feststeht" in page
    # One vote per person and date: a change updates the marks.
    client.post(f"/invitations/mine/{pid}/dates", data={f"option-{first}": "no", f"option-{second}": "yes"})
    with app.app_context():
        assert _votes(pid) == {first: DateAnswer.NO, second: DateAnswer.YES}
    # A date left unmarked: a message, nothing changes.
    response = client.post(f"/invitations/mine/{pid}/dates", data={f"option-{first}": "yes"}, follow_redirects=True)
    assert "Bitte markieren Sie jeden vorgeschlagenen Termin." in text_of(response)
    # Someone else's invitation: refused.
    assert client.post(f"/invitations/mine/{other_pid}/dates",
                       data={f"option-{first}": "yes", f"option-{second}": "yes"}).status_code == 403
    with app.app_context():
        assert _votes(pid) == {first: DateAnswer.NO, second: DateAnswer.YES}
        assert _votes(other_pid) == {}
        services.fix_date(None, db.session.get(DatePoll, poll_id), db.session.get(DatePoll, poll_id).options[1])
        db.session.commit()
    # Fixed: the poll is gone from the page, a late vote changes nothing.
    assert "Welche Termine passen Ihnen?" not in text_of(client.get("/invitations/mine"))
    response = client.post(f"/invitations/mine/{pid}/dates", data={f"option-{first}": "yes",
                                                                   f"option-{second}": "yes"}, follow_redirects=True)
    assert "Die Terminumfrage ist abgeschlossen: Der Termin steht fest." in text_of(response)
    with app.app_context():
        assert _votes(pid) == {first: DateAnswer.NO, second: DateAnswer.YES}


def test_the_grid_shows_who_answered_what_and_reminds_only_the_silent_once_a_day(app, client, auth, smtp):
    with app.app_context():
        workshop = helpers.draft_workshop(title="Rasterwerkstatt")
        anna, _ = helpers.invitation(workshop=workshop, person=factories.person(first_name="Anna", last_name="Ahrens"))
        bert, _ = helpers.invitation(workshop=workshop, person=factories.person(first_name="Bert", last_name="Brandt"))
        cleo, _ = helpers.invitation(workshop=workshop, person=factories.person(first_name="Cleo", last_name="Cramer"))
        poll = _poll(workshop)
        first, second = [o.id for o in poll.options]
        services.vote(anna.participation, poll, {first: "yes", second: "no"})
        services.vote(bert.participation, poll, {first: "maybe", second: "yes"})
        db.session.commit()
        wid, poll_id = workshop.id, poll.id
        cleo_email, cleo_pid = cleo.participation.person.email, cleo.participation_id
    smtp.messages.clear()
    auth.login("facilitator")
    response = client.get(f"/invitations/workshop/{wid}/dates")
    html, text = response.get_data(as_text=True), text_of(response)
    assert "Wer hat was geantwortet" in text
    assert "1 eingeladene Person hat die Termine noch nicht markiert." in text
    # Row by row in the table (not depending on line breaks): each person's answers in the order of the dates.
    assert "Anna Ahrens Ja Nein" in text and "Bert Brandt Wenn nötig Ja" in text
    assert "Cleo Cramer keine Antwort keine Antwort" in text
    assert "Summe: Ja 1 1" in text and "Summe: Wenn nötig 1 0" in text and "Summe: Nein 0 1" in text
    assert 'class="voter-grid" tabindex="0" role="region"' in html
    response = client.post(f"/invitations/polls/{poll_id}/remind", follow_redirects=True)
    assert "1 Erinnerung wurde versendet." in text_of(response)
    assert [rcpt for rcpt, _m in smtp.messages] == [[cleo_email]]
    mail = smtp.messages[0][1]
    assert "Erinnerung: Welche Termine passen Ihnen?" in mail["Subject"]
    token = helpers.token_from(smtp.text(mail))
    assert "Welche Termine passen Ihnen?" in text_of(client.get(f"/invitations/r/{token}"))
    # Shown when last reminded; a second click the same day sends nothing.
    text = text_of(client.get(f"/invitations/workshop/{wid}/dates"))
    assert "Zuletzt erinnert" in text
    response = client.post(f"/invitations/polls/{poll_id}/remind", follow_redirects=True)
    assert "Keine Erinnerungen fällig" in text_of(response)
    assert len(smtp.messages) == 1
    with app.app_context():
        mark = db.session.scalar(select(DatePollReminder).where(DatePollReminder.participation_id == cleo_pid))
        mark.sent_at = utcnow() - timedelta(days=1, minutes=1)
        db.session.commit()
    client.post(f"/invitations/polls/{poll_id}/remind")
    assert len(smtp.messages) == 2
    with app.app_context():
        assert db.session.query(DatePollReminder).count() == 1


def test_a_poll_with_thirty_dates_stays_usable(app, client, auth):
    auth.login("facilitator")
    with app.app_context():
        workshop = helpers.draft_workshop()
        helpers.invitation(workshop=workshop)
        db.session.commit()
        wid = workshop.id
    page = client.get(f"/invitations/workshop/{wid}/dates?rows=30").get_data(as_text=True)
    assert 'name="options-29-day"' in page and "options-30-day" not in page
    data = {}
    for i in range(30):
        day = factories.aware(2030, 5, 1) + timedelta(days=i)
        data.update({f"options-{i}-day": day.date().isoformat(), f"options-{i}-starts": "09:00",
                     f"options-{i}-ends": "16:00"})
    assert client.post(f"/invitations/workshop/{wid}/dates", data=data).status_code == 302
    html = client.get(f"/invitations/workshop/{wid}/dates").get_data(as_text=True)
    with app.app_context():
        poll = db.session.scalar(select(DatePoll).where(DatePoll.workshop_id == wid))
        assert len(poll.options) == 30
    # One column per date in the grid, with its header cells scoped for screen readers.
    grid = html[html.index('class="voter-grid"'):]
    grid = grid[:grid.index("</table>")]
    assert grid.count('<th scope="col"') == 32
    # More than 30 are refused with a message by the service.
    with app.app_context():
        import pytest

        from planner.core.errors import DomainError

        other = helpers.draft_workshop()
        options = [(factories.aware(2030, 7, 1) + timedelta(days=i), factories.aware(2030, 7, 1, 8) + timedelta(days=i))
                   for i in range(31)]
        with pytest.raises(DomainError, match="höchstens 30"):
            services.create_poll(None, other, options)
