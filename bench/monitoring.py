"""The monitoring bench (issue 19): a metropolis after the vote. The metropolis data of bench/generate.py, its paper
frozen as a version the council adopted, and every accepted measure (2,000) monitored: three KPIs each with ten
years of quarterly values, quarterly status updates, tasks and milestones, two frozen progress reports.

Measures, on SQLite and PostgreSQL: the staff overview, the public dashboard, a field's page and a measure's page
under load (gunicorn and wrk as bench/run.py runs them), the SQL statements per page, the open-data exports, and the
progress report's DOCX and PDF through the real command (time and peak memory).

    python -m bench.monitoring [--databases "sqlite postgresql"] [--duration 20] [--output docs/benchmarks.md]
    python -m bench.run --only monitoring          (the same, as part of make bench's runner)

The section "## Monitoring (metropolis)" of the output file is replaced (or appended)."""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, insert, select

from planner.config import DefaultConfig

KPIS_PER_MEASURE = 3
YEARS = 10
SECTION = "## Monitoring (metropolis)"
TARGETS = {"overview": 150, "dashboard": 150}  # p95 in ms; the progress report DOCX ≤ 10 s
DOCX_TARGET_S = 10
WARMUP_S = 3  # an untimed load run before each page group's timed one
UPDATE_TEXTS = ["Ausschreibung vorbereitet.", "Vergabe abgeschlossen, Umsetzung beginnt.",
                "Erste Sensoren installiert, Daten laufen auf.", "Lieferverzug beim Auftragnehmer.",
                "Fördermittel bewilligt.", "Abstimmung mit den Bezirksvertretungen läuft.",
                "Pilotquartier in Betrieb, Auswertung folgt."]
INDICATORS = [("Sensoren in Betrieb", "Anzahl"), ("Nutzerinnen und Nutzer pro Monat", "Anzahl"),
              ("Anteil digitaler Anträge", "%"), ("CO₂-Einsparung", "t/Jahr"), ("Angebundene Schulen", "Anzahl")]


