"""Links that work: every personal link in a mail is built from BASE_URL (PLANNER_BASE_URL), not from the request,
so a wrong BASE_URL makes every link in every mail dead. The app warns once per address in the log when a request
arrives at another address than BASE_URL, and shows administrators a notice on every page while it differs."""

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, request

log = logging.getLogger("planner.baseurl")
# At most this many different addresses are logged per process (a flood of odd Host headers stays quiet).
MAX_LOGGED = 10
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> str:
    """scheme://host[:port] in lower case, without the scheme's default port and without a path."""
    parts = urlsplit((url or "").strip())
    scheme = (parts.scheme or "http").lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS.get(scheme)) else f"{scheme}://{host}:{port}"


@dataclass(frozen=True)
class Mismatch:
    configured: str
    served: str


def request_mismatch() -> Mismatch | None:
    """The configured BASE_URL and the address this request arrived at, when they differ."""
    if not has_request_context():
        return None
    configured = origin(current_app.config.get("BASE_URL", ""))
    served = origin(request.host_url)
    return None if configured == served else Mismatch(configured, served)


def init_app(app: Flask) -> None:
    logged: set[str] = set()
    app.extensions["planner.base_url_mismatches"] = logged

    @app.before_request
    def _warn_about_base_url():
        mismatch = request_mismatch()
        if mismatch is None or mismatch.served in logged or len(logged) >= MAX_LOGGED:
            return
        logged.add(mismatch.served)
        log.warning(
            "BASE_URL is %s, but the planner is served at %s: the links in its e-mails will not work. "
            "Set PLANNER_BASE_URL to the address people open (make run sets it to http://HOST:PORT).",
            mismatch.configured, mismatch.served,
        )

    @app.context_processor
    def _base_url_notice():
        from flask_login import current_user

        from planner.core.permissions import Role

        def base_url_mismatch():
            user = current_user
            if not getattr(user, "is_authenticated", False) or getattr(user, "role", None) != Role.ADMIN:
                return None
            return request_mismatch()

        return {"base_url_mismatch": base_url_mismatch}
