"""gunicorn settings for `make serve` (gunicorn -c planner/gunicorn_conf.py wsgi:app).

Every value can be set by environment: PLANNER_GUNICORN_WORKERS (processes, default 2 or the config's
GUNICORN_WORKERS), PLANNER_GUNICORN_THREADS (threads per process, default 24
or the config's GUNICORN_THREADS), PLANNER_BIND
(default 127.0.0.1:5000; the reverse proxy terminates TLS in front), PLANNER_FORWARDED_ALLOW_IPS (the proxy's
address, so X-Forwarded-For/Proto are trusted from it only).
"""

import os

from planner.config import DefaultConfig

bind = os.environ.get("PLANNER_BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("PLANNER_GUNICORN_WORKERS", DefaultConfig.GUNICORN_WORKERS))
threads = int(os.environ.get("PLANNER_GUNICORN_THREADS", DefaultConfig.GUNICORN_THREADS))
worker_class = "gthread"
timeout = int(os.environ.get("PLANNER_GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (memory hygiene), staggered so they never restart together.
max_requests = 5000
max_requests_jitter = 500
# The heartbeat file in memory, as gunicorn recommends for containers (not a data file).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108  # nosec B108 - heartbeat file, not data
forwarded_allow_ips = os.environ.get("PLANNER_FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips
# The app writes one JSON line per request itself (planner/serving.py); gunicorn logs only its own events.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("PLANNER_GUNICORN_LOGLEVEL", "info")
# No preload: each worker opens its own database connections after the fork.
preload_app = False
