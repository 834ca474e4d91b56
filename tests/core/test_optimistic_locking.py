"""Two editors save from forms opened on the same version (issue 18, finding 4): the first save goes through, the
second gets the 409 page with the stored values beside their own input, and nothing of theirs is stored."""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select, text

from planner.accounts.models import User
from planner.core.errors import StaleVersion
from planner.core.forms import stale_conflict
from planner.core.permissions import PUBLIC, Role, access
from planner.extensions import db
from planner.people.models import Organisation, Person
from planner.workshops import services as workshop_services
from planner.workshops.models import AgendaBlock, AgendaBlockKind, Workshop, WorkshopSeries
from tests import factories
from tests.conftest import make_test_app, text_of
from tests.workshops.helpers import form_data


@dataclass
class Case:
    """An edit form: how to make its object, its URL, the data the two editors send and where the value lives."""

    make: Callable[[], tuple[str, dict, type, int]]  # -> (edit url, base form data, model, id)
    changed_field: str
    first: str
    second: str
    attribute: str
    role: Role = Role.FACILITATOR


def _workshop():
    ws = factories.workshop(capacity=30)
    return f"/workshops/{ws.id}/edit", form_data([ws.fields[0].id]), Workshop, ws.id


def _series():
    s = factories.series(title="Reihe 2030")
    return (f"/workshops/series/{s.id}/edit",
            {"title": s.title, "description": "", "starts_on": "2030-01-01", "ends_on": "2030-12-31"},
            WorkshopSeries, s.id)


def _block():
    ws = factories.workshop()
    block = AgendaBlock(workshop=ws, position=0, title="Begrüßung", kind=AgendaBlockKind.INPUT, duration_minutes=30)
    db.session.add(block)
    db.session.flush()
    return (f"/workshops/{ws.id}/agenda/{block.id}/edit",
            {"title": "Begrüßung", "kind": "input", "duration_minutes": "30", "responsible": "", "notes": ""},
            AgendaBlock, block.id)


def _person():
    p = factories.person(first_name="Erika", last_name="Muster", email="erika@example.org")
    return (f"/people/{p.id}/edit",
            {"title": "", "first_name": "Erika", "last_name": "Muster", "email": "erika@example.org",
             "position": "", "organisation": str(p.organisation_id)},
            Person, p.id)


def _organisation():
    o = factories.organisation(name="Stadtwerke")
    return f"/people/organisations/{o.id}/edit", {"name": "Stadtwerke", "sector": "administration"}, Organisation, o.id


def _user():
    u = factories.user(role=Role.EXPERT, display_name="Kim Expertin")
    return f"/accounts/users/{u.id}/edit", {"display_name": "Kim Expertin", "role": "expert", "is_active": "y"}, \
        User, u.id


def _city():
    from planner.city.models import CitySettings

    db.session.add(CitySettings(id=1, name="Musterstadt", districts=[], sectors=[]))
    db.session.flush()
    return "/city/settings", {"name": "Musterstadt"}, CitySettings, 1


def _city_setup():
    url, data, model, obj_id = _city()
    return "/city/setup/city", data, model, obj_id


def _districts():
    from planner.city.models import CitySettings

    db.session.add(CitySettings(id=1, name="Musterstadt", districts=[{"name": "Mitte", "quarters": []}], sectors=[]))
    db.session.flush()
    return "/city/setup/districts", {"districts": "Mitte"}, CitySettings, 1


def _legal_page():
    from planner.city.models import LegalPage

    page = LegalPage(kind="imprint", locale="de", body="Impressum der Stadt")
    db.session.add(page)
    db.session.flush()
    return "/city/legal/imprint/de", {"body": "Impressum der Stadt"}, LegalPage, page.id


def _field():
    from planner.fields.models import ActionField

    f = factories.field(code="MOB", name_de="Mobilität", name_en="Mobility")
    return (f"/fields/{f.code}/edit",
            {"code": "MOB", "name_de": "Mobilität", "name_en": "Mobility", "description_de": "", "description_en": "",
             "colour": "#1d4e89", "index_area": "mobility"},
            ActionField, f.id)


