"""Reads a CSV of people into rows and row errors. Parsing only: the service stores them (one transaction).

Columns (header names are matched case-insensitively, German or English): ``name`` or ``first_name`` +
``last_name``, ``email`` (required), ``organisation``, ``sector``, ``fields`` (codes separated by ``,`` or
``;``), optional ``title`` and ``position``.
"""

import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from planner.core.errors import DomainError
from planner.core.models import normalise_email
from planner.core.spreadsheets import SpreadsheetError, read_csv_text
from planner.people.models import SECTOR_LABELS, Sector

COLUMN_ALIASES = {
    "name": {"name", "vollständiger name", "full name"},
    "first_name": {"first_name", "first name", "firstname", "vorname"},
    "last_name": {"last_name", "last name", "lastname", "surname", "nachname"},
    "title": {"title", "titel", "akademischer titel"},
    "email": {"email", "e-mail", "e-mail-adresse", "email address", "e-mail address", "mail"},
    "organisation": {"organisation", "organization", "institution"},
    "sector": {"sector", "sektor"},
    "fields": {"fields", "field", "handlungsfelder", "handlungsfeld", "felder", "action fields"},
    "position": {"position", "funktion", "role", "rolle"},
}
ACADEMIC_TITLES = ("Prof. Dr.", "Prof.", "Dr.-Ing.", "Dr. med.", "Dr.")


FILE_MESSAGES = {
    "empty": _l("The file is empty."),
    "binary": _l("The file is not a text file (CSV). Please save the table as CSV and upload it again."),
    "encoding": _l("The file could not be read as text. Please save it as CSV (UTF-8 or Windows) and try again."),
}


class ImportFileError(DomainError):
    """The file as a whole cannot be imported (encoding, header)."""


@dataclass
class RowError:
    line: int
    column: str
    message: object  # lazily translated


@dataclass
class ImportRow:
    line: int
    first_name: str = ""
    last_name: str = ""
    title: str = ""
    email: str = ""
    organisation: str = ""
    sector: Sector | None = None
    field_codes: list[str] = field(default_factory=list)
    position: str = ""
    errors: list[RowError] = field(default_factory=list)
    action: str = ""  # "new" or "update", set by the service

    def error(self, column: str, message) -> None:
        self.errors.append(RowError(self.line, column, message))

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.title, self.first_name, self.last_name) if p)


@dataclass
class ParsedImport:
    header: list[str]
    rows: list[ImportRow]

    @property
    def errors(self) -> list[RowError]:
        return [e for row in self.rows for e in row.errors]


def _key(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower().replace("_", " ")).replace(" ", "_") if name else ""


def map_header(header: list[str]) -> dict[str, int]:
    """Column key → index; an unknown or repeated column, or a missing required one, is a file error."""
    lookup = {}
    for key, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            lookup[_key(alias)] = key
    mapping: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip().lstrip("\ufeff")
        if not name:
            continue
        key = lookup.get(_key(name))
        if key is None:
            raise ImportFileError(
                _l(
                    "Unknown column “%(column)s”. Allowed columns: name (or first_name and last_name), email, "
                    "organisation, sector, fields, title, position.",
                    column=name,
                )
            )
        if key in mapping:
            raise ImportFileError(_l("The column “%(column)s” appears twice.", column=name))
        mapping[key] = index
    if "email" not in mapping:
        raise ImportFileError(_l("The column “email” is missing."))
    if "name" not in mapping and not ("first_name" in mapping and "last_name" in mapping):
        raise ImportFileError(_l("The column “name” (or “first_name” and “last_name”) is missing."))
    return mapping


def parse_sector(value: str) -> Sector | None:
    text = value.strip().lower()
    for sector in Sector:
        names = {sector.value, sector.value.replace("_", " "), str(SECTOR_LABELS[sector]).lower()}
        names |= GERMAN_SECTOR_NAMES[sector]
        if text in names:
            return sector
    return None


GERMAN_SECTOR_NAMES = {
    Sector.ADMINISTRATION: {"verwaltung", "administration", "öffentliche verwaltung"},
    Sector.BUSINESS: {"wirtschaft", "business", "unternehmen"},
    Sector.SCIENCE: {"wissenschaft", "science", "forschung"},
    Sector.CIVIL_SOCIETY: {"zivilgesellschaft", "civil society", "civil-society"},
    Sector.POLITICS: {"politik", "politics"},
}


