"""The minutes mail: German plain text with a simple HTML alternative and the personal link; never an attachment
(the minutes name people and stay behind the link, which the retention period ends)."""

from contextlib import nullcontext
from email.message import EmailMessage

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from planner.core import identity
from planner.core.mail import send_mail

MAIL_LOCALE = "de"


def link_for(token: str) -> str:
    """The absolute personal link to the minutes (BASE_URL, so it works from CLI commands and jobs too)."""
    from planner.minutes import bp

    return f"{current_app.config['BASE_URL'].rstrip('/')}{bp.url_prefix}/r/{token}"


def render(person, workshop, link: str) -> tuple[str, str, str]:
    """(subject, text, html) of the mail, as the preview shows it."""
    request_ctx = nullcontext() if has_request_context() else current_app.test_request_context(
        base_url=current_app.config["BASE_URL"])
    with request_ctx, force_locale(MAIL_LOCALE):
        subject = _("Minutes: %(title)s", title=workshop.title)
        context = {"person": person, "workshop": workshop, "link": link, "city_name": identity.city_name()}
        text = render_template("minutes/mail/minutes.txt", **context)
        html = render_template("minutes/mail/minutes.html", **context)
    return subject, text, html


def send_minutes(person, workshop, token: str) -> EmailMessage:
    subject, text, html = render(person, workshop, link_for(token))
    # Queued in the caller's transaction; it leaves after the commit (planner.core.mail).
    return send_mail(person.email, subject, text, html)
