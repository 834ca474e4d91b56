"""How a change on a wall reaches every browser, across app processes and servers.

- **Writing**: ``publish`` adds a ``WallEvent`` row to the caller's transaction; the event exists exactly when the
  change does. On PostgreSQL it also queues ``pg_notify`` in the same transaction (delivered at commit); with
  ``WALL_REDIS_URL`` (or ``HUEY_REDIS_URL``) set, a Redis message goes out after the commit.
- **Reading**: ``events_after(wall_id, cursor)`` is the only source of truth; the SSE stream and the polling
  fallback both read it. A client resumes from the last id it saw (``Last-Event-ID`` / ``?after=``).
- **Waking up**: each app process runs one small listener thread (a ``Hub``): PostgreSQL ``LISTEN``, Redis
  pub/sub, or (SQLite, one machine) a look at ``max(wall_events.id)`` every ``WALL_POLL_SECONDS`` that a ``Bell``
  cuts short: the committing process rings the other processes of the same database file through Unix datagram
  sockets, and wakes its own streams at once. The hub only says "something changed, read the log"; it holds no
  event, so a process that missed a wake-up still catches up at the next one or at its periodic check.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import os
import random
import secrets
import socket
import stat
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, event, func, select, text
from sqlalchemy.orm import Session

from planner.core.models import utcnow
from planner.extensions import db
from planner.wall.models import WallEvent

log = logging.getLogger(__name__)
CHANNEL = "planner_wall"
READ_LIMIT = 500
PRUNE_CHANCE = 0.02
EVENT_ORDER_LOCK = 0x77A11E7  # PostgreSQL advisory lock key: wall events are written one transaction at a time


def redis_url(config) -> str | None:
    return config.get("WALL_REDIS_URL") or config.get("HUEY_REDIS_URL") or None


def publish(wall_id: int, kind: str, payload: dict) -> WallEvent:
    """Adds the event to the current transaction (call from a service; the request commits)."""
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if postgresql:
        # An event's id is drawn from a sequence when it is inserted but seen when its transaction commits. Two
        # changes at the same moment could commit in the other order: a stream would read the higher id first,
        # move its cursor past the lower one and never send that card. Held to the end of the transaction, this
        # lock makes the ids' order the commit order (SQLite has one writer at a time: the same by itself).
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_ORDER_LOCK})
    row = WallEvent(wall_id=wall_id, kind=kind, payload=json.dumps(payload, ensure_ascii=False, default=str))
    db.session.add(row)
    db.session.flush()
    if random.random() < PRUNE_CHANCE:  # noqa: S311 - not security: spreads the clean-up over the posts
        prune_events(current_app.config.get("WALL_EVENT_HOURS", 24))
    if postgresql:
        db.session.execute(text("SELECT pg_notify(:channel, :wall)"), {"channel": CHANNEL, "wall": str(wall_id)})
    url = redis_url(current_app.config)
    if url:
        pending = db.session.info.setdefault("wall_redis", set())
        pending.add((url, wall_id))
    # This process's own streams need not wait for the next look at the log (the others learn it as above).
    db.session.info["wall_hub"] = hub_for(current_app._get_current_object())
    return row


@event.listens_for(Session, "after_commit")
def _redis_after_commit(session):
    hub = session.info.pop("wall_hub", None)
    if hub is not None:
        hub.wake()
        try:
            hub.ring_others()
        except Exception:  # noqa: BLE001 - the change is committed; the others see it at their next look at the log
            log.warning("wall: ringing the other processes failed", exc_info=True)
    pending = session.info.pop("wall_redis", None)
    if not pending:
        return
    for url, wall_id in pending:
        try:
            _redis_client(url).publish(CHANNEL, str(wall_id))
        except Exception:  # noqa: BLE001 - the change is committed; clients still catch up by the periodic check
            log.warning("wall: Redis publish failed", exc_info=True)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session):
    session.info.pop("wall_redis", None)
    session.info.pop("wall_hub", None)


_redis_clients: dict[str, object] = {}


def _redis_client(url: str):
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = _redis_clients[url] = redis.Redis.from_url(url)
    return client


def prune_events(hours: float) -> int:
    """Drops events older than ``hours``: the log is a transport, not a record (the findings are the record), and
    its payloads carry authors' names, which must not outlive an erasure for long."""
    result = db.session.execute(delete(WallEvent).where(WallEvent.created_at < utcnow() - timedelta(hours=hours)))
    return result.rowcount or 0


