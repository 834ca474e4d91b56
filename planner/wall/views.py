"""The wall's pages and its live API. Every route works for a signed-in participant and, under ``/wall/l/<token>``,
for a participant by their personal invitation link (the token is the authorisation, as on the invitation page)."""

import json
import os
import random
import time

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import OperationalError

from planner.core.errors import DomainError, NotAllowed, StaleVersion
from planner.core.forms import perform
from planner.core.permissions import PUBLIC, Role, access
from planner.extensions import db, login_manager
from planner.findings import services as findings
from planner.invitations import services as invitations
from planner.wall import bp, importer, services, transport
from planner.wall.models import Wall, WallCard
from planner.workshops.models import AgendaBlock, Workshop


class Gone(Exception):
    def __init__(self, message):
        self.message = message


def _actor(token: str | None) -> services.Actor:
    if token is not None:
        invitation = invitations.invitation_for_token(token)
        if invitation is None:
            raise Gone(_("This invitation link is not known. Please check that you copied the whole link."))
        try:
            invitations.check_usable(invitation)
        except invitations.LinkGone as error:
            raise Gone(error.message) from error
        return services.Actor(participation=invitation.participation)
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    return services.Actor(user=current_user._get_current_object())


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.headers.get("X-Wall") == "1"


def _gone(message: str):
    if _wants_json() or request.endpoint in ("wall.events", "wall.poll"):
        return jsonify(error=str(message), gone=True), 410
    return render_template("invitations/link_gone.html", code=410, message=message), 410


def _load(model, object_id: int):
    return db.session.get(model, object_id) or abort(404)


def _readable_wall(wall_id: int, token: str | None) -> tuple[Wall, services.Actor]:
    wall = _load(Wall, wall_id)
    actor = _actor(token)
    if not services.may_read(actor, wall):
        abort(403)
    return wall, actor


def _board_url(wall: Wall, token: str | None) -> str:
    if token:
        return url_for("wall.board", block_id=wall.agenda_block_id, token=token)
    return url_for("wall.board", block_id=wall.agenda_block_id)


def _change(wall: Wall, token: str | None, call, success: str | None = None, data=None):
    """Runs one service call: commit and answer JSON (fetch) or redirect back (a plain form); a rule that stops it
    answers its message (400, 403 when not allowed, 409 when someone else got there first), nothing changed."""
    try:
        value = call()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        status = 403 if isinstance(error, NotAllowed) else 409 if isinstance(error, StaleVersion) else 400
        if _wants_json():
            return jsonify(error=str(error.message), field=error.field), status
        if isinstance(error, NotAllowed):
            abort(403)
        flash(str(error.message), "error")
        return redirect(_board_url(wall, token))
    except OperationalError:  # SQLite: a concurrent writer committed first (busy snapshot)
        db.session.rollback()
        if _wants_json():
            return jsonify(error=str(services.BUSY_MESSAGE)), 409
        flash(str(services.BUSY_MESSAGE), "error")
        return redirect(_board_url(wall, token))
    if _wants_json():
        return jsonify(ok=True, **(data(value) if data else {}))
    if success:
        flash(success, "success")
    return redirect(_board_url(wall, token))


# --- pages -------------------------------------------------------------------------------------------------------


@bp.route("/workshop/<int:workshop_id>")
@access(Role.EXPERT, Role.FACILITATOR, Role.STRATEGY_TEAM)
def workshop(workshop_id: int):
    """The workshop's walls (plenary and one per action field) and the dot-vote results for the strategy team."""
    item = _load(Workshop, workshop_id)
    if not findings.may_read_workshop(current_user, item) and not findings.facilitates(current_user, item):
        abort(403)
    blocks = [b for b in item.agenda_blocks if services.has_wall(b)]
    may_facilitate = findings.facilitates(current_user, item)
    return render_template("wall/workshop.html", workshop=item, blocks=blocks,
                           walls={b.id: services.existing_wall(b) for b in blocks},
                           voted=services.voted_findings(item.id), may_facilitate=may_facilitate,
                           anonymity_fixed=may_facilitate and services.workshop_has_cards(item))


