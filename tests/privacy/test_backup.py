"""Backup while the app writes, restore into an empty database, same rows and the same roll-up."""

import importlib
import importlib.util
import io
import threading
import time

import pytest
from sqlalchemy import select

from planner.extensions import db
from planner.people.models import Organisation, Person, Sector
from tests.conftest import make_test_app


def _rows(app) -> dict[str, list[dict]]:
    with app.app_context():
        result = {}
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            result[table.name] = [dict(r) for r in db.session.execute(select(table).order_by(*order)).mappings()]
        return result


def _roll_up_json(app) -> bytes | None:
    if importlib.util.find_spec("planner.strategy.exporters.json") is None:
        return None
    exporter = importlib.import_module("planner.strategy.exporters.json")
    rollup = importlib.import_module("planner.strategy.rollup")
    with app.app_context():
        out = io.BytesIO()
        exporter.export(rollup.build_rollup(), out)
        return out.getvalue()


def _fresh_app(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()
    app = make_test_app(folder, SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'db.sqlite3'}")
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def source(tmp_path):
    app = _fresh_app(tmp_path, "source")
    with app.app_context():
        from planner.demo import seed_demo

        seed_demo()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_backup_and_restore_round_trip(source, tmp_path):
    runner = source.test_cli_runner()
    backup_file = tmp_path / "planner.backup.jsonl"
    result = runner.invoke(args=["backup", str(backup_file)])
    assert result.exit_code == 0, result.output

    target = _fresh_app(tmp_path, "target")
    result = target.test_cli_runner().invoke(args=["restore", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert _rows(target) == _rows(source)
    assert _rows(target)["people"], "the demo should have been restored"
    before = _roll_up_json(source)
    if before is not None:
        assert _roll_up_json(target) == before  # byte-identical JSON roll-up

    # A second restore into the now filled database is refused with a clear message.
    again = target.test_cli_runner().invoke(args=["restore", str(backup_file)])
    assert again.exit_code != 0 and "not empty" in again.output
    assert _rows(target) == _rows(source)


def test_restore_refuses_a_foreign_file(tmp_path):
    target = _fresh_app(tmp_path, "target")
    bogus = tmp_path / "bogus.jsonl"
    bogus.write_text('{"format": "something-else"}\n')
    result = target.test_cli_runner().invoke(args=["restore", str(bogus)])
    assert result.exit_code != 0 and "not a planner backup" in result.output


def test_backup_is_consistent_while_another_thread_writes(source, tmp_path):
    stop = threading.Event()
    written: list[int] = []

    def writer():
        n = 0
        with source.app_context():
            while not stop.is_set():
                n += 1
                # One transaction: an organisation and its one person. A torn snapshot would split them.
                org = Organisation(name=f"Schreibtest {n}", sector=Sector.BUSINESS)
                db.session.add(org)
                db.session.flush()
                db.session.add(Person(first_name="Schreib", last_name=f"Test {n}", email=f"writer{n}@example.org",
                                      organisation_id=org.id))
                db.session.commit()
                written.append(n)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:
            time.sleep(0.01)
        backup_file = tmp_path / "live.jsonl"
        result = source.test_cli_runner().invoke(args=["backup", str(backup_file)])
        assert result.exit_code == 0, result.output
        at_backup = len(written)
        while len(written) < at_backup + 20:
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(timeout=30)

    target = _fresh_app(tmp_path, "target")
    assert target.test_cli_runner().invoke(args=["restore", str(backup_file)]).exit_code == 0
    restored = _rows(target)
    orgs = {r["name"] for r in restored["organisations"] if r["name"].startswith("Schreibtest ")}
    people = {r["last_name"] for r in restored["people"] if r["first_name"] == "Schreib"}
    assert {o.removeprefix("Schreibtest ") for o in orgs} == {p.removeprefix("Test ") for p in people}
    assert 20 <= len(orgs) < len(written)  # a snapshot from the middle of the writing
    # Rows only ever get added here: the restored ones are exactly the source's first rows.
    current = _rows(source)
    for table in ("organisations", "people"):
        assert restored[table] == current[table][: len(restored[table])]
