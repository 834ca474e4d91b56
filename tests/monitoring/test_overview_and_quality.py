"""Monitoring at a city's scale: the tracking score has one rule (quality() on a day, also for a frozen report and
the overview's aggregates); the overview filters by field, status and score and pages; the public dashboard counts
per field and each field's page pages its measures."""

import re
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import delete, func, select

from planner.core.timeutil import local_today
from planner.extensions import db
from planner.findings.models import MeasureKPI
from planner.monitoring import public, services
from planner.monitoring.models import ActionStatus, ActionTask, KPIValue, MonitoredAction, StatusUpdate
from planner.monitoring.views import OVERVIEW_PER_PAGE
from planner.strategy import versions
from tests import factories
from tests.monitoring.test_monitoring import _adopted_version


def _action(field=None, **kw) -> MonitoredAction:
    action = MonitoredAction(measure=factories.measure(field=field or factories.field()), **kw)
    db.session.add(action)
    db.session.flush()
    return action


def _update(action, day, status=ActionStatus.ON_TRACK, progress=10):
    action.updates.append(StatusUpdate(reported_on=day, status=status, progress=progress, text="Bericht."))
    db.session.flush()
    db.session.refresh(action)


def test_quality_as_of_a_day_counts_only_what_was_known_then(app):
    with app.app_context():
        today = local_today()
        lead = factories.user(role="strategy_team")
        action = _action(lead_id=lead.id)
        assert services.quality(action, None, today).score == 1  # only the contact
        _update(action, today - timedelta(days=400), ActionStatus.ON_TRACK)
        _update(action, today - timedelta(days=10), ActionStatus.COMPLETED, 100)
        action.status = ActionStatus.COMPLETED
        action.tasks.append(ActionTask(title="Abnahme", due_on=today - timedelta(days=20),
                                       done_on=today - timedelta(days=5)))
        db.session.flush()

        now = services.quality(action, today - timedelta(days=30), today)
        assert now.score == 4 and now.next_task  # completed: no next task needed
        # A year ago: the report of 400 days ago was recent, the measure was not completed, the task was open.
        year_ago = services.quality(action, today - timedelta(days=30), today - timedelta(days=300))
        assert year_ago.recent_update and year_ago.next_task
        # Before the first report: no update, status "not started"; the task (open then) still counts.
        before = services.quality(action, None, today - timedelta(days=500))
        assert not before.recent_update and before.next_task and not before.current_kpi
        # Between the task's completion and... the measure without its closing report: on track, nothing open.
        action.updates[0].reported_on = today - timedelta(days=1)  # the completion reported yesterday
        db.session.flush()
        db.session.refresh(action)
        two_days_ago = services.quality(action, None, today - timedelta(days=2))
        assert not two_days_ago.next_task and not two_days_ago.recent_update
        assert two_days_ago.missing == ["seit sechs Monaten kein Sachstand", "kein aktueller Kennzahlwert",
                                        "keine datierte nächste Aufgabe"]


def test_the_overview_aggregates_the_frozen_report_and_quality_agree(app):
    """The same rule in three places: quality() on a loaded action, the overview's one query of aggregates, and the
    snapshot a progress report freezes (on its day)."""
    with app.app_context():
        today = local_today()
        lead = factories.user(role="strategy_team")
        field = factories.field()
        actions = []
        for n in range(6):
            action = _action(field, lead_id=lead.id if n % 2 else None)
            if n % 3:
                _update(action, today - timedelta(days=30 + 100 * n), ActionStatus.ON_TRACK)
            if n in (1, 4):
                action.tasks.append(ActionTask(title="Nächster Schritt", due_on=today + timedelta(days=30)))
            if n == 5:
                action.tasks.append(ActionTask(title="Erledigt", due_on=today, done_on=today))
            if n >= 3:
                kpi = MeasureKPI(measure=action.measure, indicator="Sensoren")
                db.session.add(kpi)
                db.session.flush()
                db.session.add(KPIValue(kpi_id=kpi.id, measured_on=today - timedelta(days=200 * (n - 2)),
                                        value=Decimal(1)))
            actions.append(action)
        db.session.flush()
        for action in actions:
            db.session.refresh(action)
        latest = services.latest_kpi_dates(actions)
        by_hand = {a.id: services.quality(a, latest.get(a.measure_id), today) for a in actions}
        assert len({q.score for q in by_hand.values()}) >= 3  # the data covers different scores
        tracked = {t.action_id: t.quality for t in services.tracking(lead, as_of=today).items}
        for n in range(5):  # filtered by the score: the same rule
            assert {t.action_id for t in services.tracking(lead, score_is=n, as_of=today).items} == \
                {i for i, q in by_hand.items() if q.score == n}
        assert tracked == by_hand
        frozen = {item["measure_id"]: item["quality"] for item in services.snapshot(today)["actions"]}
        assert frozen == {a.measure_id: by_hand[a.id].score for a in actions}
        # On an earlier day the report scores what was known then, through the same quality().
        earlier = today - timedelta(days=250)
        then = {item["measure_id"]: item["quality"] for item in services.snapshot(earlier)["actions"]}
        kpi_then = {a.measure_id: max((v.measured_on for vs in services.kpi_values(a.measure).values() for v in vs
                                       if v.measured_on <= earlier), default=None) for a in actions}
        assert then == {a.measure_id: services.quality(a, kpi_then[a.measure_id], earlier).score for a in actions}


