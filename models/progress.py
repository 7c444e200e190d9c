"""Progress against the plan's targets (规划目标完成情况), from the unit's finalised annual returns.

Every level reads the same thing: its own finalised returns (the ``returns`` table, latest version of
each year). A county's are computed from its records; a prefecture's and the province's are their
consolidated returns, so the progress of a consolidating unit is that of everything it summed, and
:func:`drill_down` splits it into the contributing units (from the returns it received).

Rules the report keeps (the contract with the 产改办 reading it):

* a year without a finalised return is 缺报 — never a zero; a cumulative value sums the years that
  have a return and says which are missing;
* the share done is the value over the target; what the time elapsed would expect is the share of
  the plan's years up to the year reported on (3 of 5 years → 60 %) for cumulative and period-end
  indicators, the whole yearly target for yearly ones; an indicator below that is marked 落后;
* a value built from returns of different definitions (报表制度) says so: a return carries
  ``definition: {id, version, digest}`` (absent: the shipped first definition).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from forms.plans import ANNUAL, CUMULATIVE, LEVEL, Indicator, Plan, decimal_text, formula_text
from models.db import RecordError, Store

MISSING = "缺报"
NO_CELL = "无此栏"
NOT_YET = "未到期"
BEHIND = "落后"
ON_TRACK = "正常"
NO_TARGET = "未下达目标"


@dataclasses.dataclass(frozen=True)
class DefinitionRef:
    id: str
    version: int
    digest: str

    @property
    def label(self) -> str:
        return f"{self.id} 第{self.version}版"


def shipped_definition_ref() -> DefinitionRef:
    from forms.definition import shipped_definition

    d = shipped_definition()
    return DefinitionRef(d.id, d.version, d.digest)


def definition_of(payload: Mapping[str, Any]) -> DefinitionRef:
    """The definition a return was built on (absent: the shipped first one)."""
    ref = payload.get("definition")
    if isinstance(ref, Mapping) and ref.get("id"):
        try:
            return DefinitionRef(str(ref["id"]), int(ref.get("version", 0)), str(ref.get("digest", "")))
        except (TypeError, ValueError):
            pass
    return shipped_definition_ref()


@dataclasses.dataclass(frozen=True)
class YearReturn:
    """One year's finalised return of the unit (what the values are read from)."""

    year: int
    version: int
    finalised_at: str
    payload: Mapping[str, Any] = dataclasses.field(repr=False)

    @property
    def definition(self) -> DefinitionRef:
        return definition_of(self.payload)

    @property
    def consolidated(self) -> bool:
        return bool(self.payload.get("sources"))


def cell_value(payload: Mapping[str, Any], table: str, row: str, column: str) -> Decimal | None:
    """One number of a return's canonical data (money comes as text); None when the return has no such cell."""
    try:
        raw = payload["tables"][table][row][column]
    except (KeyError, TypeError):
        return None
    if isinstance(raw, bool):
        return None
    try:
        return Decimal(str(raw)) if isinstance(raw, (int, str)) else None
    except InvalidOperation:
        return None


def indicator_value(payload: Mapping[str, Any], indicator: Indicator) -> Decimal | None:
    """The indicator's number in one return: the signed sum of its cells (None when a cell is missing)."""
    total = Decimal(0)
    for cell in indicator.cells:
        value = cell_value(payload, cell.table, cell.row, cell.column)
        if value is None:
            return None
        total += cell.factor * value
    return total


# A stored return's canonical JSON without its rosters, which the plan's report never reads: SQLite's JSON functions
# drop them in C, where Python would first build every roster row (a province's return: 0.13 s instead of 0.6 s).
WITHOUT_ROSTERS = "json_remove(payload, '$.rosters')"


def own_year_returns(store: Store, unit_code: str, years: Sequence[int]) -> dict[int, YearReturn]:
    """The latest finalised annual return of each of ``years`` this unit has (consolidated ones included), without
    its rosters."""
    out: dict[int, YearReturn] = {}
    for year in years:
        rows = store.query(f"SELECT version, created_at, {WITHOUT_ROSTERS} AS payload FROM returns "
                           "WHERE unit_code = ? AND period = ? ORDER BY version DESC LIMIT 1", (unit_code, str(year)))
        if rows:
            payload = json.loads(rows[0]["payload"])
            out[year] = YearReturn(year, int(rows[0]["version"]), str(rows[0]["created_at"]), payload)
    return out


# ------------------------------------------------------------------------------------------------
# The report


@dataclasses.dataclass(frozen=True)
class YearValue:
    year: int
    value: Decimal | None
    status: str  # "" (a value), 缺报, 无此栏, 未到期

    @property
    def text(self) -> str:
        return self.status if self.value is None else decimal_text(self.value)


