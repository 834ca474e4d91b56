"""The writers: each tested with a hand-built outline (blocks, nothing else) and read back by an independent
reader (python-docx, pypdf / pdftotext, pandoc, an HTML parser); then the whole paper of a hand-built roll-up."""

import dataclasses
import io
import json
import re
import shutil
import subprocess
import zipfile
from html.parser import HTMLParser

import pytest
from docx import Document
from pypdf import PdfReader

from planner.strategy import outline as outline_module
from planner.strategy.exporters import export, filename, writer
from planner.strategy.outline import (
    Bar,
    BulletList,
    FactSheet,
    Figure,
    Heading,
    KeyFigures,
    Outline,
    Paragraph,
    Span,
    Table,
)
from planner.strategy.rollup import rollup_from_json, rollup_to_json, shorten
from tests.strategy.rollups import FIELDS, rollup

DATA = Table("Teilnehmende nach Sektor", ("Sektor", "Zusagen"), (("Verwaltung", "1.234"), ("Wissenschaft", "56")),
             numeric=(False, True))


def hand_outline(language: str = "de") -> Outline:
    """Every kind of block, with words a writer could never have made itself."""
    blocks = (
        Heading(1, "Kapitel Eins", "eins"),
        Paragraph("Ein **fetter** Absatz der Strategie.", markdown=True),
        Paragraph("Noch nicht geschrieben.", role="missing"),
        Heading(2, "Unterkapitel", "zwei"),
        BulletList(("Punkt A", "Punkt B"), title="Stärken"),
        DATA,
        KeyFigures("Der Prozess in Zahlen", (("650.000 €", "Kosten"), ("46 %", "sehr wichtig (Basis: 2.043)"))),
        Figure("bars", "Teilnehmende nach Sektor", "Balkendiagramm: Verwaltung 1.234, Wissenschaft 56.", "fig-1",
               DATA, bars=(Bar("Verwaltung", 1234.0, "1.234"), Bar("Wissenschaft", 56.0, "56")), maximum=1234.0),
        Figure("timeline", "Fahrplan bis 2040", "Zeitleiste mit zwei Maßnahmen.", "fig-2",
               Table("Fahrplan bis 2040", ("Maßnahme", "Zeitraum"), (("M1", "2023–2025"), ("M2", "2026–2030")))),
        Heading(3, "Maßnahmen", "drei"),
        FactSheet(4, "MOB-M01", "Smart Parking", "measure-MOB-M01", "Parken mit *Sensoren*.",
                  "Maßnahmensteckbrief MOB-M01", (("Federführung", "Amt für Straßen"), ("Kosten", "650.000 €"))),
    )
    figure = dataclasses.replace(blocks[8], spans=(Span("M1", 2023, 2025), Span("M2", 2026, 2030)),
                                 marks=(2025, 2030), first_year=2022, last_year=2040)
    blocks = blocks[:8] + (figure,) + blocks[9:]
    return Outline(language=language, edition="long", condensed=False, city="Essen", title="Handlungskonzept Test",
                   subtitle="Strategisches Handlungskonzept bis 2040", version_label="Fassung 3", blocks=blocks,
                   contents=(("eins", "Kapitel Eins"),), version=3)


def _write(code: str, o: Outline) -> bytes:
    out = io.BytesIO()
    writer(code)(o, out)
    return out.getvalue()


def _export(code: str, r) -> bytes:
    out = io.BytesIO()
    export(r, code, out)
    return out.getvalue()


def _pdf_text(data: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is not installed")
    path = tmp_path / "paper.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.replace("-\n", "-").split())  # one line: the layout's line breaks do not matter


class _Headings(HTMLParser):
    def __init__(self):
        super().__init__()
        self.levels, self.tables, self.captions, self.right = [], 0, 0, 0

    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r"h[1-6]", tag):
            self.levels.append(int(tag[1]))
        self.tables += tag == "table"
        self.captions += tag == "caption"
        self.right += ("class", "paper-num") in attrs


