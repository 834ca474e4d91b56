"""Review and sign-off: rounds on a frozen version, comments, verdicts per part, answers, sign-off, publication.

A round covers every part of the frozen version, taken from its stored roll-up: each free-text section
(``section:<key>``), each action field's chapter (``field:<code>``), each measure (``measure:<number>``) and the
roadmap (``roadmap``). Reviewers are the round's members: accounts with the reviewer role and outside reviewers
(``ReviewGuest``, invited by e-mail with a personal link). A version is "abgestimmt" (agreed) when every member of
one of its rounds has approved every part. The whole-document sign-off follows (a strategy lead or an
administrator), and publication is refused while a round has open comments or readiness has blocking gaps,
unless an administrator overrides with a reason.

Services take the acting reviewer (a ``User`` or a ``ReviewGuest``) or the acting user and only ``flush()``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.core.errors import DomainError, InvalidTransition, NotAllowed
from planner.core.models import utcnow
from planner.core.permissions import Role, has_role
from planner.core.security import hash_token, new_token
from planner.extensions import db
from planner.strategy import labels
from planner.strategy.models import (
    CommentAnswer,
    PaperVersion,
    ReviewComment,
    ReviewGuest,
    ReviewRound,
    ReviewRoundMember,
    RoundStatus,
    SectionVerdict,
    Verdict,
)
from planner.strategy.readiness import blocking_issues
from planner.strategy.versions import version_rollup

GUEST_LINK_DAYS = 90  # a guest's link without a due date; with one: until two weeks after it
GUEST_GRACE = timedelta(days=14)
QUOTE_LENGTH = 200

# --- the parts of a version ------------------------------------------------------------------------------------

PART_GROUPS = ("section", "field", "measure", "roadmap")


@dataclass(frozen=True)
class Part:
    key: str  # section:vision · field:MOB · measure:M-12 · roadmap
    kind: str  # section | field | measure | roadmap
    code: str  # the section's key, the field's code, the measure's number; "" for the roadmap
    title: str  # in the UI's language
    field_code: str = ""  # a measure's field


def parts_of(rollup) -> tuple[Part, ...]:
    """Every part of the paper a round covers, in the paper's order within each kind."""
    language = rollup.locale or "de"
    parts = [Part(f"section:{s.key}", "section", s.key, labels.section_title(s.key, s.title)) for s in rollup.sections]
    parts += [Part(f"field:{c.code}", "field", c.code, f"{c.code} {labels.field_name(c, language)}")
              for c in rollup.fields]
    parts += [Part(f"measure:{m.number}", "measure", m.number, f"{m.number} {m.title}", m.field_code)
              for c in rollup.fields for m in c.measures]
    parts.append(Part("roadmap", "roadmap", "", _("Roadmap to %(year)s", year=rollup.process.target_year)))
    return tuple(parts)


def group_label(kind: str) -> str:
    return {"section": _("Sections"), "field": _("Action-field chapters"), "measure": _("Measures"),
            "roadmap": _("Roadmap"), "paper": _("The paper as a whole")}[kind]


def _split_target(target: str) -> tuple[str, str]:
    kind, _sep, key = target.partition(":")
    return kind, key


# --- paragraphs of the frozen version --------------------------------------------------------------------------

_BLANK_LINE = re.compile(r"\n[ \t]*\n+")


def markdown_paragraphs(text: str) -> list[str]:
    """A section's Markdown split at blank lines: the paragraphs a reviewer can comment on one by one."""
    return [chunk.strip("\n") for chunk in _BLANK_LINE.split(text.replace("\r\n", "\n")) if chunk.strip()]


@dataclass(frozen=True)
class Paragraph:
    part: str
    number: int  # 1-based within the part
    text: str
    markdown: bool


