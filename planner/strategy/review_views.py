"""Pages of the review: a version's review state, sign-off and publication, review rounds (every part of the paper,
comments on a paragraph, verdicts), outside reviewers and their personal link (``/strategy/review/<token>``)."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from planner.core.forms import perform
from planner.core.permissions import PUBLIC, Role, access, has_role
from planner.core.web import render_error
from planner.extensions import db
from planner.strategy import bp, comment_links, review, versions
from planner.strategy.exporters import FORMATS
from planner.strategy.exporters.html import view_context
from planner.strategy.forms import (
    AnswerForm,
    CommentForm,
    GuestForm,
    MemberForm,
    OverrideForm,
    ParagraphCommentForm,
    RoundForm,
    VerdictForm,
)
from planner.strategy.labels import section_title
from planner.strategy.models import PaperVersion, ReviewComment, ReviewGuest, ReviewRound
from planner.strategy.rollup import shorten
from planner.strategy.views import version_or_404

ST = (Role.STRATEGY_TEAM,)


def _ui_locale() -> str:
    return str(get_locale() or "de")


def _not_found(message):
    abort(make_response(*render_error(404, message)))


def _round_or_404(round_id: int) -> ReviewRound:
    round_ = db.session.get(
        ReviewRound, round_id,
        options=[selectinload(ReviewRound.members), selectinload(ReviewRound.comments),
                 selectinload(ReviewRound.verdicts), selectinload(ReviewRound.guests)],
    )
    if round_ is None:
        _not_found(_("There is no such review round."))
    return round_


# --- a version: review state, sign-off, publication --------------------------------------------------------------

def _render_version(version: PaperVersion, override_form=None, status: int = 200):
    rollup = versions.version_rollup(version, locale=_ui_locale())
    states = {r.id: review.round_state(r, rollup) for r in version.rounds}
    obstacles = [] if version.is_published else review.publish_obstacles(version)
    if override_form is None and current_user.role == Role.ADMIN and obstacles:
        override_form = OverrideForm(formdata=None)
    return render_template("strategy/version_detail.html", version=version, states=states, formats=FORMATS,
                           agreed=any(s.is_agreed for s in states.values()), obstacles=obstacles,
                           override_form=override_form), status


@bp.route("/versions/<int:number>", endpoint="version_detail")
@access(*ST)
def version_detail(number: int):
    return _render_version(version_or_404(number))


@bp.route("/versions/<int:number>/sign-off", methods=["POST"], endpoint="sign_off")
@access(*ST)
def sign_off(number: int):
    version = version_or_404(number)
    perform(lambda: review.sign_off_version(version, current_user),
            success=_("Version %(number)s is signed off.", number=number))
    return redirect(url_for("strategy.version_detail", number=number))


@bp.route("/versions/<int:number>/publish", methods=["POST"], endpoint="publish")
@access(*ST)
def publish(number: int):
    """Publishes; an administrator's request with a reason publishes past the guard's objections."""
    version = version_or_404(number)
    if "reason" in request.form:
        form = OverrideForm()
        if current_user.role != Role.ADMIN:
            abort(403)
        if not form.validate_on_submit():
            return _render_version(version, override_form=form, status=400)
        done = perform(lambda: review.publish_version(version, current_user, override_reason=form.reason.data),
                       form=form, success=_("Version %(number)s is published.", number=number), forbid=True)
        if not done:
            return _render_version(version, override_form=form, status=400)
    else:
        perform(lambda: review.publish_version(version, current_user),
                success=_("Version %(number)s is published.", number=number))
    return redirect(url_for("strategy.version_detail", number=number))


# --- review rounds ------------------------------------------------------------------------------------------------

@bp.route("/versions/<int:number>/rounds/new", methods=["GET", "POST"], endpoint="round_create")
@access(*ST)
def round_create(number: int):
    version = version_or_404(number)
    form = RoundForm()
    if form.validate_on_submit():
        created = perform(lambda: review.create_round(version, current_user, title=form.title.data,
                                                      due_on=form.due_on.data),
                          form=form, success=_("Review round created. Now add the reviewers."))
        if created:
            return redirect(url_for("strategy.round_detail", round_id=created.value.id))
    return render_template("strategy/round_create.html", form=form, version=version), 400 if form.errors else 200


def _reviewer_choices():
    from sqlalchemy import select

    from planner.accounts.models import User

    users = db.session.scalars(select(User).where(User.role == Role.REVIEWER).order_by(User.display_name)).all()
    return [SelectChoice("", _("Please choose"))] + [SelectChoice(u.id, f"{u.name} ({u.email})") for u in users]


def _part_label(part: review.Part) -> str:
    if part.kind == "section":
        return _("Section: %(title)s", title=part.title)
    if part.kind == "field":
        return _("Action field: %(title)s", title=part.title)
    if part.kind == "measure":
        return _("Measure %(title)s", title=part.title)
    return part.title


def _set_round_choices(comment_form, verdict_form, parts):
    comment_form.target.choices = (
        [SelectChoice("", _("Please choose")), SelectChoice("paper", _("The paper as a whole"))]
        + [SelectChoice(p.key, _part_label(p)) for p in parts]
    )
    verdict_form.part.choices = [SelectChoice("", _("Please choose"))] + [
        SelectChoice(p.key, _part_label(p)) for p in parts
    ]


class _Urls:
    """Where the round page's forms go: a member's round page or an outside reviewer's personal link."""

    def __init__(self, round_: ReviewRound, token: str | None = None):
        self.round, self.token = round_, token

    def page(self, **query) -> str:
        if self.token:
            return url_for("strategy.guest_round", token=self.token, **query)
        return url_for("strategy.round_detail", round_id=self.round.id, **query)

    def comment(self) -> str:
        if self.token:
            return url_for("strategy.guest_comment", token=self.token)
        return url_for("strategy.round_comment", round_id=self.round.id)

    def verdict(self) -> str:
        if self.token:
            return url_for("strategy.guest_verdict", token=self.token)
        return url_for("strategy.round_verdict", round_id=self.round.id)

    def paragraph(self, target: str, number: int) -> str:
        if self.token:
            return url_for("strategy.guest_paragraph", token=self.token, target=target, n=number)
        return url_for("strategy.round_paragraph", round_id=self.round.id, target=target, n=number)


