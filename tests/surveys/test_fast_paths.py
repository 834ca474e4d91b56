"""The fast paths against their references: the batch mapper against RowMapper, the two-query breakdown against
per-group results, the cached preview, and the import as a background job from the web UI."""

import io
import json
import random
from pathlib import Path

import pytest
from flask import url_for
from sqlalchemy import event

from planner.extensions import db
from planner.jobs.models import Job, JobStatus
from planner.surveys import services
from planner.surveys.mapping import BatchMapper, RowMapper
from planner.surveys.models import Survey, SurveyComment, SurveyResponse, SurveyUpload
from planner.surveys.results import breakdown, question_result
from tests.conftest import text_of
from tests.surveys import factories as sf
from tests.surveys.helpers import HEADER, ROWS, csv_bytes, mapping

VALUES = {
    "Stadtbezirk": ["Stadtbezirk I", " Stadtbezirk II ", "", "Stadtbezirk IX"],
    "Digitalisierung im Alltag": ["sehr wichtig", "wichtig", "", "egal", " wichtig"],
    "Priorität": ["Y", "", "ja", " 1 ", "N", "vielleicht"],
    "Bewertung Mobilität": ["1", "5", "", "3,0", " 4", "7", "zwei", "2.5"],
    "Rangfolge": ["Mobilität", "Bildung", "Services", "", "Kultur"],
    "Anmerkungen": ["", "Mehr Radwege", "Kontakt x@example.org bitte", "Server 10.0.0.1 ist langsam", "  "],
}


