from planner.extensions import db
from planner.privacy.models import PrivacyRequest, RequestKind
from tests import factories
from tests.permission_rules import SIGNED_IN, Rule


def _request() -> dict:
    privacy_request = PrivacyRequest(person_id=factories.person().id, kind=RequestKind.ERASURE)
    db.session.add(privacy_request)
    db.session.flush()
    return {"request_id": privacy_request.id}


def _person() -> dict:
    return {"person_id": factories.person().id}


RULES = {
    "privacy.my_data": Rule(SIGNED_IN),
    # The signed-in users of the table have no linked person: 404 once they are let in.
    "privacy.my_export": Rule(SIGNED_IN, method="POST", ok=404),
    "privacy.request_erasure": Rule(SIGNED_IN, method="POST", ok=404, data={"erasure-confirm": "y"}),
    "privacy.withdraw_consent": Rule(SIGNED_IN, method="POST", ok=404, data={"consent-confirm": "y"}),
    "privacy.requests": Rule(()),
    "privacy.confirm": Rule((), method="POST", ok=302, params=_request),
    "privacy.reject": Rule((), method="POST", ok=302, params=_request),
    "privacy.person": Rule((), params=_person),
    "privacy.person_export": Rule((), method="POST", params=_person),
    "privacy.erase": Rule((), params=_person),
    "privacy.address": Rule(()),
    "privacy.audit": Rule(()),
    "privacy.record": Rule(()),
    "privacy.record_docx": Rule(()),
    "privacy.retention": Rule(()),
}
