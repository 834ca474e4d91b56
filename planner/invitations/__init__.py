from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_nav, add_object_action
from planner.core.permissions import Role

bp = Blueprint("invitations", __name__, url_prefix="/invitations")

from planner.invitations import tasks, views  # noqa: E402,F401

# Experts answer their invitations here; facilitators reach everything from the workshop page.
add_nav("invitations.mine", _l("My invitations"), roles=[Role.EXPERT], order=35)

_FACILITATOR = [Role.FACILITATOR]
add_object_action("workshop", "invitations.invite", _l("Invite experts"), "workshop_id", _FACILITATOR, order=20)
add_object_action("workshop", "invitations.answers", _l("Answers"), "workshop_id", _FACILITATOR, order=21)
add_object_action("workshop", "invitations.poll", _l("Find a date"), "workshop_id", _FACILITATOR, order=22)
add_object_action("workshop", "invitations.checkin", _l("Check-in list"), "workshop_id", _FACILITATOR, order=23)
add_object_action("workshop", "invitations.export", _l("Participant list (CSV)"), "workshop_id", _FACILITATOR,
                  order=24)
add_object_action("workshop", "invitations.balance_workshop", _l("Sector balance"), "workshop_id",
                  [Role.FACILITATOR, Role.STRATEGY_TEAM], order=25)
add_object_action("field", "invitations.balance_field", _l("Sector balance"), "field_id",
                  [Role.FACILITATOR, Role.STRATEGY_TEAM], order=50)
