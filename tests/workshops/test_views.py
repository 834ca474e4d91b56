import re

from planner.accounts.models import User
from planner.core.permissions import Role
from planner.extensions import db
from planner.people.models import Person
from planner.workshops.models import (
    AgendaBlock,
    AgendaBlockKind,
    InvitationStatus,
    Workshop,
    WorkshopKind,
    WorkshopStatus,
)
from tests import factories
from tests.conftest import text_of
from tests.workshops.helpers import form_data


def _field_ids(app, n=2):
    with app.app_context():
        ids = [factories.field().id for _ in range(n)]
        db.session.commit()
        return ids


def _count(app):
    with app.app_context():
        return db.session.query(Workshop).count()


def test_facilitator_creates_a_hybrid_workshop(app, client, auth):
    fields = _field_ids(app)
    user_id = auth.login(Role.FACILITATOR)
    response = client.post("/workshops/new", data=form_data(
        fields, format="hybrid", location="Rathaus Essen, Raum 1", facilitators=[str(user_id)]))
    assert response.status_code == 302
    with app.app_context():
        w = db.session.query(Workshop).one()
        assert w.status == WorkshopStatus.DRAFT and len(w.fields) == 2 and w.location == "Rathaus Essen, Raum 1"
    page = client.get(response.headers["Location"])
    assert "als Entwurf angelegt" in text_of(page)


def test_bad_input_gets_a_clear_german_message_and_saves_nothing(app, client, auth):
    fields = _field_ids(app)
    auth.login(Role.FACILITATOR)
    cases = [
        ({"end_time": "08:00"}, "Das Ende muss nach dem Beginn liegen."),
        ({"end_time": "09:00"}, "Das Ende muss nach dem Beginn liegen."),
        ({"video_link": ""}, "Bitte geben Sie für eine virtuelle oder hybride Veranstaltung einen Videolink an."),
        ({"video_link": "video.example.org"}, "mit https:// beginnt"),
        ({"format": "in_person", "location": ""}, "einen Ort an"),
        ({"capacity": "-3"}, "positive ganze Zahl"),
        ({"capacity": "viele"}, "ganze Zahl"),
        ({"day": "31.02.2030"}, "gültiges Datum"),
        ({"fields": []}, "mindestens ein Handlungsfeld"),
        ({"title": ""}, "Bitte füllen Sie dieses Feld aus."),
    ]
    for changes, message in cases:
        response = client.post("/workshops/new", data=form_data(fields, **changes))
        assert response.status_code == 200, changes
        assert message in text_of(response), changes
        assert "Bitte korrigieren Sie" in text_of(response) or "Bitte" in text_of(response)
    assert _count(app) == 0


def test_capacity_below_accepted_on_edit(app, client, auth):
    with app.app_context():
        w = factories.workshop(capacity=10, video_link="https://video.example.org/a")
        for _ in range(4):
            factories.participation(workshop=w, invitation_status=InvitationStatus.ACCEPTED)
        fields = [f.id for f in w.fields]
        db.session.commit()
        wid = w.id
    auth.login(Role.FACILITATOR)
    response = client.post(f"/workshops/{wid}/edit", data=form_data(fields, capacity="3", day="2030-03-05"))
    assert response.status_code == 200
    assert "nicht unter den 4 Personen" in text_of(response)
    with app.app_context():
        assert db.session.get(Workshop, wid).capacity == 10


def test_conflict_warning_then_save_anyway(app, client, auth):
    fields = _field_ids(app)
    user_id = auth.login(Role.FACILITATOR)
    with app.app_context():
        facilitator = db.session.get(User, user_id)
        factories.workshop(title="Schon geplant", facilitators=[facilitator],
                           starts_at=factories.aware(2030, 6, 4, 10), ends_at=factories.aware(2030, 6, 4, 12))
        db.session.commit()
    data = form_data(fields, facilitators=[str(user_id)])
    first = client.post("/workshops/new", data=data)
    assert first.status_code == 200
    assert "Mögliche Konflikte" in text_of(first) and "Schon geplant" in text_of(first)
    assert "Trotzdem speichern" in text_of(first)
    assert _count(app) == 1
    second = client.post("/workshops/new", data={**data, "confirm_conflicts": "1"})
    assert second.status_code == 302
    assert _count(app) == 2


