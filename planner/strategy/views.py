"""Pages of the concept paper: overview, sections, exports, versions, review rounds, the public paper."""

import io

from flask import abort, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from planner.core.forms import is_stale, perform, stale_conflict
from planner.core.permissions import PUBLIC, Role, access, has_role
from planner.core.web import render_error
from planner.extensions import db
from planner.fields.services import process_choice
from planner.jobs.services import enqueue
from planner.strategy import bp, review, services, versions
from planner.strategy.exporters import FORMATS, filename
from planner.strategy.exporters.html import view_context
from planner.strategy.forms import (
    AnswerForm,
    CommentForm,
    DiffForm,
    FreezeForm,
    MemberForm,
    RoundForm,
    SectionForm,
    VerdictForm,
)
from planner.strategy.labels import section_title
from planner.strategy.models import PaperVersion, ReviewComment, ReviewRound
from planner.strategy.readiness import readiness_overview
from planner.strategy.rollup import build_rollup
from planner.strategy.tasks import EXPORT

ST = (Role.STRATEGY_TEAM,)


# --- helpers --------------------------------------------------------------------------------------------------

def _ui_locale() -> str:
    return str(get_locale() or "de")


def _paper_locale() -> str:
    locale = request.args.get("locale", "")
    return locale if locale in ("de", "en") else _ui_locale()


def _not_found(message):
    abort(make_response(*render_error(404, message)))


def _version_or_404(number: int) -> PaperVersion:
    try:
        return versions.get_version(number)
    except versions.UnknownVersion as error:
        _not_found(error.message)


def _round_or_404(round_id: int) -> ReviewRound:
    round_ = db.session.get(
        ReviewRound, round_id,
        options=[selectinload(ReviewRound.members), selectinload(ReviewRound.comments),
                 selectinload(ReviewRound.verdicts)],
    )
    if round_ is None:
        _not_found(_("There is no such review round."))
    return round_


def _wants_short() -> bool:
    return request.args.get("short") in ("1", "true", "yes")


def _start_export(version: int | None = None):
    """POST: the export runs as a background job; the job page shows its progress and offers the file."""
    code = request.form.get("format", "")
    if code not in FORMATS:
        abort(make_response(*render_error(400, _("Unknown export format."))))
    locale = request.form.get("locale", "")
    job = enqueue("paper_export", EXPORT, actor_id=current_user.id, fmt=code,
                  locale=locale if locale in ("de", "en") else _ui_locale(),
                  short=request.form.get("short") in ("1", "true", "yes"), version=version)
    db.session.commit()
    return redirect(url_for("jobs.detail", job_id=job.id))


# --- overview, sections, draft --------------------------------------------------------------------------------

@bp.route("/", endpoint="paper")
@access(*ST)
def paper():
    from planner.fields.models import StrategyProcess

    rounds = db.session.scalars(
        select(ReviewRound).options(selectinload(ReviewRound.version), selectinload(ReviewRound.members))
        .order_by(ReviewRound.id.desc())
    ).all()
    return render_template(
        "strategy/paper.html", process=StrategyProcess.current(), issues=_issue_groups(),
        sections=services.list_sections(), versions=versions.list_versions(limit=5, process=StrategyProcess.current()),
        rounds=rounds, formats=FORMATS,
        freeze_form=FreezeForm(),
    )


def _issue_groups():
    from planner.strategy import labels

    return [(kind, labels.readiness(kind), count, labels.readiness_subjects(kind, subjects))
            for kind, count, subjects in readiness_overview()]


@bp.route("/sections/<key>", methods=["GET", "POST"], endpoint="section_edit")
@access(*ST)
def section_edit(key: str):
    info = services.section_info(key)
    if info is None:
        abort(404)
    form = SectionForm(data={"title": info.title, "body": info.body, "version": info.version})
    failed, stale = False, None
    if form.validate_on_submit():
        try:
            version = int(form.version.data or 0)
        except ValueError:
            version = -1
        saved = perform(lambda: services.save_section(key, current_user, title=form.title.data,
                                                      body=form.body.data, version=version),
                        form=form, success=_("Section “%(title)s” saved.", title=form.title.data))
        if saved:
            return redirect(url_for("strategy.paper"))
        failed = True
        if is_stale(saved):
            info = services.section_info(key)
            current = SectionForm(formdata=None, data={"title": info.title, "body": info.body})
            stale = stale_conflict(form, current, info.version)
    status = 409 if stale else (400 if form.errors or failed else 200)
    return render_template("strategy/section_edit.html", form=form, info=info, stale=stale), status


@bp.route("/sections/<key>/history", endpoint="section_history")
@access(*ST)
def section_history(key: str):
    info = services.section_info(key)
    if info is None:
        abort(404)
    return render_template("findings/history.html", entries=services.section_history(key), heading=info.title,
                           back=url_for("strategy.section_edit", key=key))


