"""flask --app planner backup [FILE] / restore FILE (docs/operations.md, "Backups")."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

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


COMMANDS = [backup_command, restore_command]
