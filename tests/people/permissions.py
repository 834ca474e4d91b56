from tests import factories
from tests.permission_rules import STAFF, Rule

FACILITATOR = ("facilitator",)


RULES = {
    "people.list": Rule(STAFF),
    "people.detail": Rule(STAFF, params=lambda: {"person_id": factories.person().id}),
    "people.create": Rule(FACILITATOR),
    "people.edit": Rule(FACILITATOR, params=lambda: {"person_id": factories.person().id}),
    "people.organisations": Rule(STAFF),
    "people.organisation_create": Rule(FACILITATOR),
    "people.organisation_edit": Rule(FACILITATOR, params=lambda: {"organisation_id": factories.organisation().id}),
    "people.import_upload": Rule(FACILITATOR),
    # Without a valid upload token the preview sends the user back to the upload form.
    "people.import_preview": Rule(FACILITATOR, ok=302, query="?token=made-up"),
    "people.import_confirm": Rule(FACILITATOR, method="POST", ok=302, data={"token": "made-up"}),
    "people.duplicates": Rule(FACILITATOR),
    # Ids that do not exist: allowed users get 404, the others are stopped before.
    "people.merge": Rule(FACILITATOR, method="POST", ok=404, data={"keep_id": "999998", "drop_id": "999999"}),
}
