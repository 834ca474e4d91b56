"""One registry of every place where the planner keeps personal data.

Each place is a ``Store``: what it holds (key, label, purpose, categories of data and of people, recipients, the
retention rule) and two callables, ``export(subject)`` and ``erase(subject)``. The GDPR export (Art. 15/20) and the
erasure (Art. 17) in ``planner.privacy.services`` walk the same list, and the record of processing activities
(Art. 30, ``planner.privacy.ropa``) is generated from it, so a store added here is exported, erased and documented
at once. Tables are found from the schema (every table referring to people or accounts, every column holding
an e-mail address), so a new table of any package is picked up without a change here; a test fails when a
table with personal columns is covered by no store.

The stores, in the order erasure walks them:

- ``people``: the person row, every table that refers to it (findings' author, participations, supports, ...);
- ``invitations``: personal invitation links (two steps away: invitation → participation → person);
- ``review_guests``: outside reviewers of the concept paper invited by e-mail (their personal links);
- ``consultation_comments``: comments of the public on a draft of the paper, found by the commenter's address;
- ``accounts``: linked user accounts and what refers to them (comments, review verdicts, sign-in lock-out);
- ``email_tables``: any other table with an e-mail column (feedback contact, a mail outbox table, ...);
- ``audit_log``: entries about the person and their accounts, and any summary or value that names them;
- ``paper_versions``: frozen and published versions of the concept paper (the participants annex);
- ``published_exports``: cached downloads of published versions (instance/published-exports/);
- ``job_files``: background jobs' result files (instance/jobs/<id>/) and the job rows' texts;
- ``outbox``: e-mails written to instance/outbox/ (.eml);
- ``uploads``: people-import and survey uploads waiting for confirmation (instance/uploads/);
- ``job_queue``: the job queue's SQLite database (instance/huey.sqlite3 and its WAL);
- ``log_files``: log files in the instance folder (instance/logs/, instance/*.log);
- ``rate_limits``: sign-in throttling counters keyed by the e-mail typed into the form.

After an erasure has been committed, every SQLite database of the installation is rewritten
(``scrub_sqlite_databases``): ``secure_delete``, ``VACUUM`` and ``wal_checkpoint(TRUNCATE)``, so no old page
keeps the erased values.
"""

from __future__ import annotations

import email
import json
import logging
import re
import shutil
import sqlite3
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email import policy
from functools import cached_property
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, String, Text, delete, or_, select, update
from sqlalchemy import cast as sa_cast

from planner.core.audit import to_json
from planner.extensions import db

log = logging.getLogger(__name__)

ERASED_TEXT = "[erased]"
SECRET_MARKERS = ("password", "token", "secret", "hash")
# Column names that hold an e-mail address (tables other than people and users are then keyed by it).
EMAIL_COLUMN_NAMES = {"email", "recipient", "recipients", "to", "to_address", "to_addr", "to_addrs", "mail_to",
                      "rcpt_to", "sender"}
# Column names that say a table holds names of people.
NAME_COLUMN_NAMES = {"first_name", "last_name", "full_name", "display_name", "author_name", "person_name",
                     "contact_name"}


def is_email_column(name: str) -> bool:
    name = name.lower()
    return name in EMAIL_COLUMN_NAMES or name.endswith("_email") or name.startswith("email_")


def is_secret(column_name: str) -> bool:
    return any(marker in column_name.lower() for marker in SECRET_MARKERS)