@dataclasses.dataclass(frozen=True)
class IndicatorProgress:
    indicator: Indicator
    target: Decimal | None
    years: tuple[YearValue, ...]
    value: Decimal | None  # the value compared with the target (None: nothing reported)
    value_basis: str  # how ``value`` was formed: ``2021—2023年累计`` …
    share: Decimal | None  # value / target
    expected: Decimal | None  # what the time elapsed would expect
    missing_years: tuple[int, ...]
    definitions: tuple[DefinitionRef, ...]  # of the returns the value was built from

    @property
    def behind(self) -> bool:
        return self.share is not None and self.expected is not None and self.share < self.expected

    @property
    def status(self) -> str:
        if self.target is None:
            return NO_TARGET
        if self.value is None:
            return MISSING
        return BEHIND if self.behind else ON_TRACK

    @property
    def mixed_definitions(self) -> bool:
        return len({d.digest for d in self.definitions}) > 1

    @property
    def remarks(self) -> list[str]:
        """Plain-language caveats printed with the value."""
        out = []
        missing = self.missing_years
        if self.indicator.measure != CUMULATIVE:  # only the year the value is read from matters
            last = max((y.year for y in self.years if y.status != NOT_YET), default=None)
            missing = tuple(y for y in missing if y == last)
        if missing and self.indicator.measure == LEVEL and self.value is not None:
            out.append(f"{'、'.join(str(y) for y in missing)}年缺报，按{self.value_basis}数计")
        elif missing:
            out.append(f"{'、'.join(str(y) for y in missing)}年缺报（未计入，不按0计）")
        if self.mixed_definitions:
            labels = "、".join(sorted({d.label for d in self.definitions}))
            out.append(f"本数值由按不同报表制度填报的报表合成（{labels}），各年口径可能不同")
        return out

    def as_dict(self) -> dict[str, Any]:
        ind = self.indicator
        return {
            "key": ind.key, "name": ind.name, "section": ind.section, "unit": ind.unit, "measure": ind.measure,
            "formula": formula_text(ind), "note": ind.note, "quote": ind.quote,
            "target": _num(self.target), "value": _num(self.value), "value_basis": self.value_basis,
            "share": _num(self.share), "expected": _num(self.expected), "status": self.status,
            "behind": self.behind, "missing_years": list(self.missing_years),
            "years": [{"year": y.year, "value": _num(y.value), "status": y.status or "已报"} for y in self.years],
            "definitions": [dataclasses.asdict(d) for d in self.definitions],
            "mixed_definitions": self.mixed_definitions, "remarks": self.remarks,
        }


def _num(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(round(value, 4))


@dataclasses.dataclass(frozen=True)
class ProgressReport:
    plan: Plan
    unit_code: str
    unit_name: str
    unit_level: str
    as_of: int  # the year reported on
    returns: Mapping[int, YearReturn] = dataclasses.field(repr=False)
    items: tuple[IndicatorProgress, ...]
    cover: Mapping[str, str]  # 单位负责人 … of the unit
    generated_at: str

    @property
    def elapsed(self) -> int:
        return max(0, min(self.as_of, self.plan.year_to) - self.plan.year_from + 1)

    @property
    def expected_share(self) -> Decimal:
        return Decimal(self.elapsed) / Decimal(len(self.plan.years))

    @property
    def consolidating(self) -> bool:
        return any(r.consolidated for r in self.returns.values())

    @property
    def missing_years(self) -> list[int]:
        return [y for y in self.plan.years if y <= self.as_of and y not in self.returns]

    @property
    def behind(self) -> list[IndicatorProgress]:
        return [i for i in self.items if i.behind]

    def item(self, key: str) -> IndicatorProgress:
        for it in self.items:
            if it.indicator.key == key:
                return it
        raise KeyError(key)

    def title(self) -> str:
        return f"{self.unit_name}规划目标完成情况（截至{self.as_of}年）"

    def elapsed_text(self) -> str:
        n = len(self.plan.years)
        return f"规划期{n}年已过{self.elapsed}年，时间进度{percent(self.expected_share)}"

    def cover_lines(self) -> list[tuple[str, str]]:
        years = self.plan.years
        reported = [y for y in years if y in self.returns]
        source = "本单位汇总后定稿的年报" if self.consolidating else "本单位定稿的年报"
        lines = [
            ("填报单位（盖章）", self.unit_name),
            ("单位代码", self.unit_code),
            ("规划", self.plan.label),
            ("统计截至", f"{self.as_of}年（{self.elapsed_text()}）"),
            ("数据来源", f"{source}：" + ("、".join(f"{y}年第{self.returns[y].version}版" for y in reported) or "无")),
            ("缺报年度", "、".join(f"{y}年" for y in self.missing_years) or "无"),
        ]
        if self.consolidating:
            lines.append(("汇总的下级单位", self.coverage_text()))
        for key, label in (("head", "单位负责人"), ("statistician", "统计负责人"), ("preparer", "填表人"),
                           ("phone", "联系电话")):
            lines.append((label, self.cover.get(key, "")))
        lines.append(("生成日期", self.generated_at))
        return lines

    def coverage_text(self) -> str:
        """``2021年实报2个/应报11个，2022年实报1个/应报11个`` for the consolidated years, else ``""``."""
        parts = []
        for year, ret in sorted(self.returns.items()):
            coverage = ret.payload.get("coverage") or {}
            if ret.consolidated and coverage:
                parts.append(f"{year}年实报{coverage.get('reported', 0)}个/应报{coverage.get('expected', 0)}个")
        return "，".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": {"id": self.plan.id, "version": self.plan.version, "title": self.plan.title,
                     "digest": self.plan.digest, "year_from": self.plan.year_from, "year_to": self.plan.year_to},
            "unit": {"code": self.unit_code, "name": self.unit_name, "level": self.unit_level},
            "as_of": self.as_of, "elapsed_years": self.elapsed, "expected_share": _num(self.expected_share),
            "returns": {str(y): {"version": r.version, "finalised_at": r.finalised_at,
                                 "consolidated": r.consolidated, "definition": dataclasses.asdict(r.definition)}
                        for y, r in sorted(self.returns.items())},
            "missing_years": self.missing_years, "coverage": self.coverage_text(),
            "indicators": [i.as_dict() for i in self.items],
            "not_counted": [{"key": i.key, "name": i.name, "section": i.section, "unit": i.unit,
                             "target": _num(i.target), "status": "本报表未统计", "note": i.note, "quote": i.quote}
                            for i in self.plan.not_counted],
        }


