"""The unit this store belongs to: set up once, shown on every return's cover."""

from __future__ import annotations

import dataclasses
from typing import Any

from common.text import ParseError, clean_text, compact, hidden_character
from forms import divisions
from models.db import RecordError, Store, now

LEVELS = ("county", "prefecture", "province", "industry")


@dataclasses.dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str  # county / prefecture / province / industry
    parent_code: str | None
    head: str = ""
    statistician: str = ""
    preparer: str = ""
    phone: str = ""

    @property
    def has_subordinates(self) -> bool:
        """A prefecture or the province: it receives its subordinates' returns and consolidates them."""
        return self.level in ("prefecture", "province")

    @property
    def level_label(self) -> str:
        return divisions.LEVEL_NAMES[self.level]

    @property
    def parent_name(self) -> str:
        if not self.parent_code:
            return ""
        parent = divisions.get(self.parent_code)
        return parent.union_name if parent else self.parent_code

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"level_label": self.level_label}


def describe_code(code: str) -> tuple[str, str, str | None]:
    """(proposed union name, level, parent code) for a division code; ParseError if unknown."""
    code = compact(code)
    division = divisions.get(code)
    if division is None:
        raise ParseError(f"单位代码“{code}”不是云南省的行政区划代码（如 530821 宁洱县）。"
                         f"省级产业系统工会请选择“产业系统”并填写统一社会信用代码")
    parent = division.parent_code or None
    return division.union_name, division.level, parent


def setup(store: Store, *, code: str, name: str | None = None, industry: bool = False, head: str = "",
          statistician: str = "", preparer: str = "", phone: str = "") -> Unit:
    """Record (or change) the unit. ``industry`` units use their credit code and report to the province."""
    from common.ids import check_credit_code, check_phone

    code = compact(code).upper()
    if industry:
        code = check_credit_code(code)
        if not name or not clean_text(name):
            raise ParseError("产业系统工会须填写单位名称，如“云南电网有限责任公司工会”")
        level, parent = "industry", divisions.PROVINCE_CODE
        unit_name = clean_text(name)
    else:
        proposed, level, division_parent = describe_code(code)
        parent = division_parent or ""
        unit_name = clean_text(name) if name and clean_text(name) else proposed
    phone = check_phone(phone) if clean_text(phone) else ""
    for label, value in (("单位名称", unit_name), ("单位负责人", head), ("统计负责人", statistician), ("填表人", preparer)):
        found = hidden_character(clean_text(value))
        if found is not None:
            raise ParseError(f"{label}含有不可见的特殊字符（{found}），请删除后重新输入")
    unit = Unit(code, unit_name, level, parent or None, clean_text(head), clean_text(statistician), clean_text(preparer), phone)
    with store.atomic():
        store.conn.execute(
            "INSERT INTO unit (id, code, name, level, parent_code, head, statistician, preparer, phone, created_at, "
            "updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET code = excluded.code, "
            "name = excluded.name, level = excluded.level, parent_code = excluded.parent_code, head = excluded.head, "
            "statistician = excluded.statistician, preparer = excluded.preparer, phone = excluded.phone, "
            "updated_at = excluded.updated_at",
            (unit.code, unit.name, unit.level, unit.parent_code, unit.head, unit.statistician, unit.preparer,
             unit.phone, now(), now()))
    return unit


def update_contacts(store: Store, *, head: str | None = None, statistician: str | None = None,
                    preparer: str | None = None, phone: str | None = None, name: str | None = None) -> Unit:
    """Change the cover contacts (and optionally the unit's name) of an existing unit."""
    from common.ids import check_phone

    unit = load(store)
    if unit is None:
        raise RecordError("尚未设置本单位")
    changes: dict[str, str] = {}
    labels = {"head": "单位负责人", "statistician": "统计负责人", "preparer": "填表人", "name": "单位名称"}
    for key, value in (("head", head), ("statistician", statistician), ("preparer", preparer), ("name", name)):
        if value is not None:
            changes[key] = clean_text(value)
            found = hidden_character(changes[key])
            if found is not None:
                raise ParseError(f"{labels[key]}含有不可见的特殊字符（{found}），请删除后重新输入")
    if name is not None and not changes["name"]:
        raise ParseError("单位名称不能为空")
    if phone is not None:
        changes["phone"] = check_phone(phone) if clean_text(phone) else ""
    if changes:
        with store.atomic():
            store.conn.execute(f"UPDATE unit SET {', '.join(f'{k} = ?' for k in changes)}, updated_at = ? WHERE id = 1",
                               [*changes.values(), now()])
    result = load(store)
    assert result is not None
    return result


def load(store: Store) -> Unit | None:
    rows = store.query("SELECT code, name, level, parent_code, head, statistician, preparer, phone FROM unit WHERE id = 1")
    if not rows:
        return None
    r = rows[0]
    return Unit(r["code"], r["name"], r["level"], r["parent_code"], r["head"] or "", r["statistician"] or "",
                r["preparer"] or "", r["phone"] or "")
