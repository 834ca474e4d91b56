import io
from datetime import timedelta

import openpyxl
from sqlalchemy import select

from planner.core.models import utcnow
from planner.core.security import hash_token
from planner.core.timeutil import local_today
from planner.extensions import db
from planner.invitations import services
from planner.invitations.models import DateAnswer, DateOption, DatePoll, DateVote, Invitation
from planner.people.models import Person, Sector
from planner.workshops.models import InvitationStatus, Participation, Workshop, WorkshopStatus
from tests import factories
from tests.conftest import text_of
from tests.invitations import helpers

SEND = {"confirmed": "1"}  # the confirmation step's button: without it, the invite POST only previews


def _people(app, n=2, **kw):
    with app.app_context():
        ids = [factories.person(**kw).id for _ in range(n)]
        db.session.commit()
        return ids


# --- inviting, e-mail through a real SMTP server --------------------------------------------------------------


def test_invite_by_selection_sends_mail_over_smtp_with_personal_link(app, client, auth, smtp):
    auth.login("facilitator")
    with app.app_context():
        workshop = factories.workshop(title="Smarte Mobilität 2030", location="Rathaus, Raum 1")
        a = factories.person(first_name="Anna", last_name="Alt", email="anna@example.org")
        b = factories.person(email="bert@example.org")
        db.session.commit()
        wid, aid, bid = workshop.id, a.id, b.id
    response = client.post(f"/invitations/workshop/{wid}/invite", data={**SEND, "mode": "selection",
                                                                           "person_id": [str(aid), str(bid)]})
    assert response.status_code == 302
    assert len(smtp.messages) == 2
    message = smtp.to("anna@example.org")[0]
    assert message["Subject"] == "Einladung: Smarte Mobilität 2030"
    body = smtp.text(message)
    assert "Sehr geehrte" in body or "Guten Tag" in body
    assert "Rathaus, Raum 1" in body
    assert "Dienstag, 5. März 2030, 09:00 – 16:30" in body
    html = message.get_body(preferencelist=("html",)).get_content()
    token = helpers.token_from(body)
    assert token in html
    assert len(token) >= 43  # 256 bits, URL-safe
    with app.app_context():
        participation = db.session.scalar(select(Participation).where(Participation.person_id == aid))
        assert participation.invitation_status == InvitationStatus.INVITED and participation.invited_at
        invitation = db.session.scalar(select(Invitation).where(Invitation.participation_id == participation.id))
        assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash
        assert invitation.expires_at == participation.workshop.ends_at and invitation.sent_at
    page = client.get(f"/invitations/r/{token}")
    assert page.status_code == 200
    assert "Smarte Mobilität 2030" in text_of(page)


def test_invite_asks_for_confirmation_with_count_sector_balance_and_mail_preview(app, client, auth, smtp):
    """Selection first: the POST without confirmation sends nothing and shows what would go out."""
    auth.login("facilitator")
    with app.app_context():
        workshop = factories.workshop(title="Smarte Bildung 2030", status=WorkshopStatus.DRAFT)
        uni = factories.organisation(sector=Sector.SCIENCE)
        city = factories.organisation(sector=Sector.ADMINISTRATION)
        people = [factories.person(first_name="Anna", last_name="Alt", organisation=uni),
                  factories.person(organisation=uni), factories.person(organisation=city)]
        declined = factories.participation(workshop=workshop, invitation_status=InvitationStatus.DECLINED).person
        db.session.commit()
        wid, ids = workshop.id, [str(p.id) for p in people] + [str(declined.id)]
    selection = text_of(client.get(f"/invitations/workshop/{wid}/invite"))
    assert "Niemand ausgewählt" in selection
    step = client.post(f"/invitations/workshop/{wid}/invite", data={"mode": "selection", "person_id": ids})
    text = text_of(step)
    assert step.status_code == 200 and smtp.messages == []
    assert "3 Personen werden per E-Mail eingeladen" in text and "1 Person hat bereits geantwortet" in text
    assert "noch ein Entwurf" in text
    assert "Wissenschaft 2 67" in text and "Verwaltung 1 33" in text and "Niemand aus: Wirtschaft" in text
    assert "Betreff Einladung: Smarte Bildung 2030" in text and "Anna Alt" in text
    with app.app_context():
        assert db.session.query(Invitation).count() == 0, "nothing is saved before the confirmation"
    sent = client.post(f"/invitations/workshop/{wid}/invite",
                       data={**SEND, "mode": "selection", "person_id": ids[:3]})
    assert sent.status_code == 302 and len(smtp.messages) == 3


