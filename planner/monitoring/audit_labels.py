"""How monitoring records appear in change histories (planner.core.history)."""

from flask_babel import lazy_gettext as _l

from planner.core.history import describe
from planner.monitoring.models import ActionTask, KPIValue, MonitoredAction, ProgressReport, StatusUpdate


def _status(value) -> str:
    from planner.monitoring.models import ActionStatus

    return ActionStatus(value).label if value else ""


describe(MonitoredAction, _l("Monitored measure"), {
    "measure_id": _l("Measure"),
    "adopted_version_id": _l("Adopted version"),
    "responsible_unit": _l("Responsible unit"),
    "lead_id": _l("Contact person (implementation lead)"),
    "status": _l("Status"),
    "progress": _l("Progress (%)"),
    "funding_programme": _l("Funding programme"),
    "grant_amount": _l("Grant (€)"),
    "own_share": _l("Own share (€)"),
    "funding_from": _l("Funding from"),
    "funding_until": _l("Funding until"),
}, formatters={"status": _status}, title=lambda a: a.measure.label if a.measure else "")

describe(StatusUpdate, _l("Status update"), {
    "action_id": _l("Monitored measure"),
    "reported_on": _l("As of"),
    "status": _l("Status"),
    "progress": _l("Progress (%)"),
    "text": _l("What has happened"),
    "author_id": _l("Author"),
}, formatters={"status": _status}, title=lambda u: "")

describe(ActionTask, _l("Task"), {
    "action_id": _l("Monitored measure"),
    "title": _l("Task"),
    "kind": _l("Kind"),
    "due_on": _l("Due on"),
    "done_on": _l("Done on"),
}, title=lambda t: t.title)

describe(KPIValue, _l("Measured KPI value"), {
    "kpi_id": _l("KPI"),
    "measured_on": _l("Measured on"),
    "value": _l("Value"),
    "district": _l("District"),
    "note": _l("Note"),
    "author_id": _l("Author"),
}, title=lambda v: "")

describe(ProgressReport, _l("Progress report"), {
    "period": _l("Period"),
    "created_at": _l("Frozen on"),
    "created_by_id": _l("Frozen by"),
}, hidden=("snapshot_json",), title=lambda r: r.period)
