"""Pinyin initials and full pinyin for search (computed once, when a record is saved)."""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=4096)
def initials(text: str) -> str:
    """``宁洱县`` → ``nex``; non-Chinese characters are kept (lower-cased)."""
    from pypinyin import Style, lazy_pinyin

    return "".join(p[0] for p in lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default") if p).lower()


@functools.lru_cache(maxsize=4096)
def full(text: str) -> str:
    """``宁洱`` → ``ninger``."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(text)).lower()


def search_key(*texts: str | None) -> str:
    """One lower-case string holding initials and full pinyin of each text, for ``LIKE`` search."""
    parts = []
    for text in texts:
        if text:
            parts.append(initials(text))
            parts.append(full(text))
    return " ".join(parts)
