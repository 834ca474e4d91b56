"""Drawing the outline's figures: accessible inline SVG for HTML/PDF, PNG (matplotlib, Agg) for DOCX.

A figure block already holds everything in the paper's language (title, alt text, the value written next to
each bar, its data table); these functions only draw it.
"""

from __future__ import annotations

import io
from html import escape

from planner.strategy.outline import PALETTE, Figure


def svg(figure: Figure, chart_id: str | None = None) -> str:
    return (svg_timeline if figure.kind == "timeline" else svg_bars)(figure, chart_id or figure.anchor)


def _open(chart_id: str, width: int, height: int, figure: Figure) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-title {chart_id}-desc" class="paper-chart">',
        f'<title id="{chart_id}-title">{escape(figure.title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(figure.alt)}</desc>',
    ]


def svg_bars(figure: Figure, chart_id: str) -> str:
    """Horizontal bars with the value written next to each (colour is never the only carrier)."""
    bar_h, gap, label_w, width = 22, 8, 260, 640
    height = max(len(figure.bars), 1) * (bar_h + gap) + gap + 10
    top = figure.maximum or 1
    plot_w = width - label_w - 70
    parts = _open(chart_id, width, height, figure)
    for i, bar in enumerate(figure.bars):
        y = gap + i * (bar_h + gap)
        w = max(1.0, plot_w * bar.value / top) if bar.value else 0.0
        label = bar.label if len(bar.label) <= 38 else bar.label[:36] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h * 0.7:.1f}" text-anchor="end" font-size="12" '
            f'fill="#1a1a1a">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{escape(bar.colour)}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h * 0.7:.1f}" font-size="12" fill="#1a1a1a">'
            f"{escape(bar.text)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def svg_timeline(figure: Figure, chart_id: str) -> str:
    label_w, width, row_h = 110, 680, 18
    plot_w = width - label_w - 20
    first, last = figure.first_year, figure.last_year
    span = max(last - first + 1, 1)
    height = 30 + max(len(figure.spans), 1) * row_h + 10

    def x(year: float) -> float:
        return label_w + plot_w * (year - first) / span

    parts = _open(chart_id, width, height, figure)
    for year in figure.marks:
        parts.append(
            f'<line x1="{x(year + 1):.1f}" y1="18" x2="{x(year + 1):.1f}" y2="{height - 5}" stroke="#6b6b6b" '
            f'stroke-dasharray="3 3"/><text x="{x(year + 1):.1f}" y="13" font-size="11" text-anchor="middle" '
            f'fill="#1a1a1a">{year}</text>'
        )
    for i, s in enumerate(figure.spans):
        y = 26 + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 11}" font-size="11" text-anchor="end" fill="#1a1a1a">'
            f'{escape(s.label)}</text><rect x="{x(s.start):.1f}" y="{y + 2}" width="{x(s.end + 1) - x(s.start):.1f}" '
            f'height="{row_h - 5}" fill="{escape(s.colour)}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


# --- PNG for DOCX ---------------------------------------------------------------------------------------------

def _figure_class():
    """matplotlib's Figure (object-oriented, drawn by Agg): pyplot and its global state are not needed, and
    importing pyplot took longer than drawing the figures."""
    try:
        from matplotlib.figure import Figure as MatplotlibFigure
    except ImportError:  # the DOCX then carries the data tables only
        return None
    return MatplotlibFigure


def png(figure: Figure) -> bytes | None:
    figure_class = _figure_class()
    if figure_class is None or not (figure.bars or figure.spans):
        return None
    if figure.kind == "timeline":
        fig = figure_class(figsize=(6.4, 0.22 * len(figure.spans) + 1.2), dpi=150)
    else:
        fig = figure_class(figsize=(6.4, 0.45 * len(figure.bars) + 1.0), dpi=150)
    ax = fig.subplots()
    try:
        if figure.kind == "timeline":
            n = len(figure.spans)
            for i, s in enumerate(figure.spans):
                ax.barh(n - i, s.end - s.start + 1, left=s.start, color=s.colour)
            ax.set_yticks([n - i for i in range(n)], [s.label for s in figure.spans], fontsize=6)
            for year in figure.marks:
                ax.axvline(year + 1, color="#6b6b6b", linestyle="--", linewidth=0.8)
            ax.set_xticks([y + 1 for y in figure.marks], [str(y) for y in figure.marks])
        else:
            y = list(range(len(figure.bars)))[::-1]
            ax.barh(y, [b.value for b in figure.bars], color=[b.colour or PALETTE[0] for b in figure.bars])
            ax.set_yticks(y, [b.label if len(b.label) <= 40 else b.label[:38] + "…" for b in figure.bars], fontsize=8)
            for yy, bar in zip(y, figure.bars, strict=False):
                ax.text(bar.value, yy, " " + bar.text, va="center", fontsize=8)
        ax.set_title(figure.title, fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", metadata={"Software": None})
        return out.getvalue()
    finally:
        fig.clear()
