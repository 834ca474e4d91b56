from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.core.errors import DomainError
from planner.core.forms import is_stale, perform, show_domain_error, stale_conflict
from planner.core.pagination import ListPage
from planner.core.permissions import STAFF, Role, access
from planner.extensions import db
from planner.fields.services import list_fields, offered_fields
from planner.people import bp, services, uploads
from planner.people.forms import (
    ImportConfirmForm,
    ImportUploadForm,
    MergeForm,
    OrganisationForm,
    PersonForm,
    RosterFilterForm,
)
from planner.people.models import Organisation, Person

MAX_IMPORT_BYTES = 5 * 1024 * 1024


@bp.route("/", endpoint="list")
@access(*STAFF)
def list_people():
    form = RosterFilterForm(request.args)
    form.set_choices(list_fields(), services.list_organisations())
    form.validate()
    stmt = services.roster_query(field_id=form.int_of("field"), sector=form.sector.data or None,
                                 organisation_id=form.int_of("organisation"), search=form.q.data or None)
    page = db.paginate(stmt, per_page=50, error_out=False)
    filters = {k: v for k, v in request.args.items() if k in ("q", "field", "sector", "organisation") and v}
    return render_template("people/list.html", page=page, form=form, filters=filters)


@bp.route("/<int:person_id>", endpoint="detail")
@access(*STAFF)
def detail(person_id: int):
    person = db.session.scalar(
        select(Person).where(Person.id == person_id).options(
            # Participation lives to the right in the domain order: reached through the relationship.
            selectinload(Person.participations).selectinload(Person.participations.property.mapper.class_.workshop),
            selectinload(Person.organisation), selectinload(Person.fields),
        )
    ) or abort(404)
    history = sorted(person.participations, key=lambda p: p.workshop.starts_at, reverse=True)
    return render_template("people/detail.html", person=person, history=history)


def _person_form(person: Person | None = None, filled: bool = False) -> PersonForm:
    """The person form; ``filled`` (or a GET) fills it from the stored person alone, ignoring any submitted data.
    Retired fields are offered only to a person who has them already."""
    filled = filled or request.method == "GET"
    kwargs = {"formdata": None} if filled else {}
    form = PersonForm(obj=person, **kwargs) if person else PersonForm(**kwargs)
    form.set_choices(offered_fields(person.fields if person else ()), services.list_organisations())
    if person and filled:
        form.organisation.data = str(person.organisation_id or "")
        form.fields.data = [str(f.id) for f in person.fields]
        form.consent.data = person.has_consent
    return form


def _person_values(form: PersonForm) -> dict:
    return {
        "first_name": form.first_name.data, "last_name": form.last_name.data, "email": form.email.data,
        "title": form.title.data or "", "position": form.position.data or "",
        "organisation_id": form.organisation_id, "field_ids": form.fields.data or [], "consent": form.consent.data,
        "consent_reason": form.consent_reason.data or "",
    }


@bp.route("/new", methods=["GET", "POST"])
@access(Role.FACILITATOR)
def create():
    form = _person_form()
    if form.validate_on_submit():
        created = perform(lambda: services.create_person(current_user, **_person_values(form)), form=form,
                          success=lambda person: _("%(name)s has been added.", name=person.full_name))
        if created:
            return redirect(url_for("people.detail", person_id=created.value.id))
    return render_template("people/form.html", form=form, person=None)


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@access(Role.FACILITATOR)
def edit(person_id: int):
    person = db.session.get(Person, person_id) or abort(404)
    form = _person_form(person)
    stale = None
    if form.validate_on_submit():
        saved = perform(lambda: services.update_person(current_user, person, **_person_values(form),
                                                       version=form.submitted_version()),
                        form=form, success=_("The changes have been saved."))
        if saved:
            return redirect(url_for("people.detail", person_id=person.id))
        if is_stale(saved):
            stale = stale_conflict(form, _person_form(person, filled=True), person.version)
    return render_template("people/form.html", form=form, person=person, stale=stale), 409 if stale else 200


# --- organisations -------------------------------------------------------------------------------------------


@bp.route("/organisations", endpoint="organisations")
@access(*STAFF)
def organisations():
    page = db.paginate(services.organisations_query(), per_page=100, error_out=False)
    counts = services.person_count_by_organisation()
    return render_template("people/organisations.html", page=page, counts=counts)


