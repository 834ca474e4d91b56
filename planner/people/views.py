from flask import abort, render_template, request

from planner.core.permissions import STAFF, access
from planner.extensions import db
from planner.fields.services import list_fields
from planner.people import bp, services
from planner.people.forms import RosterFilterForm
from planner.people.models import Person


@bp.route("/", endpoint="list")
@access(*STAFF)
def list_people():
    form = RosterFilterForm(request.args)
    form.set_choices(list_fields())
    form.validate()
    field_id = int(form.field.data) if (form.field.data or "").isdigit() else None
    stmt = services.roster_query(field_id=field_id, sector=form.sector.data or None, search=form.q.data or None)
    page = db.paginate(stmt, per_page=50, error_out=False)
    filters = {k: v for k, v in request.args.items() if k in ("q", "field", "sector") and v}
    return render_template("people/list.html", page=page, form=form, filters=filters)


@bp.route("/<int:person_id>", endpoint="detail")
@access(*STAFF)
def detail(person_id: int):
    person = db.session.get(Person, person_id) or abort(404)
    return render_template("people/detail.html", person=person)
