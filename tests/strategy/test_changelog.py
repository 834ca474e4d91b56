"""The changes between two versions ("Änderungen zwischen Versionen"): data, not only text; the page and its
downloads. Not to be mistaken for the audit log ("Änderungsprotokoll")."""

import dataclasses
import io
import re
import shutil
import subprocess
from datetime import UTC, date, datetime

import pytest
from docx import Document

from planner.core.permissions import Role
from planner.extensions import db
from planner.strategy.changelog import build_changelog, compare
from planner.strategy.rollup import PriorityRun, SurveySummary, WorkshopSummary
from tests.conftest import text_of
from tests.strategy import helpers
from tests.strategy.rollups import rollup


def _changed_rollup():
    """Version 2: a measure changed field by field, ranks swapped, a new run with other weights, one more survey
    and more responses, one more workshop, a measure removed, the foreword rewritten."""
    base = rollup()
    chapters = list(base.fields)
    umw, mob = chapters[0], chapters[1]
    m1 = dataclasses.replace(umw.measures[0], cost_estimate=800000.0, lead_unit="Grün und Gruga", priority="medium",
                             rank=2)
    m2 = dataclasses.replace(mob.measures[0], rank=1)
    chapters[0] = dataclasses.replace(umw, measures=(m1,))
    chapters[1] = dataclasses.replace(mob, measures=(m2,))
    chapters[2] = dataclasses.replace(chapters[2], measures=())  # BIL-M03 removed
    sp = base.starting_point
    survey = dataclasses.replace(sp.surveys[0], participants=2143, comments=1100)
    second = SurveySummary(2, "Jugendbefragung 2023", "2", date(2023, 3, 1), date(2023, 3, 31), 412, 80, (), ())
    starting_point = dataclasses.replace(
        sp, surveys=(survey, second), participants_total=45, workshops=(*sp.workshops, WorkshopSummary(
            2, "Workshop 2", date(2022, 4, 7), "virtual", "documented", ("BIL",), 30, 20, 15)))
    run = PriorityRun(4, "Priorisierung Frühjahr 2023", datetime(2023, 3, 15, 8, 0, tzinfo=UTC),
                      (("citizen", 0.5), ("impact", 0.2), ("feasibility", 0.1), ("cost", 0.1), ("urgency", 0.1)))
    sections = tuple(dataclasses.replace(s, body="Liebe Leserinnen und Leser, ...") if s.key == "foreword" else s
                     for s in base.sections)
    return dict(fields=tuple(chapters), starting_point=starting_point, priority_run=run, sections=sections)


def test_compare_finds_data_changes():
    old = dataclasses.replace(rollup(), version=1)
    new = dataclasses.replace(rollup(**_changed_rollup()), version=2)
    changes = compare(old, new)
    assert [m.number for m in changes.removed] == ["BIL-M03"] and changes.added == ()
    umw = next(m for m in changes.changed if m.number == "UMW-M01")
    assert {a.name: (a.old, a.new) for a in umw.changes} == {
        "cost_estimate": (650000.0, 800000.0), "lead_unit": ("Amt für Digitalisierung", "Grün und Gruga"),
        "priority": ("high", "medium")}
    assert [(r.number, r.old, r.new) for r in changes.ranks] == [("MOB-M02", 2, 1), ("UMW-M01", 1, 2)]
    assert changes.run.old_name == "Priorisierung Herbst 2022" and changes.run.new_name == "Priorisierung Frühjahr 2023"
    assert {w.criterion for w in changes.run.weights} == {"citizen", "feasibility", "urgency"}
    assert [(s.title, s.kind) for s in changes.surveys] == [("Bürgerbefragung 2022", "changed"),
                                                            ("Jugendbefragung 2023", "added")]
    figures = {f.key: (f.old, f.new) for f in changes.figures}
    assert figures["workshops"] == (1, 2) and figures["participants"] == (30, 45)
    assert figures["measures"] == (7, 6) and figures["responses"] == (2043, 2143 + 412)
    assert [s.key for s in changes.sections] == ["foreword"]
    assert not changes.is_empty


def test_nothing_has_changed_only_when_nothing_did(ctx):
    same = compare(dataclasses.replace(rollup(), version=1), dataclasses.replace(rollup(), version=2))
    assert same.is_empty
    outline = build_changelog(same, rollup(), rollup(), "de")
    assert [b.text for b in outline.blocks] == ["Nichts hat sich geändert."]
    run = dataclasses.replace(rollup().priority_run, weights=(("citizen", 0.3), ("impact", 0.3)))
    assert not compare(rollup(), rollup(priority_run=run)).is_empty


