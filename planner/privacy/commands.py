"""flask --app planner backup [FILE] / restore FILE (docs/operations.md, "Backups")."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from planner.extensions import db


@click.command("backup")
@click.argument("file", required=False, type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(file: str | None) -> None:
    """Write the database and the instance files a restore needs (job results, uploads) to FILE, also while the
    app runs: a .tar.gz with a manifest of checksums, readable only by its owner (0600). Without FILE:
    instance/backups/planner-<date>-<time>.tar.gz (the folder 0700)."""
    from planner.privacy.backup import backup

    report = backup(file)
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(f"Backup written to {report.path}: {sum(report.rows.values())} rows in {len(report.rows)} tables, "
               f"{report.files} files ({report.file_bytes} bytes) from the instance folder.")
    click.echo("Not included: the secret key (instance/secret_key) – keep it separately if you want sessions to "
               "survive a restore.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--check-only", is_flag=True, help="Only check the file's integrity; change nothing.")
@with_appcontext
def restore_command(file: str, check_only: bool) -> None:
    """Load a backup FILE into an EMPTY database (prepared with 'flask db upgrade') and a new instance folder.
    The whole file is checked against its manifest first: a damaged or incomplete file changes nothing."""
    from planner.privacy.backup import RestoreError, remove_restored_files, restore, verify

    if check_only:
        try:
            manifest = verify(file)
        except RestoreError as error:
            raise click.ClickException(f"Backup damaged: {error}") from error
        click.echo(f"Backup intact: {sum(manifest['rows'].values())} rows, {len(manifest['members']) - 1} files, "
                   f"made {manifest['created_at']}.")
        return
    try:
        report = restore(file)
    except RestoreError as error:
        db.session.rollback()
        raise click.ClickException(f"Restore refused: {error}") from error
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        remove_restored_files(Path(current_app.instance_path))  # they were empty before (restore checked)
        raise
    for note in report.repaired:
        click.echo(f"Repaired: {note}")
    click.echo(f"Restored {sum(report.rows.values())} rows into {len(report.rows)} tables and {report.files} files.")


retention_cli = AppGroup("retention", help="Retention periods (RETENTION in the configuration).")
archive_cli = AppGroup("archive", help="The archive bundle (PDF/A and a manifest) for the city archive.")


def print_report(report) -> None:
    mode = "Dry run (nothing deleted)" if report.dry_run else "Retention applied"
    click.echo(f"{mode} on {report.today.isoformat()}; strategy process ended: "
               f"{report.process_end.isoformat() if report.process_end else 'not yet'}")
    titles = {
        "inactive_people_days": "people without activity (erased)",
        "invitation_links_days": "personal invitation links",
        "audit_personal_values_days": "audit entries with personal values",
        "survey_uploads_days": "raw survey uploads",
    }
    for rule in report.rules:
        click.echo(f"- {titles[rule.key]}: {rule.count} (period {rule.days} days, before {rule.cutoff.isoformat()})")
        for item in rule.items:
            since = item.since.isoformat() if item.since else "?"
            click.echo(f"    #{item.id} {item.label} (since {since})")
    if report.archive:
        click.echo(f"Archive bundle written first: {report.archive}")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Only report what would be deleted and why.")
def retention_run(dry_run: bool) -> None:
    """Apply the retention periods now (the daily job does the same)."""
    from planner.core.audit import acting_as
    from planner.core.errors import DomainError
    from planner.privacy.retention import apply_retention, retention_report

    with acting_as(None, "retention"):
        try:
            if dry_run:
                report = retention_report(dry_run=True)
            else:
                report = apply_retention(None)
                db.session.commit()
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(str(error.message)) from error
    print_report(report)


@archive_cli.command("export")
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The zip file to write.")
def archive_export(output: str) -> None:
    """Write the archive bundle: published paper versions and workshop minutes as PDF/A-2b, and a manifest."""
    from planner.privacy.archive import export_archive

    entries = export_archive(output)
    click.echo(f"Archive bundle written to {output}: {len(entries)} PDF/A file(s) and manifest.json/manifest.csv.")


COMMANDS = [backup_command, restore_command, retention_cli, archive_cli]
