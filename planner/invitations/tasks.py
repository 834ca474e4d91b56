"""Bulk invitation and reminder e-mails as a background job (planner.jobs): above the threshold the request saves
the invitations and queues their sending; this task sends one e-mail after the other with a fresh personal link,
commits each one on its own (the e-mail leaves after that commit), and records an e-mail that could not be
delivered on its invitation (``sent_at`` stays empty, the earlier link stays valid; a reminder's mark is put back),
so the answers page can offer to send it again."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from planner.core import mail as outbox
from planner.core.errors import DomainError
from planner.core.models import utcnow
from planner.extensions import db
from planner.invitations import mails, services
from planner.invitations.models import Invitation
from planner.jobs.services import JobContext, task
from planner.workshops.models import InvitationStatus, Participation, Workshop

MAILS = ("invitation", "reminder")
LISTED_FAILURES = 10


def answers_path(workshop_id: int) -> str:
    """A fixed local path: the worker has no request to build a URL from."""
    from planner.invitations import bp

    return f"{bp.url_prefix}/workshop/{int(workshop_id)}/answers"


def _load(invitation_id: int) -> Invitation | None:
    return db.session.get(Invitation, invitation_id, options=[
        selectinload(Invitation.participation).selectinload(Participation.person)])


def _still_wanted(invitation: Invitation | None, workshop: Workshop, kind: str, now: datetime) -> bool:
    """Between the click and the worker, people answer and links are withdrawn: those get no e-mail."""
    if invitation is None or invitation.revoked_at is not None:
        return False
    participation = invitation.participation
    if participation.workshop_id != workshop.id or participation.invitation_status != InvitationStatus.INVITED:
        return False
    if workshop.status in services.CLOSED_STATUSES or workshop.ends_at <= now:
        return False
    return not (kind == "invitation" and invitation.sent_at is not None)  # sent meanwhile (e.g. sent again)


@task(services.SEND_TASK, label=_l("Sending of invitation e-mails"))
def send_task(ctx: JobContext, *, workshop_id: int, invitation_ids: list[int], mail: str,
              previous: dict[str, str | None] | None = None) -> None:
    kind = mail
    if kind not in MAILS:
        raise DomainError(_l("Unknown kind of e-mail."))
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        raise DomainError(_l("The workshop no longer exists."))
    previous = previous or {}
    total = len(invitation_ids)
    sent, skipped, failed = 0, 0, []
    ctx.progress(0, total, _("Sending e-mails"))
    for done, invitation_id in enumerate(invitation_ids, start=1):
        now = utcnow()
        invitation = _load(invitation_id)
        if not _still_wanted(invitation, workshop, kind, now):
            skipped += 1
            if kind == "reminder" and invitation is not None:
                _restore_reminder(invitation, previous.get(str(invitation_id)))
                db.session.commit()
            ctx.progress(done, total, _("Skipped: answered or link withdrawn in the meantime"))
            continue
        person = invitation.participation.person
        earlier_link = (invitation.token_hash, invitation.expires_at, invitation.revoked_at)
        _invitation, token = services._issue_token(invitation.participation, now)
        if kind == "invitation":
            message = mails.send_invitation(person, workshop, token)
            invitation.sent_at = now
        else:
            message = mails.send_reminder(person, workshop, token)
            invitation.reminder_sent_at = now
        db.session.commit()  # the e-mail leaves after this commit (planner.core.mail)
        if outbox.undelivered(message) is not None:
            # Not delivered: no retry later with this link; the earlier link stays valid and the answers page
            # offers to send it again.
            outbox.discard(message)
            invitation = _load(invitation_id)
            invitation.token_hash, invitation.expires_at, invitation.revoked_at = earlier_link
            if kind == "reminder":
                _restore_reminder(invitation, previous.get(str(invitation_id)))
            else:
                invitation.sent_at = None
            db.session.commit()
            failed.append(person.email)
            ctx.progress(done, total, _("The e-mail to %(email)s could not be sent", email=person.email))
            continue
        sent += 1
        ctx.progress(done, total, _("E-mail to %(email)s sent", email=person.email))
    summary = ngettext("%(num)s e-mail sent.", "%(num)s e-mails sent.", sent)
    if skipped:
        summary += " " + ngettext("%(num)s person had answered or their link was withdrawn in the meantime.",
                                  "%(num)s people had answered or their links were withdrawn in the meantime.",
                                  skipped)
    ctx.progress(total, total, summary)
    if failed:
        shown = ", ".join(failed[:LISTED_FAILURES]) + (" …" if len(failed) > LISTED_FAILURES else "")
        ctx.set_warning(ngettext(
            "%(num)s e-mail could not be sent (%(emails)s). The answers page lists it and lets you send it again.",
            "%(num)s e-mails could not be sent (%(emails)s). The answers page lists them and lets you send them "
            "again.", len(failed), emails=shown))
    ctx.set_link(answers_path(workshop_id), _("Back to the answers"))


def _restore_reminder(invitation: Invitation | None, value: str | None) -> None:
    """The request marked the reminder as sent to claim it; an e-mail that did not go out gets its old mark back."""
    if invitation is not None:
        invitation.reminder_sent_at = datetime.fromisoformat(value) if value else None
