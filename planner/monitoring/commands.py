"""flask --app planner export-progress-report --period 2027 --format docx|pdf|md [--locale de|en] --output FILE"""

from pathlib import Path

import click
from flask.cli import with_appcontext

from planner.monitoring.models import ReminderKind
from planner.monitoring.report import REPORT_FORMATS


@click.command("export-progress-report")
@click.option("--period", required=True, help="The report's period, e.g. 2027.")
@click.option("--format", "fmt", required=True, type=click.Choice(list(REPORT_FORMATS)), help="The export format.")
@click.option("--locale", default="de", type=click.Choice(["de", "en"]), help="The report's language.")
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The file to write.")
@with_appcontext
def export_progress_report_command(period: str, fmt: str, locale: str, output: Path) -> None:
    """Export the progress report of a period; without one, freeze it first (as of today)."""
    from planner.core.audit import acting_as
    from planner.core.errors import DomainError
    from planner.extensions import db
    from planner.monitoring import report, services

    stored = services.report_for(period)
    if stored is None:
        try:
            with acting_as(None, "export-progress-report"):
                stored = services.freeze_report(period, None)
                db.session.commit()
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(str(error.message)) from error
        click.echo(f"Froze the progress report {period} as of today.")
    part = output.with_name(output.name + ".part")
    try:
        with part.open("wb") as handle:
            report.export_report(stored, fmt, handle, locale)
        part.replace(output)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    click.echo(f"Wrote {output} ({output.stat().st_size} bytes).")


@click.command("monitoring-reminders")
@click.option("--dry-run", is_flag=True, help="Only list what is due; send and record nothing.")
@with_appcontext
def monitoring_reminders_command(dry_run: bool) -> None:
    """Send the due reminders (status update due, task late) to the measures' leads, as the daily job does. At
    most one per measure, kind and month: running it again sends nothing twice."""
    from planner.core.audit import acting_as
    from planner.extensions import db
    from planner.monitoring import notify

    with acting_as(None, "monitoring-reminders"):
        run = notify.send_reminders(dry_run=dry_run)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    for due in run.due:
        if due.kind == ReminderKind.UPDATE_DUE:
            what = f"status update due (last one {due.last_update:%d.%m.%Y})" if due.last_update \
                else "status update due (none yet)"
        else:
            what = "late: " + "; ".join(f"{t.shown_title} (due {t.due_on:%d.%m.%Y})" for t in due.tasks)
        click.echo(f"- {due.action.measure.label}: {what}")
    verb = "would go" if dry_run else "sent"
    reminders = "reminder" if len(run.due) == 1 else "reminders"
    mails = "mail" if len(run.recipients) == 1 else "mails"
    click.echo(f"{len(run.due)} {reminders} due in {run.today:%B %Y}; {len(run.recipients)} {mails} {verb} "
               f"to {', '.join(run.recipients) or 'nobody'}.")


COMMANDS = [export_progress_report_command, monitoring_reminders_command]
