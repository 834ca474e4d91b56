"""The whole concept paper as immutable data, read from the database in a bounded number of queries.

Every exporter reads only a ``Rollup``, so HTML, Markdown, DOCX, PDF and JSON cannot disagree. The roll-up
stores codes and both languages' field names, never translated labels: a frozen version can be exported
in German and in English. ``rollup_to_json`` / ``rollup_from_json`` make the stored form of a version.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

SCHEMA = 1
PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}


# --- the data ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    unit: str  # percent | count | mean
    categories: tuple[str, ...]
    values: tuple[float, ...]


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
class ParticipantCount:
    key: str  # a sector code or a field code
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
    headline: tuple[tuple[str, str], ...]
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


@dataclass(frozen=True)
class KPI:
    indicator: str
    unit: str
    baseline: str
    target_value: str
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
    funding: str
    cost_estimate: str
    priority: str
    start_year: int | None
    end_year: int | None
    milestone: int | None
    bitkom_area: str
    official_answer: str
    kpis: tuple[KPI, ...]
    need_numbers: tuple[str, ...]
    depends_on: tuple[str, ...]
    score: float | None
    rank: int | None


@dataclass(frozen=True)
class FieldPriorityInfo:
    score: float
    rank: int
    citizen_score: float | None
    expert_score: float | None


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
    formula: str


@dataclass(frozen=True)
class ReadinessIssue:
    kind: str
    subject: str = ""


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
    return _from_dict(Rollup, json.loads(text))


# --- reading the database -------------------------------------------------------------------------------------

def _optional_facts():
    try:
        from planner.surveys import facts
    except ImportError:
        return None
    return facts


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "value"):
        return str(value.value)
    return str(value)


def _code(value) -> str:
    return _text(value)


def _finding_number(finding, field_code: str) -> str:
    number = getattr(finding, "number", None)
    return number or f"{field_code}-B{finding.id:02d}"


def _measure_number(measure, field_code: str) -> str:
    number = getattr(measure, "number", None)
    return number or f"{field_code}-M{measure.id:02d}"


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def build_rollup(*, short: bool = False, locale: str = "de", open_comments: int | None = None) -> Rollup:
    """Reads the database once (a fixed number of queries, whatever the size) into a ``Rollup``."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import aliased, selectinload

    from planner.core import identity
    from planner.extensions import db
    from planner.fields.models import ActionField, StrategyProcess
    from planner.findings.models import Finding, FindingKind, Measure, MeasureStatus
    from planner.people.models import Organisation, Person
    from planner.strategy.models import PaperSection
    from planner.workshops.models import (
        InvitationStatus,
        Participation,
        Workshop,
        WorkshopStatus,
    )

    process_row = StrategyProcess.current()
    if process_row is not None:
        process = ProcessInfo(
            city=identity.settings().get("name") or process_row.city_name,
            title=process_row.title,
            vision=process_row.vision or "",
            target_year=process_row.target_year,
            milestone_years=tuple(sorted(process_row.milestone_years or ())),
        )
    else:
        process = ProcessInfo(
            city=identity.city_name(), title="", vision="", target_year=2040,
            milestone_years=(2025, 2030, 2035, 2040),
        )

    from planner.fields.models import in_process
    from planner.strategy.labels import DEFAULT_SECTIONS

    stored = {s.key: s for s in db.session.scalars(
        select(PaperSection).where(in_process(PaperSection.process_id, process_row, is_current=True)))}
    keys = list(DEFAULT_SECTIONS) + sorted(k for k in stored if k not in DEFAULT_SECTIONS)
    sections = []
    for index, key in enumerate(keys):
        row = stored.get(key)
        body = row.body if row else ""
        if key == "vision" and not body.strip():
            body = process.vision
        sections.append(Section(key=key, title=row.title if row else "", body=body or "",
                                position=row.position if row and row.position else index))
    sections.sort(key=lambda s: (s.position, s.key))

    fields = db.session.scalars(select(ActionField).order_by(ActionField.position, ActionField.id)).all()
    field_code = {f.id: f.code for f in fields}

    workshop_options = [selectinload(Workshop.fields)]
    if hasattr(Workshop, "agenda_blocks"):
        workshop_options.append(selectinload(Workshop.agenda_blocks))
    # The paper of the current strategy process: its workshops and the people who took part in them.
    of_process = in_process(Workshop.process_id, process_row, is_current=True)
    workshops = db.session.scalars(
        select(Workshop).where(of_process).options(*workshop_options).order_by(Workshop.starts_at, Workshop.id)
    ).all()
    process_workshops = select(Workshop.id).where(of_process)

    # Participation counts per workshop and per (workshop, sector), grouped in SQL.
    rows = db.session.execute(
        select(
            Participation.workshop_id,
            Organisation.sector,
            Participation.person_id,
            Participation.invitation_status,
            Participation.attended,
        )
        .join(Person, Person.id == Participation.person_id)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .where(Participation.workshop_id.in_(process_workshops))
    ).all()
    invited_per_ws: Counter = Counter()
    accepted_per_ws: Counter = Counter()
    attended_per_ws: Counter = Counter()
    accepted_people_sector: dict[str, set] = defaultdict(set)
    attended_people_sector: dict[str, set] = defaultdict(set)
    accepted_people: set = set()
    attended_people: set = set()
    ws_people_accepted: dict[int, set] = defaultdict(set)
    ws_people_attended: dict[int, set] = defaultdict(set)
    for workshop_id, sector, person_id, status, attended in rows:
        invited_per_ws[workshop_id] += 1
        sector_code = _code(sector)
        if status == InvitationStatus.ACCEPTED:
            accepted_per_ws[workshop_id] += 1
            accepted_people.add(person_id)
            accepted_people_sector[sector_code].add(person_id)
            ws_people_accepted[workshop_id].add(person_id)
        if attended:
            attended_per_ws[workshop_id] += 1
            attended_people.add(person_id)
            attended_people_sector[sector_code].add(person_id)
            ws_people_attended[workshop_id].add(person_id)
    organisations_total = db.session.scalar(
        select(func.count(func.distinct(Person.organisation_id)))
        .join(Participation, Participation.person_id == Person.id)
        .where(Participation.invitation_status == InvitationStatus.ACCEPTED,
               Participation.workshop_id.in_(process_workshops))
    ) or 0

    held_states = {WorkshopStatus.HELD, WorkshopStatus.DOCUMENTED}
    workshop_summaries = []
    field_people_accepted: dict[str, set] = defaultdict(set)
    field_people_attended: dict[str, set] = defaultdict(set)
    held_titles: dict[str, list[str]] = defaultdict(list)
    for w in workshops:
        codes = tuple(f.code for f in w.fields)
        for code in codes:
            field_people_accepted[code] |= ws_people_accepted[w.id]
            field_people_attended[code] |= ws_people_attended[w.id]
            if w.status in held_states:
                held_titles[code].append(w.title)
        if w.status == WorkshopStatus.CANCELLED:
            continue
        workshop_summaries.append(
            WorkshopSummary(
                id=w.id, title=w.title, day=_local_day(w.starts_at), format=_code(w.format),
                status=_code(w.status), field_codes=codes, invited=invited_per_ws[w.id],
                accepted=accepted_per_ws[w.id], attended=attended_per_ws[w.id],
            )
        )
    sector_order = ("administration", "business", "science", "civil_society", "politics", "")
    by_sector = tuple(
        ParticipantCount(key=s, accepted=len(accepted_people_sector[s]), attended=len(attended_people_sector[s]))
        for s in sector_order
        if accepted_people_sector.get(s) or attended_people_sector.get(s)
    )
    by_field = tuple(
        ParticipantCount(key=f.code, accepted=len(field_people_accepted[f.code]),
                         attended=len(field_people_attended[f.code]))
        for f in fields
    )

    facts = _optional_facts()
    surveys = ()
    priority = None
    need_sources: dict = {}
    if facts is not None:
        surveys = tuple(
            SurveySummary(
                survey_id=s.survey_id, title=s.title, wave=s.wave, starts_on=s.starts_on, ends_on=s.ends_on,
                participants=s.participants, comments=s.comments,
                headline=tuple((str(k), str(v)) for k, v in s.headline),
                charts=tuple(
                    Chart(c.title, c.description, c.unit, tuple(c.categories), tuple(float(v) for v in c.values))
                    for c in s.charts
                ),
            )
            for s in facts.survey_facts(process_row)
        )
        priority = facts.priority_facts()
        need_sources = facts.need_sources() or {}

    starting_point = StartingPoint(
        workshops=tuple(workshop_summaries),
        participants_total=len(accepted_people),
        attended_total=len(attended_people),
        organisations_total=int(organisations_total),
        by_sector=by_sector,
        by_field=by_field,
        surveys=surveys,
    )

    # Findings and accepted measures as plain rows (no ORM objects: 50,000 findings stay cheap), their links
    # (needs, KPIs, dependencies) in one grouped query each, whatever the size.
    from planner.findings.models import MeasureKPI, measure_dependencies, measure_needs

    findings = db.session.execute(
        select(Finding.id, Finding.field_id, Finding.kind, Finding.text, Finding.number, Finding.workshop_id,
               Finding.agenda_block_id).order_by(Finding.id)
    ).all()
    accepted = Measure.status == MeasureStatus.ACCEPTED
    measures = db.session.execute(
        select(Measure.id, Measure.field_id, Measure.number, Measure.title, Measure.description, Measure.goal,
               Measure.expected_effect, Measure.lead_unit, Measure.partners, Measure.funding_type,
               Measure.cost_estimate, Measure.priority, Measure.start_year, Measure.end_year, Measure.index_area,
               Measure.official_answer).where(accepted).order_by(Measure.id)
    ).all()
    needs_of: dict[int, list[int]] = defaultdict(list)
    for measure_id, need_id in db.session.execute(
        select(measure_needs.c.measure_id, measure_needs.c.need_id)
        .join(Measure, Measure.id == measure_needs.c.measure_id).where(accepted)
        .order_by(measure_needs.c.measure_id, measure_needs.c.need_id)
    ):
        needs_of[measure_id].append(need_id)
    kpis_of: dict[int, list[KPI]] = defaultdict(list)
    for k in db.session.execute(
        select(MeasureKPI.measure_id, MeasureKPI.indicator, MeasureKPI.unit, MeasureKPI.baseline,
               MeasureKPI.target_value, MeasureKPI.target_year)
        .join(Measure, Measure.id == MeasureKPI.measure_id).where(accepted).order_by(MeasureKPI.id)
    ):
        kpis_of[k.measure_id].append(KPI(indicator=_text(k.indicator), unit=_text(k.unit), baseline=_text(k.baseline),
                                         target_value=_text(k.target_value), target_year=_int_or_none(k.target_year)))
    target = aliased(Measure)
    deps_of: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for measure_id, other_id, other_number, other_field in db.session.execute(
        select(measure_dependencies.c.measure_id, target.id, target.number, target.field_id)
        .join(Measure, Measure.id == measure_dependencies.c.measure_id)
        .join(target, target.id == measure_dependencies.c.depends_on_id)
        .where(accepted).order_by(measure_dependencies.c.measure_id, target.number_key, target.id)
    ):
        code = field_code.get(other_field, "")
        deps_of[measure_id].append((other_number or f"{code}-M{other_id:02d}", code))

    blocks = {b.id: b for w in workshops for b in (getattr(w, "agenda_blocks", None) or ())}
    workshops_by_id = {w.id: w for w in workshops}
    measure_number = {m.id: _measure_number(m, field_code.get(m.field_id, "")) for m in measures}

    field_scores = {}
    measure_scores = {}
    priority_run = None
    if priority is not None:
        field_scores = {p.field_code: p for p in priority.fields}
        measure_scores = {p.measure_id: p for p in priority.measures}
        priority_run = PriorityRun(run_id=priority.run_id, name=priority.name, frozen_at=priority.frozen_at,
                                   formula=priority.formula)

    answered_by: dict[int, list[str]] = defaultdict(list)
    for m in measures:
        for need_id in needs_of[m.id]:
            answered_by[need_id].append(measure_number[m.id])

    workshop_sources: dict[tuple, Source] = {}

    def source_of(finding) -> Source:
        if finding.id in need_sources:
            comment_id, excerpt = need_sources[finding.id]
            return Source(kind="survey", survey_comment_id=comment_id, excerpt=excerpt or "")
        key = (finding.workshop_id, finding.agenda_block_id)
        cached = workshop_sources.get(key)
        if cached is not None:
            return cached
        workshop = workshops_by_id.get(finding.workshop_id)
        if workshop is None:
            return Source(kind="none")
        block = blocks.get(finding.agenda_block_id)
        source = workshop_sources[key] = Source(
            kind="workshop", workshop_title=workshop.title, workshop_day=_local_day(workshop.starts_at),
            agenda_block=block.title if block else "")
        return source

    needs_by_id: dict[int, Need] = {}
    per_field_status: dict[int, list[StatusItem]] = defaultdict(list)
    per_field_needs: dict[int, list[Need]] = defaultdict(list)
    finding_numbers: dict[int, str] = {}
    for f in findings:
        code = field_code.get(f.field_id, "")
        number = finding_numbers[f.id] = _finding_number(f, code)
        if f.kind == FindingKind.NEED:
            need = Need(id=f.id, number=number, text=f.text, source=source_of(f),
                        measure_numbers=tuple(answered_by.get(f.id, ())))
            needs_by_id[f.id] = need
            per_field_needs[f.field_id].append(need)
        else:
            per_field_status[f.field_id].append(StatusItem(number=number, kind=_code(f.kind), text=f.text))
    swot_order = {"strength": 0, "weakness": 1, "opportunity": 2, "risk": 3}
    for items in per_field_status.values():
        items.sort(key=lambda s: (swot_order.get(s.kind, 9), s.number))

    dependencies = []
    per_field_measures: dict[int, list[MeasureSheet]] = defaultdict(list)
    for m in measures:
        code = field_code.get(m.field_id, "")
        deps = []
        for other_number, other_code in deps_of[m.id]:
            deps.append(other_number)
            dependencies.append(Dependency(measure_number[m.id], code, other_number, other_code))
        score = measure_scores.get(m.id)
        sheet = MeasureSheet(
            id=m.id, number=measure_number[m.id], title=m.title, field_code=code, description=m.description or "",
            goal=_text(m.goal), expected_effect=_text(m.expected_effect),
            lead_unit=m.lead_unit or "", partners=m.partners or "", funding=_code(m.funding_type),
            cost_estimate=_text(m.cost_estimate), priority=_code(m.priority),
            start_year=m.start_year, end_year=m.end_year,
            milestone=milestone_for(m.start_year, m.end_year, process.milestone_years),
            bitkom_area=_text(m.index_area), official_answer=_text(m.official_answer),
            kpis=tuple(kpis_of[m.id]),
            need_numbers=tuple(needs_by_id[x].number for x in needs_of[m.id] if x in needs_by_id),
            depends_on=tuple(deps), score=float(score.score) if score else None,
            rank=int(score.rank) if score else None,
        )
        per_field_measures[m.field_id].append(sheet)

    chapters = []
    for f in fields:
        fp = field_scores.get(f.code)
        field_measures = sorted(per_field_measures[f.id], key=_measure_order)
        chapter = FieldChapter(
            code=f.code, name_de=f.name_de, name_en=f.name_en, description_de=f.description_de or "",
            description_en=f.description_en or "", colour=f.colour or "#1d4e89",
            workshops_held=tuple(held_titles[f.code]), status_quo=tuple(per_field_status[f.id]),
            needs=tuple(per_field_needs[f.id]), measures=tuple(field_measures),
            priority=(FieldPriorityInfo(float(fp.score), int(fp.rank), fp.citizen_score, fp.expert_score)
                      if fp else None),
        )
        chapters.append(chapter)

    all_sheets = sorted((m for c in chapters for m in c.measures), key=_measure_order)
    overview = tuple(
        OverviewRow(rank=i, number=m.number, title=m.title, field_code=m.field_code, priority=m.priority,
                    score=m.score, start_year=m.start_year, end_year=m.end_year)
        for i, m in enumerate(all_sheets, start=1)
    )
    by_milestone: dict[int | None, list[MeasureSheet]] = defaultdict(list)
    for m in all_sheets:
        by_milestone[m.milestone].append(m)
    stages = []
    for year in process.milestone_years:
        entries = sorted(by_milestone[year], key=lambda m: (m.start_year or 0, m.end_year or 0, m.number))
        stages.append(RoadmapStage(year=year, entries=tuple(
            RoadmapEntry(m.number, m.title, m.field_code, m.start_year, m.end_year) for m in entries)))
    unscheduled = tuple(
        RoadmapEntry(m.number, m.title, m.field_code, m.start_year, m.end_year)
        for m in all_sheets if m.milestone is None
    )

    # Annexes.
    findings_by_ws: dict[int, list] = defaultdict(list)
    for f in findings:
        if f.workshop_id:
            findings_by_ws[f.workshop_id].append(f)
    workshop_docs = []
    for w in workshops:
        if w.status not in held_states:
            continue
        grouped: dict[int | None, list[StatusItem]] = defaultdict(list)
        for f in findings_by_ws[w.id]:
            grouped[f.agenda_block_id].append(StatusItem(number=finding_numbers[f.id], kind=_code(f.kind), text=f.text))
        block_docs = []
        for b in getattr(w, "agenda_blocks", None) or ():
            if grouped.get(b.id):
                block_docs.append(BlockDoc(title=b.title, kind=_code(b.kind), findings=tuple(grouped[b.id])))
        if grouped.get(None):
            block_docs.append(BlockDoc(title="", kind="", findings=tuple(grouped[None])))
        workshop_docs.append(WorkshopDoc(title=w.title, day=_local_day(w.starts_at), blocks=tuple(block_docs)))

    participant_ids = accepted_people | attended_people
    organisations = []
    if participant_ids:
        taking_part = (Participation.invitation_status == InvitationStatus.ACCEPTED) | Participation.attended.is_(True)
        orgs = db.session.scalars(
            select(Organisation)
            .where(Organisation.id.in_(
                select(Person.organisation_id).join(Participation, Participation.person_id == Person.id)
                .where(taking_part, Participation.workshop_id.in_(process_workshops))))
            .options(selectinload(Organisation.people))
            .order_by(Organisation.name)
        ).all()
        for org in orgs:
            named = tuple(p.full_name for p in org.people if p.has_consent and p.id in participant_ids)
            organisations.append(OrganisationEntry(name=org.name, sector=_code(org.sector), people=named))

    needs_by_number = {n.number: n for n in needs_by_id.values()}
    sources = tuple(
        MeasureSources(number=m.number, title=m.title,
                       needs=tuple(needs_by_number[x] for x in m.need_numbers if x in needs_by_number))
        for m in all_sheets
    )

    rollup = Rollup(
        schema=SCHEMA, locale=locale, short=short, process=process, sections=tuple(sections),
        starting_point=starting_point, fields=tuple(chapters), overview=overview, roadmap=tuple(stages),
        unscheduled=unscheduled, dependencies=tuple(dependencies),
        annex=Annex(workshops=tuple(workshop_docs), organisations=tuple(organisations), sources=sources),
        priority_run=priority_run,
    )
    if open_comments is None:
        open_comments = _count_open_comments()
    from planner.strategy.readiness import check_readiness

    rollup = dataclasses.replace(
        rollup, readiness=check_readiness(rollup, open_comments=open_comments, has_process=process_row is not None)
    )
    return shorten(rollup) if short else rollup


def shorten(rollup: Rollup) -> Rollup:
    """The Kurzfassung: vision, fields with their top three measures, the roadmap; no annexes."""
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
    from sqlalchemy import func, select

    from planner.extensions import db
    from planner.strategy.models import ReviewComment

    return db.session.scalar(select(func.count(ReviewComment.id)).where(ReviewComment.answer.is_(None))) or 0


def _local_day(value: datetime) -> date:
    from planner.core.timeutil import to_local

    return to_local(value).date()