# --- each writer with a hand-built outline ---------------------------------------------------------------------

def test_markdown_writer_renders_blocks(ctx):
    text = _write("md", hand_outline()).decode()
    assert text.startswith("# Handlungskonzept Test\n")
    assert "## Kapitel Eins" in text and "### Unterkapitel" in text and "##### MOB-M01 Smart Parking" in text
    assert "Ein **fetter** Absatz" in text and "*Noch nicht geschrieben.*" in text
    assert "| Verwaltung | 1.234 |" in text and "|---|---:|" in text, "figures right-aligned"
    assert "- **650.000 €** Kosten" in text
    assert "*Balkendiagramm: Verwaltung 1.234, Wissenschaft 56.*" in text, "a figure is its alt text and its table"
    assert "- **Federführung:** Amt für Straßen" in text
    if shutil.which("pandoc"):
        html = subprocess.run(["pandoc", "-f", "gfm", "-t", "html"], input=text, capture_output=True, text=True,
                              check=True).stdout
        assert "<table>" in html and "<strong>fetter</strong>" in html


def test_html_writer_renders_blocks_accessibly(ctx):
    html = _write("html", hand_outline()).decode()
    assert '<html lang="de">' in html and "<title>Handlungskonzept Test</title>" in html
    assert "<link" not in html and "<script" not in html and not re.search(r'(src|href)="https?://', html)
    parser = _Headings()
    parser.feed(html)
    assert parser.tables == parser.captions, "every table has a caption"
    assert all(b - a <= 1 for a, b in zip(parser.levels, parser.levels[1:], strict=False)), "heading levels skip"
    assert parser.right >= 2, "figures are right-aligned"
    assert html.count("<svg") == 2 and "<title id=\"fig-1-title\">" in html
    assert "Balkendiagramm: Verwaltung 1.234, Wissenschaft 56." in html, "the alt text is the figure's desc"
    assert "<strong>fetter</strong>" in html and 'href="#eins"' in html and 'id="measure-MOB-M01"' in html


def test_docx_writer_renders_blocks(ctx, tmp_path):
    data = _write("docx", hand_outline())
    doc = Document(io.BytesIO(data))
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7), "A4"
    headings = {(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")}
    assert {("Heading 1", "Kapitel Eins"), ("Heading 2", "Unterkapitel"), ("Heading 3", "Maßnahmen"),
            ("Heading 4", "MOB-M01 Smart Parking")} <= headings
    texts = [p.text for p in doc.paragraphs]
    assert "Kapitel Eins" in texts[:12], "the table of contents lists the chapters before Word updates it"
    cells = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    assert ["Verwaltung", "1.234"] in cells and ["Federführung", "Amt für Straßen"] in cells
    assert ["Kosten", "650.000 €"] in cells
    assert doc.core_properties.title == "Handlungskonzept Test" and doc.core_properties.author == "Essen"
    assert doc.core_properties.language == "de-DE"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        body = z.read("word/document.xml").decode()
        settings = z.read("word/settings.xml").decode()
    assert 'TOC \\o "1-3"' in body and "updateFields" in settings
    assert "<w:tblHeader/>" in body, "header rows repeat on every page"
    assert '<w:jc w:val="right"/>' in body
    alts = re.findall(r'<wp:docPr [^>]*descr="([^"]*)"', body)
    assert len(alts) == 2 and all(alts), "every image has alt text"
    assert "Balkendiagramm: Verwaltung 1.234, Wissenschaft 56." in alts
    if shutil.which("pandoc"):
        path = tmp_path / "paper.docx"
        path.write_bytes(data)
        text = subprocess.run(["pandoc", str(path), "-t", "plain"], capture_output=True, text=True, check=True).stdout
        assert "Smart Parking" in text and "Amt für Straßen" in text


def test_pdf_writer_renders_blocks_tagged(ctx, tmp_path):
    data = _write("pdf", hand_outline())
    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"], "a tagged PDF"
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data(), "declared as PDF/UA-1"
    assert root.get("/Lang") == "de"
    assert reader.metadata.title == "Handlungskonzept Test"
    titles = [o.title for o in reader.outline if not isinstance(o, list)]
    assert "Kapitel Eins" in titles
    text = _pdf_text(data, tmp_path)
    assert "Amt für Straßen" in text and "650.000 €" in text and "Fassung 3" in text
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(tmp_path / "paper.pdf")], capture_output=True, text=True,
                              check=True).stdout
        assert re.search(r"^Tagged:\s+yes$", info, re.M) and re.search(r"^Page size:.*\(A4\)$", info, re.M)