def test_expert_cannot_edit_or_change_status(app, client, auth):
    with app.app_context():
        w = factories.workshop(status=WorkshopStatus.DRAFT)
        fields = [f.id for f in w.fields]
        db.session.commit()
        wid = w.id
    auth.login(Role.EXPERT)
    assert client.post(f"/workshops/{wid}/edit", data=form_data(fields, title="Gekapert")).status_code == 403
    assert client.post(f"/workshops/{wid}/status", data={"status": "scheduled"}).status_code == 403
    assert client.post(f"/workshops/{wid}/cancel", data={"reason": "x"}).status_code == 403
    with app.app_context():
        w = db.session.get(Workshop, wid)
        assert w.title != "Gekapert" and w.status == WorkshopStatus.DRAFT


def test_status_buttons_and_invalid_transition(app, client, auth):
    with app.app_context():
        wid = factories.workshop(status=WorkshopStatus.HELD).id
        db.session.commit()
    auth.login(Role.FACILITATOR)
    response = client.post(f"/workshops/{wid}/status", data={"status": "draft"}, follow_redirects=True)
    assert "kann nicht von" in text_of(response)
    assert client.post(f"/workshops/{wid}/status", data={"status": "bogus"}).status_code == 400
    client.post(f"/workshops/{wid}/status", data={"status": "documented"})
    with app.app_context():
        assert db.session.get(Workshop, wid).status == WorkshopStatus.DOCUMENTED


def test_cancel_through_the_form_sends_mail(app, client, auth, outbox):
    with app.app_context():
        w = factories.workshop(status=WorkshopStatus.SCHEDULED)
        factories.participation(workshop=w)
        db.session.commit()
        wid = w.id
    auth.login(Role.FACILITATOR)
    empty = client.post(f"/workshops/{wid}/cancel", data={"reason": ""})
    assert "Bitte geben Sie einen Grund" in text_of(empty)
    response = client.post(f"/workshops/{wid}/cancel", data={"reason": "Raum nicht verfügbar"}, follow_redirects=True)
    assert "1 Teilnehmende wurden per E-Mail benachrichtigt" in text_of(response)
    assert len(outbox()) == 1


def test_duplicate_view(app, client, auth):
    with app.app_context():
        wid = factories.workshop(status=WorkshopStatus.DOCUMENTED).id
        db.session.commit()
    auth.login(Role.FACILITATOR)
    response = client.post(f"/workshops/{wid}/duplicate", data={"title": "Workshop 6", "day": "2030-09-01"})
    assert response.status_code == 302 and "/edit" in response.headers["Location"]
    with app.app_context():
        copy = db.session.query(Workshop).filter_by(title="Workshop 6").one()
        assert copy.status == WorkshopStatus.DRAFT


def test_list_filters_by_kind_field_series_and_status(app, client, auth):
    with app.app_context():
        s = factories.series(title="Beteiligung")
        f = factories.field(name_de="Smarte Bildung")
        factories.workshop(title="Bürgerdialog Nord", kind=WorkshopKind.CITIZEN_DIALOGUE, series=s, fields=[f])
        factories.workshop(title="Fachworkshop Süd", status=WorkshopStatus.DRAFT)
        db.session.commit()
        sid, fid = s.id, f.id
    auth.login(Role.EXPERT)
    for query in ("kind=citizen_dialogue", f"series={sid}", f"field={fid}", "status=scheduled"):
        text = text_of(client.get(f"/workshops/?{query}"))
        assert "Bürgerdialog Nord" in text and "Fachworkshop Süd" not in text, query
    assert "Bürgerdialog" in text_of(client.get("/workshops/"))


