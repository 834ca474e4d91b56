"""Charts of the paper: accessible inline SVG for HTML/PDF, PNG (matplotlib, Agg) for DOCX.

Every chart comes with the same data as a table in each export (the exporters render it).
Call the builders inside ``force_locale(rollup.locale)``: titles are translated.
"""

from __future__ import annotations

import io
from html import escape

from flask_babel import gettext as _

from planner.strategy import labels
from planner.strategy.rollup import Chart, Rollup

PALETTE = ("#1d4e89", "#2a7f62", "#b5541c", "#6b3fa0", "#a0204a", "#3c6e71", "#7a6a00")


def participation_charts(rollup: Rollup) -> tuple[Chart, ...]:
    sp = rollup.starting_point
    charts = []
    if sp.by_sector:
        charts.append(Chart(
            title=_("Participants by sector"),
            description=_("Experts who accepted an invitation, by the sector of their organisation."),
            unit="count",
            categories=tuple(labels.sector(c.key) for c in sp.by_sector),
            values=tuple(float(c.accepted) for c in sp.by_sector),
        ))
    if sp.by_field and any(c.accepted for c in sp.by_field):
        names = {f.code: labels.field_name(f, rollup.locale) for f in rollup.fields}
        charts.append(Chart(
            title=_("Participants by action field"),
            description=_("Experts who accepted an invitation to a workshop of the action field."),
            unit="count",
            categories=tuple(names.get(c.key, c.key) for c in sp.by_field),
            values=tuple(float(c.accepted) for c in sp.by_field),
        ))
    return tuple(charts)


def format_value(value: float, unit: str, locale: str) -> str:
    from babel.numbers import format_decimal

    if unit == "percent":
        return format_decimal(value, format="#,##0.#", locale=locale) + " %"
    if unit == "mean":
        return format_decimal(value, format="#,##0.00", locale=locale)
    return format_decimal(value, format="#,##0.#", locale=locale)


def svg_bar_chart(chart: Chart, chart_id: str, locale: str = "de") -> str:
    """Horizontal bars; role=img with <title>/<desc>; the data table follows in the document."""
    bar_h, gap, label_w, width = 22, 8, 260, 640
    n = max(len(chart.values), 1)
    height = n * (bar_h + gap) + gap + 10
    top = max(chart.values, default=0) or 1
    if chart.unit == "percent":
        top = max(top, 100)
    plot_w = width - label_w - 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-title {chart_id}-desc" class="paper-chart">',
        f'<title id="{chart_id}-title">{escape(chart.title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(chart.description)}</desc>',
    ]
    for i, (category, value) in enumerate(zip(chart.categories, chart.values, strict=False)):
        y = gap + i * (bar_h + gap)
        w = max(1.0, plot_w * value / top)
        label = category if len(category) <= 38 else category[:36] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h * 0.7:.1f}" text-anchor="end" font-size="12" '
            f'fill="#1a1a1a">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h * 0.7:.1f}" font-size="12" fill="#1a1a1a">'
            f'{escape(format_value(value, chart.unit, locale))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


TIMELINE_MAX_ROWS = 60


def timeline_rows(rollup: Rollup):
    """(label, title, field_code, start, end) of every scheduled measure, by start year.

    With more than ``TIMELINE_MAX_ROWS`` measures one bar per action field (its earliest start to its latest
    end, labelled with the field code and the number of measures) keeps the chart readable and its size
    bounded; the roadmap tables beside it still list every measure."""
    rows = []
    for stage in rollup.roadmap:
        for e in stage.entries:
            start = e.start_year or e.end_year
            end = e.end_year or e.start_year
            rows.append((e.number, e.title, e.field_code, start, end))
    if len(rows) > TIMELINE_MAX_ROWS:
        spans: dict[str, list[int]] = {}
        for _number, _title, code, start, end in rows:
            span = spans.setdefault(code, [start, end, 0])
            span[0], span[1], span[2] = min(span[0], start), max(span[1], end), span[2] + 1
        order = {f.code: i for i, f in enumerate(rollup.fields)}
        rows = [(f"{code} ({n})", code, code, start, end)
                for code, (start, end, n) in sorted(spans.items(), key=lambda kv: order.get(kv[0], 99))]
        return rows
    rows.sort(key=lambda r: (r[3], r[4], r[0]))
    return rows


