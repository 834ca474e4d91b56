"""Jobs survive a dead worker: the heartbeat, the check that marks a job whose worker stopped as failed (its
partial files removed), and "Retry" on the job page; last, a real worker killed in the middle of a job."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from planner.core.models import utcnow
from planner.core.permissions import Role
from planner.extensions import db
from planner.jobs.models import Job, JobStatus
from planner.jobs.services import JobContext, enqueue, job_folder, recover_stale_jobs, task
from planner.jobs.tasks import RECOUNT
from tests import factories
from tests.conftest import text_of

ROOT = Path(__file__).resolve().parents[2]


@task("tests.sleeps_quietly")
def _sleeps_quietly(ctx: JobContext, *, seconds: float) -> None:
    time.sleep(seconds)  # no progress reported: only the heartbeat shows the job is alive


def _job(app, job_id) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def _retry_button(job_id: int) -> str:
    return f'<form method="post" action="/jobs/{job_id}/retry">'


def _running_job(app, *, beat_seconds_ago: float, user_id=None, params=None) -> int:
    with app.app_context():
        now = utcnow()
        job = Job(kind="recount", task=RECOUNT, params=params or {}, status=JobStatus.RUNNING, progress_done=1,
                  progress_total=2, started_at=now - timedelta(minutes=10),
                  heartbeat_at=now - timedelta(seconds=beat_seconds_ago), created_by_id=user_id)
        db.session.add(job)
        db.session.commit()
        return job.id


def test_a_running_task_beats_even_without_progress(app):
    app.config["JOB_HEARTBEAT_SECONDS"] = 0.1
    with app.app_context():
        job = enqueue("demo", "tests.sleeps_quietly", actor_id=None, seconds=0.8)
        db.session.commit()
        job_id = job.id
    job = _job(app, job_id)
    assert job.status == JobStatus.DONE
    assert job.heartbeat_at - job.started_at >= timedelta(seconds=0.5)


def test_a_job_without_heartbeat_is_failed_and_its_partial_files_removed(app, client, auth):
    user_id = auth.login(Role.STRATEGY_TEAM)
    stale = _running_job(app, beat_seconds_ago=31, user_id=user_id)
    alive = _running_job(app, beat_seconds_ago=5, user_id=user_id)
    with app.app_context():
        folder = job_folder(stale)
        folder.mkdir(parents=True)
        (folder / "handlungskonzept.pdf.part").write_bytes(b"%PDF-1.7 half")
        (folder / "notes.txt").write_text("kept")
        assert recover_stale_jobs() == [stale]
        assert recover_stale_jobs() == []  # once only
    assert not (folder / "handlungskonzept.pdf.part").exists()
    assert (folder / "notes.txt").exists()
    assert _job(app, alive).status == JobStatus.RUNNING
    job = _job(app, stale)
    assert job.status == JobStatus.FAILED and job.finished_at
    response = client.get(f"/jobs/{stale}")
    page = text_of(response)
    assert "Fehlgeschlagen" in page
    assert "Der Prozess, der diese Aufgabe ausgeführt hat, wurde beendet" in page
    assert _retry_button(stale) in response.get_data(as_text=True)


_SEEN_BY_WATCHDOG: list[list[int]] = []


@task("tests.watches_itself")
def _watches_itself(ctx: JobContext) -> None:
    # An hour later, as far as the check knows: the heartbeat is long "stale", but this process runs the job.
    _SEEN_BY_WATCHDOG.append(recover_stale_jobs(now=utcnow() + timedelta(hours=1)))


def test_the_watchdog_never_fails_a_job_its_own_process_runs(app):
    with app.app_context():
        job = enqueue("demo", "tests.watches_itself", actor_id=None)
        db.session.commit()
        job_id = job.id
    assert _SEEN_BY_WATCHDOG == [[]]
    job = _job(app, job_id)
    assert job.status == JobStatus.DONE and job.error is None


def test_a_finished_job_is_never_touched(app):
    with app.app_context():
        job = Job(kind="x", task=RECOUNT, params={}, status=JobStatus.DONE,
                  heartbeat_at=utcnow() - timedelta(days=1), finished_at=utcnow())
        db.session.add(job)
        db.session.commit()
        assert recover_stale_jobs() == []
        assert db.session.get(Job, job.id).status == JobStatus.DONE


def test_retry_starts_the_same_job_again_once(app, client, auth):
    user_id = auth.login(Role.FACILITATOR)
    failed = _running_job(app, beat_seconds_ago=60, user_id=user_id, params={"delay": 0.0})
    with app.app_context():
        recover_stale_jobs()
    response = client.post(f"/jobs/{failed}/retry")
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert new_id != failed
    new = _job(app, new_id)
    assert new.status == JobStatus.DONE  # tests run jobs at once
    assert (new.task, new.params, new.retry_of_id, new.created_by_id) == (RECOUNT, {"delay": 0.0}, failed, user_id)
    assert "Die Aufgabe wurde erneut gestartet." in text_of(client.get(response.headers["Location"]))
    # The failed job now points to its retry instead of offering another one; a second POST changes nothing.
    response = client.get(f"/jobs/{failed}")
    assert f"Diese Aufgabe wurde als Aufgabe {new_id} erneut gestartet." in text_of(response)
    assert _retry_button(failed) not in response.get_data(as_text=True)
    client.post(f"/jobs/{failed}/retry")
    with app.app_context():
        assert len(db.session.scalars(select(Job).where(Job.retry_of_id == failed)).all()) == 1


def test_only_the_creator_retries_and_only_a_failed_job(app, client, auth):
    with app.app_context():
        owner = factories.user(role=Role.STRATEGY_TEAM, email="owner@example.org")
        db.session.commit()
        owner_id = owner.id
    failed = _running_job(app, beat_seconds_ago=60, user_id=owner_id)
    running = _running_job(app, beat_seconds_ago=1, user_id=owner_id)
    with app.app_context():
        recover_stale_jobs()
    auth.login(Role.STRATEGY_TEAM)
    assert client.post(f"/jobs/{failed}/retry").status_code == 404
    auth.logout()
    auth.login(Role.ADMIN)  # sees the job, may not start it in the owner's name
    assert _retry_button(failed) not in client.get(f"/jobs/{failed}").get_data(as_text=True)
    assert client.post(f"/jobs/{failed}/retry").status_code == 403
    auth.logout()
    auth.login_as("owner@example.org")
    client.post(f"/jobs/{running}/retry")
    assert "Nur eine fehlgeschlagene Aufgabe kann erneut gestartet werden." in text_of(client.get(f"/jobs/{running}"))
    with app.app_context():
        assert db.session.scalars(select(Job).where(Job.retry_of_id.is_not(None))).all() == []


def _worker(app, **settings) -> subprocess.Popen:
    env = {
        **os.environ,
        "PLANNER_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PLANNER_INSTANCE_PATH": app.instance_path,
        "PLANNER_SECRET_KEY": "test-secret-key",
        **{f"PLANNER_{k}": str(v) for k, v in settings.items()},
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "planner", "jobs", "worker", "--workers", "1"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _stop(worker: subprocess.Popen) -> str:
    if worker.poll() is None:
        worker.terminate()
    try:
        output, _ = worker.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        output, _ = worker.communicate()
    return output


def _wait_for(condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    return condition()


def test_a_worker_killed_in_the_middle_of_a_job(app, client, auth):
    """SIGKILL a real worker while it writes a job's result; a new worker marks the job failed within a minute,
    its .part file is gone, and "Retry" on the page runs it to the end."""
    app.extensions["huey"].immediate = False
    settings = {"JOB_HEARTBEAT_SECONDS": 1, "JOB_STALE_SECONDS": 6, "JOB_WATCHDOG_SECONDS": 2}
    user_id = auth.login(Role.ADMIN)
    with app.app_context():
        job = enqueue("recount", RECOUNT, actor_id=user_id, delay=1.0)
        db.session.commit()
        job_id = job.id
        folder = job_folder(job_id)
    part = folder / "row-counts.csv.part"

    first = _worker(app, **settings)
    try:
        assert _wait_for(lambda: part.exists() and _job(app, job_id).progress_done >= 1, 60), "the job never started"
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=20)
    finally:
        _stop(first)
    assert _job(app, job_id).status == JobStatus.RUNNING  # what the dead worker left behind
    assert part.exists()

    second = _worker(app, **settings)
    try:
        started = time.monotonic()
        job = _wait_for(lambda: (j := _job(app, job_id)).is_finished and j, 60)
        assert job and job.status == JobStatus.FAILED, "the job was not recovered within a minute"
        assert time.monotonic() - started < 60
        assert not list(folder.glob("*.part"))
        page = client.get(f"/jobs/{job_id}")
        assert "wurde beendet" in text_of(page) and _retry_button(job_id) in page.get_data(as_text=True)

        # "Retry" runs the same task to the end in the new worker (made quick here: no delay per table).
        with app.app_context():
            db.session.execute(update(Job).where(Job.id == job_id).values(params={"delay": 0.0}))
            db.session.commit()
        response = client.post(f"/jobs/{job_id}/retry")
        new_url = response.headers["Location"]
        new_id = int(new_url.rsplit("/", 1)[1])
        retried = _wait_for(lambda: (j := _job(app, new_id)).is_finished and j, 60)
        assert retried and retried.status == JobStatus.DONE, retried and retried.error
        download = client.get(new_url + "/download")
        assert download.status_code == 200 and download.get_data(as_text=True).startswith("table,rows")
        download.close()
    finally:
        output = _stop(second)
    assert "marked failed" in output
