"""`flask export-paper` from the demo: every format, long and short, German and English, read back by
independent readers: no raw internal value, no German label in an English paper, the Kurzfassung at most a third
of the long version with the survey's key results, the PDF tagged with title and language (pdfinfo), and the long
German Word file converted by LibreOffice (headless) to a PDF with pages."""

import json
import os
import re
import shutil
import subprocess
import zipfile

import pytest
from docx import Document
from pypdf import PdfReader

from planner.demo import seed_demo
from planner.extensions import db
from planner.strategy.exporters import FORMATS
from planner.strategy.outline import FactSheet, Heading, Table, build_outline
from planner.strategy.rollup import SCHEMA, build_rollup

# Codes a reader must never see (enum values of the domain) and an amount as the database stores it.
RAW = re.compile(r"\b(energy_environment|it_communication|society_education|civil_society|in_person|"
                 r"under_evaluation|strategy_team)\b|\b\d{4,}\.\d\d\b|\b\d+\.00\b")
GERMAN_LABELS = ("Handlungsfelder", "Federführung", "Handlungsbedarfe", "Priorität", "Maßnahmensteckbrief", "Zusagen",
                 "Meilenstein", "Kostenschätzung", "Zeitraum", "Anhang", "Zusammenfassung", "Ausgangslage",
                 "Fahrplan", "Vorwort", "Teilgenommen", "Beteiligte")


def _docx_labels(path) -> list[str]:
    """Headings and the label cells of tables (header rows, the first column of fact sheets); survey answers in
    key-figure tables are the survey's own text."""
    doc = Document(str(path))
    labels = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    for table in doc.tables:
        first_column = [row.cells[0].text for row in table.rows]
        if "Lead unit" in first_column:
            labels += first_column
        elif len(table.columns) > 2:
            labels += [c.text for c in table.rows[0].cells]
    return labels


def _text(path, code: str, tmp_path) -> str:
    if code == "docx":
        doc = Document(str(path))
        return "\n".join([p.text for p in doc.paragraphs]
                         + [c.text for t in doc.tables for row in t.rows for c in row.cells])
    if code == "pdf":
        if not shutil.which("pdftotext"):
            return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return path.read_text(encoding="utf-8")


WORD = re.compile(r"[A-Za-zÄÖÜäöüß]{4,}")


def _labels(outline) -> set[str]:
    """The outline's own words: headings (not a fact sheet's, which is the measure's title) and table labels."""
    labels = set()
    for b in outline.blocks:
        if isinstance(b, Heading):
            labels.add(b.text)
        elif isinstance(b, Table):
            labels.add(b.caption)
            labels.update(b.header)
        elif isinstance(b, FactSheet):
            labels.update(label for label, _value in b.rows)
    return labels


def _everything(outline) -> str:
    return json.dumps([str(b) for b in outline.blocks], ensure_ascii=False)


def german_label_words() -> set[str]:
    """The German words the outline uses as labels: in the German paper's headings and table labels, in none of
    the English paper's labels and nowhere in the English paper's text (which holds the user's own German text)."""
    rollup = build_rollup()
    german, english = build_outline(rollup, "de"), build_outline(rollup, "en")
    english_words = set(WORD.findall(_everything(english)))
    found = {w for label in _labels(german) for w in WORD.findall(label)} - english_words
    assert len(found) >= 20 and "Ausgangslage" in found, found  # the rest is in the demo's own German text too
    return found


def _english_labels(path, code: str) -> list[str]:
    """What the writers show as labels in an English file: headings, table header cells and captions, the Word
    file's header and footer."""
    if code == "md":
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    if code == "html":
        html = path.read_text(encoding="utf-8")
        return re.findall(r"<(?:h[1-6]|th|caption|title)[^>]*>(.*?)</(?:h[1-6]|th|caption|title)>", html, re.S)
    if code == "docx":
        doc = Document(str(path))
        section = doc.sections[0]
        return (_docx_labels(path) + [p.text for p in section.header.paragraphs + section.footer.paragraphs]
                + [p.text for p in doc.paragraphs[:12]])
    return []


def _pdfinfo(path) -> str:
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout


def _soffice() -> str | None:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None and os.environ.get("CI") == "true":
        pytest.fail("LibreOffice (Debian's libreoffice-writer-nogui) must be installed in CI: make system-deps")
    return found


