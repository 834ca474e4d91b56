"""A throwaway PostgreSQL 15 cluster for the test suite (and the benchmark).

Use: ``pytest --postgres`` (``make test-pg``). The plugin runs ``initdb`` in a temporary directory, starts the
server on 127.0.0.1 and a free port (as the ``postgres`` user when the tests run as root: initdb refuses
root), creates a database, and points ``PLANNER_TEST_DATABASE_URL`` at it; tests/conftest.py picks the URL
up. The cluster is stopped and deleted when the session ends. With ``PLANNER_TEST_DATABASE_URL`` already set
(an existing server), the plugin does nothing. Under pytest-xdist (``-n``) every worker gets a database of its own
on the same server, named after the worker.

Durability is switched off (fsync, synchronous_commit, full_page_writes): this cluster lives for minutes.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("PLANNER_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """initdb + pg_ctl in a temp dir; ``url(dbname)`` gives a SQLAlchemy URL for a database on it."""

    def __init__(self, prefix: str = "planner-pg-"):
        self.dir = Path(tempfile.mkdtemp(prefix=prefix))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.user = "planner"
        self.as_root = os.geteuid() == 0
        self.started = False

    # -- helpers -------------------------------------------------------------------------------------------
    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, cwd=self.dir)  # noqa: S603

    def start(self) -> PostgresCluster:
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"PostgreSQL server binaries not found in {PG_BIN} (apt-get install postgresql)")
        if self.as_root:
            shutil.chown(self.dir, user="postgres", group="postgres")
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
            "-c shared_buffers=128MB"
        )
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "server.log"),
            "-w", "-t", "60", "start",
        )
        self.started = True
        return self

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        result = self._run(
            str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", dbname,
            "-v", "ON_ERROR_STOP=1", "-Atc", sql,
        )
        return result.stdout.strip()

    def create_database(self, name: str) -> str:
        self.psql(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING UTF8')
        return self.url(name)

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def version(self) -> str:
        return self.psql("SHOW server_version")

    def stop(self) -> None:
        if self.started:
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
            self.started = False
        for _ in range(3):
            try:
                shutil.rmtree(self.dir)
                break
            except OSError:
                time.sleep(0.2)

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# -- pytest plugin ----------------------------------------------------------------------------------------

_cluster: PostgresCluster | None = None


def pytest_addoption(parser):
    parser.addoption(
        "--postgres", action="store_true", default=False,
        help="run the suite against a throwaway PostgreSQL 15 cluster (started and stopped by the plugin)",
    )


def pytest_configure(config):
    global _cluster
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and os.environ.get("PLANNER_TEST_DATABASE_URL", "").startswith("postgresql"):
        # pytest -n: the controller started the cluster; each worker empties and fills a database of its own.
        os.environ["PLANNER_TEST_DATABASE_URL"] = _database_for_worker(os.environ["PLANNER_TEST_DATABASE_URL"], worker)
        return
    if not config.getoption("--postgres", default=False) or os.environ.get("PLANNER_TEST_DATABASE_URL"):
        return
    _cluster = PostgresCluster().start()
    os.environ["PLANNER_TEST_DATABASE_URL"] = _cluster.create_database("planner_test")
    os.environ["PLANNER_TEST_PG_ADMIN_URL"] = _cluster.url("postgres")


def _database_for_worker(url: str, worker: str) -> str:
    """Creates (or re-creates) ``<database>_<worker>`` on the server of ``url`` and returns its URL."""
    from sqlalchemy import create_engine, text

    base, _, dbname = url.rpartition("/")
    name = f"{dbname}_{worker}"
    engine = create_engine(os.environ.get("PLANNER_TEST_PG_ADMIN_URL") or url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))
    finally:
        engine.dispose()
    return f"{base}/{name}"


def pytest_report_header(config):
    url = os.environ.get("PLANNER_TEST_DATABASE_URL")
    if url:
        return f"database: {url}"
    return "database: SQLite (a fresh file per test)"


def pytest_unconfigure(config):
    global _cluster
    if _cluster is not None:
        _cluster.stop()
        os.environ.pop("PLANNER_TEST_DATABASE_URL", None)
        os.environ.pop("PLANNER_TEST_PG_ADMIN_URL", None)
        _cluster = None


# -- a fast reset per test ----------------------------------------------------------------------------------

_schema_key: tuple | None = None


def reset_database(db) -> None:
    """Leaves the app's database with every table empty, created once per session and truncated after.

    Call inside an app context. Falls back to drop_all/create_all when the schema changed (another set of
    tables) or a table is missing.
    """
    global _schema_key
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    tables = db.metadata.sorted_tables
    key = (str(db.engine.url), tuple(sorted(t.name for t in tables)))
    if _schema_key == key:
        names = ", ".join(f'"{t.name}"' for t in tables)
        try:
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        except DBAPIError:
            pass
    try:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except DBAPIError:  # not the schema's owner (an existing server): drop what we know
        db.drop_all()
    db.create_all()
    _schema_key = key
