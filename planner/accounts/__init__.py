from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_nav
from planner.core.permissions import Role

bp = Blueprint("accounts", __name__)

from planner.accounts import views  # noqa: E402,F401

add_nav("accounts.users", _l("Users"), roles=[Role.ADMIN], order=90)
