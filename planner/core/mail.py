"""Outgoing e-mail through a transactional outbox: mail leaves after the commit, never inside the transaction.

``send_mail`` builds the message and stores it in the ``outgoing_mails`` table in the caller's transaction. When
that transaction commits, an ``after_commit`` hook delivers it (SMTP when MAIL_SERVER is set, otherwise an .eml
file in instance/outbox/) and deletes the row (it holds addresses). A rollback takes the row with it, so a change
that was not stored sends nothing. A failed delivery stays in the table with its error and attempt count and is
retried later, with growing pauses, by a periodic task of the job worker and by ``flask --app planner mail flush``.
"""

from __future__ import annotations

import logging
import re
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, flash, g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, LargeBinary, String, Text, delete, event, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from planner.core import identity
from planner.core.models import UTCDateTime, utcnow
from planner.extensions import db

log = logging.getLogger(__name__)

PENDING_KEY = "planner_mail_pending"
# While one process delivers a message, no other takes it (a crashed delivery is retried after this lease).
LEASE = timedelta(minutes=10)
MAX_PAUSE = timedelta(hours=1)
# Control characters (C0 except tab, DEL, C1) and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]+")


class OutgoingMail(db.Model):
    """A message waiting for delivery (or whose delivery failed). Personal data: the recipient's address and the
    text; deleted as soon as the message is delivered."""

    __tablename__ = "outgoing_mails"
    __erase_rows__ = True  # an erasure deletes the waiting mail, not only its address (the text names the person)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    message_id: Mapped[str] = mapped_column(String(255), index=True)
    sender: Mapped[str] = mapped_column(String(320))
    email: Mapped[str] = mapped_column(String(320))  # the recipient
    subject: Mapped[str] = mapped_column(String(998), default="")
    message: Mapped[bytes] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_attempt_at = mapped_column(UTCDateTime(), nullable=True)
    next_attempt_at = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    claimed_until = mapped_column(UTCDateTime(), nullable=True)


def outbox_dir() -> Path:
    path = Path(current_app.instance_path) / "outbox"
    path.mkdir(parents=True, exist_ok=True)
    return path


def header_value(value) -> str:
    """A single header line: control characters (CR/LF above all) become one space, so a stored value (a title
    with a line break) can never break a send or inject a header."""
    return _CONTROL.sub(" ", str(value or "")).strip()


def build_message(to: str, subject: str, text: str, html: str | None = None, attachments=()) -> EmailMessage:
    msg = EmailMessage()
    sender = header_value(identity.mail_sender())
    msg["From"] = sender
    msg["To"] = header_value(to)
    msg["Subject"] = header_value(subject)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[-1])
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=header_value(filename))
    return msg


def send_mail(to: str, subject: str, text: str, html: str | None = None, attachments=()) -> EmailMessage:
    """Queues the message in the current transaction; it is delivered once that transaction commits.

    Callers commit (views through ``perform``, CLI commands and job tasks themselves); nothing is sent before."""
    msg = build_message(to, subject, text, html, attachments)
    row = OutgoingMail(message_id=msg["Message-ID"], sender=msg["From"], email=msg["To"], subject=msg["Subject"],
                       message=bytes(msg), next_attempt_at=utcnow())
    session = db.session()
    session.add(row)
    session.flush()
    session.info.setdefault(PENDING_KEY, []).append(row.id)
    return msg


# --- delivery -------------------------------------------------------------------------------------------------


def _transmit(row) -> None:
    """Hands one stored message to SMTP, or writes it to the outbox folder."""
    cfg = current_app.config
    if cfg.get("MAIL_SERVER"):
        with smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"]), timeout=30) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            # smtplib sends bytes as they are: SMTP needs CRLF line ends.
            smtp.sendmail(row.sender, [row.email], re.sub(rb"\r?\n", b"\r\n", row.message))
    else:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        (outbox_dir() / f"{stamp}-{abs(hash(row.message_id))}.eml").write_bytes(row.message)


def _pause(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_PAUSE)


