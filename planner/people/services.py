"""The roster of experts and their organisations: editing, CSV import, likely duplicates and merging."""

import difflib
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import selectinload

from planner.core import audit
from planner.core.errors import DomainError
from planner.core.locking import bump_version, check_version, save_version
from planner.core.models import normalise_email, utcnow
from planner.extensions import db
from planner.fields.models import ActionField
from planner.people.importer import ParsedImport, parse_people_csv
from planner.people.models import Organisation, Person, Sector, person_fields

# What a person agrees to when their consent is recorded (stored with the person, word for word).
CONSENT_TEXT = _l(
    "I agree that the city stores my name, organisation, contact details and action fields to invite me to "
    "the Smart City strategy process and to document my participation. I can withdraw this consent at any time."
)


def roster_query(field_id: int | None = None, sector: str | None = None, organisation_id: int | None = None,
                 search: str | None = None) -> Select:
    """People filtered in SQL, ordered by name, with what the list shows loaded up front."""
    stmt = select(Person).options(selectinload(Person.organisation), selectinload(Person.fields))
    if field_id:
        stmt = stmt.join(person_fields, person_fields.c.person_id == Person.id).where(
            person_fields.c.field_id == field_id
        )
    if sector in {s.value for s in Sector} or organisation_id:
        stmt = stmt.join(Organisation, Organisation.id == Person.organisation_id)
        if sector in {s.value for s in Sector}:
            stmt = stmt.where(Organisation.sector == Sector(sector))
        if organisation_id:
            stmt = stmt.where(Organisation.id == organisation_id)
    if search:
        pattern = f"%{search.strip().lower()}%"
        stmt = stmt.where(
            Person.last_name.ilike(pattern) | Person.first_name.ilike(pattern) | Person.email.ilike(pattern)
        )
    return stmt.order_by(Person.last_name, Person.first_name, Person.id)


def list_organisations() -> list[Organisation]:
    return db.session.scalars(select(Organisation).order_by(Organisation.name)).all()


def organisations_query() -> Select:
    return select(Organisation).order_by(Organisation.name)


def person_count_by_organisation() -> dict[int, int]:
    rows = db.session.execute(
        select(Person.organisation_id, func.count(Person.id)).group_by(Person.organisation_id)
    ).all()
    return {org_id: count for org_id, count in rows if org_id is not None}


# --- people and organisations ------------------------------------------------------------------------------


def _email_taken(email: str, except_id: int | None = None) -> bool:
    stmt = select(Person.id).where(func.lower(Person.email) == normalise_email(email))
    if except_id is not None:
        stmt = stmt.where(Person.id != except_id)
    return db.session.scalar(stmt.limit(1)) is not None


def _fields_by_ids(field_ids) -> list[ActionField]:
    ids = [int(i) for i in field_ids or []]
    if not ids:
        return []
    return db.session.scalars(select(ActionField).where(ActionField.id.in_(ids)).order_by(ActionField.position)).all()


# --- consent: the one writer of a person's consent -----------------------------------------------------------
# Only the person themselves (their personal link, their account, a confirmed registration) or staff with a reason
# change consent; every change is in the audit log (who acted, and the staff's reason among the changes; no names
# in the summary: the person is the entry's entity).


class ConsentWithdrawn(DomainError):
    """The person withdrew their consent; a public form cannot give it back."""

    def __init__(self):
        super().__init__(_l("You have withdrawn your consent to the processing of your data, so we cannot register "
                            "you this way. Please contact the Smart City team if you would like to take part."))


CONSENT_REASON_NEEDED = _l("Please give a reason for changing this person's consent (e.g. their signed form or "
                           "their e-mail of a given date).")


def record_consent(person: Person, text: str | None = None, at=None, *, staff=None, reason: str = "") -> None:
    """Consent is given. ``staff`` None: by the person themselves (this ends an earlier withdrawal). Staff changing
    the consent of an existing person must give a ``reason``; it goes into the audit log."""
    reason = (reason or "").strip()
    if staff is not None and person.id is not None and not reason:
        raise DomainError(CONSENT_REASON_NEEDED, field="consent_reason")
    if not person.has_consent:
        bump_version(person)  # an edit form opened before shows "no consent": saving it must not withdraw this
    person.has_consent = True
    person.consent_at = at or utcnow()
    person.consent_text = str(text or CONSENT_TEXT)
    person.consent_withdrawn_at = None
    if person.id is None:
        db.session.add(person)
        db.session.flush()
    by = "staff" if staff is not None else "person"
    audit.record("consent_given", person, changes={"by": by, "reason": reason}, summary=f"consent given ({by})")


