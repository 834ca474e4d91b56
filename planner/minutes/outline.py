"""The minutes as the paper's outline: (facilitator's text, workshop facts, finding facts, language) → ``Outline``.

Like the paper's outline (planner.strategy.outline), this is the one place where the minutes get their words: every
heading and label, every date, time and number is made here in the minutes' language with Babel, so the paper's
writers (DOCX, PDF, HTML) render the same blocks and none of them shows a code. The facts come from the packages
that own them: ``planner.workshops.facts.minutes_workshop`` (attendance, agenda as held) and
``planner.findings.facts.workshop_findings`` (findings with numbers and the authors who may be named, measures).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from babel.dates import format_time
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from planner.core.timeutil import to_local
from planner.findings.facts import WorkshopFindings, WorkshopMeasure
from planner.findings.models import MeasureStatus
from planner.strategy import labels
from planner.strategy.outline import (
    LANGUAGES,
    BulletList,
    FactSheet,
    Formatter,
    Heading,
    KeyFigures,
    Outline,
    Paragraph,
    Table,
)
from planner.workshops.facts import MinutesWorkshop
from planner.workshops.models import AgendaBlockKind

KIND_ORDER = ("strength", "weakness", "opportunity", "risk", "need")


@dataclass(frozen=True)
class MinutesText:
    """What the facilitator wrote (Markdown)."""

    summary: str = ""
    decisions: str = ""
    open_points: str = ""
    next_steps: str = ""


def kind_heading(code: str) -> str:
    return {
        "strength": _("Strengths"),
        "weakness": _("Weaknesses"),
        "opportunity": _("Opportunities"),
        "risk": _("Risks"),
        "need": _("Needs for action"),
    }.get(code, code)


def block_kind(code: str) -> str:
    try:
        return str(AgendaBlockKind(code).label)
    except ValueError:
        return code


def measure_status(code: str) -> str:
    try:
        return str(MeasureStatus(code).label)
    except ValueError:
        return code


def build_minutes_outline(text: MinutesText, workshop: MinutesWorkshop, found: WorkshopFindings, *,
                          language: str = "de", city: str = "", as_of: date | None = None) -> Outline:
    """The minutes in ``language`` (de | en; anything else: German)."""
    if language not in LANGUAGES:
        language = "de"
    with force_locale(language):
        return _Builder(text, workshop, found, language, city, as_of).build()


class _Builder:
    def __init__(self, text, workshop, found, language, city, as_of):
        self.text, self.w, self.found = text, workshop, found
        self.language, self.city, self.as_of = language, city, as_of
        self.f = Formatter(language)
        self.blocks: list = []
        self.field_names = {code: (en if language == "en" else de) for code, de, en in workshop.fields}

    def add(self, *blocks) -> None:
        self.blocks.extend(blocks)

    def heading(self, level: int, text: str, anchor: str = "") -> None:
        self.blocks.append(Heading(level, text, anchor))

    def time(self, value) -> str:
        return format_time(to_local(value), "HH:mm", locale=self.f.locale)

    def field(self, code: str) -> str:
        name = self.field_names.get(code)
        return f"{code} {name}" if name else code

    def author(self, name: str) -> str:
        return name or _("a participant")

    def build(self) -> Outline:
        w, f = self.w, self.f
        title = _("Minutes: %(title)s", title=w.title)
        subtitle = _("%(date)s, %(start)s–%(end)s", date=f.date(to_local(w.starts_at).date()),
                     start=self.time(w.starts_at), end=self.time(w.ends_at))
        version = _("As of %(date)s", date=f.date(self.as_of)) if self.as_of else ""
        if not w.is_over:
            version = _("Provisional: the workshop has not been held yet")
        self.overview()
        self.facilitator_text("summary", _("Summary"), self.text.summary,
                              _("No summary has been written yet."))
        self.attendance()
        self.agenda()
        self.findings()
        self.facilitator_text("decisions", _("Decisions"), self.text.decisions, _("No decisions were recorded."))
        self.facilitator_text("open-points", _("Open points"), self.text.open_points,
                              _("No open points were recorded."))
        self.facilitator_text("next-steps", _("Next steps"), self.text.next_steps,
                              _("No next steps were recorded."))
        self.measures()
        return Outline.from_blocks(
            language=self.language, edition="minutes", condensed=False, city=self.city, title=title,
            subtitle=subtitle, version_label=version, blocks=self.blocks,
        )

    def overview(self) -> None:
        w, f = self.w, self.f
        self.heading(1, _("The workshop"), "minutes-workshop")
        if not w.is_over:
            self.add(Paragraph(_("This workshop has not been held yet: these minutes are provisional."),
                               role="missing"))
        rows = [
            (_("Date"), f.date(to_local(w.starts_at).date())),
            (_("Time"), f"{self.time(w.starts_at)}–{self.time(w.ends_at)}"),
            (_("Format"), labels.workshop_format(w.format)),
        ]
        if w.location:
            rows.append((_("Location"), w.location))
        rows.append((_("Action fields"), ", ".join(self.field(code) for code, _de, _en in w.fields) or "–"))
        rows.append((_("Facilitation"), ", ".join(w.facilitators) or "–"))
        self.add(Table(_("The workshop at a glance"), (), tuple(rows)))

    def facilitator_text(self, anchor: str, heading: str, body: str, missing: str) -> None:
        self.heading(1, heading, f"minutes-{anchor}")
        if (body or "").strip():
            self.add(Paragraph(body, markdown=True))
        else:
            self.add(Paragraph(missing, role="missing"))

    def attendance(self) -> None:
        w, f = self.w, self.f
        self.heading(1, _("Attendance"), "minutes-attendance")
        self.add(KeyFigures(_("Participation in figures"), (
            (f.count(w.invited), ngettext("person invited", "people invited", w.invited)),
            (f.count(w.accepted), ngettext("acceptance", "acceptances", w.accepted)),
            (f.count(w.attended), ngettext("participant present", "participants present", w.attended)),
        )))
        if w.by_sector:
            self.add(Table(_("Attendance by sector"), (_("Sector"), _("Accepted invitations"), _("Attended")),
                           tuple((labels.sector(c.key), f.count(c.accepted), f.count(c.attended))
                                 for c in w.by_sector),
                           numeric=(False, True, True)))
        else:
            self.add(Paragraph(_("No participation has been recorded yet."), role="missing"))
        if w.is_over and not w.attended:
            self.add(Paragraph(_("Attendance has not been recorded (check-in list)."), role="missing"))

    def agenda(self) -> None:
        self.heading(1, _("Agenda as held"), "minutes-agenda")
        if not self.w.blocks:
            self.add(Paragraph(_("No agenda was recorded."), role="missing"))
            return
        self.add(Table(_("Agenda with times and responsibilities"),
                       (_("Time"), _("Agenda block"), _("Kind"), _("Responsible")),
                       tuple((f"{self.time(b.starts_at)}–{self.time(b.ends_at)}", b.title, block_kind(b.kind),
                              b.responsible or "–") for b in self.w.blocks)))

    def finding_number(self, finding) -> str:
        return finding.number or f"{finding.field_code}-B{finding.id:02d}"

    def measure_number(self, m: WorkshopMeasure) -> str:
        return m.fact.number or f"{m.field_code}-M{m.fact.id:02d}"

    def findings(self) -> None:
        found = self.found
        self.heading(1, _("Findings by agenda block"), "minutes-findings")
        self.add(Paragraph(_("Recorded: %(findings)s, %(measures)s.", findings=ngettext(
            "%(num)s finding", "%(num)s findings", len(found.findings)), measures=ngettext(
            "%(num)s measure proposal", "%(num)s measure proposals", len(found.measures)))))
        if not found.findings and not found.measures:
            self.add(Paragraph(_("Nothing was recorded in this workshop."), role="missing"))
            return
        block_ids = {b.id for b in self.w.blocks}
        by_block: dict[int | None, list] = defaultdict(list)
        measures_by_block: dict[int | None, list] = defaultdict(list)
        for item in found.findings:
            by_block[item.agenda_block_id if item.agenda_block_id in block_ids else None].append(item)
        for m in found.measures:
            measures_by_block[m.agenda_block_id if m.agenda_block_id in block_ids else None].append(m)
        sections = [(b.id, f"{self.time(b.starts_at)} {b.title}") for b in self.w.blocks]
        sections.append((None, _("Without agenda block")))
        for index, (block_id, heading) in enumerate(sections, start=1):
            items, measures = by_block.get(block_id, []), measures_by_block.get(block_id, [])
            if not items and not measures:
                continue
            self.heading(2, heading, f"minutes-block-{index}")
            for kind in KIND_ORDER:
                entries = tuple(
                    f"{self.finding_number(i)} {i.text} ({self.field(i.field_code)}; {self.author(i.author)})"
                    for i in items if i.kind == kind)
                if entries:
                    self.add(BulletList(entries, title=kind_heading(kind)))
            if measures:
                self.add(BulletList(tuple(
                    f"{self.measure_number(m)} {m.fact.title} ({self.field(m.field_code)}; {self.author(m.author)})"
                    for m in measures), title=_("Measure proposals")))

    def measures(self) -> None:
        self.heading(1, _("Fact sheets of the proposed measures"), "minutes-measures")
        if not self.found.measures:
            self.add(Paragraph(_("No measure was proposed in this workshop."), role="missing"))
            return
        for m in self.found.measures:
            self.add(self.fact_sheet(m))

    def fact_sheet(self, m: WorkshopMeasure) -> FactSheet:
        f, x = self.f, m.fact
        funding = labels.funding(x.funding)
        if x.funding_note:
            funding = f"{funding} ({x.funding_note})" if x.funding else x.funding_note
        kpis = "; ".join(
            k.indicator + (f" ({k.unit})" if k.unit else "")
            + f": {f.number(k.baseline)} → {f.number(k.target_value)}"
            + (f" ({k.target_year})" if k.target_year else "") for k in x.kpis)
        rows = (
            (_("Action field"), self.field(m.field_code)),
            (_("Status"), measure_status(m.status)),
            (_("Proposed by"), self.author(m.author)),
            (_("Goal"), x.goal or "–"),
            (_("Expected effect"), x.expected_effect or "–"),
            (_("Lead unit"), x.lead_unit or "–"),
            (_("Partners"), x.partners or "–"),
            (_("Funding"), funding),
            (_("Cost estimate"), f.money(x.cost_estimate)),
            (_("Priority"), labels.priority(x.priority)),
            (_("Time frame"), f.years(x.start_year, x.end_year)),
            (_("Answers the needs"), ", ".join(m.need_numbers) or "–"),
            (_("KPIs"), kpis or "–"),
        )
        number = self.measure_number(m)
        return FactSheet(2, number, x.title, f"minutes-measure-{x.id}", x.description,
                         _("Fact sheet %(number)s", number=number), rows)
