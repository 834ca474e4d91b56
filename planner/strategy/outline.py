"""The paper as a tree of blocks: (roll-up, language, edition) → ``Outline``.

This is the one place where the paper gets its words: every heading, label and generated sentence, every
number, amount, percentage and date is made here, in the paper's language (``flask_babel.force_locale`` and
Babel with the paper's locale), whatever the language of the person who froze or exports the paper. The
writers (``planner.strategy.exporters``) render blocks and nothing else, so HTML, PDF, DOCX and Markdown
cannot disagree and none of them shows a raw code or an unformatted number.

Blocks: ``Heading``, ``Paragraph`` (plain or the strategy team's Markdown), ``BulletList``, ``Table``,
``Figure`` (bars or a timeline, with its alt text and its data table), ``KeyFigures`` and ``FactSheet``.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent, parse_pattern
from flask_babel import force_locale, ngettext

from planner.core.collector import collector_paused
from planner.strategy import labels
from planner.strategy.labels import _
from planner.strategy.readiness import group_issues
from planner.strategy.rollup import Chart, FieldChapter, MeasureSheet, Rollup, dependency_matrix, shorten
from planner.surveys.prioritisation import formula_text

LANGUAGES = ("de", "en")
BABEL_LOCALE = {"de": "de_DE", "en": "en_GB"}
EDITIONS = ("long", "short")
SWOT_KINDS = ("strength", "weakness", "opportunity", "risk")
TIMELINE_MAX_ROWS = 60
READINESS_SUBJECTS = 20
# Above either limit the print edition and the in-app views are condensed: measures in tables instead of
# fact sheets, findings counted instead of listed (a metropolis's paper would be thousands of pages).
CONDENSE_LIMIT_MEASURES = 400
CONDENSE_LIMIT_FINDINGS = 10_000
PALETTE = ("#1d4e89", "#2a7f62", "#b5541c", "#6b3fa0", "#a0204a", "#3c6e71", "#7a6a00")


# --- the blocks -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Heading:
    block: ClassVar[str] = "heading"
    level: int  # 1 = a chapter; the paper's title is the outline's, not a block
    text: str
    anchor: str = ""


@dataclass(frozen=True)
class Paragraph:
    block: ClassVar[str] = "paragraph"
    text: str
    markdown: bool = False  # the strategy team's own text (sanitised Markdown); otherwise plain text
    role: str = ""  # "" | "missing" (a gap, shown as such) | "note" | "lead"


@dataclass(frozen=True)
class BulletList:
    block: ClassVar[str] = "bulletlist"
    items: tuple[str, ...]
    title: str = ""  # a short bold lead-in (e.g. "Strengths"), not a heading


@dataclass(frozen=True)
class Table:
    block: ClassVar[str] = "table"
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()  # per column: right-aligned figures
    row_header: bool = True  # the first cell of each row names the row
    refs: tuple[str, ...] = ()  # per row: what it is about ("measure:12"); the in-app view links it


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # for drawing only; ``text`` is what a reader sees
    text: str
    colour: str = PALETTE[0]


@dataclass(frozen=True)
class Span:
    label: str
    start: int
    end: int
    colour: str = PALETTE[0]


@dataclass(frozen=True)
class Figure:
    block: ClassVar[str] = "figure"
    kind: str  # "bars" | "timeline"
    title: str
    alt: str  # the alternative text: what the figure shows, in a sentence or two
    anchor: str
    table: Table  # the same data as a table, rendered beside the figure
    bars: tuple[Bar, ...] = ()
    maximum: float = 0.0
    spans: tuple[Span, ...] = ()
    marks: tuple[int, ...] = ()  # timeline: milestone years (vertical lines at the end of the year)
    first_year: int = 0
    last_year: int = 0


@dataclass(frozen=True)
class KeyFigures:
    block: ClassVar[str] = "keyfigures"
    caption: str
    items: tuple[tuple[str, str], ...]  # (value, what it counts)


@dataclass(frozen=True)
class FactSheet:
    block: ClassVar[str] = "factsheet"
    level: int
    number: str
    title: str
    anchor: str
    description: str  # Markdown
    caption: str
    rows: tuple[tuple[str, str], ...]  # (label, value)


Block = Heading | Paragraph | BulletList | Table | Figure | KeyFigures | FactSheet


@dataclass(frozen=True)
class Outline:
    language: str  # de | en
    edition: str  # long | short
    condensed: bool
    city: str
    title: str
    subtitle: str
    version_label: str
    blocks: tuple[Block, ...]
    contents: tuple[tuple[str, str], ...] = field(default=())  # (anchor, text) of each level-1 heading
    target_year: int = 2040
    version: int | None = None
    issued: str = ""  # the cover's date in the paper's language ("3. Dezember 2026"); empty when unknown
    status: str = ""  # the cover's status: "Entwurf" or "Vom Rat beschlossen am 15. Juni 2023"

    @classmethod
    def from_blocks(cls, blocks, **fields) -> Outline:
        """An outline whose contents are its level-1 headings, the one rule every document's contents follow."""
        blocks = tuple(blocks)
        contents = tuple((b.anchor, b.text) for b in blocks if isinstance(b, Heading) and b.level == 1)
        return cls(blocks=blocks, contents=contents, **fields)


# --- formatting, once, in the paper's language -----------------------------------------------------------------

