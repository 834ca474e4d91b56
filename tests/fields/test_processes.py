"""Strategy processes: their texts and years, and more than one process per installation."""

import pytest

from planner.core.errors import NotAllowed
from planner.core.permissions import Role
from planner.extensions import db
from planner.fields import services
from planner.fields.models import StrategyProcess
from planner.fields.services import ProcessData, ProcessError
from planner.strategy import services as paper_services
from planner.strategy import versions as paper_versions
from planner.strategy.models import PaperSection
from planner.surveys.services import survey_list_query
from planner.workshops import services as workshop_services
from tests import factories
from tests.conftest import text_of


def _data(**kw) -> ProcessData:
    kw.setdefault("title", "Smart City-Strategie Münster 2035")
    kw.setdefault("vision", "Eine vernetzte Stadt.")
    kw.setdefault("target_year", 2035)
    kw.setdefault("milestone_years", (2027, 2030, 2035))
    return ProcessData(**kw)


def test_the_first_process_becomes_current_and_adopts_what_exists(ctx):
    admin = factories.user(Role.ADMIN)
    old_series = factories.series(title="Reihe ohne Prozess")
    assert old_series.process_id is None
    process = services.create_process(admin, _data())
    assert process.is_current and StrategyProcess.current() == process
    assert process.milestone_years == [2027, 2030, 2035]
    db.session.refresh(old_series)
    assert old_series.process_id == process.id
    # A new row joins the current process by itself.
    assert factories.series().process_id == process.id


@pytest.mark.parametrize(("data", "field_name", "text"), [
    (dict(title=" "), "title", "Titel"),
    (dict(target_year=2030), "target_year", "nicht vor dem letzten Meilenstein (2035)"),
    (dict(milestone_years=(2030, 2027)), "milestone_years", "aufsteigend"),
    (dict(milestone_years=(2030, 2030)), "milestone_years", "aufsteigend"),
    (dict(target_year=1900), "target_year", "zwischen 2000 und 2100"),
])
def test_bad_process_input_is_refused(app, data, field_name, text):
    with app.test_request_context(headers={"Accept-Language": "de"}):
        process = services.create_process(None, _data())
        with pytest.raises(ProcessError) as error:
            services.update_process(None, process, _data(**data))
        assert error.value.field == field_name and text in str(error.value.message)


def test_milestone_years_are_parsed_with_a_clear_message(app):
    assert services.parse_years("2025, 2030 2035;2040") == (2025, 2030, 2035, 2040)
    assert services.parse_years("") == ()
    with app.test_request_context(headers={"Accept-Language": "de"}):
        with pytest.raises(ProcessError) as error:
            services.parse_years("2025, zwanzig")
        assert "„zwanzig“ ist kein Jahr" in str(error.value.message)


def test_only_administrators_manage_processes(ctx):
    with pytest.raises(NotAllowed):
        services.create_process(factories.user(Role.STRATEGY_TEAM), _data())


def test_a_second_process_has_its_own_series_surveys_and_paper(ctx):
    admin = factories.user(Role.ADMIN)
    first = services.create_process(admin, _data(title="Strategie 2022"))
    first_series = factories.series(title="Reihe 2022")
    first_ws = factories.workshop(series_id=first_series.id, title="Workshop 2022")
    loose_ws = factories.workshop(title="Workshop ohne Reihe")
    paper_services.save_section("foreword", admin, title="Vorwort", body="Vorwort 2022", version=0)
    v1 = paper_versions.freeze_version(admin, "Beschlossen 2022")
    assert v1.process_id == first.id

    second = services.create_process(admin, _data(title="Fortschreibung 2028", target_year=2040,
                                                  milestone_years=(2030, 2040)), make_current=True)
    assert StrategyProcess.current() == second and not db.session.get(StrategyProcess, first.id).is_current
    second_series = factories.series(title="Reihe 2028")
    assert second_series.process_id == second.id
    # The lists of the current process show its own rows; the earlier ones stay readable on request.
    assert [s.title for s in workshop_services.list_series()] == ["Reihe 2028"]
    assert [s.title for s in workshop_services.list_series(first)] == ["Reihe 2022"]
    shown = db.session.scalars(workshop_services.workshops_query(process=first)).all()
    assert shown == [first_ws, loose_ws]  # a workshop outside any series belongs to its process as well
    assert loose_ws not in db.session.scalars(workshop_services.workshops_query(process=second)).all()
    assert [v.number for v in paper_versions.list_versions(process=second)] == []
    assert [v.number for v in paper_versions.list_versions(process=first)] == [v1.number]
    assert db.session.scalars(survey_list_query(second)).all() == []
    # The new process writes its own paper; the earlier section is kept untouched.
    assert paper_services.section_info("foreword").body == ""
    paper_services.save_section("foreword", admin, title="Vorwort", body="Vorwort 2028", version=0)
    bodies = {(s.process_id, s.body) for s in db.session.scalars(db.select(PaperSection))}
    assert bodies == {(first.id, "Vorwort 2022"), (second.id, "Vorwort 2028")}
    v2 = paper_versions.freeze_version(admin, "Entwurf 2028")
    assert v2.process_id == second.id and v2.number == v1.number + 1
    # Switching back makes the earlier process current again.
    services.set_current_process(admin, first)
    assert paper_services.section_info("foreword").body == "Vorwort 2022"


