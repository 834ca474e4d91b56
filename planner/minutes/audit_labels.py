"""How the minutes appear in change histories (planner.core.history)."""

from flask_babel import lazy_gettext as _l

from planner.core.history import describe
from planner.minutes.models import WorkshopMinutes

describe(WorkshopMinutes, _l("Minutes"), {
    "workshop_id": _l("Workshop"),
    "summary": _l("Summary"),
    "decisions": _l("Decisions"),
    "open_points": _l("Open points"),
    "next_steps": _l("Next steps"),
    "sent_at": _l("Sent to the participants"),
    "sent_count": _l("Number of recipients"),
}, formatters={"sent_count": str})
