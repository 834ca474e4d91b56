"""Spreadsheets in and out: CSV for German Excel, XLSX through openpyxl, and tolerant CSV reading.

Writing: every text cell that a spreadsheet program would run as a formula (it starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) is neutralised (CSV/formula injection, OWASP): in CSV it gets a
leading apostrophe, in XLSX it is stored as a plain text cell that Excel shows as typed.

Reading: ``read_csv_text`` accepts UTF-8 (with or without BOM) and Windows-1252 (what German Excel saves),
``;`` or ``,`` as separator, and refuses binary files with a clear message (``SpreadsheetError``).
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from planner.core.errors import DomainError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Control characters that never occur in a text file (tab, LF and CR excepted).
_BINARY_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class SpreadsheetError(DomainError):
    """A file that cannot be read as a table. ``code``: "empty", "binary", "encoding" or "csv", so a caller
    can word the message for its own page."""

    def __init__(self, message, code: str = "csv", field: str | None = None):
        super().__init__(message, field)
        self.code = code


def neutralise(value) -> str | int | float | Decimal:
    """A cell value safe for spreadsheet programs: numbers stay numbers, formulas become text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def write_csv(header: Sequence, rows: Iterable[Sequence]) -> bytes:
    """UTF-8 with BOM and ``;`` as separator, so German Excel opens it with umlauts and columns intact."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def _sheet_title(title: str) -> str:
    cleaned = re.sub(r"[\[\]\*\?/\\:]", " ", title or "").strip()
    return (cleaned or "Tabelle")[:31]


def write_xlsx(header: Sequence, rows: Iterable[Sequence], title: str = "Tabelle") -> bytes:
    """An Excel workbook with one sheet: bold header row, frozen, columns sized to their content."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(title)
    widths: dict[int, int] = {}

    def put(row_index: int, values: Sequence, bold: bool = False) -> None:
        for col_index, raw in enumerate(values, start=1):
            value = raw
            if value is None:
                value = ""
            elif isinstance(value, bool):
                value = str(value)
            elif isinstance(value, datetime):
                value = value.replace(tzinfo=None) if value.tzinfo else value
            elif not isinstance(value, int | float | Decimal | date):
                value = str(value)
            cell = sheet.cell(row=row_index, column=col_index)
            # Remove characters XML 1.0 cannot hold (openpyxl would refuse them).
            if isinstance(value, str):
                value = _BINARY_CHARS.sub("", value) if value else value
            cell.value = value
            if is_formula_like(value):
                cell.data_type = "s"  # text, never a formula
                cell.quotePrefix = True  # Excel shows it as typed and does not re-evaluate on edit
            if bold:
                cell.font = Font(bold=True)
            widths[col_index] = max(widths.get(col_index, 0), min(len(str(value)), 60))

    put(1, list(header), bold=True)
    for row_index, row in enumerate(rows, start=2):
        put(row_index, list(row))
    for col_index, width in widths.items():
        sheet.column_dimensions[get_column_letter(col_index)].width = max(width + 2, 8)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (BOM removed) first, then Windows-1252; binary content is refused."""
    if not data or not data.strip():
        raise SpreadsheetError(_l("The file is empty."), "empty")
    if b"\x00" in data:
        raise SpreadsheetError(_l("The file is not a text file (CSV). Please save it as CSV and try again."), "binary")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _BINARY_CHARS.search(text):
            break
        return text, encoding
    raise SpreadsheetError(
        _l("The file could not be read as text. Please save it as CSV (UTF-8 or Windows) and try again."), "encoding"
    )


def sniff_delimiter(text: str) -> str:
    """``;`` or ``,`` (or a tab), judged by the header line: German Excel writes ``;``."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        try:
            return csv.Sniffer().sniff(text[:4096], delimiters=";,\t").delimiter
        except csv.Error:
            return ";"
    return best


def read_csv_text(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (stripped) and the data rows, each with the line number it starts on (1 = header).

    Blank lines are skipped; rows keep their raw cells (stripped of surrounding blanks).
    """
    text, _encoding = decode_text(data)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    previous_line = 0
    try:
        for record in reader:
            start_line = previous_line + 1
            previous_line = reader.line_num
            cells = [c.strip() for c in record]
            if not any(cells):
                continue
            if header is None:
                header = cells
                continue
            rows.append((start_line, cells))
    except csv.Error as error:
        raise SpreadsheetError(
            _l("The file is not valid CSV (line %(line)s): %(error)s", line=reader.line_num, error=str(error)), "csv"
        ) from error
    if header is None:
        raise SpreadsheetError(_l("The file is empty."), "empty")
    return header, rows
