"""Independent pieces of work done in helper processes, the results in order.

Receiving a stick of a hundred returns verifies each file on its own; on a PC with two or more cores the files
are verified side by side in helper processes while this process stores what they found, in the files' order.

The helpers are *spawned* (a fresh interpreter each, never a ``fork``): the same on Windows and Linux, and safe
from a window's worker thread. A spawned helper imports what it needs (a few tenths of a second of a core), so
helpers pay only for a batch large enough. This process works too: whenever it would wait for a result, it does
the next item no helper has (all of them while the helpers start), so one core needs no helper. The built
program lets ``main.py`` hand a helper's start to ``multiprocessing.freeze_support``.

Each helper has a pipe of its own and is given at most two items at a time, so this process always knows which
item a helper was working on. Nothing else is shared: no queue, no thread, no lock. (``ProcessPoolExecutor``
wakes its manager thread with empty messages, which hang under Wine, where county PCs on 统信UOS and 麒麟 run
Windows programs; and a helper that dies takes the whole pool with it.)

- A helper that dies (a crash in a reader, the memory exhausted) is charged with the item it was working on: that
  item's result is :class:`HelperDied`. The others go on; its second item goes to another helper.
- When no helper can start, or none is left, the items not yet done are done in this process, so the caller's
  results never depend on whether the helpers worked.
- Closing the iterator (the caller stopped, e.g. cancelled) ends the helpers at once.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import os
from collections.abc import Callable, Generator, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MAX_HELPERS = 4  # each helper may hold one large file in memory; old PCs have 4 GB
_AHEAD = 2  # items handed to a helper at a time: one it works on, one waiting in its pipe


class HelperDied(Exception):
    """The helper process working on this item ended without a result (a crash, or out of memory)."""


def usable_cpus() -> int:
    """The processors this process may run on (its affinity, where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # Windows has no sched_getaffinity
        return os.cpu_count() or 1


def helper_count(items: int, limit: int = MAX_HELPERS) -> int:
    """How many helpers to use for ``items`` pieces of work on this PC, besides this process (which works too):
    one a core but this process's, 0 on a single core."""
    return max(0, min(usable_cpus() - 1, limit, items - 1))


def ordered_map(fn: Callable[[Item], Result], items: Sequence[Item], helpers: int, *,
                local: Callable[[Item], Result], initializer: Callable[..., None] | None = None,
                initargs: tuple[Any, ...] = (), on_fallback: Callable[[BaseException], None] | None = None,
                help_here: bool = True) -> Generator[Result | Exception, None, None]:
    """``fn(item)`` for each of ``items`` in up to ``helpers`` spawned processes, yielded in the items' order.

    ``fn`` and ``initializer`` must be importable functions (they are sent by name), the items and results
    picklable. ``initializer(*initargs)`` runs once in each helper. ``local(item)`` does the same work in this
    process: for every item when ``helpers`` is 0, for the items left when no helper can run, and (with
    ``help_here``) for the next item no helper has whenever this process would otherwise wait for a result. An
    :class:`Exception` raised by the work is yielded in place of its result (:class:`HelperDied` for an item whose
    helper died on it). When the helpers cannot run, ``on_fallback(reason)`` is called once before this process
    goes on with the rest.
    """
    done = 0
    settled: dict[int, Any] = {}
    if helpers > 0 and len(items) > 1:
        here = local if help_here else None
        with contextlib.closing(_in_helpers(fn, here, items, helpers, initializer, initargs)) as outcomes:
            for outcome in outcomes:
                if isinstance(outcome, _Broken):
                    if on_fallback is not None:
                        on_fallback(outcome.reason)
                    settled = outcome.settled
                    break
                done += 1
                yield outcome
    for index in range(done, len(items)):  # an item a helper died on is never tried again here
        yield settled[index] if index in settled else _here(local, items[index])


@dataclasses.dataclass(frozen=True)
class _Broken:
    """No helper can go on (``reason``): the caller does the rest itself, but for the items already ``settled`` (by
    index, not yet yielded): above all those a helper died on, which must not be tried again in this process (the
    last helpers may die in the same moment, each on its own item)."""

    reason: BaseException
    settled: dict[int, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class _Helper:
    process: Any  # multiprocessing's SpawnProcess
    conn: Any  # this end of its pipe
    given: collections.deque[int] = dataclasses.field(default_factory=collections.deque)  # item indexes, in order
    ready: bool = False  # its initializer ran: from then on a death is charged to the item it was working on
    said_why: bool = False  # its initializer failed, and it said why


def _in_helpers(fn: Callable[[Item], Result], local: Callable[[Item], Result] | None, items: Sequence[Item], count: int,
                initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> Generator[Any, None, None]:
    import multiprocessing
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("spawn")
    helpers: list[_Helper] = []
    try:
        for _ in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs, fn, initializer, initargs), daemon=True,
                                      name="changai-helper")
            process.start()
            theirs.close()
            helpers.append(_Helper(process, mine))
    except Exception as exc:  # cannot start processes here (a blocked program, no resources)
        _stop(helpers)
        yield _Broken(exc)
        return
    everyone = list(helpers)
    results: dict[int, Any] = {}
    waiting = collections.deque(range(len(items)))  # not yet given to a helper
    last_words: list[BaseException] = []  # why the helpers that ended ended
    try:
        for index in range(len(items)):
            timeout: float | None = 0  # first take what has come in without waiting, so that no helper idles
            while index not in results:
                by_handle = {h.conn: h for h in helpers} | {h.process.sentinel: h for h in helpers}
                for handle in wait(list(by_handle), timeout) if by_handle else ():
                    helper = by_handle[handle]
                    if helper not in helpers:
                        continue
                    if handle is helper.conn and _receive(helper, results, last_words):
                        continue
                    _bury(helper, helpers, waiting, results, last_words)
                if not helpers:
                    yield _Broken(last_words[-1] if last_words else HelperDied("并行处理的进程均已退出"), dict(results))
                    return
                _hand_out(helpers, waiting, items)
                if index in results:
                    break
                if local is not None and waiting:
                    # rather than wait, do here the next item no helper has (while they start, or all are busy)
                    item = waiting.popleft()
                    results[item] = _here(local, items[item])
                    timeout = 0
                    continue
                timeout = None
            yield results.pop(index)
        started = _await_start(everyone, helpers, waiting, results, last_words)
        if not started and last_words:  # this process did everything, and the helpers could not have helped
            yield _Broken(last_words[-1])
    finally:
        _stop(helpers)


START_GRACE = 5.0  # seconds a helper still starting when the work is done is given to show it can start


def _await_start(everyone: list[_Helper], helpers: list[_Helper], waiting: collections.deque[int],
                 results: dict[int, Any], last_words: list[BaseException]) -> bool:
    """Whether any helper started. When this process did all the work before the helpers started, they are given
    a few seconds more, so that helpers that cannot start at all (a broken installation) are noticed and said."""
    import time
    from multiprocessing.connection import wait

    deadline = time.monotonic() + START_GRACE
    while not any(h.ready for h in everyone) and helpers and (left := deadline - time.monotonic()) > 0:
        unstarted = [h for h in helpers if not h.ready]
        by_handle = {h.conn: h for h in unstarted} | {h.process.sentinel: h for h in unstarted}
        for handle in wait(list(by_handle), left):
            helper = by_handle[handle]
            if helper in helpers and not (handle is helper.conn and _receive(helper, results, last_words)):
                _bury(helper, helpers, waiting, results, last_words)
    return any(h.ready for h in everyone)


def _here(local: Callable[[Item], Result], item: Item) -> Result | Exception:
    try:
        return local(item)
    except Exception as exc:  # the caller says what it means for this item
        return exc


def _hand_out(helpers: list[_Helper], waiting: collections.deque[int], items: Sequence[Any]) -> None:
    """Give the helpers that have started the next items, up to two each."""
    for helper in helpers:
        while helper.ready and len(helper.given) < _AHEAD and waiting:
            index = waiting.popleft()
            try:
                helper.conn.send((index, items[index]))
            except (OSError, ValueError):  # its pipe is gone: it died, which the next wait shows
                waiting.appendleft(index)
                break
            helper.given.append(index)


def _receive(helper: _Helper, results: dict[int, Any], last_words: list[BaseException]) -> bool:
    """Take one message from ``helper``; False when it has ended (its pipe closed, or its start failed)."""
    try:
        kind, index, value = helper.conn.recv()
    except (EOFError, OSError):
        return False
    if kind == "ready":
        helper.ready = True
    elif kind == "failed":  # its initializer failed: nothing it was given counts against those items
        last_words.append(value)
        helper.said_why = True
        return False
    else:
        helper.given.remove(index)
        results[index] = value
    return True


def _bury(helper: _Helper, helpers: list[_Helper], waiting: collections.deque[int], results: dict[int, Any],
          last_words: list[BaseException]) -> None:
    """``helper`` ended: the item it was working on is charged to it, the rest go back to be given again."""
    helpers.remove(helper)
    with contextlib.suppress(EOFError, OSError):
        while helper.given and helper.conn.poll():  # results it sent before it ended still count
            if not _receive(helper, results, last_words):
                break
    with contextlib.suppress(OSError):
        helper.conn.close()
    helper.process.join(5)
    given = list(helper.given)
    code = helper.process.exitcode
    if given and helper.ready:
        results[given.pop(0)] = HelperDied(f"处理该文件的进程意外退出（退出代码 {code}），可能是文件损坏、伪造或内容过大")
    elif not helper.ready and not helper.said_why:
        last_words.append(HelperDied(f"进程未能开始工作（退出代码 {code}）"))
    waiting.extendleft(reversed(given))


def _stop(helpers: list[_Helper]) -> None:
    """End the helpers: those with nothing to do when told to, those still working (the caller stopped early) at
    once (they only read)."""
    for helper in helpers:
        if helper.given:
            helper.process.terminate()
        else:
            with contextlib.suppress(OSError, ValueError):
                helper.conn.send(None)
    for helper in helpers:
        helper.process.join(2)
        if helper.process.is_alive():
            helper.process.terminate()
            helper.process.join(5)
        with contextlib.suppress(OSError):
            helper.conn.close()
    helpers.clear()


def _serve(conn: Any, fn: Callable[[Any], Any], initializer: Callable[..., None] | None,
           initargs: tuple[Any, ...]) -> None:
    """A helper's life: start, then take items until told to stop (``None``) or until this process's pipe closes."""
    try:
        if initializer is not None:
            initializer(*initargs)
    except Exception as exc:  # said to the parent, which gives the items to others
        conn.send(("failed", -1, _sendable(exc)))
        return
    conn.send(("ready", -1, None))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, item = message
        try:
            outcome: Any = fn(item)
        except Exception as exc:  # the work's own failure, the caller's to describe
            outcome = exc
        try:
            conn.send(("result", index, outcome))
        except Exception as exc:  # a result that cannot be sent (not picklable)
            conn.send(("result", index, _sendable(exc)))


def _sendable(exc: Exception) -> Exception:
    import pickle

    try:
        pickle.dumps(exc)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
