"""Identity numbers: resident ID (GB 11643), mobile numbers, unified social credit codes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re

from common.text import ParseError, compact


@dataclasses.dataclass(frozen=True)
class IdInfo:
    """What a valid resident ID number tells: its canonical form, birth date and sex."""

    number: str
    birth_date: str  # ISO date
    sex: str  # 男 / 女
    region_code: str
    region_warning: str | None = None  # the region code did not exist at the birth date


def normalize_id_number(value: object) -> str:
    """Half-width, no spaces, upper-case ``X``."""
    return compact(value).upper()


def check_id_number(value: object, *, today: dt.date | None = None) -> IdInfo:
    """Validate an 18-character resident ID number; raise :class:`ParseError` in Chinese.

    The checksum, length and birth date are errors. A region code that never existed is only a
    warning: python-stdnum also rejects codes that did not exist yet at the birth date (530821
    before 1985), but a number is assigned at registration, so real IDs carry such codes.
    """
    if today is None and isinstance(value, str):
        return _check_id_text(value, dt.date.today().isoformat())
    return _check_id_number(normalize_id_number(value), (today or dt.date.today()).isoformat())


@functools.lru_cache(maxsize=65536)
def _check_id_text(value: str, today_iso: str) -> IdInfo:
    return _check_id_number(normalize_id_number(value), today_iso)


_ID_CHARS = frozenset("0123456789X")


@functools.lru_cache(maxsize=65536)
def _check_id_number(number: str, today_iso: str) -> IdInfo:
    from stdnum.cn import ric

    # Only ASCII digits count: str.isdigit() also accepts “²”, “①” and other scripts' digits, which int() refuses.
    odd = next(((i, c) for i, c in enumerate(number) if c not in _ID_CHARS or (c == "X" and i != 17)), None)
    if odd is not None:
        index, char = odd
        shown = char if char.isprintable() else f"U+{ord(char):04X}"
        raise ParseError(f"身份证号第{index + 1}位“{shown}”不是普通数字：身份证号前17位应为数字，最后一位为数字或X，请核对")
    if len(number) != 18:
        raise ParseError(f"身份证号应为18位，现为{len(number)}位")
    if ric.calc_check_digit(number) != number[17]:
        raise ParseError(f"身份证号校验位不对（按前17位应为“{ric.calc_check_digit(number)}”），请核对")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ParseError(f"身份证号中的出生日期“{number[6:14]}”不存在") from None
    if birth.isoformat() > today_iso or birth.year < 1900:
        raise ParseError(f"身份证号中的出生日期“{birth.isoformat()}”不合理")
    warning = None if _region_known(number[:6]) else f"身份证号的地区码“{number[:6]}”不是已知的行政区划代码，请核对"
    sex = "男" if int(number[16]) % 2 == 1 else "女"
    return IdInfo(number, birth.isoformat(), sex, number[:6], warning)


_ID_FORM = re.compile(r"[0-9]{17}[0-9X]")
_CHECK_CHARS = "10X98765432"


def id_check_digit(body: str) -> str:
    """The GB 11643 check character of 17 ASCII digits.

    The weights are 2^(17-i) mod 11, and 13 = 2 (mod 11), so the weighted sum is 2 * int(body, 13) mod 11:
    one C-level conversion instead of a Python loop (the review checks every person's number).
    """
    return _CHECK_CHARS[2 * int(body, 13) % 11]


@functools.lru_cache(maxsize=1 << 16)  # the days from 1900 to today number about 46,000
def _valid_date(yyyymmdd: str) -> bool:
    try:
        dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return yyyymmdd >= "19000101"


def id_number_problem(number: str, today_iso: str) -> str | None:
    """``None`` when ``number`` (normalised, see :func:`normalize_id_number`) is a valid ID number, else the
    message :func:`check_id_number` raises. Not cached: for checking many distinct numbers once each (the
    review of a whole store), where a cache would only be filled and evicted."""
    if (_ID_FORM.fullmatch(number) and id_check_digit(number[:17]) == number[17] and _valid_date(number[6:14])
            and f"{number[6:10]}-{number[10:12]}-{number[12:14]}" <= today_iso):
        return None
    try:
        _check_id_number.__wrapped__(number, today_iso)
    except ParseError as exc:
        return str(exc)
    return None


# The same checks in SQL, over a table of people at once (``id_number``, ``birth_date``, ``sex``): a row is
# *suspect* when its number is not of the usual form (17 digits and a digit or X), its check character is wrong,
# its birth date does not exist or is before 1900, or it disagrees with the row's birth date or sex. The store
# keeps a partial index of the suspect rows (models.migrations 0012), so the review reads those alone; a
# number's birth date after today is asked apart (an index cannot hold today), by ``ID_BIRTH_SQL``.
_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))  # GB 11643: 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, …
_ID_DATE_SQL = "substr(id_number, 7, 4) || '-' || substr(id_number, 11, 2) || '-' || substr(id_number, 13, 2)"
ID_BIRTH_SQL = "substr(id_number, 7, 8)"
ID_SUSPECT_SQL = (
    "NOT (id_number GLOB '" + "[0-9]" * 17 + "[0-9X]'"
    " AND substr('" + _CHECK_CHARS + "', ("
    + " + ".join(f"substr(id_number, {i + 1}, 1) * {w}" for i, w in enumerate(_WEIGHTS))
    + ") % 11 + 1, 1) = substr(id_number, 18, 1)"
    # date() returns 30 February as it is; with a modifier it is carried into March, unequal to the text
    f" AND {ID_BIRTH_SQL} >= '19000101' AND date({_ID_DATE_SQL}, '+0 days') IS {_ID_DATE_SQL})"
    f" OR coalesce(birth_date, '') <> '' AND substr({_ID_DATE_SQL}, 1, length(birth_date)) <> birth_date"
    " OR coalesce(sex, '') <> '' AND sex <> CASE WHEN substr(id_number, 17, 1) IN ('1', '3', '5', '7', '9') "
    "THEN '男' ELSE '女' END")


def id_number_is_normal(text: str) -> bool:
    """True when ``text`` is already in the form :func:`normalize_id_number` gives a well-formed number."""
    return _ID_FORM.fullmatch(text) is not None


@functools.lru_cache(maxsize=8192)
def _region_known(code: str) -> bool:
    from stdnum import numdb

    return any(props for _part, props in numdb.get("cn/loc").info(code))


def make_id_number(region: str, birth: dt.date, sequence: int, sex: str) -> str:
    """Build a valid ID number (for demo data and tests)."""
    from stdnum.cn import ric

    seq = sequence % 500 * 2 + (1 if sex == "男" else 0)
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def mask_id_number(number: str | None) -> str:
    """前6后4: ``530821********001X``."""
    if not number:
        return ""
    if len(number) <= 10:
        return number
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,5})?")


def normalize_phone(value: object) -> str:
    text = compact(value).replace("－", "-").replace("—", "-")
    if text.startswith("+86"):
        text = text[3:]
    return text


def check_mobile(value: object) -> str:
    number = normalize_phone(value).replace("-", "")
    if not _MOBILE.fullmatch(number):
        raise ParseError("手机号应为以1开头的11位数字")
    return number


def check_phone(value: object) -> str:
    """A mobile number or a landline with area code (``0879-2123456``)."""
    text = normalize_phone(value)
    if _MOBILE.fullmatch(text.replace("-", "")):
        return text.replace("-", "")
    if _LANDLINE.fullmatch(text):
        return text
    raise ParseError("电话应为11位手机号或带区号的固定电话，如 0879-2123456")


def mask_phone(number: str | None) -> str:
    """``139****1234``."""
    if not number:
        return ""
    if len(number) < 7:
        return number
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def check_credit_code(value: object) -> str:
    """统一社会信用代码 (GB 32100), 18 characters with its check character."""
    from stdnum.cn import uscc
    from stdnum.exceptions import ValidationError

    code = compact(value).upper()
    try:
        return str(uscc.validate(code))
    except ValidationError:
        raise ParseError("统一社会信用代码应为18位且校验位正确") from None
