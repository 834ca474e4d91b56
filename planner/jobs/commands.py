"""`flask --app planner jobs worker`: the Huey consumer (``make worker``; ``make run`` starts it too)."""

import logging

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
    scheduled = [] if no_periodic else register_periodic(current_app, huey)
    if scheduled:
        click.echo(f"Scheduled: {', '.join(scheduled)}")
    consumer = huey.create_consumer(workers=count, worker_type="thread", periodic=bool(scheduled),
                                    check_worker_health=True)
    consumer.run()


COMMANDS = [jobs_cli]
