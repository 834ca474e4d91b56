"""Command-line tools of the accounts package."""

import click

from planner.accounts import encryption
from planner.extensions import db


@click.command("rotate-encryption-key")
def rotate_encryption_key_command() -> None:
    """Re-encrypt the stored second-factor secrets with ENCRYPTION_KEY (old keys from ENCRYPTION_OLD_KEYS)."""
    rotated, unreadable = encryption.rotate_all()
    db.session.commit()
    click.echo(f"{rotated} second-factor secrets encrypted with the current key.")
    if unreadable:
        raise click.ClickException(
            f"{unreadable} secrets could not be decrypted with any configured key (ENCRYPTION_KEY, "
            "ENCRYPTION_OLD_KEYS); they were left unchanged. Add the old key, or reset those accounts' second factor."
        )


COMMANDS = [rotate_encryption_key_command]
