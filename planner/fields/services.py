"""Action fields and the counts that describe them."""

from sqlalchemy import select

from planner.extensions import db
from planner.fields.models import ActionField


def list_fields() -> list[ActionField]:
    return db.session.scalars(select(ActionField).order_by(ActionField.position, ActionField.code)).all()


def get_field_by_code(code: str) -> ActionField | None:
    return db.session.scalar(select(ActionField).where(ActionField.code == code.upper()))
