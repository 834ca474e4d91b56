from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from planner.city.setup import INDEX_AREAS
from planner.core.forms import MultiCheckboxField, VersionedForm


class CityForm(VersionedForm, FlaskForm):
    name = StringField(_l("Name of the city"), description=_l("As it appears in every page, mail and the paper."))
    authority = StringField(_l("Responsible administration"),
                            description=_l("E.g. “Stadt Musterstadt – Der Oberbürgermeister”. For the imprint "
                                           "and the privacy notice."))
    represented_by = StringField(_l("Represented by"))
    address = TextAreaField(_l("Postal address"), render_kw={"rows": 3})
    contact_email = StringField(_l("Contact e-mail address"))
    contact_phone = StringField(_l("Contact telephone"))
    website = StringField(_l("Website of the city"))
    data_protection_officer = TextAreaField(_l("Data protection officer"), render_kw={"rows": 3},
                                            description=_l("Name or office and how to reach them."))
    mail_sender = StringField(_l("Sender address of e-mails"))
    feedback_email = StringField(_l("Feedback contact for barriers"),
                                 description=_l("Where reports from the accessibility statement go."))
    enforcement_body = TextAreaField(
        _l("Enforcement body for accessibility"), render_kw={"rows": 3},
        description=_l("The body of your Land that handles complaints about barriers, with its address."),
    )


class LogoForm(FlaskForm):
    logo = FileField(_l("Logo (PNG or SVG, at most 1 MB)"), validators=[DataRequired(_l("Please choose a file."))])


class ProcessForm(VersionedForm, FlaskForm):
    title = StringField(_l("Title of the strategy process"), validators=[DataRequired(_l("Please enter a title."))])
    vision = TextAreaField(_l("Vision"), description=_l("Markdown: **bold**, *italic*, lists."))
    target_year = IntegerField(
        _l("Target year"),
        validators=[InputRequired(_l("Please enter a year.")),
                    NumberRange(2000, 2100, _l("Please enter a year between 2000 and 2100."))],
    )
    milestone_years = StringField(_l("Milestone years"), description=_l("Ascending, separated by commas: "
                                                                         "2025, 2030, 2035"))

    def milestones(self) -> list[int] | None:
        try:
            return [int(part) for part in (self.milestone_years.data or "").replace(";", ",").split(",")
                    if part.strip()]
        except ValueError:
            self.milestone_years.errors = [_l("Please enter whole years separated by commas.")]
            return None


class FieldForm(FlaskForm):
    code = StringField(_l("Short code"), validators=[DataRequired(_l("Please enter a code."))],
                       description=_l("1 to 8 letters or digits, e.g. MOB."))
    name_de = StringField(_l("Name (German)"), validators=[DataRequired(_l("Please enter the field's name."))])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(_l("Please enter the field's name."))])
    description_de = TextAreaField(_l("Description (German)"), render_kw={"rows": 3})
    description_en = TextAreaField(_l("Description (English)"), render_kw={"rows": 3})
    colour = StringField(_l("Colour"), default="#1d4e89", description=_l("As #rrggbb, e.g. #1d4e89."))
    index_area = SelectField(_l("Smart City Index area"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.index_area.choices = [("", _l("None"))] + list(INDEX_AREAS.items())


class DistrictsForm(VersionedForm, FlaskForm):
    districts = TextAreaField(
        _l("Districts and their quarters"), render_kw={"rows": 10},
        description=_l("One district per line, its quarters after a colon: “Bezirk Mitte: Altstadt, Hafen”."),
    )


class SectorsForm(VersionedForm, FlaskForm):
    sectors = MultiCheckboxField(_l("Sectors the city uses"))


class TemplateForm(FlaskForm):
    template = FileField(_l("Word template for the concept paper (DOCX, at most 10 MB)"),
                         validators=[DataRequired(_l("Please choose a file."))])


class LegalPageForm(VersionedForm, FlaskForm):
    body = TextAreaField(_l("Text (Markdown)"), render_kw={"rows": 24},
                         description=_l("Headings with ##, lists with -, links as [text](https://…)."))


class RemoveDemoForm(FlaskForm):
    confirm = BooleanField(_l("Yes, remove all demo data for good"),
                           validators=[DataRequired(_l("Please confirm the removal."))])
