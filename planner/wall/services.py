"""The wall's rules. Services take the acting participant (``Actor``: a signed-in user or a personal invitation
link), flush only, and write each change's event in the same transaction (``transport.publish``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from planner.core.errors import DomainError, NotAllowed, StaleVersion
from planner.core.locking import lock_row
from planner.core.models import utcnow
from planner.core.timeutil import to_local
from planner.extensions import db
from planner.findings import services as findings
from planner.findings.models import SWOT_KINDS, Finding, FindingKind, Measure, MeasureStatus
from planner.wall import transport
from planner.wall.models import MEASURE_COLUMN, Dot, DotVote, VoteResult, Wall, WallCard, WallState
from planner.workshops.models import (
    AgendaBlock,
    AgendaBlockKind,
    InvitationStatus,
    Participation,
    Workshop,
    WorkshopStatus,
)

CARD_MAX = 500  # characters: a sticky note, not an essay
MEASURE_CARD_MAX = 300  # a measure card is the measure's title (its fact sheet is completed on its page later)
DOTS_MAX = 20
TIMER_MAX_MINUTES = 240


@dataclass(frozen=True)
class MeasureColumn:
    """The one column of a measures wall (its cards are Measures; a FindingKind names the other columns)."""

    value: str = MEASURE_COLUMN

    @property
    def label(self):
        return _l("Measure proposals")


MEASURES = MeasureColumn()
COLUMNS = {
    AgendaBlockKind.STATUS_QUO: tuple(SWOT_KINDS),
    AgendaBlockKind.NEEDS: (FindingKind.NEED,),
    AgendaBlockKind.MEASURES: (MEASURES,),
}
WALL_KINDS = frozenset(COLUMNS)
INACTIVE_MEASURE = (MeasureStatus.REJECTED, MeasureStatus.MERGED)
CLOSED_WALL_MESSAGE = _l("The wall is closed: cards cannot be added or changed now.")
BUSY_MESSAGE = _l("Someone else changed these cards at the same moment. The wall shows the current state now; "
                  "please try again.")


@dataclass(frozen=True)
class Actor:
    """Who acts on a wall: a signed-in user, or a participant by their personal invitation link."""

    user: object | None = None
    participation: object | None = None  # by link

    @property
    def person_id(self) -> int | None:
        if self.participation is not None:
            return self.participation.person_id
        return getattr(self.user, "person_id", None)

    @property
    def voter(self) -> str:
        return f"p{self.person_id}" if self.person_id else f"u{self.user.id}"

    @property
    def is_link(self) -> bool:
        return self.participation is not None


# --- who may ---------------------------------------------------------------------------------------------------


def may_facilitate(actor: Actor, wall: Wall) -> bool:
    user = actor.user
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    # As for the workshop's findings: its listed facilitators and administrators run it.
    return findings.facilitates(user, wall.agenda_block.workshop)


def may_take_part(actor: Actor, wall: Wall) -> bool:
    """The facilitators, and the participants who accepted (or attended): by link as when signed in."""
    workshop = wall.agenda_block.workshop
    if actor.participation is not None:
        participation = actor.participation
        return participation.workshop_id == workshop.id and takes_part(participation)
    return may_facilitate(actor, wall) or findings.takes_part(actor.user, workshop)


def takes_part(participation) -> bool:
    """A participation that lets its person take part on the walls: accepted, or attended."""
    return participation.invitation_status == InvitationStatus.ACCEPTED or bool(participation.attended)


def offers_walls(participation) -> bool:
    """Whether the participant's invitation page leads to the workshop's card walls: they take part, the workshop
    is scheduled or under way, and its agenda has a block with a wall."""
    return (takes_part(participation)
            and participation.workshop.status in (WorkshopStatus.SCHEDULED, WorkshopStatus.HELD)
            and any(has_wall(block) for block in participation.workshop.agenda_blocks))


def not_yet_taking_part(actor: Actor, wall: Wall):
    """The actor's participation in the wall's workshop when it does not (yet) let them take part: invited without
    an answer, declined or waitlisted (the page tells them why, instead of a bare "no access"); else None."""
    workshop_id = wall.agenda_block.workshop_id
    participation = actor.participation
    if participation is None and actor.person_id:
        participation = db.session.scalar(select(Participation).where(
            Participation.workshop_id == workshop_id, Participation.person_id == actor.person_id))
    if participation is None or participation.workshop_id != workshop_id or takes_part(participation):
        return None
    return participation


def may_read(actor: Actor, wall: Wall) -> bool:
    return may_take_part(actor, wall) or (actor.user is not None and findings.is_staff(actor.user))


def _require_facilitator(actor: Actor, wall: Wall) -> None:
    if not may_facilitate(actor, wall):
        raise NotAllowed(_l("Only the workshop's facilitators may run the wall."))


def _require_participant(actor: Actor, wall: Wall) -> None:
    if not may_take_part(actor, wall):
        raise NotAllowed(_l("Only the workshop's participants may add cards."))


# --- the wall --------------------------------------------------------------------------------------------------


def has_wall(block: AgendaBlock) -> bool:
    return block.kind in WALL_KINDS


def wall_for_block(block: AgendaBlock) -> Wall:
    """The block's wall, made on first use (a status-quo, needs or measures block)."""
    if not has_wall(block):
        raise DomainError(_l("Only status-quo, needs and measures blocks have a card wall."))
    wall = db.session.scalar(select(Wall).where(Wall.agenda_block_id == block.id))
    if wall is None:
        wall = Wall(agenda_block=block, state=WallState.PREPARED)
        db.session.add(wall)
        db.session.flush()
    return wall