def test_agenda_editing_reorder_and_fit_end(app, client, auth):
    with app.app_context():
        w = factories.workshop(starts_at=factories.aware(2030, 6, 4, 9), ends_at=factories.aware(2030, 6, 4, 10))
        db.session.commit()
        wid = w.id
    auth.login(Role.FACILITATOR)
    blocks = (("Begrüßung", "welcome", "15"), ("Bedarfe", "needs", "45"), ("Abschluss", "wrap_up", "30"))
    for title, kind, minutes in blocks:
        data = {"title": title, "kind": kind, "duration_minutes": minutes}
        assert client.post(f"/workshops/{wid}/agenda/new", data=data).status_code == 302
    bad = client.post(f"/workshops/{wid}/agenda/new", data={"title": "X", "kind": "input", "duration_minutes": "600"})
    assert "zwischen 5 und 480 Minuten" in text_of(bad)
    page = text_of(client.get(f"/workshops/{wid}/agenda"))
    assert "09:00–09:15 Begrüßung" in page and "10:00–10:30 Abschluss" in page
    assert "reicht über das Ende des Workshops" in page and "Ergebnisse werden erfasst" in page
    with app.app_context():
        last = db.session.query(AgendaBlock).filter_by(title="Abschluss").one().id
    client.post(f"/workshops/{wid}/agenda/{last}/move", data={"direction": "up"})
    page = text_of(client.get(f"/workshops/{wid}/agenda"))
    assert "09:15–09:45 Abschluss" in page
    client.post(f"/workshops/{wid}/agenda/fit-end")
    page = text_of(client.get(f"/workshops/{wid}/agenda"))
    assert "reicht über das Ende" not in page
    printed = client.get(f"/workshops/{wid}/agenda/print")
    assert printed.status_code == 200 and "site-nav" not in printed.get_data(as_text=True)


def test_responsible_is_chosen_from_facilitators_and_invitees_by_name(app, client, auth):
    """The search field suggests the workshop's facilitators and invitees, never the whole expert pool."""
    with app.app_context():
        mona = factories.person(first_name="Mona", last_name="Moderation")
        facilitator = factories.user(Role.FACILITATOR, person=mona)
        w = factories.workshop(facilitators=[facilitator])
        guest = factories.person(first_name="Gitte", last_name="Gast")
        factories.participation(workshop=w, person=guest, invitation_status=InvitationStatus.INVITED)
        factories.person(first_name="Otto", last_name="Außen")
        db.session.commit()
        wid, guest_id = w.id, guest.id
    auth.login(Role.FACILITATOR)
    page = client.get(f"/workshops/{wid}/agenda").get_data(as_text=True)
    options = re.search(r'<datalist id="responsible-options">(.*?)</datalist>', page, re.S).group(1)
    assert 'value="Gitte Gast"' in options and 'value="Mona Moderation"' in options
    assert "Otto Außen" not in options, "people who are not in the workshop are not offered"
    added = client.post(f"/workshops/{wid}/agenda/new", data={
        "title": "Input", "kind": "input", "duration_minutes": "30", "responsible": "gitte gast", "inline": "1"})
    assert added.status_code == 302
    refused = client.post(f"/workshops/{wid}/agenda/new", data={
        "title": "", "kind": "input", "duration_minutes": "999", "responsible": "Otto Außen", "inline": "1"})
    text = text_of(refused)
    assert "aus den Vorschlägen" in text and "zwischen 5 und 480 Minuten" in text, "all errors at once"
    with app.app_context():
        [block] = db.session.query(AgendaBlock).filter_by(workshop_id=wid).all()
        assert block.responsible_id == guest_id


def test_block_of_another_workshop_is_404(app, client, auth):
    with app.app_context():
        a, b = factories.workshop(), factories.workshop()
        block = AgendaBlock(workshop=b, position=0, title="Fremd", kind=AgendaBlockKind.INPUT, duration_minutes=30)
        db.session.add(block)
        db.session.commit()
        aid, block_id = a.id, block.id
    auth.login(Role.FACILITATOR)
    assert client.post(f"/workshops/{aid}/agenda/{block_id}/delete").status_code == 404
    assert client.get(f"/workshops/{aid}/agenda/{block_id}/edit").status_code == 404


def _link_in(mail) -> str:
    body = mail.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://localhost(/workshops/register/confirm/\S+)", body).group(1)