def _process(url: str | None = None):
    def make():
        from planner.fields.models import StrategyProcess

        p = factories.process(title="Strategie 2040", target_year=2040, milestone_years=[2030], is_current=True)
        return (url or f"/fields/processes/{p.id}/edit",
                {"title": "Strategie 2040", "vision": "", "target_year": "2040", "milestone_years": "2030"},
                StrategyProcess, p.id)
    return make


CASES = {
    "workshop": Case(_workshop, "title", "Workshop Mobilität", "Workshop Umwelt", "title"),
    "series": Case(_series, "title", "Reihe Frühjahr", "Reihe Herbst", "title"),
    "agenda block": Case(_block, "title", "Impulsvortrag", "Gruppenarbeit", "title"),
    "person": Case(_person, "position", "Amtsleiterin", "Referentin", "position"),
    "organisation": Case(_organisation, "name", "Stadtwerke Essen", "Stadtwerke Essen AG", "name"),
    "user account": Case(_user, "display_name", "Kim A.", "Kim B.", "display_name", role=Role.ADMIN),
    "city settings": Case(_city, "name", "Münster", "Musterhausen", "name", role=Role.ADMIN),
    "city in the setup": Case(_city_setup, "name", "Münster", "Musterhausen", "name", role=Role.ADMIN),
    "legal page": Case(_legal_page, "body", "Impressum A", "Impressum B", "body", role=Role.ADMIN),
    "action field": Case(_field, "name_de", "Smarte Mobilität", "Mobilität und Verkehr", "name_de",
                         role=Role.STRATEGY_TEAM),
    "strategy process": Case(_process(), "title", "Smart City 2040", "Digitale Stadt 2040", "title",
                             role=Role.ADMIN),
    "process in the setup": Case(_process("/city/setup/process"), "title", "Smart City 2040",
                                 "Digitale Stadt 2040", "title", role=Role.ADMIN),
}


def _version_in(page) -> str:
    match = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', page.get_data(True))
    assert match, "the edit form carries no version"
    return match.group(1) or match.group(2)


@pytest.mark.parametrize("name", CASES)
def test_the_second_of_two_stale_editors_sees_both_values_and_overwrites_nothing(app, client, auth, name):
    case = CASES[name]
    auth.login(case.role)
    with app.app_context():
        url, data, model, obj_id = case.make()
        db.session.commit()

    # Both editors open the form at the same version.
    version = _version_in(client.get(url))
    assert _version_in(client.get(url)) == version

    first = client.post(url, data={**data, case.changed_field: case.first, "version": version})
    assert first.status_code == 302, text_of(first)[:800]

    second = client.post(url, data={**data, case.changed_field: case.second, "version": version})
    assert second.status_code == 409
    page = text_of(second)
    assert "Jemand anderes hat dies inzwischen geändert" in page
    assert "Die aktuelle Fassung (von jemand anderem gespeichert)" in page
    # The stored value and the second editor's input, side by side; the form still holds the second's input.
    row = re.search(r"<tr[^>]*stale-version__differs[^>]*>.*?</tr>", second.get_data(True), re.S).group(0)
    assert case.first in row and case.second in row
    assert re.search(rf'value="{case.second}"|>\s*{case.second}</textarea>', second.get_data(True))
    with app.app_context():
        obj = db.session.get(model, obj_id)
        assert getattr(obj, case.attribute).strip() == case.first
        stored_version = obj.version
    assert stored_version == int(version) + 1
    # The form now carries the stored version: saving again replaces it knowingly.
    assert _version_in(second) == str(stored_version)
    again = client.post(url, data={**data, case.changed_field: case.second, "version": _version_in(second)})
    assert again.status_code == 302
    with app.app_context():
        assert getattr(db.session.get(model, obj_id), case.attribute).strip() == case.second


