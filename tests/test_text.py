"""Property tests for ``common.text``: messy input in, one canonical value out."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.text import (
    EXCEL_EPOCH,
    ParseError,
    clean_text,
    compact,
    halfwidth,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
    parse_year,
)

FULLWIDTH_DIGITS = "０１２３４５６７８９"


def to_fullwidth(text: str) -> str:
    """ASCII digits and letters to their full-width forms (as typed with a Chinese IME)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def sprinkle_spaces(text: str, positions: list[int], space: str) -> str:
    out = list(text)
    for pos in sorted({p % (len(text) + 1) for p in positions}, reverse=True):
        out.insert(pos, space)
    return "".join(out)


dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
spaces = st.sampled_from([" ", "\u3000", "\t", "  "])


def date_styles(d: dt.date) -> list[str]:
    return [
        d.isoformat(),
        f"{d.year}.{d.month}.{d.day}",
        f"{d.year}.{d.month:02d}.{d.day:02d}",
        f"{d.year}/{d.month}/{d.day}",
        f"{d.year}年{d.month}月{d.day}日",
        f"{d.year}年{d.month:02d}月{d.day:02d}日",
        f"{d.year}-{d.month}-{d.day}",
        f"{d:%Y%m%d}",
        f"{d.year}。{d.month}。{d.day}",  # 。 typed for a dot
    ]


NO_DEADLINE = settings(deadline=None)  # a busy CI machine and first-call imports must not fail a test

# ---------------------------------------------------------------------------------------------
# Dates


@NO_DEADLINE
@given(dates, st.integers(0, 8), st.booleans(), st.lists(st.integers(0, 20), max_size=3), spaces)
def test_every_accepted_date_style_round_trips(d: dt.date, style: int, fullwidth: bool, gaps: list[int],
                                               space: str) -> None:
    text = date_styles(d)[style]
    if fullwidth:
        text = to_fullwidth(text)
    text = sprinkle_spaces(text, gaps, space)
    assert parse_date(text) == d.isoformat()
    assert parse_date(text, allow_partial=True) == d.isoformat()


@NO_DEADLINE
@given(dates)
def test_date_objects_and_datetimes(d: dt.date) -> None:
    assert parse_date(d) == d.isoformat()
    assert parse_date(dt.datetime(d.year, d.month, d.day, 13, 45)) == d.isoformat()


@NO_DEADLINE
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_excel_serial_numbers(d: dt.date) -> None:
    serial = (d - EXCEL_EPOCH).days
    assert parse_date(serial) == d.isoformat()
    assert parse_date(float(serial) + 0.25) == d.isoformat()  # a date-time cell: the time is dropped
    if serial >= 10000:  # five digits as text (four digits are read as a year)
        assert parse_date(str(serial)) == d.isoformat()
        assert parse_date(to_fullwidth(str(serial))) == d.isoformat()


@NO_DEADLINE
@given(st.integers(1900, 2100), st.integers(1, 12), st.booleans())
def test_partial_dates_need_allow_partial(year: int, month: int, fullwidth: bool) -> None:
    for text, expected in ((f"{year}.{month:02d}", f"{year}-{month:02d}"), (f"{year}年{month}月", f"{year}-{month:02d}"),
                           (f"{year}-{month}", f"{year}-{month:02d}"), (f"{year}年", f"{year}")):
        if fullwidth:
            text = to_fullwidth(text)
        assert parse_date(text, allow_partial=True) == expected
        with pytest.raises(ParseError, match="缺少"):
            parse_date(text)


@pytest.mark.parametrize("text", ["2023-02-29", "2024.13.01", "1978年5月32日", "19780231", "1899-12-31", "2101-01-01",
                                  "明天", "12/05/1978", "1978-5-12-3"])