@bp.route("/organisations/new", methods=["GET", "POST"])
@access(Role.FACILITATOR)
def organisation_create():
    form = OrganisationForm()
    if form.validate_on_submit() and perform(
        lambda: services.create_organisation(current_user, name=form.name.data, sector=form.sector.data), form=form,
        success=lambda organisation: _("The organisation %(name)s has been added.", name=organisation.name),
    ):
        return redirect(url_for("people.organisations"))
    return render_template("people/organisation_form.html", form=form, organisation=None)


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@access(Role.FACILITATOR)
def organisation_edit(organisation_id: int):
    organisation = db.session.get(Organisation, organisation_id) or abort(404)
    form = _filled_organisation_form(organisation) if request.method == "GET" else OrganisationForm(obj=organisation)
    stale = None
    if form.validate_on_submit():
        saved = perform(lambda: services.update_organisation(current_user, organisation, name=form.name.data,
                                                             sector=form.sector.data,
                                                             version=form.submitted_version()),
                        form=form, success=_("The changes have been saved."))
        if saved:
            return redirect(url_for("people.organisations"))
        if is_stale(saved):
            stale = stale_conflict(form, _filled_organisation_form(organisation), organisation.version)
    return render_template("people/organisation_form.html", form=form, organisation=organisation, stale=stale), \
        409 if stale else 200


def _filled_organisation_form(organisation: Organisation) -> OrganisationForm:
    form = OrganisationForm(formdata=None, obj=organisation)
    form.sector.data = organisation.sector.value
    return form


# --- CSV import ----------------------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@access(Role.FACILITATOR)
def import_upload():
    form = ImportUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(MAX_IMPORT_BYTES + 1) if upload else b""
        if not upload or not getattr(upload, "filename", ""):
            form.file.errors = [_("Please choose a CSV file.")]
        elif len(data) > MAX_IMPORT_BYTES:
            form.file.errors = [_("The file is larger than 5 MB.")]
        else:
            try:
                services.preview_import(data)
            except DomainError as error:
                show_domain_error(form, DomainError(error.message, field="file"))
            else:
                token = uploads.store_upload(data, current_user.id)
                return redirect(url_for("people.import_preview", token=token))
    return render_template("people/import_upload.html", form=form)


@bp.route("/import/preview")
@access(Role.FACILITATOR)
def import_preview():
    token = request.args.get("token", "")
    data = uploads.load_upload(token, current_user.id)
    if data is None:
        flash(_("The uploaded file is no longer available. Please upload it again."), "error")
        return redirect(url_for("people.import_upload"))
    try:
        parsed = services.preview_import(data)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("people.import_upload"))
    form = ImportConfirmForm(token=token)
    return render_template("people/import_preview.html", parsed=parsed, form=form)


@bp.route("/import/confirm", methods=["POST"])
@access(Role.FACILITATOR)
def import_confirm():
    form = ImportConfirmForm()
    token = form.token.data or ""
    data = uploads.load_upload(token, current_user.id) if form.validate_on_submit() else None
    if data is None:
        flash(_("The uploaded file is no longer available. Please upload it again."), "error")
        return redirect(url_for("people.import_upload"))
    if not perform(lambda: services.import_people(current_user, data),
                   success=lambda result: _("Import finished: %(created)s new, %(updated)s updated.",
                                            created=result.created, updated=result.updated)):
        return redirect(url_for("people.import_preview", token=token))
    uploads.delete_upload(token, current_user.id)
    return redirect(url_for("people.list"))


# --- duplicates ----------------------------------------------------------------------------------------------


@bp.route("/duplicates")
@access(Role.FACILITATOR)
def duplicates():
    pairs = services.likely_duplicates()
    return render_template("people/duplicates.html", page=ListPage.of(pairs, request.args.get("page", 1, type=int)))


@bp.route("/merge", methods=["POST"])
@access(Role.FACILITATOR)
def merge():
    form = MergeForm()
    ids = (form.keep_id.data or "", form.drop_id.data or "")
    if not form.validate_on_submit() or not all(i.isdigit() for i in ids):
        abort(400)
    keep = db.session.get(Person, int(ids[0])) or abort(404)
    duplicate = db.session.get(Person, int(ids[1])) or abort(404)
    if not services.is_likely_duplicate(keep, duplicate):
        flash(_("These two people are not listed as likely duplicates."), "error")
        return redirect(url_for("people.duplicates"))
    merged = perform(lambda: services.merge_people(current_user, keep, duplicate),
                     success=lambda kept: _("The entries have been merged into %(name)s.", name=kept.full_name))
    if not merged:
        return redirect(url_for("people.duplicates"))
    return redirect(url_for("people.detail", person_id=merged.value.id))

