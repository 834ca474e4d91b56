"""flask --app planner init-city FILE.json | remove-demo"""

import json
from pathlib import Path

import click

from planner.core.errors import DomainError
from planner.extensions import db


@click.command("init-city")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def init_city_command(file: Path) -> None:
    """Set up the city from a JSON file (keys: city, process, fields, districts, sectors; see
    docs/example-city.json). All or nothing: on any problem nothing is saved."""
    from planner.city.setup import load_city
    from planner.core.audit import acting_as

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.ClickException(f"{file}: not a JSON file ({error})") from error
    try:
        with acting_as(None, "init-city"):
            result = load_city(None, data, base=file.resolve().parent)
            db.session.commit()
    except DomainError as error:
        db.session.rollback()
        problems = getattr(error, "problems", None) or [(error.field, error.message)]
        lines = [f"  {key}: {message}" if key else f"  {message}" for key, message in problems]
        raise click.ClickException("Nothing was saved:\n" + "\n".join(lines)) from error
    process = result["process"]
    click.echo(
        "City set up"
        + (f": process “{process.title}” ({process.target_year})" if process else "")
        + f", {len(result['fields'])} action fields."
    )


@click.command("remove-demo")
@click.option("--keep", "keep_email", default="", help="E-mail of an administrator account to keep.")
@click.option("--force", is_flag=True, help="Also when the installation is not marked as a demo.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def remove_demo_command(keep_email: str, force: bool, yes: bool) -> None:
    """Remove all demo data: people, accounts, workshops, findings, surveys, versions, mails and files."""
    from sqlalchemy import func, select

    from planner.accounts.models import User
    from planner.city.demo_removal import remove_demo
    from planner.core.audit import acting_as
    from planner.core.permissions import Role

    keep = None
    if keep_email:
        keep = db.session.scalar(select(User).where(func.lower(User.email) == keep_email.strip().lower()))
        if keep is None or keep.role != Role.ADMIN:
            raise click.ClickException(f"No administrator account {keep_email}; nothing was removed.")
    if not yes:
        click.confirm("Remove every person, account (except --keep), workshop, finding, survey, paper version, "
                      "mail and file of the demo?", abort=True)
    try:
        with acting_as(keep.id if keep else None, keep.email if keep else "remove-demo"):
            report = remove_demo(keep, force=force)
            db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    click.echo(f"Demo removed: {sum(report.rows.values())} rows, {report.files} files."
               + (f" Kept the account {report.kept_account}." if report.kept_account else
                  " No account is left: create one with `flask --app planner create-user --role admin`."))


COMMANDS = [init_city_command, remove_demo_command]
