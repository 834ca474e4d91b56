"""DOCX writer (python-docx): an outline's blocks as Word: A4, a cover (the city's logo, city, title, version, date),
real heading styles, a table-of-contents field (updated when the file is opened), tables with repeated header rows,
column widths from their content and right-aligned figures, figures as PNG with alt text and their data table, a
header with the logo and a footer with "Seite x von y", and the document's core properties (title, author = the
city, language). A city's Word template keeps its styles, page layout, header and footer. It renders blocks and
nothing else."""

from __future__ import annotations

import io
import re
from typing import BinaryIO
from xml.sax.saxutils import escape as xml_escape

from docx import Document
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from docx.shared import Cm, Pt
from flask_babel import force_locale
from flask_babel import gettext as _
from lxml import etree

from planner.core.text import plain_text
from planner.strategy import charts
from planner.strategy.exporters.text_width import text_ems
from planner.strategy.outline import (
    BulletList,
    FactSheet,
    Figure,
    Heading,
    KeyFigures,
    Outline,
    Paragraph,
    Table,
)

LANGUAGE = {"de": "de-DE", "en": "en-GB"}


def _field(paragraph, instruction: str, placeholder: str = "") -> None:
    """A complex field (TOC, PAGE): Word and LibreOffice compute it when the document is opened/updated."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    begin.set(qn("w:dirty"), "true")
    run._r.append(begin)
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    run = paragraph.add_run()
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run._r.append(separate)
    paragraph.add_run(placeholder)
    run = paragraph.add_run()
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(end)


def _set_language(document, tag: str) -> None:
    styles = document.styles.element
    rpr_default = styles.find(qn("w:docDefaults"))
    if rpr_default is None:
        return
    rpr = rpr_default.find(qn("w:rPrDefault"))
    if rpr is None:
        return
    r = rpr.find(qn("w:rPr"))
    if r is None:
        return
    lang = r.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r.append(lang)
    lang.set(qn("w:val"), tag)


def _update_fields_on_open(document) -> None:
    settings = document.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)


_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MARGIN_CM = 2.5
TEXT_WIDTH = 9070  # twips: A4 (21 cm) less two margins of 2.5 cm, for table grids
TABLE_HALF_POINTS = 18  # the tables' 9 pt, as in the PDF: six columns of codes, titles and dates fit a line
_WORD_SLACK = 1.15  # a word's room beyond the estimate: a reader without Word's fonts substitutes wider ones (bold)
_CELL_TWIPS = 240  # a cell's margins (2 × 0.19 cm, Word's default) and borders
_LONG_WORD_EM = 12.0  # a longer word (a URL) may break rather than widen its column
_LONG_CELL_EM = 24.0  # about 40 characters: a column of longer texts wraps them
PICTURE_IDS = 10_000  # the figures' shape ids start above it
_MARKER = "planner-body-continues-here"


def _x(text) -> str:
    """Text for a w:t element: escaped, without the control characters XML forbids."""
    return xml_escape(_INVALID_XML.sub("", str(text)))


class _Writer:
    """Writes the body as WordprocessingML text and parses it together with the document (``_flush``):
    python-docx's own API walks the body and the style list on every paragraph and cell, which is quadratic for a
    paper of thousands of paragraphs and tables. Images, headers, footers and section properties still go
    through python-docx's parts."""

    def __init__(self, outline: Outline, template: bytes | None = None, logo: bytes | None = None):
        self.o = outline
        self.logo = logo  # the city's logo as PNG (cover and header), None without one
        self.doc = _document(template)
        self._templated = bool(template)  # the city's template keeps its own font, page, header and footer
        self._parts: list[str] = []
        self._body = self.doc.element.body
        self._sect_pr = self._body.find(qn("w:sectPr"))
        self._pictures = 0
        styles = self.doc.styles
        self._style = {name: styles[name].style_id for name in (
            "Heading 1", "Heading 2", "Heading 3", "Heading 4", "List Bullet", "Caption", "Title", "Subtitle",
            "Table Grid")}

    def _flush(self) -> None:
        """Moves the XML written so far into the document body (before its section properties).

        The whole document is serialised and parsed again with the new body in place: moving thousands of parsed
        elements from a fragment into the document one by one took lxml seconds at metropolis scale, a parse of
        the complete text takes a fraction of one."""
        if not self._parts:
            return
        marker = etree.Comment(_MARKER)
        self._sect_pr.addprevious(marker)  # where the new body XML goes: before the body's section properties
        head, _marker, tail = etree.tostring(self.doc.element, encoding="unicode").partition(f"<!--{_MARKER}-->")
        element = parse_xml(head + "".join(self._parts) + tail)
        self._parts = []
        self.doc.part._element = self.doc._element = element
        self.doc._Document__body = None  # python-docx's cached body proxy points to the replaced element
        self._body = element.body
        self._sect_pr = self._body.find(qn("w:sectPr"))

    @staticmethod
    def _run(text, bold: bool = False, italic: bool = False, size: int | None = None) -> str:
        props = ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "") + \
            (f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/>' if size else "")
        rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
        # A line break in the text (partners typed on several lines) stays a line break in Word.
        lines = "<w:br/>".join(f'<w:t xml:space="preserve">{_x(line)}</w:t>' for line in str(text).split("\n"))
        return f"<w:r>{rpr}{lines}</w:r>"

    def _p(self, text: str = "", style: str | None = None, bold: bool = False, italic: bool = False,
           keep_next: bool = False) -> str:
        ppr = ""
        if style or keep_next:
            ppr = "<w:pPr>" + (f'<w:pStyle w:val="{self._style[style]}"/>' if style else "") + \
                  ("<w:keepNext/>" if keep_next else "") + "</w:pPr>"
        return f"<w:p>{ppr}{self._run(text, bold, italic) if text != '' else ''}</w:p>"

    # small building blocks
    def heading(self, text: str, level: int) -> None:
        self._parts.append(self._p(text, f"Heading {min(level, 4)}"))

    def para(self, text: str = "", italic: bool = False, bold: bool = False) -> None:
        self._parts.append(self._p(text, bold=bold, italic=italic, keep_next=bold))

    def styled(self, text: str, style: str) -> None:
        self._parts.append(self._p(text, style))

    def markdown(self, text: str) -> None:
        for block in (text or "").split("\n\n"):
            plain = plain_text(block)
            if not plain:
                continue
            lines = [line.strip() for line in plain.splitlines() if line.strip()]
            if block.lstrip().startswith(("- ", "* ")):
                self.bullets(lines)
            else:
                self.para(" ".join(lines))

    def bullets(self, items) -> None:
        self._parts.extend(self._p(str(item), "List Bullet") for item in items)

    @staticmethod
    def _widths(header, rows, cols: int, em: int = 180) -> list[float]:
        """Column shares from their content: every column at least as wide as its longest word (the header's in
        bold), so no word breaks in the middle; the rest of the line shared by the columns' usual text length.
        ``em``: the tables' font size in twips."""
        need, want = [], []
        for i in range(cols):
            cells = [str(r[i]) for r in rows[:200] if i < len(r)]
            heading = str(header[i]) if header and i < len(header) else ""
            longest = max([text_ems(w, True) for w in heading.split()]
                          + [text_ems(w) for cell in cells for w in cell.split()], default=2.0)
            mean = sum(text_ems(cell) for cell in cells) / len(cells) if cells else 2.0
            need.append(min(longest, _LONG_WORD_EM) * em * _WORD_SLACK + _CELL_TWIPS)
            want.append(max(need[-1], min(mean, _LONG_CELL_EM) * em + _CELL_TWIPS))
        if sum(want) <= TEXT_WIDTH:
            widths = want
        elif sum(need) >= TEXT_WIDTH:  # more columns than the line holds: words must break somewhere
            widths = need
        else:
            spare, stretch = TEXT_WIDTH - sum(need), sum(w - n for w, n in zip(want, need, strict=True))
            widths = [n + spare * (w - n) / stretch for w, n in zip(want, need, strict=True)]
        total = sum(widths)
        return [w / total for w in widths]

    def table(self, caption: str, header, rows, numeric=(), widths=()) -> None:
        """A table in the "Table Grid" style; a repeated bold header row when ``header`` is given."""
        self._parts.append(self._p(caption, "Caption", keep_next=True))
        rows = [list(r) for r in rows]
        cols = len(header) if header else max((len(r) for r in rows), default=1)
        # A city's template brings its own table font; the sizes assume 10.5 pt there.
        size = None if self._templated else TABLE_HALF_POINTS
        shares = widths if len(widths) == cols else self._widths(list(header or ()), rows, cols, (size or 21) * 10)
        twips = [int(TEXT_WIDTH * share) for share in shares]
        right = [bool(numeric[i]) if i < len(numeric) else False for i in range(cols)]
        out = [f'<w:tbl><w:tblPr><w:tblStyle w:val="{self._style["Table Grid"]}"/>'
               f'<w:tblW w:w="{sum(twips)}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
               '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" '
               'w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>',
               "".join(f'<w:gridCol w:w="{w}"/>' for w in twips), "</w:tblGrid>"]
        cell_start = [f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/></w:tcPr><w:p>'
                      + ('<w:pPr><w:jc w:val="right"/></w:pPr>' if right[i] else "") for i, w in enumerate(twips)]
        if header:
            out.append('<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>')
            out.extend(f"{cell_start[i]}{self._run(text, bold=True, size=size)}</w:p></w:tc>"
                       for i, text in enumerate(list(header)[:cols]))
            out.append("</w:tr>")
        for row in rows:
            out.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>")
            values = row[:cols] + [""] * (cols - len(row))
            out.extend(f"{cell_start[i]}{self._run(v, size=size) if v not in (None, '') else ''}</w:p></w:tc>"
                       for i, v in enumerate(values))
            out.append("</w:tr>")
        out.append("</w:tbl>")
        self._parts.append("".join(out))
        self._parts.append("<w:p/>")

    def image(self, png: bytes | None, caption: str, alt: str) -> None:
        if not png:
            return
        self._pictures += 1
        rid, picture = self.doc.part.get_or_add_image(io.BytesIO(png))
        width = Cm(15.5)
        cx, cy = picture.scaled_dimensions(width, None)
        # Shape ids of their own: python-docx's next_id only sees what is parsed already, not the pending XML.
        inline = CT_Inline.new_pic_inline(PICTURE_IDS + self._pictures, rid, picture.filename, cx, cy)
        inline.docPr.set("descr", alt)
        inline.docPr.set("title", caption)
        self._parts.append(f"<w:p><w:r><w:drawing>{etree.tostring(inline, encoding='unicode')}</w:drawing></w:r></w:p>")
        self.styled(caption, "Caption")

    def toc(self, entries: list[str]) -> None:
        """A TOC field whose result already lists the chapters; Word and LibreOffice renew it (with page
        numbers) when the file is opened (``updateFields``)."""
        begin = ('<w:r><w:fldChar w:fldCharType="begin" w:dirty="true"/></w:r>'
                 '<w:r><w:instrText xml:space="preserve"> TOC \\o "1-3" \\h \\z \\u </w:instrText></w:r>'
                 '<w:r><w:fldChar w:fldCharType="separate"/></w:r>')
        end = '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        for i, text in enumerate(entries):
            first, last = i == 0, i == len(entries) - 1
            self._parts.append(f"<w:p>{begin if first else ''}{self._run(text)}{end if last else ''}</w:p>")

    def page_break(self) -> None:
        self._parts.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')

    # the document
    def write(self) -> Document:
        o, doc = self.o, self.doc
        language = LANGUAGE.get(o.language, o.language)
        props = doc.core_properties
        props.title = o.title
        props.subject = o.subtitle
        props.author = o.city
        props.language = language
        props.keywords = "Smart City"
        _set_language(doc, language)
        _update_fields_on_open(doc)
        if not self._templated:
            doc.styles["Normal"].font.size = Pt(10.5)

        section = doc.sections[0]
        if not self._templated:  # A4; a city's template brings its own page layout
            section.page_width, section.page_height = Cm(21), Cm(29.7)
            section.left_margin = section.right_margin = Cm(MARGIN_CM)
            section.top_margin = section.bottom_margin = Cm(2.2)
        section.different_first_page_header_footer = True  # the cover has neither header nor footer
        with force_locale(o.language):
            contents, update = _("Contents"), _("Right-click to update the table of contents.")
            page_of = _("Page %(page)s of %(pages)s", page="\x00PAGE\x00", pages="\x00NUMPAGES\x00")
        if not (self._templated and _has_text(section.footer)):
            footer = section.footer.paragraphs[0]
            footer.add_run(f"{o.title} · ")
            for part in page_of.split("\x00"):  # "Seite x von y": the numbers are fields Word fills in
                if part in ("PAGE", "NUMPAGES"):
                    _field(footer, part, "1")
                elif part:
                    footer.add_run(part)
        if not (self._templated and _has_text(section.header)):
            header = section.header.paragraphs[0]
            if self.logo:
                _picture(header.add_run(), self.logo, Cm(1.2), o.city)
                header.add_run("  ")
            header.add_run(f"{o.city} · {o.title}")

        # cover: logo, city, title, subtitle, version and date
        if self.logo:
            self._flush()
            _picture(self.doc.add_paragraph().add_run(), self.logo, Cm(3.5), o.city)
        self.para(o.city, bold=True)
        self.styled(o.title, "Title")
        self.styled(o.subtitle, "Subtitle")
        self.para(o.version_label)
        if o.issued:
            self.para(o.issued)
        if o.status:
            self.para(o.status, bold=True)
        self.page_break()

        # contents: the entries are written out, so they are there before Word updates the field
        self.para(contents, bold=True)
        self.toc([text for _anchor, text in o.contents] or [update])
        self.page_break()

        for block in o.blocks:
            self.block(block)
        self._flush()
        return doc

    def block(self, b) -> None:
        if isinstance(b, Heading):
            self.heading(b.text, b.level)
        elif isinstance(b, Paragraph):
            if b.markdown:
                self.markdown(b.text)
            else:
                self.para(b.text, italic=b.role == "missing")
        elif isinstance(b, BulletList):
            if b.title:
                self.para(b.title, bold=True)
            self.bullets(b.items)
        elif isinstance(b, Table):
            self.table(b.caption, b.header, b.rows, b.numeric)
        elif isinstance(b, KeyFigures):
            self.table(b.caption, None, [(label, value) for value, label in b.items], numeric=(False, True),
                       widths=(0.75, 0.25))
        elif isinstance(b, Figure):
            self.image(charts.png(b), b.title, b.alt)
            self.table(b.table.caption, b.table.header, b.table.rows, b.table.numeric)
        elif isinstance(b, FactSheet):
            self.heading(f"{b.number} {b.title}", b.level)
            if b.description:
                self.markdown(b.description)
            self.table(b.caption, None, b.rows, widths=(0.3, 0.7))


_STYLES = ("Heading 1", "Heading 2", "Heading 3", "List Bullet", "Caption", "Title", "Subtitle", "Table Grid")


def _document(template: bytes | None):
    """A new document: python-docx's default, or the city's Word template with its body emptied (its styles,
    page layout, headers and footers kept). Styles the paper needs that the template lacks come from the
    default document."""
    if not template:
        return Document()
    import copy
    import io

    from docx.oxml import OxmlElement

    document = Document(io.BytesIO(template))
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    if body.find(qn("w:sectPr")) is None:
        body.append(OxmlElement("w:sectPr"))
    names = {style.name for style in document.styles}
    default = Document().styles
    for name in _STYLES:
        if name not in names:
            document.styles.element.append(copy.deepcopy(default[name].element))
    return document


def _has_text(part) -> bool:
    """Whether a template's header or footer already says something (then it is the city's own and is kept)."""
    return any(p.text.strip() for p in part.paragraphs) or bool(part._element.findall(".//" + qn("w:drawing")))


def _picture(run, png: bytes, height, alt: str) -> None:
    """An inline picture of ``height`` with its alternative text (the city's name for the logo)."""
    shape = run.add_picture(io.BytesIO(png), height=height)
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", alt)
    doc_pr.set("title", alt)


def write(outline: Outline, output: BinaryIO, template: bytes | None = None, logo: bytes | None = None) -> None:
    """The outline as a Word document, written into the city's Word template when one is given; ``logo`` (PNG)
    goes on the cover and into the header."""
    _Writer(outline, template, logo).write().save(output)
