"""Findings and measures: the queries behind the pages."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.findings.models import Measure, MeasureStatus


def measures_query(field_id: int | None = None, status: str | None = None):
    stmt = select(Measure).options(selectinload(Measure.field), selectinload(Measure.needs))
    if field_id:
        stmt = stmt.where(Measure.field_id == field_id)
    if status in {s.value for s in MeasureStatus}:
        stmt = stmt.where(Measure.status == MeasureStatus(status))
    return stmt.order_by(Measure.field_id, Measure.id)
