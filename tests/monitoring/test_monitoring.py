"""After the vote: the adopted measures become monitored actions; status updates, tasks and KPI values are
reported by the strategy team or the measure's lead; a progress report freezes and compares; it exports and reads
back."""

import subprocess
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from planner.core.errors import DomainError, NotAllowed
from planner.core.models import utcnow
from planner.core.timeutil import local_today
from planner.extensions import db
from planner.findings.models import MeasureKPI, MeasureStatus
from planner.monitoring import report, services
from planner.monitoring.models import ActionStatus, KPIValue, MonitoredAction, ProgressReport, StatusUpdate
from planner.strategy import versions
from planner.strategy.council import CouncilDecision, DecisionResult, DecisionStep
from tests import factories


def _adopted_version(*, adopted: bool = True, measures: int = 2):
    """A frozen, published version with real accepted measures (and a KPI on the first); the council adopted it."""
    strategist = factories.user(role="strategy_team")
    field = factories.field()
    made = []
    for n in range(1, measures + 1):
        made.append(factories.measure(field=field, status=MeasureStatus.ACCEPTED, number=f"{field.code}-M{n:02d}",
                                      title=f"Digitale Parkraumsteuerung {n}", lead_unit="Amt für Straßen und Verkehr",
                                      start_year=2024, end_year=2027))
    db.session.add(MeasureKPI(measure=made[0], indicator="Sensoren in Betrieb", unit="Anzahl",
                              baseline=Decimal("0"), target_value=Decimal("500"), target_year=2030))
    db.session.flush()
    version = versions.freeze_version(strategist, "Beschlussfassung")
    version.published_at = utcnow()
    decision = CouncilDecision(paper_version=version, reference="0815/2023")
    decision.steps.append(DecisionStep(body="Rat der Stadt", meeting_date=date(2023, 6, 15), authoritative=True,
                                       result=DecisionResult.ADOPTED if adopted else None))
    db.session.add(decision)
    db.session.flush()
    return version, strategist, made


def _started(app):
    with app.app_context():
        version, strategist, made = _adopted_version()
        assert services.start_monitoring(version, strategist) == 2
        db.session.commit()
        return version.number, [a.id for a in db.session.scalars(select(MonitoredAction)
                                                                 .order_by(MonitoredAction.id))]


def test_the_adopted_measures_become_monitored_actions_once(app):
    with app.app_context():
        version, strategist, made = _adopted_version()
        assert services.start_monitoring(version, strategist) == 2
        assert services.start_monitoring(version, strategist) == 0  # nothing twice
        action = db.session.scalar(select(MonitoredAction).where(MonitoredAction.measure_id == made[0].id))
        assert action.responsible_unit == "Amt für Straßen und Verkehr"  # not retyped
        assert action.status == ActionStatus.NOT_STARTED
        assert [(t.title, t.due_on) for t in action.tasks] == [("Umsetzung abgeschlossen", date(2027, 12, 31))]


def test_only_an_adopted_version_is_monitored(app):
    with app.app_context():
        version, strategist, _made = _adopted_version(adopted=False)
        with pytest.raises(DomainError, match="nicht vom Rat beschlossen"):
            services.start_monitoring(version, strategist)
        with pytest.raises(NotAllowed):
            services.start_monitoring(version, factories.user(role="expert"))


def test_the_team_starts_monitoring_from_the_overview(app, client, auth):
    with app.app_context():
        version, _strategist, _made = _adopted_version()
        number = version.number
        db.session.commit()
    auth.login("strategy_team")
    page = client.get("/monitoring/").get_data(as_text=True)
    assert f"Version {number} wurde vom Rat beschlossen" in page
    assert client.post(f"/monitoring/start/{number}").status_code == 302
    page = client.get("/monitoring/").get_data(as_text=True)
    assert "Digitale Parkraumsteuerung 1" in page and "nicht begonnen" in page
    assert "keine Ansprechperson" in page  # the tracking score names what is missing
    assert f"Version {number} wurde vom Rat beschlossen" not in page


