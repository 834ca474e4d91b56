from flask import abort, render_template, request

from planner.core.permissions import SIGNED_IN, access
from planner.extensions import db
from planner.fields.services import list_fields
from planner.findings import bp, services
from planner.findings.forms import MeasureFilterForm
from planner.findings.models import Measure


@bp.route("/measures", endpoint="measure_list")
@access(SIGNED_IN)
def measure_list():
    form = MeasureFilterForm(request.args)
    form.set_choices(list_fields())
    form.validate()
    field_id = int(form.field.data) if (form.field.data or "").isdigit() else None
    page = db.paginate(services.measures_query(field_id, form.status.data or None), per_page=50, error_out=False)
    filters = {k: v for k, v in request.args.items() if k in ("field", "status") and v}
    return render_template("findings/measure_list.html", page=page, form=form, filters=filters)


@bp.route("/measures/<int:measure_id>", endpoint="measure_detail")
@access(SIGNED_IN)
def measure_detail(measure_id: int):
    measure = db.session.get(Measure, measure_id) or abort(404)
    return render_template("findings/measure_detail.html", measure=measure)