def test_pdf_writer_has_an_archive_variant(ctx):
    from planner.strategy.exporters import pdf

    out = io.BytesIO()
    pdf.write(hand_outline(), out, variant=pdf.ARCHIVE)
    reader = PdfReader(out)
    assert b"pdfaid" in reader.trailer["/Root"]["/Metadata"].get_object().get_data(), "declared as PDF/A-2b"


# --- the whole paper of a hand-built roll-up --------------------------------------------------------------------

def test_json_is_the_rollup_round_trip_and_byte_identical(ctx):
    r = rollup()
    data = _export("json", r)
    assert rollup_from_json(data) == r
    assert _export("json", rollup()) == data
    parsed = json.loads(data)
    assert list(parsed)[:4] == ["schema", "locale", "short", "process"]
    assert parsed["schema"] == 4
    assert parsed["priority_run"]["frozen_at"] == "2022-09-01T08:00:00+00:00"
    assert rollup_to_json(rollup_from_json(data)).encode() == data


def test_markdown_paper_has_chapters_fact_sheets_and_roadmap(ctx):
    text = _export("md", rollup()).decode()
    assert text.startswith("# CONNECTED.ESSEN")
    for code, name_de, _en in FIELDS:
        assert f"### {code} {name_de}" in text
    assert "- **Federführung:** Amt für Digitalisierung" in text
    assert "- **Kostenschätzung:** 650.000\xa0€" in text
    assert "##### MOB-M02 Maßnahme MOB 2" in text
    assert "### Meilenstein 2030" in text


def test_docx_paper_read_back(ctx, tmp_path):
    data = _export("docx", rollup())
    doc = Document(io.BytesIO(data))
    heading1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert "Handlungsfelder" in heading1 and "Zusammenfassung" in heading1
    heading2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    for code, name_de, _en in FIELDS:
        assert f"{code} {name_de}" in heading2
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        body = z.read("word/document.xml").decode()
        media = [n for n in z.namelist() if n.startswith("word/media/")]
    assert media, "charts are embedded as images"
    assert len(re.findall(r'<wp:docPr [^>]*descr="[^"]+"', body)) == len(media)


def test_pdf_paper_read_back(ctx, tmp_path):
    data = _export("pdf", rollup())
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 5
    titles = [o.title for o in reader.outline if not isinstance(o, list)]
    assert "Handlungsfelder" in titles and any(t.startswith("Fahrplan bis 2040") for t in titles)
    text = _pdf_text(data, tmp_path)
    assert "Smarte Umwelt" in text and "MOB-M02" in text and "Bürgerbefragung 2022" in text
    assert "Maßnahmensteckbrief MOB-M02" in text and "Zu dieser Druckfassung" not in text
    assert re.search(r"\b2\s*/\s*\d+", text), "page numbers in the margin"