def _random_rows(rng: random.Random, n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        row = []
        for column in HEADER:
            base = column.split("[")[0].strip()
            row.append(rng.choice(VALUES.get(base, [str(i), ""])))
        rows.append(row)
    return rows


def test_batch_mapper_gives_the_same_answers_comments_and_errors_as_the_row_mapper(ctx):
    rng = random.Random(7)
    rows = _random_rows(rng, 600)
    lines = list(range(2, 602))
    reference, fast = RowMapper(mapping(), HEADER), BatchMapper(mapping(), HEADER)
    expected_answers, expected_comments, expected_errors = [], [], []
    for line, row in zip(lines, rows, strict=True):
        answers, comments, errors = reference.apply(line, [c.strip() for c in row])
        expected_answers.append(answers)
        expected_comments += [(line, key, text) for key, text in comments]
        expected_errors += [(e.line, e.column, e.message) for e in errors]
    got_answers, got_comments, got_errors, got_answered = [], [], [], {}
    for start in range(0, 600, 250):  # batches, so the learned options carry over
        result = fast.apply_batch(lines[start:start + 250], rows[start:start + 250])
        got_answers += [json.loads(text) for text in result.answers_json]
        got_comments += [(lines[start + i], key, text) for i, key, text in result.comments]
        got_errors += [(e.line, e.column, e.message) for *_order, e in sorted(result.errors, key=lambda e: e[:3])]
        for key, count in result.answered.items():
            got_answered[key] = got_answered.get(key, 0) + count
    assert got_answers == expected_answers
    assert got_answered == {q.key: sum(q.key in a for a in expected_answers) for q in reference.questions
                            if q.kind != "text"}
    assert got_comments == expected_comments
    assert got_errors == expected_errors and expected_errors  # the data has broken cells
    assert fast.options() == reference.options()
    assert any("[E-Mail entfernt]" in c[2] for c in got_comments)
    assert any("[IP entfernt]" in c[2] for c in got_comments)


def test_runs_of_ratings_map_as_the_row_mapper_does(ctx):
    """Consecutive ratings share one look-up per row (four of scale 5, three of scale 10); answered counts too."""
    header = ["Nr", *(f"R{i}" for i in range(9)), "Bezirk", "R9"]
    questions = [{"key": f"r{i}", "text": f"R{i}", "kind": "rating", "scale": 10 if i in (4, 5, 6) else 5,
                  "columns": [f"R{i}"]} for i in range(9)]
    questions.append({"key": "bezirk", "text": "Bezirk", "kind": "demographic", "columns": ["Bezirk"]})
    questions.append({"key": "r9", "text": "R9", "kind": "rating", "scale": 5, "columns": ["R9"]})
    ratings = {"version": 1, "questions": questions}
    rng = random.Random(3)
    values = ["1", "2", "3", "4", "5", "", "", " 4", "3,0", "8", "0", "zwei", "2.5", "10"]
    rows = [[str(i), *(rng.choice(values) for _q in range(9)), rng.choice(["I", "II", " "]), rng.choice(values)]
            for i in range(700)]
    lines = list(range(2, 702))
    reference, fast = RowMapper(ratings, header), BatchMapper(ratings, header)
    assert [len(u.questions) for u in fast._units] == [4, 3, 2, 1, 1]
    expected = [reference.apply(line, [c.strip() for c in row]) for line, row in zip(lines, rows, strict=True)]
    got = [fast.apply_batch(lines[i:i + 300], rows[i:i + 300]) for i in range(0, 700, 300)]
    assert [json.loads(t) for r in got for t in r.answers_json] == [answers for answers, _c, _e in expected]
    got_errors = [(e.line, e.column, e.message) for r in got for *_o, e in sorted(r.errors, key=lambda e: e[:3])]
    assert got_errors == [(e.line, e.column, e.message) for _a, _c, errors in expected for e in errors]
    for q in questions:
        assert sum(r.answered[q["key"]] for r in got) == sum(q["key"] in answers for answers, _c, _e in expected)


def test_breakdown_is_two_queries_and_matches_the_per_group_results(ctx):
    rows = [[str(i), f"Stadtbezirk {['I', 'II', 'III'][i % 3]}", "", ["sehr wichtig", "wichtig", ""][i % 3],
             "Y" if i % 2 else "", "Y" if i % 5 else "", "", str(i % 5 + 1),
             "Mobilität", "Bildung" if i % 4 else "", "", ""] for i in range(60)]
    survey = sf.survey(rows=rows)
    questions = {q.key: q for q in survey.questions}
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        for key in ("q2", "q3", "q4", "q5"):
            statements.clear()
            groups = breakdown(questions[key], questions["q1"])
            assert len(statements) == 2, statements
            from planner.surveys.models import SurveyResponse as R

            for group in groups:
                where = R.answers["q1"].as_string() == group.label
                assert group.result == question_result(questions[key], group.n, where=where), (key, group.label)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert [g.label for g in groups][:3] == ["Stadtbezirk I", "Stadtbezirk II", "Stadtbezirk III"]


def test_the_preview_is_cached_beside_the_upload_until_the_mapping_changes(ctx):
    upload = sf.upload()
    first = services.preview_upload(upload, ctx.instance_path)
    cache = Path(ctx.instance_path) / "uploads" / f"{upload.token}.preview.json"
    assert cache.exists() and first.ok and first.rows == 5
    # The cached result is used: the file itself is not read again.
    raw = Path(ctx.instance_path) / "uploads" / upload.token
    original = raw.read_bytes()
    raw.write_bytes(b"")
    again = services.preview_upload(upload, ctx.instance_path)
    assert (again.rows, again.comments, again.answered) == (first.rows, first.comments, first.answered)
    raw.write_bytes(original)
    # A new mapping invalidates it.
    changed = json.loads(json.dumps(upload.mapping))
    for q in changed["questions"]:
        if q["kind"] == "rating":
            q["kind"] = "ignore"
    assert services.set_upload_mapping(upload.uploaded_by, upload, changed) == []
    third = services.preview_upload(upload, ctx.instance_path)
    assert third.rows == 5 and set(third.answered) != set(first.answered)
    services.discard_upload(upload.uploaded_by, upload, ctx.instance_path)
    assert not cache.exists() and not raw.exists()


def test_a_large_upload_is_imported_by_a_background_job(app, client, auth):
    app.config["SURVEY_BACKGROUND_BYTES"] = 1  # every upload counts as large
    with app.app_context():
        sf.mob_field()
        db.session.commit()
    auth.login("strategy_team")
    response = client.post("/surveys/import", data={"file": (io.BytesIO(csv_bytes()), "gross.csv"),
                                                    "title": "Große Welle"}, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        upload = db.session.scalar(db.select(SurveyUpload))
        upload_id, token = upload.id, upload.token
    client.get(f"/surveys/uploads/{upload_id}/preview")
    response = client.post(f"/surveys/uploads/{upload_id}/import")
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    with app.app_context():
        job = db.session.scalar(db.select(Job))
        survey = db.session.scalar(db.select(Survey))
        assert job.task == "surveys.import" and job.status == JobStatus.DONE, job.error
        assert survey.title == "Große Welle" and survey.response_count == len(ROWS)
        assert db.session.scalar(db.select(db.func.count()).select_from(SurveyResponse)) == len(ROWS)
        assert db.session.scalar(db.select(db.func.count()).select_from(SurveyComment)) == 2
        assert db.session.get(SurveyUpload, upload_id) is None
    assert "Große Welle" in text_of(page) and "importiert" in text_of(page)
    # The job page links to the imported survey, and the link is the survey's real page.
    with app.test_request_context():
        survey_url = url_for("surveys.detail", survey_id=survey.id)
    assert job.result_url == survey_url
    assert f'<a class="kern-link" href="{survey_url}">„Große Welle“ öffnen</a>' in page.get_data(as_text=True)
    assert client.get(survey_url).status_code == 200
    uploads = Path(app.instance_path) / "uploads"
    assert not (uploads / token).exists() and not (uploads / f"{token}.preview.json").exists()


def test_a_background_import_of_a_broken_file_fails_and_keeps_nothing(app, client, auth):
    app.config["SURVEY_BACKGROUND_BYTES"] = 1
    with app.app_context():
        upload = sf.upload()
        upload_id, user_id = upload.id, upload.uploaded_by_id
        path = Path(app.instance_path) / "uploads" / upload.token
        rows = [list(r) for r in ROWS]
        rows[1][7] = "7"  # a rating outside 1–5
        path.write_bytes(csv_bytes(rows=rows))
        db.session.commit()
    auth.login_as(_email(app, user_id))
    response = client.post(f"/surveys/uploads/{upload_id}/import")
    assert "/jobs/" in response.headers["Location"]
    with app.app_context():
        job = db.session.scalar(db.select(Job))
        assert job.status == JobStatus.FAILED and "nichts importiert" in job.error
        assert db.session.scalar(db.select(db.func.count()).select_from(SurveyResponse)) == 0
        assert db.session.get(SurveyUpload, upload_id) is not None  # the user can correct the mapping


def _email(app, user_id):
    with app.app_context():
        from planner.accounts.models import User

        return db.session.get(User, user_id).email


TRICKY_CSV = (
    "id;Bezirk;Anmerkungen\r\n"
    "\r\n"  # a blank line before the first response
    "1;I;kurz\r\n"
    '2;II;"zwei\r\nZeilen"\r\n'
    '3;III;"drei\nZeilen\nmit LF"\r\n'
    '4;IV;"nur\rCR"\r\n'
    ";;\r\n"  # empty cells only: skipped like a blank line
    "  ;  ; \r\n"  # whitespace only: skipped too
    "5;V\r\n"  # a column short
    "6;VI;x;zu viel\r\n"
    '7;VII;"am Ende\r\n"\r\n'
    "\r\n"
    " 8 ; VIII ;ohne Anführungszeichen\r\n"
)


def _flatten(batches):
    lines, rows, broken = [], [], []
    for batch in batches:
        lines += batch.lines
        rows += [[c.strip() for c in row] for row in batch.rows]
        broken += [(e.line, e.message) for e in batch.broken]
    return lines, rows, broken


def test_csv_batches_number_lines_as_the_row_reader_does(ctx, tmp_path):
    """The batch reader (islice, line numbers from a range or from the line breaks in quoted cells) against the row
    reader (the csv module's line count per record), for every batch size: line breaks inside cells (CRLF, LF, CR),
    blank and whitespace-only records, short and long records."""
    from planner.surveys.importer import open_table

    path = tmp_path / "tricky.csv"
    path.write_bytes(TRICKY_CSV.encode("utf-8"))
    table = open_table(path, path.name)
    reference = list(table.rows())
    expected = (
        [r.line for r in reference if r.error is None],
        [r.cells for r in reference if r.error is None],
        [(r.error.line, r.error.message) for r in reference if r.error is not None],
    )
    assert expected[0] == [3, 4, 6, 9, 15, 18]  # the line where each record starts
    assert [line for line, _m in expected[2]] == [13, 14]
    for size in (1, 2, 3, 4, 5, 50):
        assert _flatten(table.batches(size)) == expected, size
    assert expected[1][1][2] == "zwei\r\nZeilen" and expected[1][3][2] == "nur\rCR"


def test_csv_batches_of_a_plain_file_are_consecutive_lines(ctx, tmp_path):
    from planner.surveys.importer import open_table

    path = tmp_path / "plain.csv"
    path.write_bytes(csv_bytes(rows=[[str(i)] + ROWS[i % 4][1:] for i in range(25)]))
    batches = list(open_table(path, path.name).batches(10))
    assert [len(b) for b in batches] == [10, 10, 5]
    assert _flatten(batches)[0] == list(range(2, 27))
    assert batches[-1].position == path.stat().st_size


def test_a_wide_multiple_choice_question_maps_as_the_row_mapper_does(ctx):
    """Up to MAX_COMBINED_COLUMNS columns a multiple-choice row is one look-up of its cells; wider questions go
    column by column. Both against the reference."""
    from planner.surveys.mapping import MAX_COMBINED_COLUMNS

    rng = random.Random(11)
    for width in (MAX_COMBINED_COLUMNS, MAX_COMBINED_COLUMNS + 4):
        header = [f"Wahl [{i}]" for i in range(width)]
        wide = {"version": 1, "questions": [{"key": "w", "text": "Wahl", "kind": "multiple", "columns": header,
                                             "options": [str(i) for i in range(width)]}]}
        rows = [[rng.choice(["Y", "", "", "ja", " x ", "N", "vielleicht"]) for _c in header] for _r in range(300)]
        lines = list(range(2, 302))
        reference, fast = RowMapper(wide, header), BatchMapper(wide, header)
        expected = [reference.apply(line, [c.strip() for c in row]) for line, row in zip(lines, rows, strict=True)]
        got = fast.apply_batch(lines[:150], rows[:150]), fast.apply_batch(lines[150:], rows[150:])
        assert [json.loads(t) for r in got for t in r.answers_json] == [answers for answers, _c, _e in expected]
        assert [(e.line, e.column, e.message) for r in got for *_o, e in sorted(r.errors, key=lambda e: e[:3])] == [
            (e.line, e.column, e.message) for _a, _c, errors in expected for e in errors]
        assert sum(r.answered["w"] for r in got) == sum(1 for answers, _c, _e in expected if "w" in answers)


@pytest.mark.parametrize("largest_rowid_taken", [False, True])
def test_imported_comments_belong_to_their_responses(ctx, tmp_path, largest_rowid_taken):
    """The SQLite writer inserts responses many rows per statement and finds their ids for the comments: across
    batches (full statements and the rest), after an earlier survey, with records that span several lines; also
    when the largest possible id is taken."""
    from planner.core.permissions import Role
    from tests import factories

    if largest_rowid_taken and db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's rowids only: PostgreSQL's COPY takes its ids from the sequence")
    earlier = sf.survey()  # responses with lower ids already exist
    if largest_rowid_taken:  # SQLite then picks random rowids: the writer reads them back
        db.session.execute(db.update(SurveyResponse).where(SurveyResponse.survey_id == earlier.id)
                           .where(SurveyResponse.line_no == 3).values(id=2**63 - 1))  # no comment on it
    user = factories.user(role=Role.STRATEGY_TEAM)
    rows = [[str(i), f"Stadtbezirk {i % 3}", "", "", "", "", "", str(i % 5 + 1), "", "", "",
             f"Anmerkung {i}" + ("\nmit zweiter Zeile" if i % 4 == 0 else "") if i % 3 else ""] for i in range(1, 451)]
    path = tmp_path / "kommentare.csv"
    path.write_bytes(csv_bytes(rows=rows))
    survey = services.import_file(user, path, path.name, mapping(), services.UploadMeta("Kommentare"), batch_size=200)
    db.session.commit()
    responses = {r.id: r for r in db.session.scalars(
        db.select(SurveyResponse).where(SurveyResponse.survey_id == survey.id))}
    assert len(responses) == 450
    # The line where each record starts: a comment with a line break moves the following records down.
    line_of, line = {}, 2
    for row in rows:
        line_of[int(row[0])] = line
        line += 1 + row[-1].count("\n")
    assert sorted(r.line_no for r in responses.values()) == sorted(line_of.values())
    assert sorted(line_of.values())[:6] == [2, 3, 4, 5, 7, 8]
    comments = db.session.scalars(db.select(SurveyComment).where(SurveyComment.survey_id == survey.id)).all()
    assert len(comments) == len([r for r in rows if r[-1]]) > 250
    for comment in comments:
        number = int(comment.text.split("\n")[0].removeprefix("Anmerkung "))
        response = responses[comment.response_id]
        assert comment.line_no == response.line_no == line_of[number]
        assert response.answers["q4"] == number % 5 + 1
    ids = sorted(responses)
    assert (ids[-1] - ids[0] == 449) != largest_rowid_taken  # consecutive ids, or random ones


@pytest.mark.parametrize("bad, message", [(b"9999;Bezirk \xe4;x", "contains characters that are not UTF-8"),
                                          (b'9999;"' + b"x" * (1024 * 1024 + 1) + b'";x', "is not valid CSV")])
def test_a_broken_line_far_into_the_file_is_reported_with_its_line(ctx, tmp_path, bad, message):
    """Beyond the sample the encoding was detected from: a byte that is not UTF-8, a NUL byte. The batch reader
    reports the line (for the encoding: the line where the undecodable block of the file starts, at most a few
    hundred lines early); a cell beyond the csv module's field limit."""
    from flask_babel import force_locale

    from planner.surveys.importer import ImportFileError, open_table

    good = b"".join(b"%d;Bezirk I;gut\r\n" % i for i in range(1, 8001))  # ~150 KB, beyond the 64 KB sample
    path = tmp_path / "kaputt.csv"
    path.write_bytes(b"id;Bezirk;Anmerkungen\r\n" + good + bad + b"\r\n" + good)
    table = open_table(path, path.name)
    with pytest.raises(ImportFileError) as error:
        for _batch in table.batches(2000):
            pass
    with force_locale("en"):
        text = str(error.value.message)
    assert message in text
    line = int(text.split("ine ")[1].split()[0].rstrip(":)"))
    assert 8002 - 600 < line <= 8002, text


def test_an_xlsx_export_is_stored_as_its_csv_twin_is(ctx, tmp_path):
    """The XLSX reader's batches (rows of stripped cells) through the same units and writer as CSV."""
    from openpyxl import Workbook

    from planner.core.permissions import Role
    from tests import factories

    sf.mob_field()
    user = factories.user(role=Role.STRATEGY_TEAM)
    rows = [[str(i), *ROWS[i % 4][1:]] for i in range(1, 31)]
    workbook = Workbook()
    for row in [HEADER, *rows]:
        workbook.active.append([int(c) if c.isdigit() else c for c in row])
    xlsx = tmp_path / "welle.xlsx"
    workbook.save(xlsx)
    csv_file = tmp_path / "welle.csv"
    csv_file.write_bytes(csv_bytes(rows=rows))
    stored = []
    for path in (xlsx, csv_file):
        survey = services.import_file(user, path, path.name, mapping(), services.UploadMeta(path.name), batch_size=7,
                                      allow_duplicates=True)  # the same responses twice, on purpose
        stored.append(db.session.execute(
            db.select(SurveyResponse.line_no, SurveyResponse.answers).where(SurveyResponse.survey_id == survey.id)
            .order_by(SurveyResponse.line_no)).all())
        assert survey.response_count == 30
    assert stored[0] == stored[1] and stored[0][0][0] == 2
