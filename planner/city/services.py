"""The city's settings: identity, logo, districts, sectors, the paper's template and the legal pages.

Services take the acting user, validate, change and ``flush()``; the request or command commits.
"""

import io
import re
import zipfile
from dataclasses import dataclass

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from planner.city.logo import check_logo
from planner.city.models import CitySettings, LegalPage
from planner.core import audit, identity
from planner.core.errors import DomainError, StaleVersion
from planner.core.locking import STALE_MESSAGE, check_version, parse_version, save_version
from planner.core.models import utcnow
from planner.extensions import db
from planner.fields.models import StrategyProcess
from planner.people.models import Sector


class SettingsError(DomainError):
    """One or more problems, each (field name, message); nothing was changed."""

    def __init__(self, problems: list[tuple[str | None, object]]):
        super().__init__(problems[0][1], field=problems[0][0])
        self.problems = problems


# --- identity ----------------------------------------------------------------------------------------------

IDENTITY_FIELDS = {
    "name": 120, "authority": 200, "address": 2000, "represented_by": 200, "contact_email": 254,
    "contact_phone": 60, "website": 300, "data_protection_officer": 2000, "mail_sender": 254,
    "feedback_email": 254, "enforcement_body": 2000,
}
EMAIL_FIELDS = ("contact_email", "mail_sender", "feedback_email")
SINGLE_LINE = ("name", "authority", "represented_by", "contact_email", "contact_phone", "website", "mail_sender",
               "feedback_email")
_EMAIL = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def identity_problems(values: dict) -> list[tuple[str, object]]:
    problems = []
    for key, value in values.items():
        if key not in IDENTITY_FIELDS:
            problems.append((key, _l("Unknown setting “%(key)s”.", key=key)))
            continue
        if not isinstance(value, str):
            problems.append((key, _l("Please enter text.")))
            continue
        if len(value) > IDENTITY_FIELDS[key]:
            problems.append((key, _l("Please keep it under %(max)d characters.", max=IDENTITY_FIELDS[key])))
        elif _CONTROL.search(value) or (key in SINGLE_LINE and ("\n" in value or "\r" in value)):
            problems.append((key, _l("Please enter a single line without control characters.")))
        elif key in EMAIL_FIELDS and value.strip() and not _EMAIL.match(value.strip()):
            problems.append((key, _l("Please enter a valid e-mail address.")))
        elif key == "website" and value.strip() and not value.strip().startswith(("https://", "http://")):
            problems.append((key, _l("Please enter an address starting with https://.")))
    return problems


def update_city(actor, *, version: int | None = None, **values) -> CitySettings:
    """Changes the city's identity (only the keys given). The city's name also names every process. A save
    based on an older version of the settings (``version`` from the form) raises StaleVersion."""
    values = {key: value.strip() if isinstance(value, str) else value for key, value in values.items()}
    problems = identity_problems(values)
    if problems:
        raise SettingsError(problems)
    settings = CitySettings.get_or_create()
    check_version(settings, version)
    changes = {}
    for key, value in values.items():
        if getattr(settings, key) != value:
            changes[key] = [getattr(settings, key), value]
            setattr(settings, key, value)
    if "name" in changes and settings.name:
        # The paper's title page and file name read the process's city (planner.strategy).
        db.session.execute(update(StrategyProcess).values(city_name=settings.name))
    if changes:
        audit.record("update", settings, changes=changes, summary="city settings")
        save_version(settings)
    db.session.flush()
    identity.forget()
    return settings


def set_logo(actor, data: bytes) -> CitySettings:
    content, mimetype = check_logo(data)
    settings = CitySettings.get_or_create()
    settings.logo = content
    settings.logo_mimetype = mimetype
    audit.record("update", settings, changes={"logo": [None, mimetype]}, summary="logo")
    db.session.flush()
    identity.forget()
    return settings


def remove_logo(actor) -> None:
    settings = CitySettings.get_or_create()
    settings.logo = None
    settings.logo_mimetype = ""
    audit.record("update", settings, changes={"logo": ["", None]}, summary="logo removed")
    db.session.flush()
    identity.forget()


# --- districts and sectors ---------------------------------------------------------------------------------

def parse_districts(text: str) -> list[dict]:
    """One district per line: ``Stadtbezirk I: Altstadt, Nordviertel`` (quarters after the colon)."""
    districts = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        name, _, quarters = line.partition(":")
        districts.append({"name": name.strip(), "quarters": [q.strip() for q in quarters.split(",") if q.strip()]})
    return districts


def districts_text(districts: list[dict]) -> str:
    return "\n".join(
        f"{d['name']}: {', '.join(d['quarters'])}" if d.get("quarters") else d["name"] for d in districts or []
    )


