"""PDF: WeasyPrint renders the HTML export with its print CSS (cover, running headers, page numbers,
bookmarks from h1–h3). Nothing is fetched from the network: only data: URLs are allowed.

A very large paper (a metropolis: thousands of measures, tens of thousands of findings) would print to
thousands of pages, which nobody reads on paper and WeasyPrint lays out at roughly ten pages a second.
Above the limits below the PDF is a condensed print edition: measures in tables instead of fact sheets,
findings counted instead of listed, and a notice that points to the complete Word, HTML and JSON exports.
"""

from typing import BinaryIO

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from planner.strategy.exporters.html import ROOT, render
from planner.strategy.rollup import Rollup

PRINT_CSS = ROOT / "planner" / "static" / "css" / "paper-print.css"
# A city's paper (hundreds of measures, a few thousand findings) still prints in full, in well under a minute.
PRINT_LIMIT_MEASURES = 400
PRINT_LIMIT_FINDINGS = 10_000  # printed: field chapters plus the workshop annex


def offline_fetcher() -> URLFetcher:
    return URLFetcher(allowed_protocols=("data",), timeout=1)


def is_condensed(rollup: Rollup) -> bool:
    """Whether the PDF of this paper is the condensed print edition (never for the short version)."""
    if rollup.short:
        return False
    printed_findings = rollup.finding_count() + sum(w.finding_count for w in rollup.annex.workshops)
    return len(rollup.measures()) > PRINT_LIMIT_MEASURES or printed_findings > PRINT_LIMIT_FINDINGS


def export(rollup: Rollup, output: BinaryIO) -> None:
    html = HTML(string=render(rollup, condensed=is_condensed(rollup)), url_fetcher=offline_fetcher(),
                media_type="print")
    print_css = CSS(filename=str(PRINT_CSS), url_fetcher=offline_fetcher())
    html.write_pdf(output, stylesheets=[print_css])
