"""Accessible charts: the data (ChartData, shared with the concept paper) and an SVG bar chart of it.

The SVG carries <title> and <desc>, writes each value as text next to its bar (colour is never the only
carrier), and the pages show the same data as a table beside it.
"""

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from markupsafe import Markup, escape

from planner.surveys.facts import ChartData
from planner.surveys.models import QuestionKind
from planner.surveys.results import QuestionResult, top_rows


def chart_for(result: QuestionResult) -> ChartData | None:
    """One question's chart: shares for choices, the distribution for ratings, average ranks for rankings."""
    if not result.answered:
        return None
    if result.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.DEMOGRAPHIC):
        rows = top_rows(result) if result.kind == QuestionKind.MULTIPLE else list(result.rows)
        if result.kind == QuestionKind.MULTIPLE:
            description = _("Share of all %(n)s complete responses that ticked the option (several answers "
                            "possible).", n=format_decimal(result.n))
        else:
            description = _("Share of the %(answered)s respondents who answered the question (of %(n)s complete "
                            "responses), per answer option.", answered=format_decimal(result.answered),
                            n=format_decimal(result.n))
        return ChartData(
            title=result.text,
            description=description,
            unit="percent",
            categories=tuple(r.label for r in rows),
            values=tuple((r.share or 0) * 100.0 for r in rows),  # unrounded: one rounding, in format_value
        )
    if result.kind == QuestionKind.RATING:
        return ChartData(
            title=result.text,
            description=_(
                "Distribution of the ratings from 1 to %(scale)s in percent of the %(answered)s respondents who "
                "answered; mean %(mean)s.",
                scale=result.scale, mean=format_decimal(result.mean or 0, "0.0"),
                answered=format_decimal(result.answered),
            ),
            unit="percent",
            categories=tuple(r.label for r in result.rows),
            values=tuple((r.share or 0) * 100.0 for r in result.rows),
        )
    if result.kind == QuestionKind.RANKING:
        return ChartData(
            title=result.text,
            description=_(
                "Average rank per option (1 = most important; lower is better), n = %(answered)s.",
                answered=result.answered,
            ),
            unit="mean",
            categories=tuple(r.label for r in result.rows),
            values=tuple(round(r.mean, 2) if r.mean is not None else 0.0 for r in result.rows),
        )
    return None


def ratings_chart(survey, results: list[QuestionResult]) -> ChartData | None:
    """All rating questions linked to action fields in one chart of means (the citizens' importance)."""
    by_key = {q.key: q for q in survey.questions}
    rows = [
        (by_key[r.key].field.name if by_key[r.key].field is not None else r.text, r.mean)
        for r in results
        if r.kind == QuestionKind.RATING and r.mean is not None and by_key[r.key].field_id is not None
    ]
    if len(rows) < 2:
        return None
    rows.sort(key=lambda item: -item[1])
    scale = max(r.scale or 5 for r in results if r.kind == QuestionKind.RATING)
    return ChartData(
        title=_("Importance of the action fields (mean rating)"),
        description=_("Mean rating per action field on a scale from 1 to %(scale)s, highest first.", scale=scale),
        unit="mean",
        categories=tuple(label for label, _m in rows),
        values=tuple(round(mean, 2) for _l, mean in rows),
    )


def breakdown_chart(question_text: str, by_text: str, groups, option: str | None = None) -> ChartData | None:
    """One bar per group: the mean rating, the average rank of an option, or an option's share (of those who
    answered; for tick boxes of all complete responses in the group)."""
    if not groups:
        return None
    first = groups[0].result
    if first.kind == QuestionKind.RATING:
        return ChartData(
            title=_("%(question)s by %(by)s", question=question_text, by=by_text),
            description=_("Mean rating from 1 to %(scale)s per group.", scale=first.scale),
            unit="mean", categories=tuple(g.label for g in groups),
            values=tuple(round(g.result.mean, 2) if g.result.mean is not None else 0.0 for g in groups))
    labels = [row.label for row in first.rows]
    if not labels:
        return None
    option = option if option in labels else max(
        labels, key=lambda label: sum(r.count for g in groups for r in g.result.rows if r.label == label))

    def row_of(group):
        return next((r for r in group.result.rows if r.label == option), None)

    if first.kind == QuestionKind.RANKING:
        return ChartData(
            title=_("%(question)s by %(by)s", question=question_text, by=by_text),
            description=_("Average rank of “%(option)s” per group (1 = most important).", option=option),
            unit="mean", categories=tuple(g.label for g in groups),
            values=tuple(round(r.mean, 2) if (r := row_of(g)) and r.mean is not None else 0.0 for g in groups))
    base = (_("of all complete responses in the group") if first.kind == QuestionKind.MULTIPLE
            else _("of those in the group who answered"))
    return ChartData(
        title=_("%(question)s by %(by)s", question=question_text, by=by_text),
        description=_("Share of “%(option)s” per group, %(base)s.", option=option, base=base),
        unit="percent", categories=tuple(g.label for g in groups),
        values=tuple(((r.share or 0) if (r := row_of(g)) else 0) * 100.0 for g in groups))


def charts_for(survey, results: list[QuestionResult]) -> list[ChartData]:
    charts = []
    combined = ratings_chart(survey, results)
    if combined:
        charts.append(combined)
    by_key = {q.key: q for q in survey.questions}
    for result in results:
        if result.kind == QuestionKind.RATING and combined and by_key[result.key].field_id is not None:
            continue
        if result.kind == QuestionKind.DEMOGRAPHIC:
            continue
        chart = chart_for(result)
        if chart:
            charts.append(chart)
    return charts


def format_value(value: float, unit: str) -> str:
    if unit == "percent":
        # Whole per cent, as the key figures and the concept paper show the same share: one figure everywhere.
        return format_percent(value / 100)
    if unit == "mean":
        return format_decimal(value, "0.00")
    return format_decimal(value, "#,##0")


def svg_bar_chart(chart: ChartData, chart_id: str, width: int = 640) -> Markup:
    """A horizontal bar chart; the value is written next to every bar."""
    bar_height, gap, label_width, value_width, top = 22, 10, 230, 80, 8
    count = len(chart.categories)
    height = top * 2 + count * (bar_height + gap)
    plot_width = width - label_width - value_width
    maximum = max([*chart.values, 0.0]) or 1.0
    if chart.unit == "percent":
        maximum = max(maximum, 100.0) if maximum > 60 else maximum
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="survey-chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" focusable="false">',
        f'<title id="{title_id}">{escape(chart.title)}</title>',
        f'<desc id="{desc_id}">{escape(chart.description)}</desc>',
    ]
    for i, (label, value) in enumerate(zip(chart.categories, chart.values, strict=True)):
        y = top + i * (bar_height + gap)
        bar = max(1.0, plot_width * (value / maximum)) if value else 0.0
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(
            f'<g class="survey-chart__row"><text x="{label_width - 8}" y="{y + bar_height * 0.7:.1f}" '
            f'text-anchor="end" class="survey-chart__label">{escape(short)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{bar:.1f}" height="{bar_height}" class="survey-chart__bar" '
            f'fill="#1d4e89"></rect>'
            f'<text x="{label_width + bar + 6:.1f}" y="{y + bar_height * 0.7:.1f}" class="survey-chart__value">'
            f"{escape(format_value(value, chart.unit))}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # nosec B704 - every text part above went through escape()
