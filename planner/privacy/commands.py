"""flask --app planner backup FILE / restore FILE."""

import click
from flask.cli import with_appcontext

from planner.extensions import db


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(file: str) -> None:
    """Write a consistent snapshot of the whole database to FILE (JSON lines), also while the app runs."""
    from planner.privacy.backup import backup

    counts = backup(file)
    click.echo(f"Backup written to {file}: {sum(counts.values())} rows in {len(counts)} tables.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@with_appcontext
def restore_command(file: str) -> None:
    """Load a backup FILE into an EMPTY database (prepared with 'flask db upgrade')."""
    from planner.privacy.backup import RestoreError, restore

    try:
        counts = restore(file)
    except RestoreError as error:
        db.session.rollback()
        raise click.ClickException(f"Restore refused: {error}") from error
    db.session.commit()
    click.echo(f"Restored {sum(counts.values())} rows into {len(counts)} tables.")


COMMANDS = [backup_command, restore_command]
