"""How the paper's sections, versions and review records appear in change histories (planner.core.history)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from planner.core.history import describe, describe_action
from planner.strategy.labels import section_title
from planner.strategy.models import PaperSection, PaperVersion, ReviewComment, SectionVerdict


def _section(key) -> str:
    return section_title(str(key))


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
}, hidden=("rollup_json",), formatters={"number": str},
    title=lambda v: _("Version %(number)s", number=v.number), quiet=("publish", "freeze", "redact"))

describe(SectionVerdict, _l("Verdict on a section"), {
    "round_id": _l("Review round"),
    "user_id": _l("Reviewer"),
    "section_key": _l("Section"),
    "verdict": _l("Verdict"),
    "reason": _l("Reason"),
}, formatters={"section_key": _section}, title=lambda v: section_title(v.section_key))

describe(ReviewComment, _l("Review comment"), {
    "round_id": _l("Review round"),
    "author_id": _l("Author"),
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
describe_action("redact", _l("a name removed from the participants annex (Art. 17 GDPR)"), quiet_summary=True)


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
