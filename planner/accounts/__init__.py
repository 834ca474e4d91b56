from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_nav
from planner.core.permissions import Role

bp = Blueprint("accounts", __name__)

from planner.accounts import views  # noqa: E402,F401
from planner.accounts.limits import init_limiter  # noqa: E402

bp.record_once(init_limiter)

add_nav("accounts.users", _l("Users"), roles=[Role.ADMIN], order=90)
