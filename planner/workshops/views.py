from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from planner.accounts.limits import address_key, limiter, registration_limit
from planner.core.errors import DomainError, StaleVersion
from planner.core.forms import is_stale, perform, show_domain_error, stale_conflict
from planner.core.permissions import PUBLIC, SIGNED_IN, Role, access
from planner.core.timeutil import to_local
from planner.extensions import db
from planner.fields.services import list_fields, offered_fields, process_choice
from planner.workshops import bp, calendars, services
from planner.workshops.forms import (
    AgendaBlockForm,
    CancelForm,
    ConfirmRegistrationForm,
    DuplicateForm,
    RegistrationForm,
    SeriesForm,
    ShareContactForm,
    TemplateNameForm,
    WorkshopFilterForm,
    WorkshopForm,
)
from planner.workshops.models import (
    AgendaBlock,
    CalendarFeedKind,
    CalendarToken,
    Workshop,
    WorkshopSeries,
    WorkshopStatus,
    WorkshopTemplate,
)

PLANNERS = (Role.FACILITATOR,)


def _load(workshop_id: int) -> Workshop:
    return db.session.get(Workshop, workshop_id) or abort(404)


def _confirmed() -> bool:
    return request.form.get("confirm_conflicts") == "1"


# --- workshops ------------------------------------------------------------------------------------------------


@bp.route("/", endpoint="list")
@access(SIGNED_IN)
def list_workshops():
    choice = process_choice(request.args.get("process"))
    form = WorkshopFilterForm(request.args)
    form.set_choices(services.list_series(choice.chosen), list_fields())
    form.validate()
    series_id = int(form.series.data) if (form.series.data or "").isdigit() else None
    field_id = int(form.field.data) if (form.field.data or "").isdigit() else None
    stmt = services.workshops_query(series_id=series_id, kind=form.kind.data or None, field_id=field_id,
                                    status=form.status.data or None, process=choice.chosen)
    page = db.paginate(stmt, per_page=50, error_out=False)
    filters = {k: v for k, v in request.args.items() if k in ("series", "kind", "field", "status", "process") and v}
    return render_template("workshops/list.html", page=page, form=form, filters=filters, process_choice=choice,
                           may_plan=services.may_plan(current_user) and choice.is_current)


@bp.route("/<int:workshop_id>")
@access(SIGNED_IN)
def detail(workshop_id: int):
    workshop = _load(workshop_id)
    participations = services.participations_of(workshop) if services.may_see_participants(current_user) else None
    return render_template(
        "workshops/detail.html", workshop=workshop, participations=participations,
        schedule=services.agenda_schedule(workshop), overruns=services.agenda_overruns(workshop),
        may_plan=services.may_plan(current_user), accepted=services.accepted_count(workshop),
        registration_open=services.registration_open(workshop), WorkshopStatus=WorkshopStatus,
    )


def _workshop_form(workshop: Workshop | None = None, **kw) -> WorkshopForm:
    """Retired fields are offered only to a workshop that has them already; series of the current process."""
    form = WorkshopForm(**kw)
    series = services.list_series()
    if workshop is not None and workshop.series is not None and workshop.series not in series:
        series.append(workshop.series)
    form.set_choices(series, offered_fields(workshop.fields if workshop else ()), services.facilitator_candidates())
    return form


def _filled_workshop_form(workshop: Workshop) -> WorkshopForm:
    """The edit form as the stored workshop fills it (GET, and the current side of a conflict)."""
    form = _workshop_form(workshop, formdata=None)
    form.fill(services.WorkshopData.from_workshop(workshop))
    form.version.data = workshop.version
    return form