def percent(share: Decimal | None) -> str:
    if share is None:
        return "—"
    return f"{(share * 100).quantize(Decimal('0.1'))}%"


def default_as_of(plan: Plan, years_with_returns: Sequence[int], today: dt.date | None = None) -> int:
    """The year reported on: the last year whose annual return is due (last year), or a later one reported."""
    due = (today or dt.date.today()).year - 1
    latest = max([due, *years_with_returns])
    return max(plan.year_from, min(plan.year_to, latest))


def measure_indicator(indicator: Indicator, target: Decimal | None, plan: Plan, as_of: int,
                      returns: Mapping[int, YearReturn]) -> IndicatorProgress:
    """One indicator's progress from the unit's annual returns."""
    years: list[YearValue] = []
    for year in plan.years:
        if year > as_of:
            years.append(YearValue(year, None, NOT_YET))
        elif year not in returns:
            years.append(YearValue(year, None, MISSING))
        else:
            number = indicator_value(returns[year].payload, indicator)
            years.append(YearValue(year, number, "" if number is not None else NO_CELL))
    reported = [y for y in years if y.value is not None]
    missing = tuple(y.year for y in years if y.status in (MISSING, NO_CELL))
    elapsed = Decimal(max(0, min(as_of, plan.year_to) - plan.year_from + 1)) / Decimal(len(plan.years))
    value: Decimal | None
    used: list[int]
    if indicator.measure == CUMULATIVE:
        value = sum((y.value for y in reported if y.value is not None), Decimal(0)) if reported else None
        used = [y.year for y in reported]
        basis = f"{plan.year_from}—{as_of}年累计" if as_of > plan.year_from else f"{plan.year_from}年"
        expected: Decimal | None = elapsed
    elif indicator.measure == LEVEL:
        last = reported[-1] if reported else None
        value = last.value if last else None
        used = [last.year] if last else []
        basis = f"{last.year}年末" if last else ""
        expected = elapsed
    else:
        assert indicator.measure == ANNUAL
        this = next(y for y in years if y.year == min(as_of, plan.year_to))
        value = this.value
        used = [this.year] if value is not None else []
        basis = f"{this.year}年"
        expected = Decimal(1)
    share = value / target if (value is not None and target) else None
    definitions = tuple(dict.fromkeys(returns[y].definition for y in used))
    return IndicatorProgress(indicator, target, tuple(years), value, basis, share,
                             expected if target else None, missing, definitions)


