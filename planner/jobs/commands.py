"""`flask --app planner jobs worker`: the Huey consumer (``make worker``; ``make run`` starts it too)."""

import logging
import threading

import click
from flask import current_app
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Background jobs.")


@jobs_cli.command("worker")
@click.option("--workers", type=int, default=None, help="Worker threads (default: HUEY_WORKERS).")
@click.option("--no-periodic", is_flag=True,
              help="Do not schedule the periodic work (e.g. the nightly retention run): for every worker but one.")
def worker_command(workers: int | None, no_periodic: bool) -> None:
    """Run the background job worker until stopped (Ctrl+C or SIGTERM)."""
    from planner.jobs.queue import get_huey, register_periodic

    huey = get_huey(current_app)
    if huey.immediate:
        raise click.ClickException("HUEY_IMMEDIATE is on: jobs run inside the app, no worker is needed.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    count = workers or int(current_app.config.get("HUEY_WORKERS", 2))
    click.echo(f"Job worker: {count} threads, storage {type(huey.storage).__name__}")
    app = current_app._get_current_object()
    # The stale-job check and the mail retries are scheduled in every app's queue; the registered periodic work
    # (the nightly retention run) joins them here. With --no-periodic this worker schedules nothing.
    scheduled = [] if no_periodic else register_periodic(app, huey)
    if scheduled:
        click.echo(f"Scheduled: {', '.join(scheduled)}")
    watchdog = start_watchdog(app)
    consumer = huey.create_consumer(workers=count, worker_type="thread", periodic=not no_periodic,
                                    check_worker_health=True)
    try:
        consumer.run()
    finally:
        watchdog.set()


def start_watchdog(app) -> threading.Event:
    """Checks for jobs whose worker stopped once now (a worker that starts after a crash cleans up after it) and
    then every JOB_WATCHDOG_SECONDS, in a daemon thread; set the returned event to stop it."""
    from planner.jobs.services import recover_stale_jobs

    stop = threading.Event()
    interval = float(app.config.get("JOB_WATCHDOG_SECONDS", 10))
    log = logging.getLogger("planner.jobs.watchdog")

    def run() -> None:
        while True:
            try:
                with app.app_context():
                    marked = recover_stale_jobs()
                if marked:
                    log.warning("jobs whose worker stopped, now marked failed: %s", ", ".join(map(str, marked)))
            except Exception:  # noqa: BLE001 - the watchdog keeps watching (e.g. the database was briefly away)
                log.exception("checking for jobs whose worker stopped failed")
            if stop.wait(interval):
                return

    threading.Thread(target=run, name="job-watchdog", daemon=True).start()
    return stop


COMMANDS = [jobs_cli]
