"""Parsing survey exports: a file → its header and a stream of rows (with row-level errors).

Nothing here touches the database. Files are never read whole: CSV goes through the csv module on a text
stream, XLSX through openpyxl's read-only mode (iter_rows). openpyxl parses the workbook's XML with
defusedxml when it is installed (it is: ``openpyxl.xml.DEFUSEDXML``), and before opening an XLSX we
refuse zip bombs by looking at the archive's directory (uncompressed size and compression ratio).
"""

import codecs
import csv
import io
import re
import zipfile
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from operator import itemgetter
from pathlib import Path

from flask_babel import lazy_gettext as _l

from planner.core.errors import DomainError

SAMPLE_BYTES = 64 * 1024
PROFILE_ROWS = 1000
MAX_XLSX_UNCOMPRESSED = 1024 * 1024 * 1024  # 1 GiB of XML is far beyond any survey export
MAX_XLSX_RATIO = 200  # spreadsheets compress ~5–30×; zip bombs 1000× and more
MAX_COLUMNS = 2000
csv.field_size_limit(1024 * 1024)

_BINARY_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
IPV4_RE = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
IPV6_RE = re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){3,7}[0-9a-fA-F]{1,4}\b")
PERSONAL_HEADERS = re.compile(
    r"^(name|vorname|nachname|first ?name|last ?name|surname|full ?name|e-?mail|email ?address|e-?mail-?adresse|"
    r"ip|ipaddr|ip[ _-]?address|ip-adresse|token|telefon|phone|adresse|address|strasse|straße)$",
    re.IGNORECASE,
)


# LimeSurvey's system columns, by their code heading and by their full-text heading (German and English exports).
SYSTEM_COLUMNS = {
    "id": "id", "antwort id": "id", "response id": "id",
    "submitdate": "submitdate", "datum abgeschickt": "submitdate", "date submitted": "submitdate",
    "lastpage": "lastpage", "letzte seite": "lastpage", "last page": "lastpage",
    "startlanguage": "startlanguage", "start-sprache": "startlanguage", "startsprache": "startlanguage",
    "start language": "startlanguage",
    "seed": "seed", "zufallsstartwert": "seed",
    "startdate": "startdate", "datum gestartet": "startdate", "date started": "startdate",
    "datestamp": "datestamp", "datum letzte aktivität": "datestamp", "date last action": "datestamp",
    "ipaddr": "ipaddr", "ip-adresse": "ipaddr", "ip address": "ipaddr",
    "refurl": "refurl", "verweis-url": "refurl", "referrer url": "refurl",
}
# System columns that identify or locate a person (never stored, never shown).
PERSONAL_SYSTEM_COLUMNS = {"ipaddr", "refurl"}


def system_column(column: str) -> str | None:
    """The LimeSurvey system column this heading names ("submitdate" for "Datum Abgeschickt"), else None."""
    return SYSTEM_COLUMNS.get(" ".join(column.split()).lower())


class ImportFileError(DomainError):
    """The file as a whole cannot be read (empty, binary, no header, zip bomb...)."""


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str


@dataclass(frozen=True)
class Row:
    line: int  # line (CSV) or row number (XLSX) where the record starts; 1 = header
    cells: list[str]
    error: RowError | None = None


@dataclass
class Batch:
    """Consecutive rows of the file: the well-formed ones (raw cells, not yet stripped) and the broken ones."""

    lines: list[int] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    broken: list[RowError] = field(default_factory=list)
    position: int | None = None  # bytes of the file read so far (CSV), for progress

    def __len__(self) -> int:
        return len(self.rows) + len(self.broken)


@dataclass
class ColumnProfile:
    values: Counter = field(default_factory=Counter)
    filled: int = 0
    max_length: int = 0
    emails: int = 0
    ips: int = 0

    def as_dict(self, personal: bool = False) -> dict:
        """What is kept of the column while the upload waits for its mapping: no value of a personal-data column,
        and no e-mail or IP address from any other (free text is redacted as on import)."""
        values = [] if personal else [
            v for v in dict.fromkeys(redact(v) for v, _c in self.values.most_common(60))
            if not (EMAIL_RE.fullmatch(v) or IPV4_RE.fullmatch(v) or IPV6_RE.fullmatch(v))
        ]
        return {
            "values": values,
            "distinct": len(self.values),
            "filled": self.filled,
            "max_length": self.max_length,
            "emails": self.emails,
            "ips": self.ips,
        }


