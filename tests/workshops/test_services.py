import base64
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest

from planner.core.errors import InvalidTransition, NotAllowed
from planner.core.permissions import Role
from planner.extensions import db
from planner.people.models import Person
from planner.workshops import services
from planner.workshops.models import (
    AgendaBlock,
    AgendaBlockKind,
    InvitationStatus,
    ParticipationRole,
    WorkshopFormat,
    WorkshopKind,
    WorkshopStatus,
)
from planner.workshops.services import BlockData, ConflictsFound, WorkshopInvalid
from tests import factories
from tests.workshops.helpers import workshop_data


def problems_of(excinfo) -> dict:
    return {name: str(message) for name, message in excinfo.value.problems}


# --- creating, editing, status ----------------------------------------------------------------------------------


def test_create_stores_local_times_as_aware_utc(ctx):
    f = factories.field()
    w = services.create_workshop(workshop_data(field_ids=[f.id]), actor=None)
    assert w.status == WorkshopStatus.DRAFT and w.sequence == 0
    # 9:00 in Berlin summer time is 7:00 UTC.
    assert w.starts_at == datetime(2030, 6, 4, 7, 0, tzinfo=UTC)
    assert w.fields == [f]


@pytest.mark.parametrize(("day", "hours"), [(date(2030, 3, 31), 7), (date(2030, 10, 27), 9)])
def test_daylight_saving_days(ctx, day, hours):
    """Last Sunday of March: clocks go forward (an hour is missing); last Sunday of October: back."""
    f = factories.field()
    w = services.create_workshop(workshop_data(field_ids=[f.id], day=day, start=time(1, 0), end=time(9, 0)), None)
    assert w.ends_at - w.starts_at == timedelta(hours=hours)
    if day.month == 3:
        assert w.starts_at.astimezone(UTC).hour == 0  # 01:00 CET
        assert w.ends_at.astimezone(UTC).hour == 7  # 09:00 CEST
    else:
        assert w.starts_at.astimezone(UTC).hour == 23  # 01:00 CEST, the day before in UTC
        assert w.ends_at.astimezone(UTC).hour == 8  # 09:00 CET


def test_time_skipped_by_the_clock_change_is_rejected(ctx):
    f = factories.field()
    with pytest.raises(WorkshopInvalid) as excinfo:
        services.create_workshop(workshop_data(field_ids=[f.id], day=date(2030, 3, 31), start=time(2, 30)), None)
    assert "start_time" in problems_of(excinfo)


@pytest.mark.parametrize(
    ("changes", "field_name"),
    [
        ({"end": time(9, 0)}, "end_time"),
        ({"end": time(8, 0)}, "end_time"),
        ({"format": WorkshopFormat.IN_PERSON, "location": ""}, "location"),
        ({"format": WorkshopFormat.HYBRID, "location": "Rathaus", "video_link": ""}, "video_link"),
        ({"video_link": "http://video.example.org/x"}, "video_link"),
        ({"video_link": "javascript:alert(1)"}, "video_link"),
        ({"capacity": 0}, "capacity"),
        ({"field_ids": []}, "fields"),
        ({"title": "  "}, "title"),
    ],
)
def test_hard_errors_save_nothing(ctx, changes, field_name):
    f = factories.field()
    changes.setdefault("field_ids", [f.id])
    with pytest.raises(WorkshopInvalid) as excinfo:
        services.create_workshop(workshop_data(**changes), None)
    assert field_name in problems_of(excinfo)
    db.session.rollback()
    from planner.workshops.models import Workshop

    assert db.session.query(Workshop).count() == 0


def test_only_facilitators_can_facilitate(ctx):
    f = factories.field()
    expert = factories.user(Role.EXPERT)
    with pytest.raises(WorkshopInvalid) as excinfo:
        services.create_workshop(workshop_data(field_ids=[f.id], facilitator_ids=[expert.id]), None)
    assert "facilitators" in problems_of(excinfo)


