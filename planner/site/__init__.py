"""The top layer: the process dashboard and the pages every site needs (privacy, accessibility)."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_nav
from planner.core.permissions import PUBLIC

bp = Blueprint("site", __name__)

from planner.site import views  # noqa: E402,F401

add_nav("site.index", _l("Overview"), roles=PUBLIC, order=10)
