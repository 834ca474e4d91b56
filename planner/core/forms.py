"""Form helpers shared by every blueprint."""

from flask import flash
from wtforms import SelectMultipleField, widgets

from planner.core.errors import DomainError


class MultiCheckboxField(SelectMultipleField):
    """Several options as checkboxes in a fieldset (rendered by _macros/forms.html)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def show_domain_error(form, error: DomainError) -> None:
    """Put a service's error on the field it concerns, or flash it when it concerns the whole form."""
    if error.field and form is not None and error.field in form:
        form[error.field].errors = list(form[error.field].errors) + [error.message]
    else:
        flash(error.message, "error")
