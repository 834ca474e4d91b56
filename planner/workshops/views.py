from flask import abort, render_template
from flask_login import current_user

from planner.core.permissions import SIGNED_IN, access
from planner.extensions import db
from planner.workshops import bp, services
from planner.workshops.models import Workshop


@bp.route("/", endpoint="list")
@access(SIGNED_IN)
def list_workshops():
    page = db.paginate(services.workshops_query(), per_page=50, error_out=False)
    return render_template("workshops/list.html", page=page)


@bp.route("/<int:workshop_id>")
@access(SIGNED_IN)
def detail(workshop_id: int):
    workshop = db.session.get(Workshop, workshop_id) or abort(404)
    participations = services.participations_of(workshop) if services.may_see_participants(current_user) else None
    return render_template("workshops/detail.html", workshop=workshop, participations=participations)