def split_name(value: str) -> tuple[str, str, str]:
    """'Dr. Anna Maria Schmidt' → ('Dr.', 'Anna Maria', 'Schmidt'); 'Schmidt, Anna' → ('', 'Anna', 'Schmidt')."""
    text = re.sub(r"\s+", " ", value.strip())
    title = ""
    for candidate in ACADEMIC_TITLES:
        if text.startswith(candidate + " "):
            title, text = candidate, text[len(candidate) + 1:]
            break
    if "," in text:
        last, _, first = text.partition(",")
        return title, first.strip(), last.strip()
    if " " not in text:
        return title, "", text
    first, _, last = text.rpartition(" ")
    return title, first, last


def parse_people_csv(data: bytes, known_field_codes: set[str], known_organisations: set[str]) -> ParsedImport:
    """Rows with their errors. ``known_organisations`` holds lower-case names (a new one needs a sector)."""
    from email_validator import EmailNotValidError, validate_email  # here, not at every start of the app

    try:
        header, raw_rows = read_csv_text(data)
    except SpreadsheetError as error:
        raise ImportFileError(FILE_MESSAGES.get(error.code, error.message)) from error
    mapping = map_header(header)
    codes_upper = {c.upper(): c for c in known_field_codes}
    rows: list[ImportRow] = []
    first_line_of: dict[str, int] = {}

    def cell(cells: list[str], key: str) -> str:
        index = mapping.get(key)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    for line, cells in raw_rows:
        row = ImportRow(line=line)
        if len(cells) > len(header) and any(c for c in cells[len(header):]):
            row.error("", _l("The row has more cells than the header has columns."))
        if "name" in mapping and cell(cells, "name"):
            row.title, row.first_name, row.last_name = split_name(cell(cells, "name"))
        if cell(cells, "first_name"):
            row.first_name = cell(cells, "first_name")
        if cell(cells, "last_name"):
            row.last_name = cell(cells, "last_name")
        if cell(cells, "title"):
            row.title = cell(cells, "title")
        row.position = cell(cells, "position")
        row.organisation = re.sub(r"\s+", " ", cell(cells, "organisation"))
        if not row.last_name:
            row.error("name" if "name" in mapping else "last_name", _l("The name is missing."))
        for attr, limit in (("first_name", 100), ("last_name", 100), ("title", 50), ("position", 200),
                            ("organisation", 200)):
            if len(getattr(row, attr)) > limit:
                row.error(attr, _l("Too long (at most %(max)s characters).", max=limit))

        raw_email = cell(cells, "email")
        if not raw_email:
            row.error("email", _l("The e-mail address is missing."))
        else:
            try:
                validated = validate_email(raw_email, check_deliverability=False)
            except EmailNotValidError:
                row.error("email", _l("“%(value)s” is not a valid e-mail address.", value=raw_email))
            else:
                row.email = normalise_email(validated.normalized)
                if row.email in first_line_of:
                    row.error("email", _l("This e-mail address already appears in line %(line)s.",
                                          line=first_line_of[row.email]))
                else:
                    first_line_of[row.email] = line

        raw_sector = cell(cells, "sector")
        if raw_sector:
            row.sector = parse_sector(raw_sector)
            if row.sector is None:
                row.error("sector", _l("Unknown sector “%(value)s”. Use Verwaltung, Wirtschaft, Wissenschaft, "
                                       "Zivilgesellschaft or Politik.", value=raw_sector))
        if row.organisation and row.organisation.lower() not in known_organisations and not raw_sector:
            row.error("sector", _l("The organisation “%(name)s” is new: please give its sector.",
                                   name=row.organisation))

        for code in (c.strip() for c in re.split(r"[,;|]", cell(cells, "fields"))):
            if not code:
                continue
            if code.upper() not in codes_upper:
                row.error("fields", _l("Unknown action field code “%(code)s”.", code=code))
            elif codes_upper[code.upper()] not in row.field_codes:
                row.field_codes.append(codes_upper[code.upper()])
        rows.append(row)
    if not rows:
        raise ImportFileError(_l("The file holds no data rows below its header."))
    return ParsedImport(header=header, rows=rows)
