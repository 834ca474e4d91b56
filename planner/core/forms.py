"""Form helpers shared by every blueprint."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from flask import abort, flash
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    SelectFieldBase,
    SelectMultipleField,
    StringField,
    SubmitField,
    ValidationError,
    widgets,
)
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import StopValidation

from planner.core.errors import DomainError, NotAllowed, StaleVersion
from planner.core.locking import parse_version
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


class ChooseAtLeastOne:
    """A required set of checkboxes: marks the fieldset as required (no "(optional)" in its legend) and refuses an
    empty choice with ``message``. Not rendered as HTML ``required`` on each box, which would demand every one."""

    field_flags = {"required": True}

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not field.data:
            field.errors[:] = []
            raise StopValidation(self.message)


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


# --- optimistic locking ---------------------------------------------------------------------------------------


class VersionedForm:
    """Mix into an edit form: the hidden ``version`` the form was filled from (planner.core.locking)."""

    version = HiddenField()

    def submitted_version(self) -> int | None:
        return parse_version(self.version.data)


@dataclass(frozen=True)
class ConflictRow:
    label: str
    current: str
    mine: str

    @property
    def differs(self) -> bool:
        return self.current != self.mine


@dataclass(frozen=True)
class Conflict:
    """What the 409 page shows: each field's stored value beside the user's input (_macros/conflict.html)."""

    rows: tuple[ConflictRow, ...]

    @property
    def differing(self) -> tuple[ConflictRow, ...]:
        return tuple(row for row in self.rows if row.differs)


def _choice_labels(field) -> dict[str, str]:
    choices = field.choices or []
    if isinstance(choices, dict):
        choices = [choice for group in choices.values() for choice in group]
    labels = {}
    for choice in choices:
        if isinstance(choice, tuple | list):
            value, label = choice[0], choice[1]
        elif hasattr(choice, "value"):  # wtforms SelectChoice
            value, label = choice.value, choice.label if choice.label is not None else choice.value
        else:
            value = label = choice
        labels[str(value)] = str(label)
    return labels


def shown_value(field) -> str:
    """A field's value as the user reads it (choice labels, dates, yes/no), for comparing two versions."""
    data = field.data
    if isinstance(field, BooleanField):
        return _("Yes") if data else _("No")
    if isinstance(field, SelectMultipleField):
        labels = _choice_labels(field)
        return ", ".join(labels.get(str(value), str(value)) for value in (data or []))
    if isinstance(field, SelectFieldBase):
        return _choice_labels(field).get(str(data), "") if data not in (None, "") else ""
    if data is None:
        return ""
    if isinstance(data, datetime):
        return format_date(data, "medium") + " " + data.strftime("%H:%M")
    if isinstance(data, date):
        return format_date(data, "medium")
    if isinstance(data, time):
        return data.strftime("%H:%M")
    return str(data).strip()


def stale_conflict(mine, current, stored_version: int) -> Conflict:
    """After a StaleVersion: ``mine`` is the submitted form, ``current`` the same form filled from the stored
    object (built with ``formdata=None``). The submitted form takes the stored version, so saving it again
    replaces the current version knowingly; every field is listed with both values."""
    mine.version.data = stored_version
    skipped = (HiddenField, SubmitField, CSRFTokenField)
    rows = tuple(
        ConflictRow(label=str(field.label.text), current=shown_value(current[field.name]), mine=shown_value(field))
        for field in mine
        if not isinstance(field, skipped) and field.name in current
    )
    return Conflict(rows)


def is_stale(outcome: "Outcome") -> bool:
    return isinstance(outcome.error, StaleVersion)
