"""Form helpers shared by every blueprint."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash
from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField, ValidationError, widgets

from planner.core.errors import DomainError, NotAllowed
from planner.extensions import db

# C0 controls (CR, LF, tab, ...), DEL, C1 controls and the Unicode line and paragraph separators.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
SINGLE_LINE_MESSAGE = _l("Please enter a single line without line breaks, tabs or other control characters.")


def has_control_characters(value: str | None) -> bool:
    return bool(value) and CONTROL_CHARACTERS.search(value) is not None


class SingleLineField(StringField):
    """One line of text (titles, names, subjects, places): surrounding whitespace is stripped, and a value with a
    line break or another control character is refused with a clear message, so it can never reach a mail header,
    a file name or a calendar line. Use it for every single-line text input."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.strip()

    def pre_validate(self, form):
        if has_control_characters(self.data):
            raise ValidationError(SINGLE_LINE_MESSAGE)


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
