from collections import Counter

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from planner.core.errors import DomainError
from planner.core.forms import perform, show_domain_error
from planner.core.models import utcnow
from planner.core.permissions import PUBLIC, STAFF, Role, access
from planner.core.spreadsheets import write_csv, write_xlsx
from planner.core.timeutil import local_datetime
from planner.extensions import db
from planner.fields.models import ActionField
from planner.fields.services import list_fields
from planner.invitations import bp, mails, selection, services
from planner.invitations.forms import (
    AcceptForm,
    CheckinForm,
    DeclineForm,
    FixDateForm,
    InviteForm,
    PollForm,
    ReminderForm,
)
from planner.invitations.models import DateAnswer, DateOption, DatePoll, Invitation
from planner.people.forms import RosterFilterForm
from planner.people.models import Person, Sector
from planner.people.services import list_organisations, roster_query
from planner.wall import services as walls
from planner.workshops.models import InvitationStatus, Participation, Workshop, WorkshopStatus


def _workshop(workshop_id: int) -> Workshop:
    return db.session.get(Workshop, workshop_id) or abort(404)


# --- the personal link (public: the token is the authorisation) ----------------------------------------------


def _invitation_or_error(token: str, reading: bool = False):
    """(invitation, None) or (None, response): unknown → 404, withdrawn or expired → 410; nothing changes.
    ``reading``: the personal page stays readable after the workshop for whoever answered."""
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return None, (render_template("invitations/link_gone.html", code=404,
                                      message=_("This invitation link is not known. Please check that you "
                                                "copied the whole link from the e-mail. A later e-mail from us "
                                                "(date poll, reminder, minutes) brings a new personal link that "
                                                "replaces the earlier ones: please use the latest.")), 404)
    try:
        services.check_usable(invitation, reading=reading)
    except services.LinkGone as error:
        return None, (render_template("invitations/link_gone.html", code=410, message=error.message), 410)
    return invitation, None


def _link_page(invitation: Invitation, token: str, accept_form=None, status: int = 200):
    participation = invitation.participation
    poll = services.open_poll(participation.workshop)
    return render_template(
        "invitations/respond.html",
        invitation=invitation,
        participation=participation,
        workshop=participation.workshop,
        token=token,
        accept_form=accept_form or AcceptForm(),
        decline_form=DeclineForm(),
        poll=poll,
        votes=services.my_votes(poll, participation) if poll else {},
        answers=list(DateAnswer),
        has_shares_contact=services.has_shares_contact(),
        answerable=services.is_answerable(participation.workshop),
        offers_walls=walls.offers_walls(participation),
    ), status


@bp.route("/r/<token>")
@access(PUBLIC)
def respond(token: str):
    invitation, error = _invitation_or_error(token, reading=True)
    if error:
        return error
    return _link_page(invitation, token)


@bp.route("/r/<token>/answer", methods=["POST"])
@access(PUBLIC)
def answer(token: str):
    invitation, error = _invitation_or_error(token)
    if error:
        return error
    choice = request.form.get("answer", "")
    form = AcceptForm() if choice == "accept" else DeclineForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        status = services.respond(
            invitation.participation, choice,
            consent=bool(getattr(form, "consent", None) and form.consent.data),
            share_contact=bool(getattr(form, "share_contact", None) and form.share_contact.data),
            link=mails.link_for(token),  # from BASE_URL, like every link in a mail
        )
    except services.AlreadyAnswered as error:
        db.session.rollback()
        flash(error.message, "info")
        return redirect(url_for("invitations.respond", token=token))
    except services.LinkGone as error:
        db.session.rollback()
        return render_template("invitations/link_gone.html", code=410, message=error.message), 410
    except DomainError as error:
        db.session.rollback()
        invitation, _error = _invitation_or_error(token)
        accept_form = form if choice == "accept" else None
        show_domain_error(accept_form, error)
        return _link_page(invitation, token, accept_form=accept_form, status=422)
    db.session.commit()
    _flash_status(status)
    return redirect(url_for("invitations.respond", token=token))


def _flash_status(status: InvitationStatus) -> None:
    if status == InvitationStatus.ACCEPTED:
        flash(_("Thank you: your acceptance has been recorded."), "success")
    elif status == InvitationStatus.WAITLISTED:
        flash(_("The workshop is full: you are on the waiting list. We will write to you when a place becomes "
                "free."), "info")
    else:
        flash(_("Your answer has been recorded: you have declined. Thank you for letting us know."), "success")


