"""How monitoring records appear in change histories (planner.core.history)."""

from flask_babel import lazy_gettext as _l

from planner.core.history import describe, describe_action
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
    "funder_report_dates": _l("Reporting dates of the funder"),
    "funder_report_yearly": _l("Yearly report to the funder on"),
    "answer_text": _l("The city's official answer"),
    "answer_published_at": _l("Answer published"),
    "answer_mailed_at": _l("Answer sent to the proposer"),
}, formatters={"status": _status}, title=lambda a: a.measure.label if a.measure else "",
    # The tracking score's facts, derived from updates, tasks and KPI values (tracking.py), not anyone's change.
    hidden=("last_update_on", "latest_kpi_on", "next_task_on"))

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
}, hidden=("generated_key",), title=lambda t: t.title)

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

# Explicit entries of planner.monitoring.notify (no address in them: ids and counts only).
describe_action("remind", _l("reminder sent"), quiet_summary=True)
describe_action("answer_mailed", _l("answer sent to the proposer"))
describe_action("notify_followers", _l("followers notified of the new status"))
describe_action("follow", _l("notification by e-mail requested"))
describe_action("follow_confirmed", _l("notification by e-mail confirmed"))
describe_action("unfollow", _l("notification by e-mail ended"))
