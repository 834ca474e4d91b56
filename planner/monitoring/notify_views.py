"""Pages of what monitoring tells people: the official answer (strategy team), following a measure by e-mail
(public, double opt-in) and ending it with the link in every mail (no account needed)."""

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from planner.accounts.limits import address_key, limiter, registration_limit
from planner.core.forms import perform
from planner.core.permissions import PUBLIC, Role, access
from planner.extensions import db
from planner.findings.models import Measure
from planner.monitoring import bp, notify
from planner.monitoring.forms import AnswerForm, FollowForm
from planner.monitoring.models import MonitoredAction


class ButtonForm(FlaskForm):
    """The button behind a mailed link: opening the link alone changes nothing (mail scanners open links too)."""


def _in_the_mails_language(subscription) -> None:
    """A mailed link opens in the mail's language where the visitor has chosen none (another browser, the mail
    app): the rest of the visit stays in it; a chosen language (the switch, an account's) is kept."""
    if subscription is None or "lang" in session or getattr(current_user, "locale", None):
        return
    session["lang"] = subscription.locale
    refresh()


def _answer_message(outcome) -> str:
    if outcome.mailed:
        return _("The official answer has been published and sent to the proposer.")
    if outcome.reason:
        return _("The official answer has been saved; no e-mail was sent: %(reason)s.", reason=outcome.reason)
    if outcome.first:
        return _("The official answer has been published.")
    return _("The official answer has been changed (the change is recorded; no e-mail was sent).")


@bp.route("/actions/<int:action_id>/answer", methods=["GET", "POST"], endpoint="answer")
@access(Role.STRATEGY_TEAM)
def answer(action_id: int):
    action = db.session.get(MonitoredAction, action_id) or abort(404)
    if request.method == "GET":
        form = AnswerForm(formdata=None, data={"answer_text": action.answer_text or action.measure.official_answer})
    else:
        form = AnswerForm()
        if form.validate_on_submit():
            done = perform(lambda: notify.publish_answer(action, current_user, text=form.answer_text.data,
                                                         send_again=bool(form.send_again.data)),
                           form=form, success=_answer_message, forbid=True)
            if done:
                return redirect(url_for("monitoring.action", action_id=action_id) + "#answer-heading")
    if action.answer_published_at is None:
        del form.send_again  # nothing to send again before the first publication
    address, _locale, reason = notify.proposer_contact(action.measure)
    return render_template("monitoring/answer.html", action=action, form=form, proposer_address=address,
                           proposer_reason=reason), 400 if request.method == "POST" else 200


@bp.route("/public/measures/<int:measure_id>/follow", methods=["GET", "POST"], endpoint="follow")
@access(PUBLIC)
@limiter.limit(registration_limit, key_func=address_key, methods=["POST"])
def follow(measure_id: int):
    measure = db.session.get(Measure, measure_id) or abort(404)
    action = db.session.scalar(select(MonitoredAction).where(MonitoredAction.measure_id == measure.id))
    signed_in = current_user.is_authenticated
    # The public sees the monitored measures (the dashboard); a measure still in the strategy process only those
    # signed in (its supporters, from its page).
    if not notify.followable(measure) or (action is None and not signed_in):
        abort(404)
    if request.method == "GET":
        form = FollowForm(formdata=None, data={"email": current_user.email if signed_in else ""})
    else:
        form = FollowForm()
        if form.validate_on_submit():
            done = perform(lambda: notify.follow_measure(
                measure, email=form.email.data, consent=bool(form.consent.data), locale=str(get_locale() or "de"),
                user=current_user if signed_in else None), form=form)
            if done:
                if done.value.is_active:
                    flash(_("Done: you will be told by e-mail when the status of this measure changes. Every "
                            "e-mail has a link to stop it."), "success")
                else:
                    flash(_("Almost done: we have sent an e-mail to the address you entered. Please open the link "
                            "in it to confirm; until then you receive nothing else."), "info")
                return redirect(url_for("monitoring.public_measure", measure_id=measure.id) if action
                                else url_for("monitoring.public_dashboard"))
    return render_template("monitoring/follow.html", measure=measure, action=action, form=form), \
        400 if request.method == "POST" else 200


@bp.route("/follow/confirm/<token>", methods=["GET", "POST"], endpoint="follow_confirm")
@access(PUBLIC)
@limiter.limit(registration_limit, key_func=address_key, methods=["POST"])
def follow_confirm(token: str):
    try:
        subscription = notify.read_confirm_link(token)
    except notify.FollowLinkInvalid as error:
        return render_template("monitoring/follow_link.html", mode="confirm", subscription=None,
                               error=error.message, form=None), 400
    _in_the_mails_language(subscription)
    form = ButtonForm()
    if form.validate_on_submit() and perform(lambda: notify.confirm_follow(token)):
        flash(_("Thank you: you will be told by e-mail when the status of this measure changes."), "success")
        return redirect(url_for("monitoring.follow_confirm", token=token))
    return render_template("monitoring/follow_link.html", mode="confirm", subscription=subscription, error=None,
                           form=form)


@bp.route("/follow/stop/<token>", methods=["GET", "POST"], endpoint="unfollow")
@access(PUBLIC)
def unfollow(token: str):
    try:
        subscription = notify.read_stop_link(token)
    except notify.FollowLinkInvalid:
        return render_template("monitoring/follow_link.html", mode="stop", subscription=None, form=None,
                               error=_("You receive no more e-mails about this measure (the notification has "
                                       "ended or the link is not valid).")), 200 if request.method == "GET" else 400
    _in_the_mails_language(subscription)
    form = ButtonForm()
    if form.validate_on_submit():
        done = perform(lambda: notify.stop_following(token))
        if done:
            flash(_("You receive no more e-mails about “%(measure)s”; your address has been deleted.",
                    measure=done.value.label), "success")
            return redirect(url_for("monitoring.public_dashboard"))
    return render_template("monitoring/follow_link.html", mode="stop", subscription=subscription, error=None,
                           form=form)
