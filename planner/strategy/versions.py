"""Frozen versions of the paper and what changed between two of them."""

from __future__ import annotations

import dataclasses
import difflib
import fcntl
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from planner.core.errors import DomainError
from planner.core.models import utcnow
from planner.extensions import db
from planner.strategy.exporters import FORMATS, export
from planner.strategy.models import PaperVersion
from planner.strategy.rollup import MeasureSheet, Rollup, build_rollup, rollup_from_json, rollup_to_json, shorten


class UnknownVersion(DomainError):
    pass


def get_version(number: int) -> PaperVersion:
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.number == number))
    if version is None:
        raise UnknownVersion(_l("There is no version %(number)s of the paper.", number=number))
    return version


def list_versions(limit: int | None = None, process=None) -> list[PaperVersion]:
    """Newest first, without their (large) stored roll-ups; only those of ``process`` when given."""
    from sqlalchemy.orm import defer

    from planner.fields.models import in_process

    stmt = select(PaperVersion).options(defer(PaperVersion.rollup_json)).order_by(PaperVersion.number.desc())
    if process is not None:
        stmt = stmt.where(in_process(PaperVersion.process_id, process))
    return list(db.session.scalars(stmt.limit(limit) if limit else stmt))


def redact_person(name: str, organisation: str | None) -> list[int]:
    """Art. 17 GDPR: removes an erased person's name from the participants annex of every frozen version.

    The one change a frozen version allows, made past the model's guard with a plain UPDATE and recorded in the
    audit log; everything else in the version stays byte for byte. Returns the numbers of the versions changed.
    """
    from planner.core.audit import record

    changed = []
    for version in db.session.scalars(select(PaperVersion).order_by(PaperVersion.number)):
        if name not in version.rollup_json:
            continue
        rollup = rollup_from_json(version.rollup_json)
        organisations, found = [], False
        for entry in rollup.annex.organisations:
            if not found and name in entry.people and (organisation is None or entry.name == organisation):
                people = list(entry.people)
                people.remove(name)
                entry, found = dataclasses.replace(entry, people=tuple(people)), True
            organisations.append(entry)
        if not found:
            continue
        annex = dataclasses.replace(rollup.annex, organisations=tuple(organisations))
        text = rollup_to_json(dataclasses.replace(rollup, annex=annex))
        db.session.execute(
            PaperVersion.__table__.update().where(PaperVersion.__table__.c.id == version.id).values(rollup_json=text))
        record("redact", version, summary=f"Version {version.number}: a name removed from the participants annex "
                                          "(erasure under Art. 17 GDPR)")
        db.session.expire(version, ["rollup_json"])  # the UPDATE went past the ORM: read it anew
        changed.append(version.number)
    if changed:  # cached public downloads may name the person: they are made anew on the next request
        shutil.rmtree(published_exports_folder(), ignore_errors=True)
    return changed


# What an export's bytes depend on besides the roll-up: a new release with other templates, labels or
# translations must not serve files cached by the old one.
_EXPORT_SOURCES = ("planner/strategy/exporters/*.py", "planner/strategy/labels.py", "planner/strategy/charts.py",
                   "planner/strategy/outline.py", "planner/strategy/rollup.py", "templates/exports/*.html",
                   "planner/static/css/paper*.css",
                   "planner/strategy/translations/*/LC_MESSAGES/*.po", "planner/translations/*/LC_MESSAGES/*.po")
_export_fingerprint: str | None = None


def export_fingerprint() -> str:
    global _export_fingerprint
    if _export_fingerprint is None:
        root = Path(__file__).resolve().parents[2]
        digest = hashlib.sha256()
        for pattern in _EXPORT_SOURCES:
            for path in sorted(root.glob(pattern)):
                digest.update(path.name.encode() + path.read_bytes())
        _export_fingerprint = digest.hexdigest()
    return _export_fingerprint


def published_exports_folder() -> Path:
    return Path(current_app.instance_path) / "published-exports"