# --- the person being exported or erased -------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """Who an export or an erasure is about, read once before anything changes (file stores need the name and
    the addresses after the person row has been anonymised)."""

    person_id: int
    first_name: str
    last_name: str
    full_name: str
    email: str
    organisation: str | None
    user_ids: tuple[int, ...] = ()
    user_emails: tuple[str, ...] = ()

    @classmethod
    def of(cls, person) -> Subject:
        from planner.accounts.models import User

        users = db.session.scalars(select(User).where(User.person_id == person.id).order_by(User.id)).all()
        return cls(
            person_id=person.id, first_name=person.first_name or "", last_name=person.last_name or "",
            full_name=person.full_name, email=(person.email or "").strip(),
            organisation=person.organisation.name if person.organisation else None,
            user_ids=tuple(u.id for u in users), user_emails=tuple((u.email or "").strip() for u in users),
        )

    @property
    def emails(self) -> tuple[str, ...]:
        seen = []
        for address in (self.email, *self.user_emails):
            if address and address.lower() not in seen:
                seen.append(address.lower())
        return tuple(seen)

    @property
    def names(self) -> tuple[str, ...]:
        """The full name with and without the title (too short to be one person's name: left out)."""
        plain = " ".join(p for p in (self.first_name, self.last_name) if p)
        found = []
        for name in (self.full_name, plain):
            name = " ".join(name.split())
            if len(name) >= 5 and " " in name and name.lower() not in found:
                found.append(name.lower())
        return tuple(found)

    @property
    def needles(self) -> tuple[str, ...]:
        """Lower-case texts whose presence means a text is about the person."""
        return self.emails + self.names

    @cached_property
    def _patterns(self) -> list[re.Pattern]:
        """One pattern per needle, bounded so that "anna@example.org" does not match "hanna@example.org" nor
        "Anna Beispiel" match "Johanna Beispielmann"; any whitespace (a line break in a PDF) between words."""
        patterns = []
        for needle in sorted(self.needles, key=len, reverse=True):
            body = r"\s+".join(re.escape(part) for part in needle.split())
            patterns.append(re.compile(rf"(?<![\w@.+-]){body}(?![\w@-]|\.\w)", re.IGNORECASE))
        return patterns

    def mentions(self, text: str | bytes | None) -> bool:
        if not text:
            return False
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        return any(pattern.search(text) for pattern in self._patterns)

    def redact(self, text: str) -> str:
        for pattern in self._patterns:
            text = pattern.sub(ERASED_TEXT, text)
        return text

    def redact_value(self, value):
        """Redacts every string inside a JSON value (dicts, lists)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list):
            return [self.redact_value(v) for v in value]
        if isinstance(value, dict):
            return {self.redact(str(k)): self.redact_value(v) for k, v in value.items()}
        return value

    def like_patterns(self) -> list[str]:
        """Patterns for a first, coarse database filter (JSON columns store non-ASCII letters escaped)."""
        patterns = []
        for needle in self.needles:
            for variant in {needle, json.dumps(needle)[1:-1]}:
                escaped = variant.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                patterns.append(f"%{escaped}%")
        return patterns


# --- the registry ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Store:
    key: str
    label: object
    location: object
    purpose: object
    data_categories: tuple
    people_categories: tuple
    recipients: tuple
    # A key of the RETENTION setting (days) or None; ``retention_note`` says what the period means or, without a
    # key, what the rule is.
    retention_key: str | None
    retention_note: object
    export: Callable[[Subject], object]
    erase: Callable[[Subject], int]
    # The tables the store covers (a callable: tables of packages are found from the schema).
    tables: Callable[[], set[str]] = field(default=lambda: set())


RETENTION_DEFAULTS = {
    "inactive_people_days": 730,
    "invitation_links_days": 90,
    "audit_personal_values_days": 1095,
    "survey_uploads_days": 30,
}


def retention_days(key: str) -> int:
    configured = current_app.config.get("RETENTION", {}) or {}
    try:
        return int(configured.get(key, RETENTION_DEFAULTS[key]))
    except (TypeError, ValueError):
        return RETENTION_DEFAULTS[key]


_STORES: dict[str, Store] = {}


def register(store: Store) -> Store:
    """Adds a store (or replaces one with the same key); packages may register their own."""
    _STORES[store.key] = store
    return store


def stores() -> list[Store]:
    return list(_STORES.values())


def get_store(key: str) -> Store:
    return _STORES[key]


def covered_tables() -> set[str]:
    covered: set[str] = set()
    for store in stores():
        covered |= set(store.tables())
    return covered


def personal_tables() -> set[str]:
    """Tables with personal columns: a reference to a person or an account, an e-mail address, a person's name."""
    found = set()
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            refers = any(fk.column.table.name in ("people", "users") for fk in column.foreign_keys)
            if refers or is_email_column(column.name) or column.name.lower() in NAME_COLUMN_NAMES:
                found.add(table.name)
    return found


def uncovered_personal_tables() -> list[str]:
    """Tables with personal columns that no store covers (a test keeps this list empty)."""
    return sorted(personal_tables() - covered_tables())


# --- schema helpers ----------------------------------------------------------------------------------------


def references_to(table_name: str, *, exclude: Iterable[str] = ()) -> list[tuple]:
    """(table, column) for every column in the schema that points at ``table_name``.id."""
    excluded = {table_name, *exclude}
    found = []
    for table in db.metadata.sorted_tables:
        if table.name in excluded:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == table_name and fk.column.name == "id":
                found.append((table, fk.parent))
    return found


def person_references() -> list[tuple]:
    return references_to("people")


def user_references() -> list[tuple]:
    # The audit log has a store of its own; a privacy request is about the person (the people store).
    return references_to("users", exclude=("audit_log",))


def email_columns() -> list[tuple]:
    """(table, column) for e-mail columns outside people and users (those two have stores of their own)."""
    found = []
    for table in db.metadata.sorted_tables:
        if table.name in ("people", "users"):
            continue
        for column in table.columns:
            if is_email_column(column.name) and isinstance(column.type, String | Text):
                found.append((table, column))
    return found


def _label_of(row) -> str | None:
    for key in ("title", "name", "name_de", "code", "number", "email"):
        if key in row and row[key]:
            return str(row[key])
    return None


def dump_row(table, row) -> dict:
    """A row as JSON-ready data without secrets, with the label of each row it refers to."""
    data = {}
    links = {}
    for column in table.columns:
        if is_secret(column.name):
            continue
        value = row[column.name]
        data[column.name] = to_json(value)
        for fk in column.foreign_keys:
            target = fk.column.table
            if value is None or target.name in ("people", "users"):
                continue
            ref = db.session.execute(select(target).where(fk.column == value)).mappings().first()
            if ref is not None:
                links[column.name] = {"table": target.name, "id": to_json(value), "label": _label_of(ref)}
    if links:
        data["_references"] = links
    return data


def _is_association(table) -> bool:
    return all(c.primary_key for c in table.columns)


def _text_columns(table):
    return [c for c in table.columns if isinstance(c.type, String | Text | JSON) and not is_secret(c.name)]


def _redact_rows(table, subject: Subject, columns=None) -> int:
    """Redacts the subject's name and addresses in the text and JSON columns of ``table``; returns rows changed."""
    columns = columns or _text_columns(table)
    if not columns or not subject.needles:
        return 0
    pk = list(table.primary_key.columns)
    conditions = [sa_cast(c, Text).ilike(p, escape="\\") for c in columns for p in subject.like_patterns()]
    changed = 0
    for row in db.session.execute(select(table).where(or_(*conditions))).mappings().all():
        values = {}
        for column in columns:
            value = row[column.name]
            if isinstance(value, str) and subject.mentions(value):
                values[column.name] = subject.redact(value)
            elif isinstance(value, dict | list) and subject.mentions(json.dumps(value, ensure_ascii=False)):
                values[column.name] = subject.redact_value(value)
        if values:
            db.session.execute(update(table).where(*[c == row[c.name] for c in pk]).values(values))
            changed += 1
    return changed


# --- file helpers ------------------------------------------------------------------------------------------

_TAG = re.compile(rb"<[^>]+>")


def file_text(path: Path) -> str:
    """What a reader of the file would see, as text: the decoded headers and parts of an e-mail, the XML of a
    DOCX/XLSX/ODT, the text of a PDF, otherwise the bytes (UTF-8, else Windows-1252)."""
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    parts = [_decode(data)]
    if path.suffix.lower() == ".eml" or data[:200].lower().find(b"message-id:") >= 0:
        parts.append(_mail_text(data))
    if data[:2] == b"PK":
        parts.append(_zip_text(path))
    if data[:5] == b"%PDF-":
        parts.append(_pdf_text(path))
    return "\n".join(parts)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _mail_text(data: bytes) -> str:
    try:
        message = email.message_from_bytes(data, policy=policy.default)
        parts = [f"{name}: {value}" for name, value in message.items()]
        for part in message.walk():
            if part.is_multipart():
                continue
            content = part.get_payload(decode=True) or b""
            parts.append(_decode(content))
            if content[:2] == b"PK" or content[:5] == b"%PDF-":
                parts.append(_decode(content))
        return "\n".join(parts)
    except Exception:  # noqa: BLE001 - an unreadable mail is searched as bytes only
        return ""


def _zip_text(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            texts = []
            for name in archive.namelist():
                if name.endswith((".xml", ".rels", ".txt", ".csv", ".json", ".md", ".html")):
                    raw = archive.read(name)
                    texts.append(_decode(_TAG.sub(b"", raw)))
                    texts.append(_decode(raw))
            return "\n".join(texts)
    except (zipfile.BadZipFile, OSError, RuntimeError):
        return ""


def _pdf_text(path: Path) -> str:
    """pdftotext (poppler, fast even for a long paper) when installed, else pypdf."""
    binary = shutil.which("pdftotext")
    if binary:
        import subprocess

        try:
            done = subprocess.run([binary, "-q", "-enc", "UTF-8", str(path), "-"],  # noqa: S603 - fixed command
                                  capture_output=True, timeout=300, check=False)
            if done.returncode == 0:
                return done.stdout.decode("utf-8", errors="replace")
        except (OSError, subprocess.TimeoutExpired):
            pass
    try:
        from pypdf import PdfReader

        reader = PdfReader(str(path))
        return "\n".join((page.extract_text() or "") for page in reader.pages)
    except Exception:  # noqa: BLE001 - a damaged PDF is searched as bytes only
        return ""


def _instance() -> Path:
    return Path(current_app.instance_path)


def _files(folder: Path, pattern: str = "**/*") -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(pattern) if p.is_file() and not p.is_symlink())


def _mentioning(files: Iterable[Path], subject: Subject) -> list[Path]:
    return [p for p in files if subject.mentions(file_text(p))]


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(_instance()))
    except ValueError:
        return str(path)