def test_process_pages(app, client, auth):
    with app.app_context():
        services.create_process(None, _data(title="Strategie 2022"))
        factories.series(title="Reihe 2022")
        db.session.commit()
    auth.login(Role.ADMIN)
    assert "Strategie 2022" in text_of(client.get("/fields/processes"))
    assert "Versionen des Papiers" in text_of(client.get("/fields/processes"))
    with app.app_context():
        first_id = StrategyProcess.current().id
    page = client.post(f"/fields/processes/{first_id}/edit",
                       data={"title": "Strategie 2022", "target_year": "2030", "milestone_years": "2025, 2035"})
    assert page.status_code == 200
    assert "Das Zieljahr 2030 darf nicht vor dem letzten Meilenstein (2035) liegen." in text_of(page)
    page = client.post(f"/fields/processes/{first_id}/edit",
                       data={"title": "Strategie 2022", "target_year": "2040", "milestone_years": "2025; zwanzig"})
    assert "„zwanzig“ ist kein Jahr" in text_of(page)
    page = client.post("/fields/processes/new", data={"title": "Fortschreibung 2028", "target_year": "2040",
                                                      "milestone_years": "2030, 2035, 2040"}, follow_redirects=True)
    assert "Der Strategieprozess „Fortschreibung 2028“ wurde angelegt." in text_of(page)
    with app.app_context():
        second_id = db.session.scalar(db.select(StrategyProcess.id).where(StrategyProcess.title.like("Fort%")))
    page = client.post(f"/fields/processes/{second_id}/current", follow_redirects=True)
    assert "„Fortschreibung 2028“ ist jetzt der aktuelle Prozess." in text_of(page)
    series = text_of(client.get("/workshops/series"))
    assert "Reihe 2022" not in series and "Strategieprozess" in series
    earlier = text_of(client.get(f"/workshops/series?process={first_id}"))
    assert "Reihe 2022" in earlier and "nicht den aktuellen Prozess" in earlier and "Neue Reihe" not in earlier
    assert client.get("/workshops/?process=abc").status_code == 200


def test_the_paper_of_a_new_process_shows_only_its_own_workshops(ctx):
    from planner.strategy.rollup import build_rollup
    from planner.workshops.models import WorkshopStatus

    admin = factories.user(Role.ADMIN)
    services.create_process(None, _data(title="Strategie 2022", target_year=2040, milestone_years=(2030,)))
    factories.workshop(title="Workshop 2022", status=WorkshopStatus.HELD)
    db.session.commit()
    assert [w.title for w in build_rollup(locale="de").annex.workshops] == ["Workshop 2022"]
    services.create_process(admin, _data(title="Fortschreibung 2028", target_year=2040, milestone_years=(2030,)),
                            make_current=True)
    factories.workshop(title="Workshop 2028", status=WorkshopStatus.HELD)
    db.session.commit()
    rollup = build_rollup(locale="de")
    assert rollup.process.title == "Fortschreibung 2028"
    assert [w.title for w in rollup.annex.workshops] == ["Workshop 2028"]


def test_the_paper_of_a_new_process_has_the_findings_of_its_workshops_and_carries_measures_on(ctx):
    from planner.findings.models import FindingKind, MeasureStatus
    from planner.strategy.rollup import build_rollup
    from planner.workshops.models import WorkshopStatus

    admin = factories.user(Role.ADMIN)
    services.create_process(None, _data(title="Strategie 2022", target_year=2040, milestone_years=(2030,)))
    old = factories.workshop(title="Workshop 2022", status=WorkshopStatus.HELD)
    field = old.fields[0]
    factories.finding(workshop=old, field=field, kind=FindingKind.NEED, text="Parksuchverkehr verringern (2022)")
    factories.measure(field=field, title="Smart Parking", status=MeasureStatus.ACCEPTED)
    db.session.commit()
    services.create_process(admin, _data(title="Fortschreibung 2028", target_year=2040, milestone_years=(2030,)),
                            make_current=True)
    new = factories.workshop(title="Workshop 2028", status=WorkshopStatus.HELD, fields=[field])
    factories.finding(workshop=new, field=field, kind=FindingKind.NEED, text="Ladepunkte im Quartier (2028)")
    db.session.commit()
    chapter = build_rollup(locale="de").field(field.code)
    assert [n.text for n in chapter.needs] == ["Ladepunkte im Quartier (2028)"]
    assert [m.title for m in chapter.measures] == ["Smart Parking"]  # the measure goes on in the new round
