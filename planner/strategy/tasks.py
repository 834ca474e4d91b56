"""The paper's exports as a background job (planner.jobs): at metropolis scale a DOCX or PDF takes longer
than a request may; the web UI enqueues, the job page shows progress and offers the file. The CLI
(``flask export-paper``) stays synchronous."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from planner.core.errors import DomainError
from planner.jobs.services import JobContext, task
from planner.strategy import exports, versions
from planner.strategy.exporters import FORMATS, filename

EXPORT = "strategy.export"


@task(EXPORT, label=_l("Export of the concept paper"))
def export_task(ctx: JobContext, *, fmt: str, locale: str = "de", short: bool = False,
                version: int | None = None) -> None:
    if fmt not in FORMATS:
        raise DomainError(_l("Unknown export format."))
    with force_locale(locale):
        ctx.progress(0, 2, _("Reading the paper"))
        try:
            rollup = exports.paper_rollup(version, language=locale, short=bool(short))
        except versions.UnknownVersion as error:
            raise DomainError(error.message) from error
        name = filename(rollup, fmt)
        ctx.progress(1, 2, _("Writing %(format)s", format=fmt.upper()))
    try:
        path = exports.write_file(rollup, fmt, ctx.output_path(name))  # never leaves a half-written file
    except DomainError:
        raise
    except Exception as error:  # a writer's failure: a clear message on the job page, the details in the log
        import logging

        logging.getLogger(__name__).exception("paper export (%s) failed", fmt)
        raise DomainError(_l(
            "The %(format)s file could not be written (%(reason)s). No file was saved; please try again or choose "
            "another format.", format=fmt.upper(), reason=type(error).__name__)) from error
    with force_locale(locale):
        ctx.progress(2, 2, _("Done"))
    ctx.set_result(path, name)
