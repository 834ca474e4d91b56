"""Background jobs: the API (enqueue, task, JobContext), the progress page and its permissions."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from planner.core.errors import DomainError
from planner.core.permissions import Role
from planner.extensions import db
from planner.jobs.models import Job, JobStatus
from planner.jobs.services import JobContext, enqueue, task
from planner.jobs.tasks import RECOUNT
from tests import factories
from tests.conftest import text_of

ROOT = Path(__file__).resolve().parents[2]


@task("tests.fails_with_domain_error")
def _fails_nicely(ctx: JobContext) -> None:
    ctx.progress(1, 4, "first step")
    raise DomainError("Die Datei enthält keine Antworten.")


@task("tests.crashes")
def _crashes(ctx: JobContext, *, value: int) -> None:
    raise RuntimeError(f"boom {value}")


@task("tests.writes")
def _writes(ctx: JobContext, *, email: str) -> None:
    factories.user(email=email)
    ctx.progress(1, 1, "saved")


def _job(app, job_id) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def test_a_queued_job_runs_after_the_commit_and_keeps_its_result(app):
    with app.app_context():
        admin = factories.user(role=Role.ADMIN)
        factories.field()
        factories.field()
        job = enqueue("recount", RECOUNT, actor_id=admin.id)
        job_id = job.id
        assert job.status == JobStatus.QUEUED  # nothing runs before the commit
        db.session.commit()
    job = _job(app, job_id)
    assert job.status == JobStatus.DONE
    assert job.progress_done == job.progress_total > 5
    assert job.started_at and job.finished_at
    result = Path(app.instance_path) / job.result_path
    lines = result.read_text().splitlines()
    assert lines[0] == "table,rows"
    assert "action_fields,2" in lines


def test_a_rolled_back_job_never_runs(app):
    with app.app_context():
        user = factories.user()
        db.session.commit()
        enqueue("recount", RECOUNT, actor_id=user.id)
        db.session.rollback()
        db.session.commit()
        assert db.session.scalars(select(Job)).all() == []


def test_the_task_commits_its_work(app):
    with app.app_context():
        job = enqueue("demo", "tests.writes", actor_id=None, email="new.user@example.org")
        db.session.commit()
        job_id = job.id
    with app.app_context():
        from planner.accounts.models import User

        assert db.session.scalar(select(User).where(User.email == "new.user@example.org")) is not None
    assert _job(app, job_id).status == JobStatus.DONE


def test_a_domain_error_fails_the_job_with_its_message(app, client, auth):
    user_id = auth.login(Role.STRATEGY_TEAM)
    with app.app_context():
        job = enqueue("survey_import", "tests.fails_with_domain_error", actor_id=user_id)
        db.session.commit()
        job_id = job.id
    job = _job(app, job_id)
    assert job.status == JobStatus.FAILED
    assert job.error == "Die Datei enthält keine Antworten."
    page = text_of(client.get(f"/jobs/{job_id}"))
    assert "Fehlgeschlagen" in page
    assert "Die Datei enthält keine Antworten." in page


def test_an_unexpected_error_is_recorded_too(app):
    with app.app_context():
        job = enqueue("demo", "tests.crashes", actor_id=None, value=42)
        db.session.commit()
        job_id = job.id
    job = _job(app, job_id)
    assert job.status == JobStatus.FAILED
    assert "boom 42" in job.error


def test_unknown_tasks_are_refused(ctx):
    with pytest.raises(ValueError):
        enqueue("demo", "no.such.task", actor_id=None)


def test_the_page_of_a_running_job_shows_a_progress_bar_that_polls(app, client, auth):
    user_id = auth.login(Role.FACILITATOR)
    with app.app_context():
        job = Job(kind="recount", task=RECOUNT, params={}, status=JobStatus.RUNNING, progress_done=3,
                  progress_total=12, message="Tabelle people", created_by_id=user_id)
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    response = client.get(f"/jobs/{job_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<progress id="job-progress-' in html and 'max="12" value="3"' in html
    assert f'data-hx-get="/jobs/{job_id}/status"' in html and 'data-hx-trigger="every 1s"' in html
    text = text_of(response)
    assert "3 von 12 Schritten (25 %)" in text
    assert "Aktualisieren" in text  # the way to refresh without JavaScript
    fragment = client.get(f"/jobs/{job_id}/status")
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert fragment.headers["Cache-Control"] == "no-store"


def test_a_finished_job_stops_polling_and_offers_its_download(app, client, auth):
    auth.login(Role.ADMIN)
    response = client.post("/jobs/recount")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    page = client.get(job_url)
    html = page.get_data(as_text=True)
    assert "hx-trigger" not in html
    assert "Fertig" in text_of(page)
    download = client.get(job_url + "/download")
    assert download.status_code == 200
    assert "zeilenzahlen.csv" in download.headers["Content-Disposition"]
    assert download.get_data(as_text=True).startswith("table,rows")
    download.close()


def test_only_the_creator_and_admins_see_a_job(app, client, auth):
    with app.app_context():
        owner = factories.user(role=Role.STRATEGY_TEAM, email="owner@example.org")
        db.session.commit()
        job = enqueue("recount", RECOUNT, actor_id=owner.id)
        db.session.commit()
        job_id = job.id
    auth.login(Role.STRATEGY_TEAM)  # another member of the same team: changing the id in the URL fails
    for url in (f"/jobs/{job_id}", f"/jobs/{job_id}/status", f"/jobs/{job_id}/download"):
        assert client.get(url).status_code == 404
    assert f"({job_id})" not in text_of(client.get("/jobs/"))
    auth.logout()
    auth.login_as("owner@example.org")
    assert client.get(f"/jobs/{job_id}").status_code == 200
    download = client.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200
    download.close()
    assert f"({job_id})" in text_of(client.get("/jobs/"))
    auth.logout()
    auth.login(Role.ADMIN)
    assert client.get(f"/jobs/{job_id}").status_code == 200


def _finished_job(app, user_id: int, **result) -> int:
    """A job stored as done with the given result fields (as a tampered database row might hold them)."""
    with app.app_context():
        job = Job(kind="x", task=RECOUNT, params={}, status=JobStatus.DONE, created_by_id=user_id, **result)
        db.session.add(job)
        db.session.commit()
        return job.id


def test_a_result_path_outside_the_instance_folder_is_never_served(app, client, auth):
    job_id = _finished_job(app, auth.login(Role.ADMIN), result_path="../../etc/passwd", result_name="passwd")
    assert client.get(f"/jobs/{job_id}/download").status_code == 404


def test_a_real_worker_process_runs_the_job(app, tmp_path):
    """Against the real consumer (`flask jobs worker`) and the SQLite queue in the instance folder."""
    huey = app.extensions["huey"]
    huey.immediate = False
    with app.app_context():
        admin = factories.user(role=Role.ADMIN)
        db.session.commit()
        job = enqueue("recount", RECOUNT, actor_id=admin.id, delay=0.05)
        db.session.commit()
        job_id = job.id
    assert _job(app, job_id).status == JobStatus.QUEUED
    env = {
        **os.environ,
        "PLANNER_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PLANNER_INSTANCE_PATH": app.instance_path,
        "PLANNER_SECRET_KEY": "test-secret-key",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "planner", "jobs", "worker", "--workers", "1"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        seen_running = False
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job = _job(app, job_id)
            seen_running = seen_running or job.status == JobStatus.RUNNING
            if job.is_finished:
                break
            time.sleep(0.05)
        assert job.status == JobStatus.DONE, job.error
        assert (Path(app.instance_path) / job.result_path).is_file()
        assert seen_running or job.progress_done == job.progress_total
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
    assert "Job worker" in output


@task("tests.links")
def _links(ctx: JobContext, *, url: str) -> None:
    ctx.progress(1, 1, "made it")
    ctx.set_link(url, "Zum Ergebnis")


@task("tests.partly")
def _partly(ctx: JobContext) -> None:
    ctx.progress(2, 3, "2 von 3 erledigt")
    ctx.set_link("/jobs/", "Zur Liste")
    ctx.set_warning("Eine E-Mail konnte nicht gesendet werden.")


def test_a_done_job_links_to_its_result_page(app, client, auth):
    user_id = auth.login(Role.FACILITATOR)
    with app.app_context():
        job = enqueue("demo", "tests.links", actor_id=user_id, url="/workshops/3?tab=a")
        db.session.commit()
        job_id = job.id
    job = _job(app, job_id)
    assert job.status == JobStatus.DONE
    assert (job.result_url, job.result_label) == ("/workshops/3?tab=a", "Zum Ergebnis")
    for url in (f"/jobs/{job_id}", f"/jobs/{job_id}/status"):
        html = client.get(url).get_data(as_text=True)
        assert '<a class="kern-link" href="/workshops/3?tab=a">Zum Ergebnis</a>' in html


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil", ""])
def test_a_link_to_another_site_fails_the_job(app, url):
    with app.app_context():
        job = enqueue("demo", "tests.links", actor_id=None, url=url)
        db.session.commit()
        job_id = job.id
    job = _job(app, job_id)
    assert job.status == JobStatus.FAILED and job.result_url is None


def test_a_stored_unsafe_link_is_never_shown(app, client, auth):
    job_id = _finished_job(app, auth.login(Role.ADMIN), result_url="https://evil.example/", result_label="Klick")
    html = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "evil.example" not in html and "Klick" not in html


def test_no_link_while_the_job_runs(app, client, auth):
    user_id = auth.login(Role.ADMIN)
    with app.app_context():
        job = Job(kind="x", task=RECOUNT, params={}, status=JobStatus.RUNNING, result_url="/jobs/",
                  result_label="Zur Liste", created_by_id=user_id)
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    assert "Zur Liste" not in text_of(client.get(f"/jobs/{job_id}"))


def test_a_job_done_in_part_shows_a_warning(app, client, auth):
    user_id = auth.login(Role.FACILITATOR)
    with app.app_context():
        job = enqueue("demo", "tests.partly", actor_id=user_id)
        db.session.commit()
        job_id = job.id
    job = _job(app, job_id)
    assert job.status == JobStatus.DONE and job.error == "Eine E-Mail konnte nicht gesendet werden."
    response = client.get(f"/jobs/{job_id}")
    fragment = client.get(f"/jobs/{job_id}/status").get_data(as_text=True)
    assert "kern-alert--warning" in fragment and "kern-alert--success" not in fragment
    text = text_of(response)
    assert "Nicht alles hat geklappt: Eine E-Mail konnte nicht gesendet werden." in text
    assert "Zur Liste" in text


def test_open_label_is_german(app):
    from planner.jobs.services import open_label

    with app.test_request_context():
        assert open_label("Große Welle") == "„Große Welle“ öffnen"
