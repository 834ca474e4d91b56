from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from planner.city import bp, demo_removal, services, setup
from planner.city.forms import (
    CityForm,
    DistrictsForm,
    FieldForm,
    LegalPageForm,
    LogoForm,
    ProcessForm,
    RemoveDemoForm,
    SectorsForm,
    TemplateForm,
)
from planner.city.models import CitySettings
from planner.core.forms import is_stale, perform, stale_conflict
from planner.core.permissions import PUBLIC, Role, access
from planner.core.text import render_markdown
from planner.fields.models import StrategyProcess
from planner.fields.services import list_fields

SETUP_STEPS = (
    ("city", _l("City")),
    ("process", _l("Strategy process")),
    ("fields", _l("Action fields")),
    ("districts", _l("Districts")),
    ("sectors", _l("Sectors")),
    ("template", _l("Paper template")),
)
STEP_CODES = [code for code, _label in SETUP_STEPS]


def _identity_values(form: CityForm) -> dict:
    return {name: (form[name].data or "") for name in services.IDENTITY_FIELDS}


def _fill_city_form(form: CityForm) -> None:
    settings = CitySettings.get()
    if settings is not None and request.method == "GET":
        for name in services.IDENTITY_FIELDS:
            form[name].data = getattr(settings, name)
        form.version.data = settings.version


def _settings_version() -> int:
    settings = CitySettings.get()
    return settings.version if settings is not None else 1


def _filled_settings_form(form_class, fill) -> object:
    """``form_class`` filled from the stored settings (``fill(form, settings)``): the 409 page's current values."""
    form = form_class(formdata=None)
    settings = CitySettings.get()
    if settings is not None:
        fill(form, settings)
    return form


def _fill_identity(form, settings) -> None:
    for name in services.IDENTITY_FIELDS:
        form[name].data = getattr(settings, name)


def _city_conflict(form: CityForm):
    return stale_conflict(form, _filled_settings_form(CityForm, _fill_identity), _settings_version())


def _save_city(form: CityForm):
    """The identity form's one change; returns (done, stale)."""
    saved = perform(lambda: services.update_city(current_user, version=form.submitted_version(),
                                                 **_identity_values(form)),
                    form=form, success=_("The city's settings have been saved."))
    return bool(saved), (_city_conflict(form) if is_stale(saved) else None)


# --- settings ----------------------------------------------------------------------------------------------

@bp.route("/settings", methods=["GET", "POST"])
@access(Role.ADMIN)
def settings():
    form = CityForm()
    _fill_city_form(form)
    stale = None
    if form.validate_on_submit():
        done, stale = _save_city(form)
        if done:
            return redirect(url_for("city.settings"))
    return render_template("city/settings.html", form=form, logo_form=LogoForm(), city=CitySettings.get(),
                           legal_kinds=services.LEGAL_KINDS, demo_loaded=demo_removal.demo_loaded(),
                           setup_pending=services.setup_pending(), stale=stale), 409 if stale else 200


@bp.route("/logo", methods=["POST"])
@access(Role.ADMIN)
def upload_logo():
    form = LogoForm()
    if form.validate_on_submit():
        data = form.logo.data.read(setup_limit())
        perform(lambda: services.set_logo(current_user, data), success=_("The logo has been saved."))
    for error in form.logo.errors:
        flash(error, "error")
    back = request.form.get("next", "")
    return redirect(back if back in (url_for("city.settings"), url_for("city.setup_step", step="city"))
                    else url_for("city.settings"))


def setup_limit() -> int:
    """Read a little more than the limit, so a too large file is recognised without reading all of it."""
    return max(services.MAX_TEMPLATE_BYTES, 1024 * 1024) + 1


@bp.route("/logo/remove", methods=["POST"])
@access(Role.ADMIN)
def remove_logo():
    perform(lambda: services.remove_logo(current_user), success=_("The logo has been removed."))
    return redirect(url_for("city.settings"))


@bp.route("/logo")
@access(PUBLIC)
def logo():
    settings = CitySettings.get()
    if settings is None or not settings.logo_mimetype or not settings.logo:
        abort(404)
    response = Response(settings.logo, mimetype=settings.logo_mimetype)
    # A stored SVG was checked on upload; opened on its own it still may run nothing and load nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# --- legal pages -------------------------------------------------------------------------------------------

