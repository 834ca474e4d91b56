"""Administration of the action fields: create, edit, reorder, merge, retire (services and pages)."""

import pytest

from planner.core.audit import history
from planner.core.errors import DomainError, NotAllowed
from planner.core.permissions import Role
from planner.extensions import db
from planner.fields import services
from planner.fields.models import ActionField, IndexArea
from planner.fields.services import FieldData, FieldError
from planner.findings import services as findings_services
from planner.findings.models import Finding, Measure, MeasureStatus
from planner.surveys.models import SavedMapping
from planner.workshops.models import Workshop
from tests import factories
from tests.conftest import text_of


def _data(**kw) -> FieldData:
    kw.setdefault("code", "UMW")
    kw.setdefault("name_de", "Umwelt, Energie und Klima")
    kw.setdefault("name_en", "Environment, energy and climate")
    kw.setdefault("colour", "#2e7d32")
    return FieldData(**kw)


def test_create_field_appends_it_with_all_its_details(ctx):
    admin = factories.user(Role.ADMIN)
    first = factories.field(code="MOB", position=4)
    field = services.create_field(admin, _data(description_de="Klima", description_en="Climate",
                                               index_area="energy_environment", code=" umw "))
    assert field.code == "UMW" and field.position == first.position + 1
    assert field.index_area == IndexArea.ENERGY_ENVIRONMENT and field.description_en == "Climate"
    assert [f.code for f in services.list_fields()] == ["MOB", "UMW"]
    assert history(field)[0].action == "create"


def test_setup_may_create_fields_without_an_acting_user(ctx):
    assert services.create_field(None, _data()).id is not None


@pytest.mark.parametrize(("data", "field_name", "text"), [
    (dict(code="MOB"), "code", "bereits"),
    (dict(code="M"), "code", "2 bis 8"),
    (dict(code="MÖB"), "code", "2 bis 8"),
    (dict(name_de="  "), "name_de", "deutschen Namen"),
    (dict(colour="green"), "colour", "sechs"),
    (dict(colour="#ffff00"), "colour", "1,1:1"),
    (dict(index_area="space"), "index_area", "Smart City Index"),
])
def test_bad_field_input_is_refused_with_a_clear_message(app, data, field_name, text):
    with app.test_request_context(headers={"Accept-Language": "de"}):
        factories.field(code="MOB")
        db.session.commit()
        before = db.session.query(ActionField).count()
        with pytest.raises(FieldError) as error:
            services.create_field(None, _data(**data))
        assert error.value.field == field_name and text in str(error.value.message)
        db.session.rollback()
        assert db.session.query(ActionField).count() == before


def test_only_admins_and_the_strategy_team_manage_fields(ctx):
    with pytest.raises(NotAllowed):
        services.create_field(factories.user(Role.FACILITATOR), _data())
    assert services.create_field(factories.user(Role.STRATEGY_TEAM), _data()).code == "UMW"


def test_changing_the_code_keeps_numbers_and_follows_in_survey_mappings(ctx):
    mob = factories.field(code="MOB")
    need = factories.finding(field=mob, workshop=factories.workshop(fields=[mob]))
    db.session.add(SavedMapping(name="Welle 1", mapping={"version": 1, "questions": [
        {"key": "q1", "kind": "rating", "columns": ["Q1"], "field": "MOB"}]}))
    db.session.flush()
    number = need.number
    services.update_field(None, mob, _data(code="VER", name_de="Verkehr"))
    db.session.expire_all()
    assert db.session.get(Finding, need.id).number == number
    assert db.session.query(SavedMapping).one().mapping["questions"][0]["field"] == "VER"
    assert services.get_field_by_code("VER").name_de == "Verkehr"


def test_reorder_and_move(ctx):
    a, b, c = (factories.field(code=code) for code in ("AAA", "BBB", "CCC"))
    services.reorder_fields(None, [c.id, a.id, b.id])
    assert [f.code for f in services.list_fields()] == ["CCC", "AAA", "BBB"]
    services.move_field(None, b, -1)
    assert [f.code for f in services.list_fields()] == ["CCC", "BBB", "AAA"]
    services.move_field(None, c, -1)  # already first: stays
    assert [f.code for f in services.list_fields()] == ["CCC", "BBB", "AAA"]
    with pytest.raises(FieldError):
        services.reorder_fields(None, [a.id, b.id])


def test_retiring_a_field_with_open_measures_is_refused(ctx):
    field = factories.field(code="GES")
    factories.measure(field=field, status=MeasureStatus.UNDER_EVALUATION)
    with pytest.raises(FieldError) as error:
        services.retire_field(None, field)
    assert "GES" in str(error.value.message) and field.retired_at is None


def test_a_retired_field_keeps_its_data_but_is_not_offered_for_new_things(ctx):
    field = factories.field(code="GES")
    other = factories.field(code="MOB")
    ws = factories.workshop(fields=[field])
    factories.measure(field=field, status=MeasureStatus.REJECTED)
    services.retire_field(None, field)
    assert field.is_retired and [f.code for f in services.offered_fields()] == ["MOB"]
    assert {f.code for f in services.offered_fields(ws.fields)} == {"GES", "MOB"}
    assert field.measures.count() == 1 and field in services.list_fields()
    assert [e.action for e in history(field)][-1] == "retire"
    services.reactivate_field(None, field)
    assert not field.is_retired and other in services.offered_fields()


