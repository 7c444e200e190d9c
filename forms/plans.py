"""The province's plan targets (规划目标) as data: one versioned JSON file beside the return's definition.

A plan (``resources/plans/*.json``; the next ones are sent down, signed, like definitions) names its
years and its indicators. Each indicator quotes its source paragraph and either ties its target to
numbers of the annual return — a table cell or a sum of cells (each with a factor of 1 or -1), referred
to by the table, row and column keys of ``forms.returns`` — or says why the return has no counterpart
(``counted: false``, shown as 本报表未统计, never dropped).

How the return's numbers build the value compared with the target (``measure``):

* ``cumulative``: the sum of the annual returns since the plan's first year (新增 … 累计);
* ``annual``: each year on its own (每年不少于 …); the target is a yearly one;
* ``level``: the number of the latest year (a stock held at the year end, e.g. people holding a title).

The province's target is ``target``; ``targets_by_unit`` optionally gives the targets it sets for
prefectures (or other units) by unit code.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from common.errors import UserError
from common.paths import resource_path
from forms.definition import shipped_spec

FORMAT = "changai-plan"
FORMAT_VERSION = 1
MAX_BYTES = 2 * 1024 * 1024  # a plan is tens of kilobytes; refuse anything absurd before parsing
SHIPPED = "plans/yn-changai-plan-14th.v1.json"

CUMULATIVE = "cumulative"
ANNUAL = "annual"
LEVEL = "level"
MEASURES = {CUMULATIVE: "规划期累计", ANNUAL: "每年", LEVEL: "期末数"}


class PlanError(UserError):
    """A plan file that cannot be used; the message names the file and the place in it."""


@dataclasses.dataclass(frozen=True)
class Cell:
    table: str
    row: str
    column: str
    factor: int = 1

    @property
    def key(self) -> str:
        return f"{self.table}.{self.row}.{self.column}"


@dataclasses.dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    section: str  # 专栏一 思想引领 …
    unit: str  # 名, 万人次 …
    quote: str  # the source paragraph, verbatim
    counted: bool
    measure: str = CUMULATIVE
    cells: tuple[Cell, ...] = ()
    target: Decimal | None = None
    targets_by_unit: Mapping[str, Decimal] = dataclasses.field(default_factory=dict)
    note: str = ""  # how the return's numbers map to the indicator (or why they do not)

    @property
    def measure_label(self) -> str:
        return MEASURES[self.measure]

    def target_for(self, unit_code: str, unit_level: str) -> Decimal | None:
        """The province's target for the province, else the one set for ``unit_code`` (None: none set)."""
        if unit_level == "province":
            return self.target
        return self.targets_by_unit.get(unit_code)


@dataclasses.dataclass(frozen=True)
class Plan:
    id: str
    version: int
    title: str
    authority: str
    year_from: int
    year_to: int
    source: str  # the document the targets come from
    indicators: tuple[Indicator, ...]
    raw: bytes = dataclasses.field(repr=False)
    definition_id: str = ""

    @functools.cached_property
    def digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def years(self) -> list[int]:
        return list(range(self.year_from, self.year_to + 1))

    @property
    def label(self) -> str:
        """``云南省……“十四五”规划（2021—2025年，第1版）``."""
        return f"{self.title}（{self.year_from}—{self.year_to}年，第{self.version}版）"

    @property
    def counted(self) -> list[Indicator]:
        return [i for i in self.indicators if i.counted]

    @property
    def not_counted(self) -> list[Indicator]:
        return [i for i in self.indicators if not i.counted]

    def indicator(self, key: str) -> Indicator:
        for item in self.indicators:
            if item.key == key:
                return item
        raise KeyError(key)

    def covers(self, year: int) -> bool:
        return self.year_from <= year <= self.year_to


# ------------------------------------------------------------------------------------------------
# Reading and checking


