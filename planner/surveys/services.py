"""Use cases of the surveys package. Services take the acting user, only flush(), and raise DomainErrors.

Import path: ``store_upload`` (file → instance/uploads/<random>, fingerprint, header and a profile of the
first rows) → ``set_upload_mapping`` → ``preview_upload`` (a full validation pass, nothing stored) →
``import_upload`` (one transaction: all rows or none; the raw file is deleted afterwards). The CLI uses
``import_file`` with the same parsing, mapping and storing code.
"""

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain, repeat
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import Text, bindparam, cast, delete, func, select

from planner.core.collector import collector_paused
from planner.core.errors import DomainError, NotAllowed, StaleVersion
from planner.core.locking import STALE_MESSAGE, parse_version, save_version
from planner.core.models import utcnow
from planner.core.permissions import Role, has_role
from planner.core.security import new_token
from planner.extensions import db
from planner.fields.services import require_current_process
from planner.surveys.importer import ImportFileError, RowError, open_table, profile
from planner.surveys.mapping import MAPPING_VERSION, BatchMapper, natural_order, validate_mapping
from planner.surveys.models import (
    WEIGHT_KEYS,
    ExpertRating,
    PriorityRun,
    PriorityWeights,
    QuestionKind,
    SavedMapping,
    Survey,
    SurveyComment,
    SurveyQuestion,
    SurveyResponse,
    SurveyUpload,
)

BATCH_SIZE = 2000
BACKGROUND_BYTES = 1024 * 1024  # ~8,000 responses of 40 columns: above this the web UI imports in a background job
MAX_REPORTED_ERRORS = 200
MAX_REPORTED_SHORTENED = 20  # lines of shortened comments the preview names
CHUNK = 1024 * 1024


class ImportRejected(DomainError):
    """The file has row errors: nothing was imported."""

    def __init__(self, errors: list[RowError], error_count: int):
        super().__init__(_l("%(count)s errors in the file; nothing was imported.", count=error_count))
        self.errors = errors
        self.error_count = error_count


# --- permissions -----------------------------------------------------------------------------------------

def may_manage(user) -> bool:
    """Import, map, delete, rate, weigh and freeze: the strategy team (and administrators)."""
    return has_role(user, Role.STRATEGY_TEAM)


def may_read(user) -> bool:
    return has_role(user, Role.STRATEGY_TEAM, Role.FACILITATOR)


def require_manage(user) -> None:
    if not may_manage(user):
        raise NotAllowed(_l("Only the strategy team may change surveys and priorities."))


# --- uploads ---------------------------------------------------------------------------------------------

def field_names() -> list[dict]:
    """The action fields as the mapping suggestion matches labels against them."""
    from planner.fields.models import ActionField

    return [{"code": f.code, "name_de": f.name_de, "name_en": f.name_en}
            for f in db.session.scalars(select(ActionField).order_by(ActionField.position))]


def suggest_file_mapping(path: Path, file_name: str) -> dict:
    """The suggested mapping of a file (the CLI's suggest-mapping and the upload page show the same)."""
    from planner.surveys.mapping import suggest_mapping

    table = open_table(path, file_name)
    profiles, rows = profile(table)
    if rows == 0:
        raise ImportFileError(_l("The file has a header but no responses."))
    return suggest_mapping(table.header, profiles, fields=field_names())