def _rows(page: str) -> list[str]:
    return re.findall(r'<a class="kern-link" href="/monitoring/actions/(\d+)">', page)


def test_the_overview_filters_by_field_status_and_score_and_pages(app, client, auth):
    with app.app_context():
        version, strategist, made = _adopted_version(measures=OVERVIEW_PER_PAGE + 3)
        services.start_monitoring(version, strategist)
        # The city put this field first; its code sorts last.
        other = factories.field(name_de="Smarte Bildung", code="ZZZ", position=-1)
        extra = _action(other, status=ActionStatus.DELAYED)
        first = db.session.scalar(select(MonitoredAction).where(MonitoredAction.measure_id == made[0].id))
        first.status = ActionStatus.AT_RISK
        first.lead_id = strategist.id  # one more point: contact (and the milestone)
        db.session.commit()
        extra_id, first_id, code, first_field = extra.id, first.id, other.code, made[0].field.code
        total = OVERVIEW_PER_PAGE + 4
    auth.login("strategy_team")
    page = client.get("/monitoring/").get_data(as_text=True)
    assert len(_rows(page)) == OVERVIEW_PER_PAGE
    assert _rows(page)[0] == str(extra_id)  # in the paper's order: the fields as the city ordered them
    assert f"{total} beobachtete Maßnahmen" in page and "Seite 1 von 2" in page
    second = client.get("/monitoring/?page=2").get_data(as_text=True)
    assert len(_rows(second)) == 4 and str(extra_id) not in _rows(second)
    assert _rows(client.get("/monitoring/?page=99").get_data(as_text=True)) == _rows(second)  # nearest page
    assert _rows(client.get("/monitoring/?page=x%C2%B2").get_data(as_text=True)) == _rows(page)

    assert _rows(client.get(f"/monitoring/?field={code}").get_data(as_text=True)) == [str(extra_id)]
    assert _rows(client.get("/monitoring/?status=at_risk").get_data(as_text=True)) == [str(first_id)]
    assert _rows(client.get("/monitoring/?quality=2").get_data(as_text=True)) == [str(first_id)]
    both = client.get(f"/monitoring/?field={first_field}&status=at_risk&quality=2").get_data(as_text=True)
    assert _rows(both) == [str(first_id)]
    assert 'value="at_risk" selected' in both and 'value="2" selected' in both  # the filters stay chosen
    nothing = client.get(f"/monitoring/?field={code}&status=at_risk").get_data(as_text=True)
    assert _rows(nothing) == [] and "Keine beobachtete Maßnahme passt zu diesen Filtern." in nothing
    # Unknown values are no filter (and never a 500).
    assert len(_rows(client.get("/monitoring/?field=NOPE&status=asleep&quality=9").get_data(as_text=True))) == \
        OVERVIEW_PER_PAGE
    # The page links keep the filters.
    filtered = client.get(f"/monitoring/?field={first_field}").get_data(as_text=True)
    assert f"field={first_field}" in filtered.split('rel="next"')[0].rsplit("href=", 1)[1]


