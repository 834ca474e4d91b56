import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.core.errors import DomainError
from planner.core.forms import perform
from planner.core.history import readable_entries
from planner.core.permissions import SIGNED_IN, Role, access
from planner.extensions import db
from planner.people.models import Person
from planner.privacy import bp, services
from planner.privacy.forms import (
    AddressErasureForm,
    AddressLookupForm,
    AuditFilterForm,
    ErasureConfirmForm,
    ErasureRequestForm,
    WithdrawConsentForm,
)
from planner.privacy.models import PrivacyRequest, RequestKind, RequestStatus


def _json_download(data: dict, person_id: int) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="datenauskunft-person-{person_id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _own_person() -> Person | None:
    return db.session.get(Person, current_user.person_id) if current_user.person_id else None


# --- the person's own page -------------------------------------------------------------------------------------


@bp.route("/me")
@access(SIGNED_IN)
def my_data():
    person = _own_person()
    open_requests = []
    if person is not None:
        open_requests = db.session.scalars(
            select(PrivacyRequest).where(PrivacyRequest.person_id == person.id).order_by(PrivacyRequest.id.desc())
        ).all()
    return render_template(
        "privacy/my_data.html",
        person=person,
        requests=open_requests,
        erasure_form=ErasureRequestForm(prefix="erasure"),
        consent_form=WithdrawConsentForm(prefix="consent"),
        has_open_erasure=person is not None and services.open_request(person, RequestKind.ERASURE) is not None,
    )


@bp.route("/me/export", methods=["POST"])
@access(SIGNED_IN)
def my_export():
    person = _own_person() or abort(404)
    data = services.export_person(current_user, person)
    db.session.commit()
    return _json_download(data, person.id)


@bp.route("/me/erasure", methods=["POST"])
@access(SIGNED_IN)
def request_erasure():
    person = _own_person() or abort(404)
    form = ErasureRequestForm(prefix="erasure")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("privacy.my_data"))
    perform(lambda: services.request_erasure(current_user, person, form.note.data or ""),
            success=_("Your request has been recorded. An administrator will carry it out and you will lose "
                      "access to the planner then."))
    return redirect(url_for("privacy.my_data"))


@bp.route("/me/withdraw-consent", methods=["POST"])
@access(SIGNED_IN)
def withdraw_consent():
    person = _own_person() or abort(404)
    form = WithdrawConsentForm(prefix="consent")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("privacy.my_data"))
    perform(lambda: services.withdraw_consent(current_user, person),
            success=_("Your consent has been withdrawn. Your data will be anonymised once an administrator has "
                      "confirmed it."))
    return redirect(url_for("privacy.my_data"))


# --- administrators --------------------------------------------------------------------------------------------


@bp.route("/")
@access(Role.ADMIN)
def requests():
    status = request.args.get("status", RequestStatus.OPEN.value)
    if status not in {s.value for s in RequestStatus}:
        status = RequestStatus.OPEN.value
    stmt = (
        select(PrivacyRequest)
        .where(PrivacyRequest.status == status)
        .options(selectinload(PrivacyRequest.person), selectinload(PrivacyRequest.requested_by),
                 selectinload(PrivacyRequest.decided_by))
        .order_by(PrivacyRequest.requested_at.desc(), PrivacyRequest.id.desc())
    )
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("privacy/requests.html", page=page, status=status, statuses=list(RequestStatus))


@bp.route("/<int:request_id>/confirm", methods=["POST"])
@access(Role.ADMIN)
def confirm(request_id: int):
    privacy_request = db.session.get(PrivacyRequest, request_id) or abort(404)
    perform(lambda: services.confirm_request(current_user, privacy_request),
            success=_("The request has been carried out: the person's data is anonymised."))
    return redirect(url_for("privacy.requests"))


@bp.route("/<int:request_id>/reject", methods=["POST"])
@access(Role.ADMIN)
def reject(request_id: int):
    privacy_request = db.session.get(PrivacyRequest, request_id) or abort(404)
    perform(lambda: services.reject_request(current_user, privacy_request),
            success=_("The request has been rejected."), category="info")
    return redirect(url_for("privacy.requests"))


