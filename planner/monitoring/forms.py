from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from planner.core.forms import SingleLineField, VersionedForm
from planner.monitoring.models import STATUS_LABELS, TaskKind


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ActionForm(VersionedForm, FlaskForm):
    responsible_unit = SingleLineField(_l("Responsible unit"), validators=[Optional(), Length(max=200)])
    lead_id = SelectField(_l("Contact person (implementation lead)"), coerce=_int_or_none, validators=[Optional()],
                          description=_l("This person can report on the measure."))
    funding_programme = SingleLineField(_l("Funding programme"), validators=[Optional(), Length(max=200)],
                                        description=_l("For example: Modellprojekte Smart Cities, KfW, EU, Land."))
    grant_amount = DecimalField(_l("Grant (€)"), places=2, validators=[Optional(), NumberRange(min=0)])
    own_share = DecimalField(_l("Own share (€)"), places=2, validators=[Optional(), NumberRange(min=0)])
    funding_from = DateField(_l("Funding from"), validators=[Optional()])
    funding_until = DateField(_l("Funding until"), validators=[Optional()])


class UpdateForm(FlaskForm):
    reported_on = DateField(_l("As of"), validators=[InputRequired()])
    status = SelectField(_l("Status"), choices=[SelectChoice(s.value, label) for s, label in STATUS_LABELS.items()],
                         validators=[DataRequired()])
    progress = IntegerField(_l("Progress (%)"), validators=[Optional(), NumberRange(min=0, max=100)])
    text = TextAreaField(_l("What has happened"), validators=[DataRequired(), Length(max=20_000)],
                         render_kw={"rows": 5})


class TaskForm(FlaskForm):
    title = SingleLineField(_l("Task"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, k.label) for k in TaskKind],
                       validators=[DataRequired()])
    due_on = DateField(_l("Due on"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k.value, k.label) for k in TaskKind]


class KPIValueForm(FlaskForm):
    kpi_id = SelectField(_l("KPI"), coerce=_int_or_none, validators=[DataRequired()])
    measured_on = DateField(_l("Measured on"), validators=[InputRequired()])
    value = DecimalField(_l("Value"), places=2, validators=[InputRequired()])
    district = SingleLineField(_l("District"), validators=[Optional(), Length(max=100)],
                               description=_l("Leave empty for the whole city."))
    note = SingleLineField(_l("Note"), validators=[Optional(), Length(max=500)])


class ReportForm(FlaskForm):
    period = SingleLineField(_l("Period"), validators=[DataRequired(), Length(max=20)],
                             description=_l("For example: 2027."))
