"""Forms for the council's decision on a paper version: the Beschlussvorlage and the steps of its Beratungsfolge."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from planner.core.forms import SingleLineField, VersionedForm
from planner.strategy.council import BODY_MAX, REFERENCE_MAX, RESULT_LABELS


class DecisionForm(VersionedForm, FlaskForm):
    reference = SingleLineField(_l("Drucksache number"), validators=[DataRequired(), Length(max=REFERENCE_MAX)],
                                description=_l("As the council information system lists it, e.g. 1234/2023."))
    paper_type = SingleLineField(_l("Kind of paper"), validators=[Optional(), Length(max=100)],
                                 description=_l("For example: Beschlussvorlage."))
    title = SingleLineField(_l("Title of the Drucksache"), validators=[Optional(), Length(max=300)])
    submitted_on = DateField(_l("Date of the Drucksache"), validators=[Optional()])
    resolution_text = TextAreaField(_l("Resolution"), validators=[Optional(), Length(max=100_000)],
                                    description=_l("The text the council resolved (Beschlusstext)."),
                                    render_kw={"rows": 8})


class StepForm(VersionedForm, FlaskForm):
    body = SingleLineField(_l("Body"), validators=[DataRequired(), Length(max=BODY_MAX)],
                           description=_l("The council, a committee or a district council."))
    meeting_date = DateField(_l("Date of the meeting"), validators=[Optional()])
    role = SingleLineField(_l("Role in the deliberation"), validators=[Optional(), Length(max=100)],
                           description=_l("For example: Vorberatung, Entscheidung."))
    authoritative = BooleanField(_l("This body decides"))
    result = SelectField(_l("Result"), choices=[SelectChoice("", _l("open"))] + [
        SelectChoice(result.value, label) for result, label in RESULT_LABELS.items()], validators=[Optional()])
    amendment = IntegerField(_l("Amended version"), validators=[Optional(), NumberRange(min=1)],
                             description=_l("When the body changed the paper: the number of the version that holds "
                                            "the change."))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3})