@bp.route("/new", methods=["GET", "POST"])
@access(*PLANNERS)
def create():
    form = _workshop_form()
    templates = services.template_choices()
    form.set_template_choices(templates)
    if request.method == "GET":
        series_id = request.args.get("series", type=int)
        if series_id and db.session.get(WorkshopSeries, series_id):
            form.series.data = series_id
        if current_user.role in (Role.FACILITATOR, Role.ADMIN):
            form.facilitators.data = [current_user.id]
        chosen = next((t for t in templates if t.key == request.args.get("template")), None)
        if chosen is not None:  # "from template": the day's times and the format come from the template
            form.template.data = chosen.key
            form.start_time.data, form.end_time.data, form.format.data = chosen.start, chosen.end, chosen.format.value
    conflicts = []
    if form.validate_on_submit():
        try:
            workshop = services.create_workshop_from_template(form.to_data(), form.template.data or None,
                                                              current_user, confirmed=_confirmed())
        except services.ConflictsFound as error:
            conflicts = error.conflicts
        except DomainError as error:
            show_domain_error(form, error)
        else:
            db.session.commit()
            if workshop.agenda_blocks:
                flash(_("The workshop “%(title)s” was created as a draft, with the template's agenda.",
                        title=workshop.title), "success")
            else:
                flash(_("The workshop “%(title)s” was created as a draft.", title=workshop.title), "success")
            return redirect(url_for("workshops.detail", workshop_id=workshop.id))
    return render_template("workshops/form.html", form=form, conflicts=conflicts, workshop=None, templates=templates)


@bp.route("/<int:workshop_id>/edit", methods=["GET", "POST"])
@access(*PLANNERS)
def edit(workshop_id: int):
    workshop = _load(workshop_id)
    form = _filled_workshop_form(workshop) if request.method == "GET" else _workshop_form(workshop)
    conflicts, stale = [], None
    if form.validate_on_submit():
        try:
            services.update_workshop(workshop, form.to_data(), current_user, confirmed=_confirmed(),
                                     version=form.submitted_version())
        except services.ConflictsFound as error:
            db.session.rollback()
            conflicts = error.conflicts
        except StaleVersion as error:
            db.session.rollback()
            flash(error.message, "error")
            stale = stale_conflict(form, _filled_workshop_form(workshop), workshop.version)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Your changes were saved."), "success")
            return redirect(url_for("workshops.detail", workshop_id=workshop.id))
    return render_template("workshops/form.html", form=form, conflicts=conflicts, workshop=workshop,
                           stale=stale), 409 if stale else 200


@bp.route("/<int:workshop_id>/duplicate", methods=["GET", "POST"])
@access(*PLANNERS)
def duplicate(workshop_id: int):
    workshop = _load(workshop_id)
    form = DuplicateForm()
    if request.method == "GET":
        form.title.data = workshop.title
    if form.validate_on_submit():
        copied = perform(
            lambda: services.duplicate_workshop(workshop, form.day.data, current_user, title=form.title.data),
            form=form, success=_("The copy was created as a draft. Please check its details."),
        )
        if copied:
            return redirect(url_for("workshops.edit", workshop_id=copied.value.id))
    return render_template("workshops/duplicate.html", form=form, workshop=workshop)


@bp.route("/<int:workshop_id>/cancel", methods=["GET", "POST"])
@access(*PLANNERS)
def cancel(workshop_id: int):
    workshop = _load(workshop_id)
    if not workshop.can_become(WorkshopStatus.CANCELLED):
        flash(_("This workshop can no longer be cancelled."), "error")
        return redirect(url_for("workshops.detail", workshop_id=workshop.id))
    form = CancelForm()
    if form.validate_on_submit() and perform(
        lambda: services.cancel_workshop(workshop, form.reason.data, current_user), form=form,
        success=lambda sent: _("The workshop was cancelled. %(count)s participants were notified by e-mail.",
                               count=sent),
    ):
        return redirect(url_for("workshops.detail", workshop_id=workshop.id))
    return render_template("workshops/cancel.html", form=form, workshop=workshop)


@bp.route("/<int:workshop_id>/status", methods=["POST"])
@access(*PLANNERS)
def change_status(workshop_id: int):
    workshop = _load(workshop_id)
    try:
        status = WorkshopStatus(request.form.get("status", ""))
    except ValueError:
        abort(400)
    perform(lambda: services.change_workshop_status(workshop, status, current_user),
            success=_("The status is now “%(status)s”.", status=status.label))
    return redirect(url_for("workshops.detail", workshop_id=workshop.id))


@bp.route("/<int:workshop_id>/calendar.ics")
@access(SIGNED_IN)
def ics(workshop_id: int):
    workshop = _load(workshop_id)
    return _ics_response(calendars.build_calendar([workshop]), f"workshop-{workshop.id}.ics", attachment=True)