class Table(ABC):
    """An open export: ``header`` and ``rows()`` (a generator; it can be iterated once per open)."""

    format = "csv"

    def __init__(self, header: list[str]):
        self.header = header

    @abstractmethod
    def rows(self) -> Iterator[Row]:
        """The data rows with their line numbers, parsed lazily (CSV and XLSX each implement it)."""

    def batches(self, size: int) -> Iterator[Batch]:
        """The rows in batches of `size` (the bulk import's unit of work)."""
        batch = Batch()
        for row in self.rows():
            if row.error:
                batch.broken.append(row.error)
            else:
                batch.lines.append(row.line)
                batch.rows.append(row.cells)
            if len(batch) >= size:
                yield batch
                batch = Batch()
        if len(batch):
            yield batch

    def _check(self, line: int, cells: list[str]) -> Row:
        if len(cells) != len(self.header):
            return Row(
                line,
                cells,
                RowError(
                    line,
                    "",
                    str(
                        _l(
                            "The row has %(found)s columns, the header has %(expected)s.",
                            found=len(cells),
                            expected=len(self.header),
                        )
                    ),
                ),
            )
        return Row(line, cells)


def _clean_header(cells: list[str]) -> list[str]:
    header = []
    for index, cell in enumerate(cells, start=1):
        name = " ".join(str(cell or "").split())
        header.append(name or str(_l("Column %(number)s", number=index)))
    duplicates = [name for name, count in Counter(header).items() if count > 1]
    if duplicates:
        raise ImportFileError(_l("Column names must be unique; repeated: %(names)s", names=", ".join(duplicates)))
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(_l("The file has more than %(max)s columns.", max=MAX_COLUMNS))
    return header


