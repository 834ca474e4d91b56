"""Setting a city up: the process, its action fields, and a whole city from a file (``init-city``).

The process and field functions here are small on purpose: the fields package's own services
(``create_field``, process administration) can replace them at integration without changing the callers.
"""

import re
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from planner.city import services
from planner.city.services import SettingsError
from planner.extensions import db
from planner.fields.models import ActionField, StrategyProcess

# The five areas of the Bitkom Smart City Index.
INDEX_AREAS = {
    "administration": _l("Administration"),
    "it_communication": _l("IT and communication"),
    "energy_environment": _l("Energy and environment"),
    "mobility": _l("Mobility"),
    "society_education": _l("Society and education"),
}
_CODE = re.compile(r"^[A-Z][A-Z0-9]{0,7}$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
FIELD_KEYS = {"code", "name_de", "name_en", "description_de", "description_en", "colour", "index_area"}
PROCESS_KEYS = {"title", "vision", "target_year", "milestone_years"}
CITY_FILE_KEYS = {"city", "process", "fields", "districts", "sectors"}


# --- the strategy process ----------------------------------------------------------------------------------

def process_problems(values: dict, prefix: str = "") -> list[tuple[str, object]]:
    problems = []
    unknown = sorted(set(values) - PROCESS_KEYS)
    if unknown:
        problems.append((f"{prefix}{unknown[0]}", _l("Unknown key “%(key)s”.", key=unknown[0])))
    title = values.get("title", "")
    if not isinstance(title, str) or not title.strip():
        problems.append((f"{prefix}title", _l("Please enter the process's title.")))
    elif len(title) > 200 or _CONTROL.search(title):
        problems.append((f"{prefix}title", _l("Please enter a single line of at most 200 characters.")))
    if not isinstance(values.get("vision", ""), str):
        problems.append((f"{prefix}vision", _l("Please enter text.")))
    target = values.get("target_year", 2040)
    if not isinstance(target, int) or isinstance(target, bool) or not 2000 <= target <= 2100:
        problems.append((f"{prefix}target_year", _l("Please enter a year between 2000 and 2100.")))
        target = None
    milestones = values.get("milestone_years", [])
    if not isinstance(milestones, list) or not all(isinstance(y, int) and not isinstance(y, bool)
                                                   for y in milestones):
        problems.append((f"{prefix}milestone_years", _l("Please enter the milestone years as whole years.")))
    elif milestones != sorted(set(milestones)):
        problems.append((f"{prefix}milestone_years", _l("The milestone years must ascend, each once.")))
    elif any(not 2000 <= y <= 2100 for y in milestones):
        problems.append((f"{prefix}milestone_years", _l("Please enter years between 2000 and 2100.")))
    elif target is not None and milestones and milestones[-1] > target:
        problems.append((f"{prefix}target_year",
                         _l("The target year (%(target)s) must not be before the last milestone (%(last)s).",
                            target=target, last=milestones[-1])))
    return problems


def save_process(actor, *, title: str, vision: str = "", target_year: int = 2040,
                 milestone_years: list[int] | None = None, version: int | None = None) -> StrategyProcess:
    """Creates the installation's strategy process, or changes the current one (a save based on an older
    version of it, ``version`` from the form, raises StaleVersion)."""
    values = {"title": (title or "").strip(), "vision": (vision or "").strip(), "target_year": target_year,
              "milestone_years": list(milestone_years or [])}
    problems = process_problems(values)
    if problems:
        raise SettingsError(problems)
    from planner.core import identity
    from planner.fields.services import ProcessData, create_process, update_process

    data = ProcessData(title=values["title"], vision=values["vision"], target_year=target_year,
                       milestone_years=tuple(values["milestone_years"]), city_name=identity.city_name())
    process = StrategyProcess.current()
    # Both are audited models: the audit log records the change by itself.
    return create_process(None, data) if process is None else update_process(None, process, data, version=version)


# --- action fields -----------------------------------------------------------------------------------------

def field_problems(values: dict, prefix: str = "", taken: set[str] | None = None) -> list[tuple[str, object]]:
    problems = []
    unknown = sorted(set(values) - FIELD_KEYS)
    if unknown:
        problems.append((f"{prefix}{unknown[0]}", _l("Unknown key “%(key)s”.", key=unknown[0])))
    code = values.get("code")
    if not isinstance(code, str) or not _CODE.match(code.strip().upper()):
        problems.append((f"{prefix}code", _l("The code has 1 to 8 letters or digits and starts with a letter.")))
    else:
        code = code.strip().upper()
        if code in (taken or set()) or db.session.scalar(
            select(func.count()).select_from(ActionField).where(ActionField.code == code)
        ):
            problems.append((f"{prefix}code", _l("The code “%(code)s” is already in use.", code=code)))
    for key in ("name_de", "name_en"):
        value = values.get(key, "")
        if not isinstance(value, str) or not value.strip():
            problems.append((f"{prefix}{key}", _l("Please enter the field's name.")))
        elif len(value) > 120 or _CONTROL.search(value):
            problems.append((f"{prefix}{key}", _l("Please enter a single line of at most 120 characters.")))
    for key in ("description_de", "description_en"):
        if not isinstance(values.get(key, ""), str):
            problems.append((f"{prefix}{key}", _l("Please enter text.")))
    colour = values.get("colour", "#1d4e89")
    if not isinstance(colour, str) or not _COLOUR.match(colour):
        problems.append((f"{prefix}colour", _l("Please enter a colour as #rrggbb.")))
    area = values.get("index_area", "")
    if area and area not in INDEX_AREAS:
        problems.append((f"{prefix}index_area", _l("Unknown Smart City Index area “%(area)s”.", area=area)))
    return problems


def create_field(actor, *, code: str, name_de: str, name_en: str, description_de: str = "",
                 description_en: str = "", colour: str = "#1d4e89", index_area: str = "") -> ActionField:
    """Adds an action field at the end of the list, after checking it as the setup file and pages do (every
    problem at once), through planner.fields.services.create_field."""
    values = {"code": code, "name_de": name_de, "name_en": name_en, "description_de": description_de,
              "description_en": description_en, "colour": colour, "index_area": index_area}
    problems = field_problems(values)
    if problems:
        raise SettingsError(problems)
    from planner.fields.services import FieldData
    from planner.fields.services import create_field as add_field

    field = add_field(None, FieldData(code=code.strip().upper(), name_de=name_de.strip(), name_en=name_en.strip(),
                                      description_de=(description_de or "").strip(),
                                      description_en=(description_en or "").strip(), colour=colour.lower(),
                                      index_area=index_area or None))
    return field  # an audited model: the audit log records its creation by itself


# --- a whole city from a file ------------------------------------------------------------------------------

def city_file_problems(data, base: Path | None = None) -> list[tuple[str, object]]:
    """Every problem of a setup file (``docs/example-city.json``), each with the key it concerns."""
    if not isinstance(data, dict):
        return [("", _l("The setup file must hold one JSON object."))]
    problems: list[tuple[str, object]] = []
    for key in sorted(set(data) - CITY_FILE_KEYS):
        problems.append((key, _l("Unknown key “%(key)s”; allowed are: %(keys)s.", key=key,
                                 keys=", ".join(sorted(CITY_FILE_KEYS)))))
    city = data.get("city", {})
    if not isinstance(city, dict):
        problems.append(("city", _l("“city” must be an object.")))
    else:
        values = {k: v for k, v in city.items() if k != "logo"}
        if "contact" in values:  # the short form: one contact e-mail address
            values["contact_email"] = values.pop("contact")
        problems += [(f"city.{k}", m) for k, m in services.identity_problems(values)]
        if "logo" in city:
            try:
                services.check_logo(_read_logo(city["logo"], base))
            except SettingsError as error:
                problems += error.problems
            except services.DomainError as error:
                problems.append(("city.logo", error.message))
    if "process" in data:
        if isinstance(data["process"], dict):
            problems += process_problems(data["process"], prefix="process.")
        else:
            problems.append(("process", _l("“process” must be an object.")))
    fields = data.get("fields", [])
    if not isinstance(fields, list):
        problems.append(("fields", _l("“fields” must be a list.")))
    else:
        taken: set[str] = set()
        for index, field in enumerate(fields, start=1):
            if not isinstance(field, dict):
                problems.append((f"fields[{index}]", _l("Each field must be an object.")))
                continue
            problems += field_problems(field, prefix=f"fields[{index}].", taken=taken)
            if isinstance(field.get("code"), str):
                taken.add(field["code"].strip().upper())
    if "districts" in data:
        problems += services.district_problems(data["districts"])
    if "sectors" in data:
        problems += services.sector_problems(data["sectors"])
    return problems


def _read_logo(value, base: Path | None) -> bytes:
    if not isinstance(value, str) or not value:
        raise SettingsError([("city.logo", _l("“logo” must be the path of a PNG or SVG file."))])
    path = Path(value)
    if not path.is_absolute() and base is not None:
        path = base / path
    try:
        return path.read_bytes()
    except OSError as error:
        raise SettingsError([("city.logo", _l("The logo file “%(path)s” cannot be read.", path=value))]) from error


def load_city(actor, data, base: Path | None = None) -> dict:
    """Applies a setup file: all of it or, on any problem, nothing (raises SettingsError with every problem)."""
    problems = city_file_problems(data, base)
    if problems:
        raise SettingsError(problems)
    city = dict(data.get("city", {}))
    logo = city.pop("logo", None)
    if "contact" in city:
        city["contact_email"] = city.pop("contact")
    if city:
        services.update_city(actor, **city)
    if logo:
        services.set_logo(actor, _read_logo(logo, base))
    process = None
    if "process" in data:
        process = save_process(actor, **data["process"])
    created = [create_field(actor, **field) for field in data.get("fields", [])]
    if "districts" in data:
        services.set_districts(actor, data["districts"])
    if "sectors" in data:
        services.set_sectors(actor, data["sectors"])
    return {"process": process, "fields": created}