def test_capacity_not_below_accepted(ctx):
    w = factories.workshop(capacity=10, video_link="https://video.example.org/a")
    for _ in range(3):
        factories.participation(workshop=w, invitation_status=InvitationStatus.ACCEPTED)
    factories.participation(workshop=w, invitation_status=InvitationStatus.DECLINED)
    data = services.WorkshopData.from_workshop(w)
    data.capacity = 2
    with pytest.raises(WorkshopInvalid) as excinfo:
        services.update_workshop(w, data, None)
    assert "3" in problems_of(excinfo)["capacity"]
    data.capacity = 3
    services.update_workshop(w, data, None)
    assert w.capacity == 3


def test_sequence_rises_on_time_place_and_status_changes_only(ctx):
    w = factories.workshop(status=WorkshopStatus.DRAFT, video_link="https://video.example.org/a")
    data = services.WorkshopData.from_workshop(w)
    data.description = "Neu"
    services.update_workshop(w, data, None)
    assert w.sequence == 0
    data.start = time(10, 0)
    services.update_workshop(w, data, None)
    assert w.sequence == 1
    data.format, data.location = WorkshopFormat.HYBRID, "Rathaus"
    services.update_workshop(w, data, None)
    assert w.sequence == 2
    services.change_workshop_status(w, WorkshopStatus.SCHEDULED, None)
    assert w.sequence == 3


def test_status_transitions_are_guarded(ctx):
    w = factories.workshop(status=WorkshopStatus.DRAFT)
    services.change_workshop_status(w, WorkshopStatus.SCHEDULED, None)
    services.change_workshop_status(w, WorkshopStatus.HELD, None, today=date(2030, 3, 5))
    for back in (WorkshopStatus.DRAFT, WorkshopStatus.SCHEDULED):
        with pytest.raises(InvalidTransition):
            services.change_workshop_status(w, back, None)
    with pytest.raises(NotAllowed):
        services.change_workshop_status(w, WorkshopStatus.CANCELLED, None)
    services.change_workshop_status(w, WorkshopStatus.DOCUMENTED, None)
    assert w.status == WorkshopStatus.DOCUMENTED


def test_held_only_on_or_after_the_day_in_berlin(ctx):
    """The factory's workshop is on 5 March 2030, 09:00 in Berlin."""
    w = factories.workshop(status=WorkshopStatus.SCHEDULED)
    assert not w.can_become(WorkshopStatus.HELD, today=date(2030, 3, 4))
    with pytest.raises(InvalidTransition) as error:
        services.change_workshop_status(w, WorkshopStatus.HELD, None, today=date(2030, 3, 4))
    assert "erst an seinem Tag" in str(error.value.message)
    assert w.status == WorkshopStatus.SCHEDULED and w.sequence == 0
    services.change_workshop_status(w, WorkshopStatus.HELD, None, today=date(2030, 3, 5))
    assert w.status == WorkshopStatus.HELD


def test_held_follows_the_local_day_not_the_utc_one(ctx):
    """00:30 in Berlin on 5 March is still 4 March in UTC: the workshop's day is the local one."""
    w = factories.workshop(starts_at=factories.aware(2030, 3, 5, 0, 30), status=WorkshopStatus.SCHEDULED)
    assert w.local_day == date(2030, 3, 5)
    assert not w.can_become(WorkshopStatus.HELD, today=date(2030, 3, 4))
    assert w.can_become(WorkshopStatus.HELD, today=date(2030, 3, 5))


def test_a_workshop_in_the_future_cannot_be_held_today(ctx):
    from planner.core.timeutil import local_today

    w = factories.workshop(starts_at=factories.aware(*(local_today() + timedelta(days=1)).timetuple()[:3]))
    with pytest.raises(InvalidTransition):
        services.change_workshop_status(w, WorkshopStatus.HELD, factories.user(Role.FACILITATOR))


