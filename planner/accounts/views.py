from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from planner.accounts import bp, services
from planner.accounts.forms import LoginForm, PasswordChangeForm, UserCreateForm, UserEditForm
from planner.accounts.models import User
from planner.core.errors import DomainError
from planner.core.forms import show_domain_error
from planner.core.permissions import PUBLIC, SIGNED_IN, Role, access
from planner.core.security import is_safe_redirect
from planner.extensions import db, login_manager


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        ident, epoch = user_id.split(":", 1)
        user = db.session.get(User, int(ident))
    except (ValueError, TypeError):
        return None
    if user is None or not user.is_active or str(user.session_epoch) != epoch:
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
@access(PUBLIC)
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            # Same message whether the e-mail exists or not.
            form.password.errors = [_("E-mail address or password is not correct.")]
        else:
            target = form.next.data if is_safe_redirect(form.next.data) else url_for("site.index")
            lang = session.get("lang")
            session.clear()  # a fresh session at sign-in (no session fixation)
            if lang:
                session["lang"] = lang
            login_user(user)
            db.session.commit()
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(target)
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@access(SIGNED_IN)
def logout():
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have been signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@access(SIGNED_IN)
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # keep this session, sign out all others
            flash(_("Your password has been changed. Other sessions were signed out."), "success")
            return redirect(url_for("site.index"))
    return render_template("accounts/password.html", form=form)


@bp.route("/accounts/users")
@access(Role.ADMIN)
def users():
    all_users = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render_template("accounts/users.html", users=all_users)


@bp.route("/accounts/users/new", methods=["GET", "POST"])
@access(Role.ADMIN)
def create():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.email.data, form.role.data, form.password.data, display_name=form.display_name.data or ""
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("The account for %(email)s has been created.", email=user.email), "success")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/create.html", form=form)


@bp.route("/accounts/users/<int:user_id>/edit", methods=["GET", "POST"])
@access(Role.ADMIN)
def edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserEditForm(obj=user, is_active=user.is_active_account)
    if form.validate_on_submit():
        try:
            services.update_user(
                current_user,
                user,
                role=form.role.data,
                is_active=form.is_active.data,
                display_name=form.display_name.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("The account has been updated."), "success")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/edit.html", form=form, user=user)
