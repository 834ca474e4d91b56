"""Issue 16, the forms' polish on the workshop form: every error in one round, "optional" only where true, a
value longer than allowed refused with a message (never cut), implausible dates as warnings to confirm."""

import re
from datetime import date, timedelta

from sqlalchemy import func, select

from planner.extensions import db
from planner.workshops.models import Workshop
from tests import factories
from tests.conftest import text_of
from tests.workshops.helpers import form_data


def _fields(app):
    with app.app_context():
        ids = [factories.field().id]
        db.session.commit()
        return ids


def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Workshop.id)))


def test_all_errors_of_the_workshop_form_show_at_once(app, client, auth):
    auth.login("facilitator")
    _fields(app)
    response = client.post("/workshops/new", data={"title": "", "format": "hybrid", "day": "2030-06-04",
                                                   "start_time": "16:00", "end_time": "09:00"})
    text = text_of(response)
    summary = text[text.index("Bitte korrigieren"):text.index("Was")]
    for message in ("Bitte füllen Sie dieses Feld aus", "mindestens ein Handlungsfeld",
                    "Das Ende muss nach dem Beginn liegen", "einen Ort an",
                    "einen Videolink an"):
        assert message in summary, message
    assert _count(app) == 0


def test_optional_only_where_the_field_is_optional(app, client, auth):
    auth.login("facilitator")
    _fields(app)
    text = text_of(client.get("/workshops/new"))
    assert "Handlungsfelder (optional)" not in text and "Handlungsfelder" in text
    assert "Art der Veranstaltung (optional)" not in text
    assert "Plätze (optional)" in text and "Beschreibung (optional)" in text


def test_a_title_longer_than_allowed_is_refused_not_cut(app, client, auth):
    auth.login("facilitator")
    fields = _fields(app)
    page = client.get("/workshops/new").get_data(as_text=True)
    assert not re.search(r'<input[^>]*name="title"[^>]*maxlength', page), "the browser would cut it silently"
    response = client.post("/workshops/new", data=form_data(fields, title="T" * 5000))
    assert "200 Zeichen" in text_of(response)
    assert _count(app) == 0


def test_implausible_dates_warn_and_are_saved_once_confirmed(app, client, auth):
    auth.login("facilitator")
    fields = _fields(app)
    for day, warning in (("1999-03-01", "liegt in der Vergangenheit"),
                         ((date.today() + timedelta(days=6 * 366)).isoformat(), "mehr als 5 Jahre")):
        response = client.post("/workshops/new", data=form_data(fields, day=day))
        assert warning in text_of(response), day
        assert _count(app) == 0
    response = client.post("/workshops/new", data={**form_data(fields, day="1999-03-01"), "confirm_conflicts": "1"})
    assert response.status_code == 302 and _count(app) == 1


def test_all_errors_of_the_series_form_show_at_once(app, client, auth):
    auth.login("facilitator")
    response = client.post("/workshops/series/new", data={"title": "", "starts_on": "2030-06-01",
                                                          "ends_on": "2030-05-01"})
    text = text_of(response)
    summary = text[text.index("Bitte korrigieren"):]
    assert "Titel:" in summary and "Das Ende des Zeitraums darf nicht vor seinem Beginn liegen" in summary
