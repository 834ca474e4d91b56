from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text

from planner.core.permissions import PUBLIC, access
from planner.core.security import is_safe_redirect
from planner.extensions import db
from planner.site import bp, services
from planner.site.forms import FeedbackForm


@bp.route("/")
@access(PUBLIC)
def index():
    from planner.city.services import setup_pending
    from planner.strategy.consultation import open_consultations

    return render_template("site/index.html", dashboard=services.build_dashboard(),
                           setup_pending=current_user.is_authenticated and setup_pending(),
                           consultations=open_consultations())


@bp.route("/language", methods=["POST"])
@access(PUBLIC)
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    target = request.form.get("next", "")
    return redirect(target if is_safe_redirect(target) else url_for("site.index"))


def _legal(kind: str):
    """The city's text of a legal page in the UI's language (Markdown, sanitised), under its h1."""
    from flask_babel import get_locale

    from planner.city.services import legal_text
    from planner.core.text import render_markdown

    locale = "en" if str(get_locale()).startswith("en") else "de"
    return render_markdown(legal_text(kind, locale), top=2)


@bp.route("/privacy")
@access(PUBLIC)
def privacy():
    return render_template("site/privacy.html", body=_legal("privacy"))


@bp.route("/accessibility", methods=["GET", "POST"])
@access(PUBLIC)
def accessibility():
    form = FeedbackForm()
    if request.method == "GET":
        form.page.data = request.referrer or ""
    if form.validate_on_submit():
        services.record_accessibility_feedback(form.message.data, form.contact_email.data or "", form.page.data or "")
        db.session.commit()
        flash(_("Thank you. Your feedback has been sent to the Smart City team."), "success")
        return redirect(url_for("site.accessibility"))
    return render_template("site/accessibility.html", form=form, body=_legal("accessibility"))


@bp.route("/easy-language")
@access(PUBLIC)
def easy_language():
    return render_template("site/easy_language.html", body=_legal("easy_language"))


@bp.route("/healthz")
@access(PUBLIC)
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy"
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