def test_public_registration_by_double_opt_in(app, client, outbox):
    with app.app_context():
        wid = factories.workshop(kind=WorkshopKind.CITIZEN_DIALOGUE, capacity=1, status=WorkshopStatus.SCHEDULED).id
        db.session.commit()
    missing_consent = client.post(f"/workshops/{wid}/register", data={
        "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org"})
    assert "Bitte willigen Sie" in text_of(missing_consent)
    bad_mail = client.post(f"/workshops/{wid}/register", data={
        "first_name": "Ada", "last_name": "Lovelace", "email": "keine-adresse", "consent": "y"})
    assert "gültige E-Mail-Adresse" in text_of(bad_mail)
    asked = client.post(f"/workshops/{wid}/register", data={
        "first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.org", "consent": "y"},
        follow_redirects=True)
    assert "Bitte öffnen Sie den Link" in text_of(asked) and "Sie sind angemeldet" not in text_of(asked)
    with app.app_context():
        assert db.session.query(Person).count() == 0, "nothing is stored before the mailed link is confirmed"
    [mail] = outbox()
    assert mail["To"] == "ada@example.org"
    link = _link_in(mail)
    page = client.get(link)  # opening the link (or a mail scanner prefetching it) changes nothing
    assert page.status_code == 200 and "Anmeldung bestätigen" in text_of(page)
    with app.app_context():
        assert db.session.query(Person).count() == 0
    done = client.post(link, follow_redirects=True)
    assert "Sie sind angemeldet" in text_of(done)
    with app.app_context():
        ada = db.session.query(Person).filter_by(email="ada@example.org").one()
        assert ada.has_consent and "Ich willige ein" in ada.consent_text and ada.first_name == "Ada"
    client.post(f"/workshops/{wid}/register", data={
        "first_name": "Bo", "last_name": "B", "email": "bo@example.org", "consent": "y"})
    full = client.post(_link_in(outbox()[-1]), follow_redirects=True)
    assert "Warteliste" in text_of(full)
    assert [m["Subject"].split(":")[0] for m in outbox()] == [
        "Bitte bestätigen Sie Ihre Anmeldung", "Anmeldung bestätigt", "Bitte bestätigen Sie Ihre Anmeldung",
        "Warteliste"]
    broken = client.get(link[:-3] + "abc")
    assert broken.status_code == 400 and "ungültig oder abgelaufen" in text_of(broken)
    assert client.post(link[:-3] + "abc").status_code == 400


def test_anonymous_signup_cannot_change_a_known_persons_consent(app, client, outbox):
    """Finding 1 of issue 18: a known e-mail (upper-case too) rewrote consent, reversed a withdrawal and enrolled."""
    from planner.people.services import withdraw_consent

    with app.app_context():
        wid = factories.workshop(kind=WorkshopKind.CITIZEN_DIALOGUE, capacity=10, status=WorkshopStatus.SCHEDULED).id
        expert = factories.person(email="expertin@example.org", first_name="Erika", has_consent=True,
                                  consent_text="Einwilligung Workshops")
        db.session.flush()
        withdraw_consent(expert)
        db.session.commit()
        pid = expert.id
    known = client.post(f"/workshops/{wid}/register", data={
        "first_name": "Mallory", "last_name": "X", "email": "EXPERTIN@example.org", "consent": "y"},
        follow_redirects=True)
    unknown = client.post(f"/workshops/{wid}/register", data={
        "first_name": "Mallory", "last_name": "X", "email": "niemand@example.org", "consent": "y"},
        follow_redirects=True)
    # The same answer for both (nobody learns whether an address is known).
    assert "Bitte öffnen Sie den Link" in text_of(known) and "Bitte öffnen Sie den Link" in text_of(unknown)
    with app.app_context():
        person = db.session.get(Person, pid)
        assert not person.has_consent and person.consent_withdrawn_at is not None and person.consent_text == ""
        assert person.first_name == "Erika" and person.participations == []
    to_expert = [m for m in outbox() if m["To"] == "expertin@example.org"]
    assert len(to_expert) == 1
    assert "/register/confirm/" not in to_expert[0].get_body(("plain",)).get_content()


