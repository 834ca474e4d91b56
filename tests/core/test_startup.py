"""Start-up cost of every CLI command and worker (issue 13: `flask export-paper --format html` ≤ 3 s at metropolis
scale): optional libraries are imported where they are used, and the garbage collector paused for the start-up
and the paper's roll-up is running again afterwards."""

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from planner.core.collector import collector_paused

ROOT = Path(__file__).resolve().parents[2]

# Each is needed by one feature only (LDAP or OIDC sign-in, the comment coding, the people import); together they
# were about half a second of each process's start.
LAZY = ("ldap3", "authlib.integrations.flask_client", "joserfc.jwt", "requests", "simplemma", "email_validator",
        "numpy", "sklearn", "scipy")


def test_the_app_starts_without_the_optional_libraries_and_with_the_collector_running(tmp_path):
    script = (
        "import gc, json, sys\n"
        "from planner import create_app\n"
        f"app = create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path / 'db.sqlite3'}', 'TESTING': True}},"
        f" instance_path={str(tmp_path)!r})\n"
        f"print(json.dumps({{'loaded': [m for m in {LAZY!r} if m in sys.modules], 'gc': gc.isenabled(),"
        " 'commands': sorted(app.cli.list_commands(None))}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=120, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["loaded"] == []
    assert result["gc"] is True
    assert {"export-paper", "import-survey", "seed-demo", "create-user"} <= set(result["commands"])


def test_the_collector_resumes_after_the_block_also_after_an_error_and_when_nested():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # only the outermost block turns it back on
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_process_that_turned_the_collector_off_keeps_it_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_roll_up_leaves_the_collector_running(app):
    from planner.strategy.rollup import build_rollup, rollup_from_json, rollup_to_json

    with app.app_context():
        rollup = build_rollup()
        assert gc.isenabled()
        assert rollup_from_json(rollup_to_json(rollup)) == rollup
        assert gc.isenabled()


def test_a_command_process_ends_with_its_work_stored_and_the_database_closed(app, tmp_path):
    """A CLI process skips the interpreter's last garbage collections (a quarter of `export-paper`'s time) but
    closes its database connections first: the account is stored, SQLite's WAL file is checkpointed and removed."""
    from sqlalchemy import select

    from planner.accounts.models import User
    from planner.extensions import db

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        pytest.skip("SQLite's WAL file")
    database = Path(url.removeprefix("sqlite:///"))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # this test's own connection would keep the WAL file open
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PLANNER_DATABASE_URL": url, "PLANNER_SECRET_KEY": "test",
           "PLANNER_INSTANCE_PATH": str(tmp_path / "cli-instance"), "PLANNER_PASSWORD_HASH_METHOD": "scrypt:1024:8:1"}
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "planner", "create-user", "--email", "chefin@stadt.example",
         "--role", "admin", "--password", "sehr-geheim-123"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Created admin account chefin@stadt.example." in done.stdout
    assert not database.with_name(database.name + "-wal").exists()
    with app.app_context():
        assert db.session.scalar(select(User.email)) == "chefin@stadt.example"
