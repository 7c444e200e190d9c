"""The return (报表, DOMAIN.md §4) in memory: cover, tables, rosters, review rules, summary and
charts, built from a definition file (``forms.definition``, ``resources/definitions/*.json``) by
:func:`spec_from_body`, which also checks the file and names each problem by its path in the file.

These declarations drive the screen, the Excel and PDF exports, the machine-readable form, the
review and consolidation. A table cell is the sum, over the *facts* that fall in its row and
column, of the column's measure. ``models.returns`` turns records into facts (one per person and
honour category for 表1, one per studio, training or competition for 表2–表4, the entered
innovation rows for 表5); a fact carries attributes (matched by rows and columns), flags
(``new``, ``female`` …) and values (``participants``, ``funds`` …).

Counting rules (documented here because they are the contract with the province):

* 表1: a person counts once per category, in the row of the highest level held at the period end
  (``forms.honours.LEVEL_RANK``). Only people in the store (not in the 回收站) whose status is not
  调离 or 已故 count. An honour counts from its 授予日期; an honour with only a 授予年份 counts as
  awarded on 31 December of that year (so in an annual return it counts in its year, and in a
  half-year or quarter return of that year only from H2/Q4 on — the review reminds the user to
  enter the date). 其中本期新增: the person reached that level of that category during the period
  (held no honour of the category at that level or higher before the period started).
* 表2: studios existing at the period end (命名年份 ≤ the period's year, not revoked in or before
  that year, not in the 回收站). 其中本年新增 = named in the period's year. Outputs are yearly
  figures: those of the period's year (in a half-year or quarter return: the year so far).
* 表3 and 表4: trainings whose 开始日期 and competitions whose 举办日期 lie in the period.
* 表5 is entered: the innovation record of the period. An annual return without one sums the
  year's quarter records (or else its half-year records); a half-year return sums its quarters.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from common.errors import UserError
from forms import expr
from forms import fields as F
from forms.fields import Field
from forms.records import CERT_FIELDS, SPECS

FORMAT_NAME = "changai-return"
FORMAT_VERSION = 1
TOTAL = "total"  # the key of every 合计 row

# Statuses of a person who no longer counts in 表1 and 附表1.
NOT_COUNTED_STATUSES = ("调离", "已故")


@dataclasses.dataclass(frozen=True)
class Column:
    """A column of a return table: the sum of ``measure`` over the facts matching ``match``/``flag``."""

    key: str
    label: str
    unit: str
    measure: str = "count"  # "count" or the name of a fact value
    match: tuple[tuple[str, str], ...] = ()  # fact attributes this column requires
    flag: str | None = None  # fact flag this column requires (其中 columns)
    group: str = ""  # header spanning neighbouring columns with the same group
    not_above: str | None = None  # this column may not exceed that one (其中, 取证 ≤ 参训 …)
    key_total: bool = False  # watched by the change-over-50 % warning (合计 row)
    money: bool = False  # 万元, two decimals

    @property
    def caption(self) -> str:
        return f"{self.label}（{self.unit}）" if self.unit else self.label


@dataclasses.dataclass(frozen=True)
class Row:
    key: str
    label: str
    match: tuple[tuple[str, str], ...] = ()  # fact attributes of this row; () = every fact (合计)
    group: str = ""  # first label column when rows have two (表2: 类型)

    @property
    def is_total(self) -> bool:
        return self.key == TOTAL

    @property
    def full_label(self) -> str:
        return f"{self.group}·{self.label}" if self.group else self.label


@dataclasses.dataclass(frozen=True)
class TableSpec:
    key: str  # T1 … T5
    number: str  # 表1
    title: str
    form_no: str  # 表号
    source: str  # the record kind behind its numbers (drill-down)
    row_header: tuple[str, ...]  # captions of the label column(s)
    rows: tuple[Row, ...]
    columns: tuple[Column, ...]
    unit_note: str = "见各栏"  # 计量单位
    note: str = ""  # 填表说明 printed under the table
    entered: bool = False  # 表5: entered, not computed
    landscape: bool = True
    short: str = ""  # a few characters for the tab on screen: 劳模

    @property
    def full_title(self) -> str:
        return f"{self.number}　{self.title}"

    def row(self, key: str) -> Row:
        for r in self.rows:
            if r.key == key:
                return r
        raise KeyError(f"{self.key}.{key}")

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(f"{self.key}.{key}")


# ------------------------------------------------------------------------------------------------
# Rosters (附表): one row per person / studio, all values as display text


@dataclasses.dataclass(frozen=True)
class RosterColumn:
    key: str
    label: str
    width: int  # characters
    consolidated_only: bool = False  # 来源单位: only in a consolidated return


@dataclasses.dataclass(frozen=True)
class RosterSpec:
    key: str  # R1, R2
    number: str  # 附表1
    title: str
    form_no: str
    source: str  # record kind
    columns: tuple[RosterColumn, ...]
    note: str = ""
    short: str = ""  # for the tab on screen: 劳模名册

    @property
    def full_title(self) -> str:
        return f"{self.number}　{self.title}"

    def visible_columns(self, consolidated: bool) -> tuple[RosterColumn, ...]:
        return tuple(c for c in self.columns if consolidated or not c.consolidated_only)


# ------------------------------------------------------------------------------------------------
# Cover (封面)


@dataclasses.dataclass(frozen=True)
class CoverField:
    key: str
    label: str
    required: bool = False


# ------------------------------------------------------------------------------------------------
# Review rules (审核, DOMAIN.md §4). Errors block finalising; warnings need a written 说明;
# notices (提示) only inform.

ERROR = "error"
WARNING = "warning"
NOTICE = "info"

SEVERITY_LABELS = {ERROR: "错误", WARNING: "警告", NOTICE: "提示"}


@dataclasses.dataclass(frozen=True)
class Rule:
    """A review rule. Without ``condition`` it is one the program implements (its code is in
    :data:`BUILTIN_RULES`); with one it is evaluated from the file: ``scope`` ``return`` over the cells
    (``T3.total.participants``), or a record kind over each record's fields, at entry and in the review."""

    code: str
    severity: str
    title: str
    fix: str  # how to fix, shown after the message
    scope: str = ""  # "" (built in), "return", or a record kind
    condition: str = ""  # the finding is raised when this is true
    message: str = ""  # with {name} placeholders
    where: str = ""  # return scope: the cell the finding points at (T/row/col); record scope: the field
    node: expr.Node | None = dataclasses.field(default=None, compare=False, repr=False)


