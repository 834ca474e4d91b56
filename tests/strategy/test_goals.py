"""Each action field's Zielbild 2040 and measurable goals: editing (rules, optimistic locking, history), their place
in the paper (Leitbild und Ziele, the field chapter, the Kurzfassung), readiness and the stored schema 4."""

import dataclasses
import io
import json
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from planner.core.errors import StaleVersion
from planner.core.permissions import Role
from planner.extensions import db
from planner.fields.models import ActionField, StrategyProcess
from planner.strategy import goals, versions
from planner.strategy.exporters import FORMATS, export
from planner.strategy.models import PaperVersion
from planner.strategy.outline import build_outline
from planner.strategy.readiness import check_readiness, readiness_overview
from planner.strategy.rollup import SCHEMA, Goal, build_rollup, rollup_from_json, rollup_to_json
from tests import factories
from tests.conftest import text_of
from tests.strategy import helpers
from tests.strategy.rollups import rollup

FIXTURES = Path(__file__).parent / "fixtures"


def _goal(n=1, **kw):
    values = {"text": f"Ziel {n}", "indicator": "Anteil Online-Leistungen", "unit": "%", "baseline": "32",
              "target_value": "90", "target_year": "2030"}
    values.update(kw)
    return values


def _field():
    process = factories.process(is_current=True, target_year=2040)
    field = factories.field(code="SER", name_de="Smarte Services / Verwaltung", name_en="Smart services")
    db.session.commit()
    return process, field


# --- the service ------------------------------------------------------------------------------------------------

def test_saving_goals_keeps_numbers_and_replaces_rows(ctx):
    process, field = _field()
    staff = factories.user(role=Role.STRATEGY_TEAM)
    row = goals.save_field_goals(field, staff, vision="Verwaltung rund um die Uhr.", version=0,
                                 goals=[_goal(1, baseline="1.250,5"), {}, _goal(2, baseline="")])
    db.session.commit()
    assert [(g.text, g.baseline, g.target_value, g.target_year) for g in row.goals] == [
        ("Ziel 1", 1250.5, 90.0, 2030), ("Ziel 2", None, 90.0, 2030)], "empty rows are skipped, German numbers read"
    assert row.version == 1 and row.process_id == process.id
    row = goals.save_field_goals(field, staff, vision="Neu.", version=1, goals=[_goal(3)])
    db.session.commit()
    assert [g.text for g in goals.field_vision(field).goals] == ["Ziel 3"]
    history = goals.goals_history(field)
    assert len(history) >= 4, "the Zielbild's changes and the goals', the removed ones included"
    with force_locale("de"):
        shown = " ".join(str(vars(entry)) for entry in history)
    assert "Ziel 2" in shown, "a removed goal stays in the history"


def test_bad_goals_are_refused_with_every_problem_at_once_and_nothing_changes(ctx):
    _process, field = _field()
    with pytest.raises(goals.GoalsError) as error:
        goals.save_field_goals(field, None, vision="Text", version=0, goals=[
            _goal(1, text="", indicator="", target_value="viel", target_year="2045"),
            _goal(2, target_year="")])
    fields = [name for name, _message in error.value.problems]
    assert fields == ["goal1_text", "goal1_indicator", "goal1_target_value", "goal1_target_year",
                      "goal2_target_year"]
    with force_locale("de"):
        messages = [str(m) for _n, m in error.value.problems]
    assert "Das Zieljahr darf nicht nach dem Zieljahr der Strategie (2040) liegen." in messages
    db.session.rollback()
    assert goals.field_vision(field) is None
    with pytest.raises(goals.GoalsError, match="5"):
        goals.save_field_goals(field, None, vision="", version=0, goals=[_goal(n) for n in range(6)])


def test_a_save_based_on_an_older_version_is_refused(ctx):
    _process, field = _field()
    goals.save_field_goals(field, None, vision="A", version=0, goals=[_goal()])
    db.session.commit()
    with pytest.raises(StaleVersion):
        goals.save_field_goals(field, None, vision="B", version=0, goals=[_goal()])
    db.session.rollback()
    assert goals.field_vision(field).text == "A"


# --- the page ---------------------------------------------------------------------------------------------------