def test_very_large_paper_is_condensed_in_every_writer(ctx, tmp_path, monkeypatch):
    """Above the limits the outline lists measures in tables and counts findings, and says where the rest is."""
    r = rollup()
    monkeypatch.setattr(outline_module, "CONDENSE_LIMIT_MEASURES", len(r.measures()) - 1)
    assert outline_module.is_condensed(r)
    assert not outline_module.is_condensed(shorten(r)), "the short version is never condensed further"
    text = _pdf_text(_export("pdf", r), tmp_path)
    assert "Zu dieser Druckfassung" in text
    assert f"({len(r.measures())} Maßnahmen, {r.finding_count()} Ergebnisse)" in text
    assert "Maßnahmensteckbrief MOB-M02" not in text, "no fact sheets"
    assert "MOB-M02" in text and "Maßnahme MOB 2" in text, "every measure still in a table"
    html = _export("html", r).decode()
    assert "/findings/measures/" not in html, "a file has no links into the application"
    parser = _Headings()
    parser.feed(html)
    assert parser.tables == parser.captions
    assert all(b - a <= 1 for a, b in zip(parser.levels, parser.levels[1:], strict=False))
    monkeypatch.setattr(outline_module, "CONDENSE_LIMIT_MEASURES", 10_000)
    monkeypatch.setattr(outline_module, "CONDENSE_LIMIT_FINDINGS", r.finding_count() - 1)
    assert outline_module.is_condensed(r)


def test_short_version_and_filename(ctx):
    short = shorten(rollup())
    text = _export("md", short).decode()
    assert "Kurzfassung" in text and "Anhang" not in text
    assert "Zentrale Ergebnisse der Befragung" in text, "the short version carries the survey's key results"
    assert filename(short, "docx") == "Handlungskonzept-Essen-2040-Kurzfassung-Entwurf.docx"
    assert filename(dataclasses.replace(rollup(), version=3), "docx") == "Handlungskonzept-Essen-2040-v3.docx"


def test_readiness_is_in_every_format_of_a_draft_only(ctx):
    r = rollup()
    md = _export("md", r).decode()
    assert "Abschnitt noch nicht geschrieben: Monitoring und Evaluation" in md, "the section's title, not its key"
    assert "monitoring" not in md
    assert "Noch offen" in _export("html", r).decode()
    frozen = dataclasses.replace(r, version=4)
    assert "Noch offen" not in _export("html", frozen).decode(), "a frozen version never says it is unfinished"


def test_bad_input_still_exports_in_every_format(ctx, tmp_path):
    """A 200 KB section with an outside image, emoji, right-to-left text and control characters, a measure without
    lead unit or KPI, a paper without survey or prioritisation: every format is written and reads back."""
    base = rollup()
    long_text = ("Absatz mit Emoji 😀 und עִברִית/العربية, Steuerzeichen \x07 und ![Logo](https://example.org/x.png).\n\n"
                 * 2000)[:200_000]
    sections = tuple(dataclasses.replace(s, body=long_text) if s.key == "governance" else s for s in base.sections)
    chapter = base.fields[0]
    bare = dataclasses.replace(chapter.measures[0], lead_unit="", kpis=(), cost_estimate=None, funding="",
                               priority="", start_year=None, end_year=None, bitkom_area="")
    fields = (dataclasses.replace(chapter, measures=(bare,)), *base.fields[1:])
    r = dataclasses.replace(base, sections=sections, fields=fields, priority_run=None,
                            starting_point=dataclasses.replace(base.starting_point, surveys=()))
    for code in ("md", "html", "docx", "pdf", "json"):
        data = _export(code, r)
        assert len(data) > 10_000, code
        if code == "docx":
            doc = Document(io.BytesIO(data))
            assert any("Emoji 😀" in p.text for p in doc.paragraphs)
            assert not any("\x07" in p.text for p in doc.paragraphs)
        elif code in ("md", "html"):
            text = data.decode()
            assert "العربية" in text and "example.org/x.png" not in text.replace("](https://example.org/x.png)", "")
    md = _export("md", r).decode()
    assert "*Es wurde noch keine Bürgerbefragung ausgewertet.*" in md
    assert "- **Federführung:** –" in md and "- **Kostenschätzung:** –" in md
