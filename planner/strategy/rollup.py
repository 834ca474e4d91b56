"""The whole concept paper as immutable data: the facts of each domain package, composed.

The roll-up holds codes, numbers, ids, dates and user text (both languages' field names), never a translated
label or a formatted figure: ``planner.strategy.outline`` turns it into the paper in either language, so a
frozen version reads the same whoever froze or exports it. The rules of what belongs in the paper live with
the data (``planner.findings.facts``: no hidden findings; ``planner.workshops.facts``: held workshops only;
``planner.surveys.facts``: numbers, not sentences); this module only composes them.

``rollup_to_json`` / ``rollup_from_json`` make the stored form of a frozen version. The stored form carries
``schema``; ``rollup_from_json`` upgrades an older one step by step (``UPGRADES``), so a version frozen with an
earlier release still opens, exports and can be redacted.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select

from planner.core import identity
from planner.core.collector import collector_paused
from planner.core.timeutil import local_today
from planner.extensions import db
from planner.fields.models import ActionField, StrategyProcess, in_process
from planner.findings.facts import finding_facts
from planner.strategy.goals import goal_facts
from planner.strategy.labels import DEFAULT_SECTIONS
from planner.strategy.models import PaperSection, ReviewComment
from planner.strategy.readiness import check_readiness
from planner.surveys import facts as survey_facts
from planner.workshops.facts import ParticipantCount, workshop_facts

SCHEMA = 4
PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}


# --- the data ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Chart:
    """A survey question's result as numbers (planner.surveys.facts.SurveyChart)."""

    kind: str  # choice | rating (values: shares 0..1) · ranking (average ranks) · field_ratings (means; categories
    #            are field codes) · percent | mean | count (upgraded from schema 1: values as stored)
    question: str  # the survey's text; schema 1: the stored chart title
    base: int  # respondents who answered (0: unknown)
    categories: tuple[str, ...]
    values: tuple[float, ...]
    scale: int | None = None
    mean: float | None = None


@dataclass(frozen=True)
class KeyFigure:
    """A survey's headline result (planner.surveys.facts.KeyFigure)."""

    label: str
    kind: str  # share | mean | text (upgraded from schema 1: ``text`` is the value as it was stored)
    count: int = 0
    base: int = 0
    mean: float | None = None
    scale: int | None = None
    text: str = ""

    @property
    def share(self) -> float | None:
        return self.count / self.base if self.kind == "share" and self.base else None


@dataclass(frozen=True)
class ProcessInfo:
    city: str
    title: str
    vision: str
    target_year: int
    milestone_years: tuple[int, ...]


@dataclass(frozen=True)
class Section:
    key: str
    title: str  # empty: the default title in the paper's language
    body: str
    position: int


@dataclass(frozen=True)
class WorkshopSummary:
    id: int
    title: str
    day: date
    format: str
    status: str
    field_codes: tuple[str, ...]
    invited: int
    accepted: int
    attended: int


@dataclass(frozen=True)
class SurveySummary:
    survey_id: int
    title: str
    wave: str
    starts_on: date | None
    ends_on: date | None
    participants: int
    comments: int
    key_figures: tuple[KeyFigure, ...]
    charts: tuple[Chart, ...]


@dataclass(frozen=True)
class StartingPoint:
    workshops: tuple[WorkshopSummary, ...]
    participants_total: int
    attended_total: int
    organisations_total: int
    by_sector: tuple[ParticipantCount, ...]
    by_field: tuple[ParticipantCount, ...]
    surveys: tuple[SurveySummary, ...]


@dataclass(frozen=True)
class Source:
    kind: str  # workshop | survey | none
    workshop_title: str = ""
    workshop_day: date | None = None
    agenda_block: str = ""
    survey_comment_id: int | None = None
    excerpt: str = ""


@dataclass(frozen=True)
class StatusItem:
    number: str
    kind: str
    text: str


@dataclass(frozen=True)
class Need:
    id: int
    number: str
    text: str
    source: Source
    measure_numbers: tuple[str, ...]
    # The status-quo findings (strengths, weaknesses, opportunities, risks) the need answers, by number. Optional
    # with a default: versions stored before it load unchanged (no schema bump).
    answers: tuple[str, ...] = ()


