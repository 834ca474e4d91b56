"""Translatable names for the codes stored in a roll-up, and the paper's fixed headings.

The roll-up stores codes (``virtual``, ``strength``, ``administration``), never translated labels, so a
frozen version can be exported in any language. Call these inside ``force_locale(rollup.locale)``.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from flask_babel import get_domain
from flask_babel import gettext as _flask_gettext

# The translations of the paper being built (``fixed_translations``): the outline asks for tens of thousands of
# labels in one language, and flask_babel looks up the request, the locale and the catalogue for each of them.
_TRANSLATIONS: ContextVar = ContextVar("paper_translations", default=None)


def _(string: str, **variables) -> str:
    """flask_babel's gettext; inside ``fixed_translations`` from the catalogue taken once."""
    translations = _TRANSLATIONS.get()
    if translations is None:
        return _flask_gettext(string, **variables)
    text = translations.ugettext(string)
    return text % variables if variables else text


@contextmanager
def fixed_translations():
    """Inside ``force_locale``: every ``_`` of this module (and of the outline) uses the current catalogue
    without looking it up again. The words are the same as flask_babel's."""
    token = _TRANSLATIONS.set(get_domain().get_translations())
    try:
        yield
    finally:
        _TRANSLATIONS.reset(token)

DEFAULT_SECTIONS = (
    "foreword",
    "vision",
    "starting_point_intro",
    "governance",
    "monitoring",
    "communication",
)


def section_title(key: str, stored: str = "") -> str:
    if stored:
        return stored
    titles = {
        "foreword": _("Foreword"),
        "vision": _("Vision 2040"),
        "starting_point_intro": _("Starting point"),
        "governance": _("Governance and organisation"),
        "monitoring": _("Monitoring and evaluation"),
        "communication": _("Communication and participation"),
    }
    return titles.get(key, key.replace("_", " ").capitalize())


def workshop_format(code: str) -> str:
    return {"virtual": _("Virtual"), "in_person": _("In person"), "hybrid": _("Hybrid")}.get(code, code)


def finding_kind(code: str) -> str:
    return {
        "strength": _("Strength"),
        "weakness": _("Weakness"),
        "opportunity": _("Opportunity"),
        "risk": _("Risk"),
        "need": _("Need for action"),
    }.get(code, code)


def swot_heading(code: str) -> str:
    return {
        "strength": _("Strengths"),
        "weakness": _("Weaknesses"),
        "opportunity": _("Opportunities"),
        "risk": _("Risks"),
    }.get(code, code)


def sector(code: str) -> str:
    return {
        "administration": _("Administration"),
        "business": _("Business"),
        "science": _("Science"),
        "civil_society": _("Civil society"),
        "politics": _("Politics"),
        "": _("No sector"),
    }.get(code, code)


def priority(code: str | None) -> str:
    return {
        "high": _("High (start now)"),
        "medium": _("Medium (within 2 years)"),
        "low": _("Low (within 4 years)"),
    }.get(code or "", "–")


def funding(code: str | None) -> str:
    return {"own": _("Own funds"), "external": _("External funds"), "grant": _("Grants")}.get(code or "", "–")


def index_area(code: str | None) -> str:
    """An area of the Bitkom Smart City Index; text stored by hand (schema 1) stays as it was."""
    return {
        "administration": _("Administration"),
        "it_communication": _("IT and communication"),
        "energy_environment": _("Energy and environment"),
        "mobility": _("Mobility"),
        "society_education": _("Society and education"),
    }.get(code or "", code or "–")


def measure_attribute(name: str) -> str:
    """A fact sheet's item by its roll-up name (what changed between two versions)."""
    return {
        "title": _("Title"),
        "field_code": _("Action field"),
        "description": _("Description"),
        "goal": _("Goal"),
        "expected_effect": _("Expected effect"),
        "lead_unit": _("Lead unit"),
        "partners": _("Partners"),
        "funding": _("Funding"),
        "funding_note": _("Funding"),
        "cost_estimate": _("Cost estimate"),
        "priority": _("Priority"),
        "start_year": _("Start"),
        "end_year": _("End"),
        "bitkom_area": _("Smart City Index area"),
        "official_answer": _("Official answer"),
        "kpis": _("KPIs"),
        "need_numbers": _("Answers the needs"),
        "depends_on": _("Depends on"),
    }.get(name, name)


def measure_attributes(names) -> str:
    return ", ".join(dict.fromkeys(measure_attribute(n) for n in names))


def readiness(kind: str) -> str:
    return {
        "no_process": _("No strategy process has been set up yet."),
        "field_without_workshop": _("Action field without a held workshop"),
        "field_without_measure": _("Action field without an accepted measure"),
        "field_without_goals": _("Action field without measurable goals"),
        "field_too_many_goals": _("Action field with more than five goals"),
        "roadmap_short": _("The roadmap's last milestone does not reach the target year"),
        "need_without_measure": _("Need for action without an accepted measure"),
        "measure_without_lead": _("Accepted measure without a lead unit"),
        "measure_without_kpi": _("Accepted measure without a KPI"),
        "measure_without_timeframe": _("Accepted measure without a time frame"),
        "section_unwritten": _("Section not written yet"),
        "open_comments": _("Open review comments"),
        "no_fields": _("No action fields have been set up yet."),
        "no_measures": _("No measure has been accepted yet."),
    }.get(kind, kind)


def readiness_subjects(kind: str, subjects, titles: dict[str, str] | None = None) -> list[str]:
    """The subjects of a readiness gap in words: a section's title, not its key."""
    if kind != "section_unwritten":
        return list(subjects)
    titles = titles or {}
    return [section_title(key, titles.get(key, "")) for key in subjects]


def field_name(chapter, locale: str) -> str:
    return chapter.name_en if str(locale).startswith("en") and chapter.name_en else chapter.name_de
