"""The jobs API other packages use.

Register a task once, at import time of your package's module::

    from planner.jobs.services import JobContext, task

    @task("strategy.export_paper", label=_l("Export of the concept paper"))
    def export_paper(ctx: JobContext, *, version_id: int, fmt: str) -> None:
        rollup = build_rollup(...)
        ctx.progress(1, 3, _("Roll-up built"))
        path = ctx.output_path("handlungskonzept.pdf")   # instance/jobs/<id>/handlungskonzept.pdf
        write_pdf(rollup, path)
        ctx.progress(3, 3)
        ctx.set_result(path)                             # offered as a download on /jobs/<id>
        ctx.set_link("/surveys/7", _("Open the survey"))  # or a link to a page (local paths only)

Start it from a view (the job runs once the request commits)::

    job = enqueue("paper_export", "strategy.export_paper", actor_id=current_user.id, version_id=7, fmt="pdf")
    db.session.commit()
    return redirect(url_for("jobs.detail", job_id=job.id))

Tasks run in the worker process (``make worker``; ``make run`` starts one beside the app) inside an app
context with their own database session: commit your work (in batches for long work). A raised
exception marks the job failed with the error's message (a DomainError's text is shown as is; others
show a generic text and are logged). Parameters must be JSON values (ids, strings, numbers).
"""

from __future__ import annotations

import logging
import shutil
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, update
from sqlalchemy.exc import OperationalError

from planner.core.errors import DomainError, NotAllowed
from planner.core.models import utcnow
from planner.core.permissions import Role
from planner.core.security import is_safe_redirect
from planner.extensions import db
from planner.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegisteredTask:
    name: str
    func: Callable
    label: object


_TASKS: dict[str, RegisteredTask] = {}


def task(name: str, *, label=None) -> Callable[[Callable], Callable]:
    """Registers ``func(ctx: JobContext, **params)`` as a background task under ``name``."""

    def decorate(func: Callable) -> Callable:
        _TASKS[name] = RegisteredTask(name, func, label or name)
        return func

    return decorate


def registered_task(name: str) -> RegisteredTask | None:
    return _TASKS.get(name)


def task_label(job: Job):
    registered = _TASKS.get(job.task)
    return registered.label if registered else job.kind


class JobContext:
    """What a running task gets: its job's id and params, progress reporting and a folder for its result."""

    def __init__(self, job: Job):
        self.job_id = job.id
        self.params = dict(job.params or {})
        self.folder = job_folder(job.id)
        self._result: Path | None = None
        self._result_name: str | None = None
        self._link: tuple[str, str] | None = None
        self._warning: str | None = None

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        """Records how far the task got. Written in its own short transaction, so the job page sees it
        while the task's own work is still uncommitted (skipped when SQLite is locked by that work)."""
        values = {"progress_done": int(done), "message": str(message)[:500]}
        if total is not None:
            values["progress_total"] = int(total)
        _write_job(self.job_id, values, wait=False)

    def output_path(self, filename: str) -> Path:
        """A path in this job's folder of the instance folder (created), for the result file."""
        safe = Path(filename).name
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / safe

    def set_result(self, path: Path | str, download_name: str | None = None) -> None:
        self._result = Path(path)
        self._result_name = download_name or Path(path).name

    def set_link(self, url: str, label: str) -> None:
        """A link shown on the job page once the job is done (e.g. to the imported survey). Only local paths
        ("/surveys/7"): the URL is built inside the worker, where there may be no request to build it from."""
        if not is_safe_redirect(url):
            raise ValueError(f"a job's link must be a local path, not {url!r}")
        self._link = (url[:500], str(label)[:200])

    def set_warning(self, text: str) -> None:
        """The job is done, but part of it did not work (e.g. some e-mails could not be sent): shown as a warning
        on the job page instead of the success message."""
        self._warning = str(text)[:4000]


def open_label(title: str) -> str:
    """A link label "Open “<title>”" for ``set_link``, translated in the jobs catalogue (for tasks of packages that
    would otherwise need a string of their own)."""
    from flask_babel import gettext

    return gettext("Open “%(title)s”", title=title)


def job_folder(job_id: int) -> Path:
    return Path(current_app.instance_path) / "jobs" / str(job_id)


def enqueue(kind: str, task: str | Callable, *, actor_id: int | None, **params) -> Job:
    """Creates a queued Job (flushed) and hands it to the worker once the current transaction commits.

    ``task`` is a registered task's name or the decorated function itself.
    """
    name = task if isinstance(task, str) else next((t.name for t in _TASKS.values() if t.func is task), None)
    if not name or name not in _TASKS:
        raise ValueError(f"unknown background task: {task!r}")
    job = Job(kind=kind, task=name, params=params, status=JobStatus.QUEUED, created_by_id=actor_id)
    db.session.add(job)
    db.session.flush()
    _dispatch_after_commit(job.id)
    return job


