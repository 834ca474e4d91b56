"""`flask --app planner mail ...`: the outgoing mail queue (planner.core.mail)."""

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from planner.extensions import db

mail_cli = AppGroup("mail", help="Outgoing e-mail.")


@mail_cli.command("flush")
@click.option("--all", "force", is_flag=True,
              help="Also messages whose next attempt is not due yet or that failed too often.")
def flush_command(force: bool) -> None:
    """Deliver the e-mails waiting in the outbox (failed deliveries are retried)."""
    from planner.core.mail import OutgoingMail, flush_outbox

    delivered, failed = flush_outbox(force=force)
    waiting = db.session.scalar(select(func.count()).select_from(OutgoingMail))
    click.echo(f"Delivered {delivered}, failed {failed}, waiting {waiting}.")
    if failed:
        raise SystemExit(1)


@mail_cli.command("list")
def list_command() -> None:
    """Show the e-mails waiting in the outbox with their attempts and last error."""
    from planner.core.mail import OutgoingMail

    rows = db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).all()
    for row in rows:
        click.echo(f"{row.id}\t{row.created_at:%Y-%m-%d %H:%M}\t{row.attempts}\t{row.email}\t{row.subject}\t"
                   f"{row.last_error}")
    click.echo(f"{len(rows)} waiting.")


COMMANDS = [mail_cli]
