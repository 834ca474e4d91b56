from tests import factories
from tests.permission_rules import STAFF, Rule

RULES = {
    "people.list": Rule(STAFF),
    "people.detail": Rule(STAFF, params=lambda: {"person_id": factories.person().id}),
}