@bp.route("/r/<token>/dates", methods=["POST"])
@access(PUBLIC)
def vote(token: str):
    invitation, error = _invitation_or_error(token)
    if error:
        return error
    poll = services.open_poll(invitation.participation.workshop)
    if poll is None or not DeclineForm().validate_on_submit():
        abort(400 if poll else 404)
    answers = _poll_answers(poll)
    if answers is None:
        return redirect(url_for("invitations.respond", token=token) + "#dates-heading")
    perform(lambda: services.vote(invitation.participation, poll, answers),
            success=_("Thank you: your dates have been saved."))
    return redirect(url_for("invitations.respond", token=token))


def _poll_answers(poll: DatePoll) -> dict[int, str] | None:
    """The marks of the poll form (``option-<id>``: yes, maybe, no), or None (and a message) when a date still to
    come is not marked. Dates that have passed are not offered (a mark on one is refused by the service)."""
    answers = {}
    for option in poll.options:
        value = request.form.get(f"option-{option.id}", "")
        if value:
            answers[option.id] = value
    upcoming = poll.upcoming_options()
    if not upcoming:
        flash(_("All proposed dates have passed. The team will propose new dates."), "info")
        return None
    if any(option.id not in answers for option in upcoming):
        flash(_("Please mark each proposed date."), "error")
        return None
    return answers


# --- my invitations (signed-in experts) ----------------------------------------------------------------------


@bp.route("/mine")
@access(Role.EXPERT)
def mine():
    participations = services.my_participations(current_user)
    forms = {p.id: (AcceptForm(prefix=f"p{p.id}"), DeclineForm(prefix=f"d{p.id}")) for p in participations}
    polls = {}
    for p in participations:
        if p.invitation_status != InvitationStatus.DECLINED and services.is_answerable(p.workshop):
            date_poll = services.open_poll(p.workshop)
            if date_poll is not None:
                polls[p.id] = (date_poll, services.my_votes(date_poll, p))
    return render_template("invitations/mine.html", participations=participations, forms=forms, now=utcnow(),
                           has_shares_contact=services.has_shares_contact(), polls=polls,
                           answers=list(DateAnswer), with_walls={p.id for p in participations
                                                                 if walls.offers_walls(p)})


@bp.route("/mine/<int:participation_id>/dates", methods=["POST"])
@access(Role.EXPERT)
def mine_vote(participation_id: int):
    """A signed-in expert marks the proposed dates: the same service as the personal link, for their own person."""
    participation = db.session.get(Participation, participation_id) or abort(404)
    if current_user.person_id is None or participation.person_id != current_user.person_id:
        abort(403)
    if not DeclineForm().validate_on_submit():
        abort(400)
    back = url_for("invitations.mine") + f"#dates-{participation.id}"
    poll = services.open_poll(participation.workshop)
    if poll is None:
        flash(_("The date poll is closed: the date has been fixed."), "info")
        return redirect(back)
    answers = _poll_answers(poll)
    if answers is not None:
        perform(lambda: services.vote_as_user(current_user, participation, poll, answers),
                success=_("Thank you: your dates have been saved."))
    return redirect(back)


