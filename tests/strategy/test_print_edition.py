"""The condensed print edition of a very large paper (issue 13: a metropolis's PDF within time and memory): the
milestones and the sources of the measures counted, each measure still in a row with its number, title, lead,
priority, time frame and count of needs; the Word file complete; long tables laid out with fixed column widths.
Read back by pdftotext, pdfinfo, pypdf and python-docx. The limits are lowered so that a small paper is "very
large"."""

import dataclasses
import io
import re
import shutil
import subprocess

from docx import Document
from pypdf import PdfReader

from planner.strategy import outline as outline_module
from planner.strategy.exporters.html import column_widths
from planner.strategy.exporters.html import render as render_html
from planner.strategy.outline import BulletList, Outline, Table, build_outline
from planner.strategy.rollup import MeasureSources
from tests.strategy.rollups import FIELDS, rollup
from tests.strategy.test_exporters import _export, _pdf_text


def _large(monkeypatch):
    """The hand-built paper, each measure answering its field's need, printed as a very large paper would be."""
    r = rollup()
    needs = {n.number: n for c in r.fields for n in c.needs}
    sources = tuple(MeasureSources(m.number, m.title, tuple(needs[x] for x in m.need_numbers if x in needs))
                    for m in r.measures())
    r = dataclasses.replace(r, annex=dataclasses.replace(r.annex, sources=sources))
    monkeypatch.setattr(outline_module, "CONDENSE_LIMIT_MEASURES", len(r.measures()) - 1)
    assert outline_module.is_condensed(r)
    return r


def _tables(o: Outline) -> dict[str, Table]:
    return {b.caption: b for b in o.blocks if isinstance(b, Table)}


def test_condensed_outline_counts_milestones_and_sources(ctx, monkeypatch):
    r = _large(monkeypatch)
    o = build_outline(r)
    tables = _tables(o)
    # every measure in its field's table, with the number of needs it answers (the sources, per measure)
    for code, name_de, _en in FIELDS:
        t = tables[f"Maßnahmen in „{name_de}“"]
        assert t.header == ("Nummer", "Maßnahme", "Federführung", "Priorität", "Zeitraum", "Bedarfe")
        chapter = next(c for c in r.fields if c.code == code)
        assert [row[0] for row in t.rows] == [m.number for m in chapter.measures]
        assert all(row[5] == "1" for row in t.rows)
    # the milestones: measures completed per field, adding up to the stage's measures
    for stage in r.roadmap:
        caption = f"Bis {stage.year} abgeschlossene Maßnahmen je Handlungsfeld"
        if not stage.entries:
            assert caption not in tables
            continue
        t = tables[caption]
        assert sum(int(row[1]) for row in t.rows) == len(stage.entries)
        assert f"Bis {stage.year} abgeschlossene Maßnahmen" not in tables, "no list of every measure"
    # the sources: counted per field, no list of every measure's needs
    t = tables["Von den Maßnahmen beantwortete Handlungsbedarfe je Handlungsfeld"]
    assert [row[0] for row in t.rows] == [name for _c, name, _en in FIELDS]
    assert t.header[3:] == ("Bedarfe", "davon aus Workshops", "davon aus der Bürgerbefragung")
    assert [row[1:] for row in t.rows] == [("1", "1", "1", "1", "0")] * len(FIELDS)
    titles = {b.title for b in o.blocks if isinstance(b, BulletList)}
    assert not any(m.number in title for m in r.measures() for title in titles)
    text = " ".join(b.text for b in o.blocks if hasattr(b, "text") and isinstance(b.text, str))
    assert "Word- und der JSON-Export derselben Version" in text, "the paper says where the full detail is"


def test_condensed_pdf_keeps_every_measure_and_says_where_the_rest_is(ctx, monkeypatch, tmp_path):
    r = _large(monkeypatch)
    data = _export("pdf", r)
    text = _pdf_text(data, tmp_path)
    for m in r.measures():
        assert m.number in text and m.title in text
    assert "Bis 2030 abgeschlossene Maßnahmen je Handlungsfeld" in text
    assert "Von den Maßnahmen beantwortete Handlungsbedarfe je Handlungsfeld" in text
    assert "Handlungsbedarf MOB" not in text, "the needs' texts are counted, not printed"
    assert re.search(r"Das vollständige Papier mit allen Steckbriefen, Ergebnissen und Quellen enthalten der "
                     r"Word-? ?und der JSON-Export derselben Version\.", text), "where the rest is"
    reader = PdfReader(io.BytesIO(data))
    assert "/StructTreeRoot" in reader.trailer["/Root"] and reader.metadata.title
    titles = [o.title for o in reader.outline if not isinstance(o, list)]
    assert "Anhang" in titles and "Zu dieser Druckfassung" in titles, "bookmarks"
    assert re.search(r"Anhang \.+ ?\d+", text), "contents with page numbers"
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(tmp_path / "paper.pdf")], capture_output=True, text=True,
                              check=True).stdout
        assert re.search(r"^Tagged:\s+yes$", info, re.M)


