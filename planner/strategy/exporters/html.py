"""HTML writer: one self-contained, accessible file of an outline (CSS inlined, figures as inline SVG, each
followed by its data table). It renders blocks and nothing else: every word comes from the outline."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import BinaryIO

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from planner.core.text import render_markdown
from planner.strategy import charts
from planner.strategy.outline import Outline, build_outline

ROOT = Path(__file__).resolve().parents[3]
CSS_FILE = ROOT / "planner" / "static" / "css" / "paper.css"

_env: Environment | None = None


def environment() -> Environment:
    global _env
    if _env is None:
        _env = Environment(loader=FileSystemLoader(str(ROOT / "templates")), autoescape=select_autoescape(["html"]))
    return _env


def svg(figure) -> Markup:
    return Markup(charts.svg(figure))  # noqa: S704  # nosec B704 - every text part is escaped inside


def block_context(outline: Outline, *, offset: int = 0) -> dict:
    """Template variables of templates/exports/_blocks.html (also included by the in-app paper views)."""
    return {"outline": outline, "h": [f"h{min(6, level + offset)}" for level in range(0, 7)], "svg": svg,
            "md": render_markdown}


def view_context(rollup, *, offset: int = 1, links: bool = True) -> dict:
    """The in-app paper views (draft, version, review round, published page): the roll-up as ``paper`` and its
    outline in the roll-up's language and edition, rendered by the same blocks template as the export.
    ``links``: measures in tables link to their pages (staff views; not the public page)."""
    context = {"paper": rollup, **block_context(build_outline(rollup), offset=offset)}
    if links:
        context["link"] = _link
    return context


def _link(ref: str) -> str:
    """The in-app page of what a table row is about ("measure:12"); "" when there is none."""
    kind, _sep, key = ref.partition(":")
    if kind == "measure" and key.isdigit():
        return url_for("findings.measure_detail", measure_id=int(key))
    return ""


def logo_url(logo: tuple[bytes, str] | None) -> str:
    """The city's logo (its bytes and content type, PNG or SVG as the city settings checked them) as a data: URL:
    the file stays self-contained and the PDF writer fetches nothing."""
    if not logo or not logo[0] or logo[1] not in ("image/png", "image/svg+xml"):
        return ""
    return f"data:{logo[1]};base64,{base64.b64encode(logo[0]).decode('ascii')}"


def render(outline: Outline, logo: tuple[bytes, str] | None = None) -> str:
    """The whole document: a cover (the city's logo when given, city, title, version, date, status), the contents
    and the blocks."""
    with force_locale(outline.language):
        contents_label = _("Contents")
        logo_alt = _("Logo of %(city)s", city=outline.city) if outline.city else _("Logo of the city")
    template = environment().get_template("exports/paper.html")
    return template.render(css=Markup(CSS_FILE.read_text(encoding="utf-8")),  # noqa: S704  # nosec B704 - our CSS
                           contents_label=contents_label, logo=logo_url(logo), logo_alt=logo_alt,
                           **block_context(outline))


def write(outline: Outline, output: BinaryIO, logo: tuple[bytes, str] | None = None) -> None:
    output.write(render(outline, logo).encode("utf-8"))
