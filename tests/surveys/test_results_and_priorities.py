"""Results maths, accessible charts, comments → needs, prioritisation, sensitivity, frozen runs, CLI, facts."""

import json
import re
import tracemalloc

import pytest
from flask_babel import force_locale

from planner.extensions import db
from planner.findings.models import Finding, FindingKind
from planner.surveys import facts, services
from planner.surveys.charts import chart_for, svg_bar_chart
from planner.surveys.models import FrozenRunError, PriorityRun, Survey, SurveyComment
from planner.surveys.prioritisation import Item, formula_text, score_items, sensitivity
from planner.surveys.results import breakdown, survey_results
from tests import factories
from tests.conftest import text_of
from tests.surveys import factories as sf
from tests.surveys.helpers import mapping


def _by_key(survey):
    return {r.key: r for r in survey_results(survey)}


def test_results_maths(ctx):
    survey = sf.survey()
    results = _by_key(survey)
    assert all(r.n == 5 for r in results.values())  # four answers + one empty row
    single = results["q2"]
    assert (single.answered, single.no_answer) == (3, 2)
    assert [(r.label, r.count, round(r.share, 3)) for r in single.rows] == [("sehr wichtig", 2, 0.667),
                                                                          ("wichtig", 1, 0.333)]
    multiple = results["q3"]
    assert multiple.answered == 3 and [r.count for r in multiple.rows] == [3, 1, 1]
    rating = results["q4"]
    assert rating.mean == pytest.approx(4.0) and [r.count for r in rating.rows] == [0, 0, 1, 1, 1]
    ranking = results["q5"]
    assert [(r.label, round(r.mean, 2)) for r in ranking.rows] == [("Mobilität", 1.33), ("Bildung", 2.0),
                                                                  ("Services", 2.5)]


def test_one_pass_gives_the_same_numbers_as_one_query_per_question(ctx):
    """survey_results reads every response once; question_result aggregates in SQL. They must agree, also for
    answers stored in other shapes (numbers as text, JSON null)."""
    from planner.surveys.models import SurveyResponse
    from planner.surveys.results import question_result, results_in_one_pass

    survey = sf.survey()
    odd = [{"q2": None, "q4": "4", "q3": 1, "q3_0": "1", "q5_1": None}, {"q4": 5, "q5": 1, "q5_0": 2, "q5_2": "3"}]
    for line, answers in enumerate(odd, 900):
        db.session.add(SurveyResponse(survey_id=survey.id, line_no=line, answers=answers))
    db.session.flush()
    one_pass = results_in_one_pass(survey.id, survey.questions)
    for question in survey.questions:
        if question.kind.value == "ignore":
            continue
        assert one_pass[question.key] == question_result(question), question.key


def test_tallies_are_kept_until_the_responses_or_the_mapping_change(ctx):
    from sqlalchemy import event

    from planner.surveys.models import SurveyResponse
    from planner.surveys.results import results_in_one_pass

    survey = sf.survey()
    first = results_in_one_pass(survey.id, survey.questions)
    reads = []

    def count(conn, cursor, statement, *args):
        if "survey_responses.answers" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert results_in_one_pass(survey.id, survey.questions) == first
        assert reads == [], "the second call reads no response"
        db.session.add(SurveyResponse(survey_id=survey.id, line_no=999, answers={"q4": 1}))
        db.session.flush()
        again = results_in_one_pass(survey.id, survey.questions)
        assert len(reads) == 1 and again["q4"].answered == first["q4"].answered + 1
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_an_unwritable_tally_folder_is_said_in_the_log_and_the_results_still_come(ctx, caplog):
    """The kept tallies are only a cache: when the instance folder cannot take them, the results are counted all
    the same, the log names the folder, and no half-written file stays behind."""
    from pathlib import Path

    from flask import current_app

    from planner.surveys import results
    from planner.surveys.results import results_in_one_pass

    survey = sf.survey()
    cache = Path(current_app.instance_path) / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "survey-tallies").write_text("not a folder")  # mkdir of the tally folder fails
    results._tally_cache.clear()
    with caplog.at_level("WARNING", logger="planner.surveys.results"):
        counted = results_in_one_pass(survey.id, survey.questions)
    assert counted["q4"].answered > 0
    assert "survey tallies not kept in" in caplog.text and "survey-tallies" in caplog.text
    assert not list(cache.rglob("*.part"))


