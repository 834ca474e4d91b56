"""How action fields and strategy processes appear in change histories (planner.core.history)."""

from flask_babel import lazy_gettext as _l

from planner.core.history import describe, describe_action
from planner.fields.models import ActionField, StrategyProcess

describe(ActionField, _l("Action field"), {
    "code": _l("Short code"),
    "name_de": _l("Name (German)"),
    "name_en": _l("Name (English)"),
    "description_de": _l("Description (German)"),
    "description_en": _l("Description (English)"),
    "colour": _l("Colour"),
    "index_area": _l("Smart City Index area"),
    "retired_at": _l("Retired on"),
    "merged_into_id": _l("Merged into"),
    # explicit entries (merge)
    "merged_into": _l("Merged into"),
    "merged_from": _l("Merged from"),
    "findings": _l("Findings moved"),
    "measures": _l("Measures moved"),
    "survey_questions": _l("Survey questions moved"),
    "survey_comments": _l("Survey comments moved"),
    "workshop_fields": _l("Workshops moved"),
    "person_fields": _l("Experts moved"),
    "expert_ratings": _l("Expert ratings moved"),
    "survey_mappings": _l("Survey mappings changed"),
}, hidden=("position",), title=lambda field: f"{field.code} – {field.name}")

describe(StrategyProcess, _l("Strategy process"), {
    "city_name": _l("City"),
    "title": _l("Title"),
    "vision": _l("Vision"),
    "target_year": _l("Target year"),
    "milestone_years": _l("Milestone years"),
    "is_current": _l("Current process"),
}, formatters={"target_year": str}, title=lambda process: process.title)

describe_action("retire", _l("retired"))
