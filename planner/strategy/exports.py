"""The one export service: the CLI (``flask export-paper``), the background job and the version downloads
all read the paper and write its file here, so they cannot differ."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

from planner.core.collector import collector_paused
from planner.strategy import versions
from planner.strategy.exporters import export
from planner.strategy.rollup import Rollup, build_rollup

TEXT_FORMATS = frozenset({"html", "md", "json"})


def paper_rollup(version: int | None = None, *, language: str = "de", short: bool = False) -> Rollup:
    """The current draft (``version`` None) or a frozen version, in ``language``, long or short.

    Raises ``versions.UnknownVersion`` for a version that does not exist."""
    if version is None:
        return build_rollup(short=short, locale=language)
    return versions.version_rollup(versions.get_version(int(version)), locale=language, short=short)


def write_file(rollup: Rollup, code: str, path: Path) -> Path:
    """Writes the export next to ``path`` and moves it into place: never a half-written file."""
    part = path.with_name(path.name + ".part")
    # The text formats render tens of thousands of strings from the roll-up's objects: without the collector's
    # passes over that heap (no garbage cycles arise). PDF and DOCX keep it: their layout objects do form cycles.
    paused = collector_paused() if code in TEXT_FORMATS else nullcontext()
    try:
        with part.open("wb") as output, paused:
            export(rollup, code, output)
        part.replace(path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return path


def export_paper(code: str, path: Path, *, version: int | None = None, language: str = "de",
                 short: bool = False) -> Path:
    return write_file(paper_rollup(version, language=language, short=short), code, path)
