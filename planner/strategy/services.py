"""The paper's editable sections (optimistic locking) and small queries the pages need."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from planner.core.errors import DomainError, StaleVersion
from planner.core.locking import STALE_MESSAGE
from planner.extensions import db
from planner.fields.models import StrategyProcess, in_process
from planner.strategy.labels import DEFAULT_SECTIONS, section_title
from planner.strategy.models import PaperSection


@dataclass(frozen=True)
class SectionInfo:
    key: str
    title: str
    body: str
    version: int
    updated_at: object
    updated_by: str


def _of_current_process(stmt):
    """Each strategy process writes its own paper: sections are those of the current process."""
    return stmt.where(in_process(PaperSection.process_id, StrategyProcess.current(), is_current=True))


def section_keys() -> list[str]:
    stored = db.session.scalars(_of_current_process(select(PaperSection.key))).all()
    return list(DEFAULT_SECTIONS) + sorted(k for k in stored if k not in DEFAULT_SECTIONS)


def section_info(key: str) -> SectionInfo | None:
    """The section to edit (also a default section not saved yet); None for an unknown key."""
    if key not in section_keys():
        return None
    row = db.session.scalar(_of_current_process(select(PaperSection).where(PaperSection.key == key)))
    if row is None:
        return SectionInfo(key, section_title(key), "", 0, None, "")
    return SectionInfo(key, section_title(key, row.title), row.body, row.version, row.updated_at,
                       row.updated_by.name if row.updated_by else "")


def section_history(key: str) -> list:
    """The section's changes as the pages show them (planner.core.history); empty while it was never saved."""
    from planner.core import audit
    from planner.core.history import readable_entries

    row = db.session.scalar(select(PaperSection).where(PaperSection.key == key))
    return readable_entries(audit.history(row)) if row is not None else []


def list_sections() -> list[SectionInfo]:
    """Every section (default ones not saved yet included) in two queries."""
    from sqlalchemy.orm import selectinload

    rows = {r.key: r for r in db.session.scalars(
        _of_current_process(select(PaperSection)).options(selectinload(PaperSection.updated_by)))}
    keys = list(DEFAULT_SECTIONS) + sorted(k for k in rows if k not in DEFAULT_SECTIONS)
    result = []
    for key in keys:
        row = rows.get(key)
        if row is None:
            result.append(SectionInfo(key, section_title(key), "", 0, None, ""))
        else:
            result.append(SectionInfo(key, section_title(key, row.title), row.body, row.version, row.updated_at,
                                      row.updated_by.name if row.updated_by else ""))
    return result


def save_section(key: str, user, *, title: str, body: str, version: int) -> PaperSection:
    """Saves a section; refuses when someone else saved it since the form was opened (``version``)."""
    if key not in section_keys():
        raise DomainError(_l("This section does not exist."))
    title = (title or "").strip()
    if not title:
        raise DomainError(_l("Please give the section a title."), field="title")
    row = db.session.scalar(_of_current_process(select(PaperSection).where(PaperSection.key == key)))
    if row is None:
        if version:
            raise StaleVersion(STALE_MESSAGE)
        position = DEFAULT_SECTIONS.index(key) if key in DEFAULT_SECTIONS else len(DEFAULT_SECTIONS)
        row = PaperSection(key=key, position=position)
        db.session.add(row)
    elif row.version != version:
        raise StaleVersion(STALE_MESSAGE)
    row.title = "" if title == section_title(key) else title
    row.body = body or ""
    row.updated_by_id = getattr(user, "id", None)
    try:
        db.session.flush()
    except StaleDataError as error:
        raise StaleVersion(STALE_MESSAGE) from error
    return row
