"""DOCX (python-docx): Heading 1–3 styles, a TOC field, tables for fact sheets and the roadmap,
charts as PNG images, page numbers in the footer and the document's core properties."""

from __future__ import annotations

import io
import re
from typing import BinaryIO
from xml.sax.saxutils import escape as xml_escape

from docx import Document
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from flask_babel import force_locale
from flask_babel import gettext as _

from planner.core.text import plain_text
from planner.strategy import charts
from planner.strategy.exporters.html import PaperHelpers
from planner.strategy.rollup import Rollup

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
TEXT_WIDTH = 9360  # twips: the default template's text width (A4/Letter with its margins), for table grids


def _x(text) -> str:
    """Text for a w:t element: escaped, without the control characters XML forbids."""
    return xml_escape(_INVALID_XML.sub("", str(text)))


class _Writer:
    """Writes the body as WordprocessingML text and parses it in chunks: python-docx's own API walks the
    body and the style list on every paragraph and cell, which is quadratic for a paper of thousands of
    paragraphs and tables. Pictures and section properties still go through python-docx."""

    def __init__(self, rollup: Rollup, template: bytes | None = None):
        self.r = rollup
        self.p = PaperHelpers(rollup)
        self.doc = _document(template)
        self._templated = bool(template)  # the city's template keeps its own font, header and footer
        self._parts: list[str] = []
        self._body = self.doc.element.body
        self._sect_pr = self._body.find(qn("w:sectPr"))
        styles = self.doc.styles
        self._style = {name: styles[name].style_id for name in (
            "Heading 1", "Heading 2", "Heading 3", "List Bullet", "Caption", "Title", "Subtitle", "Table Grid")}

    def _flush(self) -> None:
        """Moves the XML written so far into the document body (before its section properties)."""
        if not self._parts:
            return
        fragment = parse_xml(f'<w:body xmlns:w="{_W}">{"".join(self._parts)}</w:body>')
        self._parts = []
        for element in list(fragment):
            self._sect_pr.addprevious(element)

    @staticmethod
    def _run(text, bold: bool = False, italic: bool = False) -> str:
        props = ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "")
        rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
        return f'<w:r>{rpr}<w:t xml:space="preserve">{_x(text)}</w:t></w:r>'

    def _p(self, text: str = "", style: str | None = None, bold: bool = False, italic: bool = False,
           keep_next: bool = False) -> str:
        ppr = ""
        if style or keep_next:
            ppr = "<w:pPr>" + (f'<w:pStyle w:val="{self._style[style]}"/>' if style else "") + \
                  ("<w:keepNext/>" if keep_next else "") + "</w:pPr>"
        return f"<w:p>{ppr}{self._run(text, bold, italic) if text != '' else ''}</w:p>"

    # small building blocks
    def heading(self, text: str, level: int) -> None:
        self._parts.append(self._p(text, f"Heading {level}"))

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

    def missing(self, text: str) -> None:
        self.para(text, italic=True)

    def bullets(self, items) -> None:
        self._parts.extend(self._p(str(item), "List Bullet") for item in items)

    def table(self, caption: str, header: list[str] | None, rows: list[list], widths: tuple[float, ...] = ()) -> None:
        """A table in the "Table Grid" style; a repeated bold header row when ``header`` is given."""
        self._parts.append(self._p(caption, "Caption", keep_next=True))
        cols = len(header) if header else max((len(r) for r in rows), default=1)
        shares = widths if len(widths) == cols else (1 / cols,) * cols
        twips = [int(TEXT_WIDTH * share) for share in shares]
        out = [f'<w:tbl><w:tblPr><w:tblStyle w:val="{self._style["Table Grid"]}"/><w:tblW w:w="0" w:type="auto"/>'
               '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" '
               'w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>',
               "".join(f'<w:gridCol w:w="{w}"/>' for w in twips), "</w:tblGrid>"]
        cell_start = [f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/></w:tcPr><w:p>' for w in twips]
        if header:
            out.append('<w:tr><w:trPr><w:tblHeader/></w:trPr>')
            out.extend(f"{cell_start[i]}{self._run(text, bold=True)}</w:p></w:tc>"
                       for i, text in enumerate(list(header)[:cols]))
            out.append("</w:tr>")
        for row in rows:
            out.append("<w:tr>")
            values = list(row)[:cols] + [""] * (cols - len(row))
            out.extend(f"{cell_start[i]}{self._run('–' if v in (None, '') else v)}</w:p></w:tc>"
                       for i, v in enumerate(values))
            out.append("</w:tr>")
        out.append("</w:tbl>")
        self._parts.append("".join(out))
        self._parts.append("<w:p/>")

    def image(self, png: bytes | None, caption: str) -> None:
        if not png:
            return
        self._flush()
        self.doc.add_picture(io.BytesIO(png), width=Cm(15.5))
        self.styled(caption, "Caption")

    def page_break(self) -> None:
        self._parts.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')

    # the document
    def write(self) -> Document:
        r, p, doc = self.r, self.p, self.doc
        title = r.process.title or _("Strategic action concept")
        props = doc.core_properties
        props.title = title
        props.subject = _("Strategic action concept to %(year)s", year=r.process.target_year)
        props.author = r.process.city
        props.language = LANGUAGE.get(r.locale, r.locale)
        props.keywords = "Smart City; Handlungskonzept"
        _set_language(doc, LANGUAGE.get(r.locale, r.locale))
        _update_fields_on_open(doc)
        if not self._templated:
            doc.styles["Normal"].font.size = Pt(10.5)

        section = doc.sections[0]
        section.different_first_page_header_footer = True
        footer = section.footer.paragraphs[0]
        if not (self._templated and footer.text.strip()):
            footer.add_run(f"{title} – " + _("Page") + " ")
            _field(footer, "PAGE", "1")
        header = section.header.paragraphs[0]
        if not (self._templated and header.text.strip()):
            header.add_run(f"{r.process.city} · {title}")

        # cover
        self.para(r.process.city, bold=True)
        self.styled(title, "Title")
        subtitle = _("Strategic action concept to %(year)s", year=r.process.target_year)
        if r.short:
            subtitle += " – " + _("Short version")
        self.styled(subtitle, "Subtitle")
        self.para(_("Version %(number)s", number=r.version) if r.version else _("Draft"))
        self.page_break()

        self.para(_("Contents"), bold=True)
        self._flush()
        _field(doc.add_paragraph(), 'TOC \\o "1-3" \\h \\z \\u', _("Right-click to update the table of contents."))
        self.page_break()

        if r.readiness:
            self.heading(_("Still missing"), 1)
            self.para(_("This paper is not complete yet. The following points are open:"))
            self.bullets(label + (": " + "; ".join(subjects) if subjects else "") for label, subjects in p.readiness())

        for s in r.sections:
            if s.key in ("foreword", "vision"):
                self.heading(p.section_title(s), 1)
                if s.body.strip():
                    self.markdown(s.body)
                else:
                    self.missing(_("This section has not been written yet."))

        if not r.short:
            self.starting_point()
        self.fields()
        if not r.short:
            self.overview()
        self.roadmap()
        if not r.short:
            self.dependencies()
            for s in p.other_sections():
                self.heading(p.section_title(s), 1)
                if s.body.strip():
                    self.markdown(s.body)
                else:
                    self.missing(_("This section has not been written yet."))
            self.annex()
        self._flush()
        return doc

    def starting_point(self) -> None:
        r, p = self.r, self.p
        sp = r.starting_point
        self.heading(_("Starting point"), 1)
        intro = r.section("starting_point_intro")
        if intro and intro.body.strip():
            self.markdown(intro.body)
        self.heading(_("The workshops"), 2)
        if sp.workshops:
            self.table(_("Workshops held with date, format and participation"),
                       [_("Workshop"), _("Date"), _("Format"), _("Action fields"), _("Accepted"), _("Attended")],
                       [[w.title, p.date(w.day), p.labels.workshop_format(w.format), ", ".join(w.field_codes),
                         w.accepted, w.attended] for w in sp.workshops])
        else:
            self.missing(_("No workshop has been held yet."))
        self.heading(_("Participants"), 2)
        if sp.by_sector:
            self.table(_("Participants by sector"), [_("Sector"), _("Accepted"), _("Attended")],
                       [[p.labels.sector(c.key), c.accepted, c.attended] for c in sp.by_sector])
        if sp.by_field:
            self.table(_("Participants by action field"), [_("Action field"), _("Accepted"), _("Attended")],
                       [[p.field_name(c.key), c.accepted, c.attended] for c in sp.by_field])
        for chart in p.participation_charts():
            self.image(charts.png_bar_chart(chart, r.locale), chart.title)
        self.heading(_("Citizen survey"), 2)
        for s in sp.surveys:
            self.heading(s.title + (f" ({s.wave})" if s.wave else ""), 3)
            self.para(_("From %(start)s to %(end)s: %(participants)s participants, %(comments)s free-text comments.",
                        start=p.date(s.starts_on), end=p.date(s.ends_on), participants=p.num(s.participants),
                        comments=p.num(s.comments)))
            if s.headline:
                self.table(_("Key figures of the survey “%(title)s”", title=s.title), [_("Key figure"), _("Value")],
                           [list(h) for h in s.headline])
            for chart in s.charts:
                self.image(charts.png_bar_chart(chart, r.locale), chart.title)
                self.table(_("Data of the chart “%(title)s”", title=chart.title), [_("Answer"), _("Value")],
                           [[c, p.value(v, chart.unit)] for c, v in zip(chart.categories, chart.values, strict=False)])
        if not sp.surveys:
            self.missing(_("No citizen survey has been evaluated yet."))

    def fields(self) -> None:
        r, p = self.r, self.p
        self.heading(_("Action fields"), 1)
        if not r.fields:
            self.missing(_("No action fields have been set up yet."))
        if r.priority_run:
            self.para(_("Priorities follow the prioritisation run “%(name)s” of %(date)s (formula: %(formula)s).",
                        name=r.priority_run.name, date=p.datetime(r.priority_run.frozen_at),
                        formula=r.priority_run.formula))
        for f in r.fields:
            self.heading(f"{f.code} {p.field_name(f.code)}", 2)
            if p.field_description(f):
                self.markdown(p.field_description(f))
            if f.priority:
                self.para(_("Priority rank %(rank)s (score %(score)s).", rank=f.priority.rank,
                            score=p.num(f.priority.score)))
            if not r.short:
                self.heading(_("Status quo"), 3)
                for kind in ("strength", "weakness", "opportunity", "risk"):
                    items = [i for i in f.status_quo if i.kind == kind]
                    if items:
                        self.para(p.labels.swot_heading(kind), bold=True)
                        self.bullets(f"{i.number} {i.text}" for i in items)
                if not f.status_quo:
                    self.missing(_("No status-quo findings recorded."))
                self.heading(_("Needs for action"), 3)
                for n in f.needs:
                    extra = f"; {_('answered by')} {', '.join(n.measure_numbers)}" if n.measure_numbers else ""
                    self.styled(f"{n.number} {n.text} ({_('Source')}: {p.source(n.source)}{extra})", "List Bullet")
                if not f.needs:
                    self.missing(_("No needs for action recorded."))
            self.heading(_("Top measures") if r.short else _("Measures"), 3)
            for m in f.measures:
                self.para(f"{m.number} {m.title}", bold=True)
                if m.description:
                    self.markdown(m.description)
                rows = [
                    [_("Goal"), m.goal], [_("Expected effect"), m.expected_effect], [_("Lead unit"), m.lead_unit],
                    [_("Partners"), m.partners], [_("Funding"), p.labels.funding(m.funding)],
                    [_("Cost estimate"), m.cost_estimate], [_("Priority"), p.labels.priority(m.priority)],
                    [_("Time frame"), p.years(m.start_year, m.end_year)],
                    [_("Smart City Index area"), m.bitkom_area],
                    [_("Answers the needs"), ", ".join(m.need_numbers)], [_("Depends on"), ", ".join(m.depends_on)],
                    [_("KPIs"), "; ".join(
                        f"{k.indicator} ({k.unit}): {k.baseline or '–'} → {k.target_value or '–'}"
                        + (f" ({k.target_year})" if k.target_year else "") for k in m.kpis)],
                    [_("Official answer"), m.official_answer],
                ]
                self.table(_("Fact sheet %(number)s", number=m.number), None, rows, widths=(0.3, 0.7))
            if not f.measures:
                self.missing(_("No measure has been accepted in this field yet."))

    def overview(self) -> None:
        r, p = self.r, self.p
        self.heading(_("Prioritised overview of the measures"), 1)
        if r.overview:
            self.table(_("All accepted measures in order of priority"),
                       [_("Rank"), _("Number"), _("Measure"), _("Action field"), _("Priority"), _("Time frame")],
                       [[o.rank, o.number, o.title, o.field_code, p.labels.priority(o.priority),
                         p.years(o.start_year, o.end_year)] for o in r.overview])
        else:
            self.missing(_("No measure has been accepted yet."))

    def roadmap(self) -> None:
        r = self.r
        self.heading(_("Roadmap to %(year)s", year=r.process.target_year), 1)
        self.image(charts.png_timeline(r), _("Roadmap to %(year)s", year=r.process.target_year))
        for stage in r.roadmap:
            self.heading(_("Milestone %(year)s", year=stage.year), 2)
            if stage.entries:
                self.table(_("Measures completed by %(year)s", year=stage.year),
                           [_("Number"), _("Measure"), _("Action field"), _("Start"), _("End")],
                           [[e.number, e.title, e.field_code, e.start_year, e.end_year] for e in stage.entries])
            else:
                self.para(_("No measure ends in this period."))
        if r.unscheduled:
            self.heading(_("Without a time frame"), 2)
            self.bullets(f"{e.number} {e.title}" for e in r.unscheduled)

    def dependencies(self) -> None:
        r, p = self.r, self.p
        self.heading(_("Dependencies between measures"), 1)
        if r.dependencies:
            codes, rows = p.matrix()
            self.table(_("Number of dependencies: measures of the row field depend on measures of the column field"),
                       ["", *codes], [[codes[i], *[n or "" for n in row]] for i, row in enumerate(rows)])
            self.bullets(_("%(a)s depends on %(b)s", a=d.from_number, b=d.to_number) for d in r.dependencies)
        else:
            self.para(_("No dependencies between measures have been recorded."))

    def annex(self) -> None:
        r, p = self.r, self.p
        self.heading(_("Annex"), 1)
        self.heading(_("Workshop documentation"), 2)
        for w in r.annex.workshops:
            self.heading(f"{w.title} ({p.date(w.day)})", 3)
            for b in w.blocks:
                self.para(b.title or _("Without agenda block"), bold=True)
                self.bullets(f"{i.number} {p.labels.finding_kind(i.kind)}: {i.text}" for i in b.findings)
        if not r.annex.workshops:
            self.missing(_("No workshop has been held yet."))
        self.heading(_("Participating organisations"), 2)
        if r.annex.organisations:
            self.table(_("Organisations and the people who agreed to be named"),
                       [_("Organisation"), _("Sector"), _("People")],
                       [[o.name, p.labels.sector(o.sector), ", ".join(o.people)] for o in r.annex.organisations])
        self.heading(_("Sources of the measures"), 2)
        for s in r.annex.sources:
            self.para(f"{s.number} {s.title}", bold=True)
            self.bullets(f"{n.number} {n.text} – {p.source(n.source)}" for n in s.needs)


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


def export(rollup: Rollup, output: BinaryIO, template: bytes | None = None) -> None:
    with force_locale(rollup.locale):
        document = _Writer(rollup, template).write()
    document.save(output)
