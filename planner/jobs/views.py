from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planner.core.errors import NotAllowed
from planner.core.forms import perform
from planner.core.permissions import SIGNED_IN, STAFF, Role, access
from planner.extensions import db
from planner.jobs import bp, services
from planner.jobs.tasks import RECOUNT


def _load(job_id: int):
    try:
        return services.get_job_for(job_id, current_user)
    except NotAllowed:
        abort(404)


@bp.route("/", endpoint="list")
@access(SIGNED_IN)
def list_jobs():
    page = db.paginate(services.jobs_query(current_user), per_page=50, error_out=False)
    return render_template("jobs/list.html", page=page, label=services.task_label)


@bp.route("/<int:job_id>", endpoint="detail")
@access(SIGNED_IN)
def detail(job_id: int):
    job = _load(job_id)
    return render_template("jobs/detail.html", job=job, label=services.task_label(job), **_status_context(job))


def _status_context(job) -> dict:
    retried = services.retry_of(job) if job.status == services.JobStatus.FAILED else None
    return {"has_file": services.result_file(job) is not None, "link": services.result_link(job),
            "retried": retried, "may_retry": retried is None and services.can_retry(job, current_user)}


@bp.route("/<int:job_id>/status", endpoint="status")
@access(SIGNED_IN)
def status(job_id: int):
    """The progress fragment htmx polls every second while the job runs."""
    job = _load(job_id)
    response = render_template("jobs/_status.html", job=job, **_status_context(job))
    return response, 200, {"Cache-Control": "no-store"}


@bp.route("/<int:job_id>/download", endpoint="download")
@access(SIGNED_IN)
def download(job_id: int):
    job = _load(job_id)
    path = services.result_file(job) or abort(404)
    return send_file(path, as_attachment=True, download_name=job.result_name or path.name)


@bp.route("/recount", methods=["POST"], endpoint="recount")
@access(Role.ADMIN)
def start_recount():
    job = services.enqueue("recount", RECOUNT, actor_id=current_user.id)
    db.session.commit()
    flash(_("The job has been started."), "success")
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.route("/<int:job_id>/retry", methods=["POST"], endpoint="retry")
@access(*STAFF)
def retry(job_id: int):
    """Starts a failed job again (a new job with the same parameters); only its creator may."""
    job = _load(job_id)
    done = perform(lambda: services.retry_job(current_user, job), success=_("The job has been started again."),
                   forbid=True)
    if not done:
        return redirect(url_for("jobs.detail", job_id=job.id))
    return redirect(url_for("jobs.detail", job_id=done.value.id))