@bp.route("/legal/<kind>/<locale>", methods=["GET", "POST"])
@access(Role.ADMIN)
def edit_legal(kind: str, locale: str):
    if kind not in services.LEGAL_KINDS or locale not in services.LEGAL_LOCALES:
        abort(404)
    form = LegalPageForm()
    if request.method == "GET":
        form.body.data = services.legal_text(kind, locale)
        form.version.data = services.legal_page_version(kind, locale)
    stale = None
    if form.validate_on_submit():
        saved = perform(lambda: services.save_legal_page(current_user, kind, locale, form.body.data or "",
                                                         version=form.submitted_version()),
                        form=form, success=_("The page has been saved."))
        if saved:
            return redirect(url_for("city.edit_legal", kind=kind, locale=locale))
        if is_stale(saved):
            current = LegalPageForm(formdata=None)
            current.body.data = services.legal_text(kind, locale)
            stale = stale_conflict(form, current, services.legal_page_version(kind, locale))
    return render_template("city/legal_edit.html", form=form, kind=services.LEGAL_KINDS[kind], locale=locale,
                           customised=services.stored_legal_page(kind, locale) is not None,
                           preview=render_markdown(form.body.data, top=2), stale=stale), 409 if stale else 200


@bp.route("/legal/<kind>/<locale>/reset", methods=["POST"])
@access(Role.ADMIN)
def reset_legal(kind: str, locale: str):
    if kind not in services.LEGAL_KINDS or locale not in services.LEGAL_LOCALES:
        abort(404)
    perform(lambda: services.reset_legal_page(current_user, kind, locale),
            success=_("The page shows the built-in text again."))
    return redirect(url_for("city.edit_legal", kind=kind, locale=locale))


@bp.route("/imprint")
@access(PUBLIC)
def imprint():
    locale = "en" if str(get_locale()).startswith("en") else "de"
    return render_template("city/legal_page.html", title=_("Imprint"),
                           body=render_markdown(services.legal_text("imprint", locale), top=2))


# --- setup -------------------------------------------------------------------------------------------------

@bp.route("/setup")
@access(Role.ADMIN)
def setup_start():
    return redirect(url_for("city.setup_step", step=STEP_CODES[0]))


def _next_step(step: str):
    index = STEP_CODES.index(step)
    if index + 1 < len(STEP_CODES):
        return redirect(url_for("city.setup_step", step=STEP_CODES[index + 1]))
    return redirect(url_for("city.setup_done"))


@bp.route("/setup/<step>", methods=["GET", "POST"])
@access(Role.ADMIN)
def setup_step(step: str):
    if step not in STEP_CODES:
        abort(404)
    if request.method == "POST" and request.form.get("skip"):
        return _next_step(step)
    handler = {
        "city": _setup_city, "process": _setup_process, "fields": _setup_fields, "districts": _setup_districts,
        "sectors": _setup_sectors, "template": _setup_template,
    }[step]
    form, done, extra = handler()
    if done:
        return redirect(url_for("city.setup_step", step=step)) if step == "fields" else _next_step(step)
    index = STEP_CODES.index(step)
    extra.setdefault("stale", None)
    return render_template(f"city/setup_{step}.html", form=form, step=step, steps=SETUP_STEPS, index=index,
                           **extra), 409 if extra["stale"] else 200


def _setup_city():
    form = CityForm()
    _fill_city_form(form)
    done, stale = _save_city(form) if form.validate_on_submit() else (False, None)
    return form, done, {"logo_form": LogoForm(), "city": CitySettings.get(), "stale": stale}


def _setup_process():
    form = ProcessForm()
    process = StrategyProcess.current()
    if request.method == "GET":
        if process is not None:
            _fill_process(form, process)
        else:
            form.target_year.data = 2040
            form.milestone_years.data = "2025, 2030, 2035, 2040"
    done, stale = False, None
    if form.validate_on_submit():
        milestones = form.milestones()
        if milestones is not None:
            saved = perform(lambda: setup.save_process(
                current_user, title=form.title.data, vision=form.vision.data or "",
                target_year=form.target_year.data, milestone_years=milestones, version=form.submitted_version(),
            ), form=form, success=_("The strategy process has been saved."))
            done = bool(saved)
            if is_stale(saved):
                process = StrategyProcess.current()
                current = ProcessForm(formdata=None)
                _fill_process(current, process)
                stale = stale_conflict(form, current, process.version)
    return form, done, {"stale": stale}


