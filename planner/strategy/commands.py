"""flask --app planner export-paper --format docx|pdf|html|md|json [--version N] [--short] [--locale de|en]
--output FILE"""

from pathlib import Path

import click
from flask.cli import with_appcontext

from planner.strategy import exports, versions
from planner.strategy.exporters import FORMATS


@click.command("export-paper")
@click.option("--format", "fmt", required=True, type=click.Choice(list(FORMATS)), help="The export format.")
@click.option("--version", "number", type=int, default=None, help="A frozen version; without it the current draft.")
@click.option("--short", is_flag=True, help="The short version (Kurzfassung).")
@click.option("--locale", default="de", type=click.Choice(["de", "en"]), help="The paper's language.")
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The file to write.")
@with_appcontext
def export_paper_command(fmt: str, number: int | None, short: bool, locale: str, output: Path) -> None:
    """Export the concept paper (the current draft or a frozen version) to a file."""
    try:
        exports.export_paper(fmt, output, version=number, language=locale, short=short)
    except versions.UnknownVersion as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"Wrote {output} ({output.stat().st_size} bytes).")


COMMANDS = [export_paper_command]