def _wants_short() -> bool:
    return request.args.get("short") in ("1", "true", "yes")


def _render_round(round_, comment_form=None, verdict_form=None, member_form=None, guest_form=None,
                  status=200, guest: ReviewGuest | None = None, token: str | None = None):
    short = _wants_short()
    rollup = versions.version_rollup(round_.version, locale=_ui_locale())
    state = review.round_state(round_, rollup)
    parts = [p.part for p in state.parts]
    comment_form = comment_form or CommentForm(formdata=None, round_id=round_.id)
    verdict_form = verdict_form or VerdictForm(formdata=None, round_id=round_.id)
    _set_round_choices(comment_form, verdict_form, parts)
    staff = guest is None and has_role(current_user, Role.STRATEGY_TEAM)
    if member_form is None and staff:
        member_form = MemberForm(formdata=None)
    if member_form is not None:
        member_form.user_id.choices = _reviewer_choices()
    if guest_form is None and staff:
        guest_form = GuestForm(formdata=None)
    answer_forms = {}
    if staff:
        answer_forms = {c.id: AnswerForm(formdata=None, prefix=f"c{c.id}") for c in round_.comments if c.is_open}
    is_member = review.is_member(round_, guest or current_user)
    can_act = (is_member or (guest is None and current_user.role == Role.ADMIN)) and round_.is_open
    # Two forms on one page carry the round's id: keep their element ids unique.
    comment_form.round_id.id = "comment-round-id"
    verdict_form.round_id.id = "verdict-round-id"
    urls = _Urls(round_, token)
    open_only = request.args.get("open") == "1"
    titles = {p.key: p.title for p in parts}
    context = view_context(shorten(rollup) if short else rollup, offset=2, links=guest is None)
    if can_act:
        context.update(comment_links.review_controls(round_, context["outline"], rollup, urls.paragraph, titles))
    comments = [c for c in round_.comments if c.is_open or not open_only]
    return render_template(
        "strategy/round.html", round=round_, state=state, is_member=is_member, can_act=can_act, staff=staff,
        guest=guest, urls=urls, open_only=open_only, comments=comments, part_titles=titles, short=short,
        group_label=review.group_label, comment_form=comment_form, verdict_form=verdict_form,
        member_form=member_form, guest_form=guest_form, answer_forms=answer_forms, section_title=section_title,
        **context,
    ), status


def _round_for(round_id: int) -> ReviewRound:
    round_ = _round_or_404(round_id)
    if not review.can_view_round(round_, current_user):
        abort(403)
    return round_


@bp.route("/rounds/<int:round_id>", endpoint="round_detail")
@access(Role.STRATEGY_TEAM, Role.REVIEWER)
def round_detail(round_id: int):
    return _render_round(_round_for(round_id))


