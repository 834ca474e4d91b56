"""Request plumbing shared by every blueprint: access control, headers, errors, template helpers."""

import logging
import time
from urllib.parse import urlsplit

from flask import flash, g, has_request_context, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from planner.core import identity
from planner.core.errors import DomainError, NotAllowed
from planner.core.nav import nav_for, object_actions, object_panels
from planner.core.permissions import Role, enforce_access, has_role
from planner.core.security import set_security_headers
from planner.core.text import render_markdown
from planner.extensions import db

log = logging.getLogger(__name__)

ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Please check your input and try again.")),
    403: (_l("Access denied"), _l("You are not allowed to open this page with your account.")),
    404: (_l("Page not found"), _l("The page you requested does not exist or has been moved.")),
    405: (_l("Action not allowed"), _l("This action is not possible on this page.")),
    409: (_l("Changed at the same moment"), _l("Someone else changed this at the same moment. Nothing of yours was "
                                                "saved. Please open the page again and repeat your change.")),
    413: (_l("File too large"), _l("The file you sent is larger than the planner accepts.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Please wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. Nothing was saved. Please try again.")),
    503: (_l("Service unavailable"), _l("The planner cannot reach its database right now. Please try again later.")),
}


def _sign_in_as_full_page_for_htmx(response):
    """An htmx request whose session has gone is sent to sign-in as a whole page, not swapped into a fragment.

    The browser follows a 302 inside the XHR before htmx sees it; a 200 with HX-Redirect makes htmx navigate.
    """
    if request.headers.get("HX-Request") == "true" and response.status_code in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        if urlsplit(location).path == url_for("accounts.login"):
            response.status_code = 200
            response.headers["HX-Redirect"] = location
            del response.headers["Location"]
            response.set_data(b"")
    return response


def render_error(code: int, message=None):
    title, default_message = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    return render_template("errors/error.html", code=code, title=title, message=message or default_message), code


def init_app(app):
    from planner.extensions import login_manager

    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    app.before_request(_expire_idle_session)
    app.before_request(_set_audit_actor)
    app.before_request(enforce_access)
    app.after_request(set_security_headers)
    app.after_request(_sign_in_as_full_page_for_htmx)
    app.teardown_request(_clear_audit_actor)

    @app.errorhandler(HTTPException)
    def handle_http_error(error):
        if error.code is None or error.code < 400:
            return error
        if error.code >= 500:
            db.session.rollback()
        return render_error(error.code)

    @app.errorhandler(DomainError)
    def handle_domain_error(error):
        # A rule a service enforces, broken by a view that did not expect it: the user reads the rule (400, or
        # 403 when it is about who may), nothing is kept, never a 500.
        db.session.rollback()
        return render_error(403 if isinstance(error, NotAllowed) else 400, error.message)

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def handle_out_of_range(error):
        # An id or number beyond what the database holds is bad input, not a server fault.
        db.session.rollback()
        return render_error(400, _l("A value you sent is out of range. Please check your input."))

    @app.errorhandler(StaleDataError)
    def handle_lost_race(error):
        # A versioned row (planner.core.locking) changed between reading and writing it, outside an edit form
        # that would have shown the conflict: nothing was written, the user repeats the step.
        db.session.rollback()
        return render_error(409)

    @app.errorhandler(OperationalError)
    def handle_database_down(error):
        db.session.rollback()
        log.exception("database error")
        return render_error(503)

    @app.errorhandler(Exception)
    def handle_unexpected(error):
        db.session.rollback()
        log.exception("unhandled error", exc_info=error)
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", False):
            raise error
        return render_error(500)

    app.register_error_handler(InternalServerError, lambda e: render_error(500))

    app.jinja_env.globals.update(
        has_role=has_role,
        Role=Role,
        object_actions=lambda kind, obj_id: object_actions(kind, obj_id, current_user),
        object_panels=lambda kind, obj_id: object_panels(kind, obj_id, current_user),
    )
    app.jinja_env.filters["markdown"] = render_markdown

    @app.context_processor
    def layout_context():
        if not has_request_context():  # e-mails and exports rendered by jobs or the CLI
            return {"city_name": identity.city_name(), "nav_items": [], "nav_active": None,
                    "current_locale": str(get_locale() or app.config["DEFAULT_LOCALE"]),
                    "languages": app.config["LANGUAGES"]}
        items = nav_for(current_user)
        return {
            "nav_items": items,
            "nav_active": _active_nav_endpoint(items),
            "city_name": identity.city_name(),
            "city_has_logo": bool(identity.settings().get("logo_mimetype")),
            "city_is_demo": bool(identity.settings().get("demo")),
            "current_locale": str(get_locale() or app.config["DEFAULT_LOCALE"]),
            "languages": app.config["LANGUAGES"],
        }


def _active_nav_endpoint(items) -> str | None:
    """The one menu item to mark as current: the page itself, else the first item of its area."""
    endpoints = [item.endpoint for item in items]
    if request.endpoint in endpoints:
        return request.endpoint
    area = request.blueprint
    return next((item.endpoint for item in items if area and area != "site" and item.section == area), None)


def _set_audit_actor():
    from planner.core.audit import set_actor

    if current_user.is_authenticated:
        set_actor(current_user.id, current_user.email)
    else:
        set_actor(None, "anonymous")


def _clear_audit_actor(exc=None):
    from planner.core.audit import set_actor

    set_actor(None, "system")


def _expire_idle_session():
    """Signs out a session left idle for longer than IDLE_TIMEOUT_MINUTES."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    from flask import current_app

    now = int(time.time())
    limit = int(current_app.config["IDLE_TIMEOUT_MINUTES"]) * 60
    last_seen = session.get("last_seen")
    session["last_seen"] = now
    if last_seen and now - int(last_seen) > limit:
        logout_user()
        session.pop("last_seen", None)
        flash(_l("You were signed out after a period of inactivity. Please sign in again."), "info")
        g.idle_expired = True
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    return None