def test_only_a_facilitator_reopens_a_documented_workshop(ctx):
    w = factories.workshop(status=WorkshopStatus.DOCUMENTED)
    for role in (Role.EXPERT, Role.STRATEGY_TEAM):
        with pytest.raises(NotAllowed):
            services.change_workshop_status(w, WorkshopStatus.HELD, factories.user(role))
    assert w.status == WorkshopStatus.DOCUMENTED
    services.change_workshop_status(w, WorkshopStatus.HELD, factories.user(Role.FACILITATOR))
    assert w.status == WorkshopStatus.HELD
    with pytest.raises(InvalidTransition):  # reopening goes back to held, nowhere else
        services.change_workshop_status(w, WorkshopStatus.SCHEDULED, factories.user(Role.FACILITATOR))


def test_held_workshop_cannot_be_cancelled(ctx):
    w = factories.workshop(status=WorkshopStatus.HELD)
    with pytest.raises(InvalidTransition):
        services.cancel_workshop(w, "Krankheit", None)


# --- conflicts ------------------------------------------------------------------------------------------------


def test_conflicts_are_warnings_that_can_be_confirmed(ctx):
    facilitator = factories.user(Role.FACILITATOR, display_name="Mia Moderation")
    f = factories.field()
    factories.workshop(title="Bestehender Workshop", facilitators=[facilitator],
                       starts_at=factories.aware(2030, 6, 4, 13), ends_at=factories.aware(2030, 6, 4, 18))
    data = workshop_data(field_ids=[f.id], facilitator_ids=[facilitator.id])
    with pytest.raises(ConflictsFound) as excinfo:
        services.create_workshop(data, None)
    assert "Mia Moderation" in str(excinfo.value.conflicts[0])
    w = services.create_workshop(data, None, confirmed=True)
    assert w.id is not None


def test_no_conflict_for_adjacent_or_cancelled_workshops(ctx):
    facilitator = factories.user(Role.FACILITATOR)
    f = factories.field()
    factories.workshop(facilitators=[facilitator], starts_at=factories.aware(2030, 6, 4, 16, 30),
                       ends_at=factories.aware(2030, 6, 4, 18))
    factories.workshop(facilitators=[facilitator], status=WorkshopStatus.CANCELLED,
                       starts_at=factories.aware(2030, 6, 4, 10), ends_at=factories.aware(2030, 6, 4, 12))
    assert services.find_conflicts(workshop_data(field_ids=[f.id], facilitator_ids=[facilitator.id])) == []


def test_room_double_booking_is_case_insensitive(ctx):
    f = factories.field()
    factories.workshop(title="Ratssaal belegt", format=WorkshopFormat.IN_PERSON, location="Rathaus, Ratssaal",
                       starts_at=factories.aware(2030, 6, 4, 10), ends_at=factories.aware(2030, 6, 4, 12))
    data = workshop_data(field_ids=[f.id], format=WorkshopFormat.IN_PERSON, location="  rathaus, RATSSAAL ",
                         video_link="")
    conflicts = [str(c) for c in services.find_conflicts(data)]
    assert len(conflicts) == 1 and "Ratssaal belegt" in conflicts[0]
    data.location = "Rathaus, Sitzungssaal 2"
    assert services.find_conflicts(data) == []


def test_accepted_expert_booked_twice(ctx):
    person = factories.person(first_name="Erika", last_name="Expertin")
    other = factories.workshop(title="Parallel-Workshop", starts_at=factories.aware(2030, 6, 4, 14),
                               ends_at=factories.aware(2030, 6, 4, 15))
    factories.participation(workshop=other, person=person, invitation_status=InvitationStatus.ACCEPTED)
    w = factories.workshop(starts_at=factories.aware(2030, 6, 5, 9), ends_at=factories.aware(2030, 6, 5, 16),
                           video_link="https://video.example.org/a")
    factories.participation(workshop=w, person=person, invitation_status=InvitationStatus.ACCEPTED)
    data = services.WorkshopData.from_workshop(w)
    assert services.find_conflicts(data, w) == []
    data.day = date(2030, 6, 4)
    conflicts = [str(c) for c in services.find_conflicts(data, w)]
    assert any("Erika Expertin" in c and "Parallel-Workshop" in c for c in conflicts)


