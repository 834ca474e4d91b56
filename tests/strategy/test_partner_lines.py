"""Issue 16: partners typed on several lines keep their lines in the paper (HTML, Markdown, DOCX)."""

import dataclasses
import io

from docx import Document

from planner.strategy.exporters import writer
from planner.strategy.outline import build_outline
from tests.strategy.rollups import rollup


def _outline():
    paper = rollup()
    chapter = paper.fields[0]
    sheet = dataclasses.replace(chapter.measures[0], partners="Stadtwerke\nUniversität\nIHK")
    paper = dataclasses.replace(paper, fields=(dataclasses.replace(chapter, measures=(sheet,)), *paper.fields[1:]))
    return build_outline(paper, "de")


def _write(code: str, outline) -> bytes:
    out = io.BytesIO()
    writer(code)(outline, out)
    return out.getvalue()


def test_partners_on_several_lines_stay_on_several_lines(ctx):
    outline = _outline()
    markdown = _write("md", outline).decode()
    assert "**Beteiligte:** Stadtwerke\\\n  Universität\\\n  IHK" in markdown
    doc = Document(io.BytesIO(_write("docx", outline)))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "Stadtwerke\nUniversität\nIHK" in cells
    html = _write("html", outline).decode()
    assert "Stadtwerke\nUniversität\nIHK" in html and "white-space: pre-line" in html