# ------------------------------------------------------------------------------------------------
# The summary sheet (汇总表): key figures of the 合计 rows and two charts


@dataclasses.dataclass(frozen=True)
class Figure:
    table: str
    column: str
    label: str


@dataclasses.dataclass(frozen=True)
class Chart:
    """A horizontal bar chart; each bar is a stack of segments, each segment one table cell."""

    title: str
    table: str
    segments: tuple[str, ...]  # legend labels (one per segment)
    bars: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # (bar label, ((row, column) per segment))




# ------------------------------------------------------------------------------------------------
# Fact sources: what the program extracts from the records (``models.returns``), by the names a
# definition file uses. Attributes are matched by rows and columns, flags select 其中 columns and values
# are summed by measures. Entry fields added by a definition (``fields``) join their kind's source:
# a number as a value, a yes/no field as a flag.


@dataclasses.dataclass(frozen=True)
class FactSource:
    kind: str  # the record kind behind it (drill-down)
    attrs: tuple[str, ...]
    flags: tuple[str, ...]
    values: tuple[str, ...]


FACT_SOURCES: dict[str, FactSource] = {
    "people": FactSource("people", ("category", "level"), ("new", "frontline", "female", "minority", "migrant"), ()),
    "studios": FactSource("studios", ("type", "level"), ("new",),
                          ("members", "projects", "achievements", "patents", "invention_patents", "methods", "benefit",
                           "apprentices", "trainees")),
    "trainings": FactSource("trainings", ("type",), (),
                            ("participants", "migrant", "female", "certs", *CERT_FIELDS, "funds", "union_funds")),
    "competitions": FactSource("competitions", ("level",), ("skill",),
                               ("trades", "participants", "winners", "promoted", "experts")),
    "innovation": FactSource("innovation", (), (),
                             ("suggestions", "suggestions_adopted", "innovations", "inventions", "patents", "methods",
                              "benefit")),
}

