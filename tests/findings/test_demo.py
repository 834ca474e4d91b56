"""The demo's findings: numbered, on agenda blocks, fact sheets with KPIs, answers, dependencies, a merge."""

from sqlalchemy import select

from planner.demo import seed_demo
from planner.extensions import db
from planner.findings import services
from planner.findings.models import Comment, Finding, Measure, MeasureStatus


def test_demo_findings_and_measures(ctx):
    seed_demo()
    db.session.commit()
    findings = db.session.scalars(select(Finding)).all()
    measures = db.session.scalars(select(Measure)).all()
    assert all(f.number for f in findings) and all(m.number for m in measures)
    assert len({f.number for f in findings}) == len(findings)
    # Where the workshops demo built agendas, findings sit on the block of their kind.
    on_blocks = [f for f in findings if f.agenda_block_id]
    if any(f.workshop and f.workshop.agenda_blocks for f in findings):
        assert len(on_blocks) == len([f for f in findings if f.workshop and f.workshop.agenda_blocks])
    for f in on_blocks:
        assert f.agenda_block.workshop_id == f.workshop_id and f.agenda_block.kind.captures_findings
    accepted = [m for m in measures if m.status == MeasureStatus.ACCEPTED]
    assert accepted and all(m.kpis for m in accepted)
    assert all(m.official_answer for m in measures if m.status != MeasureStatus.PROPOSED)
    merged = [m for m in measures if m.status == MeasureStatus.MERGED]
    assert len(merged) == 2 and all(m.merged_into and m.merged_into.merged_from for m in merged)
    parking = next(m for m in measures if m.title == "Smart Parking in zwei Stadtteilen")
    assert [d.title for d in parking.dependencies] == ["5G und WLAN an Straßenlaternen"]
    dashboard = next(m for m in measures if m.title == "Smart City-Dashboard")
    assert dashboard.dependencies[0].field.code == "WWF"
    assert any(d.field_id != m.field_id for m in measures for d in m.dependencies)  # across fields
    assert parking.supporters and db.session.scalar(select(db.func.count()).select_from(Comment)) >= 4
    doc = services.documentation(parking.workshop_id)
    assert doc["counts"]["needs"] >= 2 and doc["blocks"]
