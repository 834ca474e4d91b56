"""Markdown writer: an outline's blocks as plain text with headings and pipe tables (for wikis, repositories,
diffs). It renders blocks and nothing else: every word comes from the outline."""

import re
from typing import BinaryIO

from planner.strategy.outline import BulletList, FactSheet, Figure, Heading, KeyFigures, Outline, Paragraph, Table

_SPACE = re.compile(r"[ \t\r\n]+")


def _cell(value) -> str:
    return str(value if value not in (None, "") else "–").replace("|", "\\|").replace("\n", " ")


def _inline(text: str) -> str:
    """One line; no-break spaces (``650.000\xa0€``) stay as they are."""
    return _SPACE.sub(" ", str(text)).strip()


def _lines(text: str) -> str:
    """A value typed on several lines (partners) in a list item: each line kept, as hard line breaks."""
    lines = [_inline(line) for line in str(text).splitlines() if line.strip()]
    return "\\\n  ".join(lines) if lines else _inline(text)


def _table(out: list[str], caption: str, header, rows, numeric=()) -> None:
    out.append(f"*{_inline(caption)}*")
    out.append("")
    cols = len(header)
    out.append("| " + " | ".join(_cell(h) for h in header) + " |")
    out.append("|" + "|".join("---:" if i < len(numeric) and numeric[i] else "---" for i in range(cols)) + "|")
    for row in rows:
        out.append("| " + " | ".join(_cell(c) for c in row) + " |")
    out.append("")


def render(outline: Outline) -> str:
    out: list[str] = [f"# {_inline(outline.title)}", "",
                      f"{outline.city} · {outline.subtitle} · {outline.version_label}", ""]
    for b in outline.blocks:
        if isinstance(b, Heading):
            out += [f"{'#' * min(6, b.level + 1)} {_inline(b.text)}", ""]
        elif isinstance(b, Paragraph):
            text = b.text.strip() if b.markdown else _inline(b.text)
            out += [f"*{text}*" if b.role == "missing" else text, ""]
        elif isinstance(b, BulletList):
            if b.title:
                out += [f"**{_inline(b.title)}**", ""]
            out += [f"- {_inline(item)}" for item in b.items]
            out.append("")
        elif isinstance(b, Table):
            _table(out, b.caption, b.header, b.rows, b.numeric)
        elif isinstance(b, KeyFigures):
            out += [f"**{_inline(b.caption)}**", ""]
            out += [f"- **{_inline(value)}** {_inline(label)}" for value, label in b.items]
            out.append("")
        elif isinstance(b, Figure):
            out += [f"*{_inline(b.alt)}*", ""]
            _table(out, b.table.caption, b.table.header, b.table.rows, b.table.numeric)
        elif isinstance(b, FactSheet):
            out += [f"{'#' * min(6, b.level + 1)} {b.number} {_inline(b.title)}", ""]
            if b.description.strip():
                out += [b.description.strip(), ""]
            out += [f"*{_inline(b.caption)}*", ""]
            out += [f"- **{_inline(label)}:** {_lines(value)}" for label, value in b.rows]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def write(outline: Outline, output: BinaryIO) -> None:
    output.write(render(outline).encode("utf-8"))