def _ics_response(data: bytes, filename: str, attachment: bool = False) -> Response:
    response = Response(data, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    disposition = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# --- templates ------------------------------------------------------------------------------------------------


@bp.route("/templates")
@access(*PLANNERS)
def templates():
    return render_template("workshops/templates.html", standard=services.standard_template(),
                           templates=[(t, TemplateNameForm(formdata=None, obj=t, prefix=f"t{t.id}"))
                                      for t in services.city_templates()])


@bp.route("/<int:workshop_id>/save-as-template", methods=["GET", "POST"])
@access(*PLANNERS)
def save_as_template(workshop_id: int):
    workshop = _load(workshop_id)
    form = TemplateNameForm()
    if request.method == "GET":
        form.name.data = workshop.title
    if form.validate_on_submit() and perform(
        lambda: services.save_as_template(workshop, form.name.data, current_user), form=form,
        success=lambda t: _("The template “%(name)s” was saved. New workshops can start from it.", name=t.name),
    ):
        return redirect(url_for("workshops.templates"))
    return render_template("workshops/template_save.html", form=form, workshop=workshop)


def _load_template(template_id: int) -> WorkshopTemplate:
    return db.session.get(WorkshopTemplate, template_id) or abort(404)


@bp.route("/templates/<int:template_id>/rename", methods=["POST"])
@access(*PLANNERS)
def template_rename(template_id: int):
    template = _load_template(template_id)
    form = TemplateNameForm(prefix=f"t{template.id}")
    if form.validate_on_submit():
        perform(lambda: services.rename_template(template, form.name.data, current_user),
                success=_("The template was renamed."))
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(url_for("workshops.templates"))


@bp.route("/templates/<int:template_id>/delete", methods=["POST"])
@access(*PLANNERS)
def template_delete(template_id: int):
    template = _load_template(template_id)
    name = template.name
    perform(lambda: services.delete_template(template, current_user),
            success=_("The template “%(name)s” was deleted. Workshops made from it keep their agenda.", name=name))
    return redirect(url_for("workshops.templates"))


# --- series ---------------------------------------------------------------------------------------------------


@bp.route("/series", endpoint="series_list")
@access(SIGNED_IN)
def series_list():
    choice = process_choice(request.args.get("process"))
    return render_template("workshops/series_list.html", series=services.list_series(choice.chosen),
                           process_choice=choice, may_plan=services.may_plan(current_user) and choice.is_current)


@bp.route("/series/new", methods=["GET", "POST"])
@access(*PLANNERS)
def series_create():
    form = SeriesForm()
    if form.validate_on_submit() and perform(
        lambda: services.create_series(form.to_data(), current_user), form=form,
        success=lambda series: _("The series “%(title)s” was created.", title=series.title),
    ):
        return redirect(url_for("workshops.series_list"))
    return render_template("workshops/series_form.html", form=form, series=None)


@bp.route("/series/<int:series_id>/edit", methods=["GET", "POST"])
@access(*PLANNERS)
def series_edit(series_id: int):
    series = db.session.get(WorkshopSeries, series_id) or abort(404)
    form = SeriesForm(obj=series) if request.method == "GET" else SeriesForm()
    stale = None
    if form.validate_on_submit():
        saved = perform(lambda: services.update_series(series, form.to_data(), current_user,
                                                       version=form.submitted_version()),
                        form=form, success=_("Your changes were saved."))
        if saved:
            return redirect(url_for("workshops.series_list"))
        if is_stale(saved):
            stale = stale_conflict(form, SeriesForm(formdata=None, obj=series), series.version)
    return render_template("workshops/series_form.html", form=form, series=series, stale=stale), \
        409 if stale else 200


# --- agenda ---------------------------------------------------------------------------------------------------


def _agenda_context(workshop: Workshop, add_form: AgendaBlockForm | None = None, edit_form=None,
                    editing: int | None = None, stale=None) -> dict:
    may_plan = services.may_plan(current_user)
    if may_plan and add_form is None:
        add_form = AgendaBlockForm(formdata=None)
    if may_plan and editing and edit_form is None:
        block = next((b for b in workshop.agenda_blocks if b.id == editing), None)
        edit_form = _filled_block_form(workshop, block, prefix="edit") if block else None
        editing = block.id if block else None
    return {
        "workshop": workshop,
        "schedule": services.agenda_schedule(workshop),
        "agenda_end": services.agenda_end(workshop),
        "overruns": services.agenda_overruns(workshop),
        "may_plan": may_plan,
        "add_form": add_form,
        "edit_form": edit_form,
        "editing": editing,
        "stale": stale,
        "candidates": services.responsible_candidates(workshop) if may_plan else [],
        "focus": request.args.get("focus", ""),
        "is_htmx": request.headers.get("HX-Request") == "true",
    }


def _to_agenda(workshop_id: int, focus: str | None = None):
    """Back to the one-page agenda; ``focus`` names the element the keyboard focus returns to (htmx and without)."""
    anchor = "-".join(focus.split("-")[:2]) if focus and focus.startswith("block-") else focus
    return redirect(url_for("workshops.agenda", workshop_id=workshop_id, focus=focus or None, _anchor=anchor or None))


@bp.route("/<int:workshop_id>/agenda")
@access(SIGNED_IN)
def agenda(workshop_id: int):
    workshop = _load(workshop_id)
    return render_template("workshops/agenda.html",
                           **_agenda_context(workshop, editing=request.args.get("edit", type=int)))


@bp.route("/<int:workshop_id>/agenda/print")
@access(SIGNED_IN)
def agenda_print(workshop_id: int):
    return render_template("workshops/agenda_print.html", **_agenda_context(_load(workshop_id)))


def _load_block(workshop_id: int, block_id: int) -> AgendaBlock:
    block = db.session.get(AgendaBlock, block_id)
    if block is None or block.workshop_id != workshop_id:
        abort(404)
    return block


def _block_page(workshop: Workshop, form: AgendaBlockForm, block: AgendaBlock | None = None, stale=None):
    candidates = services.responsible_candidates(workshop, block.responsible_id if block else None)
    return render_template("workshops/block_form.html", form=form, workshop=workshop, block=block, stale=stale,
                           candidates=candidates)


def _block_form_valid(form: AgendaBlockForm, workshop: Workshop, current_id: int | None = None) -> bool:
    """The form's own checks and the responsible person's, so every error shows in one round."""
    valid = form.validate_on_submit()
    if request.method == "POST" and form.responsible.data and not form.responsible.errors:
        try:
            services.resolve_responsible(workshop, form.responsible.data, current_id, check_only=True)
        except DomainError as error:
            form.responsible.errors = list(form.responsible.errors) + [error.message]
            return False
    return valid


def _inline() -> bool:
    """The form came from the one-page agenda (not the page of its own)."""
    return request.form.get("inline") == "1"


@bp.route("/<int:workshop_id>/agenda/new", methods=["GET", "POST"])
@access(*PLANNERS)
def block_create(workshop_id: int):
    workshop = _load(workshop_id)
    form = AgendaBlockForm()
    if _block_form_valid(form, workshop):
        added = perform(lambda: services.add_agenda_block(workshop, form.to_data(), current_user), form=form,
                        success=_("The block “%(title)s” was added to the agenda.", title=form.title.data))
        if added:
            return _to_agenda(workshop.id, f"block-{added.value.id}-title")
    if _inline():
        return render_template("workshops/agenda.html", **_agenda_context(workshop, add_form=form))
    return _block_page(workshop, form)


@bp.route("/<int:workshop_id>/agenda/<int:block_id>/edit", methods=["GET", "POST"])
@access(*PLANNERS)
def block_edit(workshop_id: int, block_id: int):
    workshop = _load(workshop_id)
    block = _load_block(workshop_id, block_id)
    prefix = "edit" if _inline() else ""
    form = _filled_block_form(workshop, block) if request.method == "GET" else AgendaBlockForm(prefix=prefix)
    stale = None
    if _block_form_valid(form, workshop, block.responsible_id):
        saved = perform(lambda: services.update_agenda_block(block, form.to_data(), current_user,
                                                             version=form.submitted_version()),
                        form=form, success=_("Your changes were saved."))
        if saved:
            return _to_agenda(workshop.id, f"block-{block.id}-title")
        if is_stale(saved):
            stale = stale_conflict(form, _filled_block_form(workshop, block, prefix=prefix), block.version)
    status = 409 if stale else 200
    if _inline():
        return render_template("workshops/agenda.html", **_agenda_context(
            workshop, edit_form=form, editing=block.id, stale=stale)), status
    return _block_page(workshop, form, block, stale), status


def _filled_block_form(workshop: Workshop, block: AgendaBlock, prefix: str = "") -> AgendaBlockForm:
    form = AgendaBlockForm(formdata=None, obj=block, prefix=prefix)
    form.kind.data = block.kind.value
    options = services.responsible_candidates(workshop, block.responsible_id)
    form.responsible.data = next((o.display for o in options
                                  if o.person is not None and o.person.id == block.responsible_id), "")
    return form


@bp.route("/<int:workshop_id>/agenda/<int:block_id>/delete", methods=["POST"])
@access(*PLANNERS)
def block_delete(workshop_id: int, block_id: int):
    block = _load_block(workshop_id, block_id)
    title = block.title
    perform(lambda: services.delete_agenda_block(block, current_user),
            success=_("The block “%(title)s” was removed from the agenda.", title=title))
    return _to_agenda(workshop_id, "agenda-heading")


@bp.route("/<int:workshop_id>/agenda/<int:block_id>/move", methods=["POST"])
@access(*PLANNERS)
def block_move(workshop_id: int, block_id: int):
    block = _load_block(workshop_id, block_id)
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        abort(400)
    moved = perform(lambda: services.move_agenda_block(block, direction, current_user))
    if moved and moved.value:
        flash(_("The block “%(title)s” was moved.", title=block.title), "success")
    return _to_agenda(workshop_id, f"block-{block.id}-{direction}")


@bp.route("/<int:workshop_id>/agenda/reorder", methods=["POST"])
@access(*PLANNERS)
def agenda_reorder(workshop_id: int):
    """The order after a drag and drop: ``order`` holds the block ids, comma-separated."""
    workshop = _load(workshop_id)
    raw = (request.form.get("order") or "").split(",")
    ids = [int(i) for i in raw if i.strip().isdigit()]
    changed = perform(lambda: services.reorder_agenda(workshop, ids, current_user))
    if changed and changed.value:
        flash(_("The agenda's order was changed; the times were recomputed."), "success")
    moved = request.form.get("moved", type=int)
    return _to_agenda(workshop_id, f"block-{moved}-title" if moved else None)


@bp.route("/<int:workshop_id>/agenda/fit-end", methods=["POST"])
@access(*PLANNERS)
def agenda_fit_end(workshop_id: int):
    workshop = _load(workshop_id)
    perform(lambda: services.fit_end_to_agenda(workshop, current_user),
            success=lambda _result: _("The workshop now ends at %(time)s, with its agenda.",
                                      time=to_local(workshop.ends_at).strftime("%H:%M")))
    return redirect(url_for("workshops.agenda", workshop_id=workshop_id))


# --- open registration ----------------------------------------------------------------------------------------


@bp.route("/<int:workshop_id>/register", methods=["GET", "POST"])
@access(PUBLIC)
@limiter.limit(registration_limit, key_func=address_key, methods=["POST"])
def register(workshop_id: int):
    workshop = _load(workshop_id)
    if not workshop.kind.has_open_registration or not workshop.is_public:
        abort(404)  # a public page: drafts and cancelled events never appear
    is_open = services.registration_open(workshop)
    form = RegistrationForm()
    if is_open and form.validate_on_submit():
        requested = perform(
            lambda: services.request_registration(
                workshop, form.first_name.data, form.last_name.data, form.email.data, str(get_locale() or "de")
            ),
            form=form,
        )
        if requested:
            # The same answer for every address (nobody learns who is known); only the mailed link registers.
            flash(_("Almost done: we have sent an e-mail to the address you entered. Please open the link in it to "
                    "confirm your registration; until then you are not registered."), "info")
            return redirect(url_for("workshops.register", workshop_id=workshop.id))
    full = workshop.capacity is not None and services.accepted_count(workshop) >= workshop.capacity
    return render_template("workshops/register.html", workshop=workshop, form=form, is_open=is_open, full=full)


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@access(PUBLIC)
@limiter.limit(registration_limit, key_func=address_key, methods=["POST"])
def register_confirm(token: str):
    """The link in the confirmation mail. Opening it changes nothing (mail scanners open links too); the button
    registers."""
    try:
        pending = services.read_registration_link(token)
    except services.RegistrationLinkInvalid as error:
        return render_template("workshops/register_confirm.html", pending=None, error=error.message, form=None), 400
    form = ConfirmRegistrationForm()
    if form.validate_on_submit():
        done = perform(lambda: services.confirm_registration(token))
        if done:
            if done.value.invitation_status.value == "waitlisted":
                flash(_("The event is fully booked. You are on the waitlist; we have sent you an e-mail."), "warning")
            else:
                flash(_("Thank you, you are registered. We have sent you a confirmation by e-mail."), "success")
            return redirect(url_for("workshops.register", workshop_id=pending.workshop.id))
    return render_template("workshops/register_confirm.html", pending=pending, error=None, form=form)


# --- networking -----------------------------------------------------------------------------------------------


@bp.route("/<int:workshop_id>/networking")
@access(SIGNED_IN)
def networking(workshop_id: int):
    workshop = _load(workshop_id)
    is_planner = services.may_plan(current_user)
    own = services.own_participation(current_user, workshop)
    if not is_planner and not services.took_part(own):
        abort(403)
    contacts = None
    if is_planner or (workshop.is_over and own.shares_contact):
        contacts = services.networking_contacts(workshop, exclude_person_id=own.person_id if own else None)
    return render_template("workshops/networking.html", workshop=workshop, own=own, contacts=contacts,
                           took_part=services.took_part(own))


@bp.route("/<int:workshop_id>/networking/consent", methods=["GET", "POST"])
@access(SIGNED_IN)
def networking_consent(workshop_id: int):
    workshop = _load(workshop_id)
    own = services.own_participation(current_user, workshop)
    if not services.took_part(own):
        abort(403)
    form = ShareContactForm()
    if request.method == "GET":
        form.shares_contact.data = own.shares_contact
    if form.validate_on_submit():
        shares = form.shares_contact.data
        if shares:
            success = _("The other participants who share their contact details now see yours.")
        else:
            success = _("Your contact details are no longer shown to other participants.")
        if perform(lambda: services.set_shares_contact(workshop, current_user, shares), success=success, forbid=True):
            return redirect(url_for("workshops.networking", workshop_id=workshop.id))

    return render_template("workshops/networking_consent.html", workshop=workshop, form=form)


# --- calendar links -------------------------------------------------------------------------------------------


def _calendar_page(new_link: str | None = None, status: int = 200):
    person = current_user.person if current_user.person_id else None
    series = services.list_series() if services.may_plan(current_user) else []
    return render_template(
        "workshops/calendar_links.html", person=person, new_link=new_link,
        personal=services.active_tokens(person=person) if person else [],
        series=[(s, services.active_tokens(series=s)) for s in series],
    ), status


@bp.route("/calendar", endpoint="calendar_links")
@access(SIGNED_IN)
def calendar_links():
    return _calendar_page()


@bp.route("/calendar/tokens", methods=["POST"])
@access(SIGNED_IN)
def token_create():
    kind = request.form.get("kind", "")
    if kind == CalendarFeedKind.SERIES.value:
        if not services.may_plan(current_user):
            abort(403)
        series = db.session.get(WorkshopSeries, request.form.get("series_id", type=int) or 0) or abort(404)
        target = {"series": series}
        endpoint = "workshops.series_feed"
    elif kind == CalendarFeedKind.PERSON.value:
        if not current_user.person_id:
            abort(403)
        target = {"person": current_user.person}
        endpoint = "workshops.person_feed"
    else:
        abort(400)
    created = perform(lambda: services.create_calendar_token(current_user, **target), forbid=True)
    # Shown once, on this response only: the database keeps nothing but the hash.
    return _calendar_page(new_link=url_for(endpoint, token=created.value, _external=True) if created else None)


@bp.route("/calendar/tokens/<int:token_id>/revoke", methods=["POST"])
@access(SIGNED_IN)
def token_revoke(token_id: int):
    token = db.session.get(CalendarToken, token_id) or abort(404)
    if not services.may_manage_token(current_user, token):
        abort(403)
    services.revoke_calendar_token(token, current_user)
    db.session.commit()
    flash(_("The calendar link was revoked. Calendars subscribed to it no longer receive updates."), "success")
    return redirect(url_for("workshops.calendar_links"))


@bp.route("/feeds/series/<token>.ics")
@access(PUBLIC)
def series_feed(token: str):
    found = services.token_for_secret(token, CalendarFeedKind.SERIES) or abort(404)
    data = calendars.build_calendar(services.feed_workshops(found), name=found.series.title, method=None)
    return _ics_response(data, f"series-{found.series_id}.ics")


@bp.route("/feeds/person/<token>.ics")
@access(PUBLIC)
def person_feed(token: str):
    found = services.token_for_secret(token, CalendarFeedKind.PERSON) or abort(404)
    data = calendars.build_calendar(services.feed_workshops(found), name=_("My workshops"), method=None)
    return _ics_response(data, "my-workshops.ics")
