"""How workshop series, workshops and agenda blocks appear in change histories (planner.core.history)."""

from flask_babel import lazy_gettext as _l

from planner.core.history import describe
from planner.workshops.models import AgendaBlock, Workshop, WorkshopSeries

describe(WorkshopSeries, _l("Series"), {
    "title": _l("Title"),
    "description": _l("Description"),
    "starts_on": _l("Starts on"),
    "ends_on": _l("Ends on"),
    "process_id": _l("Strategy process"),
})

describe(Workshop, _l("Workshop"), {
    "series_id": _l("Series"),
    "title": _l("Title"),
    "description": _l("Description"),
    "format": _l("Format"),
    "starts_at": _l("Start"),
    "ends_at": _l("End"),
    "location": _l("Location"),
    "video_link": _l("Video link"),
    "capacity": _l("Places"),
    "status": _l("Status"),
    "kind": _l("Kind of event"),
    "audience": _l("Audience"),
    "cancel_reason": _l("Reason for the cancellation"),
    "cards_anonymous": _l("Cards without the author's name"),
    "process_id": _l("Strategy process"),
}, hidden=("sequence",), formatters={"capacity": str})

describe(AgendaBlock, _l("Agenda block"), {
    "workshop_id": _l("Workshop"),
    "title": _l("Title"),
    "kind": _l("Kind"),
    "duration_minutes": _l("Duration (minutes)"),
    "responsible_id": _l("Responsible person"),
    "notes": _l("Notes"),
}, hidden=("position",))
