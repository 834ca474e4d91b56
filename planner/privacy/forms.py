from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from planner.core.forms import SingleLineField


class ErasureConfirmForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, erase this person's personal data. This cannot be undone."),
        validators=[DataRequired(_l("Please confirm the erasure."))],
    )


class AddressLookupForm(FlaskForm):
    class Meta:
        csrf = False  # a look-up (GET) that changes nothing

    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Please enter an e-mail address."))])


class AddressErasureForm(FlaskForm):
    email = HiddenField(id="erase-email")  # the look-up form on the same page has the visible "email"
    confirm = BooleanField(
        _l("Yes, erase what is held under this address. This cannot be undone."),
        validators=[DataRequired(_l("Please confirm the erasure."))],
    )


class ErasureRequestForm(FlaskForm):
    note = TextAreaField(
        _l("Note for the Smart City team"),
        validators=[Optional(), Length(max=2000, message=_l("Please keep it under %(max)d characters."))],
    )
    confirm = BooleanField(
        _l("I ask for my personal data to be erased."),
        validators=[DataRequired(_l("Please confirm your request."))],
    )


class WithdrawConsentForm(FlaskForm):
    confirm = BooleanField(
        _l("I withdraw my consent to the processing of my personal data."),
        validators=[DataRequired(_l("Please confirm the withdrawal."))],
    )


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    entity = SelectField(_l("Record type"), choices=[], validators=[Optional()])
    entity_id = IntegerField(_l("Record number"), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    actor = SingleLineField(_l("Changed by"), validators=[Optional(), Length(max=254)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])

    def set_choices(self, entities: list[str]) -> None:
        from planner.core.history import entity_choices

        self.entity.choices = [("", _l("All"))] + entity_choices(entities)