def events_after(wall_id: int, cursor: int, limit: int = 500) -> list[dict]:
    rows = db.session.execute(
        select(WallEvent.id, WallEvent.kind, WallEvent.payload)
        .where(WallEvent.wall_id == wall_id, WallEvent.id > cursor)
        .order_by(WallEvent.id)
        .limit(limit)
    ).all()
    return [{"id": row.id, "kind": row.kind, "data": json.loads(row.payload)} for row in rows]


def last_event_id(wall_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.max(WallEvent.id), 0)).where(WallEvent.wall_id == wall_id))


# --- the per-process wake-up -------------------------------------------------------------------------------------


class Bell:
    """Wake-ups between the app processes of one machine that share a SQLite database file: each listening process
    binds a Unix datagram socket in a directory named after the database file; a process that committed a change
    sends one byte to every other socket there. The byte says only "look at the log now" (the listener then reads
    ``max(wall_events.id)`` as on its periodic look), so a lost or forged ring changes nothing but a wait."""

    def __init__(self, database: str):
        key = hashlib.sha256(os.path.realpath(database).encode()).hexdigest()[:16]
        self.directory = Path(tempfile.gettempdir()) / f"planner-wall-{key}"
        self.path: Path | None = None
        self.socket: socket.socket | None = None

    @classmethod
    def for_engine(cls, engine) -> Bell | None:
        """The bell of a SQLite file database on a system with Unix sockets, else None (periodic looks only)."""
        database = engine.url.database
        if engine.dialect.name != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
            return None
        if not hasattr(socket, "AF_UNIX"):
            return None
        return cls(database)

    def _directory_is_ours(self, create: bool = False) -> bool:
        """Created by this user, for this user only (the directory is in the shared temporary folder)."""
        try:
            if create:
                self.directory.mkdir(mode=0o700, exist_ok=True)
            info = self.directory.lstat()
        except OSError:
            return False
        return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
                and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH))

    def listen(self) -> bool:
        """Binds this process's socket; False where that is not possible (the periodic look still works)."""
        if not self._directory_is_ours(create=True):
            return False
        path = self.directory / f"{os.getpid()}-{secrets.token_hex(4)}.sock"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.bind(str(path))
        except OSError:  # e.g. a path longer than the system allows
            sock.close()
            return False
        self.socket, self.path = sock, path
        atexit.register(self.close)
        return True

    def wait(self, seconds: float) -> bool:
        """Sleeps until rung (True) or for ``seconds`` (False); several rings count as one."""
        if self.socket is None:
            time.sleep(seconds)
            return False
        self.socket.settimeout(seconds)
        try:
            self.socket.recv(64)
        except TimeoutError:
            return False
        self.socket.setblocking(False)
        try:
            while self.socket.recv(64):
                pass
        except OSError:  # drained
            pass
        return True

    def ring_self(self) -> None:
        if self.path is not None:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender, contextlib.suppress(OSError):
                sender.sendto(b"1", str(self.path))

    def ring_others(self) -> None:
        if not self._directory_is_ours():  # none yet: no process listens
            return
        try:
            names = [entry for entry in os.scandir(self.directory) if entry.name.endswith(".sock")]
        except OSError:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.setblocking(False)
            for entry in names:
                if self.path is not None and entry.path == str(self.path):
                    continue
                try:
                    sender.sendto(b"1", entry.path)
                except (ConnectionRefusedError, FileNotFoundError):  # its process is gone: tidy up
                    Path(entry.path).unlink(missing_ok=True)
                except OSError:  # its queue is full (it is about to look anyway) or another hiccup
                    pass

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
            self.socket = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None
            with contextlib.suppress(OSError):  # the last one out removes the directory (others still listening: kept)
                self.directory.rmdir()


