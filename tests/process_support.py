"""Work for the tests of ``common.processes``: importable by name in a helper process."""

from __future__ import annotations

import os


def square(number: int) -> int:
    if number == 13:
        raise ValueError(f"不收{number}")
    return number * number


def square_or_die(number: int) -> int:
    """A helper that dies on 5 as a crashing reader would (no exception, the process is gone)."""
    if number == 5:
        os._exit(3)
    return number * number


def pid(_number: int) -> int:
    return os.getpid()


def always_die(_number: int) -> int:
    os._exit(4)


def refuse_to_start(reason: str) -> None:
    raise OSError(reason)
