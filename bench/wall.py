"""The live wall under load: 100 browsers hold the event stream of one wall open while a facilitator posts cards;
each card's way from the POST to every client is timed. Called by bench/run.py, or alone on a fresh SQLite file:

    python -m bench.wall --clients 100 --cards 30
    python -m bench.wall --endurance               # the issue's endurance run: 100 clients, ten minutes
    python -m bench.wall --endurance --minutes 3   # a shorter one

The server's memory (gunicorn's master and workers, resident) is sampled at the start, every minute and at the end;
``--endurance`` prints the samples and whether they stayed flat (the end within 10 % or 20 MB of the start).
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

CLIENTS = 100
ENDURANCE_MINUTES = 10
FLAT_SHARE, FLAT_MB = 0.10, 20.0  # memory counts as flat when it grows by at most this share or this many MB
PROCESSES = 2
RECONNECT_DELAY = 0.2  # s: planner/static/js/wall.js reconnects this long after a stream ended
THREADS = 96  # per process (docs/operations.md, "The live workshop wall"): the kernel does not share streams evenly


def prepare_wall(url: str, instance: Path, email: str) -> tuple[int, int, int]:
    """An open wall on a status-quo block of the first workshop, run by the bench facilitator."""
    from sqlalchemy import select

    from bench.run import make_app
    from planner.accounts.models import User
    from planner.extensions import db
    from planner.wall import services
    from planner.workshops.models import AgendaBlock, AgendaBlockKind, Workshop, WorkshopStatus

    app = make_app(url, instance)
    with app.app_context():
        workshop = db.session.scalar(select(Workshop).order_by(Workshop.id).limit(1))
        user = db.session.scalar(select(User).where(User.email == email))
        workshop.status = WorkshopStatus.HELD  # the day itself (a generated workshop may be documented already)
        if user not in workshop.facilitators:
            workshop.facilitators.append(user)
        block = next((b for b in workshop.agenda_blocks if b.kind == AgendaBlockKind.STATUS_QUO), None)
        if block is None:
            block = AgendaBlock(workshop=workshop, kind=AgendaBlockKind.STATUS_QUO, title="Status quo", position=99)
            db.session.add(block)
            db.session.flush()
        wall = services.wall_for_block(block)
        if not wall.is_open:
            services.open_wall(services.Actor(user=user), wall)
        db.session.commit()
        wall_id, field_id, block_id = wall.id, workshop.fields[0].id, block.id
        db.session.remove()
        db.engine.dispose()
    return wall_id, field_id, block_id


def _rss_mb(pid: int) -> float:
    """Resident memory of gunicorn's master and its workers."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class Client(threading.Thread):
    """One browser: reads the stream, notes when each card arrives, reconnects from its cursor like EventSource."""

    def __init__(self, port: int, path: str, cookie: str, arrivals: dict, lock: threading.Lock, stop: threading.Event):
        super().__init__(daemon=True)
        self.port, self.path, self.cookie = port, path, cookie
        self.arrivals, self.lock, self.stop = arrivals, lock, stop
        self.errors = 0
        self.cursor = ""
        self.connected = threading.Event()
        self.polling = False
        self.reconnects = 0
        self.opened: list[float] = []  # when each of its streams said hello (--trace)

    def _poll(self):
        self.connected.set()
        path = self.path.replace("/events", "/poll")
        while not self.stop.is_set():
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            connection.request("GET", f"{path}?after={self.cursor or 0}", headers={"Cookie": self.cookie})
            response = connection.getresponse()
            body = response.read()
            connection.close()
            if response.status != 200:
                self.errors += 1
            else:
                data = json.loads(body)
                for item in data["events"]:
                    self._note(item)
                self.cursor = str(data["cursor"])
            time.sleep(1.5)

    def _note(self, item: dict) -> None:
        if item["kind"] == "card":
            match = re.search(r"bench-card-(\d+)", item["data"]["text"])
            if match:
                with self.lock:
                    self.arrivals.setdefault(int(match[1]), []).append(time.monotonic())

    def run(self):
        while not self.stop.is_set():
            try:
                self._read()
                self.reconnects += 1
                time.sleep(RECONNECT_DELAY)  # the stream ended (its lifetime): the page reconnects after 200 ms
            except (OSError, http.client.HTTPException):
                if not self.stop.is_set():  # not the server going down at the end of the run
                    self.errors += 1
                time.sleep(0.5)

    def _read(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=70)
        headers = {"Cookie": self.cookie, "Accept": "text/event-stream"}
        if self.cursor:
            headers["Last-Event-ID"] = self.cursor
        connection.request("GET", self.path, headers=headers)
        response = connection.getresponse()
        if response.status != 200:
            self.errors += 1
            connection.close()
            time.sleep(1)
            return
        event, data = "", ""
        while not self.stop.is_set():
            # Through the response, which decodes the chunked body and ends with it, as a browser does (reading the
            # socket itself, the client saw the stream's end only when the server dropped the idle keep-alive
            # connection 5 s later: every card posted meanwhile was late by up to 5 s).
            line = response.readline()
            if not line:
                break
            line = line.decode().rstrip("\n")
            if line.startswith("id: "):
                self.cursor = line[4:]
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "":
                if event == "hello":
                    self.connected.set()
                    self.opened.append(time.monotonic())
                elif event == "busy":  # no stream thread left in that process: poll like the page does
                    connection.close()
                    self.polling = True
                    self._poll()
                    return
                elif event == "change":
                    self._note(json.loads(data))
                event, data = "", ""
        connection.close()


