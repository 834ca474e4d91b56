"""The example task: counts the rows of every table (an inventory an administrator can download as CSV).

It shows the whole API: progress per step, a result file in the job's folder (written as ``*.part`` first, so a
worker that dies leaves no half file behind as a result), and it runs against any database because it reads only
SQLAlchemy's metadata (jobs sits left of the domain packages).
"""

import csv

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from planner.extensions import db
from planner.jobs.services import JobContext, task

RECOUNT = "jobs.recount"


@task(RECOUNT, label=_l("Row count of every table"))
def recount(ctx: JobContext, *, delay: float = 0.0) -> None:
    tables = [t for t in db.metadata.sorted_tables]
    tables.sort(key=lambda t: t.name)
    ctx.progress(0, len(tables), _("Counting rows"))
    path = ctx.output_path("row-counts.csv")
    part = path.with_name(path.name + ".part")  # the finished file appears at once or not at all
    with part.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["table", "rows"])
        for done, table in enumerate(tables, start=1):
            count = db.session.scalar(select(func.count()).select_from(table)) or 0
            writer.writerow([table.name, count])
            if delay:
                import time

                time.sleep(min(float(delay), 2.0))
            ctx.progress(done, len(tables), _("Counted %(table)s", table=table.name))
    part.replace(path)
    ctx.set_result(path, "zeilenzahlen.csv")
