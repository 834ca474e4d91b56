"""The roll-up read from factory data: chapters, numbers, traceability, bounded queries."""

import dataclasses

import pytest
from sqlalchemy import event

from planner.extensions import db
from planner.findings.models import FindingKind, MeasureStatus, Priority
from planner.strategy.rollup import build_rollup, milestone_for, rollup_from_json, rollup_to_json
from planner.workshops.models import InvitationStatus, WorkshopStatus
from tests import factories


def _process(size: int = 1):
    process = factories.process(milestone_years=[2025, 2030, 2035, 2040])
    fields = [factories.field(code=f"F{i}", name_de=f"Feld {i}") for i in range(7)]
    for f in fields:
        for n in range(size):
            w = factories.workshop(fields=[f], status=WorkshopStatus.DOCUMENTED)
            org = factories.organisation()
            consenting = factories.person(organisation=org, has_consent=True, first_name="Erika", last_name=f"Zeigt{n}")
            hidden = factories.person(organisation=org, has_consent=False, first_name="Geheim", last_name=f"Name{n}")
            factories.participation(workshop=w, person=consenting, attended=True)
            factories.participation(workshop=w, person=hidden, invitation_status=InvitationStatus.ACCEPTED)
            factories.finding(workshop=w, field=f, kind=FindingKind.STRENGTH, text="Starke Netze")
            need = factories.finding(workshop=w, field=f, kind=FindingKind.NEED, text=f"Bedarf {f.code}")
            factories.measure(needs=[need], field=f, title=f"Maßnahme {f.code} {n}", status=MeasureStatus.ACCEPTED,
                              lead_unit="Amt 1", priority=Priority.HIGH, start_year=2023, end_year=2027)
            factories.measure(field=f, title="Abgelehnt", status=MeasureStatus.REJECTED)
    return process, fields


def test_rollup_has_seven_chapters_with_numbers_and_traceability(ctx):
    _process()
    db.session.commit()
    r = build_rollup()
    assert len(r.fields) == 7
    chapter = r.fields[0]
    assert [m.title for m in chapter.measures] == ["Maßnahme F0 0"]  # rejected measures stay out
    measure = chapter.measures[0]
    need = chapter.needs[0]
    assert measure.number and need.number
    assert measure.need_numbers == (need.number,)
    assert need.measure_numbers == (measure.number,)
    assert need.source.kind == "workshop" and need.source.workshop_title
    assert measure.milestone == 2030
    assert [s.year for s in r.roadmap] == [2025, 2030, 2035, 2040]
    assert len(r.roadmap[1].entries) == 7
    assert len(r.overview) == 7 and r.overview[0].rank == 1
    assert chapter.status_quo[0].kind == "strength"
    assert r.starting_point.participants_total == 14
    assert r.starting_point.attended_total == 7
    assert len(r.starting_point.workshops) == 7
    people = [p for o in r.annex.organisations for p in o.people]
    assert any("Erika" in p for p in people)
    assert not any("Geheim" in p for p in people), "people without consent are never named"
    sources = {s.number: s for s in r.annex.sources}
    assert sources[measure.number].needs[0].number == need.number
    assert rollup_from_json(rollup_to_json(r)) == r


def test_short_version_keeps_top_three(ctx):
    f = factories.field(code="MOB")
    factories.process()
    for n in range(5):
        factories.measure(field=f, title=f"M{n}", status=MeasureStatus.ACCEPTED,
                          priority=[Priority.LOW, Priority.HIGH, Priority.MEDIUM, Priority.HIGH, Priority.LOW][n])
    db.session.commit()
    r = build_rollup(short=True)
    assert r.short
    assert [m.priority for m in r.fields[0].measures] == ["high", "high", "medium"]
    assert r.annex.workshops == () and r.annex.sources == ()


def test_empty_process_says_what_is_missing(ctx):
    r = build_rollup()
    kinds = {i.kind for i in r.readiness}
    assert {"no_process", "no_fields", "section_unwritten"} <= kinds
    import io

    from planner.strategy.exporters import exporter

    for code in ("md", "html", "docx", "pdf", "json"):
        out = io.BytesIO()
        exporter(code)(r, out)
        assert out.getvalue()
    out = io.BytesIO()
    exporter("md")(r, out)
    text = out.getvalue().decode()
    assert "Noch offen" in text and "Es wurde noch kein Strategieprozess angelegt." in text


