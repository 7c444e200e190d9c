"""Building large amounts of plain data (a province's return) without the cycle collector's passes."""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while plain data (rows, dicts of text, tuples) is built.

    Reference counting still frees everything as usual. Only the cycle collector waits: every few hundred
    new containers it walks the young ones, and every so often all of them, which is a sixth of the time of
    computing a province's return. The data built here holds no cycles. Nested or concurrent uses (the
    window computes in a worker thread) leave it paused until the use that paused it ends."""
    paused_here = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused_here:
            gc.enable()


def without_gc_passes(fn: Callable[P, T]) -> Callable[P, T]:
    """``fn`` run inside :func:`gc_paused`."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        with gc_paused():
            return fn(*args, **kwargs)

    return run