def paragraphs_by_block(outline) -> dict[int, list[Paragraph]]:
    """Which paragraphs of the outline belong to which part: block index → its paragraphs.

    Headings open parts: ``section-<key>`` a section, ``field-<code>`` a field chapter, ``roadmap`` the roadmap;
    any other chapter heading ends the part (its paragraphs are not reviewable parts). A measure's fact sheet holds
    the measure's paragraphs (its description). The numbering is stable for a frozen version: it depends on the
    stored roll-up only."""
    result: dict[int, list[Paragraph]] = {}
    counters: dict[str, int] = {}
    part = None
    for index, block in enumerate(outline.blocks):
        if block.block == "heading":
            anchor = block.anchor or ""
            if anchor.startswith("section-"):
                part = "section:" + anchor.removeprefix("section-")
            elif anchor.startswith("field-") and block.level == 2:
                part = "field:" + anchor.removeprefix("field-")
            elif anchor == "roadmap":
                part = "roadmap"
            elif block.level == 1:
                part = None
            continue
        if block.block == "factsheet":  # a measure's own text: its paragraphs belong to the measure
            target, chunks, markdown = f"measure:{block.number}", markdown_paragraphs(block.description or ""), True
        elif block.block == "paragraph" and part is not None and block.role != "missing":
            target = part
            chunks = markdown_paragraphs(block.text) if block.markdown else [block.text]
            markdown = block.markdown
        else:
            continue
        found = []
        for chunk in chunks:
            counters[target] = counters.get(target, 0) + 1
            found.append(Paragraph(target, counters[target], chunk, markdown))
        if found:
            result[index] = found
    return result


def find_paragraph(outline, target: str, number: int) -> Paragraph | None:
    for paragraphs in paragraphs_by_block(outline).values():
        for paragraph in paragraphs:
            if paragraph.part == target and paragraph.number == number:
                return paragraph
    return None


# --- who may do what ------------------------------------------------------------------------------------------

def is_member(round_: ReviewRound, user) -> bool:
    if isinstance(user, ReviewGuest):
        return user.round_id == round_.id and user.is_usable()
    return any(m.user_id == getattr(user, "id", None) for m in round_.members)


def can_view_round(round_: ReviewRound, user) -> bool:
    return has_role(user, Role.STRATEGY_TEAM) or is_member(round_, user)


def ensure_member(round_: ReviewRound, reviewer) -> None:
    if isinstance(reviewer, ReviewGuest):
        if not is_member(round_, reviewer):
            raise NotAllowed(_l("This personal link no longer works."))
        return
    if not (is_member(round_, reviewer) or has_role(reviewer)):  # has_role(user) with no roles: admins only
        raise NotAllowed(_l("You are not a member of this review round."))


def _reviewer_ids(reviewer) -> dict:
    if isinstance(reviewer, ReviewGuest):
        return {"guest_id": reviewer.id, "user_id": None}
    return {"user_id": reviewer.id, "guest_id": None}


def rounds_of(user) -> list[ReviewRound]:
    return list(
        db.session.scalars(
            select(ReviewRound)
            .join(ReviewRoundMember)
            .where(ReviewRoundMember.user_id == user.id)
            .options(selectinload(ReviewRound.version))
            .order_by(ReviewRound.id.desc())
        )
    )


# --- the round's state ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reviewer:
    key: tuple[str, int]  # ("user", id) | ("guest", id)
    name: str
    body_label: str
    is_guest: bool


@dataclass(frozen=True)
class PartState:
    part: Part
    verdicts: tuple  # SectionVerdict of the round's reviewers on this part
    comments: tuple  # ReviewComment on this part
    approvals: int
    needed: int

    @property
    def open_comments(self) -> tuple:
        return tuple(c for c in self.comments if c.is_open)

    @property
    def is_approved(self) -> bool:
        return self.needed > 0 and self.approvals == self.needed

    @property
    def is_open(self) -> bool:
        return not self.is_approved or bool(self.open_comments)


@dataclass(frozen=True)
class RoundState:
    parts: tuple[PartState, ...]
    reviewers: tuple[Reviewer, ...]
    verdicts: dict  # (reviewer key, part key) -> SectionVerdict
    approvals: int
    needed: int
    open_comments: int
    general_comments: tuple = field(default=())  # on the paper as a whole (or a part no longer in the version)

    @property
    def is_agreed(self) -> bool:
        return self.needed > 0 and self.approvals == self.needed

    @property
    def section_keys(self) -> tuple[str, ...]:
        return tuple(p.part.code for p in self.parts if p.part.kind == "section")

    def groups(self, open_only: bool = False) -> list[tuple[str, list[PartState]]]:
        grouped = []
        for kind in PART_GROUPS:
            states = [p for p in self.parts if p.part.kind == kind and (p.is_open or not open_only)]
            if states:
                grouped.append((kind, states))
        return grouped


