"""Production serving: one JSON log line per request and fingerprinted, far-future-cached static files.

- Request log: ``{"ts", "level", "method", "path", "status", "duration_ms", "request_id", "remote", "user"}``
  on the ``planner.requests`` logger (stderr under gunicorn). The request id comes from a valid incoming
  ``X-Request-ID`` (set by the reverse proxy) or is generated, and is sent back in the response.
- Static files: every ``url_for('static', filename=...)`` gets ``?v=<12 hex digits of the file's SHA-256>``.
  A request carrying the current hash is answered with ``Cache-Control: public, max-age=<a year>, immutable``;
  without it (or with an old one) browsers revalidate (ETag), so a deployment never serves stale assets.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, g, request

request_log = logging.getLogger("planner.requests")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")


def init_app(app: Flask) -> None:
    if app.config.get("REQUEST_LOG", True):
        _init_request_log(app)
    if app.config.get("STATIC_FINGERPRINT", True):
        _init_static_fingerprints(app)


# --- structured request log ---------------------------------------------------------------------------------

class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = getattr(record, "request", None)
        if data is None:
            data = {"message": record.getMessage()}
        line = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), **data}
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def _init_request_log(app: Flask) -> None:
    if not app.testing and not request_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLineFormatter())
        request_log.addHandler(handler)
        request_log.setLevel(logging.INFO)
        request_log.propagate = False

    @app.before_request
    def _start_clock():
        g.request_started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def _log_request(response):
        started = g.get("request_started")
        if started is None:
            return response
        request_id = g.get("request_id", "")
        response.headers["X-Request-ID"] = request_id
        from flask_login import current_user

        user_id = None
        try:
            if current_user and current_user.is_authenticated:
                user_id = current_user.id
        except Exception:  # noqa: BLE001 - the log never breaks a response
            user_id = None
        request_log.info(
            "%s %s %s", request.method, request.path, response.status_code,
            extra={"request": {
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "request_id": request_id,
                "remote": request.remote_addr,
                "user": user_id,
            }},
        )
        return response


# --- fingerprinted static files -------------------------------------------------------------------------------

_hashes: dict[tuple[str, float], str] = {}


def static_hash(folder: str, filename: str) -> str | None:
    path = Path(folder) / filename
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    key = (str(path), mtime)
    digest = _hashes.get(key)
    if digest is None:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        _hashes[key] = digest
    return digest


def _init_static_fingerprints(app: Flask) -> None:
    max_age = int(app.config.get("STATIC_MAX_AGE", 365 * 24 * 3600))

    @app.url_defaults
    def _fingerprint(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values and app.static_folder:
            digest = static_hash(app.static_folder, values["filename"])
            if digest:
                values["v"] = digest

    @app.after_request
    def _cache_static(response):
        if request.endpoint != "static" or response.status_code != 200 or not app.static_folder:
            return response
        wanted = request.args.get("v")
        filename = (request.view_args or {}).get("filename", "")
        if wanted and wanted == static_hash(app.static_folder, filename):
            response.headers["Cache-Control"] = f"public, max-age={max_age}, immutable"
        else:
            response.headers["Cache-Control"] = "no-cache"
        return response