def test_a_new_process_reads_the_tallies_from_the_instance_folder(ctx):
    """A paper export on the command line is a new process: it reads the tallies another process counted (kept in
    the instance folder) instead of every response; a new response is counted again."""
    from sqlalchemy import event

    from planner.surveys import results
    from planner.surveys.models import SurveyResponse
    from planner.surveys.results import results_in_one_pass

    survey = sf.survey()
    first = results_in_one_pass(survey.id, survey.questions)
    results._tally_cache.clear()  # what a new process starts with
    reads = []

    def count(conn, cursor, statement, *args):
        if "survey_responses.answers" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert results_in_one_pass(survey.id, survey.questions) == first
        assert reads == [], "the new process reads no response"
        db.session.add(SurveyResponse(survey_id=survey.id, line_no=998, answers={"q4": 2}))
        db.session.flush()
        results._tally_cache.clear()
        again = results_in_one_pass(survey.id, survey.questions)
        assert len(reads) == 1 and again["q4"].answered == first["q4"].answered + 1
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_an_answer_stored_as_a_list_leaves_the_rest_of_its_response_counted_once(ctx):
    """Answers are counted per distinct value; a list or an object among a response's answers (not hashable) is
    counted on its own, and the response's other answers exactly once (as SQL counts them)."""
    from planner.surveys.models import SurveyResponse
    from planner.surveys.results import question_result, results_in_one_pass

    survey = sf.survey()
    odd = [{"q3": 1, "q2": ["a", "b"], "q4": 4, "q5_0": 2}, {"q4": 5, "q2": {"x": 1}, "q3_0": "1", "q4_": [1]}]
    for line, answers in enumerate(odd, 950):
        db.session.add(SurveyResponse(survey_id=survey.id, line_no=line, answers=answers))
    db.session.flush()
    one_pass = results_in_one_pass(survey.id, survey.questions)
    questions = {q.key: q for q in survey.questions}
    for key in ("q3", "q4", "q5"):
        assert one_pass[key] == question_result(questions[key]), key


def test_breakdown_by_district(ctx):
    survey = sf.survey()
    questions = {q.key: q for q in survey.questions}
    groups = breakdown(questions["q4"], questions["q1"])
    assert [(g.label, g.n, g.result.mean) for g in groups] == [("Stadtbezirk I", 2, 4.5), ("Stadtbezirk II", 2, 3.0)]


def test_svg_chart_has_title_desc_values_and_matching_table(app, client, auth):
    with app.app_context():
        survey = sf.survey()
        result = _by_key(survey)["q2"]
        chart = chart_for(result)
        svg = str(svg_bar_chart(chart, "c1"))
        assert "<title id=\"c1-title\">Digitalisierung im Alltag</title>" in svg and "<desc" in svg
        # The value is written on the bar, in whole per cent as in the key figures and the paper (2 of 3: 67 %).
        assert 'role="img"' in svg and "67\xa0%" in svg
        survey_id = survey.id
        db.session.commit()
    auth.login("facilitator")
    html = client.get(f"/surveys/{survey_id}").get_data(as_text=True)
    assert html.count("<svg") >= 3
    table = re.search(r"<table[^>]*id=\"table-q2\".*?</table>", html, re.S).group(0)
    assert "sehr wichtig" in table and "67\xa0%" in table and "<caption" in table and 'scope="row"' in table