def test_readiness_lists_gaps(ctx):
    factories.process()
    f = factories.field(code="UMW")
    factories.field(code="MOB")
    w = factories.workshop(fields=[f], status=WorkshopStatus.HELD)
    factories.finding(workshop=w, field=f, kind=FindingKind.NEED, text="Bäume schützen")
    factories.measure(field=f, title="Sensoren", status=MeasureStatus.ACCEPTED)
    db.session.commit()
    r = build_rollup()
    by_kind = {}
    for issue in r.readiness:
        by_kind.setdefault(issue.kind, []).append(issue.subject)
    assert by_kind["field_without_workshop"] == ["MOB"]
    assert "Bäume schützen" in by_kind["need_without_measure"][0]
    assert "Sensoren" in by_kind["measure_without_lead"][0]
    assert "Sensoren" in by_kind["measure_without_timeframe"][0]
    assert "foreword" in by_kind["section_unwritten"]


def _count_queries(fn) -> int:
    count = 0

    def before(*args, **kwargs):
        nonlocal count
        count += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return count


def _fresh_process(size: int) -> None:
    """Empty tables, then a process of the given size, committed."""
    db.drop_all()
    db.create_all()
    _process(size)
    db.session.commit()


@pytest.mark.parametrize("sizes", [(1, 4)])
def test_query_count_is_bounded(app, sizes):
    counts = []
    for size in sizes:
        with app.app_context():
            _fresh_process(size)
            db.session.expire_all()
            counts.append(_count_queries(build_rollup))
    assert counts[0] == counts[1], f"queries grow with the data: {counts}"
    assert counts[0] <= 22  # one query per fact source (the fields' goals and the public consultations included)


@pytest.mark.parametrize("sizes", [(1, 4)])
def test_paper_page_queries_are_few_and_constant(app, client, auth, sizes):
    from planner.core.permissions import Role

    counts = []
    for size in sizes:
        with app.app_context():
            _fresh_process(size)
        auth.login(Role.STRATEGY_TEAM)
        client.get("/strategy/")
        with app.app_context():
            counts.append(_count_queries(lambda: client.get("/strategy/")))
        auth.logout()
    assert counts[0] == counts[1], f"queries grow with the data: {counts}"
    # Every page reads the user, the second-factor policy, the city's identity and the current process once.
    # The fields' goals: their grid and their readiness gaps, one query each.
    assert counts[0] <= 19, counts


def test_readiness_overview_agrees_with_the_rollup(ctx):
    from planner.strategy.readiness import group_issues, readiness_overview

    factories.process(vision="")
    f = factories.field(code="UMW")
    factories.field(code="MOB")
    w = factories.workshop(fields=[f], status=WorkshopStatus.HELD)
    needs = [factories.finding(workshop=w, field=f, kind=FindingKind.NEED, text=f"Bedarf {i}") for i in range(12)]
    factories.measure(field=f, title="Sensoren", status=MeasureStatus.ACCEPTED, needs=needs[:2])
    factories.measure(field=f, title="Abgelehnt", status=MeasureStatus.REJECTED, needs=needs[2:4])
    db.session.commit()
    full = {kind: subjects for kind, subjects in group_issues(build_rollup().readiness)}
    quick = {kind: (count, subjects) for kind, count, subjects in readiness_overview(limit=8)}
    assert set(full) == set(quick)
    for kind, subjects in full.items():
        count, preview = quick[kind]
        if kind != "open_comments":
            assert count == max(len(subjects), 1)
            assert preview == subjects[:8]
    assert quick["need_without_measure"][0] == 10
    assert quick["field_without_measure"] == (1, ["MOB"]), "a field without measures is called out"
    assert "roadmap_short" not in quick


def test_readiness_names_a_roadmap_short_of_the_target_year(ctx):
    from planner.strategy.readiness import readiness_overview

    factories.process(milestone_years=[2025, 2030], target_year=2040)
    db.session.commit()
    issues = {i.kind: i.subject for i in build_rollup().readiness}
    assert issues["roadmap_short"] == "2030"
    assert ("roadmap_short", 1, ["2030"]) in readiness_overview()


def test_milestone_is_first_milestone_at_or_after_end():
    assert milestone_for(2023, 2025, (2025, 2030)) == 2025
    assert milestone_for(2023, 2026, (2025, 2030)) == 2030
    assert milestone_for(2041, None, (2025, 2040)) == 2040
    assert milestone_for(None, None, (2025,)) is None


def test_rollup_is_immutable(ctx):
    r = build_rollup()
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.locale = "en"
    assert isinstance(r.fields, tuple)