def district_problems(districts) -> list[tuple[str, object]]:
    if not isinstance(districts, list):
        return [("districts", _l("The districts must be a list."))]
    names = set()
    for district in districts:
        if isinstance(district, str):
            district = {"name": district, "quarters": []}
        if not isinstance(district, dict) or set(district) - {"name", "quarters"}:
            return [("districts", _l("Each district needs a name and may have a list of quarters."))]
        name = district.get("name")
        quarters = district.get("quarters", [])
        if not isinstance(name, str) or not name.strip() or len(name) > 120 or _CONTROL.search(name):
            return [("districts", _l("Each district needs a name (at most 120 characters)."))]
        if not isinstance(quarters, list) or not all(isinstance(q, str) and q.strip() and len(q) <= 120
                                                     and not _CONTROL.search(q) for q in quarters):
            return [("districts", _l("The quarters of “%(name)s” must be names of at most 120 characters.",
                                     name=name))]
        if name.strip().casefold() in names:
            return [("districts", _l("The district “%(name)s” is listed twice.", name=name))]
        names.add(name.strip().casefold())
    return []


def normalise_districts(districts: list) -> list[dict]:
    return [
        {"name": d.strip(), "quarters": []} if isinstance(d, str)
        else {"name": d["name"].strip(), "quarters": [q.strip() for q in d.get("quarters", [])]}
        for d in districts
    ]


def set_districts(actor, districts: list, *, version: int | None = None) -> CitySettings:
    problems = district_problems(districts)
    if problems:
        raise SettingsError(problems)
    settings = CitySettings.get_or_create()
    check_version(settings, version)
    settings.districts = normalise_districts(districts)
    audit.record("update", settings, changes={"districts": [None, settings.districts]}, summary="districts")
    save_version(settings)
    return settings


def district_names() -> list[str]:
    """The city's districts in its order (survey breakdowns list them so), [] when none are set."""
    settings = CitySettings.get()
    return [d["name"] for d in (settings.districts or [])] if settings else []


def sector_problems(codes) -> list[tuple[str, object]]:
    valid = {s.value for s in Sector}
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        return [("sectors", _l("The sectors must be a list of codes."))]
    unknown = [c for c in codes if c not in valid]
    if unknown:
        return [("sectors", _l("Unknown sector “%(code)s”; known are: %(known)s.", code=unknown[0],
                               known=", ".join(sorted(valid))))]
    return []


def set_sectors(actor, codes: list[str], *, version: int | None = None) -> CitySettings:
    problems = sector_problems(codes)
    if problems:
        raise SettingsError(problems)
    settings = CitySettings.get_or_create()
    check_version(settings, version)
    settings.sectors = [s.value for s in Sector if s.value in codes]
    audit.record("update", settings, changes={"sectors": [None, settings.sectors]}, summary="sectors")
    save_version(settings)
    identity.forget()
    return settings


def city_sectors() -> list[Sector]:
    """The sectors the city uses (all when it has not chosen)."""
    settings = CitySettings.get()
    chosen = set(settings.sectors or []) if settings else set()
    return [s for s in Sector if not chosen or s.value in chosen]


# --- the paper's DOCX template -----------------------------------------------------------------------------

MAX_TEMPLATE_BYTES = 10 * 1024 * 1024


def set_paper_template(actor, data: bytes, filename: str) -> CitySettings:
    if not data:
        raise SettingsError([("template", _l("The file is empty."))])
    if len(data) > MAX_TEMPLATE_BYTES:
        raise SettingsError([("template", _l("The template is too large: at most 10 MB, please."))])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        names = set()
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise SettingsError([("template", _l("The file is not a Word document (DOCX)."))])
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise SettingsError([("template", _l("The document contains macros; please save it as a plain DOCX."))])
    settings = CitySettings.get_or_create()
    settings.paper_template = data
    settings.paper_template_name = (filename or "template.docx").rsplit("/", 1)[-1][:200]
    _drop_cached_exports()
    audit.record("update", settings, changes={"paper_template": [None, settings.paper_template_name]},
                 summary="paper template")
    db.session.flush()
    return settings


def _drop_cached_exports() -> None:
    """Published papers are cached as files (planner.strategy.versions); a new template makes them stale."""
    import shutil
    from pathlib import Path

    from flask import current_app

    shutil.rmtree(Path(current_app.instance_path) / "published-exports", ignore_errors=True)


def paper_template() -> bytes | None:
    """The city's DOCX template for the concept paper, None when it has not uploaded one."""
    settings = CitySettings.get()
    return settings.paper_template if settings and settings.paper_template_name else None


def finish_setup(actor) -> CitySettings:
    settings = CitySettings.get_or_create()
    if settings.setup_finished_at is None:
        settings.setup_finished_at = utcnow()
        audit.record("update", settings, summary="setup finished")
    db.session.flush()
    return settings