def test_invitation_for_a_workshop_with_an_open_poll_says_so_and_links_to_it(app, client, auth, smtp):
    auth.login("facilitator")
    with app.app_context():
        workshop = factories.workshop(title="Termin offen", status=WorkshopStatus.DRAFT)
        services.create_poll(None, workshop, [(factories.aware(2030, 6, 1, 9), factories.aware(2030, 6, 1, 16)),
                                              (factories.aware(2030, 6, 8, 9), factories.aware(2030, 6, 8, 16))])
        person = factories.person(email="offen@example.org")
        db.session.commit()
        wid, pid = workshop.id, person.id
    assert "Terminumfrage" in text_of(client.get(f"/invitations/workshop/{wid}/invite"))
    step = text_of(client.post(f"/invitations/workshop/{wid}/invite", data={"mode": "selection", "person_id": pid}))
    assert "noch nicht festgelegt" in step and "Samstag, 1. Juni 2030" in step
    client.post(f"/invitations/workshop/{wid}/invite", data={**SEND, "mode": "selection", "person_id": pid})
    body = smtp.text(smtp.to("offen@example.org")[-1])
    assert "noch nicht festgelegt" in body and "Samstag, 8. Juni 2030, 09:00 – 16:00" in body
    assert helpers.token_from(body)


def test_invite_by_filter_field_and_sector(app, client, auth, smtp):
    auth.login("facilitator")
    with app.app_context():
        mob = factories.field(code="MOB")
        uni = factories.organisation(sector=Sector.SCIENCE)
        firm = factories.organisation(sector=Sector.BUSINESS)
        factories.person(email="forscher@example.org", organisation=uni, fields=[mob])
        factories.person(email="firma@example.org", organisation=firm, fields=[mob])
        factories.person(email="anderes@example.org", organisation=uni)
        workshop = factories.workshop()
        db.session.commit()
        wid, mob_id = workshop.id, mob.id
    response = client.post(f"/invitations/workshop/{wid}/invite",
                           data={**SEND, "mode": "filter", "field": str(mob_id), "sector": "science"})
    assert response.status_code == 302
    assert [rcpt for rcpt, _m in smtp.messages] == [["forscher@example.org"]]
    # A filter without field or sector is refused: nobody is invited by accident.
    response = client.post(f"/invitations/workshop/{wid}/invite", data={**SEND, "mode": "filter"},
                           follow_redirects=True)
    assert "Handlungsfeld oder einen Sektor" in text_of(response)
    assert len(smtp.messages) == 1


def test_reinvite_skips_people_who_answered(ctx, smtp):
    workshop = factories.workshop()
    answered = factories.participation(workshop=workshop, invitation_status=InvitationStatus.DECLINED).person
    fresh = factories.person()
    result = services.invite_people(None, workshop, [answered, fresh])
    assert result.invited == [fresh] and result.skipped == [answered]
    assert smtp.messages == []  # mail leaves after the commit
    db.session.commit()
    assert len(smtp.messages) == 1


def test_invite_refused_for_cancelled_workshop_and_without_selection(app, client, auth):
    auth.login("facilitator")
    with app.app_context():
        cancelled = factories.workshop(status=WorkshopStatus.CANCELLED)
        person = factories.person()
        open_ws = factories.workshop()
        db.session.commit()
        cid, pid, oid = cancelled.id, person.id, open_ws.id
    response = client.post(f"/invitations/workshop/{cid}/invite",
                           data={**SEND, "mode": "selection", "person_id": [pid]}, follow_redirects=True)
    assert "nur für geplante Workshops" in text_of(response)
    response = client.post(f"/invitations/workshop/{oid}/invite", data={**SEND, "mode": "selection"},
                           follow_redirects=True)
    assert "mindestens eine Person" in text_of(response)
    with app.app_context():
        assert db.session.query(Participation).count() == 0


def test_smtp_down_the_invitation_is_kept_and_its_mail_retried_later(app, client, auth, smtp, runner):
    """The invitation is stored; its e-mail waits in the outbox until the server is back (`flask mail flush`)."""
    auth.login("facilitator")
    with app.app_context():
        workshop = factories.workshop()
        person = factories.person(email="wartet@example.org")
        db.session.commit()
        wid, pid = workshop.id, person.id
    port = app.config["MAIL_PORT"]
    app.config.update(MAIL_PORT=1)  # nothing listens there
    response = client.post(f"/invitations/workshop/{wid}/invite",
                           data={**SEND, "mode": "selection", "person_id": [pid]}, follow_redirects=True)
    assert response.status_code == 200
    assert "Die Änderung ist gespeichert; die E-Mail wird in einigen Minuten automatisch erneut" in text_of(response)
    with app.app_context():
        assert db.session.query(Participation).count() == 1 and db.session.query(Invitation).count() == 1
    assert smtp.messages == []
    app.config.update(MAIL_PORT=port)
    result = runner.invoke(args=["mail", "flush", "--all"])
    assert result.exit_code == 0, result.output
    assert "Delivered 1" in result.output
    [mail] = smtp.to("wartet@example.org")
    assert mail["Subject"].startswith("Einladung")
    assert runner.invoke(args=["mail", "flush", "--all"]).output.startswith("Delivered 0")
    assert len(smtp.messages) == 1


# --- the personal link ---------------------------------------------------------------------------------------