# --- people --------------------------------------------------------------------------------------------------

ERASED_DOMAIN = "erased.invalid"
ERASED_FIRST_NAME = "Gelöschte Person"
# Columns of people that say nothing about the person and stay as they are.
KEEP_PERSON_COLUMNS = {"id", "created_at", "updated_at", "is_fictional", "version"}  # version: optimistic locking


def _people_export(subject: Subject) -> dict:
    from planner.people.models import Person

    people = db.metadata.tables["people"]
    person = db.session.get(Person, subject.person_id)
    row = db.session.execute(select(people).where(people.c.id == subject.person_id)).mappings().one()
    result = {
        "person": dump_row(people, row),
        "consent": {"has_consent": person.has_consent, "consent_at": to_json(person.consent_at),
                    "consent_text": person.consent_text},
        "organisation": None,
        "records": {},
    }
    if person.organisation_id:
        orgs = db.metadata.tables["organisations"]
        org = db.session.execute(select(orgs).where(orgs.c.id == person.organisation_id)).mappings().first()
        result["organisation"] = dump_row(orgs, org) if org else None
    for table, column in person_references():
        if table.name == "users":
            continue  # the accounts store
        rows = db.session.execute(select(table).where(column == subject.person_id)).mappings().all()
        if rows:
            key = table.name if table.name not in result["records"] else f"{table.name}.{column.name}"
            result["records"].setdefault(key, []).extend(dump_row(table, r) for r in rows)
    return result


def _people_erase(subject: Subject) -> int:
    from sqlalchemy import inspect as sa_inspect

    from planner.people.models import Person
    from planner.privacy.models import PrivacyRequest

    person = db.session.get(Person, subject.person_id)
    for column in sa_inspect(Person).columns:
        if column.key in KEEP_PERSON_COLUMNS or column.primary_key:
            continue
        setattr(person, column.key, _empty_value(column))
    person.first_name = ERASED_FIRST_NAME
    person.last_name = f"#{subject.person_id}"
    person.email = f"deleted-{subject.person_id}@{ERASED_DOMAIN}"
    person.has_consent = False
    person.fields = []
    db.session.flush()
    changed = 1
    for table, column in person_references():
        if table.name in (PrivacyRequest.__tablename__, "users"):
            continue
        if _is_association(table):
            # An association (fields of interest, supports): the link itself is personal data.
            changed += db.session.execute(delete(table).where(column == subject.person_id)).rowcount or 0
        elif column.nullable:
            changed += db.session.execute(
                update(table).where(column == subject.person_id).values({column.name: None})).rowcount or 0
        # Non-nullable references (participations) stay and now point at an anonymous person.
    db.session.expire(person)
    return changed


def _empty_value(column):
    from sqlalchemy import Boolean, Date, DateTime, Integer

    from planner.core.models import utcnow
    from planner.core.timeutil import local_today

    column_type = column.type
    if column.nullable:
        return None
    if isinstance(column_type, Boolean):
        return False
    if isinstance(column_type, String | Text):
        return ""
    if isinstance(column_type, Integer):
        return 0
    if isinstance(column_type, DateTime | Date):
        return utcnow() if isinstance(column_type, DateTime) else local_today()
    return column.default.arg if column.default is not None and not callable(column.default.arg) else None


# --- invitations (two steps from the person) -------------------------------------------------------------------


def _participation_ids(subject: Subject) -> list[int]:
    participations = db.metadata.tables.get("participations")
    if participations is None:
        return []
    return list(db.session.scalars(select(participations.c.id).where(
        participations.c.person_id == subject.person_id)))


def _second_hop_tables() -> list[tuple]:
    """Tables that refer to a person's participations (invitation links, date-poll votes)."""
    return references_to("participations") if "participations" in db.metadata.tables else []


def _invitations_export(subject: Subject) -> dict:
    ids = _participation_ids(subject)
    result = {}
    for table, column in _second_hop_tables():
        rows = db.session.execute(select(table).where(column.in_(ids or [-1]))).mappings().all()
        if rows:
            result[table.name] = [dump_row(table, r) for r in rows]
    return result


def _invitations_erase(subject: Subject) -> int:
    """Personal links stop working: the invitations are deleted (the participation with its answer stays)."""
    ids = _participation_ids(subject)
    changed = 0
    for table, column in _second_hop_tables():
        if table.name == "invitations":
            changed += db.session.execute(delete(table).where(column.in_(ids or [-1]))).rowcount or 0
    return changed


# --- outside reviewers of the concept paper ----------------------------------------------------------------------


def _review_guest_rows(subject: Subject):
    guests = db.metadata.tables["review_guests"]
    emails = [e.lower() for e in subject.emails] or ["-"]
    rows = db.session.execute(select(guests).where(db.func.lower(guests.c.email).in_(emails))).mappings().all()
    named = db.session.execute(select(guests).where(
        db.func.lower(guests.c.full_name).in_(list(subject.names) or ["-"]))).mappings().all()
    found = {row["id"]: row for row in [*rows, *named]}
    return guests, list(found.values())


def _review_guests_export(subject: Subject) -> dict:
    guests, rows = _review_guest_rows(subject)
    ids = [row["id"] for row in rows] or [-1]
    result = {"review_guests": [dump_row(guests, r) for r in rows]}
    for name in ("review_comments", "section_verdicts"):
        table = db.metadata.tables[name]
        found = db.session.execute(select(table).where(table.c.guest_id.in_(ids))).mappings().all()
        if found:
            result[name] = [dump_row(table, r) for r in found]
    return result if rows else {}


