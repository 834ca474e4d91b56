from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, HiddenField, SearchField, SelectField
from wtforms.validators import DataRequired, Email, Length, Optional

from planner.core import identity
from planner.core.forms import MultiCheckboxField, SingleLineField, VersionedForm
from planner.people.models import Sector
from planner.people.services import CONSENT_TEXT


class RosterFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    q = SearchField(_l("Search by name or e-mail"), validators=[Optional(), Length(max=100)])
    field = SelectField(_l("Action field"), choices=[], validators=[Optional()])
    sector = SelectField(_l("Sector"), choices=[], validators=[Optional()])
    organisation = SelectField(_l("Organisation"), choices=[], validators=[Optional()])

    def set_choices(self, fields, organisations=()) -> None:
        self.field.choices = [("", _l("All fields"))] + [(str(f.id), f"{f.code} – {f.name}") for f in fields]
        self.sector.choices = [("", _l("All sectors"))] + [(s.value, s.label) for s in Sector]
        self.organisation.choices = [("", _l("All organisations"))] + [(str(o.id), o.name) for o in organisations]

    def int_of(self, name: str) -> int | None:
        value = self[name].data or ""
        return int(value) if str(value).isdigit() else None


class PersonForm(VersionedForm, FlaskForm):
    title = SingleLineField(_l("Title"), validators=[Optional(), Length(max=50)],
                            description=_l("For example Dr. or Prof."))
    first_name = SingleLineField(_l("First name"), validators=[DataRequired(_l("Please enter the first name.")),
                                                           Length(max=100)])
    last_name = SingleLineField(_l("Last name"), validators=[DataRequired(_l("Please enter the last name.")),
                                                         Length(max=100)])
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Please enter an e-mail address.")),
                    Email(_l("Please enter a valid e-mail address.")), Length(max=254)],
    )
    position = SingleLineField(_l("Position"), validators=[Optional(), Length(max=200)])
    organisation = SelectField(_l("Organisation"), choices=[], validators=[Optional()])
    fields = MultiCheckboxField(_l("Action fields"), choices=[], validators=[Optional()])
    consent = BooleanField(_l("Consent has been given"), description=CONSENT_TEXT)
    consent_reason = SingleLineField(
        _l("Reason for a change of consent"), validators=[Optional(), Length(max=500)],
        description=_l("Needed when you record or withdraw consent for someone else, e.g. “signed form of "
                       "12 May” or “withdrawn by phone”. It is kept in the audit log."))

    def set_choices(self, fields, organisations) -> None:
        self.organisation.choices = [("", _l("No organisation"))] + [(str(o.id), o.name) for o in organisations]
        self.fields.choices = [(str(f.id), f"{f.code} – {f.name}") for f in fields]

    @property
    def organisation_id(self) -> int | None:
        return int(self.organisation.data) if (self.organisation.data or "").isdigit() else None


class OrganisationForm(VersionedForm, FlaskForm):
    name = SingleLineField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=200)])
    sector = SelectField(_l("Sector"), choices=[], validators=[DataRequired(_l("Please choose a sector."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the sectors the city uses (City settings), and an organisation's own sector in any case.
        used = set(identity.sectors())
        self.sector.choices = [("", _l("Please choose"))] + [
            (s.value, s.label) for s in Sector if not used or s.value in used or s.value == self.sector.data
        ]


class ImportUploadForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        description=_l(
            "Columns: name (or first_name and last_name), email, organisation, sector, fields (codes separated by "
            "comma or semicolon); optional title and position. UTF-8 or Windows (Excel), separated by ; or ,."
        ),
        render_kw={"accept": ".csv,text/csv"},
    )


class ImportConfirmForm(FlaskForm):
    token = HiddenField()


class MergeForm(FlaskForm):
    keep_id = HiddenField()
    drop_id = HiddenField()
