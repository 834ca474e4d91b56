"""iCalendar (RFC 5545) for workshops: one event, a series feed, a personal feed, cancellations."""

from datetime import date
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _

from planner.core.lazy import lazy_import
from planner.core.models import utcnow
from planner.core.text import plain_text
from planner.core.timeutil import to_local
from planner.workshops.models import Workshop, WorkshopStatus

# icalendar is imported when a calendar is first written (0.4 s of every process's start otherwise).
Calendar = lazy_import("icalendar", "Calendar")
Event = lazy_import("icalendar", "Event")
vCalAddress = lazy_import("icalendar", "vCalAddress")
vText = lazy_import("icalendar", "vText")
vUri = lazy_import("icalendar", "vUri")

PRODID = "-//Smart City Planner//planner//DE"

ICAL_STATUS = {
    WorkshopStatus.DRAFT: "TENTATIVE",
    WorkshopStatus.SCHEDULED: "CONFIRMED",
    WorkshopStatus.HELD: "CONFIRMED",
    WorkshopStatus.DOCUMENTED: "CONFIRMED",
    WorkshopStatus.CANCELLED: "CANCELLED",
}


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link: from the request when there is one, otherwise from the configured BASE_URL."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def workshop_url(workshop: Workshop) -> str:
    return absolute_url("workshops.detail", workshop_id=workshop.id)


def uid_for(workshop: Workshop) -> str:
    """Stable across edits and servers: the configured host, not the request's."""
    host = urlsplit(base_url()).hostname or "planner"
    return f"workshop-{workshop.id}@{host}"


def agenda_text(workshop: Workshop) -> str:
    from planner.workshops.services import agenda_schedule

    lines = [
        f"{to_local(s.starts_at):%H:%M}–{to_local(s.ends_at):%H:%M} {s.block.title}" for s in agenda_schedule(workshop)
    ]
    return "\n".join([_("Agenda:"), *lines]) if lines else ""


def event_description(workshop: Workshop) -> str:
    parts = []
    if workshop.status == WorkshopStatus.CANCELLED and workshop.cancel_reason:
        parts.append(_("Cancelled: %(reason)s", reason=workshop.cancel_reason))
    if workshop.description:
        parts.append(plain_text(workshop.description).strip())
    agenda = agenda_text(workshop)
    if agenda:
        parts.append(agenda)
    if workshop.video_link:
        parts.append(_("Video link: %(link)s", link=workshop.video_link))
    parts.append(workshop_url(workshop))
    return "\n\n".join(p for p in parts if p)


def workshop_event(workshop: Workshop) -> Event:
    event = Event()
    event.add("uid", uid_for(workshop))
    event.add("dtstamp", utcnow())
    event.add("created", workshop.created_at)
    event.add("last-modified", workshop.updated_at or workshop.created_at)
    event.add("sequence", workshop.sequence or 0)
    event.add("summary", workshop.title)
    event.add("dtstart", to_local(workshop.starts_at))
    event.add("dtend", to_local(workshop.ends_at))
    event.add("status", ICAL_STATUS[workshop.status])
    event.add("description", event_description(workshop))
    if workshop.location:
        event.add("location", workshop.location)
    elif workshop.video_link:
        event.add("location", workshop.video_link)
    event.add("url", vUri(workshop_url(workshop)))
    if workshop.video_link:
        # RFC 7986: the conference link, for calendar apps that offer "join".
        event.add("conference", vUri(workshop.video_link), parameters={"VALUE": "URI", "FEATURE": "VIDEO"})
    if workshop.facilitators:
        first = workshop.facilitators[0]
        organizer = vCalAddress(f"mailto:{first.email}")
        organizer.params["CN"] = vText(first.name)
        event.add("organizer", organizer)
    if workshop.fields:
        event.add("categories", [f.code for f in workshop.fields])
    return event


def build_calendar(workshops: list[Workshop], *, name: str | None = None, method: str | None = "PUBLISH") -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        cal.add("name", name)
    for workshop in workshops:
        cal.add_component(workshop_event(workshop))
    if workshops:
        years = [to_local(w.starts_at).year for w in workshops] + [to_local(w.ends_at).year for w in workshops]
        cal.add_missing_timezones(first_date=date(min(years) - 1, 1, 1), last_date=date(max(years) + 2, 1, 1))
    return cal.to_ical()