def deliver(mail_id: int, *, force: bool = False) -> bool | None:
    """Delivers one queued message in connections of its own (safe inside ``after_commit``).

    Returns True when delivered (the row is deleted), False when it failed (error and attempt count kept, next
    attempt scheduled), None when it was not due or another process holds it. ``force`` ignores the schedule
    (not a running delivery's lease)."""
    table = OutgoingMail.__table__
    now = utcnow()
    due = or_(table.c.claimed_until.is_(None), table.c.claimed_until < now)
    if not force:
        due = due & (table.c.next_attempt_at <= now)
    with db.engine.connect() as conn:
        claimed = conn.execute(update(table).where(table.c.id == mail_id, due).values(claimed_until=now + LEASE))
        conn.commit()
        if claimed.rowcount != 1:
            return None
        row = conn.execute(select(table).where(table.c.id == mail_id)).one()
    try:
        _transmit(row)
    except (smtplib.SMTPException, OSError) as error:
        attempts = row.attempts + 1
        log.warning("mail %s (attempt %s) could not be delivered: %s", mail_id, attempts, error)
        with db.engine.connect() as conn:
            conn.execute(update(table).where(table.c.id == mail_id).values(
                attempts=attempts, last_error=f"{type(error).__name__}: {error}"[:2000], last_attempt_at=now,
                next_attempt_at=now + _pause(attempts), claimed_until=None))
            conn.commit()
        return False
    with db.engine.connect() as conn:
        conn.execute(delete(table).where(table.c.id == mail_id))
        conn.commit()
    return True


def flush_outbox(*, force: bool = False, limit: int | None = None) -> tuple[int, int]:
    """Delivers every due message (all of them with ``force``). Returns (delivered, failed).

    Messages that failed MAIL_MAX_ATTEMPTS times are left alone unless ``force`` is given."""
    table = OutgoingMail.__table__
    query = select(table.c.id).order_by(table.c.id)
    if not force:
        query = query.where(table.c.next_attempt_at <= utcnow(),
                            table.c.attempts < int(current_app.config.get("MAIL_MAX_ATTEMPTS", 10)))
    if limit:
        query = query.limit(limit)
    with db.engine.connect() as conn:
        ids = list(conn.scalars(query))
    delivered = failed = 0
    for mail_id in ids:
        outcome = deliver(mail_id, force=force)
        delivered += outcome is True
        failed += outcome is False
    return delivered, failed


def undelivered(message: EmailMessage) -> OutgoingMail | None:
    """The queued row of a message that has not been delivered yet (after a commit: its delivery failed)."""
    return db.session.scalar(select(OutgoingMail).where(OutgoingMail.message_id == message["Message-ID"]))


def discard(message: EmailMessage) -> None:
    """Drops a message that is no longer wanted (e.g. an invitation sent again later with a fresh link)."""
    db.session.execute(delete(OutgoingMail).where(OutgoingMail.message_id == message["Message-ID"]))


# --- the session hooks ----------------------------------------------------------------------------------------


DELAYED_MESSAGE = _l("An e-mail could not be sent right now. The change is saved; the e-mail will be sent again "
                     "automatically in a few minutes.")


@event.listens_for(Session, "after_commit")
def _deliver_after_commit(session) -> None:
    ids = session.info.pop(PENDING_KEY, None)
    if not ids:
        return
    for mail_id in ids:
        try:
            delivered = deliver(mail_id)
        except Exception:  # noqa: BLE001 - the change is stored; the message waits for the next flush
            log.exception("mail %s: delivery after commit failed; it stays in the outbox", mail_id)
            delivered = False
        if delivered is False and has_request_context():
            g.planner_mail_delayed = True


def init_app(app) -> None:
    @app.after_request
    def _tell_about_delayed_mail(response):
        """Whoever made the change learns that its e-mail waits (flashed before the session is saved)."""
        if g.pop("planner_mail_delayed", False):
            flash(DELAYED_MESSAGE, "warning")
        return response


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)


def register_periodic(huey, app) -> None:
    """The job worker retries failed deliveries every minute (see planner.jobs.queue)."""
    from huey import crontab

    @huey.periodic_task(crontab(minute="*"), name="planner.flush_outbox")
    def flush_outbox_task() -> None:
        with app.app_context():
            flush_outbox()

    app.extensions["mail_flush_task"] = flush_outbox_task
