"""Pages of the public consultation: the strategy team opens a version and moderates; the public reads and comments
without an account (double opt-in by mail)."""

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from planner.accounts.limits import address_key, limiter, registration_limit
from planner.core.forms import perform
from planner.core.permissions import PUBLIC, Role, access
from planner.core.timeutil import local_today
from planner.extensions import db
from planner.strategy import bp, consultation, versions
from planner.strategy.consultation_forms import (
    ConfirmCommentForm,
    ConsultationForm,
    HideForm,
    PublicAnswerForm,
    PublicCommentForm,
)
from planner.strategy.consultation_models import ANSWER_MAX, CommentStatus, Consultation, ConsultationComment
from planner.strategy.exporters.html import block_context

ST = (Role.STRATEGY_TEAM,)
CONFIRMED_KEY = "consultation_confirmed_email"


def _language() -> str:
    language = str(get_locale() or "de")
    return language if language in ("de", "en") else "de"


def _consultation_or_404(consultation_id: int) -> Consultation:
    found = db.session.get(Consultation, consultation_id)
    if found is None:
        abort(404)
    return found


def _public_or_404(consultation_id: int) -> Consultation:
    """A consultation is public from its first day on (before: not found), read-only after its last day."""
    found = _consultation_or_404(consultation_id)
    if found.state(local_today()) == "scheduled":
        abort(404)
    return found


def _comment_or_404(comment_id: int) -> ConsultationComment:
    found = db.session.get(ConsultationComment, comment_id)
    if found is None or found.status == CommentStatus.UNCONFIRMED:
        abort(404)
    return found


# --- the strategy team ----------------------------------------------------------------------------------------

@bp.route("/versions/<int:number>/consultation", methods=["GET", "POST"], endpoint="consultation_edit")
@access(*ST)
def consultation_edit(number: int):
    try:
        version = versions.get_version(number)
    except versions.UnknownVersion:
        abort(404)
    existing = consultation.consultation_of(version)
    form = ConsultationForm(obj=existing)
    if form.validate_on_submit():
        saved = perform(lambda: consultation.save_consultation(
            version, current_user, starts_on=form.starts_on.data, ends_on=form.ends_on.data, intro=form.intro.data),
            form=form, success=_("The public consultation of version %(number)s is planned.", number=number))
        if saved:
            return redirect(url_for("strategy.consultation_moderate", consultation_id=saved.value.id))
    return render_template("strategy/consultation_edit.html", form=form, version=version, consultation=existing), \
        400 if form.errors else 200


@bp.route("/consultations/<int:consultation_id>/comments", endpoint="consultation_moderate")
@access(*ST)
def consultation_moderate(consultation_id: int):
    found = _consultation_or_404(consultation_id)
    status = request.args.get("status", "")
    comments = consultation.comments_for_moderation(found, status)
    return render_template(
        "strategy/consultation_moderate.html", consultation=found, comments=comments, status=status,
        counts=consultation.status_counts(found), state=found.state(local_today()), statuses=list(CommentStatus),
        hide_forms={c.id: HideForm(prefix=f"c{c.id}") for c in comments},
        answer_forms={c.id: PublicAnswerForm(prefix=f"c{c.id}", data={"answer": c.answer}) for c in comments})


def _back_to_moderation(comment: ConsultationComment):
    return redirect(url_for("strategy.consultation_moderate", consultation_id=comment.consultation_id,
                            status=request.args.get("status", ""), _anchor=f"comment-{comment.id}"))


@bp.route("/consultation-comments/<int:comment_id>/publish", methods=["POST"], endpoint="consultation_publish")
@access(*ST)
def consultation_publish(comment_id: int):
    comment = _comment_or_404(comment_id)
    perform(lambda: consultation.publish_comment(comment, current_user), success=_("The comment is published."))
    return _back_to_moderation(comment)


@bp.route("/consultation-comments/<int:comment_id>/hide", methods=["POST"], endpoint="consultation_hide")
@access(*ST)
def consultation_hide(comment_id: int):
    comment = _comment_or_404(comment_id)
    form = HideForm(prefix=f"c{comment.id}")
    if not form.validate_on_submit():
        flash(_("Please give the reason why the comment is hidden."), "error")
        return _back_to_moderation(comment)
    perform(lambda: consultation.hide_comment(comment, current_user, form.reason.data),
            success=_("The comment is hidden."))
    return _back_to_moderation(comment)


@bp.route("/consultation-comments/<int:comment_id>/answer", methods=["POST"], endpoint="consultation_answer")
@access(*ST)
def consultation_answer(comment_id: int):
    comment = _comment_or_404(comment_id)
    form = PublicAnswerForm(prefix=f"c{comment.id}")
    if not form.validate_on_submit():
        flash(_("Please write the answer (at most %(max)s characters).", max=ANSWER_MAX), "error")
        return _back_to_moderation(comment)
    perform(lambda: consultation.answer_comment(comment, current_user, form.answer.data),
            success=_("The answer is published."))
    return _back_to_moderation(comment)


