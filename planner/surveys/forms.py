from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, DecimalField, SearchField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from planner.core.forms import SingleLineField, VersionedForm
from planner.surveys.importer import personal_data_reason
from planner.surveys.models import WEIGHT_KEYS, QuestionKind


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _optional_int(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


class UploadForm(FlaskForm):
    file = FileField(
        _l("Survey export"),
        validators=[FileRequired(message=_l("Please choose a file."))],
        description=_l("CSV (UTF-8 or Windows, separated by ; or ,) or Excel (XLSX), e.g. a LimeSurvey export."),
    )
    title = SingleLineField(_l("Title"),
                            validators=[DataRequired(message=_l("Please enter a title.")), Length(max=200)])
    wave = SingleLineField(_l("Wave"), validators=[Optional(), Length(max=100)],
                           description=_l("e.g. “2. Welle 2023”"))
    starts_on = DateField(_l("Survey started on"), validators=[Optional()])
    ends_on = DateField(_l("Survey ended on"), validators=[Optional()])
    saved_mapping = SelectField(_l("Apply a saved mapping"), choices=[], coerce=_optional_int, validate_choice=False)

    def set_choices(self, mappings):
        none = ("", _l("– none, suggest a mapping –"))
        self.saved_mapping.choices = choices([none] + [(m.id, m.name) for m in mappings])


KIND_CHOICES = choices([(k.value, k.label) for k in QuestionKind])
SCALE_CHOICES = choices([(k, _l("1 to %(k)s", k=k)) for k in range(2, 12)])
DIRECTION_CHOICES = choices([
    ("higher", _l("higher is better (e.g. 5 = very important)")),
    ("lower", _l("lower is better (a school grade: 1 = very good)")),
])
LAYOUT_CHOICES = choices([
    ("by_rank", _l("one column per rank, the cell names the option")),
    ("by_option", _l("one column per option, the cell holds the rank")),
])
MAX_OPTION_SLOTS = 20
# Above this many candidate measures a question names its measure by number (typed) instead of a select
# offering every measure (40 questions × 10,000 options made the mapping page 170 MB at metropolis scale).
MEASURE_CHOICE_LIMIT = 200


class MeasureNumberField(SingleLineField):
    """A measure named by its number, e.g. MOB-M02 (any case); ``measure_id`` holds it after validation."""

    measure_id: int | None = None

    def pre_validate(self, form):
        from planner.findings.services import measure_by_reference
        from planner.surveys.prioritisation import EXCLUDED_MEASURE_STATUSES

        self.measure_id = None
        super().pre_validate(form)  # one line, no control characters
        value = (self.data or "").strip()
        if not value:
            return
        measure = measure_by_reference(value)
        if measure is None or measure.status in EXCLUDED_MEASURE_STATUSES:
            raise ValidationError(_l("No open measure has the number “%(number)s”.", number=value))
        self.measure_id = measure.id


def referenced_measure_ids(mapping: dict) -> set[int]:
    """Every measure id a mapping links to (questions and options)."""
    ids = set()
    for question in mapping["questions"]:
        if question.get("measure"):
            ids.add(int(question["measure"]))
        ids.update(int(v) for v in (question.get("option_measures") or {}).values() if v)
    return ids


def _measure_id(field) -> int | None:
    if isinstance(field, MeasureNumberField):
        return field.measure_id
    return int(field.data) if field.data else None


def option_slots(question: dict, profiles: dict) -> list[str]:
    """The options the mapping form offers links for."""
    options = list(question.get("options") or [])
    if not options and len(question["columns"]) == 1:
        options = list(profiles.get(question["columns"][0], {}).get("values", []))
    return options[:MAX_OPTION_SLOTS]


def mapping_form(mapping: dict, profiles: dict, fields, measures, formdata=None, measure_numbers=None):
    """A form with, per question: type, wording, scale, layout, field, measure, and a link per option.

    ``measures`` is the list of candidate measures (a select each); ``None`` means too many for a select:
    the measure is then typed by number, ``measure_numbers`` (id → number) gives the stored links' numbers.
    """

    class MappingForm(FlaskForm):
        save_as = SingleLineField(_l("Save this mapping as"), validators=[Optional(), Length(max=120)],
                                  description=_l("Optional: a name, to reuse the mapping for the next wave."))
        if mapping.get("submitdate"):
            include_incomplete = BooleanField(
                _l("Also count incomplete responses"), default=bool(mapping.get("include_incomplete")),
                description=_l("Responses without a submit date (column “%(column)s”) are left out by default.",
                               column=mapping["submitdate"]))

        def validate(self, extra_validators=None):
            ok = super().validate(extra_validators)
            for question in mapping["questions"]:
                kind = self[f"{question['key']}__kind"].data
                if kind in (QuestionKind.IGNORE.value, QuestionKind.DEMOGRAPHIC.value):
                    continue
                for column in question["columns"]:
                    reason = personal_data_reason(column, profiles.get(column))
                    if reason:
                        self[f"{question['key']}__kind"].errors.append(
                            _l("This column may hold personal data (%(reason)s). Ignore it or keep it "
                               "explicitly as a demographic.", reason=reason)
                        )
                        ok = False
                        break
            return ok

    field_choices = choices([("", _l("– no action field –"))] + [(f.code, f"{f.code} – {f.name}") for f in fields])
    measure_choices = None if measures is None else choices([("", _l("– no measure –"))] + [
        (str(m.id), (m.number + " " if getattr(m, "number", None) else "") + m.title[:80]) for m in measures
    ])
    numbers = measure_numbers or {}

    def measure_field(label, measure_id):
        if measure_choices is not None:
            return SelectField(label, choices=measure_choices, default=str(measure_id or ""))
        default = (numbers.get(int(measure_id)) or str(measure_id)) if measure_id else ""
        return MeasureNumberField(label, default=default, validators=[Optional(), Length(max=20)],
                                  description=_l("The measure's number, e.g. MOB-M02; empty for none."))

    for question in mapping["questions"]:
        key = question["key"]
        columns = ", ".join(question["columns"])
        setattr(MappingForm, f"{key}__kind", SelectField(
            _l("Type of question"), choices=KIND_CHOICES, default=question.get("kind"),
            validators=[InputRequired()], description=_l("Columns: %(columns)s", columns=columns)))
        setattr(MappingForm, f"{key}__text", SingleLineField(
            _l("Question"), default=question.get("text"), validators=[DataRequired(), Length(max=500)]))
        setattr(MappingForm, f"{key}__scale", SelectField(
            _l("Rating scale"), choices=SCALE_CHOICES, coerce=int, default=question.get("scale") or 5,
            description=_l("Only for rating scales.")))
        setattr(MappingForm, f"{key}__direction", SelectField(
            _l("Direction of the scale"), choices=DIRECTION_CHOICES, default=question.get("direction") or "higher",
            description=_l("Only for rating scales.")))
        if len(question["columns"]) > 1:
            setattr(MappingForm, f"{key}__layout", SelectField(
                _l("How the ranking is stored"), choices=LAYOUT_CHOICES, default=question.get("layout") or "by_rank",
                description=_l("Only for rankings.")))
        setattr(MappingForm, f"{key}__field", SelectField(
            _l("Action field of the question"), choices=field_choices, default=question.get("field") or "",
            description=_l("E.g. a rating of how important this field is.")))
        setattr(MappingForm, f"{key}__measure", measure_field(_l("Measure of the question"), question.get("measure")))
        for index, option in enumerate(option_slots(question, profiles)):
            setattr(MappingForm, f"{key}__opt{index}__label", SingleLineField(
                _l("Option %(number)s", number=index + 1), default=option, validators=[Optional(), Length(max=200)]))
            setattr(MappingForm, f"{key}__opt{index}__field", SelectField(
                _l("Action field for “%(option)s”", option=option), choices=field_choices,
                default=(question.get("option_fields") or {}).get(option, "")))
            setattr(MappingForm, f"{key}__opt{index}__measure", measure_field(
                _l("Measure for “%(option)s”", option=option), (question.get("option_measures") or {}).get(option)))
    return MappingForm(formdata=formdata)


def mapping_from_form(form, mapping: dict, profiles: dict) -> dict:
    """The mapping the form describes (options follow the chosen type)."""
    questions = []
    for old in mapping["questions"]:
        key = old["key"]
        kind = form[f"{key}__kind"].data
        question = {"key": key, "text": form[f"{key}__text"].data.strip(), "kind": kind, "columns": old["columns"]}
        slots = option_slots(old, profiles)
        labels = [(form[f"{key}__opt{i}__label"].data or "").strip() or slots[i] for i in range(len(slots))]
        subs = [c for c in old["columns"]]
        from planner.surveys.mapping import group_columns

        groups = group_columns(old["columns"])
        if len(groups) == 1 and len(groups[0].columns) > 1:
            subs = list(groups[0].subs)
        layout = form[f"{key}__layout"].data if f"{key}__layout" in form else None
        if kind == QuestionKind.RATING.value:
            question["scale"] = form[f"{key}__scale"].data
            question["direction"] = form[f"{key}__direction"].data or "higher"
            if old.get("missing"):
                question["missing"] = old["missing"]
        if kind == QuestionKind.RANKING.value:
            question["layout"] = layout or "by_rank"
        column_options = kind == QuestionKind.MULTIPLE.value or (kind == QuestionKind.RANKING.value
                                                                 and layout == "by_option")
        if column_options:
            question["options"] = labels if len(labels) == len(old["columns"]) else subs
        elif kind in (QuestionKind.SINGLE.value, QuestionKind.DEMOGRAPHIC.value, QuestionKind.RANKING.value):
            if old.get("kind") == kind or (kind != QuestionKind.RANKING.value and len(old["columns"]) == 1):
                question["options"] = labels
            else:
                values = []
                for column in old["columns"]:
                    values += profiles.get(column, {}).get("values", [])
                question["options"] = list(dict.fromkeys(values))[:MAX_OPTION_SLOTS]
        if form[f"{key}__field"].data:
            question["field"] = form[f"{key}__field"].data
        if _measure_id(form[f"{key}__measure"]):
            question["measure"] = _measure_id(form[f"{key}__measure"])
        option_fields, option_measures = {}, {}
        for i, label in enumerate(labels):
            if form[f"{key}__opt{i}__field"].data:
                option_fields[label] = form[f"{key}__opt{i}__field"].data
            if _measure_id(form[f"{key}__opt{i}__measure"]):
                option_measures[label] = _measure_id(form[f"{key}__opt{i}__measure"])
        if option_fields:
            question["option_fields"] = option_fields
        if option_measures:
            question["option_measures"] = option_measures
        for kept in ("headline", "group"):
            if old.get(kept):
                question[kept] = old[kept]
        questions.append(question)
    result = {"version": mapping.get("version", 1), "questions": questions}
    for top in ("response_id", "submitdate"):
        if mapping.get(top):
            result[top] = mapping[top]
    if "include_incomplete" in form:
        result["include_incomplete"] = bool(form.include_incomplete.data)
    elif mapping.get("include_incomplete"):
        result["include_incomplete"] = True
    return result


class MappingImportForm(FlaskForm):
    name = SingleLineField(_l("Name"), validators=[DataRequired(message=_l("Please enter a name.")), Length(max=120)])
    file = FileField(_l("Mapping file (JSON)"), validators=[FileRequired(message=_l("Please choose a file."))])


class CommentFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Search the comments"), validators=[Optional(), Length(max=200)])
    field = SelectField(_l("Action field"), choices=[], coerce=_optional_int, validate_choice=False)

    def set_choices(self, fields):
        self.field.choices = choices([("", _l("All")), (-1, _l("Not yet tagged"))] + [(f.id, f.name) for f in fields])


class PromoteForm(FlaskForm):
    field = SelectField(_l("Action field"), choices=[], coerce=_optional_int,
                        validators=[InputRequired(message=_l("Please choose an action field."))])
    text = TextAreaField(_l("Text of the need"), validators=[DataRequired(message=_l("Please enter a text.")),
                                                            Length(max=5000)],
                         description=_l("Taken from the comment; you may shorten or rephrase it."))

    def set_choices(self, fields):
        self.field.choices = choices([("", _l("– please choose –"))] + [(f.id, f.name) for f in fields])


class MeasureFilterForm(FlaskForm):
    """GET filter of the measure tables (prioritisation, sensitivity, expert ratings) by action field."""

    class Meta:
        csrf = False

    field = SelectField(_l("Action field"), choices=[], validate_choice=False)

    def set_choices(self, fields):
        self.field.choices = choices([("", _l("All action fields"))]
                                     + [(f.code, f"{f.code} – {f.name}") for f in fields])

    def chosen(self, fields) -> str:
        """The chosen field code, or "" for all (an unknown code counts as all)."""
        return self.field.data if self.field.data in {f.code for f in fields} else ""


class WeightsForm(VersionedForm, FlaskForm):
    citizen = DecimalField(_l("Weight of the citizens' importance"), places=2,
                           validators=[InputRequired(), NumberRange(min=0, max=1)])
    impact = DecimalField(_l("Weight of impact"), places=2, validators=[InputRequired(), NumberRange(min=0, max=1)])
    feasibility = DecimalField(_l("Weight of feasibility"), places=2,
                               validators=[InputRequired(), NumberRange(min=0, max=1)])
    cost = DecimalField(_l("Weight of cost"), places=2, validators=[InputRequired(), NumberRange(min=0, max=1)])
    urgency = DecimalField(_l("Weight of urgency"), places=2, validators=[InputRequired(), NumberRange(min=0, max=1)])

    def weights(self) -> dict[str, float]:
        return {k: float(self[k].data) for k in WEIGHT_KEYS}


class FreezeForm(FlaskForm):
    name = SingleLineField(_l("Name of the run"), validators=[DataRequired(message=_l("Please name the run.")),
                                                          Length(max=200)],
                           description=_l("e.g. “Priorisierung Herbst 2022”"))
