"""Form helpers shared by every blueprint."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash
from wtforms import SelectMultipleField, widgets

from planner.core.errors import DomainError, NotAllowed
from planner.extensions import db


class MultiCheckboxField(SelectMultipleField):
    """Several options as checkboxes in a fieldset (rendered by _macros/forms.html)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def show_domain_error(form, error: DomainError) -> None:
    """Put a service's error on the field it concerns, or flash it when it concerns the whole form.

    An error that carries several ``problems`` ((field name, message) pairs) shows each of them that way."""
    for field_name, message in getattr(error, "problems", None) or [(error.field, error.message)]:
        if field_name and form is not None and field_name in form:
            form[field_name].errors = list(form[field_name].errors) + [message]
        else:
            flash(message, "error")


@dataclass(frozen=True)
class Outcome:
    """What `perform` did: truthy when the change went through; `value` is the service's result, `error` the
    DomainError that stopped it."""

    value: Any = None
    error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.error is None


def perform(call: Callable[[], Any], *, form=None, success: str | Callable[[Any], str] | None = None,
            category: str = "success", forbid: bool = False) -> Outcome:
    """Runs a view's one change: commit and flash `success` (a string, or a callable given the result) when it
    goes through; on a DomainError roll back and show it on the form's field or as a flash (without a form).
    With ``forbid`` a NotAllowed answers 403 instead of being shown."""
    try:
        value = call()
    except DomainError as error:
        db.session.rollback()
        if forbid and isinstance(error, NotAllowed):
            abort(403)
        show_domain_error(form, error)
        return Outcome(error=error)
    db.session.commit()
    if success is not None:
        flash(success(value) if callable(success) else success, category)
    return Outcome(value)
