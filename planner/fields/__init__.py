from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_nav
from planner.core.permissions import Role

bp = Blueprint("fields", __name__, url_prefix="/fields")

from planner.fields import views  # noqa: E402,F401

add_nav("fields.list", _l("Action fields"), order=20)
add_nav("fields.processes", _l("Strategy processes"), roles=[Role.ADMIN], order=89)