def test_the_strategy_team_edits_goals_on_the_field_page(app, client, auth):
    with app.app_context():
        _process, field = _field()
        field_id = field.id
    auth.login(Role.STRATEGY_TEAM)
    page = client.get("/strategy/")
    assert f"/strategy/fields/{field_id}/goals" in page.get_data(as_text=True), "reached from the paper page"
    response = client.get(f"/strategy/fields/{field_id}/goals")
    assert response.status_code == 200 and "Zielbild" in text_of(response)
    data = {"vision": "Die Verwaltung ist 2040 digital erreichbar.", "version": "0",
            **{f"goal1_{k}": v for k, v in _goal(1).items()}, **{f"goal2_{k}": v for k, v in _goal(2).items()}}
    response = client.post(f"/strategy/fields/{field_id}/goals", data=data)
    assert response.status_code == 302
    response = client.get(f"/strategy/fields/{field_id}/goals")
    assert 'value="Ziel 2"' in response.get_data(as_text=True)
    # a bad value: a message at the field, nothing saved
    bad = dict(data, version="1", goal1_target_year="2050")
    response = client.post(f"/strategy/fields/{field_id}/goals", data=bad)
    assert response.status_code == 400
    assert "Das Zieljahr darf nicht nach dem Zieljahr der Strategie (2040) liegen." in text_of(response)
    # someone else saved in between: 409 with both values
    response = client.post(f"/strategy/fields/{field_id}/goals", data=dict(data, version="0", vision="Alt"))
    assert response.status_code == 409
    with app.app_context():
        assert goals.field_vision(db.session.get(ActionField, field_id)).text == data["vision"]
    history = client.get(f"/strategy/fields/{field_id}/goals/history")
    assert history.status_code == 200 and "Ziel 1" in text_of(history)


# --- the paper --------------------------------------------------------------------------------------------------

def _goals():
    return (Goal("Leistungen online", "Anteil Online-Leistungen", "%", 32.0, 90.0, 2030),
            Goal("Wartezeit verkürzen", "Wartezeit", "Tage", 21.0, 5.0, 2028))


def _with_goals(r, codes=None):
    fields = tuple(dataclasses.replace(c, vision=f"Zielbild von {c.code}.", goals=_goals())
                   if codes is None or c.code in codes else c for c in r.fields)
    return dataclasses.replace(r, fields=fields)


def test_the_outline_shows_goals_in_the_vision_chapter_and_first_in_each_field_chapter(ctx):
    r = _with_goals(rollup())
    outline = build_outline(r, "de")
    english = build_outline(r, "en")
    headings = [(b.level, b.text) for b in outline.blocks if b.block == "heading"]
    assert (1, "Leitbild und Ziele 2040") in headings
    texts = [b.text for b in outline.blocks if b.block == "heading"]
    start = texts.index("SER Smarte Services / Verwaltung", texts.index("Handlungsfelder"))
    assert texts[start + 1:start + 4] == ["Zielbild 2040", "Ziele", "Status quo"]
    table = next(b for b in outline.blocks if b.block == "table" and b.caption.startswith("Messbare Ziele"))
    assert table.rows[0] == ("Leistungen online", "Anteil Online-Leistungen", "32 %", "90 %", "2030")
    overview = [b for b in outline.blocks if b.block == "bulletlist" and b.title == "Ziele"]
    assert len(overview) == len(r.fields)
    assert "Leistungen online – Anteil Online-Leistungen: 32 % → 90 % bis 2030" in overview[0].items
    assert ("1", "Vision and goals 2040") in [(str(b.level), b.text) for b in english.blocks if b.block == "heading"]


def test_the_short_version_shows_per_field_its_goals_and_top_three_measures(ctx):
    from tests.strategy.rollups import measure

    r = _with_goals(rollup())
    mob = r.field("MOB")
    r = dataclasses.replace(r, fields=tuple(
        dataclasses.replace(c, measures=tuple(measure("MOB", n, rank=n) for n in range(1, 6))) if c.code == "MOB"
        else c for c in r.fields))
    assert mob is not None
    short = build_outline(r, "de", "short")
    blocks = list(short.blocks)
    start = next(i for i, b in enumerate(blocks) if b.block == "heading" and b.text.startswith("MOB "))
    chapter = blocks[start + 1:next(i for i, b in enumerate(blocks) if i > start and b.block == "heading"
                                    and b.level <= 2)]
    tables = [b for b in chapter if b.block == "table"]
    assert tables[0].caption.startswith("Messbare Ziele") and len(tables[0].rows) == 2
    assert [row[0] for row in tables[1].rows] == ["MOB-M01", "MOB-M02", "MOB-M03"]


