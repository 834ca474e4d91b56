"""PDF: WeasyPrint renders the HTML export with its print CSS (cover, running headers, page numbers,
bookmarks from h1–h3). Nothing is fetched from the network: only data: URLs are allowed."""

from typing import BinaryIO

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from planner.strategy.exporters.html import ROOT, render
from planner.strategy.rollup import Rollup

PRINT_CSS = ROOT / "planner" / "static" / "css" / "paper-print.css"


def offline_fetcher() -> URLFetcher:
    return URLFetcher(allowed_protocols=("data",), timeout=1)


def export(rollup: Rollup, output: BinaryIO) -> None:
    html = HTML(string=render(rollup), url_fetcher=offline_fetcher(), media_type="print")
    print_css = CSS(filename=str(PRINT_CSS), url_fetcher=offline_fetcher())
    html.write_pdf(output, stylesheets=[print_css])
