"""The record kinds of DOMAIN.md §3, declared once: people, honours, studios and their yearly
outputs, trainings, competitions and the innovation totals of a period."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from common import ids
from forms import checks
from forms import fields as F
from forms.fields import Field, Finding, FormSpec
from forms.honours import infer


def _person_checks(rec: Mapping[str, Any]) -> list[Finding]:
    number = rec.get("id_number")
    if not number:
        return []
    labels = {"birth_date": "出生日期", "sex": "性别"}
    return [F.error(field, message, checks.ID_MISMATCH, labels[field])
            for field, message in checks.id_mismatches(number, rec.get("birth_date"), rec.get("sex"))]


def _person_derive(rec: dict[str, Any]) -> None:
    """Sex and birth date follow from a valid ID number when they were left empty."""
    number = rec.get("id_number")
    if number:
        info = ids.check_id_number(number)
        if not rec.get("sex"):
            rec["sex"] = info.sex
        if not rec.get("birth_date"):
            rec["birth_date"] = info.birth_date


PEOPLE = FormSpec(
    kind="people", table="people", title="人员", match_keys=("id_number",),
    import_label="人员与荣誉", template_sheet="劳模名册",
    search_fields=("name", "id_number", "employer"),
    unique=("id_number",),
    checks=(_person_checks,), derive=(_person_derive,),
    fields=(
        Field("name", "姓名", required=True, max_length=30, width=6,
              synonyms=("名字", "人员姓名", "劳模姓名", "姓 名", "职工姓名")),
        Field("sex", "性别", F.CHOICE, choices="sex", width=3, synonyms=("性 别",),
              help="可不填，按身份证号自动填写"),
        Field("ethnicity", "民族", F.CHOICE, choices="ethnicity", default="汉族", width=5, synonyms=("民 族", "族别")),
        Field("birth_date", "出生日期", F.DATE, allow_partial_date=True, width=8,
              synonyms=("出生年月", "出生年月日", "生日", "出生时间"), help="可不填，按身份证号自动填写"),
        Field("id_number", "身份证号", F.ID_NUMBER, required=True, width=14, sensitive=True,
              synonyms=("身份证号码", "公民身份号码", "身份证", "证件号码", "身份证件号码", "证件号", "身份证件号",
                        "公民身份证号", "公民身份证号码", "身份证编号")),
        Field("political", "政治面貌", F.CHOICE, choices="political", width=6, synonyms=("政治 面貌", "党派")),
        Field("education", "学历", F.CHOICE, choices="education", width=6, synonyms=("文化程度", "最高学历")),
        Field("employer", "工作单位", required=True, width=16,
              synonyms=("单位", "所在单位", "工作单位及职务", "单位名称", "所属公司", "所属单位", "公司", "公司名称",
                        "用人单位")),
        Field("employer_nature", "单位性质", F.CHOICE, choices="unit_nature", in_list=False,
              synonyms=("单位类型", "企业性质")),
        Field("industry", "行业", F.CHOICE, choices="industry", in_list=False, synonyms=("所属行业", "行业类别")),
        Field("post", "岗位/工种", width=8, synonyms=("岗位", "工种", "岗位工种")),
        Field("job_title", "职务", in_list=False, synonyms=("现任职务",)),
        Field("pro_title", "职称", in_list=False, synonyms=("专业技术职称", "技术职称")),
        Field("skill_level", "技能等级", F.CHOICE, choices="skill_level", width=8,
              synonyms=("职业技能等级", "技术等级")),
        Field("frontline", "一线职工", F.BOOL, default=False, width=4,
              synonyms=("是否一线职工", "是否一线", "一线")),
        Field("migrant", "农民工", F.BOOL, default=False, width=4, synonyms=("是否农民工",)),
        Field("status", "人员状态", F.CHOICE, choices="person_status", default="在职", width=4,
              synonyms=("状态", "在职状态")),
        Field("mobile", "手机号", F.MOBILE, width=9, sensitive=True,
              synonyms=("手机", "手机号码", "联系电话", "电话", "联系方式")),
        Field("note", "备注", max_length=500, in_list=False, synonyms=("说明",)),
    ),
)


def _honour_checks(rec: Mapping[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    date, year = rec.get("award_date"), rec.get("award_year")
    if date and year and int(str(date)[:4]) != year:
        out.append(F.error("award_date", f"授予日期与授予年份 {year} 不一致", "honours.award_date.mismatch", "授予日期"))
    title = rec.get("title")
    if title and rec.get("category"):
        category, _level = infer(title)
        if category and category != rec["category"]:
            out.append(F.warning("category", f"称号“{title}”看起来属于“{category}”类，请核对",
                                 "honours.category.suspicious", "类别"))
    return out


def _honour_derive(rec: dict[str, Any]) -> None:
    """Category and level follow from a known title; the year from the date."""
    if rec.get("title"):
        category, level = infer(rec["title"])
        rec["category"] = rec.get("category") or category
        rec["level"] = rec.get("level") or level
    if rec.get("award_date") and not rec.get("award_year"):
        rec["award_year"] = int(str(rec["award_date"])[:4])


HONOURS = FormSpec(
    kind="honours", table="honours", title="荣誉", name_field="title", parent="people", parent_key="person_id",
    search_fields=("title",), soft_delete=False, checks=(_honour_checks,), derive=(_honour_derive,),
    fields=(
        Field("title", "称号", F.CHOICE, choices="honour_title", required=True, free_text=True, width=12,
              synonyms=("荣誉称号", "获得荣誉", "荣誉", "所获荣誉", "获奖称号", "表彰称号")),
        Field("category", "类别", F.CHOICE, choices="honour_category", required=True, width=10,
              synonyms=("荣誉类别", "荣誉类型")),
        Field("level", "级别", F.CHOICE, choices="honour_level", required=True, width=5, synonyms=("荣誉级别",)),
        Field("award_year", "授予年份", F.YEAR, required=True, width=5,
              synonyms=("授予时间", "获奖年份", "获得时间", "表彰年份", "获评时间", "年份")),
        Field("award_date", "授予日期", F.DATE, width=8, in_list=False, help="知道具体日期时填写（季报按日期统计本期新增）"),
        Field("awarding_body", "授予机关", width=10, synonyms=("授予单位", "表彰单位", "颁奖单位")),
        Field("doc_no", "文号/证书编号", width=10, synonyms=("文号", "证书编号", "表彰文号")),
    ),
)


def _studio_checks(rec: Mapping[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    if rec.get("status") == "已撤销" and not rec.get("revoked_year"):
        out.append(F.error("revoked_year", "状态为“已撤销”时须填写撤销年份", "studios.revoked_year.required", "撤销年份"))
    if rec.get("revoked_year") and rec.get("named_year") and rec["revoked_year"] < rec["named_year"]:
        out.append(F.error("revoked_year", "撤销年份不能早于命名年份", "studios.revoked_year.order", "撤销年份"))
    return out


STUDIOS = FormSpec(
    kind="studios", table="studios", title="工作室", unique=("name",), match_keys=("name",),
    import_label="工作室", template_sheet="工作室名册",
    search_fields=("name", "host_unit"), checks=(_studio_checks,),
    fields=(
        Field("name", "名称", required=True, width=18, synonyms=("工作室名称", "名 称", "工作室")),
        Field("type", "类型", F.CHOICE, choices="studio_type", required=True, width=10,
              synonyms=("工作室类型", "类别")),
        Field("level", "级别", F.CHOICE, choices="studio_level", required=True, width=5,
              synonyms=("工作室级别", "命名级别")),
        Field("host_unit", "依托单位", required=True, width=14, synonyms=("所在单位", "依托企业", "单位")),
        Field("host_nature", "单位性质", F.CHOICE, choices="unit_nature", in_list=False, synonyms=("企业性质",)),
        Field("industry", "行业", F.CHOICE, choices="industry", in_list=False, synonyms=("所属行业",)),
        Field("leader_id", "领办人", F.REF, ref_kind="people", required=True, width=6,
              synonyms=("领衔人", "负责人", "带头人", "领办人姓名")),
        Field("named_year", "命名年份", F.YEAR, required=True, width=5, synonyms=("命名时间", "创建年份", "命名年度")),
        Field("named_doc", "命名文号", in_list=False, synonyms=("文号",)),
        Field("members", "成员人数", F.INT, unit="人", width=4, synonyms=("成员数", "团队人数")),
        Field("status", "状态", F.CHOICE, choices="studio_status", default="正常", width=4),
        Field("revoked_year", "撤销年份", F.YEAR, in_list=False),
        Field("note", "备注", max_length=500, in_list=False),
    ),
)

STUDIO_OUTPUTS = FormSpec(
    kind="studio_outputs", table="studio_outputs", title="年度成果", name_field="year",
    parent="studios", parent_key="studio_id", soft_delete=False, search_fields=(),
    import_label="工作室年度成果", template_sheet="工作室年度成果",
    fields=(
        Field("year", "年度", F.YEAR, required=True, width=5),
        Field("projects", "技术攻关项目", F.INT, unit="项", default=0),
        Field("achievements", "创新成果", F.INT, unit="项", default=0),
        Field("patents", "获得专利", F.INT, unit="件", default=0),
        Field("invention_patents", "其中发明专利", F.INT, unit="件", default=0, not_above="patents"),
        Field("methods", "推广先进操作法", F.INT, unit="项", default=0),
        Field("benefit", "创造经济效益", F.MONEY, unit="万元", default=0.0),
        Field("apprentices", "带徒人数", F.INT, unit="人", default=0),
        Field("trainees", "开展培训", F.INT, unit="人次", default=0),
    ),
)

CERT_FIELDS = checks.CERT_FIELDS


def _training_checks(rec: Mapping[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    start, end = rec.get("start_date"), rec.get("end_date")
    if start and end and end < start:
        out.append(F.error("end_date", "结束日期不能早于开始日期", "trainings.end_date.order", "结束日期"))
    # certificates above participants: ``forms.checks.not_above``; over 100,000 participants: a rule of the
    # definition (``training.implausible``), checked at entry by ``models.records``
    return out


TRAININGS = FormSpec(
    kind="trainings", table="trainings", title="培训", default_order="start_date DESC", match_keys=("name", "start_date"),
    import_label="培训", template_sheet="培训台账",
    search_fields=("name", "organizer"), checks=(_training_checks,),
    fields=(
        Field("name", "培训名称", required=True, width=18, synonyms=("名称", "培训班名称", "培训项目", "项目名称")),
        Field("organizer", "主办单位", required=True, width=12, synonyms=("举办单位", "承办单位", "组织单位")),
        Field("type", "类型", F.CHOICE, choices="training_type", required=True, width=8,
              synonyms=("培训类型", "培训类别")),
        Field("start_date", "开始日期", F.DATE, required=True, width=8, synonyms=("培训时间", "开班时间", "起始日期")),
        Field("end_date", "结束日期", F.DATE, required=True, width=8, synonyms=("结业时间", "截止日期")),
        Field("participants", "参训人次", F.INT, unit="人次", required=True, width=5,
              synonyms=("培训人次", "参训人数", "培训人数")),
        Field("migrant", "其中农民工", F.INT, unit="人次", default=0, not_above="participants", width=5,
              synonyms=("农民工",)),
        Field("female", "其中女职工", F.INT, unit="人次", default=0, not_above="participants", width=5,
              synonyms=("女职工",)),
        Field("cert_junior", "取证初级", F.INT, unit="人", default=0, in_list=False, synonyms=("初级工", "初级")),
        Field("cert_middle", "取证中级", F.INT, unit="人", default=0, in_list=False, synonyms=("中级工", "中级")),
        Field("cert_senior", "取证高级", F.INT, unit="人", default=0, in_list=False, synonyms=("高级工", "高级")),
        Field("cert_technician", "取证技师", F.INT, unit="人", default=0, in_list=False, synonyms=("技师",)),
        Field("cert_senior_technician", "取证高级技师", F.INT, unit="人", default=0, in_list=False,
              synonyms=("高级技师",)),
        Field("funds", "培训经费", F.MONEY, unit="万元", default=0.0, width=5, synonyms=("经费",)),
        Field("union_funds", "其中工会经费", F.MONEY, unit="万元", default=0.0, not_above="funds", in_list=False,
              synonyms=("工会经费",)),
        Field("note", "备注", max_length=500, in_list=False),
    ),
)

COMPETITIONS = FormSpec(
    kind="competitions", table="competitions", title="竞赛", default_order="date DESC", match_keys=("name", "date"),
    import_label="竞赛", template_sheet="竞赛台账",
    search_fields=("name", "host"),
    fields=(
        Field("name", "竞赛名称", required=True, width=18, synonyms=("名称", "赛事名称", "竞赛项目")),
        Field("type", "类型", F.CHOICE, choices="competition_type", required=True, width=6, synonyms=("竞赛类型",)),
        Field("level", "级别", F.CHOICE, choices="competition_level", required=True, width=5, synonyms=("竞赛级别",)),
        Field("host", "承办单位", required=True, width=12, synonyms=("主办单位", "举办单位")),
        Field("date", "举办日期", F.DATE, required=True, width=8, synonyms=("日期", "时间", "举办时间", "竞赛时间")),
        Field("trades", "工种数", F.INT, unit="个", default=0, width=4, synonyms=("竞赛工种数", "工种")),
        Field("participants", "参赛人次", F.INT, unit="人次", required=True, width=5, synonyms=("参赛人数",)),
        Field("winners", "获奖人数", F.INT, unit="人", default=0, not_above="participants", width=5,
              synonyms=("获奖人次",)),
        Field("promoted", "晋升技能等级人数", F.INT, unit="人", default=0, not_above="participants", width=5,
              synonyms=("晋级人数", "晋升等级人数")),
        Field("experts", "授予技术能手人数", F.INT, unit="人", default=0, not_above="participants", width=5,
              synonyms=("技术能手人数",)),
        Field("note", "备注", max_length=500, in_list=False),
    ),
)

INNOVATION = FormSpec(
    kind="innovation", table="innovation", title="经济技术创新", name_field="period", unique=("period",),
    match_keys=("period",), import_label="经济技术创新", template_sheet="经济技术创新",
    search_fields=("period",), default_order="period DESC",
    fields=(
        Field("period", "报告期", F.PERIOD, required=True, width=6),
        Field("suggestions", "合理化建议", F.INT, unit="件", default=0),
        Field("suggestions_adopted", "其中采纳", F.INT, unit="件", default=0, not_above="suggestions"),
        Field("innovations", "技术革新项目", F.INT, unit="项", default=0),
        Field("inventions", "发明创造项目", F.INT, unit="项", default=0),
        Field("patents", "获得专利", F.INT, unit="件", default=0),
        Field("methods", "推广先进操作法", F.INT, unit="项", default=0),
        Field("benefit", "创造经济效益", F.MONEY, unit="万元", default=0.0),
    ),
)

SPECS: dict[str, FormSpec] = {s.kind: s for s in (PEOPLE, HONOURS, STUDIOS, STUDIO_OUTPUTS, TRAININGS,
                                                   COMPETITIONS, INNOVATION)}
# Lists of kinds, derived from the declarations above (never kept by hand elsewhere):
# the kinds with their own page and table (children are edited inside their parent) …
TOP_LEVEL: tuple[str, ...] = tuple(k for k, s in SPECS.items() if s.top_level)
# … and the kinds a spreadsheet can be imported into: the top-level ones, then the children.
IMPORTABLE: tuple[str, ...] = tuple(k for k, s in SPECS.items() if s.importable and s.top_level) + tuple(
    k for k, s in SPECS.items() if s.importable and not s.top_level)


def children(kind: str) -> tuple[FormSpec, ...]:
    """The child forms edited inside a record of ``kind`` (people: honours; studios: yearly outputs)."""
    return tuple(s for s in SPECS.values() if s.parent == kind)


def kind_titles() -> dict[str, str]:
    """Top-level kind → its Chinese name (人员, 工作室 …), in the order of the navigation."""
    return {k: SPECS[k].title for k in TOP_LEVEL}


def spec(kind: str) -> FormSpec:
    try:
        return SPECS[kind]
    except KeyError:
        raise KeyError(f"未知的记录类型“{kind}”") from None