def test_accept_records_consent_and_share_contact(app, client):
    with app.app_context():
        inv, token = helpers.invitation()
        person = inv.participation.person
        person.has_consent = False
        db.session.commit()
        pid, part_id = person.id, inv.participation_id
    page = client.get(f"/invitations/r/{token}")
    assert "Zusagen" in text_of(page) and "Absagen" in text_of(page)
    # Without consent: refused, nothing changes.
    response = client.post(f"/invitations/r/{token}/answer", data={"answer": "accept"})
    assert response.status_code == 422
    assert "Einwilligung" in text_of(response) or "Verarbeitung Ihrer Daten" in text_of(response)
    with app.app_context():
        assert db.session.get(Participation, part_id).invitation_status == InvitationStatus.INVITED
    response = client.post(f"/invitations/r/{token}/answer",
                           data={"answer": "accept", "consent": "y", "share_contact": "y"})
    assert response.status_code == 302
    with app.app_context():
        participation = db.session.get(Participation, part_id)
        assert participation.invitation_status == InvitationStatus.ACCEPTED and participation.responded_at
        if services.has_shares_contact():
            assert participation.shares_contact is True
        person = db.session.get(Person, pid)
        assert person.has_consent and person.consent_at and "Workshop" in person.consent_text
    page = client.get(f"/invitations/r/{token}")
    assert "Zusage wurde gespeichert" in text_of(page)


def test_double_accept_changes_nothing(app, client):
    with app.app_context():
        inv, token = helpers.invitation()
        db.session.commit()
        part_id = inv.participation_id
    client.post(f"/invitations/r/{token}/answer", data={"answer": "accept", "consent": "y"})
    with app.app_context():
        first = db.session.get(Participation, part_id).responded_at
    response = client.post(f"/invitations/r/{token}/answer", data={"answer": "accept", "consent": "y"},
                           follow_redirects=True)
    assert "bereits zugesagt" in text_of(response)
    with app.app_context():
        assert db.session.get(Participation, part_id).responded_at == first


def test_unknown_revoked_and_expired_links(app, client):
    with app.app_context():
        revoked, revoked_token = helpers.invitation()
        revoked.revoked_at = utcnow()
        past = factories.workshop(starts_at=factories.aware(2020, 1, 1), ends_at=factories.aware(2020, 1, 1, 17))
        expired, expired_token = helpers.invitation(workshop=past)
        db.session.commit()
        ids = revoked.participation_id, expired.participation_id
    response = client.get("/invitations/r/this-token-does-not-exist")
    assert response.status_code == 404 and "nicht bekannt" in text_of(response)
    response = client.get(f"/invitations/r/{revoked_token}")
    assert response.status_code == 410 and "zurückgezogen" in text_of(response)
    response = client.get(f"/invitations/r/{expired_token}")
    assert response.status_code == 410 and "abgelaufen" in text_of(response)
    for token in (revoked_token, expired_token):
        assert client.post(f"/invitations/r/{token}/answer",
                           data={"answer": "accept", "consent": "y"}).status_code == 410
    assert client.post("/invitations/r/nope/answer", data={"answer": "accept", "consent": "y"}).status_code == 404
    with app.app_context():
        assert all(db.session.get(Participation, i).invitation_status == InvitationStatus.INVITED for i in ids)


def test_accepting_by_link_confirms_by_mail_with_a_calendar_file_and_the_page_stays_readable(app, client, smtp):
    with app.app_context():
        workshop = factories.workshop(title="Smarte Mobilität", sequence=3)
        inv, token = helpers.invitation(workshop=workshop)
        db.session.commit()
        email, wid = inv.participation.person.email, workshop.id
    client.post(f"/invitations/r/{token}/answer", data={"answer": "accept", "consent": "y"})
    (mail,) = smtp.to(email)
    assert "bestätigt" in mail["Subject"] and "Smarte Mobilität" in mail["Subject"]
    assert f"/invitations/r/{token}" in smtp.text(mail)  # the personal page, from BASE_URL
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    ics = attachment.get_payload(decode=True).decode("utf-8").replace("\r\n ", "")  # unfold long lines
    assert "SEQUENCE:3" in ics and "SUMMARY:Smarte Mobilität" in ics

    # After the workshop: the page stays readable, without "Absagen" and without answering.
    with app.app_context():
        workshop = db.session.get(Workshop, wid)
        workshop.starts_at, workshop.ends_at = factories.aware(2024, 3, 5), factories.aware(2024, 3, 5, 17)
        workshop.status = WorkshopStatus.HELD
        db.session.commit()
    response = client.get(f"/invitations/r/{token}")
    page = text_of(response)
    assert response.status_code == 200 and "Smarte Mobilität" in page
    assert "Absagen" not in page and "nicht mehr möglich" in page
    assert client.post(f"/invitations/r/{token}/answer", data={"answer": "decline"}).status_code == 410
    with app.app_context():
        assert db.session.get(Workshop, wid).participations[0].invitation_status == InvitationStatus.ACCEPTED