class Formatter:
    def __init__(self, language: str):
        self.language = language
        self.locale = BABEL_LOCALE.get(language, language)
        # The locale and the number patterns parsed once (Babel parses them on every call otherwise).
        self._locale = Locale.parse(self.locale)
        self._money = parse_pattern(self._locale.currency_formats["standard"].pattern.replace(".00", ""))
        self._numbers: dict[int, object] = {}
        self._count = parse_pattern("#,##0")
        self._dates: dict[date, str] = {}

    def number(self, value, digits: int = 2) -> str:
        if value is None:
            return "–"
        pattern = self._numbers.get(digits)
        if pattern is None:
            pattern = self._numbers[digits] = parse_pattern("#,##0." + "#" * digits if digits else "#,##0")
        return format_decimal(value, format=pattern, locale=self._locale)

    def count(self, value) -> str:
        return format_decimal(value or 0, format=self._count, locale=self._locale)

    def money(self, value) -> str:
        if value is None:
            return "–"
        return format_currency(round(value), "EUR", format=self._money, locale=self._locale, currency_digits=False)

    def percent(self, share) -> str:
        """Every percentage of the paper: from a share 0..1, whole per cent (the survey's one rule)."""
        return "–" if share is None else format_percent(share, locale=self._locale)

    def date(self, value: date | None) -> str:
        if not value:
            return "–"
        text = self._dates.get(value)  # a paper names the same few workshop days thousands of times
        if text is None:
            text = self._dates[value] = format_date(value, format="long", locale=self._locale)
        return text

    def years(self, start, end) -> str:
        if start and end:
            return f"{start}–{end}" if start != end else str(start)
        return str(start or end or "–")


# --- user text ------------------------------------------------------------------------------------------------

_IMAGE = re.compile(r"!\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")


def without_images(text: str) -> str:
    """The strategy team's Markdown with every image reference replaced by a note naming its alt text: an image
    at an outside address is never fetched (not by the PDF renderer, not by a reader's Markdown viewer)."""
    if "![" not in (text or ""):
        return text
    def note(match) -> str:
        alt = " ".join(match.group(1).split()).replace("*", "").replace("_", " ").strip()
        return "*" + (_("[Image not included: %(alt)s]", alt=alt) if alt else _("[Image not included]")) + "*"
    return _IMAGE.sub(note, text)


def user_paragraph(text: str) -> Paragraph:
    return Paragraph(without_images(text), markdown=True)


# --- building -------------------------------------------------------------------------------------------------

def is_condensed(rollup: Rollup) -> bool:
    """Whether this paper is too large to print or show in full (never the short edition)."""
    if rollup.short:
        return False
    findings = rollup.finding_count() + sum(w.finding_count for w in rollup.annex.workshops)
    return len(rollup.measures()) > CONDENSE_LIMIT_MEASURES or findings > CONDENSE_LIMIT_FINDINGS


def build_outline(rollup: Rollup, language: str | None = None, edition: str | None = None, *,
                  condensed: bool | None = None) -> Outline:
    """The paper in ``language`` (de | en; default: the roll-up's) as the ``edition`` (long | short)."""
    language = language or rollup.locale or "de"
    if language not in LANGUAGES:
        language = "de"
    edition = edition or ("short" if rollup.short else "long")
    if edition == "short" and not rollup.short:
        rollup = shorten(rollup)
    rollup = dataclasses.replace(rollup, locale=language)
    if condensed is None:
        condensed = is_condensed(rollup)
    with force_locale(language), labels.fixed_translations(), collector_paused():  # many small blocks, no cycles
        return _Builder(rollup, language, edition, condensed).build()


