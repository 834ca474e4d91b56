"""The changes between two versions of the paper ("Änderungen zwischen Versionen"): the page and its downloads."""

import io

from flask import render_template, request, send_file
from flask_babel import get_locale

from planner.core.permissions import Role, access
from planner.core.web import render_error
from planner.strategy import bp, versions
from planner.strategy.changelog import build_changelog, changelog_filename, compare_versions, write_changelog
from planner.strategy.exporters import FORMATS
from planner.strategy.exporters.html import block_context
from planner.strategy.forms import DiffForm

CHANGELOG_FORMATS = ("md", "docx", "pdf")


def _language() -> str:
    language = request.args.get("locale", "")
    return language if language in ("de", "en") else str(get_locale() or "de")


def render_changelog(form: DiffForm):
    """The page of ``strategy.version_diff`` once its form is valid."""
    try:
        changes, old, new = compare_versions(form.old.data, form.new.data)
    except versions.UnknownVersion as error:
        return render_error(404, error.message)
    outline = build_changelog(changes, old, new, _language())
    return render_template("strategy/diff.html", changes=changes, formats=CHANGELOG_FORMATS, form=form,
                           format_names={code: FORMATS[code].extension.upper() for code in CHANGELOG_FORMATS},
                           **block_context(outline, offset=1))


@bp.route("/versions/diff/export", endpoint="version_diff_export")
@access(Role.STRATEGY_TEAM)
def version_diff_export():
    form = DiffForm(request.args)
    code = request.args.get("format", "")
    if not form.validate() or code not in CHANGELOG_FORMATS:
        return render_error(400, _invalid())
    try:
        changes, old, new = compare_versions(form.old.data, form.new.data)
    except versions.UnknownVersion as error:
        return render_error(404, error.message)
    language = _language()
    output = io.BytesIO()
    write_changelog(build_changelog(changes, old, new, language), code, output)
    output.seek(0)
    return send_file(output, mimetype=FORMATS[code].mimetype, as_attachment=True,
                     download_name=changelog_filename(changes, code, language))


def _invalid() -> str:
    from flask_babel import gettext as _

    return _("Choose two versions and a format (Markdown, Word or PDF).")
