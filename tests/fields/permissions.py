from tests import factories
from tests.permission_rules import SIGNED_IN, Rule

RULES = {
    "fields.list": Rule(SIGNED_IN),
    "fields.detail": Rule(SIGNED_IN, params=lambda: {"code": factories.field().code}),
}
