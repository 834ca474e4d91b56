"""How the paper's sections, versions and review records appear in change histories (planner.core.history)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from planner.core.history import describe, describe_action
from planner.strategy.council import CouncilDecision, DecisionStep
from planner.strategy.goals import FieldGoal, FieldVision
from planner.strategy.labels import section_title
from planner.strategy.models import PaperSection, PaperVersion, ReviewComment, SectionVerdict


def _section(key) -> str:
    return section_title(str(key))


def _part(key) -> str:
    """A part's stable key in words: a section's title; a field's code, a measure's number as they are."""
    kind, _sep, code = str(key).partition(":")
    if kind == "section":
        return section_title(code)
    if kind == "roadmap":
        return _("Roadmap")
    return code or str(key)


describe(PaperSection, _l("Section"), {
    "key": _l("Section"),
    "title": _l("Title"),
    "body": _l("Text"),
    "updated_by_id": _l("Changed by"),
    "process_id": _l("Strategy process"),
}, hidden=("position",), formatters={"key": _section}, title=lambda s: section_title(s.key, s.title))

describe(PaperVersion, _l("Version of the paper"), {
    "number": _l("Number"),
    "frozen_at": _l("Frozen on"),
    "frozen_by_id": _l("Frozen by"),
    "note": _l("Note on this version"),
    "published_at": _l("Published on"),
    "published_by_id": _l("Published by"),
    "publish_override_reason": _l("Published despite objections"),
    "signed_off_at": _l("Signed off"),
    "signed_off_by_id": _l("Signed off by"),
}, hidden=("rollup_json",), formatters={"number": str},
    title=lambda v: _("Version %(number)s", number=v.number), quiet=("publish", "freeze", "redact"))

describe(SectionVerdict, _l("Verdict on a part of the paper"), {
    "round_id": _l("Review round"),
    "user_id": _l("Reviewer"),
    "guest_id": _l("Outside reviewer"),
    "part_key": _l("Part of the paper"),
    "verdict": _l("Verdict"),
    "reason": _l("Reason"),
}, formatters={"part_key": _part}, title=lambda v: _part(v.part_key))

describe(ReviewComment, _l("Review comment"), {
    "round_id": _l("Review round"),
    "author_id": _l("Author"),
    "guest_id": _l("Outside reviewer"),
    "paragraph": _l("Paragraph"),
    "quote": _l("Quoted paragraph"),
    "target_kind": _l("Comment on"),
    "target_key": _l("Comment on"),
    "text": _l("Comment"),
    "answer": _l("Answer"),
    "answer_text": _l("Explanation"),
    "answered_by_id": _l("Answered by"),
    "answered_at": _l("Answered on"),
}, hidden=("target_kind",), title=lambda c: "")

describe_action("freeze", _l("version frozen"), quiet_summary=True)
describe_action("publish", _l("version published"), quiet_summary=True)
describe_action("sign_off", _l("version signed off"), quiet_summary=True)
describe_action("publish_override", _l("version published by an administrator despite objections; reason"))
describe_action("invite_guest", _l("outside reviewer invited"), quiet_summary=True)
describe_action("redact", _l("a name removed from the participants annex (Art. 17 GDPR)"), quiet_summary=True)


def _result(value) -> str:
    from planner.strategy.council import DecisionResult

    return DecisionResult(value).label if value else _("open")


describe(CouncilDecision, _l("Council decision"), {
    "version_id": _l("Version of the paper"),
    "reference": _l("Drucksache number"),
    "paper_type": _l("Kind of paper"),
    "title": _l("Title of the Drucksache"),
    "submitted_on": _l("Date of the Drucksache"),
    "resolution_text": _l("Resolution"),
    "oparl_paper_id": _l("Drucksache in the council information system"),
    "oparl_synced_at": _l("Last synchronised with the council information system"),
}, title=lambda d: _("Drucksache %(reference)s", reference=d.reference) if d.reference else "")

describe(DecisionStep, _l("Step of the deliberation"), {
    "decision_id": _l("Council decision"),
    "body": _l("Body"),
    "meeting_date": _l("Date of the meeting"),
    "role": _l("Role in the deliberation"),
    "authoritative": _l("This body decides"),
    "result": _l("Result"),
    "result_text": _l("Result in the council information system"),
    "note": _l("Note"),
    "amendment_version_id": _l("Amended version"),
    "oparl_consultation_id": _l("Consultation in the council information system"),
}, formatters={"result": _result}, title=lambda s: s.body)
def _field_title(vision) -> str:
    field = vision.field
    return f"{field.code} {field.name}" if field is not None else ""


describe(FieldVision, _l("Target vision of an action field"), {
    "field_id": _l("Action field"),
    "text": _l("Target vision 2040"),
    "updated_by_id": _l("Changed by"),
    "process_id": _l("Strategy process"),
}, title=_field_title)

describe(FieldGoal, _l("Goal of an action field"), {
    "vision_id": _l("Target vision"),
    "text": _l("Goal"),
    "indicator": _l("Indicator"),
    "unit": _l("Unit"),
    "baseline": _l("Baseline"),
    "target_value": _l("Target value"),
    "target_year": _l("Target year"),
}, hidden=("position",), title=lambda g: g.text)
def _consultation_labels() -> None:
    from planner.strategy.consultation_models import Consultation

    describe(Consultation, _l("Public consultation"), {
        "version_id": _l("Version of the paper"),
        "starts_on": _l("First day"),
        "ends_on": _l("Last day"),
        "intro": _l("Introduction for the public"),
        "created_by_id": _l("Created by"),
    }, title=lambda c: _("Public consultation of version %(number)s", number=c.version.number if c.version else ""))


_consultation_labels()
