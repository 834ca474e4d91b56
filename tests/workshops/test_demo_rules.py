"""The demo obeys the rules it demonstrates (issue 18, finding 7): no workshop is overbooked, and every workshop,
agenda block, series, person and organisation of the demo can be saved unchanged through its own edit form."""

from html.parser import HTMLParser

from sqlalchemy import func, select

from planner.demo import seed_demo
from planner.extensions import db
from planner.people.models import Organisation, Person
from planner.workshops.models import InvitationStatus, Participation, Workshop, WorkshopSeries, WorkshopStatus
from tests.conftest import text_of

DEMO_PASSWORD = "planner-demo"


class _EditForm(HTMLParser):
    """What a browser would send for the page's edit form (the one carrying the version), left unchanged."""

    def __init__(self):
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = []
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form.append((a["name"], a.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self._form.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = (a.get("name"), [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea = [a.get("name"), ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            name, options = self._select
            chosen = [value for value, selected in options if selected] or [options[0][0]] if options else []
            self._form.extend((name, value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, value = self._textarea
            self._form.append((name, value.removeprefix("\n")))
            self._textarea = None

    @classmethod
    def data_of(cls, html: str) -> dict[str, list[str]]:
        parser = cls()
        parser.feed(html)
        form = next(f for f in parser.forms if any(name == "version" for name, _value in f))
        data: dict[str, list[str]] = {}
        for name, value in form:
            data.setdefault(name, []).append(value)
        return data


def _save_unchanged(client, url: str, extra: dict | None = None):
    page = client.get(url)
    assert page.status_code == 200, url
    data = _EditForm.data_of(page.get_data(as_text=True))
    data.update(extra or {})
    return client.post(url, data=data)


def test_every_demo_workshop_respects_its_capacity_and_saves_through_its_edit_forms(app, client, auth):
    with app.app_context():
        seed_demo()
        db.session.commit()
        workshops = db.session.scalars(select(Workshop).order_by(Workshop.id)).all()
        accepted = dict(db.session.execute(
            select(Participation.workshop_id, func.count(Participation.id))
            .where(Participation.invitation_status == InvitationStatus.ACCEPTED)
            .group_by(Participation.workshop_id)
        ).all())
        overbooked = {w.title: (accepted.get(w.id, 0), w.capacity) for w in workshops
                      if w.capacity is not None and accepted.get(w.id, 0) > w.capacity}
        assert overbooked == {}
        editable = [(w.id, [b.id for b in w.agenda_blocks]) for w in workshops
                    if w.status != WorkshopStatus.CANCELLED]
        series_ids = db.session.scalars(select(WorkshopSeries.id)).all()
        person_ids = db.session.scalars(select(Person.id)).all()
        organisation_ids = db.session.scalars(select(Organisation.id)).all()
        assert len(editable) >= 4 and series_ids
        # The demo expert still has her place in every workshop she was invited to.
        assert all(p.invitation_status == InvitationStatus.ACCEPTED for p in db.session.scalars(
            select(Participation).join(Participation.person).where(
                Participation.person.property.mapper.class_.email == "expertin@example.org")))

    auth.login_as("moderation@example.org", DEMO_PASSWORD)
    for workshop_id, block_ids in editable:
        # Conflicts (another event the same day) are warnings a facilitator confirms; errors are not.
        saved = _save_unchanged(client, f"/workshops/{workshop_id}/edit", {"confirm_conflicts": "1"})
        assert saved.status_code == 302, (workshop_id, text_of(saved)[:1500])
        for block_id in block_ids:
            saved = _save_unchanged(client, f"/workshops/{workshop_id}/agenda/{block_id}/edit")
            assert saved.status_code == 302, (workshop_id, block_id, text_of(saved)[:1500])
    for series_id in series_ids:
        saved = _save_unchanged(client, f"/workshops/series/{series_id}/edit")
        assert saved.status_code == 302, (series_id, text_of(saved)[:1500])
    for organisation_id in organisation_ids:
        saved = _save_unchanged(client, f"/people/organisations/{organisation_id}/edit")
        assert saved.status_code == 302, (organisation_id, text_of(saved)[:1500])
    for person_id in person_ids:
        saved = _save_unchanged(client, f"/people/{person_id}/edit")
        assert saved.status_code == 302, (person_id, text_of(saved)[:1500])


def test_the_demo_process_is_current_and_its_fields_name_their_index_area(app, client, auth):
    """The demo marks its process as current and gives each of its seven fields its Smart City Index area; the
    process and every field save unchanged through their own edit forms."""
    from planner.fields.models import ActionField, IndexArea, StrategyProcess

    with app.app_context():
        seed_demo()
        db.session.commit()
        process = db.session.scalar(select(StrategyProcess))
        assert process.is_current
        areas = dict(db.session.execute(select(ActionField.code, ActionField.index_area)).all())
        assert len(areas) == 7 and all(isinstance(area, IndexArea) for area in areas.values())
        assert areas["MOB"] == IndexArea.MOBILITY and areas["SER"] == IndexArea.ADMINISTRATION
        assert set(areas.values()) == set(IndexArea)
        process_id = process.id

    auth.login_as("admin@example.org", DEMO_PASSWORD)
    saved = _save_unchanged(client, f"/fields/processes/{process_id}/edit")
    assert saved.status_code == 302, text_of(saved)[:1500]
    auth.login_as("strategie@example.org", DEMO_PASSWORD)
    for code in areas:
        saved = _save_unchanged(client, f"/fields/{code}/edit")
        assert saved.status_code == 302, (code, text_of(saved)[:1500])
    with app.app_context():
        assert dict(db.session.execute(select(ActionField.code, ActionField.index_area)).all()) == areas
