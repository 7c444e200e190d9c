"""The return (报表, DOMAIN.md §4), declared once: cover, tables 表1–表5, the rosters 附表1–2 and
the review rules.

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

import dataclasses

from forms.choices import COMPETITION_LEVELS, HONOUR_LEVELS, STUDIO_LEVELS, STUDIO_TYPES, TRAINING_TYPES
from forms.fields import FormSpec
from forms.honours import CATEGORIES
from forms.records import CERT_FIELDS, COMPETITIONS, INNOVATION, PEOPLE, STUDIO_OUTPUTS, STUDIOS, TRAININGS

RETURN_TITLE = "产业工人队伍建设改革统计表"
SUMMARY_TITLE = "产业工人队伍建设改革统计汇总表"
AUTHORITY = "云南省总工会"  # 制定机关
FORM_NO = "产改统表"  # 表号 of the whole return (cover)
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
# 表1 劳模和先进人物

_T1_MODEL_EXTRAS = (("frontline", "其中一线职工"), ("female", "女性"), ("minority", "少数民族"), ("migrant", "农民工"))


def _t1_columns() -> tuple[Column, ...]:
    out: list[Column] = []
    for cat in CATEGORIES:
        match = (("category", cat.name),)
        out.append(Column(f"{cat.key}_count", "人数", "人", match=match, group=cat.name, key_total=True))
        out.append(Column(f"{cat.key}_new", "其中本期新增", "人", match=match, flag="new", group=cat.name,
                          not_above=f"{cat.key}_count"))
        if cat.key == "model":
            for flag, label in _T1_MODEL_EXTRAS:
                out.append(Column(f"model_{flag}", label, "人", match=match, flag=flag, group=cat.name,
                                  not_above="model_count"))
    return tuple(out)


T1 = TableSpec(
    key="T1", number="表1", title="劳模和先进人物情况", form_no="产改统1表", source="people",
    row_header=("荣誉级别",), unit_note="人",
    rows=(*(Row(level, level, (("level", level),)) for level in HONOUR_LEVELS), Row(TOTAL, "合计")),
    columns=_t1_columns(),
    note="一人在同一类别中获多项荣誉的，按最高级别计1人；“本期新增”指本期内首次达到该级别的人数；"
         "只有授予年份的荣誉按该年12月31日计；调离、已故人员不计。",
)

# ------------------------------------------------------------------------------------------------
# 表2 创新工作室

_OUTPUT_FIELDS = ("projects", "achievements", "patents", "invention_patents", "methods", "benefit", "apprentices",
                  "trainees")


def _t2_columns() -> tuple[Column, ...]:
    out = [
        Column("count", "数量", "个", key_total=True),
        Column("new", "其中本年新增", "个", flag="new", not_above="count"),
        Column("members", STUDIOS.field("members").label, STUDIOS.field("members").unit, measure="members"),
    ]
    for name in _OUTPUT_FIELDS:
        f = STUDIO_OUTPUTS.field(name)
        out.append(Column(name, f.label, f.unit, measure=name, group="本年成果", money=f.kind == "money",
                          not_above=f.not_above, key_total=name == "benefit"))
    return tuple(out)


T2 = TableSpec(
    key="T2", number="表2", title="创新工作室情况", form_no="产改统2表", source="studios",
    row_header=("工作室类型", "级别"),
    rows=(*(Row(f"{t}|{lvl}", lvl, (("type", t), ("level", lvl)), group=t) for t in STUDIO_TYPES for lvl in STUDIO_LEVELS),
          Row(TOTAL, "合计")),
    columns=_t2_columns(),
    note="统计期末存续的工作室（已撤销的不计）；本年成果为报告期所在年度的成果。",
)

# ------------------------------------------------------------------------------------------------
# 表3 职工技能培训

def _t3_columns() -> tuple[Column, ...]:
    tf = TRAININGS.field
    out = [
        Column("sessions", "期数", "期", key_total=False),
        Column("participants", tf("participants").label, tf("participants").unit, measure="participants",
               key_total=True),
        Column("migrant", tf("migrant").label, tf("migrant").unit, measure="migrant", not_above="participants"),
        Column("female", tf("female").label, tf("female").unit, measure="female", not_above="participants"),
        Column("certs", "合计", "人", measure="certs", group="取得职业技能等级证书人数", not_above="participants"),
    ]
    for name in CERT_FIELDS:  # 取证初级 … 取证高级技师, shown under the group as 初级 … 高级技师
        f = tf(name)
        out.append(Column(name, f.label.removeprefix("取证"), f.unit, measure=name, group="取得职业技能等级证书人数",
                          not_above="certs"))
    out.append(Column("funds", tf("funds").label, tf("funds").unit, measure="funds", money=True, key_total=True))
    out.append(Column("union_funds", tf("union_funds").label, tf("union_funds").unit, measure="union_funds",
                      money=True, not_above="funds"))
    return tuple(out)


T3 = TableSpec(
    key="T3", number="表3", title="职工技能培训情况", form_no="产改统3表", source="trainings",
    row_header=("培训类型",),
    rows=(*(Row(t, t, (("type", t),)) for t in TRAINING_TYPES), Row(TOTAL, "合计")),
    columns=_t3_columns(),
    note="按开始日期在报告期内的培训统计。",
)

# ------------------------------------------------------------------------------------------------
# 表4 劳动和技能竞赛

def _t4_columns() -> tuple[Column, ...]:
    cf = COMPETITIONS.field
    return (
        Column("events", "场次", "场"),
        Column("skill_events", "其中技能竞赛", "场", flag="skill", not_above="events"),
        Column("trades", cf("trades").label, cf("trades").unit, measure="trades"),
        Column("participants", cf("participants").label, cf("participants").unit, measure="participants",
               key_total=True),
        Column("winners", cf("winners").label, cf("winners").unit, measure="winners", not_above="participants"),
        Column("promoted", "晋级人数", cf("promoted").unit, measure="promoted", not_above="participants"),
        Column("experts", cf("experts").label, cf("experts").unit, measure="experts", not_above="participants"),
    )


T4 = TableSpec(
    key="T4", number="表4", title="劳动和技能竞赛情况", form_no="产改统4表", source="competitions",
    row_header=("竞赛级别",),
    rows=(*(Row(lvl, lvl, (("level", lvl),)) for lvl in reversed(COMPETITION_LEVELS)), Row(TOTAL, "合计")),
    columns=_t4_columns(),
    note="按举办日期在报告期内的竞赛统计；晋级人数指通过竞赛晋升技能等级的人数。",
    landscape=False,
)

# ------------------------------------------------------------------------------------------------
# 表5 群众性经济技术创新 (entered)

INNOVATION_FIELDS = ("suggestions", "suggestions_adopted", "innovations", "inventions", "patents", "methods", "benefit")


def _t5_columns() -> tuple[Column, ...]:
    out = []
    for name in INNOVATION_FIELDS:
        f = INNOVATION.field(name)
        out.append(Column(name, f.label, f.unit, measure=name, money=f.kind == "money", not_above=f.not_above,
                          key_total=name in ("suggestions", "benefit")))
    return tuple(out)


T5 = TableSpec(
    key="T5", number="表5", title="群众性经济技术创新情况", form_no="产改统5表", source="innovation",
    row_header=("项目",), rows=(Row(TOTAL, "本期合计"),), columns=_t5_columns(), entered=True, landscape=False,
    note="本表为填报数。年报未单独填报的，按本年各季度（或半年）填报数合计。",
)

TABLES: tuple[TableSpec, ...] = (T1, T2, T3, T4, T5)
TABLE_BY_KEY: dict[str, TableSpec] = {t.key: t for t in TABLES}


def table(key: str) -> TableSpec:
    try:
        return TABLE_BY_KEY[key]
    except KeyError:
        raise KeyError(f"未知的报表“{key}”") from None


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

    @property
    def full_title(self) -> str:
        return f"{self.number}　{self.title}"

    def visible_columns(self, consolidated: bool) -> tuple[RosterColumn, ...]:
        return tuple(c for c in self.columns if consolidated or not c.consolidated_only)


def _from(form: FormSpec, name: str, width: int | None = None, label: str | None = None) -> RosterColumn:
    field = form.field(name)
    return RosterColumn(name, label or field.label, width or field.width)


SOURCE_UNIT = RosterColumn("source_unit", "来源单位", 12, consolidated_only=True)

R1 = RosterSpec(
    key="R1", number="附表1", title="劳模和先进人物名册", form_no="产改统附1表", source="people",
    columns=(
        RosterColumn("seq", "序号", 4),
        _from(PEOPLE, "name", 6), _from(PEOPLE, "sex", 3), _from(PEOPLE, "ethnicity", 5),
        _from(PEOPLE, "birth_date", 6, "出生年月"), _from(PEOPLE, "id_number", 12),
        _from(PEOPLE, "employer", 14), _from(PEOPLE, "post", 7), _from(PEOPLE, "skill_level", 7),
        _from(PEOPLE, "frontline", 4), _from(PEOPLE, "migrant", 4),
        RosterColumn("highest", "最高荣誉级别", 6),
        RosterColumn("honours", "所获荣誉（年份、称号）", 24),
        SOURCE_UNIT,
    ),
    note="身份证号只显示前6位和后4位；按最高荣誉级别、姓名拼音排序。",
)

R2 = RosterSpec(
    key="R2", number="附表2", title="创新工作室名册", form_no="产改统附2表", source="studios",
    columns=(
        RosterColumn("seq", "序号", 4),
        _from(STUDIOS, "name", 22), _from(STUDIOS, "type", 10), _from(STUDIOS, "level", 5),
        _from(STUDIOS, "host_unit", 14), _from(STUDIOS, "leader_id", 6), _from(STUDIOS, "named_year", 5),
        _from(STUDIOS, "members", 5, "成员人数"), _from(STUDIOS, "status", 5),
        RosterColumn("outputs", "本年成果（攻关/成果/专利/效益万元）", 16),
        SOURCE_UNIT,
    ),
    note="统计期末存续的工作室。",
)

ROSTERS: tuple[RosterSpec, ...] = (R1, R2)
ROSTER_BY_KEY: dict[str, RosterSpec] = {r.key: r for r in ROSTERS}

# ------------------------------------------------------------------------------------------------
# Cover (封面)


@dataclasses.dataclass(frozen=True)
class CoverField:
    key: str
    label: str
    required: bool = False


COVER_FIELDS: tuple[CoverField, ...] = (
    CoverField("head", "单位负责人", True),
    CoverField("statistician", "统计负责人", True),
    CoverField("preparer", "填表人", True),
    CoverField("phone", "联系电话", True),
    CoverField("report_date", "报出日期"),
)

# ------------------------------------------------------------------------------------------------
# Review rules (审核, DOMAIN.md §4). Errors block finalising; warnings need a written 说明;
# notices (提示) only inform.

ERROR = "error"
WARNING = "warning"
NOTICE = "info"

SEVERITY_LABELS = {ERROR: "错误", WARNING: "警告", NOTICE: "提示"}


@dataclasses.dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    title: str
    fix: str  # how to fix, shown after the message


RULES: tuple[Rule, ...] = (
    Rule("cell.not_above", ERROR, "其中项大于合计", "请核对该栏涉及的记录（点击数字可查看明细）"),
    Rule("cover.required", ERROR, "封面必填项为空", "请在“封面”中填写单位负责人、统计负责人、填表人和联系电话"),
    Rule("studio.leader_honour", ERROR, "工作室领办人缺少相应荣誉",
         "请为领办人补录相应荣誉，或更换领办人，或更正工作室类型"),
    Rule("honour.future", ERROR, "荣誉授予日期晚于今天", "请核对授予年份和授予日期"),
    Rule("person.id_invalid", ERROR, "身份证号无效", "请核对并更正身份证号"),
    Rule("person.id_duplicate", ERROR, "身份证号重复", "同一人只能录入一次，请合并重复的人员"),
    Rule("person.id_mismatch", ERROR, "出生日期或性别与身份证号不符", "请核对出生日期、性别和身份证号"),
    Rule("record.not_above", ERROR, "记录中的其中项大于合计", "请打开记录更正"),
    Rule("change.over_50", WARNING, "主要指标比上期变化超过50%", "如数据无误，请填写说明（如：新增培训项目较多）"),
    Rule("studio.no_output", WARNING, "工作室连续两年无成果", "请补录年度成果，或填写说明"),
    Rule("honour.young", WARNING, "荣誉授予时不满16岁", "请核对出生日期和授予年份，或填写说明"),
    Rule("training.implausible", WARNING, "单次培训参训人次超过10万", "请核对参训人次，或填写说明"),
    Rule("font.missing", WARNING, "字库缺字", "PDF 中这些字将显示为“□”；如能改用常用字请更正，否则填写说明"),
    Rule("honour.after_period", NOTICE, "荣誉授予日期晚于报告期", "这些荣誉本期不统计；如日期有误请更正"),
    Rule("honour.year_only", NOTICE, "荣誉只有授予年份", "半年报、季报按授予日期统计，请补填授予日期"),
    Rule("innovation.derived", NOTICE, "表5按分期填报数合计", ""),
    Rule("innovation.missing", NOTICE, "表5未填报", "如本期有群众性经济技术创新数据，请在“经济技术创新”中填报"),
    # consolidated returns (汇总, models.consolidate)
    Rule("roster.duplicate_person", WARNING, "同一人出现在两个单位的名册中",
         "请核实：如属重复，请在“上报情况”中退回其中一个单位的报表，改正后重报；如确为不同人员或已核实无误，请填写说明"),
    Rule("consolidation.missing", NOTICE, "有下级单位未报或报表未被采用",
         "可在“上报情况”中接收其报表后再汇总；如须按时上报，本表按已报单位汇总，封面和汇总表注明未报单位"),
)
RULE_BY_CODE: dict[str, Rule] = {r.code: r for r in RULES}

CHANGE_THRESHOLD = 0.5  # 50 %
IMPLAUSIBLE_PARTICIPANTS = 100_000
MIN_HONOUR_AGE = 16

# ------------------------------------------------------------------------------------------------
# The summary sheet (汇总表): key figures of the 合计 rows and two charts


@dataclasses.dataclass(frozen=True)
class Figure:
    table: str
    column: str
    label: str


SUMMARY_SECTIONS: tuple[tuple[str, tuple[Figure, ...]], ...] = (
    ("劳模和先进人物", (*(Figure("T1", f"{c.key}_count", c.name) for c in CATEGORIES),
                       Figure("T1", "model_new", "劳模本期新增"))),
    ("创新工作室", (Figure("T2", "count", "工作室数量"), Figure("T2", "new", "其中本年新增"),
                   Figure("T2", "members", "成员人数"), Figure("T2", "patents", "获得专利"),
                   Figure("T2", "benefit", "创造经济效益"))),
    ("职工技能培训", (Figure("T3", "sessions", "培训期数"), Figure("T3", "participants", "参训人次"),
                     Figure("T3", "certs", "取证人数"), Figure("T3", "funds", "培训经费"))),
    ("劳动和技能竞赛", (Figure("T4", "events", "竞赛场次"), Figure("T4", "participants", "参赛人次"),
                       Figure("T4", "winners", "获奖人数"), Figure("T4", "promoted", "晋级人数"))),
    ("群众性经济技术创新", (Figure("T5", "suggestions", "合理化建议"), Figure("T5", "suggestions_adopted", "其中采纳"),
                           Figure("T5", "innovations", "技术革新项目"), Figure("T5", "patents", "获得专利"),
                           Figure("T5", "benefit", "创造经济效益"))),
)


@dataclasses.dataclass(frozen=True)
class Chart:
    """A horizontal bar chart; each bar is a stack of segments, each segment one table cell."""

    title: str
    table: str
    segments: tuple[str, ...]  # legend labels (one per segment)
    bars: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # (bar label, ((row, column) per segment))


CHARTS: tuple[Chart, ...] = (
    Chart("先进人物人数（按类别、级别）", "T1", HONOUR_LEVELS,
          tuple((c.name, tuple((lvl, f"{c.key}_count") for lvl in HONOUR_LEVELS)) for c in CATEGORIES)),
    Chart("职工技能培训参训人次（按类型）", "T3", ("参训人次",),
          tuple((t, ((t, "participants"),)) for t in TRAINING_TYPES)),
)