def test_token_only_acts_on_its_own_invitation(app, client):
    """An expert with one link cannot answer another person's invitation, whatever the form says."""
    with app.app_context():
        mine, my_token = helpers.invitation()
        other, _other_token = helpers.invitation(workshop=mine.participation.workshop)
        db.session.commit()
        mine_id, other_id = mine.participation_id, other.participation_id
    client.post(f"/invitations/r/{my_token}/answer",
                data={"answer": "decline", "participation_id": other_id, "person_id": other_id})
    with app.app_context():
        assert db.session.get(Participation, mine_id).invitation_status == InvitationStatus.DECLINED
        assert db.session.get(Participation, other_id).invitation_status == InvitationStatus.INVITED


# --- capacity and waitlist -----------------------------------------------------------------------------------


def test_full_workshop_waitlists_and_decline_promotes_first_waitlisted(app, client, smtp):
    with app.app_context():
        workshop = factories.workshop(capacity=1)
        first, t1 = helpers.invitation(workshop=workshop)
        second, t2 = helpers.invitation(workshop=workshop)
        third, t3 = helpers.invitation(workshop=workshop)
        db.session.commit()
        ids = first.participation_id, second.participation_id, third.participation_id
        second_email = second.participation.person.email
    client.post(f"/invitations/r/{t1}/answer", data={"answer": "accept", "consent": "y"})
    response = client.post(f"/invitations/r/{t2}/answer", data={"answer": "accept", "consent": "y"},
                           follow_redirects=True)
    assert "Warteliste" in text_of(response)
    client.post(f"/invitations/r/{t3}/answer", data={"answer": "accept", "consent": "y"})
    with app.app_context():
        statuses = [db.session.get(Participation, i).invitation_status for i in ids]
        assert statuses == [InvitationStatus.ACCEPTED, InvitationStatus.WAITLISTED, InvitationStatus.WAITLISTED]
    client.post(f"/invitations/r/{t1}/answer", data={"answer": "decline"})
    with app.app_context():
        statuses = [db.session.get(Participation, i).invitation_status for i in ids]
        assert statuses == [InvitationStatus.DECLINED, InvitationStatus.ACCEPTED, InvitationStatus.WAITLISTED]
    promoted = smtp.to(second_email)
    assert len(promoted) == 1 and "frei geworden" in promoted[0]["Subject"]


def _waitlisted(workshop, minutes_ago: int):
    return factories.participation(workshop=workshop, invitation_status=InvitationStatus.WAITLISTED,
                                   responded_at=utcnow() - timedelta(minutes=minutes_ago))


def test_raising_the_capacity_promotes_the_waitlist_in_order_with_mails(app, smtp):
    from planner.workshops.services import WorkshopData, update_workshop

    with app.app_context():
        workshop = factories.workshop(capacity=1, video_link="https://video.example.org/ws")
        factories.participation(workshop=workshop)  # the one place is taken
        late, early, last = _waitlisted(workshop, 10), _waitlisted(workshop, 30), _waitlisted(workshop, 5)
        db.session.commit()
        data = WorkshopData.from_workshop(workshop)
        data.capacity = 3
        update_workshop(workshop, data, factories.user("facilitator"))
        db.session.commit()
        assert [p.invitation_status for p in (early, late, last)] == [
            InvitationStatus.ACCEPTED, InvitationStatus.ACCEPTED, InvitationStatus.WAITLISTED]
        emails = early.person.email, late.person.email, last.person.email
    assert all("frei geworden" in m["Subject"] for e in emails[:2] for m in smtp.to(e))
    assert len(smtp.to(emails[0])) == 1 and len(smtp.to(emails[1])) == 1 and smtp.to(emails[2]) == []


def test_a_facilitator_gives_a_waitlisted_person_a_place_by_hand(app, client, auth, smtp):
    auth.login("facilitator")
    with app.app_context():
        workshop = factories.workshop(capacity=1)
        factories.participation(workshop=workshop)
        first, chosen = _waitlisted(workshop, 30), _waitlisted(workshop, 5)
        db.session.commit()
        wid, first_id, chosen_id, email = workshop.id, first.id, chosen.id, chosen.person.email
    page = text_of(client.get(f"/invitations/workshop/{wid}/answers"))
    assert "einen Platz geben (Kapazität + 1)" in page
    response = client.post(f"/invitations/participation/{chosen_id}/promote", follow_redirects=True)
    assert "ausgebucht" in text_of(response)  # without raising the capacity: nothing happens
    with app.app_context():
        assert db.session.get(Participation, chosen_id).invitation_status == InvitationStatus.WAITLISTED
    response = client.post(f"/invitations/participation/{chosen_id}/promote", data={"raise": "1"},
                           follow_redirects=True)
    assert "hat jetzt einen Platz" in text_of(response)
    with app.app_context():
        assert db.session.get(Participation, chosen_id).invitation_status == InvitationStatus.ACCEPTED
        assert db.session.get(Participation, first_id).invitation_status == InvitationStatus.WAITLISTED
        assert db.session.get(Workshop, wid).capacity == 2
    assert len(smtp.to(email)) == 1