@dataclass(frozen=True)
class KPI:
    indicator: str
    unit: str
    baseline: float | None
    target_value: float | None
    target_year: int | None


@dataclass(frozen=True)
class MeasureSheet:
    id: int
    number: str
    title: str
    field_code: str
    description: str
    goal: str
    expected_effect: str
    lead_unit: str
    partners: str
    funding: str  # code
    cost_estimate: float | None  # euros
    priority: str  # code
    start_year: int | None
    end_year: int | None
    milestone: int | None
    bitkom_area: str  # code of the Smart City Index area
    official_answer: str
    kpis: tuple[KPI, ...]
    need_numbers: tuple[str, ...]
    depends_on: tuple[str, ...]
    score: float | None  # the blended priority score of the frozen run, 0..1
    rank: int | None
    funding_note: str = ""
    citizen_score: float | None = None  # 0..1; None: no survey answer linked to the measure
    expert_score: float | None = None  # 0..1; None: not rated by the experts
    coverage: float | None = None  # share of the weights carried by the criteria the measure has


@dataclass(frozen=True)
class Goal:
    """A measurable goal of an action field (planner.strategy.goals): numbers as numbers, the unit as typed."""

    text: str
    indicator: str
    unit: str
    baseline: float | None
    target_value: float | None
    target_year: int | None


@dataclass(frozen=True)
class FieldPriorityInfo:
    score: float  # the blended score, 0..1
    rank: int
    citizen_score: float | None
    expert_score: float | None
    coverage: float | None = None


@dataclass(frozen=True)
class FieldComments:
    """What citizens wrote about the field (coded survey comments): optional, older versions have none."""

    comments: int
    topics: tuple[tuple[str, int], ...] = ()  # sub-code label, comments
    quotes: tuple[str, ...] = ()  # anonymous, shortened with an ellipsis


@dataclass(frozen=True)
class FieldChapter:
    code: str
    name_de: str
    name_en: str
    description_de: str
    description_en: str
    colour: str
    workshops_held: tuple[str, ...]
    status_quo: tuple[StatusItem, ...]
    needs: tuple[Need, ...]
    measures: tuple[MeasureSheet, ...]
    priority: FieldPriorityInfo | None
    vision: str = ""  # schema 4: the Zielbild 2040 the strategy team wrote for the field
    goals: tuple[Goal, ...] = ()  # schema 4: its measurable goals
    citizen_comments: FieldComments | None = None


@dataclass(frozen=True)
class OverviewRow:
    rank: int
    number: str
    title: str
    field_code: str
    priority: str
    score: float | None
    start_year: int | None
    end_year: int | None


@dataclass(frozen=True)
class RoadmapEntry:
    number: str
    title: str
    field_code: str
    start_year: int | None
    end_year: int | None


@dataclass(frozen=True)
class RoadmapStage:
    year: int
    entries: tuple[RoadmapEntry, ...]


@dataclass(frozen=True)
class Dependency:
    from_number: str
    from_field: str
    to_number: str
    to_field: str


@dataclass(frozen=True)
class BlockDoc:
    title: str
    kind: str
    findings: tuple[StatusItem, ...]


@dataclass(frozen=True)
class WorkshopDoc:
    title: str
    day: date
    blocks: tuple[BlockDoc, ...]

    @property
    def finding_count(self) -> int:
        return sum(len(b.findings) for b in self.blocks)


@dataclass(frozen=True)
class OrganisationEntry:
    name: str
    sector: str
    people: tuple[str, ...]  # only people who consented to being named


@dataclass(frozen=True)
class MeasureSources:
    number: str
    title: str
    needs: tuple[Need, ...]


@dataclass(frozen=True)
class Annex:
    workshops: tuple[WorkshopDoc, ...]
    organisations: tuple[OrganisationEntry, ...]
    sources: tuple[MeasureSources, ...]


@dataclass(frozen=True)
class PriorityRun:
    run_id: int
    name: str
    frozen_at: datetime
    weights: tuple[tuple[str, float], ...] = ()  # criterion code → weight
    formula: str = ""  # schema 1 only: the formula as it was stored in words


@dataclass(frozen=True)
class ReadinessIssue:
    kind: str
    subject: str = ""


