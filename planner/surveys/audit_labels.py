"""How surveys, expert ratings and priority weights appear in change histories (planner.core.history)."""

from flask_babel import lazy_gettext as _l

from planner.core.history import describe
from planner.surveys.models import CommentCode, ExpertRating, PriorityWeights, Survey

describe(Survey, _l("Survey"), {
    "title": _l("Title"),
    "wave": _l("Wave"),
    "starts_on": _l("Survey started on"),
    "ends_on": _l("Survey ended on"),
    "file_name": _l("File"),
    "file_size": _l("File size (bytes)"),
    "imported_at": _l("Imported on"),
    "imported_by_id": _l("Imported by"),
    "response_count": _l("Complete responses"),
    "incomplete_count": _l("Incomplete responses (left out)"),
    "counts_in_priorities": _l("Counts in the prioritisation"),
    "process_id": _l("Strategy process"),
}, hidden=("sha256", "mapping"), formatters={"file_size": str, "response_count": str, "incomplete_count": str})

describe(ExpertRating, _l("Expert rating"), {
    "field_id": _l("Action field"),
    "measure_id": _l("Measure"),
    "impact": _l("Impact"),
    "feasibility": _l("Feasibility"),
    "cost": _l("Cost"),
    "urgency": _l("Urgency"),
    "updated_by_id": _l("Changed by"),
})

describe(PriorityWeights, _l("Priority weights"), {
    "citizen": _l("Weight of the citizens' importance"),
    "impact": _l("Weight of impact"),
    "feasibility": _l("Weight of feasibility"),
    "cost": _l("Weight of cost"),
    "urgency": _l("Weight of urgency"),
}, title=lambda w: "")

describe(CommentCode, _l("Code of the comments"), {
    "key": _l("Code"),
    "field_id": _l("Action field"),
    "slug": _l("Short name"),
    "label": _l("Name"),
    "description": _l("Description"),
    "examples": _l("Example words"),
    "retired_at": _l("Retired on"),
    "merged_into_id": _l("Merged into"),
}, hidden=("seed_texts",), title=lambda c: c.key)
