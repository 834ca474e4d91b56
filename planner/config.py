"""Default settings. Overridden by instance/config.py, then by PLANNER_* environment variables."""

from datetime import timedelta


class DefaultConfig:
    # Selected by PLANNER_DATABASE_URL; the embedded default is SQLite in instance/.
    DATABASE_URL: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    # Only a fallback: the city's name, mail sender and feedback contact are set by its administrator
    # (City settings, stored in the database). The config keeps what belongs to the operator.
    CITY_NAME = ""
    DEFAULT_LOCALE = "de"
    LANGUAGES = ("de", "en")
    TIMEZONE = "Europe/Berlin"
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"

    # Sessions: signed cookies, so several app servers can share the load.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set True (PLANNER_SESSION_COOKIE_SECURE=true) behind HTTPS
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    IDLE_TIMEOUT_MINUTES = 120

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 50 * 1024 * 1024

    PASSWORD_MIN_LENGTH = 10

    # Mail: with MAIL_SERVER unset, messages are written to instance/outbox/.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS = False
    MAIL_SENDER = "smart-city@example.org"
    # Mail leaves through the outbox table after the commit; a failed delivery is retried (by the job worker
    # every minute, or `flask --app planner mail flush`) until it failed this many times.
    MAIL_MAX_ATTEMPTS = 10
    # More recipients than this: invitations and reminders are sent by a background job with progress.
    INVITATION_BACKGROUND_THRESHOLD = 20
    # Where barriers reported through the accessibility statement go (BITV: a feedback contact).
    FEEDBACK_EMAIL = "barrierefreiheit@example.org"

    # Retention (days), applied daily by the retention job and `flask retention run`; the data-protection
    # officer sees the dry run on /privacy-requests/retention. People: no activity for this long after the
    # strategy process ended (erased through the GDPR erasure). Invitation links: deleted this long after
    # their workshop. Audit log: who acted and the personal values before/after are removed after this long
    # (the fact that something changed stays). Survey uploads: raw files never imported are deleted.
    RETENTION = {
        "inactive_people_days": 730,
        "invitation_links_days": 90,
        "audit_personal_values_days": 1095,
        "survey_uploads_days": 30,
    }

    # Absolute base URL used in e-mails and calendar feeds when no request is at hand.
    BASE_URL = "http://127.0.0.1:5000"

    # Where rate-limit counters live, shared by every app process: unset = the database (or Redis when
    # HUEY_REDIS_URL is set); e.g. PLANNER_RATELIMIT_STORAGE_URI=redis://redis.internal:6379/1
    # (planner/accounts/limits.py).
    RATELIMIT_STORAGE_URI: str | None = None
    RATELIMIT_HEADERS_ENABLED = True

    GUNICORN_WORKERS = 2
    # More threads than a busy page's keep-alive connections: with fewer, gthread leaves a request now and then
    # waiting some 400 ms before the app sees it (docs/benchmarks.md, monitoring notes). Idle threads cost little.
    GUNICORN_THREADS = 24

    # Sign-in throttling (Flask-Limiter; RATELIMIT_ENABLED switches it off, e.g. in tests) and lock-out.
    RATELIMIT_ENABLED = True
    LOGIN_LIMIT_PER_ACCOUNT = "10 per 15 minutes"
    LOGIN_LIMIT_PER_ADDRESS = "50 per 15 minutes"
    PASSWORD_RESET_LIMIT = "5 per hour"  # noqa: S105  # nosec B105 - a rate, not a password
    # Public sign-up for citizen dialogues: each one sends an e-mail, so one address may not flood it.
    REGISTRATION_LIMIT_PER_ADDRESS = "20 per hour"
    # The link in the mail that confirms a public sign-up (double opt-in) works this many hours.
    REGISTRATION_LINK_HOURS = 48
    LOGIN_LOCKOUT_ATTEMPTS = 10
    LOGIN_LOCKOUT_MINUTES = 15
    PASSWORD_RESET_HOURS = 1

    # Single sign-on (docs/operations.md): a list of providers in the instance config, e.g.
    # [{"name": "keycloak", "label": "Stadt-Login", "type": "oidc", "server_metadata_url": ..., "client_id": ...,
    #   "client_secret": ..., "groups_claim": "groups", "role_map": {"planner-admins": "admin"}}]
    # or type "ldap" (see planner/accounts/ldap.py). SSO_CREATE_ACCOUNTS: a first sign-in may create the account.
    SSO_PROVIDERS: tuple = ()
    SSO_CREATE_ACCOUNTS = False
    # The name authenticator apps show next to the codes.
    TOTP_ISSUER = "Smart City Planner"
    # Second-factor secrets are stored encrypted with this key (a Fernet key or a long passphrase; unset: derived
    # from SECRET_KEY). Rotation: the new key here, the previous ones in ENCRYPTION_OLD_KEYS (a list or
    # comma-separated), then `flask --app planner rotate-encryption-key` (docs/security.md).
    ENCRYPTION_KEY: str | None = None
    ENCRYPTION_OLD_KEYS: list = []

    # Background jobs (Huey): SQLite storage in the instance folder unless a Redis URL is set
    # (PLANNER_HUEY_REDIS_URL=redis://host:6379/0). HUEY_IMMEDIATE runs jobs in-process at once
    # (None: only in tests). HUEY_WORKERS: threads of `flask jobs worker` / `make worker`.
    HUEY_REDIS_URL: str | None = None
    HUEY_SQLITE_PATH: str | None = None
    HUEY_IMMEDIATE: bool | None = None
    HUEY_WORKERS = 2
    # The live workshop wall (planner/wall, docs/operations.md#the-live-workshop-wall). Wake-up across processes:
    # PostgreSQL LISTEN/NOTIFY, Redis pub/sub when WALL_REDIS_URL (or HUEY_REDIS_URL) is set, else (SQLite, one
    # machine) a ring through a Unix datagram socket, with a look at the event log every WALL_POLL_SECONDS as the
    # fallback. A stream ends after 60-100 % of WALL_STREAM_SECONDS (the browser reconnects from its cursor); a
    # personal link is re-checked every WALL_LINK_CHECK_SECONDS. WALL_MAX_STREAMS:
    # open streams per process (None: gunicorn threads less four); beyond it clients poll. Rate limit per person:
    # WALL_RATE_LIMIT cards in WALL_RATE_WINDOW_SECONDS.
    WALL_REDIS_URL: str | None = None
    WALL_POLL_SECONDS = 0.25
    WALL_STREAM_SECONDS = 55
    WALL_LINK_CHECK_SECONDS = 1
    WALL_MAX_STREAMS: int | None = None
    WALL_RATE_LIMIT = 6
    WALL_RATE_WINDOW_SECONDS = 10
    # The event log is kept this long (hours), then pruned as cards are posted (the findings are the record).
    WALL_EVENT_HOURS = 24
    # A running job writes a heartbeat every JOB_HEARTBEAT_SECONDS; the worker checks every JOB_WATCHDOG_SECONDS
    # (and once on start) for running jobs without a heartbeat for JOB_STALE_SECONDS: their worker stopped
    # (killed, out of memory, machine restarted), so they are marked failed, partial files removed.
    JOB_HEARTBEAT_SECONDS = 5
    JOB_STALE_SECONDS = 30
    JOB_WATCHDOG_SECONDS = 10

    # Production serving: one JSON line per request on the "planner.requests" logger (gunicorn's stderr),
    # and static files with a content hash in their URL, cached for a year by browsers and proxies.
    REQUEST_LOG = True
    STATIC_FINGERPRINT = True
    STATIC_MAX_AGE = 365 * 24 * 3600

    # The monitoring's open-data files, built once per change of the data (planner.monitoring.public.open_data_file):
    # a folder all workers share; empty means instance/cache/open-data.
    MONITORING_OPEN_DATA_DIR = ""
