from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from planner.core.forms import ChooseAtLeastOne, MultiCheckboxField, SingleLineField, VersionedForm
from planner.workshops.models import AgendaBlockKind, WorkshopFormat, WorkshopKind, WorkshopStatus
from planner.workshops.services import (
    MAX_BLOCK_MINUTES,
    MIN_BLOCK_MINUTES,
    REGISTRATION_CONSENT_TEXT,
    BlockData,
    SeriesData,
    WorkshopData,
    series_problems,
    workshop_problems,
)

REQUIRED = _l("Please fill in this field.")
BAD_DATE = _l("Please enter a valid date.")
BAD_TIME = _l("Please enter a valid time (hh:mm).")
BAD_NUMBER = _l("Please enter a whole number.")


class _Date(DateField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(BAD_DATE)) from error


class _Time(TimeField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(BAD_TIME)) from error


class _Int(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(BAD_NUMBER)) from error


def _optional_int(value):
    return int(value) if value not in (None, "") else None


class WorkshopForm(VersionedForm, FlaskForm):
    template = SelectField(_l("Template"), choices=[], validators=[Optional()], validate_choice=False,
                           description=_l("With a template the agenda exists at once; you can adjust it afterwards."))
    title = SingleLineField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    kind = SelectField(_l("Kind of event"), choices=[SelectChoice(k.value, k.label) for k in WorkshopKind],
                       default=WorkshopKind.WORKSHOP.value, validators=[InputRequired(REQUIRED)])
    audience = SingleLineField(
        _l("Audience"), validators=[Optional(), Length(max=200)],
        description=_l("For briefings: the political body, e.g. “Ausschuss für Digitalisierung”."))
    series = SelectField(_l("Series"), coerce=_optional_int, choices=[], validators=[Optional()])
    fields = MultiCheckboxField(_l("Action fields"), coerce=int, choices=[], validators=[
        ChooseAtLeastOne(_l("Please choose at least one action field."))])
    format = RadioField(_l("Format"), choices=[SelectChoice(f.value, f.label) for f in WorkshopFormat],
                        default=WorkshopFormat.VIRTUAL.value, validators=[InputRequired(REQUIRED)])
    day = _Date(_l("Date"), validators=[InputRequired(REQUIRED)])
    start_time = _Time(_l("Start time"), validators=[InputRequired(REQUIRED)],
                       description=_l("Local time in Europe/Berlin, e.g. 09:00."))
    end_time = _Time(_l("End time"), validators=[InputRequired(REQUIRED)])
    location = SingleLineField(_l("Location"), validators=[Optional(), Length(max=300)],
                               description=_l("Required for events in person and hybrid ones."))
    video_link = URLField(_l("Video link"), validators=[Optional(), Length(max=500)],
                          description=_l("Required for virtual and hybrid events; starts with https://."))
    capacity = _Int(_l("Capacity"), validators=[Optional(), NumberRange(min=1, message=_l(
        "The capacity must be a positive whole number."))])
    facilitators = MultiCheckboxField(_l("Facilitators"), coerce=int, choices=[])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)],
                                description=_l("Markdown is allowed."))

    def set_template_choices(self, templates) -> None:
        self.template.choices = [("", _l("No template (empty agenda)"))] + [(t.key, t.name) for t in templates]

    def set_choices(self, series, fields, facilitators) -> None:
        self.series.choices = [("", _l("No series"))] + [(s.id, s.title) for s in series]
        self.fields.choices = [(f.id, f"{f.code} – {f.name}") for f in fields]
        self.facilitators.choices = [(u.id, u.name) for u in facilitators]

    def fill(self, data: WorkshopData) -> None:
        self.title.data, self.kind.data, self.audience.data = data.title, data.kind.value, data.audience
        self.series.data, self.fields.data, self.format.data = data.series_id, data.field_ids, data.format.value
        self.day.data, self.start_time.data, self.end_time.data = data.day, data.start, data.end
        self.location.data, self.video_link.data, self.capacity.data = data.location, data.video_link, data.capacity
        self.facilitators.data, self.description.data = data.facilitator_ids, data.description

    def validate(self, extra_validators=None) -> bool:
        """The fields' own checks and, when one of them fails, the service's rules on the rest as well: every error
        of the form shows in one round, never a second list after the first is fixed."""
        valid = super().validate(extra_validators)
        if not valid:
            for name, message in workshop_problems(self._partial_data()):
                if name in self and not self[name].errors:
                    self[name].errors = [*self[name].errors, message]
            self._errors = None
        return valid

    def _partial_data(self) -> WorkshopData:
        """What the service can check while some fields are still invalid (those are left out)."""
        def ok(name):
            return self[name].data if not self[name].errors else None

        formats = {f.value for f in WorkshopFormat}
        return WorkshopData(
            title=self.title.data or "", format=WorkshopFormat(self.format.data) if self.format.data in formats
            else None, day=ok("day"), start=ok("start_time"), end=ok("end_time"),
            series_id=ok("series"), field_ids=list(ok("fields") or []),
            location=self.location.data or "", video_link=self.video_link.data or "", capacity=ok("capacity"),
            facilitator_ids=list(ok("facilitators") or []),
        )

    def to_data(self) -> WorkshopData:
        return WorkshopData(
            title=self.title.data or "", kind=WorkshopKind(self.kind.data), audience=self.audience.data or "",
            series_id=self.series.data, field_ids=list(self.fields.data or []), format=WorkshopFormat(self.format.data),
            day=self.day.data, start=self.start_time.data, end=self.end_time.data, location=self.location.data or "",
            video_link=self.video_link.data or "", capacity=self.capacity.data,
            facilitator_ids=list(self.facilitators.data or []), description=self.description.data or "",
        )


