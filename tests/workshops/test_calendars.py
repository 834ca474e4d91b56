"""The .ics output read back with an independent parser (vobject), not with icalendar, which wrote it."""

from datetime import UTC, datetime, timedelta

import vobject

from planner.core.permissions import Role
from planner.core.security import hash_token
from planner.extensions import db
from planner.workshops import services
from planner.workshops.calendars import build_calendar
from planner.workshops.models import (
    AgendaBlockKind,
    CalendarFeedKind,
    CalendarToken,
    InvitationStatus,
    WorkshopFormat,
    WorkshopStatus,
)
from planner.workshops.services import BlockData
from tests import factories


def parse(data: bytes):
    # vobject caches the first VTIMEZONE it sees per TZID for the whole process; each file must be read with
    # its own (an earlier test's feed covers other years), as a calendar client reads each file.
    getattr(vobject.icalendar, "__tzidMap").clear()
    return vobject.readOne(data.decode("utf-8"))


def _hybrid(**kw):
    facilitator = factories.user(Role.FACILITATOR, email="mia@example.org", display_name="Mia Moderation")
    kw.setdefault("title", "Workshop 5: Smarte Services")
    w = factories.workshop(format=WorkshopFormat.HYBRID, location="Rathaus Essen, Raum 1",
                           video_link="https://video.example.org/ws5", facilitators=[facilitator],
                           starts_at=factories.aware(2030, 3, 31, 9), ends_at=factories.aware(2030, 3, 31, 16, 30),
                           **kw)
    services.add_agenda_block(w, BlockData("Begrüßung", AgendaBlockKind.WELCOME, 15), None)
    services.add_agenda_block(w, BlockData("Handlungsbedarfe", AgendaBlockKind.NEEDS, 90), None)
    return w


def test_single_event_has_every_property(ctx):
    w = _hybrid()
    cal = parse(build_calendar([w]))
    assert cal.method.value == "PUBLISH"
    event = cal.vevent
    assert event.summary.value == "Workshop 5: Smarte Services"
    assert event.uid.value == f"workshop-{w.id}@localhost"
    assert event.location.value == "Rathaus Essen, Raum 1"
    assert event.url.value == f"http://localhost/workshops/{w.id}"
    assert event.status.value == "CONFIRMED" and event.sequence.value == "0"
    assert event.organizer.value == "mailto:mia@example.org"
    assert event.organizer.params["CN"] == ["Mia Moderation"]
    description = event.description.value
    assert "09:00–09:15 Begrüßung" in description and "09:15–10:45 Handlungsbedarfe" in description
    assert "https://video.example.org/ws5" in description
    # Last Sunday of March: 09:00 is already summer time (UTC+2); the zone is named and defined.
    assert "DTSTART;TZID=Europe/Berlin:20300331T090000" in build_calendar([w]).decode()
    assert event.dtstart.value.astimezone(UTC) == datetime(2030, 3, 31, 7, 0, tzinfo=UTC)
    assert event.dtend.value - event.dtstart.value == timedelta(hours=7, minutes=30)
    assert cal.vtimezone.tzid.value == "Europe/Berlin"


def test_uid_stable_and_sequence_raised_on_change(ctx):
    w = _hybrid()
    before = parse(build_calendar([w])).vevent
    data = services.WorkshopData.from_workshop(w)
    data.location = "Rathaus Essen, Ratssaal"
    services.update_workshop(w, data, None)
    after = parse(build_calendar([w])).vevent
    assert after.uid.value == before.uid.value
    assert int(after.sequence.value) == int(before.sequence.value) + 1
    assert after.location.value == "Rathaus Essen, Ratssaal"


def test_cancelled_event(ctx):
    w = _hybrid(status=WorkshopStatus.SCHEDULED)
    services.cancel_workshop(w, "Erkrankung", None)
    cal = parse(build_calendar([w], method="CANCEL"))
    assert cal.method.value == "CANCEL"
    assert cal.vevent.status.value == "CANCELLED" and cal.vevent.sequence.value == "1"
    assert "Erkrankung" in cal.vevent.description.value


def test_draft_is_tentative(ctx):
    w = _hybrid(status=WorkshopStatus.DRAFT)
    assert parse(build_calendar([w])).vevent.status.value == "TENTATIVE"


def _token(kind, **target) -> str:
    secret = f"secret-{kind.value}-{'x' * 40}"
    db.session.add(CalendarToken(token_hash=hash_token(secret), kind=kind, **target))
    return secret


def test_series_feed_over_http(app, client):
    with app.app_context():
        series = factories.series(title="Strategie-Workshops")
        _hybrid(series_id=series.id, title="Geplant")
        factories.workshop(series_id=series.id, title="Noch Entwurf", status=WorkshopStatus.DRAFT)
        factories.workshop(series_id=series.id, title="Abgesagt", status=WorkshopStatus.CANCELLED)
        factories.workshop(title="Andere Reihe")
        secret = _token(CalendarFeedKind.SERIES, series=series)
        db.session.commit()
    response = client.get(f"/workshops/feeds/series/{secret}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    cal = parse(response.data)
    assert [e.summary.value for e in cal.vevent_list] == ["Geplant"]
    assert cal.contents["x-wr-calname"][0].value == "Strategie-Workshops"


def test_personal_feed_lists_invited_and_accepted(app, client):
    with app.app_context():
        person = factories.person()
        for title, status in (("Zugesagt", InvitationStatus.ACCEPTED), ("Eingeladen", InvitationStatus.INVITED),
                              ("Abgelehnt", InvitationStatus.DECLINED)):
            factories.participation(workshop=factories.workshop(title=title), person=person,
                                    invitation_status=status)
        factories.workshop(title="Fremd")
        secret = _token(CalendarFeedKind.PERSON, person=person)
        db.session.commit()
    cal = parse(client.get(f"/workshops/feeds/person/{secret}.ics").data)
    assert sorted(e.summary.value for e in cal.vevent_list) == ["Eingeladen", "Zugesagt"]


def test_workshop_ics_download_needs_sign_in(app, client, auth):
    with app.app_context():
        wid = _hybrid().id
        db.session.commit()
    assert client.get(f"/workshops/{wid}/calendar.ics").status_code == 302
    auth.login(Role.EXPERT)
    response = client.get(f"/workshops/{wid}/calendar.ics")
    assert "attachment" in response.headers["Content-Disposition"]
    assert parse(response.data).vevent.uid.value == f"workshop-{wid}@localhost"