def _quarter_ends(start: date, end: date) -> list[date]:
    days, year, month = [], start.year, ((start.month - 1) // 3 + 1) * 3
    while True:
        day = date(year, month, 30 if month in (6, 9) else 31)
        if day > end:
            return days
        days.append(day)
        year, month = (year + 1, 3) if month == 12 else (year, month + 3)


def generate_monitoring(seed: int = 2040, batch: int = 10_000) -> dict:
    """Adds the monitoring to a database filled by bench.generate (call inside a request context)."""
    from planner.accounts.models import User
    from planner.core.models import utcnow
    from planner.core.permissions import Role
    from planner.core.timeutil import local_today
    from planner.extensions import db
    from planner.findings.models import Measure, MeasureKPI, MeasureStatus
    from planner.monitoring import services
    from planner.monitoring.models import ActionStatus, ActionTask, KPIValue, MonitoredAction, StatusUpdate, TaskKind
    from planner.strategy import versions
    from planner.strategy.council import CouncilDecision, DecisionResult, DecisionStep

    rng = random.Random(seed + 19)
    timings: dict[str, float] = {}

    def bulk(model, rows):
        for i in range(0, len(rows), batch):
            db.session.execute(insert(model), rows[i:i + batch])

    strategist = db.session.scalar(select(User).where(User.role == Role.STRATEGY_TEAM))
    measure_ids = db.session.scalars(select(Measure.id).where(Measure.status == MeasureStatus.ACCEPTED)
                                     .order_by(Measure.id)).all()
    kpis, kpi_id = [], 0
    for mid in measure_ids:
        for n in range(KPIS_PER_MEASURE):
            kpi_id += 1
            indicator, unit = INDICATORS[(mid + n) % len(INDICATORS)]
            baseline = rng.randrange(0, 200)
            kpis.append({"id": kpi_id, "measure_id": mid, "indicator": indicator, "unit": unit, "baseline": baseline,
                         "target_value": baseline + rng.randrange(50, 1000), "target_year": rng.choice((2030, 2035))})
    bulk(MeasureKPI, kpis)
    db.session.flush()

    started = time.perf_counter()
    version = versions.freeze_version(strategist, "Beschlussfassung (Bench)")
    version.published_at = utcnow()
    decision = CouncilDecision(paper_version=version, reference="1904/2026")
    decision.steps.append(DecisionStep(body="Rat der Stadt", meeting_date=date(2016, 6, 15), authoritative=True,
                                       result=DecisionResult.ADOPTED))
    db.session.add(decision)
    db.session.flush()
    timings["freeze_version_s"] = time.perf_counter() - started

    today = local_today()
    quarters = _quarter_ends(today - timedelta(days=365 * YEARS), today - timedelta(days=1))
    flow = [ActionStatus.ON_TRACK] * 6 + [ActionStatus.DELAYED, ActionStatus.AT_RISK]
    actions, updates, tasks = [], [], []
    for n, mid in enumerate(measure_ids, start=1):
        status, progress = ActionStatus.NOT_STARTED, 0
        if n % 9 != 0:  # every ninth measure has no report at all (the tracking score shows it)
            for day in quarters:
                if rng.random() < 0.6:
                    status = ActionStatus.COMPLETED if progress >= 95 and rng.random() < 0.3 else rng.choice(flow)
                    progress = 100 if status == ActionStatus.COMPLETED else min(95, progress + rng.randrange(0, 6))
                    updates.append({"action_id": n, "reported_on": day, "status": status, "progress": progress,
                                    "text": rng.choice(UPDATE_TEXTS), "author_id": strategist.id})
                    if status == ActionStatus.COMPLETED:
                        break
        actions.append({"id": n, "measure_id": mid, "adopted_version_id": version.id,
                        "responsible_unit": "Amt für Digitalisierung", "status": status, "progress": progress,
                        "lead_id": strategist.id if n % 4 else None,
                        "funding_programme": "Modellprojekte Smart Cities" if n % 3 == 0 else ""})
        for year in (2025, 2030, 2035, 2040):
            due = date(year, 12, 31)
            tasks.append({"action_id": n, "title": f"Meilenstein {year}", "kind": TaskKind.MILESTONE, "due_on": due,
                          "done_on": due if due < today and rng.random() < 0.8 else None})
        for k in range(3):
            due = today + timedelta(days=rng.randrange(-200, 400))
            tasks.append({"action_id": n, "title": f"Arbeitspaket {k + 1}", "kind": TaskKind.TASK, "due_on": due,
                          "done_on": due if due < today and rng.random() < 0.7 else None})
    bulk(MonitoredAction, actions)
    bulk(StatusUpdate, updates)
    bulk(ActionTask, tasks)
    values = []
    for kpi in kpis:
        value = float(kpi["baseline"])
        step = (kpi["target_value"] - value) / (len(quarters) + 8)
        for day in quarters:
            value += step * rng.uniform(0.5, 1.5)
            values.append({"kpi_id": kpi["id"], "measured_on": day, "value": round(value, 2), "district": "",
                           "note": "", "author_id": strategist.id})
    bulk(KPIValue, values)
    # What start_monitoring does for actions it creates (the bulk inserts above bypass it): the tracking score's
    # facts and the public trails of the adopted version.
    from planner.monitoring import public, tracking

    started = time.perf_counter()
    tracking.refresh(db.session)
    timings["tracking_facts_s"] = time.perf_counter() - started
    started = time.perf_counter()
    public.index_trails(version.id)
    timings["index_trails_s"] = time.perf_counter() - started
    db.session.commit()

    started = time.perf_counter()
    services.freeze_report(str(today.year - 1), strategist, as_of=date(today.year - 1, 12, 31))
    db.session.commit()
    timings["freeze_report_s"] = time.perf_counter() - started
    from bench.generate import _reset_sequences

    _reset_sequences(db)
    return {"actions": len(actions), "kpis": len(kpis), "kpi_values": len(values), "updates": len(updates),
            "tasks": len(tasks), "version": version.number, "report_period": str(today.year - 1),
            "new_period": str(today.year), **timings}


def fill(url: str, instance: Path) -> dict:
    from bench.generate import SCALES, generate
    from bench.run import make_app
    from planner.extensions import db

    app = make_app(url, instance)
    started = time.perf_counter()
    with app.test_request_context():
        db.create_all()
        counts = generate(SCALES["metropolis"])
        base_s = time.perf_counter() - started
        counts.update(generate_monitoring())
        db.session.remove()
        db.engine.dispose()
    counts["base_s"] = base_s
    counts["generate_s"] = time.perf_counter() - started
    return counts


def pages(url: str, instance: Path) -> dict[str, list[str]]:
    """The measured pages, in groups: each group is one wrk run (its p95 is that page's)."""
    from bench.run import make_app
    from planner.extensions import db
    from planner.fields.models import ActionField
    from planner.monitoring.models import MonitoredAction

    app = make_app(url, instance)
    with app.app_context():
        codes = db.session.scalars(select(ActionField.code).order_by(ActionField.position)).all()
        ids = db.session.scalars(select(MonitoredAction.id).order_by(MonitoredAction.id)).all()
        measure_ids = dict(db.session.execute(select(MonitoredAction.id, MonitoredAction.measure_id)).all())
        db.engine.dispose()
    sample = ids[:: max(1, len(ids) // 20)][:20]
    return {
        "overview (staff)": ["/monitoring/", "/monitoring/?page=20", f"/monitoring/?field={codes[1]}&status=delayed",
                             "/monitoring/?quality=2", f"/monitoring/?field={codes[0]}&page=2",
                             "/monitoring/?quality=3&page=4", "/monitoring/?q=park",
                             f"/monitoring/?field={codes[2]}&status=on_track&quality=1&q=M0"],
        "action page (staff)": [f"/monitoring/actions/{i}" for i in sample[:10]],
        "public dashboard": ["/monitoring/public"],
        "public field page": [f"/monitoring/public/fields/{c}" for c in codes[:5]]
        + [f"/monitoring/public/fields/{codes[0]}?page=3"],
        "public measure page": [f"/monitoring/public/measures/{measure_ids[i]}" for i in sample],
    }


def in_app(log: Path, windows: dict[str, tuple[datetime, datetime]]) -> dict[str, dict]:
    """The time each group's requests spent in the application (the request log's duration_ms, from the view's
    start to its response) during its timed load run: beside wrk's figures it shows how much of a tail is the
    page and how much is waiting in front of it (the server's queue, the machine)."""
    spans: dict[str, list[float]] = {name: [] for name in windows}
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith("{") or '"duration_ms"' not in line:
            continue
        entry = json.loads(line)
        at = datetime.fromisoformat(entry["ts"])
        for name, (start, end) in windows.items():
            if start <= at <= end:
                spans[name].append(entry["duration_ms"])
    result = {}
    for name, times in spans.items():
        if times:
            times.sort()
            result[name] = {"p50": times[len(times) // 2], "p95": times[min(len(times) - 1, int(len(times) * 0.95))],
                            "p99": times[min(len(times) - 1, int(len(times) * 0.99))]}
    return result


def alone(url: str, instance: Path, groups: dict[str, list[str]], repeat: int = 5) -> dict[str, dict]:
    """What each page costs by itself: every URL of a group requested ``repeat`` times in one process (after a
    warm-up request), one at a time, through the test client: the median and the slowest of all of a group's
    requests. Unlike the load runs, no request waits for another, so a loaded machine inflates these far less."""
    from bench.generate import BENCH_ACCOUNTS, BENCH_PASSWORD
    from bench.run import make_app
    from planner.extensions import db

    app = make_app(url, instance)
    client = app.test_client()
    client.post("/login", data={"email": BENCH_ACCOUNTS["strategy_team"], "password": BENCH_PASSWORD})
    result = {}
    for name, paths in groups.items():
        times = []
        for path in paths:
            client.get(path)
            for _ in range(repeat):
                started = time.perf_counter()
                status = client.get(path).status_code
                times.append((time.perf_counter() - started) * 1000)
                assert status == 200, f"{path}: {status}"
        result[name] = {"median": statistics.median(times), "max": max(times)}
    with app.app_context():
        db.engine.dispose()
    return result


def statements(url: str, instance: Path, groups: dict[str, list[str]]) -> dict[str, int]:
    """SQL statements of each group's first page (after a warm-up request), signed in as the strategy team."""
    from bench.generate import BENCH_ACCOUNTS, BENCH_PASSWORD
    from bench.run import make_app
    from planner.extensions import db

    app = make_app(url, instance)
    with app.app_context():
        engine = db.engine
    client = app.test_client()
    client.post("/login", data={"email": BENCH_ACCOUNTS["strategy_team"], "password": BENCH_PASSWORD})
    counts = {}
    for name, paths in groups.items():
        path = paths[0]
        client.get(path)
        seen = []

        def count(*_args, _seen=seen):
            _seen.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            status = client.get(path).status_code
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert status == 200, f"{path}: {status}"
        counts[name] = len(seen)
    with app.app_context():
        db.engine.dispose()
    return counts


def downloads(base: str, cookie: str) -> dict[str, dict]:
    """The open-data exports on an otherwise idle server: the first request (the file is built for the data's
    fingerprint), then the median of three more (the stored file), then a portal's conditional request with the
    ETag (304, no body)."""
    result = {}
    for path in ("/monitoring/open-data/measures.csv", "/monitoring/open-data/measures.json",
                 "/monitoring/open-data/kpi-values.csv", "/monitoring/open-data/kpi-values.json",
                 "/monitoring/open-data"):
        times, size, etag = [], 0, None
        for _ in range(4):
            request = urllib.request.Request(base + path, headers={"Cookie": cookie})  # noqa: S310 - 127.0.0.1
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310 - 127.0.0.1
                size = len(answer.read())
                etag = answer.headers.get("ETag")
            times.append(time.perf_counter() - started)
        not_modified = None
        if etag:
            request = urllib.request.Request(base + path, headers={"Cookie": cookie, "If-None-Match": etag})  # noqa: S310
            started = time.perf_counter()
            try:
                urllib.request.urlopen(request, timeout=120).close()  # noqa: S310 - 127.0.0.1
            except urllib.error.HTTPError as answer:
                if answer.code != 304:
                    raise
            not_modified = time.perf_counter() - started
        result[path] = {"first_s": times[0], "s": statistics.median(times[1:]), "mb": size / 1024 / 1024,
                        "not_modified_s": not_modified}
    return result


def exports(url: str, instance: Path, work: Path, counts: dict, timeout: int = 600, *,
            pdf: bool = True) -> dict[str, dict]:
    """The progress report through the real command: DOCX of the stored report; the new period (frozen by the
    command first, as of today) as DOCX; its PDF."""
    from bench.run import PY, timed

    env = {**os.environ, "PLANNER_DATABASE_URL": url, "PLANNER_INSTANCE_PATH": str(instance),
           "PLANNER_SECRET_KEY": "bench-secret", "PYTHONWARNINGS": "ignore"}
    result = {}
    for key, period, fmt in (("docx (stored report)", counts["report_period"], "docx"),
                             ("docx (frozen first)", counts["new_period"], "docx"),
                             ("pdf", counts["new_period"], "pdf"))[:3 if pdf else 2]:
        output = work / f"report-{period}.{fmt}"
        try:
            run = timed([PY, "-m", "flask", "--app", "planner", "export-progress-report", "--period", period,
                         "--format", fmt, "--output", str(output)], env, timeout=timeout)
        except subprocess.TimeoutExpired:
            result[key] = {"s": None, "mb": None, "rc": -1, "bytes": 0, "error": f"stopped after {timeout} s"}
            continue
        result[key] = {"s": run["s"], "mb": run["mb"], "rc": run["rc"],
                       "bytes": output.stat().st_size if output.exists() else 0,
                       "error": "" if run["rc"] == 0 else (run["stderr"].strip().splitlines() or ["?"])[-1][:200]}
    return result


def run_database(database: str, url: str, work: Path, duration: int, *, pdf: bool = True) -> dict:
    from bench import wall
    from bench.generate import BENCH_ACCOUNTS
    from bench.run import Server, wrk

    instance = work / f"monitoring-{database}"
    instance.mkdir(parents=True, exist_ok=True)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    counts = fill(url, instance)
    print(f"   monitoring data {counts}", flush=True)
    groups = pages(url, instance)
    result = {"database": database, "counts": counts, "load_start": load,
              "statements": statements(url, instance, groups), "alone": alone(url, instance, groups), "pages": {}}
    log = work / f"gunicorn-monitoring-{database}.log"
    server = Server(url, instance, log)
    windows: dict[str, tuple[datetime, datetime]] = {}
    try:
        cookie = server.sign_in(BENCH_ACCOUNTS["strategy_team"])
        for name, paths in groups.items():
            public = name.startswith("public")
            # Untimed first: each worker's and thread's first requests (templates compiled, first reads) are a
            # one-off after a start, not the steady state the p95 target is about.
            wrk(server.base, paths, "" if public else cookie, WARMUP_S, work)
            started = datetime.now(UTC)
            result["pages"][name] = {**wrk(server.base, paths, "" if public else cookie, duration, work),
                                     "paths": len(paths)}
            windows[name] = (started, datetime.now(UTC))
            print(f"   {name}: {result['pages'][name]}", flush=True)
        result["server_mb"] = wall._rss_mb(server.process.pid)
        result["downloads"] = downloads(server.base, "")
    finally:
        server.stop()
    for name, spread in in_app(log, windows).items():
        result["pages"][name]["in_app"] = spread
    result["exports"] = exports(url, instance, work, counts, pdf=pdf)
    result["load_end"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"   exports: {result['exports']}", flush=True)
    return result


def run(databases: list[str], duration: int, *, pdf: bool = True) -> dict:
    work = Path(tempfile.mkdtemp(prefix="planner-bench-monitoring-"))
    cluster = None
    results = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "duration": duration, "runs": []}
    try:
        for database in databases:
            print(f"== monitoring on {database}", flush=True)
            if database == "postgresql":
                from tests.pg_plugin import PostgresCluster

                cluster = PostgresCluster(prefix="planner-bench-pg-").start()
                results["postgresql"] = cluster.version()
                url = cluster.create_database("bench_monitoring")
            else:
                url = f"sqlite:///{work / 'monitoring.sqlite3'}"
            results["runs"].append(run_database(database, url, work, duration, pdf=pdf))
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    return results


def _ms(value) -> str:
    return "–" if value is None else f"{value:.1f}"


def in_app_ms(page: dict) -> str:
    spread = page.get("in_app")
    return "–" if not spread else f"{spread['p50']:.0f} / {spread['p95']:.0f} / {spread['p99']:.0f}"


def alone_ms(run: dict, name: str) -> str:
    cost = run.get("alone", {}).get(name)
    return "–" if cost is None else f"{cost['median']:.1f} / {cost['max']:.1f}"


def section(results: dict) -> str:
    lines = [SECTION, "",
             f"`python -m bench.monitoring` (or `python -m bench.run --only monitoring`; part of `make bench`), "
             f"{results['date']}. Targets: overview and public dashboard p95 ≤ 150 ms; the progress report as DOCX "
             "≤ 10 s. Pages under load as above (gunicorn 2 workers × "
             f"{DefaultConfig.GUNICORN_THREADS} threads as `make serve`, wrk with 20 connections and "
             f"0.5–1.5 s think time, {results['duration']} s per page group after an untimed {WARMUP_S} s one; "
             "staff pages signed in as the strategy team, public pages anonymous). The machine is shared: the load "
             "average (1/5/15 min) is given beside each run, and the timings are pessimistic when it is above the 2 "
             "cores. \"In the app\": the same requests' time inside the application, from its first look at the "
             "request to the response (the request log), without the time they waited in front of it. \"Alone\": "
             "every URL of the "
             "group requested five times, one request at a time, in one process (the page's own cost, without "
             "queueing behind other requests).", ""]
    for r in results["runs"]:
        c = r["counts"]
        label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(r["database"], r["database"])
        lines += [f"### {label}", "",
                  f"Load average at the start {r['load_start']}, at the end {r['load_end']}.", "",
                  f"Data: the metropolis data ({c['measures']} measures, {c['findings']} findings) with "
                  f"{c['actions']} monitored measures, {c['kpis']} KPIs with {c['kpi_values']} quarterly values "
                  f"over {YEARS} years, {c['updates']} status updates, {c['tasks']} tasks, a progress report "
                  f"({c['report_period']}). Generated in {c['generate_s']:.1f} s ({c['base_s']:.1f} s the metropolis "
                  f"data, {c['freeze_version_s']:.1f} s freezing the adopted version, "
                  f"{c['freeze_report_s']:.1f} s freezing the progress report, "
                  f"{c.get('tracking_facts_s', 0):.1f} s the tracking score's facts of all actions, "
                  f"{c.get('index_trails_s', 0):.1f} s indexing the public trails, the rest bulk inserts).", "",
                  "| page | URLs cycled | requests/s | p50 ms | p95 ms | p99 ms | errors | SQL statements | in the app: "  # noqa: E501
                  "p50 / p95 / p99 ms | alone: median / slowest ms | target |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|"]
        for name, p in r["pages"].items():
            target = next((t for key, t in TARGETS.items() if key in name), None)
            verdict = "" if target is None else ("✓" if p["p95"] <= target and p["errors"] == 0 else "✗")
            lines.append(f"| {name} | {p['paths']} | {p['rps']:.0f} | {_ms(p['p50'])} | {_ms(p['p95'])} | "
                         f"{_ms(p['p99'])} | {p['errors']} | {r['statements'][name]} | {in_app_ms(p)} | "
                         f"{alone_ms(r, name)} | "
                         f"{verdict + ' ≤ ' + str(target) + ' ms' if target else '–'} |")
        lines += ["", f"Memory of gunicorn (master and 2 workers) after the load: {r['server_mb']:.0f} MB.", "",
                  "| open data (anonymous) | first request s | then (median of 3) s | with its ETag (304) s | size |",
                  "|---|---:|---:|---:|---:|"]
        for path, d in r["downloads"].items():
            lines.append(f"| `{path}` | {d.get('first_s', d['s']):.2f} | {d['s']:.2f} | "
                         f"{'–' if d.get('not_modified_s') is None else format(d['not_modified_s'], '.3f')} | "
                         f"{d['mb']:.1f} MB |")
        lines += ["", "| progress report (`flask export-progress-report`, whole process) | seconds | peak MB | file "
                  "| target |", "|---|---:|---:|---:|:-:|"]
        for key, e in r["exports"].items():
            if e["rc"] != 0:
                lines.append(f"| {key} | failed: `{e['error']}` | | | |")
                continue
            target = f"{'✓' if e['s'] <= DOCX_TARGET_S else '✗'} ≤ {DOCX_TARGET_S} s" if key.startswith("docx") \
                else "–"
            lines.append(f"| {key} | {e['s']:.1f} | {e['mb']:.0f} | {e['bytes'] / 1024:.0f} KB | {target} |")
        lines.append("")
    notes = Path(__file__).with_name("monitoring_notes.md")
    if notes.exists():  # what the numbers mean, kept by hand beside the code
        lines += [notes.read_text(encoding="utf-8").strip(), ""]
    return "\n".join(lines) + "\n"


def write(output: Path, text: str) -> None:
    current = output.read_text(encoding="utf-8") if output.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^" + re.escape(SECTION) + r"\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        current = pattern.sub(lambda _m: text + "\n", current)
    else:
        current = current.rstrip("\n") + "\n\n" + text
    output.write_text(current, encoding="utf-8")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite postgresql")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per page group")
    parser.add_argument("--output", default="docs/benchmarks.md")
    parser.add_argument("--json", default=None)
    parser.add_argument("--no-pdf", action="store_true", help="leave out the progress report's PDF (minutes)")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    results = run(args.databases.split(), args.duration, pdf=not args.no_pdf)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    write(Path(args.output), section(results))
    print(f"wrote the monitoring section of {args.output}")


if __name__ == "__main__":
    main()
