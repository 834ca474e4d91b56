"""Heavy libraries imported when first used, not when the app starts.

numpy, scipy and scikit-learn took over a second of every process's start (each CLI command, each worker), although
only the comment coding uses them. ``lazy_import("numpy")`` stands for the module, ``lazy_import("scipy.stats",
"chi2_contingency")`` for one of its names: attribute access and calls reach the real object, imported then.
"""

from __future__ import annotations

import importlib
import threading


class lazy_import:  # noqa: N801 - used like the import statement it replaces
    __slots__ = ("_module", "_name", "_target")
    _lock = threading.Lock()

    def __init__(self, module: str, name: str | None = None):
        self._module = module
        self._name = name
        self._target = None

    def _resolve(self):
        if self._target is None:
            with self._lock:
                if self._target is None:
                    target = importlib.import_module(self._module)
                    self._target = getattr(target, self._name) if self._name else target
        return self._target

    def __getattr__(self, attribute: str):
        if attribute in lazy_import.__slots__:  # not set yet (a copy made without __init__)
            raise AttributeError(attribute)
        return getattr(self._resolve(), attribute)

    def __call__(self, *args, **kwargs):
        return self._resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<lazy {self._module}{'.' + self._name if self._name else ''}>"
