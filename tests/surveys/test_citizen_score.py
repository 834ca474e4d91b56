"""The citizen score a statistician would sign: every indicator on a 0–1 scale of its own, measures only with the
evidence linked to them, unrated measures never above rated ones, and the sensitivity across methods and groups."""

import json

import pytest

from planner.extensions import db
from planner.fields.models import ActionField
from planner.surveys import services
from planner.surveys.models import ExpertRating, Survey, SurveyQuestion
from planner.surveys.prioritisation import (
    Item,
    citizen_signals,
    gather,
    group_comparison,
    group_signals,
    prioritise,
    score_items,
)
from tests import factories
from tests.conftest import text_of
from tests.surveys.limesurvey import FIELDS, limesurvey_export
from tests.surveys.test_limesurvey import _fields

WEIGHTS = {"citizen": 0.4, "impact": 0.2, "feasibility": 0.15, "cost": 0.1, "urgency": 0.15}


def _import(tmp_path, export=None, title="Bürgerbefragung 2022") -> Survey:
    export = export or limesurvey_export(n=600, headings="full")
    path = tmp_path / f"{title}.csv"
    path.write_bytes(export.csv_bytes())
    mapping = services.suggest_file_mapping(path, path.name)
    survey = services.import_file(None, path, path.name, mapping, services.UploadMeta(title))
    db.session.commit()
    return survey


@pytest.fixture
def survey(ctx, tmp_path):
    _fields()
    return _import(tmp_path)


def test_the_field_rated_and_ranked_first_has_the_highest_citizen_score(survey):
    fields, _measures = prioritise(WEIGHTS)
    by_code = {item.code: item for item in fields}
    assert max(by_code.values(), key=lambda i: i.citizen).code == "MOB"
    assert [i.code for i in fields][0] == "MOB"  # no expert ratings at all: the citizens decide
    # each indicator lies on 0–1 and MOB is first in each of them
    signals = citizen_signals().fields
    mob = next(f.id for f in db.session.scalars(db.select(ActionField)) if f.code == "MOB")
    assert len(signals[mob]) == 2  # the importance rating and the ranking
    for index in range(2):
        assert all(0 <= values[index] <= 1 for values in signals.values())
        assert signals[mob][index] == max(values[index] for values in signals.values())


def test_a_measure_gets_citizen_evidence_only_through_what_is_linked_to_it(survey):
    mob = db.session.scalar(db.select(ActionField).where(ActionField.code == "MOB"))
    parking = factories.measure(field=mob, title="Smart Parking in zwei Stadtbezirken")
    other = factories.measure(field=mob, title="Adaptive Ampeln")
    db.session.commit()
    _fields_, measures = gather()
    by_id = {m.id: m for m in measures}
    assert by_id[parking.id].citizen is None and by_id[other.id].citizen is None  # nothing inherited from MOB
    # link a tick box ("Online-Terminvergabe", ticked by ~40 %) to the parking measure: its share of all responses
    ticks = db.session.scalar(db.select(SurveyQuestion).where(SurveyQuestion.kind == "multiple"))
    ticks.option_measures = {"Online-Terminvergabe": parking.id}
    db.session.commit()
    _fields_, measures = gather()
    value = {m.id: m for m in measures}[parking.id].citizen
    ticked = 0.4
    assert value == pytest.approx(ticked, abs=0.06)


def test_unrated_measures_never_outrank_rated_ones_by_default(survey):
    mob = db.session.scalar(db.select(ActionField).where(ActionField.code == "MOB"))
    rated = factories.measure(field=mob, title="Mittelmäßig bewertet")
    unrated = factories.measure(field=mob, title="Testmaßnahme ohne Bewertung")
    db.session.add(ExpertRating(measure_id=rated.id, impact=2, feasibility=2, cost=4, urgency=2))
    ticks = db.session.scalar(db.select(SurveyQuestion).where(SurveyQuestion.kind == "multiple"))
    ticks.option_measures = {"Online-Terminvergabe": unrated.id}  # strong survey evidence, no expert rating
    db.session.commit()
    _fields_, measures = prioritise(WEIGHTS)
    order = [m.id for m in measures]
    assert order.index(rated.id) < order.index(unrated.id)
    by_id = {m.id: m for m in measures}
    assert by_id[unrated.id].expert is None and not by_id[unrated.id].fully_rated
    assert by_id[unrated.id].coverage == pytest.approx(0.4)
    assert by_id[rated.id].coverage == pytest.approx(0.6) and by_id[rated.id].fully_rated
    # without the default rule the unrated one would come first: the rule is what keeps it down
    plain = score_items(gather()[1], WEIGHTS, unrated_last=False)
    assert [m.id for m in plain].index(unrated.id) < [m.id for m in plain].index(rated.id)