class MemorySampler(threading.Thread):
    """The server's resident memory every ``every`` seconds (and the stream errors so far), until stopped."""

    def __init__(self, pid: int, readers: list, every: float = 60.0):
        super().__init__(daemon=True)
        self.pid, self.readers, self.every = pid, readers, every
        self.started = time.monotonic()
        self.samples: list[tuple[float, float, int]] = []  # (seconds since start, MB, stream errors so far)
        self.done = threading.Event()
        self.sample()

    def sample(self) -> None:
        self.samples.append((time.monotonic() - self.started, _rss_mb(self.pid), sum(r.errors for r in self.readers)))

    def run(self):
        while not self.done.wait(self.every):
            self.sample()

    def stop(self) -> list[tuple[float, float, int]]:
        self.done.set()
        self.join(5)
        self.sample()
        return self.samples


def is_flat(samples: list[tuple[float, float, int]]) -> bool:
    start, end = samples[0][1], samples[-1][1]
    return end - start <= max(FLAT_MB, start * FLAT_SHARE)


def run(server, email: str, wall_id: int, field_id: int, block_id: int, clients: int = CLIENTS, cards: int = 30,
        interval: float = 1.0, trace: Path | None = None) -> dict:
    """``server``: a bench.run.Server (gunicorn) on the database holding the wall. Posts ``cards`` cards, one every
    ``interval`` seconds (600 at 1 s: the ten-minute endurance run). ``trace``: a JSON file for finding where a
    tail comes from: per card its posting second and the latencies of its deliveries, per client the seconds its
    streams opened (all relative to the first post)."""
    cookie = server.sign_in(email)
    port = server.port
    board = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    board.request("GET", f"/wall/block/{block_id}", headers={"Cookie": cookie})
    page = board.getresponse().read().decode()
    csrf = re.search(r'data-csrf="([^"]+)"', page)[1]
    arrivals: dict[int, list[float]] = {}
    lock, stop = threading.Lock(), threading.Event()
    readers = [Client(port, f"/wall/{wall_id}/events", cookie, arrivals, lock, stop) for _ in range(clients)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.connected.wait(30)
    connected = sum(r.connected.is_set() for r in readers)
    sampler = MemorySampler(server.process.pid, readers)
    sampler.start()
    memory_start = sampler.samples[0][1]
    sent: dict[int, float] = {}
    post_errors = 0
    started = time.monotonic()
    for number in range(cards):
        body = urllib.parse.urlencode({"kind": "strength", "text": f"bench-card-{number}", "field": field_id,
                                       "csrf_token": csrf})
        poster = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        sent[number] = time.monotonic()
        poster.request("POST", f"/wall/{wall_id}/cards", body=body, headers={
            "Cookie": cookie, "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": csrf, "Referer": server.base + f"/wall/block/{block_id}"})
        try:
            response = poster.getresponse()
            response.read()
            if response.status != 200:
                post_errors += 1
        except OSError:
            post_errors += 1
        poster.close()
        time.sleep(max(0.0, interval - (time.monotonic() - sent[number])))
    time.sleep(3)  # the last card's way
    stop.set()
    elapsed = time.monotonic() - started
    samples = sampler.stop()
    memory_end = samples[-1][1]
    latencies, missing = [], 0
    for number, at in sent.items():
        got = arrivals.get(number, [])
        missing += max(0, connected - len(got))
        latencies += [(t - at) * 1000 for t in got]
    if trace is not None:
        first = min(sent.values(), default=started)
        trace.write_text(json.dumps({
            "cards": [{"card": n, "posted_s": round(at - first, 3),
                       "latencies_ms": sorted(round((t - at) * 1000, 1) for t in arrivals.get(n, []))}
                      for n, at in sorted(sent.items())],
            "streams_opened_s": [[round(t - first, 3) for t in reader.opened] for reader in readers]}))
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] if latencies else None

    return {"clients": clients, "connected": connected, "cards": cards, "deliveries": len(latencies),
            "missing": missing, "p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99),
            "max": latencies[-1] if latencies else None,
            "mean": statistics.mean(latencies) if latencies else None, "post_errors": post_errors,
            "stream_errors": sum(r.errors for r in readers), "seconds": elapsed,
            "polling": sum(r.polling for r in readers), "reconnects": sum(r.reconnects for r in readers),
            "memory_start_mb": memory_start, "memory_end_mb": memory_end,
            "memory_samples": [{"s": round(t), "mb": round(mb, 1), "stream_errors": errors}
                               for t, mb, errors in samples],
            "memory_flat": is_flat(samples)}