def existing_wall(block: AgendaBlock) -> Wall | None:
    """The block's wall if it has been made (reading a list of walls makes none)."""
    return db.session.scalar(select(Wall).where(Wall.agenda_block_id == block.id))


def columns(wall: Wall) -> tuple:
    """The wall's columns (each has ``value`` and ``label``): FindingKinds, or the measures column."""
    return COLUMNS[wall.agenda_block.kind]


def is_measures_wall(wall: Wall) -> bool:
    return wall.agenda_block.kind == AgendaBlockKind.MEASURES


def card_limit(wall: Wall) -> int:
    return MEASURE_CARD_MAX if is_measures_wall(wall) else CARD_MAX


def column_label(value: str):
    if value == MEASURE_COLUMN:
        return MEASURES.label
    try:
        return FindingKind(value).label
    except ValueError:
        return value


def open_wall(actor: Actor, wall: Wall) -> Wall:
    _require_facilitator(actor, wall)
    if wall.agenda_block.workshop.status.value in ("documented", "cancelled"):
        raise DomainError(_l("The workshop is documented or cancelled: its wall cannot be opened."))
    wall.change_state(WallState.OPEN)
    _publish_wall(wall)
    return wall


def workshop_has_cards(workshop: Workshop) -> bool:
    return db.session.scalar(
        select(func.count()).select_from(WallCard).join(Wall, Wall.id == WallCard.wall_id)
        .join(AgendaBlock, AgendaBlock.id == Wall.agenda_block_id).where(AgendaBlock.workshop_id == workshop.id)
    ) > 0


def set_anonymity(user, workshop: Workshop, anonymous: bool) -> Workshop:
    """The workshop's setting for all its walls: cards name their author, or nobody. Fixed once the first card is
    on any of its walls (a card posted under one promise keeps it)."""
    if user is None or not findings.facilitates(user, workshop):
        raise NotAllowed(_l("Only the workshop's facilitators may run the wall."))
    if bool(workshop.cards_anonymous) == bool(anonymous):
        return workshop
    if workshop_has_cards(workshop):
        raise DomainError(_l("Cards have been posted on this workshop's walls already: whether they name their "
                             "authors can no longer be changed."), field="anonymous")
    workshop.cards_anonymous = bool(anonymous)
    db.session.flush()
    for wall in db.session.scalars(select(Wall).join(AgendaBlock, AgendaBlock.id == Wall.agenda_block_id)
                                   .where(AgendaBlock.workshop_id == workshop.id)):
        transport.publish(wall.id, "wall", wall_state(wall))
    return workshop


def close_wall(actor: Actor, wall: Wall) -> Wall:
    _require_facilitator(actor, wall)
    wall.change_state(WallState.CLOSED)
    _publish_wall(wall)
    return wall


def _publish_wall(wall: Wall) -> None:
    db.session.flush()
    transport.publish(wall.id, "wall", wall_state(wall))