def _check_posted_round(form, round_: ReviewRound) -> None:
    """A form carrying another round's id is an attack (or a stale page): refuse it."""
    posted = form.round_id.data
    if posted not in (None, "", str(round_.id)):
        abort(403)


def _comment(round_, reviewer, token=None):
    form = CommentForm()
    _check_posted_round(form, round_)
    _set_round_choices(form, VerdictForm(formdata=None), review.parts_of(versions.version_rollup(round_.version)))
    if form.validate_on_submit() and perform(
        lambda: review.add_comment(round_, reviewer, target=form.target.data, text=form.text.data),
        form=form, success=_("Your comment has been saved."), forbid=True,
    ):
        return redirect(_Urls(round_, token).page())
    return _render_round(round_, comment_form=form, status=400, guest=reviewer if token else None, token=token)


def _verdict(round_, reviewer, token=None):
    form = VerdictForm()
    _check_posted_round(form, round_)
    _set_round_choices(CommentForm(formdata=None), form, review.parts_of(versions.version_rollup(round_.version)))
    if form.validate_on_submit() and perform(
        lambda: review.set_verdict(round_, reviewer, part=form.part.data, verdict=form.verdict.data,
                                   reason=form.reason.data),
        form=form, success=_("Your verdict has been saved."), forbid=True,
    ):
        return redirect(_Urls(round_, token).page())
    return _render_round(round_, verdict_form=form, status=400, guest=reviewer if token else None, token=token)


def _paragraph(round_, reviewer, token=None):
    """One paragraph of the frozen version and a form to comment on it."""
    if not round_.is_open:
        flash(_("This review round is closed."), "error")
        return redirect(_Urls(round_, token).page())
    source = request.values  # the form's hidden fields, or the link's query
    target = source.get("target", "")
    try:
        number = int(source.get("n") or source.get("paragraph") or 0)
    except ValueError:
        number = 0
    rollup = versions.version_rollup(round_.version, locale=_ui_locale())
    from planner.strategy.outline import build_outline

    part = next((p for p in review.parts_of(rollup) if p.key == target), None)
    if number == 0 and part is not None and part.kind == "measure":  # the measure as a whole (the short edition)
        sheet = next(m for m in rollup.measures() if m.number == part.code)
        paragraph = review.Paragraph(target, 0, sheet.description or part.title, bool(sheet.description))
    else:
        paragraph = review.find_paragraph(build_outline(rollup), target, number)
    if paragraph is None:
        return render_error(404, _("This paragraph is not part of the version."))
    form = ParagraphCommentForm(data={"target": target, "paragraph": str(number)})
    if number == 0:
        form.text.label.text = _("Your comment on this measure")
    if request.method == "POST" and form.validate_on_submit():
        done = perform(lambda: review.add_comment(round_, reviewer, target=target, text=form.text.data,
                                                  paragraph=number or None),
                       form=form, success=_("Your comment has been saved."), forbid=True)
        if done:
            return redirect(_Urls(round_, token).page() + f"#comment-{done.value.id}")
    from planner.core.text import render_markdown

    status = 400 if request.method == "POST" else 200
    return render_template("strategy/round_paragraph.html", round=round_, paragraph=paragraph,
                           part_title=part.title if part else target, form=form, urls=_Urls(round_, token),
                           md=render_markdown, guest=reviewer if token else None), status


@bp.route("/rounds/<int:round_id>/comments", methods=["POST"], endpoint="round_comment")
@access(Role.REVIEWER)
def round_comment(round_id: int):
    return _comment(_round_for(round_id), current_user)


@bp.route("/rounds/<int:round_id>/verdicts", methods=["POST"], endpoint="round_verdict")
@access(Role.REVIEWER)
def round_verdict(round_id: int):
    return _verdict(_round_for(round_id), current_user)


@bp.route("/rounds/<int:round_id>/paragraph", methods=["GET", "POST"], endpoint="round_paragraph")
@access(Role.REVIEWER)
def round_paragraph(round_id: int):
    round_ = _round_for(round_id)
    if not review.is_member(round_, current_user) and current_user.role != Role.ADMIN:
        abort(403)
    return _paragraph(round_, current_user)


@bp.route("/rounds/<int:round_id>/members", methods=["POST"], endpoint="round_member")
@access(*ST)
def round_member(round_id: int):
    round_ = _round_or_404(round_id)
    form = MemberForm()
    form.user_id.choices = _reviewer_choices()
    if form.validate_on_submit() and perform(
        lambda: review.add_member(round_, current_user, user_id=form.user_id.data, body_label=form.body_label.data),
        form=form, success=_("Reviewer added to the round."),
    ):
        return redirect(url_for("strategy.round_detail", round_id=round_id))
    return _render_round(round_, member_form=form, status=400)