# --- my invitations ------------------------------------------------------------------------------------------


def test_signed_in_expert_answers_own_invitation_but_not_others(app, client, auth):
    with app.app_context():
        person = factories.person()
        mine = factories.participation(person=person, invitation_status=InvitationStatus.INVITED)
        theirs = factories.participation(invitation_status=InvitationStatus.INVITED)
        db.session.commit()
        pid, mine_id, theirs_id, wid = person.id, mine.id, theirs.id, theirs.workshop_id
    auth.login("expert", person_id=pid)
    page = client.get("/invitations/mine")
    assert "Zusagen" in text_of(page)
    response = client.post(f"/invitations/mine/{mine_id}",
                           data={"answer": "accept", f"p{mine_id}-consent": "y"})
    assert response.status_code == 302
    assert client.post(f"/invitations/mine/{theirs_id}", data={"answer": "decline"}).status_code == 403
    assert client.get(f"/invitations/workshop/{wid}/answers").status_code == 403
    with app.app_context():
        assert db.session.get(Participation, mine_id).invitation_status == InvitationStatus.ACCEPTED
        assert db.session.get(Participation, theirs_id).invitation_status == InvitationStatus.INVITED


def test_nav_shows_my_invitations_only_to_experts(app, client, auth):
    auth.login("expert")
    assert "Meine Einladungen" in text_of(client.get("/invitations/mine"))
    auth.logout()
    auth.login("facilitator")
    with app.app_context():
        wid = factories.workshop().id
        db.session.commit()
    page = text_of(client.get(f"/workshops/{wid}"))
    assert "Meine Einladungen" not in page
    for label in ("Expertinnen und Experten einladen", "Antworten", "Check-in-Liste", "Terminfindung",
                  "Sektorenbalance"):
        assert label in page


# --- reminders, answers overview, revoking -------------------------------------------------------------------


def test_reminders_once_a_day_to_those_who_have_not_answered(app, client, auth, smtp):
    auth.login("facilitator")
    with app.app_context():
        workshop = factories.workshop()
        silent, old_token = helpers.invitation(workshop=workshop)
        answered, _t = helpers.invitation(workshop=workshop)
        answered.participation.invitation_status = InvitationStatus.ACCEPTED
        db.session.commit()
        wid, silent_email, inv_id = workshop.id, silent.participation.person.email, silent.id
    client.post(f"/invitations/workshop/{wid}/remind")
    assert [rcpt for rcpt, _m in smtp.messages] == [[silent_email]]
    new_token = helpers.token_from(smtp.text(smtp.messages[0][1]))
    assert client.get(f"/invitations/r/{new_token}").status_code == 200
    response = client.post(f"/invitations/workshop/{wid}/remind", follow_redirects=True)
    assert "Keine Erinnerungen fällig" in text_of(response)
    assert len(smtp.messages) == 1
    with app.app_context():
        inv = db.session.get(Invitation, inv_id)
        inv.reminder_sent_at = utcnow() - timedelta(days=1, minutes=1)
        db.session.commit()
    client.post(f"/invitations/workshop/{wid}/remind")
    assert len(smtp.messages) == 2


def test_answers_overview_counts_and_revoke(app, client, auth):
    auth.login("facilitator")
    with app.app_context():
        workshop = factories.workshop()
        inv, token = helpers.invitation(workshop=workshop)
        factories.participation(workshop=workshop, invitation_status=InvitationStatus.ACCEPTED,
                                responded_at=factories.aware(2030, 2, 1, 12))
        factories.participation(workshop=workshop, invitation_status=InvitationStatus.DECLINED)
        db.session.commit()
        wid, inv_id = workshop.id, inv.id
    page = text_of(client.get(f"/invitations/workshop/{wid}/answers"))
    assert "01.02.30" in page or "01.02.2030" in page
    assert client.post(f"/invitations/{inv_id}/revoke").status_code == 302
    assert client.get(f"/invitations/r/{token}").status_code == 410


# --- attendance and export -----------------------------------------------------------------------------------


def _today_workshop(**kw):
    """A workshop on today's date in Berlin: check-in happens on the day."""
    return factories.workshop(starts_at=factories.aware(*local_today().timetuple()[:3], hour=0, minute=5),
                              ends_at=factories.aware(*local_today().timetuple()[:3], hour=23, minute=0), **kw)