def setup_pending() -> bool:
    """True on an installation whose administrator has not finished (or skipped) the setup yet."""
    settings = CitySettings.get()
    return settings is None or settings.setup_finished_at is None


# --- legal pages -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LegalKind:
    code: str
    title: object
    endpoint: str


LEGAL_KINDS = {
    "privacy": LegalKind("privacy", _l("Privacy notice"), "site.privacy"),
    "accessibility": LegalKind("accessibility", _l("Accessibility statement"), "site.accessibility"),
    "imprint": LegalKind("imprint", _l("Imprint"), "city.imprint"),
    "easy_language": LegalKind("easy_language", _l("Easy language"), "site.easy_language"),
}
LEGAL_LOCALES = ("de", "en")
MAX_LEGAL_CHARS = 50_000


def _template_context() -> dict:
    settings = CitySettings.get()
    values = {key: getattr(settings, key) if settings else "" for key in IDENTITY_FIELDS}
    values["name"] = identity.city_name()
    values["feedback_email"] = identity.feedback_email()
    values["address_lines"] = "  \n".join(line.strip() for line in values["address"].splitlines() if line.strip())
    process = StrategyProcess.current()
    return {
        "city": values,
        "target_year": process.target_year if process else None,
        "accessibility_url": url_for("site.accessibility"),
    }


def default_legal_text(kind: str, locale: str) -> str:
    """Today's built-in text with the city's details filled in: the starting point for the administrator."""
    return render_template(f"city/legal/{kind}_{locale}.md", **_template_context()).strip() + "\n"


def stored_legal_page(kind: str, locale: str) -> LegalPage | None:
    return db.session.scalar(select(LegalPage).where(LegalPage.kind == kind, LegalPage.locale == locale))


def legal_text(kind: str, locale: str) -> str:
    """The page's Markdown: the administrator's text, else the built-in template."""
    locale = "en" if str(locale).startswith("en") else "de"
    page = stored_legal_page(kind, locale)
    return page.body if page and page.body.strip() else default_legal_text(kind, locale)


def legal_page_version(kind: str, locale: str) -> int:
    """The version an edit form of the page starts from: 0 while the page shows the built-in text."""
    page = stored_legal_page(kind, locale)
    return page.version if page is not None else 0


def save_legal_page(actor, kind: str, locale: str, body: str, *, version: int | None = None) -> LegalPage:
    """Stores the administrator's text. A save based on an older version (``version`` from the form; 0 for the
    built-in text) raises StaleVersion: someone else saved or reset the page in the meantime."""
    if kind not in LEGAL_KINDS or locale not in LEGAL_LOCALES:
        raise DomainError(_l("There is no such page."))
    body = (body or "").replace("\r\n", "\n")
    if len(body) > MAX_LEGAL_CHARS:
        raise SettingsError([("body", _l("Please keep it under %(max)d characters.", max=MAX_LEGAL_CHARS))])
    page = stored_legal_page(kind, locale)
    if page is None:
        if parse_version(version) not in (None, 0):
            raise StaleVersion(STALE_MESSAGE)
        page = LegalPage(kind=kind, locale=locale, body="")
        db.session.add(page)
    else:
        check_version(page, version)
    changes = {"body": [page.body, body]}
    page.body = body
    if page.id is None:
        db.session.flush()
    else:
        save_version(page)
    audit.record("update", page, changes=changes, summary=f"legal page {kind} ({locale})")
    return page


def reset_legal_page(actor, kind: str, locale: str) -> None:
    page = stored_legal_page(kind, locale)
    if page is not None:
        audit.record("delete", page, summary=f"legal page {kind} ({locale}) back to the template")
        db.session.delete(page)
        db.session.flush()


# --- what core.identity reads ------------------------------------------------------------------------------

def identity_snapshot() -> dict | None:
    from sqlalchemy.exc import SQLAlchemyError

    try:
        row = db.session.execute(
            select(CitySettings.name, CitySettings.mail_sender, CitySettings.feedback_email,
                   CitySettings.logo_mimetype, CitySettings.demo_loaded_at, CitySettings.sectors,
                   CitySettings.authority, CitySettings.address, CitySettings.contact_email,
                   CitySettings.data_protection_officer)
            .where(CitySettings.id == 1)
        ).first()
    except SQLAlchemyError:  # a database without the table (before `flask db upgrade`)
        db.session.rollback()
        return None
    if row is None:
        return None
    return {"name": row.name, "mail_sender": row.mail_sender, "feedback_email": row.feedback_email,
            "authority": row.authority, "address": row.address, "contact_email": row.contact_email,
            "data_protection_officer": row.data_protection_officer,
            "logo_mimetype": row.logo_mimetype, "demo": row.demo_loaded_at is not None,
            "sectors": list(row.sectors or [])}