def uploads_dir(instance_path: str | Path) -> Path:
    path = Path(instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _check_not_imported(sha256: str) -> None:
    existing = db.session.scalar(select(Survey).where(Survey.sha256 == sha256))
    if existing is not None:
        raise DomainError(
            _l("This file was already imported as “%(title)s”.", title=existing.title), field="file"
        )


@dataclass
class UploadMeta:
    title: str
    wave: str = ""
    starts_on: date | None = None
    ends_on: date | None = None


def store_upload(user, stream, file_name: str, meta: UploadMeta, instance_path, saved_mapping=None) -> SurveyUpload:
    """Saves the upload under a random name, fingerprints it and reads its header and first rows."""
    require_manage(user)
    if meta.starts_on and meta.ends_on and meta.starts_on > meta.ends_on:
        raise DomainError(_l("The survey cannot end before it starts."), field="ends_on")
    token = new_token()
    target = uploads_dir(instance_path) / f"{hashlib.sha256(token.encode()).hexdigest()[:32]}.upload"
    digest = hashlib.sha256()
    size = 0
    try:
        with target.open("xb") as out:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        os.chmod(target, 0o600)
        sha256 = digest.hexdigest()
        _check_not_imported(sha256)
        table = open_table(target, file_name)
        profiles, rows = profile(table)
        if rows == 0:
            raise ImportFileError(_l("The file has a header but no responses."))
    except DomainError as error:
        target.unlink(missing_ok=True)
        if error.field is None:
            error.field = "file"
        raise
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    from planner.surveys.mapping import suggest_mapping

    upload = SurveyUpload(
        token=target.name,
        file_name=Path(file_name).name[:255] or "survey.csv",
        file_size=size,
        sha256=sha256,
        uploaded_by_id=user.id,
        title=meta.title.strip()[:200],
        wave=(meta.wave or "").strip()[:100],
        starts_on=meta.starts_on,
        ends_on=meta.ends_on,
        header=table.header,
        profile=profiles,
        mapping=suggest_mapping(table.header, profiles, saved_mapping.mapping if saved_mapping else None,
                                fields=field_names()),
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def upload_path(upload: SurveyUpload, instance_path) -> Path:
    return uploads_dir(instance_path) / upload.token


def may_use_upload(user, upload: SurveyUpload) -> bool:
    """An upload belongs to whoever uploaded it (administrators may see all)."""
    return may_manage(user) and (upload.uploaded_by_id == user.id or has_role(user))


def discard_upload(user, upload: SurveyUpload, instance_path) -> None:
    require_manage(user)
    upload_path(upload, instance_path).unlink(missing_ok=True)
    _preview_cache_path(upload, instance_path).unlink(missing_ok=True)
    db.session.delete(upload)
    db.session.flush()


def purge_upload(upload: SurveyUpload, instance_path) -> None:
    """Retention (planner.privacy.retention): an upload never imported goes, file, preview and row."""
    upload_path(upload, instance_path).unlink(missing_ok=True)
    _preview_cache_path(upload, instance_path).unlink(missing_ok=True)
    db.session.delete(upload)
    db.session.flush()


def set_upload_mapping(user, upload: SurveyUpload, mapping: dict) -> list[str]:
    """Stores the mapping on the upload; returns the problems (nothing stored when there are any)."""
    require_manage(user)
    problems = validate_mapping(mapping, upload.header, upload.profile)
    if not problems:
        upload.mapping = mapping
        db.session.flush()
    return problems


# --- validating and storing rows ----------------------------------------------------------------------------

@dataclass
class Preview:
    rows: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    comments: int = 0
    answered: dict[str, int] = field(default_factory=dict)
    incomplete: int = 0  # rows without a submit date, left out
    # earlier surveys holding some of these responses: survey id → responses found again
    duplicates: dict[int, int] = field(default_factory=dict)
    by_submission: bool = False  # fingerprints from the response id and submit date (else with the answers)
    # comments longer than mapping.MAX_TEXT (kept up to that length, marked): how many, and the first (line, column)
    shortened: int = 0
    shortened_at: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rows > 0 and self.error_count == 0


def _check_rows(table, mapper: BatchMapper, writer: "_BatchWriter | None" = None, progress: Callable | None = None,
                batch_size: int = BATCH_SIZE) -> Preview:
    """One pass over the file in batches: counts, row errors (sorted by line and column) and, while the file is
    still free of errors, the batches handed to `writer`. ``progress(rows, bytes_read)`` is called per batch. The
    answers per question are counted for a preview (no writer) only."""
    result = Preview()
    # Millions of short-lived containers (csv rows, column tuples), none in a reference cycle: without the pause
    # every few thousand would start a collection over the whole heap (a third of the import's time).
    with collector_paused():
        _check_batches(table, mapper, writer, progress, batch_size, result)
    return result


def _check_batches(table, mapper: BatchMapper, writer, progress, batch_size: int, result: Preview) -> None:
    mapping = mapper.mapping
    position = {c: i for i, c in enumerate(table.header)}
    submitted = position.get(mapping.get("submitdate")) if not mapping.get("include_incomplete") else None
    response_id = position.get(mapping.get("response_id"))
    submit_column = position.get(mapping.get("submitdate"))
    result.by_submission = response_id is not None and submit_column is not None
    records = 0  # data records read so far, complete or not: a response's place in the file
    for batch in table.batches(batch_size):
        ordinals = range(records, records + len(batch.rows))
        records += len(batch.rows)
        if submitted is not None:
            complete = [i for i, row in enumerate(batch.rows) if row[submitted].strip()]
            if len(complete) < len(batch.rows):
                result.incomplete += len(batch.rows) - len(complete)
                batch.lines = [batch.lines[i] for i in complete]
                batch.rows = [batch.rows[i] for i in complete]
                ordinals = [ordinals[i] for i in complete]
        result.rows += len(batch)
        mapped = mapper.apply_batch(batch.lines, batch.rows, count_answers=writer is None)
        fingerprints = response_fingerprints(batch.rows, mapped.answers_json, response_id, submit_column, ordinals)
        _count_duplicates(fingerprints, result, exclude=writer.survey_id if writer is not None else None)
        errors = mapped.errors
        if batch.broken:
            errors = errors + [(e.line, -1, 0, e) for e in batch.broken]
        if errors:
            result.error_count += len(errors)
            if len(result.errors) < MAX_REPORTED_ERRORS:
                errors.sort(key=lambda e: e[:3])
                result.errors.extend(e[3] for e in errors[: MAX_REPORTED_ERRORS - len(result.errors)])
        else:
            result.comments += len(mapped.comments)
            result.shortened += len(mapped.shortened)
            result.shortened_at.extend(mapped.shortened[: MAX_REPORTED_SHORTENED - len(result.shortened_at)])
            for key, count in mapped.answered.items():
                result.answered[key] = result.answered.get(key, 0) + count
            if writer is not None and result.error_count == 0:
                writer.write(batch.lines, mapped.answers_json, mapped.comments, fingerprints)
        if progress is not None:
            progress(result.rows, batch.position)


_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%d.%m.%Y %H:%M:%S",
                 "%d.%m.%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%Y-%m-%d", "%d.%m.%Y")


def _minute(value: str) -> str:
    """A submit date to the minute, however a spreadsheet re-wrote it ("2022-07-01 10:15:30", "01.07.2022 10:15")."""
    text = value.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text[:19], fmt).strftime("%Y%m%d%H%M")
        except ValueError:
            continue
    return text


