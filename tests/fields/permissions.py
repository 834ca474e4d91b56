from tests import factories
from tests.permission_rules import SIGNED_IN, Rule

STRATEGY = ("strategy_team",)
ADMIN_ONLY = ()


def _code():
    return {"code": factories.field().code}


def _process():
    return {"process_id": factories.process().id}


RULES = {
    "fields.list": Rule(SIGNED_IN),
    "fields.detail": Rule(SIGNED_IN, params=_code),
    "fields.manage": Rule(STRATEGY),
    "fields.create": Rule(STRATEGY),
    "fields.edit": Rule(STRATEGY, params=_code),
    "fields.merge": Rule(STRATEGY, params=_code),
    "fields.move": Rule(STRATEGY, params=_code, method="POST", ok=302, data={"direction": "up"}),
    "fields.retire": Rule(STRATEGY, params=_code, method="POST", ok=302),
    "fields.reactivate": Rule(STRATEGY, params=_code, method="POST", ok=302),
    "fields.processes": Rule(ADMIN_ONLY),
    "fields.process_create": Rule(ADMIN_ONLY),
    "fields.process_edit": Rule(ADMIN_ONLY, params=_process),
    "fields.process_current": Rule(ADMIN_ONLY, params=_process, method="POST", ok=302),
}
