from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_nav

bp = Blueprint("findings", __name__, url_prefix="/findings")

from planner.findings import views  # noqa: E402,F401

add_nav("findings.measure_list", _l("Measures"), order=50)