def test_comments_search_tag_and_promote_to_need(app, client, auth):
    with app.app_context():
        survey = sf.survey()
        field = sf.mob_field()
        survey_id, field_id = survey.id, field.id
        comment = db.session.scalar(db.select(SurveyComment).where(SurveyComment.text.like("%Radwege%")))
        comment_id = comment.id
        db.session.commit()
    auth.login("strategy_team")
    page = client.get(f"/surveys/{survey_id}/comments?q=radwege")
    assert "Mehr Radwege bitte" in text_of(page) and "WLAN" not in text_of(page)
    assert client.post(f"/surveys/comments/{comment_id}/tag", data={"field": str(field_id)}).status_code == 302
    tagged = client.get(f"/surveys/{survey_id}/comments?field={field_id}")
    assert "Mehr Radwege bitte" in text_of(tagged)
    response = client.post(f"/surveys/comments/{comment_id}/promote",
                           data={"field": str(field_id), "text": "Sichere Radwege zwischen den Stadtteilen"})
    assert response.status_code == 302
    with app.app_context():
        need = db.session.scalar(db.select(Finding).where(Finding.kind == FindingKind.NEED))
        assert need.text == "Sichere Radwege zwischen den Stadtteilen" and need.workshop_id is None
        assert db.session.get(SurveyComment, comment_id).need_id == need.id
        assert facts.need_sources() == {need.id: (comment_id, "Mehr Radwege bitte")}
    again = client.post(f"/surveys/comments/{comment_id}/promote", data={"field": str(field_id), "text": "x"})
    assert again.status_code == 400 and "bereits" in text_of(again)


def _item(code, **components):
    return Item("field", hash(code) % 1000, code, code, code, components=components)


def test_priority_formula_combines_citizens_and_experts():
    weights = {"citizen": 0.5, "impact": 0.5, "feasibility": 0, "cost": 0, "urgency": 0}
    a = _item("A", citizen=1.0, impact=0.0)
    b = _item("B", citizen=0.4, impact=0.8)
    c = _item("C", impact=0.7)  # no survey data: only the expert criterion counts
    ranked = score_items([a, b, c], weights)
    assert [(i.code, round(i.score, 3), i.rank) for i in ranked] == [("C", 0.7, 1), ("B", 0.6, 2), ("A", 0.5, 3)]
    assert ranked[1].expert == pytest.approx(0.8)


def test_formula_is_shown_in_words_in_both_languages(ctx):
    weights = {"citizen": 0.4, "impact": 0.2, "feasibility": 0.15, "cost": 0.1, "urgency": 0.15}
    with force_locale("en"):
        assert "citizens' importance 40" in formula_text(weights)
    with force_locale("de"):
        assert "Bedeutung für die Bürgerschaft 40" in formula_text(weights)


def test_sensitivity_marks_stable_and_sensitive_items():
    weights = {"citizen": 0.4, "impact": 0.2, "feasibility": 0.15, "cost": 0.1, "urgency": 0.15}
    items = [
        _item("TOP", citizen=1.0, impact=1.0, feasibility=1.0, cost=1.0, urgency=1.0),
        _item("CIT", citizen=0.9, impact=0.0, feasibility=0.0, cost=0.0, urgency=0.0),
        _item("EXP", citizen=0.0, impact=0.6, feasibility=0.6, cost=0.6, urgency=0.6),
        _item("MID", citizen=0.35, impact=0.35, feasibility=0.35, cost=0.35, urgency=0.35),
        _item("LOW", citizen=0.0, impact=0.0, feasibility=0.0, cost=0.0, urgency=0.1),
    ]
    rows = {r.item.code: r for r in sensitivity(items, weights)}
    assert rows["TOP"].base_rank == 1 and rows["TOP"].is_stable
    assert rows["LOW"].min_rank == rows["LOW"].max_rank == 5
    assert rows["CIT"].max_rank - rows["CIT"].min_rank >= 1


def test_priorities_page_ranks_fields_and_changes_with_weights(app, client, auth):
    with app.app_context():
        user = factories.user(role="strategy_team")
        survey = sf.survey(user)
        other = factories.field(code="BIL")
        services.rate(user, field_id=other.id, values={"impact": 5, "feasibility": 5, "cost": 1, "urgency": 5})
        db.session.commit()
        assert survey.id
    auth.login("strategy_team")
    page = text_of(client.get("/surveys/priorities"))
    assert "So wird der Prioritätswert berechnet" in page
    assert page.index("BIL –") < page.index("MOB –")  # experts rate BIL at the top
    client.post("/surveys/priorities/weights", data={"citizen": "1", "impact": "0", "feasibility": "0",
                                                     "cost": "0", "urgency": "0"})
    page = text_of(client.get("/surveys/priorities"))
    assert page.index("MOB –") < page.index("BIL –")  # citizens only: MOB has survey data, BIL none → 0