def _review_guests_erase(subject: Subject) -> int:
    """The outside reviewer's name and address are removed and the personal link stops working; their comments and
    verdicts stay with the round, without a name (names in the comments' text go with the free-text store)."""
    from planner.core.models import utcnow

    guests, rows = _review_guest_rows(subject)
    for row in rows:
        db.session.execute(update(guests).where(guests.c.id == row["id"]).values(
            full_name=ERASED_TEXT, email=f"{ERASED_TEXT}-{row['id']}", revoked_at=row["revoked_at"] or utcnow()))
    return len(rows)


# --- commenters of public consultations ------------------------------------------------------------------------


def _consultation_rows(subject: Subject):
    table = db.metadata.tables["consultation_comments"]
    emails = [e.lower() for e in subject.emails] or ["-"]
    return table, db.session.execute(select(table).where(db.func.lower(table.c.email).in_(emails))
                                     .order_by(table.c.id)).mappings().all()


def _consultation_export(subject: Subject) -> dict:
    table, rows = _consultation_rows(subject)
    return {"consultation_comments": [dump_row(table, r) for r in rows]} if rows else {}


def _consultation_erase(subject: Subject) -> int:
    """A public commenter has no account and often no person record: their comments are found by the address
    (planner.strategy.consultation.erase_commenter). Published ones stay anonymous with the team's answer (address
    and name removed, the name redacted in the texts); the others are deleted."""
    from planner.strategy.consultation import erase_commenter

    table, rows = _consultation_rows(subject)
    deleted, anonymised = erase_commenter(subject.emails, ERASED_TEXT)
    if subject.names:  # a person's name written into a published comment or its answer
        ids = [row["id"] for row in rows] or [-1]
        for row in db.session.execute(select(table).where(table.c.id.in_(ids))).mappings().all():
            values = {c: subject.redact(row[c]) for c in ("text", "answer") if subject.mentions(row[c])}
            if values:
                db.session.execute(update(table).where(table.c.id == row["id"]).values(values))
    return deleted + anonymised


# --- accounts ------------------------------------------------------------------------------------------------


def _accounts_export(subject: Subject) -> dict:
    users = db.metadata.tables["users"]
    rows = db.session.execute(select(users).where(users.c.id.in_(subject.user_ids or (-1,)))).mappings().all()
    records = {}
    for table, column in user_references():
        found = db.session.execute(select(table).where(column.in_(subject.user_ids or (-1,)))).mappings().all()
        if found:
            key = table.name if table.name not in records else f"{table.name}.{column.name}"
            records.setdefault(key, []).extend(dump_row(table, r) for r in found)
    return {"accounts": [dump_row(users, r) for r in rows], "records": records}


def _accounts_erase(subject: Subject) -> int:
    import secrets

    from planner.accounts.models import User

    tokens = db.metadata.tables.get("password_reset_tokens")
    for user_id in subject.user_ids:
        user = db.session.get(User, user_id)
        user.email = f"deleted-user-{user.id}@{ERASED_DOMAIN}"
        user.display_name = ""
        user.is_active_account = False
        user.session_epoch += 1
        user.set_password(secrets.token_urlsafe(32))
        user.person_id = None
        user.failed_logins = 0
        user.first_failed_login_at = None
        user.locked_until = None
        user.last_login_at = None
        if tokens is not None:
            db.session.execute(delete(tokens).where(tokens.c.user_id == user.id))
    db.session.flush()
    return len(subject.user_ids)


# --- other tables with an e-mail column ----------------------------------------------------------------------


def _email_rows(table, column, subject: Subject):
    conditions = []
    for address in subject.emails:
        escaped = address.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(db.func.lower(column).like(f"%{escaped}%", escape="\\"))
    if not conditions:
        return []
    rows = db.session.execute(select(table).where(or_(*conditions))).mappings().all()
    return [row for row in rows if subject.mentions(row[column.name])]


def _email_tables_export(subject: Subject) -> dict:
    result = {}
    for table, column in email_columns():
        rows = _email_rows(table, column, subject)
        if rows:
            result.setdefault(table.name, []).extend(dump_row(table, r) for r in rows)
    return result


def erases_rows(table) -> bool:
    """Whether an erasure deletes a table's rows that hold the person's address (a mail outbox: the row is the mail)
    instead of emptying the address (a feedback keeps its message). Declared on the model as ``__erase_rows__ =
    True`` or on the table as ``info={"erase_rows": True}``."""
    if table.info.get("erase_rows"):
        return True
    for mapper in db.Model.registry.mappers:
        if table in mapper.tables and getattr(mapper.class_, "__erase_rows__", False):
            return True
    return False


def _email_tables_erase(subject: Subject) -> int:
    """Rows holding one of the person's addresses lose it (the column is emptied), or are deleted where the table
    says so (``erases_rows``); what else the rows say about the person goes with the free-text store."""
    changed = 0
    for table, column in email_columns():
        pk = list(table.primary_key.columns)
        for row in _email_rows(table, column, subject):
            where = [c == row[c.name] for c in pk]
            if erases_rows(table):
                changed += db.session.execute(delete(table).where(*where)).rowcount or 0
            else:
                value = subject.redact(row[column.name]).replace(ERASED_TEXT, "").strip(" ,;")
                if not value:
                    value = None if column.nullable else ""
                changed += db.session.execute(update(table).where(*where).values({column.name: value})).rowcount or 0
    return changed


def _email_tables() -> set[str]:
    return {table.name for table, _column in email_columns()}


# --- the audit log -------------------------------------------------------------------------------------------


def _audit_about(subject: Subject):
    from planner.core.audit import AuditEntry

    return ((AuditEntry.entity == "people") & (AuditEntry.entity_id == subject.person_id)) | (
        (AuditEntry.entity == "users") & AuditEntry.entity_id.in_(subject.user_ids or (-1,)))


def _audit_export(subject: Subject) -> list[dict]:
    from planner.core.audit import AuditEntry

    table = AuditEntry.__table__
    mentions = [sa_cast(c, Text).ilike(p, escape="\\") for c in (table.c.summary, table.c.changes)
                for p in subject.like_patterns()]
    entries = db.session.scalars(
        select(AuditEntry).where(_audit_about(subject) | AuditEntry.actor_id.in_(subject.user_ids or (-1,))
                                 | or_(*mentions)).order_by(AuditEntry.id)
    ).all()
    return [
        {"at": to_json(e.at), "action": e.action, "entity": e.entity, "entity_id": e.entity_id,
         "by": e.actor_label, "summary": e.summary,
         "changes": {k: ("[redacted]" if is_secret(k) else v) for k, v in (e.changes or {}).items()}}
        for e in entries
    ]


