import time
from urllib.parse import urlsplit

from authlib.common.errors import AuthlibBaseError
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from planner.accounts import bp, directory, oidc, services, sso, twofactor
from planner.accounts.encryption import SecretUnreadable
from planner.accounts.forms import (
    DirectoryLoginForm,
    LoginForm,
    PasswordChangeForm,
    PasswordForgotForm,
    PasswordResetForm,
    SecondFactorCodeForm,
    SecondFactorPolicyForm,
    SecondFactorResetForm,
    SecondFactorSetupForm,
    UserCreateForm,
    UserEditForm,
)
from planner.accounts.limits import (
    account_key,
    address_key,
    limiter,
    login_failed,
    password_reset_limit,
    per_account_limit,
    per_address_limit,
)
from planner.accounts.models import User
from planner.core.forms import is_stale, perform, stale_conflict
from planner.core.lazy import lazy_import
from planner.core.permissions import PUBLIC, SIGNED_IN, Role, access, rule_for
from planner.core.security import is_safe_redirect
from planner.core.web import render_error
from planner.extensions import csrf, db, login_manager

requests = lazy_import("requests")  # only its exception class, when a single sign-on fails (an import of 0.1 s)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        ident, epoch = user_id.split(":", 1)
        user = db.session.get(User, int(ident))
    except (ValueError, TypeError, OverflowError):
        return None
    if user is None or not user.is_active or str(user.session_epoch) != epoch:
        return None
    return user


def _fresh_session() -> None:
    """A new session (no session fixation); only the chosen language survives."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _reset_link(token: str) -> str:
    # Built from BASE_URL, never from the request's Host header (no poisoned reset links).
    return current_app.config["BASE_URL"].rstrip("/") + url_for("accounts.reset_password", token=token)


def _get_endpoint(target: str) -> str | None:
    """The endpoint a local path opens with GET; None when that path takes no GET (a form's POST-only action)."""
    path = urlsplit(target).path
    root = request.script_root
    if root and path.startswith(root):
        path = path[len(root):]
    try:
        endpoint, _args = current_app.url_map.bind_to_environ(request.environ).match(path, method="GET")
    except MethodNotAllowed:
        return None
    except HTTPException:  # unknown path or a redirect (trailing slash): leave it to the normal request
        return ""
    return endpoint


def _form_page() -> str:
    """The page a request came from (Referrer-Policy: same-origin), if it is ours and opens with GET."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc and parts.netloc != request.host:
        return ""
    page = parts.path + (f"?{parts.query}" if parts.query else "")
    if not is_safe_redirect(page) or urlsplit(page).path == url_for("accounts.login"):
        return ""
    return page if _get_endpoint(page) is not None else ""


def _page_to_return_to(target: str) -> str:
    """Where sign-in leads back to. A form sent after the session expired bounced from its action; when that URL
    takes POST only, the user returns to the page the form was on (the browser keeps what was typed)."""
    if not is_safe_redirect(target):
        return ""
    if _get_endpoint(target) is None:
        return _form_page()
    return target


@bp.app_errorhandler(CSRFError)
def session_expired(error):
    """A form whose session has gone (expired, or the browser dropped the cookie) carries a token the server can
    no longer match. That is not bad input: the user goes back to the form's page, through sign-in where the page
    needs it. Every other CSRF failure stays a plain 400."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    sent = request.form.get(field) or any(
        request.headers.get(h) for h in current_app.config.get("WTF_CSRF_HEADERS", ["X-CSRFToken", "X-CSRF-Token"]))
    if not sent or field in session:
        return render_error(400)
    page = _form_page() or (request.path if _get_endpoint(request.path) else "") or url_for("site.index")
    flash(_("Your session had expired, so the form was not sent. Please check your entries and send it again."),
          "warning")
    endpoint = _get_endpoint(page)
    rule = rule_for(endpoint) if endpoint else None
    if current_user.is_authenticated or (rule is not None and rule.public):
        response = redirect(page)
    else:
        response = redirect(url_for("accounts.login", next=page))
    # Tells the page's script (static/js/app.js) that the form bounced: its draft is restored, not dropped.
    response.set_cookie("planner_resend", "1", max_age=300, samesite="Lax", path="/")
    return response


