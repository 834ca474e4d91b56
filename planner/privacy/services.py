"""GDPR requests: a person's data export (Art. 15/20) and erasure (Art. 17), and the requests that lead to them.

Both walk the one registry of where personal data lives (``planner.privacy.registry``): every table that refers to
the person or their accounts (found from the schema), the audit log, frozen paper versions, job files, the outbox,
uploads, the job queue, log files and throttling counters. A store added there is exported and erased at once.

Erasure keeps the rows that other records need and removes the identity:
- the person row stays as "Gelöschte Person #<id>" with a non-routable placeholder e-mail
  (``deleted-<id>@erased.invalid``); every other text and date column is emptied, consent is cleared, the
  organisation link and the fields of interest are removed;
- nullable references (finding author, measure proposer, agenda responsibility, ...) are set to NULL, so
  findings and measures stay, with an anonymous author; supports are removed;
- participations stay (attendance numbers stay true) but point to the anonymised person only; their personal
  invitation links are deleted;
- linked accounts are deactivated, signed out everywhere and anonymised;
- the audit log loses the personal values and every summary or value naming the person;
- files that name the person (job results, outbox mails, uploads, cached downloads) are deleted, frozen versions
  are redacted, queued tasks and log lines naming them are removed;
- once committed, every SQLite database is rewritten (secure_delete, VACUUM, WAL checkpoint).
"""

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from planner.accounts.models import User
from planner.core import audit
from planner.core.audit import AuditEntry, to_json
from planner.core.errors import DomainError, InvalidTransition
from planner.core.models import normalise_email, utcnow
from planner.extensions import db
from planner.people.models import Person
from planner.people.services import withdraw_consent as end_consent
from planner.privacy import registry
from planner.privacy.models import PrivacyRequest, RequestKind, RequestStatus
from planner.privacy.registry import ERASED_DOMAIN, ERASED_FIRST_NAME, KEEP_PERSON_COLUMNS  # noqa: F401

EXPORT_FORMAT = "planner-person-export/2"


def is_erased(person: Person) -> bool:
    return (person.email or "").endswith("@" + ERASED_DOMAIN)


def person_references() -> list[tuple]:
    """(table, column) for every column in the schema that points at people.id."""
    return registry.person_references()


def export_person(actor: User | None, person: Person) -> dict:
    """Everything the planner holds about a person, store by store, as JSON-ready data. Records who exported it.

    The keys: ``person``, ``consent``, ``organisation`` and ``records`` (the people store), ``accounts`` and
    ``account_records``, then one key per other store of the registry (``audit_log``, ``outbox``, ...).
    """
    subject = registry.Subject.of(person)
    found = registry.export_subject(subject)
    result = {"format": EXPORT_FORMAT, "exported_at": to_json(utcnow())}
    result.update(found.pop("people"))
    accounts = found.pop("accounts")
    result["accounts"] = accounts["accounts"]
    result["account_records"] = accounts["records"]
    result.update(found)
    result["stores"] = [{"key": store.key, "label": str(store.label), "location": str(store.location)}
                        for store in registry.stores()]
    audit.record("privacy_export", person, summary="data export (Art. 15/20 GDPR)")
    return result


def erase_person(actor: User | None, person: Person) -> Person:
    """Erases the person everywhere the registry knows (see the module docstring)."""
    if is_erased(person):
        raise DomainError(_l("This person's data has already been erased."))
    person_id = person.id
    subject = registry.Subject.of(person)
    counts = registry.erase_subject(subject)
    audit.record("privacy_erasure", entity="people", entity_id=person_id,
                 changes={key: n for key, n in counts.items() if n},
                 summary=f"personal data erased (Art. 17 GDPR); {len(subject.user_ids)} account(s) deactivated")
    # Open requests of this person are done now.
    for request in db.session.scalars(
        select(PrivacyRequest).where(PrivacyRequest.person_id == person_id,
                                     PrivacyRequest.status == RequestStatus.OPEN)
    ):
        request.status = RequestStatus.DONE
        request.decided_at = utcnow()
        request.decided_by_id = actor.id if actor is not None else None
    db.session.flush()
    registry.scrub_after_commit()
    return person


# --- an e-mail address without a person record --------------------------------------------------------------
# A commenter of a public consultation (or an outside reviewer, or someone who sent feedback) may have no person
# record: a request for their address walks the stores that find data by address.

ADDRESS_STORES = ("review_guests", "consultation_comments", "email_tables", "audit_log", "job_files", "outbox",
                  "log_files", "rate_limits")
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _address_subject(email: str) -> registry.Subject:
    address = normalise_email(email)
    if not address or len(address) > 254 or not _ADDRESS.match(address) or address.endswith("@" + ERASED_DOMAIN):
        raise DomainError(_l("Please enter a valid e-mail address."), field="email")
    return registry.Subject(person_id=-1, first_name="", last_name="", full_name="", email=address,
                            organisation=None)


def person_with_address(email: str) -> Person | None:
    return db.session.scalar(select(Person).where(db.func.lower(Person.email) == normalise_email(email)))


def address_holdings(email: str) -> list[tuple[str, int]]:
    """What the address-keyed stores hold for an address: (the store's label, how many records or files)."""
    subject = _address_subject(email)
    found = []
    for key in ADDRESS_STORES:
        count = _count(registry.get_store(key).export(subject))
        if count:
            found.append((str(registry.get_store(key).label), count))
    return found


def _count(data) -> int:
    """How many records or files a store's export lists (a count it gives itself stays a count)."""
    if isinstance(data, bool) or data is None:
        return int(bool(data))
    if isinstance(data, int):
        return data
    if isinstance(data, dict):
        return sum(_count(v) if isinstance(v, int | list | tuple) else 1 for v in data.values())
    if isinstance(data, list | tuple):
        return len(data)
    return 1 if data else 0


def erase_address(actor: User | None, email: str) -> dict[str, int]:
    """Erases what the planner holds under an e-mail address that belongs to no person record (comments of public
    consultations, an outside reviewer's invitation, feedback, mails): the request of someone without an account.
    Recorded in the audit log without the address. A person with the address is erased as a person instead."""
    subject = _address_subject(email)
    if person_with_address(subject.email) is not None:
        raise DomainError(_l("A person with this address is in the planner: erase the person on their page; that "
                             "covers everything held under the address too."), field="email")
    counts = {}
    for key in ADDRESS_STORES:
        counts[key] = int(registry.get_store(key).erase(subject) or 0)
        db.session.flush()
    audit.record("privacy_erasure", entity="privacy_requests", changes={k: n for k, n in counts.items() if n},
                 summary="personal data held under an e-mail address without a person record erased (Art. 17 GDPR)")
    db.session.flush()
    registry.scrub_after_commit()
    return counts


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
    end_consent(person)  # by the person themselves (their account)
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

