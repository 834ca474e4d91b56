"""The demo shows the whole life after the vote: a version adopted by the council in 2023, its measures monitored
since, with status updates, KPI values and a progress report per year."""

from datetime import date

from sqlalchemy import func, select

from planner.core.timeutil import local_today
from planner.demo import seed_demo
from planner.extensions import db
from planner.findings.models import MeasureKPI
from planner.monitoring import report, services
from planner.monitoring.models import KPIValue, MonitoredAction, ProgressReport, StatusUpdate
from planner.strategy import versions
from planner.strategy.council import CouncilDecision, DecisionState


def test_the_demo_continues_past_the_council_decision(app, client):
    with app.app_context():
        seed_demo()
        db.session.commit()
        decision = db.session.scalar(select(CouncilDecision))
        assert decision.state == DecisionState.ADOPTED and decision.decided_on == date(2023, 6, 15)
        assert [s.body for s in decision.steps][-1] == "Rat der Stadt Essen"
        version = decision.paper_version
        assert version.is_published and version.frozen_at.year == 2023
        # The covers carry the days the versions were frozen, not the day the demo was seeded.
        assert versions.version_rollup(version).issued_on == date(2023, 4, 18)
        assert versions.version_rollup(versions.get_version(1)).issued_on == date(2022, 11, 2)
        measures = {m.id for m in versions.version_rollup(version).measures()}
        actions = db.session.scalars(select(MonitoredAction)).all()
        assert {a.measure_id for a in actions} == measures
        assert db.session.scalar(select(func.count(StatusUpdate.id))) > len(actions)
        # A KPI that counts things has whole numbers (no 1.332,19 trees on the public page).
        counted = db.session.scalars(select(KPIValue.value).join(MeasureKPI, MeasureKPI.id == KPIValue.kpi_id)
                                     .where(MeasureKPI.unit == "Anzahl")).all()
        assert counted and all(v == v.to_integral_value() for v in counted)
        newest = db.session.scalar(select(func.max(KPIValue.measured_on)))
        assert (local_today() - newest).days < 100  # monitoring data up to today
        periods = [r.period for r in db.session.scalars(select(ProgressReport).order_by(ProgressReport.id))]
        assert periods == [str(y) for y in range(2023, local_today().year)]
        # Reports frozen for past years show the state of that year, not today's.
        first = services.load_snapshot(services.report_for("2023"))
        assert first["taken_on"] == "2023-12-31"
        assert all(a["last_update_on"] is None or a["last_update_on"] <= "2023-12-31" for a in first["actions"])
        import io

        output = io.BytesIO()
        report.export_report(services.report_for(periods[-1]), "md", output)
        assert "Seit dem vorigen Bericht" in output.getvalue().decode()
        measured = db.session.scalar(select(MonitoredAction).join(KPIValue, KPIValue.kpi_id.in_(
            select(MeasureKPI.id).where(MeasureKPI.measure_id == MonitoredAction.measure_id))).limit(1))
        field_code, measured_id = measured.measure.field.code, measured.measure_id

        # The funder's yearly reporting dates are tasks; the demo expert follows a measure she supports; a few
        # proposers have their official answer.
        from planner.monitoring.models import ActionTask, MeasureSubscription, TaskKind

        reports = db.session.scalars(select(ActionTask).where(ActionTask.kind == TaskKind.FUNDER_REPORT)).all()
        assert reports and all(t.generated_key == f"funder:{t.due_on.isoformat()}" for t in reports)
        late = [t for t in reports if t.is_late(local_today())]
        assert len(late) <= 1  # one late report to show, not years of them
        (follower,) = db.session.scalars(select(MeasureSubscription)).all()
        assert follower.email == "expertin@example.org" and follower.is_active
        assert follower.person in follower.measure.supporters
        answered = [a for a in actions if a.answer_text]
        assert answered and all(a.answer_published_at for a in answered)

    page = client.get("/monitoring/public").get_data(as_text=True)
    assert f'href="/monitoring/public/fields/{field_code}"' in page
    field_page = client.get(f"/monitoring/public/fields/{field_code}").get_data(as_text=True)
    assert f'href="/monitoring/public/measures/{measured_id}"' in field_page
    page = client.get(f"/monitoring/public/measures/{measured_id}").get_data(as_text=True)
    assert "Sie haben gesagt – wir haben getan" in page and "<svg" in page
    # The survey evidence: the citizens' rating of the measure's field in the adopted version.
    assert "In der Bürgerbefragung haben die Einwohnerinnen und Einwohner die Bedeutung des Handlungsfelds" in page
    assert "Die offizielle Antwort der Stadt:" in page and "Vielen Dank für Ihren Vorschlag" in page
    published = client.get(f"/strategy/published/{version.number}").get_data(as_text=True)
    assert "0815/2023" in published and "vom Rat beschlossen" in published
