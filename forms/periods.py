"""Reporting periods: annual ``2026``, half-year ``2026H1``, quarter ``2026Q3``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from common.text import ParseError, compact

_PATTERN = re.compile(r"(\d{4})(?:([HQ])([1-4]))?")


@dataclasses.dataclass(frozen=True, order=True)
class Period:
    year: int
    part: str = ""  # "", "H1", "H2", "Q1".."Q4"

    @property
    def code(self) -> str:
        return f"{self.year}{self.part}"

    @property
    def kind(self) -> str:
        return {"": "annual", "H": "half", "Q": "quarter"}[self.part[:1]]

    @property
    def kind_label(self) -> str:
        return {"annual": "年报", "half": "半年报", "quarter": "季报"}[self.kind]

    @property
    def label(self) -> str:
        """``2026年``, ``2026年上半年``, ``2026年第三季度``."""
        if not self.part:
            return f"{self.year}年"
        if self.part[0] == "H":
            return f"{self.year}年{'上' if self.part == 'H1' else '下'}半年"
        return f"{self.year}年第{'一二三四'[int(self.part[1]) - 1]}季度"

    @property
    def start(self) -> dt.date:
        if not self.part:
            return dt.date(self.year, 1, 1)
        n = int(self.part[1])
        month = 1 + (n - 1) * (6 if self.part[0] == "H" else 3)
        return dt.date(self.year, month, 1)

    @property
    def end(self) -> dt.date:
        if not self.part:
            return dt.date(self.year, 12, 31)
        n = int(self.part[1])
        months = 6 if self.part[0] == "H" else 3
        last_month = n * months
        next_first = dt.date(self.year + (last_month == 12), last_month % 12 + 1, 1)
        return next_first - dt.timedelta(days=1)

    def previous(self) -> Period:
        """The period of the same kind before this one (the baseline for change warnings)."""
        if not self.part:
            return Period(self.year - 1)
        n = int(self.part[1])
        count = 2 if self.part[0] == "H" else 4
        if n == 1:
            return Period(self.year - 1, f"{self.part[0]}{count}")
        return Period(self.year, f"{self.part[0]}{n - 1}")

    def contains(self, iso_date: str | None) -> bool:
        return bool(iso_date) and self.start.isoformat() <= str(iso_date)[:10] <= self.end.isoformat()

    def __str__(self) -> str:
        return self.code


def parse_period(value: object) -> Period:
    """``2026``, ``2026H1``, ``2026q3``, ``２０２６`` → :class:`Period`; Chinese message otherwise."""
    text = compact(value).upper()
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise ParseError(f"报告期“{value}”格式不对，应为 2026（年报）、2026H1（半年报）或 2026Q3（季报）")
    year = int(match.group(1))
    if not 2000 <= year <= 2100:
        raise ParseError(f"报告期年份“{year}”不合理")
    if match.group(2) is None:
        return Period(year)
    part = match.group(2) + match.group(3)
    if part[0] == "H" and part[1] not in "12":
        raise ParseError(f"半年报只有 H1、H2，不能是“{part}”")
    return Period(year, part)


def current_period(today: dt.date | None = None) -> Period:
    """The annual period being prepared now: last year until the end of March, then this year."""
    today = today or dt.date.today()
    return Period(today.year - 1) if today.month <= 3 else Period(today.year)
