"""The planner: a city's Smart City strategy process, from workshops to the concept paper 2040."""

import os
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from planner.config import DefaultConfig

ROOT = Path(__file__).resolve().parent.parent

# Domain order: a package imports only from packages to its left. `site` (dashboard, static pages)
# sits on top of all of them.
BLUEPRINT_PACKAGES = (
    "accounts",
    "jobs",
    "fields",
    "people",
    "city",
    "workshops",
    "invitations",
    "findings",
    "wall",
    "surveys",
    "strategy",
    "minutes",
    "monitoring",
    "privacy",
    "site",
)


def create_app(test_config: dict | None = None, instance_path: str | Path | None = None) -> Flask:
    from planner.core.collector import collector_paused

    with collector_paused():  # importing every package's models and views: many objects, no garbage cycles
        return _create_app(test_config, instance_path)


def _create_app(test_config: dict | None, instance_path: str | Path | None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(instance_path or os.environ.get("PLANNER_INSTANCE_PATH") or ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    app.config.from_object(DefaultConfig)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("PLANNER")
    else:
        app.config.from_mapping(test_config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _configure_secret_key(app)
    _configure_database(app)

    from planner import extensions
    from planner.core import i18n

    extensions.db.init_app(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True
    )
    extensions.csrf.init_app(app)
    extensions.babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        timezone_selector=i18n.select_timezone,
        default_translation_directories=";".join(i18n.translation_directories()),
    )
    extensions.login_manager.init_app(app)

    from planner import serving
    from planner.core import audit, baseurl, mail, web  # noqa: F401 - audit and mail register their models and hooks
    from planner.core.models import index_foreign_keys

    serving.init_app(app)  # JSON request log, fingerprinted static files with far-future caching
    web.init_app(app)
    baseurl.init_app(app)  # warns (log, administrators' notice) when BASE_URL is not the address served
    from planner.core import formats

    formats.init_app(app)  # times without seconds; English with 24-hour times and day-month-year
    mail.init_app(app)  # tells the user when an e-mail of their change could not be sent yet

    import importlib
    import importlib.util

    for name in BLUEPRINT_PACKAGES:
        # Every model is known to SQLAlchemy (and to Alembic's autogenerate) before the first request.
        if importlib.util.find_spec(f"planner.{name}.models"):
            importlib.import_module(f"planner.{name}.models")
        module = importlib.import_module(f"planner.{name}")
        app.register_blueprint(module.bp)
    index_foreign_keys(extensions.db.metadata)

    from planner import cli

    cli.init_app(app)

    from planner.core.permissions import check_every_view_declares_access

    check_every_view_declares_access(app)
    return app


def _configure_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        # Generated once per installation, never committed (instance/ is git-ignored).
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def _configure_database(app: Flask) -> None:
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config.get("DATABASE_URL")
    if not url:
        url = f"sqlite:///{Path(app.instance_path) / 'planner.sqlite3'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {"timeout": 30})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Foreign keys on, WAL journal and a busy timeout, so concurrent writers wait instead of failing.

    Also German ordering (collation ``german``) and Unicode-aware lower()/upper(), so sorting and ``ilike``
    behave as on PostgreSQL (planner/core/text_sort.py).
    """
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    from planner.core.text_sort import register_sqlite_functions

    register_sqlite_functions(dbapi_connection)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