def test_an_amended_version_adopted_later_takes_over_the_monitored_measures(app, client, auth):
    """The council adopts an amended version with the same measures: starting it monitors nothing twice, says so,
    the measures now follow the newer version, and the overview stops asking to start it."""
    number, (first, _second) = _started(app)
    with app.app_context():
        strategist = db.session.get(MonitoredAction, first).adopted_version.frozen_by
        amended = versions.freeze_version(strategist, "Fortschreibung")
        amended.published_at = utcnow()
        decision = CouncilDecision(paper_version=amended, reference="1234/2026")
        decision.steps.append(DecisionStep(body="Rat der Stadt", meeting_date=date(2026, 11, 26), authoritative=True,
                                           result=DecisionResult.ADOPTED))
        db.session.add(decision)
        db.session.commit()
        newer = amended.number
    auth.login("strategy_team")
    assert f"Version {newer} wurde vom Rat beschlossen" in client.get("/monitoring/").get_data(as_text=True)
    page = client.post(f"/monitoring/start/{newer}", follow_redirects=True).get_data(as_text=True)
    assert "0 Maßnahmen" not in page
    assert f"Alle Maßnahmen der Version {newer} wurden bereits beobachtet; sie folgen jetzt dieser Fassung." in page
    assert "wurde vom Rat beschlossen" not in page  # nor the older version, whose measures follow the newer one
    action = client.get(f"/monitoring/actions/{first}").get_data(as_text=True)
    assert f"Beschlossen mit Version {newer} des Papiers: Drucksache 1234/2026" in action
    with app.app_context():
        assert db.session.scalar(select(func.count(MonitoredAction.id))) == 2  # nothing twice


def test_a_status_update_sets_the_status_and_keeps_the_history(app, client, auth):
    _number, (first, _second) = _started(app)
    auth.login("strategy_team")
    today = local_today()
    answer = client.post(f"/monitoring/actions/{first}/updates", data={
        "reported_on": today.isoformat(), "status": "delayed", "progress": "30",
        "text": "Ausschreibung verzögert sich.\nVergabe im zweiten Quartal."})
    assert answer.status_code == 302
    client.post(f"/monitoring/actions/{first}/updates", data={
        "reported_on": (today - timedelta(days=40)).isoformat(), "status": "on_track", "progress": "10",
        "text": "Konzept abgestimmt."})  # an older report does not overwrite the newer state
    with app.app_context():
        action = db.session.get(MonitoredAction, first)
        assert (action.status, action.progress) == (ActionStatus.DELAYED, 30)
        assert [u.status for u in action.updates] == [ActionStatus.DELAYED, ActionStatus.ON_TRACK]
    page = client.get(f"/monitoring/actions/{first}").get_data(as_text=True)
    assert "verzögert" in page and "Ausschreibung verzögert sich." in page
    assert "Adopted" not in page and "Drucksache 0815/2023" in page  # the trail reaches the decision

    client.post("/language", data={"lang": "en"})
    english = client.get(f"/monitoring/actions/{first}").get_data(as_text=True)
    assert "delayed" in english and "Status updates" in english


@pytest.mark.parametrize("data, message", [
    ({"status": "on_track", "progress": "10", "text": ""}, "Dieses Feld wird benötigt."),
    ({"status": "on_track", "progress": "140", "text": "x"}, "100"),
    ({"status": "on_track", "progress": "10", "text": "x", "future": True}, "Zukunft"),
    ({"status": "sleeping", "progress": "10", "text": "x"}, "gültige Auswahl"),
])
def test_a_bad_status_update_is_refused_with_a_message(app, client, auth, data, message):
    _number, (first, _second) = _started(app)
    auth.login("strategy_team")
    day = local_today() + timedelta(days=3) if data.pop("future", False) else local_today()
    answer = client.post(f"/monitoring/actions/{first}/updates", data={"reported_on": day.isoformat(), **data})
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(StatusUpdate.id))) == 0


def test_an_implementation_lead_reports_only_on_their_own_measure(app, client, auth):
    _number, (first, second) = _started(app)
    lead_id = auth.login("expert")
    with app.app_context():
        db.session.get(MonitoredAction, first).lead_id = lead_id
        db.session.commit()
    assert "Digitale Parkraumsteuerung 2" not in client.get("/monitoring/").get_data(as_text=True)
    assert client.get(f"/monitoring/actions/{first}").status_code == 200
    assert client.get(f"/monitoring/actions/{second}").status_code == 403
    ok = client.post(f"/monitoring/actions/{first}/updates", data={
        "reported_on": local_today().isoformat(), "status": "on_track", "progress": "20", "text": "Gestartet."})
    assert ok.status_code == 302
    refused = client.post(f"/monitoring/actions/{second}/updates", data={
        "reported_on": local_today().isoformat(), "status": "on_track", "progress": "20", "text": "Gestartet."})
    assert refused.status_code == 403
    assert client.get(f"/monitoring/actions/{first}/edit").status_code == 403  # who leads is the team's choice