# Review rules the program implements itself (a definition lists them to set their severity and texts).
BUILTIN_RULES = (
    "cell.not_above", "cover.required", "studio.leader_honour", "honour.future", "person.id_invalid",
    "person.id_duplicate", "person.id_mismatch", "record.not_above", "change.over_50", "studio.no_output",
    "honour.young", "font.missing", "honour.after_period", "honour.year_only", "innovation.derived",
    "innovation.missing", "roster.duplicate_person", "consolidation.missing",
)
THRESHOLDS = ("change_ratio", "min_honour_age")  # thresholds the built-in rules read
SEVERITY_WORDS = {"错误": ERROR, "警告": WARNING, "提示": NOTICE}
EXTRA_FIELD_TYPES = {"int": F.INT, "money": F.MONEY, "bool": F.BOOL}


@dataclasses.dataclass(frozen=True)
class ExtraField:
    """An entry field a definition adds to a record kind (stored with the record, ``extra`` column)."""

    kind: str
    field: Field


@dataclasses.dataclass(frozen=True)
class ReturnSpec:
    """Everything the return is, as read from one definition file."""

    title: str
    summary_title: str
    authority: str
    form_no: str
    thresholds: tuple[tuple[str, Decimal], ...]
    cover: tuple[CoverField, ...]
    tables: tuple[TableSpec, ...]
    rosters: tuple[RosterSpec, ...]
    rules: tuple[Rule, ...]
    summary: tuple[tuple[str, tuple[Figure, ...]], ...]
    charts: tuple[Chart, ...]
    fields: tuple[ExtraField, ...] = ()

    @functools.cached_property
    def table_by_key(self) -> dict[str, TableSpec]:
        return {t.key: t for t in self.tables}

    @functools.cached_property
    def roster_by_key(self) -> dict[str, RosterSpec]:
        return {r.key: r for r in self.rosters}

    @functools.cached_property
    def rule_by_code(self) -> dict[str, Rule]:
        return {r.code: r for r in self.rules}

    def table(self, key: str) -> TableSpec:
        try:
            return self.table_by_key[key]
        except KeyError:
            raise KeyError(f"未知的报表“{key}”") from None

    def threshold(self, name: str) -> Decimal:
        return dict(self.thresholds)[name]

    def extra_fields(self, kind: str) -> tuple[Field, ...]:
        return tuple(e.field for e in self.fields if e.kind == kind)

    def record_rules(self, kind: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.scope == kind and r.node is not None)

    def record_findings(self, kind: str, values: Mapping[str, Any], skip: frozenset[str] = frozenset()
                        ) -> list[F.Finding]:
        """The findings of this definition's rules on one record of ``kind`` (rules in ``skip`` left out): the
        same declarations at entry (``where`` is the field) and in the review (``models.review`` points them at
        the record)."""
        def resolve(name: str) -> Any:
            if name.startswith("threshold."):
                return self.threshold(name.removeprefix("threshold."))
            if name not in values:
                raise KeyError(name)
            return values[name]

        out = []
        for rule in self.record_rules(kind):
            if rule.code in skip or rule.node is None:
                continue
            try:
                fired = expr.truth(rule.node, resolve)
            except expr.ExprError:
                continue  # a value of the wrong kind (text in a number) is reported by the field's own check
            if fired:
                message = expr.fill(rule.message, resolve)
                out.append(F.Finding(rule.severity, rule.where, f"{message}。{rule.fix}" if rule.fix else message,
                                     rule.code, rule.title))
        return out

    def source(self, name: str) -> FactSource:
        """A fact source with the definition's added fields."""
        base = FACT_SOURCES[name]
        extra = self.extra_fields(base.kind)
        return dataclasses.replace(
            base, flags=base.flags + tuple(f.name for f in extra if f.kind == F.BOOL),
            values=base.values + tuple(f.name for f in extra if f.kind in F.NUMERIC_KINDS))


class SpecError(UserError):
    """A definition file whose content is wrong; the message names the path in the file (``tables[2].columns[4]``)."""


# While :func:`problems` runs, each table, rule, roster and field that is wrong is noted here and skipped, so
# that one check names every problem; otherwise the first problem raises.
_SINK: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("definition_problems", default=None)


def _noted(exc: SpecError) -> bool:
    """True when ``exc`` was noted (collecting problems), False when it must be raised."""
    sink = _SINK.get()
    if sink is None:
        return False
    sink.append(str(exc))
    return True


_KEY_ASCII = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_|")