def test_outside_series_period(ctx):
    f = factories.field()
    series = factories.series(starts_on=date(2030, 1, 1), ends_on=date(2030, 5, 31))
    conflicts = services.find_conflicts(workshop_data(field_ids=[f.id], series_id=series.id))
    assert len(conflicts) == 1 and series.title in str(conflicts[0])
    assert services.find_conflicts(workshop_data(field_ids=[f.id], series_id=series.id, day=date(2030, 5, 31))) == []


def test_series_period_end_not_before_start(ctx):
    with pytest.raises(WorkshopInvalid) as excinfo:
        services.create_series(services.SeriesData("Reihe", starts_on=date(2030, 5, 1), ends_on=date(2030, 4, 1)),
                               None)
    assert "ends_on" in problems_of(excinfo)


# --- duplicate and cancel -------------------------------------------------------------------------------------


def test_duplicate_copies_the_template_but_not_the_people(ctx):
    facilitator = factories.user(Role.FACILITATOR)
    source = factories.workshop(format=WorkshopFormat.HYBRID, location="Rathaus", capacity=25,
                                description="Beschreibung", facilitators=[facilitator],
                                status=WorkshopStatus.DOCUMENTED, kind=WorkshopKind.POLITICAL_BRIEFING,
                                audience="Bezirksvertretung III")
    services.add_agenda_block(source, BlockData("Begrüßung", AgendaBlockKind.WELCOME, 15), None)
    services.add_agenda_block(source, BlockData("Bedarfe", AgendaBlockKind.NEEDS, 90), None)
    factories.participation(workshop=source)
    copy = services.duplicate_workshop(source, date(2030, 10, 27), None, title="Nächster Workshop")
    assert copy.status == WorkshopStatus.DRAFT and copy.participations == []
    assert (copy.format, copy.location, copy.capacity, copy.description) == (
        WorkshopFormat.HYBRID, "Rathaus", 25, "Beschreibung")
    assert copy.fields == source.fields and copy.facilitators == [facilitator]
    assert (copy.kind, copy.audience) == (WorkshopKind.POLITICAL_BRIEFING, "Bezirksvertretung III")
    assert [b.title for b in copy.agenda_blocks] == ["Begrüßung", "Bedarfe"]
    assert len(source.agenda_blocks) == 2
    # Same wall-clock times on the new day (here the day the clocks go back).
    from planner.core.timeutil import to_local

    assert to_local(copy.starts_at).strftime("%Y-%m-%d %H:%M") == "2030-10-27 09:00"
    assert to_local(copy.ends_at).strftime("%H:%M") == "16:30"


def test_cancel_notifies_everyone_who_has_not_declined(ctx, outbox):
    w = factories.workshop(title="Smart Health", status=WorkshopStatus.SCHEDULED)
    for status in (InvitationStatus.INVITED, InvitationStatus.ACCEPTED, InvitationStatus.WAITLISTED):
        factories.participation(workshop=w, invitation_status=status)
    declined = factories.participation(workshop=w, invitation_status=InvitationStatus.DECLINED)
    sent = services.cancel_workshop(w, "Die Referentin ist erkrankt.", None)
    assert sent == 3 and w.status == WorkshopStatus.CANCELLED and w.sequence == 1
    assert outbox() == []  # mail leaves after the commit
    db.session.commit()
    mails = outbox()
    assert len(mails) == 3
    assert declined.person.email not in {m["To"] for m in mails}
    mail = mails[0]
    assert mail["Subject"] == "Abgesagt: Smart Health"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "wurde leider abgesagt" in body and "Die Referentin ist erkrankt." in body
    assert "Dienstag, 5. März 2030, 09:00 " in body and "09:00:00" not in body  # times without seconds
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    ics = attachment.get_content()
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert "METHOD:CANCEL" in ics and "STATUS:CANCELLED" in ics and "SEQUENCE:1" in ics


def test_cancel_needs_a_reason(ctx):
    w = factories.workshop(status=WorkshopStatus.SCHEDULED)
    with pytest.raises(WorkshopInvalid):
        services.cancel_workshop(w, "  ", None)
    assert w.status == WorkshopStatus.SCHEDULED


