import json
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from planner.core.forms import MultiCheckboxField, SingleLineField
from planner.findings.models import (
    DESCRIPTION_MAX,
    TEXT_MAX,
    FindingKind,
    FundingType,
    MeasureStatus,
    Priority,
    SmartCityArea,
)
from planner.findings.services import MEASURE_KIND, kinds_for, year_problems

TOO_LONG = _l("The text is too long: at most %(max)d characters are allowed.")
EMPTY = _l("Please enter a text.")
CHOOSE = _l("Please choose")
ORDER_CHOICES = [("asc", _l("Ascending")), ("desc", _l("Descending"))]


def with_placeholder(choices):
    """A required select starts with an empty option (HTML: the first option of a required select is empty)."""
    return [("", CHOOSE), *choices]


def _optional_int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def kind_label(kind: str):
    return _l("Measure proposal") if kind == MEASURE_KIND else FindingKind(kind).label


class CaptureForm(FlaskForm):
    block = SelectField(_l("Agenda block"), choices=[], coerce=_optional_int, validate_choice=True)
    field = SelectField(_l("Action field"), choices=[], coerce=_optional_int, validators=[InputRequired()])
    kind = SelectField(_l("Kind"), choices=[], validators=[InputRequired()])
    author = SelectField(_l("Author"), choices=[], coerce=_optional_int, validate_choice=True,
                         description=_l("Log on behalf of a participant, e.g. from the minutes."))
    # Title and text depend on the kind (a measure needs a title, a finding a text): their labels carry no
    # "(optional)", the rules are in validate_title and validate_text, and no HTML required stops the other kind.
    title = SingleLineField(_l("Title of the measure"), validators=[Length(max=300, message=TOO_LONG)],
                            description=_l("Only for measure proposals."), render_kw={"required": False})
    text = TextAreaField(
        _l("Text"),
        validators=[Length(max=DESCRIPTION_MAX, message=TOO_LONG)],
        description=_l("Enter saves, Shift+Enter starts a new line. Markdown is allowed (**bold**, lists, links)."),
        render_kw={"rows": 3, "data-enter-submits": "true", "required": False},
    )
    needs = MultiCheckboxField(_l("Needs the measure addresses"), choices=[], coerce=int,
                               description=_l("Only for measure proposals."))
    answers = MultiCheckboxField(_l("Status-quo findings this need answers"), choices=[], coerce=int,
                                 description=_l("Only for needs; choosing none is fine."))

    def set_choices(self, blocks, fields, kinds, authors=None, needs=(), swot=()):
        self.title.flags.required = self.text.flags.required = True
        if blocks:
            # A workshop with capture blocks needs one chosen (planner.findings.services.capture).
            self.block.flags.required = True
            self.block.validators = [InputRequired(message=_l("Please choose the agenda block."))]
            self.block.choices = [(b.id, f"{b.title} ({b.kind.label})") for b in blocks]
            # Read by findings.js: choosing a block preselects the first kind it captures.
            self.block.render_kw = {"data-kinds": json.dumps({str(b.id): list(kinds_for(b)) for b in blocks})}
        else:
            del self.block
        self.field.choices = with_placeholder([(f.id, f"{f.code} – {f.name}") for f in fields])
        self.kind.choices = with_placeholder([(k, kind_label(k)) for k in kinds])
        if authors is None:
            del self.author
        else:
            self.author.choices = [(None, _l("Myself"))] + [(p.id, p.full_name) for p in authors]
        self.needs.choices = [(n.id, f"{n.number} {n.short_text}") for n in needs]
        self.answers.choices = swot_choices(swot)

    def validate_title(self, field):
        if self.kind.data == MEASURE_KIND and not (field.data or "").strip():
            raise ValidationError(_l("Please enter the title of the measure."))

    def validate_text(self, field):
        limit = DESCRIPTION_MAX if self.kind.data == MEASURE_KIND else TEXT_MAX
        if field.data and len(field.data.strip()) > limit:
            raise ValidationError(TOO_LONG % {"max": limit})
        if not (field.data or "").strip() and self.kind.data != MEASURE_KIND:
            raise ValidationError(EMPTY)


def swot_choices(findings):
    return [(f.id, f"{f.number} ({f.kind.label}) {f.short_text}") for f in findings]


class FindingEditForm(FlaskForm):
    text = TextAreaField(_l("Text"), validators=[DataRequired(message=EMPTY), Length(max=TEXT_MAX, message=TOO_LONG)],
                         description=_l("Markdown is allowed (**bold**, lists, links)."))
    answers = MultiCheckboxField(_l("Status-quo findings this need answers"), choices=[], coerce=int,
                                 description=_l("Strengths, weaknesses, opportunities and risks of the same workshop "
                                                "or action field; choosing none is fine."))
    version = HiddenField()

    def set_swot(self, finding, candidates) -> None:
        """Only a need answers status-quo findings; for other kinds the field is left out."""
        if not finding.is_need:
            del self.answers
            return
        self.answers.choices = swot_choices(candidates)
        if not self.is_submitted():
            self.answers.data = [f.id for f in finding.answers]