def test_word_file_of_a_condensed_paper_is_complete(ctx, monkeypatch):
    r = _large(monkeypatch)
    doc = Document(io.BytesIO(_export("docx", r)))
    text = "\n".join(p.text for p in doc.paragraphs)
    text += "\n".join(cell.text for table in doc.tables for row in table.rows for cell in row.cells)
    assert "Zu dieser Druckfassung" not in text
    for m in r.measures():
        assert f"Maßnahmensteckbrief {m.number}" in text or f"{m.number} {m.title}" in text
    assert "Handlungsbedarf MOB" in text, "every need with its source"


def test_long_tables_get_fixed_column_widths_in_the_pdf_only(ctx):
    rows = tuple((f"MOB-M{n:05d}", f"Maßnahme {n:05d}: Ladeinfrastruktur", "Amt für Digitalisierung", "Hoch",
                  "2024–2032") for n in range(40))
    long = Table("Maßnahmen", ("Nummer", "Maßnahme", "Federführung", "Priorität", "Zeitraum"), rows)
    widths = column_widths(long)
    assert len(widths) == 5 and abs(sum(widths) - 1000) <= 5
    assert widths[1] == max(widths), "the longest text gets the widest column"
    assert widths[0] >= 150, "a measure's number fits on one line"
    o = Outline(language="de", edition="long", condensed=True, city="Essen", title="T", subtitle="S",
                version_label="Entwurf", blocks=(long,))
    assert "<colgroup>" not in render_html(o), "the HTML export lays out its tables itself"
    assert 'class="paper-table paper-table--fixed"' in render_html(o, fixed_tables=True)


def test_a_short_tables_words_stay_whole_in_the_pdf(ctx, tmp_path):
    """The PDF's automatic table layout squeezed the workshops table's narrow columns to their longest syllable:
    "Virtu-ell", "Zu-sa-gen", "Sep-tember", "Prä-senz", "Ok-tober"."""
    from planner.strategy.exporters import pdf

    fields = "Smarte Umwelt, Smarte Mobilität und Infrastruktur, Smarte Bildung, Smarte Services / Verwaltung"
    table = Table("Durchgeführte Workshops", ("Workshop", "Datum", "Format", "Handlungsfelder", "Zusagen",
                                              "Teilgenommen"),
                  (("Workshop 1: Smarte Mobilität und Smarte Umwelt", "17. März 2022", "Virtuell", fields, "40", "38"),
                   ("Bürgerdialog Smart City Essen", "15. September 2022", "In Präsenz", fields, "6", "6"),
                   ("Unterrichtung des Ausschusses für Digitalisierung", "11. Oktober 2022", "In Präsenz", fields,
                    "0", "0")),
                  numeric=(False, False, False, False, True, True))
    assert len(column_widths(table)) == 6, "a short table gets its widths too"
    o = Outline(language="de", edition="long", condensed=False, city="Essen", title="T", subtitle="S",
                version_label="Entwurf", blocks=(table,))
    out = io.BytesIO()
    pdf.write(o, out)
    text = _pdf_text(out.getvalue(), tmp_path)
    for word in ("Virtuell", "Zusagen", "September", "Präsenz", "Oktober", "Mobilität", "Umwelt"):
        assert word in text, word


def test_lists_keep_their_bullets_in_the_pdf(ctx, tmp_path):
    from planner.strategy.exporters import pdf

    o = Outline(language="de", edition="long", condensed=False, city="Essen", title="T", subtitle="S",
                version_label="Entwurf", blocks=(BulletList(("Erster Punkt", "Zweiter Punkt"), title="Stärken"),))
    out = io.BytesIO()
    pdf.write(o, out)
    text = _pdf_text(out.getvalue(), tmp_path)
    assert "• Erster Punkt" in text and "• Zweiter Punkt" in text


def test_page_references_stay_correct_as_pages_are_added(ctx):
    """The PDF writer keeps pydyf's tuple of page references while the number of pages is unchanged."""
    import pydyf

    from planner.strategy.exporters import pdf  # noqa: F401 - importing it caches the references

    document = pydyf.PDF()
    for _ in range(3):
        document.add_page(pydyf.Dictionary({"Type": "/Page"}))
    first = document.page_references
    assert first is document.page_references, "built once"
    assert [ref.decode() for ref in first] == [f"{n} 0 R" for n in document.pages["Kids"][::3]]
    document.add_page(pydyf.Dictionary({"Type": "/Page"}))
    assert len(document.page_references) == 4 and document.page_references[:3] == first
