"""The background import of a confirmed upload (large files from the web UI; the CLI imports synchronously)."""

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from planner.core.errors import DomainError
from planner.extensions import db
from planner.jobs.services import JobContext, open_label, task

IMPORT_TASK = "surveys.import"


@task(IMPORT_TASK, label=_l("Import of a citizen survey"))
def import_task(ctx: JobContext, *, upload_id: int, importer_id: int, allow_duplicates: bool = False) -> None:
    """One transaction, as in the request: all responses or none. Progress is reported per batch in percent of the
    file read (on SQLite the import's own write lock may make the worker skip these intermediate updates)."""
    from planner.accounts.models import User
    from planner.surveys import services
    from planner.surveys.models import SurveyUpload

    user = db.session.get(User, importer_id)
    upload = db.session.get(SurveyUpload, upload_id)
    if user is None or upload is None or not services.may_use_upload(user, upload):
        raise DomainError(_l("The upload is no longer there. Please upload the file again."))
    token, size = upload.token, max(upload.file_size, 1)
    ctx.progress(0, 100, _("Reading the file"))

    def progress(rows: int, position: int | None) -> None:
        percent = min(99, round(100 * position / size)) if position is not None else 0
        ctx.progress(percent, 100, _("%(num)s responses read", num=rows))

    survey = services.import_upload(user, upload, current_app.instance_path, progress=progress,
                                    allow_duplicates=allow_duplicates)
    survey_id, title, count = survey.id, survey.title, survey.response_count
    db.session.commit()
    services.remove_upload_file(token, current_app.instance_path)
    ctx.progress(100, 100, _("Survey no. %(id)s “%(title)s” imported with %(count)s responses; it is listed under "
                             "Citizen survey.", id=survey_id, title=title, count=count))
    # A fixed local path: the worker has no request to build a URL from (url_for would need SERVER_NAME).
    ctx.set_link(f"/surveys/{survey_id}", open_label(title))


SUGGEST_TASK = "surveys.suggest_codes"


@task(SUGGEST_TASK, label=_l("Code suggestions for citizen comments"))
def suggest_codes_task(ctx: JobContext, *, survey_id: int) -> None:
    """Re-trains the comment coding's suggestions of a large survey (planner.surveys.coding) outside a request."""
    from planner.surveys import coding
    from planner.surveys.models import Survey

    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise DomainError(_l("The survey is no longer there."))
    ctx.progress(0, 100, _("Learning from the confirmed codes"))
    result = coding.refresh_suggestions(survey, current_app.instance_path)
    title = survey.title
    db.session.commit()
    ctx.progress(100, 100, _("Suggestions renewed for %(num)s comments.", num=result.suggested))
    ctx.set_link(f"/surveys/{survey_id}/coding", open_label(title))
