"""Yunnan's administrative divisions (GB/T 2260), for unit setup and regional codes."""

from __future__ import annotations

import dataclasses
import functools

from common.paths import resource_path

PROVINCE_CODE = "530000"

LEVEL_NAMES = {"county": "县级", "prefecture": "州市级", "province": "省级", "industry": "省级产业系统"}


@dataclasses.dataclass(frozen=True)
class Division:
    code: str
    name: str
    parent_code: str
    level: str  # province / prefecture / county

    @property
    def short_name(self) -> str:
        """The everyday name: ``宁洱哈尼族彝族自治县`` → ``宁洱县``, ``西双版纳傣族自治州`` → ``西双版纳州``."""
        if not self.name.endswith(("自治县", "自治州")):
            return self.name
        cut = min((i for i in (self.name.find(e) for e in _ethnic_names()) if i > 0), default=-1)
        return self.name[:cut] + self.name[-1] if cut > 0 else self.name

    @property
    def stem(self) -> str:
        """The name without its suffix: ``宁洱``, ``思茅``, ``普洱``."""
        short = self.short_name
        return short[:-1] if len(short) > 2 and short[-1] in "县区市州省" else short

    @property
    def union_name(self) -> str:
        return f"{self.name}总工会"


@functools.cache
def _ethnic_names() -> tuple[str, ...]:
    from forms.choices import choices

    return tuple(c.value for c in choices("ethnicity") if c.value.endswith("族"))


@functools.cache
def all_divisions() -> tuple[Division, ...]:
    import csv  # here: a command that looks up no division does not load it

    with open(resource_path("data", "yunnan_divisions.csv"), encoding="utf-8", newline="") as fh:
        return tuple(Division(r["code"], r["name"], r["parent_code"], r["level"]) for r in csv.DictReader(fh))


@functools.cache
def by_code() -> dict[str, Division]:
    return {d.code: d for d in all_divisions()}


def get(code: str) -> Division | None:
    return by_code().get(code)


def children(code: str) -> list[Division]:
    return [d for d in all_divisions() if d.parent_code == code]


@functools.cache
def _search_keys() -> dict[str, str]:
    from common.pinyin import initials, search_key

    return {d.code: f"{d.name} {d.short_name} {search_key(d.name)} {initials(d.short_name)} {d.code}"
            for d in all_divisions()}


def search(query: str) -> list[Division]:
    """Divisions whose name, everyday name, pinyin, initials or code contain ``query``.

    ``nex`` finds 宁洱哈尼族彝族自治县 (its everyday name 宁洱县). Prefix matches come first.
    """
    query = query.strip().lower()
    if not query:
        return list(all_divisions())
    keys = _search_keys()
    hits = [d for d in all_divisions() if query in keys[d.code]]

    def rank(d: Division) -> tuple[int, str]:
        words = keys[d.code].split(" ")
        return (0 if any(w.startswith(query) for w in words) else 1, d.code)

    return sorted(hits, key=rank)


def level_of(code: str) -> str:
    division = get(code)
    return division.level if division else "industry"