def reviewers_of(round_: ReviewRound) -> tuple[Reviewer, ...]:
    """The members whose approval counts: accounts, and outside reviewers whose link has not been withdrawn."""
    people = [Reviewer(("user", m.user_id), m.user.name, m.body_label, False) for m in round_.members]
    people += [Reviewer(("guest", g.id), g.full_name, g.body_label, True) for g in round_.guests
               if g.revoked_at is None]
    return tuple(people)


def round_state(round_: ReviewRound, rollup=None) -> RoundState:
    rollup = rollup or version_rollup(round_.version)
    parts = parts_of(rollup)
    reviewers = reviewers_of(round_)
    keys = {r.key for r in reviewers}
    verdicts = {(v.reviewer_key, v.part_key): v for v in round_.verdicts if v.reviewer_key in keys}
    comments: dict[str, list] = {}
    for c in round_.comments:
        comments.setdefault(c.target, []).append(c)
    states = []
    for part in parts:
        given = tuple(v for r in reviewers if (v := verdicts.get((r.key, part.key))) is not None)
        approvals = sum(1 for v in given if v.verdict == Verdict.APPROVED)
        states.append(PartState(part, given, tuple(comments.pop(part.key, ())), approvals, len(reviewers)))
    general = tuple(c for rest in comments.values() for c in rest)
    return RoundState(
        parts=tuple(states), reviewers=reviewers, verdicts=verdicts,
        approvals=sum(s.approvals for s in states), needed=len(reviewers) * len(parts),
        open_comments=sum(1 for c in round_.comments if c.is_open), general_comments=general,
    )


def is_version_agreed(version: PaperVersion) -> bool:
    if not version.rounds:
        return False
    rollup = version_rollup(version)
    return any(round_state(r, rollup).is_agreed for r in version.rounds)


# --- services: rounds and members -------------------------------------------------------------------------------

def create_round(version: PaperVersion, user, *, title: str, due_on: date | None) -> ReviewRound:
    if not (title or "").strip():
        raise DomainError(_l("Please give the review round a title."), field="title")
    round_ = ReviewRound(version=version, title=title.strip(), due_on=due_on, created_by_id=user.id)
    db.session.add(round_)
    db.session.flush()
    return round_


def _refuse_after_sign_off(round_: ReviewRound) -> None:
    """New reviewers only while their verdicts can still count: an open round of a version not yet signed off
    (a reviewer added after the sign-off turned a signed-off version's "23 of 23 approvals" into "23 of 46")."""
    if not round_.is_open:
        raise InvalidTransition(_l("This review round is closed."))
    if round_.version.is_signed_off:
        raise InvalidTransition(_l("Version %(number)s has been signed off: reviewers can no longer be added. Freeze "
                                   "a new version for a further review round.", number=round_.version.number))


def add_member(round_: ReviewRound, acting, *, user_id: int, body_label: str) -> ReviewRoundMember:
    from planner.accounts.models import User

    _refuse_after_sign_off(round_)
    reviewer = db.session.get(User, user_id)
    if reviewer is None or reviewer.role != Role.REVIEWER:
        raise DomainError(_l("Please choose an account with the reviewer role."), field="user_id")
    if any(m.user_id == user_id for m in round_.members):
        raise DomainError(_l("This reviewer is already a member of the round."), field="user_id")
    member = ReviewRoundMember(round=round_, user_id=user_id, body_label=(body_label or "").strip())
    db.session.add(member)
    db.session.flush()
    return member


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def guest_link_expiry(round_: ReviewRound, now: datetime | None = None) -> datetime:
    now = now or utcnow()
    if round_.due_on is not None:
        end = datetime.combine(round_.due_on, time(23, 59), tzinfo=now.tzinfo) + GUEST_GRACE
        return max(end, now + GUEST_GRACE)
    return now + timedelta(days=GUEST_LINK_DAYS)