@bp.route("/mine/<int:participation_id>", methods=["POST"])
@access(Role.EXPERT)
def mine_answer(participation_id: int):
    participation = db.session.get(Participation, participation_id) or abort(404)
    if current_user.person_id is None or participation.person_id != current_user.person_id:
        abort(403)
    choice = request.form.get("answer", "")
    form = AcceptForm(prefix=f"p{participation.id}") if choice == "accept" else DeclineForm(
        prefix=f"d{participation.id}")
    if not form.validate_on_submit():
        abort(400)
    try:
        status = services.respond_as_user(
            current_user, participation, choice,
            consent=bool(getattr(form, "consent", None) and form.consent.data),
            share_contact=bool(getattr(form, "share_contact", None) and form.share_contact.data),
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error" if not isinstance(error, services.AlreadyAnswered) else "info")
        return redirect(url_for("invitations.mine"))
    db.session.commit()
    _flash_status(status)
    return redirect(url_for("invitations.mine"))


# --- inviting (facilitators) ---------------------------------------------------------------------------------


FILTER_KEYS = ("q", "field", "sector", "organisation")


def _chosen_people(form: InviteForm, mode: str, workshop_id: int, confirmed: bool) -> list[Person]:
    """The people of the POST: everyone matching the filter, the ids the confirmation step carries, or (before
    the confirmation) the selection kept across pages and filters."""
    if mode == "filter":
        field_id = int(form.field.data) if (form.field.data or "").isdigit() else None
        org_id = int(form.organisation.data) if (form.organisation.data or "").isdigit() else None
        return services.people_for_filter(field_id, form.sector.data or None, org_id, form.q.data or None)
    if not confirmed:
        return selection.people(workshop_id)
    ids = [int(i) for i in request.form.getlist("person_id") if i.isdigit()]
    return db.session.scalars(select(Person).where(Person.id.in_(ids)).order_by(Person.id)).all() if ids else []


def _roster_step(workshop: Workshop, form: InviteForm):
    """The roster form's own buttons (filter, page, remove one, clear): each first keeps this page's ticks in the
    selection, then shows the page asked for. None: the facilitator continues to the confirmation step."""
    applied = _filter_args(form)
    here = url_for("invitations.invite", workshop_id=workshop.id, page=request.form.get("page", type=int),
                   **applied)
    try:
        selection.update_from_form(workshop.id, request.form)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(here)
    if request.form.get("apply_filter"):
        wanted = {k: request.form.get(f"filter-{k}", "").strip() for k in FILTER_KEYS}
        wanted = {k: v for k, v in wanted.items() if v}
        return redirect(url_for("invitations.invite", workshop_id=workshop.id, **wanted))
    goto = request.form.get("goto", type=int)
    if goto:
        return redirect(url_for("invitations.invite", workshop_id=workshop.id, page=goto, **applied))
    remove = request.form.get("remove", type=int)
    if remove:
        selection.remove(workshop.id, remove)
        return redirect(here + "#selection-heading")
    if request.form.get("clear"):
        selection.clear(workshop.id)
        flash(_("The selection has been cleared."), "info")
        return redirect(here)
    return None


@bp.route("/workshop/<int:workshop_id>/invite", methods=["GET", "POST"])
@access(Role.FACILITATOR)
def invite(workshop_id: int):
    """Selection first: ticks are kept in the session across pages and filters (GET, and the roster form's POSTs);
    a POST to continue shows the confirmation step (count, sector balance, the mail as it will arrive); only the
    confirmed POST invites."""
    workshop = _workshop(workshop_id)
    if not services.is_answerable(workshop):  # held, cancelled or over: nobody could answer any more
        flash(_("Invitations are only possible for planned workshops."), "info")
        return redirect(url_for("invitations.answers", workshop_id=workshop.id))
    filter_form = RosterFilterForm(request.args)
    filter_form.set_choices(list_fields(), list_organisations())
    filter_form.validate()
    form = InviteForm()
    if form.validate_on_submit():
        mode = "filter" if request.form.get("select_all") else (form.mode.data or "selection")
        confirmed = request.form.get("confirmed") == "1"
        if not confirmed and mode == "selection":
            step = _roster_step(workshop, form)
            if step is not None:
                return step
        try:
            people = _chosen_people(form, mode, workshop.id, confirmed)
            if not confirmed:
                preview = services.preview_invitations(current_user, workshop, people)
            else:
                result = services.invite_people(current_user, workshop, people)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            if not confirmed:
                return render_template("invitations/invite_confirm.html", workshop=workshop, preview=preview,
                                       mode=mode, form=form, back=url_for("invitations.invite", workshop_id=workshop.id,
                                                                          **_filter_args(form)))
            job_id = result.job.id if result.job else None
            db.session.commit()
            selection.clear(workshop.id)
            if job_id:
                flash(ngettext("%(num)s invitation has been saved; its e-mail is being sent in the background.",
                               "%(num)s invitations have been saved; their e-mails are being sent in the background.",
                               len(result.invited)), "success")
            else:
                flash(ngettext("%(num)s invitation has been sent.", "%(num)s invitations have been sent.",
                               len(result.invited)), "success")
            if result.skipped:
                flash(ngettext("%(num)s person had already answered and was not invited again.",
                               "%(num)s people had already answered and were not invited again.",
                               len(result.skipped)), "info")
            if job_id:
                return redirect(url_for("jobs.detail", job_id=job_id))
            return redirect(url_for("invitations.answers", workshop_id=workshop.id))
    stmt = roster_query(field_id=filter_form.int_of("field"), sector=filter_form.sector.data or None,
                        organisation_id=filter_form.int_of("organisation"), search=filter_form.q.data or None)
    page = db.paginate(stmt, per_page=50, error_out=False)
    status_of = dict(db.session.execute(
        select(Participation.person_id, Participation.invitation_status)
        .where(Participation.workshop_id == workshop.id)).all())
    filters = {k: v for k, v in request.args.items() if k in FILTER_KEYS and v}
    edit_filter = RosterFilterForm(formdata=None, prefix="filter", data=filters)
    edit_filter.set_choices(list_fields(), list_organisations())
    chosen = selection.people(workshop.id)
    on_page = {p.id for p in page.items}
    elsewhere = Counter(p.sector.value if p.sector else "" for p in chosen if p.id not in on_page)
    return render_template("invitations/invite.html", workshop=workshop, page=page, filter_form=edit_filter,
                           form=form, status_of=status_of, filters=filters, sectors=list(Sector),
                           poll=services.open_poll(workshop), chosen=chosen, chosen_ids={p.id for p in chosen},
                           chosen_by_sector=Counter(p.sector.value if p.sector else "" for p in chosen),
                           elsewhere=elsewhere, max_selection=selection.MAX_SELECTION)


def _filter_args(form: InviteForm) -> dict:
    return {k: getattr(form, k).data for k in ("q", "field", "sector", "organisation") if getattr(form, k).data}


@bp.route("/workshop/<int:workshop_id>/answers")
@access(Role.FACILITATOR)
def answers(workshop_id: int):
    workshop = _workshop(workshop_id)
    return render_template(
        "invitations/answers.html", workshop=workshop, rows=services.participations_with_invitations(workshop),
        counts=services.status_counts(workshop), reminder_form=ReminderForm(), statuses=list(InvitationStatus),
        sending_jobs=services.active_sending_jobs(workshop), unsent=services.unsent_invitations(workshop),
        full=workshop.capacity is not None and services.accepted_count(workshop) >= workshop.capacity,
        answerable=services.is_answerable(workshop),
    )


@bp.route("/workshop/<int:workshop_id>/remind", methods=["POST"])
@access(Role.FACILITATOR)
def remind(workshop_id: int):
    return _send_batch(workshop_id, services.send_reminders, lambda n: (
        ngettext("%(num)s reminder has been sent.", "%(num)s reminders have been sent.", n),
        ngettext("%(num)s reminder is being sent in the background.",
                 "%(num)s reminders are being sent in the background.", n),
        _("No reminders were due: everyone has answered or was reminded within the last day."),
    ))


@bp.route("/workshop/<int:workshop_id>/resend", methods=["POST"])
@access(Role.FACILITATOR)
def resend(workshop_id: int):
    """Sends the invitations whose e-mail could not be sent again (each with a fresh link)."""
    return _send_batch(workshop_id, services.resend_unsent, lambda n: (
        ngettext("%(num)s invitation has been sent.", "%(num)s invitations have been sent.", n),
        ngettext("%(num)s invitation is being sent in the background.",
                 "%(num)s invitations are being sent in the background.", n),
        None,
    ))


def _send_batch(workshop_id: int, send, texts):
    """Reminders and re-sends: one service call for the workshop; `texts(count)` gives (sent, queued, none)."""
    workshop = _workshop(workshop_id)
    if not ReminderForm().validate_on_submit():
        abort(400)
    sent = perform(lambda: send(current_user, workshop))
    if sent:
        return _after_sending(workshop, sent.value, *texts(sent.value.count))
    return redirect(url_for("invitations.answers", workshop_id=workshop.id))


def _after_sending(workshop: Workshop, result, sent_text: str, queued_text: str, none_text: str | None = None):
    """Tells what happened (after the commit) and shows the job's page when the e-mails go out in the background."""
    job_id = result.job.id if result.job else None
    if job_id:
        flash(queued_text, "success")
        return redirect(url_for("jobs.detail", job_id=job_id))
    if result.count or none_text is None:
        flash(sent_text, "success")
    else:
        flash(none_text, "info")
    return redirect(url_for("invitations.answers", workshop_id=workshop.id))


@bp.route("/participation/<int:participation_id>/promote", methods=["POST"])
@access(Role.FACILITATOR)
def promote(participation_id: int):
    """A facilitator gives a waitlisted person a place by hand (in a full workshop: capacity + 1)."""
    from planner.workshops.services import promote_by_hand

    participation = db.session.get(Participation, participation_id) or abort(404)
    if not ReminderForm().validate_on_submit():
        abort(400)
    name = participation.person.full_name
    perform(lambda: promote_by_hand(participation, current_user, raise_capacity=request.form.get("raise") == "1"),
            success=_("%(name)s now has a place and has been told by e-mail.", name=name))
    return redirect(url_for("invitations.answers", workshop_id=participation.workshop_id))


@bp.route("/<int:invitation_id>/revoke", methods=["POST"])
@access(Role.FACILITATOR)
def revoke(invitation_id: int):
    invitation = db.session.get(Invitation, invitation_id) or abort(404)
    if not ReminderForm().validate_on_submit():
        abort(400)
    services.revoke_invitation(current_user, invitation)
    db.session.commit()
    flash(_("The invitation link has been withdrawn."), "success")
    return redirect(url_for("invitations.answers", workshop_id=invitation.participation.workshop_id))


# --- attendance and export -----------------------------------------------------------------------------------


def _shown_attendance() -> dict[int, bool | None] | None:
    """What the check-in list showed when it was opened ("id:1", "id:0", "id:" per row), or None without it."""
    values = request.form.getlist("shown")
    if not values:
        return None
    shown = {}
    for value in values:
        pid, _sep, state = value.partition(":")
        if pid.isdigit() and len(pid) < 12:
            shown[int(pid)] = {"1": True, "0": False}.get(state)
    return shown


@bp.route("/workshop/<int:workshop_id>/checkin", methods=["GET", "POST"])
@access(Role.FACILITATOR)
def checkin(workshop_id: int):
    workshop = _workshop(workshop_id)
    form = CheckinForm()
    if form.validate_on_submit():
        ids = {int(i) for i in request.form.getlist("attended") if i.isdigit()}
        confirmed = request.form.get("confirm_correction") == "1"
        if perform(lambda: services.record_attendance(current_user, workshop, ids, _shown_attendance(),
                                                      confirmed=confirmed),
                   success=lambda present: ngettext("Attendance saved: %(num)s person present.",
                                                    "Attendance saved: %(num)s people present.", present)):
            return redirect(url_for("invitations.checkin", workshop_id=workshop.id))
    return render_template("invitations/checkin.html", workshop=workshop, form=form,
                           phase=services.checkin_phase(workshop),
                           participations=services.accepted_participations(workshop))


@bp.route("/workshop/<int:workshop_id>/checkin/print")
@access(Role.FACILITATOR)
def checkin_print(workshop_id: int):
    workshop = _workshop(workshop_id)
    return render_template("invitations/checkin_print.html", workshop=workshop,
                           participations=services.accepted_participations(workshop))


@bp.route("/workshop/<int:workshop_id>/participants/export")
@access(Role.FACILITATOR)
def export(workshop_id: int):
    """The participant list as CSV (default) or XLSX (``?format=xlsx``)."""
    workshop = _workshop(workshop_id)
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        abort(404)
    header, rows = services.participant_table(workshop)
    filename = f"teilnehmende-workshop-{workshop.id}.{fmt}"
    if fmt == "csv":
        body, mimetype = write_csv(header, rows), "text/csv; charset=utf-8"
    else:
        body = write_xlsx(header, rows, title=_("Participants"))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


# --- sector balance ------------------------------------------------------------------------------------------


@bp.route("/workshop/<int:workshop_id>/balance")
@access(*STAFF)
def balance_workshop(workshop_id: int):
    workshop = _workshop(workshop_id)
    return render_template("invitations/balance.html", subject=workshop.title, kind="workshop",
                           back=url_for("workshops.detail", workshop_id=workshop.id),
                           balance=services.sector_balance_for_workshop(workshop))


@bp.route("/field/<int:field_id>/balance")
@access(*STAFF)
def balance_field(field_id: int):
    field = db.session.get(ActionField, field_id) or abort(404)
    return render_template("invitations/balance.html", subject=f"{field.code} – {field.name}", kind="field",
                           back=url_for("fields.detail", code=field.code),
                           balance=services.sector_balance_for_field(field))


# --- date finding --------------------------------------------------------------------------------------------


@bp.route("/workshop/<int:workshop_id>/dates", methods=["GET", "POST"])
@access(Role.FACILITATOR)
def poll(workshop_id: int):
    workshop = _workshop(workshop_id)
    form = PollForm()
    rows = request.args.get("rows", type=int)
    if rows and not form.is_submitted():  # "Propose more dates": more empty rows, up to the limit
        while len(form.options) < min(rows, services.MAX_POLL_OPTIONS):
            form.options.append_entry()
    if form.validate_on_submit():
        options, incomplete = [], False
        for entry in form.options:
            day, starts, ends = entry.form.day.data, entry.form.starts.data, entry.form.ends.data
            if not (day or starts or ends):
                continue
            if not (day and starts and ends):
                incomplete = True
                continue
            options.append((local_datetime(day, starts), local_datetime(day, ends)))
        if incomplete:
            flash(_("Please give date, beginning and end for each proposed date."), "error")
        elif perform(lambda: services.create_poll(current_user, workshop, options, form.note.data or ""),
                     success=_poll_opened_message):
            return redirect(url_for("invitations.poll", workshop_id=workshop.id))
    latest = services.latest_poll(workshop)
    ranking = services.ranking(latest) if latest else []
    now = utcnow()
    return render_template(
        "invitations/poll.html", workshop=workshop, form=form, poll=latest, now=now,
        upcoming=latest.upcoming_options(now) if latest else [],
        best_has_passed=bool(ranking) and ranking[0].option.has_passed(now),
        best_upcoming_id=next((r.option.id for r in ranking if not r.option.has_passed(now)), None),
        ranking=ranking, voters=services.voter_count(latest) if latest else 0,
        grid=services.voter_grid(latest) if latest else None, reminder_form=ReminderForm(),
        fix_form=FixDateForm(), is_draft=workshop.status == WorkshopStatus.DRAFT,
    )


def _poll_opened_message(poll) -> str:
    if poll.announced:
        return _("The date poll has been opened and the invitees have been asked by e-mail to mark their dates "
                 "through their personal link.")
    return _("The date poll has been opened. Nobody is invited yet: the invitations you send now ask for the "
             "dates that suit.")


@bp.route("/polls/<int:poll_id>/remind", methods=["POST"])
@access(Role.FACILITATOR)
def poll_remind(poll_id: int):
    """Reminds the invitees who have not marked the dates: one mail each, at most once a day per person."""
    date_poll = db.session.get(DatePoll, poll_id) or abort(404)
    if not ReminderForm().validate_on_submit():
        abort(400)
    sent = perform(lambda: services.remind_non_voters(current_user, date_poll))
    if sent:
        if sent.value.count:
            flash(ngettext("%(num)s reminder has been sent.", "%(num)s reminders have been sent.", sent.value.count),
                  "success")
        else:
            flash(_("No reminders were due: everyone has marked the dates or was reminded within the last day."),
                  "info")
    return redirect(url_for("invitations.poll", workshop_id=date_poll.workshop_id) + "#grid-heading")


@bp.route("/polls/<int:poll_id>/fix", methods=["POST"])
@access(Role.FACILITATOR)
def poll_fix(poll_id: int):
    date_poll = db.session.get(DatePoll, poll_id) or abort(404)
    form = FixDateForm()
    option_id = form.option_id.data or ""
    if not form.validate_on_submit() or not option_id.isdigit():
        abort(400)
    option = db.session.get(DateOption, int(option_id)) or abort(404)
    fixed = perform(lambda: services.fix_date(current_user, date_poll, option),
                    success=_("The date has been fixed and the invitees have been told."))
    if not fixed:
        return redirect(url_for("invitations.poll", workshop_id=date_poll.workshop_id))
    return redirect(url_for("workshops.detail", workshop_id=fixed.value.id))