@dataclass(frozen=True)
class ConsultationFact:
    """A public consultation of a version (planner.strategy.consultation): its period and its comments counted."""

    version: int
    starts_on: date
    ends_on: date
    received: int  # confirmed comments
    published: int
    answered: int


@dataclass(frozen=True)
class PublicComment:
    """A published comment of a consultation with the team's answer (no name, no address)."""

    id: int
    version: int
    paragraph: int
    excerpt: str
    text: str
    answer: str


@dataclass(frozen=True)
class ParticipationReport:
    consultations: tuple[ConsultationFact, ...]
    comments: tuple[PublicComment, ...]  # the answered ones


@dataclass(frozen=True)
class Rollup:
    schema: int
    locale: str
    short: bool
    process: ProcessInfo
    sections: tuple[Section, ...]
    starting_point: StartingPoint
    fields: tuple[FieldChapter, ...]
    overview: tuple[OverviewRow, ...]
    roadmap: tuple[RoadmapStage, ...]
    unscheduled: tuple[RoadmapEntry, ...]
    dependencies: tuple[Dependency, ...]
    annex: Annex
    priority_run: PriorityRun | None
    readiness: tuple[ReadinessIssue, ...] = field(default=())
    version: int | None = None
    issued_on: date | None = None  # schema 4: the day the draft was built or the version frozen (the cover's date)
    participation: ParticipationReport | None = None  # public consultations; optional (None before them)
    adopted_on: date | None = None  # the council's adoption (set when a version is loaded; never part of a freeze)

    def field(self, code: str) -> FieldChapter | None:
        return next((f for f in self.fields if f.code == code), None)

    def measures(self) -> tuple[MeasureSheet, ...]:
        return tuple(m for f in self.fields for m in f.measures)

    def finding_count(self) -> int:
        """Status-quo findings and needs for action in the field chapters."""
        return sum(len(f.status_quo) + len(f.needs) for f in self.fields)

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


# --- pure helpers ---------------------------------------------------------------------------------------------

def milestone_for(start_year: int | None, end_year: int | None, milestones: tuple[int, ...]) -> int | None:
    """The first milestone year at or after the measure's end (or start) year; the last one beyond it."""
    year = end_year or start_year
    if year is None or not milestones:
        return None
    for milestone in sorted(milestones):
        if milestone >= year:
            return milestone
    return max(milestones)


def dependency_matrix(rollup: Rollup) -> tuple[tuple[str, ...], tuple[tuple[int, ...], ...]]:
    """Field codes and, for each pair (row depends on column), how many measure dependencies link them."""
    codes = tuple(f.code for f in rollup.fields)
    counts = Counter((d.from_field, d.to_field) for d in rollup.dependencies)
    return codes, tuple(tuple(counts.get((a, b), 0) for b in codes) for a in codes)


def top_measures(chapter: FieldChapter, n: int = 3) -> tuple[MeasureSheet, ...]:
    return tuple(sorted(chapter.measures, key=_measure_order)[:n])


def _measure_order(m: MeasureSheet):
    return (m.rank if m.rank is not None else 10**6, PRIORITY_ORDER.get(m.priority, 9), m.number)


# --- JSON -----------------------------------------------------------------------------------------------------

def _jsonable(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not serialisable: {type(value).__name__}")


def rollup_to_json(rollup: Rollup) -> str:
    """Stable key order (the dataclass fields'), ISO dates: the same data gives the same bytes."""
    return json.dumps(dataclasses.asdict(rollup), ensure_ascii=False, indent=2, default=_jsonable) + "\n"


def _convert(tp, value):
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(args[0], value)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v) for v in value)
        return tuple(_convert(a, v) for a, v in zip(args, value, strict=True))
    if dataclasses.is_dataclass(tp):
        return _from_dict(tp, value)
    if tp is datetime:
        return datetime.fromisoformat(value)
    if tp is date:
        return date.fromisoformat(value)
    if tp is float:
        return float(value)
    return value


_HINTS: dict[type, dict] = {}


def _from_dict(cls, data: dict):
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: _convert(hints[k], v) for k, v in data.items() if k in names})


