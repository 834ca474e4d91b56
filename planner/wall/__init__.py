from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_object_action
from planner.core.permissions import Role

bp = Blueprint("wall", __name__, url_prefix="/wall")

from planner.wall import views  # noqa: E402,F401


def _may_open(workshop_id, user):
    from planner.extensions import db
    from planner.findings import services as findings
    from planner.workshops.models import Workshop

    workshop = db.session.get(Workshop, workshop_id)
    return workshop is not None and (findings.may_read_workshop(user, workshop) or findings.facilitates(user, workshop))


add_object_action("workshop", "wall.workshop", _l("Card walls"), param="workshop_id",
                  roles=(Role.EXPERT, Role.FACILITATOR, Role.STRATEGY_TEAM), order=15, when=_may_open)
