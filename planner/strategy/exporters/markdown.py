"""Markdown: the paper as plain text with headings and pipe tables (for wikis, repositories, diffs)."""

from typing import BinaryIO

from flask_babel import force_locale
from flask_babel import gettext as _

from planner.strategy.exporters.html import PaperHelpers
from planner.strategy.rollup import Rollup


def _cell(value) -> str:
    return str(value if value not in (None, "") else "–").replace("|", "\\|").replace("\n", " ")


def _table(lines: list[str], caption: str, header: list[str], rows: list[list]) -> None:
    lines.append(f"*{caption}*")
    lines.append("")
    lines.append("| " + " | ".join(_cell(h) for h in header) + " |")
    lines.append("|" + "|".join("---" for _h in header) + "|")
    for row in rows:
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    lines.append("")


def render(rollup: Rollup) -> str:
    with force_locale(rollup.locale):
        return "\n".join(_lines(rollup, PaperHelpers(rollup))).rstrip() + "\n"


def _lines(r: Rollup, p: PaperHelpers) -> list[str]:
    out: list[str] = []
    add = out.append
    title = r.process.title or _("Strategic action concept")
    add(f"# {title}")
    add("")
    subtitle = _("Strategic action concept to %(year)s", year=r.process.target_year)
    if r.short:
        subtitle += " – " + _("Short version")
    version = _("Version %(number)s", number=r.version) if r.version else _("Draft")
    add(f"{r.process.city} · {subtitle} · {version}")
    add("")
    if r.readiness:
        add(f"## {_('Still missing')}")
        add("")
        for label, subjects in p.readiness():
            add(f"- {label}" + (": " + "; ".join(subjects) if subjects else ""))
        add("")
    for s in r.sections:
        if s.key in ("foreword", "vision"):
            add(f"## {p.section_title(s)}")
            add("")
            add(s.body.strip() or f"*{_('This section has not been written yet.')}*")
            add("")
    if not r.short:
        sp = r.starting_point
        add(f"## {_('Starting point')}")
        add("")
        intro = r.section("starting_point_intro")
        if intro and intro.body.strip():
            add(intro.body.strip())
            add("")
        add(f"### {_('The workshops')}")
        add("")
        if sp.workshops:
            _table(out, _("Workshops held with date, format and participation"),
                   [_("Workshop"), _("Date"), _("Format"), _("Action fields"), _("Accepted"), _("Attended")],
                   [[w.title, p.date(w.day), p.labels.workshop_format(w.format), ", ".join(w.field_codes), w.accepted,
                     w.attended] for w in sp.workshops])
        else:
            add(f"*{_('No workshop has been held yet.')}*")
            add("")
        add(f"### {_('Participants')}")
        add("")
        if sp.by_sector:
            _table(out, _("Participants by sector"), [_("Sector"), _("Accepted"), _("Attended")],
                   [[p.labels.sector(c.key), c.accepted, c.attended] for c in sp.by_sector])
        if sp.by_field:
            _table(out, _("Participants by action field"), [_("Action field"), _("Accepted"), _("Attended")],
                   [[p.field_name(c.key), c.accepted, c.attended] for c in sp.by_field])
        add(f"### {_('Citizen survey')}")
        add("")
        for s in sp.surveys:
            add(f"#### {s.title}" + (f" ({s.wave})" if s.wave else ""))
            add("")
            add(_("From %(start)s to %(end)s: %(participants)s participants, %(comments)s free-text comments.",
                  start=p.date(s.starts_on), end=p.date(s.ends_on), participants=p.num(s.participants),
                  comments=p.num(s.comments)))
            add("")
            if s.headline:
                _table(out, _("Key figures of the survey “%(title)s”", title=s.title), [_("Key figure"), _("Value")],
                       [list(h) for h in s.headline])
            for chart in s.charts:
                _table(out, chart.title, [_("Answer"), _("Value")],
                       [[c, p.value(v, chart.unit)] for c, v in zip(chart.categories, chart.values, strict=False)])
        if not sp.surveys:
            add(f"*{_('No citizen survey has been evaluated yet.')}*")
            add("")
    add(f"## {_('Action fields')}")
    add("")
    if r.priority_run:
        add(_("Priorities follow the prioritisation run “%(name)s” of %(date)s (formula: %(formula)s).",
              name=r.priority_run.name, date=p.datetime(r.priority_run.frozen_at), formula=r.priority_run.formula))
        add("")
    for f in r.fields:
        add(f"### {f.code} {p.field_name(f.code)}")
        add("")
        if p.field_description(f):
            add(p.field_description(f))
            add("")
        if f.priority:
            add(_("Priority rank %(rank)s (score %(score)s).", rank=f.priority.rank, score=p.num(f.priority.score)))
            add("")
        if not r.short:
            add(f"#### {_('Status quo')}")
            add("")
            for kind in ("strength", "weakness", "opportunity", "risk"):
                items = [i for i in f.status_quo if i.kind == kind]
                if items:
                    add(f"**{p.labels.swot_heading(kind)}**")
                    add("")
                    out.extend(f"- {i.number} {i.text}" for i in items)
                    add("")
            add(f"#### {_('Needs for action')}")
            add("")
            for n in f.needs:
                extra = f"; {_('answered by')} {', '.join(n.measure_numbers)}" if n.measure_numbers else ""
                add(f"- {n.number} {n.text} ({_('Source')}: {p.source(n.source)}{extra})")
            if not f.needs:
                add(f"*{_('No needs for action recorded.')}*")
            add("")
        add(f"#### {_('Top measures') if r.short else _('Measures')}")
        add("")
        for m in f.measures:
            add(f"##### {m.number} {m.title}")
            add("")
            if m.description:
                add(m.description)
                add("")
            rows = [
                [_("Goal"), m.goal], [_("Expected effect"), m.expected_effect], [_("Lead unit"), m.lead_unit],
                [_("Partners"), m.partners], [_("Funding"), p.labels.funding(m.funding)],
                [_("Cost estimate"), m.cost_estimate], [_("Priority"), p.labels.priority(m.priority)],
                [_("Time frame"), p.years(m.start_year, m.end_year)], [_("Smart City Index area"), m.bitkom_area],
                [_("Answers the needs"), ", ".join(m.need_numbers)], [_("Depends on"), ", ".join(m.depends_on)],
                [_("KPIs"), "; ".join(
                    f"{k.indicator} ({k.unit}): {k.baseline or '–'} → {k.target_value or '–'}"
                    + (f" ({k.target_year})" if k.target_year else "") for k in m.kpis)],
                [_("Official answer"), m.official_answer],
            ]
            _table(out, _("Fact sheet %(number)s", number=m.number), [_("Item"), _("Value")], rows)
        if not f.measures:
            add(f"*{_('No measure has been accepted in this field yet.')}*")
            add("")
    if not r.short:
        add(f"## {_('Prioritised overview of the measures')}")
        add("")
        _table(out, _("All accepted measures in order of priority"),
               [_("Rank"), _("Number"), _("Measure"), _("Action field"), _("Priority"), _("Time frame")],
               [[o.rank, o.number, o.title, o.field_code, p.labels.priority(o.priority),
                 p.years(o.start_year, o.end_year)] for o in r.overview])
    add(f"## {_('Roadmap to %(year)s', year=r.process.target_year)}")
    add("")
    for stage in r.roadmap:
        add(f"### {_('Milestone %(year)s', year=stage.year)}")
        add("")
        if stage.entries:
            _table(out, _("Measures completed by %(year)s", year=stage.year),
                   [_("Number"), _("Measure"), _("Action field"), _("Start"), _("End")],
                   [[e.number, e.title, e.field_code, e.start_year, e.end_year] for e in stage.entries])
        else:
            add(_("No measure ends in this period."))
            add("")
    if r.unscheduled:
        add(f"### {_('Without a time frame')}")
        add("")
        out.extend(f"- {e.number} {e.title}" for e in r.unscheduled)
        add("")
    if not r.short:
        add(f"## {_('Dependencies between measures')}")
        add("")
        if r.dependencies:
            codes, rows = p.matrix()
            _table(out, _("Number of dependencies: measures of the row field depend on measures of the column field"),
                   ["", *codes], [[codes[i], *[n or "" for n in row]] for i, row in enumerate(rows)])
        else:
            add(_("No dependencies between measures have been recorded."))
            add("")
        for s in p.other_sections():
            add(f"## {p.section_title(s)}")
            add("")
            add(s.body.strip() or f"*{_('This section has not been written yet.')}*")
            add("")
        add(f"## {_('Annex')}")
        add("")
        add(f"### {_('Workshop documentation')}")
        add("")
        for w in r.annex.workshops:
            add(f"#### {w.title} ({p.date(w.day)})")
            add("")
            for b in w.blocks:
                add(f"**{b.title or _('Without agenda block')}**")
                add("")
                out.extend(f"- {i.number} {p.labels.finding_kind(i.kind)}: {i.text}" for i in b.findings)
                add("")
        add(f"### {_('Participating organisations')}")
        add("")
        if r.annex.organisations:
            _table(out, _("Organisations and the people who agreed to be named"),
                   [_("Organisation"), _("Sector"), _("People")],
                   [[o.name, p.labels.sector(o.sector), ", ".join(o.people)] for o in r.annex.organisations])
        add(f"### {_('Sources of the measures')}")
        add("")
        for s in r.annex.sources:
            add(f"**{s.number} {s.title}**")
            add("")
            out.extend(f"- {n.number} {n.text} – {p.source(n.source)}" for n in s.needs)
            add("")
    return out


def export(rollup: Rollup, output: BinaryIO) -> None:
    output.write(render(rollup).encode("utf-8"))