@bp.route("/people/<int:person_id>")
@access(Role.ADMIN)
def person(person_id: int):
    person = db.session.get(Person, person_id) or abort(404)
    return render_template("privacy/person.html", person=person, holdings=services.holdings(person),
                           erased=services.is_erased(person))


@bp.route("/people/<int:person_id>/export", methods=["POST"])
@access(Role.ADMIN)
def person_export(person_id: int):
    person = db.session.get(Person, person_id) or abort(404)
    data = services.export_person(current_user, person)
    db.session.commit()
    return _json_download(data, person.id)


@bp.route("/people/<int:person_id>/erase", methods=["GET", "POST"])
@access(Role.ADMIN)
def erase(person_id: int):
    person = db.session.get(Person, person_id) or abort(404)
    form = ErasureConfirmForm()
    if form.validate_on_submit() and perform(lambda: services.erase_person(current_user, person), form=form,
                                             success=_("The person's personal data has been erased.")):
        return redirect(url_for("privacy.person", person_id=person_id))

    return render_template("privacy/erase.html", person=person, form=form, holdings=services.holdings(person),
                           erased=services.is_erased(person))


@bp.route("/address", methods=["GET", "POST"])
@access(Role.ADMIN)
def address():
    """A request for an e-mail address without a person record (e.g. a commenter of a public consultation): what
    is held under it (GET ?email=), and its erasure (POST)."""
    form = AddressErasureForm()
    status = 200
    if request.method == "POST":
        lookup = AddressLookupForm(data={"email": form.email.data or ""})
        if form.validate_on_submit() and perform(
            lambda: services.erase_address(current_user, lookup.email.data), form=lookup,
            success=_("Everything held under the address has been erased."),
        ):
            return redirect(url_for("privacy.requests"))
        status = 400
        checked = not lookup.email.errors
    else:
        lookup = AddressLookupForm(request.args)
        checked = bool(request.args.get("email")) and lookup.validate()
    holdings = person = None
    if checked and lookup.email.data:
        try:
            holdings = services.address_holdings(lookup.email.data)
        except DomainError as error:
            lookup.email.errors = [error.message]
            status = 400
        else:
            person = services.person_with_address(lookup.email.data)
            form.email.data = services.normalise_email(lookup.email.data)
    return render_template("privacy/address.html", lookup=lookup, form=form, holdings=holdings,
                           person=person), status


@bp.route("/audit")
@access(Role.ADMIN)
def audit():
    form = AuditFilterForm(request.args)
    form.set_choices(services.audit_entities())
    valid = form.validate()
    if not valid:
        # Invalid filters are shown as errors and ignored.
        for name in list(form.errors):
            form[name].data = None
    stmt = services.audit_query(
        entity=form.entity.data or None,
        actor=(form.actor.data or "").strip() or None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        entity_id=form.entity_id.data,
    )
    page = db.paginate(stmt, per_page=50, error_out=False)
    filters = {k: v for k, v in request.args.items() if k in ("entity", "entity_id", "actor", "date_from", "date_to")
               and v}
    return render_template("privacy/audit.html", page=page, form=form, filters=filters,
                           entries=readable_entries(page.items))


@bp.route("/record")
@access(Role.ADMIN)
def record():
    from planner.privacy.ropa import build_record

    return render_template("privacy/record.html", record=build_record())


@bp.route("/record.docx")
@access(Role.ADMIN)
def record_docx():
    from planner.privacy.ropa import build_record, record_docx

    response = Response(record_docx(build_record()),
                        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response.headers["Content-Disposition"] = 'attachment; filename="verarbeitungsverzeichnis.docx"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/retention")
@access(Role.ADMIN)
def retention():
    """The dry run of the retention periods, for the data-protection officer: what would go, and why."""
    from planner.core.errors import DomainError
    from planner.privacy.retention import retention_report

    try:
        report = retention_report(dry_run=True)
    except DomainError as error:  # a wrong RETENTION setting: said on the page, nothing runs
        flash(error.message, "error")
        report = None
    return render_template("privacy/retention.html", report=report)
