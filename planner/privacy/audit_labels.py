"""How privacy requests and the GDPR and retention actions appear in change histories (planner.core.history)."""

from flask_babel import lazy_gettext as _l

from planner.core.history import describe, describe_action
from planner.privacy.models import PrivacyRequest

describe(PrivacyRequest, _l("Privacy request"), {
    "person_id": _l("Person"),
    "kind": _l("Kind"),
    "status": _l("Status"),
    "note": _l("Note"),
    "requested_by_id": _l("Requested by"),
    "requested_at": _l("Requested on"),
    "decided_by_id": _l("Decided by"),
    "decided_at": _l("Decided on"),
})

describe("retention", _l("Retention"), {
    "inactive_people_days": _l("People without activity"),
    "invitation_links_days": _l("Personal invitation links"),
    "audit_personal_values_days": _l("Personal values in the audit log"),
    "survey_uploads_days": _l("Raw survey uploads"),
    "archive": _l("Archive bundle"),
}, quiet=("retention",))

describe_action("privacy_export", _l("data export (Art. 15/20 GDPR)"), quiet_summary=True)
describe_action("privacy_erasure", _l("personal data erased (Art. 17 GDPR)"), quiet_summary=True)
describe_action("consent_withdrawn", _l("consent withdrawn by the person"), quiet_summary=True)
describe_action("retention", _l("retention periods applied"), quiet_summary=True)