def test_checkin_saves_all_in_one_post_and_print_version(app, client, auth):
    auth.login("facilitator")
    with app.app_context():
        workshop = _today_workshop()
        a = factories.participation(workshop=workshop, person=factories.person(last_name="Anwesend"))
        b = factories.participation(workshop=workshop, person=factories.person(last_name="Abwesend"))
        c = factories.participation(workshop=workshop, invitation_status=InvitationStatus.DECLINED)
        db.session.commit()
        wid, ids = workshop.id, (a.id, b.id, c.id)
    page = text_of(client.get(f"/invitations/workshop/{wid}/checkin"))
    assert "Anwesend" in page and "Abwesend" in page
    response = client.post(f"/invitations/workshop/{wid}/checkin", data={"attended": [str(ids[0]), str(ids[2])]})
    assert response.status_code == 302
    with app.app_context():
        assert [db.session.get(Participation, i).attended for i in ids] == [True, False, None]
    printable = client.get(f"/invitations/workshop/{wid}/checkin/print")
    assert "Unterschrift" in text_of(printable) and "☐" in printable.get_data(as_text=True)


def test_checkin_only_from_the_workshops_day(app, client, auth):
    """The factory's workshop lies in 2030: its check-in list tells so and nothing can be recorded yet."""
    auth.login("facilitator")
    with app.app_context():
        p = factories.participation(workshop=factories.workshop())
        db.session.commit()
        wid, pid = p.workshop_id, p.id
    page = text_of(client.get(f"/invitations/workshop/{wid}/checkin"))
    assert "ab dem Tag des Workshops" in page and "Anwesenheit speichern" not in page
    response = client.post(f"/invitations/workshop/{wid}/checkin", data={"attended": [str(pid)]},
                           follow_redirects=True)
    assert "nur am Tag des Workshops" in text_of(response)
    with app.app_context():
        assert db.session.get(Participation, pid).attended is None


def test_a_later_correction_of_the_checkin_asks_for_confirmation(app, client, auth):
    auth.login("facilitator")
    with app.app_context():
        p = factories.participation(workshop=factories.workshop(starts_at=factories.aware(2024, 3, 5)))
        db.session.commit()
        wid, pid = p.workshop_id, p.id
    page = text_of(client.get(f"/invitations/workshop/{wid}/checkin"))
    assert "korrigiere" in page  # the confirmation checkbox
    response = client.post(f"/invitations/workshop/{wid}/checkin", data={"attended": [str(pid)]},
                           follow_redirects=True)
    assert "Bitte bestätigen Sie" in text_of(response)
    with app.app_context():
        assert db.session.get(Participation, pid).attended is None
    client.post(f"/invitations/workshop/{wid}/checkin", data={"attended": [str(pid)], "confirm_correction": "1"})
    with app.app_context():
        assert db.session.get(Participation, pid).attended is True


def test_two_doors_checking_in_at_once_keep_each_others_ticks(app, client, auth):
    """Two facilitators open the check-in list at two doors; each ticks the people arriving at hers. The second
    save keeps the first one's ticks; someone who accepted after the lists were opened is left alone."""
    import re

    auth.login("facilitator")
    with app.app_context():
        workshop = _today_workshop()
        anna, ben, cem = (factories.participation(workshop=workshop, person=factories.person(last_name=name))
                          for name in ("Anna", "Ben", "Cem"))
        db.session.commit()
        wid, ids = workshop.id, (anna.id, ben.id, cem.id)
    url = f"/invitations/workshop/{wid}/checkin"
    opened = re.findall(r'name="shown" value="([^"]*)"', client.get(url).get_data(as_text=True))
    assert sorted(opened) == sorted(f"{i}:" for i in ids)  # nobody recorded yet
    with app.app_context():
        late = factories.participation(workshop=db.session.get(Workshop, wid), attended=None)
        db.session.commit()
        late_id = late.id
    door_a = client.post(url, data={"shown": opened, "attended": [str(ids[0])]})
    door_b = client.post(url, data={"shown": opened, "attended": [str(ids[1])]})
    assert door_a.status_code == door_b.status_code == 302
    with app.app_context():
        assert [db.session.get(Participation, i).attended for i in ids] == [True, True, False]
        assert db.session.get(Participation, late_id).attended is None
    # Unticking on a list opened after that is a change of this list, and is saved.
    opened = re.findall(r'name="shown" value="([^"]*)"', client.get(url).get_data(as_text=True))
    client.post(url, data={"shown": opened, "attended": [str(ids[1])]})
    with app.app_context():
        assert [db.session.get(Participation, i).attended for i in ids] == [False, True, False]