class CsvTable(Table):
    format = "csv"

    def __init__(self, path: Path):
        self.path = path
        with path.open("rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
        if not sample.strip():
            raise ImportFileError(_l("The file is empty."))
        if b"\x00" in sample:
            raise ImportFileError(_l("The file is not a CSV text file. Please export the survey as CSV or XLSX."))
        self.encoding = _detect_encoding(sample)
        text = sample.decode(self.encoding, errors="replace")
        if _BINARY_CHARS.search(text):
            raise ImportFileError(_l("The file is not a CSV text file. Please export the survey as CSV or XLSX."))
        first_line = next((line for line in text.splitlines() if line.strip()), "")
        counts = {d: first_line.count(d) for d in (";", ",", "\t")}
        self.delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ";"
        header = None
        with self._open() as reader:
            try:
                for record in reader:
                    if any(c.strip() for c in record):
                        header = record
                        break
            except (csv.Error, UnicodeDecodeError) as error:
                raise ImportFileError(_l("The header line cannot be read: %(error)s", error=str(error))) from error
        if header is None:
            raise ImportFileError(_l("The file is empty."))
        super().__init__(_clean_header(header))

    @contextmanager
    def _open(self, with_raw: bool = False):
        with self.path.open("rb") as raw:
            text = io.TextIOWrapper(raw, encoding=self.encoding, newline="", errors="strict")
            try:
                reader = csv.reader(text, delimiter=self.delimiter)
                yield (reader, raw) if with_raw else reader
            finally:
                text.detach()

    def batches(self, size: int) -> Iterator[Batch]:
        """Like ``rows()`` but without a Row object or, in the common case, any Python code per line: `size` records
        at a time come straight from the csv reader (islice), cells are not stripped (the mapper strips only the
        values it has not seen before). When every record of the batch is one physical line, the line numbers are a
        range; records with line breaks inside quoted cells are counted by those breaks (as the reader counts
        lines). Only a batch with blank or short/long records is sorted record by record."""
        width = len(self.header)
        first = itemgetter(0)
        with self._open(with_raw=True) as (reader, raw):
            try:
                for record in reader:  # the header (parsed in __init__): the first record that is not blank
                    if not _is_blank(record):
                        break
                while True:
                    before = reader.line_num
                    records = list(islice(reader, size))
                    if not records:
                        break
                    end = reader.line_num
                    if end - before == len(records):
                        lines = range(before + 1, end + 1)
                    else:
                        lines = _record_starts(before, records)
                    batch = Batch()
                    if set(map(len, records)) == {width} and all(map(str.strip, map(first, records))):
                        batch.lines, batch.rows = list(lines), records  # the common case: every record a row
                    else:
                        for line, record in zip(lines, records, strict=True):
                            if _is_blank(record):
                                continue
                            if len(record) == width:
                                batch.lines.append(line)
                                batch.rows.append(record)
                            else:
                                batch.broken.append(self._check(line, record).error)
                    batch.position = raw.tell()
                    if len(batch):
                        yield batch
            except UnicodeDecodeError as error:
                raise ImportFileError(
                    _l("Line %(line)s contains characters that are not %(encoding)s.", line=reader.line_num + 1,
                       encoding=self.encoding.upper())
                ) from error
            except csv.Error as error:
                raise ImportFileError(
                    _l("The file is not valid CSV (line %(line)s): %(error)s", line=reader.line_num, error=str(error))
                ) from error

    def rows(self) -> Iterator[Row]:
        with self._open() as reader:
            seen_header = False
            previous_line = 0
            try:
                for record in reader:
                    start = previous_line + 1
                    previous_line = reader.line_num
                    if not any(c.strip() for c in record):
                        continue
                    if not seen_header:
                        seen_header = True
                        continue
                    yield self._check(start, [c.strip() for c in record])
            except UnicodeDecodeError as error:
                raise ImportFileError(
                    _l("Line %(line)s contains characters that are not %(encoding)s.", line=previous_line + 1,
                       encoding=self.encoding.upper())
                ) from error
            except csv.Error as error:
                raise ImportFileError(
                    _l("The file is not valid CSV (line %(line)s): %(error)s", line=reader.line_num, error=str(error))
                ) from error


def _is_blank(record: list[str]) -> bool:
    return not any(record) or not "".join(record).strip()


def _line_breaks(record: list[str]) -> int:
    """Line breaks inside the record's (quoted) cells, counted as the text stream splits lines (newline=""):
    LF, CR and CR LF each end one line."""
    text = "".join(record)
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _record_starts(before: int, records: list[list[str]]) -> list[int]:
    """The first line of each record, `before` being the reader's line count before the first one."""
    starts = []
    line = before
    for record in records:
        starts.append(line + 1)
        line += 1 + _line_breaks(record)
    return starts


def _detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)  # a multi-byte character cut at the sample's end is fine
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


class XlsxTable(Table):
    format = "xlsx"

    def __init__(self, path: Path, max_uncompressed: int = MAX_XLSX_UNCOMPRESSED, max_ratio: int = MAX_XLSX_RATIO):
        self.path = path
        check_zip(path, max_uncompressed, max_ratio)
        header = None
        with self._sheet() as rows:
            for values in rows:
                cells = _xlsx_cells(values)
                if any(cells):
                    header = cells
                    break
        if header is None:
            raise ImportFileError(_l("The file is empty."))
        while header and not header[-1]:
            header.pop()
        super().__init__(_clean_header(header))

    @contextmanager
    def _sheet(self):
        from openpyxl import load_workbook

        # A file object, not the path: openpyxl refuses a path whose name does not end in .xlsx, and uploads are
        # stored under a random name (the content was already recognised as a zip archive).
        with self.path.open("rb") as fh:
            try:
                workbook = load_workbook(fh, read_only=True, data_only=True)
            except Exception as error:  # openpyxl raises many kinds for broken files
                raise ImportFileError(_l("The Excel file cannot be read. Please check it or export CSV.")) from error
            try:
                sheet = workbook.worksheets[0]
                yield sheet.iter_rows(values_only=True)
            finally:
                workbook.close()

    def rows(self) -> Iterator[Row]:
        width = len(self.header)
        with self._sheet() as rows:
            seen_header = False
            for number, values in enumerate(rows, start=1):
                cells = _xlsx_cells(values)
                if not any(cells):
                    continue
                if not seen_header:
                    seen_header = True
                    continue
                while len(cells) > width and not cells[-1]:
                    cells.pop()
                if len(cells) < width:
                    cells += [""] * (width - len(cells))
                yield self._check(number, cells)