def wall_state(wall: Wall) -> dict:
    return {"state": wall.state.value, "label": str(wall.state.label), "anonymous": wall.is_anonymous,
            "timer": timer_state(wall)}


# --- cards -----------------------------------------------------------------------------------------------------


def _clean_card_text(value: str | None, limit: int = CARD_MAX) -> str:
    text = " ".join((value or "").split()) if "\n" not in (value or "") or limit == MEASURE_CARD_MAX \
        else (value or "").strip()
    if not text:
        raise DomainError(_l("Please write something on the card."), field="text")
    if len(text) > limit:
        raise DomainError(_l("A card holds at most %(limit)s characters; this one has %(length)s. Please shorten "
                             "it or split it into several cards.", limit=limit, length=len(text)), field="text")
    return text


def _check_rate(actor: Actor, wall: Wall) -> None:
    limit = int(current_app.config.get("WALL_RATE_LIMIT", 6))
    window = int(current_app.config.get("WALL_RATE_WINDOW_SECONDS", 10))
    poster = (WallCard.poster_person_id == actor.person_id if actor.person_id
              else WallCard.poster_user_id == actor.user.id)
    recent = db.session.scalar(
        select(func.count()).select_from(WallCard)
        .where(poster, WallCard.created_at >= utcnow() - timedelta(seconds=window))
    )
    if recent >= limit:
        raise DomainError(_l("You are posting very fast: at most %(limit)s cards in %(seconds)s seconds. Please "
                             "wait a moment and post again.", limit=limit, seconds=window), field="text")


def _field_of(wall: Wall, field_id: int | None):
    fields = [f for f in wall.agenda_block.workshop.fields if f.retired_at is None]
    if field_id is None and len(fields) == 1:
        return fields[0]
    field = next((f for f in fields if f.id == field_id), None)
    if field is None:
        raise DomainError(_l("Please choose an action field of this workshop."), field="field")
    return field


def _kind(wall: Wall, value):
    """The column by its value: a FindingKind, or the measures column."""
    kind = next((k for k in columns(wall) if k.value == value), None)
    if kind is None:
        raise DomainError(_l("Please choose a column of this wall."), field="kind")
    return kind


def _new_item(wall: Wall, kind, text: str, field, author_id: int | None, user_id: int | None) -> dict:
    """The Finding (status quo, needs) or the Measure proposal (measures) a new card stands for."""
    block = wall.agenda_block
    if kind == MEASURES:
        measure = Measure(field=field, title=text, workshop=block.workshop, agenda_block=block,
                          proposed_by_id=author_id, recorded_by_user_id=user_id, status=MeasureStatus.PROPOSED)
        db.session.add(measure)
        return {"measure": measure}
    finding = Finding(workshop=block.workshop, agenda_block=block, field=field, kind=kind, text=text,
                      author_id=author_id, recorded_by_user_id=user_id)
    db.session.add(finding)
    return {"finding": finding}


def post_card(actor: Actor, wall: Wall, kind, text: str, field_id: int | None = None) -> WallCard:
    """A new card: a Finding (a Measure proposal on a measures wall) at once, numbered by the findings numbering
    hook, shown to everybody. A measure card is only its title; the fact sheet is completed on its page later."""
    _require_participant(actor, wall)
    if not wall.is_open:
        raise DomainError(CLOSED_WALL_MESSAGE)
    text = _clean_card_text(text, card_limit(wall))
    kind = _kind(wall, kind)
    field = _field_of(wall, field_id)
    _check_rate(actor, wall)
    user_id = actor.user.id if actor.user is not None else None
    item = _new_item(wall, kind, text, field, None if wall.is_anonymous else actor.person_id, user_id)
    card = WallCard(wall=wall, poster_person_id=actor.person_id, poster_user_id=user_id, **item)
    db.session.add(card)
    db.session.flush()
    transport.publish(wall.id, "card", card_data(card))
    return card


def is_own(actor: Actor, card: WallCard) -> bool:
    if actor.person_id and card.poster_person_id == actor.person_id:
        return True
    return actor.user is not None and not actor.is_link and card.poster_user_id == actor.user.id