def response_fingerprints(rows: list[list[str]], answers_json: list[str], response_id: int | None,
                          submitted: int | None, ordinals=None) -> list[str]:
    """Per response, what makes it recognisable in another copy of the export: its response id with its submit
    date (LimeSurvey restarts ids per survey, the date tells them apart), or with its answers when there is no
    date; without an id, its answers at its place
    in the file (a copy keeps the order; another wave of a short survey has many identical answer patterns, but
    not at the same places)."""
    if response_id is not None and submitted is not None:
        keys = [f"{row[response_id].strip()}|{_minute(row[submitted])}" for row in rows]
        return [hashlib.sha256(k.encode()).hexdigest()[:32] for k in keys]
    if response_id is not None:  # an id without a date: ids restart in every survey, so the answers count too
        keys = [f"{row[response_id].strip()}|{text}" for row, text in zip(rows, answers_json, strict=True)]
        return [hashlib.sha256(k.encode()).hexdigest()[:32] for k in keys]
    ordinals = ordinals if ordinals is not None else range(len(answers_json))
    return ["a" + hashlib.sha256(f"{place}|{text}".encode()).hexdigest()[:31]
            for place, text in zip(ordinals, answers_json, strict=True)]


FINGERPRINTS_PER_QUERY = 500


def _count_duplicates(fingerprints: list[str], result: Preview, exclude: int | None) -> None:
    column = SurveyResponse.fingerprint
    for start in range(0, len(fingerprints), FINGERPRINTS_PER_QUERY):
        chunk = fingerprints[start:start + FINGERPRINTS_PER_QUERY]
        query = select(SurveyResponse.survey_id, column).where(column.in_(set(chunk))).distinct()
        if exclude is not None:
            query = query.where(SurveyResponse.survey_id != exclude)
        found: dict[int, set[str]] = {}
        for survey_id, fingerprint in db.session.execute(query):
            found.setdefault(survey_id, set()).add(fingerprint)
        for survey_id, matched in found.items():  # rows of this file found again, however often stored there
            result.duplicates[survey_id] = result.duplicates.get(survey_id, 0) + sum(fp in matched for fp in chunk)


def duplicate_of(result: Preview) -> tuple[Survey, int] | None:
    """The earlier survey that already holds these responses (and how many of them), if any: by response id and
    submit date any match is the same response; where the answers take part, half of the file must match (people
    answer alike)."""
    if not result.duplicates:
        return None
    survey_id, count = max(result.duplicates.items(), key=lambda item: item[1])
    if not result.by_submission and count < max(1, result.rows) / 2:
        return None
    return db.session.get(Survey, survey_id), count


class DuplicateResponses(DomainError):
    pass


def _refuse_duplicates(result: Preview) -> None:
    found = duplicate_of(result)
    if found:
        survey, count = found
        raise DuplicateResponses(_l(
            "%(count)s of these responses are already stored in the survey “%(title)s” (no. %(id)s), e.g. an Excel "
            "copy of the same export. Nothing was imported. Import anyway only if these are really other "
            "responses.", count=count, title=survey.title, id=survey.id), field="file")


def preview_file(path: Path, file_name: str, mapping: dict) -> Preview:
    """A full validation pass over the file: counts and row errors, nothing stored."""
    table = open_table(path, file_name)
    problems = validate_mapping(mapping, table.header)
    if problems:
        raise DomainError(problems[0])
    return _check_rows(table, BatchMapper(mapping, table.header))


def _preview_cache_path(upload: SurveyUpload, instance_path) -> Path:
    return uploads_dir(instance_path) / f"{upload.token}.preview.json"


