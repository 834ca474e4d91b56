from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from planner.core.forms import MultiCheckboxField, SingleLineField, VersionedForm
from planner.core.permissions import Role


def role_choices():
    return [(r.value, r.label) for r in Role]


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Please enter your e-mail address.")), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please enter your password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class UserCreateForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Please enter an e-mail address.")),
            Email(_l("Please enter a valid e-mail address.")),
            Length(max=254),
        ],
    )
    display_name = SingleLineField(_l("Name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices, validators=[DataRequired()])
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(_l("Please enter a password.")), Length(max=200)],
        description=_l("At least 10 characters. The person can change it after signing in."),
        render_kw={"autocomplete": "new-password"},
    )


class UserEditForm(VersionedForm, FlaskForm):
    display_name = SingleLineField(_l("Name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices, validators=[DataRequired()])
    is_active = BooleanField(_l("Account is active"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Please enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Please enter a new password.")), Length(max=200)],
        description=_l("At least 10 characters, not a commonly used password and not your e-mail address."),
        render_kw={"autocomplete": "new-password"},
    )


class PasswordForgotForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Please enter your e-mail address.")),
            Email(_l("Please enter a valid e-mail address.")),
            Length(max=254),
        ],
        render_kw={"autocomplete": "username"},
    )


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Please enter a new password.")), Length(max=200)],
        description=_l("At least 10 characters, not a commonly used password and not your e-mail address."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Please repeat the new password.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class SecondFactorCodeForm(FlaskForm):
    code = SingleLineField(
        _l("Code"),
        validators=[DataRequired(_l("Please enter the code.")), Length(max=20)],
        description=_l("The six-digit code from your authenticator app, or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "off"},
    )


class SecondFactorSetupForm(FlaskForm):
    code = SingleLineField(
        _l("Code from the app"),
        validators=[DataRequired(_l("Please enter the code.")), Length(max=20)],
        description=_l("After scanning, the app shows a six-digit code that changes every 30 seconds."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )


class SecondFactorResetForm(FlaskForm):
    reason = SingleLineField(
        _l("Reason for the reset"),
        validators=[DataRequired(_l("Please give the reason for the reset (at least 5 characters).")),
                    Length(max=500)],
        description=_l("Recorded in the audit log, e.g. “phone lost, identity checked in person”."),
    )


class SecondFactorPolicyForm(FlaskForm):
    roles = MultiCheckboxField(
        _l("Roles that must use a second factor"),
        choices=role_choices,
        description=_l("Accounts with these roles set up an authenticator app at their next sign-in."),
    )


class DirectoryLoginForm(FlaskForm):
    username = SingleLineField(
        _l("User name"),
        validators=[DataRequired(_l("Please enter your user name.")), Length(max=200)],
        description=_l("The name you use to sign in to your computer at work."),
        render_kw={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "off"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please enter your password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()
