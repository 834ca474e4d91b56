"""The progress report (Umsetzungsbericht) as an outline the paper's writers render: from a frozen snapshot,
compared with the previous report. Labels and numbers are made here in the report's language."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import BinaryIO

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from planner.monitoring.models import ActionStatus
from planner.strategy.exporters import FORMATS, writer
from planner.strategy.outline import (
    LANGUAGES,
    BulletList,
    Formatter,
    Heading,
    KeyFigures,
    Outline,
    Paragraph,
    Table,
)

REPORT_FORMATS = ("docx", "pdf", "md")


def _field_name(item: dict, language: str) -> str:
    return (item["field_name_en"] if language == "en" and item.get("field_name_en") else item["field_name_de"])


def build_report_outline(snapshot: dict, previous: dict | None, *, period: str, city: str, target_year: int,
                         language: str = "de") -> Outline:
    language = language if language in LANGUAGES else "de"
    with force_locale(language):
        return _build(snapshot, previous, period, city, target_year, language)


class _RememberingFormatter(Formatter):
    """The outline's formatter, remembering what it formatted: a report's thousands of KPI rows repeat the same
    quarter days, percentages and round numbers, and Babel formats each anew."""

    def __init__(self, language: str):
        super().__init__(language)
        self._seen: dict = {}

    def _remember(self, kind, value, make):
        key = (kind, type(value), value)
        if key not in self._seen:
            self._seen[key] = make(value)
        return self._seen[key]

    def number(self, value, digits: int = 2) -> str:
        return self._remember(("number", digits), value, lambda v: super(_RememberingFormatter, self).number(v, digits))

    def percent(self, share) -> str:
        return self._remember("percent", share, super().percent)

    def date(self, value):
        return self._remember("date", value, super().date)


def _build(snapshot, previous, period, city, target_year, language) -> Outline:
    f = _RememberingFormatter(language)
    blocks: list = []
    actions = snapshot["actions"]
    before = {a["measure_id"]: a for a in (previous or {}).get("actions", [])}

    def heading(level, text, anchor):
        blocks.append(Heading(level, text, anchor))

    heading(1, _("Summary"), "summary")
    blocks.append(Paragraph(_("The state of implementation on %(date)s.",
                              date=f.date(date.fromisoformat(snapshot["taken_on"])))))
    counts = Counter(a["status"] for a in actions)
    blocks.append(KeyFigures(_("Measures by status"), tuple(
        (f.count(counts.get(s.value, 0)), s.label) for s in ActionStatus)))
    if previous:
        changed = [a for a in actions if a["measure_id"] in before
                   and before[a["measure_id"]]["status"] != a["status"]]
        added = [a for a in actions if a["measure_id"] not in before]
        since = f.date(date.fromisoformat(previous["taken_on"]))
        blocks.append(Paragraph(ngettext(
            "Since the previous report (%(date)s) %(count)s measure has changed its status.",
            "Since the previous report (%(date)s) %(count)s measures have changed their status.", len(changed),
            count=f.count(len(changed)), date=since) if changed else
            _("Since the previous report (%(date)s) no measure has changed its status.", date=since)))
        if added:
            blocks.append(Paragraph(ngettext("%(count)s measure is monitored for the first time.",
                                             "%(count)s measures are monitored for the first time.", len(added),
                                             count=f.count(len(added)))))
    else:
        blocks.append(Paragraph(_("This is the first progress report."), role="note"))
    attention = [a for a in actions if a["status"] in ("delayed", "at_risk") or a["late_tasks"]]
    if attention:
        blocks.append(BulletList(tuple(
            _("%(number)s %(title)s: %(status)s", number=a["number"], title=a["title"],
              status=ActionStatus(a["status"]).label)
            + (" – " + ngettext("%(count)s task overdue", "%(count)s tasks overdue", a["late_tasks"],
                                count=f.count(a["late_tasks"])) if a["late_tasks"] else "")
            for a in attention), title=_("Needs attention")))

    heading(1, _("Measures by action field"), "fields")
    fields: dict[str, list[dict]] = {}
    for a in actions:
        fields.setdefault(a["field_code"], []).append(a)
    if not actions:
        blocks.append(Paragraph(_("No measure is monitored yet."), role="missing"))
    for code, items in fields.items():
        heading(2, _field_name(items[0], language), f"field-{code}")
        rows = []
        for a in items:
            old = before.get(a["measure_id"])
            change = "–"
            if old is not None and old["status"] != a["status"]:
                change = _("%(old)s → %(new)s", old=ActionStatus(old["status"]).label,
                           new=ActionStatus(a["status"]).label)
            elif old is not None and old["progress"] != a["progress"]:
                change = _("%(old)s → %(new)s", old=f.percent(old["progress"] / 100),
                           new=f.percent(a["progress"] / 100))
            elif previous and old is None:
                change = _("new")
            rows.append((f"{a['number']} {a['title']}".strip(), ActionStatus(a["status"]).label,
                         f.percent(a["progress"] / 100), change, a["responsible_unit"] or "–"))
        blocks.append(Table(_("Measures of the field"), (_("Measure"), _("Status"), _("Progress"),
                                                         _("Since the previous report"), _("Responsible")),
                            tuple(rows), numeric=(False, False, True, False, False)))
        for a in items:
            if a["last_update"]:
                blocks.append(Paragraph(_("%(number)s, update of %(date)s: %(text)s", number=a["number"],
                                          date=f.date(date.fromisoformat(a["last_update_on"])),
                                          text=a["last_update"])))

    heading(1, _("Key performance indicators"), "kpis")
    # One table per action field: a city's thousands of KPIs stay readable (and each table stays small enough for
    # the DOCX writer, which moves a large table in more than linear time).
    with_kpis = [(code, items) for code, items in fields.items() if any(a["kpis"] for a in items)]
    for code, items in with_kpis:
        if len(with_kpis) > 1:
            heading(2, _field_name(items[0], language), f"kpis-{code}")
        blocks.append(Table(_("KPIs with their latest value"), (
            _("Measure"), _("Indicator"), _("Baseline"), _("Latest value"), _("Target"), _("Measured on")), tuple(
            (a["number"], f"{k['indicator']}" + (f" ({k['unit']})" if k["unit"] else ""), f.number(k["baseline"]),
             f.number(k["latest_value"]), f.number(k["target_value"]) + (f" ({k['target_year']})"
                                                                          if k["target_year"] else ""),
             f.date(date.fromisoformat(k["latest_on"])) if k["latest_on"] else "–")
            for a in items for k in a["kpis"]), numeric=(False, False, True, True, True, False)))
    if not with_kpis:
        blocks.append(Paragraph(_("No KPI has been defined yet."), role="missing"))

    heading(1, _("How well the measures are tracked"), "quality")
    blocks.append(Paragraph(_(
        "Each measure scores one point for each of: a contact person, a status update within six months, a KPI "
        "value from the last twelve months and a dated next task (at most four points).")))
    blocks.append(Table(_("Measures by tracking score"), (_("Score"), _("Measures")), tuple(
        (_("%(score)s of 4", score=score), f.count(sum(1 for a in actions if a["quality"] == score)))
        for score in range(4, -1, -1)), numeric=(False, True)))

    return Outline.from_blocks(
        language=language, edition="long", condensed=False, city=city,
        title=_("Progress report %(period)s", period=period),
        subtitle=_("Implementation of the smart city strategy to %(year)s", year=target_year), version_label=period,
        blocks=blocks, target_year=target_year,
    )


def write_report(outline: Outline, code: str, output: BinaryIO) -> None:
    if code not in REPORT_FORMATS:
        raise KeyError(code)
    if code == "docx":
        from planner.city.services import paper_template

        writer("docx")(outline, output, template=paper_template())
        return
    writer(code)(outline, output)


def report_filename(period: str, code: str, language: str = "de") -> str:
    safe = "".join(ch if ch.isalnum() else "-" for ch in period).strip("-") or "Bericht"
    suffix = "" if language == "de" else f"-{language}"
    return f"Umsetzungsbericht-{safe}{suffix}.{FORMATS[code].extension}"


def export_report(report, code: str, output: BinaryIO, language: str = "de") -> None:
    """A stored progress report in ``code`` (docx | pdf | md): the CLI and the download share this."""
    from planner.core.identity import city_name
    from planner.fields.models import StrategyProcess
    from planner.monitoring.services import load_snapshot, previous_report

    process = StrategyProcess.current()
    outline = build_report_outline(load_snapshot(report), load_snapshot(previous_report(report)),
                                   period=report.period, city=city_name(),
                                   target_year=process.target_year if process else 2040, language=language)
    write_report(outline, code, output)
