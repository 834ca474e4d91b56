"""The record of processing activities (Art. 30 GDPR), generated from the registry and the retention settings.

One entry per store of ``planner.privacy.registry``: purpose, categories of people and of data, recipients, the
period (from ``RETENTION`` with its defaults) and where the data lies; then the technical and organisational
measures of the planner. Shown to administrators as a page and downloaded as a DOCX (A4) for the data-protection
officer to complete and sign.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from planner.core import identity
from planner.core.timeutil import local_today
from planner.privacy import registry


@dataclass(frozen=True)
class Activity:
    key: str
    name: str
    location: str
    purpose: str
    people: tuple[str, ...]
    data: tuple[str, ...]
    recipients: tuple[str, ...]
    period: str


@dataclass(frozen=True)
class Record:
    controller: str
    date: str
    activities: tuple[Activity, ...]
    retention: tuple[tuple[str, str], ...]
    measures: tuple[str, ...]
    general: tuple[tuple[str, str], ...]


RETENTION_LABELS = {
    "inactive_people_days": _l("People without activity after the end of the process"),
    "invitation_links_days": _l("Personal invitation links after their workshop"),
    "audit_personal_values_days": _l("Personal values in the audit log"),
    "survey_uploads_days": _l("Raw survey uploads"),
}

MEASURES = (
    _l("Access control by role (administration, facilitation, strategy team, review, experts); every page checks "
       "the role, a test covers every page for every role."),
    _l("Encrypted transport (HTTPS at the reverse proxy), session cookies only over HTTPS, HttpOnly and SameSite."),
    _l("Passwords hashed with scrypt, at least 10 characters, common passwords refused; sign-in throttled and "
       "locked after repeated failures; sessions end after inactivity."),
    _l("A strict Content-Security-Policy and further security headers; uploads checked by their content."),
    _l("An audit log of every change with the acting account, readable by administrators."),
    _l("Data minimisation: the citizen survey is imported without names; raw uploads are deleted after the import; "
       "participants are named in the paper only with their consent."),
    _l("Rights of the people concerned: a data export (Art. 15/20) and an erasure (Art. 17) that walk the same "
       "registry of stores as this record; after an erasure the SQLite databases are rewritten (secure delete)."),
    _l("Retention periods applied by a daily job, with a report for the data-protection officer."),
    _l("Backups with restricted access (file mode 0600) and an integrity check on restore; store copies encrypted."),
    _l("Hosting by the city or a processor under a contract according to Art. 28 GDPR; no transfer to third "
       "countries; no tracking, no external content (fonts and scripts are served by the planner itself)."),
)


def _period(store: registry.Store) -> str:
    if store.retention_key:
        days = registry.retention_days(store.retention_key)
        return _("%(days)s days: %(rule)s", days=days, rule=str(store.retention_note))
    return str(store.retention_note)


def build_record() -> Record:
    activities = tuple(
        Activity(key=s.key, name=str(s.label), location=str(s.location), purpose=str(s.purpose),
                 people=tuple(str(p) for p in s.people_categories), data=tuple(str(d) for d in s.data_categories),
                 recipients=tuple(str(r) for r in s.recipients), period=_period(s))
        for s in registry.stores()
    )
    retention = tuple((str(label), _("%(days)s days", days=registry.retention_days(key)))
                      for key, label in RETENTION_LABELS.items())
    city = identity.settings()
    controller = "\n".join(part for part in (city.get("authority") or identity.city_name(), city.get("address"),
                                              city.get("contact_email")) if part)
    general = (
        (_("Controller"), controller or _("City of %(city)s (name, address and contact of the controller)",
                                         city=identity.city_name())),
        (_("Data-protection officer"), city.get("data_protection_officer")
         or _("(name and contact of the data-protection officer)")),
        (_("Name of the processing"), _("Smart City strategy process: workshops, findings, citizen survey, "
                                        "concept paper")),
        (_("Legal basis"), _("Consent (Art. 6(1)(a) GDPR) of experts and citizens; the city's public task "
                             "(Art. 6(1)(e) GDPR with the state's data-protection act) for the city's staff.")),
        (_("Transfer to third countries"), _("none")),
    )
    return Record(controller=city, date=format_date(local_today(), "long"), activities=activities,
                  retention=retention, measures=tuple(str(m) for m in MEASURES), general=general)


def record_docx(record: Record) -> bytes:
    """The record as a DOCX document (A4 portrait) with a heading per processing and a table of its details."""
    from docx import Document
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    document.styles["Normal"].font.size = Pt(10)
    document.core_properties.title = _("Record of processing activities (Art. 30 GDPR)")
    document.core_properties.language = "de" if _("Purpose") == "Zweck" else "en"

    document.add_heading(_("Record of processing activities (Art. 30 GDPR)"), level=0)
    document.add_paragraph(_("Generated by the planner on %(date)s from its registry of stores of personal data "
                             "and the retention settings.", date=record.date))
    _table(document, record.general)
    document.add_heading(_("Processing activities and stores"), level=1)
    for activity in record.activities:
        document.add_heading(activity.name, level=2)
        _table(document, (
            (_("Purpose"), activity.purpose),
            (_("Categories of people"), "; ".join(activity.people)),
            (_("Categories of data"), "; ".join(activity.data)),
            (_("Recipients"), "; ".join(activity.recipients)),
            (_("Retention period"), activity.period),
            (_("Where"), activity.location),
        ))
    document.add_heading(_("Retention periods"), level=1)
    _table(document, record.retention)
    document.add_heading(_("Technical and organisational measures (Art. 32 GDPR)"), level=1)
    for measure in record.measures:
        document.add_paragraph(measure, style="List Bullet")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _table(document, rows) -> None:
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for key, value in rows:
        cells = table.add_row().cells
        cells[0].text = str(key)
        cells[1].text = str(value)
        for run in cells[0].paragraphs[0].runs:
            run.bold = True
    document.add_paragraph()