def test_kpi_values_and_tasks(app, client, auth):
    _number, (first, second) = _started(app)
    auth.login("strategy_team")
    with app.app_context():
        kpi_id = db.session.scalar(select(MeasureKPI.id))
    day = (local_today() - timedelta(days=10)).isoformat()
    assert client.post(f"/monitoring/actions/{first}/kpi-values", data={
        "kpi_id": kpi_id, "measured_on": day, "value": "120", "district": "Altendorf"}).status_code == 302
    assert client.post(f"/monitoring/actions/{first}/kpi-values", data={
        "kpi_id": kpi_id, "measured_on": day, "value": "125", "district": "Altendorf",
        "note": "korrigiert"}).status_code == 302  # the same day and district corrects the value
    with app.app_context():
        assert [(v.value, v.note) for v in db.session.scalars(select(KPIValue))] == [(Decimal("125.00"), "korrigiert")]
    # A KPI of another measure is not this measure's.
    answer = client.post(f"/monitoring/actions/{second}/kpi-values", data={
        "kpi_id": kpi_id, "measured_on": day, "value": "1"})
    assert answer.status_code == 400

    assert client.post(f"/monitoring/actions/{first}/tasks", data={
        "title": "Verwendungsnachweis an den Fördermittelgeber", "kind": "funder_report",
        "due_on": (local_today() - timedelta(days=1)).isoformat()}).status_code == 302
    page = client.get(f"/monitoring/actions/{first}").get_data(as_text=True)
    assert "überfällig" in page and "Bericht an den Fördermittelgeber" in page
    assert "125" in page and "Altendorf" in page


def test_the_tracking_score_names_what_is_missing(app):
    with app.app_context():
        version, strategist, made = _adopted_version()
        services.start_monitoring(version, strategist)
        action = db.session.scalar(select(MonitoredAction).where(MonitoredAction.measure_id == made[0].id))
        today = local_today()
        empty = services.quality(action, None, today)
        assert empty.score == 1 and empty.next_task  # the milestone is a dated task
        action.lead_id = strategist.id
        services.post_update(action, strategist, reported_on=today, status="on_track", progress=10, text="Läuft.")
        full = services.quality(action, today - timedelta(days=30), today)
        assert full.score == 4 and not full.missing
        stale = services.quality(action, today - timedelta(days=400), today + timedelta(days=200))
        assert not stale.recent_update and not stale.current_kpi


def test_a_progress_report_freezes_compares_and_reads_back(app, client, auth, tmp_path, runner):
    from docx import Document

    _number, (first, _second) = _started(app)
    auth.login("strategy_team")
    assert client.post("/monitoring/reports", data={"period": "2026"}).status_code == 302
    assert client.post("/monitoring/reports", data={"period": "2026"}).status_code == 400  # one per period
    client.post(f"/monitoring/actions/{first}/updates", data={
        "reported_on": local_today().isoformat(), "status": "at_risk", "progress": "45",
        "text": "Förderbescheid steht aus."})
    assert client.post("/monitoring/reports", data={"period": "2027"}).status_code == 302
    with app.app_context():
        report_id = db.session.scalar(select(ProgressReport.id).where(ProgressReport.period == "2027"))

    answer = client.get(f"/monitoring/reports/{report_id}/download?format=docx")
    assert answer.status_code == 200
    assert "Umsetzungsbericht-2027.docx" in answer.headers["Content-Disposition"]
    path = tmp_path / "bericht.docx"
    path.write_bytes(answer.data)
    document = Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Umsetzungsbericht 2027" in text
    assert "Seit dem vorigen Bericht" in text and "Förderbescheid steht aus." in text
    cells = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    row = next(r for r in cells if r[0].endswith("Digitale Parkraumsteuerung 1"))
    assert row[1:4] == ["gefährdet", "45\u00a0%", "nicht begonnen → gefährdet"]

    output = tmp_path / "bericht.pdf"
    result = runner.invoke(args=["export-progress-report", "--period", "2027", "--format", "pdf",
                                 "--output", str(output)])
    assert result.exit_code == 0, result.output
    shown = subprocess.run(["pdftotext", str(output), "-"], capture_output=True, text=True, check=True).stdout
    assert "Umsetzungsbericht 2027" in shown and "gefährdet" in shown

    english = tmp_path / "report.md"
    result = runner.invoke(args=["export-progress-report", "--period", "2027", "--format", "md", "--locale", "en",
                                 "--output", str(english)])
    assert result.exit_code == 0, result.output
    written = english.read_text(encoding="utf-8")
    assert "Progress report 2027" in written and "at risk" in written and "gefährdet" not in written


