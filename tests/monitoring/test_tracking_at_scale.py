"""Monitoring at a metropolis's scale (issue 19, speed): the tracking score's facts are stored on each action and
kept true by every change (whoever makes it), the score is computed in SQL for "today" by the same rule as in
Python, so the overview filters, counts and pages in SQL; the action page lists the newest updates and values with
"show all"; the open-data files are built once per change of the data and answer conditional requests."""

import csv
import io
import itertools
import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from planner.accounts.models import User
from planner.core.timeutil import local_today
from planner.extensions import db
from planner.findings.models import MeasureKPI
from planner.monitoring import public, services, tracking, views
from planner.monitoring.models import ActionStatus, ActionTask, KPIValue, MonitoredAction, StatusUpdate
from tests import factories


def _action(field, **kw) -> MonitoredAction:
    action = MonitoredAction(measure=factories.measure(field=field, **kw.pop("measure", {})), **kw)
    db.session.add(action)
    db.session.flush()
    return action


def _rows(page: str) -> list[str]:
    return re.findall(r'<a class="kern-link" href="/monitoring/actions/(\d+)">', page)


def test_the_score_in_sql_is_the_rule_in_python_on_every_boundary_day(app):
    """Every combination of the facts around the boundaries (an update 183 or 184 days old, a KPI value 366 or 367
    days old, a contact or none, a dated open task or none, a completed action): the overview's SQL, the stored
    facts in Python and quality() on the loaded rows give the same four flags; and so they do tomorrow and in half a
    year, with nothing written in between (the score follows the day)."""
    with app.app_context():
        today = local_today()
        lead = factories.user(role="strategy_team")
        field = factories.field()
        actions = []
        for last, kpi, contact, (status, task) in itertools.product(
                (None, 183, 184), (None, 366, 367), (True, False),
                ((ActionStatus.ON_TRACK, True), (ActionStatus.ON_TRACK, False), (ActionStatus.COMPLETED, False))):
            action = _action(field, status=status, lead_id=lead.id if contact else None)
            if last is not None:
                db.session.add(StatusUpdate(action_id=action.id, reported_on=today - timedelta(days=last),
                                            status=status, text="Bericht."))
            if kpi is not None:
                k = MeasureKPI(measure=action.measure, indicator="Sensoren")
                db.session.add(k)
                db.session.flush()
                db.session.add(KPIValue(kpi_id=k.id, measured_on=today - timedelta(days=kpi), value=Decimal(3)))
            if task:
                db.session.add(ActionTask(action_id=action.id, title="Vergabe", due_on=today + timedelta(days=9)))
            db.session.add(ActionTask(action_id=action.id, title="Erledigt", due_on=today, done_on=today))
            actions.append(action)
        db.session.flush()
        for day in (today, today + timedelta(days=1), today + timedelta(days=200)):
            by_rule = {}
            for action in actions:
                db.session.refresh(action)
                stored = tracking.stored_quality(action, day)
                newest_kpi = services.latest_kpi_dates([action]).get(action.measure_id)
                if day == today:  # quality() on the loaded updates and tasks (as of today)
                    assert services.quality(action, newest_kpi, day) == stored
                by_rule[action.id] = stored
            if day == today:
                assert len({q.score for q in by_rule.values()}) == 5  # the grid reaches every score
            in_sql = {t.action_id: t.quality for t in services.tracking(lead, per_page=500, as_of=day).items}
            assert in_sql == by_rule
            for n in range(5):
                shown = services.tracking(lead, score_is=n, per_page=500, as_of=day)
                assert {t.action_id for t in shown.items} == {i for i, q in by_rule.items() if q.score == n}
                assert shown.total == len(shown.items)


