"""Pinyin initials and full pinyin for search (computed once, when a record is saved).

Readings are looked up a character at a time and cached: a roster of 10,000 names uses a few
hundred distinct characters, so this is many times faster than converting every name whole.
Surnames with a special reading (单 shàn, 曾 zēng, 解 xiè …) get that reading as a variant too.
"""

from __future__ import annotations

import functools

# Surnames read differently from the character's everyday reading.
_SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "查": "zha", "仇": "qiu", "区": "ou", "朴": "piao", "盖": "ge",
    "乐": "yue", "覃": "qin", "翟": "zhai", "缪": "miao", "种": "chong", "繁": "po", "员": "yun", "尉": "yu",
    "长": "chang", "长孙": "zhangsun", "万俟": "moqi", "尉迟": "yuchi",
}


@functools.cache
def _reading(char: str) -> str:
    from pypinyin import lazy_pinyin

    if char.isascii():
        return char.lower()
    readings = lazy_pinyin(char, errors="default")
    return (readings[0] if readings else char).lower()


def syllables(text: str) -> list[str]:
    return [_reading(ch) for ch in text if not ch.isspace()]


@functools.lru_cache(maxsize=8192)
def initials(text: str) -> str:
    """``宁洱县`` → ``nex``; ASCII characters are kept (lower-cased)."""
    return "".join(s[0] for s in syllables(text) if s)


@functools.lru_cache(maxsize=8192)
def full(text: str) -> str:
    """``宁洱`` → ``ninger``."""
    return "".join(syllables(text))


def _surname_variant(text: str) -> str | None:
    for surname in sorted(_SURNAME_READINGS, key=len, reverse=True):
        if text.startswith(surname):
            reading = _SURNAME_READINGS[surname]
            rest = text[len(surname):]
            if reading != full(surname):
                return f"{reading[0]}{initials(rest)} {reading}{full(rest)}"
    return None


def search_key(*texts: str | None) -> str:
    """One lower-case string holding initials and full pinyin of each text, for ``LIKE`` search."""
    parts = []
    for text in texts:
        if text:
            parts.append(initials(text))
            parts.append(full(text))
            variant = _surname_variant(text)
            if variant:
                parts.append(variant)
    return " ".join(parts)
