"""How findings, measures, their indicators and comments appear in change histories (planner.core.history)."""

from flask_babel import lazy_gettext as _l

from planner.core.history import describe, describe_action, money
from planner.findings.models import Comment, Finding, Measure, MeasureKPI

describe(Finding, _l("Finding"), {
    "workshop_id": _l("Workshop"),
    "agenda_block_id": _l("Agenda block"),
    "field_id": _l("Action field"),
    "author_id": _l("Author"),
    "recorded_by_user_id": _l("Recorded by"),
    "kind": _l("Kind"),
    "text": _l("Text"),
    "number": _l("Number"),
    "is_hidden": _l("Hidden"),
    "hidden_reason": _l("Reason for hiding"),
    "hidden_by_id": _l("Hidden by"),
    "hidden_at": _l("Hidden on"),
    # explicit entries: the status-quo findings a need answers
    "answers": _l("Answers the status-quo finding"),
}, title=lambda f: f.number or f.short_text)

describe(Measure, _l("Measure"), {
    "field_id": _l("Action field"),
    "number": _l("Number"),
    "title": _l("Title"),
    "description": _l("Description"),
    "goal": _l("Goal"),
    "expected_effect": _l("Expected effect"),
    "lead_unit": _l("Lead unit"),
    "partners": _l("Partners"),
    "funding_type": _l("Funding"),
    "funding_note": _l("Note on funding"),
    "cost_estimate": _l("Cost estimate (euros)"),
    "priority": _l("Priority"),
    "index_area": _l("Smart City Index area"),
    "start_year": _l("Start year"),
    "end_year": _l("End year"),
    "status": _l("Status"),
    "official_answer": _l("Official answer"),
    "evaluated_by_id": _l("Evaluated by"),
    "evaluated_at": _l("Evaluated on"),
    "merged_into_id": _l("Merged into"),
    "merged_by_id": _l("Merged by"),
    "merged_at": _l("Merged on"),
    "proposed_by_id": _l("Proposed by"),
    "recorded_by_user_id": _l("Recorded by"),
    "workshop_id": _l("Workshop"),
    "agenda_block_id": _l("Agenda block"),
    # explicit entries (links, dependencies, merges)
    "need": _l("Need for action"),
    "depends_on": _l("Depends on measure"),
    "merged": _l("Merged measure"),
    "kept": _l("Kept measure"),
    "needs": _l("Needs"),
    "supporters": _l("Supporters"),
    "comments": _l("Comments"),
}, formatters={"cost_estimate": money, "start_year": str, "end_year": str},
    title=lambda m: m.label)

describe(MeasureKPI, _l("Indicator"), {
    "measure_id": _l("Measure"),
    "indicator": _l("Indicator"),
    "unit": _l("Unit"),
    "baseline": _l("Baseline"),
    "target_value": _l("Target value"),
    "target_year": _l("Target year"),
}, formatters={"target_year": str}, title=lambda k: k.indicator)

describe(Comment, _l("Comment"), {
    "finding_id": _l("Finding"),
    "measure_id": _l("Measure"),
    "author_id": _l("Author"),
    "text": _l("Text"),
}, title=lambda c: "")

describe_action("link", _l("need linked"), quiet_summary=True)
describe_action("unlink", _l("need unlinked"), quiet_summary=True)
describe_action("link_swot", _l("status-quo finding linked"), quiet_summary=True)
describe_action("unlink_swot", _l("status-quo finding unlinked"), quiet_summary=True)
describe_action("depend", _l("dependency added"), quiet_summary=True)
describe_action("undepend", _l("dependency removed"), quiet_summary=True)
describe_action("support", _l("supported"))
describe_action("unsupport", _l("support withdrawn"))