def test_readiness_names_fields_without_goals_and_with_more_than_five(ctx):
    r = _with_goals(rollup(), codes={"UMW", "MOB"})
    r = dataclasses.replace(r, fields=tuple(
        dataclasses.replace(c, goals=_goals() * 3) if c.code == "MOB" else c for c in r.fields))
    issues = check_readiness(r)
    r = dataclasses.replace(r, readiness=issues)
    without = [i.subject for i in issues if i.kind == "field_without_goals"]
    assert without == ["BIL", "SER", "GES", "WOH", "WWF"]
    assert [i.subject for i in issues if i.kind == "field_too_many_goals"] == ["MOB"]
    outline = build_outline(r, "de")
    items = next(b for b in outline.blocks if b.block == "bulletlist" and any("messbare Ziele" in i for i in b.items))
    assert any("Smarte Bildung" in i for i in items.items), "the field is named, not its code"


def test_the_rollup_and_the_quick_readiness_carry_the_saved_goals(ctx):
    staff = factories.user(role=Role.STRATEGY_TEAM)
    with_goals = helpers.field_with_goals(goals=2, code="UMW")
    without = factories.field(code="MOB")
    db.session.commit()
    r = build_rollup()
    chapter = r.field("UMW")
    assert chapter.vision == "Ein klimaangepasstes Quartier." and len(chapter.goals) == 2
    assert chapter.goals[0].target_value == 650000.0
    kinds = {i.kind: [] for i in r.readiness}
    for i in r.readiness:
        kinds[i.kind].append(i.subject)
    assert kinds["field_without_goals"] == ["MOB"]
    quick = {kind: subjects for kind, _count, subjects in readiness_overview()}
    assert quick["field_without_goals"] == ["MOB"]
    row = goals.field_vision(with_goals)
    for n in range(4):  # six goals stored by hand: more than five
        row.goals.append(goals.FieldGoal(position=9 + n, text="x", indicator="y"))
    db.session.flush()
    assert {k: s for k, _c, s in readiness_overview()}["field_too_many_goals"] == ["UMW"]
    assert ("field_too_many_goals", "UMW") in [(i.kind, i.subject) for i in build_rollup().readiness]
    assert staff and without


def test_goals_survive_freezing_and_every_export(ctx, tmp_path):
    helpers.field_with_goals(goals=3, code="UMW", name_de="Smarte Umwelt", name_en="Smart environment")
    db.session.commit()
    staff = factories.user(role=Role.STRATEGY_TEAM)
    version = versions.freeze_version(staff, "Mit Zielen")
    db.session.commit()
    stored = json.loads(version.rollup_json)
    assert stored["schema"] == SCHEMA == 4
    assert stored["fields"][0]["goals"][0]["indicator"] == "Sensoren"
    buffer = io.BytesIO()
    export(versions.version_rollup(version), "md", buffer)
    md = buffer.getvalue().decode()
    assert "Ziel 1" in md and "650.000 Stück" in md and "650000" not in md


def test_a_version_stored_with_schema_3_opens_exports_and_is_redacted(ctx):
    """Schema 3 as stored before field goals: it still opens (no goals), exports in every format and redacts."""
    stored = (FIXTURES / "version-schema3.json").read_text(encoding="utf-8")
    assert json.loads(stored)["schema"] == 3
    db.session.add(PaperVersion(number=3, frozen_at=factories.aware(2026, 12, 3), rollup_json=stored))
    db.session.commit()
    version = versions.get_version(3)
    r = versions.version_rollup(version)
    assert r.schema == SCHEMA and all(c.goals == () and c.vision == "" for c in r.fields)
    for code in FORMATS:
        for language in ("de", "en"):
            buffer = io.BytesIO()
            export(versions.version_rollup(version, locale=language), code, buffer)
            assert len(buffer.getvalue()) > 1000, (code, language)
    buffer = io.BytesIO()
    export(versions.version_rollup(version), "md", buffer)
    assert "Dr. Erika Expertin" in buffer.getvalue().decode()
    assert versions.redact_person("Dr. Erika Expertin", "Universität") == [3]
    db.session.commit()
    after = db.session.scalar(select(PaperVersion.rollup_json).where(PaperVersion.number == 3))
    assert "Erika" not in after
    assert rollup_to_json(rollup_from_json(after)) == after


def test_the_demo_has_goals_for_every_field(ctx):
    from planner.strategy.demo import GOALS

    assert len(GOALS) == 7
    for code, (vision, items) in GOALS.items():
        assert vision and 2 <= len(items) <= 5, code
        assert all(year <= 2040 for *_rest, year in items), code
    assert StrategyProcess is not None
