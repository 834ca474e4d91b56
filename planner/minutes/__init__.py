"""The workshop minutes (Protokoll): the facilitator's text plus attendance, the agenda as held, the findings and
the measures, built as the paper's outline and rendered by the paper's writers (DOCX, PDF, HTML); sent to the
participants by their personal link. Sits right of strategy in the domain order (it uses the paper's writers)."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_object_action
from planner.core.permissions import Role

bp = Blueprint("minutes", __name__, url_prefix="/minutes")

from planner.minutes import services, tasks, views  # noqa: E402,F401


def _readable(workshop_id, user):
    from planner.extensions import db
    from planner.workshops.models import Workshop

    workshop = db.session.get(Workshop, workshop_id)
    return workshop is not None and services.may_read(user, workshop)


add_object_action("workshop", "minutes.show", _l("Minutes"), param="workshop_id",
                  roles=(Role.EXPERT, Role.FACILITATOR, Role.STRATEGY_TEAM), order=25, when=_readable)
