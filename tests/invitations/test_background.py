"""Many invitations and reminders go out in a background job (invitations.send): above the threshold the request
saves the invitations and queues the e-mails; the job page shows the progress and links back to the answers; a failed
e-mail stays unsent and can be sent again."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from planner.core.models import utcnow
from planner.core.security import hash_token
from planner.extensions import db
from planner.invitations import services
from planner.invitations.models import Invitation
from planner.jobs.models import Job, JobStatus
from planner.jobs.services import execute_job
from planner.workshops.models import InvitationStatus, Participation
from tests import factories
from tests.conftest import text_of
from tests.invitations import helpers

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def threshold(app):
    app.config["INVITATION_BACKGROUND_THRESHOLD"] = 2
    return 2


SEND = {"confirmed": "1"}  # the confirmation step's button: without it, the invite POST only previews

def _setup(app, n: int, **person_kw):
    with app.app_context():
        workshop = factories.workshop(title="Smarte Mobilität 2030")
        people = [factories.person(email=f"person{i}@example.org", **person_kw) for i in range(n)]
        db.session.commit()
        return workshop.id, [p.id for p in people]


def _invitations(app, wid):
    with app.app_context():
        rows = db.session.execute(
            select(Invitation, Participation).join(Participation, Participation.id == Invitation.participation_id)
            .where(Participation.workshop_id == wid).order_by(Invitation.id)).all()
        for inv, part in rows:
            db.session.expunge(inv)
            db.session.expunge(part)
        return rows


def _only_job(app) -> Job:
    with app.app_context():
        job = db.session.scalars(select(Job)).one()
        db.session.expunge(job)
        return job


def test_up_to_the_threshold_the_request_sends_the_mail_itself(app, client, auth, smtp, threshold):
    auth.login("facilitator")
    wid, ids = _setup(app, 2)
    response = client.post(f"/invitations/workshop/{wid}/invite", data={**SEND, "mode": "selection", "person_id": ids})
    assert response.headers["Location"].endswith(f"/invitations/workshop/{wid}/answers")
    assert len(smtp.messages) == 2
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Job)) == 0
    assert all(inv.sent_at for inv, _p in _invitations(app, wid))


def test_above_the_threshold_a_job_sends_the_invitations_with_progress(app, client, auth, smtp, threshold):
    user_id = auth.login("facilitator")
    wid, ids = _setup(app, 3)
    response = client.post(f"/invitations/workshop/{wid}/invite", data={**SEND, "mode": "selection", "person_id": ids})
    job = _only_job(app)
    assert response.headers["Location"].endswith(f"/jobs/{job.id}")
    assert job.task == "invitations.send" and job.created_by_id == user_id
    assert job.status == JobStatus.DONE, job.error
    assert job.progress_done == job.progress_total == 3
    assert job.params["mail"] == "invitation" and job.params["workshop_id"] == wid
    assert sorted(rcpt[0] for rcpt, _m in smtp.messages) == [f"person{i}@example.org" for i in range(3)]
    # Every e-mail carries a working personal link, and each invitation knows when its e-mail went out.
    for inv, participation in _invitations(app, wid):
        assert participation.invitation_status == InvitationStatus.INVITED and inv.sent_at
        mail = smtp.to(f"person{ids.index(participation.person_id)}@example.org")[0]
        assert mail["Subject"] == "Einladung: Smarte Mobilität 2030"
        assert inv.token_hash == hash_token(helpers.token_from(smtp.text(mail)))
    page = client.get(response.headers["Location"])
    text, html = text_of(page), page.get_data(as_text=True)
    assert "3 Einladungen wurden gespeichert; ihre E-Mails werden im Hintergrund gesendet." in text
    assert "Versand von Einladungs-E-Mails" in text and "3 E-Mails gesendet." in text
    assert f'<a class="kern-link" href="/invitations/workshop/{wid}/answers">Zurück zu den Antworten</a>' in html
    assert "nicht versendet" not in text_of(client.get(f"/invitations/workshop/{wid}/answers"))
    token = helpers.token_from(smtp.text(smtp.messages[0][1]))
    assert client.get(f"/invitations/r/{token}").status_code == 200


def test_invite_by_filter_above_the_threshold_also_goes_to_the_background(app, client, auth, smtp, threshold):
    auth.login("facilitator")
    with app.app_context():
        field = factories.field(code="MOB")
        db.session.commit()
        field_id = field.id
    wid, _ids = _setup(app, 4, fields=[])
    with app.app_context():
        from planner.fields.models import ActionField
        from planner.people.models import Person

        mob = db.session.get(ActionField, field_id)
        for person in db.session.scalars(select(Person)):
            person.fields = [mob]
        db.session.commit()
    response = client.post(f"/invitations/workshop/{wid}/invite",
                           data={**SEND, "mode": "filter", "field": str(field_id)})
    assert "/jobs/" in response.headers["Location"]
    assert len(smtp.messages) == 4


def test_a_failed_email_stays_unsent_is_reported_and_can_be_sent_again(app, client, auth, smtp, threshold):
    auth.login("facilitator")
    wid, ids = _setup(app, 3)
    smtp.refuse.add("person1@example.org")
    response = client.post(f"/invitations/workshop/{wid}/invite", data={**SEND, "mode": "selection", "person_id": ids})
    job = _only_job(app)
    assert job.status == JobStatus.DONE
    assert "person1@example.org" in job.error and "2 E-Mails gesendet." in job.message
    sent = {p.person_id: inv.sent_at for inv, p in _invitations(app, wid)}
    assert sent[ids[1]] is None and sent[ids[0]] and sent[ids[2]]
    page = client.get(response.headers["Location"])
    text = text_of(page)
    assert "Nicht alles hat geklappt: 1 E-Mail konnte nicht gesendet werden (person1@example.org)." in text
    assert "kern-alert--warning" in page.get_data(as_text=True)
    assert "Zurück zu den Antworten" in text
    # The answers page names the invitation that did not go out and offers to send it again.
    answers = text_of(client.get(f"/invitations/workshop/{wid}/answers"))
    assert "1 Einladung wurde nicht versendet" in answers and "nicht versendet" in answers
    assert "Nicht versendete Einladung erneut senden" in answers
    smtp.refuse.clear()
    response = client.post(f"/invitations/workshop/{wid}/resend", follow_redirects=True)
    assert "1 Einladung wurde versendet." in text_of(response)
    assert [rcpt for rcpt, _m in smtp.messages][-1] == ["person1@example.org"]
    assert len(smtp.messages) == 3
    assert all(inv.sent_at for inv, _p in _invitations(app, wid))
    new_token = helpers.token_from(smtp.text(smtp.messages[-1][1]))
    assert client.get(f"/invitations/r/{new_token}").status_code == 200
    answers = text_of(client.get(f"/invitations/workshop/{wid}/answers"))
    assert "erneut senden" not in answers
    response = client.post(f"/invitations/workshop/{wid}/resend", follow_redirects=True)
    assert "Alle Einladungen dieses Workshops wurden versendet." in text_of(response)
    assert len(smtp.messages) == 3


def test_many_unsent_invitations_are_sent_again_in_the_background(app, client, auth, smtp, threshold):
    auth.login("facilitator")
    wid, ids = _setup(app, 3)
    smtp.refuse.update(f"person{i}@example.org" for i in range(3))
    client.post(f"/invitations/workshop/{wid}/invite", data={**SEND, "mode": "selection", "person_id": ids})
    assert smtp.messages == []
    smtp.refuse.clear()
    response = client.post(f"/invitations/workshop/{wid}/resend")
    assert "/jobs/" in response.headers["Location"]
    assert len(smtp.messages) == 3
    assert all(inv.sent_at for inv, _p in _invitations(app, wid))


def test_while_a_job_sends_the_answers_page_says_so_and_resending_waits(app, client, auth, threshold):
    auth.login("facilitator")
    wid, ids = _setup(app, 3)
    app.extensions["huey"].immediate = False  # the job stays queued: no worker runs
    response = client.post(f"/invitations/workshop/{wid}/invite", data={**SEND, "mode": "selection", "person_id": ids})
    job = _only_job(app)
    assert job.status == JobStatus.QUEUED
    assert response.headers["Location"].endswith(f"/jobs/{job.id}")
    answers = client.get(f"/invitations/workshop/{wid}/answers")
    text = text_of(answers)
    assert "E-Mails dieses Workshops werden im Hintergrund gesendet." in text
    assert f'href="/jobs/{job.id}"' in answers.get_data(as_text=True)
    assert "wird gesendet" in text and "erneut senden" not in text
    response = client.post(f"/invitations/workshop/{wid}/resend", follow_redirects=True)
    assert "werden noch im Hintergrund gesendet" in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Job)) == 1


def test_people_who_answer_before_the_worker_sends_get_no_email(app, smtp, threshold):
    wid, ids = _setup(app, 3)
    app.extensions["huey"].immediate = False
    with app.app_context():
        from planner.people.models import Person
        from planner.workshops.models import Workshop

        workshop = db.session.get(Workshop, wid)
        people = db.session.scalars(select(Person).where(Person.id.in_(ids)).order_by(Person.id)).all()
        result = services.invite_people(None, workshop, people)
        assert result.job is not None and all(inv_sent is None for inv_sent in
                                              db.session.scalars(select(Invitation.sent_at)))
        db.session.commit()
        job_id = result.job.id
    with app.app_context():
        first = db.session.scalar(select(Participation).where(Participation.person_id == ids[0]))
        first.invitation_status = InvitationStatus.DECLINED
        second = db.session.scalar(select(Invitation).join(Participation).where(Participation.person_id == ids[1]))
        second.revoked_at = utcnow()
        db.session.commit()
    with app.app_context():
        execute_job(job_id)
    assert [rcpt for rcpt, _m in smtp.messages] == [["person2@example.org"]]
    job = _only_job(app)
    assert job.status == JobStatus.DONE and job.error is None
    assert "1 E-Mail gesendet." in job.message and "2 Personen hatten inzwischen geantwortet" in job.message


def test_many_reminders_go_out_in_a_job_and_a_failed_one_stays_due(app, client, auth, smtp, threshold):
    auth.login("facilitator")
    with app.app_context():
        workshop = factories.workshop()
        invs = [helpers.invitation(workshop=workshop)[0] for _ in range(3)]
        earlier = utcnow() - timedelta(days=2)
        invs[0].reminder_sent_at = earlier
        db.session.commit()
        wid = workshop.id
        emails = [inv.participation.person.email for inv in invs]
        inv_ids = [inv.id for inv in invs]
    smtp.refuse.add(emails[0])
    response = client.post(f"/invitations/workshop/{wid}/remind")
    job = _only_job(app)
    assert response.headers["Location"].endswith(f"/jobs/{job.id}")
    assert job.status == JobStatus.DONE and job.params["mail"] == "reminder"
    assert emails[0] in job.error
    assert sorted(r[0] for r, _m in smtp.messages) == sorted(emails[1:])
    assert all(m["Subject"].startswith("Erinnerung") for _r, m in smtp.messages)
    with app.app_context():
        reminded = {i: db.session.get(Invitation, i).reminder_sent_at for i in inv_ids}
    assert reminded[inv_ids[0]] == earlier  # the failed reminder keeps its old mark: it is due again
    assert reminded[inv_ids[1]] and reminded[inv_ids[2]]
    smtp.refuse.clear()
    response = client.post(f"/invitations/workshop/{wid}/remind", follow_redirects=True)
    assert "1 Erinnerung wurde versendet." in text_of(response)
    assert smtp.to(emails[0])


def test_a_second_click_does_not_queue_the_same_reminders_twice(app, client, auth, threshold):
    auth.login("facilitator")
    with app.app_context():
        workshop = factories.workshop()
        for _ in range(3):
            helpers.invitation(workshop=workshop)
        db.session.commit()
        wid = workshop.id
    app.extensions["huey"].immediate = False
    assert "/jobs/" in client.post(f"/invitations/workshop/{wid}/remind").headers["Location"]
    response = client.post(f"/invitations/workshop/{wid}/remind", follow_redirects=True)
    assert "Keine Erinnerungen fällig" in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Job)) == 1


def test_another_facilitator_cannot_see_the_job_page(app, client, auth, threshold):
    auth.login("facilitator")
    wid, ids = _setup(app, 3)
    response = client.post(f"/invitations/workshop/{wid}/invite", data={**SEND, "mode": "selection", "person_id": ids})
    job_url = response.headers["Location"]
    auth.logout()
    auth.login("facilitator")
    assert client.get(job_url).status_code == 404


def test_a_real_worker_sends_the_invitations(app, threshold):
    """Against the real consumer (`flask jobs worker`): no request there, the mails go to instance/outbox."""
    wid, ids = _setup(app, 3)
    app.extensions["huey"].immediate = False
    with app.app_context():
        from planner.people.models import Person
        from planner.workshops.models import Workshop

        people = db.session.scalars(select(Person).where(Person.id.in_(ids))).all()
        result = services.invite_people(None, db.session.get(Workshop, wid), people, threshold=2)
        db.session.commit()
        job_id = result.job.id
    env = {
        **os.environ,
        "PLANNER_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PLANNER_INSTANCE_PATH": app.instance_path,
        "PLANNER_SECRET_KEY": "test-secret-key",
    }
    env.pop("PLANNER_MAIL_SERVER", None)
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "planner", "jobs", "worker", "--workers", "1"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with app.app_context():
                job = db.session.get(Job, job_id)
                status, error, url = job.status, job.error, job.result_url
            if status.is_finished:
                break
            time.sleep(0.1)
        assert status == JobStatus.DONE, error
        assert error is None and url == f"/invitations/workshop/{wid}/answers"
    finally:
        worker.terminate()
        try:
            worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.communicate()
    outbox = sorted((Path(app.instance_path) / "outbox").glob("*.eml"))
    assert len(outbox) == 3
    assert all(inv.sent_at for inv, _p in _invitations(app, wid))
    body = b"".join(p.read_bytes() for p in outbox)
    assert b"/invitations/r/" in body