def _preview_key(upload: SurveyUpload) -> str:
    """What the preview depends on: the file, the mapping and the language of its messages."""
    from flask_babel import get_locale

    text = json.dumps([upload.sha256, upload.mapping or {}, str(get_locale() or "")], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def preview_upload(upload: SurveyUpload, instance_path) -> Preview:
    """The validation pass over the upload, cached in a small JSON file beside it (instance/uploads/): the page is
    reloaded often, the file is only read again when the mapping (or the language) changed."""
    cache = _preview_cache_path(upload, instance_path)
    key = _preview_key(upload)
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("key") == key:
            return Preview(rows=data["rows"], error_count=data["error_count"],
                           errors=[RowError(*e) for e in data["errors"]], comments=data["comments"],
                           answered=data["answered"], incomplete=data["incomplete"],
                           duplicates={int(k): v for k, v in data["duplicates"].items()},
                           by_submission=data["by_submission"], shortened=data["shortened"],
                           shortened_at=[tuple(s) for s in data["shortened_at"]])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    result = preview_file(upload_path(upload, instance_path), upload.file_name, upload.mapping or {})
    payload = {"key": key, "rows": result.rows, "error_count": result.error_count,
               "errors": [[e.line, e.column, e.message] for e in result.errors], "comments": result.comments,
               "answered": result.answered, "incomplete": result.incomplete, "duplicates": result.duplicates,
               "by_submission": result.by_submission, "shortened": result.shortened,
               "shortened_at": [list(s) for s in result.shortened_at]}
    partial = cache.with_suffix(".tmp")
    partial.write_text(json.dumps(payload), encoding="utf-8")
    os.chmod(partial, 0o600)
    partial.replace(cache)
    return result


class _BatchWriter:
    """Writes a batch of responses with one executemany INSERT (no ORM objects) and its comments with a second one.

    The answers arrive as JSON text (BatchMapper). On SQLite the batch goes straight to the driver's cursor, in the
    session's connection and transaction (no SQLAlchemy parameter processing or result rows; its per-row parameter
    processing was once a third of the import's time). The writing transaction holds SQLite's only write lock, and
    SQLite gives a new row the rowid one above the largest: when the largest after the batch is the one before plus
    the batch's size, the rows got exactly those ids, in order, which gives the comments their response ids
    (otherwise they are read back). PostgreSQL with psycopg 3 gets COPY (see `_write_postgresql`). Other databases
    get a Core INSERT whose answers are bound as text and cast to the column's JSON type, with RETURNING
    (id, line_no) when the batch has comments."""

    def __init__(self, survey_id: int):
        self.survey_id = survey_id
        responses = SurveyResponse.__table__
        connection = db.session.connection()
        self.sqlite = connection.dialect.name == "sqlite"
        # psycopg 3 on PostgreSQL: COPY, the database's own bulk load.
        self.postgresql = connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg"
        answers = bindparam("answers", type_=Text)
        if not self.sqlite:
            answers = cast(answers, responses.c.answers.type)
        self.insert = responses.insert().values(
            survey_id=bindparam("survey_id"), line_no=bindparam("line_no"), answers=answers,
            fingerprint=bindparam("fingerprint"),
        )
        self.insert_returning = self.insert.returning(responses.c.id, responses.c.line_no)
        self.insert_comments = SurveyComment.__table__.insert()

    def write(self, lines: list[int], answers_json: list[str], comments: list[tuple[int, str, str]],
              fingerprints: list[str]) -> None:
        if not lines:
            return
        connection = db.session.connection()
        sid = self.survey_id
        if self.sqlite:
            self._write_sqlite(connection.connection.driver_connection.cursor(), lines, answers_json, comments,
                               fingerprints)
            return
        if self.postgresql:
            self._write_postgresql(connection.connection.driver_connection.cursor(), lines, answers_json, comments,
                                   fingerprints)
            return
        params = [{"survey_id": sid, "line_no": line, "answers": text, "fingerprint": fp}
                  for line, text, fp in zip(lines, answers_json, fingerprints, strict=True)]
        if not comments:
            connection.execute(self.insert, params)
            return
        ids = dict((line, id_) for id_, line in connection.execute(self.insert_returning, params))
        connection.execute(
            self.insert_comments,
            [{"survey_id": sid, "response_id": ids[lines[index]], "question_key": key, "line_no": lines[index],
              "text": text} for index, key, text in comments],
        )

    def _write_postgresql(self, cursor, lines, answers_json, comments, fingerprints) -> None:
        """COPY in the session's transaction; the ids come from the table's sequence first, so the comments
        know their responses without reading anything back."""
        sid = self.survey_id
        try:
            cursor.execute("SELECT nextval(pg_get_serial_sequence('survey_responses', 'id')) "
                           "FROM generate_series(1, %s)", (len(lines),))
            ids = [row[0] for row in cursor.fetchall()]
            with cursor.copy("COPY survey_responses (id, survey_id, line_no, answers, fingerprint) FROM STDIN") as copy:
                for row in zip(ids, repeat(sid), lines, answers_json, fingerprints, strict=False):
                    copy.write_row(row)
            if comments:
                columns = "survey_id, response_id, question_key, line_no, text"
                with cursor.copy(f"COPY survey_comments ({columns}) FROM STDIN") as copy:  # noqa: S608 - fixed
                    for index, key, text in comments:
                        copy.write_row((sid, ids[index], key, lines[index], text))
        finally:
            cursor.close()

    def _write_sqlite(self, cursor, lines, answers_json, comments, fingerprints) -> None:
        sid = self.survey_id
        try:
            (before,) = cursor.execute("SELECT coalesce(max(id), 0) FROM survey_responses").fetchone()
            _insert_many(cursor, "INSERT INTO survey_responses (survey_id, line_no, answers, fingerprint) VALUES ",
                         "(?,?,?,?)", list(zip(repeat(sid), lines, answers_json, fingerprints, strict=False)))
            if not comments:
                return
            (last,) = cursor.execute("SELECT max(id) FROM survey_responses").fetchone()
            if last == before + len(lines):  # the usual rowids: one more than the largest, row by row
                comment_rows = [(sid, before + 1 + index, key, lines[index], text) for index, key, text in comments]
            else:  # e.g. the largest possible rowid was taken and SQLite chose random ones: read them back
                by_line = dict(cursor.execute(
                    "SELECT line_no, id FROM survey_responses WHERE survey_id = ? AND line_no BETWEEN ? AND ?",
                    (sid, lines[0], lines[-1])))
                comment_rows = [(sid, by_line[lines[index]], key, lines[index], text) for index, key, text in comments]
            _insert_many(
                cursor, "INSERT INTO survey_comments (survey_id, response_id, question_key, line_no, text) VALUES ",
                "(?,?,?,?,?)", comment_rows,
            )
        finally:
            cursor.close()


ROWS_PER_STATEMENT = 100  # SQLite: multi-row VALUES, far below its limit of 32,766 parameters per statement


def _insert_many(cursor, head: str, placeholder: str, rows: list[tuple]) -> None:
    """INSERTs `rows` with ROWS_PER_STATEMENT rows per statement (one executemany over those statements, then one
    statement for the rest): a third less time than one statement per row, the same rows in the same order."""
    per = ROWS_PER_STATEMENT
    full = len(rows) - len(rows) % per
    if full:
        cursor.executemany(head + ",".join([placeholder] * per),
                           [tuple(chain.from_iterable(rows[i:i + per])) for i in range(0, full, per)])
    if full < len(rows):
        cursor.execute(head + ",".join([placeholder] * (len(rows) - full)), tuple(chain.from_iterable(rows[full:])))


def _mapping_lookups(mapping: dict) -> tuple[dict[str, int], set[int]]:
    from planner.fields.models import ActionField
    from planner.findings.models import Measure

    codes = dict(db.session.execute(select(ActionField.code, ActionField.id)).all())
    measure_ids = set(db.session.scalars(select(Measure.id)).all())
    return codes, measure_ids


def import_file(
    user,
    path: Path,
    file_name: str,
    mapping: dict,
    meta: UploadMeta,
    file_size: int | None = None,
    sha256: str | None = None,
    progress: Callable | None = None,
    batch_size: int = BATCH_SIZE,
    allow_duplicates: bool = False,
) -> Survey:
    """Imports a whole file in the current transaction: all rows, or none (raises ImportRejected).

    Incomplete responses (no submit date, when the mapping names that column) are left out and counted; responses
    already stored in another survey are refused (DuplicateResponses) unless ``allow_duplicates``."""
    path = Path(path)
    if sha256 is None:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        sha256 = digest.hexdigest()
    _check_not_imported(sha256)
    table = open_table(path, file_name)
    problems = validate_mapping(mapping, table.header)
    if problems:
        raise DomainError(problems[0])
    if not meta.title.strip():
        raise DomainError(_l("A title is required."), field="title")
    survey = Survey(
        title=meta.title.strip()[:200], wave=(meta.wave or "").strip()[:100], starts_on=meta.starts_on,
        ends_on=meta.ends_on, file_name=Path(file_name).name[:255], file_size=file_size or path.stat().st_size,
        sha256=sha256, imported_by_id=getattr(user, "id", None), mapping=mapping,
    )
    db.session.add(survey)
    db.session.flush()
    mapper = BatchMapper(mapping, table.header)
    writer = _BatchWriter(survey.id)
    result = _check_rows(table, mapper, writer=writer, progress=progress, batch_size=batch_size)
    if result.error_count:
        raise ImportRejected(result.errors, result.error_count)
    if result.rows == 0:
        if result.incomplete:
            raise ImportFileError(_l("The file holds no complete response (%(count)s incomplete ones without a "
                                     "submit date).", count=result.incomplete))
        raise ImportFileError(_l("The file has a header but no responses."))
    if not allow_duplicates:
        _refuse_duplicates(result)
    survey.response_count = result.rows
    survey.incomplete_count = result.incomplete
    _store_questions(survey, mapping, mapper.options())
    db.session.flush()
    return survey


def _store_questions(survey: Survey, mapping: dict, options: dict[str, list[str]]) -> None:
    codes, measure_ids = _mapping_lookups(mapping)
    for position, q in enumerate(mapping["questions"]):
        kind = QuestionKind(q["kind"])
        if kind == QuestionKind.IGNORE:
            continue
        option_fields = {k: v for k, v in (q.get("option_fields") or {}).items() if v in codes}
        option_measures = {
            k: int(v) for k, v in (q.get("option_measures") or {}).items() if str(v).isdigit() and int(v) in measure_ids
        }
        measure = q.get("measure")
        stored_options = options.get(q["key"], list(q.get("options") or []))
        if kind == QuestionKind.DEMOGRAPHIC:  # districts I–IX, age groups ascending: however the file ordered them
            stored_options = natural_order(stored_options)
        db.session.add(
            SurveyQuestion(
                survey_id=survey.id, key=q["key"], text=(q.get("text") or q["key"])[:500], kind=kind,
                scale=int(q.get("scale") or 5) if kind == QuestionKind.RATING else None, position=position,
                direction=q.get("direction") or "higher",
                columns=list(q["columns"]), options=stored_options,
                option_fields=option_fields, option_measures=option_measures,
                field_id=codes.get(q.get("field") or ""),
                measure_id=int(measure) if str(measure or "").isdigit() and int(measure) in measure_ids else None,
                headline=q.get("headline") or None,
            )
        )


def runs_in_background(upload: SurveyUpload, config) -> bool:
    """Large uploads are imported by a background job (planner.surveys.tasks); small ones in the request."""
    return upload.file_size >= int(config.get("SURVEY_BACKGROUND_BYTES", BACKGROUND_BYTES))


def import_upload(user, upload: SurveyUpload, instance_path, progress: Callable | None = None,
                  allow_duplicates: bool = False) -> Survey:
    """Imports the confirmed upload (one transaction) and deletes the raw file and the upload record."""
    require_manage(user)
    path = upload_path(upload, instance_path)
    if not path.exists():
        raise DomainError(_l("The uploaded file is no longer there. Please upload it again."))
    survey = import_file(
        user, path, upload.file_name, upload.mapping or {},
        UploadMeta(upload.title, upload.wave, upload.starts_on, upload.ends_on),
        file_size=upload.file_size, sha256=upload.sha256, progress=progress, allow_duplicates=allow_duplicates,
    )
    db.session.delete(upload)
    db.session.flush()
    return survey


def remove_upload_file(upload_token: str, instance_path) -> None:
    """Retention: after the import commits, the raw upload is deleted."""
    (uploads_dir(instance_path) / upload_token).unlink(missing_ok=True)
    (uploads_dir(instance_path) / f"{upload_token}.preview.json").unlink(missing_ok=True)


def delete_survey(user, survey: Survey) -> None:
    """Deletes the survey with all its questions, responses and comments (needs keep their text)."""
    require_manage(user)
    require_current_process(survey.process_id)
    survey_id = survey.id
    db.session.execute(delete(SurveyComment).where(SurveyComment.survey_id == survey_id))
    db.session.execute(delete(SurveyResponse).where(SurveyResponse.survey_id == survey_id))
    db.session.execute(delete(SurveyQuestion).where(SurveyQuestion.survey_id == survey_id))
    db.session.expire(survey, ["questions"])
    db.session.delete(survey)
    db.session.flush()


# --- saved mappings -----------------------------------------------------------------------------------------

def save_mapping(user, name: str, mapping: dict) -> SavedMapping:
    require_manage(user)
    name = (name or "").strip()[:120]
    if not name:
        raise DomainError(_l("Please give the mapping a name."), field="save_as")
    if not isinstance(mapping, dict) or not isinstance(mapping.get("questions"), list):
        raise DomainError(_l("The mapping is not valid (a list of questions is missing)."), field="file")
    clean = {"version": MAPPING_VERSION, "questions": mapping["questions"]}
    existing = db.session.scalar(select(SavedMapping).where(SavedMapping.name == name))
    if existing:
        existing.mapping = clean
        db.session.flush()
        return existing
    saved = SavedMapping(name=name, mapping=clean, created_by_id=user.id)
    db.session.add(saved)
    db.session.flush()
    return saved


def delete_mapping(user, saved: SavedMapping) -> None:
    require_manage(user)
    db.session.delete(saved)
    db.session.flush()


# --- comments ---------------------------------------------------------------------------------------------

def comments_query(survey_id: int, search: str | None = None, field_id: int | None = None, untagged=False):
    stmt = select(SurveyComment).where(SurveyComment.survey_id == survey_id)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(SurveyComment.text.ilike(pattern, escape="\\"))
    if field_id:
        stmt = stmt.where(SurveyComment.field_id == field_id)
    elif untagged:
        stmt = stmt.where(SurveyComment.field_id.is_(None))
    return stmt.order_by(SurveyComment.id)


def tag_comment(user, comment: SurveyComment, field_id: int | None) -> SurveyComment:
    require_manage(user)
    require_current_process(comment.survey.process_id)
    from planner.fields.models import ActionField

    if field_id is not None and db.session.get(ActionField, field_id) is None:
        raise DomainError(_l("Unknown action field."), field="field")
    comment.field_id = field_id
    db.session.flush()
    return comment


def promote_comment(user, comment: SurveyComment, field_id: int, text: str | None = None):
    """Creates a need (Handlungsbedarf) from a comment; the comment keeps the link to it."""
    require_manage(user)
    require_current_process(comment.survey.process_id)
    from planner.fields.models import ActionField
    from planner.findings.models import Finding, FindingKind

    if comment.need_id is not None:
        raise DomainError(_l("This comment has already become a need."))
    if not isinstance(field_id, int) or db.session.get(ActionField, field_id) is None:
        raise DomainError(_l("Please choose an action field."), field="field")
    text = (text or "").strip() or comment.text.strip()
    if len(text) > 5000:
        raise DomainError(_l("The text is too long (at most 5,000 characters)."), field="text")
    need = Finding(kind=FindingKind.NEED, field_id=field_id, workshop_id=None, text=text)
    db.session.add(need)
    db.session.flush()
    comment.need_id = need.id
    if comment.field_id is None:
        comment.field_id = field_id
    db.session.flush()
    return need


# --- prioritisation -------------------------------------------------------------------------------------------

def weights_row() -> PriorityWeights:
    row = db.session.scalars(select(PriorityWeights).order_by(PriorityWeights.id)).first()
    if row is None:
        row = PriorityWeights()
        db.session.add(row)
        db.session.flush()
    return row


def weights_version() -> int:
    """The version the weights form starts from: 0 while the default weights were never saved."""
    row = db.session.scalars(select(PriorityWeights).order_by(PriorityWeights.id)).first()
    return row.version if row is not None else 0


def set_weights(user, weights: dict[str, float], *, version: int | None = None) -> PriorityWeights:
    """Saves the weights; a save based on an older version (``version`` from the form) raises StaleVersion."""
    require_manage(user)
    if parse_version(version) is not None and parse_version(version) != weights_version():
        raise StaleVersion(STALE_MESSAGE)
    for key in WEIGHT_KEYS:
        value = weights.get(key)
        if value is None or not 0 <= float(value) <= 1:
            raise DomainError(_l("Each weight lies between 0 and 1."), field=key)
    if sum(float(weights[k]) for k in WEIGHT_KEYS) <= 0:
        raise DomainError(_l("At least one weight must be above 0."), field="citizen")
    row = weights_row()
    for key in WEIGHT_KEYS:
        setattr(row, key, round(float(weights[key]), 4))
    save_version(row)
    return row


def rate(user, *, field_id: int | None = None, measure_id: int | None = None, values: dict[str, int | None]):
    """Sets the expert rating of a field or a measure (each criterion 1–5 or empty)."""
    require_manage(user)
    if (field_id is None) == (measure_id is None):
        raise DomainError(_l("Rate either an action field or a measure."))
    for key, value in values.items():
        if value is not None and not 1 <= int(value) <= 5:
            raise DomainError(_l("Ratings lie between 1 and 5."), field=key)
    condition = ExpertRating.field_id == field_id if field_id else ExpertRating.measure_id == measure_id
    rating = db.session.scalar(select(ExpertRating).where(condition))
    if rating is None:
        rating = ExpertRating(field_id=field_id, measure_id=measure_id)
        db.session.add(rating)
    for key in ("impact", "feasibility", "cost", "urgency"):
        if key in values:
            setattr(rating, key, None if values[key] is None else int(values[key]))
    rating.updated_by_id = user.id
    db.session.flush()
    return rating


def ratings_of(field_ids, measure_ids) -> tuple[dict[int, ExpertRating], dict[int, ExpertRating]]:
    """The stored expert ratings of these fields and measures (field id → rating, measure id → rating)."""
    by_field = {r.field_id: r for r in _ratings(ExpertRating.field_id, field_ids)}
    by_measure = {r.measure_id: r for r in _ratings(ExpertRating.measure_id, measure_ids)}
    return by_field, by_measure


def _ratings(column, ids) -> list[ExpertRating]:
    return db.session.scalars(select(ExpertRating).where(column.in_(list(ids)))).all() if ids else []


def rate_many(user, *, fields: dict[int, dict], measures: dict[int, dict]) -> int:
    """Saves the expert ratings of one page of the ratings form: exactly these fields and open measures.

    Values are {criterion: 1–5 or None}; an item without a stored rating and without values is skipped. An
    unknown (or rejected or merged) id or a value outside 1–5 raises before anything changes. Returns the
    number of ratings written."""
    require_manage(user)
    from planner.fields.models import ActionField
    from planner.findings.models import Measure
    from planner.surveys.prioritisation import EXCLUDED_MEASURE_STATUSES

    stale = DomainError(_l("The form is out of date; nothing was saved. Please reload the page."))
    if fields and len(db.session.scalars(select(ActionField.id).where(ActionField.id.in_(list(fields)))).all()) \
            != len(fields):
        raise stale
    if measures:
        known = db.session.scalars(select(Measure.id).where(
            Measure.id.in_(list(measures)), Measure.status.not_in(EXCLUDED_MEASURE_STATUSES))).all()
        if len(known) != len(measures):
            raise stale
    for values in chain(fields.values(), measures.values()):
        for key, value in values.items():
            if key not in ("impact", "feasibility", "cost", "urgency"):
                raise stale
            if value is not None and not 1 <= int(value) <= 5:
                raise DomainError(_l("Ratings lie between 1 and 5."), field=key)
    by_field, by_measure = ratings_of(fields, measures)
    written = 0
    for lookup, given, stored in (("field_id", fields, by_field), ("measure_id", measures, by_measure)):
        for item_id, values in given.items():
            rating = stored.get(item_id)
            if rating is None:
                if all(v is None for v in values.values()):
                    continue
                rating = ExpertRating(**{lookup: item_id})
                db.session.add(rating)
            for key, value in values.items():
                setattr(rating, key, value)
            rating.updated_by_id = user.id
            written += 1
    db.session.flush()
    return written


def ranking_entries(fields, measures) -> dict:
    """The ranking as the priorities page, a frozen run, the CLI and the paper carry it: scores on 0–1,
    ``expert_score`` None where not rated, coverage the share of the weights the item's criteria carry."""
    def entry(item) -> dict:
        return {"citizen_score": _round(item.citizen), "expert_score": _round(item.expert),
                "blended_score": round(item.score, 6), "coverage": round(item.coverage, 6), "rank": item.rank}

    return {
        "fields": [{"code": i.code, **entry(i)} for i in fields],
        "measures": [{"number": i.code, "field": i.field_code, **entry(i)} for i in measures],
    }


def set_survey_counts(user, survey: Survey, counts: bool) -> Survey:
    """Whether a survey counts in the prioritisation (a pilot or a duplicate copy does not)."""
    require_manage(user)
    require_current_process(survey.process_id)
    survey.counts_in_priorities = counts
    db.session.flush()
    return survey


def freeze_run(user, name: str, frozen_at=None) -> PriorityRun:
    """Freezes the current prioritisation: weights, the surveys counted, scores and ranks never change."""
    require_manage(user)
    from planner.surveys.prioritisation import counting_survey_ids, current_weights, prioritise

    name = (name or "").strip()[:200]
    if not name:
        raise DomainError(_l("Please name the run."), field="name")
    weights = current_weights()
    survey_ids = counting_survey_ids()
    fields, measures = prioritise(weights, survey_ids)
    run = PriorityRun(
        name=name,
        frozen_at=frozen_at or utcnow(),
        frozen_by_id=user.id,
        weights=weights,
        results={
            "fields": [
                {"field_code": i.code, "field_id": i.id, "label": i.label, "score": round(i.score, 6), "rank": i.rank,
                 "citizen": _round(i.citizen), "expert": _round(i.expert), "coverage": round(i.coverage, 6)}
                for i in fields
            ],
            "measures": [
                {"measure_id": i.id, "code": i.code, "label": i.label, "field_code": i.field_code,
                 "score": round(i.score, 6), "rank": i.rank, "citizen": _round(i.citizen), "expert": _round(i.expert),
                 "coverage": round(i.coverage, 6)}
                for i in measures
            ],
            "surveys": survey_ids,
            "method": "top_two",
        },
    )
    db.session.add(run)
    db.session.flush()
    return run


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def survey_list_query(process=None):
    """The surveys of a strategy process (all of them without one)."""
    from planner.fields.models import in_process

    stmt = select(Survey).order_by(Survey.imported_at.desc(), Survey.id.desc())
    return stmt.where(in_process(Survey.process_id, process)) if process is not None else stmt


def comment_counts(survey_ids) -> dict[int, int]:
    if not survey_ids:
        return {}
    return dict(
        db.session.execute(
            select(SurveyComment.survey_id, func.count())
            .where(SurveyComment.survey_id.in_(survey_ids))
            .group_by(SurveyComment.survey_id)
        ).all()
    )