class _Builder:
    def __init__(self, rollup: Rollup, language: str, edition: str, condensed: bool):
        self.r = rollup
        self.language = language
        self.short = edition == "short"
        self.edition = edition
        self.condensed = condensed and not self.short
        self.f = Formatter(language)
        self.blocks: list = []
        self.fields = {c.code: c for c in rollup.fields}

    # helpers
    def add(self, *blocks) -> None:
        self.blocks.extend(blocks)

    def heading(self, level: int, text: str, anchor: str = "") -> None:
        self.blocks.append(Heading(level, text, anchor))

    def missing(self, text: str) -> None:
        self.blocks.append(Paragraph(text, role="missing"))

    def field_name(self, code: str) -> str:
        chapter = self.fields.get(code)
        return labels.field_name(chapter, self.language) if chapter else code

    def field_names(self, codes) -> str:
        return ", ".join(self.field_name(c) for c in codes) or "–"

    def section_title(self, section) -> str:
        return labels.section_title(section.key, self.stored_title(section))

    def stored_title(self, section) -> str:
        """A title the team gave a standard section is written in the city's language (German): another
        language's paper uses its own title for it. Sections of their own keep their title."""
        if self.language != "de" and section.key in labels.DEFAULT_SECTIONS:
            return ""
        return section.title

    def text_section(self, section, level: int = 1) -> None:
        self.heading(level, self.section_title(section), f"section-{section.key}")
        if section.body.strip():
            self.add(user_paragraph(section.body))
        else:
            self.missing(_("This section has not been written yet."))

    # the paper
    def build(self) -> Outline:
        r = self.r
        title = r.process.title or _("Strategic action concept")
        subtitle = _("Strategic action concept to %(year)s", year=r.process.target_year)
        if self.short:
            subtitle += " – " + _("Short version")
        version = _("Version %(number)s", number=r.version) if r.version else _("Draft")
        if r.readiness and r.version is None:
            self.readiness()
        if self.condensed:
            self.condensed_notice()
        for s in r.sections:
            if s.key == "foreword":
                self.text_section(s)
        self.summary()
        if not self.short:
            self.starting_point()
        self.vision_and_goals()  # Leitbild und Ziele: after the starting point, before the action fields
        self.action_fields()
        if not self.short:
            self.overview()
        self.roadmap()
        if not self.short:
            self.dependencies()
            for s in r.sections:
                if s.key not in ("foreword", "vision", "starting_point_intro"):
                    self.text_section(s)
                    if s.key == "monitoring":
                        self.kpi_overview()
                    if s.key == "communication":
                        self.participation_report()
            self.annex()
        return Outline.from_blocks(
            language=self.language, edition=self.edition, condensed=self.condensed, city=r.process.city, title=title,
            subtitle=subtitle, version_label=version, blocks=self.blocks, target_year=r.process.target_year,
            version=r.version, issued=self.f.date(r.issued_on) if r.issued_on else "",
            status=_("Adopted by the council on %(date)s", date=self.f.date(r.adopted_on))
            if r.adopted_on else _("Draft") if r.version else "",  # the draft's label says it already
        )

    def vision_and_goals(self) -> None:
        """Leitbild und Ziele: the strategy's vision, then every field's Zielbild and goals (the long edition; the
        short one has them in its field chapters)."""
        r = self.r
        self.heading(1, _("Vision and goals %(year)s", year=r.process.target_year), "vision-goals")
        vision = r.section("vision")
        if vision is not None:
            self.text_section(vision, level=2)
        if self.short:
            return
        self.heading(2, _("Target visions and goals of the action fields"), "field-goals")
        if not r.fields:
            self.missing(_("No action fields have been set up yet."))
        for c in r.fields:
            self.heading(3, f"{c.code} {self.field_name(c.code)}", f"goals-{c.code}")
            if c.vision.strip():
                self.add(user_paragraph(c.vision))
            else:
                self.missing(_("The target vision of this action field has not been written yet."))
            if c.goals:
                self.add(BulletList(tuple(self.goal_text(g) for g in c.goals), title=_("Goals")))
            else:
                self.missing(_("No measurable goals have been set for this action field yet."))

    def goal_value(self, value, unit: str) -> str:
        text = self.f.number(value)
        return f"{text} {unit}".strip() if value is not None and unit else text

    def goal_text(self, g) -> str:
        """One goal in a sentence: “Goal – indicator: baseline → target (year)”."""
        text = g.text
        if g.indicator:
            text += f" – {g.indicator}: "
            if g.baseline is not None:
                text += f"{self.goal_value(g.baseline, g.unit)} → "
            text += self.goal_value(g.target_value, g.unit)
            if g.target_year:
                text += " " + _("by %(year)s", year=g.target_year)
        return text

    def field_goals(self, c: FieldChapter) -> None:
        """The field chapter starts with its Zielbild and its goals (a table: indicator, baseline, target)."""
        self.heading(3, _("Target vision %(year)s", year=self.r.process.target_year), f"field-{c.code}-vision")
        if c.vision.strip():
            self.add(user_paragraph(c.vision))
        else:
            self.missing(_("The target vision of this action field has not been written yet."))
        self.heading(3, _("Goals"), f"field-{c.code}-goals")
        if not c.goals:
            self.missing(_("No measurable goals have been set for this action field yet."))
            return
        self.add(Table(
            _("Measurable goals of “%(field)s”", field=self.field_name(c.code)),
            (_("Goal"), _("Indicator"), _("Baseline"), _("Target value"), _("Target year")),
            tuple((g.text, g.indicator or "–",
                   self.goal_value(g.baseline, g.unit) if g.baseline is not None else "–",
                   self.goal_value(g.target_value, g.unit), str(g.target_year or "–")) for g in c.goals),
            numeric=(False, False, True, True, True)))

    def readiness(self) -> None:
        self.heading(1, _("Still missing"), "readiness")
        self.add(Paragraph(_("This paper is not complete yet. The following points are open:")))
        titles = {s.key: self.stored_title(s) for s in self.r.sections}
        items = []
        for kind, subjects in group_issues(self.r.readiness):
            if kind in ("field_without_workshop", "field_without_measure", "field_without_goals",
                        "field_too_many_goals"):
                subjects = [self.field_name(code) for code in subjects]
            elif kind == "open_comments":
                subjects = [self.f.count(int(s)) if s.isdigit() else s for s in subjects]
            subjects = labels.readiness_subjects(kind, subjects, titles)
            if len(subjects) > READINESS_SUBJECTS:
                subjects = [*subjects[:READINESS_SUBJECTS],
                            _("and %(num)s more", num=self.f.count(len(subjects) - READINESS_SUBJECTS))]
            items.append(labels.readiness(kind) + (": " + "; ".join(subjects) if subjects else ""))
        self.add(BulletList(tuple(items)))

    def condensed_notice(self) -> None:
        self.heading(1, _("About this print edition"), "print-edition")
        self.add(Paragraph(_(
            "This paper is too large to print in full. In this print edition the measures appear in tables instead "
            "of fact sheets; the status quo, the needs for action, the workshop documentation, the milestones and "
            "the sources of the measures are counted instead of listed (%(measures)s measures, %(findings)s "
            "findings).",
            measures=self.f.count(len(self.r.measures())), findings=self.f.count(self.r.finding_count()))))
        self.add(Paragraph(_("The complete paper with every fact sheet, finding and source is in the Word and JSON "
                             "exports of the same version.")))

    def summary(self) -> None:
        r, f = self.r, self.f
        sp = r.starting_point
        self.heading(1, _("Summary"), "summary")
        surveyed = sum(s.participants for s in sp.surveys)
        measures = len(r.measures()) if self.short else len(r.overview)
        items = [
            (f.count(len(sp.workshops)), ngettext("workshop held", "workshops held", len(sp.workshops))),
            (f.count(sp.participants_total),
             ngettext("participating expert", "participating experts", sp.participants_total)),
            (f.count(sp.organisations_total), ngettext("organisation", "organisations", sp.organisations_total)),
        ]
        if sp.surveys:
            items.append((f.count(surveyed), ngettext("participant in the citizen survey",
                                                      "participants in the citizen survey", surveyed)))
        if self.short:
            items.append((f.count(measures), ngettext("top measure in this short version",
                                                      "top measures in this short version", measures)))
        else:
            items.append((f.count(measures), ngettext("accepted measure", "accepted measures", measures)))
        self.add(KeyFigures(_("The strategy process in figures"), tuple(items)))
        ranked = sorted((c for c in r.fields if c.priority), key=lambda c: c.priority.rank)
        if ranked:
            self.add(Paragraph(_("The action fields in order of priority:")))
            self.add(BulletList(tuple(
                _("Rank %(rank)s: %(field)s", rank=c.priority.rank, field=self.field_name(c.code)) for c in ranked)))
        for survey in sp.surveys:
            figures = self.key_figures(survey)
            if figures:
                self.add(KeyFigures(_("Key results of the survey “%(title)s”", title=survey.title), figures))

    def key_figures(self, survey) -> tuple[tuple[str, str], ...]:
        items = []
        for k in survey.key_figures[:5]:
            if k.kind == "share":
                value = self.f.percent(k.share)
                items.append((value, _("%(label)s (base: %(base)s respondents)", label=k.label,
                                       base=self.f.count(k.base))))
            elif k.kind == "mean":
                items.append((_("%(mean)s of %(scale)s", mean=self.f.number(k.mean, 1), scale=k.scale or "–"),
                              _("%(label)s (mean rating, base: %(base)s respondents)", label=k.label,
                                base=self.f.count(k.base))))
            else:
                items.append((k.text, k.label))
        return tuple(items)

    def starting_point(self) -> None:
        r, f = self.r, self.f
        sp = r.starting_point
        self.heading(1, _("Starting point"), "starting-point")
        intro = r.section("starting_point_intro")
        if intro and intro.body.strip():
            self.add(user_paragraph(intro.body))
        self.heading(2, _("The workshops"), "workshops")
        if sp.workshops:
            # Who accepted and who came: "98 participating experts" counted the five who accepted and stayed away.
            text = ngettext(
                "%(num)s workshop; %(people)s experts from %(orgs)s organisations accepted an invitation.",
                "%(num)s workshops; %(people)s experts from %(orgs)s organisations accepted an invitation.",
                len(sp.workshops), people=f.count(sp.participants_total), orgs=f.count(sp.organisations_total))
            if sp.attended_total:
                text += " " + ngettext("%(count)s of them took part.", "%(count)s of them took part.",
                                       sp.attended_total, count=f.count(sp.attended_total))
            self.add(Paragraph(text))
            self.add(Table(
                _("Workshops held with date, format and participation"),
                (_("Workshop"), _("Date"), _("Format"), _("Action fields"), _("Accepted invitations"), _("Attended")),
                tuple((w.title, f.date(w.day), labels.workshop_format(w.format), self.field_names(w.field_codes),
                       f.count(w.accepted), f.count(w.attended)) for w in sp.workshops),
                numeric=(False, False, False, False, True, True)))
        else:
            self.missing(_("No workshop has been held yet."))
        self.heading(2, _("Participants"), "participants")
        if sp.by_sector:
            rows = tuple((labels.sector(c.key), float(c.accepted), f.count(c.accepted), f.count(c.attended))
                         for c in sp.by_sector)
            self.add(self.bar_figure(
                "participants-sector", _("Participants by sector"),
                _("Experts who accepted an invitation, by the sector of their organisation."),
                rows, (_("Sector"), _("Accepted invitations"), _("Attended"))))
        if sp.by_field and any(c.accepted for c in sp.by_field):
            rows = tuple((self.field_name(c.key), float(c.accepted), f.count(c.accepted), f.count(c.attended))
                         for c in sp.by_field)
            self.add(self.bar_figure(
                "participants-field", _("Participants by action field"),
                _("Experts who accepted an invitation to a workshop of the action field."),
                rows, (_("Action field"), _("Accepted invitations"), _("Attended"))))
        if not sp.by_sector:
            self.missing(_("No participation has been recorded yet."))
        self.heading(2, _("Citizen survey"), "survey")
        for s in sp.surveys:
            self.heading(3, s.title + (f" ({s.wave})" if s.wave else ""), f"survey-{s.survey_id}")
            self.add(Paragraph(_(
                "From %(start)s to %(end)s: %(participants)s participants, %(comments)s free-text comments.",
                start=f.date(s.starts_on), end=f.date(s.ends_on), participants=f.count(s.participants),
                comments=f.count(s.comments))))
            figures = self.key_figures(s)
            if figures:
                self.add(KeyFigures(_("Key results of the survey “%(title)s”", title=s.title), figures))
            for index, chart in enumerate(s.charts, start=1):
                self.add(self.survey_figure(chart, f"survey-{s.survey_id}-chart-{index}"))
        if not sp.surveys:
            self.missing(_("No citizen survey has been evaluated yet."))

    def bar_figure(self, anchor: str, title: str, description: str, rows, header) -> Figure:
        """rows: (label, value to draw, formatted value, further formatted columns...)."""
        bars = tuple(Bar(row[0], row[1], row[2], PALETTE[i % len(PALETTE)]) for i, row in enumerate(rows))
        table = Table(title, header, tuple((row[0], *row[2:]) for row in rows),
                      numeric=(False,) + (True,) * (len(header) - 1))
        shown = "; ".join(f"{b.label}: {b.text}" for b in bars[:12])
        more = _(" and %(num)s more", num=len(bars) - 12) if len(bars) > 12 else ""
        alt = _("Bar chart “%(title)s”. %(description)s Values: %(values)s%(more)s.", title=title,
                description=description, values=shown, more=more)
        return Figure("bars", title, alt, anchor, table, bars=bars, maximum=max((b.value for b in bars), default=0))

    def survey_figure(self, chart: Chart, anchor: str) -> Figure:
        f = self.f
        base = f.count(chart.base)
        if chart.kind in ("choice", "rating"):
            title = chart.question
            description = _("Share of the %(answered)s respondents who answered, per answer option.", answered=base)
            if chart.kind == "rating" and chart.mean is not None:
                description += " " + _("Mean %(mean)s on a scale from 1 to %(scale)s.", mean=f.number(chart.mean, 1),
                                       scale=chart.scale or "–")
            rows = tuple((c, v * 100, f.percent(v)) for c, v in zip(chart.categories, chart.values, strict=False))
            header = (_("Answer"), _("Share"))
        elif chart.kind == "ranking":
            title = chart.question
            description = _("Average rank per option (1 = most important; lower is better), n = %(answered)s.",
                            answered=base)
            rows = tuple((c, v, f.number(v)) for c, v in zip(chart.categories, chart.values, strict=False))
            header = (_("Option"), _("Average rank"))
        elif chart.kind == "field_ratings":
            title = _("Importance of the action fields (mean rating)")
            description = _("Mean rating per action field on a scale from 1 to %(scale)s, highest first.",
                            scale=chart.scale or 5)
            rows = tuple((self.field_name(c), v, f.number(v)) for c, v in zip(chart.categories, chart.values,
                                                                              strict=False))
            header = (_("Action field"), _("Mean rating"))
        else:  # stored by schema 1: the values as they were
            title = chart.question
            description = _("Results as stored with this version.")
            unit = " %" if chart.kind == "percent" else ""
            rows = tuple((c, v, f.number(v, 1) + unit) for c, v in zip(chart.categories, chart.values, strict=False))
            header = (_("Answer"), _("Value"))
        return self.bar_figure(anchor, title, description, rows, header)

    def action_fields(self) -> None:
        r, f = self.r, self.f
        self.heading(1, _("Action fields"), "fields")
        run = r.priority_run
        if run:
            self.add(Paragraph(_("Priorities follow the prioritisation run “%(name)s” of %(date)s.", name=run.name,
                                 date=f.date(run.frozen_at.date() if run.frozen_at else None))))
            formula = self.formula()
            if formula:
                self.add(Paragraph(formula, role="note"))
        if not r.fields:
            self.missing(_("No action fields have been set up yet."))
        for chapter in r.fields:
            self.field_chapter(chapter)

    def formula(self) -> str:
        run = self.r.priority_run
        if run.weights:
            return formula_text(dict(run.weights))
        return run.formula

    def field_chapter(self, c: FieldChapter) -> None:
        f = self.f
        self.heading(2, f"{c.code} {self.field_name(c.code)}", f"field-{c.code}")
        description = c.description_en if self.language == "en" and c.description_en else c.description_de
        if description:
            self.add(Paragraph(description))
        if c.priority:
            self.add(Paragraph(_("Priority rank %(rank)s (score %(score)s).", rank=c.priority.rank,
                                 score=f.number(c.priority.score))))
        self.field_goals(c)
        if not self.short:
            self.heading(3, _("Status quo"), f"field-{c.code}-status")
            if self.condensed:
                counts = Counter(i.kind for i in c.status_quo)
                self.add(Table(_("Findings of the status quo in “%(field)s”", field=self.field_name(c.code)),
                               (_("Kind"), _("Number")),
                               tuple((labels.swot_heading(k), f.count(counts[k])) for k in SWOT_KINDS if counts[k]),
                               numeric=(False, True)))
            else:
                for kind in SWOT_KINDS:
                    items = tuple(f"{i.number} {i.text}" for i in c.status_quo if i.kind == kind)
                    if items:
                        self.add(BulletList(items, title=labels.swot_heading(kind)))
            if not c.status_quo:
                self.missing(_("No status-quo findings recorded."))
            self.heading(3, _("Needs for action"), f"field-{c.code}-needs")
            if self.condensed and c.needs:
                self.add(Paragraph(ngettext("%(num)s need for action.", "%(num)s needs for action.", len(c.needs))))
            elif c.needs:
                self.add(BulletList(tuple(self.need_text(n) for n in c.needs)))
            else:
                self.missing(_("No needs for action recorded."))
            if c.citizen_comments and c.citizen_comments.comments:
                self.citizen_comments(c)
        self.heading(3, _("Top measures") if self.short else _("Measures"), f"field-{c.code}-measures")
        if not c.measures:
            self.missing(_("No measure has been accepted in this field yet."))
        elif self.condensed:  # each measure in a row; the annex of sources is counted here, per measure
            self.add(Table(_("Measures of “%(field)s”", field=self.field_name(c.code)),
                           (_("Number"), _("Measure"), _("Lead unit"), _("Priority"), _("Time frame"),
                            _("Needs answered")),
                           tuple((m.number, m.title, m.lead_unit or "–", labels.priority(m.priority),
                                  f.years(m.start_year, m.end_year), f.count(len(m.need_numbers)))
                                 for m in c.measures),
                           numeric=(False, False, False, False, False, True),
                           refs=tuple(f"measure:{m.id}" for m in c.measures)))
        elif self.short:  # the short edition: the top measures at a glance
            self.add(Table(_("Measures of “%(field)s”", field=self.field_name(c.code)),
                           (_("Number"), _("Measure"), _("Lead unit"), _("Priority"), _("Time frame")),
                           tuple((m.number, m.title, m.lead_unit or "–", labels.priority(m.priority),
                                  f.years(m.start_year, m.end_year)) for m in c.measures),
                           refs=tuple(f"measure:{m.id}" for m in c.measures)))
        else:
            for m in c.measures:
                self.add(self.fact_sheet(m))

    def citizen_comments(self, c: FieldChapter) -> None:
        """Coded survey comments of the field: how many, the main topics, up to three anonymous quotes."""
        f, data = self.f, c.citizen_comments
        self.heading(3, _("What citizens wrote"), f"field-{c.code}-comments")
        text = ngettext("%(count)s comment of the citizen survey is about this field.",
                        "%(count)s comments of the citizen survey are about this field.", data.comments,
                        count=f.count(data.comments))
        if data.topics:
            topics = ", ".join(f"{label} ({f.count(count)})" for label, count in data.topics)
            text += " " + _("Main topics: %(topics)s.", topics=topics)
        self.add(Paragraph(text))
        if data.quotes and not self.condensed:
            self.add(BulletList(tuple(f"„{q}“" if self.language == "de" else f"“{q}”" for q in data.quotes),
                                title=_("In their words (anonymous)")))

    def need_text(self, n) -> str:
        # Whole phrases with placeholders: a call inside an f-string is never extracted for translation.
        notes = [_("Source: %(source)s", source=self.source(n.source))]
        if getattr(n, "answers", ()):
            notes.append(_("answers %(numbers)s", numbers=", ".join(n.answers)))
        if n.measure_numbers:
            notes.append(_("answered by %(numbers)s", numbers=", ".join(n.measure_numbers)))
        return f"{n.number} {n.text} ({'; '.join(notes)})"

    def source(self, source) -> str:
        if source.kind == "survey":
            return _("Citizen survey, comment %(id)s", id=source.survey_comment_id)
        if source.kind == "workshop":
            text = _("Workshop “%(title)s” on %(day)s", title=source.workshop_title,
                     day=self.f.date(source.workshop_day))
            if source.agenda_block:
                text += _(", agenda block “%(block)s”", block=source.agenda_block)
            return text
        return _("Source not recorded")

    def fact_sheet(self, m: MeasureSheet) -> FactSheet:
        f = self.f
        funding = labels.funding(m.funding)
        if m.funding_note:
            funding = f"{funding} ({m.funding_note})" if m.funding else m.funding_note
        kpis = "; ".join(
            k.indicator + (f" ({k.unit})" if k.unit else "")
            + f": {f.number(k.baseline)} → {f.number(k.target_value)}"
            + (f" ({k.target_year})" if k.target_year else "") for k in m.kpis)
        rows = [
            (_("Goal"), m.goal or "–"),
            (_("Expected effect"), m.expected_effect or "–"),
            (_("Lead unit"), m.lead_unit or "–"),
            (_("Partners"), m.partners or "–"),
            (_("Funding"), funding),
            (_("Cost estimate"), f.money(m.cost_estimate)),
            (_("Priority"), labels.priority(m.priority)),
            (_("Time frame"), f.years(m.start_year, m.end_year)),
            (_("Smart City Index area"), labels.index_area(m.bitkom_area)),
            (_("Answers the needs"), ", ".join(m.need_numbers) or "–"),
            (_("Depends on"), ", ".join(m.depends_on) or "–"),
            (_("KPIs"), kpis or "–"),
        ]
        if m.rank is not None:
            rows.append((_("Rank in the prioritisation"),
                         _("%(rank)s (score %(score)s)", rank=m.rank, score=f.number(m.score))))
        if m.official_answer:
            rows.append((_("Official answer"), m.official_answer))
        return FactSheet(4, m.number, m.title, f"measure-{m.number}", without_images(m.description),
                         _("Fact sheet %(number)s", number=m.number), tuple(rows))

    def overview(self) -> None:
        f = self.f
        self.heading(1, _("Prioritised overview of the measures"), "overview")
        if not self.r.overview:
            self.missing(_("No measure has been accepted yet."))
            return
        self.add(Table(
            _("All accepted measures in order of priority"),
            (_("Rank"), _("Number"), _("Measure"), _("Action field"), _("Priority"), _("Time frame")),
            tuple((f.count(o.rank), o.number, o.title, self.field_name(o.field_code), labels.priority(o.priority),
                   f.years(o.start_year, o.end_year)) for o in self.r.overview),
            numeric=(True, False, False, False, False, False)))

    def roadmap(self) -> None:
        r, f = self.r, self.f
        self.heading(1, _("Roadmap to %(year)s", year=r.process.target_year), "roadmap")
        figure = self.timeline()
        if figure:
            self.add(figure)
        if self.condensed and any(stage.entries for stage in r.roadmap):
            self.add(Paragraph(_("In this print edition the milestones count the measures completed per action "
                                 "field; each measure's time frame is in the prioritised overview and in the "
                                 "tables of the action fields."), role="note"))
        for stage in () if self.short else r.roadmap:  # the short edition: the timeline and its table only
            self.heading(2, _("Milestone %(year)s", year=stage.year), f"milestone-{stage.year}")
            if stage.entries and self.condensed:
                counts = Counter(e.field_code for e in stage.entries)
                order = [c.code for c in r.fields if counts[c.code]]
                order += sorted(code for code in counts if code not in self.fields)
                self.add(Table(
                    _("Measures completed by %(year)s per action field", year=stage.year),
                    (_("Action field"), _("Measures")),
                    tuple((self.field_name(code), f.count(counts[code])) for code in order),
                    numeric=(False, True)))
            elif stage.entries:
                self.add(Table(
                    _("Measures completed by %(year)s", year=stage.year),
                    (_("Number"), _("Measure"), _("Action field"), _("Start"), _("End")),
                    tuple((e.number, e.title, self.field_name(e.field_code), str(e.start_year or "–"),
                           str(e.end_year or "–")) for e in stage.entries),
                    numeric=(False, False, False, True, True)))
            else:
                self.add(Paragraph(_("No measure ends in this period.")))
        last = max(r.process.milestone_years, default=None)
        if last is not None and last < r.process.target_year:
            self.missing(_("The roadmap ends in %(last)s and does not reach the target year %(year)s yet.",
                           last=last, year=r.process.target_year))
        if r.unscheduled:
            self.heading(2, _("Without a time frame"), "unscheduled")
            self.add(BulletList(tuple(f"{e.number} {e.title}" for e in r.unscheduled)))

    def timeline(self) -> Figure | None:
        r = self.r
        rows = []
        for stage in r.roadmap:
            for e in stage.entries:
                start = e.start_year or e.end_year
                end = e.end_year or e.start_year
                rows.append((e.number, e.title, e.field_code, start, end))
        if not rows:
            return None
        colours = {c.code: c.colour for c in r.fields}
        if len(rows) > TIMELINE_MAX_ROWS:  # one bar per field keeps the chart readable and bounded
            spans: dict[str, list] = {}
            for _n, _t, code, start, end in rows:
                span = spans.setdefault(code, [start, end, 0])
                span[0], span[1], span[2] = min(span[0], start), max(span[1], end), span[2] + 1
            order = {c.code: i for i, c in enumerate(r.fields)}
            items = [(f"{code} ({n})", self.field_name(code), code, start, end)
                     for code, (start, end, n) in sorted(spans.items(), key=lambda kv: order.get(kv[0], 99))]
        else:
            items = sorted(rows, key=lambda row: (row[3], row[4], row[0]))
        title = _("Roadmap to %(year)s", year=r.process.target_year)
        alt = _("Timeline of the accepted measures from their start to their end year, with the milestones "
                "%(years)s; %(num)s bars.",
                years=", ".join(str(y) for y in r.process.milestone_years), num=self.f.count(len(items)))
        if not self.short:
            alt += " " + _("The tables of the milestones below list every measure.")
        table = Table(title, (_("Measure"), _("Action field"), _("Time frame")),
                      tuple((f"{label} {name}".strip() if label != name else label, self.field_name(code),
                             self.f.years(start, end)) for label, name, code, start, end in items))
        first = min([row[3] for row in items] + [min(r.process.milestone_years or (2025,)) - 3])
        last = max([row[4] for row in items] + [r.process.target_year])
        return Figure("timeline", title, alt, "roadmap-chart", table,
                      spans=tuple(Span(label, start, end, colours.get(code, PALETTE[0]))
                                  for label, _name, code, start, end in items),
                      marks=tuple(r.process.milestone_years), first_year=first, last_year=last)

    def dependencies(self) -> None:
        self.heading(1, _("Dependencies between measures"), "dependencies")
        if not self.r.dependencies:
            self.add(Paragraph(_("No dependencies between measures have been recorded.")))
            return
        codes, matrix = dependency_matrix(self.r)
        self.add(Table(
            _("Number of dependencies: measures of the row field depend on measures of the column field"),
            (_("Action field"), *codes),
            tuple((f"{codes[i]} {self.field_name(codes[i])}", *[self.f.count(n) if n else "" for n in row])
                  for i, row in enumerate(matrix)),
            numeric=(False,) + (True,) * len(codes)))

    def kpi_overview(self) -> None:
        f = self.f
        self.heading(2, _("KPI overview"), "kpi-overview")
        rows = tuple((m.number, m.title, k.indicator + (f" ({k.unit})" if k.unit else ""), f.number(k.baseline),
                      f.number(k.target_value), str(k.target_year or "–"))
                     for m in self.r.measures() for k in m.kpis)
        if not rows:
            self.missing(_("No KPI has been recorded for the accepted measures yet."))
            return
        self.add(Table(_("The KPIs of the accepted measures with baseline and target"),
                       (_("Number"), _("Measure"), _("Indicator"), _("Baseline"), _("Target value"),
                        _("Target year")), rows, numeric=(False, False, False, True, True, True)))

    def participation_report(self) -> None:
        """Beteiligung: the public consultations of earlier versions, counted, and the comments answered."""
        report = self.r.participation
        if report is None or not report.consultations:
            return
        f = self.f
        self.heading(2, _("Public consultation"), "participation-consultation")
        for c in report.consultations:
            self.add(Paragraph(_(
                "Version %(version)s was open to the public from %(start)s to %(end)s. Comments received: "
                "%(received)s; published: %(published)s; answered: %(answered)s.", version=c.version,
                start=f.date(c.starts_on), end=f.date(c.ends_on), received=f.count(c.received),
                published=f.count(c.published), answered=f.count(c.answered))))
        if report.comments:
            self.add(Table(_("Comments from the public and the answers"),
                           (_("Paragraph"), _("Comment"), _("Answer")),
                           tuple((_("Version %(version)s, paragraph %(paragraph)s", version=c.version,
                                    paragraph=c.paragraph), c.text, c.answer) for c in report.comments)))

    def sources_counted(self) -> None:
        """The condensed print edition's annex of sources: per action field how many measures answer how many
        needs from which kind of source (each measure's count is in its field's table)."""
        f = self.f
        field_of = {m.number: m.field_code for m in self.r.measures()}
        rows: dict[str, list] = {}
        for s in self.r.annex.sources:
            row = rows.setdefault(field_of.get(s.number, ""), [0, 0, set(), set(), set()])
            row[0] += 1
            row[1] += 1 if s.needs else 0
            for n in s.needs:
                row[2].add(n.number)
                if n.source.kind in ("workshop", "survey"):
                    row[3 if n.source.kind == "workshop" else 4].add(n.number)
        self.add(Paragraph(_("In this print edition the sources are counted: the number of needs for action each "
                             "measure answers is in the tables of the action fields. Every need with its source, "
                             "measure by measure, is in the Word and JSON exports of the same version.")))
        order = [c.code for c in self.r.fields if c.code in rows] + sorted(k for k in rows if k not in self.fields)
        self.add(Table(
            _("Needs for action answered by the measures, per action field"),
            (_("Action field"), _("Measures"), _("Measures with a need"), _("Needs answered"),
             _("of them from workshops"), _("of them from the citizen survey")),
            tuple((self.field_name(code) if code else "–", *(f.count(v if isinstance(v, int) else len(v))
                                                             for v in rows[code])) for code in order),
            numeric=(False, True, True, True, True, True)))

    def prioritisation_method(self) -> None:
        run = self.r.priority_run
        self.heading(2, _("Prioritisation method"), "annex-prioritisation")
        if run is None:
            self.missing(_("No prioritisation has been frozen yet."))
            return
        self.add(Paragraph(_("Priorities follow the prioritisation run “%(name)s” of %(date)s.", name=run.name,
                             date=self.f.date(run.frozen_at.date() if run.frozen_at else None))))
        formula = self.formula()
        if formula:
            self.add(Paragraph(formula))
        if run.weights:
            total = sum(w for _k, w in run.weights) or 1.0
            names = {"citizen": _("Citizens"), "impact": _("Impact"), "feasibility": _("Feasibility"),
                     "cost": _("Cost"), "urgency": _("Urgency")}
            self.add(Table(_("Criteria and their weights"), (_("Criterion"), _("Weight")),
                           tuple((names.get(k, k), self.f.percent(w / total)) for k, w in run.weights),
                           numeric=(False, True)))

    def annex(self) -> None:
        r, f = self.r, self.f
        self.heading(1, _("Annex"), "annex")
        self.heading(2, _("Workshop documentation"), "annex-workshops")
        if not r.annex.workshops:
            self.missing(_("No workshop has been held yet."))
        if self.condensed:
            self.add(Table(_("Findings per workshop"), (_("Workshop"), _("Date"), _("Findings")),
                           tuple((w.title, f.date(w.day), f.count(w.finding_count)) for w in r.annex.workshops),
                           numeric=(False, False, True)))
        else:
            for index, w in enumerate(r.annex.workshops, start=1):
                self.heading(3, f"{w.title} ({f.date(w.day)})", f"annex-workshop-{index}")
                if not w.blocks:
                    self.add(Paragraph(_("No findings were recorded in this workshop.")))
                for b in w.blocks:
                    self.add(BulletList(tuple(f"{i.number} {labels.finding_kind(i.kind)}: {i.text}"
                                              for i in b.findings), title=b.title or _("Without agenda block")))
        self.heading(2, _("Participating organisations"), "annex-organisations")
        if r.annex.organisations:
            self.add(Table(_("Organisations and the people who agreed to be named"),
                           (_("Organisation"), _("Sector"), _("People")),
                           tuple((o.name, labels.sector(o.sector), ", ".join(o.people) or "–")
                                 for o in r.annex.organisations)))
        else:
            self.missing(_("No organisation has taken part yet."))
        self.heading(2, _("Sources of the measures"), "annex-sources")
        if not r.annex.sources:
            self.missing(_("No measure has been accepted yet."))
        elif self.condensed:
            self.sources_counted()
        for s in () if self.condensed else r.annex.sources:
            items = tuple(f"{n.number} {n.text} – {self.source(n.source)}" for n in s.needs)
            self.add(BulletList(items or (_("No need for action is linked to this measure."),),
                                title=f"{s.number} {s.title}"))
        self.prioritisation_method()
