"""Long texts: a safe subset of Markdown, sanitised on output so no script ever gets through."""

import html as html_lib

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "a",
    "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}


def render_markdown(text: str | None, top: int = 3) -> Markup:
    """``top``: the highest heading level in the result (3 for user text inside a page; 2 for a page whose
    whole body is the text, such as the legal pages under their h1)."""
    if not text:
        return Markup("")
    html = _md.render(text)
    # Headings in user text start at h3 (or ``top``) so they never compete with the page's own outline.
    for level in range(top - 1, 0, -1):
        html = html.replace(f"<h{level}>", f"<h{top}>").replace(f"</h{level}>", f"</h{top}>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS | {f"h{top}"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704  # nosec B704 - sanitised by nh3 above


def plain_text(text: str | None) -> str:
    """The text without any markup, for DOCX, CSV and e-mails."""
    if not text:
        return ""
    return html_lib.unescape(nh3.clean(_md.render(text), tags=set())).strip()
