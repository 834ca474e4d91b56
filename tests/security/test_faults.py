"""Faults: a killed import leaves nothing half-done; a read-only or unreachable database gives a clear page."""

import csv
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bench.generate import Scale, write_survey
from planner.core.permissions import Role
from planner.extensions import db
from planner.surveys.models import Survey, SurveyComment, SurveyResponse
from tests import factories
from tests.conftest import database_url_for_tests, make_test_app, text_of
from tests.security.helpers import row_counts

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


KILL_ROWS = 300_000  # several seconds of import on a 2-core machine: time enough to kill it half-way
DEADLINE = 240  # seconds: no wait in this test is unbounded


def _import_command(csv_path: Path, mapping_path: Path, title: str, email: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "planner", "import-survey", str(csv_path), "--mapping",
            str(mapping_path), "--title", title, "--user", email]


def _lines(stream, into: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        into.put(line)
    into.put(None)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_killed_import_leaves_no_partial_import(tmp_path, database):
    """The real `flask import-survey` on a large file, killed (SIGKILL) half-way through its one transaction: no
    survey, no response, no comment and no other row of it is stored; the database is intact and a second,
    uninterrupted import of the same file stores every row.

    "Half-way" is the command's own progress line (written to stderr, flushed, after a batch was written in the
    open transaction when the output is not a terminal): the test kills the process after the line for 40 % of the
    file, while it still runs, and on SQLite checks that the uncommitted rows had reached the write-ahead log."""
    if database == "postgresql" and not database_url_for_tests():
        pytest.skip("PostgreSQL runs with pytest --postgres")
    db_file = tmp_path / "import.sqlite3"
    url = f"sqlite:///{db_file}" if database == "sqlite" else database_url_for_tests()
    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=url)
    scale = Scale("kill", fields=3, workshops=0, experts=0, findings=0, measures=0, accepted=0,
                  responses=KILL_ROWS, survey_columns=40)
    csv_path, mapping_path = write_survey(scale, tmp_path / "survey")
    with app.app_context():
        if database == "sqlite":
            db.create_all()
        factories.process()
        for code in ("UMW", "MOB", "BIL"):
            factories.field(code=code)
        email = factories.user(role=Role.STRATEGY_TEAM, email="strategie@example.org").email
        db.session.commit()
        before = row_counts()
        db.session.remove()
        db.engine.dispose()
    env = {**os.environ, "PLANNER_DATABASE_URL": url, "PLANNER_INSTANCE_PATH": str(tmp_path / "instance"),
           "PLANNER_SECRET_KEY": "test-secret-key", "PYTHONUNBUFFERED": "1"}

    child = subprocess.Popen(  # noqa: S603 - our own command
        _import_command(csv_path, mapping_path, "Abgebrochen", email), cwd=ROOT, env=env, text=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(child.stderr, lines), daemon=True).start()
    seen = []
    try:
        deadline = time.monotonic() + DEADLINE
        while True:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, f"the import ended before it was half-way: {seen}"
            seen.append(line.rstrip())
            match = re.search(r"\((\d+)% of the file\)", line)
            if match and int(match[1]) >= 40:
                break
        assert int(match[1]) < 100 and child.poll() is None, f"the import finished too soon to be killed: {seen}"
        wal = Path(f"{db_file}-wal")
        if database == "sqlite":  # the open transaction's pages had reached the file when the process died
            assert wal.exists() and wal.stat().st_size > 1024 * 1024, seen
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL

    with app.app_context():
        assert row_counts() == before  # no survey, question, response, comment or audit entry of the import
        if database == "sqlite":
            assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        db.session.remove()
        db.engine.dispose()

    # The database is usable: the same file again, uninterrupted, stores every row.
    again = subprocess.run(  # noqa: S603 - our own command
        _import_command(csv_path, mapping_path, "Vollständig", email), cwd=ROOT, env=env, text=True,
        stdin=subprocess.DEVNULL, capture_output=True, timeout=DEADLINE,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert f": {KILL_ROWS} responses in " in again.stdout
    with open(csv_path, newline="", encoding="utf-8") as fh:
        comments = sum(1 for row in list(csv.reader(fh))[1:] if row[-1].strip())
    with app.app_context():
        survey = db.session.scalar(select(Survey))
        assert (survey.title, survey.response_count) == ("Vollständig", KILL_ROWS)
        assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == KILL_ROWS
        assert db.session.scalar(select(func.count()).select_from(SurveyComment)) == comments > 0
        assert db.session.scalar(select(func.count()).select_from(Survey)) == 1
        if database == "sqlite":
            assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        db.session.remove()
        db.engine.dispose()


def test_read_only_database_gives_a_clear_error_page(tmp_path):
    db_file = tmp_path / "ro.sqlite3"
    writable = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_file}")
    with writable.app_context():
        db.create_all()
        db.engine.dispose()
    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///file:{db_file}?mode=ro&uri=true")
    client = app.test_client()
    assert client.get("/accessibility").status_code == 200  # reading works
    response = client.post("/accessibility", data={"message": "Der Kontrast ist zu gering."})
    assert response.status_code in (500, 503)
    page = response.get_data(as_text=True)
    assert "Traceback" not in page and "readonly" not in page.lower() and "sqlite" not in page.lower()
    assert "<h1" in page and "kern" in page  # the styled error page
    assert "Datenbank" in text_of(response) or "database" in text_of(response) or "Fehler" in text_of(response)
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("url", ["postgresql://planner@127.0.0.1:1/planner", "sqlite:////nonexistent-dir/x/db.sqlite3"])
def test_database_down_gives_503_on_healthz(tmp_path, url):
    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=url,
                        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}} if "postgres" in url else {})
    client = app.test_client()
    started = time.monotonic()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
    assert time.monotonic() - started < 10
    # A page that reads the database gets the styled 503 page, not a traceback.
    page = client.get("/")
    assert page.status_code == 503
    assert "Traceback" not in page.get_data(as_text=True) and "<h1" in page.get_data(as_text=True)
