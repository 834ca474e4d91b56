"""Writers: each renders an outline (``planner.strategy.outline``) in one format and nothing else; JSON is the
open-data form of the roll-up itself. ``export`` is the one way from a roll-up to a file's bytes: the CLI,
the background job and the downloads all go through it (see ``planner.strategy.exports``)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import BinaryIO

from planner.strategy.outline import build_outline
from planner.strategy.rollup import Rollup


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


# Formats written complete whatever the paper's size (the others are condensed above the outline's limits).
COMPLETE = ("docx",)


def _module(code: str):
    return importlib.import_module(f"planner.strategy.exporters.{FORMATS[code].module}")


def writer(code: str):
    """The ``write(outline, output)`` of a format (docx, pdf, html, md); KeyError when unknown or json."""
    if code == "json":
        raise KeyError(code)
    return _module(code).write


def export(rollup: Rollup, code: str, output: BinaryIO) -> None:
    """The paper in ``rollup.locale`` as its edition (``rollup.short``), written in format ``code``. DOCX is written
    into the city's Word template when it uploaded one (the city settings; the writer itself reads nothing)."""
    if code == "json":
        _module("json").export(rollup, output)
        return
    # The Word file is always the complete paper (every fact sheet, finding and source): a very large paper's
    # condensed print edition and in-app views point to it (outline.condensed_notice).
    outline = build_outline(rollup, rollup.locale, "short" if rollup.short else "long",
                            condensed=False if code in COMPLETE else None)
    if code == "docx":
        from planner.city.services import paper_template

        _module("docx").write(outline, output, template=paper_template(), logo=city_logo_png())
        return
    if code in ("html", "pdf"):  # the cover carries the city's logo
        writer(code)(outline, output, logo=city_logo())
        return
    writer(code)(outline, output)


def city_logo() -> tuple[bytes, str] | None:
    """The city's logo as uploaded in its settings (bytes, content type), None without one."""
    from planner.city.models import CitySettings

    settings = CitySettings.get()
    if settings is None or not settings.has_logo or not settings.logo:
        return None
    return settings.logo, settings.logo_mimetype


def city_logo_png() -> bytes | None:
    """The city's logo (city settings) as PNG for the Word file; an SVG logo is rasterised (WeasyPrint and
    poppler's pdftoppm), None without a logo or when it cannot be converted (the document then has none)."""
    from planner.city.models import CitySettings

    settings = CitySettings.get()
    if settings is None or not settings.has_logo:
        return None
    if settings.logo_mimetype == "image/png":
        return settings.logo
    return _svg_to_png(settings.logo)


def _svg_to_png(svg: bytes) -> bytes | None:
    import base64
    import shutil
    import subprocess  # nosec B404 - a fixed command (poppler's pdftoppm) without a shell
    import tempfile
    from pathlib import Path

    binary = shutil.which("pdftoppm")
    if not svg or binary is None:
        return None
    from weasyprint import HTML

    data = base64.b64encode(svg).decode()
    page = ("<style>@page{size:8cm 4cm;margin:0}html,body{margin:0}img{width:8cm;height:4cm;object-fit:contain}"
            f"</style><img alt='' src='data:image/svg+xml;base64,{data}'>")
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "logo.pdf"
        try:
            HTML(string=page).write_pdf(pdf)
            subprocess.run([binary, "-png", "-r", "150", "-singlefile", str(pdf),  # noqa: S603 - fixed command
                            str(Path(folder) / "logo")], check=True, timeout=30, capture_output=True)  # nosec B603
            return (Path(folder) / "logo.png").read_bytes()
        except (OSError, subprocess.SubprocessError):
            return None


def exporter(code: str):
    """``export(rollup, output)`` of a format code; KeyError when unknown."""
    FORMATS[code]

    def run(rollup: Rollup, output: BinaryIO) -> None:
        export(rollup, code, output)

    return run


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
