"""Who may use the findings endpoints. Object rules: the users of the table are fresh accounts without a
Person, so an expert takes part in no workshop and a facilitator is listed on none (→ 403 where the object
rule needs that); administrators pass every object rule."""

from planner.extensions import db
from planner.findings.models import FindingKind, MeasureKPI
from tests import factories
from tests.permission_rules import SIGNED_IN, STAFF, Rule

EXPERT = "expert"
FACILITATOR = "facilitator"
STRATEGY = "strategy_team"
REVIEWER = "reviewer"
EDITORS = (EXPERT, FACILITATOR, STRATEGY)


def _workshop():
    return {"workshop_id": factories.workshop().id}


def _need():
    return {"finding_id": factories.finding(kind=FindingKind.NEED).id}


def _measure():
    return {"measure_id": factories.measure().id}


def _kpi():
    kpi = MeasureKPI(measure=factories.measure(), indicator="Kennzahl", unit="%")
    db.session.add(kpi)
    db.session.flush()
    return {"kpi_id": kpi.id}


def _two_measures():
    a, b = factories.measure(), factories.measure()
    a.dependencies.append(b)
    db.session.flush()
    return {"measure_id": a.id, "other_id": b.id}


RULES = {
    "findings.capture": Rule((EXPERT, FACILITATOR), params=_workshop, ok_for={EXPERT: 403, FACILITATOR: 403}),
    "findings.documentation": Rule(SIGNED_IN, params=_workshop, ok_for={EXPERT: 403, REVIEWER: 403}),
    "findings.need_list": Rule(SIGNED_IN),
    "findings.finding_detail": Rule(SIGNED_IN, params=_need),
    "findings.finding_edit": Rule(EDITORS, params=_need, ok_for={EXPERT: 403, FACILITATOR: 403, STRATEGY: 403}),
    "findings.finding_delete": Rule(EDITORS, params=_need, method="POST", ok=302,
                                    ok_for={EXPERT: 403, FACILITATOR: 403, STRATEGY: 403}),
    "findings.finding_moderate": Rule((FACILITATOR,), params=_need, method="POST", ok=302, ok_for={FACILITATOR: 403},
                                      data={"reason": "Beleidigend"}),
    "findings.finding_comment": Rule(EDITORS, params=_need, method="POST", ok=302, data={"text": "Gute Idee"}),
    "findings.finding_history": Rule(STAFF, params=_need),
    "findings.measure_list": Rule(SIGNED_IN),
    "findings.measure_detail": Rule(SIGNED_IN, params=_measure),
    "findings.measure_create": Rule(STAFF),
    "findings.measure_edit": Rule(EDITORS, params=_measure, ok_for={EXPERT: 403}),
    "findings.kpi_add": Rule(EDITORS, params=_measure, method="POST", ok=302, ok_for={EXPERT: 403}),
    "findings.kpi_delete": Rule(EDITORS, params=_kpi, method="POST", ok=302, ok_for={EXPERT: 403}),
    "findings.dependency_add": Rule(EDITORS, params=_measure, method="POST", ok=302, ok_for={EXPERT: 403}),
    "findings.dependency_remove": Rule(EDITORS, params=_two_measures, method="POST", ok=302, ok_for={EXPERT: 403}),
    "findings.measure_evaluate": Rule((STRATEGY,), params=_measure, method="POST", ok=302),
    "findings.measure_merge": Rule((STRATEGY,), params=_measure, method="POST", ok=302),
    "findings.measure_support": Rule(EDITORS, params=_measure, method="POST", ok=302),
    "findings.measure_comment": Rule(EDITORS, params=_measure, method="POST", ok=302, data={"text": "Gute Idee"}),
    "findings.measure_history": Rule(STAFF, params=_measure),
    "findings.gaps": Rule(STAFF),
}
