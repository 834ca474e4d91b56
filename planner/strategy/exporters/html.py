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
from planner.strategy.exporters.text_width import text_ems
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


_LINE_EM = 54.7  # the print edition's line: A4 less 2 × 18 mm margins, in ems of the tables' 9 pt
_CELL_EM = 1.3  # a cell's padding in print (2 × 0.35 rem of 12 pt, paper-print.css) and border
_WORD_EM = 7.0  # a longer word is hyphenated (hyphens: auto in the print CSS) rather than widen its column
_HEADER_WORD_EM = 6.0  # the same for the words of a column's heading


def column_widths(table) -> tuple[int, ...]:
    """Per-mille widths of a table's columns for the PDF.

    WeasyPrint's automatic table layout measures the narrowest and widest width of every cell before it lays out
    the first row (for the 2,000-row tables of a metropolis paper a third of the PDF's time), and with
    ``hyphens: auto`` it takes a cell's narrowest width to be its longest syllable, so a short table's narrow
    columns came out as "Virtu-ell", "Zu-sa-gen", "Sep-tember". Every table is printed with
    ``table-layout: fixed`` instead and these widths, worked out the way the automatic layout does (CSS 2.1,
    17.5.2.2) from the cells' text: every column at least as wide as its longest word (a code or a figure whole,
    a long word up to where it is hyphenated), the rest of the line shared in proportion to the columns' longest
    cells."""
    if not table.rows and not table.header:
        return ()
    count = max(len(table.header), *(len(row) for row in table.rows))
    narrow, wide, rigid = [1.0] * count, [1.0] * count, [False] * count  # rigid: a code or figure kept whole
    numeric = tuple(table.numeric) + (False,) * count
    for index, row in enumerate((table.header, *table.rows) if table.header else table.rows):
        for i, cell in enumerate(row):
            text = str(cell)
            heading = index == 0 and bool(table.header)  # may wrap at its words: widens no column beyond them
            bold = heading or i == 0 and table.row_header
            width = text_ems(text, bold)
            if width > wide[i] and not heading:
                wide[i] = width
            if width > narrow[i]:
                whole = not heading and (numeric[i] or i == 0 and table.row_header and " " not in text)
                longest = width if whole else max((text_ems(word, bold) for word in text.split()), default=0.0)
                rigid[i] = rigid[i] or whole
                narrow[i] = max(narrow[i], longest if whole else min(longest, _HEADER_WORD_EM if heading
                                                                      else _WORD_EM))
    narrow = [n + _CELL_EM for n in narrow]
    wide = [max(w + _CELL_EM, n) for w, n in zip(wide, narrow, strict=True)]
    if sum(wide) <= _LINE_EM:
        widths = [w * _LINE_EM / sum(wide) for w in wide]
    elif sum(narrow) >= _LINE_EM:  # too narrow a line: the codes and figures stay whole, the text columns give
        fixed = sum(n for n, r in zip(narrow, rigid, strict=True) if r)
        flexible = sum(n for n, r in zip(narrow, rigid, strict=True) if not r) or 1.0
        room = max(_LINE_EM - fixed, flexible / 2)
        widths = [n if r else n * room / flexible for n, r in zip(narrow, rigid, strict=True)]
    else:
        spare, stretch = _LINE_EM - sum(narrow), sum(w - n for w, n in zip(wide, narrow, strict=True))
        widths = [n + spare * (w - n) / stretch for w, n in zip(wide, narrow, strict=True)]
    total = sum(widths)
    return tuple(round(1000 * w / total) for w in widths)


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


def render(outline: Outline, logo: tuple[bytes, str] | None = None, *, fixed_tables: bool = False) -> str:
    """The whole document: a cover (the city's logo when given, city, title, version, date, status), the contents
    and the blocks. ``fixed_tables`` (the PDF writer): tables carry their column widths (``column_widths``)."""
    with force_locale(outline.language):
        contents_label = _("Contents")
        logo_alt = _("Logo of %(city)s", city=outline.city) if outline.city else _("Logo of the city")
    template = environment().get_template("exports/paper.html")
    return template.render(css=Markup(CSS_FILE.read_text(encoding="utf-8")),  # noqa: S704  # nosec B704 - our CSS
                           contents_label=contents_label, logo=logo_url(logo), logo_alt=logo_alt,
                           **block_context(outline), **({"column_widths": column_widths} if fixed_tables else {}))


def write(outline: Outline, output: BinaryIO, logo: tuple[bytes, str] | None = None) -> None:
    output.write(render(outline, logo).encode("utf-8"))
