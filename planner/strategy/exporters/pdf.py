"""PDF writer: WeasyPrint renders the HTML writer's page with its print CSS (A4, cover, running headers, page
numbers, bookmarks from the headings), tagged as PDF/UA-1, with the document's language and title; PDF/A-2b
for a city's archive (``write(outline, output, variant=ARCHIVE)``). Nothing is fetched from the network: only
data: URLs are allowed.

A very large paper is condensed by the outline (``planner.strategy.outline.is_condensed``): measures in tables
instead of fact sheets, findings counted instead of listed, and a notice that points to the complete exports.
"""

import gc
import warnings
from typing import BinaryIO

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from planner.strategy.exporters.html import ROOT, render
from planner.strategy.outline import Outline

PRINT_CSS = ROOT / "planner" / "static" / "css" / "paper-print.css"
ACCESSIBLE = "pdf/ua-1"
ARCHIVE = "pdf/a-2b"


def offline_fetcher() -> URLFetcher:
    return URLFetcher(allowed_protocols=("data",), timeout=1)


def write(outline: Outline, output: BinaryIO, *, variant: str = ACCESSIBLE,
          logo: tuple[bytes, str] | None = None) -> None:
    """``logo``: the city's logo (bytes, content type) for the cover."""
    html = HTML(string=render(outline, logo), url_fetcher=offline_fetcher(), media_type="print")
    print_css = CSS(filename=str(PRINT_CSS), url_fetcher=offline_fetcher())
    with warnings.catch_warnings():
        # WeasyPrint 70 opens its sRGB profile for PDF/A and never closes it: a warning that is not ours.
        warnings.simplefilter("ignore", ResourceWarning)
        html.write_pdf(output, stylesheets=[print_css], pdf_tags=True, pdf_variant=variant)
        if variant != ACCESSIBLE:
            gc.collect()