def published_export(version: PaperVersion, rollup: Rollup, code: str, folder: Path) -> Path:
    """The file of a published version's export, made once and then served from ``folder``.

    Anyone may download a published paper: without the cache every anonymous request would lay out the PDF
    anew (tens of seconds and hundreds of MB for a large city). Frozen versions do not change, so the file
    is keyed by the stored roll-up (an erasure's redaction changes it), the language, the length, the format
    and the exporter code. A lock per file makes concurrent first requests wait for one export.
    """
    key = hashlib.sha256("|".join((version.rollup_json, rollup.locale, str(rollup.short), code, export_fingerprint(),
                                   str(rollup.adopted_on), _logo_key())).encode()).hexdigest()[:32]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.{FORMATS[code].extension}"
    with open(folder / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
            try:
                with os.fdopen(handle, "wb") as output:
                    export(rollup, code, output)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
    return path


def _logo_key() -> str:
    """The city's logo is on the cover: a new logo makes new files."""
    from planner.city.models import CitySettings

    row = db.session.execute(select(CitySettings.logo_mimetype, CitySettings.logo)).first()
    return hashlib.sha256(row[1]).hexdigest() if row is not None and row[0] and row[1] else ""


def latest_published() -> PaperVersion | None:
    return db.session.scalars(
        select(PaperVersion).where(PaperVersion.published_at.is_not(None)).order_by(PaperVersion.number.desc())
    ).first()


def version_rollup(version: PaperVersion, *, locale: str | None = None, short: bool = False) -> Rollup:
    """The roll-up as it was frozen (rebuilt from the stored JSON), in the language asked for."""
    rollup = rollup_from_json(version.rollup_json)
    rollup = dataclasses.replace(rollup, version=version.number, locale=locale or rollup.locale,
                                 issued_on=rollup.issued_on or _local_day(version.frozen_at),
                                 adopted_on=adopted_on(version))
    if short:
        rollup = shorten(rollup)
    return rollup


def adopted_on(version: PaperVersion) -> date | None:
    """The day the council adopted this version (its Beschlussvorlage, planner.strategy.council); None while it
    has not (the paper's cover then says "Draft")."""
    decision = getattr(version, "decision", None)  # the backref of planner.strategy.council.CouncilDecision
    if decision is None or decision.state != "adopted":
        return None
    return decision.decided_on or _local_day(version.published_at or version.frozen_at)


def _local_day(moment):
    """The city's calendar day of a stored UTC time (a version frozen before schema 4 had no date of its own)."""
    if moment is None:
        return None
    from planner.core.timeutil import to_local

    return to_local(moment).date()


def freeze_version(user, note: str = "") -> PaperVersion:
    """Stores the current draft's roll-up as the next numbered version."""
    number = (db.session.scalar(select(func.max(PaperVersion.number))) or 0) + 1
    rollup = dataclasses.replace(build_rollup(locale="de"), version=number)
    version = PaperVersion(
        number=number, frozen_at=utcnow(), frozen_by_id=getattr(user, "id", None), note=(note or "").strip(),
        rollup_json=rollup_to_json(rollup),
    )
    db.session.add(version)
    db.session.flush()
    from planner.core.audit import record

    record("freeze", version, summary=f"Version {number}")
    return version


# --- diff -----------------------------------------------------------------------------------------------------

DIFF_FIELDS = tuple(
    f.name for f in dataclasses.fields(MeasureSheet) if f.name not in ("id", "number", "score", "rank", "milestone")
)


@dataclass(frozen=True)
class MeasureChange:
    number: str
    title: str
    attributes: tuple[str, ...]


@dataclass(frozen=True)
class SectionChange:
    key: str
    title: str
    lines: tuple[tuple[str, str], ...]  # (" " | "+" | "-" | "@", text)


@dataclass(frozen=True)
class VersionDiff:
    old: int | None
    new: int | None
    added: tuple[tuple[str, str], ...]
    removed: tuple[tuple[str, str], ...]
    changed: tuple[MeasureChange, ...]
    sections: tuple[SectionChange, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.sections)


def diff_rollups(old: Rollup, new: Rollup) -> VersionDiff:
    old_m = {m.number: m for m in old.measures()}
    new_m = {m.number: m for m in new.measures()}
    added = tuple((n, new_m[n].title) for n in sorted(new_m.keys() - old_m.keys()))
    removed = tuple((n, old_m[n].title) for n in sorted(old_m.keys() - new_m.keys()))
    changed = []
    for number in sorted(old_m.keys() & new_m.keys()):
        attrs = tuple(a for a in DIFF_FIELDS if getattr(old_m[number], a) != getattr(new_m[number], a))
        if attrs:
            changed.append(MeasureChange(number, new_m[number].title, attrs))
    old_s = {s.key: s for s in old.sections}
    new_s = {s.key: s for s in new.sections}
    sections = []
    for key in list(dict.fromkeys([*old_s, *new_s])):
        a = old_s.get(key)
        b = new_s.get(key)
        before = (a.body if a else "").splitlines()
        after = (b.body if b else "").splitlines()
        if before == after and (a.title if a else "") == (b.title if b else ""):
            continue
        lines = []
        for line in difflib.unified_diff(before, after, lineterm="", n=2):
            if line.startswith(("---", "+++")):
                continue
            lines.append((line[0] if line else " ", line[1:] if line else ""))
        sections.append(SectionChange(key, (b or a).title, tuple(lines)))
    return VersionDiff(old.version, new.version, added, removed, tuple(changed), tuple(sections))


def diff_versions(old_number: int, new_number: int | None) -> VersionDiff:
    """Between two frozen versions; ``new_number`` None compares with the current draft."""
    old = version_rollup(get_version(old_number))
    new = version_rollup(get_version(new_number)) if new_number else build_rollup()
    return diff_rollups(old, new)
