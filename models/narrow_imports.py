"""Import a library's submodules without running its package ``__init__`` until something needs it.

Some packages import everything they have in their ``__init__``. pyHanko's PDF layer
(``pyhanko.pdf_utils``, used by every export for the PDF/A rewrite) needs one small module of
``pyhanko_certvalidator`` (``util``), but importing it runs ``pyhanko_certvalidator/__init__.py``,
which loads the whole certificate validator and asyncio: about 70 ms at every unsigned export, for code
that only signing and verification use.

:func:`defer_package_init` puts the package in ``sys.modules`` as an empty package with the real path, so
its submodules import as usual. The first time a name the ``__init__`` would have defined is asked for
(``from pyhanko_certvalidator import ValidationContext``), the real ``__init__`` runs into the same module
object and the name is returned: code that needs the whole package gets it, unchanged.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

_LOCK = threading.RLock()


def defer_package_init(name: str) -> None:
    """Make ``name`` (a package) importable without running its ``__init__`` yet (no-op if already imported)."""
    with _LOCK:
        if name in sys.modules:
            return
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or spec.submodule_search_locations is None:
            return  # not installed, or not a package: the ordinary import will say so
        module = importlib.util.module_from_spec(spec)
        module.__dict__["__getattr__"] = _deferred_getattr(module, spec)
        sys.modules[name] = module


def package_initialised(name: str) -> bool:
    """Whether the package's ``__init__`` has run (True for packages imported the ordinary way)."""
    module = sys.modules.get(name)
    return module is not None and not module.__dict__.get("__deferred_init__", False)


def _deferred_getattr(module: types.ModuleType, spec: importlib.machinery.ModuleSpec) -> Any:
    name = spec.name
    module.__dict__["__deferred_init__"] = True

    def __getattr__(attr: str) -> Any:  # the module-level hook (PEP 562)
        if attr.startswith("__"):
            raise AttributeError(attr)
        if importlib.util.find_spec(f"{name}.{attr}") is not None:  # a submodule: import just that
            return importlib.import_module(f"{name}.{attr}")
        with _LOCK:
            if module.__dict__.get("__deferred_init__"):
                module.__dict__["__deferred_init__"] = False
                assert spec.loader is not None
                spec.loader.exec_module(module)
        if attr in module.__dict__:
            return module.__dict__[attr]
        raise AttributeError(f"module {name!r} has no attribute {attr!r}")

    return __getattr__