def test_frozen_run_is_stored_and_immutable(app, client, auth):
    with app.app_context():
        sf.survey()
        db.session.commit()
    auth.login("strategy_team")
    response = client.post("/surveys/priorities/freeze", data={"freeze-name": "Priorisierung Herbst"})
    assert response.status_code == 302
    with app.app_context():
        run = db.session.scalar(db.select(PriorityRun))
        assert run.results["fields"][0]["field_code"] == "MOB" and run.weights["citizen"] == 0.4
        prio = facts.priority_facts()
        assert prio.run_id == run.id and prio.name == "Priorisierung Herbst" and prio.fields[0].rank == 1
        assert facts.priority_facts(run.id) == prio
        run.name = "geändert"
        with pytest.raises(FrozenRunError):
            db.session.flush()
        db.session.rollback()
    assert client.get("/surveys/priorities/runs").status_code == 200


def test_survey_facts_contract(ctx):
    survey = sf.survey()
    [item] = facts.survey_facts()
    assert isinstance(item, facts.SurveyFacts)
    assert (item.survey_id, item.participants, item.comments) == (survey.id, 5, 2)
    with force_locale("en"):
        [english] = facts.survey_facts()
    assert english == item, "numbers and the survey's own text only: the same whatever the language"
    figure = next(k for k in item.key_figures if k.label == "Digitalisierung im Alltag sehr wichtig")
    assert (figure.kind, figure.count, figure.base) == ("share", 2, 3) and figure.share == 2 / 3
    chart = next(c for c in item.charts if c.question == "Digitalisierung im Alltag")
    assert chart.kind == "choice" and chart.categories == ("sehr wichtig", "wichtig") and chart.base == 3
    assert chart.values == (2 / 3, 1 / 3)
    with force_locale("de"):
        assert ("Digitalisierung im Alltag sehr wichtig", "67\xa0%") in facts.headline(survey, survey_results(survey))


def _cli_files(app, tmp_path):
    """The field the test mapping needs, and the survey file and its mapping as the CLI takes them."""
    from tests.surveys.helpers import csv_bytes

    with app.app_context():
        sf.mob_field()
        db.session.commit()
    data = tmp_path / "umfrage.csv"
    data.write_bytes(csv_bytes())
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps(mapping()), encoding="utf-8")
    return data, mapping_file


def test_cli_import_with_mapping_json(app, runner, tmp_path):
    data, mapping_file = _cli_files(app, tmp_path)
    result = runner.invoke(args=["import-survey", str(data), "--mapping", str(mapping_file), "--title", "CLI"])
    assert result.exit_code == 0, result.output
    assert "4 responses" in result.output
    again = runner.invoke(args=["import-survey", str(data), "--mapping", str(mapping_file)])
    assert again.exit_code != 0
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Survey.id))) == 1


def test_cli_import_writes_progress_lines_when_not_on_a_terminal(app, runner, tmp_path, capsys):
    """Without a terminal (cron, logs, a supervising program) the import reports progress as lines on stderr, one
    per tenth of the file, each flushed."""
    from planner.surveys.commands import progress_lines

    data, mapping_file = _cli_files(app, tmp_path)
    result = runner.invoke(args=["import-survey", str(data), "--mapping", str(mapping_file)])
    assert result.exit_code == 0, result.output
    assert "4 rows read (100% of the file)" in result.stderr
    assert re.search(r": 4 responses in \d+\.\d\d s \(4 complete responses stored, 0 incomplete left out\)\.$",
                     result.stdout.strip())

    progress = progress_lines(total=1000, every_rows=500)
    for rows, position in [(100, 50), (200, 120), (300, 190), (400, 350), (500, 1000)]:
        progress(rows, position)
    assert capsys.readouterr().err.splitlines() == [
        "200 rows read (12% of the file)", "400 rows read (35% of the file)", "500 rows read (100% of the file)"]
    xlsx = progress_lines(total=1000, every_rows=500)
    for rows in (400, 800, 1200):
        xlsx(rows, None)
    assert capsys.readouterr().err.splitlines() == ["800 rows read", "1200 rows read"]


