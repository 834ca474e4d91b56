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
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import OperationalError

from planner.core.errors import DomainError, InvalidTransition, NotAllowed
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
        values = {"progress_done": int(done), "message": str(message)[:500], "heartbeat_at": utcnow()}
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


# The jobs this process is running right now: alive by definition, whatever their row's heartbeat says (on SQLite a
# task's long write can hold back its beats). The watchdog of this process never fails them.
_RUNNING_HERE: set[int] = set()
_RUNNING_LOCK = threading.Lock()


class _Heartbeat:
    """Writes the job's ``heartbeat_at`` every JOB_HEARTBEAT_SECONDS from a thread of its own while the task runs,
    so a task that reports no progress for a long time (one big PDF layout) still shows it is alive. When SQLite
    is locked by the task's own work the beat is skipped and tried again half a second later."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.app = current_app._get_current_object()
        self.interval = float(self.app.config.get("JOB_HEARTBEAT_SECONDS", 5))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"job-{job_id}-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=max(5.0, self.interval))

    def _run(self) -> None:
        with self.app.app_context():
            wait = self.interval
            while not self._stop.wait(wait):
                try:
                    written = _write_job(self.job_id, {"heartbeat_at": utcnow()}, wait=False)
                except Exception:  # noqa: BLE001 - a lost beat must never break the job
                    log.exception("job %s: heartbeat not written", self.job_id)
                    written = False
                wait = self.interval if written else min(0.5, self.interval)


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
    now = utcnow()
    _write_job(job_id, {"status": JobStatus.RUNNING, "started_at": now, "heartbeat_at": now, "message": ""})
    if registered is None:
        _write_job(job_id, {"status": JobStatus.FAILED, "finished_at": utcnow(),
                            "error": f"unknown task {job.task!r}"})
        return
    heartbeat = _Heartbeat(job_id)
    heartbeat.start()
    with _RUNNING_LOCK:
        _RUNNING_HERE.add(job_id)
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
        heartbeat.stop()
        with _RUNNING_LOCK:
            _RUNNING_HERE.discard(job_id)
        db.session.remove()
    values = {"status": JobStatus.DONE, "finished_at": utcnow()}
    if ctx._result is not None:
        instance = Path(current_app.instance_path).resolve()
        values["result_path"] = str(ctx._result.resolve().relative_to(instance))
        values["result_name"] = ctx._result_name
    if ctx._link is not None:
        values["result_url"], values["result_label"] = ctx._link
    # A job the watchdog wrongly took for dead (its beats blocked by a long write) ends as what it is: done.
    values["error"] = ctx._warning or None
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


# --- dead workers and retries -----------------------------------------------------------------------------

def _last_sign_of_life():
    return func.coalesce(Job.heartbeat_at, Job.started_at, Job.updated_at)


def recover_stale_jobs(now: datetime | None = None) -> list[int]:
    """Marks every running job whose worker stopped (no heartbeat for JOB_STALE_SECONDS) as failed, with a message
    that says so, and removes its partial files (``*.part``). Returns the ids of the jobs it marked.

    Called by the worker when it starts and every JOB_WATCHDOG_SECONDS while it runs (and by Huey's periodic
    task once a minute). Jobs this process runs itself are skipped. Each job is updated with a guarded UPDATE, so
    two workers checking at once (or a job that finishes at that moment) never fail a job twice or fail one that
    just finished."""
    from flask_babel import gettext

    now = now or utcnow()
    cutoff = now - timedelta(seconds=float(current_app.config.get("JOB_STALE_SECONDS", 30)))
    with db.engine.connect() as conn:
        ids = list(conn.scalars(select(Job.id).where(Job.status == JobStatus.RUNNING,
                                                     _last_sign_of_life() < cutoff).order_by(Job.id)))
    with _RUNNING_LOCK:
        ids = [job_id for job_id in ids if job_id not in _RUNNING_HERE]
    marked: list[int] = []
    for job_id in ids:
        text = gettext("The worker running this job stopped (for example a restart of the server or too little "
                       "memory). Partial results were removed; start the job again with “Retry”.")
        values = {"status": JobStatus.FAILED, "finished_at": now, "updated_at": now, "error": text}
        if not _fail_if_stale(job_id, cutoff, values):
            continue
        remove_partial_files(job_id)
        log.warning("job %s: no heartbeat since before %s; marked failed (its worker stopped)", job_id, cutoff)
        marked.append(job_id)
    return marked


def _fail_if_stale(job_id: int, cutoff: datetime, values: dict) -> bool:
    """The guarded UPDATE. On SQLite it never waits for the write lock: a task holding it (a long write) cannot
    write its heartbeat either, and once it commits its heartbeat (retried every half second) should win, so the
    check skips this round instead of failing a live job the moment the lock is free."""
    try:
        with db.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                conn.exec_driver_sql("PRAGMA busy_timeout=100")
            try:
                result = conn.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status == JobStatus.RUNNING, _last_sign_of_life() < cutoff)
                    .values(**values)
                )
                conn.commit()
            finally:
                if sqlite:
                    conn.exec_driver_sql("PRAGMA busy_timeout=30000")
    except OperationalError:
        log.info("job %s: database busy, checked again next round", job_id)
        return False
    return bool(result.rowcount)


def remove_partial_files(job_id: int) -> list[Path]:
    """Deletes the unfinished files (``*.part``) a task left in the job's folder."""
    folder = job_folder(job_id)
    removed = []
    if folder.is_dir():
        for part in folder.rglob("*.part"):
            part.unlink(missing_ok=True)
            removed.append(part)
    return removed


def retry_of(job: Job) -> Job | None:
    """The job that already started ``job`` again, if any."""
    return db.session.scalar(select(Job).where(Job.retry_of_id == job.id).order_by(Job.id.desc()).limit(1))


def can_retry(job: Job, user) -> bool:
    return bool(job.status == JobStatus.FAILED and user and user.is_authenticated and job.created_by_id == user.id
                and user.role in (Role.ADMIN, Role.FACILITATOR, Role.STRATEGY_TEAM) and job.task in _TASKS)


def retry_job(actor, job: Job) -> Job:
    """Starts a failed job again: a new job with the same task and parameters, started by ``actor`` (only the
    person who started the failed one, and only staff). Flushes; it runs once the caller commits."""
    if job.created_by_id != actor.id or actor.role not in (Role.ADMIN, Role.FACILITATOR, Role.STRATEGY_TEAM):
        raise NotAllowed(_l("Only the person who started a job can start it again."))
    if job.status != JobStatus.FAILED:
        raise InvalidTransition(_l("Only a failed job can be started again."))
    if job.task not in _TASKS:
        raise InvalidTransition(_l("This kind of job no longer exists."))
    again = retry_of(job)
    if again is not None:
        raise InvalidTransition(_l("This job has already been started again (job %(id)s).", id=again.id))
    new = enqueue(job.kind, job.task, actor_id=actor.id, **dict(job.params or {}))
    new.retry_of_id = job.id
    db.session.flush()
    return new