@bp.route("/workshop/<int:workshop_id>/anonymity", methods=["POST"])
@access(Role.FACILITATOR)
def anonymity(workshop_id: int):
    """The workshop's setting for all its walls: cards with or without their author's name."""
    item = _load(Workshop, workshop_id)
    if not findings.facilitates(current_user, item):
        abort(403)
    anonymous = request.form.get("anonymous") == "y"
    perform(lambda: services.set_anonymity(current_user, item, anonymous),
            success=_("Cards on this workshop's walls are anonymous now.") if anonymous
            else _("Cards on this workshop's walls name their authors now."))
    return redirect(url_for("wall.workshop", workshop_id=item.id))


@bp.route("/l/<token>")
@access(PUBLIC)
def link_walls(token: str):
    """A participant's way in by their personal link: the workshop's walls (for the invitation page to link to)."""
    try:
        actor = _actor(token)
    except Gone as gone:
        return _gone(gone.message)
    participation = actor.participation
    item = participation.workshop
    if not services.takes_part(participation):
        return render_template("wall/not_yet.html", workshop=item, participation=participation, token=token), 403
    blocks = [b for b in item.agenda_blocks if services.has_wall(b)]
    walls = {b.id: services.existing_wall(b) for b in blocks}
    return render_template("wall/link_walls.html", workshop=item, blocks=blocks, walls=walls, token=token)


@bp.route("/block/<int:block_id>")
@bp.route("/l/<token>/block/<int:block_id>")
@access(PUBLIC)
def board(block_id: int, token: str | None = None):
    block = _load(AgendaBlock, block_id)
    try:
        actor = _actor(token)
    except Gone as gone:
        return _gone(gone.message)
    if not services.has_wall(block):
        abort(404)
    wall = services.wall_for_block(block)
    if not services.may_read(actor, wall):
        pending = services.not_yet_taking_part(actor, wall)
        if pending is None:
            abort(403)
        db.session.rollback()
        return render_template("wall/not_yet.html", workshop=block.workshop, participation=pending,
                               token=token), 403
    db.session.commit()  # the wall's row, made on first use
    field_id = request.args.get("field", type=int)
    fields = [f for f in block.workshop.fields if f.retired_at is None]
    if field_id and field_id not in {f.id for f in fields}:
        field_id = None
    presenter = request.args.get("view") == "presenter"
    snapshot = services.snapshot(wall, actor, field_id)
    cards = services.active_cards(wall, field_id)
    return render_template(
        "wall/board.html", wall=wall, block=block, workshop=block.workshop, token=token, actor=actor,
        fields=fields, field_id=field_id, presenter=presenter, snapshot=snapshot,
        columns=services.columns(wall), cards=cards, is_measures=services.is_measures_wall(wall),
        own_ids=[c.id for c in cards if services.is_own(actor, c)],
        may_facilitate=services.may_facilitate(actor, wall), may_take_part=services.may_take_part(actor, wall),
        card_max=services.card_limit(wall),
    )


# --- the live transport ------------------------------------------------------------------------------------------


def _cursor() -> int:
    value = request.headers.get("Last-Event-ID") or request.args.get("after") or ""
    return int(value) if value.isdigit() and len(value) < 16 else 0


@bp.route("/<int:wall_id>/poll")
@bp.route("/l/<token>/<int:wall_id>/poll")
@access(PUBLIC)
def poll(wall_id: int, token: str | None = None):
    """The short-polling fallback (a proxy that buffers streams): the events after ``?after=ID``."""
    try:
        wall, actor = _readable_wall(wall_id, token)
    except Gone as gone:
        return _gone(gone.message)
    if "after" not in request.args:
        return jsonify(snapshot=services.snapshot(wall, actor))
    events = transport.events_after(wall.id, _cursor())
    cursor = events[-1]["id"] if events else _cursor()
    return jsonify(events=events, cursor=cursor)


