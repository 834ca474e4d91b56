from planner.core.permissions import Role
from planner.extensions import db
from planner.jobs.models import Job, JobStatus
from tests import factories
from tests.permission_rules import ALL, SIGNED_IN, STAFF, Rule


def _someone_elses_job():
    """A finished job created by another user: only admins see it; for everyone else it does not exist."""
    owner = factories.user(role=Role.STRATEGY_TEAM)
    job = Job(kind="recount", task="jobs.recount", params={}, status=JobStatus.RUNNING, created_by_id=owner.id)
    db.session.add(job)
    db.session.flush()
    return {"job_id": job.id}


NOT_FOUND_FOR_OTHERS = {r: 404 for r in ALL if r != Role.ADMIN.value}

RULES = {
    "jobs.list": Rule(SIGNED_IN),
    "jobs.detail": Rule(SIGNED_IN, params=_someone_elses_job, ok_for=NOT_FOUND_FOR_OTHERS),
    "jobs.status": Rule(SIGNED_IN, params=_someone_elses_job, ok_for=NOT_FOUND_FOR_OTHERS),
    # Running jobs have no result yet: 404 for everyone, after the access check (anonymous → sign-in).
    "jobs.download": Rule(SIGNED_IN, params=_someone_elses_job, ok=404),
    "jobs.recount": Rule((), method="POST", ok=302),
    # Only the job's creator may start it again: staff do not see another's job (404); an admin sees it but
    # may not start it again in that person's name (403).
    "jobs.retry": Rule(STAFF, method="POST", params=_someone_elses_job, ok=404, ok_for={Role.ADMIN.value: 403}),
}