def test_a_save_racing_another_is_refused_even_after_its_version_check(app):
    """The check passed, but another transaction saved before this one wrote: the UPDATE matches no row."""
    with app.app_context():
        series = factories.series(title="Reihe 2030")
        db.session.commit()
        series_id = series.id
    with app.app_context():
        series = db.session.get(WorkshopSeries, series_id)
        assert series.version == 1
        with db.engine.begin() as other:  # the other editor's save commits in between
            other.execute(text("UPDATE workshop_series SET title = 'Andere', version = 2 WHERE id = :id"),
                          {"id": series_id})
        data = workshop_services.SeriesData(title="Meine", starts_on=None, ends_on=None)
        with pytest.raises(StaleVersion):
            workshop_services.update_series(series, data, None, version=1)
        db.session.rollback()
        assert db.session.get(WorkshopSeries, series_id).title == "Andere"


def test_a_background_write_does_not_make_open_forms_stale(app):
    """Only edits raise the version: a sign-in or a recorded consent leaves an open edit form valid."""
    with app.app_context():
        person = factories.person()
        user = factories.user()
        db.session.commit()
        person.has_consent = True
        user.failed_logins = 2
        db.session.commit()
        assert (person.version, user.version) == (1, 1)


def test_a_background_write_that_loses_a_race_with_an_edit_gets_a_409_page_not_a_500(tmp_path):
    """A write outside an edit form (here: recording a consent) on a row an editor saved meanwhile writes nothing
    and tells the user to repeat the step."""
    app = make_test_app(tmp_path)

    @access(PUBLIC)
    def record_consent_late():
        person = db.session.scalars(select(Person)).one()
        with db.engine.begin() as other:  # the facilitator's edit commits between reading and writing
            other.execute(text("UPDATE people SET position = 'Referentin', version = version + 1"))
        person.has_consent = True
        db.session.flush()
        return "stored"

    app.add_url_rule("/consent-late", "consent_late", record_consent_late)
    with app.app_context():
        db.create_all()
        factories.person(has_consent=False)
        db.session.commit()
    response = app.test_client().get("/consent-late")
    assert response.status_code == 409
    assert "Jemand anderes hat dies im selben Moment geändert" in text_of(response)
    with app.app_context():
        person = db.session.scalars(select(Person)).one()
        assert (person.has_consent, person.position) == (False, "Referentin")


def test_the_comparison_shows_choices_by_their_labels(app):
    """Select fields built from SelectChoice objects, tuples or plain values all show their label."""
    from planner.workshops.forms import WorkshopForm

    with app.test_request_context():
        mine, current = WorkshopForm(formdata=None), WorkshopForm(formdata=None)
        mine.set_choices([], [], [])
        current.set_choices([], [], [])
        mine.kind.data, current.kind.data = "citizen_dialogue", "workshop"
        mine.format.data, current.format.data = "hybrid", "hybrid"
        rows = {row.label: row for row in stale_conflict(mine, current, 3).rows}
        assert (rows["Art der Veranstaltung"].current, rows["Art der Veranstaltung"].mine) == (
            "Workshop", "Bürgerdialog")
        assert rows["Art der Veranstaltung"].differs and not rows["Format"].differs
        assert rows["Format"].mine == "Hybrid"
        assert mine.version.data == 3


def test_a_consent_given_meanwhile_is_not_withdrawn_by_a_form_opened_before(app, client, auth):
    """The facilitator opened the person's form (no consent yet); the expert then accepts an invitation and gives
    consent. Saving the old form would have withdrawn it: it gets the 409 page, the consent stays."""
    from planner.invitations.services import respond
    from planner.workshops.models import InvitationStatus, Participation

    auth.login(Role.FACILITATOR)
    with app.app_context():
        person = factories.person(first_name="Erika", last_name="Muster", email="erika@example.org")
        participation = factories.participation(person=person, invitation_status=InvitationStatus.INVITED)
        db.session.commit()
        person_id, participation_id, organisation_id = person.id, participation.id, person.organisation_id
    url = f"/people/{person_id}/edit"
    version = _version_in(client.get(url))
    with app.app_context():
        respond(db.session.get(Participation, participation_id), "accept", consent=True)
        db.session.commit()
    response = client.post(url, data={"first_name": "Erika", "last_name": "Muster", "email": "erika@example.org",
                                      "position": "Referentin", "organisation": str(organisation_id),
                                      "version": version})
    assert response.status_code == 409
    differing = re.findall(r"<tr[^>]*stale-version__differs[^>]*>.*?</tr>", response.get_data(True), re.S)
    consent_row = next(row for row in differing if "Einwilligung" in row)
    assert re.search(r"<td[^>]*>Ja</td>\s*<td[^>]*>Nein</td>", consent_row)  # stored: yes; the old form: no
    with app.app_context():
        person = db.session.get(Person, person_id)
        assert person.has_consent and person.position == ""


