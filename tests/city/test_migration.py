"""Upgrading an installation that already has a process: its city keeps its name, the demo is recognised."""

from flask_migrate import upgrade
from sqlalchemy import text

from planner.extensions import db
from tests.conftest import make_test_app


def _upgrade_with_process(tmp_path, title: str):
    app = make_test_app(tmp_path)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade(revision="0d95e3a9d098")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO strategy_processes (city_name, title, vision, target_year, milestone_years, created_at, "
                "updated_at) VALUES ('Lindhaven', :title, '', 2035, '[2030]', :at, :at)"
            ), {"title": title, "at": "2024-01-01 00:00:00"})
        upgrade(revision="5ca3c5b5e111")
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT name, districts, sectors, setup_finished_at, demo_loaded_at "
                                    "FROM city_settings")).one()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    return row


def test_an_existing_city_keeps_its_name_and_counts_as_set_up(tmp_path):
    row = _upgrade_with_process(tmp_path, "Lindhaven vernetzt")
    assert row.name == "Lindhaven" and row.setup_finished_at is not None and row.demo_loaded_at is None
    assert row.districts in ([], "[]") and row.sectors in ([], "[]")


def test_an_existing_demo_is_marked_for_removal(tmp_path):
    from planner.demo.data import PROCESS

    row = _upgrade_with_process(tmp_path, PROCESS["title"])
    assert row.demo_loaded_at is not None
