"""The migration to several processes: what exists belongs to the first process, which becomes current."""

from flask_migrate import upgrade
from sqlalchemy import text

from planner.extensions import db
from planner.fields.models import StrategyProcess
from tests.conftest import make_test_app

BEFORE = "0d95e3a9d098"


def test_existing_rows_are_assigned_to_the_first_process(tmp_path):
    app = make_test_app(tmp_path)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            for title in ("Strategie 2022", "Fortschreibung 2028"):
                conn.execute(text("INSERT INTO strategy_processes (city_name, title, vision, target_year, "
                                  "milestone_years, created_at, updated_at) VALUES ('Münster', :t, '', 2040, "
                                  "'[2030]', '2026-01-01', '2026-01-01')"), {"t": title})
            conn.execute(text("INSERT INTO workshop_series (title, description, created_at, updated_at) "
                              "VALUES ('Reihe 2022', '', '2026-01-01', '2026-01-01')"))
            conn.execute(text("INSERT INTO paper_sections (key, title, body, position, version, created_at, "
                              "updated_at) VALUES ('foreword', '', 'Vorwort', 0, 1, '2026-01-01', '2026-01-01')"))
        upgrade()
        with db.engine.connect() as conn:
            first = conn.execute(text("SELECT MIN(id) FROM strategy_processes")).scalar()
            assert conn.execute(text("SELECT process_id FROM workshop_series")).scalar() == first
            assert conn.execute(text("SELECT process_id FROM paper_sections")).scalar() == first
            flags = conn.execute(text("SELECT title FROM strategy_processes WHERE is_current")).scalars().all()
        assert flags == ["Strategie 2022"]
        assert StrategyProcess.current().title == "Strategie 2022"
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
