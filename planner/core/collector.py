"""The cyclic garbage collector paused around work that allocates many objects and leaves no garbage cycles.

Python starts a collection every 700 net allocations of container objects; a pass that builds tens of thousands of
small objects (the app's start-up importing every package, the concept paper's roll-up of 50,000 findings) starts
hundreds of them, and the older generations' passes walk the whole heap. At metropolis scale that was a third of
``export-paper``'s CPU time. Reference counting still frees every object that is not in a cycle; the collector
resumes (and catches up) when the block ends. Nested use is fine: only the outermost block re-enables it. The
switch is process-wide: in a threaded worker, other requests run without automatic collection meanwhile, and the
collector is on again once the first block that found it on has ended.
"""

from __future__ import annotations

import atexit
import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_EXIT_HOOKED: set[int] = set()


def skip_collection_at_exit(app) -> None:
    """At the end of this process (a CLI command's): close the app's database connections, then move every object
    into the collector's permanent generation (``gc.freeze``), so the interpreter's shutdown does not walk the whole
    heap again in its last collections (two to three passes over every module, model and view: 0.6–0.8 s CPU of
    the metropolis ``export-paper``, a quarter of the command). Objects are still freed by reference counting as
    the modules are cleared; what is skipped is the search for reference cycles in a process that is ending.
    The connections are closed first so SQLite checkpoints and removes its WAL file as before."""
    if id(app) in _EXIT_HOOKED:
        return
    _EXIT_HOOKED.add(id(app))
    atexit.register(_before_exit, app)


def _before_exit(app) -> None:
    try:
        from planner.extensions import db

        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
    finally:
        gc.freeze()
