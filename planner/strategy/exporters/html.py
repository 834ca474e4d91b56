"""HTML: one self-contained, accessible file (CSS inlined, charts as inline SVG with data tables)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import BinaryIO

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from flask_babel import force_locale, get_translations, gettext
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from planner.core.text import render_markdown
from planner.strategy import charts, labels
from planner.strategy.readiness import group_issues
from planner.strategy.rollup import Rollup, dependency_matrix, top_measures

ROOT = Path(__file__).resolve().parents[3]
CSS_FILE = ROOT / "planner" / "static" / "css" / "paper.css"

READINESS_SUBJECTS = 20
# Above either limit the PDF and the in-app views show the condensed paper: a city's paper (hundreds of measures,
# a few thousand findings) is shown in full; a metropolis's would be thousands of pages.
CONDENSE_LIMIT_MEASURES = 400
CONDENSE_LIMIT_FINDINGS = 10_000  # the field chapters plus the workshop annex
SWOT_KINDS = ("strength", "weakness", "opportunity", "risk")

_env: Environment | None = None


def environment() -> Environment:
    global _env
    if _env is None:
        env = Environment(
            loader=FileSystemLoader(str(ROOT / "templates")),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=False,
        )
        # As Flask-Babel does for the app: raw catalogue lookups, Jinja's newstyle gettext formats.
        env.install_gettext_callables(
            lambda s: get_translations().ugettext(s),
            lambda s, p, n: get_translations().ungettext(s, p, n),
            newstyle=True,
        )
        _env = env
    return _env


class PaperHelpers:
    """What the paper templates need besides the roll-up: labels, formatting and charts, all pure."""

    def __init__(self, rollup: Rollup, *, condensed: bool = False):
        self.rollup = rollup
        self.condensed = condensed
        self.locale = rollup.locale
        self.labels = labels
        self._fields = {f.code: f for f in rollup.fields}
        self._sources: dict = {}

    def md(self, text: str) -> Markup:
        return render_markdown(text)

    def date(self, value, fmt: str = "long") -> str:
        return format_date(value, format=fmt, locale=self.locale) if value else "–"

    def datetime(self, value, fmt: str = "medium") -> str:
        return format_datetime(value, format=fmt, locale=self.locale, tzinfo="Europe/Berlin") if value else "–"

    def num(self, value, fmt: str = "#,##0.##") -> str:
        return format_decimal(value, format=fmt, locale=self.locale) if value is not None else "–"

    def value(self, value: float, unit: str) -> str:
        return charts.format_value(value, unit, self.locale)

    def field_name(self, code: str) -> str:
        chapter = self._fields.get(code)
        return labels.field_name(chapter, self.locale) if chapter else code

    def field_description(self, chapter) -> str:
        if self.locale.startswith("en") and chapter.description_en:
            return chapter.description_en
        return chapter.description_de

    def section_title(self, section) -> str:
        return labels.section_title(section.key, section.title)

    def years(self, start, end) -> str:
        if start and end:
            return f"{start}–{end}"
        return str(start or end or "–")

    def svg(self, chart, chart_id: str) -> Markup:
        return Markup(charts.svg_bar_chart(chart, chart_id, self.locale))  # noqa: S704  # nosec B704 - values escaped inside

    def timeline(self) -> Markup:
        return Markup(charts.svg_timeline(self.rollup))  # noqa: S704  # nosec B704 - values escaped inside

    def participation_charts(self):
        return charts.participation_charts(self.rollup)

    def matrix(self):
        return dependency_matrix(self.rollup)

    def top(self, chapter):
        return top_measures(chapter)

    def readiness(self, limit: int = READINESS_SUBJECTS):
        """(label, subjects) per kind of gap; long lists end after ``limit`` subjects with "and N more"."""
        result = []
        titles = {s.key: s.title for s in self.rollup.sections}
        for kind, subjects in group_issues(self.rollup.readiness):
            subjects = labels.readiness_subjects(kind, subjects, titles)
            if len(subjects) > limit:
                subjects = [*subjects[:limit], gettext("and %(num)s more", num=len(subjects) - limit)]
            result.append((labels.readiness(kind), subjects))
        return result

    def finding_counts(self, chapter) -> list[tuple[str, int]]:
        """(label, number) of the status-quo kinds and the needs of a field: the condensed print edition's lists."""
        counts = Counter(item.kind for item in chapter.status_quo)
        rows = [(labels.swot_heading(kind), counts[kind]) for kind in SWOT_KINDS if counts[kind]]
        rows.append((gettext("Needs for action"), len(chapter.needs)))
        return rows

    def other_sections(self):
        return [s for s in self.rollup.sections if s.key not in ("foreword", "vision", "starting_point_intro")]

    def source(self, source) -> str:
        """Where a need came from, in words (cached: thousands of needs share a few workshop blocks)."""
        text = self._sources.get(source)
        if text is None:
            text = self._sources[source] = self._source(source)
        return text

    def _source(self, source) -> str:
        if source.kind == "survey":
            return gettext("Citizen survey, comment %(id)s", id=source.survey_comment_id)
        if source.kind == "workshop":
            text = gettext("Workshop “%(title)s” on %(day)s", title=source.workshop_title,
                           day=self.date(source.workshop_day))
            if source.agenda_block:
                text += gettext(", agenda block “%(block)s”", block=source.agenda_block)
            return text
        return gettext("Source not recorded")


def is_condensed(rollup: Rollup) -> bool:
    """Whether this paper is shown condensed in the PDF and in the app (never the short version)."""
    if rollup.short:
        return False
    shown_findings = rollup.finding_count() + sum(w.finding_count for w in rollup.annex.workshops)
    return len(rollup.measures()) > CONDENSE_LIMIT_MEASURES or shown_findings > CONDENSE_LIMIT_FINDINGS


def paper_context(rollup: Rollup, *, offset: int = 0, standalone: bool = True, condensed: bool = False) -> dict:
    """Template variables for templates/exports/_body.html (also used by the in-app version view).

    ``condensed``: a very large paper (``is_condensed``) lists the measures in tables and counts the findings
    instead of showing every fact sheet and finding: the PDF's print edition and the in-app views.
    """
    return {
        "paper": rollup,
        "p": PaperHelpers(rollup, condensed=condensed),
        "condensed": condensed,
        "h": [f"h{min(6, level + offset)}" for level in range(0, 7)],
        "standalone": standalone,
        "zip": zip,
    }


def render(rollup: Rollup, *, condensed: bool = False) -> str:
    with force_locale(rollup.locale):
        template = environment().get_template("exports/paper.html")
        return template.render(css=Markup(CSS_FILE.read_text(encoding="utf-8")),  # noqa: S704  # nosec B704 - our own CSS file
                               **paper_context(rollup, condensed=condensed))


def export(rollup: Rollup, output: BinaryIO) -> None:
    output.write(render(rollup).encode("utf-8"))