def test_the_progress_report_lists_the_fields_in_the_citys_order(app):
    """The report's fields come in the order the pages show them (the city's field order), not by the measures'
    codes: "Umwelt" (first on the dashboard) before "Bildung"."""
    import io

    with app.app_context():
        strategist = factories.user(role="strategy_team")
        for position, code, name in ((2, "BIL", "Smarte Bildung"), (1, "UMW", "Smarte Umwelt")):
            field = factories.field(code=code, name_de=name, position=position)
            factories.measure(field=field, status=MeasureStatus.ACCEPTED, number=f"{code}-M01", title=f"{name} M1")
        db.session.flush()
        version = versions.freeze_version(strategist, "Beschlussfassung")
        version.published_at = utcnow()
        decision = CouncilDecision(paper_version=version, reference="0815/2023")
        decision.steps.append(DecisionStep(body="Rat der Stadt", meeting_date=date(2023, 6, 15), authoritative=True,
                                           result=DecisionResult.ADOPTED))
        db.session.add(decision)
        db.session.flush()
        services.start_monitoring(version, strategist)
        stored = services.freeze_report("2026", strategist)
        db.session.commit()
        output = io.BytesIO()
        report.export_report(stored, "md", output)
        text = output.getvalue().decode()
        fields = text.split("Maßnahmen nach Handlungsfeld", 1)[1]
        assert fields.index("Smarte Umwelt") < fields.index("Smarte Bildung")


def test_a_report_without_status_changes_says_so_in_words(app):
    import io

    _started(app)
    with app.app_context():
        strategist = factories.user(role="strategy_team")
        services.freeze_report("2026", strategist)
        stored = services.freeze_report("2027", strategist)
        db.session.commit()
        texts = {}
        for language in ("de", "en"):
            output = io.BytesIO()
            report.export_report(stored, "md", output, language)
            texts[language] = output.getvalue().decode()
    assert "hat keine Maßnahme ihren Status geändert." in texts["de"] and "0 Maßnahmen" not in texts["de"]
    assert "no measure has changed its status." in texts["en"] and "0 measures" not in texts["en"]


