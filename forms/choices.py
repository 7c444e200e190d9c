"""Reference lists for choice fields, read from ``resources/data`` (sources in SOURCES.md).

A list is a sequence of :class:`Choice`; each may be found by its value, its aliases (the full
standard name, an old name, the name without 族 …) or its code.
"""

from __future__ import annotations

import dataclasses
import functools

from common.paths import resource_path
from common.text import clean_text, halfwidth


@dataclasses.dataclass(frozen=True)
class Choice:
    value: str
    code: str = ""
    aliases: tuple[str, ...] = ()


def _read(name: str) -> list[dict[str, str]]:
    import csv  # here: a command that reads no list (an export, a verify) does not load it

    with open(resource_path("data", name), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _plain(values: list[str]) -> tuple[Choice, ...]:
    return tuple(Choice(v) for v in values)


@functools.cache
def _ethnic() -> tuple[Choice, ...]:
    old = {"德昂族": ("崩龙族",), "毛南族": ("毛难族",)}
    out = []
    for row in _read("ethnic_groups.csv"):
        name = row["name"]
        short = name[:-1] if name.endswith("族") else name
        aliases: tuple[str, ...] = (short, row["romanization"], row["letter_code"], *old.get(name, ()))
        if row["code"] == "97":
            name, aliases = "其他", (row["name"], "其他民族", "未识别民族")
        if row["code"] == "98":
            aliases = (*aliases, "外籍加入中国籍")
        out.append(Choice(name, row["code"], aliases))
    return tuple(out)


@functools.cache
def _political() -> tuple[Choice, ...]:
    out = []
    for row in _read("political_status.csv"):
        aliases: tuple[str, ...] = (row["name"],)
        if row["short_name"] == "中共党员":
            aliases += ("党员", "共产党员", "中国共产党员")
        if row["short_name"] == "共青团员":
            aliases += ("团员",)
        if row["code"] == "10":
            aliases += ("九三社员",)
        out.append(Choice(row["short_name"], row["code"], aliases))
    return tuple(out)


@functools.cache
def _education() -> tuple[Choice, ...]:
    extra = {
        "博士研究生": ("博士",), "硕士研究生": ("硕士", "研究生"), "大学本科": ("本科",),
        "大学专科": ("专科", "大专", "高职"), "中等专科/中职": ("中专", "中职", "职高", "中等专科"),
        "技工学校": ("技校",), "高中": ("普通高中",), "初中及以下": ("初中", "小学", "文盲"),
    }
    return tuple(Choice(r["name"], r["code"], extra.get(r["name"], ()))
                 for r in _read("education_levels.csv") if r["code"] != "10")


@functools.cache
def _skill() -> tuple[Choice, ...]:
    rows = sorted(_read("skill_levels.csv"), key=lambda r: int(r["rank_low_to_high"]))
    out = [Choice("无")]
    for row in rows:
        aliases = tuple(a.strip() for a in row["also_called"].split(";") if a.strip())
        if "/" in row["name"]:
            aliases += tuple(row["name"].split("/"))
        out.append(Choice(row["name"], row["code"], aliases))
    return tuple(out)


@functools.cache
def _industry() -> tuple[Choice, ...]:
    return tuple(Choice(r["name"], r["code"], (f"{r['code']} {r['name']}",)) for r in _read("industries.csv"))


UNIT_NATURES = ("国有企业", "集体企业", "民营企业", "外资/港澳台企业", "事业单位", "机关", "社会组织", "其他")
HONOUR_LEVELS = ("全国", "省部级", "州市级", "县级")
STUDIO_TYPES = ("劳模创新工作室", "职工创新工作室", "云岭工匠创新工作室", "工匠人才创新工作室",
                "职工技师工作站", "技能大师工作室")
STUDIO_LEVELS = ("全国", "省级", "州市级", "县级")
TRAINING_TYPES = ("职业技能培训", "岗位练兵", "安全生产培训", "学历提升", "新型学徒制", "创业培训", "其他")
COMPETITION_TYPES = ("劳动竞赛", "技能竞赛")
COMPETITION_LEVELS = ("县级", "州市级", "省级", "全国")

_STATIC: dict[str, tuple[Choice, ...]] = {
    "sex": (Choice("男", "1", ("男性",)), Choice("女", "2", ("女性",))),
    "unit_nature": tuple(Choice(v, "", a) for v, a in zip(UNIT_NATURES, [
        ("国企", "国有", "国有控股企业"), ("集体",), ("民企", "私营企业", "民营", "个体"),
        ("外资企业", "港澳台企业", "合资企业", "外资"), ("事业",), ("机关单位", "党政机关"),
        ("社会团体", "社团"), ()], strict=True)),
    "person_status": (Choice("在职", "", ("在岗",)), Choice("退休"), Choice("调离"), Choice("已故", "", ("去世", "逝世"))),
    "honour_level": tuple(Choice(v, "", a) for v, a in zip(HONOUR_LEVELS, [
        ("国家级",), ("省级", "省部", "部级"), ("州市", "市级", "州级", "地市级"), ("县级市", "县区级", "区级")], strict=True)),
    "studio_type": _plain(list(STUDIO_TYPES)),
    "studio_level": tuple(Choice(v, "", a) for v, a in zip(STUDIO_LEVELS, [
        ("国家级",), ("省部级",), ("州市", "市级", "州级", "地市级"), ("县区级", "区级")], strict=True)),
    "studio_status": (Choice("正常"), Choice("待复核"), Choice("已撤销", "", ("撤销",))),
    "training_type": _plain(list(TRAINING_TYPES)),
    "competition_type": _plain(list(COMPETITION_TYPES)),
    "competition_level": tuple(Choice(v, "", a) for v, a in zip(COMPETITION_LEVELS, [
        ("县区级",), ("州市", "市级", "州级"), ("省部级",), ("国家级",)], strict=True)),
}

_LOADERS = {
    "ethnicity": _ethnic, "political": _political, "education": _education,
    "skill_level": _skill, "industry": _industry,
}


def choices(name: str) -> tuple[Choice, ...]:
    """The entries of the list ``name`` (e.g. ``"ethnicity"``)."""
    if name in _STATIC:
        return _STATIC[name]
    if name in _LOADERS:
        return _LOADERS[name]()
    if name == "honour_title":
        from forms.honours import all_titles

        return tuple(Choice(t) for t in all_titles())
    if name == "honour_category":
        from forms.honours import CATEGORIES

        return tuple(Choice(c.name, c.key, c.aliases) for c in CATEGORIES)
    raise KeyError(name)


def values(name: str) -> list[str]:
    return [c.value for c in choices(name)]


@functools.cache
def _index(name: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for choice in choices(name):
        for key in (choice.value, *choice.aliases):
            index.setdefault(_key(key), choice.value)
        if choice.code:
            index.setdefault(_key(choice.code), choice.value)
    return index


def _key(text: str) -> str:
    return halfwidth(clean_text(text)).replace(" ", "").lower()


def match(name: str, text: object) -> str | None:
    """The list value that ``text`` stands for, or ``None``."""
    return _match(name, str(text or ""))


@functools.lru_cache(maxsize=16384)
def _match(name: str, text: str) -> str | None:
    return _index(name).get(_key(text))
