"""GDPR requests: a person's data export (Art. 15/20) and erasure by anonymisation (Art. 17).

Both walk the schema instead of naming tables: every table with a foreign key to ``people.id`` is found in
``db.metadata``, so data added later by any package is exported and erased without a change here.

Erasure keeps the rows that other records need and removes the identity:
- the person row stays as "Gelöschte Person #<id>" with a non-routable placeholder e-mail
  (``deleted-<id>@erased.invalid``); every other text and date column is emptied, consent is cleared, the
  organisation link and the fields of interest are removed;
- nullable references (finding author, measure proposer, agenda responsibility, ...) are set to NULL, so
  findings and measures stay, with an anonymous author;
- participations stay (attendance numbers stay true) but point to the anonymised person only;
- linked accounts are deactivated, signed out everywhere and anonymised;
- audit entries about the person and their accounts lose their before/after values and e-mail labels.
"""

import secrets
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, Integer, String, Text, delete, select, update
from sqlalchemy import inspect as sa_inspect

from planner.accounts.models import User
from planner.core import audit
from planner.core.audit import AuditEntry, to_json
from planner.core.errors import DomainError, InvalidTransition
from planner.core.models import utcnow
from planner.extensions import db
from planner.people.models import Person
from planner.privacy.models import PrivacyRequest, RequestKind, RequestStatus

ERASED_DOMAIN = "erased.invalid"
ERASED_FIRST_NAME = "Gelöschte Person"
SECRET_MARKERS = ("password", "token", "secret", "hash")
# Columns of people that say nothing about the person and stay as they are.
KEEP_PERSON_COLUMNS = {"id", "created_at", "updated_at", "is_fictional"}
EXPORT_FORMAT = "planner-person-export/1"


def is_erased(person: Person) -> bool:
    return (person.email or "").endswith("@" + ERASED_DOMAIN)


def person_references() -> list[tuple]:
    """(table, column) for every column in the schema that points at people.id."""
    found = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "people" and fk.column.name == "id" and table.name != "people":
                found.append((table, fk.parent))
    return found


def _is_secret(column_name: str) -> bool:
    return any(marker in column_name.lower() for marker in SECRET_MARKERS)


def _label_of(row) -> str | None:
    for key in ("title", "name", "name_de", "code", "email"):
        if key in row and row[key]:
            return str(row[key])
    return None


def _dump_row(table, row) -> dict:
    data = {}
    links = {}
    for column in table.columns:
        if _is_secret(column.name):
            continue
        value = row[column.name]
        data[column.name] = to_json(value)
        for fk in column.foreign_keys:
            target = fk.column.table
            if value is None or target.name == "people":
                continue
            ref = db.session.execute(select(target).where(fk.column == value)).mappings().first()
            if ref is not None:
                links[column.name] = {"table": target.name, "id": to_json(value), "label": _label_of(ref)}
    if links:
        data["_references"] = links
    return data


def export_person(actor: User | None, person: Person) -> dict:
    """Everything the planner holds about a person, as JSON-ready data. Records who exported it."""
    people = db.metadata.tables["people"]
    person_row = db.session.execute(select(people).where(people.c.id == person.id)).mappings().one()
    result = {
        "format": EXPORT_FORMAT,
        "exported_at": to_json(utcnow()),
        "person": _dump_row(people, person_row),
        "consent": {
            "has_consent": person.has_consent,
            "consent_at": to_json(person.consent_at),
            "consent_text": person.consent_text,
        },
        "organisation": None,
        "records": {},
        "accounts": [],
        "audit_log": [],
    }
    if person.organisation_id:
        orgs = db.metadata.tables["organisations"]
        org = db.session.execute(select(orgs).where(orgs.c.id == person.organisation_id)).mappings().first()
        result["organisation"] = _dump_row(orgs, org) if org else None
    for table, column in person_references():
        rows = db.session.execute(select(table).where(column == person.id)).mappings().all()
        if rows:
            key = table.name if table.name not in result["records"] else f"{table.name}.{column.name}"
            result["records"].setdefault(key, []).extend(_dump_row(table, row) for row in rows)
    users = db.metadata.tables["users"]
    user_ids = [r["id"] for r in result["records"].get("users", [])]
    result["accounts"] = result["records"].pop("users", [])
    entries = db.session.scalars(
        select(AuditEntry)
        .where(
            ((AuditEntry.entity == "people") & (AuditEntry.entity_id == person.id))
            | ((AuditEntry.entity == users.name) & AuditEntry.entity_id.in_(user_ids or [-1]))
        )
        .order_by(AuditEntry.id)
    ).all()
    result["audit_log"] = [
        {"at": to_json(e.at), "action": e.action, "entity": e.entity, "entity_id": e.entity_id,
         "by": e.actor_label, "changes": _redact_secrets(e.changes), "summary": e.summary}
        for e in entries
    ]
    audit.record("privacy_export", person, summary="data export (Art. 15/20 GDPR)")
    return result