def test_the_cli_freezes_a_missing_period_first(app, runner, tmp_path):
    _started(app)
    output = tmp_path / "b.md"
    result = runner.invoke(args=["export-progress-report", "--period", "2028", "--format", "md",
                                 "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "Froze the progress report 2028" in result.output
    assert "Umsetzungsbericht 2028" in output.read_text(encoding="utf-8")


# --- public ----------------------------------------------------------------------------------------------------

def test_the_public_dashboard_shows_status_kpis_and_where_a_measure_came_from(app, client):
    import csv
    import io
    import json

    with app.app_context():
        strategist = factories.user(role="strategy_team")
        from planner.workshops.models import WorkshopStatus

        workshop = factories.workshop(title="Workshop Mobilität", status=WorkshopStatus.DOCUMENTED,
                                      starts_at=factories.aware(2022, 3, 10))
        need = factories.finding(workshop=workshop, text="Parksuchverkehr in der Innenstadt verringern")
        hidden = factories.finding(workshop=workshop, field=need.field, text="Geheime Beleidigung", is_hidden=True)
        measure = factories.measure(needs=[need, hidden], status=MeasureStatus.ACCEPTED, number="MOB-M07",
                                    title="Digitale Parkraumsteuerung", cost_estimate=Decimal("650000"))
        kpi = MeasureKPI(measure=measure, indicator="Sensoren in Betrieb", unit="Anzahl", target_value=Decimal("500"))
        db.session.add(kpi)
        db.session.flush()
        version = versions.freeze_version(strategist, "Beschluss")
        version.published_at = utcnow()
        decision = CouncilDecision(paper_version=version, reference="0815/2023")
        decision.steps.append(DecisionStep(body="Rat", meeting_date=date(2023, 6, 15), authoritative=True,
                                           result=DecisionResult.ADOPTED))
        db.session.add(decision)
        services.start_monitoring(version, strategist)
        action = db.session.scalar(select(MonitoredAction))
        action.lead_id = strategist.id
        services.post_update(action, strategist, reported_on=local_today(), status="on_track", progress=40,
                             text="120 Sensoren installiert.")
        services.record_kpi_value(action, strategist, kpi_id=kpi.id, measured_on=local_today(), value="120")
        db.session.commit()
        lead_name = strategist.name
        code, name, action_id = measure.field.code, measure.field.name_de, action.id

    # The dashboard counts per field; the field's page lists its measures; the measure's page shows all of it.
    page = client.get("/monitoring/public").get_data(as_text=True)
    assert f'href="/monitoring/public/fields/{code}">{name}</a>' in page
    counts = page.split(f"{name}</a>", 1)[1].split("</tr>", 1)[0]
    assert [c.split(">", 1)[1].split("<", 1)[0] for c in counts.split("<td")[1:]] == \
        ["1", "0", "1", "0", "0", "0", "0", "40 %"]  # one measure: on track, 40 % on average
    field_page = client.get(f"/monitoring/public/fields/{code}").get_data(as_text=True)
    assert "MOB-M07 Digitale Parkraumsteuerung" in field_page and "im Plan" in field_page
    assert "120 Sensoren installiert." in field_page
    assert client.get("/monitoring/public/fields/NOPE").status_code == 404
    page = client.get(f"/monitoring/public/measures/{action_id}").get_data(as_text=True)
    assert "MOB-M07 Digitale Parkraumsteuerung" in page and "im Plan" in page and "120 Sensoren installiert." in page
    assert client.get(f"/monitoring/public/measures/{action_id + 100}").status_code == 404
    assert "Parksuchverkehr in der Innenstadt verringern" in page and "Workshop Mobilität" in page
    assert "Geheime Beleidigung" not in page  # hidden findings never reach a public page
    assert lead_name not in page  # nobody is named
    assert "Sensoren in Betrieb" in page and "<svg" in page
    assert "Die Umsetzung verfolgen" in client.get("/").get_data(as_text=True) or \
        "Umsetzung der Strategie verfolgen" in client.get("/").get_data(as_text=True)

    # The dashboard links the files themselves (a citizen gets a table, not the portals' JSON-LD description).
    dashboard = client.get("/monitoring/public").get_data(as_text=True)
    for path in ("measures.csv", "measures.json", "kpi-values.csv", "kpi-values.json"):
        assert f'href="/monitoring/open-data/{path}"' in dashboard
    assert "Beschreibung für Open-Data-Portale (DCAT-AP.de, JSON-LD)" in dashboard
    rows = list(csv.DictReader(io.StringIO(client.get("/monitoring/open-data/measures.csv").get_data(as_text=True))))
    assert rows[0]["measure_number"] == "MOB-M07" and rows[0]["status"] == "on_track"
    assert rows[0]["cost_estimate_eur"] == "650000.0" and rows[0]["progress_percent"] == "40"
    values = json.loads(client.get("/monitoring/open-data/kpi-values.json").get_data(as_text=True))
    assert values == [{"measure_number": "MOB-M07", "indicator": "Sensoren in Betrieb", "unit": "Anzahl",
                       "baseline": None, "target_value": 500.0, "target_year": None,
                       "measured_on": local_today().isoformat(), "district": "", "value": 120.0}]
    catalogue = json.loads(client.get("/monitoring/open-data").get_data(as_text=True))
    assert catalogue["@type"] == "dcat:Catalog" and len(catalogue["dcat:dataset"]) == 2
    urls = [d["dcat:downloadURL"]["@id"] for ds in catalogue["dcat:dataset"] for d in ds["dcat:distribution"]]
    assert all(client.get(url.split("127.0.0.1:5000", 1)[-1] if "127.0.0.1:5000" in url else url).status_code == 200
               for url in urls), urls
    assert client.get("/monitoring/open-data/people.csv").status_code == 404


def test_the_public_dashboard_before_any_adoption_says_so(client):
    page = client.get("/monitoring/public").get_data(as_text=True)
    assert "Die Umsetzung hat noch nicht begonnen" in page