def svg_timeline(rollup: Rollup, chart_id: str = "roadmap-chart") -> str:
    rows = timeline_rows(rollup)
    first = min([r[3] for r in rows] + [min(rollup.process.milestone_years or (2025,)) - 3])
    last = max([r[4] for r in rows] + [rollup.process.target_year])
    label_w, width, row_h = 110, 680, 18
    plot_w = width - label_w - 20
    span = max(last - first + 1, 1)
    height = 30 + max(len(rows), 1) * row_h + 10
    colours = {f.code: f.colour for f in rollup.fields}

    def x(year: float) -> float:
        return label_w + plot_w * (year - first) / span

    title = _("Roadmap to %(year)s", year=rollup.process.target_year)
    desc = _("Time frame of each accepted measure from its start to its end year; milestones as vertical lines.")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-title {chart_id}-desc" class="paper-chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for year in rollup.process.milestone_years:
        parts.append(
            f'<line x1="{x(year + 1):.1f}" y1="18" x2="{x(year + 1):.1f}" y2="{height - 5}" stroke="#6b6b6b" '
            f'stroke-dasharray="3 3"/><text x="{x(year + 1):.1f}" y="13" font-size="11" text-anchor="middle" '
            f'fill="#1a1a1a">{year}</text>'
        )
    for i, (number, _title, code, start, end) in enumerate(rows):
        y = 26 + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 11}" font-size="11" text-anchor="end" fill="#1a1a1a">'
            f'{escape(number)}</text><rect x="{x(start):.1f}" y="{y + 2}" width="{x(end + 1) - x(start):.1f}" '
            f'height="{row_h - 5}" fill="{escape(colours.get(code, PALETTE[0]))}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


# --- PNG for DOCX ---------------------------------------------------------------------------------------------

def _pyplot():
    try:
        import matplotlib
    except ImportError:  # the DOCX then carries the data tables only
        return None
    matplotlib.use("Agg")
    from matplotlib import pyplot

    return pyplot


def png_bar_chart(chart: Chart, locale: str = "de") -> bytes | None:
    plt = _pyplot()
    if plt is None or not chart.values:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 0.45 * len(chart.values) + 1.0), dpi=150)
    try:
        y = list(range(len(chart.values)))[::-1]
        ax.barh(y, chart.values, color=[PALETTE[i % len(PALETTE)] for i in range(len(chart.values))])
        ax.set_yticks(y, [c if len(c) <= 40 else c[:38] + "…" for c in chart.categories], fontsize=8)
        for yy, value in zip(y, chart.values, strict=False):
            ax.text(value, yy, " " + format_value(value, chart.unit, locale), va="center", fontsize=8)
        ax.set_title(chart.title, fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", metadata={"Software": None})
        return out.getvalue()
    finally:
        plt.close(fig)


def png_timeline(rollup: Rollup) -> bytes | None:
    plt = _pyplot()
    rows = timeline_rows(rollup)
    if plt is None or not rows:
        return None
    colours = {f.code: f.colour for f in rollup.fields}
    fig, ax = plt.subplots(figsize=(6.4, 0.22 * len(rows) + 1.2), dpi=150)
    try:
        for i, (_number, _title, code, start, end) in enumerate(rows):
            ax.barh(len(rows) - i, end - start + 1, left=start, color=colours.get(code, PALETTE[0]))
        ax.set_yticks([len(rows) - i for i in range(len(rows))], [r[0] for r in rows], fontsize=6)
        for year in rollup.process.milestone_years:
            ax.axvline(year + 1, color="#6b6b6b", linestyle="--", linewidth=0.8)
        ax.set_xticks([y + 1 for y in rollup.process.milestone_years], [str(y) for y in rollup.process.milestone_years])
        ax.set_title(_("Roadmap to %(year)s", year=rollup.process.target_year), fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", metadata={"Software": None})
        return out.getvalue()
    finally:
        plt.close(fig)
