"""Retention: personal data is kept only as long as the settings in ``RETENTION`` (planner/config.py) say.

Four rules, each a period in days:

- ``inactive_people_days``: a person with no activity (record changed, workshop attended or planned, finding
  or measure recorded, sign-in of a linked account) for this long, counted from the end of the strategy
  process at the earliest, is erased through the GDPR erasure (``erase_person``). The process has ended when
  every workshop series has an end date and every workshop is over; while it runs nobody is removed.
- ``invitation_links_days``: the personal invitation link of a participation is deleted this long after its
  workshop ended (the participation, i.e. who took part, stays).
- ``audit_personal_values_days``: older audit entries lose who acted (account and label), the before/after
  values of records about people, accounts and privacy requests, and summaries naming people (supports);
  what changed when stays.
- ``survey_uploads_days``: raw survey uploads never imported are deleted (row and file).

With ``inactive_people_days`` (as for other public sign-ups) the comments of a public consultation that ended that
long ago lose the commenter's address and name (``planner.strategy.consultation.expire_commenter_data``).

``retention_report`` says what would go and why (the dry run the data-protection officer reads on
/privacy-requests/retention and with ``flask retention run --dry-run``); ``apply_retention`` deletes it, after
writing the archive bundle (planner.privacy.archive) when anything is deleted. The daily job runs
``apply_retention``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from planner.core.audit import AuditEntry
from planner.core.errors import DomainError
from planner.core.timeutil import local_today, to_local
from planner.extensions import db
from planner.jobs.queue import periodic

# Exactly these keys (another package reads them): periods in days.
SETTINGS = ("inactive_people_days", "invitation_links_days", "audit_personal_values_days", "survey_uploads_days")
DEFAULTS = {"inactive_people_days": 730, "invitation_links_days": 90, "audit_personal_values_days": 1095,
            "survey_uploads_days": 30}
# Audit entries about these records hold personal values in their before/after columns.
PERSONAL_ENTITIES = ("people", "users", "privacy_requests", "participations")
# Explicit entries whose summary names a person.
NAMING_ACTIONS = ("support", "unsupport")
EXPIRED = {"_expired": True}
# Actor labels that name no one.
IMPERSONAL_ACTORS = ("", "system", "anonymous", "demo", "retention")
ITEM_LIMIT = 200  # items listed per rule in a report; the counts are always complete


class RetentionSettingsError(DomainError):
    """RETENTION in the configuration holds a period that is not a whole number of days (at least 1)."""


def settings() -> dict[str, int]:
    configured = dict(current_app.config.get("RETENTION") or {})
    result = {}
    for key in SETTINGS:
        value = configured.get(key, DEFAULTS[key])
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise RetentionSettingsError(_l(
                "The retention settings are invalid: RETENTION[“%(key)s”] must be a whole number of days, at least 1. "
                "Nothing is deleted until the configuration is corrected.", key=key))
        result[key] = value
    return result


@dataclass(frozen=True)
class Item:
    """One record that would be (or was) removed; ``since`` is the date its period is counted from."""

    id: int
    label: str
    since: date | None


@dataclass
class Rule:
    key: str
    days: int
    cutoff: date
    count: int = 0
    items: list[Item] = field(default_factory=list)


@dataclass
class Report:
    today: date
    dry_run: bool
    process_end: date | None
    people: Rule
    invitations: Rule
    audit: Rule
    uploads: Rule
    archive: str | None = None

    @property
    def rules(self) -> list[Rule]:
        return [self.people, self.invitations, self.audit, self.uploads]

    @property
    def total(self) -> int:
        return sum(rule.count for rule in self.rules)


def _local_date(value: datetime | None) -> date | None:
    return to_local(value).date() if value is not None else None


# --- the strategy process and people's last activity ------------------------------------------------------------


def process_end() -> date | None:
    """The day the strategy process ended: the last series' end and the last workshop's end, None while open."""
    from planner.workshops.models import Workshop, WorkshopSeries

    series_open = db.session.scalar(select(func.count()).select_from(WorkshopSeries)
                                    .where(WorkshopSeries.ends_on.is_(None)))
    if series_open:
        return None
    last_series = db.session.scalar(select(func.max(WorkshopSeries.ends_on)))
    last_workshop = _local_date(db.session.scalar(select(func.max(Workshop.ends_at))))
    candidates = [d for d in (last_series, last_workshop) if d is not None]
    if not candidates:
        return None
    end = max(candidates)
    return end if end < local_today() else None


def last_activity() -> dict[int, datetime]:
    """person id → the latest moment anything happened with or by them."""
    from planner.accounts.models import User
    from planner.findings.models import Finding, Measure
    from planner.people.models import Person
    from planner.workshops.models import Participation, Workshop

    latest: dict[int, datetime] = {}

    def take(rows):
        for person_id, moment in rows:
            if person_id is None or moment is None:
                continue
            if person_id not in latest or moment > latest[person_id]:
                latest[person_id] = moment

    take(db.session.execute(select(Person.id, Person.created_at)))
    take(db.session.execute(select(Person.id, Person.updated_at)))
    take(db.session.execute(select(Participation.person_id, func.max(Workshop.ends_at))
                            .join(Workshop, Workshop.id == Participation.workshop_id)
                            .group_by(Participation.person_id)))
    take(db.session.execute(select(Finding.author_id, func.max(Finding.updated_at)).group_by(Finding.author_id)))
    take(db.session.execute(select(Measure.proposed_by_id, func.max(Measure.updated_at))
                            .group_by(Measure.proposed_by_id)))
    take(db.session.execute(select(User.person_id, func.max(User.last_login_at)).group_by(User.person_id)))
    return latest


# --- the report ----------------------------------------------------------------------------------------------------


def retention_report(today: date | None = None, *, dry_run: bool = True) -> Report:
    periods = settings()
    today = today or local_today()
    end = process_end()
    report = Report(
        today=today,
        dry_run=dry_run,
        process_end=end,
        people=Rule("inactive_people_days", periods["inactive_people_days"],
                    today - timedelta(days=periods["inactive_people_days"])),
        invitations=Rule("invitation_links_days", periods["invitation_links_days"],
                         today - timedelta(days=periods["invitation_links_days"])),
        audit=Rule("audit_personal_values_days", periods["audit_personal_values_days"],
                   today - timedelta(days=periods["audit_personal_values_days"])),
        uploads=Rule("survey_uploads_days", periods["survey_uploads_days"],
                     today - timedelta(days=periods["survey_uploads_days"])),
    )
    _people(report)
    _invitations(report)
    _audit(report)
    _uploads(report)
    return report


def _people(report: Report) -> None:
    from planner.people.models import Person
    from planner.privacy.services import ERASED_DOMAIN

    rule = report.people
    if report.process_end is None or report.process_end >= rule.cutoff:
        return
    activity = last_activity()
    people = db.session.scalars(
        select(Person).where(Person.email.not_like(f"%@{ERASED_DOMAIN}")).order_by(Person.last_name, Person.id)
    ).all()
    for person in people:
        since = max(report.process_end, _local_date(activity.get(person.id)) or report.process_end)
        if since < rule.cutoff:
            rule.count += 1
            if len(rule.items) < ITEM_LIMIT:
                rule.items.append(Item(person.id, person.full_name, since))


def _invitation_query(cutoff: date):
    from planner.invitations.models import Invitation
    from planner.workshops.models import Participation, Workshop

    return (
        select(Invitation.id, Workshop.title, Workshop.ends_at)
        .join(Participation, Participation.id == Invitation.participation_id)
        .join(Workshop, Workshop.id == Participation.workshop_id)
        .where(Workshop.ends_at < _midnight(cutoff))
        .order_by(Workshop.ends_at, Invitation.id)
    )


def _midnight(day: date) -> datetime:
    from datetime import time

    from planner.core.timeutil import local_datetime

    return local_datetime(day, time(0, 0))


def _invitations(report: Report) -> None:
    rule = report.invitations
    rows = db.session.execute(_invitation_query(rule.cutoff)).all()
    rule.count = len(rows)
    rule.items = [Item(row.id, row.title, _local_date(row.ends_at)) for row in rows[:ITEM_LIMIT]]


def _audit_condition(cutoff: date):
    return (AuditEntry.at < _midnight(cutoff)) & or_(
        AuditEntry.actor_id.is_not(None),
        AuditEntry.actor_label.not_in(IMPERSONAL_ACTORS),
        (AuditEntry.entity.in_(PERSONAL_ENTITIES) & (AuditEntry.action != "privacy_erasure")),
        AuditEntry.action.in_(NAMING_ACTIONS) & (AuditEntry.summary != ""),
    )


def _audit(report: Report) -> None:
    rule = report.audit
    condition = _audit_condition(rule.cutoff)
    entries = db.session.scalars(select(AuditEntry).where(condition).order_by(AuditEntry.at, AuditEntry.id)).all()
    # Entries about people that carry no values any more (erased, expired) and no actor are done already.
    entries = [e for e in entries if _has_personal_values(e)]
    rule.count = len(entries)
    from planner.core.history import entity_label

    # Named as the audit log names them (never the table's name).
    rule.items = [Item(e.id, f"{entity_label(e.entity)} #{e.entity_id}" if e.entity_id else entity_label(e.entity),
                       _local_date(e.at)) for e in entries[:ITEM_LIMIT]]


def _has_personal_values(entry: AuditEntry) -> bool:
    if entry.actor_id is not None or entry.actor_label not in IMPERSONAL_ACTORS:
        return True
    if entry.action in NAMING_ACTIONS and entry.summary:
        return True
    if entry.entity in PERSONAL_ENTITIES and entry.action != "privacy_erasure":
        return bool(entry.changes) and entry.changes not in (EXPIRED, {"_erased": True}) or bool(entry.summary)
    return False


def _uploads(report: Report) -> None:
    from planner.surveys.models import SurveyUpload

    rule = report.uploads
    uploads = db.session.scalars(
        select(SurveyUpload).where(SurveyUpload.uploaded_at < _midnight(rule.cutoff)).order_by(SurveyUpload.id)
    ).all()
    rule.count = len(uploads)
    rule.items = [Item(u.id, u.file_name, _local_date(u.uploaded_at)) for u in uploads[:ITEM_LIMIT]]


# --- applying it -------------------------------------------------------------------------------------------------


def apply_retention(actor, today: date | None = None, *, instance_path: str | Path | None = None,
                    archive: bool = True) -> Report:
    """Deletes what the report lists. Writes the archive bundle first when anything is deleted.

    The caller commits (the CLI command and the daily job do). ``actor`` is the acting user or None (system).
    """
    from planner.people.models import Person
    from planner.privacy.services import erase_person

    report = retention_report(today, dry_run=False)
    from planner.strategy.consultation import expire_commenter_data

    expire_commenter_data(report.people.cutoff)  # public consultations: as long as other public sign-ups
    if report.total == 0:
        return report
    instance_path = Path(instance_path or current_app.instance_path)
    if archive and (report.people.count or report.invitations.count):
        from planner.privacy.archive import default_archive_path, export_archive

        target = default_archive_path(instance_path)
        export_archive(target)
        report.archive = str(target)
    # People: the full list, not just the items shown.
    if report.people.count:
        for person_id in _all_people_ids(report):
            person = db.session.get(Person, person_id)
            if person is not None:
                erase_person(actor, person)
    if report.invitations.count:
        from planner.invitations.models import Invitation

        ids = [row.id for row in db.session.execute(_invitation_query(report.invitations.cutoff))]
        for chunk in _chunks(ids):
            db.session.execute(delete(Invitation).where(Invitation.id.in_(chunk)))
    if report.audit.count:
        _expire_audit(report.audit.cutoff)
    if report.uploads.count:
        _delete_uploads(report.uploads.cutoff, instance_path)
    db.session.flush()
    from planner.core import audit

    audit.record("retention", entity="retention", summary=(
        f"retention applied: {report.people.count} people erased, {report.invitations.count} invitation links, "
        f"{report.audit.count} audit entries, {report.uploads.count} survey uploads"
    ), changes={**{rule.key: rule.count for rule in report.rules},
                **({"archive": Path(report.archive).name} if report.archive else {})})
    db.session.flush()
    return report


def _all_people_ids(report: Report) -> list[int]:
    from planner.people.models import Person
    from planner.privacy.services import ERASED_DOMAIN

    activity = last_activity()
    ids = []
    for person_id in db.session.scalars(select(Person.id).where(Person.email.not_like(f"%@{ERASED_DOMAIN}"))):
        since = max(report.process_end, _local_date(activity.get(person_id)) or report.process_end)
        if since < report.people.cutoff:
            ids.append(person_id)
    return ids


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _expire_audit(cutoff: date) -> None:
    old = AuditEntry.at < _midnight(cutoff)
    db.session.execute(update(AuditEntry).where(old, AuditEntry.actor_id.is_not(None)).values(actor_id=None))
    db.session.execute(update(AuditEntry).where(old, AuditEntry.actor_label.not_in(IMPERSONAL_ACTORS))
                       .values(actor_label=""))
    db.session.execute(
        update(AuditEntry)
        .where(old, AuditEntry.entity.in_(PERSONAL_ENTITIES), AuditEntry.action != "privacy_erasure")
        .values(changes=EXPIRED, summary="")
    )
    db.session.execute(update(AuditEntry).where(old, AuditEntry.action.in_(NAMING_ACTIONS)).values(summary=""))


def _delete_uploads(cutoff: date, instance_path: Path) -> None:
    from planner.surveys.models import SurveyUpload
    from planner.surveys.services import purge_upload

    for upload in db.session.scalars(select(SurveyUpload).where(SurveyUpload.uploaded_at < _midnight(cutoff))):
        purge_upload(upload, instance_path)


# --- the daily job -----------------------------------------------------------------------------------------------


@periodic("privacy.retention_daily", minute="30", hour="2")
def run_daily() -> None:
    """Every night (02:30 UTC) in the job worker: apply the retention periods, archive bundle first."""
    import logging

    from planner.core.audit import acting_as

    log = logging.getLogger("planner.retention")
    with acting_as(None, "retention"):
        try:
            report = apply_retention(None)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("retention run failed")
            raise
    log.info("retention applied: %s", {rule.key: rule.count for rule in report.rules})
