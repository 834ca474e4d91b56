from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_nav
from planner.core.permissions import Role

bp = Blueprint("surveys", __name__, url_prefix="/surveys")

from planner.surveys import coding_views, tasks, views  # noqa: E402,F401

add_nav("surveys.list", _l("Citizen survey"), roles=[Role.FACILITATOR, Role.STRATEGY_TEAM], order=60)


@bp.context_processor
def _survey_helpers():
    from flask_babel import format_decimal, format_percent

    from planner.surveys.charts import format_value

    def number(value, pattern="0.00"):
        return "–" if value is None else format_decimal(value, pattern)

    def percent(value):
        return "–" if value is None else format_percent(value)

    from planner.surveys.models import QuestionKind

    def language_name(code):
        from babel import Locale
        from flask_babel import get_locale
        from flask_babel import gettext as _

        if not code or code == "unk":
            return _("unknown language or script")
        return Locale.parse(str(get_locale())).languages.get(code, code)

    return {
        "language_name": language_name,
        "zip": zip,
        "kind_label": lambda kind: QuestionKind(kind).label,
        "format_chart_value": format_value,
        "fmt_number": number,
        "fmt_percent": percent,
    }