def test_registration_page_only_for_citizen_dialogues(app, client):
    with app.app_context():
        wid = factories.workshop().id
        held = factories.workshop(kind=WorkshopKind.CITIZEN_DIALOGUE, status=WorkshopStatus.HELD).id
        db.session.commit()
    assert client.get(f"/workshops/{wid}/register").status_code == 404
    closed = client.post(f"/workshops/{held}/register", data={
        "first_name": "A", "last_name": "B", "email": "a@example.org", "consent": "y"})
    assert "Anmeldung zu dieser Veranstaltung ist geschlossen" in text_of(closed)
    with app.app_context():
        assert db.session.query(Person).count() == 0


def _networking_setup(app):
    with app.app_context():
        w = factories.workshop(status=WorkshopStatus.HELD)
        insider = factories.person(first_name="Ina", last_name="Insider")
        factories.participation(workshop=w, person=insider, attended=True)
        other = factories.person(first_name="Otto", last_name="Offen", email="otto@example.org")
        factories.participation(workshop=w, person=other, attended=True, shares_contact=True)
        shy = factories.person(first_name="Sina", last_name="Scheu")
        factories.participation(workshop=w, person=shy, attended=True, shares_contact=False)
        factories.user(Role.EXPERT, email="ina@example.org", person=insider)
        factories.user(Role.EXPERT, email="outsider@example.org", person=factories.person())
        db.session.commit()
        return w.id


def test_networking_for_consenting_participants_only(app, client, auth):
    wid = _networking_setup(app)
    auth.login_as("ina@example.org")
    page = text_of(client.get(f"/workshops/{wid}/networking"))
    assert "otto@example.org" not in page and "Teilen Sie Ihre eigenen Kontaktdaten" in page
    client.post(f"/workshops/{wid}/networking/consent", data={"shares_contact": "y"})
    page = text_of(client.get(f"/workshops/{wid}/networking"))
    assert "otto@example.org" in page and "Sina Scheu" not in page
    client.post(f"/workshops/{wid}/networking/consent", data={})
    assert "otto@example.org" not in text_of(client.get(f"/workshops/{wid}/networking"))


def test_networking_attacks(app, client, auth):
    """An expert who did not take part changes the id in the URL: 403, and no way to switch sharing on."""
    wid = _networking_setup(app)
    auth.login_as("outsider@example.org")
    assert client.get(f"/workshops/{wid}/networking").status_code == 403
    assert client.post(f"/workshops/{wid}/networking/consent", data={"shares_contact": "y"}).status_code == 403
    auth.logout()
    auth.login(Role.STRATEGY_TEAM)
    assert client.get(f"/workshops/{wid}/networking").status_code == 403
    auth.logout()
    auth.login(Role.FACILITATOR)
    assert "otto@example.org" in text_of(client.get(f"/workshops/{wid}/networking"))


def test_personal_token_page_and_revoke_attack(app, client, auth):
    with app.app_context():
        person = factories.person()
        factories.user(Role.EXPERT, email="me@example.org", person=person)
        factories.user(Role.EXPERT, email="thief@example.org", person=factories.person())
        db.session.commit()
    auth.login_as("me@example.org")
    response = client.post("/workshops/calendar/tokens", data={"kind": "person"})
    assert response.status_code == 200 and "/workshops/feeds/person/" in response.get_data(as_text=True)
    from planner.workshops.models import CalendarToken

    with app.app_context():
        token_id = db.session.query(CalendarToken).one().id
    assert client.post("/workshops/calendar/tokens", data={"kind": "series", "series_id": "1"}).status_code == 403
    auth.logout()
    auth.login_as("thief@example.org")
    assert client.post(f"/workshops/calendar/tokens/{token_id}/revoke").status_code == 403
    with app.app_context():
        assert db.session.get(CalendarToken, token_id).revoked_at is None


