"""Past dates in a date poll: a new date in the past is refused, experts are no longer offered dates that have
passed, the facilitator is warned (the best date has passed, some or all dates have passed) and cannot fix a past
date; a poll whose dates have all passed is replaced by new proposals."""

from datetime import timedelta

from sqlalchemy import select

from planner.core.models import utcnow
from planner.extensions import db
from planner.invitations import services
from planner.invitations.models import DateAnswer, DatePoll, DateVote
from planner.workshops.models import Workshop, WorkshopStatus
from tests import factories
from tests.conftest import text_of
from tests.invitations import helpers


def _poll_with_one_past_date(app, best_is_past=True):
    """A draft workshop, two invitees, a poll of three dates; the first date has meanwhile passed (and got the most
    yes votes when ``best_is_past``). Returns ids and tokens."""
    with app.app_context():
        workshop = helpers.draft_workshop(title="Terminwerkstatt")
        a, _ta = helpers.invitation(workshop=workshop)
        b, _tb = helpers.invitation(workshop=workshop)
        poll = services.create_poll(None, workshop, [
            (factories.aware(2030, 6, d, 9), factories.aware(2030, 6, d, 16)) for d in (2, 9, 16)])
        first, second, third = poll.options
        db.session.flush()
        # Announcing the poll mailed fresh personal links: take new ones the same way.
        (_i, ta), (_j, tb) = (services._issue_token(inv.participation, utcnow()) for inv in (a, b))
        for inv in (a, b):
            services.vote(inv.participation, poll, {first.id: "yes" if best_is_past else "no", second.id: "maybe",
                                                    third.id: "no"})
        # Time passes: the first date is now yesterday.
        first.starts_at = utcnow() - timedelta(days=1)
        first.ends_at = first.starts_at + timedelta(hours=7)
        db.session.commit()
        return {"wid": workshop.id, "poll": poll.id, "ids": (first.id, second.id, third.id),
                "tokens": (ta, tb), "pid": a.participation_id}


def _votes(pid):
    return {v.option_id: v.answer for v in db.session.scalars(select(DateVote).where(DateVote.participation_id == pid))}


def test_proposing_a_date_in_the_past_is_refused(app, client, auth):
    auth.login("facilitator")
    with app.app_context():
        wid = helpers.draft_workshop().id
        db.session.commit()
    past = (utcnow() - timedelta(days=3)).date().isoformat()
    response = client.post(f"/invitations/workshop/{wid}/dates", data={
        "options-0-day": past, "options-0-starts": "09:00", "options-0-ends": "16:00",
        "options-1-day": "2030-06-09", "options-1-starts": "09:00", "options-1-ends": "16:30",
    }, follow_redirects=True)
    page = text_of(response)
    assert "ist bereits vergangen" in page and "nur künftige Termine" in page
    assert "Nur künftige Termine können vorgeschlagen werden." in page
    with app.app_context():
        assert db.session.query(DatePoll).count() == 0
    # The same in English.
    client.post("/language", data={"lang": "en"})
    response = client.post(f"/invitations/workshop/{wid}/dates", data={
        "options-0-day": past, "options-0-starts": "09:00", "options-0-ends": "16:00",
        "options-1-day": "2030-06-09", "options-1-starts": "09:00", "options-1-ends": "16:30",
    }, follow_redirects=True)
    assert "has already passed. Please propose only dates to come." in text_of(response)


def test_experts_are_not_offered_past_dates(app, client, auth):
    ids = _poll_with_one_past_date(app)
    first, second, third = ids["ids"]
    token = ids["tokens"][0]
    page = client.get(f"/invitations/r/{token}").get_data(as_text=True)
    assert f'name="option-{first}"' not in page and f'name="option-{second}"' in page
    assert "1 vorgeschlagener Termin ist vergangen und wird nicht mehr angeboten." in text_of(client.get(
        f"/invitations/r/{token}"))
    # Marking the dates still to come is enough; the past date's earlier mark stays as it was.
    response = client.post(f"/invitations/r/{token}/dates", data={f"option-{second}": "yes", f"option-{third}": "yes"},
                           follow_redirects=True)
    assert "Ihre Termine wurden gespeichert" in text_of(response)
    with app.app_context():
        assert _votes(ids["pid"]) == {first: DateAnswer.YES, second: DateAnswer.YES, third: DateAnswer.YES}
    # A stale form that still marks the past date: refused with a message, nothing changes.
    response = client.post(f"/invitations/r/{token}/dates", data={
        f"option-{first}": "no", f"option-{second}": "no", f"option-{third}": "no"}, follow_redirects=True)
    assert "ist vergangen und kann nicht mehr gewählt werden" in text_of(response)
    with app.app_context():
        assert _votes(ids["pid"]) == {first: DateAnswer.YES, second: DateAnswer.YES, third: DateAnswer.YES}


