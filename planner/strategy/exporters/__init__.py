"""Exporters: each ``export(rollup, output)`` writes one format and reads nothing but the roll-up."""

import functools
import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    code: str
    module: str
    mimetype: str
    extension: str


FORMATS = {
    "docx": Format("docx", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "pdf": Format("pdf", "pdf", "application/pdf", "pdf"),
    "html": Format("html", "html", "text/html; charset=utf-8", "html"),
    "md": Format("md", "markdown", "text/markdown; charset=utf-8", "md"),
    "json": Format("json", "json", "application/json", "json"),
}


def exporter(code: str):
    """The export function of a format code (docx, pdf, html, md, json); KeyError when unknown.

    DOCX is written into the city's Word template when it uploaded one (City settings)."""
    export = importlib.import_module(f"planner.strategy.exporters.{FORMATS[code].module}").export
    if code == "docx":
        from planner.city.services import paper_template

        template = paper_template()
        if template:
            return functools.partial(export, template=template)
    return export


def filename(rollup, code: str) -> str:
    """Handlungskonzept-<Stadt>-2040-v3.docx; Kurzfassung and draft marked in the name."""
    city = "".join(ch if ch.isalnum() else "-" for ch in (rollup.process.city or "Stadt")).strip("-") or "Stadt"
    base = f"Handlungskonzept-{city}-{rollup.process.target_year}"
    if rollup.short:
        base += "-Kurzfassung"
    base += f"-v{rollup.version}" if rollup.version else "-Entwurf"
    if rollup.locale != "de":
        base += f"-{rollup.locale}"
    return f"{base}.{FORMATS[code].extension}"