class HideForm(FlaskForm):
    reason = SingleLineField(_l("Reason for hiding"), validators=[DataRequired(message=EMPTY), Length(max=500)])


class CommentForm(FlaskForm):
    text = TextAreaField(_l("Comment"),
                         validators=[DataRequired(message=EMPTY), Length(max=TEXT_MAX, message=TOO_LONG)],
                         description=_l("Markdown is allowed (**bold**, lists, links)."), render_kw={"rows": 3})


class MeasureForm(FlaskForm):
    field = SelectField(_l("Action field"), choices=[], coerce=_optional_int, validators=[InputRequired()])
    title = SingleLineField(_l("Title"), validators=[DataRequired(message=EMPTY), Length(max=300, message=TOO_LONG)])
    description = TextAreaField(_l("Description"),
                                validators=[Optional(), Length(max=DESCRIPTION_MAX, message=TOO_LONG)],
                                description=_l("Markdown is allowed (**bold**, lists, links)."))
    goal = TextAreaField(_l("Goal"), validators=[Optional(), Length(max=DESCRIPTION_MAX, message=TOO_LONG)])
    expected_effect = TextAreaField(_l("Expected effect"),
                                    validators=[Optional(), Length(max=DESCRIPTION_MAX, message=TOO_LONG)])
    needs = MultiCheckboxField(_l("Needs this measure addresses"), choices=[], coerce=int)
    lead_unit = SingleLineField(_l("Lead unit"), validators=[Optional(), Length(max=200, message=TOO_LONG)])
    partners = TextAreaField(_l("Partners"), validators=[Optional(), Length(max=TEXT_MAX, message=TOO_LONG)],
                             render_kw={"rows": 2})
    funding_type = SelectField(_l("Funding"), choices=[], validators=[Optional()])
    funding_note = SingleLineField(_l("Note on funding"), validators=[Optional(), Length(max=500, message=TOO_LONG)],
                                   description=_l("E.g. the grant programme."))
    cost_estimate = DecimalField(_l("Cost estimate (euros)"), places=2,
                                 validators=[Optional(), NumberRange(min=0, max=10**11)])
    priority = SelectField(_l("Priority"), choices=[], validators=[Optional()])
    index_area = SelectField(_l("Smart City Index area"), choices=[], validators=[Optional()],
                             description=_l("The area of the Bitkom Smart City Index the measure contributes to."))
    start_year = IntegerField(_l("Start year"), validators=[Optional()])
    end_year = IntegerField(_l("End year"), validators=[Optional()])
    version = HiddenField()

    def set_choices(self, fields, needs):
        self.field.choices = with_placeholder([(f.id, f"{f.code} – {f.name}") for f in fields])
        self.needs.choices = [(n.id, f"{n.number} {n.short_text}") for n in needs]
        none = [("", _l("Not set"))]
        self.funding_type.choices = none + [(f.value, f.label) for f in FundingType]
        self.priority.choices = none + [(p.value, p.label) for p in Priority]
        self.index_area.choices = none + [(a.value, a.label) for a in SmartCityArea]

    def validate(self, extra_validators=None) -> bool:
        """When a field fails, the period's rules run as well, so every error shows in one round."""
        valid = super().validate(extra_validators)
        if not valid and "start_year" in self and "end_year" in self:
            start = self.start_year.data if not self.start_year.errors else None
            end = self.end_year.data if not self.end_year.errors else None
            for name, message in year_problems(start, end):
                if not self[name].errors:
                    self[name].errors = [*self[name].errors, message]
            self._errors = None
        return valid

    def data_for_service(self) -> dict:
        return {
            "title": self.title.data, "description": self.description.data, "goal": self.goal.data,
            "expected_effect": self.expected_effect.data, "lead_unit": self.lead_unit.data,
            "partners": self.partners.data, "funding_type": self.funding_type.data or None,
            "funding_note": self.funding_note.data, "cost_estimate": self.cost_estimate.data,
            "priority": self.priority.data or None, "index_area": self.index_area.data or None,
            "start_year": self.start_year.data, "end_year": self.end_year.data,
        }


class NeedNumbersField(StringField):  # a list of numbers, separated by spaces, commas or line breaks
    """Needs for action by their numbers (``MOB-B03, MOB-B07``): for processes with too many needs to list.

    The view sets ``resolve(numbers) -> (ids, unknown numbers)``; after validation ``data`` holds the ids.
    """

    resolve = None

    def process_data(self, value):
        self.numbers = [n.number for n in value or () if getattr(n, "number", None)]
        self.data = [n.id for n in value or () if getattr(n, "id", None)]

    def process_formdata(self, valuelist):
        text = valuelist[0] if valuelist else ""
        self.numbers = list(dict.fromkeys(n for n in re.split(r"[\s,;]+", text) if n))
        self.data = []

    def _value(self):
        return ", ".join(self.numbers)

    def pre_validate(self, form):
        if len(self.numbers) > 500:
            raise ValidationError(_l("Please link at most 500 needs at once."))
        ids, unknown = self.resolve(self.numbers) if self.numbers else ([], [])
        if unknown:
            raise ValidationError(_l("There is no need for action with the number %(numbers)s.",
                                     numbers=", ".join(unknown)))
        self.data = ids


