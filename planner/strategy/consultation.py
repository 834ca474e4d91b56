"""Public consultation of a frozen version (what Decidim and CONSUL offer): the strategy team opens a version to the
public for a period; anyone comments on a paragraph after confirming an e-mail address (double opt-in by a mailed
link, no account); the team publishes or hides each comment (with a reason) and answers it publicly. After the end
date the consultation is read-only. The published comments and answers flow into the next version's roll-up
(``participation_facts``): its participation report and the changes between versions.

Services take the acting user, ``flush()`` only; mail leaves after the request's commit (planner.core.mail).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from planner.core import identity
from planner.core.errors import DomainError, NotAllowed
from planner.core.forms import has_control_characters
from planner.core.mail import send_mail
from planner.core.models import normalise_email, utcnow
from planner.core.security import hash_token, new_token
from planner.core.timeutil import local_today
from planner.extensions import db
from planner.strategy.consultation_models import (
    ANSWER_MAX,
    COMMENT_MAX,
    NAME_MAX,
    REASON_MAX,
    CommentStatus,
    Consultation,
    ConsultationComment,
)
from planner.strategy.models import PaperVersion

EXCERPT_LENGTH = 200
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ConsultationInvalid(DomainError):
    pass


class CommentLinkInvalid(DomainError):
    def __init__(self):
        super().__init__(_l("This confirmation link is invalid or has expired. Please write your comment again."))


# --- the consultation -----------------------------------------------------------------------------------------

def consultation_of(version: PaperVersion) -> Consultation | None:
    return db.session.scalar(select(Consultation).where(Consultation.version_id == version.id))


def save_consultation(version: PaperVersion, user, *, starts_on: date | None, ends_on: date | None,
                      intro: str = "", today: date | None = None) -> Consultation:
    """Opens the version to the public for a period, or changes the period of its consultation."""
    today = today or local_today()
    if starts_on is None or ends_on is None:
        raise ConsultationInvalid(_l("Please enter the first and the last day of the consultation."))
    if ends_on < starts_on:
        raise ConsultationInvalid(_l("The last day must not be before the first day."), field="ends_on")
    if ends_on < today:
        raise ConsultationInvalid(_l("The last day must not be in the past."), field="ends_on")
    consultation = consultation_of(version)
    if consultation is None:
        consultation = Consultation(version=version, created_by_id=getattr(user, "id", None))
        db.session.add(consultation)
    consultation.starts_on, consultation.ends_on = starts_on, ends_on
    consultation.intro = (intro or "").strip()
    db.session.flush()
    return consultation


def open_consultations(today: date | None = None) -> list[Consultation]:
    """The consultations open for comments today (the public start page links them)."""
    today = today or local_today()
    return list(db.session.scalars(select(Consultation).where(Consultation.starts_on <= today,
                                                              Consultation.ends_on >= today)
                                   .order_by(Consultation.ends_on, Consultation.id)))


def list_consultations() -> list[Consultation]:
    return list(db.session.scalars(select(Consultation).order_by(Consultation.starts_on.desc(), Consultation.id)))


# --- the paragraphs of the consulted version ------------------------------------------------------------------

@dataclass(frozen=True)
class Passage:
    number: int  # 1, 2, ...: what a comment refers to
    blocks: tuple  # the outline blocks shown as this paragraph (a heading is shown with the block after it)
    excerpt: str


def _block_text(block) -> str:
    for name in ("text", "title", "caption"):
        value = getattr(block, name, "")
        if value:
            return str(value)
    items = getattr(block, "items", ())
    return " ".join(str(i) for i in items) if items else ""


def _split_paragraphs(blocks):
    """The team's Markdown text of a section is one block: here each of its paragraphs (blank-line separated) is
    one, so the public comments on a paragraph, not on a whole chapter."""
    from planner.strategy.outline import Paragraph

    for block in blocks:
        if isinstance(block, Paragraph) and block.markdown:
            for chunk in re.split(r"\n\s*\n", block.text.strip()):
                if chunk.strip():
                    yield dataclasses.replace(block, text=chunk.strip())
        else:
            yield block


def passages(version: PaperVersion, language: str = "de") -> tuple[Passage, ...]:
    """The version's outline (long edition) cut into numbered paragraphs: every block but a heading is one, a
    heading joins the block after it. The numbering depends on the frozen data only, not on the language."""
    from planner.strategy.outline import Heading, build_outline
    from planner.strategy.versions import version_rollup

    outline = build_outline(version_rollup(version, locale=language), language, "long")
    result, headings = [], []
    for block in _split_paragraphs(outline.blocks):
        if isinstance(block, Heading):
            headings.append(block)
            continue
        text = " ".join(_block_text(b) for b in (*headings, block)).strip()
        excerpt = text if len(text) <= EXCERPT_LENGTH else text[:EXCERPT_LENGTH].rstrip() + " …"
        result.append(Passage(len(result) + 1, (*headings, block), excerpt))
        headings = []
    if headings:
        result.append(Passage(len(result) + 1, tuple(headings), " ".join(h.text for h in headings)))
    return tuple(result)


def passage(version: PaperVersion, number: int, language: str = "de") -> Passage | None:
    found = passages(version, language)
    return found[number - 1] if 1 <= number <= len(found) else None


# --- comments from the public ---------------------------------------------------------------------------------

def link_hours() -> int:
    return int(current_app.config.get("REGISTRATION_LINK_HOURS", 48))


def _check_open(consultation: Consultation, today: date | None = None) -> None:
    state = consultation.state(today or local_today())
    if state == "scheduled":
        raise NotAllowed(_l("This consultation has not started yet."))
    if state == "ended":
        raise NotAllowed(_l("This consultation has ended: comments are no longer possible."))


def submit_comment(consultation: Consultation, paragraph: int, *, text: str, email: str, display_name: str = "",
                   locale: str = "de", confirmed_email: str | None = None,
                   today: date | None = None) -> ConsultationComment:
    """A comment from the public on one paragraph. It is stored unconfirmed and a mail with a link goes to the
    address; only the click confirms it (double opt-in), then the team moderates it. An address confirmed before in
    the same browser session (``confirmed_email``) needs no second mail. Nobody sees the address."""
    _check_open(consultation, today)
    locale = locale if locale in ("de", "en") else "de"
    text = (text or "").strip()
    email = normalise_email(email)
    display_name = (display_name or "").strip()
    problems = []
    if not text:
        problems.append(("text", _l("Please write your comment.")))
    elif len(text) > COMMENT_MAX:
        problems.append(("text", _l("The comment is too long (at most %(max)s characters).", max=COMMENT_MAX)))
    if not email or len(email) > 254 or not _EMAIL.match(email):
        problems.append(("email", _l("Please enter a valid e-mail address.")))
    if len(display_name) > NAME_MAX:
        problems.append(("display_name", _l("The name is too long (at most %(max)s characters).", max=NAME_MAX)))
    elif has_control_characters(display_name):
        problems.append(("display_name", _l("Please enter the name on a single line.")))
    found = passage(consultation.version, paragraph, locale)
    if found is None:
        problems.append((None, _l("There is no paragraph %(number)s in this version.", number=paragraph)))
    if problems:
        error = ConsultationInvalid(problems[0][1], field=problems[0][0])
        error.problems = problems
        raise error
    _purge_unconfirmed()
    comment = ConsultationComment(consultation=consultation, paragraph=paragraph, excerpt=found.excerpt, text=text,
                                  email=email, display_name=display_name, locale=locale,
                                  status=CommentStatus.UNCONFIRMED)
    db.session.add(comment)
    if confirmed_email and normalise_email(confirmed_email) == email:
        comment.confirm()
        db.session.flush()
        return comment
    token = new_token()
    comment.confirm_token_hash = hash_token(token)
    db.session.flush()
    _send_confirmation(comment, token)
    return comment


def _send_confirmation(comment: ConsultationComment, token: str) -> None:
    from planner.workshops.calendars import base_url

    version = comment.consultation.version
    with force_locale(comment.locale):
        subject = _("Please confirm your comment on the draft of the concept paper")
        body = [
            _("Hello,"),
            _("someone (hopefully you) commented with this address on paragraph %(paragraph)s of version "
              "%(version)s of the concept paper:", paragraph=comment.paragraph, version=version.number),
            comment.text,
            _("To confirm the comment, open this link within %(hours)s hours:", hours=link_hours()),
            f"{base_url()}/strategy/consultations/confirm/{token}",
            _("If you did not write it, ignore this e-mail: the comment is deleted and nobody sees it."),
            _("Keep this e-mail: with this link you can erase your comments and your address at any time "
              "(right to erasure, Art. 17 GDPR):"),
            erase_link(comment),
            _("Kind regards\nThe Smart City team of %(city)s", city=identity.city_name()),
        ]
        send_mail(comment.email, subject, "\n\n".join(body))


def read_comment_link(token: str) -> ConsultationComment:
    comment = db.session.scalar(select(ConsultationComment).where(
        ConsultationComment.confirm_token_hash == hash_token(token or "")))
    if comment is None or comment.status != CommentStatus.UNCONFIRMED or \
            comment.created_at < utcnow() - timedelta(hours=link_hours()):
        raise CommentLinkInvalid()
    return comment


def confirm_comment(token: str, today: date | None = None) -> ConsultationComment:
    """The button behind the mailed link: the comment goes to the team's moderation."""
    comment = read_comment_link(token)
    _check_open(comment.consultation, today)
    comment.confirm()
    db.session.flush()
    return comment