def rollup_from_json(text: str | bytes) -> Rollup:
    """The stored form, upgraded step by step from its schema to ``SCHEMA``."""
    with collector_paused():  # a metropolis version is a 28 MB document of small objects, no garbage cycles
        return _from_dict(Rollup, upgrade(json.loads(text)))


def upgrade(data: dict) -> dict:
    schema = int(data.get("schema") or 1)
    if schema > SCHEMA:
        raise ValueError(f"stored paper schema {schema} is newer than this release's {SCHEMA}")
    while schema < SCHEMA:
        data = UPGRADES[schema](data)
        schema = data["schema"] = schema + 1
    return data


_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d{1,2})?$")  # str(Decimal) of a Numeric(…, 2) column
_GERMAN_NUMBER = re.compile(r"^-?\d{1,3}(\.\d{3})*(,\d+)?$|^-?\d+,\d+$")


def _parse_number(value) -> float | None:
    """A number as schema 1 stored it: ``650000.00``, ``11``, or typed by hand (``250.000 €``)."""
    if value is None or isinstance(value, int | float):
        return value
    text = str(value).replace("€", "").replace("\xa0", "").replace(" ", "").strip()
    if _PLAIN_NUMBER.match(text):
        return float(text)
    if _GERMAN_NUMBER.match(text):
        return float(text.replace(".", "").replace(",", "."))
    return None


def _upgrade_1_to_2(data: dict) -> dict:
    """Schema 1 stored some sentences and figures formatted in the freezer's language; schema 2 stores numbers.

    Formatted survey figures and chart titles cannot be turned back into numbers: they are kept as they were
    stored (kind ``text``, the chart's unit as its kind); money and KPI values become numbers."""
    for survey in data.get("starting_point", {}).get("surveys", []):
        survey["key_figures"] = [{"label": label, "kind": "text", "text": value}
                                 for label, value in survey.pop("headline", [])]
        charts = []
        for chart in survey.get("charts", []):
            charts.append({"kind": chart.get("unit") or "count", "question": chart.get("title", ""), "base": 0,
                           "categories": chart.get("categories", []), "values": chart.get("values", [])})
        survey["charts"] = charts
    for chapter in data.get("fields", []):
        for measure in chapter.get("measures", []):
            measure["cost_estimate"] = _parse_number(measure.get("cost_estimate") or None)
            measure.setdefault("funding_note", "")
            for kpi in measure.get("kpis", []):
                kpi["baseline"] = _parse_number(kpi.get("baseline") or None)
                kpi["target_value"] = _parse_number(kpi.get("target_value") or None)
    run = data.get("priority_run")
    if run:
        run.setdefault("weights", [])
    return data


def _upgrade_2_to_3(data: dict) -> dict:
    """Schema 3 carries, per measure and per field, the citizen score, the expert score and the coverage beside the
    blended score; a version frozen before had only the blended score (the parts stay unknown)."""
    for chapter in data.get("fields", []):
        for measure in chapter.get("measures", []):
            for key in ("citizen_score", "expert_score", "coverage"):
                measure.setdefault(key, None)
        if chapter.get("priority"):
            chapter["priority"].setdefault("coverage", None)
    return data


def _upgrade_3_to_4(data: dict) -> dict:
    """Schema 4 carries each field's Zielbild 2040 and measurable goals; a version frozen before had none."""
    for chapter in data.get("fields", []):
        chapter.setdefault("vision", "")
        chapter.setdefault("goals", [])
    return data


UPGRADES = {1: _upgrade_1_to_2, 2: _upgrade_2_to_3, 3: _upgrade_3_to_4}




# --- composing the facts --------------------------------------------------------------------------------------

def build_rollup(*, short: bool = False, locale: str = "de", open_comments: int | None = None) -> Rollup:
    """The paper's facts from every domain package, composed (a fixed number of queries, whatever the size)."""
    with collector_paused():  # tens of thousands of small frozen objects, no garbage cycles
        return _build_rollup(short=short, locale=locale, open_comments=open_comments)


