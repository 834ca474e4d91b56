"""The roster of experts and their organisations."""

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from planner.people.models import Organisation, Person, Sector, person_fields


def roster_query(field_id: int | None = None, sector: str | None = None, organisation_id: int | None = None,
                 search: str | None = None) -> Select:
    """People filtered in SQL, ordered by name, with what the list shows loaded up front."""
    stmt = select(Person).options(selectinload(Person.organisation), selectinload(Person.fields))
    if field_id:
        stmt = stmt.join(person_fields, person_fields.c.person_id == Person.id).where(
            person_fields.c.field_id == field_id
        )
    if sector in {s.value for s in Sector} or organisation_id:
        stmt = stmt.join(Organisation, Organisation.id == Person.organisation_id)
        if sector in {s.value for s in Sector}:
            stmt = stmt.where(Organisation.sector == Sector(sector))
        if organisation_id:
            stmt = stmt.where(Organisation.id == organisation_id)
    if search:
        pattern = f"%{search.strip().lower()}%"
        stmt = stmt.where(
            Person.last_name.ilike(pattern) | Person.first_name.ilike(pattern) | Person.email.ilike(pattern)
        )
    return stmt.order_by(Person.last_name, Person.first_name, Person.id)