def _redact_secrets(changes: dict | None) -> dict:
    return {k: ("[redacted]" if _is_secret(k) else v) for k, v in (changes or {}).items()}


def erase_person(actor: User | None, person: Person) -> Person:
    """Anonymises the person (Art. 17 GDPR) as described in the module docstring."""
    if is_erased(person):
        raise DomainError(_l("This person's data has already been erased."))
    person_id = person.id
    linked_users = db.session.scalars(select(User).where(User.person_id == person_id)).all()
    # 0. Frozen versions of the concept paper name consenting participants in their annex.
    from planner.strategy.versions import redact_person

    redact_person(person.full_name, person.organisation.name if person.organisation else None)

    # 1. The person row itself.
    mapper = sa_inspect(Person)
    for column in mapper.columns:
        if column.key in KEEP_PERSON_COLUMNS or column.primary_key:
            continue
        setattr(person, column.key, _empty_value(column))
    person.first_name = ERASED_FIRST_NAME
    person.last_name = f"#{person_id}"
    person.email = f"deleted-{person_id}@{ERASED_DOMAIN}"
    person.has_consent = False
    person.fields = []
    db.session.flush()
    # 2. References from other tables.
    for table, column in person_references():
        if table.name in (PrivacyRequest.__tablename__, "users"):
            continue
        if all(c.primary_key for c in table.columns):
            # An association table (e.g. fields of interest): the link itself is personal data.
            db.session.execute(delete(table).where(column == person_id))
        elif column.nullable:
            db.session.execute(update(table).where(column == person_id).values({column.name: None}))
        # Non-nullable references (participations) stay and now point at an anonymous person.
    # 3. Linked accounts.
    for user in linked_users:
        user.email = f"deleted-user-{user.id}@{ERASED_DOMAIN}"
        user.display_name = ""
        user.is_active_account = False
        user.session_epoch += 1
        user.set_password(secrets.token_urlsafe(32))
        user.person_id = None
    db.session.flush()
    db.session.expire(person)
    # 4. The audit log keeps that something changed, not the personal values.
    user_ids = [u.id for u in linked_users]
    db.session.execute(
        update(AuditEntry)
        .where(
            ((AuditEntry.entity == "people") & (AuditEntry.entity_id == person_id))
            | ((AuditEntry.entity == "users") & AuditEntry.entity_id.in_(user_ids or [-1]))
        )
        .values(changes={"_erased": True})
    )
    for user_id in user_ids:
        db.session.execute(
            update(AuditEntry).where(AuditEntry.actor_id == user_id).values(actor_label=f"deleted-user-{user_id}")
        )
    audit.record("privacy_erasure", entity="people", entity_id=person_id,
                 summary=f"personal data erased (Art. 17 GDPR); {len(user_ids)} account(s) deactivated")
    # 5. Open requests of this person are done now.
    for request in db.session.scalars(
        select(PrivacyRequest).where(PrivacyRequest.person_id == person_id,
                                     PrivacyRequest.status == RequestStatus.OPEN)
    ):
        request.status = RequestStatus.DONE
        request.decided_at = utcnow()
        request.decided_by_id = actor.id if actor is not None else None
    db.session.flush()
    return person