def edit_card(actor: Actor, card: WallCard, text: str) -> WallCard:
    wall = card.wall
    if not (is_own(actor, card) and may_take_part(actor, wall)) and not may_facilitate(actor, wall):
        raise NotAllowed(_l("You may only change your own cards."))
    if not wall.is_open:
        raise DomainError(CLOSED_WALL_MESSAGE)
    if not card.is_active:
        raise DomainError(_l("This card is no longer on the wall."))
    if card.finding is not None:
        card.finding.text = _clean_card_text(text)
    else:
        card.measure.title = _clean_card_text(text, MEASURE_CARD_MAX)
    card.item.version += 1
    _flush()
    transport.publish(wall.id, "card", card_data(card))
    return card


def move_card(actor: Actor, card: WallCard, kind) -> WallCard:
    wall = card.wall
    _require_facilitator(actor, wall)
    if not card.is_active:
        raise DomainError(_l("This card is no longer on the wall."))
    column = _kind(wall, kind)
    if card.finding is not None and card.finding.kind != column:
        card.finding.kind = column
        card.finding.version += 1
    _flush()
    transport.publish(wall.id, "card", card_data(card))
    return card


def hide_card(actor: Actor, card: WallCard, reason: str) -> WallCard:
    wall = card.wall
    _require_facilitator(actor, wall)
    if not card.is_active:
        raise DomainError(_l("This card is no longer on the wall."))
    if card.finding is not None:
        findings.hide_finding(actor.user, card.finding, reason or str(_l("Off-topic")))
    else:  # a measure proposal has no "hidden": it is withdrawn (rejected with the reason), and can be taken up again
        findings.withdraw_proposal(actor.user, card.measure, reason or str(_l("Off-topic")))
    transport.publish(wall.id, "remove", {"ids": [card.id]})
    return card


def cluster_cards(actor: Actor, wall: Wall, card_ids, text: str) -> WallCard:
    """Several cards become one finding (a new card) with the others as its sources. The wall's row is locked
    first, so two facilitators clustering the same cards at once cannot both take a card: the second one sees
    it clustered already and is refused (no card lost, none in two clusters)."""
    _require_facilitator(actor, wall)
    ids = sorted({int(i) for i in card_ids if str(i).isdigit()})
    if len(ids) < 2:
        raise DomainError(_l("Please choose at least two cards to cluster."), field="cards")
    lock_row(wall)
    cards = db.session.scalars(
        select(WallCard).where(WallCard.id.in_(ids), WallCard.wall_id == wall.id)
        .options(selectinload(WallCard.finding), selectinload(WallCard.measure))
        .execution_options(populate_existing=True)
    ).all()
    if len(cards) != len(ids):
        raise DomainError(_l("Please choose cards of this wall."), field="cards")
    for card in cards:
        db.session.refresh(card.item)
    if any(not card.is_active for card in cards):
        raise DomainError(_l("One of the chosen cards has been clustered or hidden in the meantime. Please choose "
                             "again."), field="cards")
    fields = {card.item.field_id for card in cards}
    if len(fields) > 1:
        raise DomainError(_l("Only cards of the same action field can be clustered."), field="cards")
    limit = card_limit(wall)
    title = _clean_card_text(text, limit) if (text or "").strip() else " / ".join(c.text for c in cards)[:limit]
    if is_measures_wall(wall):
        # The proposals are merged into one new proposal: the measure page lists them as merged into it.
        measure = findings.merge_proposals(actor.user, [card.measure for card in cards], title)
        cluster = WallCard(wall=wall, measure=measure, is_cluster=True, poster_user_id=actor.user.id)
        db.session.add(cluster)
        db.session.flush()
        for card in cards:
            card.cluster = cluster
        _flush()
        transport.publish(wall.id, "remove", {"ids": ids})
        transport.publish(wall.id, "card", card_data(cluster))
        return cluster
    first = cards[0].finding
    finding = Finding(
        workshop_id=first.workshop_id, agenda_block_id=first.agenda_block_id, field_id=first.field_id,
        kind=first.kind, text=title, recorded_by_user_id=actor.user.id,
    )
    db.session.add(finding)
    cluster = WallCard(wall=wall, finding=finding, is_cluster=True, poster_user_id=actor.user.id)
    db.session.add(cluster)
    db.session.flush()
    for card in cards:
        card.cluster = cluster
    _flush()
    transport.publish(wall.id, "remove", {"ids": ids})
    transport.publish(wall.id, "card", card_data(cluster))
    return cluster


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as error:
        raise StaleVersion(BUSY_MESSAGE) from error