def record_consent_if_missing(person: Person, text: str) -> bool:
    """A person's own sign-up on a public form (after they confirmed it from their mailbox): records consent only
    for a person who has none and never reverses a withdrawal (raises ConsentWithdrawn). True when recorded."""
    if person.consent_withdrawn_at is not None:
        raise ConsentWithdrawn()
    if person.has_consent:
        return False
    record_consent(person, text)
    return True


def withdraw_consent(person: Person, *, staff=None, reason: str = "") -> None:
    """Consent ends: the flag goes, the time and text of the withdrawn consent are cleared with it, and the
    withdrawal is kept so that no public form gives consent back. Staff need a ``reason``."""
    reason = (reason or "").strip()
    if staff is not None and not reason:
        raise DomainError(CONSENT_REASON_NEEDED, field="consent_reason")
    if person.has_consent:
        bump_version(person)  # an edit form opened before still shows the consent: saving it must not restore it
    person.has_consent, person.consent_at, person.consent_text = False, None, ""
    person.consent_withdrawn_at = utcnow()
    by = "staff" if staff is not None else "person"
    audit.record("consent_withdrawn", person, changes={"by": by, "reason": reason},
                 summary=f"consent withdrawn ({by})")


def create_person(actor, *, first_name: str, last_name: str, email: str, title: str = "", position: str = "",
                  organisation_id: int | None = None, field_ids=(), consent: bool = False,
                  consent_reason: str = "") -> Person:
    if _email_taken(email):
        raise DomainError(_l("A person with this e-mail address already exists."), field="email")
    person = Person(first_name=first_name.strip(), last_name=last_name.strip(), email=email, title=title.strip(),
                    position=position.strip(), organisation_id=organisation_id or None)
    person.fields = _fields_by_ids(field_ids)
    db.session.add(person)
    db.session.flush()
    if consent:
        record_consent(person, staff=actor or True, reason=consent_reason or "recorded when the person was added")
    return person


def update_person(actor, person: Person, *, first_name: str, last_name: str, email: str, title: str = "",
                  position: str = "", organisation_id: int | None = None, field_ids=(),
                  consent: bool = False, consent_reason: str = "", version: int | None = None) -> Person:
    """Saves the person; a save based on an older version (``version`` from the form) raises StaleVersion."""
    check_version(person, version)
    if _email_taken(email, except_id=person.id):
        raise DomainError(_l("A person with this e-mail address already exists."), field="email")
    person.first_name, person.last_name = first_name.strip(), last_name.strip()
    person.email, person.title, person.position = email, title.strip(), position.strip()
    person.organisation_id = organisation_id or None
    person.fields = _fields_by_ids(field_ids)
    if consent and not person.has_consent:
        record_consent(person, staff=actor or True, reason=consent_reason)
    elif not consent and person.has_consent:
        withdraw_consent(person, staff=actor or True, reason=consent_reason)
    save_version(person)
    return person


def _organisation_name_taken(name: str, except_id: int | None = None) -> bool:
    stmt = select(Organisation.id).where(func.lower(Organisation.name) == name.strip().lower())
    if except_id is not None:
        stmt = stmt.where(Organisation.id != except_id)
    return db.session.scalar(stmt.limit(1)) is not None


def create_organisation(actor, *, name: str, sector: str) -> Organisation:
    if _organisation_name_taken(name):
        raise DomainError(_l("An organisation with this name already exists."), field="name")
    organisation = Organisation(name=name.strip(), sector=Sector(sector))
    db.session.add(organisation)
    db.session.flush()
    return organisation


def update_organisation(actor, organisation: Organisation, *, name: str, sector: str,
                        version: int | None = None) -> Organisation:
    """Saves the organisation; a save based on an older version raises StaleVersion."""
    check_version(organisation, version)
    if _organisation_name_taken(name, except_id=organisation.id):
        raise DomainError(_l("An organisation with this name already exists."), field="name")
    organisation.name, organisation.sector = name.strip(), Sector(sector)
    save_version(organisation)
    return organisation


# --- CSV import ---------------------------------------------------------------------------------------------