def test_streaming_import_keeps_memory_bounded(ctx, tmp_path):
    """20,000 rows × 40 columns: the peak of Python allocations stays far below the file's size."""
    sf.mob_field()
    header = ["Stadtbezirk"] + [f"Frage {i}" for i in range(1, 38)] + ["Q[A]", "Anmerkung"]
    path = tmp_path / "gross.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(";".join(header) + "\r\n")
        for n in range(20_000):
            cells = [f"Stadtbezirk {n % 9 + 1}"] + [str((n + i) % 5 + 1) for i in range(37)]
            comment = f"Kommentar Nummer {n} mit etwas mehr Text zur Mobilität im Quartier " * 2
            cells += ["Y" if n % 3 else "", comment if n % 2 == 0 else ""]
            fh.write(";".join(cells) + "\r\n")
    size = path.stat().st_size
    questions = [{"key": "bezirk", "text": "Bezirk", "kind": "demographic", "columns": ["Stadtbezirk"]}]
    questions += [{"key": f"f{i}", "text": f"Frage {i}", "kind": "rating", "scale": 5, "columns": [f"Frage {i}"]}
                  for i in range(1, 38)]
    questions += [{"key": "q", "text": "Q", "kind": "multiple", "columns": ["Q[A]"], "options": ["A"]},
                  {"key": "kommentar", "text": "Anmerkung", "kind": "text", "columns": ["Anmerkung"]}]
    user = factories.user(role="strategy_team")
    tracemalloc.start()
    try:
        survey = services.import_file(user, path, path.name, {"version": 1, "questions": questions},
                                      services.UploadMeta("Groß"), batch_size=500)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert survey.response_count == 20_000
    # Reading the file whole (and its rows as lists of str) would need several times its size.
    assert size > 3_000_000
    assert peak < size, f"peak {peak} bytes for a {size}-byte file"


def test_a_tick_box_share_is_the_same_in_the_key_figures_and_the_chart(ctx):
    """The paper said 63 % (key result, of all 2,050 responses) and 64 % (chart, of the 2,009 who ticked
    anything) for the same option of the same question."""
    survey = sf.survey()
    result = _by_key(survey)["q3"]
    [item] = facts.survey_facts()
    chart = next(c for c in item.charts if c.question == result.text)
    options = {facts.answer_label(result.text, c): c for c in chart.categories}
    figures = [k for k in item.key_figures if k.label in options]
    assert figures
    for figure in figures:
        option = options[figure.label]
        assert chart.values[chart.categories.index(option)] == figure.share
    assert chart.base == result.n == 5


def test_a_share_is_rounded_once_on_the_results_page(ctx):
    """1,159 of 2,050 ticks are 56.54 %: the results page rounded to 56.5 first and then, half to even, to
    "56 %", while the key figures and the paper said 57 %."""
    from flask_babel import force_locale

    from planner.surveys.charts import format_value
    from planner.surveys.models import QuestionKind
    from planner.surveys.results import QuestionResult, ResultRow

    result = QuestionResult("q", "Welche Bereiche sollen Priorität haben?", QuestionKind.MULTIPLE, n=2050,
                            answered=2009, rows=(ResultRow("Bürger-Services", 1159, 1159 / 2050),))
    chart = chart_for(result)
    with force_locale("de"):
        assert format_value(chart.values[0], chart.unit) == "57\xa0%"
        assert "57\xa0%" in str(svg_bar_chart(chart, "c"))


def test_a_key_figure_after_a_question_mark_has_no_colon():
    """The paper's summary read "Welche Bereiche sollen Priorität haben?: Mobilität & Infrastruktur"."""
    assert facts.answer_label("Welche Bereiche sollen Priorität haben?", "Mobilität") == \
        "Welche Bereiche sollen Priorität haben? Mobilität"
    assert facts.answer_label("Digitalisierung im Alltag", "sehr wichtig") == "Digitalisierung im Alltag: sehr wichtig"
