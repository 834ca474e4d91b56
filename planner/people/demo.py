"""Demo content of the people package: one likely duplicate, so the duplicates page has something to show."""

from planner.extensions import db
from planner.people.models import Person


def seed(ctx) -> None:
    original = next((p for p in ctx.people if p.organisation and "ü" in p.last_name.lower()), None)
    if original is None:
        original = ctx.people[-1]
    last_name = original.last_name.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
    if last_name == original.last_name:
        last_name = original.last_name + "n"
    duplicate = Person(
        first_name=original.first_name,
        last_name=last_name,
        email=f"{original.first_name}.{last_name}.privat@example.org".lower(),
        position=original.position,
        organisation=original.organisation,
        is_fictional=True,
    )
    duplicate.fields = list(original.fields)
    db.session.add(duplicate)