def test_two_editors_of_the_built_in_legal_text_the_second_gets_the_409_page(app, client, auth):
    """Before anyone saved it, the page shows the built-in text (version 0): the first save stores the city's own
    text, the second editor (who started from the built-in text) sees it beside theirs; a reset counts as a change."""
    from planner.city.models import LegalPage

    auth.login(Role.ADMIN)
    url = "/city/legal/privacy/en"
    version = _version_in(client.get(url))
    assert version == "0"
    assert client.post(url, data={"body": "Our privacy notice", "version": version}).status_code == 302
    second = client.post(url, data={"body": "Another notice", "version": version})
    assert second.status_code == 409
    row = re.search(r"<tr[^>]*stale-version__differs[^>]*>.*?</tr>", second.get_data(True), re.S).group(0)
    assert "Our privacy notice" in row and "Another notice" in row
    with app.app_context():
        assert db.session.scalar(select(LegalPage.body).where(LegalPage.kind == "privacy")) == "Our privacy notice"
    # Someone resets the page to the built-in text: a form opened on the saved text is stale now.
    opened = _version_in(client.get(url))
    assert client.post(url + "/reset").status_code == 302
    third = client.post(url, data={"body": "Edited from the old text", "version": opened})
    assert third.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(LegalPage.body).where(LegalPage.kind == "privacy")) is None


@pytest.mark.parametrize("step, first, second, stored", [
    ("districts", {"districts": "Mitte: Altstadt"}, {"districts": "Nord"},
     lambda s: [d["name"] for d in s.districts] == ["Mitte"]),
    ("sectors", {"sectors": ["administration"]}, {"sectors": ["science"]}, lambda s: s.sectors == ["administration"]),
])
def test_districts_and_sectors_from_a_stale_setup_page_are_refused(app, client, auth, step, first, second, stored):
    from planner.city.models import CitySettings

    auth.login(Role.ADMIN)
    with app.app_context():
        db.session.add(CitySettings(id=1, name="Musterstadt", districts=[], sectors=[]))
        db.session.commit()
    url = f"/city/setup/{step}"
    version = _version_in(client.get(url))
    assert client.post(url, data={**first, "version": version}).status_code == 302
    refused = client.post(url, data={**second, "version": version})
    assert refused.status_code == 409
    assert "Die aktuelle Fassung (von jemand anderem gespeichert)" in text_of(refused)
    with app.app_context():
        assert stored(db.session.get(CitySettings, 1))


def test_two_editors_of_the_priority_weights_the_second_gets_the_409_page(app, client, auth):
    from planner.surveys.models import PriorityWeights

    auth.login(Role.STRATEGY_TEAM)
    version = _version_in(client.get("/surveys/priorities"))
    weights = {"citizen": "0.4", "impact": "0.2", "feasibility": "0.15", "cost": "0.1", "urgency": "0.15"}
    first = client.post("/surveys/priorities/weights", data={**weights, "citizen": "0.6", "version": version})
    assert first.status_code == 302
    second = client.post("/surveys/priorities/weights", data={**weights, "citizen": "0.25", "version": version})
    assert second.status_code == 409
    row = re.search(r"<tr[^>]*stale-version__differs[^>]*>.*?</tr>", second.get_data(True), re.S).group(0)
    assert "0.6" in row.replace(",", ".") and "0.25" in row.replace(",", ".")
    with app.app_context():
        assert db.session.scalar(select(PriorityWeights.citizen)) == pytest.approx(0.6)
    again = client.post("/surveys/priorities/weights", data={**weights, "citizen": "0.25",
                                                             "version": _version_in(second)})
    assert again.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(PriorityWeights.citizen)) == pytest.approx(0.25)
