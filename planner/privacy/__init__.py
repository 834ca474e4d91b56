from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_nav, add_object_action
from planner.core.permissions import Role

bp = Blueprint("privacy", __name__, url_prefix="/privacy-requests")

from planner.privacy import retention, views  # noqa: E402,F401

add_nav("privacy.my_data", _l("My data"), roles="signed_in", order=95)
add_nav("privacy.requests", _l("Privacy requests"), roles=[Role.ADMIN], order=91)
add_nav("privacy.audit", _l("Audit log"), roles=[Role.ADMIN], order=92)
add_nav("privacy.retention", _l("Retention"), roles=[Role.ADMIN], order=93)
add_object_action("person", "privacy.person", _l("Data export (JSON)"), param="person_id", roles=[Role.ADMIN],
                  order=80)
add_object_action("person", "privacy.erase", _l("Erase (Art. 17)"), param="person_id", roles=[Role.ADMIN],
                  order=81)