def invite_guest(round_: ReviewRound, acting, *, name: str, email: str, body_label: str = "",
                 now: datetime | None = None) -> tuple[ReviewGuest, str]:
    """Invites an outside reviewer by e-mail; returns the guest and the token of the personal link (the caller
    sends the mail, which leaves after the commit). Inviting the same address again issues a fresh link (the old
    one stops working)."""
    _refuse_after_sign_off(round_)
    name = " ".join((name or "").split())
    email = (email or "").strip()
    if not name:
        raise DomainError(_l("Please enter the reviewer's name."), field="name")
    if len(name) > 200:
        raise DomainError(_l("The name is too long."), field="name")
    if not _EMAIL.match(email) or len(email) > 254:
        raise DomainError(_l("Please enter a valid e-mail address."), field="email")
    token = new_token()
    guest = next((g for g in round_.guests if g.email.lower() == email.lower()), None)
    if guest is None:
        guest = ReviewGuest(round=round_, email=email)
        db.session.add(guest)
    guest.full_name = name
    guest.body_label = " ".join((body_label or "").split())[:200]
    guest.token_hash = hash_token(token)
    guest.expires_at = guest_link_expiry(round_, now)
    guest.revoked_at = None
    guest.invited_by_id = getattr(acting, "id", None)
    db.session.flush()
    from planner.core.audit import record

    record("invite_guest", round_, summary=f"Review round {round_.id}: an outside reviewer invited")
    return guest, token


def send_guest_invitation(guest: ReviewGuest, token: str, link: str):
    """The invitation mail (queued in the transaction; it leaves after the commit)."""
    from flask import current_app, has_request_context, render_template
    from flask_babel import force_locale

    from planner.core import identity
    from planner.core.mail import send_mail

    context = current_app.test_request_context(base_url=current_app.config["BASE_URL"]) \
        if not has_request_context() else None
    if context is not None:
        context.push()
    try:
        with force_locale("de"):
            subject = _("Invitation to review: %(title)s", title=guest.round.title)
            values = {"guest": guest, "round": guest.round, "link": link, "city_name": identity.city_name()}
            text = render_template("strategy/mail/guest_invitation.txt", **values)
            html = render_template("strategy/mail/guest_invitation.html", **values)
    finally:
        if context is not None:
            context.pop()
    return send_mail(guest.email, subject, text, html)


def revoke_guest(guest: ReviewGuest, acting) -> ReviewGuest:
    guest.revoke()
    db.session.flush()
    return guest


def guest_for_token(token: str) -> ReviewGuest | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(ReviewGuest).where(ReviewGuest.token_hash == hash_token(token)))


class LinkGone(DomainError):
    pass


def check_guest_usable(guest: ReviewGuest, now: datetime | None = None) -> None:
    if guest.revoked_at is not None:
        raise LinkGone(_l("This personal link has been withdrawn."))
    if guest.is_expired(now):
        raise LinkGone(_l("This personal link has expired."))


# --- services: comments and verdicts ---------------------------------------------------------------------------

def targets_of(rollup) -> dict[str, tuple[str, str]]:
    """Allowed comment targets: ``paper`` and every part's key → (kind, key)."""
    targets = {"paper": ("paper", "")}
    for part in parts_of(rollup):
        targets[part.key] = (part.kind, part.code)
    return targets


def add_comment(round_: ReviewRound, reviewer, *, target: str, text: str,
                paragraph: int | None = None) -> ReviewComment:
    ensure_member(round_, reviewer)
    if not round_.is_open:
        raise InvalidTransition(_l("This review round is closed."))
    if not (text or "").strip():
        raise DomainError(_l("Please write your comment."), field="text")
    rollup = version_rollup(round_.version)
    targets = targets_of(rollup)
    if target not in targets:
        raise DomainError(_l("Please choose a part of this version."), field="target")
    quote = ""
    if paragraph is not None:
        from planner.strategy.outline import build_outline

        found = find_paragraph(build_outline(rollup), target, paragraph)
        if found is None:
            raise DomainError(_l("This paragraph is not part of the version."), field="target")
        quote = found.text if len(found.text) <= QUOTE_LENGTH else found.text[:QUOTE_LENGTH - 1].rstrip() + "…"
    kind, key = targets[target]
    comment = ReviewComment(round=round_, target_kind=kind, target_key=key, text=text.strip(),
                            paragraph=paragraph, quote=quote)
    if isinstance(reviewer, ReviewGuest):
        comment.guest_id = reviewer.id
    else:
        comment.author_id = reviewer.id
    db.session.add(comment)
    db.session.flush()
    return comment


