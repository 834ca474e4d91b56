"""Parsing: encodings, separators, LimeSurvey columns, XLSX (incl. zip bombs), personal data."""

import io
import zipfile

import pytest
from flask_babel import force_locale
from openpyxl import Workbook

from planner.surveys.importer import ImportFileError, open_table, personal_data_reason, profile, redact
from planner.surveys.mapping import RowMapper, group_columns, suggest_mapping
from tests.surveys.helpers import HEADER, ROWS, csv_bytes, mapping


def _write(tmp_path, data: bytes, name="umfrage.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_csv_encodings_and_separators(ctx, tmp_path, encoding, delimiter):
    path = _write(tmp_path, csv_bytes(delimiter=delimiter, encoding=encoding))
    table = open_table(path, path.name)
    assert table.header == HEADER
    rows = list(table.rows())
    assert [r.cells for r in rows] == ROWS
    assert rows[0].line == 2
    assert "Mobilität" in rows[0].cells[9]  # umlauts survive every encoding


def test_limesurvey_groups_multiple_choice_and_ranking_columns(ctx, tmp_path):
    groups = group_columns(["Q3[SQ001]", "Q3[SQ002]", "Q5[1]", "Q5[2]", "Alter"])
    assert [(g.base, g.subs) for g in groups] == [("Q3", ("SQ001", "SQ002")), ("Q5", ("1", "2")), ("Alter", ("",))]
    path = _write(tmp_path, csv_bytes())
    table = open_table(path, path.name)
    profiles, rows = profile(table)
    suggested = {q["text"]: q for q in suggest_mapping(table.header, profiles)["questions"]}
    assert suggested["Priorität"]["kind"] == "multiple"
    assert suggested["Priorität"]["options"] == ["Mobilität", "Bildung", "Services"]
    assert suggested["Rangfolge"]["kind"] == "ranking" and suggested["Rangfolge"]["layout"] == "by_rank"
    assert suggested["Bewertung Mobilität"]["kind"] == "rating"
    assert suggested["Stadtbezirk"]["kind"] == "demographic"
    assert suggested["E-Mail"]["kind"] == "ignore"  # personal data flagged and dropped


def test_row_mapper_flattens_answers(ctx):
    mapper = RowMapper(mapping(), HEADER)
    answers, comments, errors = mapper.apply(2, ROWS[0])
    assert not errors
    assert answers["q1"] == "Stadtbezirk I" and answers["q4"] == 5
    assert answers["q3"] == 2 and answers["q3_0"] == 1 and "q3_1" not in answers
    assert mapper.options()["q5"] == ["Bildung", "Mobilität", "Services"]  # options learned as they appear
    assert [answers[f"q5_{i}"] for i in range(3)] == [1, 2, 3]
    assert comments == [("q6", "Mehr Radwege bitte")]
    assert "a@example.org" not in str(answers)  # the e-mail column is not mapped


def test_ranking_by_option_layout(ctx):
    m = {"version": 1, "questions": [{"key": "r", "text": "R", "kind": "ranking", "layout": "by_option",
                                      "columns": ["R[A]", "R[B]"], "options": ["A", "B"]}]}
    mapper = RowMapper(m, ["R[A]", "R[B]"])
    answers, _c, errors = mapper.apply(2, ["2", "1"])
    assert not errors and answers == {"r_0": 2, "r_1": 1, "r": 2}
    _a, _c, errors = mapper.apply(3, ["3", "1"])
    assert errors and "3" in errors[0].message


def test_rating_out_of_scale_is_a_row_error(ctx):
    mapper = RowMapper(mapping(), HEADER)
    row = list(ROWS[0])
    row[7] = "7"
    with force_locale("en"):
        _a, _c, errors = mapper.apply(5, row)
    assert [(e.line, e.column) for e in errors] == [(5, "Bewertung Mobilität")]
    assert "7" in errors[0].message and "1–5" in errors[0].message


def test_personal_data_detection():
    for header in ("Name", "Vorname", "Nachname", "email", "E-Mail", "IP", "ipaddr", "token"):
        assert personal_data_reason(header, None), header
    assert personal_data_reason("Kontakt", {"filled": 10, "emails": 9, "ips": 0})
    assert personal_data_reason("Herkunft", {"filled": 10, "emails": 0, "ips": 10})
    assert personal_data_reason("Stadtbezirk", {"filled": 10, "emails": 0, "ips": 0}) is None
    assert redact("Schreiben Sie mir: max@example.org") == "Schreiben Sie mir: [E-Mail entfernt]"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a CSV"),
    ],
)
def test_bad_files_are_refused(ctx, tmp_path, data, message):
    path = _write(tmp_path, data)
    with force_locale("en"):
        with pytest.raises(ImportFileError) as error:
            open_table(path, path.name)
        assert message in str(error.value.message)


def test_mismatched_column_count_is_a_row_error(ctx, tmp_path):
    path = _write(tmp_path, b"a;b;c\r\n1;2;3\r\n1;2\r\n")
    with force_locale("en"):
        rows = list(open_table(path, path.name).rows())
    assert rows[0].error is None
    assert rows[1].error.line == 3 and "2 columns" in rows[1].error.message


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_xlsx_is_read_in_read_only_mode(ctx, tmp_path):
    path = _write(tmp_path, _xlsx([HEADER, *[[int(c) if c.isdigit() else c for c in r] for r in ROWS]]), "u.xlsx")
    table = open_table(path, path.name)
    assert table.format == "xlsx" and table.header == HEADER
    assert [r.cells for r in table.rows()] == ROWS


def test_zip_bomb_like_xlsx_is_refused(ctx, tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (30 * 1024 * 1024))  # compresses ~1000×
    assert path.stat().st_size < 200 * 1024
    with force_locale("en"):
        with pytest.raises(ImportFileError) as error:
            open_table(path, path.name)
        assert "zip bomb" in str(error.value.message)


def test_broken_xlsx_is_refused(ctx, tmp_path):
    path = _write(tmp_path, b"PK\x03\x04 this is not a zip", "kaputt.xlsx")
    with pytest.raises(ImportFileError):
        open_table(path, path.name)
