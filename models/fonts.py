"""The bundled Chinese font (WenQuanYi Micro Hei, TrueType, GBK coverage) for PDF export.

reportlab silently drops characters a font lacks, so every printed string is checked with
:func:`missing_characters` first; the PDF shows :data:`REPLACEMENT` for them and the review warns.
"""

from __future__ import annotations

import functools
import re
import threading
from typing import Any

FONT_NAME = "WenQuanYiMicroHei"
FONT_FILE = "WenQuanYiMicroHei.ttf"
REPLACEMENT = "□"


def font_path() -> str:
    from common.paths import resource_path

    return str(resource_path("fonts", FONT_FILE))


_LOADING = threading.Lock()  # an export may be warmed up in a background thread (``models.export.warm_up``)


def reportlab_font() -> Any:
    """The font registered with reportlab (embedded as a subset in every PDF); its character tables come from the
    user's cache folder when a valid copy is there (``models.font_tables``). Loaded once, by one thread."""
    with _LOADING:
        return _registered_font()


@functools.cache
def _registered_font() -> Any:
    from reportlab.pdfbase import pdfmetrics

    from common.paths import cache_dir
    from models.font_tables import load_font

    font = load_font(FONT_NAME, font_path(), cache_dir())
    pdfmetrics.registerFont(font)
    return font


@functools.cache
def _covered() -> frozenset[int]:
    return frozenset(reportlab_font().face.charToGlyph)


# Below this length the distinct characters are looked up one by one; above it one regular expression of the
# font's ranges scans the text (about 0.1 µs a character against 0.01 µs, but 13 ms to compile, once).
PATTERN_FROM = 100_000


def lacks_any(text: str) -> bool:
    """Whether ``text`` has a character the font cannot draw, ASCII and spaces aside (for very long texts)."""
    if text.isascii():
        return False
    if len(text) >= PATTERN_FROM:
        return _lacking().search(text) is not None
    covered = _covered()
    return any(ord(c) not in covered and not c.isspace() for c in set(text) if ord(c) > 0x7F)


@functools.cache
def _lacking() -> re.Pattern[str]:
    """Any character the font cannot draw, ASCII and spaces aside (a character class of its ranges)."""
    ranges: list[str] = []
    codes = sorted(c for c in _covered() if c > 0x7F)
    start = previous = codes[0] if codes else 0x80
    for code in [*codes[1:], None]:
        if code is not None and code == previous + 1:
            previous = code
            continue
        ranges.append(re.escape(chr(start)) + ("-" + re.escape(chr(previous)) if previous > start else ""))
        if code is not None:
            start = previous = code
    return re.compile(r"[^\x00-\x7f\s" + "".join(ranges) + "]")


def missing_characters(text: str) -> list[str]:
    """The characters of ``text`` the font cannot draw (control characters and spaces aside)."""
    if not text or text.isascii():
        return []
    covered = _covered()
    if covered.issuperset(map(ord, text)):
        return []
    return [c for c in dict.fromkeys(text) if ord(c) not in covered and not c.isspace()]


def printable(text: str) -> str:
    """``text`` with every character the font lacks replaced by □."""
    if not text or text.isascii():
        return text
    covered = _covered()
    if covered.issuperset(map(ord, text)) or all(ord(c) in covered or c.isspace() for c in text):
        return text
    return "".join(c if ord(c) in covered or c.isspace() else REPLACEMENT for c in text)
