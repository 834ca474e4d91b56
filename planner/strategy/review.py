"""Review and sign-off: rounds on a frozen version, comments, verdicts per section, answers, publication.

A version is "abgestimmt" (agreed) when every member of one of its rounds has approved every section of
that version (the sections stored in its roll-up). Only an agreed version can be published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.core.errors import DomainError, InvalidTransition, NotAllowed
from planner.core.models import utcnow
from planner.core.permissions import Role, has_role
from planner.extensions import db
from planner.strategy.models import (
    CommentAnswer,
    PaperVersion,
    ReviewComment,
    ReviewRound,
    ReviewRoundMember,
    RoundStatus,
    SectionVerdict,
    Verdict,
)
from planner.strategy.versions import version_rollup

# --- who may do what ------------------------------------------------------------------------------------------

def is_member(round_: ReviewRound, user) -> bool:
    return any(m.user_id == getattr(user, "id", None) for m in round_.members)


def can_view_round(round_: ReviewRound, user) -> bool:
    return has_role(user, Role.STRATEGY_TEAM) or is_member(round_, user)


def ensure_member(round_: ReviewRound, user) -> None:
    if not (is_member(round_, user) or has_role(user)):  # has_role(user) with no roles: admins only
        raise NotAllowed(_l("You are not a member of this review round."))


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
class RoundState:
    section_keys: tuple[str, ...]
    verdicts: dict  # (user_id, section_key) -> SectionVerdict
    approvals: int
    needed: int
    open_comments: int

    @property
    def is_agreed(self) -> bool:
        return self.needed > 0 and self.approvals == self.needed


def round_state(round_: ReviewRound) -> RoundState:
    keys = tuple(s.key for s in version_rollup(round_.version).sections)
    verdicts = {(v.user_id, v.section_key): v for v in round_.verdicts}
    members = [m.user_id for m in round_.members]
    approvals = sum(
        1 for uid in members for k in keys
        if (v := verdicts.get((uid, k))) is not None and v.verdict == Verdict.APPROVED
    )
    return RoundState(keys, verdicts, approvals, len(members) * len(keys),
                      sum(1 for c in round_.comments if c.is_open))


def is_version_agreed(version: PaperVersion) -> bool:
    return any(round_state(r).is_agreed for r in version.rounds)


# --- services ---------------------------------------------------------------------------------------------------

def create_round(version: PaperVersion, user, *, title: str, due_on: date | None) -> ReviewRound:
    if not (title or "").strip():
        raise DomainError(_l("Please give the review round a title."), field="title")
    round_ = ReviewRound(version=version, title=title.strip(), due_on=due_on, created_by_id=user.id)
    db.session.add(round_)
    db.session.flush()
    return round_


def add_member(round_: ReviewRound, acting, *, user_id: int, body_label: str) -> ReviewRoundMember:
    from planner.accounts.models import User

    if not round_.is_open:
        raise InvalidTransition(_l("This review round is closed."))
    reviewer = db.session.get(User, user_id)
    if reviewer is None or reviewer.role != Role.REVIEWER:
        raise DomainError(_l("Please choose an account with the reviewer role."), field="user_id")
    if any(m.user_id == user_id for m in round_.members):
        raise DomainError(_l("This reviewer is already a member of the round."), field="user_id")
    member = ReviewRoundMember(round=round_, user_id=user_id, body_label=(body_label or "").strip())
    db.session.add(member)
    db.session.flush()
    return member


def _targets(round_: ReviewRound) -> dict[str, tuple[str, str]]:
    """Allowed comment targets: 'paper', 'section:<key>', 'measure:<number>' → (kind, key)."""
    rollup = version_rollup(round_.version)
    targets = {"paper": ("paper", "")}
    targets.update({f"section:{s.key}": ("section", s.key) for s in rollup.sections})
    targets.update({f"measure:{m.number}": ("measure", m.number) for m in rollup.measures()})
    return targets


def add_comment(round_: ReviewRound, user, *, target: str, text: str) -> ReviewComment:
    ensure_member(round_, user)
    if not round_.is_open:
        raise InvalidTransition(_l("This review round is closed."))
    if not (text or "").strip():
        raise DomainError(_l("Please write your comment."), field="text")
    targets = _targets(round_)
    if target not in targets:
        raise DomainError(_l("Please choose a section or a measure of this version."), field="target")
    kind, key = targets[target]
    comment = ReviewComment(round=round_, author_id=user.id, target_kind=kind, target_key=key, text=text.strip())
    db.session.add(comment)
    db.session.flush()
    return comment


def set_verdict(round_: ReviewRound, user, *, section_key: str, verdict: str, reason: str) -> SectionVerdict:
    ensure_member(round_, user)
    if not round_.is_open:
        raise InvalidTransition(_l("This review round is closed."))
    keys = {s.key for s in version_rollup(round_.version).sections}
    if section_key not in keys:
        raise DomainError(_l("Please choose a section of this version."), field="section_key")
    try:
        verdict = Verdict(verdict)
    except ValueError as error:
        raise DomainError(_l("Please choose approve or request changes."), field="verdict") from error
    reason = (reason or "").strip()
    if verdict == Verdict.CHANGES_REQUESTED and not reason:
        raise DomainError(_l("Please give a reason when you request changes."), field="reason")
    existing = db.session.scalar(
        select(SectionVerdict).where(
            SectionVerdict.round_id == round_.id, SectionVerdict.user_id == user.id,
            SectionVerdict.section_key == section_key,
        )
    )
    if existing is None:
        existing = SectionVerdict(round=round_, user_id=user.id, section_key=section_key, verdict=verdict,
                                  reason=reason)
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


def publish_version(version: PaperVersion, user) -> PaperVersion:
    if version.is_published:
        raise InvalidTransition(_l("Version %(number)s is already published.", number=version.number))
    if not is_version_agreed(version):
        raise InvalidTransition(
            _l("Version %(number)s cannot be published yet: no review round has approved every section.",
               number=version.number)
        )
    version.published_at = utcnow()
    version.published_by_id = user.id
    db.session.flush()
    from planner.core.audit import record

    record("publish", version, summary=f"Version {version.number}")
    return version


__all__ = ["RoundStatus"]