def _build_rollup(*, short: bool, locale: str, open_comments: int | None) -> Rollup:
    process_row = StrategyProcess.current()
    process = _process(process_row)
    sections = _sections(process, process_row)
    fields = db.session.scalars(select(ActionField).order_by(ActionField.position, ActionField.id)).all()
    code_of = {f.id: f.code for f in fields}
    workshops = workshop_facts(tuple(code_of.values()), process=process_row)
    found = finding_facts(process=process_row)
    priority = survey_facts.priority_facts()
    comment_sources = survey_facts.need_sources() or {}
    field_goals = goal_facts(process_row, is_current=True)  # StrategyProcess.current(), as above
    survey_rows = survey_facts.survey_facts(process=process_row)
    surveys = tuple(_survey(s) for s in survey_rows)
    field_comments = (survey_facts.field_comment_facts(process=process_row, instance_path=_instance_path())
                      if any(s.coded_comments for s in survey_rows) else {})

    field_scores = {p.field_code: p for p in priority.fields} if priority else {}
    measure_scores = {p.measure_id: p for p in priority.measures} if priority else {}
    measure_number = {m.id: m.number or f"{code_of.get(m.field_id, '')}-M{m.id:02d}" for m in found.measures}
    measure_field = {m.id: code_of.get(m.field_id, "") for m in found.measures}
    finding_number = {f.id: f.number or f"{code_of.get(f.field_id, '')}-B{f.id:02d}" for f in found.findings}
    answered_by: dict[int, list[str]] = defaultdict(list)
    for m in found.measures:
        for need_id in m.need_ids:
            answered_by[need_id].append(measure_number[m.id])

    sources: dict[tuple, Source] = {}

    def source_of(finding) -> Source:
        if finding.id in comment_sources:
            comment_id, excerpt = comment_sources[finding.id]
            return Source(kind="survey", survey_comment_id=comment_id, excerpt=excerpt or "")
        key = (finding.workshop_id, finding.agenda_block_id)
        if key not in sources:
            held = workshops.workshop(finding.workshop_id)  # a planned or cancelled workshop is no source
            block = next((b.title for b in held.blocks if b.id == finding.agenda_block_id), "") if held else ""
            sources[key] = (Source(kind="workshop", workshop_title=held.title, workshop_day=held.day,
                                   agenda_block=block) if held else Source(kind="none"))
        return sources[key]

    swot_order = {"strength": 0, "weakness": 1, "opportunity": 2, "risk": 3}
    needs_by_id: dict[int, Need] = {}
    status_of: dict[int, list[StatusItem]] = defaultdict(list)
    needs_of: dict[int, list[Need]] = defaultdict(list)
    for f in found.findings:
        if f.is_need:
            need = needs_by_id[f.id] = Need(id=f.id, number=finding_number[f.id], text=f.text, source=source_of(f),
                                            measure_numbers=tuple(answered_by.get(f.id, ())),
                                            answers=tuple(finding_number[x] for x in f.answers
                                                          if x in finding_number))
            needs_of[f.field_id].append(need)
        else:
            status_of[f.field_id].append(StatusItem(number=finding_number[f.id], kind=f.kind, text=f.text))
    for items in status_of.values():
        items.sort(key=lambda s: (swot_order.get(s.kind, 9), s.number))

    dependencies = []
    sheets_of: dict[int, list[MeasureSheet]] = defaultdict(list)
    for m in found.measures:
        code = measure_field[m.id]
        for other in m.depends_on:
            dependencies.append(Dependency(measure_number[m.id], code, measure_number[other], measure_field[other]))
        score = measure_scores.get(m.id)
        sheets_of[m.field_id].append(MeasureSheet(
            id=m.id, number=measure_number[m.id], title=m.title, field_code=code, description=m.description,
            goal=m.goal, expected_effect=m.expected_effect, lead_unit=m.lead_unit, partners=m.partners,
            funding=m.funding, cost_estimate=m.cost_estimate, priority=m.priority, start_year=m.start_year,
            end_year=m.end_year, milestone=milestone_for(m.start_year, m.end_year, process.milestone_years),
            bitkom_area=m.index_area, official_answer=m.official_answer,
            kpis=tuple(KPI(k.indicator, k.unit, k.baseline, k.target_value, k.target_year) for k in m.kpis),
            need_numbers=tuple(needs_by_id[x].number for x in m.need_ids if x in needs_by_id),
            depends_on=tuple(measure_number[x] for x in m.depends_on),
            score=float(score.score) if score else None, rank=int(score.rank) if score else None,
            funding_note=m.funding_note,
            citizen_score=score.citizen_score if score else None, expert_score=score.expert_score if score else None,
            coverage=score.coverage if score else None,
        ))

    held_titles: dict[str, list[str]] = defaultdict(list)
    for w in workshops.workshops:
        for code in w.field_codes:
            held_titles[code].append(w.title)
    chapters = []
    for f in fields:
        fp = field_scores.get(f.code)
        goals = field_goals.get(f.id)
        chapters.append(FieldChapter(
            code=f.code, name_de=f.name_de, name_en=f.name_en, description_de=f.description_de or "",
            description_en=f.description_en or "", colour=f.colour or "#1d4e89",
            workshops_held=tuple(held_titles[f.code]), status_quo=tuple(status_of[f.id]),
            needs=tuple(needs_of[f.id]), measures=tuple(sorted(sheets_of[f.id], key=_measure_order)),
            priority=(FieldPriorityInfo(float(fp.score), int(fp.rank), fp.citizen_score, fp.expert_score,
                                        fp.coverage) if fp else None),
            vision=goals.vision if goals else "",
            goals=tuple(Goal(g.text, g.indicator, g.unit, g.baseline, g.target_value, g.target_year)
                        for g in goals.goals) if goals else (),
            citizen_comments=_field_comments(field_comments.get(f.code)),
        ))

    all_sheets = sorted((m for c in chapters for m in c.measures), key=_measure_order)
    overview = tuple(
        OverviewRow(rank=i, number=m.number, title=m.title, field_code=m.field_code, priority=m.priority,
                    score=m.score, start_year=m.start_year, end_year=m.end_year)
        for i, m in enumerate(all_sheets, start=1))
    roadmap, unscheduled = _roadmap(all_sheets, process.milestone_years)

    documented = []
    findings_by_ws: dict[int, list] = defaultdict(list)
    for f in found.findings:
        if f.workshop_id:
            findings_by_ws[f.workshop_id].append(f)
    for w in workshops.workshops:
        grouped: dict[int | None, list[StatusItem]] = defaultdict(list)
        for f in findings_by_ws[w.id]:
            grouped[f.agenda_block_id].append(StatusItem(number=finding_number[f.id], kind=f.kind, text=f.text))
        blocks = [BlockDoc(title=b.title, kind=b.kind, findings=tuple(grouped.pop(b.id))) for b in w.blocks
                  if grouped.get(b.id)]
        rest = [item for items in grouped.values() for item in items]
        if rest:
            blocks.append(BlockDoc(title="", kind="", findings=tuple(rest)))
        documented.append(WorkshopDoc(title=w.title, day=w.day, blocks=tuple(blocks)))

    needs_by_number = {n.number: n for n in needs_by_id.values()}
    rollup = Rollup(
        schema=SCHEMA, locale=locale, short=short, process=process, sections=sections,
        starting_point=StartingPoint(
            workshops=tuple(WorkshopSummary(w.id, w.title, w.day, w.format, w.status, w.field_codes, w.invited,
                                            w.accepted, w.attended) for w in workshops.workshops),
            participants_total=workshops.participants_total, attended_total=workshops.attended_total,
            organisations_total=workshops.organisations_total,
            by_sector=workshops.by_sector,  # the workshops package's own counts: one definition of the fact
            by_field=workshops.by_field,
            surveys=surveys,
        ),
        fields=tuple(chapters), overview=overview, roadmap=roadmap, unscheduled=unscheduled,
        dependencies=tuple(dependencies),
        annex=Annex(
            workshops=tuple(documented),
            organisations=tuple(OrganisationEntry(o.name, o.sector, o.people) for o in workshops.organisations),
            sources=tuple(MeasureSources(number=m.number, title=m.title, needs=tuple(
                needs_by_number[x] for x in m.need_numbers if x in needs_by_number)) for m in all_sheets),
        ),
        priority_run=(PriorityRun(run_id=priority.run_id, name=priority.name, frozen_at=priority.frozen_at,
                                  weights=priority.weights) if priority else None),
        issued_on=local_today(),
    )
    from planner.strategy.consultation import participation_facts

    rollup = dataclasses.replace(rollup, participation=participation_facts())
    if open_comments is None:
        open_comments = _count_open_comments()
    rollup = dataclasses.replace(
        rollup, readiness=check_readiness(rollup, open_comments=open_comments, has_process=process_row is not None))
    return shorten(rollup) if short else rollup