def set_verdict(round_: ReviewRound, reviewer, *, part: str, verdict: str, reason: str) -> SectionVerdict:
    ensure_member(round_, reviewer)
    if not round_.is_open:
        raise InvalidTransition(_l("This review round is closed."))
    if part not in {p.key for p in parts_of(version_rollup(round_.version))}:
        raise DomainError(_l("Please choose a part of this version."), field="part")
    try:
        verdict = Verdict(verdict)
    except ValueError as error:
        raise DomainError(_l("Please choose approve or request changes."), field="verdict") from error
    reason = (reason or "").strip()
    if verdict == Verdict.CHANGES_REQUESTED and not reason:
        raise DomainError(_l("Please give a reason when you request changes."), field="reason")
    ids = _reviewer_ids(reviewer)
    column = SectionVerdict.guest_id if ids["guest_id"] else SectionVerdict.user_id
    who = column == (ids["guest_id"] or ids["user_id"])
    existing = db.session.scalar(
        select(SectionVerdict).where(SectionVerdict.round_id == round_.id, who, SectionVerdict.part_key == part)
    )
    if existing is None:
        existing = SectionVerdict(round=round_, part_key=part, verdict=verdict, reason=reason, **ids)
        db.session.add(existing)
    else:
        existing.verdict = verdict
        existing.reason = reason
    db.session.flush()
    return existing


def answer_comment(comment: ReviewComment, user, *, answer: str, text: str) -> ReviewComment:
    try:
        answer = CommentAnswer(answer)
    except ValueError as error:
        raise DomainError(_l("Please choose an answer."), field="answer") from error
    text = (text or "").strip()
    if answer == CommentAnswer.REJECTED and not text:
        raise DomainError(_l("Please give a reason when you reject a comment."), field="text")
    comment.answer = answer
    comment.answer_text = text
    comment.answered_by_id = user.id
    comment.answered_at = utcnow()
    db.session.flush()
    return comment


def close_round(round_: ReviewRound, user) -> ReviewRound:
    round_.close()
    db.session.flush()
    return round_


# --- sign-off and publication -----------------------------------------------------------------------------------

def sign_off_version(version: PaperVersion, user) -> PaperVersion:
    """The whole-document sign-off: a strategy lead (the strategy team) or an administrator, once every part has
    been approved by every member of one of the version's rounds."""
    if not has_role(user, Role.STRATEGY_TEAM):
        raise NotAllowed(_l("Only the strategy team or an administrator can sign off a version."))
    if not is_version_agreed(version):
        raise InvalidTransition(
            _l("Version %(number)s cannot be signed off yet: not every part has been approved by every reviewer "
               "of a round.", number=version.number))
    version.sign_off(user.id)
    db.session.flush()
    from planner.core.audit import record

    record("sign_off", version, summary=f"Version {version.number} signed off")
    return version


def publish_obstacles(version: PaperVersion) -> list[str]:
    """Why the version cannot be published yet (translated sentences); empty: it can."""
    reasons = []
    if not is_version_agreed(version):
        reasons.append(_("no review round has approved every part"))
    elif not version.is_signed_off:
        reasons.append(_("the version has not been signed off"))
    open_comments = sum(1 for r in version.rounds for c in r.comments if c.is_open)
    if open_comments:
        reasons.append(ngettext("%(num)s comment of the review is not answered yet",
                                "%(num)s comments of the review are not answered yet", open_comments))
    gaps = blocking_issues(version_rollup(version))
    if gaps:
        kinds = list(dict.fromkeys(labels.readiness(i.kind) for i in gaps))
        reasons.append(_("the paper has blocking gaps: %(gaps)s", gaps="; ".join(kinds)))
    return reasons


def publish_version(version: PaperVersion, user, *, override_reason: str = "") -> PaperVersion:
    """Publishes a version. Refused, naming why, while it is not agreed and signed off, a round has open comments or
    readiness has blocking gaps; an administrator may publish anyway with a reason, which the history records."""
    if version.is_published:
        raise InvalidTransition(_l("Version %(number)s is already published.", number=version.number))
    reasons = publish_obstacles(version)
    override_reason = " ".join((override_reason or "").split())
    if reasons and override_reason:
        if getattr(user, "role", None) != Role.ADMIN:
            raise NotAllowed(_l("Only an administrator can publish past the review's objections."))
    elif reasons:
        raise InvalidTransition(
            _l("Version %(number)s cannot be published yet: %(reasons)s.", number=version.number,
               reasons="; ".join(reasons)))
    version.published_at = utcnow()
    version.published_by_id = user.id
    version.publish_override_reason = override_reason if reasons else ""
    db.session.flush()
    from planner.core.audit import record

    if reasons:
        record("publish_override", version, changes={"reason": override_reason, "objections": reasons},
               summary=override_reason)
    else:
        record("publish", version, summary=f"Version {version.number}")
    return version


__all__ = ["RoundStatus"]
