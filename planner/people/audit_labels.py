"""How people appear in change histories (planner.core.history): names only of people who consented."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from planner.core.history import describe
from planner.people.models import Organisation, Person


def person_title(person: Person) -> str:
    """A person's name where the pages may show it (consent given), else a neutral label with the number."""
    if person.has_consent:
        return person.full_name
    return _("Person #%(id)s", id=person.id)


describe(Person, _l("Person"), {
    "title": _l("Title"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "email": _l("E-mail address"),
    "position": _l("Position"),
    "organisation_id": _l("Organisation"),
    "has_consent": _l("Consent has been given"),
    "consent_at": _l("Consent given on"),
    "consent_text": _l("What was agreed"),
    "is_fictional": _l("Fictional (demo)"),
    # explicit entries (import, merge of duplicates)
    "created": _l("New"),
    "updated": _l("Updated"),
    "merged_person_id": _l("Merged person"),
    "merged_email": _l("E-mail address of the merged person"),
    "moved": _l("Records moved"),
}, title=person_title, quiet=("merge", "import"))

describe(Organisation, _l("Organisation"), {"name": _l("Name"), "sector": _l("Sector")})
