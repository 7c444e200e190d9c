"""The honour catalogue (DOMAIN.md §3.1): categories, levels and the known titles.

A person counts once per category, at the highest level held. Titles not in the catalogue
(``普洱工匠``, ``珠源工匠`` …) are accepted; their category and level are guessed from the words.
"""

from __future__ import annotations

import dataclasses
import functools
import re

from forms.choices import HONOUR_LEVELS


@dataclasses.dataclass(frozen=True)
class Category:
    key: str
    name: str
    short: str
    aliases: tuple[str, ...]
    titles: dict[str, tuple[str, ...]]  # level -> known titles


CATEGORIES: tuple[Category, ...] = (
    Category("model", "劳动模范/先进工作者", "劳动模范", ("劳动模范", "劳模", "先进工作者", "劳模先进"), {
        "全国": ("全国劳动模范", "全国先进工作者"),
        "省部级": ("云南省劳动模范", "云南省先进工作者", "全国行业劳动模范"),
        "州市级": ("州市劳动模范",),
        "县级": ("县级劳动模范",),
    }),
    Category("may1", "五一劳动奖章", "五一劳动奖章", ("五一奖章", "劳动奖章"), {
        "全国": ("全国五一劳动奖章",),
        "省部级": ("云南省五一劳动奖章",),
        "州市级": ("州市五一劳动奖章",),
        "县级": ("县级五一劳动奖章",),
    }),
    Category("craftsman", "工匠", "工匠", ("工匠人才",), {
        "全国": ("大国工匠年度人物",),
        "省部级": ("云岭工匠",),
        "州市级": ("州市工匠", "普洱工匠", "珠源工匠"),
        "县级": ("县级工匠",),
    }),
    Category("expert", "技术能手", "技术能手", ("技能大奖", "技术状元"), {
        "全国": ("全国技术能手", "中华技能大奖"),
        "省部级": ("云南省技术能手", "云南省职工技术状元"),
        "州市级": ("州市技术能手",),
        "县级": (),
    }),
)

CATEGORY_BY_NAME = {c.name: c for c in CATEGORIES}
CATEGORY_BY_KEY = {c.key: c for c in CATEGORIES}
LEVEL_RANK = {level: rank for rank, level in enumerate(HONOUR_LEVELS)}  # 0 = highest

KNOWN_TITLES: dict[str, tuple[str, str]] = {
    title: (cat.name, level) for cat in CATEGORIES for level, titles in cat.titles.items() for title in titles
}

# Local names of prefecture honours that carry no division name (珠源工匠 is 曲靖's).
_PREFECTURE_BRANDS = ("珠源", "春城", "滇南", "滇西")


def all_titles() -> list[str]:
    return list(KNOWN_TITLES)


@functools.lru_cache(maxsize=4096)
def infer(title: str) -> tuple[str | None, str | None]:
    """(category name, level) for a title, from the catalogue or from its words."""
    title = re.sub(r"\s+", "", title)
    if title in KNOWN_TITLES:
        return KNOWN_TITLES[title]
    category: str | None
    if "五一" in title or "劳动奖章" in title:
        category = "五一劳动奖章"
    elif "工匠" in title:
        category = "工匠"
    elif any(w in title for w in ("技术能手", "技能大奖", "技术状元")):
        category = "技术能手"
    elif any(w in title for w in ("劳动模范", "劳模", "先进工作者")):
        category = "劳动模范/先进工作者"
    else:
        category = None
    level: str | None
    if title.startswith(("全国", "中华", "大国")):
        level = "全国"
    elif title.startswith(("云南", "云岭", "省")):
        level = "省部级"
    else:
        level = _regional_level(title)
    return category, level


def _regional_level(title: str) -> str | None:
    from forms.divisions import all_divisions

    if title.startswith(("县级", "区级")):
        return "县级"
    if title.startswith(("州级", "市级", "州市")) or title.startswith(_PREFECTURE_BRANDS):
        return "州市级"
    best: tuple[int, str] | None = None
    for division in all_divisions():
        for name in (division.name, division.short_name, division.stem):
            if len(name) >= 2 and title.startswith(name) and (best is None or len(name) > best[0]):
                best = (len(name), division.level)
    if best is not None:
        return {"county": "县级", "prefecture": "州市级", "province": "省部级"}[best[1]]
    return None


def split_titles(cell: str) -> list[str]:
    """Several honours in one cell, separated by 、 ； ; ， , or new lines."""
    return [p.strip() for p in re.split(r"[、；;，,\n]+", cell or "") if p.strip()]


def parse_title_with_year(text: str) -> tuple[str, int | None]:
    """``2015年云南省劳动模范`` → (``云南省劳动模范``, 2015); also ``云南省劳动模范（2015）``."""
    text = text.strip()
    match = re.match(r"^(\d{4})\s*年?度?\s*(.+)$", text)
    if match:
        return match.group(2).strip(), int(match.group(1))
    match = re.match(r"^(.+?)\s*[（(]\s*(\d{4})\s*年?\s*[)）]$", text)
    if match:
        return match.group(1).strip(), int(match.group(2))
    return text, None


# Studio types whose leader must hold an honour of one of these categories (DOMAIN.md §3.2).
STUDIO_LEADER_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "劳模创新工作室": ("劳动模范/先进工作者", "五一劳动奖章"),
    "云岭工匠创新工作室": ("工匠",),
    "工匠人才创新工作室": ("工匠",),
}
