from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_nav, add_object_action
from planner.core.permissions import Role

bp = Blueprint("findings", __name__, url_prefix="/findings")

from planner.findings import services, views  # noqa: E402,F401

add_nav("findings.need_list", _l("Needs"), order=45)
add_nav("findings.measure_list", _l("Measures"), order=50)
add_nav("findings.gaps", _l("Gaps"), roles=(Role.FACILITATOR, Role.STRATEGY_TEAM), order=55)


def _workshop_rule(rule):
    """Offer the link only where the page would let the user in (the pages check again)."""

    def when(workshop_id, user):
        from planner.extensions import db
        from planner.workshops.models import Workshop

        workshop = db.session.get(Workshop, workshop_id)
        return workshop is not None and rule(user, workshop)

    return when


add_object_action("workshop", "findings.capture", _l("Capture findings"), param="workshop_id",
                  roles=(Role.EXPERT, Role.FACILITATOR), order=10, when=_workshop_rule(
                      lambda user, w: services.may_capture(user, w) and not services.is_closed_for(user, w)))
add_object_action("workshop", "findings.documentation", _l("Documentation"), param="workshop_id",
                  roles=(Role.EXPERT, Role.FACILITATOR, Role.STRATEGY_TEAM), order=20,
                  when=_workshop_rule(services.may_read_workshop))
