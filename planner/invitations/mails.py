"""The e-mails of the invitation process: German plain text with a simple HTML alternative."""

from contextlib import nullcontext
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from planner.core import identity
from planner.core.mail import send_mail
from planner.extensions import db

MAIL_LOCALE = "de"


def link_for(token: str) -> str:
    """The absolute personal link (BASE_URL, so it works from CLI commands and background jobs too)."""
    from planner.invitations import bp

    return f"{current_app.config['BASE_URL'].rstrip('/')}{bp.url_prefix}/r/{token}"


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def _render(person, subject, name: str, **context) -> RenderedMail:
    """``subject`` is a callable, so it is translated inside the mail's locale."""
    # Background jobs and CLI commands have no request; the app's layout context processor reads one, so the
    # mail is rendered inside a stand-in request for BASE_URL.
    request_ctx = nullcontext() if has_request_context() else current_app.test_request_context(
        base_url=current_app.config["BASE_URL"])
    with request_ctx, force_locale(MAIL_LOCALE):
        subject = subject()
        context.update(person=person, city_name=identity.city_name())
        text = render_template(f"invitations/mail/{name}.txt", **context)
        html = render_template(f"invitations/mail/{name}.html", **context)
    return RenderedMail(subject, text, html)


def _send(person, subject, name: str, attachments=(), **context) -> EmailMessage:
    mail = _render(person, subject, name, **context)
    subject, text, html = mail.subject, mail.text, mail.html
    # Queued in the caller's transaction; it leaves after the commit (planner.core.mail). A failed delivery is
    # retried by the outbox, or found with planner.core.mail.undelivered() by a caller that needs to know.
    return send_mail(person.email, subject, text, html, attachments=attachments)


def _open_poll(workshop):
    """The workshop's open date poll, if any: then the invitation says the date is not fixed and asks for votes."""
    from planner.invitations.models import DatePoll

    return db.session.scalar(select(DatePoll).where(DatePoll.workshop_id == workshop.id, DatePoll.closed_at.is_(None))
                             .order_by(DatePoll.id.desc()).limit(1))


def render_invitation(person, workshop, link: str) -> RenderedMail:
    """The invitation exactly as the person will get it (also the preview before sending)."""
    return _render(person, lambda: _("Invitation: %(title)s", title=workshop.title), "invitation",
                   workshop=workshop, link=link, poll=_open_poll(workshop))


def send_invitation(person, workshop, token: str) -> EmailMessage:
    return _send(person, lambda: _("Invitation: %(title)s", title=workshop.title), "invitation",
                 workshop=workshop, link=link_for(token), poll=_open_poll(workshop))


def send_reminder(person, workshop, token: str) -> EmailMessage:
    return _send(person, lambda: _("Reminder: invitation to %(title)s", title=workshop.title), "reminder",
                 workshop=workshop, link=link_for(token))


def send_promoted(person, workshop) -> EmailMessage:
    return _send(person, lambda: _("A place has become free: %(title)s", title=workshop.title), "promoted",
                 workshop=workshop)


def calendar_file(workshop) -> tuple[str, str, bytes]:
    """The workshop as an .ics attachment; its SEQUENCE lets calendars update the event they hold."""
    from planner.workshops.calendars import build_calendar

    return ("termin.ics", "text/calendar", build_calendar([workshop], method="PUBLISH"))


def send_accepted(person, workshop, link: str | None = None) -> EmailMessage:
    """The confirmation of an acceptance, with the date as a calendar file and the personal link. While a date poll
    is open, it says the date is not fixed yet (the calendar entry is tentative) instead of stating it."""
    return _send(person, lambda: _("Your participation is confirmed: %(title)s", title=workshop.title), "accepted",
                 attachments=[calendar_file(workshop)], workshop=workshop, link=link, poll=_open_poll(workshop))


def send_date_fixed(person, workshop, voted: bool = False) -> EmailMessage:
    """The fixed date with the calendar file (its SEQUENCE raised); thanks only those who voted."""
    return _send(person, lambda: _("The date is fixed: %(title)s", title=workshop.title), "date_fixed",
                 attachments=[calendar_file(workshop)], workshop=workshop, voted=voted)


def send_poll(person, workshop, poll, token: str, reminder: bool = False) -> EmailMessage:
    """The proposed dates with the personal link; ``reminder``: to an invitee who has not marked them yet."""
    if reminder:
        def subject():
            return _("Reminder: which dates suit you? %(title)s", title=workshop.title)
    else:
        def subject():
            return _("Which dates suit you? %(title)s", title=workshop.title)
    return _send(person, subject, "poll", workshop=workshop, poll=poll, link=link_for(token), reminder=reminder)
