"""Earlier strategy processes are read-only (issue 20): their workshops, series, agenda blocks and surveys are
refused by the services with a clear message, not only hidden in lists; the current process stays editable."""

import pytest
from sqlalchemy import select

from planner.core.permissions import Role
from planner.extensions import db
from planner.fields import services
from planner.fields.models import StrategyProcess
from planner.fields.services import EarlierProcess
from planner.strategy import services as paper_services
from planner.strategy.models import PaperSection
from planner.surveys import services as survey_services
from planner.surveys.models import Survey
from planner.workshops import services as workshop_services
from planner.workshops.models import AgendaBlock, AgendaBlockKind, Workshop, WorkshopSeries, WorkshopStatus
from tests import factories
from tests.conftest import text_of
from tests.workshops.helpers import form_data

MESSAGE = "Dies gehört zu einem früheren Strategieprozess"


def _two_processes():
    """The strategy of 2022 (earlier) and its update of 2028 (current)."""
    earlier = factories.process(title="Strategie 2022", is_current=False)
    current = factories.process(title="Fortschreibung 2028", is_current=True)
    StrategyProcess.forget_current()
    assert StrategyProcess.current() == current
    return earlier, current


def _survey(process: StrategyProcess, n: int = 1) -> Survey:
    survey = Survey(title=f"Befragung {process.title}", file_name="befragung.csv", sha256=f"{n}" * 64,
                    process_id=process.id)
    db.session.add(survey)
    db.session.flush()
    return survey


def test_the_services_refuse_changes_to_an_earlier_process_and_change_nothing(ctx):
    earlier, current = _two_processes()
    staff = factories.user(Role.STRATEGY_TEAM)
    series = factories.series(title="Reihe 2022", process_id=earlier.id)
    workshop = factories.workshop(title="Workshop 2022", series_id=series.id, process_id=earlier.id)
    block = AgendaBlock(workshop=workshop, position=0, title="Begrüßung", kind=AgendaBlockKind.INPUT,
                        duration_minutes=30)
    db.session.add(block)
    survey = _survey(earlier)
    db.session.commit()

    block_data = workshop_services.BlockData(title="Neu", kind=AgendaBlockKind.INPUT, duration_minutes=15)
    attempts = [
        lambda: workshop_services.update_series(series, workshop_services.SeriesData(title="Geändert", starts_on=None,
                                                                                      ends_on=None), staff),
        lambda: workshop_services.change_workshop_status(workshop, WorkshopStatus.HELD, staff),
        lambda: workshop_services.cancel_workshop(workshop, "Kein Bedarf", staff),
        lambda: workshop_services.add_agenda_block(workshop, block_data, staff),
        lambda: workshop_services.update_agenda_block(block, block_data, staff),
        lambda: workshop_services.delete_agenda_block(block, staff),
        lambda: workshop_services.move_agenda_block(block, "down", staff),
        lambda: survey_services.set_survey_counts(staff, survey, False),
        lambda: survey_services.delete_survey(staff, survey),
    ]
    for attempt in attempts:
        with pytest.raises(EarlierProcess) as refused:
            attempt()
        assert MESSAGE in str(refused.value.message)
        db.session.rollback()
    assert db.session.get(WorkshopSeries, series.id).title == "Reihe 2022"
    assert db.session.get(Workshop, workshop.id).status == WorkshopStatus.SCHEDULED
    assert [b.title for b in db.session.get(Workshop, workshop.id).agenda_blocks] == ["Begrüßung"]
    assert db.session.get(Survey, survey.id).counts_in_priorities is True

    # The current process's rows stay editable.
    own = factories.workshop(title="Workshop 2028")
    own_survey = _survey(current, 2)
    assert own.process_id == current.id
    workshop_services.add_agenda_block(own, block_data, staff)
    survey_services.set_survey_counts(staff, own_survey, False)
    assert own_survey.counts_in_priorities is False


def test_a_workshop_without_its_own_process_follows_its_series(ctx):
    earlier, _current = _two_processes()
    series = factories.series(title="Reihe 2022", process_id=earlier.id)
    workshop = factories.workshop(series_id=series.id)
    workshop.process_id = None
    db.session.flush()
    with pytest.raises(EarlierProcess):
        workshop_services.change_workshop_status(workshop, WorkshopStatus.HELD, None)


