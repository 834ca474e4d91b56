"""Backup and restore: one file (a gzip-compressed tar archive) with the database and the instance files rows
point to, and a manifest of SHA-256 checksums that a restore checks before it changes anything.

The archive holds:

- ``database.jsonl``: the rows, portable JSON lines (one header line, then one line per row, tables in
  dependency order). The snapshot is consistent while the app keeps writing: on SQLite the database is first
  copied with the online backup API (a single consistent snapshot, WAL-safe) and the rows are read from that
  copy; on other databases every table is read inside one REPEATABLE READ transaction. The format does not depend
  on the database, so a backup of SQLite restores into PostgreSQL and the other way round.
- ``files/<folder>/...``: the instance folders in INSTANCE_FOLDERS (job results, uploaded surveys), taken after
  the database snapshot, so every file a row of the snapshot names is there (unfinished ``*.part`` files are not).
- ``manifest.json``: format, version, when, the schema revision, rows per table, and size and SHA-256 of every
  other member.

Not in the backup, on purpose (docs/operations.md): the secret key (``instance/secret_key``: whoever holds it can
sign sessions; a restore on a new machine makes a new one, which signs everyone out), the published-exports cache
(made again on the next download), the development mail outbox, the job queue (queued and running jobs are marked
failed on restore, with "Retry"), rate-limit counters (short-lived) and log files.

The backup file is created 0600; a folder it creates is 0700.
"""

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import stat
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import Path, PurePosixPath

from flask import current_app
from sqlalchemy import Enum as SAEnum
from sqlalchemy import create_engine, delete, func, inspect, select, text, update
from sqlalchemy.engine import Connection

from planner.extensions import db

FORMAT = "planner-backup"
VERSION = 2
DATABASE_MEMBER = "database.jsonl"
MANIFEST_MEMBER = "manifest.json"
FILES_PREFIX = "files/"
# Instance folders a restore needs: rows point into them (jobs.result_path, survey_uploads.token).
INSTANCE_FOLDERS = ("jobs", "uploads")
PARTIAL_SUFFIX = ".part"
CHUNK = 1024 * 1024


class RestoreError(Exception):
    pass


def _encode(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, bytes | memoryview):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _decode(value, column):
    if isinstance(value, dict) and len(value) == 1:
        (key, raw), = value.items()
        if key == "$datetime":
            return datetime.fromisoformat(raw)
        if key == "$date":
            return date.fromisoformat(raw)
        if key == "$time":
            return time.fromisoformat(raw)
        if key == "$decimal":
            return Decimal(raw)
        if key == "$bytes":
            return base64.b64decode(raw)
    if value is not None and isinstance(column.type, SAEnum) and column.type.enum_class is not None:
        return column.type.enum_class(value)
    return value


# Not backed up: short-lived counters (they expire within the hour and are keyed with the secret key).
EXCLUDED_TABLES = frozenset({"rate_limit_counters"})


def tables():
    return [t for t in db.metadata.sorted_tables if t.name not in EXCLUDED_TABLES]


@contextmanager
def _snapshot_connection() -> Iterator[Connection]:
    engine = db.engine
    if engine.dialect.name == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "snapshot.sqlite3"
            raw = engine.raw_connection()
            try:
                target = sqlite3.connect(copy)
                raw.driver_connection.backup(target)  # the online backup API: one consistent snapshot
                target.close()
            finally:
                raw.close()
            snapshot = create_engine(f"sqlite:///{copy}")
            try:
                with snapshot.connect() as conn:
                    yield conn
            finally:
                snapshot.dispose()
    else:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            yield conn


@dataclass
class BackupReport:
    path: Path
    rows: dict[str, int]
    files: int
    file_bytes: int
    warnings: list[str] = field(default_factory=list)


@dataclass
class RestoreReport:
    rows: dict[str, int]
    files: int
    # What the restore had to repair so no row points at nothing (e.g. "job 7: result file missing").
    repaired: list[str] = field(default_factory=list)


def default_backup_path(instance_path: str | Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Path(instance_path) / "backups" / f"planner-{stamp}.tar.gz"


def _private_folder(folder: Path) -> list[str]:
    """Creates ``folder`` (and missing parents) 0700; returns a warning when an existing one is open to others."""
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True)
        os.chmod(folder, 0o700)  # whatever the umask
        return []
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o077:
        return [f"the folder {folder} can be opened by other users of this machine (mode {mode:o}); "
                f"keep backups in a folder only the planner's user can open (chmod 700)"]
    return []


