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