@bp.route("/login", methods=["GET", "POST"])
@access(PUBLIC)
@limiter.limit(per_address_limit, key_func=address_key, methods=["POST"], deduct_when=login_failed)
@limiter.limit(per_account_limit, key_func=account_key, methods=["POST"], deduct_when=login_failed)
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = _page_to_return_to(request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.SignInLocked:
            db.session.commit()
            abort(429)
        if user is None:
            db.session.commit()  # the failure counter
            # Same message whether the e-mail exists or not.
            form.password.errors = [_("E-mail address or password is not correct.")]
        else:
            target = _page_to_return_to(form.next.data) or url_for("site.index")
            _fresh_session()
            if user.has_second_factor:
                # Password right: the session only remembers whose code it waits for, for a few minutes.
                session[PENDING_KEY] = {"user": user.get_id(), "next": target, "at": int(time.time())}
                db.session.commit()
                return redirect(url_for("accounts.login_code"))
            return _complete_sign_in(user, target)
    return render_template("accounts/login.html", form=form, sso_providers=sso.providers(current_app.config))


PENDING_KEY = "second_factor_pending"
SSO_SESSION_KEY = "sso"
PROVIDER_MFA_KEY = "mfa_by_provider"  # signed in through a provider whose second factor is trusted
PENDING_SECONDS = 300


def _complete_sign_in(user: User, target: str):
    login_user(user)
    db.session.commit()
    flash(_("Welcome, %(name)s.", name=user.name), "success")
    return redirect(target)


def _pending_user() -> User | None:
    """The account whose password was right and whose second factor is still asked for (or None)."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    return load_user(str(pending.get("user", "")))


def pending_account_key() -> str:
    """The throttling budget of the code step: per account, like the password step."""
    pending = session.get(PENDING_KEY)
    return "second-factor:" + (str(pending.get("user", "")).split(":")[0] if isinstance(pending, dict) else "")


@bp.route("/login/code", methods=["GET", "POST"])
@access(PUBLIC)
@limiter.limit(per_address_limit, key_func=address_key, methods=["POST"], deduct_when=login_failed)
@limiter.limit(per_account_limit, key_func=pending_account_key, methods=["POST"], deduct_when=login_failed)
def login_code():
    user = _pending_user()
    if user is None:
        session.pop(PENDING_KEY, None)
        flash(_("The sign-in took too long. Please enter your e-mail address and password again."), "info")
        return redirect(url_for("accounts.login"))
    form = SecondFactorCodeForm()
    if form.validate_on_submit():
        try:
            ok = twofactor.verify(user, form.code.data)
        except services.SignInLocked:
            db.session.commit()
            session.pop(PENDING_KEY, None)
            abort(429)
        except SecretUnreadable as exc:
            db.session.rollback()
            form.code.errors = [str(exc.message)]
            return render_template("accounts/login_code.html", form=form)
        if ok:
            target = session[PENDING_KEY].get("next") or url_for("site.index")
            sso_session = session[PENDING_KEY].get("sso")
            _fresh_session()
            if sso_session:
                session[SSO_SESSION_KEY] = sso_session
            return _complete_sign_in(user, target if is_safe_redirect(target) else url_for("site.index"))
        db.session.commit()  # the failure counter
        form.code.errors = [_("This code is not correct or has already been used.")]
    return render_template("accounts/login_code.html", form=form)


# Pages an account that must still set up its second factor may open.
_SETUP_ALLOWED = {"accounts.two_factor", "accounts.logout", "site.set_language", "static"}


@bp.before_app_request
def second_factor_gate():
    """An account that must use a second factor and has none is sent to the set-up page first."""
    if request.endpoint in _SETUP_ALLOWED or request.endpoint is None or not current_user.is_authenticated:
        return None
    if session.get(PROVIDER_MFA_KEY):
        return None
    if twofactor.setup_missing(current_user):
        flash(_("Please set up a second factor before you continue."), "info")
        return redirect(url_for("accounts.two_factor"))
    return None


SETUP_SESSION_KEY = "second_factor_setup"


@bp.route("/account/two-factor", methods=["GET", "POST"])
@access(SIGNED_IN)
def two_factor():
    user = current_user._get_current_object()
    if user.has_second_factor:
        return render_template("accounts/two_factor.html", user=user,
                               remaining=twofactor.remaining_recovery_codes(user),
                               required=twofactor.is_required(user))
    secret = session.get(SETUP_SESSION_KEY) or twofactor.new_secret()
    session[SETUP_SESSION_KEY] = secret
    form = SecondFactorSetupForm()
    if form.validate_on_submit():
        outcome = perform(lambda: twofactor.enable(user, secret, form.code.data), form=form)
        if outcome:
            session.pop(SETUP_SESSION_KEY, None)
            # Shown once, in this answer only: the codes are stored hashed.
            return render_template("accounts/two_factor_codes.html", codes=outcome.value)
    uri = twofactor.provisioning_uri(user, secret)
    return render_template(
        "accounts/two_factor_setup.html", form=form, required=twofactor.is_required(user),
        qr=twofactor.qr_svg(uri, _("QR code for your authenticator app")),
        secret=twofactor.format_secret(secret),
    )


@bp.route("/logout", methods=["POST"])
@access(SIGNED_IN)
def logout():
    session_provider = (session.get(SSO_SESSION_KEY) or {}).get("provider", "")
    provider_logout = _provider_logout_url()
    logout_user()
    _fresh_session()
    if provider_logout:
        # Signed in through a provider: its session ends too (RP-initiated logout), then back to sign-in. Not a
        # redirect: the sign-out form may only lead to our own site (CSP form-action 'self'), so this page moves on.
        return render_template("accounts/signed_out_provider.html", url=provider_logout,
                               label=_provider_label(session_provider))
    flash(_("You have been signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@access(SIGNED_IN)
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit() and perform(
        lambda: services.change_password(current_user, form.current_password.data, form.password.data), form=form
    ):
        login_user(current_user._get_current_object())  # keep this session (new epoch), sign out all others
        flash(_("Your password has been changed. Other sessions were signed out."), "success")
        return redirect(url_for("site.index"))
    return render_template("accounts/password.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@access(PUBLIC)
@limiter.limit(password_reset_limit, key_func=account_key, methods=["POST"])
@limiter.limit(per_address_limit, key_func=address_key, methods=["POST"])
def forgot_password():
    form = PasswordForgotForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, _reset_link)
        db.session.commit()
        # The same answer whether an account exists or not.
        flash(
            _("If an account exists for this address, we have sent an e-mail with a link to set a new password. "
              "The link is valid for one hour."),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@access(PUBLIC)
@limiter.limit(per_address_limit, key_func=address_key, methods=["POST"])
def reset_password(token: str):
    if services.find_reset_token(token) is None:
        return render_template("accounts/reset_invalid.html"), 404
    form = PasswordResetForm()
    if form.validate_on_submit() and perform(lambda: services.reset_password(token, form.password.data), form=form):
        if current_user.is_authenticated:
            logout_user()
        _fresh_session()
        flash(_("Your password has been set. Please sign in with the new password."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form, token=token)


@bp.route("/accounts/users")
@access(Role.ADMIN)
def users():
    page = db.paginate(select(User).order_by(User.role, User.email), per_page=100, error_out=False)
    return render_template("accounts/users.html", users=page.items, page=page)


@bp.route("/accounts/users/new", methods=["GET", "POST"])
@access(Role.ADMIN)
def create():
    form = UserCreateForm()
    if form.validate_on_submit() and perform(
        lambda: services.create_user(
            form.email.data, form.role.data, form.password.data, display_name=form.display_name.data or ""
        ),
        form=form,
        success=lambda user: _("The account for %(email)s has been created.", email=user.email),
    ):
        return redirect(url_for("accounts.users"))
    return render_template("accounts/create.html", form=form)


@bp.route("/accounts/users/<int:user_id>/edit", methods=["GET", "POST"])
@access(Role.ADMIN)
def edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserEditForm(obj=user, is_active=user.is_active_account)
    stale = None
    if form.validate_on_submit():
        saved = perform(
            lambda: services.update_user(
                current_user,
                user,
                role=form.role.data,
                is_active=form.is_active.data,
                display_name=form.display_name.data or "",
                version=form.submitted_version(),
            ),
            form=form,
            success=_("The account has been updated."),
        )
        if saved:
            return redirect(url_for("accounts.users"))
        if is_stale(saved):
            current = UserEditForm(formdata=None, obj=user, is_active=user.is_active_account)
            stale = stale_conflict(form, current, user.version)
    return render_template("accounts/edit.html", form=form, user=user, stale=stale,
                           reset_form=SecondFactorResetForm(), second_factor_required=twofactor.is_required(user)), \
        409 if stale else 200


@bp.route("/accounts/users/<int:user_id>/active", methods=["POST"])
@access(Role.ADMIN)
def set_active(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    activate = request.form.get("active") == "1"
    if activate:
        success = _("The account of %(email)s has been reactivated.", email=user.email)
    else:
        success = _("The account of %(email)s has been deactivated and signed out.", email=user.email)
    perform(lambda: services.set_active(current_user, user, activate), success=success)
    return redirect(url_for("accounts.edit", user_id=user.id))


@bp.route("/accounts/users/<int:user_id>/send-reset", methods=["POST"])
@access(Role.ADMIN)
def send_reset(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if services.request_password_reset(user.email, _reset_link, requested_by=current_user):
        db.session.commit()
        flash(_("An e-mail with a link to set a new password has been sent to %(email)s.", email=user.email),
              "success")
    else:
        flash(_("A deactivated account cannot reset its password. Reactivate it first."), "error")
    return redirect(url_for("accounts.edit", user_id=user.id))


@bp.route("/accounts/users/<int:user_id>/two-factor/reset", methods=["POST"])
@access(Role.ADMIN)
def reset_two_factor(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = SecondFactorResetForm()
    if not form.validate():
        for message in form.reason.errors:
            flash(message, "error")
    else:
        perform(lambda: twofactor.reset(current_user, user, form.reason.data),
                success=_("The second factor of %(email)s has been reset.", email=user.email))
    return redirect(url_for("accounts.edit", user_id=user.id))


@bp.route("/accounts/two-factor", methods=["GET", "POST"])
@access(Role.ADMIN)
def two_factor_policy():
    form = SecondFactorPolicyForm()
    if request.method == "GET":
        form.roles.data = sorted(r.value for r in twofactor.required_roles())
    if form.validate_on_submit() and perform(
        lambda: twofactor.set_required_roles(current_user, form.roles.data), form=form,
        success=_("The setting has been saved."),
    ):
        return redirect(url_for("accounts.two_factor_policy"))
    return render_template("accounts/two_factor_policy.html", form=form)


# --- single sign-on: OpenID Connect -------------------------------------------------------------------------


def _sso_failed(response) -> bool:
    # A refused single sign-on goes back to the sign-in page; a success goes on.
    return urlsplit(response.headers.get("Location", "")).path == url_for("accounts.login")


def _oidc_provider(name: str) -> dict:
    config = sso.provider(current_app.config, name)
    if config is None or config["type"] != "oidc":
        abort(404)
    return config


def _callback_url(name: str) -> str:
    # Built from BASE_URL (what is registered at the provider), never from the request's Host header.
    return current_app.config["BASE_URL"].rstrip("/") + url_for("accounts.sso_callback", name=name)


def _unreachable(config: dict):
    flash(_("The sign-in service %(label)s cannot be reached at the moment. Please try again later or sign in "
            "with your password.", label=config.get("label", config["name"])), "error")
    return redirect(url_for("accounts.login"))


@bp.route("/login/sso/<name>")
@access(PUBLIC)
@limiter.limit(per_address_limit, key_func=address_key, deduct_when=_sso_failed)
def sso_start(name: str):
    config = _oidc_provider(name)
    session["sso_next"] = _page_to_return_to(request.args.get("next", ""))
    try:
        return oidc.client(config).authorize_redirect(_callback_url(name))
    except (OSError, requests.RequestException, AuthlibBaseError, ValueError, KeyError):
        current_app.logger.warning("OIDC provider %s unreachable", name, exc_info=True)
        return _unreachable(config)


@bp.route("/login/sso/<name>/callback")
@access(PUBLIC)
@limiter.limit(per_address_limit, key_func=address_key, deduct_when=_sso_failed)
def sso_callback(name: str):
    config = _oidc_provider(name)
    label = config.get("label", name)
    if request.args.get("error"):
        flash(_("The sign-in at %(label)s was cancelled or refused.", label=label), "error")
        return redirect(url_for("accounts.login"))
    try:
        token = oidc.client(config).authorize_access_token()
        oidc.check_audience(config, token.get("userinfo") or {})
    except ExpiredTokenError:
        flash(_("The confirmation from %(label)s had already expired. Please sign in again.", label=label), "error")
        return redirect(url_for("accounts.login"))
    except ClaimError as error:
        current_app.logger.warning("OIDC %s: ID token refused: %s", name, error)
        if error.claim in ("aud", "azp"):
            message = _("The confirmation from %(label)s was not issued for the planner, so it was refused. "
                        "Please ask your IT department to check the client settings.", label=label)
        else:
            message = _("The confirmation from %(label)s could not be checked, so it was refused. Please sign in "
                        "again.", label=label)
        flash(message, "error")
        return redirect(url_for("accounts.login"))
    except (requests.RequestException, OSError):
        current_app.logger.warning("OIDC provider %s unreachable", name, exc_info=True)
        return _unreachable(config)
    except (AuthlibBaseError, JoseError, ValueError, KeyError):
        current_app.logger.warning("OIDC %s: sign-in answer refused", name, exc_info=True)
        flash(_("The confirmation from %(label)s could not be checked, so it was refused. Please sign in again.",
                label=label), "error")
        return redirect(url_for("accounts.login"))
    claims = token.get("userinfo") or {}
    try:
        user = sso.sign_in(
            config, subject=claims.get("sub"), email=claims.get("email"),
            email_verified=claims.get("email_verified") is True, name=claims.get("name") or "",
            groups=claims.get(config.get("groups_claim", "groups")),
            create_accounts=bool(current_app.config.get("SSO_CREATE_ACCOUNTS")),
        )
    except sso.SignInRefused as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("accounts.login"))
    target = session.pop("sso_next", "") or url_for("site.index")
    return _after_sso(user, config, target, {"provider": name, "id_token": token.get("id_token")})


def _after_sso(user: User, config: dict, target: str, sso_session: dict):
    """The provider has vouched for the user: the planner's own second factor follows unless it is trusted."""
    _fresh_session()
    trusted = config["type"] == "oidc" and bool(config.get("trust_provider_mfa"))
    if user.has_second_factor and not trusted:
        session[PENDING_KEY] = {"user": user.get_id(), "next": target, "at": int(time.time()), "sso": sso_session}
        db.session.commit()
        return redirect(url_for("accounts.login_code"))
    session[SSO_SESSION_KEY] = sso_session
    if trusted:
        session[PROVIDER_MFA_KEY] = True
    return _complete_sign_in(user, target)


def _provider_label(name: str) -> str:
    config = sso.provider(current_app.config, name) or {}
    return config.get("label", name)


def _provider_logout_url() -> str | None:
    """Where the browser goes after the planner's sign-out, to end the session at the OIDC provider too."""
    sso_session = session.get(SSO_SESSION_KEY)
    if not isinstance(sso_session, dict):
        return None
    config = sso.provider(current_app.config, sso_session.get("provider", ""))
    if config is None or config["type"] != "oidc":
        return None
    try:
        client = oidc.client(config)
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        return client.create_logout_url(
            post_logout_redirect_uri=current_app.config["BASE_URL"].rstrip("/") + url_for("accounts.login"),
            id_token_hint=sso_session.get("id_token"),
        )["url"]
    except (OSError, requests.RequestException, AuthlibBaseError, ValueError, KeyError, TypeError):
        current_app.logger.warning("OIDC logout URL for %s not available", config["name"], exc_info=True)
        return None


# --- single sign-on: LDAP / Active Directory ----------------------------------------------------------------


def directory_account_key() -> str:
    return "directory:" + (request.form.get("username", "") or "").strip().lower()[:200]


@bp.route("/login/directory/<name>", methods=["GET", "POST"])
@access(PUBLIC)
@limiter.limit(per_address_limit, key_func=address_key, methods=["POST"], deduct_when=login_failed)
@limiter.limit(per_account_limit, key_func=directory_account_key, methods=["POST"], deduct_when=login_failed)
def ldap_login(name: str):
    config = sso.provider(current_app.config, name)
    if config is None or config["type"] != "ldap":
        abort(404)
    label = config.get("label", name)
    form = DirectoryLoginForm()
    if request.method == "GET":
        form.next.data = _page_to_return_to(request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = sso.directory_sign_in(
                config, form.username.data, form.password.data,
                create_accounts=bool(current_app.config.get("SSO_CREATE_ACCOUNTS")),
            )
        except (sso.SignInRefused, directory.DirectoryUnavailable) as error:
            db.session.rollback()
            form.password.errors = [error.message]
        else:
            if user is None:
                db.session.commit()  # the failure counter
                form.password.errors = [_("User name or password is not correct.")]
            else:
                target = _page_to_return_to(form.next.data) or url_for("site.index")
                return _after_sso(user, config, target, {"provider": name})
    return render_template("accounts/login_directory.html", form=form, label=label, name=name)


@bp.route("/login/sso/<name>/backchannel-logout", methods=["POST"])
@access(PUBLIC)
@csrf.exempt  # sent by the provider's server, authenticated by the signed logout token
@limiter.limit(per_address_limit, key_func=address_key)
def sso_backchannel_logout(name: str):
    """OIDC Back-Channel Logout: the user signed out at the provider, so their planner sessions end too."""
    config = _oidc_provider(name)
    try:
        claims = oidc.verify_logout_token(config, request.form.get("logout_token", ""))
    except (JoseError, ValueError, KeyError, TypeError, requests.RequestException, OSError):
        current_app.logger.warning("OIDC %s: back-channel logout token refused", name, exc_info=True)
        return {"error": "invalid_request"}, 400, {"Cache-Control": "no-store"}
    sso.end_sessions(name, claims["sub"])
    db.session.commit()
    return "", 200, {"Cache-Control": "no-store"}
