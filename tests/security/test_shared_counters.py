"""Rate limits hold across app processes: the counters live in the database (the default) or in Redis, never in
one process's memory. Each "app server" here is a process of its own (tests/security/limit_client.py)."""

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update

from planner.accounts.limits import DATABASE_STORAGE_URI, DatabaseStorage, RateLimitCounter, storage_uri
from planner.extensions import db
from tests import factories
from tests.conftest import make_test_app

ROOT = Path(__file__).resolve().parents[2]
LIMITS = {"RATELIMIT_ENABLED": True, "LOGIN_LIMIT_PER_ACCOUNT": "3 per 15 minutes",
          "LOGIN_LIMIT_PER_ADDRESS": "100 per 15 minutes", "LOGIN_LOCKOUT_ATTEMPTS": 100}


@pytest.fixture
def database(tmp_path):
    """A database with one account, and the configuration every app process of the test shares."""
    app = make_test_app(tmp_path, **LIMITS)
    with app.app_context():
        db.create_all()
        factories.user(email="real@example.org")
        db.session.commit()
        db.engine.dispose()
    config = {"TESTING": True, "SECRET_KEY": "test-secret-key", "WTF_CSRF_ENABLED": False, "MAIL_SERVER": None,
              "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
              "PASSWORD_HASH_METHOD": "scrypt:1024:8:1", **LIMITS}
    return app, config


def _attempts(config: dict, tmp_path: Path, name: str, email: str, n: int) -> list[int]:
    instance = tmp_path / name
    instance.mkdir(exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "tests.security.limit_client", json.dumps(config), str(instance), email, str(n)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return [int(line) for line in result.stdout.split()]


def test_the_database_counts_for_every_app_process(database, tmp_path):
    app, config = database
    assert _attempts(config, tmp_path, "server-a", "real@example.org", 2) == [200, 200]
    # The second server has seen nothing itself, yet the third failed attempt is the last one allowed.
    assert _attempts(config, tmp_path, "server-b", "real@example.org", 2) == [200, 429]
    assert _attempts(config, tmp_path, "server-a", "REAL@example.org", 1) == [429]
    # Another account has its own budget.
    assert _attempts(config, tmp_path, "server-b", "ghost@example.org", 1) == [200]
    with app.app_context():
        keys = db.session.scalars(select(RateLimitCounter.key)).all()
        assert keys and all("@" not in key and "192.0.2" not in key for key in keys)  # names nobody


def test_in_process_memory_would_not_hold(database, tmp_path):
    """The control: counters in each process's memory let every server allow the full number of attempts."""
    _, config = database
    config = {**config, "RATELIMIT_STORAGE_URI": "memory://"}
    assert _attempts(config, tmp_path, "server-a", "real@example.org", 3) == [200, 200, 200]
    assert _attempts(config, tmp_path, "server-b", "real@example.org", 3) == [200, 200, 200]


def test_a_counter_starts_again_when_its_window_ends(app):
    storage = DatabaseStorage(DATABASE_STORAGE_URI)
    with app.app_context():
        assert storage.incr("account:a@example.org", 60) == 1
        assert storage.incr("account:a@example.org", 60, amount=2) == 3
        assert storage.get("account:a@example.org") == 3 and storage.get("account:b@example.org") == 0
        assert time.time() + 50 < storage.get_expiry("account:a@example.org") <= time.time() + 60
        db.session.execute(update(RateLimitCounter).values(expires_epoch=time.time() - 1))
        db.session.commit()
        assert storage.get("account:a@example.org") == 0
        assert storage.incr("account:a@example.org", 60) == 1
        storage.clear("account:a@example.org")
        assert storage.get("account:a@example.org") == 0
        assert storage.check()


def test_which_storage():
    assert storage_uri({}) == DATABASE_STORAGE_URI
    assert storage_uri({"HUEY_REDIS_URL": "redis://q:6379/0"}) == "redis://q:6379/0"
    assert storage_uri({"HUEY_REDIS_URL": "redis://q:6379/0", "RATELIMIT_STORAGE_URI": "redis://r:6379/1"}) == (
        "redis://r:6379/1")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    """A real redis-server on a free port (Debian package redis-server), without persistence."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = _free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                               "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_redis_counts_for_every_app_process(database, tmp_path, redis_url):
    app, config = database
    config = {**config, "RATELIMIT_STORAGE_URI": redis_url}
    assert _attempts(config, tmp_path, "server-a", "real@example.org", 2) == [200, 200]
    assert _attempts(config, tmp_path, "server-b", "real@example.org", 2) == [200, 429]
    with app.app_context():
        assert db.session.scalars(select(RateLimitCounter)).all() == []  # nothing in the database


def test_the_job_queues_redis_is_used_when_configured(database, tmp_path, redis_url):
    _, config = database
    config = {**config, "HUEY_REDIS_URL": redis_url, "HUEY_IMMEDIATE": True}
    assert _attempts(config, tmp_path, "server-a", "real@example.org", 3) == [200, 200, 200]
    assert _attempts(config, tmp_path, "server-b", "real@example.org", 1) == [429]
    import redis

    assert redis.Redis.from_url(redis_url).dbsize() > 0
