"""Workshops: who may see what, and the queries behind the pages."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.core.permissions import Role, has_role
from planner.extensions import db
from planner.people.models import Person
from planner.workshops.models import Participation, Workshop, WorkshopSeries


def workshops_query():
    return (
        select(Workshop)
        .options(selectinload(Workshop.fields), selectinload(Workshop.series))
        .order_by(Workshop.starts_at, Workshop.id)
    )


def list_series() -> list[WorkshopSeries]:
    return db.session.scalars(
        select(WorkshopSeries)
        .options(selectinload(WorkshopSeries.workshops).selectinload(Workshop.fields))
        .order_by(WorkshopSeries.starts_on, WorkshopSeries.id)
    ).all()


def may_see_participants(user) -> bool:
    return has_role(user, Role.FACILITATOR, Role.STRATEGY_TEAM)


def participations_of(workshop: Workshop) -> list[Participation]:
    return db.session.scalars(
        select(Participation)
        .where(Participation.workshop_id == workshop.id)
        .options(selectinload(Participation.person).selectinload(Person.organisation))
        .order_by(Participation.id)
    ).all()