@bp.route("/rounds/<int:round_id>/guests", methods=["POST"], endpoint="round_guest")
@access(*ST)
def round_guest(round_id: int):
    """Invites an outside reviewer: the personal link goes out by e-mail after the commit."""
    round_ = _round_or_404(round_id)
    form = GuestForm()

    def invite():
        guest, token = review.invite_guest(round_, current_user, name=form.name.data, email=form.email.data,
                                           body_label=form.organisation.data)
        review.send_guest_invitation(guest, token, _guest_link(token))
        return guest

    if form.validate_on_submit() and perform(
        invite, form=form, success=lambda g: _("%(name)s has been invited by e-mail.", name=g.full_name),
    ):
        return redirect(url_for("strategy.round_detail", round_id=round_id))
    return _render_round(round_, guest_form=form, status=400)


def _guest_link(token: str) -> str:
    from flask import current_app

    return f"{current_app.config['BASE_URL'].rstrip('/')}{bp.url_prefix}/review/{token}"


@bp.route("/guests/<int:guest_id>/revoke", methods=["POST"], endpoint="guest_revoke")
@access(*ST)
def guest_revoke(guest_id: int):
    guest = db.session.get(ReviewGuest, guest_id) or abort(404)
    perform(lambda: review.revoke_guest(guest, current_user),
            success=_("The personal link of %(name)s has been withdrawn.", name=guest.full_name))
    return redirect(url_for("strategy.round_detail", round_id=guest.round_id))


@bp.route("/rounds/<int:round_id>/close", methods=["POST"], endpoint="round_close")
@access(*ST)
def round_close(round_id: int):
    round_ = _round_or_404(round_id)
    perform(lambda: review.close_round(round_, current_user), success=_("Review round closed."))
    return redirect(url_for("strategy.round_detail", round_id=round_id))


@bp.route("/comments/<int:comment_id>/answer", methods=["POST"], endpoint="comment_answer")
@access(*ST)
def comment_answer(comment_id: int):
    comment = db.session.get(ReviewComment, comment_id) or abort(404)
    form = AnswerForm(prefix=f"c{comment.id}")
    if form.validate_on_submit():
        perform(lambda: review.answer_comment(comment, current_user, answer=form.answer.data, text=form.text.data),
                success=_("Answer saved."))
    else:
        flash(_("Please choose an answer."), "error")
    return redirect(url_for("strategy.round_detail", round_id=comment.round_id) + f"#comment-{comment.id}")


@bp.route("/my-rounds", endpoint="my_rounds")
@access(Role.REVIEWER)
def my_rounds():
    rounds = review.rounds_of(current_user)
    return render_template("strategy/my_rounds.html", rounds=rounds,
                           states={r.id: review.round_state(r) for r in rounds})


# --- outside reviewers: the personal link ---------------------------------------------------------------------------

def _guest_or_error(token: str):
    """(guest, None) or (None, response): unknown → 404, withdrawn or expired → 410. Looked up on every request,
    so a withdrawal works at once."""
    guest = review.guest_for_token(token)
    if guest is None:
        return None, render_error(404, _("This personal link is not known. Please check that you copied the whole "
                                         "link from the e-mail."))
    try:
        review.check_guest_usable(guest)
    except review.LinkGone as error:
        return None, render_error(410, error.message)
    return guest, None


def _guest_round(guest: ReviewGuest) -> ReviewRound:
    return _round_or_404(guest.round_id)


@bp.route("/review/<token>", endpoint="guest_round")
@access(PUBLIC)
def guest_round(token: str):
    guest, error = _guest_or_error(token)
    if error:
        return error
    return _render_round(_guest_round(guest), guest=guest, token=token)


@bp.route("/review/<token>/comments", methods=["POST"], endpoint="guest_comment")
@access(PUBLIC)
def guest_comment(token: str):
    guest, error = _guest_or_error(token)
    if error:
        return error
    return _comment(_guest_round(guest), guest, token)


@bp.route("/review/<token>/verdicts", methods=["POST"], endpoint="guest_verdict")
@access(PUBLIC)
def guest_verdict(token: str):
    guest, error = _guest_or_error(token)
    if error:
        return error
    return _verdict(_guest_round(guest), guest, token)


@bp.route("/review/<token>/paragraph", methods=["GET", "POST"], endpoint="guest_paragraph")
@access(PUBLIC)
def guest_paragraph(token: str):
    guest, error = _guest_or_error(token)
    if error:
        return error
    return _paragraph(_guest_round(guest), guest, token)

