from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from planner.core.forms import VersionedForm
from planner.fields.models import IndexArea


class FieldForm(VersionedForm, FlaskForm):
    code = StringField(_l("Short code"), validators=[DataRequired(_l("Please enter a short code.")), Length(max=8)],
                       description=_l("2 to 8 capital letters or digits, e.g. MOB. Needs and measures are numbered "
                                      "with it (MOB-B01); numbers already given keep their code."))
    name_de = StringField(_l("Name (German)"), validators=[DataRequired(_l("Please enter the German name.")),
                                                           Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120)])
    description_de = TextAreaField(_l("Description (German)"), validators=[Optional(), Length(max=5000)],
                                   description=_l("Markdown: **bold**, lists and links."))
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional(), Length(max=5000)])
    colour = StringField(_l("Colour"), validators=[DataRequired(_l("Please enter a colour.")), Length(max=7)],
                         default="#1d4e89",
                         description=_l("# and six hexadecimal digits, e.g. #1d4e89. It marks the field in charts "
                                        "on white and needs a contrast of at least 3:1."))
    index_area = SelectField(_l("Smart City Index area"), validators=[Optional()],
                             description=_l("The area of the Bitkom Smart City Index the field mainly serves."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.index_area.choices = [("", _l("– no area –"))] + [(a.value, a.label) for a in IndexArea]


class MergeForm(FlaskForm):
    target = SelectField(_l("Merge into"), validators=[InputRequired(_l("Please choose a field."))],
                         description=_l("Its findings, measures, workshops, experts and survey questions move to this "
                                        "field; this field is retired and stays in the history."))

    def set_choices(self, fields):
        self.target.choices = [("", _l("Please choose"))] + [(str(f.id), f"{f.code} – {f.name}") for f in fields]


class ProcessForm(VersionedForm, FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=200)])
    vision = TextAreaField(_l("Vision"), validators=[Optional(), Length(max=20000)],
                           description=_l("The guiding vision (Leitbild) of the strategy. Markdown."))
    target_year = IntegerField(_l("Target year"),
                               validators=[InputRequired(_l("Please enter the target year as a number."))],
                               description=_l("The year the strategy aims at, e.g. 2040."))
    milestone_years = StringField(_l("Milestone years"), validators=[Optional(), Length(max=200)],
                                  description=_l("Ascending years up to the target year, separated by commas, e.g. "
                                                 "2025, 2030, 2035."))
