from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, EmailField, IntegerField, SelectField, TextAreaField
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
    funder_report_dates = TextAreaField(
        _l("Reporting dates of the funder"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3},
        description=_l("One date per line, e.g. 31.03.2027. Each becomes a task “Report to the funder”."))
    funder_report_yearly = SingleLineField(
        _l("Yearly report to the funder on"), validators=[Optional(), Length(max=10)],
        description=_l("Day and month, e.g. 31.03.: a task for every year of the funding period."))


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


class AnswerForm(FlaskForm):
    answer_text = TextAreaField(_l("The city's official answer"), validators=[DataRequired(), Length(max=20_000)],
                                render_kw={"rows": 6},
                                description=_l("Shown on the public dashboard and sent to whoever proposed the "
                                               "measure (if their address is known and they agreed to be "
                                               "contacted)."))
    send_again = BooleanField(_l("Send the answer to the proposer again"))


class FollowForm(FlaskForm):
    email = EmailField(_l("Your e-mail address"), validators=[DataRequired(), Length(max=254)])
    consent = BooleanField(_l("I would like to be told by e-mail when the implementation status of this measure "
                              "changes. My address is stored only for this; I can stop it at any time with the "
                              "link in every e-mail."))