def preview_import(data: bytes) -> ParsedImport:
    """Parses the file and marks each row "new" or "update" (an e-mail already present updates the person)."""
    codes = set(db.session.scalars(select(ActionField.code)).all())
    organisations = {n.lower() for n in db.session.scalars(select(Organisation.name)).all()}
    parsed = parse_people_csv(data, codes, organisations)
    emails = [r.email for r in parsed.rows if r.email]
    existing = set()
    for chunk_start in range(0, len(emails), 500):
        chunk = emails[chunk_start:chunk_start + 500]
        existing |= set(db.session.scalars(select(func.lower(Person.email)).where(func.lower(Person.email).in_(chunk))))
    for row in parsed.rows:
        row.action = "update" if row.email in existing else "new"
    return parsed


@dataclass
class ImportResult:
    created: int
    updated: int


def import_people(actor, data: bytes) -> ImportResult:
    """All or nothing: a file with any row error imports nothing."""
    parsed = preview_import(data)
    if parsed.errors:
        raise DomainError(
            _l("The file has %(count)s error(s). Nothing was imported: please correct the file and upload it again.",
               count=len(parsed.errors))
        )
    fields = {f.code: f for f in db.session.scalars(select(ActionField))}
    organisations = {o.name.lower(): o for o in db.session.scalars(select(Organisation))}
    created = updated = 0
    for row in parsed.rows:
        organisation = None
        if row.organisation:
            organisation = organisations.get(row.organisation.lower())
            if organisation is None:
                organisation = Organisation(name=row.organisation, sector=row.sector)
                db.session.add(organisation)
                organisations[row.organisation.lower()] = organisation
        person = db.session.scalar(select(Person).where(func.lower(Person.email) == row.email))
        if person is None:
            person = Person(first_name=row.first_name, last_name=row.last_name, email=row.email, title=row.title,
                            position=row.position)
            db.session.add(person)
            created += 1
        else:
            person.first_name, person.last_name = row.first_name or person.first_name, row.last_name
            person.title = row.title or person.title
            person.position = row.position or person.position
            updated += 1
        if organisation is not None:
            person.organisation = organisation
        if row.field_codes:
            person.fields = list(dict.fromkeys([*person.fields, *(fields[c] for c in row.field_codes)]))
    db.session.flush()
    audit.record("import", entity="people", summary=f"CSV import: {created} new, {updated} updated",
                 changes={"created": created, "updated": updated})
    return ImportResult(created, updated)


# --- likely duplicates and merging --------------------------------------------------------------------------

SIMILARITY_THRESHOLD = 0.85
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def fold_name(first: str, last: str) -> str:
    """'Jörg  Müller' → 'joerg mueller': umlauts folded, accents dropped, blanks collapsed."""
    text = f"{first} {last}".lower().translate(_FOLD)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.replace("-", " ").split())


@dataclass(frozen=True)
class DuplicatePair:
    first: Person
    second: Person
    reason: str  # "email" or "name"
    score: float


def likely_duplicates() -> list[DuplicatePair]:
    pairs: dict[tuple[int, int], DuplicatePair] = {}
    # Same e-mail in another case (data stored before normalisation, or written around it).
    lowered = func.lower(func.trim(Person.email))
    clashing = select(lowered).group_by(lowered).having(func.count(Person.id) > 1)
    same_email = db.session.scalars(
        select(Person).where(lowered.in_(clashing)).options(selectinload(Person.organisation))
        .order_by(lowered, Person.id)
    ).all()
    by_email: dict[str, list[Person]] = {}
    for person in same_email:
        by_email.setdefault(normalise_email(person.email), []).append(person)
    for group in by_email.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                pairs[(a.id, b.id)] = DuplicatePair(a, b, "email", 1.0)
    # Very similar names in the same organisation.
    people = db.session.scalars(
        select(Person).where(Person.organisation_id.is_not(None)).options(selectinload(Person.organisation))
        .order_by(Person.organisation_id, Person.id)
    ).all()
    by_org: dict[int, list[tuple[Person, str]]] = {}
    for person in people:
        by_org.setdefault(person.organisation_id, []).append((person, fold_name(person.first_name, person.last_name)))
    matcher = difflib.SequenceMatcher(None)
    for members in by_org.values():
        for i, (a, name_a) in enumerate(members):
            matcher.set_seq2(name_a)  # the matcher caches what it learns about its second sequence
            for b, name_b in members[i + 1:]:
                if (a.id, b.id) in pairs:
                    continue
                matcher.set_seq1(name_b)
                # The quick ratios are upper bounds: most pairs are ruled out without the full comparison.
                if matcher.real_quick_ratio() < SIMILARITY_THRESHOLD or matcher.quick_ratio() < SIMILARITY_THRESHOLD:
                    continue
                score = matcher.ratio()
                if score >= SIMILARITY_THRESHOLD:
                    pairs[(a.id, b.id)] = DuplicatePair(a, b, "name", round(score, 2))
    return sorted(pairs.values(), key=lambda p: (p.reason != "email", -p.score, p.first.id))