# --- agenda ---------------------------------------------------------------------------------------------------


def _agenda(w, *durations):
    return [services.add_agenda_block(w, BlockData(f"Block {i}", AgendaBlockKind.INPUT, d), None)
            for i, d in enumerate(durations)]


def test_agenda_times_follow_from_start_and_durations(ctx):
    w = factories.workshop(starts_at=factories.aware(2030, 6, 4, 9), ends_at=factories.aware(2030, 6, 4, 10))
    _agenda(w, 15, 30, 15)
    schedule = services.agenda_schedule(w)
    from planner.core.timeutil import to_local

    assert [to_local(s.starts_at).strftime("%H:%M") for s in schedule] == ["09:00", "09:15", "09:45"]
    assert to_local(services.agenda_end(w)).strftime("%H:%M") == "10:00"
    assert not services.agenda_overruns(w)
    _agenda(w, 5)
    assert services.agenda_overruns(w)
    services.fit_end_to_agenda(w, None)
    assert to_local(w.ends_at).strftime("%H:%M") == "10:05" and not services.agenda_overruns(w)
    assert w.sequence == 1


def test_agenda_across_the_clock_change(ctx):
    """Durations are real time: 90 minutes from 01:30 on the last Sunday of March end at 04:00 local."""
    w = factories.workshop(starts_at=factories.aware(2030, 3, 31, 1, 30), ends_at=factories.aware(2030, 3, 31, 5))
    _agenda(w, 90)
    from planner.core.timeutil import to_local

    assert to_local(services.agenda_end(w)).strftime("%H:%M") == "04:00"


def test_reorder_moves_blocks_and_stops_at_the_ends(ctx):
    w = factories.workshop()
    a, b, c = _agenda(w, 10, 20, 30)
    assert services.move_agenda_block(c, "up", None)
    assert [s.block.title for s in services.agenda_schedule(w)] == ["Block 0", "Block 2", "Block 1"]
    assert not services.move_agenda_block(a, "up", None)
    assert services.move_agenda_block(a, "down", None)
    assert [s.block.title for s in services.agenda_schedule(w)] == ["Block 2", "Block 0", "Block 1"]
    services.delete_agenda_block(c, None)
    assert [blk.position for blk in sorted(w.agenda_blocks, key=lambda x: x.position)] == [0, 1]


@pytest.mark.parametrize("minutes", [4, 481, 0])
def test_block_duration_limits(ctx, minutes):
    w = factories.workshop()
    with pytest.raises(WorkshopInvalid):
        services.add_agenda_block(w, BlockData("Zu kurz oder zu lang", AgendaBlockKind.INPUT, minutes), None)


def test_capture_kinds_are_marked(ctx):
    w = factories.workshop()
    services.add_agenda_block(w, BlockData("Bedarfe", AgendaBlockKind.NEEDS, 60), None)
    services.add_agenda_block(w, BlockData("Pause", AgendaBlockKind.BREAK, 15), None)
    assert [s.captures_findings for s in services.agenda_schedule(w)] == [True, False]


# --- registration and networking ------------------------------------------------------------------------------


def _confirm_link(mail) -> str:
    body = mail.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"/workshops/register/confirm/(\S+)", body).group(1)