class Hub:
    """Wakes this process's streams when any wall changed. One thread per process, started on first use."""

    def __init__(self, app):
        self.app = app
        self.generation = 0
        self.condition = threading.Condition()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        self.poll_seconds = float(app.config.get("WALL_POLL_SECONDS", 0.25))
        self.streams = 0
        self.bell: Bell | None = None
        self.bell_checked = False
        self.bell_lock = threading.Lock()
        self.stopping = threading.Event()
        # The last read of each wall's log in this process: (generation when read, cursor read from, events). When
        # a change wakes 100 streams, one of them reads the database and the others take the same rows from here.
        self.read_lock = threading.Lock()
        self.recent: dict[int, tuple[int, int, list[dict], float]] = {}

    def events_after(self, wall_id: int, cursor: int) -> list[dict]:
        """``events_after`` for a stream (inside an app context): one database read per wall and wake-up."""
        with self.read_lock:
            entry = self.recent.get(wall_id)
            now = time.monotonic()
            # Valid for this generation, for a second at most (a lost wake-up never hides a change for longer).
            if entry is not None and entry[0] == self.generation and entry[1] <= cursor and now - entry[3] < 1.0:
                return [item for item in entry[2] if item["id"] > cursor]
            generation = self.generation  # before reading: a change committed meanwhile wakes us again
            events = events_after(wall_id, cursor, limit=READ_LIMIT)
            if len(events) < READ_LIMIT:  # a full page is not kept: the rest follows on the next read
                self.recent[wall_id] = (generation, cursor, events, now)
            return events

    def enter_stream(self, limit: int) -> bool:
        """Counts an open stream of this process; False when ``limit`` are open (the client polls instead, so
        streams never take every server thread and starve the ordinary requests)."""
        with self.lock:
            if self.streams >= limit:
                return False
            self.streams += 1
            return True

    def leave_stream(self) -> None:
        with self.lock:
            self.streams = max(0, self.streams - 1)

    @property
    def backend(self) -> str:
        uri = self.app.config["SQLALCHEMY_DATABASE_URI"]
        if redis_url(self.app.config):
            return "redis"
        if uri.startswith("postgresql"):
            return "postgresql"
        return "poll"

    def start(self) -> None:
        with self.lock:
            if self.thread is not None and self.thread.is_alive():
                return
            bell = self._bell()
            if bell is not None and bell.socket is None:
                bell.listen()  # before the first stream says hello: a change committed after that rings here
            self.thread = threading.Thread(target=self._run, name="wall-hub", daemon=True)
            self.thread.start()

    def ring_others(self) -> None:
        """After this process committed a change: the other processes on this SQLite file look at the log now."""
        bell = self._bell()
        if bell is not None:
            bell.ring_others()

    def _bell(self) -> Bell | None:
        """This process's bell (SQLite only: PostgreSQL and Redis deliver the wake-up themselves)."""
        if not self.bell_checked:
            with self.bell_lock:
                if not self.bell_checked:
                    self.bell = Bell.for_engine(self._engine()) if self.backend == "poll" else None
                    self.bell_checked = True
        return self.bell

    def wake(self) -> None:
        with self.condition:
            self.generation += 1
            self.condition.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Blocks until the generation differs from ``seen`` or the timeout passes; returns the generation."""
        self.start()
        with self.condition:
            self.condition.wait_for(lambda: self.generation != seen, timeout)
            return self.generation

    def stop(self) -> None:
        """Ends the listener thread (tests, and an app that is shut down); a later stream starts it again."""
        self.stopping.set()
        if self.bell is not None:
            self.bell.ring_self()
        self.wake()
        if self.thread is not None:
            self.thread.join(6)
        if self.bell is not None:
            self.bell.close()
        self.stopping.clear()

    def _run(self) -> None:
        failures = 0
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                {"redis": self._listen_redis, "postgresql": self._listen_postgresql}.get(
                    self.backend, self._poll)()
            except Exception:  # noqa: BLE001 - a lost connection: wake everybody, wait, listen again
                if self.stopping.is_set():
                    return
                failures = 0 if time.monotonic() - started > 10 else failures + 1
                # The traceback once, not every second while the server is away.
                log.warning("wall: the %s listener stopped; retrying", self.backend, exc_info=failures <= 1)
                self.wake()
                self.stopping.wait(1)

    def _poll(self) -> None:
        engine = self._engine()
        last = None
        while not self.stopping.is_set():
            with engine.connect() as connection:
                current = connection.scalar(select(func.coalesce(func.max(WallEvent.id), 0)))
            if current != last:
                last = current
                self.wake()
            if self.bell is not None and self.bell.socket is not None:
                self.bell.wait(self.poll_seconds)  # cut short when another process rings
            else:
                self.stopping.wait(self.poll_seconds)

    def _listen_postgresql(self) -> None:
        import psycopg

        url = self._engine().url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            self.wake()  # anything committed while (re)connecting
            while not self.stopping.is_set():
                for _notify in connection.notifies(timeout=5):
                    self.wake()

    def _listen_redis(self) -> None:
        client = _redis_client(redis_url(self.app.config))
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(CHANNEL)
        self.wake()
        try:
            while not self.stopping.is_set():
                if pubsub.get_message(timeout=5):
                    self.wake()
        finally:
            pubsub.close()

    def _engine(self):
        with self.app.app_context():
            return db.engine


def hub_for(app) -> Hub:
    hub = app.extensions.get("wall_hub")
    if hub is None:
        hub = app.extensions.setdefault("wall_hub", Hub(app))  # two first requests at once keep one hub
    return hub
