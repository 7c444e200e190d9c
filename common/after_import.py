"""Run something right after a module is first imported, without importing it before.

The built program's start-up hooks (``build_spec/hooks/rthooks`` and ``build_spec/loader``) patch modules for the
frozen program: Qt's plugin paths, multiprocessing's helpers, ctypes' library search, inspect and pkgutil. Done at
start, each patch imports its module (and what that module imports) before the program's first line, at every
command, whether the command uses it or not. With this, each patch waits for the program's own first import.

This module imports only what every command imports first thing anyway. A finder in ``sys.meta_path`` needs only
``find_spec``: subclassing ``importlib.abc.MetaPathFinder`` would load ``importlib.resources`` and ``tempfile`` at
every start.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any


def after_first_import(name: str, then: Callable[[ModuleType], None]) -> None:
    """Call ``then(module)`` once the module ``name`` has been imported and run, before its importer gets it.

    If it is imported already, ``then`` runs now. If the module cannot be found, ``then`` never runs and the
    import fails as it would have.
    """
    if name in sys.modules:
        then(sys.modules[name])
        return
    sys.meta_path.insert(0, _AfterImport(name, then))


class _AfterImport:
    """A finder that steps aside at the first import of its module and wraps that module's loader."""

    def __init__(self, name: str, then: Callable[[ModuleType], None]) -> None:
        self.name = name
        self.then = then

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != self.name:
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:  # as the import system asks them, now without this one
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(name, path, target) if find_spec is not None else None
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None:
            return spec
        if isinstance(spec.loader, type):  # a built-in or frozen module: its loader class serves every such module
            spec.loader = _LoaderThen(spec.loader, self.then)
            return spec
        exec_module = spec.loader.exec_module
        then = self.then

        def exec_then_patch(module: ModuleType) -> None:
            exec_module(module)
            then(module)

        # A module read from a file has a loader object of its own: only this module's import is wrapped, and the
        # module keeps its real loader (for its source, data files and resources).
        spec.loader.exec_module = exec_then_patch
        return spec


class _LoaderThen:
    """A shared loader's work for one module, then ``then``; anything else is asked of the shared loader."""

    def __init__(self, loader: Any, then: Callable[[ModuleType], None]) -> None:
        self.loader = loader
        self.then = then

    def create_module(self, spec: Any) -> ModuleType | None:
        module: ModuleType | None = self.loader.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        self.then(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)
