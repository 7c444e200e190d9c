"""Reading values the way people really type them.

Full-width digits and letters, stray spaces, ``x`` for ``X`` in ID numbers, dates such as
``1978.05``, ``1978年5月``, ``1978-05-12`` or an Excel serial number: all are accepted here and
turned into one canonical form. Every parser raises :class:`ParseError` with a Chinese message.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation

from common.errors import UserError

_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space
_FULLWIDTH[0x3002] = 0x2E  # 。 typed for a decimal point in numbers and dates
_FULLWIDTH[0xFF0E] = 0x2E
_SPACES = re.compile(r"\s+")

EXCEL_EPOCH = dt.date(1899, 12, 30)


class ParseError(UserError, ValueError):
    """A value that cannot be read; ``str(err)`` is a Chinese message for the user."""


def halfwidth(text: str) -> str:
    """Full-width ASCII (``１２３ＡＢ``) and the ideographic space to their half-width forms."""
    return text.translate(_FULLWIDTH)


def clean_text(value: object) -> str:
    """Trim, fold runs of white space (also the ideographic space) to one space."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if _SPACES.search(text) is None:  # the common case: nothing to fold
        return text
    return _SPACES.sub(" ", text.replace("\u3000", " ").replace("\xa0", " ")).strip()


_BIDI = {0x061C: "阿拉伯字母标记", 0x200E: "从左到右标记", 0x200F: "从右到左标记", 0x202A: "从左到右嵌入",
         0x202B: "从右到左嵌入", 0x202C: "方向格式结束", 0x202D: "从左到右覆盖", 0x202E: "从右到左覆盖",
         0x2066: "从左到右隔离", 0x2067: "从右到左隔离", 0x2068: "首字符方向隔离", 0x2069: "方向隔离结束"}


def hidden_character(text: str) -> str | None:
    """A Chinese description of the first invisible control character in ``text`` (None if there is none).

    Control characters (C0, C1) and format characters — above all the bidirectional overrides such as
    U+202E, which make text display in another order than it is stored — are never legitimate in a record
    and could make a printed or exported name differ from what is stored. White space is folded by
    :func:`clean_text` before this check.
    """
    import unicodedata

    for ch in text:
        code = ord(ch)
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            name = _BIDI.get(code)
            if name is None:
                name = "控制字符" if category == "Cc" else "不可见的格式字符"
            return f"U+{code:04X} {name}"
    return None


def plain_text(value: object) -> str:
    """:func:`clean_text`, refusing invisible control and bidirectional characters (ParseError)."""
    text = clean_text(value)
    found = hidden_character(text)
    if found is not None:
        raise ParseError(f"含有不可见的特殊字符（{found}），可能是从网页或其他软件复制来的，请删除后重新输入")
    return text


# Dots typed between the parts of a name (买买提·艾力, 玛丽·居里): bullet, katakana middle dot, hyphenation
# point, half-width katakana dot, dot operators, Greek ano teleia, word-separator dots, Hangul and Latin dots.
MIDDLE_DOT = "\u00b7"
_DOT_VARIANTS = "\u2022\u30fb\u2027\uff65\u22c5\u2219\u0387\u2e31\u318d\ua78f\u16eb\u2e33\u00b7"


@functools.cache
def _dot_between() -> re.Pattern[str]:
    """Compiled when a dot is first seen (2–3 ms: its classes and look-arounds), not in every process."""
    return re.compile(rf"(?<=[^\s{_DOT_VARIANTS}])[ \t\u3000]*[{_DOT_VARIANTS}][ \t\u3000]*(?=[^\s{_DOT_VARIANTS}])")


def normalize_middle_dots(text: str) -> str:
    """Every middle-dot variant between two parts of a name (``买买提•艾力``, ``买买提・艾力``) → ``·`` (U+00B7).

    A dot at the start of a line (a bullet in a note) is left alone.
    """
    if not any(c in _DOT_VARIANTS for c in text):
        return text
    return _dot_between().sub(MIDDLE_DOT, text)


def compact(value: object) -> str:
    """Half-width, with every space removed: for codes, numbers and dates."""
    if value is None:
        return ""
    return _SPACES.sub("", halfwidth(str(value)))