def _process(row) -> ProcessInfo:
    city = identity.settings().get("name") or (row.city_name if row is not None else identity.city_name())
    if row is None:
        return ProcessInfo(city=city, title="", vision="", target_year=2040, milestone_years=(2025, 2030, 2035, 2040))
    return ProcessInfo(city=city, title=row.title, vision=row.vision or "", target_year=row.target_year,
                       milestone_years=tuple(sorted(row.milestone_years or ())))


def _sections(process: ProcessInfo, process_row) -> tuple[Section, ...]:
    stored = {s.key: s for s in db.session.scalars(
        select(PaperSection).where(in_process(PaperSection.process_id, process_row, is_current=True)))}
    keys = list(DEFAULT_SECTIONS) + sorted(k for k in stored if k not in DEFAULT_SECTIONS)
    sections = []
    for index, key in enumerate(keys):
        row = stored.get(key)
        body = row.body if row else ""
        if key == "vision" and not (body or "").strip():
            body = process.vision
        sections.append(Section(key=key, title=row.title if row else "", body=body or "",
                                position=row.position if row and row.position else index))
    sections.sort(key=lambda s: (s.position, s.key))
    return tuple(sections)


def _instance_path() -> str | None:
    from flask import current_app, has_app_context

    return current_app.instance_path if has_app_context() else None