def _is_key(value: str) -> bool:
    """1–40 letters, digits, underscores, ``|`` and the common Chinese characters (U+4E00–U+9FFF), nothing else: a
    test by character, where a regular expression of the Chinese range takes 2 ms to compile in every process."""
    return 1 <= len(value) <= 40 and all(c in _KEY_ASCII or "\u4e00" <= c <= "\u9fff" for c in value)


_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class _At:
    """A place in the file being read, for messages: ``tables[2].columns[4].measure``."""

    def __init__(self, data: Any, path: str) -> None:
        self.data = data
        self.path = path

    def fail(self, what: str) -> SpecError:
        return SpecError(f"“{self.path or '（文件）'}”{what}")

    def obj(self) -> Mapping[str, Any]:
        if not isinstance(self.data, dict):
            raise self.fail("应为对象（{…}）")
        return self.data

    def key(self, name: str) -> _At:
        return _At(self.obj().get(name), f"{self.path}.{name}" if self.path else name)

    def items(self, name: str, *, required: bool = True) -> list[_At]:
        at = self.key(name)
        if at.data is None and not required:
            return []
        if not isinstance(at.data, list) or (required and not at.data):
            raise at.fail("应为非空的列表（[…]）")
        return [_At(v, f"{at.path}[{i}]") for i, v in enumerate(at.data)]

    def text(self, name: str, default: str | None = None) -> str:
        at = self.key(name)
        if at.data is None and default is not None:
            return default
        if not isinstance(at.data, str) or (default is None and not at.data.strip()):
            raise at.fail("应为文字，不能为空" if default is None else "应为文字")
        return at.data

    def ident(self, name: str) -> str:
        value = self.text(name)
        if not _is_key(value):
            raise self.key(name).fail(f"“{value}”不能用作代码（只用字母、数字、汉字和下划线，最多40个字）")
        return value

    def flag(self, name: str) -> bool:
        at = self.key(name)
        if at.data is None:
            return False
        if not isinstance(at.data, bool):
            raise at.fail("应为 true 或 false")
        return at.data

    def integer(self, name: str, default: int | None = None, low: int = 0, high: int = 10**9) -> int:
        at = self.key(name)
        if at.data is None and default is not None:
            return default
        if not isinstance(at.data, int) or isinstance(at.data, bool) or not low <= at.data <= high:
            raise at.fail(f"应为 {low} 到 {high} 之间的整数")
        return at.data

    def pairs(self, name: str) -> tuple[tuple[str, str], ...]:
        at = self.key(name)
        if at.data is None:
            return ()
        if not isinstance(at.data, dict) or not all(isinstance(v, str) for v in at.data.values()):
            raise at.fail("应为对象，每项的值为文字（如 {\"level\": \"全国\"}）")
        return tuple((str(k), v) for k, v in at.data.items())

    def texts(self, name: str) -> tuple[str, ...]:
        at = self.key(name)
        if not isinstance(at.data, list) or not at.data or not all(isinstance(v, str) and v for v in at.data):
            raise at.fail("应为非空的文字列表")
        return tuple(at.data)


