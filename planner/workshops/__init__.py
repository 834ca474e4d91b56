from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_nav, add_object_action
from planner.core.permissions import Role

bp = Blueprint("workshops", __name__, url_prefix="/workshops")

from planner.workshops import views  # noqa: E402,F401

add_nav("workshops.list", _l("Workshops"), order=30)

# Links on every workshop page (other packages add theirs the same way).
add_object_action("workshop", "workshops.agenda", _l("Agenda"), "workshop_id", order=10)
add_object_action("workshop", "workshops.agenda_print", _l("Print agenda"), "workshop_id", order=11)
add_object_action("workshop", "workshops.ics", _l("Add to calendar (.ics)"), "workshop_id", order=12)
add_object_action("workshop", "workshops.networking", _l("Networking"), "workshop_id",
                  roles=(Role.FACILITATOR, Role.EXPERT), order=40)