def test_changelog_outline_is_readable_in_both_languages(ctx):
    old = dataclasses.replace(rollup(), version=1)
    new = dataclasses.replace(rollup(**_changed_rollup()), version=2)
    changes = compare(old, new)
    de = build_changelog(changes, old, new, "de")
    text = _outline_text(de)
    assert de.title == "Änderungen zwischen Versionen"
    assert "650.000 €" in text and "800.000 €" in text and "Mittel (binnen 2 Jahren)" in text
    assert "Kostenschätzung" in text and "Federführung" in text
    assert "+1" in text and "Jugendbefragung 2023" in text and "2.143" in text
    assert "Priorisierung Frühjahr 2023" in text and "50 %" in text and "40 %" in text
    assert "cost_estimate" not in text and "650000" not in text and "medium" not in text
    en = _outline_text(build_changelog(changes, old, new, "en"))
    assert "Cost estimate" in en and "€800,000" in en and "Kostenschätzung" not in en


def _outline_text(outline) -> str:
    parts = []
    for b in outline.blocks:
        for name in ("text", "title", "caption"):
            parts.append(str(getattr(b, name, "")))
        parts.extend(getattr(b, "items", ()))
        parts.extend(getattr(b, "header", ()))
        parts.extend(cell for row in getattr(b, "rows", ()) for cell in row)
    return "\n".join(parts).replace("\xa0", " ").replace("\u202f", " ")


@pytest.fixture
def two_versions(app):
    with app.app_context():
        helpers.version(1)
        helpers.version(2, **_changed_rollup())
        db.session.commit()


def test_diff_page_shows_the_change_log(two_versions, client, auth):
    auth.login(Role.STRATEGY_TEAM)
    response = client.get("/strategy/versions/diff?old=1&new=2")
    # Its own name, not the audit log's ("Änderungsprotokoll"), on the page and in the list of versions.
    assert "<title>Änderungen zwischen Versionen –" in response.get_data(as_text=True)
    assert "Änderungsprotokoll" not in response.get_data(as_text=True)
    assert "Änderungen zwischen Versionen" in text_of(client.get("/strategy/versions"))
    page = text_of(response).replace("\xa0", " ")
    assert "Änderungen von Version 1 zu Version 2" in page
    assert "Kostenschätzung" in page and "800.000 €" in page and "Jugendbefragung 2023" in page
    assert "Priorisierung Frühjahr 2023" in page and "Rangänderungen" in page
    assert "Nichts hat sich geändert" not in page
    same = text_of(client.get("/strategy/versions/diff?old=1&new=1"))
    assert "Nichts hat sich geändert" in same
    assert client.get("/strategy/versions/diff?old=1&new=9").status_code == 404


def test_change_log_downloads(two_versions, client, auth, tmp_path):
    auth.login(Role.STRATEGY_TEAM)
    md = client.get("/strategy/versions/diff/export?old=1&new=2&format=md")
    assert md.status_code == 200
    assert "Aenderungen-zwischen-Versionen-v1-v2.md" in md.headers["Content-Disposition"]
    body = md.get_data(as_text=True).replace("\xa0", " ")
    assert "Änderungen zwischen Versionen" in body and "Änderungsprotokoll" not in body
    assert "800.000 €" in body and "BIL-M03" in body

    docx = client.get("/strategy/versions/diff/export?old=1&new=2&format=docx&locale=en")
    assert docx.status_code == 200
    document = Document(io.BytesIO(docx.data))
    cells = [c.text.replace("\xa0", " ") for t in document.tables for row in t.rows for c in row.cells]
    paragraphs = [p.text for p in document.paragraphs]
    assert "Changes-between-versions-v1-v2.docx" in docx.headers["Content-Disposition"]
    assert "Changes between versions" in paragraphs and "Cost estimate" in cells and "€800,000" in cells

    pdf = client.get("/strategy/versions/diff/export?old=1&new=2&format=pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        path = tmp_path / "log.pdf"
        path.write_bytes(pdf.data)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert "Änderungen zwischen Versionen" in text and re.search(r"800\.000\s€", text)

    bad = client.get("/strategy/versions/diff/export?old=1&new=2&format=exe")
    assert bad.status_code == 400 and "Format" in text_of(bad)
