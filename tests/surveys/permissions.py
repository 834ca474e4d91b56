"""Who may use the surveys endpoints: the strategy team manages (admins too), facilitators read results.

Uploads belong to whoever uploaded them: the table's strategy-team user did not upload the one in the
params (another strategy-team account did), so it gets 403; administrators pass."""

from planner.extensions import db
from planner.surveys.models import PriorityRun, SavedMapping
from tests import factories
from tests.permission_rules import STAFF, Rule
from tests.surveys import factories as sf

STRATEGY = ("strategy_team",)


def _survey():
    return {"survey_id": sf.survey().id}


def _comment():
    return {"comment_id": sf.comment_id(sf.survey())}


def _upload():
    return {"upload_id": sf.upload().id}


def _saved():
    saved = SavedMapping(name="Vorlage", mapping={"version": 1, "questions": []})
    db.session.add(saved)
    db.session.flush()
    return {"mapping_id": saved.id}


def _run():
    run = PriorityRun(name="Lauf", weights={"citizen": 1, "impact": 0, "feasibility": 0, "cost": 0, "urgency": 0},
                      results={"fields": [], "measures": []})
    db.session.add(run)
    db.session.flush()
    return {"run_id": run.id}


def _field():
    factories.field()
    return {}


def _code():
    from planner.surveys import coding

    sf.mob_field()
    coding.seed_codebook(factories.user(role="strategy_team"))
    code = coding.code_by_key("MOB")
    return {"code_id": code.id}


def _coded_comment():
    params = _comment()
    _code()
    return params


OTHERS_UPLOAD = {"strategy_team": 403}

RULES = {
    "surveys.list": Rule(STAFF),
    "surveys.upload": Rule(STRATEGY),
    "surveys.mapping": Rule(STRATEGY, params=_upload, ok_for=OTHERS_UPLOAD),
    "surveys.preview": Rule(STRATEGY, params=_upload, ok_for=OTHERS_UPLOAD),
    "surveys.confirm": Rule(STRATEGY, params=_upload, method="POST", ok=302, ok_for=OTHERS_UPLOAD),
    "surveys.discard": Rule(STRATEGY, params=_upload, method="POST", ok=302, ok_for=OTHERS_UPLOAD),
    "surveys.detail": Rule(STAFF, params=_survey),
    "surveys.breakdown": Rule(STAFF, params=_survey),
    "surveys.delete": Rule(STRATEGY, params=_survey, method="POST", ok=302),
    "surveys.counting": Rule(STRATEGY, params=_survey, method="POST", ok=302, data={"counts": "0"}),
    "surveys.survey_mapping_json": Rule(STRATEGY, params=_survey),
    "surveys.comments": Rule(STAFF, params=_survey),
    "surveys.tag_comment": Rule(STRATEGY, params=_comment, method="POST", ok=302, data={"field": ""}),
    "surveys.promote_comment": Rule(STRATEGY, params=_comment),
    "surveys.codebook": Rule(STAFF),
    "surveys.seed_codebook": Rule(STRATEGY, method="POST", ok=302),
    "surveys.create_code": Rule(STRATEGY, method="POST", ok=302, params=_code,
                                data={"slug": "rad", "label": "Radverkehr"}),
    "surveys.edit_code": Rule(STRATEGY, params=_code),
    "surveys.retire_code": Rule(STRATEGY, params=_code, method="POST", ok=302),
    "surveys.reinstate_code": Rule(STRATEGY, params=_code, method="POST", ok=302),
    "surveys.merge_code": Rule(STRATEGY, params=_code, method="POST", ok=302),
    "surveys.coding": Rule(STRATEGY, params=_survey),
    "surveys.refresh_suggestions": Rule(STRATEGY, params=_survey, method="POST", ok=302),
    "surveys.code_comment": Rule(STRATEGY, params=_coded_comment, method="POST", ok=302),
    "surveys.accept_suggestion": Rule(STRATEGY, params=_coded_comment, method="POST", ok=302),
    "surveys.accept_similar": Rule(STRATEGY, params=_coded_comment, method="POST", ok=302),
    "surveys.coding_analysis": Rule(STAFF, params=_survey),
    "surveys.need_from_comments": Rule(STRATEGY, params=_survey, method="POST", ok=302),
    "surveys.mappings": Rule(STRATEGY),
    "surveys.mapping_json": Rule(STRATEGY, params=_saved),
    "surveys.import_mapping": Rule(STRATEGY, method="POST", ok=400),
    "surveys.delete_mapping": Rule(STRATEGY, params=_saved, method="POST", ok=302),
    "surveys.priorities": Rule(STAFF, params=_field),
    "surveys.weights": Rule(STRATEGY, method="POST", ok=302,
                            data={"citizen": "0.4", "impact": "0.2", "feasibility": "0.2", "cost": "0.1",
                                  "urgency": "0.1"}),
    "surveys.ratings": Rule(STRATEGY, params=_field),
    "surveys.sensitivity": Rule(STAFF, params=_field),
    "surveys.runs": Rule(STAFF),
    "surveys.freeze": Rule(STRATEGY, method="POST", ok=302, data={"freeze-name": "Lauf"}),
    "surveys.run": Rule(STAFF, params=_run),
}
