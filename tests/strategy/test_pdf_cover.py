"""The PDF (and its HTML) have a cover as the Word file does: the city's logo when it configured one, the city, the
title, the version, the date and the status (draft or adopted by the council). Read back with pypdf, pdftotext and
pdftoppm (the cover's picture)."""

import dataclasses
import io
import re
import shutil
import subprocess
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader

from planner.extensions import db
from planner.strategy import versions
from planner.strategy.council import CouncilDecision, DecisionResult, DecisionStep
from planner.strategy.exporters import export, writer
from planner.strategy.outline import build_outline
from tests.strategy import helpers
from tests.strategy.test_exporters import hand_outline

BLUE = (29, 78, 137)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 120), BLUE).save(buffer, "PNG")
    return buffer.getvalue()


def _page_text(data: bytes, tmp_path, page: int) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is not installed")
    path = tmp_path / "cover.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return " ".join(text.split())


def _cover_has_blue(data: bytes, tmp_path) -> bool:
    """Whether the cover page, rendered at 60 dpi, shows the logo's colour."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm is not installed")
    path = tmp_path / "cover.pdf"
    path.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", "-singlefile", str(path),
                    str(tmp_path / "cover")], check=True, capture_output=True)
    with Image.open(tmp_path / "cover.png") as image:
        rgb = image.convert("RGB")
        found = sum(1 for x in range(rgb.width) for y in range(rgb.height)
                    if all(abs(a - b) < 12 for a, b in zip(rgb.getpixel((x, y)), BLUE, strict=True)))
        return found > 500


def test_pdf_cover_has_logo_city_title_version_date_and_status(ctx, tmp_path):
    outline = dataclasses.replace(hand_outline(), issued="3. Dezember 2026",
                                  status="Vom Rat beschlossen am 15. Juni 2023")
    out = io.BytesIO()
    writer("pdf")(outline, out, logo=(_png(), "image/png"))
    data = out.getvalue()
    cover = _page_text(data, tmp_path, 1)
    for text in ("Essen", "Handlungskonzept Test", "Strategisches Handlungskonzept bis 2040", "Fassung 3",
                 "3. Dezember 2026", "Vom Rat beschlossen am 15. Juni 2023"):
        assert text in cover, text
    assert "Kapitel Eins" not in cover, "the cover is a page of its own"
    assert _cover_has_blue(data, tmp_path), "the city's logo is on the cover"
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert page.images, "the logo is an image of the first page"
    info = subprocess.run(["pdfinfo", str(tmp_path / "cover.pdf")], capture_output=True, text=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M), "still tagged with the logo (it has alt text)"

    without = io.BytesIO()
    writer("pdf")(outline, without)
    assert not PdfReader(without).pages[0].images, "no logo configured: none on the cover"


def test_html_cover_carries_the_logo_inline_with_alt_text(ctx):
    outline = dataclasses.replace(hand_outline(), issued="3. Dezember 2026", status="Entwurf")
    out = io.BytesIO()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10"/></svg>'
    writer("html")(outline, out, logo=(svg, "image/svg+xml"))
    html = out.getvalue().decode("utf-8")
    cover = html[html.index('<header class="paper-cover">'):html.index("</header>")]
    assert '<img src="data:image/svg+xml;base64,' in cover and 'alt="Logo von Essen"' in cover
    assert "<time>3. Dezember 2026</time>" in cover and "Entwurf" in cover
    english = io.BytesIO()
    writer("html")(dataclasses.replace(outline, language="en"), english, logo=(_png(), "image/png"))
    assert 'alt="Logo of Essen"' in english.getvalue().decode("utf-8")


def test_export_puts_the_citys_logo_and_the_council_adoption_on_the_cover(ctx, tmp_path):
    from planner.city import services as city

    version = helpers.version(1, published=True)
    decision = CouncilDecision(paper_version=version, reference="0815/2023", title="Smart City Strategie")
    decision.steps.append(DecisionStep(body="Rat der Stadt", meeting_date=date(2023, 6, 15), role="Entscheidung",
                                       authoritative=True, result=DecisionResult.ADOPTED))
    db.session.add(decision)
    city.set_logo(None, _png())
    db.session.commit()

    rollup = versions.version_rollup(version)
    assert rollup.adopted_on == date(2023, 6, 15)
    out = io.BytesIO()
    export(rollup, "pdf", out)
    cover = _page_text(out.getvalue(), tmp_path, 1)
    assert "Version 1" in cover and "Vom Rat beschlossen am 15. Juni 2023" in cover
    assert _cover_has_blue(out.getvalue(), tmp_path)
    english = build_outline(versions.version_rollup(version, locale="en"))
    assert english.status == "Adopted by the council on 15 June 2023"


def test_a_version_not_adopted_says_draft_and_its_public_file_follows_the_adoption(ctx, tmp_path):
    version = helpers.version(2, published=True)
    assert build_outline(versions.version_rollup(version)).status == "Entwurf"
    assert build_outline(dataclasses.replace(versions.version_rollup(version), version=None)).status == "", \
        "the current draft's cover says \"Entwurf\" once, as its version"
    decision = CouncilDecision(paper_version=version, reference="0816/2023")  # in deliberation
    db.session.add(decision)
    db.session.flush()
    assert build_outline(versions.version_rollup(version)).status == "Entwurf"
    before = versions.published_export(version, versions.version_rollup(version), "html", tmp_path)
    assert "Entwurf" in before.read_text(encoding="utf-8")

    decision.steps.append(DecisionStep(body="Rat der Stadt", meeting_date=date(2023, 6, 15), authoritative=True,
                                       result=DecisionResult.ADOPTED))
    db.session.flush()
    after = versions.published_export(version, versions.version_rollup(version), "html", tmp_path)
    assert after != before, "the cached public file is made anew once the council adopted the version"
    assert "Vom Rat beschlossen am 15. Juni 2023" in after.read_text(encoding="utf-8")
