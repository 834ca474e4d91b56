from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_nav, add_object_action
from planner.core.permissions import Role

bp = Blueprint("findings", __name__, url_prefix="/findings")

from planner.findings import views  # noqa: E402,F401

add_nav("findings.need_list", _l("Needs"), order=45)
add_nav("findings.measure_list", _l("Measures"), order=50)
add_nav("findings.gaps", _l("Gaps"), roles=(Role.FACILITATOR, Role.STRATEGY_TEAM), order=55)
# Shown on every workshop page; the pages themselves check that the user takes part or facilitates.
add_object_action("workshop", "findings.capture", _l("Capture findings"), param="workshop_id",
                  roles=(Role.EXPERT, Role.FACILITATOR), order=10)
add_object_action("workshop", "findings.documentation", _l("Documentation"), param="workshop_id",
                  roles=(Role.EXPERT, Role.FACILITATOR, Role.STRATEGY_TEAM), order=20)