class SeriesForm(VersionedForm, FlaskForm):
    title = SingleLineField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)],
                                description=_l("Markdown is allowed."))
    starts_on = _Date(_l("Start of the period"), validators=[Optional()])
    ends_on = _Date(_l("End of the period"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        """When a field fails, the service's rules run on the rest as well: every error shows in one round."""
        valid = super().validate(extra_validators)
        if not valid:
            data = SeriesData(title=self.title.data or "", description="",
                              starts_on=None if self.starts_on.errors else self.starts_on.data,
                              ends_on=None if self.ends_on.errors else self.ends_on.data)
            for name, message in series_problems(data):
                if not self[name].errors:
                    self[name].errors = [*self[name].errors, message]
            self._errors = None
        return valid

    def to_data(self) -> SeriesData:
        return SeriesData(title=self.title.data or "", description=self.description.data or "",
                          starts_on=self.starts_on.data, ends_on=self.ends_on.data)


class TemplateNameForm(FlaskForm):
    name = SingleLineField(_l("Name of the template"), validators=[DataRequired(REQUIRED), Length(max=200, message=_l(
        "The name may be at most %(max)s characters long.", max=200))])


class DuplicateForm(FlaskForm):
    title = SingleLineField(_l("Title of the new workshop"), validators=[DataRequired(REQUIRED), Length(max=200)])
    day = _Date(_l("Date of the new workshop"), validators=[InputRequired(REQUIRED)],
                description=_l("The times of day, fields, format, place, facilitators and agenda are copied."))


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the cancellation"), validators=[DataRequired(_l(
        "Please give a reason for the cancellation.")), Length(max=2000)],
        description=_l("Sent to everyone invited, registered or on the waitlist."))


class AgendaBlockForm(VersionedForm, FlaskForm):
    title = SingleLineField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, k.label) for k in AgendaBlockKind],
                       default=AgendaBlockKind.INPUT.value)
    duration_minutes = _Int(
        _l("Duration in minutes"), default=30,
        validators=[InputRequired(REQUIRED), NumberRange(min=MIN_BLOCK_MINUTES, max=MAX_BLOCK_MINUTES, message=_l(
            "The duration must be between %(min)s and %(max)s minutes.", min=MIN_BLOCK_MINUTES,
            max=MAX_BLOCK_MINUTES))],
    )
    responsible = SingleLineField(
        _l("Responsible person"), validators=[Optional(), Length(max=300)],
        description=_l("Type to search the workshop's facilitators and invitees; leave empty for nobody."),
        render_kw={"list": "responsible-options", "autocomplete": "off"})
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])

    def to_data(self) -> BlockData:
        return BlockData(title=self.title.data or "", kind=AgendaBlockKind(self.kind.data),
                         duration_minutes=self.duration_minutes.data, responsible_name=self.responsible.data or "",
                         notes=self.notes.data or "")


class RegistrationForm(FlaskForm):
    first_name = SingleLineField(_l("First name"), validators=[DataRequired(REQUIRED), Length(max=100)],
                                 render_kw={"autocomplete": "given-name"})
    last_name = SingleLineField(_l("Last name"), validators=[DataRequired(REQUIRED), Length(max=100)],
                                render_kw={"autocomplete": "family-name"})
    email = EmailField(_l("E-mail address"), validators=[
        DataRequired(REQUIRED), Length(max=254),
        Email(message=_l("Please enter a valid e-mail address."), check_deliverability=False)],
        render_kw={"autocomplete": "email"})
    consent = BooleanField(
        REGISTRATION_CONSENT_TEXT,
        validators=[DataRequired(_l("Please agree to the processing of your data, otherwise we cannot register you."))],
    )


class ConfirmRegistrationForm(FlaskForm):
    """The button behind the link in the confirmation mail (opening the link alone changes nothing)."""


class ShareContactForm(FlaskForm):
    shares_contact = BooleanField(_l("Show my name, organisation, fields and e-mail address to the other "
                                     "participants of this workshop who share theirs"))


class WorkshopFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    series = SelectField(_l("Series"), choices=[], validators=[Optional()])
    kind = SelectField(_l("Kind of event"), choices=[], validators=[Optional()])
    field = SelectField(_l("Action field"), choices=[], validators=[Optional()])
    status = SelectField(_l("Status"), choices=[], validators=[Optional()])

    def set_choices(self, series, fields) -> None:
        self.series.choices = [("", _l("All series"))] + [(str(s.id), s.title) for s in series]
        self.kind.choices = [("", _l("All kinds"))] + [(k.value, k.label) for k in WorkshopKind]
        self.field.choices = [("", _l("All fields"))] + [(str(f.id), f"{f.code} – {f.name}") for f in fields]
        self.status.choices = [("", _l("All states"))] + [(s.value, s.label) for s in WorkshopStatus]
