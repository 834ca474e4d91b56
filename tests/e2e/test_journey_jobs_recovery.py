"""Ein abgebrochener Export: Der Prozess, der den Export des Strategieteams ausführte, wurde beendet. Die Prüfung
im Hintergrund markiert die Aufgabe als fehlgeschlagen; die Seite sagt warum, ist barrierefrei, und „Erneut
starten“ (mit der Tastatur erreicht) legt eine neue Aufgabe mit denselben Angaben an."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from planner.core.models import utcnow
from planner.extensions import db
from tests.e2e.conftest import assert_accessible, focus_by_keyboard, login, screenshot

pytestmark = pytest.mark.e2e
JOURNEY = "jobs-recovery"


def test_abgebrochene_aufgabe_erneut_starten(page, live_server):
    from planner.accounts.models import User
    from planner.jobs.models import Job, JobStatus
    from planner.jobs.services import recover_stale_jobs
    from planner.jobs.tasks import RECOUNT

    with live_server.app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == "strategie@example.org"))
        job = Job(kind="recount", task=RECOUNT, params={"delay": 0.0}, status=JobStatus.RUNNING, progress_done=1,
                  progress_total=2, created_by_id=user_id, started_at=utcnow() - timedelta(minutes=5),
                  heartbeat_at=utcnow() - timedelta(minutes=2))
        db.session.add(job)
        db.session.commit()
        job_id = job.id
        assert recover_stale_jobs() == [job_id]

    login(page, live_server, "strategie@example.org")
    page.goto(f"{live_server.url}/jobs/{job_id}")
    assert page.get_by_text("Der Prozess, der diese Aufgabe ausgeführt hat, wurde beendet").is_visible()
    assert_accessible(page, "fehlgeschlagene Aufgabe")
    screenshot(page, JOURNEY, "fehlgeschlagen")

    focus_by_keyboard(page, f"form[action='/jobs/{job_id}/retry'] button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("Die Aufgabe wurde erneut gestartet.").is_visible()
    assert_accessible(page, "erneut gestartete Aufgabe")
    with live_server.app.app_context():
        new = db.session.scalar(select(Job).where(Job.retry_of_id == job_id))
        assert new is not None and new.params == {"delay": 0.0} and new.created_by_id == user_id
    assert page.url.endswith(f"/jobs/{new.id}")

    page.goto(f"{live_server.url}/jobs/{job_id}")
    link = page.get_by_role("link", name=f"Diese Aufgabe wurde als Aufgabe {new.id} erneut gestartet.")
    assert link.is_visible()
    assert page.locator(f"form[action='/jobs/{job_id}/retry']").count() == 0