def _private_file(path: Path):
    """Opens ``path`` for writing, created 0600 (never readable by others, also not for a moment)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


def _digest(fh) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := fh.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _write_rows(conn: Connection, out) -> dict[str, int]:
    counts: dict[str, int] = {}
    header = {"format": FORMAT, "version": VERSION, "tables": [t.name for t in tables()]}
    out.write(json.dumps(header) + "\n")
    for table in tables():
        order = list(table.primary_key.columns) or list(table.columns)
        n = 0
        for row in conn.execute(select(table).order_by(*order)).mappings():
            out.write(json.dumps({"t": table.name, "r": {k: _encode(v) for k, v in row.items()}},
                                 ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
        counts[table.name] = n
    return counts


def _schema_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _instance_files(instance: Path) -> Iterator[tuple[Path, str]]:
    for folder in INSTANCE_FOLDERS:
        root = instance / folder
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink() and not path.name.endswith(PARTIAL_SUFFIX):
                yield path, path.relative_to(instance).as_posix()


def backup(path: str | Path | None = None) -> BackupReport:
    """Writes the database and the instance files a restore needs to ``path`` (default: a new file in
    instance/backups/); the file is 0600, a folder created for it 0700."""
    instance = Path(current_app.instance_path)
    path = Path(path) if path else default_backup_path(instance)
    warnings = _private_folder(path.parent)
    tmp = path.with_name(path.name + PARTIAL_SUFFIX)
    entries: list[dict] = []
    n_files = n_bytes = 0
    try:
        with tempfile.TemporaryDirectory() as work:
            rows_file = Path(work) / DATABASE_MEMBER
            with _snapshot_connection() as conn, rows_file.open("w", encoding="utf-8") as out:
                counts = _write_rows(conn, out)
                revision = _schema_revision(conn)
            with _private_file(tmp) as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                with rows_file.open("rb") as fh:
                    sha, size = _digest(fh)
                tar.add(rows_file, arcname=DATABASE_MEMBER, recursive=False)
                entries.append({"name": DATABASE_MEMBER, "sha256": sha, "size": size})
                for file, relative in _instance_files(instance):
                    try:
                        with file.open("rb") as fh:
                            data = fh.read()  # read once: the bytes archived are the bytes checksummed
                    except FileNotFoundError:  # removed since it was listed (e.g. a job deleted meanwhile)
                        continue
                    name = FILES_PREFIX + relative
                    info = tarfile.TarInfo(name)
                    info.size, info.mode, info.mtime = len(data), 0o600, int(file.stat().st_mtime)
                    tar.addfile(info, io.BytesIO(data))
                    entries.append({"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
                    n_files += 1
                    n_bytes += len(data)
                manifest = {
                    "format": FORMAT, "version": VERSION, "created_at": datetime.now(UTC).isoformat(),
                    "database": db.engine.dialect.name, "schema_revision": revision, "rows": counts,
                    "instance_folders": list(INSTANCE_FOLDERS), "members": entries,
                }
                data = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
                info = tarfile.TarInfo(MANIFEST_MEMBER)
                info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
                tar.addfile(info, io.BytesIO(data))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return BackupReport(path=path, rows=counts, files=n_files, file_bytes=n_bytes, warnings=warnings)


def non_empty_tables() -> list[str]:
    return [t.name for t in tables() if db.session.scalar(select(func.count()).select_from(t))]


def _safe_member_name(name: str) -> bool:
    if name in (DATABASE_MEMBER, MANIFEST_MEMBER):
        return True
    pure = PurePosixPath(name)
    return (name.startswith(FILES_PREFIX) and not pure.is_absolute() and ".." not in pure.parts
            and len(pure.parts) >= 3 and pure.parts[1] in INSTANCE_FOLDERS)


def _check_compression(path: str | Path) -> None:
    """Decompresses the whole file once: gzip's own check (CRC-32 and length at its end) finds a cut-off file or
    a changed byte anywhere, also where tar would stop reading early."""
    try:
        with gzip.open(path, "rb") as fh:
            first = fh.read(CHUNK)
            while fh.read(CHUNK):
                pass
    except gzip.BadGzipFile as error:
        if "Not a gzipped file" in str(error):
            raise RestoreError("this is not a planner backup file (not a .tar.gz)") from error
        raise RestoreError(f"the backup file is damaged ({error}); nothing was restored") from error
    except (EOFError, zlib.error, OSError) as error:
        raise RestoreError(f"the backup file is damaged or incomplete ({error}); nothing was restored") from error
    if not first:
        raise RestoreError("the backup file is empty")


def verify(path: str | Path) -> dict:
    """Reads the whole archive and checks every member against the manifest; returns the manifest.
    RestoreError when the file is not a planner backup, is damaged, incomplete or altered."""
    _check_compression(path)
    found: dict[str, tuple[str, int]] = {}
    manifest_bytes = None
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for member in tar:
                if not member.isfile() or not _safe_member_name(member.name):
                    raise RestoreError(f"the backup holds an unexpected entry: {member.name!r}")
                if member.name in found:
                    raise RestoreError(f"the backup holds {member.name!r} twice")
                fh = tar.extractfile(member)
                if member.name == MANIFEST_MEMBER:
                    manifest_bytes = fh.read()
                    found[member.name] = ("", len(manifest_bytes))
                else:
                    found[member.name] = _digest(fh)
    except RestoreError:
        raise
    except (tarfile.ReadError, tarfile.CompressionError) as error:
        if not found:
            raise RestoreError("this is not a planner backup file (or it is damaged at its start)") from error
        raise RestoreError(f"the backup file is damaged or incomplete ({error}); nothing was restored") from error
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise RestoreError(f"the backup file is damaged or incomplete ({error}); nothing was restored") from error
    if manifest_bytes is None:
        raise RestoreError("the backup file is damaged or incomplete: it has no manifest; nothing was restored")
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError as error:
        raise RestoreError("the backup's manifest is damaged") from error
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise RestoreError("this is not a planner backup file (or from an unknown version)")
    expected = {m["name"]: (m["sha256"], m["size"]) for m in manifest.get("members", [])}
    actual = {name: value for name, value in found.items() if name != MANIFEST_MEMBER}
    if DATABASE_MEMBER not in expected:
        raise RestoreError("the backup's manifest names no database")
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    changed = sorted(name for name in set(expected) & set(actual) if expected[name] != actual[name])
    if missing or extra or changed:
        parts = []
        if missing:
            parts.append(f"missing: {', '.join(missing[:5])}")
        if changed:
            parts.append(f"checksum wrong: {', '.join(changed[:5])}")
        if extra:
            parts.append(f"not in the manifest: {', '.join(extra[:5])}")
        raise RestoreError(f"the backup does not match its manifest ({'; '.join(parts)}); nothing was restored")
    return manifest


def _occupied_instance_folders(instance: Path) -> list[str]:
    return [folder for folder in INSTANCE_FOLDERS
            if (instance / folder).is_dir() and any(p.is_file() for p in (instance / folder).rglob("*"))]


def restore(path: str | Path, batch_size: int = 500) -> RestoreReport:
    """Restores a backup into an empty database (tables must exist: run ``flask db upgrade`` first) and an
    instance folder without job results or uploads. Checks the whole file first: a damaged, cut-off or altered
    file changes nothing. Flushes only; the caller commits (and rolls back on RestoreError)."""
    manifest = verify(path)
    existing = set(inspect(db.engine).get_table_names())
    missing = [t.name for t in tables() if t.name not in existing]
    if missing:
        raise RestoreError(f"the database has no tables {', '.join(missing[:5])}...: run 'flask db upgrade' first")
    with db.engine.connect() as conn:
        revision = _schema_revision(conn)
    if manifest.get("schema_revision") and revision and manifest["schema_revision"] != revision:
        raise RestoreError(f"the backup was made with schema revision {manifest['schema_revision']}, this "
                           f"database is at {revision}: restore with the planner version that made the backup")
    filled = non_empty_tables()
    if filled:
        raise RestoreError(f"the database is not empty (tables with rows: {', '.join(filled)}); "
                           "restore only into an empty database")
    instance = Path(current_app.instance_path)
    occupied = _occupied_instance_folders(instance)
    if occupied:
        raise RestoreError(f"the instance folder already holds files in {', '.join(occupied)}; "
                           "restore only into a new installation")
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=instance))
    try:
        counts, n_files = _restore_contents(path, staging, instance, batch_size)
        repaired = _repair_file_references(instance)
    except BaseException:
        remove_restored_files(instance)  # they held no files before (checked above)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreReport(rows=counts, files=n_files, repaired=repaired)


def _restore_contents(path, staging: Path, instance: Path, batch_size: int) -> tuple[dict[str, int], int]:
    counts: dict[str, int] = {}
    n_files = 0
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for member in tar:
                fh = tar.extractfile(member)
                if member.name == DATABASE_MEMBER:
                    counts = _load_rows(io.TextIOWrapper(fh, encoding="utf-8"), batch_size)
                elif member.name.startswith(FILES_PREFIX):
                    target = staging / member.name.removeprefix(FILES_PREFIX)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with _private_file(target) as out:
                        shutil.copyfileobj(fh, out, CHUNK)
                    n_files += 1
        _reset_sequences()
        for folder in INSTANCE_FOLDERS:
            if (staging / folder).is_dir():
                (instance / folder).mkdir(exist_ok=True)
                for item in (staging / folder).iterdir():
                    item.replace(instance / folder / item.name)
    except (tarfile.TarError, EOFError, zlib.error) as error:  # changed between verify and now
        raise RestoreError(f"the backup file could not be read to the end ({error}); nothing was restored") from error
    return counts, n_files


def remove_restored_files(instance: str | Path) -> None:
    """Undoes the file part of a restore whose database part could not be committed."""
    for folder in INSTANCE_FOLDERS:
        shutil.rmtree(Path(instance) / folder, ignore_errors=True)


def _load_rows(fh, batch_size: int) -> dict[str, int]:
    by_name = {t.name: t for t in tables()}
    counts: dict[str, int] = {}
    header = json.loads(fh.readline() or "{}")
    if header.get("format") != FORMAT:
        raise RestoreError("the backup's database part is not from the planner")
    batch: list[dict] = []
    current = None

    def flush():
        if batch:
            db.session.execute(current.insert(), batch)
            batch.clear()

    for line in fh:
        item = json.loads(line)
        table = by_name.get(item["t"])
        if table is None:
            raise RestoreError(f"unknown table in backup: {item['t']}")
        if table is not current:
            flush()
            current = table
        batch.append({k: _decode(v, table.c[k]) for k, v in item["r"].items() if k in table.c})
        counts[table.name] = counts.get(table.name, 0) + 1
        if len(batch) >= batch_size:
            flush()
    flush()
    return counts


def _repair_file_references(instance: Path) -> list[str]:
    """After a restore no row points at a missing file, and no job waits for a queue the backup does not hold:
    a job's missing result is unlinked (with a note on the job), a survey upload without its file is dropped
    (it was waiting for its import; upload it again), queued and running jobs are marked failed ("Retry")."""
    from flask_babel import gettext

    from planner.core.models import utcnow
    from planner.jobs.models import JobStatus

    notes: list[str] = []
    by_name = {t.name: t for t in tables()}
    jobs = by_name.get("jobs")
    if jobs is not None:
        for job_id, result_path in db.session.execute(
                select(jobs.c.id, jobs.c.result_path).where(jobs.c.result_path.is_not(None))).all():
            file = (instance / result_path).resolve()
            if not file.is_relative_to(instance.resolve()) or not file.is_file():
                db.session.execute(update(jobs).where(jobs.c.id == job_id).values(
                    result_path=None, result_name=None,
                    error=gettext("The result file was not in the backup this installation was restored from.")))
                notes.append(f"job {job_id}: result file missing, link removed")
        unfinished = db.session.scalars(
            select(jobs.c.id).where(jobs.c.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))).all()
        if unfinished:
            db.session.execute(update(jobs).where(jobs.c.id.in_(unfinished)).values(
                status=JobStatus.FAILED, finished_at=utcnow(),
                error=gettext("The job was interrupted by a restore from a backup; start it again with “Retry”.")))
            notes.extend(f"job {job_id}: was waiting or running at backup time, marked failed" for job_id in unfinished)
    uploads = by_name.get("survey_uploads")
    if uploads is not None:
        for upload_id, token in db.session.execute(select(uploads.c.id, uploads.c.token)).all():
            if not (instance / "uploads" / token).is_file():
                db.session.execute(delete(uploads).where(uploads.c.id == upload_id))
                notes.append(f"survey upload {upload_id}: file missing, upload removed (upload it again)")
    db.session.flush()
    return notes


def _reset_sequences() -> None:
    if db.engine.dialect.name != "postgresql":
        return
    for table in tables():
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].autoincrement in (True, "auto") and pk[0].type.python_type is int:
            # Table and column names come from our own metadata, never from input.
            column = pk[0]
            next_id = select(func.coalesce(func.max(column), 0) + 1).scalar_subquery()
            db.session.execute(select(func.setval(func.pg_get_serial_sequence(table.name, column.name), next_id,
                                                  False)))