class MeasureByNumbersForm(MeasureForm):
    """The measure form when the process has too many needs for a list of checkboxes."""

    needs = NeedNumbersField(_l("Needs this measure addresses"),
                             description=_l("The numbers of the needs for action, separated by commas, "
                                            "e.g. MOB-B03, MOB-B07. The list of needs shows every number."))

    def set_choices(self, fields, needs):
        super().set_choices(fields, ())


class KPIForm(FlaskForm):
    indicator = SingleLineField(_l("Indicator"), validators=[DataRequired(message=EMPTY), Length(max=300)])
    unit = SingleLineField(_l("Unit"), validators=[Optional(), Length(max=50)],
                           description=_l("E.g. %, t CO₂, number."))
    baseline = DecimalField(_l("Baseline"), places=2, validators=[Optional()])
    target_value = DecimalField(_l("Target value"), places=2, validators=[Optional()])
    target_year = IntegerField(_l("Target year"), validators=[Optional()])


class DependencyForm(FlaskForm):
    depends_on = SelectField(_l("Depends on measure"), choices=[], coerce=_optional_int,
                             validators=[InputRequired()])


class DependencyByNumberForm(FlaskForm):
    """The dependency form when there are too many measures for a list: the other measure by its number."""
    depends_on = SingleLineField(_l("Depends on measure"), validators=[InputRequired(), Length(max=40)],
                                 description=_l("The number of the measure, e.g. MOB-M02."))


class EvaluateForm(FlaskForm):
    status = SelectField(_l("New status"), choices=[], validators=[InputRequired()])
    answer = TextAreaField(_l("Official answer"),
                           validators=[Optional(), Length(max=DESCRIPTION_MAX, message=TOO_LONG)],
                           description=_l("The proposer sees this answer on the measure's page."))

    def set_choices(self, measure):
        self.status.choices = with_placeholder([
            (s.value, s.label) for s in MeasureStatus if s != MeasureStatus.MERGED and measure.can_become(s)
        ])


class MergeForm(FlaskForm):
    kept = SelectField(_l("Keep this measure"), choices=[], coerce=_optional_int, validators=[InputRequired()],
                       description=_l("This measure is merged into the one you choose: its needs, comments and "
                                      "supporters move over."))


class MergeByNumberForm(FlaskForm):
    kept = SingleLineField(_l("Keep this measure"), validators=[InputRequired(), Length(max=40)],
                           description=_l("The number of the measure to keep, e.g. MOB-M02. This measure is merged "
                                      "into it: its needs, comments and supporters move over."))


class MeasureFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    q = SearchField(_l("Search"), validators=[Optional()])
    field = SelectField(_l("Action field"), choices=[], validators=[Optional()])
    status = SelectField(_l("Status"), choices=[], validators=[Optional()])
    priority = SelectField(_l("Priority"), choices=[], validators=[Optional()])
    area = SelectField(_l("Smart City Index area"), choices=[], validators=[Optional()])
    gap = SelectField(_l("Gap"), choices=[], validators=[Optional()])
    sort = SelectField(_l("Sort by"), choices=[], validators=[Optional()])
    order = SelectField(_l("Order"), choices=[], validators=[Optional()])

    def set_choices(self, fields) -> None:
        self.field.choices = [("", _l("All fields"))] + [(str(f.id), f"{f.code} – {f.name}") for f in fields]
        self.gap.choices = [("", _l("Any")), ("no_need", _l("Without a need")),
                            ("no_lead", _l("Without a lead unit")), ("no_kpi", _l("Without an indicator"))]
        self.status.choices = [("", _l("All states"))] + [(s.value, s.label) for s in MeasureStatus]
        self.priority.choices = [("", _l("All priorities"))] + [(p.value, p.label) for p in Priority]
        self.area.choices = [("", _l("All areas"))] + [(a.value, a.label) for a in SmartCityArea]
        self.sort.choices = [("number", _l("Number")), ("title", _l("Title")), ("priority", _l("Priority")),
                             ("status", _l("Status"))]
        self.order.choices = ORDER_CHOICES


class NeedFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Search"), validators=[Optional()])
    field = SelectField(_l("Action field"), choices=[], validators=[Optional()])
    without_measure = BooleanField(_l("Only needs without a measure"))
    sort = SelectField(_l("Sort by"), choices=[], validators=[Optional()])
    order = SelectField(_l("Order"), choices=[], validators=[Optional()])

    def set_choices(self, fields) -> None:
        self.field.choices = [("", _l("All fields"))] + [(str(f.id), f"{f.code} – {f.name}") for f in fields]
        self.sort.choices = [("number", _l("Number")), ("text", _l("Text"))]
        self.order.choices = ORDER_CHOICES
