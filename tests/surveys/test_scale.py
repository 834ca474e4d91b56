"""Metropolis scale with small data: paged and filtered measure tables, ratings per page, measures typed by number
in the mapping, and query counts that do not grow with the number of measures."""

import io
import re

import pytest
from sqlalchemy import event

from planner.extensions import db
from planner.fields.models import ActionField
from planner.findings.models import Measure, MeasureStatus
from planner.surveys import forms as survey_forms
from planner.surveys import views as survey_views
from planner.surveys.models import ExpertRating, PriorityRun, SurveyUpload
from tests import factories
from tests.conftest import text_of
from tests.surveys import factories as sf
from tests.surveys.helpers import csv_bytes
from tests.surveys.test_import_flow import _mapping_form


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(survey_views, "PER_PAGE", 3)


def _measures(app, mob=5, umw=2) -> dict[str, int]:
    """MOB-M01.. and UMW-M01.. (numbers given on insert); returns number → id."""
    with app.app_context():
        umw_field = db.session.scalar(db.select(ActionField).where(ActionField.code == "UMW")) or factories.field(
            code="UMW", name_de="Smarte Umwelt", name_en="Smart environment")
        fields = {"MOB": sf.mob_field(), "UMW": umw_field}
        for code, count in (("MOB", mob), ("UMW", umw)):
            for n in range(count):
                factories.measure(field=fields[code], title=f"{code} Maßnahme {n + 1}")
        db.session.commit()
        return dict(db.session.execute(db.select(Measure.number, Measure.id)).all())


def _measure_rows(response) -> list[str]:
    """The measure numbers in the rows of the page's measure table, in order."""
    html = response.get_data(as_text=True)
    table = html[html.index('id="measures"'):]
    return re.findall(r"<th scope=\"row\" class=\"kern-table__cell\">([A-Z]{3}-M\d+)", table)


def test_priorities_page_shows_fifty_measures_a_page_with_a_field_filter(app, client, auth, small_pages):
    _measures(app)
    auth.login("strategy_team")
    first = client.get("/surveys/priorities")
    assert first.status_code == 200
    assert _measure_rows(first) == ["MOB-M01", "MOB-M02", "MOB-M03"]
    assert "7 Maßnahmen" in text_of(first)
    assert 'href="/surveys/priorities?page=2"' in first.get_data(as_text=True)
    last = client.get("/surveys/priorities?page=3")
    assert _measure_rows(last) == ["UMW-M02"]
    assert client.get("/surveys/priorities?page=99").status_code == 200  # the last page instead

    umw = client.get("/surveys/priorities?field=UMW")
    assert _measure_rows(umw) == ["UMW-M01", "UMW-M02"]
    ranks = re.findall(r'<td class="kern-table__cell num">(\d+)</td>\s*<th scope="row" class="kern-table__cell">UMW',
                       umw.get_data(as_text=True).split('id="measures"')[1])
    assert ranks == ["6", "7"]  # ranks among all measures, not within the filter
    assert "Smarte Umwelt" in text_of(umw)  # the field ranking stays whole
    mob = client.get("/surveys/priorities?field=MOB&page=2")
    assert _measure_rows(mob) == ["MOB-M04", "MOB-M05"]
    assert 'href="/surveys/priorities?page=1&amp;field=MOB"' in mob.get_data(as_text=True)
    assert _measure_rows(client.get("/surveys/priorities?field=XXX")) == ["MOB-M01", "MOB-M02", "MOB-M03"]


def test_sensitivity_is_paged_and_filtered_and_a_frozen_run_keeps_every_rank(app, client, auth, small_pages):
    _measures(app)
    auth.login("strategy_team")
    assert _measure_rows(client.get("/surveys/priorities/sensitivity")) == ["MOB-M01", "MOB-M02", "MOB-M03"]
    assert _measure_rows(client.get("/surveys/priorities/sensitivity?field=UMW")) == ["UMW-M01", "UMW-M02"]
    assert _measure_rows(client.get("/surveys/priorities/sensitivity?page=3")) == ["UMW-M02"]
    assert client.post("/surveys/priorities/freeze", data={"freeze-name": "Lauf"}).status_code == 302
    with app.app_context():
        run = db.session.scalar(db.select(PriorityRun))
        assert [m["rank"] for m in run.results["measures"]] == list(range(1, 8))


