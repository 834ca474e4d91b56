from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_nav
from planner.core.permissions import Role

bp = Blueprint("strategy", __name__, url_prefix="/strategy")

from planner.strategy import (  # noqa: E402,F401
    changelog_views,
    consultation_views,
    council_views,
    goals_views,
    review_views,
    tasks,
    views,
)

add_nav("strategy.paper", _l("Concept paper"), roles=[Role.STRATEGY_TEAM], order=70)
add_nav("strategy.my_rounds", _l("My review rounds"), roles=[Role.REVIEWER], order=72)
