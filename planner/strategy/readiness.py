"""What is still missing before the paper can go out: computed from the roll-up alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

MAX_GOALS = 5  # planner.strategy.goals.MAX_GOALS: a field states two to five measurable goals

if TYPE_CHECKING:
    from planner.strategy.rollup import ReadinessIssue, Rollup


def check_readiness(rollup: Rollup, *, open_comments: int = 0, has_process: bool = True) -> tuple[ReadinessIssue, ...]:
    from planner.strategy.rollup import ReadinessIssue

    issues: list[ReadinessIssue] = []
    if not has_process:
        issues.append(ReadinessIssue("no_process"))
    if not rollup.fields:
        issues.append(ReadinessIssue("no_fields"))
    elif not any(c.measures for c in rollup.fields):
        issues.append(ReadinessIssue("no_measures"))
    for chapter in rollup.fields:
        if not chapter.workshops_held:
            issues.append(ReadinessIssue("field_without_workshop", chapter.code))
    if any(c.measures for c in rollup.fields):  # "no measure at all" says it once
        for chapter in rollup.fields:
            if not chapter.measures:
                issues.append(ReadinessIssue("field_without_measure", chapter.code))
    for chapter in rollup.fields:
        if not chapter.goals:
            issues.append(ReadinessIssue("field_without_goals", chapter.code))
        elif len(chapter.goals) > MAX_GOALS:
            issues.append(ReadinessIssue("field_too_many_goals", chapter.code))
    milestones = rollup.process.milestone_years
    if has_process and (not milestones or max(milestones) < rollup.process.target_year):
        issues.append(ReadinessIssue("roadmap_short", str(max(milestones, default=""))))
    for chapter in rollup.fields:
        for need in chapter.needs:
            if not need.measure_numbers:
                issues.append(ReadinessIssue("need_without_measure", f"{need.number}: {need.text}"))
    for chapter in rollup.fields:
        for m in chapter.measures:
            if not m.lead_unit.strip():
                issues.append(ReadinessIssue("measure_without_lead", f"{m.number}: {m.title}"))
            if not m.kpis:
                issues.append(ReadinessIssue("measure_without_kpi", f"{m.number}: {m.title}"))
            if m.start_year is None and m.end_year is None:
                issues.append(ReadinessIssue("measure_without_timeframe", f"{m.number}: {m.title}"))
    for section in rollup.sections:
        if not section.body.strip():
            issues.append(ReadinessIssue("section_unwritten", section.key))
    if open_comments:
        issues.append(ReadinessIssue("open_comments", str(open_comments)))
    return tuple(issues)


# Gaps that keep a version from being published (the others are worth fixing but do not block): without them the
# paper is no strategy a council can adopt.
BLOCKING_KINDS = frozenset({"no_process", "no_fields", "no_measures", "field_without_measure", "roadmap_short",
                            "section_unwritten"})


def blocking_issues(rollup: Rollup) -> tuple[ReadinessIssue, ...]:
    """The blocking gaps of a (frozen) roll-up, computed anew from its data (review comments are the round's)."""
    has_process = not any(i.kind == "no_process" for i in rollup.readiness)
    return tuple(i for i in check_readiness(rollup, has_process=has_process) if i.kind in BLOCKING_KINDS)


def group_issues(issues) -> list[tuple[str, list[str]]]:
    """(kind, subjects) in first-seen order, for the readiness panel."""
    groups: dict[str, list[str]] = {}
    for issue in issues:
        groups.setdefault(issue.kind, [])
        if issue.subject:
            groups[issue.kind].append(issue.subject)
    return list(groups.items())


PREVIEW = 8


def readiness_overview(limit: int = PREVIEW) -> list[tuple[str, int, list[str]]]:
    """The same checks as ``check_readiness``, straight from the database for the paper's page:
    (kind, number of gaps, the first ``limit`` subjects) in a fixed number of grouped queries, without
    building the roll-up. tests/strategy checks that both agree."""
    from sqlalchemy import func, select

    from planner.extensions import db
    from planner.fields.models import ActionField, StrategyProcess, in_process
    from planner.findings.models import Finding, FindingKind, Measure, MeasureKPI, MeasureStatus, measure_needs
    from planner.strategy.labels import DEFAULT_SECTIONS
    from planner.strategy.models import PaperSection, ReviewComment, ReviewRound
    from planner.workshops.models import Workshop, WorkshopStatus, workshop_fields

    result: list[tuple[str, int, list[str]]] = []

    def add(kind: str, stmt, label) -> None:
        """One query: the first ``limit`` rows, each carrying the total as a window count."""
        rows = db.session.execute(stmt.add_columns(func.count().over().label("total")).limit(limit)).all()
        if rows:
            result.append((kind, int(rows[0].total), [label(r) for r in rows]))

    accepted = Measure.status == MeasureStatus.ACCEPTED
    process_row = StrategyProcess.current()  # the session's identity map: loaded once per request
    n_fields, n_accepted = db.session.execute(select(
        select(func.count(ActionField.id)).scalar_subquery(),
        select(func.count(Measure.id)).where(accepted).scalar_subquery(),
    )).one()
    if process_row is None:
        result.append(("no_process", 1, []))
    if not n_fields:
        result.append(("no_fields", 1, []))
    elif not n_accepted:
        result.append(("no_measures", 1, []))
    held = (
        select(workshop_fields.c.field_id).join(Workshop, Workshop.id == workshop_fields.c.workshop_id)
        .where(Workshop.status.in_((WorkshopStatus.HELD, WorkshopStatus.DOCUMENTED)),
               in_process(Workshop.process_id, process_row, is_current=True))
    )
    no_workshop = ActionField.id.not_in(held)
    add("field_without_workshop",
        select(ActionField.code).where(no_workshop).order_by(ActionField.position, ActionField.id), lambda r: r.code)
    if n_accepted:
        with_measure = select(Measure.field_id).where(accepted)
        add("field_without_measure", select(ActionField.code).where(ActionField.id.not_in(with_measure))
            .order_by(ActionField.position, ActionField.id), lambda r: r.code)
    from planner.strategy.goals import FieldGoal, FieldVision

    # One query for both goal gaps: every field with its number of goals (a city has a handful of fields).
    goal_count = (select(func.count(FieldGoal.id)).join(FieldVision, FieldVision.id == FieldGoal.vision_id)
                  .where(FieldVision.field_id == ActionField.id,
                         in_process(FieldVision.process_id, process_row, is_current=True))
                  .correlate(ActionField).scalar_subquery())
    counted = db.session.execute(select(ActionField.code, goal_count.label("goals"))
                                 .order_by(ActionField.position, ActionField.id)).all()
    for kind, wrong in (("field_without_goals", lambda n: n == 0), ("field_too_many_goals", lambda n: n > MAX_GOALS)):
        codes = [code for code, n in counted if wrong(n or 0)]
        if codes:
            result.append((kind, len(codes), codes[:limit]))
    if process_row is not None:
        milestones = [int(y) for y in (process_row.milestone_years or ())]
        if not milestones or max(milestones) < process_row.target_year:
            result.append(("roadmap_short", 1, [str(max(milestones, default=""))]))
    # NOT IN over one materialised subquery: a correlated NOT EXISTS has no index on need_id to use.
    answered = select(measure_needs.c.need_id).join(Measure, Measure.id == measure_needs.c.measure_id).where(accepted)
    open_need = (Finding.kind == FindingKind.NEED) & Finding.is_hidden.is_(False) & Finding.id.not_in(answered)
    add("need_without_measure",
        select(Finding.id, Finding.number, Finding.text).where(open_need).order_by(Finding.field_id, Finding.id),
        lambda r: f"{r.number}: {r.text}")
    no_lead = accepted & (func.trim(func.coalesce(Measure.lead_unit, "")) == "")
    no_kpi = accepted & Measure.id.not_in(select(MeasureKPI.measure_id))
    no_time = accepted & Measure.start_year.is_(None) & Measure.end_year.is_(None)
    for kind, condition in (("measure_without_lead", no_lead), ("measure_without_kpi", no_kpi),
                            ("measure_without_timeframe", no_time)):
        add(kind, select(Measure.number, Measure.title).where(condition).order_by(Measure.field_id, Measure.id),
            lambda r: f"{r.number}: {r.title}")
    stored = {key: body for key, body in db.session.execute(
        select(PaperSection.key, PaperSection.body).where(in_process(PaperSection.process_id, process_row,
                                                                     is_current=True)))}
    vision = (process_row.vision if process_row else "") or ""
    keys = list(DEFAULT_SECTIONS) + sorted(k for k in stored if k not in DEFAULT_SECTIONS)
    unwritten = [k for k in keys if not ((stored.get(k) or "").strip() or (k == "vision" and vision.strip()))]
    if unwritten:
        result.append(("section_unwritten", len(unwritten), unwritten[:limit]))
    # The rounds that still have unanswered comments, each with how many ("Abstimmung Ausschuss: 2"): the bare
    # count alone read "Offene Kommentare aus der Abstimmung (1): 1".
    per_round = db.session.execute(
        select(ReviewRound.title, func.count(ReviewComment.id))
        .join(ReviewRound, ReviewRound.id == ReviewComment.round_id).where(ReviewComment.answer.is_(None))
        .group_by(ReviewRound.id, ReviewRound.title).order_by(ReviewRound.id)).all()
    if per_round:
        result.append(("open_comments", sum(n for _t, n in per_round), [f"{t}: {n}" for t, n in per_round][:limit]))
    return result
