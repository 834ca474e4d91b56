"""Faults: a killed import leaves nothing half-done; a read-only or unreachable database gives a clear page."""

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from planner.extensions import db
from planner.people.models import Person
from tests.conftest import make_test_app, text_of

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_killed_import_leaves_no_partial_import(tmp_path):
    """A process that stores a large import in one transaction is killed half-way: nothing of it is stored.

    (The surveys package has no import CLI yet; the child process stands in for `flask import-survey`: it
    writes rows in one transaction, as every importer's service must.)
    """
    db_file = tmp_path / "import.sqlite3"
    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_file}")
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from tests.conftest import make_test_app
        from planner.extensions import db
        from planner.people.models import Person
        app = make_test_app(Path({str(tmp_path)!r}), SQLALCHEMY_DATABASE_URI="sqlite:///{db_file}")
        with app.app_context():
            for n in range(10_000_000):
                db.session.add(Person(first_name="Import", last_name=str(n), email=f"import{{n}}@example.org"))
                if n % 2000 == 1999:
                    db.session.flush()
                    print("flushed", n + 1, flush=True)
            db.session.commit()
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        flushed = 0
        while flushed < 10_000:
            line = child.stdout.readline()
            assert line, "the import process ended early"
            flushed = int(line.split()[1])
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Person)) == 0
        assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
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
