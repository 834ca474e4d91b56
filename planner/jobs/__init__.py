"""Background jobs: long work (paper export, bulk invitations, large survey imports) off the request, with
its progress and result on /jobs/<id>. Huey runs them (planner/jobs/queue.py); packages use
planner.jobs.services (task, enqueue, JobContext)."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_nav
from planner.core.permissions import Role

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.record_once
def _init_queue(state):
    from planner.jobs.queue import make_huey

    make_huey(state.app)


from planner.jobs import tasks, views  # noqa: E402,F401

add_nav("jobs.list", _l("Background jobs"), roles=(Role.ADMIN,), order=95)