def _empty_value(column):
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
        return utcnow() if isinstance(column_type, DateTime) else date.today()
    return column.default.arg if column.default is not None and not callable(column.default.arg) else None


# --- requests by the person ----------------------------------------------------------------------------------


def open_request(person: Person, kind: RequestKind) -> PrivacyRequest | None:
    return db.session.scalar(
        select(PrivacyRequest).where(PrivacyRequest.person_id == person.id, PrivacyRequest.kind == kind,
                                     PrivacyRequest.status == RequestStatus.OPEN)
    )


def request_erasure(actor: User, person: Person, note: str = "") -> PrivacyRequest:
    if is_erased(person):
        raise DomainError(_l("This person's data has already been erased."))
    existing = open_request(person, RequestKind.ERASURE)
    if existing is not None:
        return existing
    request = PrivacyRequest(person_id=person.id, kind=RequestKind.ERASURE, note=(note or "").strip()[:2000],
                             requested_by_id=actor.id)
    db.session.add(request)
    db.session.flush()
    return request


def withdraw_consent(actor: User, person: Person, note: str = "") -> PrivacyRequest:
    """Consent ends at once (nothing new is processed on it); the anonymisation follows on confirmation."""
    if is_erased(person):
        raise DomainError(_l("This person's data has already been erased."))
    person.has_consent = False
    audit.record("consent_withdrawn", person, summary="consent withdrawn by the person")
    existing = open_request(person, RequestKind.CONSENT_WITHDRAWAL)
    if existing is not None:
        return existing
    request = PrivacyRequest(person_id=person.id, kind=RequestKind.CONSENT_WITHDRAWAL,
                             note=(note or "").strip()[:2000], requested_by_id=actor.id)
    db.session.add(request)
    db.session.flush()
    return request


def confirm_request(actor: User, request: PrivacyRequest) -> PrivacyRequest:
    if request.status != RequestStatus.OPEN:
        raise InvalidTransition(_l("This request has already been decided."))
    person = request.person
    if not is_erased(person):
        erase_person(actor, person)
    request.status = RequestStatus.DONE
    request.decided_at = utcnow()
    request.decided_by_id = actor.id
    db.session.flush()
    return request


def reject_request(actor: User, request: PrivacyRequest) -> PrivacyRequest:
    if request.status != RequestStatus.OPEN:
        raise InvalidTransition(_l("This request has already been decided."))
    request.status = RequestStatus.REJECTED
    request.decided_at = utcnow()
    request.decided_by_id = actor.id
    db.session.flush()
    return request


def holdings(person: Person) -> list[tuple[str, int]]:
    """How many rows each table holds about the person (for the admin's overview)."""
    counts = []
    for table, column in person_references():
        n = db.session.scalar(select(db.func.count()).select_from(table).where(column == person.id))
        if n:
            counts.append((table.name, n))
    return counts


# --- the audit log -------------------------------------------------------------------------------------------


def audit_query(entity: str | None = None, actor: str | None = None, date_from: date | None = None,
                date_to: date | None = None, entity_id: int | None = None):
    from datetime import time, timedelta

    from planner.core.timeutil import local_datetime

    stmt = select(AuditEntry)
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if actor:
        pattern = "%" + actor.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        # The pages show the account's name: search it as well as the stored label (the e-mail address).
        named = select(User.id).where(User.display_name.ilike(pattern, escape="\\"))
        stmt = stmt.where(AuditEntry.actor_label.ilike(pattern, escape="\\") | AuditEntry.actor_id.in_(named))
    if date_from:
        stmt = stmt.where(AuditEntry.at >= local_datetime(date_from, time(0, 0)))
    if date_to:
        stmt = stmt.where(AuditEntry.at < local_datetime(date_to + timedelta(days=1), time(0, 0)))
    return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def audit_entities() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.entity).distinct().order_by(AuditEntry.entity)))

