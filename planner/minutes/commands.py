"""flask --app planner export-minutes WORKSHOP_ID --format docx|pdf|html [--locale de|en] --output FILE"""

from pathlib import Path

import click
from flask.cli import with_appcontext

from planner.extensions import db
from planner.minutes import services
from planner.workshops.models import Workshop


@click.command("export-minutes")
@click.argument("workshop_id", type=int)
@click.option("--format", "fmt", required=True, type=click.Choice(list(services.FORMATS)), help="The export format.")
@click.option("--locale", default="de", type=click.Choice(["de", "en"]), help="The language of the minutes.")
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The file to write.")
@with_appcontext
def export_minutes_command(workshop_id: int, fmt: str, locale: str, output: Path) -> None:
    """Export the minutes (Protokoll) of a workshop to a file."""
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        raise click.ClickException(f"There is no workshop with the number {workshop_id}.")
    with output.open("wb") as handle:
        services.write_minutes(workshop, fmt, handle, locale)
    click.echo(f"Wrote {output} ({output.stat().st_size} bytes).")


COMMANDS = [export_minutes_command]
