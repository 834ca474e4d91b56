"""After the vote: each adopted measure becomes a monitored action with a responsible unit, tasks, dated status
updates and KPI values; progress reports freeze a snapshot per period."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_nav
from planner.core.permissions import Role

bp = Blueprint("monitoring", __name__, url_prefix="/monitoring")

from planner.monitoring import notify_views, views  # noqa: E402,F401

add_nav("monitoring.overview", _l("Implementation"), roles=[Role.STRATEGY_TEAM], order=75)
