"""The live wall under load: 100 browsers hold the event stream of one wall open while a facilitator posts cards;
each card's way from the POST to every client is timed. Called by bench/run.py, or alone on a fresh SQLite file:

    python -m bench.wall --clients 100 --cards 30
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
PROCESSES = 2
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
            except OSError:
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
            line = response.fp.readline()
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
                elif event == "busy":  # no stream thread left in that process: poll like the page does
                    connection.close()
                    self.polling = True
                    self._poll()
                    return
                elif event == "change":
                    self._note(json.loads(data))
                event, data = "", ""
        connection.close()


def run(server, email: str, wall_id: int, field_id: int, block_id: int, clients: int = CLIENTS, cards: int = 30,
        interval: float = 1.0) -> dict:
    """``server``: a bench.run.Server (gunicorn) on the database holding the wall."""
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
    memory_start = _rss_mb(server.process.pid)
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
        response = poster.getresponse()
        response.read()
        if response.status != 200:
            post_errors += 1
        poster.close()
        time.sleep(max(0.0, interval - (time.monotonic() - sent[number])))
    time.sleep(3)  # the last card's way
    stop.set()
    elapsed = time.monotonic() - started
    memory_end = _rss_mb(server.process.pid)
    latencies, missing = [], 0
    for number, at in sent.items():
        got = arrivals.get(number, [])
        missing += max(0, connected - len(got))
        latencies += [(t - at) * 1000 for t in got]
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] if latencies else None

    return {"clients": clients, "connected": connected, "cards": cards, "deliveries": len(latencies),
            "missing": missing, "p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99),
            "max": latencies[-1] if latencies else None,
            "mean": statistics.mean(latencies) if latencies else None, "post_errors": post_errors,
            "stream_errors": sum(r.errors for r in readers), "seconds": elapsed,
            "polling": sum(r.polling for r in readers),
            "memory_start_mb": memory_start, "memory_end_mb": memory_end}


def line(result: dict, database: str, processes: int = PROCESSES, threads: int = THREADS) -> str:
    p95 = result["p95"]
    return (f"Live wall: card to {result['clients']} clients, p95 = {p95:.0f} ms "
            f"({database}, {processes} app processes × {threads} threads; p50 {result['p50']:.0f} ms, "
            f"max {result['max']:.0f} ms; {result['deliveries']} deliveries of {result['cards']} cards, "
            f"{result['missing']} missing, {result['post_errors'] + result['stream_errors']} errors, "
            f"{result['polling']} clients polling; "
            f"{result['seconds']:.0f} s; memory {result['memory_start_mb']:.0f} → {result['memory_end_mb']:.0f} MB)")


def main() -> None:
    from bench.generate import BENCH_ACCOUNTS
    from bench.run import Server, fill

    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--cards", type=int, default=30)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
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
        result = run(server, email, wall_id, field_id, block_id, args.clients, args.cards, args.interval)
    finally:
        server.stop()
        if cluster is not None:
            cluster.stop()
    print(json.dumps(result, indent=1))
    print(line(result, {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[args.database]))


if __name__ == "__main__":
    main()
