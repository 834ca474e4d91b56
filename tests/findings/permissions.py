from tests import factories
from tests.permission_rules import SIGNED_IN, Rule

RULES = {
    "findings.measure_list": Rule(SIGNED_IN),
    "findings.measure_detail": Rule(SIGNED_IN, params=lambda: {"measure_id": factories.measure().id}),
}
