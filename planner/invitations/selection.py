"""The invite page's selection: the people a facilitator has ticked, kept in the session per workshop, so ticks
survive paging and filtering without JavaScript (every page change and filter is a POST of the roster form that
first stores this page's ticks). Only ids are kept; the people are loaded again when the selection is used.

View helpers (they read and write the session); the invitation rules stay in planner.invitations.services.
"""

from flask import session
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.core.errors import DomainError
from planner.extensions import db
from planner.people.models import Person

SESSION_KEY = "invite_selection"
# Ticked one by one: more than this goes by "all people matching the filter" (and keeps the session cookie small).
MAX_SELECTION = 500


def ids(workshop_id: int) -> list[int]:
    return list((session.get(SESSION_KEY) or {}).get(str(workshop_id), []))


def _store(workshop_id: int, chosen) -> None:
    stored = dict(session.get(SESSION_KEY) or {})
    if chosen:
        stored[str(workshop_id)] = sorted(chosen)
    else:
        stored.pop(str(workshop_id), None)
    session[SESSION_KEY] = stored


def update_from_form(workshop_id: int, form) -> list[int]:
    """Takes the ticks of the page just posted: the people shown there (``shown_id``) are in the selection exactly
    when ticked (``person_id``); the selection made on other pages and filters stays."""
    shown = {int(i) for i in form.getlist("shown_id") if i.isdigit()}
    ticked = {int(i) for i in form.getlist("person_id") if i.isdigit()}
    chosen = (set(ids(workshop_id)) - shown) | ticked
    if len(chosen) > MAX_SELECTION:
        raise DomainError(_l("At most %(max)s people can be ticked one by one. To invite more, choose a field or "
                             "sector and continue with all people matching the filter.", max=MAX_SELECTION))
    _store(workshop_id, chosen)
    return sorted(chosen)


def remove(workshop_id: int, person_id: int) -> None:
    _store(workshop_id, set(ids(workshop_id)) - {person_id})


def clear(workshop_id: int) -> None:
    _store(workshop_id, ())


def people(workshop_id: int) -> list[Person]:
    """The selected people who still exist, by name."""
    chosen = ids(workshop_id)
    if not chosen:
        return []
    return list(db.session.scalars(
        select(Person).where(Person.id.in_(chosen)).options(selectinload(Person.organisation))
        .order_by(Person.last_name, Person.first_name, Person.id)))
