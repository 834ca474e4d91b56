"""PDF: WeasyPrint renders the HTML export with its print CSS (cover, running headers, page numbers,
bookmarks from h1–h3). Nothing is fetched from the network: only data: URLs are allowed."""

from typing import BinaryIO

from weasyprint import HTML
from weasyprint.urls import URLFetcher

from planner.strategy.exporters.html import render
from planner.strategy.rollup import Rollup


def offline_fetcher() -> URLFetcher:
    return URLFetcher(allowed_protocols=("data",), timeout=1)


def export(rollup: Rollup, output: BinaryIO) -> None:
    html = HTML(string=render(rollup), url_fetcher=offline_fetcher(), media_type="print")
    html.write_pdf(output)
