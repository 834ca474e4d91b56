"""The migration of existing walls: a workshop whose wall was anonymous becomes anonymous as a whole, and the closed
votes get their results (dots and rank per card) from their dots; a downgrade gives the walls their flag back."""

from datetime import datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from planner.extensions import db
from tests.conftest import make_test_app

BEFORE = "ca2790adfd73"
AFTER = "f70fc738e253"


def _insert(conn, table: str, **values) -> None:
    """A row with the given values; every other required column gets a plain value of its type."""
    columns = sa.inspect(conn).get_columns(table)
    for column in columns:
        if column["name"] in values or column["nullable"] or column.get("default") is not None:
            continue
        if column["name"] == "id":  # the primary key numbers itself
            continue
        kind = column["type"]
        if isinstance(kind, sa.Boolean):
            values[column["name"]] = False
        elif isinstance(kind, sa.Integer | sa.Numeric):
            values[column["name"]] = 0
        elif isinstance(kind, sa.DateTime):
            values[column["name"]] = datetime(2026, 5, 4, 9, 0)
        else:
            values[column["name"]] = "x"
    names = ", ".join(values)
    conn.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in values)})"), values)


def test_anonymous_walls_make_their_workshop_anonymous_and_closed_votes_keep_their_results(tmp_path):
    app = make_test_app(tmp_path)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            _insert(conn, "action_fields", id=1, code="MOB")
            for workshop_id, anonymous in ((1, True), (2, False)):
                _insert(conn, "workshops", id=workshop_id, title=f"Workshop {workshop_id}", format="virtual",
                        status="held", kind="workshop")
                _insert(conn, "agenda_blocks", id=workshop_id, workshop_id=workshop_id, kind="status_quo",
                        title="Status quo")
                _insert(conn, "walls", id=workshop_id, agenda_block_id=workshop_id, state="open",
                        is_anonymous=anonymous)
            for finding_id in (1, 2, 3):
                _insert(conn, "findings", id=finding_id, workshop_id=1, agenda_block_id=1, field_id=1,
                        kind="risk", text=f"Karte {finding_id}", number=f"MOB-S0{finding_id}")
                _insert(conn, "wall_cards", id=finding_id, wall_id=1, finding_id=finding_id)
            _insert(conn, "wall_dot_votes", id=1, wall_id=1, dots_per_person=3,
                    closed_at=datetime(2026, 5, 4, 11, 0))
            for card_id, voter in ((1, "p1"), (1, "p2"), (2, "p1"), (3, "p3")):
                _insert(conn, "wall_dots", vote_id=1, card_id=card_id, voter=voter)
            _insert(conn, "wall_dot_votes", id=2, wall_id=1, dots_per_person=3)  # still open: no results
            _insert(conn, "wall_dots", vote_id=2, card_id=3, voter="p1")

        upgrade(revision=AFTER)
        with db.engine.connect() as conn:
            anonymous = dict(conn.execute(sa.text("SELECT id, cards_anonymous FROM workshops")).all())
            results = conn.execute(sa.text(
                "SELECT vote_id, card_id, dots, rank FROM wall_vote_results ORDER BY card_id")).all()
        assert {k: bool(v) for k, v in anonymous.items()} == {1: True, 2: False}
        assert [tuple(r) for r in results] == [(1, 1, 2, 1), (1, 2, 1, 2), (1, 3, 1, 2)]

        downgrade(revision=BEFORE)
        with db.engine.connect() as conn:
            walls = dict(conn.execute(sa.text("SELECT id, is_anonymous FROM walls")).all())
        assert {k: bool(v) for k, v in walls.items()} == {1: True, 2: False}
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS wall_vote_results")
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