def test_editing_a_workshop_of_an_earlier_process_shows_the_message_and_keeps_it(app, client, auth):
    with app.app_context():
        earlier, _current = _two_processes()
        field = factories.field()
        workshop = factories.workshop(title="Workshop 2022", process_id=earlier.id, fields=[field])
        survey = _survey(earlier)
        db.session.commit()
        workshop_id, field_id, survey_id = workshop.id, field.id, survey.id

    auth.login(Role.FACILITATOR)
    page = client.post(f"/workshops/{workshop_id}/edit", data=form_data([field_id], title="Überschrieben"))
    assert page.status_code == 200 and MESSAGE in text_of(page)
    auth.logout()
    auth.login(Role.STRATEGY_TEAM)
    answer = client.post(f"/surveys/{survey_id}/counting", data={"counts": "0"}, follow_redirects=True)
    assert MESSAGE in text_of(answer)
    with app.app_context():
        assert db.session.get(Workshop, workshop_id).title == "Workshop 2022"
        assert db.session.get(Survey, survey_id).counts_in_priorities is True


def test_the_paper_of_an_earlier_process_is_not_written_by_the_sections_editor(ctx):
    """Sections are saved in the current process only: the earlier process's text stays as it was."""
    earlier, current = _two_processes()
    staff = factories.user(Role.STRATEGY_TEAM)
    db.session.add(PaperSection(key="foreword", position=0, title="", body="Text von 2022", process_id=earlier.id))
    db.session.commit()
    paper_services.save_section("foreword", staff, title="Vorwort", body="Text von 2028", version=0)
    db.session.commit()
    bodies = dict(db.session.execute(select(PaperSection.process_id, PaperSection.body)).all())
    assert bodies == {earlier.id: "Text von 2022", current.id: "Text von 2028"}


def test_is_earlier_process(ctx):
    earlier, current = _two_processes()
    assert services.is_earlier_process(earlier.id)
    assert not services.is_earlier_process(current.id) and not services.is_earlier_process(None)


def test_nobody_is_invited_reminded_or_checked_in_for_a_workshop_of_an_earlier_process(ctx):
    from planner.invitations import services as invitation_services
    from planner.workshops.models import Participation

    earlier, _current = _two_processes()
    staff = factories.user(Role.FACILITATOR)
    workshop = factories.workshop(title="Workshop 2022", process_id=earlier.id)
    person = factories.person(email="neu@example.org")
    db.session.commit()
    for attempt in (
        lambda: invitation_services.invite_people(staff, workshop, [person]),
        lambda: invitation_services.send_reminders(staff, workshop),
        lambda: invitation_services.resend_unsent(staff, workshop),
        lambda: invitation_services.record_attendance(staff, workshop, set()),
    ):
        with pytest.raises(EarlierProcess):
            attempt()
        db.session.rollback()
    assert db.session.scalar(select(Participation).where(Participation.workshop_id == workshop.id)) is None


def test_a_new_workshop_cannot_join_an_earlier_series_and_a_copy_is_planned_in_the_current_process(ctx):
    from datetime import date, time

    from planner.workshops.models import WorkshopFormat

    earlier, current = _two_processes()
    staff = factories.user(Role.FACILITATOR)
    field = factories.field()
    old_series = factories.series(title="Reihe 2022", process_id=earlier.id)
    source = factories.workshop(title="Workshop 2022", series_id=old_series.id, process_id=earlier.id)
    db.session.commit()
    data = workshop_services.WorkshopData(title="Nachzügler", format=WorkshopFormat.VIRTUAL, day=date(2030, 6, 4),
                                          start=time(9), end=time(12), series_id=old_series.id,
                                          field_ids=[field.id], video_link="https://video.example.org/x")
    with pytest.raises(EarlierProcess) as refused:
        workshop_services.create_workshop(data, staff, confirmed=True)
    assert refused.value.field == "series"
    db.session.rollback()
    assert db.session.scalar(select(Workshop).where(Workshop.title == "Nachzügler")) is None

    copy = workshop_services.duplicate_workshop(source, date(2030, 6, 4), staff, title="Workshop 2028")
    db.session.commit()
    assert copy.series_id is None and copy.process_id == current.id
    assert [w.title for w in db.session.get(WorkshopSeries, old_series.id).workshops] == ["Workshop 2022"]
