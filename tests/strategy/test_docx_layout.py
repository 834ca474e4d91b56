"""The Word file a city can hand over: cover (logo, city, title, version, date), header with the logo, footer with
"Seite x von y", document properties, A4, heading styles, table-of-contents entries, fields updated on open; a city's
uploaded template keeps its styles, header and footer. Read back with python-docx and the XML (LibreOffice converts
the demo's long paper in tests/strategy/test_demo_export.py)."""

import io
import zipfile

from docx import Document
from docx.shared import Pt
from PIL import Image

from planner.extensions import db
from planner.strategy.exporters import export, writer
from tests.strategy.rollups import rollup
from tests.strategy.test_exporters import hand_outline


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 60), (29, 78, 137)).save(buffer, "PNG")
    return buffer.getvalue()


def _docx(outline, **kw) -> bytes:
    out = io.BytesIO()
    writer("docx")(outline, out, **kw)
    return out.getvalue()


def _parts(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name).decode("utf-8", "replace") for name in z.namelist() if name.endswith(".xml")}


def test_cover_header_footer_and_properties(ctx):
    import dataclasses

    outline = dataclasses.replace(hand_outline(), issued="3. Dezember 2026")
    data = _docx(outline, logo=_png())
    doc = Document(io.BytesIO(data))
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7), "A4"
    cover = [p.text for p in doc.paragraphs[:8]]
    for text in ("Essen", "Handlungskonzept Test", "Strategisches Handlungskonzept bis 2040", "Fassung 3",
                 "3. Dezember 2026"):
        assert text in cover, text
    assert doc.paragraphs[1].style.name == "Title" or "Title" in [p.style.name for p in doc.paragraphs[:8]]
    parts = _parts(data)
    body = parts["word/document.xml"]
    assert body.index("<pic:pic") < body.index("Handlungskonzept Test"), "the logo is on the cover"
    header = "".join(v for k, v in parts.items() if k.startswith("word/header"))
    footer = "".join(v for k, v in parts.items() if k.startswith("word/footer"))
    assert "<pic:pic" in header and 'descr="Essen"' in header, "the city's logo in the header, with alt text"
    assert "Essen · Handlungskonzept Test" in section.header.paragraphs[0].text
    assert " PAGE " in footer and " NUMPAGES " in footer, "page x of y are fields"
    assert "Seite " in section.footer.paragraphs[0].text and " von " in section.footer.paragraphs[0].text
    assert section.different_first_page_header_footer, "the cover has no header or footer"
    props = doc.core_properties
    assert (props.title, props.author, props.language) == ("Handlungskonzept Test", "Essen", "de-DE")
    assert 'w:lang w:val="de-DE"' in parts["word/styles.xml"]
    assert "<w:updateFields" in parts["word/settings.xml"]
    assert 'TOC \\o "1-3"' in body
    toc_entries = [p.text for p in doc.paragraphs[:14]]
    assert "Kapitel Eins" in toc_entries, "the entries are there before Word updates the field"
    styles = {p.style.name for p in doc.paragraphs}
    assert {"Heading 1", "Heading 2", "Heading 3", "Heading 4"} <= styles
    english = _docx(dataclasses.replace(hand_outline("en"), issued="3 December 2026"))
    footer_en = Document(io.BytesIO(english)).sections[0].footer.paragraphs[0].text
    assert "Page " in footer_en and " of " in footer_en and "Seite" not in footer_en


def _template() -> bytes:
    """A city's corporate template: its own heading font, header and footer text."""
    doc = Document()
    doc.styles["Heading 1"].font.name = "Corporate Sans"
    doc.styles["Heading 1"].font.size = Pt(22)
    section = doc.sections[0]
    section.header.paragraphs[0].text = "Stadt Musterstadt – Der Oberbürgermeister"
    section.footer.paragraphs[0].text = "Musterstadt · Rathausplatz 1"
    doc.add_paragraph("Vorlagentext, der nicht im Papier stehen darf.")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_a_citys_template_keeps_its_styles_header_and_footer(ctx):
    data = _docx(hand_outline(), template=_template(), logo=_png())
    doc = Document(io.BytesIO(data))
    assert doc.styles["Heading 1"].font.name == "Corporate Sans"
    assert doc.styles["Heading 1"].font.size == Pt(22)
    section = doc.sections[0]
    assert section.header.paragraphs[0].text == "Stadt Musterstadt – Der Oberbürgermeister"
    assert section.footer.paragraphs[0].text == "Musterstadt · Rathausplatz 1"
    texts = [p.text for p in doc.paragraphs]
    assert "Vorlagentext, der nicht im Papier stehen darf." not in texts
    assert "Kapitel Eins" in [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]


def test_the_export_takes_the_logo_and_template_from_the_citys_settings(ctx):
    from planner.city import services as city

    city.set_logo(None, _png())
    city.set_paper_template(None, _template(), "vorlage.docx")
    db.session.commit()
    out = io.BytesIO()
    export(rollup(), "docx", out)
    doc = Document(io.BytesIO(out.getvalue()))
    assert doc.sections[0].header.paragraphs[0].text == "Stadt Musterstadt – Der Oberbürgermeister"
    body = _parts(out.getvalue())["word/document.xml"]
    assert 'descr="Essen"' in body, "the logo on the cover"


def test_an_svg_logo_is_rasterised_for_word(ctx):
    import shutil

    import pytest

    from planner.city import services as city
    from planner.strategy.exporters import city_logo_png

    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils is not installed")
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">'
           b'<rect width="200" height="100" fill="#1d4e89"/></svg>')
    city.set_logo(None, svg)
    db.session.commit()
    png = city_logo_png()
    assert png and png.startswith(b"\x89PNG"), "Word gets a PNG of the city's SVG logo"
    with Image.open(io.BytesIO(png)) as image:
        assert image.width > 100


def test_table_columns_are_as_wide_as_their_longest_word_in_a_real_reader(ctx, tmp_path):
    """The ranked measures of a large paper: short headings over narrow codes beside long titles. LibreOffice
    (with its wide substitute fonts) lays the Word file out; no heading or code breaks in the middle of a word."""
    import dataclasses

    import pytest
    from pypdf import PdfReader

    from planner.strategy.outline import Table
    from tests.strategy.test_demo_export import _soffice, convert_with_libreoffice

    header = ("Rang", "Nummer", "Maßnahme", "Handlungsfeld", "Priorität", "Zeitraum")
    rows = tuple((str(796 + i), f"LOG-M0{6806 + i}", f"Maßnahme 0{6806 + i}: Ladeinfrastruktur im Quartier",
                  "Smarte Logistik", "–", "2028–2039") for i in range(30))
    outline = dataclasses.replace(hand_outline(), blocks=(Table("Priorisierte Maßnahmen", header, rows),))
    path = tmp_path / "ranked.docx"
    path.write_bytes(_docx(outline))
    soffice = _soffice()
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    pdf = convert_with_libreoffice(path, soffice, tmp_path)
    text = "\n".join(page.extract_text() for page in PdfReader(str(pdf)).pages)
    words = {*header, "Ladeinfrastruktur", "LOG-M06806", "2028–2039"}
    broken = [f"{w[:k]}|{w[k:]}" for w in words for k in range(1, len(w)) if f"{w[:k]}\n{w[k:]}" in text]
    assert broken == []
    assert "Handlungsfeld" in text and "Zeitraum" in text
