"""Behaviour that must be the same on SQLite and PostgreSQL (this module runs in `make test` on SQLite and in
`make test-pg` on a throwaway PostgreSQL 15 cluster)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from planner.accounts.models import User
from planner.core.text_sort import german_key, german_sort
from planner.extensions import db
from planner.people.models import Person
from tests import factories
from tests.conftest import database_url_for_tests

ROOT = Path(__file__).resolve().parents[2]

GERMAN_ORDER = ["Abend", "Arzt", "Ärzte", "Auto", "Müller", "Muller", "Mut", "Ofen", "Öl", "Ost", "Straße",
                "Strasse", "Strauch", "Zebra"]


def _expected_order(words):
    return sorted(words, key=german_key)


def test_german_key_sorts_umlauts_with_their_base_letter():
    ordered = _expected_order(["Zebra", "Ärzte", "Arzt", "Auto", "Öl", "Ofen", "Ost"])
    assert ordered == ["Arzt", "Ärzte", "Auto", "Ofen", "Öl", "Ost", "Zebra"]


def test_german_sort_orders_like_a_german_reader_on_this_database(ctx):
    for name in reversed(GERMAN_ORDER):
        factories.person(last_name=name)
    db.session.commit()
    names = db.session.scalars(select(Person.last_name).order_by(german_sort(Person.last_name), Person.id)).all()
    # "Ärzte" comes right after "Arzt", not after "Zebra" as a byte-wise sort puts it.
    assert names.index("Ärzte") == names.index("Arzt") + 1
    assert names[-1] == "Zebra"
    assert names.index("Öl") < names.index("Ost")
    # Entries equal at the first level (Müller/Muller, Straße/Strasse) stay next to each other.
    assert abs(names.index("Müller") - names.index("Muller")) == 1
    assert abs(names.index("Straße") - names.index("Strasse")) == 1
    assert [n.casefold().replace("ä", "a").replace("ö", "o").replace("ü", "u").replace("ß", "ss") for n in names] == \
        sorted(n.casefold().replace("ä", "a").replace("ö", "o").replace("ü", "u").replace("ß", "ss") for n in names)


def test_ilike_matches_umlauts_in_any_case(ctx):
    factories.person(last_name="Ärztekammer")
    factories.person(last_name="Übel")
    factories.person(last_name="Anders")
    db.session.commit()

    def search(term):
        return sorted(db.session.scalars(select(Person.last_name).where(Person.last_name.ilike(f"%{term}%"))))

    assert search("ÄRZTE") == ["Ärztekammer"]
    assert search("ärzte") == ["Ärztekammer"]
    assert search("übel") == ["Übel"]
    assert search("ANDERS") == ["Anders"]


def test_emails_are_unique_whatever_their_case(ctx):
    factories.user(email="Anna.Schmidt@Example.org")
    db.session.commit()
    assert db.session.scalar(select(User.email)) == "anna.schmidt@example.org"
    with pytest.raises(IntegrityError):
        factories.user(email="ANNA.SCHMIDT@example.org")
    db.session.rollback()


def test_migrations_upgrade_an_empty_database(tmp_path):
    """`flask db upgrade` builds the schema on an empty database (a new SQLite file or PostgreSQL database)."""
    url = database_url_for_tests()
    admin_engine = None
    if url and url.startswith("postgresql"):
        name = f"planner_migrate_{uuid.uuid4().hex[:8]}"
        admin_engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        target = url.rsplit("/", 1)[0] + "/" + name
    else:
        name = None
        target = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    env = {**os.environ, "PLANNER_DATABASE_URL": target, "PLANNER_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("PLANNER_SQLALCHEMY_DATABASE_URI", None)
    try:
        # As an operator runs it (a subprocess: the same code path as `make db` and an upgrade in production).
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "planner", "db", "upgrade"],
            env=env, capture_output=True, text=True, timeout=300, cwd=ROOT,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        engine = create_engine(target)
        try:
            tables = set(inspect(engine).get_table_names())
            with engine.connect() as conn:
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        finally:
            engine.dispose()
        assert {"users", "action_fields", "people", "workshops", "findings", "measures"} <= tables
        assert version
    finally:
        if admin_engine is not None:
            with admin_engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin_engine.dispose()