def card_data(card: WallCard) -> dict:
    item = card.item
    wall = card.wall
    author = None
    if not wall.is_anonymous and card.author is not None:
        author = card.author.full_name
    return {
        "id": card.id,
        "finding_id": card.finding_id,
        "measure_id": card.measure_id,
        "number": item.number,
        "kind": card.kind,
        "text": card.text,
        "field": item.field.code if item.field is not None else "",
        "field_id": item.field_id,
        "author": author,
        "time": to_local(card.created_at).strftime("%H:%M") if card.created_at else "",
        "cluster": card.is_cluster,
        "sources": [s.number for s in card.sources],
        "dots": card.dots,
    }


def active_cards(wall: Wall, field_id: int | None = None) -> list[WallCard]:
    stmt = (
        select(WallCard)
        .outerjoin(Finding, Finding.id == WallCard.finding_id).outerjoin(Measure, Measure.id == WallCard.measure_id)
        .where(WallCard.wall_id == wall.id, WallCard.cluster_id.is_(None),
               or_(Finding.is_hidden.is_(False), Measure.status.not_in(INACTIVE_MEASURE)))
        .options(selectinload(WallCard.finding).selectinload(Finding.author),
                 selectinload(WallCard.finding).selectinload(Finding.field),
                 selectinload(WallCard.measure).selectinload(Measure.proposed_by),
                 selectinload(WallCard.measure).selectinload(Measure.field),
                 selectinload(WallCard.sources).selectinload(WallCard.finding),
                 selectinload(WallCard.sources).selectinload(WallCard.measure))
        .order_by(WallCard.id)
    )
    if field_id:
        stmt = stmt.where(or_(Finding.field_id == field_id, Measure.field_id == field_id))
    return db.session.scalars(stmt).all()


# --- the timer -------------------------------------------------------------------------------------------------


def timer_state(wall: Wall) -> dict:
    return {"running": wall.timer_ends_at is not None, "seconds_left": wall.seconds_left(),
            "ends_at": wall.timer_ends_at.isoformat() if wall.timer_ends_at else None}


def set_timer(actor: Actor, wall: Wall, action: str, minutes: int | None = None) -> Wall:
    _require_facilitator(actor, wall)
    now = utcnow()
    if action == "start":
        seconds = wall.seconds_left(now)
        if minutes is not None:
            if not 1 <= minutes <= TIMER_MAX_MINUTES:
                raise DomainError(_l("Please enter between 1 and %(max)s minutes.", max=TIMER_MAX_MINUTES),
                                  field="minutes")
            seconds = minutes * 60
        if not seconds:
            seconds = wall.agenda_block.duration_minutes * 60
        wall.timer_ends_at = now + timedelta(seconds=seconds)
        wall.timer_seconds_left = None
    elif action == "pause":
        wall.timer_seconds_left = wall.seconds_left(now)
        wall.timer_ends_at = None
    elif action == "reset":
        wall.timer_ends_at = None
        wall.timer_seconds_left = None
    else:
        raise DomainError(_l("Unknown timer action."))
    db.session.flush()
    transport.publish(wall.id, "timer", timer_state(wall))
    return wall


# --- dot voting ------------------------------------------------------------------------------------------------


def open_vote(wall: Wall) -> DotVote | None:
    return db.session.scalar(select(DotVote).where(DotVote.wall_id == wall.id, DotVote.closed_at.is_(None)))


def last_vote(wall: Wall) -> DotVote | None:
    return db.session.scalar(select(DotVote).where(DotVote.wall_id == wall.id).order_by(DotVote.id.desc()).limit(1))


def start_vote(actor: Actor, wall: Wall, dots_per_person: int) -> DotVote:
    _require_facilitator(actor, wall)
    if not 1 <= (dots_per_person or 0) <= DOTS_MAX:
        raise DomainError(_l("Please give between 1 and %(max)s dots per person.", max=DOTS_MAX), field="dots")
    lock_row(wall)
    if open_vote(wall) is not None:
        raise DomainError(_l("A vote is already running on this wall."))
    vote = DotVote(wall=wall, dots_per_person=dots_per_person, started_by_id=actor.user.id)
    db.session.add(vote)
    db.session.flush()
    transport.publish(wall.id, "vote", vote_state(vote))
    return vote