def is_likely_duplicate(a: Person, b: Person) -> bool:
    if normalise_email(a.email) == normalise_email(b.email):
        return True
    return (a.organisation_id is not None and a.organisation_id == b.organisation_id
            and difflib.SequenceMatcher(None, fold_name(a.first_name, a.last_name),
                                        fold_name(b.first_name, b.last_name)).ratio() >= SIMILARITY_THRESHOLD)


# When both people have a row that may exist only once (e.g. one participation per workshop), the resolver
# picks which of the two rows survives. Without one, the kept person's row stays and the duplicate's goes.
STATUS_RANK = {"accepted": 4, "waitlisted": 3, "invited": 2, "declined": 1}


def _better_participation(kept_row, dup_row) -> str:
    def rank(row):
        return (1 if row.get("attended") else 0, STATUS_RANK.get(str(row.get("invitation_status")), 0))

    return "dup" if rank(dup_row) > rank(kept_row) else "kept"


CLASH_RESOLVERS = {"participations": _better_participation}


def _referencing_columns():
    """(table, column) for every foreign key anywhere in the schema that points at people.id."""
    people_table = Person.__table__
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is people_table and fk.column.name == "id":
                yield table, fk.parent


def _unique_sets(table, column) -> list[list]:
    sets = []
    for constraint in table.constraints:
        kind = type(constraint).__name__
        if kind in ("UniqueConstraint", "PrimaryKeyConstraint") and constraint.columns.contains_column(column):
            sets.append(list(constraint.columns))
    for index in table.indexes:
        if index.unique and column.name in [c.name for c in index.columns]:
            sets.append(list(index.columns))
    return sets


def merge_people(actor, keep: Person, duplicate: Person) -> Person:
    """Moves everything that references the duplicate to the kept person, then deletes the duplicate."""
    if keep.id == duplicate.id:
        raise DomainError(_l("A person cannot be merged with themselves."))
    db.session.flush()
    moved: dict[str, int] = {}
    for table, column in _referencing_columns():
        pk = list(table.primary_key.columns)
        for unique in _unique_sets(table, column):
            others = [c for c in unique if c is not column]
            if not others:
                continue
            dup_rows = db.session.execute(select(table).where(column == duplicate.id)).mappings().all()
            for dup_row in dup_rows:
                match = [c == dup_row[c.name] for c in others]
                kept_row = db.session.execute(select(table).where(column == keep.id, *match)).mappings().first()
                if kept_row is None:
                    continue
                resolver = CLASH_RESOLVERS.get(table.name)
                winner = resolver(dict(kept_row), dict(dup_row)) if resolver else "kept"
                loser = kept_row if winner == "dup" else dup_row
                db.session.execute(delete(table).where(*[c == loser[c.name] for c in pk]))
                moved[f"{table.name}.dropped"] = moved.get(f"{table.name}.dropped", 0) + 1
        result = db.session.execute(update(table).where(column == duplicate.id).values({column.name: keep.id}))
        if result.rowcount:
            moved[f"{table.name}.{column.name}"] = result.rowcount
    # What the kept person lacks, the duplicate may supply.
    for attr in ("title", "position"):
        if not getattr(keep, attr) and getattr(duplicate, attr):
            setattr(keep, attr, getattr(duplicate, attr))
    if keep.organisation_id is None and duplicate.organisation_id is not None:
        keep.organisation_id = duplicate.organisation_id
    if not keep.has_consent and duplicate.has_consent and keep.consent_withdrawn_at is None:
        record_consent(keep, duplicate.consent_text, duplicate.consent_at, staff=actor or True,
                       reason=f"taken over from the merged record #{duplicate.id}")
    # By id only: the names and addresses stay in ``changes``, which an erasure of the kept person clears.
    summary = f"person #{duplicate.id} merged into #{keep.id}"
    audit.record("merge", keep, changes={"merged_person_id": duplicate.id, "merged_email": duplicate.email,
                                         "moved": moved}, summary=summary)
    db.session.flush()
    db.session.expire_all()
    db.session.delete(db.session.get(Person, duplicate.id))
    db.session.flush()
    kept = db.session.get(Person, keep.id)
    kept.email = normalise_email(kept.email)
    db.session.flush()
    return kept