def _ratings(app) -> dict[int, tuple]:
    with app.app_context():
        return {r.measure_id or -r.field_id: (r.impact, r.feasibility, r.cost, r.urgency)
                for r in db.session.scalars(db.select(ExpertRating))}


def test_ratings_are_entered_per_field_and_page_and_save_only_that_page(app, client, auth, small_pages):
    ids = _measures(app)
    with app.app_context():
        db.session.add(ExpertRating(measure_id=ids["MOB-M01"], impact=2))
        db.session.commit()
    auth.login("strategy_team")
    first = client.get("/surveys/priorities/ratings?field=MOB")
    html = first.get_data(as_text=True)
    assert "Bewertungen der Handlungsfelder" in text_of(first) and 'name="field_ids"' in html
    assert html.count('name="field_ids"') == 1  # only the chosen field
    second = client.get("/surveys/priorities/ratings?field=MOB&page=2")
    html = second.get_data(as_text=True)
    assert 'name="field_ids"' not in html  # field ratings only on the first page
    assert re.findall(r'name="measure_ids" value="(\d+)"', html) == [str(ids["MOB-M04"]), str(ids["MOB-M05"])]
    assert 'action="/surveys/priorities/ratings?field=MOB&amp;page=2"' in html

    m4, m5, m1 = ids["MOB-M04"], ids["MOB-M05"], ids["MOB-M01"]
    data = {"measure_ids": [str(m4), str(m5)], f"m{m4}-impact": "5", f"m{m4}-cost": "1",
            f"m{m1}-impact": "5"}  # MOB-M01 is not on this page: its field is ignored
    response = client.post("/surveys/priorities/ratings?field=MOB&page=2", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/surveys/priorities/ratings?field=MOB&page=2"
    assert "Expertenbewertungen gespeichert" in text_of(client.get(response.headers["Location"]))
    assert _ratings(app) == {m1: (2, None, None, None), m4: (5, None, 1, None)}  # no empty row for MOB-M05

    # All or nothing: one bad value, an unknown id, a rejected measure or a non-number: nothing saved.
    with app.app_context():
        db.session.get(Measure, ids["UMW-M01"]).status = MeasureStatus.REJECTED
        db.session.commit()
    for bad in ({"measure_ids": [str(m4), str(m5)], f"m{m4}-impact": "3", f"m{m5}-impact": "7"},
                {"measure_ids": [str(m4), "999999"], f"m{m4}-impact": "3"},
                {"measure_ids": [str(m4), str(ids["UMW-M01"])], f"m{m4}-impact": "3"},
                {"measure_ids": [str(m4), "x"], f"m{m4}-impact": "3"},
                {"measure_ids": [str(m4)], f"m{m4}-impact": "drei"},
                {"measure_ids": [str(m4), "9223372036854775808"], f"m{m4}-impact": "3"},  # beyond any integer column
                {"measure_ids": [str(m4), "²"], f"m{m4}-impact": "3"},  # a digit to str.isdigit, not to int()
                {"measure_ids": [str(m4)], f"m{m4}-impact": "³"}):
        response = client.post("/surveys/priorities/ratings?field=MOB&page=2", data=bad)
        assert response.status_code == 400
        assert "1 und 5" in text_of(response) or "nicht mehr aktuell" in text_of(response), text_of(response)[:1500]
        assert _ratings(app) == {m1: (2, None, None, None), m4: (5, None, 1, None)}


def test_ratings_of_the_fields_on_the_first_page(app, client, auth):
    _measures(app, mob=1, umw=1)
    auth.login("strategy_team")
    html = client.get("/surveys/priorities/ratings").get_data(as_text=True)
    field_ids = re.findall(r'name="field_ids" value="(\d+)"', html)
    assert len(field_ids) == 2 and html.count('name="measure_ids"') == 2  # the small city: one page as before
    response = client.post("/surveys/priorities/ratings", data={"field_ids": field_ids,
                                                                 f"f{field_ids[0]}-urgency": "4"})
    assert response.status_code == 302 and response.headers["Location"] == "/surveys/priorities/ratings"
    assert _ratings(app) == {-int(field_ids[0]): (None, None, None, 4)}


def _upload(client) -> int:
    response = client.post("/surveys/import", data={"file": (io.BytesIO(csv_bytes()), "w.csv"), "title": "Welle"},
                           content_type="multipart/form-data")
    return int(re.search(r"uploads/(\d+)/mapping", response.headers["Location"]).group(1))


def test_mapping_names_a_measure_by_number_above_the_choice_limit(app, client, auth, monkeypatch):
    ids = _measures(app, mob=2, umw=1)
    monkeypatch.setattr(survey_forms, "MEASURE_CHOICE_LIMIT", 2)
    auth.login("strategy_team")
    upload_id = _upload(client)
    html = client.get(f"/surveys/uploads/{upload_id}/mapping").get_data(as_text=True)
    assert '<select' in html and 'name="q4__measure"' in html
    assert not re.search(r'<select[^>]*name="q4__measure"', html)
    assert re.search(r'<input[^>]*name="q4__measure"', html)

    form = _mapping_form(client, upload_id, q3__kind="ignore", q4__measure="MOB-M99")
    response = client.post(f"/surveys/uploads/{upload_id}/mapping", data=form)
    assert response.status_code == 400
    assert "Keine offene Maßnahme hat die Nummer „MOB-M99“" in text_of(response)
    with app.app_context():
        assert "measure" not in db.session.get(SurveyUpload, upload_id).mapping["questions"][3]

    form.update(q4__measure=" mob-m02 ", q2__opt0__measure="umw-m01")
    response = client.post(f"/surveys/uploads/{upload_id}/mapping", data=form)
    assert response.status_code == 302, text_of(response)
    with app.app_context():
        questions = db.session.get(SurveyUpload, upload_id).mapping["questions"]
        assert questions[3]["measure"] == ids["MOB-M02"]
        assert list(questions[1]["option_measures"].values()) == [ids["UMW-M01"]]
    html = client.get(f"/surveys/uploads/{upload_id}/mapping").get_data(as_text=True)
    assert re.search(r'name="q4__measure"[^>]*value="MOB-M02"', html)


def test_mapping_keeps_the_select_up_to_the_limit(app, client, auth):
    ids = _measures(app, mob=2, umw=1)
    auth.login("strategy_team")
    upload_id = _upload(client)
    html = client.get(f"/surveys/uploads/{upload_id}/mapping").get_data(as_text=True)
    assert re.search(r'<select[^>]*name="q4__measure"', html)
    assert f'<option value="{ids["MOB-M02"]}">MOB-M02 MOB Maßnahme 2</option>' in html


@pytest.mark.parametrize("url", ["/surveys/priorities", "/surveys/priorities/sensitivity",
                                 "/surveys/priorities/ratings", "/surveys/priorities/ratings?field=MOB&page=2"])
def test_queries_and_size_do_not_grow_with_the_measures(app, client, auth, small_pages, url):
    def measure_page(mob, umw):
        with app.app_context():
            db.session.execute(db.delete(Measure))
            db.session.commit()
        _measures(app, mob=mob, umw=umw)
        with app.app_context():
            counted = []
            listener = lambda *args: counted.append(1)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                response = client.get(url)
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        assert response.status_code == 200
        return len(counted), len(response.get_data())

    auth.login("strategy_team")
    small_queries, small_size = measure_page(6, 3)
    large_queries, large_size = measure_page(40, 30)
    assert large_queries == small_queries <= 15
    assert large_size < small_size * 1.2