def cast_dot(actor: Actor, card: WallCard, add: bool = True) -> DotVote:
    wall = card.wall
    _require_participant(actor, wall)
    lock_row(wall)  # one voter's dots are counted under the wall's lock: never more than n
    vote = open_vote(wall)
    if vote is None:
        raise DomainError(_l("No vote is running on this wall."))
    if not card.is_active:
        raise DomainError(_l("This card is no longer on the wall."))
    mine = db.session.scalars(select(Dot).where(Dot.vote_id == vote.id, Dot.voter == actor.voter)).all()
    if add:
        if len(mine) >= vote.dots_per_person:
            raise DomainError(_l("You have used all your %(n)s dots. Take one back to place it elsewhere.",
                                 n=vote.dots_per_person))
        db.session.add(Dot(vote_id=vote.id, card_id=card.id, voter=actor.voter))
    else:
        dot = next((d for d in mine if d.card_id == card.id), None)
        if dot is None:
            raise DomainError(_l("You have no dot on this card."))
        db.session.delete(dot)
    db.session.flush()
    transport.publish(wall.id, "vote", vote_state(vote))
    return vote


def close_vote(actor: Actor, wall: Wall) -> DotVote:
    """Ends the vote and stores each card's dots on the card (the strategy team reads them with the findings)."""
    _require_facilitator(actor, wall)
    lock_row(wall)
    vote = open_vote(wall)
    if vote is None:
        raise DomainError(_l("No vote is running on this wall."))
    vote.close()
    tallies = tally(vote)
    on_wall = {card.id for card in active_cards(wall)}
    for card in db.session.scalars(select(WallCard).where(WallCard.wall_id == wall.id)):
        card.dots = tallies.get(card.id, 0)
    # Every card on the wall at the close (and any that got dots before it was clustered) keeps this vote's result.
    voted = sorted(on_wall | set(tallies))
    for card_id in voted:
        dots = tallies.get(card_id, 0)
        rank = 1 + sum(1 for other in voted if tallies.get(other, 0) > dots)
        db.session.add(VoteResult(vote_id=vote.id, card_id=card_id, dots=dots, rank=rank))
    _flush()
    transport.publish(wall.id, "vote", vote_state(vote))
    return vote


def tally(vote: DotVote) -> dict[int, int]:
    rows = db.session.execute(
        select(Dot.card_id, func.count()).where(Dot.vote_id == vote.id).group_by(Dot.card_id)
    ).all()
    return {card_id: count for card_id, count in rows}


def my_dots(vote: DotVote | None, actor: Actor) -> dict[int, int]:
    if vote is None:
        return {}
    rows = db.session.execute(
        select(Dot.card_id, func.count()).where(Dot.vote_id == vote.id, Dot.voter == actor.voter)
        .group_by(Dot.card_id)
    ).all()
    return {card_id: count for card_id, count in rows}


def vote_state(vote: DotVote | None) -> dict | None:
    if vote is None:
        return None
    return {"id": vote.id, "open": vote.is_open, "dots_per_person": vote.dots_per_person,
            "tallies": {str(k): v for k, v in tally(vote).items()}}


# --- for the strategy team -------------------------------------------------------------------------------------


def voted_findings(workshop_id: int) -> list[WallCard]:
    """The cards (findings and measure proposals) of a workshop's walls with the dots of their last closed vote,
    most dots first."""
    return db.session.scalars(
        select(WallCard).join(Wall).join(AgendaBlock, AgendaBlock.id == Wall.agenda_block_id)
        .where(AgendaBlock.workshop_id == workshop_id, WallCard.dots.is_not(None), WallCard.dots > 0)
        .options(selectinload(WallCard.finding), selectinload(WallCard.measure))
        .order_by(WallCard.dots.desc(), WallCard.id)
    ).all()


@dataclass(frozen=True)
class VoteLine:
    """One closed vote as the finding's (or measure's) page shows it."""

    dots: int
    rank: int
    cards: int  # how many cards the vote ranked
    dots_per_person: int
    voters: int
    closed_at: object
    block_title: str
    workshop_title: str
    block_id: int
    vote_number: int  # the n-th vote on that wall


def card_of_finding(finding_id: int) -> WallCard | None:
    """The wall card a finding was posted (or clustered) as, if any."""
    return db.session.scalar(select(WallCard).where(WallCard.finding_id == finding_id))