def test_the_signed_in_expert_is_not_offered_past_dates_either(app, client, auth):
    ids = _poll_with_one_past_date(app)
    first, second, _third = ids["ids"]
    with app.app_context():
        person_id = db.session.get(DatePoll, ids["poll"]).workshop.participations[0].person_id
    auth.login("expert", person_id=person_id)
    page = client.get("/invitations/mine").get_data(as_text=True)
    assert f'name="option-{first}"' not in page and f'name="option-{second}"' in page


def test_the_facilitator_is_warned_when_the_best_date_has_passed_and_cannot_fix_it(app, client, auth, smtp):
    ids = _poll_with_one_past_date(app)
    smtp.messages.clear()  # the poll's announcement
    first, second, _third = ids["ids"]
    auth.login("facilitator")
    response = client.get(f"/invitations/workshop/{ids['wid']}/dates")
    html, page = response.get_data(as_text=True), text_of(response)
    assert "Der bisher beste Termin" in page and "ist vergangen und kann nicht mehr festgelegt werden" in page
    assert "Termin vergangen" in page
    # No button fixes the past date; the best date still to come carries the primary button.
    assert f'value="{first}"' not in html and f'value="{second}"' in html
    response = client.post(f"/invitations/polls/{ids['poll']}/fix", data={"option_id": str(first)},
                           follow_redirects=True)
    assert "kann nicht festgelegt werden" in text_of(response)
    with app.app_context():
        workshop = db.session.get(Workshop, ids["wid"])
        assert workshop.status == WorkshopStatus.DRAFT and db.session.get(DatePoll, ids["poll"]).is_open
    assert smtp.messages == []
    # In English.
    client.post("/language", data={"lang": "en"})
    page = text_of(client.get(f"/invitations/workshop/{ids['wid']}/dates"))
    assert "The best date so far" in page and "has passed and can no longer be fixed" in page
    # A date still to come is fixed as before.
    assert client.post(f"/invitations/polls/{ids['poll']}/fix", data={"option_id": str(second)}).status_code == 302
    with app.app_context():
        assert db.session.get(Workshop, ids["wid"]).status == WorkshopStatus.SCHEDULED


def test_a_passed_date_that_is_not_the_best_is_named_too(app, client, auth):
    ids = _poll_with_one_past_date(app, best_is_past=False)
    auth.login("facilitator")
    page = text_of(client.get(f"/invitations/workshop/{ids['wid']}/dates"))
    assert "1 vorgeschlagener Termin ist vergangen" in page and "Der bisher beste Termin" not in page


def test_when_every_date_has_passed_new_dates_replace_the_poll(app, client, auth, smtp):
    ids = _poll_with_one_past_date(app)
    with app.app_context():
        for option in db.session.get(DatePoll, ids["poll"]).options:
            option.starts_at = utcnow() - timedelta(days=2)
            option.ends_at = option.starts_at + timedelta(hours=7)
        db.session.commit()
    smtp.messages.clear()  # the poll's announcement
    token = ids["tokens"][0]
    page = text_of(client.get(f"/invitations/r/{token}"))
    assert "Alle vorgeschlagenen Termine sind vergangen" in page and "Meine Termine speichern" not in page
    auth.login("facilitator")
    page = text_of(client.get(f"/invitations/workshop/{ids['wid']}/dates"))
    assert "Alle vorgeschlagenen Termine sind vergangen" in page and "Termine vorschlagen" in page
    response = client.post(f"/invitations/polls/{ids['poll']}/remind", follow_redirects=True)
    assert "Alle vorgeschlagenen Termine sind vergangen" in text_of(response)
    assert smtp.messages == []
    response = client.post(f"/invitations/workshop/{ids['wid']}/dates", data={
        "options-0-day": "2030-07-02", "options-0-starts": "09:00", "options-0-ends": "16:00",
        "options-1-day": "2030-07-09", "options-1-starts": "09:00", "options-1-ends": "16:30",
    })
    assert response.status_code == 302
    with app.app_context():
        polls = db.session.scalars(select(DatePoll).order_by(DatePoll.id)).all()
        assert [p.is_open for p in polls] == [False, True]
    assert len(smtp.messages) == 2  # the new dates go to both invitees


def test_the_reminder_mail_lists_only_dates_to_come(app, client, auth, smtp):
    ids = _poll_with_one_past_date(app)
    with app.app_context():
        third_party, _t = helpers.invitation(workshop=db.session.get(Workshop, ids["wid"]))
        email = third_party.participation.person.email
        db.session.commit()
    auth.login("facilitator")
    client.post(f"/invitations/polls/{ids['poll']}/remind")
    (mail,) = smtp.to(email)
    text = smtp.text(mail)
    assert "9. Juni 2030" in text and "16. Juni 2030" in text and "2. Juni 2030" not in text