def _xlsx_cells(values) -> list[str]:
    cells = []
    for value in values or ():
        if value is None:
            cells.append("")
        elif isinstance(value, bool):
            cells.append("1" if value else "0")
        elif isinstance(value, float) and value.is_integer():
            cells.append(str(int(value)))
        elif isinstance(value, datetime | date):
            cells.append(value.isoformat())
        else:
            cells.append(str(value).strip())
    return cells


def check_zip(path: Path, max_uncompressed: int = MAX_XLSX_UNCOMPRESSED, max_ratio: int = MAX_XLSX_RATIO) -> None:
    """Refuse archives that would expand absurdly (zip bombs) before any XML is parsed."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise ImportFileError(_l("The Excel file cannot be read. Please check it or export CSV.")) from error
    total = sum(i.file_size for i in infos)
    compressed = sum(i.compress_size for i in infos) or 1
    too_dense = any(i.file_size > 1024 * 1024 and i.file_size / max(i.compress_size, 1) > max_ratio for i in infos)
    if total > max_uncompressed or total / compressed > max_ratio or too_dense:
        raise ImportFileError(
            _l("The Excel file would expand to an implausible size (possible zip bomb); it was not opened.")
        )


def open_table(path: Path, file_name: str, **xlsx_limits) -> Table:
    """The right reader for the file: by content (XLSX is a zip archive), not only by its name."""
    path = Path(path)
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic.startswith(b"PK\x03\x04"):
        return XlsxTable(path, **xlsx_limits)
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        if not magic:
            raise ImportFileError(_l("The file is empty."))
        raise ImportFileError(_l("The Excel file cannot be read. Please check it or export CSV."))
    return CsvTable(path)


def profile(table: Table, limit: int = PROFILE_ROWS) -> tuple[dict[str, dict], int]:
    """Per column: frequent values, fill, maximum length, e-mail and IP look-alikes (first `limit` rows)."""
    profiles = {name: ColumnProfile() for name in table.header}
    rows = 0
    for row in table.rows():
        if row.error:
            continue
        rows += 1
        for name, value in zip(table.header, row.cells, strict=True):
            if not value:
                continue
            p = profiles[name]
            p.filled += 1
            p.max_length = max(p.max_length, len(value))
            if len(p.values) < 200 or value in p.values:
                p.values[value[:200]] += 1
            if EMAIL_RE.fullmatch(value):
                p.emails += 1
            if IPV4_RE.fullmatch(value) or IPV6_RE.fullmatch(value):
                p.ips += 1
        if rows >= limit:
            break
    result = {}
    for name, p in profiles.items():
        counts = {"filled": p.filled, "emails": p.emails, "ips": p.ips}
        result[name] = p.as_dict(personal=personal_data_reason(name, counts) is not None)
    return result, rows


def personal_data_reason(column: str, column_profile: dict | None) -> str | None:
    """Why a column looks like personal data (None when it does not)."""
    base = re.sub(r"\s*\[.*\]$", "", column).strip()
    if (PERSONAL_HEADERS.match(base) or PERSONAL_HEADERS.match(column.strip())
            or system_column(column) in PERSONAL_SYSTEM_COLUMNS):
        return str(_l("the column name suggests personal data"))
    if column_profile and column_profile.get("filled"):
        filled = column_profile["filled"]
        if column_profile.get("emails", 0) / filled > 0.2:
            return str(_l("the values look like e-mail addresses"))
        if column_profile.get("ips", 0) / filled > 0.2:
            return str(_l("the values look like IP addresses"))
    return None


_DIGIT_DOT_DIGIT = re.compile(r"\d\.\d")


def redact(text: str) -> str:
    """Free text stays anonymous: e-mail and IP addresses inside comments are removed.

    The regular expressions only run when the cheap tests say they could match (an "@"; a digit, a dot and a
    digit): most comments contain neither, and EMAIL_RE tries every start position of a long text."""
    if "@" in text:
        text = EMAIL_RE.sub("[E-Mail entfernt]", text)
    if _DIGIT_DOT_DIGIT.search(text):
        text = IPV4_RE.sub("[IP entfernt]", text)
    return text
