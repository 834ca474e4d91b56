"""What is still missing before the paper can go out: computed from the roll-up alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

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


def group_issues(issues) -> list[tuple[str, list[str]]]:
    """(kind, subjects) in first-seen order, for the readiness panel."""
    groups: dict[str, list[str]] = {}
    for issue in issues:
        groups.setdefault(issue.kind, [])
        if issue.subject:
            groups[issue.kind].append(issue.subject)
    return list(groups.items())
