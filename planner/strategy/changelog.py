"""The changes between two versions of the paper ("Änderungen zwischen Versionen"; not the audit log, which is
the "Änderungsprotokoll" of planner.privacy): what changed in the data, not only in the
text, as outline blocks, so the paper's writers render it (HTML page, Markdown, DOCX, PDF).

``compare(old, new)`` takes two roll-ups and returns the changes as data (codes, numbers, user text);
``build_changelog(changes, old, new, language)`` turns them into an ``Outline`` in the paper's language with
Babel's formats, the way ``planner.strategy.outline`` does for the paper itself.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from flask_babel import force_locale, pgettext
from flask_babel import gettext as _

from planner.strategy import labels
from planner.strategy.outline import LANGUAGES, BulletList, Formatter, Heading, Outline, Paragraph, Table
from planner.strategy.rollup import MeasureSheet, Rollup

TEXT_LIMIT = 300  # a long text (description, goal) is shown up to this many characters before and after
MEASURE_ATTRIBUTES = tuple(
    f.name for f in dataclasses.fields(MeasureSheet)
    if f.name not in ("id", "number", "score", "rank", "milestone", "citizen_score", "expert_score", "coverage"))
FIGURES = ("workshops", "participants", "attended", "organisations", "findings", "needs", "measures", "responses")
CRITERIA = ("citizen", "impact", "feasibility", "cost", "urgency")


# --- the changes as data --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AttributeChange:
    name: str  # a MeasureSheet field
    old: object
    new: object


@dataclass(frozen=True)
class MeasureChange:
    number: str
    title: str
    changes: tuple[AttributeChange, ...]


@dataclass(frozen=True)
class MeasureRef:
    number: str
    title: str
    field_code: str


@dataclass(frozen=True)
class RankChange:
    number: str
    title: str
    old: int | None
    new: int | None


@dataclass(frozen=True)
class FigureChange:
    key: str  # one of FIGURES
    old: int
    new: int


@dataclass(frozen=True)
class WeightChange:
    criterion: str
    old: float | None  # share of all weights, 0..1; None: the run did not have it
    new: float | None


@dataclass(frozen=True)
class RunChange:
    old_name: str | None  # None: no run was frozen in that version
    old_day: date | None
    new_name: str | None
    new_day: date | None
    weights: tuple[WeightChange, ...]


@dataclass(frozen=True)
class SurveyChange:
    title: str
    kind: str  # added | removed | changed
    old_participants: int | None
    new_participants: int | None
    old_comments: int | None
    new_comments: int | None


@dataclass(frozen=True)
class GoalChange:
    field_code: str
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class TextChange:
    key: str
    title: str
    lines: tuple[tuple[str, str], ...]  # ("+" | "-", text): the lines added and removed


@dataclass(frozen=True)
class Changes:
    old_version: int | None
    new_version: int | None  # None: the current draft
    figures: tuple[FigureChange, ...] = ()
    added: tuple[MeasureRef, ...] = ()
    removed: tuple[MeasureRef, ...] = ()
    changed: tuple[MeasureChange, ...] = ()
    ranks: tuple[RankChange, ...] = ()
    run: RunChange | None = None
    surveys: tuple[SurveyChange, ...] = ()
    goals: tuple[GoalChange, ...] = ()
    sections: tuple[TextChange, ...] = ()
    consultation: tuple = ()  # planner.strategy.rollup.ConsultationComment: new in the newer version

    @property
    def is_empty(self) -> bool:
        return not any((self.figures, self.added, self.removed, self.changed, self.ranks, self.run, self.surveys,
                        self.goals, self.sections, self.consultation))


def key_figures(rollup: Rollup) -> dict[str, int]:
    sp = rollup.starting_point
    return {
        "workshops": len(sp.workshops),
        "participants": sp.participants_total,
        "attended": sp.attended_total,
        "organisations": sp.organisations_total,
        "findings": sum(len(f.status_quo) for f in rollup.fields),
        "needs": sum(len(f.needs) for f in rollup.fields),
        "measures": len(rollup.measures()),
        "responses": sum(s.participants for s in sp.surveys),
    }


def _shares(run) -> dict[str, float]:
    if run is None or not run.weights:
        return {}
    total = sum(w for _k, w in run.weights) or 1.0
    return {k: w / total for k, w in run.weights}


def _run_change(old, new) -> RunChange | None:
    old_shares, new_shares = _shares(old), _shares(new)
    same_run = (old.run_id if old else None) == (new.run_id if new else None)
    weights = tuple(
        WeightChange(k, old_shares.get(k), new_shares.get(k))
        for k in dict.fromkeys([*CRITERIA, *old_shares, *new_shares])
        if round(old_shares.get(k, -1), 6) != round(new_shares.get(k, -1), 6))
    if same_run and not weights:
        return None

    def day(run):
        return run.frozen_at.date() if run and run.frozen_at else None

    return RunChange(old.name if old else None, day(old), new.name if new else None, day(new), weights)


def _goals(chapter) -> tuple[str, ...]:
    """The measurable goals of a field chapter, when the roll-up carries them (as texts)."""
    return tuple(str(getattr(g, "text", g)) for g in (getattr(chapter, "goals", None) or ()))


def _consultation(rollup: Rollup) -> tuple:
    participation = getattr(rollup, "participation", None)
    return tuple(participation.comments) if participation else ()


def compare(old: Rollup, new: Rollup) -> Changes:
    from planner.strategy.versions import diff_rollups

    old_figures, new_figures = key_figures(old), key_figures(new)
    figures = tuple(FigureChange(k, old_figures[k], new_figures[k]) for k in FIGURES
                    if old_figures[k] != new_figures[k])

    old_m = {m.number: m for m in old.measures()}
    new_m = {m.number: m for m in new.measures()}
    added = tuple(MeasureRef(n, new_m[n].title, new_m[n].field_code) for n in sorted(new_m.keys() - old_m.keys()))
    removed = tuple(MeasureRef(n, old_m[n].title, old_m[n].field_code) for n in sorted(old_m.keys() - new_m.keys()))
    changed, ranks = [], []
    for number in sorted(old_m.keys() & new_m.keys()):
        a, b = old_m[number], new_m[number]
        attrs = tuple(AttributeChange(n, getattr(a, n), getattr(b, n)) for n in MEASURE_ATTRIBUTES
                      if getattr(a, n) != getattr(b, n))
        if attrs:
            changed.append(MeasureChange(number, b.title, attrs))
        if a.rank != b.rank:
            ranks.append(RankChange(number, b.title, a.rank, b.rank))
    ranks.sort(key=lambda r: (r.new if r.new is not None else 10**6, r.number))

    old_s = {s.survey_id: s for s in old.starting_point.surveys}
    new_s = {s.survey_id: s for s in new.starting_point.surveys}
    surveys = []
    for key in dict.fromkeys([*old_s, *new_s]):
        a, b = old_s.get(key), new_s.get(key)
        if a and b and (a.participants, a.comments) == (b.participants, b.comments):
            continue
        kind = "changed" if a and b else ("added" if b else "removed")
        surveys.append(SurveyChange((b or a).title, kind, a.participants if a else None,
                                    b.participants if b else None, a.comments if a else None,
                                    b.comments if b else None))

    goals = []
    old_f = {f.code: f for f in old.fields}
    for chapter in new.fields:
        before, after = _goals(old_f.get(chapter.code)), _goals(chapter)
        if before != after:
            goals.append(GoalChange(chapter.code, tuple(g for g in after if g not in before),
                                    tuple(g for g in before if g not in after)))

    sections = tuple(TextChange(s.key, s.title, tuple(line for line in s.lines if line[0] in "+-"))
                     for s in diff_rollups(old, new).sections)
    seen = {c.id for c in _consultation(old)}
    consultation = tuple(c for c in _consultation(new) if c.id not in seen)
    return Changes(old.version, new.version, figures, added, removed, tuple(changed), tuple(ranks),
                   _run_change(old.priority_run, new.priority_run), tuple(surveys), tuple(goals), sections,
                   consultation)


# --- the changes as outline blocks ------------------------------------------------------------------------------

def build_changelog(changes: Changes, old: Rollup, new: Rollup, language: str = "de") -> Outline:
    language = language if language in LANGUAGES else "de"
    with force_locale(language):
        return _Builder(changes, old, new, language).build()


class _Builder:
    def __init__(self, changes: Changes, old: Rollup, new: Rollup, language: str):
        self.c = changes
        self.old, self.new = old, new
        self.language = language
        self.f = Formatter(language)
        self.blocks: list = []
        self.chapters = {c.code: c for c in (*old.fields, *new.fields)}

    def add(self, *blocks) -> None:
        self.blocks.extend(blocks)

    def version(self, number: int | None) -> str:
        return _("Version %(number)s", number=number) if number else _("Current draft")

    def field_name(self, code: str) -> str:
        chapter = self.chapters.get(code)
        return labels.field_name(chapter, self.language) if chapter else (code or "–")

    def signed(self, delta: int) -> str:
        return ("+" if delta > 0 else "−" if delta < 0 else "±") + self.f.count(abs(delta))

    def build(self) -> Outline:
        c = self.c
        old_label, new_label = self.version(c.old_version), self.version(c.new_version)
        title = _("Changes between versions")
        subtitle = _("From %(old)s to %(new)s", old=old_label, new=new_label)
        if c.is_empty:
            self.add(Paragraph(_("Nothing has changed.")))
        else:
            self.figures(old_label, new_label)
            self.measures(old_label, new_label)
            self.ranking(old_label, new_label)
            self.surveys(old_label, new_label)
            self.goals()
            self.sections()
            self.consultation()
        return Outline.from_blocks(
            language=self.language, edition="long", condensed=False, city=self.new.process.city, title=title,
            subtitle=subtitle, version_label=new_label, blocks=self.blocks, target_year=self.new.process.target_year,
            version=c.new_version,
        )

    def figures(self, old_label: str, new_label: str) -> None:
        if not self.c.figures:
            return
        names = {
            "workshops": _("Workshops held"), "participants": _("Participating experts"),
            "attended": _("Attendances"), "organisations": _("Organisations"),
            "findings": _("Status-quo findings"), "needs": _("Needs for action"), "measures": _("Accepted measures"),
            "responses": _("Survey responses"),
        }
        self.add(Heading(1, _("Key figures"), "changes-figures"),
                 Table(_("Key figures that changed"),
                       (_("Key figure"), old_label, new_label, pgettext("difference", "Change")),
                       tuple((names.get(x.key, x.key), self.f.count(x.old), self.f.count(x.new),
                              self.signed(x.new - x.old)) for x in self.c.figures),
                       numeric=(False, True, True, True)))

    def measures(self, old_label: str, new_label: str) -> None:
        c = self.c
        if not (c.added or c.removed or c.changed):
            return
        self.add(Heading(1, _("Measures"), "changes-measures"))
        for refs, heading, anchor in ((c.added, _("Measures added"), "changes-added"),
                                      (c.removed, _("Measures removed"), "changes-removed")):
            if refs:
                self.add(Heading(2, heading, anchor),
                         Table(heading, (_("Number"), _("Measure"), _("Action field")),
                               tuple((m.number, m.title, self.field_name(m.field_code)) for m in refs)))
        if c.changed:
            self.add(Heading(2, _("Measures changed"), "changes-changed"))
            for index, m in enumerate(c.changed, start=1):
                self.add(Heading(3, f"{m.number} {m.title}", f"changes-measure-{index}"),
                         Table(_("What changed in measure %(number)s", number=m.number),
                               (_("Item"), old_label, new_label),
                               tuple((labels.measure_attribute(a.name), self.value(a.name, a.old),
                                      self.value(a.name, a.new)) for a in m.changes)))

    def value(self, name: str, value) -> str:
        f = self.f
        if value is None or value == "" or value == ():
            return "–"
        if name == "cost_estimate":
            return f.money(value)
        if name == "priority":
            return labels.priority(value)
        if name == "funding":
            return labels.funding(value)
        if name == "bitkom_area":
            return labels.index_area(value)
        if name == "field_code":
            return self.field_name(value)
        if name in ("start_year", "end_year"):
            return str(value)
        if name == "kpis":
            return "; ".join(
                f"{k.indicator}: {f.number(k.baseline)} → {f.number(k.target_value)}"
                + (f" {k.unit}" if k.unit else "") + (f" ({k.target_year})" if k.target_year else "")
                for k in value)
        if isinstance(value, tuple):
            return ", ".join(str(v) for v in value)
        text = str(value)
        return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT].rstrip() + " …"

    def rank(self, value: int | None) -> str:
        return self.f.count(value) if value is not None else "–"

    def ranking(self, old_label: str, new_label: str) -> None:
        c = self.c
        if not (c.ranks or c.run):
            return
        self.add(Heading(1, _("Prioritisation"), "changes-priorities"))
        if c.run:
            run = c.run

            def describe(name, day):
                if name is None:
                    return _("no prioritisation run")
                return _("the run “%(name)s” of %(date)s", name=name, date=self.f.date(day))

            self.add(Paragraph(_("%(old)s: %(before)s. %(new)s: %(after)s.", old=old_label,
                                 before=describe(run.old_name, run.old_day), new=new_label,
                                 after=describe(run.new_name, run.new_day))))
            if run.weights:
                names = {"citizen": _("Citizens"), "impact": _("Impact"), "feasibility": _("Feasibility"),
                         "cost": _("Cost"), "urgency": _("Urgency")}
                self.add(Table(_("Weights of the criteria that changed"), (_("Criterion"), old_label, new_label),
                               tuple((names.get(w.criterion, w.criterion), self.f.percent(w.old),
                                      self.f.percent(w.new)) for w in run.weights),
                               numeric=(False, True, True)))
        if c.ranks:
            self.add(Table(_("Rank changes of the measures"),
                           (_("Number"), _("Measure"), old_label, new_label),
                           tuple((r.number, r.title, self.rank(r.old), self.rank(r.new)) for r in c.ranks),
                           numeric=(False, False, True, True)))

    def surveys(self, old_label: str, new_label: str) -> None:
        if not self.c.surveys:
            return
        kinds = {"added": _("counted from now on"), "removed": _("no longer counted"), "changed": _("changed")}
        count = self.f.count
        self.add(Heading(1, _("Surveys"), "changes-surveys"),
                 Table(_("Surveys counted in the paper"),
                       (_("Survey"), pgettext("difference", "Change"), _("Responses (%(version)s)", version=old_label),
                        _("Responses (%(version)s)", version=new_label),
                        _("Comments (%(version)s)", version=old_label),
                        _("Comments (%(version)s)", version=new_label)),
                       tuple((s.title, kinds[s.kind],
                              count(s.old_participants) if s.old_participants is not None else "–",
                              count(s.new_participants) if s.new_participants is not None else "–",
                              count(s.old_comments) if s.old_comments is not None else "–",
                              count(s.new_comments) if s.new_comments is not None else "–") for s in self.c.surveys),
                       numeric=(False, False, True, True, True, True)))

    def goals(self) -> None:
        if not self.c.goals:
            return
        self.add(Heading(1, _("Goals"), "changes-goals"))
        for g in self.c.goals:
            items = tuple([_("Added: %(text)s", text=t) for t in g.added]
                          + [_("Removed: %(text)s", text=t) for t in g.removed])
            self.add(BulletList(items, title=self.field_name(g.field_code)))

    def sections(self) -> None:
        if not self.c.sections:
            return
        self.add(Heading(1, _("Text of the sections"), "changes-sections"))
        for s in self.c.sections:
            title = labels.section_title(s.key, s.title if self.language == "de" or
                                         s.key not in labels.DEFAULT_SECTIONS else "")
            items = tuple(_("Added: %(text)s", text=text) if op == "+" else _("Removed: %(text)s", text=text)
                          for op, text in s.lines if text.strip())
            self.add(BulletList(items or (_("Only the title or the layout of the text changed."),), title=title))

    def consultation(self) -> None:
        if not self.c.consultation:
            return
        self.add(Heading(1, _("Public consultation"), "changes-consultation"),
                 Paragraph(_("Comments from the public consultation and the team's answers:")))
        for comment in self.c.consultation:
            items = [comment.text]
            if comment.answer:
                items.append(_("Answer: %(text)s", text=comment.answer))
            self.add(BulletList(tuple(items), title=_("On version %(number)s, paragraph %(paragraph)s",
                                                      number=comment.version, paragraph=comment.paragraph)))


# --- files ----------------------------------------------------------------------------------------------------

def changelog_filename(changes: Changes, code: str, language: str) -> str:
    from planner.strategy.exporters import FORMATS

    if language == "en":
        new = f"v{changes.new_version}" if changes.new_version else "draft"
        return f"Changes-between-versions-v{changes.old_version}-{new}.{FORMATS[code].extension}"
    new = f"v{changes.new_version}" if changes.new_version else "Entwurf"
    return f"Aenderungen-zwischen-Versionen-v{changes.old_version}-{new}.{FORMATS[code].extension}"


def write_changelog(outline: Outline, code: str, output: BinaryIO) -> None:
    """The changes between versions in a format of the paper's writers (md, docx, pdf, html); KeyError for any other."""
    from planner.strategy.exporters import writer

    if code not in ("md", "docx", "pdf", "html"):
        raise KeyError(code)
    if code == "docx":  # in the city's Word template, as the paper
        from planner.city.services import paper_template

        writer(code)(outline, output, template=paper_template())
        return
    writer(code)(outline, output)


def compare_versions(old_number: int, new_number: int | None) -> tuple[Changes, Rollup, Rollup]:
    """Between two frozen versions; ``new_number`` None compares with the current draft (UnknownVersion when a
    number does not exist)."""
    from planner.strategy.rollup import build_rollup
    from planner.strategy.versions import get_version, version_rollup

    old = version_rollup(get_version(old_number))
    new = version_rollup(get_version(new_number)) if new_number else build_rollup()
    return compare(old, new), old, new
