"""Throttling of sign-in, password-reset and public sign-up attempts (Flask-Limiter), with counters that every
app process shares.

The Limiter is created here, unbound, and attached to the app when the accounts blueprint is registered
(``bp.record_once``). Where the counters live (RATELIMIT_STORAGE_URI):

- unset (the default): in the database, table ``rate_limit_counters`` (``planner+db://``, the storage below), or
  in Redis when HUEY_REDIS_URL is set (the installation already runs Redis then);
- ``redis://host:6379/1`` (or any other storage URI of the ``limits`` library): there;
- ``memory://``: in each process's memory (only for a single process: two gunicorn workers would each allow
  the full number of attempts).

RATELIMIT_ENABLED switches throttling off. Only failed sign-ins count: a successful one (a redirect) costs
nothing. The lock-out of an account (accounts.services) is kept on the user's row, so it is shared too.
"""
import hashlib
import hmac
import random
import time

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import Storage
from sqlalchemy import Float, String, case, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from planner.core.models import normalise_email
from planner.extensions import db

DATABASE_STORAGE_URI = "planner+db://"

limiter = Limiter(key_func=get_remote_address, default_limits=[])


def storage_uri(config) -> str:
    """The counters' storage for a configuration: RATELIMIT_STORAGE_URI, else Redis if the jobs use it, else the
    database."""
    return config.get("RATELIMIT_STORAGE_URI") or config.get("HUEY_REDIS_URL") or DATABASE_STORAGE_URI


def init_limiter(state) -> None:
    app = state.app
    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(app.config)
    limiter.init_app(app)


class RateLimitCounter(db.Model):
    """One fixed-window counter of the limiter. The key is an HMAC of the limiter's key (which holds an e-mail
    address or an IP address), so the table names nobody; rows expire with their window."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    # Seconds since the epoch (UTC) at which the window ends: compared with time.time() on every database.
    expires_epoch: Mapped[float] = mapped_column(Float, index=True)


class DatabaseStorage(Storage):
    """A ``limits`` storage in the planner's database (SQLite or PostgreSQL), for ``planner+db://``.

    Each increment is one atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` in a connection of its own (never
    the request's transaction, so a rolled-back request still counts), so any number of processes share one
    count. Supports the fixed-window strategy (Flask-Limiter's default). Expired rows are removed now and then."""

    STORAGE_SCHEME = ["planner+db"]
    CLEANUP_EVERY = 100  # on average, one increment in this many also deletes expired rows

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    @staticmethod
    def _key(key: str) -> str:
        secret = str(current_app.config.get("SECRET_KEY") or "").encode()
        return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def _insert(engine):
        if engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif engine.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:  # pragma: no cover - the planner runs on SQLite and PostgreSQL
            raise RuntimeError(f"rate-limit counters in {engine.dialect.name} are not supported: use Redis")
        return insert

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        table = RateLimitCounter.__table__
        now = time.time()
        engine = db.engine
        expired = table.c.expires_epoch <= now
        stmt = self._insert(engine)(table).values(key=self._key(key), count=amount, expires_epoch=now + expiry)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"count": case((expired, amount), else_=table.c.count + amount),
                  "expires_epoch": case((expired, now + expiry), else_=table.c.expires_epoch)},
        ).returning(table.c.count)
        with engine.begin() as conn:
            count = conn.scalar(stmt)
            if random.randrange(self.CLEANUP_EVERY) == 0:  # noqa: S311  # nosec B311 - not for security
                conn.execute(delete(table).where(table.c.expires_epoch < now))
        return int(count)

    def _row(self, key: str):
        table = RateLimitCounter.__table__
        with db.engine.connect() as conn:
            return conn.execute(select(table.c.count, table.c.expires_epoch)
                                .where(table.c.key == self._key(key), table.c.expires_epoch > time.time())).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.count) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_epoch) if row else time.time()

    def check(self) -> bool:
        try:
            with db.engine.connect() as conn:
                conn.execute(select(RateLimitCounter.__table__.c.key).limit(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with db.engine.begin() as conn:
            return conn.execute(delete(RateLimitCounter.__table__)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(delete(RateLimitCounter.__table__).where(RateLimitCounter.__table__.c.key == self._key(key)))


def account_key() -> str:
    """The e-mail address typed into the form: the same budget whether the account exists or not."""
    return "account:" + normalise_email(request.form.get("email", ""))[:254]


def address_key() -> str:
    return "address:" + (get_remote_address() or "")


def login_failed(response) -> bool:
    # A failed sign-in re-renders the form (200); a success redirects.
    return response.status_code == 200


def per_account_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def per_address_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]


def registration_limit() -> str:
    return current_app.config["REGISTRATION_LIMIT_PER_ADDRESS"]


def password_reset_limit() -> str:
    return current_app.config["PASSWORD_RESET_LIMIT"]
