from planner.extensions import db
from tests import factories
from tests.permission_rules import PUBLIC, Rule
from tests.strategy import helpers

ST = ("strategy_team",)
REVIEWERS = ("strategy_team", "reviewer")
NOT_IN_ROUND = {"reviewer": 403}


def _version():
    return {"number": helpers.version().number}


def _published():
    return {"number": helpers.version(published=True).number}


def _round():
    return {"round_id": helpers.review_round().id}


def _guest_token():
    _guest, token = helpers.guest()
    return {"token": token}


def _guest_id():
    guest, _token = helpers.guest()
    return {"guest_id": guest.id}
def _field():
    return {"field_id": helpers.field_with_goals().id}


def _comment():
    return {"comment_id": helpers.comment().id}


def _step():
    from planner.extensions import db
    from planner.strategy.council import CouncilDecision, DecisionStep

    decision = CouncilDecision(paper_version=helpers.version(published=True), reference="0815/2023")
    step = DecisionStep(decision=decision, body="Rat der Stadt")
    db.session.add_all([decision, step])
    db.session.flush()
    return {"step_id": step.id}
def _consultation():
    from datetime import timedelta

    from planner.core.timeutil import local_today
    from planner.strategy import consultation

    today = local_today()
    return consultation.save_consultation(helpers.version(), None, starts_on=today, ends_on=today + timedelta(days=7))


def _consultation_id():
    return {"consultation_id": _consultation().id}


def _public_comment():
    from planner.strategy.consultation_models import CommentStatus, ConsultationComment

    comment = ConsultationComment(consultation=_consultation(), paragraph=1, text="Gut.", email="c@example.org",
                                  status=CommentStatus.PENDING)
    db.session.add(comment)
    db.session.flush()
    return {"comment_id": comment.id}


def _comment_token():
    from planner.core.security import hash_token
    from planner.strategy.consultation_models import ConsultationComment

    token = f"token-{factories._n()}"
    db.session.add(ConsultationComment(consultation=_consultation(), paragraph=1, text="Gut.", email="c@example.org",
                                       confirm_token_hash=hash_token(token)))
    db.session.flush()
    return {"token": token}


def _erase_token():
    from planner.strategy import consultation
    from planner.strategy.consultation_models import ConsultationComment

    comment = ConsultationComment(consultation=_consultation(), paragraph=1, text="Gut.", email="e@example.org")
    db.session.add(comment)
    db.session.flush()
    return {"token": consultation.erase_link(comment).rsplit("/", 1)[1]}


RULES = {
    "strategy.paper": Rule(ST),
    "strategy.section_edit": Rule(ST, params=lambda: {"key": "foreword"}),
    "strategy.section_history": Rule(ST, params=lambda: {"key": "foreword"}),
    "strategy.draft": Rule(ST),
    "strategy.field_goals": Rule(ST, params=_field),
    "strategy.field_goals_history": Rule(ST, params=_field),
    "strategy.export": Rule(ST, method="POST", ok=302, data={"format": "md"}),
    "strategy.freeze": Rule(ST, method="POST", ok=302, data={"note": "Entwurf"}),
    "strategy.version_list": Rule(ST),
    "strategy.version_detail": Rule(ST, params=_version),
    "strategy.version_view": Rule(REVIEWERS, params=_version, ok_for=NOT_IN_ROUND),
    # Reviewers only for versions of their own rounds: a fresh reviewer is in none.
    "strategy.version_export": Rule(REVIEWERS, params=_version, method="POST", ok=302, data={"format": "md"},
                                    ok_for=NOT_IN_ROUND),
    "strategy.version_diff": Rule(ST, params=lambda: {"old": helpers.version().number}),
    "strategy.publish": Rule(ST, params=_version, method="POST", ok=302),
    "strategy.sign_off": Rule(ST, params=_version, method="POST", ok=302),
    "strategy.round_create": Rule(ST, params=_version),
    "strategy.round_detail": Rule(REVIEWERS, params=_round, ok_for=NOT_IN_ROUND),
    "strategy.round_member": Rule(ST, params=_round, method="POST", ok=400, data={"user_id": "0"}),
    "strategy.round_close": Rule(ST, params=_round, method="POST", ok=302),
    "strategy.round_comment": Rule(("reviewer",), params=_round, method="POST", ok=302, ok_for=NOT_IN_ROUND,
                                   data={"target": "paper", "text": "Gut."}),
    "strategy.round_verdict": Rule(("reviewer",), params=_round, method="POST", ok=302, ok_for=NOT_IN_ROUND,
                                   data={"part": "section:foreword", "verdict": "approved"}),
    "strategy.round_paragraph": Rule(("reviewer",), params=lambda: {**_round(), "target": "section:foreword", "n": 1},
                                     ok_for=NOT_IN_ROUND),
    "strategy.round_guest": Rule(ST, params=_round, method="POST", ok=302,
                                 data={"name": "Gerda Gast", "email": "gerda@example.org"}),
    "strategy.guest_revoke": Rule(ST, params=_guest_id, method="POST", ok=302),
    # The personal link of an outside reviewer: the token is the authorisation, for everyone who holds it …
    "strategy.guest_round": Rule(PUBLIC, params=_guest_token),
    "strategy.guest_paragraph": Rule(PUBLIC, params=lambda: {**_guest_token(), "target": "section:foreword", "n": 1}),
    "strategy.guest_comment": Rule(PUBLIC, params=_guest_token, method="POST", ok=302,
                                   data={"target": "paper", "text": "Gut."}),
    # … a made-up one is unknown (404) and changes nothing.
    "strategy.guest_verdict": Rule(PUBLIC, params=lambda: {"token": "made-up-token"}, method="POST", ok=404,
                                   data={"part": "section:foreword", "verdict": "approved"}),
    "strategy.comment_answer": Rule(ST, params=_comment, method="POST", ok=302, data={"c1-answer": "accepted"}),
    "strategy.my_rounds": Rule(("reviewer",)),
    "strategy.decision_edit": Rule(ST, params=_published),
    "strategy.decision_step_add": Rule(ST, params=_published, ok=302),
    "strategy.decision_document": Rule(ST, params=_published, query="?format=md"),
    "strategy.decision_step_edit": Rule(ST, params=_step),
    "strategy.decision_step_delete": Rule(ST, params=_step, method="POST", ok=302),
    "strategy.version_diff_export": Rule(ST, params=lambda: {"old": helpers.version().number, "format": "md"}),
    "strategy.consultation_edit": Rule(ST, params=_version),
    "strategy.consultation_moderate": Rule(ST, params=_consultation_id),
    "strategy.consultation_publish": Rule(ST, params=_public_comment, method="POST", ok=302),
    "strategy.consultation_hide": Rule(ST, params=_public_comment, method="POST", ok=302,
                                       data={"reason": "Doppelt"}),
    "strategy.consultation_answer": Rule(ST, params=_public_comment, method="POST", ok=302,
                                         data={"answer": "Danke."}),
    "strategy.consultation_public": Rule(PUBLIC, params=_consultation_id),
    "strategy.consultation_comment": Rule(PUBLIC, params=lambda: {**_consultation_id(), "paragraph": 1}),
    "strategy.consultation_confirm": Rule(PUBLIC, params=_comment_token),
    "strategy.consultation_erase": Rule(PUBLIC, params=_erase_token),
    "strategy.published_latest": Rule(PUBLIC),
    "strategy.published": Rule(PUBLIC, params=_published),
    "strategy.published_export": Rule(PUBLIC, params=_published, query="?format=md"),
}
