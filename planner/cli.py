"""Command-line tools: flask --app planner <command>."""

import subprocess
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from planner.core.errors import DomainError
from planner.core.permissions import Role
from planner.extensions import db

PLANNER_DIR = Path(__file__).resolve().parent
ROOT = PLANNER_DIR.parent


def init_app(app) -> None:
    import importlib

    commands = [create_user_command, seed_demo_command, i18n]
    # Each package may bring its own commands: planner/<pkg>/commands.py with COMMANDS = [click commands].
    for path in sorted(PLANNER_DIR.glob("*/commands.py")):
        commands += importlib.import_module(f"planner.{path.parent.name}.commands").COMMANDS
    for command in commands:
        app.cli.add_command(_in_app_context(command))


def _in_app_context(command: click.Command) -> click.Command:
    """Plain click commands run inside the app context, like those made with app.cli.command()."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _in_app_context(sub)
    elif command.callback is not None and not getattr(command.callback, "_planner_app_context", False):
        command.callback = with_appcontext(_exits_quickly(command.callback))
        command.callback._planner_app_context = True
    return command


def _exits_quickly(callback):
    """The process of a command ends without the interpreter's last garbage collections (planner.core.collector:
    0.6 s of a 2.5 s ``export-paper``); not in tests, where the process runs on."""
    import functools

    from flask import current_app

    from planner.core.collector import skip_collection_at_exit

    @functools.wraps(callback)
    def run(*args, **kwargs):
        if not current_app.testing:
            skip_collection_at_exit(current_app._get_current_object())
        return callback(*args, **kwargs)

    return run


@click.command("create-user")
@click.option("--email", required=True, help="E-mail address, used to sign in.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="The account's role.")
@click.option("--name", default="", help="Display name.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Prompted when left out.")
@click.option("--require-2fa", "require_2fa", is_flag=True,
              help="The account must set up a second factor (authenticator app) at its first sign-in.")
def create_user_command(email: str, role: str, name: str, password: str, require_2fa: bool) -> None:
    """Create an account, e.g. the first administrator of a city without the demo."""
    from planner.accounts.services import create_user

    try:
        user = create_user(email, role, password, display_name=name, require_second_factor=require_2fa)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(f"Created {user.role.value} account {user.email}."
               + (" A second factor is required at the first sign-in." if require_2fa else ""))


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo into an empty database (does nothing when data is there)."""
    from planner.demo import seed_demo

    ctx = seed_demo()
    if ctx is None:
        click.echo("The database already holds a strategy process; demo not loaded.")
        return
    db.session.commit()
    click.echo(
        f"Demo loaded: {len(ctx.fields)} fields, {len(ctx.workshops)} workshops, {len(ctx.people)} experts, "
        f"{len(ctx.needs)} needs, {len(ctx.measures)} measures, {len(ctx.users)} accounts."
    )


# --- translations ------------------------------------------------------------------------------------------

def catalogues() -> list[tuple[Path, list[Path]]]:
    """Each catalogue directory with the sources it is extracted from.

    planner/translations holds the shared strings (core, base layout, macros, errors, site pages);
    every domain package keeps its own catalogue in planner/<pkg>/translations, so packages never
    edit the same file.
    """
    result = [
        (
            PLANNER_DIR / "translations",
            [PLANNER_DIR / "core", PLANNER_DIR / "site", PLANNER_DIR / "demo", ROOT / "templates" / "site"]
            + sorted(ROOT.glob("templates/*.html"))
            + [ROOT / "templates" / "_macros", ROOT / "templates" / "errors"],
        )
    ]
    from planner import BLUEPRINT_PACKAGES

    for name in BLUEPRINT_PACKAGES:
        if name == "site":
            continue
        pkg = PLANNER_DIR / name
        sources = [pkg]
        if (ROOT / "templates" / pkg.name).is_dir():
            sources.append(ROOT / "templates" / pkg.name)
        if name == "strategy":  # the exported paper's fixed headings
            sources.append(ROOT / "templates" / "exports")
        result.append((pkg / "translations", sources))
    return result


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True)  # noqa: S603


@click.group()
def i18n() -> None:
    """Translation catalogues (German is the default language, English the source)."""


@i18n.command("update")
@click.argument("package", required=False)
def i18n_update(package: str | None) -> None:
    """Extract strings and update the German catalogues (all, or one package's)."""
    for directory, sources in catalogues():
        if package and directory.parent.name != package and not (package == "core" and directory.parent == PLANNER_DIR):
            continue
        pot = directory / "messages.pot"
        directory.mkdir(parents=True, exist_ok=True)
        _pybabel(
            "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "--no-location", "--sort-output",
            "-o", str(pot), *[str(s) for s in sources if s.exists()],
        )
        po = directory / "de" / "LC_MESSAGES" / "messages.po"
        if po.exists():
            _pybabel("update", "-i", str(pot), "-d", str(directory), "-l", "de", "--no-fuzzy-matching",
                     "--ignore-obsolete")
        else:
            _pybabel("init", "-i", str(pot), "-d", str(directory), "-l", "de")
        pot.unlink()
        click.echo(f"updated {po.relative_to(ROOT)}")


@i18n.command("compile")
def i18n_compile() -> None:
    """Compile every catalogue to .mo (done by make; .mo files are not committed)."""
    compile_catalogues()


def compile_catalogues() -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for directory, _sources in catalogues():
        for po in directory.glob("*/LC_MESSAGES/messages.po"):
            mo = po.with_suffix(".mo")
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            with po.open("rb") as fh:
                catalog = read_po(fh)
            with mo.open("wb") as fh:
                write_mo(fh, catalog)


@i18n.command("check")
def i18n_check() -> None:
    """Fail when a German catalogue has an untranslated or fuzzy entry."""
    problems = untranslated_entries() + conflicting_translations()
    for line in problems:
        click.echo(line)
    if problems:
        raise click.ClickException(f"{len(problems)} untranslated, fuzzy or conflicting entries")
    click.echo("All catalogues complete.")


def read_catalogues():
    """Each translated catalogue as (its .po file, the parsed catalogue)."""
    from babel.messages.pofile import read_po

    for directory, _sources in catalogues():
        for po in directory.glob("*/LC_MESSAGES/messages.po"):
            with po.open("rb") as fh:
                yield po, read_po(fh)


def untranslated_entries() -> list[str]:
    problems = []
    for po, catalog in read_catalogues():
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy or not all(strings):
                problems.append(f"{po.relative_to(ROOT)}: {message.id!r}")
    return problems


def conflicting_translations() -> list[str]:
    """The same msgid (and context) translated differently in two catalogues.

    Flask-Babel merges all catalogues into one, so one package's wording would silently replace another's;
    a generic word that must differ by meaning takes a context (pgettext) instead.
    """
    seen: dict[tuple, tuple[str, Path]] = {}
    problems = []
    for po, catalog in read_catalogues():
        for message in catalog:
            if not message.id or not message.string:
                continue
            key = (message.context, message.id if isinstance(message.id, str) else message.id[0])
            value = message.string if isinstance(message.string, str) else message.string[0]
            if key in seen and seen[key][0] != value:
                other_value, other_po = seen[key]
                problems.append(
                    f"{key[1]!r}: {other_value!r} in {other_po.relative_to(ROOT)} "
                    f"but {value!r} in {po.relative_to(ROOT)}"
                )
            seen.setdefault(key, (value, po))
    return problems
