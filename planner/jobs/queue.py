"""The Huey queue behind the jobs: SQLite storage in the instance folder by default, Redis when
PLANNER_HUEY_REDIS_URL is set, immediate (run at once, in-process) in tests.

Each app gets its own Huey instance (``app.extensions["huey"]``) with one registered Huey task,
``run_job(job_id)``, that runs the planner task named in the Job row inside an app context. The planner's
own task registry (planner.jobs.services.task) sits above it, so packages never touch Huey directly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab


def make_huey(app: Flask) -> Huey:
    immediate = app.config.get("HUEY_IMMEDIATE")
    if immediate is None:
        immediate = bool(app.testing)
    redis_url = app.config.get("HUEY_REDIS_URL")
    name = app.config.get("HUEY_NAME", "planner")
    if redis_url:
        huey = RedisHuey(name, url=redis_url, immediate=immediate, results=False)
    else:
        filename = app.config.get("HUEY_SQLITE_PATH") or str(Path(app.instance_path) / "huey.sqlite3")
        huey = SqliteHuey(name, filename=filename, immediate=immediate, results=False)

    @huey.task(name="planner.run_job")
    def run_job(job_id: int) -> None:
        from planner.jobs.services import execute_job

        with app.app_context():
            execute_job(job_id)

    @huey.periodic_task(crontab(minute="*"), name="planner.recover_stale_jobs")
    def recover_jobs() -> None:
        """Once a minute in a worker: jobs whose worker stopped are marked failed (the worker's watchdog thread
        checks more often; this also covers workers started without it)."""
        from planner.jobs.services import recover_stale_jobs

        with app.app_context():
            recover_stale_jobs()

    from planner.core.mail import register_periodic

    register_periodic(huey, app)  # failed e-mail deliveries are retried by the worker
    app.extensions["huey"] = huey
    app.extensions["huey_run_job"] = run_job
    return huey


def get_huey(app: Flask) -> Huey:
    return app.extensions["huey"]


# Periodic work (e.g. the daily retention run): registered by packages at import time with ``periodic``, attached
# to the app's Huey by ``register_periodic`` when the worker starts (the worker's scheduler runs them).
_PERIODIC: dict[str, tuple[dict, Callable[[], None]]] = {}


def periodic(name: str, **schedule) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Runs ``func()`` in an app context on a cron schedule (``huey.crontab`` keywords: minute, hour, day...).

    The function commits its own work.
    """

    def decorator(func: Callable[[], None]) -> Callable[[], None]:
        _PERIODIC[name] = (schedule, func)
        return func

    return decorator


def register_periodic(app: Flask, huey: Huey) -> list[str]:
    from huey import crontab

    for name, (schedule, func) in _PERIODIC.items():
        def run(func=func) -> None:
            with app.app_context():
                func()

        huey.periodic_task(crontab(**schedule), name=name)(run)
    return sorted(_PERIODIC)