def _audit_erase(subject: Subject) -> int:
    """The log keeps that something changed and when, not the personal values: entries about the person or their
    accounts lose their values, entries by their accounts lose the e-mail label, and any other summary or value
    that names them is redacted."""
    from planner.core.audit import AuditEntry

    changed = db.session.execute(
        update(AuditEntry).where(_audit_about(subject)).values(changes={"_erased": True}, summary="")).rowcount or 0
    for user_id in subject.user_ids:
        changed += db.session.execute(update(AuditEntry).where(AuditEntry.actor_id == user_id).values(
            actor_label=f"deleted-user-{user_id}")).rowcount or 0
    table = AuditEntry.__table__
    changed += _redact_rows(table, subject, [table.c.summary, table.c.changes, table.c.actor_label])
    return changed


# --- frozen and published versions of the paper ----------------------------------------------------------------


def _versions_export(subject: Subject) -> list[dict]:
    from planner.strategy.models import PaperVersion

    found = []
    for number, text, published in db.session.execute(
            select(PaperVersion.number, PaperVersion.rollup_json, PaperVersion.published_at)
            .order_by(PaperVersion.number)):
        if subject.mentions(text):
            found.append({"version": number, "published": published is not None,
                          "what": "participants annex: name and organisation"})
    return found


def _versions_erase(subject: Subject) -> int:
    """The name leaves the participants annex (``redact_person``); should a version still name the person or their
    address anywhere else (a finding's text, an older schema), that text is redacted in the stored JSON as well."""
    from planner.core.audit import record
    from planner.strategy.models import PaperVersion
    from planner.strategy.versions import redact_person

    changed = 0
    for name in {subject.full_name, " ".join(p for p in (subject.first_name, subject.last_name) if p)}:
        if name:
            changed += len(redact_person(name, subject.organisation))
    table = PaperVersion.__table__
    for version_id, number, text in db.session.execute(select(table.c.id, table.c.number, table.c.rollup_json)):
        if subject.mentions(text):
            redacted = subject.redact(text)
            json.loads(redacted)  # still the same document
            db.session.execute(table.update().where(table.c.id == version_id).values(rollup_json=redacted))
            record("redact", entity="paper_versions", entity_id=version_id,
                   summary=f"Version {number}: personal data removed (erasure under Art. 17 GDPR)")
            changed += 1
    if changed:
        db.session.expire_all()
    return changed


# --- cached public downloads ---------------------------------------------------------------------------------


def _published_folder() -> Path:
    from planner.strategy.versions import published_exports_folder

    return published_exports_folder()


def _published_export(subject: Subject) -> list[str]:
    # Copies of published versions (see paper_versions); listed by file, their content is the version's.
    return [_relative(p) for p in _mentioning(_files(_published_folder()), subject)]


def _published_erase(subject: Subject) -> int:
    """The cache is dropped whole: the files are made anew (from the redacted versions) on the next request."""
    folder = _published_folder()
    count = len(_files(folder))
    shutil.rmtree(folder, ignore_errors=True)
    return count


# --- background jobs: result files and texts ---------------------------------------------------------------


def _jobs_folder() -> Path:
    return _instance() / "jobs"


def _jobs_export(subject: Subject) -> list[dict]:
    from planner.jobs.models import Job

    result = []
    for path in _mentioning(_files(_jobs_folder()), subject):
        job_id = path.relative_to(_jobs_folder()).parts[0]
        result.append({"job": int(job_id) if job_id.isdigit() else job_id, "file": path.name})
    table = Job.__table__
    for row in db.session.execute(select(table.c.id, table.c.kind, table.c.params, table.c.message, table.c.error)):
        if subject.mentions(json.dumps(to_json(dict(row._mapping)), ensure_ascii=False)):
            result.append({"job": row.id, "kind": row.kind, "texts": to_json(dict(row._mapping))})
    return result


def _jobs_erase(subject: Subject) -> int:
    """Files that mention the person are deleted; a job whose result went says so and offers no download."""
    from planner.jobs.models import Job

    folder = _jobs_folder()
    removed = 0
    for path in _mentioning(_files(folder), subject):
        relative = _relative(path)
        path.unlink(missing_ok=True)
        removed += 1
        db.session.execute(update(Job).where(Job.result_path == relative).values(
            result_path=None, result_name=None,
            message="Result removed: it named a person whose data was erased (Art. 17 GDPR)."))
    return removed + _redact_rows(Job.__table__, subject)


# --- the outbox ----------------------------------------------------------------------------------------------


def _outbox_folder() -> Path:
    return _instance() / "outbox"


def _outbox_export(subject: Subject) -> list[dict]:
    found = []
    for path in _mentioning(_files(_outbox_folder()), subject):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        found.append({"file": path.name, "date": str(message.get("Date", "")), "to": str(message.get("To", "")),
                      "subject": str(message.get("Subject", ""))})
    return found


def _outbox_erase(subject: Subject) -> int:
    """Mails to or about the person are deleted (written in development or when no SMTP server is set)."""
    found = _mentioning(_files(_outbox_folder()), subject)
    for path in found:
        path.unlink(missing_ok=True)
    return len(found)


# --- uploads waiting for confirmation ------------------------------------------------------------------------


def _uploads_folder() -> Path:
    return _instance() / "uploads"


def _uploads_export(subject: Subject) -> list[str]:
    return [_relative(p) for p in _mentioning(_files(_uploads_folder()), subject)]


def _uploads_erase(subject: Subject) -> int:
    """An upload that names the person is deleted with its pending survey import (it must be uploaded anew)."""
    found = _mentioning(_files(_uploads_folder()), subject)
    names = set()
    for path in found:
        names.add(path.name.split(".")[0])
        path.unlink(missing_ok=True)
    uploads = db.metadata.tables.get("survey_uploads")
    if uploads is not None:
        for row in db.session.execute(select(uploads.c.id, uploads.c.token, uploads.c.header, uploads.c.profile)):
            stem = (row.token or "").split(".")[0]
            texts = json.dumps([row.header, row.profile], ensure_ascii=False)
            if stem in names or subject.mentions(texts):
                (_uploads_folder() / row.token).unlink(missing_ok=True)
                (_uploads_folder() / f"{row.token}.preview.json").unlink(missing_ok=True)
                db.session.execute(delete(uploads).where(uploads.c.id == row.id))
    return len(found)


