"""PDF: WeasyPrint renders the HTML export with its print CSS (cover, running headers, page numbers,
bookmarks from h1–h3). Nothing is fetched from the network: only data: URLs are allowed.

A very large paper (a metropolis: thousands of measures, tens of thousands of findings) would print to
thousands of pages, which nobody reads on paper and WeasyPrint lays out at roughly ten pages a second.
Above the limits in exporters.html the PDF is a condensed print edition: measures in tables instead of fact
sheets, findings counted instead of listed, and a notice that points to the complete Word, HTML and JSON exports.
"""

from typing import BinaryIO

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from planner.strategy.exporters.html import ROOT, is_condensed, render
from planner.strategy.rollup import Rollup

PRINT_CSS = ROOT / "planner" / "static" / "css" / "paper-print.css"


def offline_fetcher() -> URLFetcher:
    return URLFetcher(allowed_protocols=("data",), timeout=1)


def export(rollup: Rollup, output: BinaryIO) -> None:
    html = HTML(string=render(rollup, condensed=is_condensed(rollup)), url_fetcher=offline_fetcher(),
                media_type="print")
    print_css = CSS(filename=str(PRINT_CSS), url_fetcher=offline_fetcher())
    html.write_pdf(output, stylesheets=[print_css])