def votes_of(finding_id: int | None = None, measure_id: int | None = None) -> list[VoteLine]:
    """The closed votes a finding or measure took part in (through its card), oldest first."""
    column = WallCard.finding_id == finding_id if finding_id is not None else WallCard.measure_id == measure_id
    results = db.session.scalars(
        select(VoteResult).join(WallCard, WallCard.id == VoteResult.card_id).where(column)
        .options(selectinload(VoteResult.vote).selectinload(DotVote.wall).selectinload(Wall.agenda_block)
                 .selectinload(AgendaBlock.workshop))
        .order_by(VoteResult.vote_id)
    ).all()
    lines = []
    for result in results:
        vote = result.vote
        cards = db.session.scalar(select(func.count()).select_from(VoteResult).where(VoteResult.vote_id == vote.id))
        voters = db.session.scalar(select(func.count(func.distinct(Dot.voter))).where(Dot.vote_id == vote.id))
        number = db.session.scalar(select(func.count()).select_from(DotVote)
                                   .where(DotVote.wall_id == vote.wall_id, DotVote.id <= vote.id))
        block = vote.wall.agenda_block
        lines.append(VoteLine(result.dots, result.rank, cards, vote.dots_per_person, voters, vote.closed_at,
                              block.title, block.workshop.title, block.id, number))
    return lines


def dots_by_measure(measure_ids) -> dict[int, tuple[int, int]]:
    """Per measure: (dots over all closed workshop votes, how many votes) — an input to the prioritisation."""
    ids = list(measure_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(WallCard.measure_id, func.sum(VoteResult.dots), func.count(VoteResult.id))
        .join(VoteResult, VoteResult.card_id == WallCard.id)
        .where(WallCard.measure_id.in_(ids)).group_by(WallCard.measure_id)
    ).all()
    return {measure_id: (int(dots or 0), votes) for measure_id, dots, votes in rows}


def snapshot(wall: Wall, actor: Actor, field_id: int | None = None) -> dict:
    vote = open_vote(wall) or last_vote(wall)
    return {
        "cursor": transport.last_event_id(wall.id),
        "wall": wall_state(wall),
        "cards": [card_data(c) for c in active_cards(wall, field_id)],
        "vote": vote_state(vote),
        "my_dots": {str(k): v for k, v in my_dots(vote if vote and vote.is_open else None, actor).items()},
    }



# --- the import fallback -------------------------------------------------------------------------------------------


def check_import(wall: Wall, parsed, default_kind: str | None) -> list[tuple[int, object]]:
    """The row errors of a parsed file for this wall (its own plus a column the wall does not have)."""
    errors = list(parsed.errors)
    allowed = {k.value for k in columns(wall)}
    default = default_kind if default_kind in allowed else None
    limit = card_limit(wall)
    for row in parsed.rows:
        kind = row.kind or default
        if kind is None:
            errors.append((row.line, _l("Please choose the column for cards without one.")))
        elif kind not in allowed:
            errors.append((row.line, _l("This wall has no column “%(kind)s”.", kind=column_label(kind))))
        elif len(row.text) > limit and limit < CARD_MAX:  # the parser checked CARD_MAX already
            errors.append((row.line, _l("The card has %(length)s characters; at most %(limit)s are allowed.",
                                        length=len(row.text), limit=limit)))
    return sorted(errors, key=lambda e: e[0])


def import_cards(actor: Actor, wall: Wall, parsed, default_kind: str | None, field_id: int | None) -> list[WallCard]:
    """All the file's cards become findings of the block, or none (any row error refuses the whole file)."""
    _require_facilitator(actor, wall)
    field = _field_of(wall, field_id)
    errors = check_import(wall, parsed, default_kind)
    if errors:
        raise DomainError(_l("The file has %(count)s row errors; nothing has been imported.", count=len(errors)))
    cards = []
    for row in parsed.rows:
        item = _new_item(wall, _kind(wall, row.kind or default_kind), row.text, field, None, actor.user.id)
        card = WallCard(wall=wall, **item)  # no poster: an import does not count against the rate limit
        db.session.add(card)
        cards.append(card)
    db.session.flush()
    for card in cards:
        transport.publish(wall.id, "card", card_data(card))
    return cards