def test_participant_export_csv_and_xlsx(app, client, auth):
    auth.login("facilitator")
    with app.app_context():
        workshop = factories.workshop()
        org = factories.organisation(name="=cmd|' /C calc'!A0", sector=Sector.SCIENCE)
        factories.participation(workshop=workshop, attended=True, person=factories.person(
            first_name="Jürgen", last_name="Groß", organisation=org, fields=[factories.field(code="GES")]))
        db.session.commit()
        wid = workshop.id
    response = client.get(f"/invitations/workshop/{wid}/participants/export")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].split(";")[:3] == ["Name", "Organisation", "Sektor"]
    assert "Jürgen Groß" in lines[1] and "'=cmd" in lines[1] and "Wissenschaft" in lines[1] and "GES" in lines[1]
    response = client.get(f"/invitations/workshop/{wid}/participants/export?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    row = [c.value for c in sheet[2]]
    assert row[0] == "Jürgen Groß" and row[1] == "=cmd|' /C calc'!A0" and sheet["B2"].data_type == "s"
    assert row[-1] == "Ja"
    assert client.get(f"/invitations/workshop/{wid}/participants/export?format=pdf").status_code == 404


# --- sector balance ------------------------------------------------------------------------------------------


def test_sector_balance_with_warning_for_missing_sector(app, client, auth):
    auth.login("strategy_team")
    with app.app_context():
        field = factories.field()
        workshop = factories.workshop(fields=[field])
        for sector in (Sector.ADMINISTRATION, Sector.ADMINISTRATION, Sector.BUSINESS, Sector.SCIENCE):
            factories.participation(workshop=workshop,
                                    person=factories.person(organisation=factories.organisation(sector=sector)))
        factories.participation(workshop=workshop, invitation_status=InvitationStatus.DECLINED,
                                person=factories.person(organisation=factories.organisation(
                                    sector=Sector.CIVIL_SOCIETY)))
        db.session.commit()
        wid, fid = workshop.id, field.id
    page = text_of(client.get(f"/invitations/workshop/{wid}/balance"))
    assert "50 %" in page and "25 %" in page
    assert "Warnung" in page and "Zivilgesellschaft" in page and "fehlt" in page
    page = text_of(client.get(f"/invitations/field/{fid}/balance"))
    assert "50 %" in page and "Zivilgesellschaft" in page


def test_sector_balance_service(ctx):
    workshop = factories.workshop()
    for sector in Sector:
        factories.participation(workshop=workshop,
                                person=factories.person(organisation=factories.organisation(sector=sector)))
    balance = services.sector_balance_for_workshop(workshop)
    assert balance.total == 5 and balance.missing == []
    assert all(abs(r.share - 0.2) < 1e-9 for r in balance.rows)


# --- date finding --------------------------------------------------------------------------------------------


def test_date_poll_round(app, client, auth, smtp):
    auth.login("facilitator")
    with app.app_context():
        workshop = helpers.draft_workshop(title="Fünfter Workshop")
        a, _ta = helpers.invitation(workshop=workshop)
        b, _tb = helpers.invitation(workshop=workshop)
        c, _tc = helpers.invitation(workshop=workshop)  # does not vote
        db.session.commit()
        wid = workshop.id
        emails = {a.participation.person.email, b.participation.person.email, c.participation.person.email}
        a_email, c_email = a.participation.person.email, c.participation.person.email
    response = client.post(f"/invitations/workshop/{wid}/dates", data={
        "options-0-day": "2030-06-02", "options-0-starts": "09:00", "options-0-ends": "16:30",
        "options-1-day": "2030-06-09", "options-1-starts": "09:00", "options-1-ends": "16:30",
        "note": "Bitte bis Freitag.",
    })
    assert response.status_code == 302
    # Announcing the poll mails every invitee the dates and a personal link to mark them.
    assert {rcpt[0] for rcpt, _m in smtp.messages} == emails
    (poll_mail,) = smtp.to(a_email)
    assert "Welche Termine passen Ihnen?" in poll_mail["Subject"]
    assert "Sonntag, 2. Juni 2030, 09:00 – 16:30" in smtp.text(poll_mail)
    ta = helpers.token_from(smtp.text(poll_mail))
    tb = helpers.token_from(smtp.text(smtp.to(b.participation.person.email)[0]))
    smtp.messages.clear()
    with app.app_context():
        poll = db.session.scalar(select(DatePoll))
        first, second = [o.id for o in poll.options]
        poll_id = poll.id
    page = text_of(client.get(f"/invitations/r/{ta}"))
    assert "Welche Termine passen Ihnen?" in page and "Bitte bis Freitag." in page
    client.post(f"/invitations/r/{ta}/dates", data={f"option-{first}": "no", f"option-{second}": "yes"})
    client.post(f"/invitations/r/{tb}/dates", data={f"option-{first}": "maybe", f"option-{second}": "yes"})
    # Changing one's mind updates instead of adding votes.
    client.post(f"/invitations/r/{tb}/dates", data={f"option-{first}": "yes", f"option-{second}": "yes"})
    with app.app_context():
        assert db.session.query(DateVote).count() == 4
        ranked = services.ranking(db.session.get(DatePoll, poll_id))
        assert [(r.option.id, r.yes, r.maybe, r.no, r.score) for r in ranked] == [(second, 2, 0, 0, 4),
                                                                                  (first, 1, 0, 1, 2)]
    page = text_of(client.get(f"/invitations/workshop/{wid}/dates"))
    assert "Ergebnis" in page or "Rangfolge" in page
    response = client.post(f"/invitations/polls/{poll_id}/fix", data={"option_id": str(second)})
    assert response.status_code == 302
    with app.app_context():
        poll = db.session.get(DatePoll, poll_id)
        assert not poll.is_open
        chosen = db.session.get(DateOption, second)
        assert chosen.is_chosen
        assert poll.workshop.starts_at == chosen.starts_at and poll.workshop.ends_at == chosen.ends_at
        assert {i.expires_at for i in db.session.scalars(select(Invitation))} == {chosen.ends_at}
    assert {rcpt[0] for rcpt, _m in smtp.messages} == emails
    assert all("Termin steht fest" in m["Subject"] for _r, m in smtp.messages)
    # Thanks only to those who voted; everyone gets the calendar file with the raised SEQUENCE.
    assert "vielen Dank für Ihre Teilnahme an der Terminumfrage" in smtp.text(smtp.to(a_email)[0])
    (fixed_c,) = smtp.to(c_email)
    assert "Terminumfrage" not in smtp.text(fixed_c) and "festgelegt" in smtp.text(fixed_c)
    (ics,) = list(fixed_c.iter_attachments())
    assert "SEQUENCE:1" in ics.get_payload(decode=True).decode()
    # The date stands: the workshop is scheduled and no page calls the date provisional.
    with app.app_context():
        assert db.session.get(Workshop, wid).status == WorkshopStatus.SCHEDULED
    page = text_of(client.get(f"/invitations/r/{ta}"))
    assert "Der Termin steht noch nicht fest" not in page and "Sonntag, 9. Juni 2030" in page
    # Closed: votes are refused, nothing changes.
    response = client.post(f"/invitations/r/{ta}/dates", data={f"option-{first}": "yes", f"option-{second}": "no"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.query(DateVote).filter_by(answer=DateAnswer.NO).count() == 1


def test_date_poll_bad_input(app, client, auth):
    auth.login("facilitator")
    with app.app_context():
        draft = helpers.draft_workshop()
        scheduled = factories.workshop()
        db.session.commit()
        did, sid = draft.id, scheduled.id
    response = client.post(f"/invitations/workshop/{did}/dates", data={
        "options-0-day": "2030-06-02", "options-0-starts": "16:00", "options-0-ends": "09:00",
        "options-1-day": "2030-06-09", "options-1-starts": "09:00", "options-1-ends": "16:30",
    }, follow_redirects=True)
    assert "nach seinem Beginn enden" in text_of(response)
    response = client.post(f"/invitations/workshop/{did}/dates", data={
        "options-0-day": "2030-06-02", "options-0-starts": "09:00", "options-0-ends": "16:00",
    }, follow_redirects=True)
    assert "mindestens zwei Termine" in text_of(response)
    response = client.post(f"/invitations/workshop/{sid}/dates", data={
        "options-0-day": "2030-06-02", "options-0-starts": "09:00", "options-0-ends": "16:00",
        "options-1-day": "2030-06-03", "options-1-starts": "09:00", "options-1-ends": "16:00",
    }, follow_redirects=True)
    assert "Entwurf" in text_of(response)
    with app.app_context():
        assert db.session.query(DatePoll).count() == 0


def test_vote_only_for_own_workshop_poll(ctx):
    poll_ws = helpers.draft_workshop()
    other, _t = helpers.invitation(workshop=factories.workshop())
    poll = services.create_poll(None, poll_ws, [(factories.aware(2030, 6, 1), factories.aware(2030, 6, 1, 16)),
                                                 (factories.aware(2030, 6, 2), factories.aware(2030, 6, 2, 16))])
    import pytest

    from planner.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        services.vote(other.participation, poll, {poll.options[0].id: "yes", poll.options[1].id: "no"})


def test_answer_forms_carry_working_csrf_tokens(tmp_path):
    """With CSRF on (as in production): the link page and "My invitations" send tokens the server accepts."""
    import re

    from tests.conftest import make_test_app

    app = make_test_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        person = factories.person()
        mine = factories.participation(person=person, invitation_status=InvitationStatus.INVITED)
        inv, token = helpers.invitation()
        db.session.commit()
        pid, mine_id = person.id, mine.id
    client = app.test_client()
    html = client.get(f"/invitations/r/{token}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post(f"/invitations/r/{token}/answer", data={"answer": "decline"}).status_code == 400
    response = client.post(f"/invitations/r/{token}/answer", data={"answer": "decline", "csrf_token": csrf})
    assert response.status_code == 302
    client.get("/logout")
    with app.app_context():
        factories.user(role="expert", email="csrf-expert@example.org", person_id=pid)
        db.session.commit()
    login_page = client.get("/login").get_data(as_text=True)
    login_csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": "csrf-expert@example.org", "password": factories.PASSWORD,
                                "csrf_token": login_csrf})
    html = client.get("/invitations/mine").get_data(as_text=True)
    prefixed = re.search(rf'name="p{mine_id}-csrf_token" value="([^"]+)"', html).group(1)
    response = client.post(f"/invitations/mine/{mine_id}", data={
        "answer": "accept", f"p{mine_id}-csrf_token": prefixed, f"p{mine_id}-consent": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Participation, mine_id).invitation_status == InvitationStatus.ACCEPTED
        db.session.remove()
        db.engine.dispose()