def test_citizen_registration_enrols_only_after_the_mailed_link_and_respects_capacity(ctx, outbox):
    w = factories.workshop(kind=WorkshopKind.CITIZEN_DIALOGUE, capacity=1, format=WorkshopFormat.IN_PERSON,
                           location="Rathaus Essen", title="Bürgerdialog")
    known = factories.person(email="bekannt@example.org", first_name="Bea", has_consent=False)
    db.session.commit()
    services.request_registration(w, "Beate", "Neu", "BEKANNT@example.org")
    db.session.commit()
    assert known.first_name == "Bea" and not known.has_consent and known.participations == []
    [mail] = outbox()
    assert mail["To"] == "bekannt@example.org"
    assert mail["Subject"] == "Bitte bestätigen Sie Ihre Anmeldung: Bürgerdialog"
    first = services.confirm_registration(_confirm_link(mail))
    db.session.commit()
    assert first.person_id == known.id and known.first_name == "Bea" and known.last_name != "Neu"
    assert known.has_consent and "Ich willige ein" in known.consent_text and known.consent_at is not None
    assert first.invitation_status == InvitationStatus.ACCEPTED and first.role == ParticipationRole.CITIZEN
    services.request_registration(w, "Max", "Muster", "max@example.org")
    db.session.commit()
    assert db.session.query(Person).filter_by(email="max@example.org").count() == 0, "nothing stored before the click"
    link = _confirm_link(outbox()[-1])
    second = services.confirm_registration(link)
    db.session.commit()
    assert second.invitation_status == InvitationStatus.WAITLISTED and second.person.last_name == "Muster"
    again = services.confirm_registration(link)
    db.session.commit()
    assert again.id == second.id
    subjects = [m["Subject"] for m in outbox()]
    assert subjects[1].startswith("Anmeldung bestätigt") and subjects[3].startswith("Warteliste")
    assert len(subjects) == 4, "confirming twice sends no second mail"


def test_registration_never_reverses_a_withdrawal(ctx, outbox):
    """Finding 1 of issue 18: a public sign-up with a known address (any case) rewrote that person's consent."""
    from planner.people.services import ConsentWithdrawn, withdraw_consent

    w = factories.workshop(kind=WorkshopKind.CITIZEN_DIALOGUE, capacity=5)
    expert = factories.person(email="expertin@example.org", has_consent=True, consent_text="Meine Einwilligung")
    db.session.flush()
    withdraw_consent(expert)
    db.session.commit()
    services.request_registration(w, "Böse", "Absicht", "EXPERTIN@example.org")
    db.session.commit()
    [mail] = outbox()
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "/register/confirm/" not in body and "widerrufen" in body
    assert not expert.has_consent and expert.consent_withdrawn_at is not None and expert.participations == []
    # Even a link made before the withdrawal cannot give consent back.
    token = services.registration_token(w.id, "expertin@example.org", "X", "Y")
    with pytest.raises(ConsentWithdrawn):
        services.confirm_registration(token)
    db.session.rollback()
    assert not expert.has_consent and expert.participations == []


def test_registration_keeps_an_existing_consent_as_it_is(ctx, outbox):
    w = factories.workshop(kind=WorkshopKind.CITIZEN_DIALOGUE, capacity=5)
    at = datetime(2022, 2, 15, 9, 0, tzinfo=UTC)
    expert = factories.person(email="expertin@example.org", has_consent=True, consent_text="Meine Einwilligung",
                              consent_at=at)
    db.session.commit()
    services.request_registration(w, "Eva", "Anders", "Expertin@Example.org")
    db.session.commit()
    participation = services.confirm_registration(_confirm_link(outbox()[0]))
    db.session.commit()
    assert participation.person_id == expert.id and expert.consent_text == "Meine Einwilligung"
    assert expert.consent_at == at and expert.first_name != "Eva"


def test_a_bad_or_expired_confirmation_link_registers_nobody(ctx, app):
    w = factories.workshop(kind=WorkshopKind.CITIZEN_DIALOGUE, capacity=5)
    db.session.commit()
    token = services.registration_token(w.id, "neu@example.org", "N", "P")
    assert b"neu@example.org" not in base64.urlsafe_b64decode(token), "the link does not reveal the address"
    with pytest.raises(services.RegistrationLinkInvalid):
        services.confirm_registration(token[:-2] + "xx")
    app.config["REGISTRATION_LINK_HOURS"] = -1
    with pytest.raises(services.RegistrationLinkInvalid):
        services.confirm_registration(token)
    assert db.session.query(Person).count() == 0


def test_registration_only_for_open_scheduled_dialogues(ctx):
    workshop = factories.workshop()
    with pytest.raises(NotAllowed):
        services.request_registration(workshop, "A", "B", "a@example.org")
    held = factories.workshop(kind=WorkshopKind.CITIZEN_DIALOGUE, status=WorkshopStatus.HELD)
    with pytest.raises(NotAllowed):
        services.request_registration(held, "A", "B", "a@example.org")


