"""Each exporter with a hand-built roll-up, read back with real readers."""

import dataclasses
import io
import json
import re
import shutil
import subprocess
import zipfile

import pytest
from docx import Document
from pypdf import PdfReader

from planner.strategy.exporters import exporter, filename
from planner.strategy.rollup import rollup_from_json, rollup_to_json, shorten
from tests.strategy.rollups import FIELDS, rollup


def _export(code: str, r) -> bytes:
    out = io.BytesIO()
    exporter(code)(r, out)
    return out.getvalue()


def test_json_round_trip_and_byte_identical(ctx):
    r = rollup()
    data = _export("json", r)
    assert rollup_from_json(data) == r
    assert _export("json", rollup()) == data
    parsed = json.loads(data)
    assert list(parsed)[:4] == ["schema", "locale", "short", "process"]
    assert parsed["priority_run"]["frozen_at"] == "2022-09-01T08:00:00+00:00"
    assert rollup_to_json(rollup_from_json(data)).encode() == data


def test_markdown_has_headings_measures_and_roadmap(ctx):
    text = _export("md", rollup()).decode()
    assert text.startswith("# CONNECTED.ESSEN")
    for code, name_de, _en in FIELDS:
        assert f"### {code} {name_de}" in text
    assert "| Federführung | Amt für Digitalisierung |" in text
    assert "##### MOB-M02 Maßnahme MOB 2" in text
    assert "### Meilenstein 2030" in text


def test_html_is_self_contained_and_accessible(ctx):
    html = _export("html", rollup()).decode()
    assert '<html lang="de">' in html
    assert not re.search(r'(src|href)="https?://', html.replace('href="http', 'LINK', 0))
    assert "<link" not in html and "<script" not in html
    assert html.count("<svg") >= 3
    assert "<title id=" in html and "<desc id=" in html
    assert html.count("<table") == html.count("<caption>")
    headings = [int(h) for h in re.findall(r"<h([1-6])[ >]", html)]
    assert headings[0] == 1
    assert all(b - a <= 1 for a, b in zip(headings, headings[1:], strict=False)), "heading levels skip"
    assert "Sensoren in Betrieb" in html  # a KPI of the fact sheet


def test_english_export_translates_fixed_headings(ctx):
    r = rollup(locale="en")
    html = _export("html", r).decode()
    assert '<html lang="en">' in html
    assert "Action fields" in html and "Smart mobility and infrastructure" in html
    de = _export("html", rollup()).decode()
    assert "Handlungsfelder" in de and "Smarte Mobilität und Infrastruktur" in de


def test_docx_structure_read_back(ctx, tmp_path):
    data = _export("docx", rollup())
    doc = Document(io.BytesIO(data))
    styles = {p.style.name for p in doc.paragraphs}
    assert {"Heading 1", "Heading 2", "Heading 3"} <= styles
    heading1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert "Handlungsfelder" in heading1
    heading2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    for code, name_de, _en in FIELDS:
        assert f"{code} {name_de}" in heading2
    assert len(doc.tables) >= 7 + 2
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    assert "MOB-M02" in cells and "Amt für Digitalisierung" in cells
    assert doc.core_properties.title == "CONNECTED.ESSEN – Smart City-Strategie 2040"
    assert doc.core_properties.language == "de-DE"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        body = z.read("word/document.xml").decode()
        footers = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("word/footer"))
        media = [n for n in z.namelist() if n.startswith("word/media/")]
    assert 'TOC \\o "1-3"' in body
    assert "PAGE" in footers
    assert media, "charts are embedded as images"

    if not shutil.which("pandoc"):
        pytest.skip("pandoc is not installed")
    path = tmp_path / "paper.docx"
    path.write_bytes(data)
    text = subprocess.run(["pandoc", str(path), "-t", "plain"], capture_output=True, text=True, check=True).stdout
    assert "Smarte Bildung" in text and "WWF-M07" in text and "Meilenstein 2030" in text


