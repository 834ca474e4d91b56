from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_nav

bp = Blueprint("workshops", __name__, url_prefix="/workshops")

from planner.workshops import views  # noqa: E402,F401

add_nav("workshops.list", _l("Workshops"), order=30)
