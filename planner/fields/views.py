from flask import abort, render_template

from planner.core.permissions import SIGNED_IN, access
from planner.fields import bp, services

PAGE_LIMIT = 200


@bp.route("/", endpoint="list")
@access(SIGNED_IN)
def list_fields():
    return render_template("fields/list.html", fields=services.list_fields())


@bp.route("/<code>")
@access(SIGNED_IN)
def detail(code: str):
    field = services.get_field_by_code(code) or abort(404)
    needs = field.findings.filter_by(kind="need")
    return render_template(
        "fields/detail.html",
        field=field,
        workshops=field.workshops.limit(PAGE_LIMIT).all(),
        needs=needs.limit(PAGE_LIMIT).all(),
        need_count=needs.count(),
        measures=field.measures.limit(PAGE_LIMIT).all(),
        measure_count=field.measures.count(),
    )