def test_feed_with_wrong_or_revoked_token_is_404(app, client, auth):
    with app.app_context():
        factories.series()
        db.session.commit()
    auth.login(Role.FACILITATOR)
    html = client.post("/workshops/calendar/tokens", data={"kind": "series", "series_id": "1"}).get_data(as_text=True)
    import re

    url = re.search(r'value="(http://localhost/workshops/feeds/series/[^"]+)"', html).group(1)
    path = url.removeprefix("http://localhost")
    auth.logout()
    assert client.get(path).status_code == 200
    assert client.get("/workshops/feeds/series/" + "A" * 43 + ".ics").status_code == 404
    assert client.get(path.replace("/series/", "/person/")).status_code == 404
    auth.login(Role.FACILITATOR)
    from planner.workshops.models import CalendarToken

    with app.app_context():
        token_id = db.session.query(CalendarToken).one().id
    client.post(f"/workshops/calendar/tokens/{token_id}/revoke")
    auth.logout()
    assert client.get(path).status_code == 404


def test_detail_shows_kind_agenda_and_actions(app, client, auth):
    with app.app_context():
        w = factories.workshop(kind=WorkshopKind.POLITICAL_BRIEFING, audience="Bezirksvertretung III",
                               starts_at=factories.aware(2030, 10, 27, 9), ends_at=factories.aware(2030, 10, 27, 11))
        db.session.add(AgendaBlock(workshop=w, position=0, title="Vorstellung", kind=AgendaBlockKind.INPUT,
                                   duration_minutes=20))
        db.session.commit()
        wid = w.id
    auth.login(Role.REVIEWER)
    page = text_of(client.get(f"/workshops/{wid}"))
    assert "Unterrichtung eines politischen Gremiums" in page and "Bezirksvertretung III" in page
    assert "09:00–09:20 Vorstellung" in page
    assert "Tagesordnung drucken" in page and "In den Kalender (.ics)" in page
    assert "Bearbeiten" not in page


def test_public_registration_is_throttled_per_address(tmp_path):
    """One address cannot flood a citizen dialogue with sign-ups (each sends an e-mail): 429, nothing stored."""
    from tests.conftest import make_test_app

    app = make_test_app(tmp_path, RATELIMIT_ENABLED=True, REGISTRATION_LIMIT_PER_ADDRESS="2 per hour")
    with app.app_context():
        db.create_all()
        wid = factories.workshop(kind=WorkshopKind.CITIZEN_DIALOGUE, capacity=50, status=WorkshopStatus.SCHEDULED).id
        db.session.commit()
    client = app.test_client()
    for n in range(2):
        response = client.post(f"/workshops/{wid}/register", data={
            "first_name": "Ada", "last_name": f"L{n}", "email": f"ada{n}@example.org", "consent": "y"})
        assert response.status_code == 302
    blocked = client.post(f"/workshops/{wid}/register", data={
        "first_name": "Ada", "last_name": "L9", "email": "ada9@example.org", "consent": "y"})
    assert blocked.status_code == 429 and "Zu viele Versuche" in text_of(blocked)
    assert client.get(f"/workshops/{wid}/register").status_code == 200, "reading the page stays open"
    with app.app_context():
        assert db.session.query(Person).filter(Person.email.like("ada%")).count() == 0  # stored only on confirmation


def test_a_link_confirmed_after_a_withdrawal_tells_the_person_to_contact_the_team(app, client, outbox):
    from planner.people.services import withdraw_consent
    from planner.workshops.services import registration_token

    with app.app_context():
        wid = factories.workshop(kind=WorkshopKind.CITIZEN_DIALOGUE, capacity=10, status=WorkshopStatus.SCHEDULED).id
        person = factories.person(email="zurueck@example.org", has_consent=True)
        db.session.flush()
        token = registration_token(wid, "zurueck@example.org", "Z", "Z")  # mailed before the withdrawal
        withdraw_consent(person)
        db.session.commit()
        pid = person.id
    response = client.post(f"/workshops/register/confirm/{token}", follow_redirects=True)
    assert response.status_code == 200 and "wenden Sie sich an das Smart City-Team" in text_of(response)
    with app.app_context():
        person = db.session.get(Person, pid)
        assert not person.has_consent and person.participations == []
    assert outbox() == []