@bp.route("/draft", endpoint="draft")
@access(*ST)
def draft():
    rollup = build_rollup(locale=_paper_locale(), short=_wants_short())
    return render_template("strategy/version_view.html", version=None,
                           **view_context(rollup, offset=1))


@bp.route("/export", methods=["POST"], endpoint="export")
@access(*ST)
def export():
    return _start_export()


# --- versions -------------------------------------------------------------------------------------------------

@bp.route("/versions", methods=["POST"], endpoint="freeze")
@access(*ST)
def freeze():
    form = FreezeForm()
    if not form.validate_on_submit():
        flash(_("The note is too long."), "error")
        return redirect(url_for("strategy.paper"))
    version = versions.freeze_version(current_user, form.note.data or "")
    db.session.commit()
    flash(_("Version %(number)s frozen.", number=version.number), "success")
    return redirect(url_for("strategy.version_detail", number=version.number))


@bp.route("/versions", endpoint="version_list")
@access(*ST)
def version_list():
    choice = process_choice(request.args.get("process"))
    return render_template("strategy/versions.html", versions=versions.list_versions(process=choice.chosen),
                           diff_form=DiffForm(request.args), process_choice=choice)


@bp.route("/versions/<int:number>", endpoint="version_detail")
@access(*ST)
def version_detail(number: int):
    version = _version_or_404(number)
    states = {r.id: review.round_state(r) for r in version.rounds}
    return render_template("strategy/version_detail.html", version=version, states=states, formats=FORMATS,
                           agreed=any(s.is_agreed for s in states.values()))


@bp.route("/versions/<int:number>/view", endpoint="version_view")
@access(*ST)
def version_view(number: int):
    version = _version_or_404(number)
    rollup = versions.version_rollup(version, locale=_paper_locale(), short=_wants_short())
    return render_template("strategy/version_view.html", version=version,
                           **view_context(rollup, offset=1))


@bp.route("/versions/<int:number>/export", methods=["POST"], endpoint="version_export")
@access(Role.STRATEGY_TEAM, Role.REVIEWER)
def version_export(number: int):
    version = _version_or_404(number)
    if not has_role(current_user, Role.STRATEGY_TEAM) and not any(
        review.is_member(r, current_user) for r in version.rounds
    ):
        abort(403)
    return _start_export(version=version.number)


@bp.route("/versions/diff", endpoint="version_diff")
@access(*ST)
def version_diff():
    form = DiffForm(request.args)
    if not form.validate():
        return render_template("strategy/versions.html", versions=versions.list_versions(), diff_form=form,
                               process_choice=process_choice(None)), 400
    from planner.strategy.changelog_views import render_changelog

    return render_changelog(form)


@bp.route("/versions/<int:number>/publish", methods=["POST"], endpoint="publish")
@access(*ST)
def publish(number: int):
    version = _version_or_404(number)
    perform(lambda: review.publish_version(version, current_user),
            success=_("Version %(number)s is published.", number=number))
    return redirect(url_for("strategy.version_detail", number=number))


# --- review rounds --------------------------------------------------------------------------------------------

@bp.route("/versions/<int:number>/rounds/new", methods=["GET", "POST"], endpoint="round_create")
@access(*ST)
def round_create(number: int):
    version = _version_or_404(number)
    form = RoundForm()
    if form.validate_on_submit():
        created = perform(lambda: review.create_round(version, current_user, title=form.title.data,
                                                      due_on=form.due_on.data),
                          form=form, success=_("Review round created. Now add the reviewers."))
        if created:
            return redirect(url_for("strategy.round_detail", round_id=created.value.id))
    return render_template("strategy/round_create.html", form=form, version=version), 400 if form.errors else 200


def _reviewer_choices():
    from planner.accounts.models import User

    users = db.session.scalars(select(User).where(User.role == Role.REVIEWER).order_by(User.display_name)).all()
    return [SelectChoice("", _("Please choose"))] + [SelectChoice(u.id, f"{u.name} ({u.email})") for u in users]


def _round_forms(round_, rollup):
    comment_form = CommentForm(formdata=None, round_id=round_.id)
    verdict_form = VerdictForm(formdata=None, round_id=round_.id)
    _set_round_choices(comment_form, verdict_form, rollup)
    return comment_form, verdict_form


def _set_round_choices(comment_form, verdict_form, rollup):
    sections = [(s.key, section_title(s.key, s.title)) for s in rollup.sections]
    comment_form.target.choices = (
        [SelectChoice("", _("Please choose")), SelectChoice("paper", _("The paper as a whole"))]
        + [SelectChoice(f"section:{k}", _("Section: %(title)s", title=t)) for k, t in sections]
        + [SelectChoice(f"measure:{m.number}", _("Measure %(number)s: %(title)s", number=m.number, title=m.title))
           for m in rollup.measures()]
    )
    verdict_form.section_key.choices = [SelectChoice("", _("Please choose"))] + [
        SelectChoice(k, t) for k, t in sections
    ]


