"""Which paragraphs of a shown version get a "comment" link, and where the link goes: a review round's paragraph
page (members of an open round) or the public consultation's comment page (while it is open). Used by the round
page and the read-only version page, in the long and in the short edition (Kurzfassung).

Paragraph numbers are always those of the long edition (what ``review.find_paragraph`` and the consultation's
``passages`` count), so a comment made on the short edition names the same paragraph as one made on the long one.
In the short edition the measures are a table: each row gets its own link to comment on that measure.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from planner.strategy import review
from planner.strategy.outline import build_outline

_CHUNKS = re.compile(r"\n\s*\n")


# --- review rounds ---------------------------------------------------------------------------------------------

def review_paragraphs(outline, rollup) -> dict[int, list[review.Paragraph]]:
    """``review.paragraphs_by_block`` of the shown outline, numbered as in the long edition; a paragraph the long
    edition does not have gets no link."""
    shown = review.paragraphs_by_block(outline)
    if outline.edition == "long":
        return shown
    long_numbers: dict[tuple[str, str], list[int]] = {}
    for paragraphs in review.paragraphs_by_block(build_outline(rollup, outline.language, "long")).values():
        for p in paragraphs:
            long_numbers.setdefault((p.part, p.text), []).append(p.number)
    result: dict[int, list[review.Paragraph]] = {}
    for index, paragraphs in shown.items():
        found = []
        for p in paragraphs:
            numbers = long_numbers.get((p.part, p.text))
            if numbers:
                found.append(review.Paragraph(p.part, numbers.pop(0), p.text, p.markdown))
        if found:
            result[index] = found
    return result


def review_controls(round_, outline, rollup, paragraph_url: Callable[[str, int], str],
                    titles: dict[str, str]) -> dict:
    """Template variables of ``exports/_blocks.html`` for a member of an open round: a link under each
    paragraph and, in the short edition, one in each measure's table row."""
    counts: dict[tuple[str, int], int] = {}
    for c in round_.comments:
        key = (c.target, c.paragraph if c.paragraph is not None else 0)
        counts[key] = counts.get(key, 0) + 1

    def note(target: str, number: int) -> str:
        count = counts.get((target, number), 0)
        if not count:
            return ""
        label = ngettext("%(num)s comment", "%(num)s comments", count)
        return f' <span class="muted">({escape(label)})</span>'

    def paragraph_control(paragraph) -> Markup:
        context = _("paragraph %(number)s of “%(part)s”", number=paragraph.number,
                    part=titles.get(paragraph.part, paragraph.part))
        return _control(paragraph_url(paragraph.part, paragraph.number), _("Comment on this paragraph"), context,
                        note(paragraph.part, paragraph.number))

    numbers = {f"measure:{m.id}": m.number for m in rollup.measures()}

    def row_control(ref: str) -> Markup:
        number = numbers.get(ref)
        if number is None:
            return Markup("")
        target = f"measure:{number}"
        return _control(paragraph_url(target, 0), _("Comment on this measure"),
                        titles.get(target, number), note(target, 0), tag="span")

    return {"paragraph_comments": review_paragraphs(outline, rollup), "paragraph_control": paragraph_control,
            "row_control": row_control}


# --- the public consultation -----------------------------------------------------------------------------------

def consultation_paragraphs(outline, passages) -> tuple[dict[int, list[review.Paragraph]], dict[str, int]]:
    """For each paragraph block and fact sheet of the shown outline, the consultation's numbers of its passages
    (the consultation counts the long edition's blocks); and each measure's passage (its fact sheet) by number."""
    by_text: dict[str, list[int]] = {}
    sheets: dict[str, int] = {}
    for passage in passages:
        block = passage.blocks[-1]
        if block.block == "paragraph":
            by_text.setdefault(block.text.strip(), []).append(passage.number)
        elif block.block == "factsheet":
            sheets[block.number] = passage.number
    result: dict[int, list[review.Paragraph]] = {}
    for index, block in enumerate(outline.blocks):
        if block.block == "factsheet" and block.number in sheets:
            result[index] = [review.Paragraph("consultation", sheets[block.number], block.description or "", True)]
        elif block.block == "paragraph":
            chunks = [c.strip() for c in _CHUNKS.split(block.text.strip()) if c.strip()] if block.markdown \
                else [block.text]
            found = []
            for chunk in chunks:
                numbers = by_text.get(chunk.strip())
                if numbers:
                    found.append(review.Paragraph("consultation", numbers.pop(0), chunk, block.markdown))
            if found:
                result[index] = found
    return result, sheets


def consultation_controls(found, outline, rollup, passages) -> dict:
    """Template variables of ``exports/_blocks.html`` while the version's public consultation is open."""
    paragraphs, sheets = consultation_paragraphs(outline, passages)

    def url(number: int) -> str:
        return url_for("strategy.consultation_comment", consultation_id=found.id, paragraph=number)

    def paragraph_control(paragraph) -> Markup:
        return _control(url(paragraph.number), _("Comment in the public consultation"),
                        _("paragraph %(number)s", number=paragraph.number), "")

    measures = {f"measure:{m.id}": m for m in rollup.measures()}

    def row_control(ref: str) -> Markup:
        m = measures.get(ref)
        if m is None or m.number not in sheets:
            return Markup("")
        return _control(url(sheets[m.number]), _("Comment on this measure"), f"{m.number} {m.title}", "", tag="span")

    return {"paragraph_comments": paragraphs, "paragraph_control": paragraph_control, "row_control": row_control}


def _control(href: str, label: str, context: str, note: str, tag: str = "p") -> Markup:
    """A link whose accessible name says what it is about (the context is read out, not shown)."""
    return Markup(  # noqa: S704  # nosec B704 - every part is escaped
        f'<{tag} class="paper-comment-control"><a class="kern-link" href="{escape(href)}">{escape(label)}'
        f'<span class="kern-sr-only">: {escape(context)}</span></a>{note}</{tag}>')