def _fill_process(form: ProcessForm, process: StrategyProcess) -> None:
    form.title.data, form.vision.data = process.title, process.vision
    form.target_year.data = process.target_year
    form.milestone_years.data = ", ".join(str(y) for y in process.milestone_years or [])
    form.version.data = process.version


def _setup_fields():
    form = FieldForm()
    done = form.validate_on_submit() and perform(
        lambda: setup.create_field(
            current_user, code=form.code.data, name_de=form.name_de.data, name_en=form.name_en.data,
            description_de=form.description_de.data or "", description_en=form.description_en.data or "",
            colour=(form.colour.data or "").strip(), index_area=form.index_area.data or "",
        ),
        form=form, success=lambda field: _("The action field %(code)s has been added.", code=field.code),
    )
    return form, done, {"fields": list_fields()}


def _setup_districts():
    form = DistrictsForm()
    settings = CitySettings.get()
    if request.method == "GET" and settings is not None:
        _fill_districts(form, settings)
    done, stale = False, None
    if form.validate_on_submit():
        districts = services.parse_districts(form.districts.data or "")
        saved = perform(lambda: services.set_districts(current_user, districts, version=form.submitted_version()),
                        form=form, success=_("The districts have been saved."))
        done = bool(saved)
        if is_stale(saved):
            stale = stale_conflict(form, _filled_settings_form(DistrictsForm, _fill_districts), _settings_version())
    return form, done, {"stale": stale}


def _fill_districts(form, settings) -> None:
    form.districts.data = services.districts_text(settings.districts)
    form.version.data = settings.version


def _setup_sectors():
    from planner.people.models import Sector

    def sectors_form(submitted: bool = True):
        form = SectorsForm() if submitted else SectorsForm(formdata=None)
        form.sectors.choices = [(s.value, s.label) for s in Sector]
        return form

    form = sectors_form()
    if request.method == "GET":
        form.sectors.data = [s.value for s in services.city_sectors()]
        form.version.data = _settings_version()
    done, stale = False, None
    if form.validate_on_submit():
        saved = perform(lambda: services.set_sectors(current_user, form.sectors.data or [],
                                                     version=form.submitted_version()),
                        form=form, success=_("The sectors have been saved."))
        done = bool(saved)
        if is_stale(saved):
            current = sectors_form(submitted=False)
            current.sectors.data = [s.value for s in services.city_sectors()]
            stale = stale_conflict(form, current, _settings_version())
    return form, done, {"stale": stale}


def _setup_template():
    form = TemplateForm()
    done = False
    if form.validate_on_submit():
        data = form.template.data.read(setup_limit())
        done = bool(perform(lambda: services.set_paper_template(current_user, data, form.template.data.filename),
                            form=form, success=_("The paper template has been saved.")))
    settings = CitySettings.get()
    return form, done, {"template_name": settings.paper_template_name if settings else ""}


@bp.route("/setup/done", methods=["GET", "POST"])
@access(Role.ADMIN)
def setup_done():
    if request.method == "POST" and perform(lambda: services.finish_setup(current_user),
                                            success=_("The setup is finished.")):
        return redirect(url_for("site.index"))
    return render_template("city/setup_done.html", steps=SETUP_STEPS, index=len(SETUP_STEPS),
                           process=StrategyProcess.current(), fields=list_fields(), city=CitySettings.get())


# --- from demo to real -------------------------------------------------------------------------------------

@bp.route("/remove-demo", methods=["GET", "POST"])
@access(Role.ADMIN)
def remove_demo():
    form = RemoveDemoForm()
    loaded = demo_removal.demo_loaded()
    if loaded and form.validate_on_submit() and perform(
        lambda: demo_removal.remove_demo(current_user), form=form,
        success=_("The demo data has been removed. Set up your city now."),
    ):
        flash(_("Your own account was kept as it is. If it is a demo account, change its name, e-mail address "
                "and password now."), "warning")
        return redirect(url_for("city.setup_start"))
    return render_template("city/remove_demo.html", form=form, loaded=loaded,
                           counts=demo_removal.demo_counts() if loaded else {})