# --- the job queue's database ----------------------------------------------------------------------------------


def huey_database() -> Path | None:
    if current_app.config.get("HUEY_REDIS_URL"):
        return None
    return Path(current_app.config.get("HUEY_SQLITE_PATH") or _instance() / "huey.sqlite3")


def _redis_queue_rows(subject: Subject, *, remove: bool) -> int:
    """Queued and scheduled tasks in Redis (HUEY_REDIS_URL) that carry the person's address or name."""
    storage = getattr(current_app.extensions.get("huey"), "storage", None)
    conn = getattr(storage, "conn", None)
    if conn is None or not hasattr(storage, "queue_key"):
        return 0
    found = 0
    for key, items, drop in ((storage.queue_key, storage.enqueued_items(), lambda k, i: conn.lrem(k, 0, i)),
                             (storage.schedule_key, storage.scheduled_items(), lambda k, i: conn.zrem(k, i))):
        for item in items:
            if subject.mentions(item):
                found += 1
                if remove:
                    drop(key, item)
    return found


def _queue_rows(subject: Subject, *, remove: bool) -> int:
    if current_app.config.get("HUEY_REDIS_URL"):
        return _redis_queue_rows(subject, remove=remove)
    path = huey_database()
    if path is None or not path.is_file():
        return 0
    found = 0
    connection = sqlite3.connect(path, timeout=30)
    try:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for rowid, *values in connection.execute(f'SELECT rowid, * FROM "{table}"').fetchall():  # noqa: S608
                blob = b" ".join(v if isinstance(v, bytes) else str(v).encode() for v in values if v is not None)
                if subject.mentions(blob):
                    found += 1
                    if remove:
                        connection.execute(f'DELETE FROM "{table}" WHERE rowid = ?', (rowid,))  # noqa: S608
        connection.commit()
    finally:
        connection.close()
    return found


def _queue_export(subject: Subject) -> dict:
    return {"queued_tasks_naming_the_person": _queue_rows(subject, remove=False)}


def _queue_erase(subject: Subject) -> int:
    """Queued tasks that carry the person's address or name are removed (the database is rewritten afterwards)."""
    return _queue_rows(subject, remove=True)


# --- log files -----------------------------------------------------------------------------------------------


def _log_files() -> list[Path]:
    return _files(_instance() / "logs") + _files(_instance(), "*.log") + _files(_instance(), "*.log.*")


def _read_log(path: Path) -> str:
    import gzip

    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":  # a rotated, compressed log
        try:
            data = gzip.decompress(data)
        except OSError:
            return ""
    return _decode(data)


def _write_log(path: Path, text: str) -> None:
    import gzip

    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.read_bytes()[:2] == b"\x1f\x8b" else data)


def _logs_export(subject: Subject) -> list[dict]:
    found = []
    for path in _log_files():
        lines = [line for line in _read_log(path).splitlines() if subject.mentions(line)]
        if lines:
            found.append({"file": _relative(path), "lines": lines})
    return found


def _logs_erase(subject: Subject) -> int:
    """Lines naming the person are redacted in place, also in rotated (gzip) logs; the rest stays for operations."""
    changed = 0
    for path in _log_files():
        text = _read_log(path)
        if subject.mentions(text):
            lines = [subject.redact(line) if subject.mentions(line) else line for line in text.splitlines(True)]
            _write_log(path, "".join(lines))
            changed += 1
    return changed


# --- rate-limit and lock-out counters ----------------------------------------------------------------------


def _limiter_keys(subject: Subject) -> list[tuple[object, str]]:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return []  # nothing is counted
    try:
        return _find_limiter_keys(subject)
    except Exception:  # noqa: BLE001 - the counters expire within the hour; the erasure of the rest stands
        log.warning("throttling counters could not be searched for an erased address", exc_info=True)
        return []


def _find_limiter_keys(subject: Subject) -> list[tuple[object, str]]:
    from planner.accounts.limits import limiter

    try:
        storage = limiter.storage
    except Exception:  # noqa: BLE001 - no limiter bound: nothing counted
        return []
    if storage is None:
        return []
    found = []
    for container_name in ("storage", "expirations", "events"):
        container = getattr(storage, container_name, None)
        if isinstance(container, dict):
            found.extend((container, key) for key in list(container)
                         if isinstance(key, str) and subject.mentions(key))
    scan = getattr(getattr(storage, "storage", None), "scan_iter", None)
    if callable(scan):  # Redis
        for address in subject.emails:
            for key in scan(match=f"*{address}*"):
                key = key.decode() if isinstance(key, bytes) else key
                if subject.mentions(key):
                    found.append((storage.storage, key))
    return found


def _limits_export(subject: Subject) -> dict:
    return {"counters_keyed_by_the_address": len(_limiter_keys(subject))}


def _limits_erase(subject: Subject) -> int:
    """Throttling counters keyed by the person's address are removed (in memory or in Redis)."""
    keys = _limiter_keys(subject)
    for container, key in keys:
        if isinstance(container, dict):
            container.pop(key, None)
        else:
            try:
                container.delete(key)
            except Exception:  # noqa: BLE001 - see _limiter_keys
                log.warning("a throttling counter could not be removed", exc_info=True)
    return len(keys)


# --- mentions in texts anywhere else in the database --------------------------------------------------------

# Tables whose texts other stores handle (or that hold no text about people).
_OWN_TEXT_STORES = {"people", "users", "audit_log", "paper_versions", "jobs", "alembic_version"}


def _free_text_tables():
    return [t for t in db.metadata.sorted_tables if t.name not in _OWN_TEXT_STORES and _text_columns(t)]


def _free_text_export(subject: Subject) -> dict:
    found = {}
    for table in _free_text_tables():
        columns = _text_columns(table)
        conditions = [sa_cast(c, Text).ilike(p, escape="\\") for c in columns for p in subject.like_patterns()]
        for row in db.session.execute(select(table).where(or_(*conditions))).mappings().all():
            texts = {c.name: to_json(row[c.name]) for c in columns
                     if subject.mentions(json.dumps(to_json(row[c.name]), ensure_ascii=False))}
            if texts:
                key = {c.name: to_json(row[c.name]) for c in table.primary_key.columns}
                found.setdefault(table.name, []).append({"row": key, "texts": texts})
    return found


def _free_text_erase(subject: Subject) -> int:
    """The person's name and addresses are redacted wherever someone wrote them (a finding, a comment, a measure's
    partners, a survey answer), past the models, so the audit log does not copy them again."""
    return sum(_redact_rows(table, subject) for table in _free_text_tables())


