import csv
import io

import openpyxl
import pytest

from planner.core.spreadsheets import SpreadsheetError, read_csv_text, write_csv, write_xlsx

HEADER = ["Name", "Organisation", "Anmerkung"]
ROWS = [
    ["Jürgen Groß", "Stadt Essen", "=HYPERLINK(\"http://evil\")"],
    ["Anna Öztürk", "+49 201 123", "@SUM(A1:A2)"],
    ["Bernd Weiß", "-Minus GmbH", "\tTab"],
    ["Zahl", 42, "\rCR"],
]


def test_csv_is_utf8_with_bom_and_semicolons_and_formulas_neutralised():
    data = write_csv(HEADER, ROWS)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == HEADER
    assert rows[1][0] == "Jürgen Groß"
    assert rows[1][2] == "'=HYPERLINK(\"http://evil\")"
    assert rows[2][1] == "'+49 201 123"
    assert rows[2][2] == "'@SUM(A1:A2)"
    assert rows[3][1] == "'-Minus GmbH"
    assert rows[3][2] == "'\tTab"
    assert rows[4][1] == "42"  # numbers are not touched
    assert rows[4][2] == "'\rCR"


def test_xlsx_reads_back_with_openpyxl_and_holds_no_formula():
    data = write_xlsx(HEADER, ROWS, title="Teilnehmende: Workshop/5")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.active
    assert sheet.title == "Teilnehmende  Workshop 5"
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == HEADER
    assert values[1][0] == "Jürgen Groß"
    assert values[4][1] == 42
    formula_cells = [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formula_cells == []
    injected = sheet["C2"]
    assert injected.value == "=HYPERLINK(\"http://evil\")"
    assert injected.data_type == "s"
    assert injected.quotePrefix is True
    assert sheet["B3"].data_type == "s" and sheet["B3"].quotePrefix is True
    assert sheet["A1"].font.bold


def test_read_csv_utf8_semicolon_with_line_numbers():
    data = "Name;E-Mail\n\nAnna Müller;anna@example.org\n\"Bernd\nWeiß\";bernd@example.org\nCarla;c@example.org\n"
    header, rows = read_csv_text(data.encode("utf-8"))
    assert header == ["Name", "E-Mail"]
    assert rows[0] == (3, ["Anna Müller", "anna@example.org"])
    assert rows[1] == (4, ["Bernd\nWeiß", "bernd@example.org"])
    assert rows[2][0] == 6


def test_read_csv_utf8_bom_and_comma():
    data = "\ufeffName,E-Mail\r\nJörg Schäfer,joerg@example.org\r\n".encode()
    header, rows = read_csv_text(data)
    assert header == ["Name", "E-Mail"]  # the BOM is not part of the first column's name
    assert rows == [(2, ["Jörg Schäfer", "joerg@example.org"])]


def test_read_csv_windows_1252_from_excel():
    data = "Name;Organisation\r\nJürgen Groß;Straßen – und Brückenamt\r\n".encode("cp1252")
    header, rows = read_csv_text(data)
    assert rows == [(2, ["Jürgen Groß", "Straßen – und Brückenamt"])]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n  ",
        b"PK\x03\x04\x14\x00\x06\x00binary zip",
        bytes(range(256)),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"Name;E-Mail\nA;b\x01c\n",
    ],
)
def test_read_csv_rejects_empty_and_binary_files(ctx, data):
    with pytest.raises(SpreadsheetError) as error:
        read_csv_text(data)
    assert str(error.value.message)


def test_binary_message_is_german(ctx):
    from flask_babel import force_locale

    with force_locale("de"), pytest.raises(SpreadsheetError) as error:
        read_csv_text(b"\x00\x01\x02")
    assert "CSV" in str(error.value.message)
