"""Many minutes e-mails as a background job (planner.jobs): above the invitations' threshold the request records the
sending and queues it; this task issues each participant's fresh personal link and sends one e-mail after the other,
each committed on its own (the e-mail leaves after that commit, planner.core.mail)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.core.errors import DomainError
from planner.core.models import utcnow
from planner.extensions import db
from planner.invitations.models import Invitation
from planner.jobs.services import JobContext, task
from planner.minutes import mails
from planner.workshops.models import Participation, Workshop

SEND_TASK = "minutes.send"
SEND_JOB_KIND = "minutes_mail"


@task(SEND_TASK, label=_l("Sending of the minutes"))
def send_task(ctx: JobContext, *, workshop_id: int, participation_ids: list[int]) -> None:
    from planner.invitations.services import _issue_token  # the invitations package owns the personal link

    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        raise DomainError(_l("The workshop no longer exists."))
    total, sent = len(participation_ids), 0
    ctx.progress(0, total, _("Sending e-mails"))
    for done, participation_id in enumerate(participation_ids, start=1):
        participation = db.session.get(Participation, participation_id, options=[
            selectinload(Participation.person), selectinload(Participation.workshop)])
        invitation = db.session.scalar(select(Invitation).where(Invitation.participation_id == participation_id))
        if participation is None or (invitation is not None and invitation.revoked_at is not None):
            ctx.progress(done, total, _("Skipped: link withdrawn in the meantime"))
            continue
        participation.workshop.ends_at  # noqa: B018 - loaded now, not by an autoflush inside the new link's setup
        _invitation, token = _issue_token(participation, utcnow())
        mails.send_minutes(participation.person, workshop, token)
        db.session.commit()  # the e-mail leaves after this commit
        sent += 1
        ctx.progress(done, total, _("E-mail to %(email)s sent", email=participation.person.email))
    ctx.progress(total, total, ngettext("%(num)s e-mail sent.", "%(num)s e-mails sent.", sent))
    from planner.minutes import bp

    ctx.set_link(f"{bp.url_prefix}/workshop/{int(workshop_id)}", _("Back to the minutes"))