def test_merge_moves_everything_to_the_target_and_keeps_the_history(ctx):
    source = factories.field(code="GES")
    target = factories.field(code="SER")
    both = factories.workshop(fields=[source, target])
    only_source = factories.workshop(fields=[source])
    need = factories.finding(workshop=only_source, field=source)
    measure = factories.measure(needs=[need])
    expert = factories.person(fields=[source])
    db.session.add(SavedMapping(name="Welle", mapping={"version": 1, "questions": [
        {"key": "q5", "kind": "multiple", "columns": ["Q5[1]"], "options": ["Gesundheit"],
         "option_fields": {"Gesundheit": "GES"}}]}))
    db.session.flush()
    number = need.number
    moved = services.merge_fields(factories.user(Role.ADMIN), source, target)
    assert moved["findings"] == 1 and moved["measures"] == 1 and moved["survey_mappings"] == 1
    db.session.expire_all()
    assert db.session.get(Finding, need.id).field_id == target.id
    assert db.session.get(Finding, need.id).number == number
    assert db.session.get(Measure, measure.id).field_id == target.id
    assert [f.code for f in db.session.get(Workshop, both.id).fields] == ["SER"]
    assert [f.code for f in db.session.get(Workshop, only_source.id).fields] == ["SER"]
    assert [f.code for f in expert.fields] == ["SER"]
    assert db.session.query(SavedMapping).one().mapping["questions"][0]["option_fields"] == {"Gesundheit": "SER"}
    source = db.session.get(ActionField, source.id)
    assert source.is_retired and source.merged_into.code == "SER"
    assert history(source)[-1].action == "merge" and "GES → SER" in history(source)[-1].summary
    with pytest.raises(FieldError):
        services.merge_fields(None, target, target)
    with pytest.raises(FieldError):
        services.merge_fields(None, target, source)  # a retired target


def test_field_administration_pages(app, client, auth):
    with app.app_context():
        factories.field(code="MOB", name_de="Mobilität", position=1)
        ges = factories.field(code="GES", name_de="Gesundheit", position=2)
        factories.measure(field=ges, status=MeasureStatus.PROPOSED)
        db.session.commit()
    auth.login(Role.STRATEGY_TEAM)
    assert "Handlungsfelder verwalten" in text_of(client.get("/fields/"))
    page = client.post("/fields/new", data={"code": "MOB", "name_de": "Doppelt", "colour": "#1d4e89"})
    assert page.status_code == 200 and "Der Code MOB wird bereits" in text_of(page)
    page = client.post("/fields/new", data={"code": "WOH", "name_de": "Wohnen", "colour": "#fafafa"})
    assert "zu hell" in text_of(page)
    page = client.post("/fields/new", data={"code": "woh", "name_de": "Wohnen", "name_en": "Living",
                                            "colour": "#ef6c00", "index_area": "society_education"},
                       follow_redirects=True)
    assert "Das Handlungsfeld WOH wurde angelegt." in text_of(page)
    assert "Gesellschaft und Bildung" in text_of(page)
    page = client.post("/fields/WOH/move", data={"direction": "up"}, follow_redirects=True)
    with app.app_context():
        assert [f.code for f in services.list_fields()] == ["MOB", "WOH", "GES"]
    page = client.post("/fields/GES/retire", follow_redirects=True)
    assert "offene Maßnahmen" in text_of(page)
    page = client.post("/fields/GES/edit", data={"code": "GES", "name_de": "Gesundheit und Pflege",
                                                 "colour": "#00838f"}, follow_redirects=True)
    assert "Gesundheit und Pflege" in text_of(page)
    page = client.post("/fields/GES/merge", data={"target": ""})
    assert page.status_code == 200 and "Bitte wählen Sie ein Handlungsfeld." in text_of(page)
    with app.app_context():
        mob_id = services.get_field_by_code("MOB").id
    page = client.post("/fields/GES/merge", data={"target": str(mob_id)}, follow_redirects=True)
    assert "GES wurde mit MOB zusammengeführt." in text_of(page)
    listing = text_of(client.get("/fields/"))
    assert "Ausgeschiedene Handlungsfelder" in listing and "zusammengeführt in MOB" in listing
    page = client.post("/fields/WOH/retire", follow_redirects=True)
    assert "WOH ist ausgeschieden" in text_of(page)
    auth.login(Role.FACILITATOR)
    assert "Handlungsfelder verwalten" not in text_of(client.get("/fields/"))
    assert client.get("/fields/manage").status_code == 403


def test_a_retired_field_is_not_offered_in_new_workshops_measures_and_experts(app, client, auth):
    with app.app_context():
        factories.field(code="MOB", name_de="Mobilität")
        old = factories.field(code="ALT", name_de="Altes Feld")
        old_workshop = factories.workshop(fields=[old], title="Alter Workshop")
        services.retire_field(None, old)
        db.session.commit()
        old_workshop_id = old_workshop.id
        old_id = old.id
    auth.login(Role.ADMIN)
    for url in ("/workshops/new", "/findings/measures/new", "/people/new"):
        page = text_of(client.get(url))
        assert "Mobilität" in page and "Altes Feld" not in page, url
    # A workshop that has the field keeps it when edited.
    assert "Altes Feld" in text_of(client.get(f"/workshops/{old_workshop_id}/edit"))
    with app.app_context(), pytest.raises(DomainError) as error:
        findings_services.create_measure(factories.user(Role.STRATEGY_TEAM), old_id, {"title": "Neu"})
    assert getattr(error.value, "field", None) == "field"


def test_the_overview_shows_active_fields_only(app, client):
    with app.app_context():
        factories.process()
        factories.field(code="MOB", name_de="Mobilität")
        services.retire_field(None, factories.field(code="ALT", name_de="Altes Feld"))
        db.session.commit()
    page = text_of(client.get("/"))
    assert "Mobilität" in page and "Altes Feld" not in page