def build_report(store: Store, plan: Plan, *, as_of: int | None = None, today: dt.date | None = None,
                 unit_code: str | None = None) -> ProgressReport:
    """The progress of this unit (or, for a consolidating unit's drill-down, ``unit_code``) against ``plan``."""
    from models import unit

    own = unit.load(store)
    if own is None:
        raise RecordError("尚未设置本单位")
    if as_of is not None and not plan.covers(as_of):
        raise RecordError(f"{as_of}年不在规划期（{plan.year_from}—{plan.year_to}年）内")
    returns = own_year_returns(store, own.code, plan.years)
    year = as_of if as_of is not None else default_as_of(plan, list(returns), today)
    items = tuple(measure_indicator(ind, ind.target_for(own.code, own.level), plan, year, returns)
                  for ind in plan.counted)
    cover = {"head": own.head, "statistician": own.statistician, "preparer": own.preparer, "phone": own.phone}
    stamp = dt.datetime.now().isoformat(sep=" ", timespec="minutes")
    return ProgressReport(plan, own.code, own.name, own.level, year, returns, items, cover, stamp)


# ------------------------------------------------------------------------------------------------
# Drill-down: each contributing unit's part, year by year


@dataclasses.dataclass(frozen=True)
class UnitPart:
    code: str
    name: str
    role: str  # own / reported
    progress: IndicatorProgress  # measured like the unit's own, with the target set for that unit


def drill_down(store: Store, report: ProgressReport, key: str) -> list[UnitPart]:
    """The units summed in the consolidated returns, each with its part of indicator ``key`` per year.

    A subordinate's part is read from the return it sent (found by the digest the consolidated return
    names); the unit's own part (市直 …) is the rest. A unit absent from a year's consolidation is 缺报
    for that year. Empty for a unit that consolidates nothing.
    """
    from models.consolidate import OWN, SUBORDINATE

    indicator = report.plan.indicator(key)
    per_unit: dict[str, dict[int, YearReturn]] = {}
    names: dict[str, tuple[str, str]] = {}
    for year, ret in sorted(report.returns.items()):
        coverage = ret.payload.get("coverage") or {}
        units = [u for u in coverage.get("units", []) if isinstance(u, Mapping)]
        if not units:
            continue
        own_cells: dict[str, dict[str, dict[str, Any]]] = json.loads(json.dumps(ret.payload.get("tables", {})))
        for item in units:
            code = str(item.get("code", ""))
            role = str(item.get("role", ""))
            if role == SUBORDINATE:
                names.setdefault(code, (str(item.get("name", code)), SUBORDINATE))
                payload = store.scalar(f"SELECT {WITHOUT_ROSTERS} FROM received_returns WHERE digest = ?",
                                       (item.get("digest", ""),))
                if payload is None:
                    continue
                part = json.loads(str(payload))
                per_unit.setdefault(code, {})[year] = YearReturn(year, int(part.get("version", 0)), "", part)
                _subtract(own_cells, part.get("tables", {}), indicator)
            elif role == OWN:
                names.setdefault(code, (str(item.get("name", code)), OWN))
            else:
                names.setdefault(code, (str(item.get("name", code)), SUBORDINATE))
        own_code = next((str(u.get("code")) for u in units if u.get("role") == OWN), "")
        if own_code:
            per_unit.setdefault(own_code, {})[year] = YearReturn(
                year, ret.version, ret.finalised_at, {"tables": own_cells, "definition": ret.payload.get("definition")})
    out = []
    for code, (name, role) in names.items():
        level = "own" if role == OWN else _unit_level(code)
        target = None if role == OWN else indicator.target_for(code, level)
        progress = measure_indicator(indicator, target, report.plan, report.as_of, per_unit.get(code, {}))
        out.append(UnitPart(code, name, role, progress))
    out.sort(key=lambda p: (p.role != OWN, p.code))
    return out


def _unit_level(code: str) -> str:
    from forms import divisions

    division = divisions.get(code)
    return division.level if division is not None else "industry"


def _subtract(own: dict[str, dict[str, dict[str, Any]]], part: Mapping[str, Any], indicator: Indicator) -> None:
    """Take a subordinate's cells (those the indicator reads) off the consolidated ones, leaving the own part."""
    for cell in indicator.cells:
        mine = cell_value({"tables": own}, cell.table, cell.row, cell.column)
        theirs = cell_value({"tables": part}, cell.table, cell.row, cell.column)
        if mine is None or theirs is None:
            continue
        own[cell.table][cell.row][cell.column] = str(mine - theirs)


def all_units(store: Store, report: ProgressReport) -> dict[str, list[UnitPart]]:
    """:func:`drill_down` of every counted indicator (empty for a unit that consolidates nothing)."""
    if not report.consolidating:
        return {}
    return {item.indicator.key: drill_down(store, report, item.indicator.key) for item in report.items}


def drill_down_dict(parts: Sequence[UnitPart]) -> list[dict[str, Any]]:
    return [{"code": p.code, "name": p.name, "role": p.role, **{k: v for k, v in p.progress.as_dict().items()
             if k in ("target", "value", "share", "expected", "status", "years", "missing_years")}} for p in parts]