def known_cells() -> dict[str, dict[str, set[str]]]:
    """table key → row key → column keys, of the return the program implements."""

    return {t.key: {r.key: {c.key for c in t.columns} for r in t.rows} for t in shipped_spec().tables}


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, what: str) -> PlanError:
        place = f"的“{where}”" if where else ""
        return PlanError(f"规划目标文件“{self.source}”{place}{what}。")

    def text(self, data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
        value = data.get(key, "" if not required else None)
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(f"{where}{key}", "缺少或不是文字")
        return value.strip()

    def integer(self, data: Mapping[str, Any], key: str, where: str) -> int:
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{where}{key}", "缺少或不是整数")
        return value

    def number(self, value: Any, where: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise self.fail(where, "应为不小于0的数（整数，或写成文字的小数，如 \"12.5\"）")
        try:
            out = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.fail(where, f"“{value}”不是数") from None
        if not out.is_finite() or out < 0:
            raise self.fail(where, f"“{value}”不是不小于0的数")
        return out


def load_plan(data: bytes, *, source: str = "规划目标文件",
              cells: Mapping[str, Mapping[str, set[str]]] | None = None) -> Plan:
    """Parse and check a plan file's bytes; :class:`PlanError` names ``source`` and the place in the file.

    ``cells`` are the return's table/row/column keys a plan may refer to (default: :func:`known_cells`).
    """
    rd = _Reader(source)
    if len(data) > MAX_BYTES:
        raise PlanError(f"“{source}”太大（{len(data) // 1024} KB），不是规划目标文件。")
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanError(f"“{source}”不是规划目标文件（无法按UTF-8 JSON读取：{exc}）。") from exc
    if not isinstance(parsed, dict) or parsed.get("format") != FORMAT:
        raise PlanError(f"“{source}”不是规划目标文件（format 应为“{FORMAT}”）。")
    if parsed.get("format_version") != FORMAT_VERSION:
        raise PlanError(f"“{source}”的格式版本为{parsed.get('format_version')}，本程序只能读第{FORMAT_VERSION}版，"
                        "请安装新版程序。")
    cells = known_cells() if cells is None else cells
    year_from, year_to = rd.integer(parsed, "year_from", ""), rd.integer(parsed, "year_to", "")
    if not 2000 <= year_from <= year_to <= 2100 or year_to - year_from > 20:
        raise rd.fail("year_from/year_to", f"规划年度{year_from}—{year_to}不正确")
    version = rd.integer(parsed, "version", "")
    if version < 1:
        raise rd.fail("version", "应为不小于1的整数")
    items = parsed.get("indicators")
    if not isinstance(items, list) or not items:
        raise rd.fail("indicators", "缺少或不是指标列表")
    indicators: list[Indicator] = []
    seen: set[str] = set()
    for n, item in enumerate(items):
        indicators.append(_indicator(rd, item, f"indicators[{n}]", cells, seen))
    return Plan(id=rd.text(parsed, "id", ""), version=version, title=rd.text(parsed, "title", ""),
                authority=rd.text(parsed, "authority", ""), year_from=year_from, year_to=year_to,
                source=rd.text(parsed, "source", ""), indicators=tuple(indicators), raw=bytes(data),
                definition_id=rd.text(parsed, "definition_id", "", required=False))


def _indicator(rd: _Reader, item: Any, where: str, cells: Mapping[str, Mapping[str, set[str]]],
               seen: set[str]) -> Indicator:
    if not isinstance(item, dict):
        raise rd.fail(where, "不是指标（应为 {…}）")
    at = f"{where}."
    key = rd.text(item, "key", at)
    if key in seen:
        raise rd.fail(f"{at}key", f"指标代码“{key}”重复")
    seen.add(key)
    name = rd.text(item, "name", at)
    at = f"{where}（{name}）."
    counted = item.get("counted", True)
    if not isinstance(counted, bool):
        raise rd.fail(f"{at}counted", "应为 true 或 false")
    target = None if item.get("target") is None else rd.number(item["target"], f"{at}target")
    by_unit_raw = item.get("targets_by_unit") or {}
    if not isinstance(by_unit_raw, dict):
        raise rd.fail(f"{at}targets_by_unit", "应为 {单位代码: 目标数}")
    by_unit: dict[str, Decimal] = {}
    for code, value in by_unit_raw.items():
        if not (isinstance(code, str) and code.strip()):
            raise rd.fail(f"{at}targets_by_unit", "单位代码不能为空")
        by_unit[code.strip()] = rd.number(value, f"{at}targets_by_unit.{code}")
    measure = item.get("measure", CUMULATIVE)
    if not isinstance(measure, str) or measure not in MEASURES:
        raise rd.fail(f"{at}measure", f"应为 {'、'.join(MEASURES)} 之一")
    note = rd.text(item, "note", at, required=False)
    parsed_cells: list[Cell] = []
    raw_cells = item.get("cells", [])
    if counted:
        if target is None:
            raise rd.fail(f"{at}target", "计入统计的指标须有省级目标数")
        if not isinstance(raw_cells, list) or not raw_cells:
            raise rd.fail(f"{at}cells", "计入统计的指标须对应报表中至少一个数（表、行、栏）")
        for n, raw in enumerate(raw_cells):
            parsed_cells.append(_cell(rd, raw, f"{at}cells[{n}]", cells))
    elif raw_cells:
        raise rd.fail(f"{at}cells", "未统计的指标（counted: false）不能对应报表中的数")
    elif not note:
        raise rd.fail(f"{at}note", "未统计的指标须说明原因")
    return Indicator(key=key, name=name, section=rd.text(item, "section", at), unit=rd.text(item, "unit", at),
                     quote=rd.text(item, "quote", at), counted=counted, measure=measure, cells=tuple(parsed_cells),
                     target=target, targets_by_unit=by_unit, note=note)


def _cell(rd: _Reader, raw: Any, where: str, cells: Mapping[str, Mapping[str, set[str]]]) -> Cell:
    if not isinstance(raw, dict):
        raise rd.fail(where, "应为 {\"table\": …, \"row\": …, \"column\": …}")
    at = f"{where}."
    table, row, column = rd.text(raw, "table", at), rd.text(raw, "row", at), rd.text(raw, "column", at)
    if table not in cells:
        raise rd.fail(f"{at}table", f"报表中没有“{table}”表（可用：{'、'.join(cells)}）")
    if row not in cells[table]:
        raise rd.fail(f"{at}row", f"{table}中没有“{row}”行")
    if column not in cells[table][row]:
        raise rd.fail(f"{at}column", f"{table}中没有“{column}”栏")
    factor = raw.get("factor", 1)
    if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (1, -1):
        raise rd.fail(f"{at}factor", "应为 1 或 -1")
    return Cell(table, row, column, int(factor))


@functools.cache
def shipped_plan() -> Plan:
    """The plan the program ships with (the 十四五 plan)."""
    path = resource_path(*SHIPPED.split("/"))
    return load_plan(path.read_bytes(), source=path.name)


def cell_label(cell: Cell) -> str:
    """``表1“省部级”行“劳动模范/先进工作者·其中本期新增”栏`` for people."""

    try:
        spec = shipped_spec().table(cell.table)
        row, col = spec.row(cell.row), spec.column(cell.column)
    except KeyError:
        return cell.key
    col_label = f"{col.group}·{col.label}" if col.group else col.label
    return f"{spec.number}“{row.full_label}”行“{col_label}”栏"


def formula_text(indicator: Indicator) -> str:
    """The return numbers an indicator is built from, for people: ``表3“合计”行“参训人次”栏（规划期累计）``."""
    if not indicator.counted:
        return "本报表未统计"
    parts = []
    for n, cell in enumerate(indicator.cells):
        sign = ("－" if cell.factor < 0 else "＋") if n else ("－" if cell.factor < 0 else "")
        parts.append(f"{sign}{cell_label(cell)}")
    return "".join(parts) + f"（{indicator.measure_label}）"


def plan_summary(plan: Plan) -> dict[str, Any]:
    """What ``plan list --json`` prints of a plan."""
    return {"id": plan.id, "version": plan.version, "title": plan.title, "year_from": plan.year_from,
            "year_to": plan.year_to, "digest": plan.digest, "indicators": len(plan.indicators),
            "counted": len(plan.counted), "not_counted": len(plan.not_counted)}


def decimal_text(value: Decimal | None) -> str:
    """``300``, ``12.5``; ``—`` for None."""
    if value is None:
        return "—"
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"
