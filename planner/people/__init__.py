from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_nav
from planner.core.permissions import Role

bp = Blueprint("people", __name__, url_prefix="/people")

from planner.people import views  # noqa: E402,F401

add_nav("people.list", _l("Experts"), roles=[Role.FACILITATOR, Role.STRATEGY_TEAM], order=40)