def _dispatch_after_commit(job_id: int) -> None:
    session = db.session()
    app = current_app._get_current_object()
    pending = session.info.setdefault("planner_jobs_pending", [])
    pending.append(job_id)
    if session.info.get("planner_jobs_hooked"):
        return
    session.info["planner_jobs_hooked"] = True

    def after_commit(sess):
        ids = list(sess.info.get("planner_jobs_pending", []))
        sess.info["planner_jobs_pending"] = []
        run_job = app.extensions["huey_run_job"]
        for job_id in ids:
            run_job(job_id)

    def after_rollback(sess):
        sess.info["planner_jobs_pending"] = []

    event.listen(session, "after_commit", after_commit)
    event.listen(session, "after_soft_rollback", lambda sess, tx: after_rollback(sess) if tx.parent is None else None)


def _write_job(job_id: int, values: dict, *, wait: bool = True) -> bool:
    """Updates the job row in a connection of its own and commits it."""
    try:
        with db.engine.connect() as conn:
            if conn.dialect.name == "sqlite" and not wait:
                conn.exec_driver_sql("PRAGMA busy_timeout=100")
            try:
                conn.execute(update(Job).where(Job.id == job_id).values(updated_at=utcnow(), **values))
                conn.commit()
            finally:
                if conn.dialect.name == "sqlite" and not wait:
                    conn.exec_driver_sql("PRAGMA busy_timeout=30000")
        return True
    except OperationalError:
        if wait:
            raise
        log.info("job %s: progress not written (database busy)", job_id)
        return False


def execute_job(job_id: int) -> None:
    """Runs one job (called by the worker inside an app context with a fresh session)."""
    job = db.session.get(Job, job_id)
    if job is None:
        log.warning("job %s vanished before it ran", job_id)
        return
    if job.status != JobStatus.QUEUED:
        log.info("job %s is %s; not run again", job_id, job.status)
        return
    registered = _TASKS.get(job.task)
    ctx = JobContext(job)
    db.session.rollback()  # the task starts from a clean session
    _write_job(job_id, {"status": JobStatus.RUNNING, "started_at": utcnow(), "message": ""})
    if registered is None:
        _write_job(job_id, {"status": JobStatus.FAILED, "finished_at": utcnow(),
                            "error": f"unknown task {job.task!r}"})
        return
    try:
        registered.func(ctx, **ctx.params)
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - every failure is recorded on the job
        db.session.rollback()
        if isinstance(error, DomainError):
            text = str(error.message)
        else:
            log.error("job %s (%s) failed:\n%s", job_id, job.task, traceback.format_exc())
            text = f"{type(error).__name__}: {error}"
        _write_job(job_id, {"status": JobStatus.FAILED, "finished_at": utcnow(), "error": text[:4000]})
        return
    finally:
        db.session.remove()
    values = {"status": JobStatus.DONE, "finished_at": utcnow()}
    if ctx._result is not None:
        instance = Path(current_app.instance_path).resolve()
        values["result_path"] = str(ctx._result.resolve().relative_to(instance))
        values["result_name"] = ctx._result_name
    if ctx._link is not None:
        values["result_url"], values["result_label"] = ctx._link
    if ctx._warning:
        values["error"] = ctx._warning
    _write_job(job_id, values)


# --- reading -----------------------------------------------------------------------------------------------

def can_see(job: Job, user) -> bool:
    return bool(user and user.is_authenticated and (user.role == Role.ADMIN or job.created_by_id == user.id))


def get_job_for(job_id: int, user) -> Job:
    """The job, if ``user`` may see it (its creator or an admin); NotAllowed otherwise."""
    job = db.session.get(Job, job_id)
    if job is None or not can_see(job, user):
        raise NotAllowed(_l("This job does not exist or belongs to someone else."))
    return job


def result_link(job: Job) -> tuple[str, str] | None:
    """(url, label) of a done job's link, if it has a safe one."""
    if job.status != JobStatus.DONE or not job.result_url or not is_safe_redirect(job.result_url):
        return None
    return job.result_url, job.result_label or job.result_url


def result_file(job: Job) -> Path | None:
    if job.status != JobStatus.DONE or not job.result_path:
        return None
    instance = Path(current_app.instance_path).resolve()
    path = (instance / job.result_path).resolve()
    if not path.is_relative_to(instance) or not path.is_file():
        return None
    return path


def jobs_query(user):
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    stmt = select(Job).options(selectinload(Job.created_by)).order_by(Job.created_at.desc(), Job.id.desc())
    if user.role != Role.ADMIN:
        stmt = stmt.where(Job.created_by_id == user.id)
    return stmt


def delete_job_files(job: Job) -> None:
    shutil.rmtree(job_folder(job.id), ignore_errors=True)
