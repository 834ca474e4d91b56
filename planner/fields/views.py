from flask import abort, render_template
from sqlalchemy.orm import selectinload

from planner.core.permissions import SIGNED_IN, access
from planner.fields import bp, services
from planner.fields.models import ActionField

PAGE_LIMIT = 200


@bp.route("/", endpoint="list")
@access(SIGNED_IN)
def list_fields():
    return render_template("fields/list.html", fields=services.list_fields())


@bp.route("/<code>")
@access(SIGNED_IN)
def detail(code: str):
    field = services.get_field_by_code(code) or abort(404)
    # The finding class through the relationship: fields sits left of findings in the domain order.
    finding = ActionField.findings.property.mapper.class_
    needs = field.findings.filter_by(kind="need")
    shown_needs = needs.options(selectinload(finding.workshop), selectinload(finding.measures))
    return render_template(
        "fields/detail.html",
        field=field,
        workshops=field.workshops.limit(PAGE_LIMIT).all(),
        needs=shown_needs.limit(PAGE_LIMIT).all(),
        need_count=needs.count(),
        measures=field.measures.limit(PAGE_LIMIT).all(),
        measure_count=field.measures.count(),
    )
