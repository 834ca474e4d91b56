"""Pages of the concept paper: overview, sections, exports, versions, review rounds, the public paper."""

import io

from flask import abort, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.core.forms import is_stale, perform, stale_conflict
from planner.core.permissions import PUBLIC, Role, access, has_role
from planner.core.web import render_error
from planner.extensions import db
from planner.fields.services import process_choice
from planner.jobs.services import enqueue
from planner.strategy import bp, goals, review, services, versions
from planner.strategy.exporters import FORMATS, filename
from planner.strategy.exporters.html import view_context
from planner.strategy.forms import (
    DiffForm,
    FreezeForm,
    SectionForm,
)
from planner.strategy.models import PaperVersion, ReviewRound
from planner.strategy.readiness import readiness_overview
from planner.strategy.rollup import build_rollup, shorten
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


def version_or_404(number: int) -> PaperVersion:
    """The paper version ``number``; otherwise a 404 page that says which version does not exist (the paper's,
    review and council views share it)."""
    try:
        return versions.get_version(number)
    except versions.UnknownVersion as error:
        _not_found(error.message)


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
        freeze_form=FreezeForm(), field_goals=goals.fields_with_goals(),
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


@bp.route("/versions/<int:number>/view", endpoint="version_view")
@access(Role.STRATEGY_TEAM, Role.REVIEWER)
def version_view(number: int):
    """The frozen version, read-only, long or short. A member of an open review round of it (or, while the
    version's public consultation is open, anyone here) finds a link under each paragraph to comment on it, and in
    the short edition one per measure. Reviewers see the versions of their rounds only."""
    version = version_or_404(number)
    is_staff = has_role(current_user, Role.STRATEGY_TEAM)
    if not is_staff and not any(review.is_member(r, current_user) for r in version.rounds):
        abort(403)
    full = versions.version_rollup(version, locale=_paper_locale())
    short = _wants_short()
    context = view_context(shorten(full) if short else full, offset=1, links=is_staff)
    commenting = _commenting(version, full, context["outline"])
    context.update(commenting.pop("controls", {}))
    return render_template("strategy/version_view.html", version=version, short=short, is_staff=is_staff,
                           **commenting, **context)


def _commenting(version: PaperVersion, rollup, outline) -> dict:
    """Where the version page's comment links go: the first open round of the version the viewer may act in, else
    its public consultation while it is open; nothing otherwise."""
    from planner.core.timeutil import local_today
    from planner.strategy import comment_links, consultation
    from planner.strategy.review_views import _Urls

    for round_ in version.rounds:
        if round_.is_open and (review.is_member(round_, current_user) or current_user.role == Role.ADMIN):
            titles = {p.key: p.title for p in review.parts_of(rollup)}
            return {"comment_round": round_, "controls": comment_links.review_controls(
                round_, outline, rollup, _Urls(round_).paragraph, titles)}
    found = consultation.consultation_of(version)
    if found is not None and found.is_open(local_today()):
        passages = consultation.passages(version, outline.language)
        return {"comment_consultation": found,
                "controls": comment_links.consultation_controls(found, outline, rollup, passages)}
    return {}


@bp.route("/versions/<int:number>/export", methods=["POST"], endpoint="version_export")
@access(Role.STRATEGY_TEAM, Role.REVIEWER)
def version_export(number: int):
    version = version_or_404(number)
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


# --- review rounds: planner/strategy/review_views.py -------------------------------------------------------


# --- the public paper -----------------------------------------------------------------------------------------

def _published_or_404(number: int) -> PaperVersion:
    version = version_or_404(number)
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