def test_new_workshop_from_the_standard_template_has_its_agenda_at_once(app, client, auth):
    fields = _field_ids(app, 1)
    auth.login(Role.FACILITATOR)
    page = text_of(client.get("/workshops/new?template=standard"))
    assert "Standard-Strategieworkshop (ganztägig)" in page
    response = client.post("/workshops/new", data=form_data(fields, template="standard", start_time="09:00",
                                                            end_time="16:00"), follow_redirects=True)
    assert "mit der Tagesordnung der Vorlage" in text_of(response)
    agenda = text_of(client.get(f"/workshops/{_only_workshop_id(app)}/agenda"))
    assert "09:00–09:15 Begrüßung und Ziele des Tages" in agenda
    assert "15:30–16:00 Abschluss und nächste Schritte" in agenda
    assert "reicht über das Ende" not in agenda
    with app.app_context():
        kinds = {b.kind for b in db.session.query(AgendaBlock)}
        assert kinds == set(AgendaBlockKind), "the standard day uses every kind of block"
    gone = client.post("/workshops/new", data=form_data(fields, template="city-999"))
    assert "Vorlage gibt es nicht mehr" in text_of(gone) and _count(app) == 1


def _only_workshop_id(app) -> int:
    with app.app_context():
        return db.session.query(Workshop).one().id


def test_workshop_saved_as_city_template_listed_renamed_used_and_deleted(app, client, auth):
    from planner.workshops.models import WorkshopTemplate

    fields = _field_ids(app, 1)
    with app.app_context():
        w = factories.workshop(title="Halbtag Mobilität", starts_at=factories.aware(2030, 6, 4, 13),
                               ends_at=factories.aware(2030, 6, 4, 15))
        person = factories.person(first_name="Rita", last_name="Referentin")
        db.session.add_all([
            AgendaBlock(workshop=w, position=0, title="Impuls", kind=AgendaBlockKind.INPUT, duration_minutes=45,
                        responsible=person),
            AgendaBlock(workshop=w, position=1, title="Bedarfe", kind=AgendaBlockKind.NEEDS, duration_minutes=75),
        ])
        db.session.commit()
        wid = w.id
    auth.login(Role.FACILITATOR)
    assert "Als Vorlage speichern" in text_of(client.get(f"/workshops/{wid}"))
    assert client.post(f"/workshops/{wid}/save-as-template", data={"name": ""}).status_code == 200
    saved = client.post(f"/workshops/{wid}/save-as-template", data={"name": "Halbtag"}, follow_redirects=True)
    page = text_of(saved)
    assert "Vorlage „Halbtag“ wurde gespeichert" in page and "Impuls · Bedarfe" in page and "13:00–15:00" in page
    with app.app_context():
        template = db.session.query(WorkshopTemplate).one()
        tid = template.id
        assert "Rita" not in str(template.blocks), "a template names nobody"
    renamed = client.post(f"/workshops/templates/{tid}/rename", data={f"t{tid}-name": "Halbtag kompakt"},
                          follow_redirects=True)
    assert "Halbtag kompakt" in text_of(renamed)
    empty = client.post(f"/workshops/templates/{tid}/rename", data={f"t{tid}-name": " "}, follow_redirects=True)
    assert "Halbtag kompakt" in text_of(empty) and "Bitte" in text_of(empty)
    form = text_of(client.get(f"/workshops/new?template=city-{tid}"))
    assert "Halbtag kompakt" in form
    client.post("/workshops/new", data=form_data(fields, title="Neuer Halbtag", template=f"city-{tid}",
                                                 start_time="13:00", end_time="15:00"))
    with app.app_context():
        new = db.session.query(Workshop).filter_by(title="Neuer Halbtag").one()
        assert [(b.title, b.duration_minutes) for b in new.agenda_blocks] == [("Impuls", 45), ("Bedarfe", 75)]
        new_id = new.id
    deleted = client.post(f"/workshops/templates/{tid}/delete", follow_redirects=True)
    assert "Vorlage „Halbtag kompakt“ wurde gelöscht" in text_of(deleted)
    assert "Neuer Workshop mit dieser Vorlage: Halbtag kompakt" not in text_of(deleted)
    with app.app_context():
        assert len(db.session.get(Workshop, new_id).agenda_blocks) == 2, "a workshop keeps its agenda"


