"""Migrations are the only way the schema is made outside tests: upgrading an empty database must give
exactly the models (autogenerate finds no difference)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from planner.extensions import db
from tests.conftest import make_test_app


def test_upgrading_an_empty_database_gives_exactly_the_models(tmp_path):
    app = make_test_app(tmp_path)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(context, db.metadata)
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    assert diff == [], f"models and migrations differ: {diff}"
