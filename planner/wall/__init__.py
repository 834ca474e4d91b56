from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core.nav import add_object_action, add_object_panel
from planner.core.permissions import Role

bp = Blueprint("wall", __name__, url_prefix="/wall")

from planner.wall import views  # noqa: E402,F401


def _may_open(workshop_id, user):
    from planner.extensions import db
    from planner.findings import services as findings
    from planner.workshops.models import Workshop

    workshop = db.session.get(Workshop, workshop_id)
    return workshop is not None and (findings.may_read_workshop(user, workshop) or findings.facilitates(user, workshop))


add_object_action("workshop", "wall.workshop", _l("Card walls"), param="workshop_id",
                  roles=(Role.EXPERT, Role.FACILITATOR, Role.STRATEGY_TEAM), order=15, when=_may_open)


def _votes_panel(kind: str):
    def render(obj_id, _user):
        from flask import render_template
        from markupsafe import Markup

        from planner.wall import services

        votes = services.votes_of(**{f"{kind}_id": obj_id})
        return Markup(render_template("wall/_votes_panel.html", votes=votes)) if votes else None  # noqa: S704

    return render


def _cluster_panel(finding_id, _user):
    from flask import render_template
    from markupsafe import Markup

    from planner.wall import services

    card = services.card_of_finding(finding_id)
    if card is None or not (card.sources or card.cluster):
        return None
    return Markup(render_template("wall/_cluster_panel.html", card=card))  # noqa: S704


# The closed dot votes a finding or measure proposal took part in, on its page (an input to prioritisation).
add_object_panel("finding", _votes_panel("finding"), order=50)
# A cluster formed on the wall: the cluster's sources, or the cluster a source went into.
add_object_panel("finding", _cluster_panel, order=45)
add_object_panel("measure", _votes_panel("measure"), order=50)