def test_the_facts_follow_every_change_whoever_makes_it(app, client, auth):
    """The services (an update, a KPI value, a task done and open again) and changes outside them (a KPI deleted
    on the measure's page, an update corrected) all keep the stored facts true; the action page and the overview
    show the same score."""
    with app.app_context():
        today = local_today()
        strategist = factories.user(role="strategy_team")
        action = _action(factories.field(), lead_id=strategist.id)
        kpi = MeasureKPI(measure=action.measure, indicator="Sensoren")
        db.session.add(kpi)
        db.session.flush()
        assert (action.last_update_on, action.latest_kpi_on, action.next_task_on) == (None, None, None)

        services.post_update(action, strategist, reported_on=today - timedelta(days=3), status="on_track",
                             progress=10, text="Vergabe läuft.")
        services.post_update(action, strategist, reported_on=today - timedelta(days=30), status="delayed",
                             progress=5, text="Nachgetragen.")
        assert action.last_update_on == today - timedelta(days=3) and action.status == ActionStatus.ON_TRACK
        services.record_kpi_value(action, strategist, kpi_id=kpi.id, measured_on=today - timedelta(days=1),
                                  value="12")
        assert action.latest_kpi_on == today - timedelta(days=1)
        task = services.add_task(action, strategist, title="Abnahme", kind="task", due_on=today + timedelta(days=5))
        assert action.next_task_on == today + timedelta(days=5)
        assert services.current_quality(action).score == 4
        services.complete_task(task, strategist)
        assert action.next_task_on is None
        services.complete_task(task, strategist, done=False)
        assert action.next_task_on == today + timedelta(days=5)

        db.session.delete(kpi)  # the measure's KPI is removed (findings): its values go with it
        db.session.flush()
        assert action.latest_kpi_on is None
        newest = db.session.scalar(select(StatusUpdate).where(StatusUpdate.action_id == action.id)
                                   .order_by(StatusUpdate.reported_on.desc()))
        newest.reported_on = today - timedelta(days=300)  # a correction outside the services
        db.session.flush()
        assert action.last_update_on == today - timedelta(days=30)
        assert services.current_quality(action).score == 3  # contact, update, task; no KPI
        db.session.commit()
        action_id = action.id
    auth.login("strategy_team")
    page = client.get(f"/monitoring/actions/{action_id}").get_data(as_text=True)
    assert "3 von 4 (kein aktueller Kennzahlwert)" in page
    overview = client.get("/monitoring/?quality=3").get_data(as_text=True)
    assert _rows(overview) == [str(action_id)] and "kein aktueller Kennzahlwert" in overview
    assert _rows(client.get("/monitoring/?quality=4").get_data(as_text=True)) == []


def test_the_daily_job_repairs_facts_written_around_the_session(app):
    """Bulk inserts (an import, the bench) bypass the session's bookkeeping: the daily job recomputes every
    action's facts."""
    from planner.monitoring.notify import run_reminders_job

    with app.app_context():
        today = local_today()
        action = _action(factories.field())
        db.session.commit()
        db.session.execute(insert(StatusUpdate), [  # a bulk insert: no unit of work, no flush
            {"action_id": action.id, "reported_on": today - timedelta(days=2), "status": ActionStatus.ON_TRACK,
             "progress": 4, "text": "Importiert."}])
        db.session.commit()
        assert action.last_update_on is None
        run_reminders_job()
        assert db.session.get(MonitoredAction, action.id).last_update_on == today - timedelta(days=2)


def test_the_overview_searches_number_and_title(app, client, auth):
    with app.app_context():
        field = factories.field(code="MOB")
        park = _action(field, measure={"number": "MOB-M07", "title": "Smartes Parken in Rüttenscheid"})
        light = _action(field, measure={"number": "MOB-M12", "title": "Adaptive Ampeln"})
        _action(field, measure={"number": "MOB-M13", "title": "100% digitale Anträge"})
        db.session.commit()
        park_id, light_id = park.id, light.id
    auth.login("strategy_team")

    def found(query: str) -> list[str]:
        return _rows(client.get("/monitoring/", query_string={"q": query}).get_data(as_text=True))

    assert found("parken") == [str(park_id)]  # any case
    assert found("m12") == [str(light_id)]  # the number
    assert found("ampeln adaptive") == [str(light_id)]  # every word, in any order
    assert found("_") == [] and len(found("%")) == 1  # wildcards are plain characters
    page = client.get("/monitoring/?q=Ampeln&page=1").get_data(as_text=True)
    assert 'name="q" value="Ampeln"' in page
    assert "Keine beobachtete Maßnahme passt zu diesen Filtern." in client.get("/monitoring/?q=Seilbahn").text


def test_the_action_page_shows_the_newest_updates_and_values_with_show_all(app, client, auth):
    with app.app_context():
        today = local_today()
        action = _action(factories.field())
        kpi = MeasureKPI(measure=action.measure, indicator="Sensoren in Betrieb")
        db.session.add(kpi)
        db.session.flush()
        for n in range(views.UPDATES_SHOWN + 5):
            db.session.add(StatusUpdate(action_id=action.id, reported_on=today - timedelta(days=90 * n),
                                        status=ActionStatus.ON_TRACK, progress=50 - n, text=f"Quartal {n}."))
        for n in range(views.VALUES_SHOWN + 3):
            db.session.add(KPIValue(kpi_id=kpi.id, measured_on=today - timedelta(days=90 * n), value=Decimal(n)))
        db.session.commit()
        action_id = action.id
    auth.login("strategy_team")
    page = client.get(f"/monitoring/actions/{action_id}").get_data(as_text=True)
    assert page.count('class="status-update"') == views.UPDATES_SHOWN
    assert "Quartal 0." in page and f"Quartal {views.UPDATES_SHOWN}." not in page  # the newest
    assert f"Die neuesten {views.UPDATES_SHOWN} von {views.UPDATES_SHOWN + 5} Sachständen." in page
    assert f'href="/monitoring/actions/{action_id}?all=updates#updates-heading"' in page
    values = page.split('id="kpis-heading"', 1)[1]
    assert values.count('<tr class="kern-table__row"><td') == views.VALUES_SHOWN
    assert f"Die neuesten {views.VALUES_SHOWN} von {views.VALUES_SHOWN + 3} Messwerten." in values

    everything = client.get(f"/monitoring/actions/{action_id}?all=updates").get_data(as_text=True)
    assert everything.count('class="status-update"') == views.UPDATES_SHOWN + 5
    assert "?all=updates#" not in everything
    values = client.get(f"/monitoring/actions/{action_id}?all=values").get_data(as_text=True)
    assert values.split('id="kpis-heading"', 1)[1].count('<tr class="kern-table__row"><td') == views.VALUES_SHOWN + 3


