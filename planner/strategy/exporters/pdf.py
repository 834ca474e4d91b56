"""PDF writer: WeasyPrint renders the HTML writer's page with its print CSS (A4, cover, running headers, page
numbers, bookmarks from the headings), tagged as PDF/UA-1, with the document's language and title; PDF/A-2b
for a city's archive (``write(outline, output, variant=ARCHIVE)``). Nothing is fetched from the network: only
data: URLs are allowed.

A very large paper is condensed by the outline (``planner.strategy.outline.is_condensed``): measures in tables
instead of fact sheets, findings counted instead of listed, and a notice that points to the complete exports.

What keeps a metropolis's print edition (a few hundred pages of tables) within time and memory (issue 13,
bench/notes.md): tables are laid out with fixed column widths (``html.column_widths``); Python's cyclic
garbage collector is paused while WeasyPrint builds millions of short-lived objects it would otherwise scan
again and again; the PDF's page references are computed once per page instead of once per tagged element.
"""

import gc
import warnings
from typing import BinaryIO

import pydyf
from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.urls import URLFetcher

from planner.core.collector import collector_paused
from planner.strategy.exporters.html import ROOT, render
from planner.strategy.outline import Outline

PRINT_CSS = ROOT / "planner" / "static" / "css" / "paper-print.css"
ACCESSIBLE = "pdf/ua-1"
ARCHIVE = "pdf/a-2b"


def _page_references_once() -> None:
    """pydyf's ``PDF.page_references`` builds the tuple of every page's reference on each use, and WeasyPrint's
    tagging uses it for each structure element: quadratic in a paper of 600 pages and 200,000 elements. The same
    tuple is kept while the number of pages is unchanged (pages are only ever appended)."""
    build = getattr(pydyf.PDF, "page_references", None)
    if not isinstance(build, property) or getattr(build.fget, "planner_cached", False):
        return

    def page_references(pdf):
        count = len(pdf.pages["Kids"])
        cached = pdf.__dict__.get("_planner_page_references")
        if cached is None or cached[0] != count:
            cached = pdf.__dict__["_planner_page_references"] = (count, build.fget(pdf))
        return cached[1]

    page_references.planner_cached = True
    pydyf.PDF.page_references = property(page_references)


_page_references_once()


_UNIVERSAL_PSEUDO_RULES = (
    # (rule of WeasyPrint's user-agent stylesheet, what the paper needs of it)
    ("::marker {", "li::marker {"),  # the paper's only list items are li
    ("::footnote-call {", "/* no footnotes */ :not(*)::footnote-call {"),
    ("::footnote-marker {", "/* no footnotes */ :not(*)::footnote-marker {"),
    ("::note-call {", "/* no notes */ :not(*)::note-call {"),
    ("::note-marker {", "/* no notes */ :not(*)::note-marker {"),
    ("::note-callback {", "/* no notes */ :not(*)::note-callback {"),
)
_ua_stylesheet: CSS | None = None


class _PaperHTML(HTML):
    """The paper's document with WeasyPrint's user-agent stylesheet less its rules for every element's
    ``::marker``, footnote and note pseudo-elements: they gave each of a metropolis paper's ~60,000 elements six
    computed styles of their own (a fifth of the PDF's memory); the paper has no footnotes or notes, and markers
    only on list items. When the stylesheet does not read as expected (another WeasyPrint), it is used as it is."""

    def _ua_stylesheets(self, forms=False):
        global _ua_stylesheet
        if forms:
            return super()._ua_stylesheets(forms)
        if _ua_stylesheet is None:
            from weasyprint import html as weasy_html

            text = weasy_html.UA
            if all(text.count("\n" + rule) == 1 for rule, _scoped in _UNIVERSAL_PSEUDO_RULES):
                for rule, scoped in _UNIVERSAL_PSEUDO_RULES:
                    text = text.replace("\n" + rule, "\n" + scoped)
                # Its counter styles are WeasyPrint's own (HTML._ua_counter_style): parsed here into a dict of
                # their own, so that WeasyPrint's is left as it is.
                _ua_stylesheet = CSS(string=text, counter_style=CounterStyle())
            else:
                _ua_stylesheet = weasy_html.UA_STYLESHEET
        return [_ua_stylesheet]


def offline_fetcher() -> URLFetcher:
    return URLFetcher(allowed_protocols=("data",), timeout=1)


def write(outline: Outline, output: BinaryIO, *, variant: str = ACCESSIBLE,
          logo: tuple[bytes, str] | None = None) -> None:
    """``logo``: the city's logo (bytes, content type) for the cover."""
    html = _PaperHTML(string=render(outline, logo, fixed_tables=True), url_fetcher=offline_fetcher(),
                      media_type="print")
    print_css = CSS(filename=str(PRINT_CSS), url_fetcher=offline_fetcher())
    with warnings.catch_warnings():
        # WeasyPrint 70 opens its sRGB profile for PDF/A and never closes it: a warning that is not ours.
        warnings.simplefilter("ignore", ResourceWarning)
        # WeasyPrint's layout allocates millions of objects that live until the document is written: the
        # collector's full scans would walk all of them (a third of the PDF's time at metropolis scale).
        with collector_paused():
            html.write_pdf(output, stylesheets=[print_css], pdf_tags=True, pdf_variant=variant)
        if variant != ACCESSIBLE:
            gc.collect()
