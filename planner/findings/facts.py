"""What the concept paper reads from the findings package: frozen facts of findings and accepted measures.

The rule lives here, where the data lives: findings hidden by moderation never leave this module (not as
status quo, not as a need, not as the need a measure answers, not in the workshop documentation). Codes,
numbers and user text only; plain rows, no ORM objects (50,000 findings stay cheap).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import aliased

from planner.extensions import db
from planner.findings.models import (
    Finding,
    FindingKind,
    Measure,
    MeasureKPI,
    MeasureStatus,
    measure_dependencies,
    measure_needs,
    need_swot_links,
)


@dataclass(frozen=True)
class FindingFact:
    id: int
    field_id: int
    kind: str  # code: strength | weakness | opportunity | risk | need
    number: str  # "" when the finding has no number yet
    text: str
    workshop_id: int | None
    agenda_block_id: int | None
    answers: tuple[int, ...] = ()  # a need: ids of the visible status-quo findings it answers

    @property
    def is_need(self) -> bool:
        return self.kind == _NEED


@dataclass(frozen=True)
class KPIFact:
    indicator: str
    unit: str
    baseline: float | None
    target_value: float | None
    target_year: int | None


@dataclass(frozen=True)
class MeasureFact:
    id: int
    field_id: int
    number: str  # "" when the measure has no number yet
    title: str
    description: str
    goal: str
    expected_effect: str
    lead_unit: str
    partners: str
    funding: str  # code or ""
    funding_note: str
    cost_estimate: float | None  # euros
    priority: str  # code or ""
    start_year: int | None
    end_year: int | None
    index_area: str  # code of the Smart City Index area or ""
    official_answer: str
    kpis: tuple[KPIFact, ...]
    need_ids: tuple[int, ...]  # visible needs only
    depends_on: tuple[int, ...]  # ids of accepted measures


@dataclass(frozen=True)
class FindingFacts:
    findings: tuple[FindingFact, ...]
    measures: tuple[MeasureFact, ...]


_NEED = FindingKind.NEED.value
_KIND_CODES = {kind.name: kind.value for kind in FindingKind}  # as stored (the name) → code


def _code(value) -> str:
    if value is None:
        return ""
    return str(getattr(value, "_value_", value))  # an enum member's value (without the slower ``value`` property)


def _number(value) -> float | None:
    return float(value) if value is not None else None


def finding_facts(process=None) -> FindingFacts:
    """Visible findings of the current strategy process (``process``, when the caller has it at hand: the findings
    of its workshops and those of no workshop) and accepted measures with their KPIs and links, in a fixed number
    of queries. Measures are not bound to a round: a later process carries them on."""
    from planner.fields.models import StrategyProcess, in_process
    from planner.workshops.models import Workshop

    of_process = in_process(Workshop.process_id, process or StrategyProcess.current(), is_current=True)
    # One query: each finding once per status-quo finding it answers (a need's links), folded back here. The
    # process's workshops are joined (not ``workshop_id IN (…)``): SQLite then reads the findings in id order
    # instead of through the workshop index followed by a sort of 50,000 rows.
    answered = aliased(Finding)
    rows: dict[int, tuple] = {}
    answers_of: dict[int, list[int]] = defaultdict(list)
    # The kind as stored (the member's name), turned into its code here: 50,000 rows through SQLAlchemy's Enum
    # conversion and the enum's ``value`` property cost more than the rest of the row.
    for row in db.session.execute(
        select(Finding.id, Finding.field_id, type_coerce(Finding.kind, String), Finding.number, Finding.text,
               Finding.workshop_id, Finding.agenda_block_id, answered.id)
        .outerjoin(Workshop, Workshop.id == Finding.workshop_id)
        .outerjoin(need_swot_links, need_swot_links.c.need_id == Finding.id)
        .outerjoin(answered, (answered.id == need_swot_links.c.finding_id) & answered.is_hidden.is_(False))
        .where(Finding.is_hidden.is_(False),
               Finding.workshop_id.is_(None) | (Workshop.id.is_not(None) & of_process))
        .order_by(Finding.id, answered.number_key, answered.id)
    ):
        rows.setdefault(row[0], row)
        if row[7] is not None:
            answers_of[row[0]].append(row[7])
    findings = tuple(
        FindingFact(id=id_, field_id=field_id, kind=_KIND_CODES[kind], number=number or "", text=text,
                    workshop_id=workshop_id, agenda_block_id=agenda_block_id, answers=tuple(answers_of.get(id_, ())))
        for id_, field_id, kind, number, text, workshop_id, agenda_block_id, _answers_id in rows.values()
    )
    accepted = Measure.status == MeasureStatus.ACCEPTED
    needs_of: dict[int, list[int]] = defaultdict(list)
    # The accepted measures' links, the visible needs kept here (``rows``): joined with the findings in SQL, SQLite
    # walked all 50,000 findings to find the few thousand links.
    for measure_id, need_id in db.session.execute(
        select(measure_needs.c.measure_id, measure_needs.c.need_id)
        .join(Measure, Measure.id == measure_needs.c.measure_id)
        .where(accepted).order_by(measure_needs.c.measure_id, measure_needs.c.need_id)
    ):
        if need_id in rows:
            needs_of[measure_id].append(need_id)
    kpis_of: dict[int, list[KPIFact]] = defaultdict(list)
    for k in db.session.execute(
        select(MeasureKPI.measure_id, MeasureKPI.indicator, MeasureKPI.unit, MeasureKPI.baseline,
               MeasureKPI.target_value, MeasureKPI.target_year)
        .join(Measure, Measure.id == MeasureKPI.measure_id).where(accepted).order_by(MeasureKPI.id)
    ):
        kpis_of[k.measure_id].append(KPIFact(indicator=k.indicator or "", unit=k.unit or "",
                                             baseline=_number(k.baseline), target_value=_number(k.target_value),
                                             target_year=k.target_year))
    target = aliased(Measure)
    deps_of: dict[int, list[int]] = defaultdict(list)
    for measure_id, other_id in db.session.execute(
        select(measure_dependencies.c.measure_id, target.id)
        .join(Measure, Measure.id == measure_dependencies.c.measure_id)
        .join(target, target.id == measure_dependencies.c.depends_on_id)
        .where(accepted, target.status == MeasureStatus.ACCEPTED)
        .order_by(measure_dependencies.c.measure_id, target.number_key, target.id)
    ):
        deps_of[measure_id].append(other_id)
    measures = tuple(
        MeasureFact(
            id=m.id, field_id=m.field_id, number=m.number or "", title=m.title, description=m.description or "",
            goal=m.goal or "", expected_effect=m.expected_effect or "", lead_unit=m.lead_unit or "",
            partners=m.partners or "", funding=_code(m.funding_type), funding_note=m.funding_note or "",
            cost_estimate=_number(m.cost_estimate), priority=_code(m.priority), start_year=m.start_year,
            end_year=m.end_year, index_area=_code(m.index_area), official_answer=m.official_answer or "",
            kpis=tuple(kpis_of[m.id]), need_ids=tuple(needs_of[m.id]), depends_on=tuple(deps_of[m.id]),
        )
        for m in db.session.execute(
            select(Measure.id, Measure.field_id, Measure.number, Measure.title, Measure.description, Measure.goal,
                   Measure.expected_effect, Measure.lead_unit, Measure.partners, Measure.funding_type,
                   Measure.funding_note, Measure.cost_estimate, Measure.priority, Measure.start_year,
                   Measure.end_year, Measure.index_area, Measure.official_answer)
            .where(accepted).order_by(Measure.id))
    )
    return FindingFacts(findings=findings, measures=measures)


# --- the findings and measures of one workshop (the workshop's minutes, planner.minutes) --------------------------

@dataclass(frozen=True)
class WorkshopFinding:
    id: int
    number: str
    kind: str  # code
    text: str
    field_code: str
    agenda_block_id: int | None
    author: str  # a participant's name only with consent; a facilitator's own finding: the facilitator; else ""
    author_person_id: int | None


@dataclass(frozen=True)
class WorkshopMeasure:
    fact: MeasureFact
    field_code: str
    status: str  # code
    agenda_block_id: int | None
    author: str  # as for findings
    author_person_id: int | None
    need_numbers: tuple[str, ...]


@dataclass(frozen=True)
class WorkshopFindings:
    findings: tuple[WorkshopFinding, ...]
    measures: tuple[WorkshopMeasure, ...]


STAFF_AUTHORS = ("facilitator", "admin", "strategy_team")


def author_name(person, recorder) -> str:
    """Who a finding or measure is shown as: a person who consented to being named by their name; one typed by
    a facilitator for nobody else (or for the facilitator's own person) by the facilitator's name, staff acting in
    their role; anyone else by "" (the outline says "a participant")."""
    if person is not None and person.has_consent:
        return person.full_name
    if recorder is not None and _code(recorder.role) in STAFF_AUTHORS and (
            person is None or person.id == getattr(recorder, "person_id", None)):
        return recorder.name
    return ""


def workshop_findings(workshop_id: int) -> WorkshopFindings:
    """The visible findings of one workshop (hidden ones never leave this module) and its measure proposals (not
    merged ones), in number order."""
    from sqlalchemy.orm import selectinload

    findings = db.session.scalars(
        select(Finding).where(Finding.workshop_id == workshop_id, Finding.is_hidden.is_(False))
        .options(selectinload(Finding.author), selectinload(Finding.recorded_by), selectinload(Finding.field))
        .order_by(Finding.number_key, Finding.id)
    ).all()
    measures = db.session.scalars(
        select(Measure).where(Measure.workshop_id == workshop_id, Measure.status != MeasureStatus.MERGED)
        .options(selectinload(Measure.proposed_by), selectinload(Measure.recorded_by), selectinload(Measure.field),
                 selectinload(Measure.needs))
        .order_by(Measure.number_key, Measure.id)
    ).all()
    kpis_of: dict[int, list[KPIFact]] = defaultdict(list)
    if measures:
        for k in db.session.scalars(select(MeasureKPI).where(MeasureKPI.measure_id.in_([m.id for m in measures]))
                                    .order_by(MeasureKPI.id)):
            kpis_of[k.measure_id].append(KPIFact(indicator=k.indicator or "", unit=k.unit or "",
                                                 baseline=_number(k.baseline), target_value=_number(k.target_value),
                                                 target_year=k.target_year))
    return WorkshopFindings(
        findings=tuple(
            WorkshopFinding(id=f.id, number=f.number or "", kind=_code(f.kind), text=f.text,
                            field_code=f.field.code if f.field else "", agenda_block_id=f.agenda_block_id,
                            author=author_name(f.author, f.recorded_by), author_person_id=f.author_id)
            for f in findings),
        measures=tuple(
            WorkshopMeasure(
                fact=MeasureFact(
                    id=m.id, field_id=m.field_id, number=m.number or "", title=m.title,
                    description=m.description or "", goal=m.goal or "", expected_effect=m.expected_effect or "",
                    lead_unit=m.lead_unit or "", partners=m.partners or "", funding=_code(m.funding_type),
                    funding_note=m.funding_note or "", cost_estimate=_number(m.cost_estimate),
                    priority=_code(m.priority), start_year=m.start_year, end_year=m.end_year,
                    index_area=_code(m.index_area), official_answer=m.official_answer or "",
                    kpis=tuple(kpis_of[m.id]), need_ids=tuple(n.id for n in m.needs if not n.is_hidden),
                    depends_on=()),
                field_code=m.field.code if m.field else "", status=_code(m.status),
                agenda_block_id=m.agenda_block_id, author=author_name(m.proposed_by, m.recorded_by),
                author_person_id=m.proposed_by_id,
                need_numbers=tuple(n.number for n in m.needs if not n.is_hidden and n.number))
            for m in measures),
    )