# --- the stores ----------------------------------------------------------------------------------------------

EXPERTS = _l("experts and other participants of the workshops")
STAFF = _l("staff of the city with an account (facilitators, strategy team, reviewers, administrators)")
CITIZENS = _l("citizens who sign up for a public dialogue")
TEAM = _l("the Smart City team (facilitators, strategy team) and administrators of the city")
ADMINS = _l("administrators of the city")
OPERATOR = _l("the operator of the planner (the city's IT or its processor)")


def _tables_of(refs: Callable[[], list[tuple]], *extra: str) -> Callable[[], set[str]]:
    return lambda: {t.name for t, _c in refs()} | set(extra)


register(Store(
    key="people", label=_l("People and their records"),
    location=_l("Database: the person and every table referring to them"),
    purpose=_l("Planning and running the strategy workshops: inviting experts, recording attendance, findings, "
               "measures and support of measures, naming consenting participants in the concept paper."),
    data_categories=(_l("name, title, e-mail address, position, organisation"), _l("consent with date and text"),
                     _l("participation, answers to invitations, attendance"),
                     _l("findings, proposed and supported measures")),
    people_categories=(EXPERTS, CITIZENS),
    recipients=(TEAM, _l("the public: names and organisations of consenting participants in the published paper")),
    retention_key="inactive_people_days",
    retention_note=_l("after the end of the process without activity, then erased"),
    export=_people_export, erase=_people_erase,
    tables=_tables_of(person_references, "people", "organisations"),
))
register(Store(
    key="invitations", label=_l("Personal invitation links"),
    location=_l("Database: invitations and date-poll votes of the person's participations"),
    purpose=_l("Letting invited experts answer and vote on dates without an account."),
    data_categories=(_l("a link's fingerprint, when it was sent, when it expires"), _l("votes on proposed dates")),
    people_categories=(EXPERTS,), recipients=(TEAM,),
    retention_key="invitation_links_days", retention_note=_l("after the workshop"),
    export=_invitations_export, erase=_invitations_erase,
    tables=_tables_of(_second_hop_tables),
))
register(Store(
    key="review_guests", label=_l("Outside reviewers of the concept paper"),
    location=_l("Database: review_guests (name, e-mail address, body, personal link's fingerprint) and their "
                "comments and verdicts"),
    purpose=_l("Letting council and committee members and partner organisations review the concept paper without "
               "an account."),
    data_categories=(_l("name, e-mail address, body or organisation"),
                     _l("a link's fingerprint, when it expires or was withdrawn"), _l("review comments and verdicts")),
    people_categories=(_l("outside reviewers (council and committee members, partner organisations)"),),
    recipients=(TEAM,), retention_key=None,
    retention_note=_l("as long as the review round is kept; erased with the person"),
    export=_review_guests_export, erase=_review_guests_erase, tables=lambda: {"review_guests"},
))
register(Store(
    key="consultation_comments", label=_l("Comments of public consultations"),
    location=_l("Database: consultation_comments (the comment, the optional name, the e-mail address for the "
                "confirmation, the team's answer)"),
    purpose=_l("Letting the public comment on a draft of the concept paper without an account (double opt-in)."),
    data_categories=(_l("e-mail address, optional name"), _l("the comment and the team's answer")),
    people_categories=(CITIZENS,), recipients=(TEAM, _l("the public (published comments, never the address)")),
    retention_key="inactive_people_days",
    retention_note=_l("after the consultation ended the address and the name are removed; erased with the person, "
                      "by a request for the address, or by the commenter's own link (published comments stay "
                      "anonymous with the answer, the others are deleted)"),
    export=_consultation_export, erase=_consultation_erase, tables=lambda: {"consultation_comments"},
))
register(Store(
    key="accounts", label=_l("User accounts"),
    location=_l("Database: accounts and what refers to them (comments, reviews, sign-in lock-out, reset links)"),
    purpose=_l("Signing in, access control by role, comments and review of the concept paper."),
    data_categories=(_l("e-mail address, display name, role, language"),
                     _l("password hash, failed sign-ins and lock-out, last sign-in"),
                     _l("comments, review verdicts, who recorded or evaluated what")),
    people_categories=(STAFF, EXPERTS), recipients=(ADMINS,),
    retention_key="inactive_people_days", retention_note=_l("after the account's last use"),
    export=_accounts_export, erase=_accounts_erase,
    tables=_tables_of(user_references, "users"),
))
register(Store(
    key="email_tables", label=_l("Other records keyed by an e-mail address"),
    location=_l("Database: every other table with an e-mail column (e.g. feedback on accessibility, outgoing mail)"),
    purpose=_l("Answering feedback on barriers; delivering e-mails."),
    data_categories=(_l("e-mail address, message"),), people_categories=(CITIZENS, EXPERTS, STAFF),
    recipients=(TEAM,), retention_key=None,
    retention_note=_l("until answered or delivered; erased with the person"),
    export=_email_tables_export, erase=_email_tables_erase, tables=_email_tables,
))
register(Store(
    key="audit_log", label=_l("Audit log"),
    location=_l("Database: audit_log (who changed what, values before and after, summaries)"),
    purpose=_l("Accountability: who changed what and when (Art. 5(2) and 32 GDPR)."),
    data_categories=(_l("the acting account's e-mail address"), _l("values before and after a change")),
    people_categories=(STAFF, EXPERTS), recipients=(ADMINS,),
    retention_key="audit_personal_values_days", retention_note=_l("then the personal values are removed"),
    export=_audit_export, erase=_audit_erase, tables=lambda: {"audit_log"},
))
register(Store(
    key="paper_versions", label=_l("Frozen and published versions of the concept paper"),
    location=_l("Database: paper_versions (the stored roll-up of each version)"),
    purpose=_l("Documenting the agreed concept paper; naming consenting participants in its annex."),
    data_categories=(_l("name and organisation of consenting participants"),),
    people_categories=(EXPERTS,), recipients=(TEAM, _l("the public, once a version is published")),
    retention_key=None, retention_note=_l("as long as the paper is kept (offered to the city archive)"),
    export=_versions_export, erase=_versions_erase, tables=lambda: {"paper_versions"},
))
register(Store(
    key="published_exports", label=_l("Cached downloads of published versions"),
    location=_l("Files: instance/published-exports/"),
    purpose=_l("Serving the published paper quickly to everyone."),
    data_categories=(_l("name and organisation of consenting participants"),),
    people_categories=(EXPERTS,), recipients=(_l("the public"),),
    retention_key=None, retention_note=_l("a cache: dropped on every erasure and made anew on request"),
    export=_published_export, erase=_published_erase,
))
register(Store(
    key="job_files", label=_l("Results of background jobs"),
    location=_l("Files: instance/jobs/<job>/ and the job rows' texts"),
    purpose=_l("Exports of the paper, survey imports and bulk e-mails that take longer than a page request."),
    data_categories=(_l("exported papers with the participants annex"), _l("addresses in error messages")),
    people_categories=(EXPERTS, STAFF), recipients=(_l("the member of staff who started the job, administrators"),),
    retention_key=None, retention_note=_l("until the job is deleted; erased with the person"),
    export=_jobs_export, erase=_jobs_erase, tables=lambda: {"jobs"},
))
register(Store(
    key="outbox", label=_l("E-mails in the outbox folder"),
    location=_l("Files: instance/outbox/*.eml (when no SMTP server is configured)"),
    purpose=_l("Invitations, reminders, confirmations and password links by e-mail."),
    data_categories=(_l("e-mail address, name, the message"),),
    people_categories=(EXPERTS, CITIZENS, STAFF), recipients=(_l("the addressee"), OPERATOR),
    retention_key=None, retention_note=_l("until the operator removes them; erased with the person"),
    export=_outbox_export, erase=_outbox_erase,
))
register(Store(
    key="uploads", label=_l("Uploads waiting for confirmation"),
    location=_l("Files: instance/uploads/ (people import, survey uploads) and survey_uploads"),
    purpose=_l("Importing lists of experts and the citizen survey after a preview."),
    data_categories=(_l("names and e-mail addresses of an imported list"),
                     _l("survey answers (an e-mail address only for a prize draw)")),
    people_categories=(EXPERTS, _l("survey participants")), recipients=(TEAM,),
    retention_key="survey_uploads_days", retention_note=_l("deleted after the import, at the latest then"),
    export=_uploads_export, erase=_uploads_erase, tables=lambda: {"survey_uploads"},
))
register(Store(
    key="job_queue", label=_l("The job queue's database"),
    location=_l("Files: instance/huey.sqlite3 and its WAL (or Redis)"),
    purpose=_l("Handing background jobs to the worker."),
    data_categories=(_l("parameters of queued tasks, which may hold e-mail addresses"),),
    people_categories=(EXPERTS, STAFF), recipients=(OPERATOR,),
    retention_key=None, retention_note=_l("until the task has run"),
    export=_queue_export, erase=_queue_erase,
))
register(Store(
    key="log_files", label=_l("Log files"),
    location=_l("Files: instance/logs/ and instance/*.log (the request log names account ids only)"),
    purpose=_l("Operation and security of the service."),
    data_categories=(_l("account ids, client addresses, addresses in error messages"),),
    people_categories=(STAFF, EXPERTS, CITIZENS), recipients=(OPERATOR,),
    retention_key=None, retention_note=_l("the operator's log rotation (recommended: 30 days)"),
    export=_logs_export, erase=_logs_erase,
))
register(Store(
    key="rate_limits", label=_l("Sign-in throttling counters"),
    location=_l("Memory of the app processes, or the configured shared store (Redis)"),
    purpose=_l("Protecting accounts against guessing of passwords."),
    data_categories=(_l("the e-mail address typed into the sign-in form, client address, number of attempts"),),
    people_categories=(STAFF, EXPERTS), recipients=(OPERATOR,),
    retention_key=None, retention_note=_l("the window of the limit (15 minutes to one hour)"),
    export=_limits_export, erase=_limits_erase,
))