def _purge_unconfirmed() -> None:
    """Comments never confirmed are deleted once their link has expired (nothing of them is kept)."""
    cutoff = utcnow() - timedelta(hours=link_hours())
    db.session.execute(delete(ConsultationComment).where(
        ConsultationComment.status == CommentStatus.UNCONFIRMED, ConsultationComment.created_at < cutoff))


# --- moderation -----------------------------------------------------------------------------------------------

def publish_comment(comment: ConsultationComment, user) -> None:
    comment.publish(user)
    db.session.flush()


def hide_comment(comment: ConsultationComment, user, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ConsultationInvalid(_l("Please give the reason why the comment is hidden."), field="reason")
    if len(reason) > REASON_MAX:
        raise ConsultationInvalid(_l("The reason is too long (at most %(max)s characters).", max=REASON_MAX),
                                  field="reason")
    comment.hide(user, reason)
    db.session.flush()


def answer_comment(comment: ConsultationComment, user, text: str) -> None:
    """The team's public answer; a comment waiting for moderation is published with it."""
    text = (text or "").strip()
    if comment.status in (CommentStatus.UNCONFIRMED, CommentStatus.HIDDEN):
        raise NotAllowed(_l("Only a confirmed comment that is not hidden can be answered."))
    if not text:
        raise ConsultationInvalid(_l("Please write the answer."), field="answer")
    if len(text) > ANSWER_MAX:
        raise ConsultationInvalid(_l("The answer is too long (at most %(max)s characters).", max=ANSWER_MAX),
                                  field="answer")
    if comment.status == CommentStatus.PENDING:
        comment.publish(user)
    first = not comment.answer
    comment.answer, comment.answered_at, comment.answered_by_id = text, utcnow(), getattr(user, "id", None)
    db.session.flush()
    if first and comment.email:
        _send_answered(comment)


def _send_answered(comment: ConsultationComment) -> None:
    """Tells the commenter that the answer is public (once, at the first answer), with the link to it."""
    from planner.workshops.calendars import base_url

    with force_locale(comment.locale):
        body = [
            _("Hello,"),
            _("the Smart City team has answered your comment on paragraph %(paragraph)s of version %(version)s of "
              "the concept paper. Your comment and the answer are public:", paragraph=comment.paragraph,
              version=comment.consultation.version.number),
            f"{base_url()}/strategy/consultations/{comment.consultation_id}#p-{comment.paragraph}",
            _("To erase your comments and your address (right to erasure, Art. 17 GDPR), open this link:"),
            erase_link(comment),
            _("Kind regards\nThe Smart City team of %(city)s", city=identity.city_name()),
        ]
        send_mail(comment.email, _("Your comment has been answered"), "\n\n".join(body))


def comments_for_moderation(consultation: Consultation, status: str = "") -> list[ConsultationComment]:
    stmt = select(ConsultationComment).where(ConsultationComment.consultation_id == consultation.id,
                                             ConsultationComment.status != CommentStatus.UNCONFIRMED)
    if status in {s.value for s in CommentStatus}:
        stmt = stmt.where(ConsultationComment.status == status)
    return list(db.session.scalars(stmt.order_by(ConsultationComment.paragraph, ConsultationComment.id)))


def status_counts(consultation: Consultation) -> dict[str, int]:
    rows = db.session.execute(select(ConsultationComment.status, func.count()).where(
        ConsultationComment.consultation_id == consultation.id).group_by(ConsultationComment.status)).all()
    return {str(status): count for status, count in rows}


def published_comments(consultation: Consultation) -> dict[int, list[ConsultationComment]]:
    result: dict[int, list[ConsultationComment]] = {}
    for comment in db.session.scalars(select(ConsultationComment).where(
            ConsultationComment.consultation_id == consultation.id,
            ConsultationComment.status == CommentStatus.PUBLISHED).order_by(ConsultationComment.id)):
        result.setdefault(comment.paragraph, []).append(comment)
    return result


# --- the facts for the next version's roll-up -----------------------------------------------------------------

def participation_facts():
    """Every consultation with its counts, and the published, answered comments (no address, no name): what the
    next version's participation report and the changes between versions show. One query, whatever the number of
    comments."""
    from sqlalchemy import and_

    from planner.strategy.rollup import ConsultationFact, ParticipationReport, PublicComment

    rows = db.session.execute(
        select(Consultation.id, PaperVersion.number, Consultation.starts_on, Consultation.ends_on,
               ConsultationComment.id, ConsultationComment.status, ConsultationComment.paragraph,
               ConsultationComment.excerpt, ConsultationComment.text, ConsultationComment.answer)
        .join(PaperVersion, PaperVersion.id == Consultation.version_id)
        .outerjoin(ConsultationComment, and_(ConsultationComment.consultation_id == Consultation.id,
                                             ConsultationComment.status != CommentStatus.UNCONFIRMED))
        .order_by(PaperVersion.number, Consultation.id, ConsultationComment.paragraph, ConsultationComment.id)
    ).all()
    if not rows:
        return None
    facts: dict[int, list] = {}
    comments = []
    for cid, number, starts_on, ends_on, comment_id, status, paragraph, excerpt, text, answer in rows:
        fact = facts.setdefault(cid, [number, starts_on, ends_on, 0, 0, 0])
        if comment_id is None:
            continue
        fact[3] += 1
        if status == CommentStatus.PUBLISHED:
            fact[4] += 1
            if answer:
                fact[5] += 1
                comments.append(PublicComment(comment_id, number, paragraph, excerpt, text, answer))
    return ParticipationReport(tuple(ConsultationFact(*f) for f in facts.values()), tuple(comments))


def expire_commenter_data(cutoff: date) -> int:
    """Retention (planner.privacy.retention, ``inactive_people_days`` as for other public sign-ups): the addresses
    and names of the comments of consultations that ended before ``cutoff`` are removed; the comments, anonymous,
    and the answers stay. Unconfirmed comments whose link expired are deleted. Returns the comments changed."""
    _purge_unconfirmed()
    ended = select(Consultation.id).where(Consultation.ends_on < cutoff)
    comments = db.session.scalars(select(ConsultationComment).where(
        ConsultationComment.consultation_id.in_(ended),
        (ConsultationComment.email != "") | (ConsultationComment.display_name != ""))).all()
    for comment in comments:
        comment.email, comment.display_name = "", ""
    db.session.flush()
    return len(comments)


# --- erasure of a commenter (Art. 17 GDPR) ---------------------------------------------------------------------
# A commenter has no account and often no person record: the address is what identifies them. Their comments are
# erased by the link in the mails they received (the link is signed, so it needs no stored token), or by an
# administrator's privacy request for the address or for a person with that address (planner.privacy.registry,
# store "consultation_comments").

ERASE_SALT = "consultation-commenter-erasure"


class EraseLinkInvalid(DomainError):
    def __init__(self):
        super().__init__(_l("This link is not valid (any more). Perhaps the comments have already been erased."))


def _address_key(email: str) -> str:
    return hash_token("consultation-commenter:" + normalise_email(email))[:24]


def _serializer():
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(current_app.secret_key, salt=ERASE_SALT)


def erase_link(comment: ConsultationComment) -> str:
    """The commenter's personal link to delete their comments (it names the comment and a fingerprint of the
    address, never the address)."""
    from planner.workshops.calendars import base_url

    token = _serializer().dumps([comment.id, _address_key(comment.email)])
    return f"{base_url()}/strategy/consultations/erase/{token}"


def comment_for_erase_link(token: str) -> ConsultationComment:
    """The comment the link was sent for, while it still has the address the link was made for."""
    from itsdangerous import BadSignature

    try:
        comment_id, key = _serializer().loads(token or "")
        comment = db.session.get(ConsultationComment, int(comment_id))
    except (BadSignature, TypeError, ValueError):
        raise EraseLinkInvalid() from None
    if comment is None or not comment.email or _address_key(comment.email) != key:
        raise EraseLinkInvalid()
    return comment


def comments_of_commenter(emails) -> list[ConsultationComment]:
    """Every comment written with one of these addresses (any consultation, any state)."""
    addresses = sorted({normalise_email(e) for e in emails if e and e.strip()})
    if not addresses:
        return []
    return list(db.session.scalars(select(ConsultationComment).where(
        func.lower(ConsultationComment.email).in_(addresses)).order_by(ConsultationComment.id)))


def erase_commenter(emails, erased_text: str = "[erased]") -> tuple[int, int]:
    """Erases a commenter as the planner erases people: what others rely on stays without the identity. A published
    comment stays on the public page and in the participation report with the team's answer, anonymous: the address
    and the name are removed, and the name where the text or the answer repeats it. Every other comment (not
    confirmed, waiting for moderation, hidden) is deleted. Returns (deleted, anonymised)."""
    deleted = anonymised = 0
    for comment in comments_of_commenter(emails):
        if comment.status != CommentStatus.PUBLISHED:
            db.session.delete(comment)
            deleted += 1
            continue
        name = " ".join(comment.display_name.split())
        if len(name) >= 3:
            pattern = re.compile(r"(?<!\w)" + r"\s+".join(re.escape(part) for part in name.split()) + r"(?!\w)",
                                 re.IGNORECASE)
            comment.text = pattern.sub(erased_text, comment.text)
            comment.answer = pattern.sub(erased_text, comment.answer)
        comment.email, comment.display_name = "", ""
        anonymised += 1
    db.session.flush()
    return deleted, anonymised


def erase_own_comments(token: str) -> int:
    """The commenter's own erasure by their link: every comment of the address (``erase_commenter``); recorded in
    the audit log (how many, not who). Returns the comments erased."""
    from planner.core import audit

    comment = comment_for_erase_link(token)
    deleted, anonymised = erase_commenter([comment.email])
    audit.record("privacy_erasure", entity="consultation_comments",
                 changes={"deleted": deleted, "anonymised": anonymised},
                 summary="a commenter of a public consultation erased their comments and address by their link "
                         "(Art. 17 GDPR)")
    db.session.flush()
    return deleted + anonymised