def parse_int(value: object, *, minimum: int | None = 0) -> int | None:
    """A whole number; ``None`` for an empty value."""
    if isinstance(value, bool):
        raise ParseError("应为整数")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ParseError(f"“{value:g}”不是整数")
        number = int(value)
    else:
        text = compact(value).replace(",", "").replace("，", "")
        if text == "":
            return None
        text = re.sub(r"(人次|人|件|项|个|场|次|期|名)$", "", text)
        if re.fullmatch(r"[+-]?\d+(\.0+)?", text) is None:
            raise ParseError(f"“{clean_text(value)}”不是整数")
        number = int(Decimal(text))
    if minimum is not None and number < minimum:
        raise ParseError("不能为负数" if minimum == 0 else f"不能小于 {minimum}")
    return number


def parse_decimal(value: object, *, places: int = 2, minimum: float | None = 0) -> float | None:
    """A decimal amount such as 万元, rounded to ``places``; ``None`` for an empty value."""
    if isinstance(value, bool):
        raise ParseError("应为数字")
    if isinstance(value, (int, float)):
        number = Decimal(str(value))
    else:
        text = compact(value).replace(",", "").replace("，", "")
        text = re.sub(r"万?元$", "", text)
        if text == "":
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ParseError(f"“{clean_text(value)}”不是数字") from None
    if not number.is_finite():
        raise ParseError("不是有效数字")
    if minimum is not None and number < Decimal(str(minimum)):
        raise ParseError("不能为负数" if minimum == 0 else f"不能小于 {minimum}")
    return float(round(number, places))


_DATE_PATTERNS = [
    re.compile(r"(?P<y>\d{4})[-./年](?P<m>\d{1,2})[-./月](?P<d>\d{1,2})日?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
    re.compile(r"(?P<y>\d{4})[-./年](?P<m>\d{1,2})月?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})"),
    re.compile(r"(?P<y>\d{4})年?"),
]


def parse_date(value: object, *, allow_partial: bool = False) -> str | None:
    """A date as ISO text: ``YYYY-MM-DD``; with ``allow_partial`` also ``YYYY-MM`` or ``YYYY``.

    Accepts ``1978.05``, ``1978年5月12日``, ``1978/5/12``, ``19780512``, Excel serial numbers and
    ``datetime``/``date`` objects. ``None`` for an empty value.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_serial(float(value), value)
    text = compact(value)
    if text == "":
        return None
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _from_serial(float(text), value)
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        parts = match.groupdict()
        year = int(parts["y"])
        if not 1900 <= year <= 2100:
            raise ParseError(f"年份“{year}”不合理")
        month = int(parts["m"]) if parts.get("m") else None
        day = int(parts["d"]) if parts.get("d") else None
        if month is not None and not 1 <= month <= 12:
            raise ParseError(f"月份“{month}”不存在")
        if day is not None:
            assert month is not None
            try:
                return dt.date(year, month, day).isoformat()
            except ValueError:
                raise ParseError(f"日期“{clean_text(value)}”不存在") from None
        if not allow_partial:
            raise ParseError(f"“{clean_text(value)}”缺少{'日' if month else '月、日'}，请写完整日期，如 2024-05-12")
        return f"{year:04d}-{month:02d}" if month else f"{year:04d}"
    raise ParseError(f"“{clean_text(value)}”不是日期，可写作 1978-05-12、1978.05.12 或 1978年5月12日")


def _from_serial(serial: float, original: object) -> str:
    if not 1 <= serial <= 80000:
        raise ParseError(f"“{original}”不是日期")
    return (EXCEL_EPOCH + dt.timedelta(days=int(serial))).isoformat()


def parse_year(value: object) -> int | None:
    """A year such as ``2015``, ``2015年`` or ``２０１５``; ``None`` for an empty value."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.year
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 1900 <= int(value) <= 2100:
            return int(value)
        raise ParseError(f"“{value}”不是年份")
    text = compact(value)
    if text == "":
        return None
    match = re.fullmatch(r"(\d{4})(年度?)?", text)
    if match is None:
        try:
            iso = parse_date(text, allow_partial=True)
        except ParseError:
            raise ParseError(f"“{clean_text(value)}”不是年份，请写四位数字，如 2024") from None
        assert iso is not None
        return int(iso[:4])
    year = int(match.group(1))
    if not 1900 <= year <= 2100:
        raise ParseError(f"年份“{year}”不合理")
    return year


_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "有", "对"}
_FALSE = {"否", "n", "no", "false", "0", "×", "无", "不是", ""}


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    text = compact(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ParseError(f"“{clean_text(value)}”应为“是”或“否”")


def date_cn(iso: str) -> str:
    """``2026-01-15`` → ``2026年1月15日`` (other text is returned as it is)."""
    try:
        d = dt.date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return f"{d.year}年{d.month}月{d.day}日"