# --- the public -----------------------------------------------------------------------------------------------

@bp.route("/consultations/<int:consultation_id>", endpoint="consultation_public")
@access(PUBLIC)
def consultation_public(consultation_id: int):
    found = _public_or_404(consultation_id)
    language = _language()
    parts = consultation.passages(found.version, language)
    return render_template("strategy/consultation_public.html", consultation=found, passages=parts,
                           comments=consultation.published_comments(found), is_open=found.is_open(local_today()),
                           **_blocks(language))


def _blocks(language: str) -> dict:
    """What templates/exports/_blocks.html needs besides the blocks (the page gives it one paragraph at a time)."""
    context = block_context(None, offset=1)
    del context["outline"]
    return {**context, "paper_language": language}


@bp.route("/consultations/<int:consultation_id>/paragraphs/<int:paragraph>/comment", methods=["GET", "POST"],
          endpoint="consultation_comment")
@access(PUBLIC)
@limiter.limit(registration_limit, key_func=address_key, methods=["POST"])
def consultation_comment(consultation_id: int, paragraph: int):
    found = _public_or_404(consultation_id)
    language = _language()
    part = consultation.passage(found.version, paragraph, language)
    if part is None:
        abort(404)
    is_open = found.is_open(local_today())
    form = PublicCommentForm()
    if is_open and form.validate_on_submit():
        confirmed = session.get(CONFIRMED_KEY, {}).get(str(found.id))
        done = perform(lambda: consultation.submit_comment(
            found, paragraph, text=form.text.data, email=form.email.data, display_name=form.display_name.data,
            locale=language, confirmed_email=confirmed), form=form)
        if done:
            if done.value.status == CommentStatus.PENDING:
                flash(_("Thank you for your comment. The team will read it and publish it with an answer."),
                      "success")
            else:
                flash(_("Almost done: we have sent an e-mail to the address you entered. Please open the link in it "
                        "to confirm your comment; until then nobody sees it."), "info")
            return redirect(url_for("strategy.consultation_public", consultation_id=found.id,
                                    _anchor=f"p-{paragraph}"))
    return render_template("strategy/consultation_comment.html", consultation=found, part=part, form=form,
                           is_open=is_open, **_blocks(language)), \
        400 if form.errors else 200


@bp.route("/consultations/confirm/<token>", methods=["GET", "POST"], endpoint="consultation_confirm")
@access(PUBLIC)
@limiter.limit(registration_limit, key_func=address_key, methods=["POST"])
def consultation_confirm(token: str):
    """The link in the confirmation mail. Opening it changes nothing (mail scanners open links too); the button
    confirms."""
    try:
        comment = consultation.read_comment_link(token)
    except consultation.CommentLinkInvalid as error:
        return render_template("strategy/consultation_confirm.html", comment=None, error=error.message,
                               form=None), 400
    form = ConfirmCommentForm()
    if form.validate_on_submit():
        done = perform(lambda: consultation.confirm_comment(token))
        if done:
            confirmed = dict(session.get(CONFIRMED_KEY, {}))
            confirmed[str(comment.consultation_id)] = comment.email  # later comments in this session: no mail
            session[CONFIRMED_KEY] = confirmed
            flash(_("Thank you, your comment is confirmed. The team will read it and publish it with an answer."),
                  "success")
            return redirect(url_for("strategy.consultation_public", consultation_id=comment.consultation_id,
                                    _anchor=f"p-{comment.paragraph}"))
    return render_template("strategy/consultation_confirm.html", comment=comment, error=None, form=form)


@bp.route("/consultations/erase/<token>", methods=["GET", "POST"], endpoint="consultation_erase")
@access(PUBLIC)
@limiter.limit(registration_limit, key_func=address_key, methods=["POST"])
def consultation_erase(token: str):
    """The commenter's link (in the confirmation and answer mails) to delete their comments and address. Opening
    it changes nothing; the button deletes."""
    try:
        comment = consultation.comment_for_erase_link(token)
    except consultation.EraseLinkInvalid as error:
        return render_template("strategy/consultation_erase.html", comments=None, error=error.message,
                               form=None), 400
    form = ConfirmCommentForm()
    if form.validate_on_submit():
        done = perform(lambda: consultation.erase_own_comments(token))
        if done:
            session.pop(CONFIRMED_KEY, None)
            flash(ngettext("Your comment has been erased: your name and your e-mail address are removed.",
                           "Your %(num)s comments have been erased: your name and your e-mail address are removed.",
                           done.value), "success")
            return redirect(url_for("strategy.consultation_public", consultation_id=comment.consultation_id))
    return render_template("strategy/consultation_erase.html", error=None, form=form,
                           comments=consultation.comments_of_commenter([comment.email]))
