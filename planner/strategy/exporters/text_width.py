"""How wide a text prints: the writers size table columns with it, so a column is at least as wide as its
longest word and no word breaks in the middle."""

_NARROW = frozenset(" .,:;!|'()-–/iIjlrtf")
_WIDE = frozenset("MWmwÄÖÜ")


def text_ems(text: str, bold: bool = False) -> float:
    """The width of ``text`` in ems of a sans-serif like DejaVu Sans (the widest of the fonts a reader may
    substitute): about, and a little generous."""
    width = 0.0
    for ch in text:
        width += 0.36 if ch in _NARROW else 1.0 if ch in _WIDE else 0.75 if ch.isupper() else 0.7 if ch.isdigit() \
            else 0.6
    return width * (1.08 if bold else 1.0)