def test_the_public_dashboard_counts_per_field_and_each_field_pages(app, client):
    with app.app_context():
        field = factories.field(code="MOB", name_de="Smarte Mobilität")
        small = factories.field(code="BIL", name_de="Smarte Bildung")
        for n in range(public.PER_PAGE * 2 + 1):
            action = _action(field, status=ActionStatus.DELAYED if n % 2 else ActionStatus.ON_TRACK,
                             progress=10 * (n % 3))
            action.measure.number, action.measure.number_key = f"MOB-M{n:03d}", "MOB-M"
        _action(small, status=ActionStatus.COMPLETED, progress=100)
        db.session.commit()
    page = client.get("/monitoring/public").get_data(as_text=True)
    cells = lambda name: [c.split(">", 1)[1].split("<", 1)[0]  # noqa: E731
                          for c in page.split(f"{name}</a>", 1)[1].split("</tr>", 1)[0].split("<td")[1:]]
    assert cells("Smarte Mobilität") == ["51", "0", "26", "25", "0", "0", "0", "10 %"]
    assert cells("Smarte Bildung") == ["1", "0", "0", "0", "0", "1", "0", "100 %"]
    assert "MOB-M000" not in page  # the measures are on the field's pages

    first = client.get("/monitoring/public/fields/MOB").get_data(as_text=True)
    assert first.count('class="public-measure"') == public.PER_PAGE and "MOB-M000" in first
    assert "Seite 1 von 3" in first and 'href="/monitoring/public/fields/MOB?page=2"' in first
    last = client.get("/monitoring/public/fields/MOB?page=3").get_data(as_text=True)
    assert last.count('class="public-measure"') == 1 and "MOB-M050" in last
    assert client.get("/monitoring/public/fields/ZZZ").status_code == 404


def test_the_public_measure_page_reads_its_trail_not_the_roll_up(app, client):
    """Starting the monitoring copies each measure's trail out of the adopted version's roll-up: the public measure
    page then reads one small row, never the roll-up (no worker parses a metropolis's 28 MB again). A version
    monitored before that is read once per process until the daily job has indexed it."""
    from planner.monitoring.models import PublicTrail
    from planner.monitoring.notify import run_reminders_job

    with app.app_context():
        version, strategist, made = _adopted_version()
        services.start_monitoring(version, strategist)
        db.session.commit()
        version_id, measure_id = version.id, made[0].id
    public._TRAILS.clear()
    calls = []
    original = public._raw_trails

    def counting(version_id):
        calls.append(version_id)
        return original(version_id)

    public._raw_trails = counting
    try:
        for _ in range(3):
            page = client.get(f"/monitoring/public/measures/{measure_id}").get_data(as_text=True)
            assert "Digitale Parkraumsteuerung 1" in page
        assert calls == []  # the trail came from its row
        with app.app_context():  # a version monitored before the trails were indexed
            db.session.execute(delete(PublicTrail))
            db.session.commit()
        for _ in range(3):
            assert "Digitale Parkraumsteuerung 1" in client.get(f"/monitoring/public/measures/{measure_id}").text
        assert calls == [version_id]  # once per process
        with app.app_context():
            run_reminders_job()  # the daily job indexes it
            assert db.session.scalar(select(func.count()).select_from(PublicTrail)) == len(made) + 1
        public._TRAILS.clear()
        assert "Digitale Parkraumsteuerung 1" in client.get(f"/monitoring/public/measures/{measure_id}").text
        assert calls == [version_id, version_id]  # the job's reading; the page read none
    finally:
        public._raw_trails = original
    with app.app_context():  # the same sheet and needs as the whole roll-up gives
        from planner.strategy.models import PaperVersion

        rollup = versions.version_rollup(db.session.get(PaperVersion, version_id))
        sheet = next(m for m in rollup.measures() if m.id == measure_id)
        trail = public._trail(version_id, measure_id)
        assert trail[0] == sheet
        assert trail == public._read_trails(version_id)[measure_id]


def test_the_snapshot_reads_only_the_newest_update_before_its_day(app):
    with app.app_context():
        action = _action()
        today = local_today()
        _update(action, date(2024, 3, 31), ActionStatus.ON_TRACK, 20)
        _update(action, date(2024, 9, 30), ActionStatus.DELAYED, 30)
        _update(action, today, ActionStatus.AT_RISK, 35)
        item = services.snapshot(date(2024, 12, 31))["actions"][0]
        assert (item["status"], item["progress"], item["last_update_on"]) == ("delayed", 30, "2024-09-30")
        assert services.snapshot(date(2024, 1, 1))["actions"][0]["status"] == "not_started"