def test_the_open_data_files_are_built_once_per_change_and_answer_conditional_requests(app, client, monkeypatch):
    with app.app_context():
        today = local_today()
        action = _action(factories.field(), measure={"number": "UMW-M01"})
        kpi = MeasureKPI(measure=action.measure, indicator="Baumsensoren", unit="Anzahl")
        db.session.add(kpi)
        db.session.flush()
        db.session.add(KPIValue(kpi_id=kpi.id, measured_on=today - timedelta(days=10), value=Decimal(40)))
        db.session.commit()
        action_id, kpi_id = action.id, kpi.id
    built = []
    original = public.kpi_rows
    monkeypatch.setattr(public, "kpi_rows", lambda: built.append(1) or original())

    first = client.get("/monitoring/open-data/kpi-values.csv")
    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"]
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert first.headers["Content-Type"] == "text/csv; charset=utf-8"  # the charset once: harvesters parse it
    assert [r["value"] for r in csv.DictReader(io.StringIO(first.get_data(as_text=True)))] == ["40.0"]
    again = client.get("/monitoring/open-data/kpi-values.csv")
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    assert len(built) == 1  # the stored file
    etag = first.headers["ETag"]
    assert client.get("/monitoring/open-data/kpi-values.csv", headers={"If-None-Match": etag}).status_code == 304

    with app.app_context():  # a new value: a new file under a new ETag
        strategist = factories.user(role="strategy_team")
        services.record_kpi_value(db.session.get(MonitoredAction, action_id), strategist, kpi_id=kpi_id,
                                  measured_on=today, value="44")
        db.session.commit()
        strategist_id = strategist.id
    changed = client.get("/monitoring/open-data/kpi-values.csv", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag and len(built) == 2
    assert [r["value"] for r in csv.DictReader(io.StringIO(changed.get_data(as_text=True)))] == ["40.0", "44.0"]
    with app.app_context():  # a correction (same day, new value) changes it too
        services.record_kpi_value(db.session.get(MonitoredAction, action_id), db.session.get(User, strategist_id),
                                  kpi_id=kpi_id, measured_on=today, value="45")
        db.session.commit()
    corrected = client.get("/monitoring/open-data/kpi-values.json").get_json()
    assert [row["value"] for row in corrected] == [40.0, 45.0]
    # Older files go once no worker can still be sending them (a grace time after they were written).
    import os
    from pathlib import Path

    folder = Path(app.instance_path) / "cache" / "open-data"
    for old in folder.glob("kpi-values-*.*"):
        os.utime(old, (0, 0))
    with app.app_context():
        services.record_kpi_value(db.session.get(MonitoredAction, action_id), db.session.get(User, strategist_id),
                                  kpi_id=kpi_id, measured_on=today, value="46")
        db.session.commit()
    assert client.get("/monitoring/open-data/kpi-values.csv").status_code == 200
    assert len(list(folder.glob("kpi-values-*.csv"))) == 1 and len(list(folder.glob("kpi-values-*.json"))) == 1


def test_the_catalogue_says_when_the_data_last_changed_not_today(app, client):
    """dct:modified is the day of the data's newest change (as Last-Modified of the files), so that a portal
    harvesting daily does not see a change every day."""
    from sqlalchemy import text

    from tests.monitoring.test_monitoring import _started

    _started(app)
    with app.app_context():
        for table in ("kpi_values", "measure_kpis", "monitored_actions", "measures", "action_fields"):
            db.session.execute(text(f"UPDATE {table} SET updated_at = '2026-03-02 10:00:00.000000'"))
        db.session.commit()
    catalogue = client.get("/monitoring/open-data").get_json(force=True)
    assert {d["dct:modified"]["@value"] for d in catalogue["dcat:dataset"]} == {"2026-03-02"}
    modified = client.get("/monitoring/open-data/measures.csv").headers["Last-Modified"]
    assert modified.startswith("Mon, 02 Mar 2026")