def test_networking_contacts_only_consenting_participants(ctx):
    w = factories.workshop(status=WorkshopStatus.HELD)
    sharing = factories.participation(workshop=w, shares_contact=True, attended=True)
    factories.participation(workshop=w, shares_contact=False, attended=True)
    factories.participation(workshop=w, shares_contact=True, attended=False)
    factories.participation(workshop=w, shares_contact=True, invitation_status=InvitationStatus.DECLINED)
    assert services.networking_contacts(w) == [sharing]
    assert services.networking_contacts(w, exclude_person_id=sharing.person_id) == []


def test_only_participants_can_switch_sharing(ctx):
    w = factories.workshop(status=WorkshopStatus.HELD)
    outsider = factories.user(Role.EXPERT, person=factories.person())
    with pytest.raises(NotAllowed):
        services.set_shares_contact(w, outsider, True)
    insider = factories.user(Role.EXPERT, person=factories.person())
    factories.participation(workshop=w, person=insider.person, attended=True)
    assert services.set_shares_contact(w, insider, True).shares_contact


# --- calendar tokens ------------------------------------------------------------------------------------------


def test_tokens_are_stored_hashed_and_rotate(ctx):
    series = factories.series()
    facilitator = factories.user(Role.FACILITATOR)
    first = services.create_calendar_token(facilitator, series=series)
    from planner.workshops.models import CalendarFeedKind, CalendarToken

    stored = db.session.query(CalendarToken).one()
    assert stored.token_hash != first and len(first) >= 43
    assert services.token_for_secret(first, CalendarFeedKind.SERIES) == stored
    assert services.token_for_secret(first, CalendarFeedKind.PERSON) is None
    second = services.create_calendar_token(facilitator, series=series)
    assert services.token_for_secret(first, CalendarFeedKind.SERIES) is None
    token = services.token_for_secret(second, CalendarFeedKind.SERIES)
    services.revoke_calendar_token(token, facilitator)
    assert services.token_for_secret(second, CalendarFeedKind.SERIES) is None


def test_only_own_personal_token(ctx):
    expert = factories.user(Role.EXPERT, person=factories.person())
    with pytest.raises(NotAllowed):
        services.create_calendar_token(expert, person=factories.person())
    with pytest.raises(NotAllowed):
        services.create_calendar_token(expert, series=factories.series())


def test_standard_template_fills_a_full_day_with_every_kind_of_block(ctx):
    standard = services.standard_template()
    assert standard.total_minutes == 7 * 60 and (standard.start, standard.end) == (time(9, 0), time(16, 0))
    assert {b.kind for b in standard.blocks} == set(AgendaBlockKind)
    data = workshop_data(start=time(9, 0), end=time(16, 0), field_ids=[factories.field().id])
    workshop = services.create_workshop_from_template(data, "standard", None)
    assert len(workshop.agenda_blocks) == 10 and not services.agenda_overruns(workshop)
    with pytest.raises(services.DomainError):
        services.apply_template(workshop, standard)  # never a second agenda on top of the first


def test_reorder_takes_exactly_the_agendas_blocks(ctx):
    workshop = factories.workshop()
    blocks = [AgendaBlock(workshop=workshop, position=i, title=t, kind=AgendaBlockKind.INPUT, duration_minutes=30)
              for i, t in enumerate("ABC")]
    db.session.add_all(blocks)
    db.session.flush()
    a, b, c = (x.id for x in blocks)
    assert services.reorder_agenda(workshop, [c, a, b], None)
    assert [s.block.title for s in services.agenda_schedule(workshop)] == ["C", "A", "B"]
    assert not services.reorder_agenda(workshop, [c, a, b], None), "the same order changes nothing"
    for wrong in ([a, b], [a, b, c, c], [a, b, 999_999]):
        with pytest.raises(services.AgendaChanged):
            services.reorder_agenda(workshop, wrong, None)
