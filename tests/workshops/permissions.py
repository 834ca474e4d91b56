from tests import factories
from tests.permission_rules import SIGNED_IN, Rule

RULES = {
    "workshops.list": Rule(SIGNED_IN),
    "workshops.detail": Rule(SIGNED_IN, params=lambda: {"workshop_id": factories.workshop().id}),
}