def test_impossible_dates_are_refused_in_chinese(text: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_date(text)
    assert any("\u4e00" <= c <= "\u9fff" for c in str(info.value))


@pytest.mark.parametrize("empty", [None, "", "   ", "\u3000"])
def test_empty_dates_are_none(empty: object) -> None:
    assert parse_date(empty) is None


# ---------------------------------------------------------------------------------------------
# Numbers


@NO_DEADLINE
@given(st.integers(0, 10**9), st.booleans(), st.sampled_from(["", "人", "人次", "件", "项", "个"]),
       st.lists(st.integers(0, 12), max_size=2), spaces)
def test_parse_int_reads_non_negative_numbers(n: int, fullwidth: bool, suffix: str, gaps: list[int],
                                              space: str) -> None:
    text = str(n)
    if fullwidth:
        text = to_fullwidth(text)
    text = sprinkle_spaces(text, gaps, space) + suffix
    assert parse_int(text) == n
    assert parse_int(n) == n
    assert parse_int(float(n)) == n
    assert parse_int(f"{n:,}") == n
    assert parse_int(f"{n}.0") == n


@NO_DEADLINE
@given(st.integers(max_value=-1), st.booleans())
def test_parse_int_never_accepts_negatives(n: int, fullwidth: bool) -> None:
    for value in (n, float(n), str(n), f"{n}人", to_fullwidth(str(n)) if fullwidth else f" {n} "):
        with pytest.raises(ParseError):
            parse_int(value)


@NO_DEADLINE
@given(st.integers(max_value=-1))
def test_parse_int_allows_negatives_only_when_asked(n: int) -> None:
    assert parse_int(str(n), minimum=None) == n
    with pytest.raises(ParseError, match="不能小于 1"):
        parse_int(0, minimum=1)


@pytest.mark.parametrize("value", ["1.5", "abc", "一百", "3e2", True, 2.5, "1-2"])
def test_parse_int_refuses_non_integers(value: object) -> None:
    with pytest.raises(ParseError):
        parse_int(value)


@NO_DEADLINE
@given(st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False), st.booleans())
def test_parse_decimal_reads_money(amount: object, fullwidth: bool) -> None:
    text = f"{amount}万元"
    if fullwidth:
        text = to_fullwidth(text)
    assert parse_decimal(text) == float(amount)  # type: ignore[arg-type]


@NO_DEADLINE
@given(st.integers(min_value=-10**9, max_value=-1))
def test_parse_decimal_refuses_negatives(cents: int) -> None:
    for value in (f"{cents / 100:.2f}", cents / 100, cents):
        with pytest.raises(ParseError, match="负数"):
            parse_decimal(value)


@pytest.mark.parametrize("value", ["NaN", "inf", "Infinity"])
def test_parse_decimal_refuses_non_finite(value: str) -> None:
    with pytest.raises(ParseError):
        parse_decimal(value)


# ---------------------------------------------------------------------------------------------
# Years, booleans, text


@NO_DEADLINE
@given(st.integers(1900, 2100), st.booleans(), st.sampled_from(["", "年", "年度"]))
def test_parse_year(year: int, fullwidth: bool, suffix: str) -> None:
    text = f"{year}{suffix}"
    assert parse_year(to_fullwidth(text) if fullwidth else text) == year
    assert parse_year(year) == year
    assert parse_year(dt.date(year, 6, 1)) == year


@pytest.mark.parametrize("value", ["1899", "2101", "二〇二四", 1850, 2024.5, "24"])
def test_parse_year_refuses_nonsense(value: object) -> None:
    with pytest.raises(ParseError):
        parse_year(value)


@pytest.mark.parametrize(("value", "expected"), [("是", True), ("否", False), ("√", True), ("Y", True), ("ｙｅｓ", True),
                                                 ("", False), (None, False), ("无", False), (1, True), (0, False)])
def test_parse_bool(value: object, expected: bool) -> None:
    assert parse_bool(value) is expected


def test_parse_bool_refuses_other_words() -> None:
    with pytest.raises(ParseError, match=r"是.*否"):
        parse_bool("可能")


@NO_DEADLINE
@given(st.text(alphabet="0123456789", min_size=1, max_size=30))
def test_fullwidth_digits_become_ascii(digits: str) -> None:
    full = "".join(FULLWIDTH_DIGITS[int(c)] for c in digits)
    assert halfwidth(full) == digits
    assert compact(sprinkle_spaces(full, [1, 5], "\u3000")) == digits


@NO_DEADLINE
@given(st.text())
def test_clean_text_is_idempotent_and_trimmed(text: str) -> None:
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned and "\u3000" not in cleaned


@NO_DEADLINE
@given(st.text())
def test_compact_has_no_white_space(text: str) -> None:
    out = compact(text)
    assert not any(c.isspace() for c in out)
    assert compact(out) == out