def _unique(items: Sequence[_At], keys: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for at, key in zip(items, keys, strict=True):
        if key in seen:
            raise at.fail(f"的{what}“{key}”与前面重复")
        seen.add(key)


def _extra_fields(root: _At) -> tuple[ExtraField, ...]:
    out: list[ExtraField] = []
    items = root.items("fields", required=False)
    good: list[_At] = []
    for at in items:
        try:
            out.append(_extra_field(at, out))
            good.append(at)
        except SpecError as exc:
            if not _noted(exc):
                raise
    _unique(good, [f"{e.kind}.{e.field.name}" for e in out], "栏目")
    return tuple(out)


def _extra_field(at: _At, out: list[ExtraField]) -> ExtraField:
    if True:
        kind = at.text("kind")
        if kind not in FACT_SOURCES or kind not in SPECS:
            raise at.key("kind").fail(f"“{kind}”不是可以添加栏目的记录类型（可选：{'、'.join(FACT_SOURCES)}）")
        name = at.text("name")
        if not _FIELD_NAME.match(name):
            raise at.key("name").fail(f"“{name}”不能用作栏目代码（小写字母开头，只用小写字母、数字和下划线）")
        if name in SPECS[kind].names or name in ("id", "extra", "search", "sort_key", "deleted_at", "created_at",
                                                   "updated_at") or name in FACT_SOURCES[kind].values:
            raise at.key("name").fail(f"“{name}”与{SPECS[kind].title}已有的栏目重名")
        type_name = at.text("type")
        if type_name not in EXTRA_FIELD_TYPES:
            raise at.key("type").fail(f"“{type_name}”不是可用的类型（可选：{'、'.join(EXTRA_FIELD_TYPES)}）")
        ftype = EXTRA_FIELD_TYPES[type_name]
        default: Any = False if ftype == F.BOOL else (0.0 if ftype == F.MONEY else 0)
        not_above = at.key("not_above").data
        if not_above is not None:
            known = SPECS[kind].names + [e.field.name for e in out if e.kind == kind]
            if not isinstance(not_above, str) or not_above not in known:
                raise at.key("not_above").fail(f"“{not_above}”不是{SPECS[kind].title}的栏目")
        synonyms = at.key("synonyms").data or []
        if not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
            raise at.key("synonyms").fail("应为文字列表")
        field = Field(name, at.text("label"), ftype, unit=at.text("unit", ""), default=default, not_above=not_above,
                      required=at.flag("required"), help=at.text("help", ""), width=at.integer("width", 6, 2, 40),
                      synonyms=tuple(synonyms), in_list=at.flag("in_list"))
    return ExtraField(kind, field)


def _tables(root: _At, extra: tuple[ExtraField, ...]) -> tuple[TableSpec, ...]:
    probe = ReturnSpec("", "", "", "", (), (), (), (), (), (), (), extra)
    tables: list[TableSpec] = []
    items = root.items("tables")
    good: list[_At] = []
    for at in items:
        try:
            tables.append(_table(at, probe))
            good.append(at)
        except SpecError as exc:
            if not _noted(exc):
                raise
    _unique(good, [t.key for t in tables], "表代码")
    return tuple(tables)


def _table(at: _At, probe: ReturnSpec) -> TableSpec:
    if True:
        source_name = at.text("source")
        if source_name not in FACT_SOURCES:
            raise at.key("source").fail(f"“{source_name}”不是程序提供的数据来源（可选：{'、'.join(FACT_SOURCES)}）")
        source = probe.source(source_name)
        entered = at.flag("entered")

        def matches(where: _At, name: str, source: FactSource = source, source_name: str = source_name
                    ) -> tuple[tuple[str, str], ...]:
            pairs = where.pairs(name)
            for attr, _value in pairs:
                if attr not in source.attrs:
                    raise where.key(name).fail(f"中的“{attr}”不是“{source_name}”数据的属性"
                                               f"（可选：{'、'.join(source.attrs) or '无'}）")
            return pairs

        rows = []
        row_items = at.items("rows")
        for r in row_items:
            rows.append(Row(r.ident("key"), r.text("label"), matches(r, "match"), r.text("group", "")))
        _unique(row_items, [r.key for r in rows], "行代码")
        if TOTAL not in {r.key for r in rows}:
            raise at.key("rows").fail(f"缺少合计行（代码“{TOTAL}”）")
        columns = []
        col_items = at.items("columns")
        for c in col_items:
            measure = c.text("measure", "count")
            if measure != "count" and measure not in source.values:
                raise c.key("measure").fail(f"“{measure}”不是“{source_name}”数据的数值"
                                            f"（可选：count、{'、'.join(source.values)}）")
            flag_at = c.key("flag")
            flag = flag_at.data
            if flag is not None and (not isinstance(flag, str) or flag not in source.flags):
                raise flag_at.fail(f"“{flag}”不是“{source_name}”数据的标记（可选：{'、'.join(source.flags) or '无'}）")
            columns.append(Column(c.ident("key"), c.text("label"), c.text("unit", ""), measure, matches(c, "match"),
                                  flag, c.text("group", ""), c.key("not_above").data, c.flag("key_total"),
                                  c.flag("money")))
        keys = [c.key for c in columns]
        _unique(col_items, keys, "栏代码")
        for c, col in zip(col_items, columns, strict=True):
            if col.not_above is not None and (not isinstance(col.not_above, str) or col.not_above not in keys
                                              or col.not_above == col.key):
                raise c.key("not_above").fail(f"“{col.not_above}”不是本表的另一栏")
        if entered and source_name != "innovation":
            raise at.key("entered").fail("只有“innovation”数据的表可以是填报表")
        return TableSpec(at.ident("key"), at.text("number"), at.text("title"), at.text("form_no"), source.kind,
                         at.texts("row_header"), tuple(rows), tuple(columns), at.text("unit_note", "见各栏"),
                         at.text("note", ""), entered,
                         bool(at.key("landscape").data if at.key("landscape").data is not None else True),
                         at.text("short", ""))


def _rosters(root: _At) -> tuple[RosterSpec, ...]:
    out = []
    items = root.items("rosters", required=False)
    for at in items:
        kind = at.text("source")
        if kind not in ("people", "studios"):
            raise at.key("source").fail(f"“{kind}”不是程序能列名册的记录类型（可选：people、studios）")
        cols = tuple(RosterColumn(c.ident("key"), c.text("label"), c.integer("width", None, 1, 60),
                                  c.flag("consolidated_only")) for c in at.items("columns"))
        out.append(RosterSpec(at.ident("key"), at.text("number"), at.text("title"), at.text("form_no"), kind, cols,
                              at.text("note", ""), at.text("short", "")))
    _unique(items, [r.key for r in out], "名册代码")
    return tuple(out)


def _cell_name(tables: Mapping[str, TableSpec], name: str) -> bool:
    parts = name.split(".")
    if len(parts) != 3 or parts[0] not in tables:
        return False
    t = tables[parts[0]]
    return parts[1] in {r.key for r in t.rows} and parts[2] in {c.key for c in t.columns}


def _rules(root: _At, tables: Mapping[str, TableSpec], thresholds: Mapping[str, Decimal],
           extra: tuple[ExtraField, ...]) -> tuple[Rule, ...]:
    out = []
    items = root.items("rules")
    good: list[_At] = []
    for at in items:
        try:
            out.append(_rule(at, tables, thresholds, extra))
            good.append(at)
        except SpecError as exc:
            if not _noted(exc):
                raise
    _unique(good, [r.code for r in out], "规则代码")
    return tuple(out)


def _rule(at: _At, tables: Mapping[str, TableSpec], thresholds: Mapping[str, Decimal],
          extra: tuple[ExtraField, ...]) -> Rule:
    if True:
        code = at.text("code")
        severity_word = at.text("severity")
        if severity_word not in SEVERITY_WORDS:
            raise at.key("severity").fail(f"“{severity_word}”应为“错误”“警告”或“提示”")
        condition = at.text("condition", "")
        if not condition:
            if code not in BUILTIN_RULES:
                raise at.key("condition").fail(f"缺少：“{code}”不是程序内置的规则，须写出条件")
            return Rule(code, SEVERITY_WORDS[severity_word], at.text("title"), at.text("fix", ""))
        if code in BUILTIN_RULES:
            raise at.key("code").fail(f"“{code}”是程序内置规则的代码，请另取一个")
        scope = at.text("scope")
        if scope != "return" and scope not in SPECS:
            raise at.key("scope").fail(f"“{scope}”应为“return”（整张报表）或一种记录类型（{'、'.join(FACT_SOURCES)}）")
        try:
            node = expr.parse(condition)
        except expr.ExprError as exc:
            raise at.key("condition").fail(f"写错了：{exc}") from None
        fields = set(SPECS[scope].names) | {e.field.name for e in extra if e.kind == scope} if scope != "return" \
            else set()
        message = at.text("message")
        where = at.text("where", "")
        for name in (*expr.names(node), *expr.PLACEHOLDER.findall(message)):
            ok = (name.startswith("threshold.") and name.removeprefix("threshold.") in thresholds) or (
                _cell_name(tables, name) if scope == "return" else name in fields)
            if not ok:
                raise at.key("condition").fail(f"中的“{name}”不是" + (
                    "某表的一格（表代码.行代码.栏代码）或阈值（threshold.名称）" if scope == "return"
                    else f"{SPECS[scope].title}的栏目或阈值（threshold.名称）"))
        if scope == "return":
            if not _cell_name(tables, where.replace("/", ".")):
                raise at.key("where").fail("应为报表的一格，如“T3/total/participants”")
        elif where and where not in fields:
            raise at.key("where").fail(f"“{where}”不是{SPECS[scope].title}的栏目")
        return Rule(code, SEVERITY_WORDS[severity_word], at.text("title"), at.text("fix", ""), scope, condition,
                    message, where, node)


def _thresholds(root: _At) -> dict[str, Decimal]:
    at = root.key("thresholds")
    out: dict[str, Decimal] = {}
    for name, value in at.obj().items():
        try:
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise InvalidOperation
            out[str(name)] = Decimal(value)
        except InvalidOperation:
            raise at.key(str(name)).fail("应为数（整数，或带小数点的文字如 \"0.5\"）") from None
    for name in THRESHOLDS:
        if name not in out:
            raise at.fail(f"缺少阈值“{name}”")
    return out


def _figure_cell(at: _At, tables: Mapping[str, TableSpec], table_key: str, row: str | None, column: str) -> None:
    if table_key not in tables:
        raise at.fail(f"中的表“{table_key}”不存在")
    t = tables[table_key]
    if column not in {c.key for c in t.columns} or (row is not None and row not in {r.key for r in t.rows}):
        raise at.fail(f"中的“{row or TOTAL}/{column}”不是{t.number}的一格")


def problems(body: Mapping[str, Any]) -> list[str]:
    """Every problem of a definition's content, each naming its path in the file (empty: the file is good)."""
    found: list[str] = []
    token = _SINK.set(found)
    try:
        spec_from_body(body)
    except SpecError as exc:
        if str(exc) != "（已列出）":
            found.append(str(exc))
    finally:
        _SINK.reset(token)
    return list(dict.fromkeys(found))


def _guarded(fn: Callable[[], Any]) -> Any:
    """``fn()``, or None when it failed while problems are being collected."""
    try:
        return fn()
    except SpecError as exc:
        if not _noted(exc):
            raise
        return None


def _figure(f: _At, by_key: Mapping[str, TableSpec]) -> Figure:
    figure = Figure(f.text("table"), f.text("column"), f.text("label"))
    _figure_cell(f, by_key, figure.table, None, figure.column)
    return figure


def _chart(c: _At, by_key: Mapping[str, TableSpec]) -> Chart:
    table_key = c.text("table")
    segments = c.texts("segments")
    bars = []
    for b in c.items("bars"):
        cells = b.key("cells").data
        if not isinstance(cells, list) or len(cells) != len(segments) or not all(
                isinstance(x, list) and len(x) == 2 and all(isinstance(y, str) for y in x) for x in cells):
            raise b.key("cells").fail(f"应为{len(segments)}个[行代码, 栏代码]")
        for row_key, col_key in cells:
            _figure_cell(b.key("cells"), by_key, table_key, row_key, col_key)
        bars.append((b.text("label"), tuple((str(x[0]), str(x[1])) for x in cells)))
    return Chart(c.text("title"), table_key, segments, tuple(bars))


def spec_from_body(body: Mapping[str, Any]) -> ReturnSpec:
    """Build (and check) the return a definition file describes; :class:`SpecError` names the path."""
    root = _At(dict(body), "")
    identity = _guarded(lambda: (root.text("title"), root.text("summary_title"), root.text("authority"),
                                 root.text("form_no")))
    extra = _extra_fields(root)
    tables = _tables(root, extra)
    by_key = {t.key: t for t in tables}
    thresholds = _thresholds(root)
    rules = _rules(root, by_key, thresholds, extra)
    rosters = _guarded(lambda: _rosters(root)) or ()

    def cover_fields() -> tuple[CoverField, ...]:
        cover_items = root.items("cover")
        cover = tuple(CoverField(c.ident("key"), c.text("label"), c.flag("required")) for c in cover_items)
        _unique(cover_items, [c.key for c in cover], "封面项代码")
        return cover

    cover = _guarded(cover_fields) or ()
    summary = []
    for s in root.items("summary", required=False):
        figures = [f for f in (_guarded(functools.partial(_figure, f, by_key)) for f in s.items("figures"))
                   if f is not None]
        summary.append((s.text("title"), tuple(figures)))
    charts = [c for c in (_guarded(functools.partial(_chart, c, by_key)) for c in root.items("charts", required=False))
              if c is not None]
    if identity is None:
        raise SpecError("（已列出）")  # only reached while collecting: the problems are noted already
    title, summary_title, authority, form_no = identity
    return ReturnSpec(
        title=title, summary_title=summary_title, authority=authority, form_no=form_no,
        thresholds=tuple(thresholds.items()), cover=cover, tables=tables, rosters=rosters, rules=rules,
        summary=tuple(summary), charts=tuple(charts), fields=extra)