def convert_with_libreoffice(path, soffice: str, tmp_path):
    """LibreOffice headless with a private profile (parallel runs never share one) and a timeout."""
    profile = tmp_path / "lo-profile"
    outdir = tmp_path / "lo-pdf"
    result = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", "--convert-to", "pdf",
         "--outdir", str(outdir), str(path)], capture_output=True, text=True, timeout=300, check=False)
    pdf = outdir / (path.stem + ".pdf")
    assert result.returncode == 0 and pdf.exists(), (result.returncode, result.stdout, result.stderr)
    return pdf


def test_export_paper_from_the_demo_in_every_format_edition_and_language(app, runner, tmp_path):
    with app.app_context():
        seed_demo()
        db.session.commit()
        german_words = german_label_words()
    pages = {}
    for language in ("de", "en"):
        for short in (False, True):
            for code in FORMATS:
                path = tmp_path / f"paper-{language}-{'short' if short else 'long'}.{FORMATS[code].extension}"
                args = ["export-paper", "--format", code, "--locale", language, "--output", str(path)]
                result = runner.invoke(args=args + (["--short"] if short else []))
                assert result.exit_code == 0, result.output
                if code == "json":
                    assert json.loads(path.read_text())["schema"] == SCHEMA
                    continue
                text = _text(path, code, tmp_path)
                raw = RAW.search(text)
                assert raw is None, (path.name, raw and text[max(0, raw.start() - 80):raw.end() + 40])
                if language == "en" and code == "md":
                    headings = [line for line in text.splitlines() if line.startswith("#")]
                    for label in GERMAN_LABELS:
                        assert not any(label in h for h in headings), (path.name, label)
                if language == "en" and code == "docx":
                    labels = _docx_labels(path)
                    for label in GERMAN_LABELS:
                        assert not any(label in cell for cell in labels), (path.name, label)
                if code == "docx":
                    with zipfile.ZipFile(path) as archive:
                        body = archive.read("word/document.xml").decode()
                    pictures = re.findall(r"<wp:docPr [^>]*>", body)
                    assert pictures and all(re.search(r'descr="[^"]+"', p) for p in pictures), "alt text"
                    assert 'TOC \\o "1-3"' in body, "a table of contents"
                    section = Document(str(path)).sections[0]
                    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
                if language == "en":
                    for label in _english_labels(path, code):
                        leaked = german_words & set(WORD.findall(label))
                        assert not leaked, (path.name, label, leaked)
                if code == "pdf":
                    reader = PdfReader(str(path))
                    pages[(language, short)] = len(reader.pages)
                    assert "/StructTreeRoot" in reader.trailer["/Root"], "tagged"
                    assert reader.trailer["/Root"].get("/Lang") == language
                    if shutil.which("pdfinfo"):
                        info = _pdfinfo(path)
                        assert re.search(r"^Tagged:\s+yes$", info, re.M), path.name
                        title = re.search(r"^Title:\s+(.+)$", info, re.M)
                        assert title and title.group(1).strip(), path.name
    for language in ("de", "en"):
        assert pages[(language, True)] * 3 <= pages[(language, False)], "the Kurzfassung: at most a third"
    short_de = (tmp_path / "paper-de-short.md").read_text()
    short_en = (tmp_path / "paper-en-short.md").read_text()
    assert "Zentrale Ergebnisse der Befragung" in short_de and "Key results of the survey" in short_en
    assert "Zielbild 2040" in short_de and "Messbare Ziele" in short_de, "per field its goals"
    assert "## Leitbild und Ziele 2040" in (tmp_path / "paper-de-long.md").read_text()
    soffice = _soffice()
    if soffice is not None:
        pdf = convert_with_libreoffice(tmp_path / "paper-de-long.docx", soffice, tmp_path)
        assert len(PdfReader(str(pdf)).pages) > 10
    long_md = (tmp_path / "paper-de-long.md").read_text()
    assert "(Quelle: " in long_md and "Source:" not in long_md and "answered by" not in long_md
    assert "\xa0€" in long_md and "Smart Parking" in long_md
    english = (tmp_path / "paper-en-long.md").read_text()
    assert "## Action fields" in english and "## Summary" in english
    if shutil.which("pandoc"):
        subprocess.run(["pandoc", str(tmp_path / "paper-en-long.docx"), "-t", "plain", "-o",
                        str(tmp_path / "en.txt")], check=True)
        assert "Fact sheet" in (tmp_path / "en.txt").read_text()
    else:
        pytest.skip("pandoc is not installed")