def line(result: dict, database: str, processes: int = PROCESSES, threads: int = THREADS) -> str:
    p95 = result["p95"]
    return (f"Live wall: card to {result['clients']} clients, p95 = {p95:.0f} ms "
            f"({database}, {processes} app processes × {threads} threads; p50 {result['p50']:.0f} ms, "
            f"max {result['max']:.0f} ms; {result['deliveries']} deliveries of {result['cards']} cards, "
            f"{result['missing']} missing, {result['post_errors'] + result['stream_errors']} errors, "
            f"{result['polling']} clients polling; "
            f"{result['seconds']:.0f} s; memory {result['memory_start_mb']:.0f} → {result['memory_end_mb']:.0f} MB)")


def endurance_line(result: dict, database: str, processes: int = PROCESSES, threads: int = THREADS) -> str:
    """The endurance run on a line of its own: errors, and the memory at the start, every minute and the end."""
    memory = " → ".join(f"{s['mb']:.0f}" for s in result["memory_samples"])
    errors = result["post_errors"] + result["stream_errors"]
    return (f"Live wall endurance: {result['clients']} clients for {result['seconds'] / 60:.1f} min, "
            f"{errors} errors ({result['post_errors']} posting, {result['stream_errors']} streams), "
            f"{result['missing']} of {result['cards'] * result['connected']} deliveries missing, "
            f"p95 = {result['p95']:.0f} ms (p50 {result['p50']:.0f} ms, p99 {result['p99']:.0f} ms, "
            f"max {result['max']:.0f} ms); server memory per minute {memory} MB "
            f"({'flat' if result['memory_flat'] else 'growing'}; {database}, {processes} app processes × "
            f"{threads} threads)")


def main() -> None:
    from bench.generate import BENCH_ACCOUNTS
    from bench.run import Server, fill

    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--cards", type=int, default=30)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--endurance", action="store_true",
                        help="the endurance run: one card every --interval seconds for --minutes minutes")
    parser.add_argument("--minutes", type=float, default=ENDURANCE_MINUTES, help="length of the endurance run")
    parser.add_argument("--trace", type=Path, help="write every delivery's latency and every stream's start here")
    args = parser.parse_args()
    if args.endurance:
        args.cards = max(1, round(args.minutes * 60 / args.interval))
    work = Path(tempfile.mkdtemp(prefix="planner-wall-bench-"))
    cluster = None
    if args.database == "postgresql":
        from tests.pg_plugin import PostgresCluster

        cluster = PostgresCluster(prefix="planner-wall-bench-pg-").start()
        url = cluster.create_database("bench_wall")
    else:
        url = f"sqlite:///{work / 'bench.sqlite3'}"
    fill(url, work, "city")
    email = BENCH_ACCOUNTS["facilitator"]
    wall_id, field_id, block_id = prepare_wall(url, work, email)
    server = Server(url, work, work / "gunicorn.log", threads=THREADS,
                    extra_env={"PLANNER_WALL_RATE_LIMIT": "1000"})
    try:
        result = run(server, email, wall_id, field_id, block_id, args.clients, args.cards, args.interval,
                     args.trace)
    finally:
        server.stop()
        if cluster is not None:
            cluster.stop()
    print(json.dumps(result, indent=1))
    label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[args.database]
    print(line(result, label))
    if args.endurance:
        print(endurance_line(result, label))


if __name__ == "__main__":
    main()