def _render_round(round_, comment_form=None, verdict_form=None, member_form=None, status=200):
    rollup = versions.version_rollup(round_.version, locale=_ui_locale())
    default_comment, default_verdict = _round_forms(round_, rollup)
    if comment_form is not None:
        _set_round_choices(comment_form, default_verdict, rollup)
    if verdict_form is not None:
        _set_round_choices(default_comment, verdict_form, rollup)
    if member_form is None and has_role(current_user, Role.STRATEGY_TEAM):
        member_form = MemberForm(formdata=None)
    if member_form is not None:
        member_form.user_id.choices = _reviewer_choices()
    answer_forms = {}
    if has_role(current_user, Role.STRATEGY_TEAM):
        answer_forms = {c.id: AnswerForm(formdata=None, prefix=f"c{c.id}") for c in round_.comments if c.is_open}
    is_member = review.is_member(round_, current_user)
    # Two forms on one page carry the round's id: keep their element ids unique.
    (comment_form or default_comment).round_id.id = "comment-round-id"
    (verdict_form or default_verdict).round_id.id = "verdict-round-id"
    return render_template(
        "strategy/round.html", round=round_, state=review.round_state(round_), is_member=is_member,
        can_act=is_member or current_user.role == Role.ADMIN,
        comment_form=comment_form or default_comment, verdict_form=verdict_form or default_verdict,
        member_form=member_form, answer_forms=answer_forms, section_title=section_title,
        **view_context(rollup, offset=2),
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


@bp.route("/rounds/<int:round_id>/comments", methods=["POST"], endpoint="round_comment")
@access(Role.REVIEWER)
def round_comment(round_id: int):
    round_ = _round_for(round_id)
    form = CommentForm()
    _check_posted_round(form, round_)
    rollup = versions.version_rollup(round_.version, locale=_ui_locale())
    _set_round_choices(form, VerdictForm(formdata=None), rollup)
    if form.validate_on_submit() and perform(
        lambda: review.add_comment(round_, current_user, target=form.target.data, text=form.text.data),
        form=form, success=_("Your comment has been saved."), forbid=True,
    ):
        return redirect(url_for("strategy.round_detail", round_id=round_id))
    return _render_round(round_, comment_form=form, status=400)


@bp.route("/rounds/<int:round_id>/verdicts", methods=["POST"], endpoint="round_verdict")
@access(Role.REVIEWER)
def round_verdict(round_id: int):
    round_ = _round_for(round_id)
    form = VerdictForm()
    _check_posted_round(form, round_)
    rollup = versions.version_rollup(round_.version, locale=_ui_locale())
    _set_round_choices(CommentForm(formdata=None), form, rollup)
    if form.validate_on_submit() and perform(
        lambda: review.set_verdict(round_, current_user, section_key=form.section_key.data,
                                   verdict=form.verdict.data, reason=form.reason.data),
        form=form, success=_("Your verdict has been saved."), forbid=True,
    ):
        return redirect(url_for("strategy.round_detail", round_id=round_id))
    return _render_round(round_, verdict_form=form, status=400)


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


# --- the public paper -----------------------------------------------------------------------------------------

def _published_or_404(number: int) -> PaperVersion:
    version = _version_or_404(number)
    if not version.is_published:
        _not_found(_("Version %(number)s of the paper has not been published.", number=number))
    return version


@bp.route("/published", endpoint="published_latest")
@access(PUBLIC)
def published_latest():
    version = versions.latest_published()
    if version is None:
        return render_template("strategy/published_none.html")
    return redirect(url_for("strategy.published", number=version.number))


@bp.route("/published/<int:number>", endpoint="published")
@access(PUBLIC)
def published(number: int):
    version = _published_or_404(number)
    rollup = versions.version_rollup(version, locale=_paper_locale(), short=_wants_short())
    return render_template("strategy/published.html", version=version, formats=FORMATS,
                           **view_context(rollup, offset=1, links=False))


@bp.route("/published/<int:number>/export", endpoint="published_export")
@access(PUBLIC)
def published_export(number: int):
    version = _published_or_404(number)
    code = request.args.get("format", "")
    if code not in FORMATS:
        abort(make_response(*render_error(400, _("Unknown export format."))))
    rollup = versions.version_rollup(version, locale=_paper_locale(), short=_wants_short())
    path = versions.published_export(version, rollup, code, versions.published_exports_folder())
    # The bytes, not the open file: a client that never closes its response cannot leave the file open.
    return send_file(io.BytesIO(path.read_bytes()), mimetype=FORMATS[code].mimetype, as_attachment=True,
                     download_name=filename(rollup, code), max_age=3600)

