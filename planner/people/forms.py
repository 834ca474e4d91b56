from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField
from wtforms.validators import Length, Optional

from planner.people.models import Sector


class RosterFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    q = SearchField(_l("Search by name or e-mail"), validators=[Optional(), Length(max=100)])
    field = SelectField(_l("Action field"), choices=[], validators=[Optional()])
    sector = SelectField(_l("Sector"), choices=[], validators=[Optional()])

    def set_choices(self, fields) -> None:
        self.field.choices = [("", _l("All fields"))] + [(str(f.id), f"{f.code} – {f.name}") for f in fields]
        self.sector.choices = [("", _l("All sectors"))] + [(s.value, s.label) for s in Sector]
