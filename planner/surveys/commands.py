"""flask --app planner import-survey FILE --mapping MAPPING.json [--title ...]

On a terminal the import shows a progress bar; otherwise (cron, a log file, another program reading its output) it
writes a progress line to stderr after every tenth of the file, e.g. ``24000 rows read (30% of the file)``. The rows
are stored in one transaction that commits at the end: a line means read and written, not yet committed.
"""

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
from flask.cli import with_appcontext

from planner.core.errors import DomainError
from planner.extensions import db


@click.command("import-survey")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mapping", "mapping_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Mapping as JSON (download it from the saved mappings page).")
@click.option("--title", default=None, help="Title of the survey (default: the file name).")
@click.option("--wave", default="", help="Wave, e.g. '2. Welle 2023'.")
@click.option("--starts-on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option("--ends-on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option("--user", "email", default=None, help="E-mail of the account recorded as importer.")
@click.option("--allow-duplicates", is_flag=True, default=False,
              help="Import even when these responses are already stored in another survey.")
@with_appcontext
def import_survey_command(file: Path, mapping_file: Path, title, wave, starts_on, ends_on, email,
                          allow_duplicates) -> None:
    """Import a survey export (CSV or XLSX) with a mapping: all rows or none."""
    from planner.accounts.models import User
    from planner.surveys import services

    try:
        mapping = json.loads(mapping_file.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as error:
        raise click.ClickException(f"The mapping file is not valid JSON: {error}") from error
    user = None
    if email:
        user = db.session.scalar(db.select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"No account with the e-mail address {email}.")
    meta = services.UploadMeta(
        title or file.stem, wave,
        starts_on.date() if starts_on else None, ends_on.date() if ends_on else None,
    )
    total = max(file.stat().st_size, 1)
    started = time.perf_counter()
    try:
        if sys.stderr.isatty():
            with click.progressbar(length=total, label="Importing", file=sys.stderr) as bar:
                # Per batch (not per row): the bar follows the bytes read (XLSX: the rows read).
                def progress(rows: int, position: int | None) -> None:
                    bar.update(max(0, min(total, position if position is not None else rows) - bar.pos))

                survey = services.import_file(user, file, file.name, mapping, meta, progress=progress,
                                              allow_duplicates=allow_duplicates)
        else:
            survey = services.import_file(user, file, file.name, mapping, meta, progress=progress_lines(total),
                                          allow_duplicates=allow_duplicates)
    except services.ImportRejected as error:
        db.session.rollback()
        for row_error in error.errors[:50]:
            click.echo(f"line {row_error.line}, {row_error.column or '-'}: {row_error.message}", err=True)
        raise click.ClickException(str(error.message)) from error
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    seconds = time.perf_counter() - started
    click.echo(f"Imported survey {survey.id} '{survey.title}': {survey.response_count} responses in {seconds:.2f} s "
               f"({survey.response_count} complete responses stored, {survey.incomplete_count} incomplete left out).")


def progress_lines(total: int, every_rows: int = 20_000) -> Callable[[int, int | None], None]:
    """A progress callback that writes a line to stderr (flushed) each time another tenth of the file's `total`
    bytes is read; when the position is unknown (XLSX), every `every_rows` rows."""
    last = [0]

    def progress(rows: int, position: int | None) -> None:
        step = 10 * position // total if position is not None else rows // every_rows
        if step > last[0]:
            last[0] = step
            share = f" ({min(100, 100 * position // total)}% of the file)" if position is not None else ""
            click.echo(f"{rows} rows read{share}", err=True)

    return progress


@click.command("suggest-mapping")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def suggest_mapping_command(file: Path) -> None:
    """Print the suggested mapping of a survey export (CSV or XLSX) as JSON, as import-survey --mapping takes it."""
    from planner.surveys import services

    try:
        mapping = services.suggest_file_mapping(file, file.name)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(json.dumps(mapping, ensure_ascii=False, indent=2))


@click.command("priorities")
@click.option("--surveys", "surveys", default=None,
              help="Comma-separated survey ids that count (default: the surveys marked as counting).")
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True)
@with_appcontext
def priorities_command(surveys: str | None, fmt: str) -> None:
    """Print the ranking of action fields and measures for the chosen surveys, as the priorities page shows it."""
    from planner.surveys import services
    from planner.surveys.models import Survey
    from planner.surveys.prioritisation import counting_survey_ids, current_weights, prioritise

    if surveys:
        try:
            survey_ids = [int(part) for part in surveys.split(",") if part.strip()]
        except ValueError as error:
            raise click.ClickException("--surveys takes survey ids separated by commas, e.g. 3,5") from error
        known = set(db.session.scalars(db.select(Survey.id).where(Survey.id.in_(survey_ids))))
        if unknown := [str(i) for i in survey_ids if i not in known]:
            raise click.ClickException(f"No survey with the id {', '.join(unknown)}.")
    else:
        survey_ids = counting_survey_ids()
    weights = current_weights()
    fields, measures = prioritise(weights, survey_ids)
    ranking = services.ranking_entries(fields, measures)
    ranking["method"] = {"surveys": survey_ids, "weights": weights, "rating": "top_two",
                         "tick": "share of all complete responses", "ranking": "Borda share",
                         "unrated_measures": "ranked after fully rated ones"}
    click.echo(json.dumps(ranking, ensure_ascii=False, indent=2))


def _coding_survey(survey_id: int):
    from planner.surveys.models import Survey

    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise click.ClickException(f"No survey with the id {survey_id}.")
    return survey


def _coding_user(email: str | None):
    """The account recorded on the codings (--user), else the command line itself (no account)."""
    from planner.accounts.models import User
    from planner.surveys.coding import CommandLineActor

    if not email:
        return CommandLineActor()
    user = db.session.scalar(db.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No account with the e-mail address {email}.")
    return user


@click.command("suggest-codes")
@click.option("--survey", "survey_id", required=True, type=int, help="Id of the survey.")
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The CSV file to write (comment_id, text, suggested_code, confidence).")
@with_appcontext
def suggest_codes_command(survey_id: int, output: Path) -> None:
    """Write a CSV with one row per comment and its suggested code (e.g. MOB or MOB.parken) and confidence."""
    from flask import current_app

    from planner.surveys import coding

    survey = _coding_survey(survey_id)
    if not coding.codebook(include_retired=False):
        coding.seed_codebook(coding.CommandLineActor())
    rows = coding.suggestion_rows(survey, current_app.instance_path)
    db.session.commit()
    with output.open("w", encoding="utf-8", newline="") as out:
        coding.write_suggestions_csv(rows, out)
    suggested = sum(1 for row in rows if row["suggested_code"])
    click.echo(f"Wrote {len(rows)} comments to {output} ({suggested} with a suggested code).")


@click.command("apply-codes")
@click.option("--survey", "survey_id", required=True, type=int, help="Id of the survey.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "email", default=None, help="E-mail of the account recorded as coder.")
@with_appcontext
def apply_codes_command(survey_id: int, file: Path, email: str | None) -> None:
    """Confirm codes from a CSV with the columns comment_id and code: all rows or none."""
    from planner.surveys import coding

    survey = _coding_survey(survey_id)
    user = _coding_user(email)
    try:
        added = coding.apply_codes(user, survey, file.read_bytes())
    except coding.CodesFileRejected as error:
        db.session.rollback()
        for line, message in error.errors[:200]:
            click.echo(f"line {line}: {message}", err=True)
        raise click.ClickException(str(error.message)) from error
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(f"Confirmed {added} codes for survey {survey.id}.")


COMMANDS = [import_survey_command, suggest_mapping_command, priorities_command, suggest_codes_command,
            apply_codes_command]