register(Store(
    key="free_text", label=_l("Mentions in texts written by others"),
    location=_l("Database: every other text column (findings, comments, measures, agendas, survey answers, ...)"),
    purpose=_l("The work of the process: what participants and staff wrote may name other people."),
    data_categories=(_l("name or e-mail address within a text"),),
    people_categories=(EXPERTS, STAFF, CITIZENS), recipients=(TEAM,),
    retention_key=None, retention_note=_l("with the record the text belongs to; redacted on erasure"),
    export=_free_text_export, erase=_free_text_erase,
))


# --- walking the registry ------------------------------------------------------------------------------------


def export_subject(subject: Subject) -> dict[str, object]:
    return {store.key: store.export(subject) for store in stores()}


def erase_subject(subject: Subject) -> dict[str, int]:
    counts = {}
    for store in stores():
        counts[store.key] = int(store.erase(subject) or 0)
        db.session.flush()
    return counts


# --- rewriting SQLite databases ------------------------------------------------------------------------------


def sqlite_files() -> list[Path]:
    """The installation's SQLite databases: the planner's (when it runs on SQLite) and the job queue's."""
    found = []
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        found.append(Path(url.database))
    queue = huey_database()
    if queue is not None and queue.is_file():
        found.append(queue)
    return found


def scrub_sqlite_databases() -> list[Path]:
    """``secure_delete``, ``VACUUM`` and ``wal_checkpoint(TRUNCATE)`` on every SQLite database, so the pages that
    held erased values (free pages, old page images in the WAL) are overwritten. PostgreSQL: see docs/security.md."""
    done = []
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        with db.engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("PRAGMA secure_delete=ON")
            connection.exec_driver_sql("VACUUM")
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        done.append(Path(url.database))
    queue = huey_database()
    if queue is not None and queue.is_file():
        connection = sqlite3.connect(queue, timeout=30, isolation_level=None)
        try:
            connection.execute("PRAGMA secure_delete=ON")
            connection.execute("VACUUM")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()
        done.append(queue)
    return done


def scrub_after_commit() -> None:
    """Rewrites the SQLite databases once the current transaction has committed (an erasure's rows must be gone
    first); nothing happens on a rollback."""
    from sqlalchemy import event

    session = db.session()
    session.info["privacy_scrub_pending"] = True
    if session.info.get("privacy_scrub_hooked"):
        return
    session.info["privacy_scrub_hooked"] = True
    app = current_app._get_current_object()

    def after_commit(sess):
        if not sess.info.pop("privacy_scrub_pending", None):
            return
        try:
            with app.app_context():
                scrub_sqlite_databases()
        except Exception:  # noqa: BLE001 - the erasure stands; the rewrite is repeated by the next one
            log.exception("rewriting the SQLite databases after an erasure failed")

    def after_rollback(sess, transaction):
        if transaction.parent is None:
            sess.info.pop("privacy_scrub_pending", None)

    event.listen(session, "after_commit", after_commit)
    event.listen(session, "after_soft_rollback", after_rollback)
