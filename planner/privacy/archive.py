"""The archive bundle: what the city archive must be offered before records are deleted.

A zip for the archive or the document management system (DMS) holding
- every published version of the concept paper (the adopted text the public saw),
- the documentation (findings and measure proposals) of every workshop that was held,
- the approved minutes (Protokoll) of every workshop that was held (sent to the participants, or the workshop
  marked documented), written by the paper's PDF writer,
each as a PDF/A-2b file (WeasyPrint, ``pdf_variant="pdf/a-2b"``: fonts embedded, XMP metadata, an output
intent), and a manifest in two forms, ``manifest.json`` and ``manifest.csv``: file, kind, title, date, size and
SHA-256 of each file, so the receiving system can check what it got.

Council decisions are not held by the planner yet; a source for them joins ``SOURCES`` when they are.

``flask --app planner archive export --output FILE.zip`` writes it; retention (planner.privacy.retention)
writes one to instance/archive/ before it deletes anything.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select

from planner.core.models import utcnow
from planner.core.timeutil import to_local
from planner.extensions import db

PDF_VARIANT = "pdf/a-2b"
MANIFEST_FORMAT = "planner-archive/1"
MANIFEST_COLUMNS = ("file", "kind", "title", "date", "bytes", "sha256", "pdf_variant")


@dataclass(frozen=True)
class Document:
    """One file for the archive, before it is rendered."""

    file: str
    kind: str  # paper_version | workshop_minutes (the documentation) | approved_minutes (the Protokoll)
    title: str
    date: date | None
    render: Callable[[], bytes]


@dataclass(frozen=True)
class ManifestEntry:
    file: str
    kind: str
    title: str
    date: str
    bytes: int
    sha256: str
    pdf_variant: str


def _pdf(html: str, stylesheets=()) -> bytes:
    import gc
    import warnings

    from weasyprint import HTML

    from planner.strategy.exporters.pdf import offline_fetcher

    with warnings.catch_warnings():
        # WeasyPrint opens its sRGB output-intent profile for PDF/A and leaves the file to the garbage collector.
        warnings.simplefilter("ignore", ResourceWarning)
        data = HTML(string=html, url_fetcher=offline_fetcher(), media_type="print").write_pdf(
            stylesheets=list(stylesheets), pdf_variant=PDF_VARIANT)
        gc.collect()
    return data


# --- the sources --------------------------------------------------------------------------------------------------


def paper_versions() -> Iterator[Document]:
    """Published versions of the concept paper, as frozen."""
    import io

    from planner.strategy.exporters import pdf
    from planner.strategy.models import PaperVersion
    from planner.strategy.outline import build_outline
    from planner.strategy.versions import version_rollup

    versions = db.session.scalars(
        select(PaperVersion).where(PaperVersion.published_at.is_not(None)).order_by(PaperVersion.number)
    ).all()
    for version in versions:
        def render_version(version=version) -> bytes:
            # The paper's own PDF writer, as PDF/A-2b for the archive (the same outline as every other format).
            rollup = version_rollup(version)
            output = io.BytesIO()
            pdf.write(build_outline(rollup, rollup.locale, "long"), output, variant=pdf.ARCHIVE)
            return output.getvalue()

        day = to_local(version.published_at).date()
        yield Document(f"konzeptpapier-version-{version.number}.pdf", "paper_version",
                       f"Handlungskonzept, Version {version.number}", day, render_version)


def workshop_minutes() -> Iterator[Document]:
    """The documentation of every workshop held (findings and measure proposals, as on its documentation page)."""
    from planner.findings.services import documentation
    from planner.workshops.models import Workshop, WorkshopStatus

    workshops = db.session.scalars(
        select(Workshop).where(Workshop.status.in_([WorkshopStatus.HELD, WorkshopStatus.DOCUMENTED]))
        .order_by(Workshop.starts_at, Workshop.id)
    ).all()
    locale = current_app.config.get("DEFAULT_LOCALE", "de")
    for workshop in workshops:
        def render_minutes(workshop=workshop) -> bytes:
            with force_locale(locale):
                html = render_template(
                    "privacy/archive_minutes.html", workshop=workshop, doc=documentation(workshop.id),
                    agenda=list(workshop.agenda_blocks), locale=locale,
                    city=current_app.config.get("CITY_NAME", ""))
            return _pdf(html)

        day = to_local(workshop.starts_at).date()
        yield Document(f"workshop-{day.isoformat()}-{workshop.id}.pdf", "workshop_minutes", workshop.title, day,
                       render_minutes)


def approved_minutes() -> Iterator[Document]:
    """The approved minutes (Protokoll) of every held workshop: the facilitator's summary, decisions, open points
    and next steps with attendance, agenda and findings, by the paper's PDF writer (planner.minutes), as PDF/A-2b.
    Which minutes count as approved is the minutes package's rule (planner.minutes.services.approved_minutes)."""
    from planner.minutes import services as minutes_services
    from planner.strategy.exporters import pdf

    locale = current_app.config.get("DEFAULT_LOCALE", "de")
    for minutes in minutes_services.approved_minutes():
        if minutes.is_empty:
            continue
        workshop = minutes.workshop

        def render_minutes(workshop=workshop) -> bytes:
            output = io.BytesIO()
            pdf.write(minutes_services.build_outline(workshop, locale), output, variant=pdf.ARCHIVE)
            return output.getvalue()

        day = to_local(workshop.starts_at).date()
        title = ("Protokoll: " if locale == "de" else "Minutes: ") + workshop.title
        yield Document(f"protokoll-{day.isoformat()}-{workshop.id}.pdf", "approved_minutes", title, day,
                       render_minutes)


SOURCES: list[Callable[[], Iterator[Document]]] = [paper_versions, workshop_minutes, approved_minutes]


# --- the bundle ----------------------------------------------------------------------------------------------------


def default_archive_path(instance_path: str | Path) -> Path:
    folder = Path(instance_path) / "archive"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"archiv-{utcnow().strftime('%Y%m%d-%H%M%S')}.zip"


def export_archive(output: str | Path) -> list[ManifestEntry]:
    """Writes the bundle to ``output`` (a .zip; written beside it first, then renamed). Returns the manifest."""
    output = Path(output)
    partial = output.with_name(output.name + ".part")
    entries: list[ManifestEntry] = []
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for source in SOURCES:
                for document in source():
                    data = document.render()
                    bundle.writestr(document.file, data)
                    entries.append(ManifestEntry(
                        file=document.file, kind=document.kind, title=document.title,
                        date=document.date.isoformat() if document.date else "", bytes=len(data),
                        sha256=hashlib.sha256(data).hexdigest(), pdf_variant=PDF_VARIANT))
            manifest = {
                "format": MANIFEST_FORMAT,
                "created_at": utcnow().isoformat(),
                "city": current_app.config.get("CITY_NAME", ""),
                "files": [asdict(e) for e in entries],
            }
            bundle.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
            text = io.StringIO()
            writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
            writer.writerow(MANIFEST_COLUMNS)
            for e in entries:
                writer.writerow([getattr(e, column) for column in MANIFEST_COLUMNS])
            bundle.writestr("manifest.csv", "\ufeff" + text.getvalue())
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return entries
