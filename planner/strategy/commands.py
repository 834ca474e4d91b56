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


@click.command("oparl-sync")
@click.option("--paper", "url", default=None, help="The OParl id (URL) of the Drucksache on the council system.")
@click.option("--from-file", "file", default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A recording: a JSON array of OParl objects (the Paper and what it refers to).")
@click.option("--version", "number", type=int, default=None,
              help="The paper version decided on; default: the one recorded with the Paper's Drucksachennummer, "
                   "else the newest published version.")
@with_appcontext
def oparl_sync_command(url: str | None, file: Path | None, number: int | None) -> None:
    """Record the council's Beratungsfolge of the paper from OParl (a server or a recorded file). Syncing again
    updates what changed; nothing is changed when the data is unknown or malformed."""
    from planner.core.audit import acting_as
    from planner.core.errors import DomainError
    from planner.extensions import db
    from planner.strategy import council, oparl

    if bool(url) == bool(file):
        raise click.UsageError("Give either --paper URL or --from-file FILE.")
    try:
        paper = oparl.fetch_paper(url) if url else oparl.read_recording(file)
        with acting_as(None, "oparl-sync"):
            decision, counts = council.apply_oparl(paper, version_number=number)
            db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(f"Nothing was changed: {error.message}") from error
    click.echo(f"Drucksache {decision.reference or paper.id} → version {decision.paper_version.number}: "
               f"{counts['added']} consultations added, {counts['updated']} updated; "
               f"state: {decision.state.label}.")


COMMANDS = [export_paper_command, oparl_sync_command]
