"""The Beschlussvorlage for the council, as an outline the paper's writers render (DOCX in the city's template,
PDF, Markdown): Beschlussvorschlag, Begründung, Finanzielle Auswirkungen and Anlagen, from the frozen roll-up of the
version decided on and its recorded Drucksache. Like the paper, every word and number is made here in the
document's language."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import BinaryIO

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from planner.strategy import labels
from planner.strategy.exporters import FORMATS, filename, writer
from planner.strategy.outline import LANGUAGES, BulletList, Outline, Paragraph, Table, _Builder
from planner.strategy.rollup import Rollup

DOCUMENT_FORMATS = ("docx", "pdf", "md")
TOP_MEASURES = 5


def yearly_costs(rollup: Rollup) -> tuple[dict[int | None, dict[str, float]], int]:
    """The measures' cost estimates by year and funding type: a measure's estimate is spread evenly over the years
    of its period (start to end year; one year when only one is known; ``None`` when neither is). Also returns the
    number of measures without an estimate."""
    by_year: dict[int | None, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    unestimated = 0
    for m in rollup.measures():
        if m.cost_estimate is None:
            unestimated += 1
            continue
        start, end = m.start_year or m.end_year, m.end_year or m.start_year
        years = list(range(start, end + 1)) if start and end and end >= start else [None]
        for year in years:
            by_year[year][m.funding or ""] += float(m.cost_estimate) / len(years)
    return by_year, unestimated


class _DecisionBuilder(_Builder):
    def __init__(self, rollup: Rollup, language: str, decision):
        super().__init__(rollup, language, "long", False)
        self.decision = decision

    def build(self) -> Outline:
        r, d = self.r, self.decision
        title = _("Beschlussvorlage: %(title)s", title=r.process.title or _("Strategic action concept"))
        subtitle = _("Drucksache %(reference)s", reference=d.reference) if d and d.reference else _(
            "Drucksache (number not yet recorded)")
        self.proposal()
        self.reasons()
        self.finances()
        self.attachments()
        if d is not None and d.steps:
            self.deliberation()
        return Outline.from_blocks(
            language=self.language, edition="long", condensed=False, city=r.process.city, title=title,
            subtitle=subtitle, version_label=_("Version %(number)s", number=r.version), blocks=self.blocks,
            target_year=r.process.target_year, version=r.version,
        )

    def proposal(self) -> None:
        r, d = self.r, self.decision
        self.heading(1, _("Proposed resolution"), "proposal")
        if d is not None and d.resolution_text.strip():
            for paragraph in d.resolution_text.strip().split("\n\n"):
                self.add(Paragraph(paragraph.strip()))
            return
        self.add(Paragraph(_(
            "The council of %(city)s adopts the strategic action concept “%(title)s” (version %(number)s) as the "
            "basis of the city's smart city development until %(year)s.",
            city=r.process.city or _("the city"), title=r.process.title or _("Strategic action concept"),
            number=r.version, year=r.process.target_year)))
        self.add(Paragraph(_(
            "The administration is instructed to implement the measures in the order of their priority, subject "
            "to the budget, and to report to the council on their progress once a year.")))

    def reasons(self) -> None:
        r, f = self.r, self.f
        sp = r.starting_point
        self.heading(1, _("Reasons"), "reasons")
        surveyed = sum(s.participants for s in sp.surveys)
        n = f.count
        sentence = _(
            "The concept was developed in %(workshops)s with %(experts)s from %(organisations)s.",
            workshops=ngettext("%(count)s workshop", "%(count)s workshops", len(sp.workshops),
                               count=n(len(sp.workshops))),
            experts=ngettext("%(count)s participating expert", "%(count)s participating experts",
                             sp.participants_total, count=n(sp.participants_total)),
            organisations=ngettext("%(count)s organisation", "%(count)s organisations", sp.organisations_total,
                                   count=n(sp.organisations_total)))
        if sp.surveys:
            sentence += " " + ngettext("%(count)s person took part in the citizen survey.",
                                       "%(count)s people took part in the citizen survey.", surveyed,
                                       count=n(surveyed))
        self.add(Paragraph(sentence))
        measures = r.measures()
        fields = ngettext("%(count)s action field", "%(count)s action fields", len(r.fields), count=n(len(r.fields)))
        self.add(Paragraph(ngettext("The concept describes %(fields)s and %(count)s measure.",
                                    "The concept describes %(fields)s and %(count)s measures.", len(measures),
                                    count=n(len(measures)), fields=fields)))
        ranked = sorted((m for m in measures if m.rank), key=lambda m: m.rank)[:TOP_MEASURES]
        if ranked:
            self.add(BulletList(tuple(
                _("Rank %(rank)s: %(number)s %(title)s (%(field)s)", rank=m.rank, number=m.number, title=m.title,
                  field=self.field_name(m.field_code)) for m in ranked),
                title=_("The measures of highest priority")))
        for key in ("vision", "governance"):
            section = r.section(key)
            if section and section.body.strip():
                self.heading(2, self.section_title(section), f"reasons-{key}")
                self.add(Paragraph(section.body, markdown=True))

    def finances(self) -> None:
        r, f = self.r, self.f
        self.heading(1, _("Financial implications"), "finances")
        by_year, unestimated = yearly_costs(r)
        if not by_year:
            self.missing(_("No measure has a cost estimate yet."))
            return
        kinds = sorted({kind for row in by_year.values() for kind in row}, key=lambda k: (k == "", k))
        header = (_("Year"), *(labels.funding(k) if k else _("Funding not stated") for k in kinds), _("Total"))
        years = sorted(by_year, key=lambda y: (y is None, y or 0))
        rows = []
        for year in years:
            row = by_year[year]
            rows.append((str(year) if year else _("Period not stated"),
                         *(f.money(row.get(k)) if row.get(k) else "–" for k in kinds), f.money(sum(row.values()))))
        totals = [sum(by_year[y].get(k, 0.0) for y in years) for k in kinds]
        rows.append((_("Total"), *(f.money(t) for t in totals), f.money(sum(totals))))
        self.add(Table(_("Estimated costs of the measures by year and funding"), header, tuple(rows),
                       numeric=(False, *([True] * (len(kinds) + 1)))))
        self.add(Paragraph(_("A measure's cost estimate is spread evenly over the years of its implementation "
                             "period. The figures are estimates from the concept; the budget decides."), role="note"))
        if unestimated:
            self.add(Paragraph(ngettext("%(count)s measure has no cost estimate yet.",
                                        "%(count)s measures have no cost estimate yet.", unestimated,
                                        count=f.count(unestimated)), role="note"))

    def attachments(self) -> None:
        r = self.r
        self.heading(1, _("Attachments"), "attachments")
        long_name = filename(dataclasses.replace(r, short=False), "pdf")
        short_name = filename(dataclasses.replace(r, short=True), "pdf")
        self.add(BulletList((
            _("Attachment 1: the strategic action concept, long version (%(file)s)", file=long_name),
            _("Attachment 2: the strategic action concept, short version (%(file)s)", file=short_name),
            _("Attachment 3: participation report (the chapter on the process and the annex of the long "
              "version)"),
        )))

    def deliberation(self) -> None:
        f = self.f
        self.heading(1, _("Deliberation"), "deliberation")
        rows = tuple((f.date(s.meeting_date), s.body, s.role or "–",
                      s.result.label if s.result else _("open")) for s in self.decision.steps)
        self.add(Table(_("Bodies, meetings and results"), (_("Date of the meeting"), _("Body"),
                                                            _("Role in the deliberation"), _("Result")), rows))


def build_decision_outline(rollup: Rollup, decision, language: str = "de") -> Outline:
    language = language if language in LANGUAGES else "de"
    rollup = dataclasses.replace(rollup, locale=language)
    with force_locale(language):
        return _DecisionBuilder(rollup, language, decision).build()


def write_decision_document(rollup: Rollup, decision, code: str, output: BinaryIO, language: str = "de") -> None:
    """The Beschlussvorlage in ``code`` (docx | pdf | md); DOCX in the city's Word template when it has one."""
    if code not in DOCUMENT_FORMATS:
        raise KeyError(code)
    outline = build_decision_outline(rollup, decision, language)
    if code == "docx":
        from planner.city.services import paper_template

        writer("docx")(outline, output, template=paper_template())
        return
    writer(code)(outline, output)


def document_filename(rollup: Rollup, decision, code: str) -> str:
    reference = "".join(ch if ch.isalnum() else "-" for ch in (decision.reference if decision else "")).strip("-")
    return f"Beschlussvorlage-{reference or 'Entwurf'}-v{rollup.version}.{FORMATS[code].extension}"
