"""`flask export-paper` from the demo: every format, long and short, German and English, read back by
independent readers: no raw internal value, no German label in an English paper."""

import json
import re
import shutil
import subprocess

import pytest
from docx import Document
from pypdf import PdfReader

from planner.demo import seed_demo
from planner.extensions import db
from planner.strategy.exporters import FORMATS

# Codes a reader must never see (enum values of the domain) and an amount as the database stores it.
RAW = re.compile(r"\b(energy_environment|it_communication|society_education|civil_society|in_person|"
                 r"under_evaluation|strategy_team)\b|\b\d{4,}\.\d\d\b")
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


def test_export_paper_from_the_demo_in_every_format_edition_and_language(app, runner, tmp_path):
    with app.app_context():
        seed_demo()
        db.session.commit()
    pages = {}
    for language in ("de", "en"):
        for short in (False, True):
            for code in FORMATS:
                path = tmp_path / f"paper-{language}-{'short' if short else 'long'}.{FORMATS[code].extension}"
                args = ["export-paper", "--format", code, "--locale", language, "--output", str(path)]
                result = runner.invoke(args=args + (["--short"] if short else []))
                assert result.exit_code == 0, result.output
                if code == "json":
                    assert json.loads(path.read_text())["schema"] == 3
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
                if code == "pdf":
                    reader = PdfReader(str(path))
                    pages[(language, short)] = len(reader.pages)
                    assert "/StructTreeRoot" in reader.trailer["/Root"], "tagged"
                    assert reader.trailer["/Root"].get("/Lang") == language
    for language in ("de", "en"):
        assert pages[(language, True)] * 3 <= pages[(language, False)], "the Kurzfassung: at most a third"
    long_md = (tmp_path / "paper-de-long.md").read_text()
    assert "\xa0€" in long_md and "Smart Parking" in long_md
    english = (tmp_path / "paper-en-long.md").read_text()
    assert "## Action fields" in english and "## Summary" in english
    if shutil.which("pandoc"):
        subprocess.run(["pandoc", str(tmp_path / "paper-en-long.docx"), "-t", "plain", "-o",
                        str(tmp_path / "en.txt")], check=True)
        assert "Fact sheet" in (tmp_path / "en.txt").read_text()
    else:
        pytest.skip("pandoc is not installed")
