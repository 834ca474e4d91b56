"""The import fallback: sticky notes from another tool become cards of a wall. Parsing only (file → rows and row
errors); ``services.import_cards`` stores them, all or nothing.

Formats, recognised by content:
- **Excalidraw** (``.excalidraw``/JSON, ``"type": "excalidraw"``): every text element that is not deleted (text in
  a sticky-note rectangle is a text element bound to it);
- **CSV**, also a **Miro** board export: the card text from a column named ``text``, ``content``, ``Inhalt``,
  ``Text`` or ``Sticky note`` (else the first column); the column (Stärke, Schwäche, …) from an optional column
  named ``kind``, ``type``, ``Spalte``, ``column``, ``Art`` or ``Kategorie``; a row without it goes to the default
  column;
- **Etherpad** text export (plain text): one card per line (``*``, ``-``, ``•`` bullets removed); a line such as
  ``Stärken:`` or ``## Risiken`` switches the column for the lines below it.
"""

import csv
import io
import json
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from planner.core.spreadsheets import SpreadsheetError, decode_text, sniff_delimiter
from planner.findings.models import FindingKind
from planner.wall.models import MEASURE_COLUMN

MAX_ROWS = 1000
TEXT_COLUMNS = ("text", "content", "inhalt", "sticky note", "sticky notes", "karte", "notiz", "note")
KIND_COLUMNS = ("kind", "type", "spalte", "column", "art", "kategorie", "category")
KIND_WORDS = {
    FindingKind.STRENGTH: ("strength", "strengths", "stärke", "stärken", "s"),
    FindingKind.WEAKNESS: ("weakness", "weaknesses", "schwäche", "schwächen", "w"),
    FindingKind.OPPORTUNITY: ("opportunity", "opportunities", "chance", "chancen", "o"),
    FindingKind.RISK: ("risk", "risks", "threat", "threats", "risiko", "risiken", "t"),
    FindingKind.NEED: ("need", "needs", "need for action", "needs for action", "handlungsbedarf",
                       "handlungsbedarfe", "bedarf"),
    MEASURE_COLUMN: ("measure", "measures", "maßnahme", "maßnahmen", "massnahme", "massnahmen", "idee", "ideen"),
}
BULLET = re.compile(r"^\s*(?:[-*•–]|\d+[.)])\s+")
HEADING = re.compile(r"^\s*(?:#+\s*)?(?P<word>[^:#]+?)\s*:?\s*$")


@dataclass
class ImportedRow:
    line: int
    text: str
    kind: str | None  # a FindingKind value or "measure", or None: the default column


@dataclass
class ParsedImport:
    source: str  # "excalidraw", "csv", "text"
    rows: list[ImportedRow] = field(default_factory=list)
    errors: list[tuple[int, object]] = field(default_factory=list)  # (line, lazily translated message)


def kind_from_word(word: str) -> str | None:
    """The column a word names: a FindingKind value or "measure"."""
    value = " ".join((word or "").strip().lower().split()).rstrip(":")
    for kind, words in KIND_WORDS.items():
        if value in words or value == str(kind):
            return str(kind)
    return None


def parse(data: bytes, limit: int) -> ParsedImport:
    """Rows and row errors of an uploaded file; raises SpreadsheetError when the file as a whole is unreadable."""
    text, _encoding = decode_text(data)
    stripped = text.lstrip()
    if stripped.startswith("{"):
        result = _excalidraw(stripped)
    elif _looks_like_csv(text):
        result = _csv(text)
    else:
        result = _etherpad(text)
    for row in result.rows:
        if len(row.text) > limit:
            result.errors.append((row.line, _l("The card has %(length)s characters; at most %(limit)s are "
                                               "allowed.", length=len(row.text), limit=limit)))
    if len(result.rows) > MAX_ROWS:
        result.errors.append((0, _l("The file holds %(count)s cards; at most %(max)s can be imported at once.",
                                    count=len(result.rows), max=MAX_ROWS)))
    if not result.rows and not result.errors:
        result.errors.append((0, _l("The file holds no cards.")))
    return result


def _excalidraw(text: str) -> ParsedImport:
    result = ParsedImport("excalidraw")
    try:
        document = json.loads(text)
    except ValueError as error:
        raise SpreadsheetError(_l("The file is not valid JSON: %(error)s", error=str(error)), "json") from error
    if not isinstance(document, dict) or not isinstance(document.get("elements"), list):
        raise SpreadsheetError(_l("This JSON file is not an Excalidraw drawing (no elements)."), "json")
    for number, element in enumerate(document["elements"], start=1):
        if not isinstance(element, dict) or element.get("isDeleted") or element.get("type") != "text":
            continue
        value = element.get("originalText") or element.get("text") or ""
        value = " ".join(str(value).split())
        if value:
            result.rows.append(ImportedRow(number, value, None))
    return result


def _looks_like_csv(text: str) -> bool:
    first = next((line for line in text.splitlines() if line.strip()), "").strip().lower()
    cells = [c.strip().strip('"').lower() for c in re.split(r"[;,\t]", first)]
    return any(c in TEXT_COLUMNS or c in KIND_COLUMNS for c in cells) or first.startswith('"')


def _csv(text: str) -> ParsedImport:
    result = ParsedImport("csv")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    header = None
    text_index = kind_index = None
    try:
        for record in reader:
            cells = [c.strip() for c in record]
            if not any(cells):
                continue
            if header is None:
                header = [c.lower() for c in cells]
                text_index = next((i for i, c in enumerate(header) if c in TEXT_COLUMNS), None)
                kind_index = next((i for i, c in enumerate(header) if c in KIND_COLUMNS), None)
                if text_index is None:  # no header: the first column is the text, and this row a card
                    text_index, header = 0, []
                    result.rows.append(ImportedRow(reader.line_num, " ".join(cells[0].split()), None))
                continue
            line = reader.line_num
            value = " ".join(cells[text_index].split()) if text_index < len(cells) else ""
            if not value:
                continue
            kind = None
            if kind_index is not None and kind_index < len(cells) and cells[kind_index]:
                found = kind_from_word(cells[kind_index])
                if found is None:
                    result.errors.append((line, _l("Unknown column “%(value)s”.", value=cells[kind_index][:40])))
                    continue
                kind = found
            result.rows.append(ImportedRow(line, value, kind))
    except csv.Error as error:
        raise SpreadsheetError(_l("The file is not valid CSV (line %(line)s): %(error)s", line=reader.line_num,
                                  error=str(error)), "csv") from error
    return result


def _etherpad(text: str) -> ParsedImport:
    result = ParsedImport("text")
    kind = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        heading = HEADING.match(line)
        if heading and (line.endswith(":") or line.startswith("#")):
            found = kind_from_word(heading["word"])
            if found is not None:
                kind = found
                continue
        value = " ".join(BULLET.sub("", line).split())
        if value:
            result.rows.append(ImportedRow(number, value, kind))
    return result