def test_pure_scoring_ranks_rated_items_first():
    weights = {"citizen": 0.5, "impact": 0.5, "feasibility": 0, "cost": 0, "urgency": 0}
    rated = Item("measure", 1, "M1", "rated", "MOB", components={"citizen": 0.1, "impact": 0.2})
    unrated = Item("measure", 2, "M2", "unrated", "MOB", components={"citizen": 1.0})
    ranked = score_items([unrated, rated], weights)
    assert [i.code for i in ranked] == ["M1", "M2"]
    assert ranked[1].expert is None and ranked[1].coverage == pytest.approx(0.5)


def test_only_the_chosen_surveys_count(ctx, tmp_path):
    _fields()
    main = _import(tmp_path)
    pilot = _import(tmp_path, limesurvey_export(n=120, headings="full", seed=7), title="Pretest")
    assert citizen_signals([main.id]).fields != citizen_signals([main.id, pilot.id]).fields
    services.set_survey_counts(factories.user(role="strategy_team"), pilot, False)
    db.session.commit()
    assert citizen_signals().fields == citizen_signals([main.id]).fields


def test_groups_of_fewer_than_30_are_suppressed_and_mobility_is_high_everywhere(survey):
    groups = group_signals()
    assert groups and all(label for (_question, label) in groups)
    fields, _measures = gather()
    rows = {row.item.code: row for row in group_comparison(fields, WEIGHTS, groups)}
    assert rows["MOB"].high_everywhere
    # every group shown has at least 30 respondents: 600 responses over 9 districts are ~60 each, the age groups
    # over 5 are ~110 each
    assert len([key for key in groups if key[0].startswith("In welchem")]) == 9


def test_priorities_cli_prints_the_ranking_as_json(app, runner, tmp_path):
    with app.app_context():
        _fields()
        survey_id = _import(tmp_path).id
    result = runner.invoke(args=["priorities", "--surveys", str(survey_id), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["fields"][0]["code"] == "MOB" and data["fields"][0]["rank"] == 1
    assert set(data["fields"][0]) == {"code", "citizen_score", "expert_score", "blended_score", "coverage", "rank"}
    assert data["fields"][0]["expert_score"] is None
    assert {f["code"] for f in data["fields"]} == {code for code, _name in FIELDS}
    assert data["method"]["surveys"] == [survey_id]
    bad = runner.invoke(args=["priorities", "--surveys", "999"])
    assert bad.exit_code != 0 and "999" in bad.output


def test_priorities_and_sensitivity_pages_explain_the_ranking(app, client, auth, tmp_path):
    with app.app_context():
        _fields()
        survey_id = _import(tmp_path).id
    auth.login("strategy_team")
    page = text_of(client.get("/surveys/priorities"))
    assert "Borda-Anteil" in page and "Berücksichtigte Umfragen: Bürgerbefragung 2022" in page
    assert "nicht bewertet" in page
    sensitivity = text_of(client.get("/surveys/priorities/sensitivity"))
    assert "Nur Bürgerschaft" in sensitivity and "überall vorn" in sensitivity
    assert "Stadtbezirk IX" in sensitivity
    response = client.post(f"/surveys/{survey_id}/counting", data={"counts": "0"})
    assert response.status_code == 302
    assert "Noch zählt keine Umfrage" in text_of(client.get("/surveys/priorities"))


def test_breakdown_shows_a_chart_with_its_table_and_hides_small_groups(app, client, auth, tmp_path):
    import re

    with app.app_context():
        _fields()
        survey_id = _import(tmp_path, limesurvey_export(n=300, headings="full")).id
    auth.login("strategy_team")
    # ~31 respondents per district: some districts fall under 30 and are only counted
    by_district = text_of(client.get(f"/surveys/{survey_id}/breakdown?by=q9&question=q11s1"))
    assert re.search(r"\d Gruppen? mit weniger als 30 Befragten (wird|werden) nicht gezeigt", by_district)
    page = client.get(f"/surveys/{survey_id}/breakdown?by=q10&question=q14")  # tick boxes by age group
    html, text = page.get_data(as_text=True), text_of(page)
    assert "<svg" in html and "Daten des Diagramms" in text
    assert "an allen vollständigen Antworten der Gruppe" in text
    ages = [label for label in ("unter 18", "18–29", "30–44", "45–64", "65 und älter") if label in text]
    assert len(ages) == 5
    assert [text.index(label) for label in ages] == sorted(text.index(label) for label in ages)
