from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import Optional

from planner.findings.models import MeasureStatus


class MeasureFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    field = SelectField(_l("Action field"), choices=[], validators=[Optional()])
    status = SelectField(_l("Status"), choices=[], validators=[Optional()])

    def set_choices(self, fields) -> None:
        self.field.choices = [("", _l("All fields"))] + [(str(f.id), f"{f.code} – {f.name}") for f in fields]
        self.status.choices = [("", _l("All states"))] + [(s.value, s.label) for s in MeasureStatus]
