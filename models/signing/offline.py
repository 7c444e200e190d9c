"""pyHanko without its network clients: the program never fetches a timestamp, a CRL or an OCSP answer.

pyHanko imports its HTTP clients as soon as any signing or validation module is imported:
``pyhanko.sign.timestamps`` imports the timestamp client (``aiohttp_client``), ``pyhanko.sign.validation.ades``
the CRL/OCSP/certificate fetchers (``pyhanko_certvalidator.fetchers.aiohttp_fetchers``); both import aiohttp, a
tenth of a second at every signed export and every verification, for code an offline program must never run.
:func:`install` puts a stand-in for those two modules in ``sys.modules`` before pyHanko is imported; their
classes refuse to be used. Everything else in pyHanko is the real thing (validation contexts are always built
with ``allow_fetching=False``). ``models.signing`` calls it on import, and every use of pyHanko's signing and
validation modules in this program goes through ``models.signing``.
"""

from __future__ import annotations

import sys
import types
from typing import Any, NoReturn

# module -> the names other pyHanko modules import from it
STUBBED = {
    "pyhanko.sign.timestamps.aiohttp_client": ("HTTPTimeStamper", "AIOHttpTimeStamper"),
    "pyhanko_certvalidator.fetchers.aiohttp_fetchers": ("AIOHttpFetcherBackend",),
}


class OfflineError(RuntimeError):
    """Something asked pyHanko for a network client."""


def _refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise OfflineError("本程序离线工作，不连接时间戳服务器，也不在网上查询证书状态")


def install() -> None:
    """Stand in for pyHanko's network clients (idempotent; a module pyHanko already loaded stays as it is)."""
    for name, classes in STUBBED.items():
        if name in sys.modules:
            continue
        module = types.ModuleType(name, "Offline stand-in: this program never uses the network.")
        for cls in classes:
            module.__dict__[cls] = type(cls, (), {"__init__": _refuse, "__module__": name})
        module.__dict__["__all__"] = list(classes)
        sys.modules[name] = module