HTMX = {"HX-Request": "true", "HX-Boosted": "true"}


def test_one_page_agenda_edits_inline_reorders_and_keeps_version_checks(app, client, auth):
    with app.app_context():
        w = factories.workshop(starts_at=factories.aware(2030, 6, 4, 9), ends_at=factories.aware(2030, 6, 4, 12))
        blocks = [AgendaBlock(workshop=w, position=i, title=t, kind=k, duration_minutes=m) for i, (t, k, m) in
                  enumerate((("Begrüßung", AgendaBlockKind.WELCOME, 15), ("Bedarfe", AgendaBlockKind.NEEDS, 60),
                             ("Abschluss", AgendaBlockKind.WRAP_UP, 30)))]
        db.session.add_all(blocks)
        db.session.commit()
        wid, ids = w.id, [b.id for b in blocks]
        version = blocks[1].version
    auth.login(Role.FACILITATOR)
    editing = client.get(f"/workshops/{wid}/agenda?edit={ids[1]}", headers=HTMX).get_data(as_text=True)
    assert 'name="edit-title"' in editing and 'value="Bedarfe"' in editing
    saved = client.post(f"/workshops/{wid}/agenda/{ids[1]}/edit", headers=HTMX, follow_redirects=True, data={
        "inline": "1", "edit-title": "Handlungsbedarfe", "edit-kind": "needs", "edit-duration_minutes": "90",
        "edit-version": str(version)})
    text = text_of(saved)
    assert "09:15–10:45 Handlungsbedarfe" in text and "10:45–11:15 Abschluss" in text
    assert 'id="agenda-announce"' in saved.get_data(as_text=True) and "Ihre Änderungen wurden gespeichert" in text
    stale = client.post(f"/workshops/{wid}/agenda/{ids[1]}/edit", headers=HTMX, data={
        "inline": "1", "edit-title": "Alt", "edit-kind": "needs", "edit-duration_minutes": "30",
        "edit-version": str(version)})
    assert stale.status_code == 409 and "Aktuelle Fassung" in text_of(stale)
    reordered = client.post(f"/workshops/{wid}/agenda/reorder", follow_redirects=True,
                            data={"order": f"{ids[2]},{ids[0]},{ids[1]}", "moved": str(ids[2])})
    assert "09:00–09:30 Abschluss" in text_of(reordered) and "09:45–11:15 Handlungsbedarfe" in text_of(reordered)
    outdated = client.post(f"/workshops/{wid}/agenda/reorder", follow_redirects=True,
                           data={"order": f"{ids[0]},{ids[1]}"})
    assert "inzwischen geändert" in text_of(outdated)
    with app.app_context():
        order = [b.title for b in db.session.get(Workshop, wid).agenda_blocks]
        assert order == ["Abschluss", "Begrüßung", "Handlungsbedarfe"], "nothing moved on an outdated order"
    moved = client.post(f"/workshops/{wid}/agenda/{ids[1]}/move", data={"direction": "up"})
    assert f"focus=block-{ids[1]}-up" in moved.headers["Location"]


def test_facilitator_without_person_record_can_be_responsible(app, client, auth):
    with app.app_context():
        facilitator = factories.user(Role.FACILITATOR, display_name="Mia Moderation", email="mia@example.org")
        w = factories.workshop(facilitators=[facilitator])
        db.session.commit()
        wid = w.id
    auth.login(Role.FACILITATOR)
    assert 'value="Mia Moderation"' in client.get(f"/workshops/{wid}/agenda").get_data(as_text=True)
    response = client.post(f"/workshops/{wid}/agenda/new", follow_redirects=True, data={
        "title": "Begrüßung", "kind": "welcome", "duration_minutes": "15", "responsible": "Mia Moderation"})
    assert "Verantwortlich: Mia Moderation" in text_of(response)
    with app.app_context():
        block = db.session.query(AgendaBlock).one()
        assert block.responsible.email == "mia@example.org"
        assert db.session.query(User).filter_by(email="mia@example.org").one().person_id == block.responsible_id