@bp.route("/<int:wall_id>/events")
@bp.route("/l/<token>/<int:wall_id>/events")
@access(PUBLIC)
def events(wall_id: int, token: str | None = None):
    """Server-sent events: every event after the cursor, then each new one as it is committed (any process)."""
    try:
        wall, _actor_ = _readable_wall(wall_id, token)
    except Gone as gone:
        return _gone(gone.message)
    app = current_app._get_current_object()
    cursor = _cursor() or transport.last_event_id(wall.id)
    workshop_id = wall.agenda_block.workshop_id
    db.session.remove()  # the stream holds no database connection while it waits
    limit = _stream_limit(app, request.environ.get("SERVER_SOFTWARE", ""))
    response = Response(_stream(app, wall.id, cursor, token, workshop_id, limit), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


def _link_still_usable(token: str, workshop_id: int) -> bool:
    invitation = invitations.invitation_for_token(token)
    if invitation is None or invitation.participation.workshop_id != workshop_id:
        return False
    try:
        invitations.check_usable(invitation)
    except invitations.LinkGone:
        return False
    return True


def _stream_limit(app, server: str) -> int:
    """How many streams one process keeps open: WALL_MAX_STREAMS, else (under gunicorn, whose gthread worker gives
    each open stream a thread of its own) the threads per process less four for the ordinary requests."""
    configured = app.config.get("WALL_MAX_STREAMS")
    if configured:
        return int(configured)
    if server.startswith("gunicorn"):
        threads = int(os.environ.get("PLANNER_GUNICORN_THREADS", app.config.get("GUNICORN_THREADS", 4)))
        return max(1, threads - 4)
    return 1000


def _stream(app, wall_id: int, cursor: int, token: str | None, workshop_id: int, limit: int):
    hub = transport.hub_for(app)
    if not hub.enter_stream(limit):
        yield "retry: 5000\nevent: busy\ndata: {}\n\n"  # the page switches to polling
        return
    try:
        hub.start()  # listening before the stream says hello
        yield from _events(app, hub, wall_id, cursor, token, workshop_id)
    finally:
        hub.leave_stream()


# A stream lives between this share of WALL_STREAM_SECONDS and all of it. The browsers of a workshop open their
# streams in the same minute; streams that all ended together would have all of them reconnect (sign-in, wall and
# permission reads) in the same second, every minute, while cards are being posted. Spread, a few reconnect at a time.
LIFETIME_SPREAD = 0.6


def stream_lifetime(configured: float) -> float:
    return configured * random.uniform(LIFETIME_SPREAD, 1.0)  # noqa: S311 - not security: spreads reconnections


def _events(app, hub, wall_id: int, cursor: int, token: str | None, workshop_id: int):
    lifetime = stream_lifetime(float(app.config.get("WALL_STREAM_SECONDS", 55)))
    link_check = float(app.config.get("WALL_LINK_CHECK_SECONDS", 1))
    keepalive = 15.0
    deadline = time.monotonic() + lifetime
    last_sent = time.monotonic()
    seen = hub.generation
    yield f"retry: 2000\nid: {cursor}\nevent: hello\ndata: {json.dumps({'cursor': cursor})}\n\n"
    while time.monotonic() < deadline:
        # Never yield inside the app context: the server may close the generator from elsewhere.
        with app.app_context():
            usable = token is None or _link_still_usable(token, workshop_id)
            batch = hub.events_after(wall_id, cursor) if usable else []
            db.session.remove()
        if not usable:
            yield "event: gone\ndata: {}\n\n"
            return
        for item in batch:
            cursor = item["id"]
            data = json.dumps({"kind": item["kind"], "data": item["data"]}, ensure_ascii=False)
            yield f"id: {cursor}\nevent: change\ndata: {data}\n\n"
            last_sent = time.monotonic()
        if time.monotonic() - last_sent >= keepalive:
            yield ": keep-alive\n\n"
            last_sent = time.monotonic()
        seen = hub.wait(seen, min(link_check if token else keepalive, max(0.0, deadline - time.monotonic())))


# --- participants: cards and dots --------------------------------------------------------------------------------


@bp.route("/<int:wall_id>/cards", methods=["POST"])
@bp.route("/l/<token>/<int:wall_id>/cards", methods=["POST"])
@access(PUBLIC)
def post_card(wall_id: int, token: str | None = None):
    try:
        wall, actor = _readable_wall(wall_id, token)
    except Gone as gone:
        return _gone(gone.message)
    form = request.form
    return _change(wall, token, lambda: services.post_card(
        actor, wall, form.get("kind", ""), form.get("text", ""), form.get("field", type=int)),
        success=_("Your card is on the wall."), data=lambda card: {"card": services.card_data(card)})


@bp.route("/card/<int:card_id>/edit", methods=["POST"])
@bp.route("/l/<token>/card/<int:card_id>/edit", methods=["POST"])
@access(PUBLIC)
def edit_card(card_id: int, token: str | None = None):
    card = _load(WallCard, card_id)
    try:
        wall, actor = _readable_wall(card.wall_id, token)
    except Gone as gone:
        return _gone(gone.message)
    return _change(wall, token, lambda: services.edit_card(actor, card, request.form.get("text", "")),
                   success=_("The card has been changed."), data=lambda c: {"card": services.card_data(c)})


@bp.route("/card/<int:card_id>/dot", methods=["POST"])
@bp.route("/l/<token>/card/<int:card_id>/dot", methods=["POST"])
@access(PUBLIC)
def dot(card_id: int, token: str | None = None):
    card = _load(WallCard, card_id)
    try:
        wall, actor = _readable_wall(card.wall_id, token)
    except Gone as gone:
        return _gone(gone.message)
    add = request.form.get("action", "add") != "remove"
    return _change(wall, token, lambda: services.cast_dot(actor, card, add=add),
                   success=_("Your dot has been placed.") if add else _("Your dot has been taken back."),
                   data=lambda vote: {"vote": services.vote_state(vote),
                                      "my_dots": {str(k): v for k, v in services.my_dots(vote, actor).items()}})


# --- facilitators ------------------------------------------------------------------------------------------------


def _facilitated_wall(wall_id: int) -> tuple[Wall, services.Actor]:
    wall = _load(Wall, wall_id)
    actor = services.Actor(user=current_user._get_current_object())
    if not services.may_facilitate(actor, wall):
        abort(403)
    return wall, actor


@bp.route("/<int:wall_id>/control", methods=["POST"])
@access(Role.FACILITATOR)
def control(wall_id: int):
    """Open or close the wall, run the timer, start or close a dot vote."""
    wall, actor = _facilitated_wall(wall_id)
    action = request.form.get("action", "")
    minutes = request.form.get("minutes", type=int)
    calls = {
        "open": (lambda: services.open_wall(actor, wall), _("The wall is open.")),
        "close": (lambda: services.close_wall(actor, wall), _("The wall is closed.")),
        "timer_start": (lambda: services.set_timer(actor, wall, "start", minutes), _("The timer runs.")),
        "timer_pause": (lambda: services.set_timer(actor, wall, "pause"), _("The timer is paused.")),
        "timer_reset": (lambda: services.set_timer(actor, wall, "reset"), _("The timer has been reset.")),
        "vote_start": (lambda: services.start_vote(actor, wall, request.form.get("dots", type=int) or 0),
                       _("The dot vote has started.")),
        "vote_close": (lambda: services.close_vote(actor, wall), _("The dot vote is closed; its results are stored "
                                                                   "with the findings.")),
    }
    if action not in calls:
        return _change(wall, None, _unknown_action)
    call, success = calls[action]
    return _change(wall, None, call, success=success)


def _unknown_action():
    raise DomainError(_("Unknown action."))


@bp.route("/card/<int:card_id>/move", methods=["POST"])
@access(Role.FACILITATOR)
def move_card(card_id: int):
    card = _load(WallCard, card_id)
    wall, actor = _facilitated_wall(card.wall_id)
    return _change(wall, None, lambda: services.move_card(actor, card, request.form.get("kind", "")),
                   success=_("The card has been moved."), data=lambda c: {"card": services.card_data(c)})


@bp.route("/card/<int:card_id>/hide", methods=["POST"])
@access(Role.FACILITATOR)
def hide_card(card_id: int):
    card = _load(WallCard, card_id)
    wall, actor = _facilitated_wall(card.wall_id)
    return _change(wall, None, lambda: services.hide_card(actor, card, request.form.get("reason", "")),
                   success=_("The card has been hidden."))


@bp.route("/<int:wall_id>/cluster", methods=["POST"])
@access(Role.FACILITATOR)
def cluster(wall_id: int):
    wall, actor = _facilitated_wall(wall_id)
    return _change(wall, None, lambda: services.cluster_cards(actor, wall, request.form.getlist("cards"),
                                                              request.form.get("text", "")),
                   success=_("The cards have been clustered into one finding."),
                   data=lambda c: {"card": services.card_data(c)})



# --- the import fallback ------------------------------------------------------------------------------------------


def _parsed_from_payload(value: str):
    """The rows the preview showed, sent back with the confirmation (checked again by the service)."""
    try:
        data = json.loads(value or "")
        rows = [importer.ImportedRow(int(r["line"]), str(r["text"]), r.get("kind") or None) for r in data]
    except (ValueError, TypeError, KeyError):
        rows = None
    if not rows:
        return None
    return importer.ParsedImport("preview", rows=rows)


@bp.route("/<int:wall_id>/import", methods=["GET", "POST"])
@access(Role.FACILITATOR)
def import_cards(wall_id: int):
    """Sticky notes from Miro (CSV), Excalidraw (JSON), Etherpad (text) or any CSV: preview with row errors, then
    all of them become findings of the block, or none."""
    wall, actor = _facilitated_wall(wall_id)
    block = wall.agenda_block
    fields = [f for f in block.workshop.fields if f.retired_at is None]
    default_kind = request.form.get("kind") or services.columns(wall)[0].value
    field_id = request.form.get("field", type=int)
    parsed = errors = None
    if request.method == "POST" and request.form.get("step") == "import":
        parsed = _parsed_from_payload(request.form.get("payload", ""))
        if parsed is None:
            flash(_("Please upload the file again."), "error")
        else:
            outcome = perform(lambda: services.import_cards(actor, wall, parsed, default_kind, field_id),
                              success=lambda cards: _("%(count)s cards have been imported.", count=len(cards)))
            if outcome:
                return redirect(url_for("wall.board", block_id=block.id))
            errors = services.check_import(wall, parsed, default_kind)
    elif request.method == "POST":
        upload = request.files.get("file")
        data = upload.read() if upload else b""
        if not data:
            flash(_("Please choose a file."), "error")
        else:
            try:
                parsed = importer.parse(data, services.CARD_MAX)
            except DomainError as error:
                flash(str(error.message), "error")
            else:
                errors = services.check_import(wall, parsed, default_kind)
    payload = json.dumps([{"line": r.line, "text": r.text, "kind": r.kind} for r in parsed.rows],
                         ensure_ascii=False) if parsed else ""
    return render_template("wall/import.html", wall=wall, block=block, workshop=block.workshop, fields=fields,
                           columns=services.columns(wall), default_kind=default_kind, field_id=field_id,
                           parsed=parsed, errors=errors, payload=payload, is_measures=services.is_measures_wall(wall),
                           kind_labels={k.value: k.label for k in services.columns(wall)})