def test_pdf_read_back(ctx, tmp_path):
    data = _export("pdf", rollup())
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 5
    titles = [o.title for o in reader.outline if not isinstance(o, list)]
    assert "Handlungsfelder" in titles
    assert any(t.startswith("Fahrplan bis 2040") for t in titles)
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is not installed")
    path = tmp_path / "paper.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Smarte Umwelt" in text and "MOB-M02" in text and "Bürgerbefragung 2022" in text
    assert re.search(r"\b2\s*/\s*\d+", text), "page numbers in the margin"


def _pdf_text(data: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is not installed")
    path = tmp_path / "paper.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.replace("-\n", "-").split())  # one line: the layout's line breaks do not matter


def test_small_paper_prints_in_full(ctx, tmp_path):
    from planner.strategy.exporters.html import is_condensed

    r = rollup()
    assert not is_condensed(r)
    text = _pdf_text(_export("pdf", r), tmp_path)
    assert "Zu dieser Druckfassung" not in text
    assert "Maßnahmensteckbrief MOB-M02" in text


def test_very_large_paper_prints_a_condensed_edition(ctx, tmp_path, monkeypatch):
    """Above the print limits the PDF lists measures in tables and counts findings; it says where the rest is."""
    from planner.strategy.exporters import html as html_exporter

    r = rollup()
    monkeypatch.setattr(html_exporter, "CONDENSE_LIMIT_MEASURES", len(r.measures()) - 1)
    assert html_exporter.is_condensed(r)
    assert not html_exporter.is_condensed(shorten(r)), "the short version is never condensed further"
    data = _export("pdf", r)
    text = _pdf_text(data, tmp_path)
    assert "Zu dieser Druckfassung" in text
    assert f"({len(r.measures())} Maßnahmen, {r.finding_count()} Ergebnisse)" in text
    assert "JSON-Exporte derselben Fassung" in text
    assert "Maßnahmensteckbrief MOB-M02" not in text, "no fact sheets"
    assert "MOB-M02" in text and "Maßnahme MOB 2" in text, "every measure still in a table"
    assert "Beschlossene Maßnahmen im Handlungsfeld" in text
    titles = [o.title for o in PdfReader(io.BytesIO(data)).outline if not isinstance(o, list)]
    assert "Zu dieser Druckfassung" in titles
    # The other formats of the same roll-up stay complete.
    assert "Maßnahmensteckbrief MOB-M02" in _export("html", r).decode()

    monkeypatch.setattr(html_exporter, "CONDENSE_LIMIT_MEASURES", 10_000)
    monkeypatch.setattr(html_exporter, "CONDENSE_LIMIT_FINDINGS", r.finding_count() - 1)
    assert html_exporter.is_condensed(r)


def test_condensed_html_is_accessible_markup(ctx):
    from planner.strategy.exporters.html import render

    html = render(rollup(), condensed=True)
    assert html.count("<table") == html.count("<caption>")
    headings = [int(h) for h in re.findall(r"<h([1-6])[ >]", html)]
    assert all(b - a <= 1 for a, b in zip(headings, headings[1:], strict=False)), "heading levels skip"
    assert 'href="#print-edition"' in html and 'id="print-edition"' in html
    assert 'id="measure-MOB-M02"' in html, "links to a measure still resolve"


def test_short_version_and_filename(ctx):
    short = shorten(rollup())
    text = _export("md", short).decode()
    assert "Kurzfassung" in text
    assert "Anhang" not in text
    assert filename(short, "docx") == "Handlungskonzept-Essen-2040-Kurzfassung-Entwurf.docx"
    assert filename(dataclasses.replace(rollup(), version=3), "docx") == "Handlungskonzept-Essen-2040-v3.docx"


def test_readiness_is_in_every_format(ctx):
    r = rollup()
    md = _export("md", r).decode()
    assert "Abschnitt noch nicht geschrieben: Monitoring und Evaluation" in md, "the section's title, not its key"
    assert "monitoring" not in md
    assert "Noch offen" in _export("html", r).decode()
