"""The outbox: mail leaves after the commit, a rollback sends nothing, a failed delivery is retried later."""

from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from planner.core.mail import OutgoingMail, build_message, flush_outbox, send_mail
from planner.core.models import utcnow
from planner.extensions import db
from tests.invitations.conftest import Inbox, _free_port


def waiting() -> list[OutgoingMail]:
    return list(db.session.scalars(select(OutgoingMail)))


def test_a_rolled_back_change_sends_nothing(ctx, outbox):
    send_mail("eva@example.org", "Hallo", "Text")
    assert outbox() == []  # not inside the transaction
    db.session.rollback()
    db.session.commit()
    assert outbox() == [] and waiting() == []


def test_a_committed_change_sends_once_and_leaves_no_address_behind(ctx, outbox):
    send_mail("eva@example.org", "Hallo", "Text")
    assert outbox() == []
    db.session.commit()
    [mail] = outbox()
    assert mail["To"] == "eva@example.org" and mail["Subject"] == "Hallo"
    db.session.commit()
    assert flush_outbox(force=True) == (0, 0)
    assert len(outbox()) == 1 and waiting() == []


def test_only_the_committed_part_of_a_savepoint_sends(ctx, outbox):
    send_mail("kept@example.org", "Bleibt", "Text")
    nested = db.session.begin_nested()
    send_mail("gone@example.org", "Weg", "Text")
    nested.rollback()
    db.session.commit()
    assert [m["To"] for m in outbox()] == ["kept@example.org"]


@pytest.fixture
def smtp_later(app):
    """A real SMTP server on a port that is down until the test calls ``start()``."""
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    inbox.start = controller.start
    yield inbox
    if getattr(controller, "_thread", None) is not None:
        controller.stop()
    app.config["MAIL_SERVER"] = None


def test_smtp_down_the_mail_waits_with_its_error_and_the_worker_sends_it_later(app, ctx, smtp_later):
    send_mail("eva@example.org", "Einladung", "Text")
    db.session.commit()  # the server is down: the change stays stored, the mail waits
    [row] = waiting()
    assert row.attempts == 1 and "Connection refused" in row.last_error and row.next_attempt_at > utcnow()
    assert flush_outbox() == (0, 0)  # not due yet
    smtp_later.start()
    db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    app.extensions["mail_flush_task"]()  # the worker's periodic task (run at once: HUEY_IMMEDIATE in tests)
    assert [rcpt for rcpt, _m in smtp_later.messages] == [["eva@example.org"]]
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 0
    assert flush_outbox(force=True) == (0, 0) and len(smtp_later.messages) == 1


def test_mail_flush_command_reports_and_retries(app, ctx, smtp_later, runner):
    send_mail("eva@example.org", "Einladung", "Text")
    db.session.commit()
    result = runner.invoke(args=["mail", "flush"])
    assert result.exit_code == 0 and "waiting 1" in result.output  # not due yet: left alone
    assert "eva@example.org" in runner.invoke(args=["mail", "list"]).output
    result = runner.invoke(args=["mail", "flush", "--all"])
    assert result.exit_code == 1 and "failed 1" in result.output
    smtp_later.start()
    result = runner.invoke(args=["mail", "flush", "--all"])
    assert result.exit_code == 0 and "Delivered 1, failed 0, waiting 0" in result.output
    assert len(smtp_later.messages) == 1


def test_a_stored_line_break_never_breaks_a_header(ctx):
    msg = build_message("eva@example.org\r\nBcc: evil@example.org", "Titel\r\nmit Umbruch\x85", "Text")
    assert msg["Subject"] == "Titel mit Umbruch"
    assert "Bcc" not in msg and "\n" not in msg["To"]
    assert b"Subject: Titel mit Umbruch\n" in bytes(msg)