def _field_comments(facts) -> FieldComments | None:
    if facts is None:
        return None
    return FieldComments(comments=facts.comments, topics=facts.topics, quotes=facts.quotes)


def _survey(s) -> SurveySummary:
    return SurveySummary(
        survey_id=s.survey_id, title=s.title, wave=s.wave, starts_on=s.starts_on, ends_on=s.ends_on,
        participants=s.participants, comments=s.comments,
        key_figures=tuple(KeyFigure(k.label, k.kind, k.count, k.base, k.mean, k.scale) for k in s.key_figures),
        charts=tuple(Chart(c.kind, c.question, c.base, tuple(c.categories), tuple(float(v) for v in c.values),
                           c.scale, c.mean) for c in s.charts),
    )


def _roadmap(sheets, milestone_years) -> tuple[tuple[RoadmapStage, ...], tuple[RoadmapEntry, ...]]:
    by_milestone: dict[int | None, list[MeasureSheet]] = defaultdict(list)
    for m in sheets:
        by_milestone[m.milestone].append(m)
    stages = tuple(
        RoadmapStage(year=year, entries=tuple(
            RoadmapEntry(m.number, m.title, m.field_code, m.start_year, m.end_year)
            for m in sorted(by_milestone[year], key=lambda m: (m.start_year or 0, m.end_year or 0, m.number))))
        for year in milestone_years)
    unscheduled = tuple(RoadmapEntry(m.number, m.title, m.field_code, m.start_year, m.end_year)
                        for m in sheets if m.milestone is None)
    return stages, unscheduled


def shorten(rollup: Rollup) -> Rollup:
    """The Kurzfassung's facts: vision, fields with their top three measures, the roadmap; no annexes."""
    chapters = tuple(
        dataclasses.replace(c, status_quo=(), needs=(), measures=top_measures(c)) for c in rollup.fields
    )
    keep = {m.number for c in chapters for m in c.measures}
    return dataclasses.replace(
        rollup,
        short=True,
        sections=tuple(s for s in rollup.sections if s.key in ("foreword", "vision")),
        fields=chapters,
        overview=tuple(r for r in rollup.overview if r.number in keep),
        dependencies=(),
        annex=Annex(workshops=(), organisations=(), sources=()),
    )


def with_locale(rollup: Rollup, locale: str, short: bool = False) -> Rollup:
    result = dataclasses.replace(rollup, locale=locale)
    return shorten(result) if short and not result.short else result


def _count_open_comments() -> int:
    return db.session.scalar(select(func.count(ReviewComment.id)).where(ReviewComment.answer.is_(None))) or 0
