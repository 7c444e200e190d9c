"""What changed between two versions of a return (v1 → v2): numbers, roster rows, 说明.

Used for the unit's own finalised versions and for a subordinate's received versions. Everything
compares the canonical returns (what was signed), so it works on any two versions however made.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from forms import returns as R
from forms.periods import Period, parse_period
from models.db import RecordError, Store
from models.returns import Number, Return

ROSTER_KEYS = {"R1": ("id_number", "name"), "R2": ("name",)}  # what identifies the same roster row
IGNORED_ROSTER_COLUMNS = ("seq",)


@dataclasses.dataclass(frozen=True)
class NumberChange:
    table: str
    table_title: str  # 表3
    row_label: str
    column_label: str
    old: Number
    new: Number
    money: bool

    @property
    def difference(self) -> Number:
        return self.new - self.old

    def _fmt(self, value: Number, signed: bool = False) -> str:
        text = f"{Decimal(value):.2f}" if self.money else f"{int(value)}"
        return f"+{text}" if signed and value > 0 else text

    @property
    def old_text(self) -> str:
        return self._fmt(self.old)

    @property
    def new_text(self) -> str:
        return self._fmt(self.new)

    @property
    def difference_text(self) -> str:
        return self._fmt(self.difference, signed=True)

    @property
    def where(self) -> str:
        return f"{self.table_title} {self.row_label} · {self.column_label}"


@dataclasses.dataclass(frozen=True)
class RosterChange:
    roster: str
    roster_title: str  # 附表1
    action: str  # added, removed, changed
    label: str  # the row's name (and masked ID / source unit)
    fields: tuple[tuple[str, str, str], ...] = ()  # column label, old, new (changed rows)

    @property
    def action_label(self) -> str:
        return {"added": "新增", "removed": "删去", "changed": "改动"}[self.action]

    def text(self) -> str:
        if self.action != "changed":
            return f"{self.roster_title} {self.action_label}：{self.label}"
        parts = "；".join(f"{label}：{old or '（空）'} → {new or '（空）'}" for label, old, new in self.fields)
        return f"{self.roster_title} 改动：{self.label}（{parts}）"


@dataclasses.dataclass(frozen=True)
class NoteChange:
    place: str  # the finding's message (where it is)
    old: str
    new: str

    @property
    def action_label(self) -> str:
        return "新增" if not self.old else "删去" if not self.new else "改动"

    def text(self) -> str:
        if not self.old:
            return f"说明新增：{self.place}：{self.new}"
        if not self.new:
            return f"说明删去：{self.place}：{self.old}"
        return f"说明改动：{self.place}：{self.old} → {self.new}"


@dataclasses.dataclass(frozen=True)
class ReturnDiff:
    old: Return
    new: Return
    numbers: tuple[NumberChange, ...]
    rosters: tuple[RosterChange, ...]
    notes: tuple[NoteChange, ...]
    cover: tuple[tuple[str, str, str], ...]  # label, old, new

    @property
    def empty(self) -> bool:
        return not (self.numbers or self.rosters or self.notes or self.cover)

    @property
    def title(self) -> str:
        period = parse_period(self.new.period)
        return f"{self.new.unit_name} {period.label}{period.kind_label}：第{self.old.version}版 → 第{self.new.version}版"

    def roster_counts(self) -> dict[str, int]:
        out = {"added": 0, "removed": 0, "changed": 0}
        for change in self.rosters:
            out[change.action] += 1
        return out

    def summary(self) -> str:
        """``较第1版：表格数字变动12处；名册新增3行、删去1行、改动2行；说明改动1条``."""
        if self.empty:
            return f"与第{self.old.version}版相比没有变化"
        parts = []
        if self.numbers:
            parts.append(f"表格数字变动{len(self.numbers)}处")
        counts = self.roster_counts()
        if self.rosters:
            parts.append("名册" + "、".join(f"{label}{counts[key]}行" for key, label in
                                           (("added", "新增"), ("removed", "删去"), ("changed", "改动")) if counts[key]))
        if self.notes:
            parts.append(f"说明变动{len(self.notes)}条")
        if self.cover:
            parts.append(f"封面变动{len(self.cover)}项")
        return f"较第{self.old.version}版：" + "；".join(parts)

    def lines(self) -> list[str]:
        out = [self.title, self.summary()]
        if self.numbers:
            out.append("表格数字（原值 → 新值，差额）：")
            out.extend(f"  {c.where}：{c.old_text} → {c.new_text}（{c.difference_text}）" for c in self.numbers)
        if self.rosters:
            out.append("名册：")
            out.extend(f"  {c.text()}" for c in self.rosters)
        if self.notes:
            out.append("说明：")
            out.extend(f"  {c.text()}" for c in self.notes)
        if self.cover:
            out.append("封面：")
            out.extend(f"  {label}：{old or '（空）'} → {new or '（空）'}" for label, old, new in self.cover)
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "unit_code": self.new.unit_code, "unit_name": self.new.unit_name, "period": self.new.period,
            "from": self.old.version, "to": self.new.version, "summary": self.summary(),
            "numbers": [{"table": c.table, "table_title": c.table_title, "row": c.row_label, "column": c.column_label,
                         "old": c.old_text, "new": c.new_text, "difference": c.difference_text} for c in self.numbers],
            "rosters": [{"roster": c.roster, "action": c.action, "label": c.label,
                         "fields": [{"column": f[0], "old": f[1], "new": f[2]} for f in c.fields]}
                        for c in self.rosters],
            "notes": [{"place": c.place, "old": c.old, "new": c.new} for c in self.notes],
            "cover": [{"field": f[0], "old": f[1], "new": f[2]} for f in self.cover],
        }


def diff_returns(old: Return, new: Return) -> ReturnDiff:
    """Every change from ``old`` to ``new`` (two versions of the same unit and period)."""
    numbers = []
    for spec in new.spec.tables:  # a table the old version's definition lacks counts as all zeros
        old_table, new_table = old.tables.get(spec.key, {}), new.tables.get(spec.key, {})
        for row in spec.rows:
            for column in spec.columns:
                before = old_table.get(row.key, {}).get(column.key, 0)
                after = new_table.get(row.key, {}).get(column.key, 0)
                if before != after:
                    numbers.append(NumberChange(spec.key, spec.number, row.full_label, column.label
                                                if not column.group else f"{column.group}{column.label}",
                                                before, after, column.money))
    rosters = []
    for roster in new.spec.rosters:
        rosters.extend(_roster_changes(roster, old.rosters.get(roster.key, []), new.rosters.get(roster.key, []),
                                       old.consolidated or new.consolidated))
    notes = []
    old_notes = {(n.get("code", ""), n.get("where", "")): n for n in old.notes}
    new_notes = {(n.get("code", ""), n.get("where", "")): n for n in new.notes}
    for key in dict.fromkeys([*old_notes, *new_notes]):
        before_note, after_note = old_notes.get(key, {}), new_notes.get(key, {})
        if before_note.get("text", "") != after_note.get("text", ""):
            place = after_note.get("message") or before_note.get("message") or key[1]
            notes.append(NoteChange(str(place), str(before_note.get("text", "")), str(after_note.get("text", ""))))
    cover = []
    for field in new.spec.cover:
        if field.key == "report_date":
            continue
        before_text, after_text = old.cover.get(field.key, ""), new.cover.get(field.key, "")
        if before_text != after_text:
            cover.append((field.label, before_text, after_text))
    if old.unit_name != new.unit_name:
        cover.append(("填报单位", old.unit_name, new.unit_name))
    if old.definition.digest != new.definition.digest:
        cover.append(("报表制度", old.definition_line(), new.definition_line()))
    return ReturnDiff(old, new, tuple(numbers), tuple(rosters), tuple(notes), tuple(cover))


def _roster_changes(roster: R.RosterSpec, old_rows: list[dict[str, str]], new_rows: list[dict[str, str]],
                    consolidated: bool) -> list[RosterChange]:
    keys = ROSTER_KEYS.get(roster.key, ("name",)) + (("source_unit",) if consolidated else ())
    columns = [c for c in roster.visible_columns(consolidated) if c.key not in IGNORED_ROSTER_COLUMNS]

    def key_of(row: dict[str, str]) -> tuple[str, ...]:
        return tuple([str(row.get(k, "")) for k in keys])

    def label_of(row: dict[str, str]) -> str:
        extra = [str(row.get(k, "")) for k in keys[1:] if row.get(k)] if roster.key != "R1" else \
            [str(row.get("id_number", ""))] + ([str(row.get("source_unit", ""))] if consolidated else [])
        name = str(row.get("name", ""))
        return f"{name}（{'，'.join(e for e in extra if e)}）" if any(extra) else name

    before = {key_of(r): r for r in old_rows}
    after = {key_of(r): r for r in new_rows}
    out = []
    for key, row in after.items():
        old_row = before.get(key)
        if old_row is None:
            out.append(RosterChange(roster.key, roster.number, "added", label_of(row)))
            continue
        if old_row == row:  # the same texts (most rows of a province's roster): nothing to look at cell by cell
            continue
        fields = tuple((c.label, str(old_row.get(c.key, "")), str(row.get(c.key, ""))) for c in columns
                       if str(old_row.get(c.key, "")) != str(row.get(c.key, "")))
        if fields:
            out.append(RosterChange(roster.key, roster.number, "changed", label_of(row), fields))
    for key, row in before.items():
        if key not in after:
            out.append(RosterChange(roster.key, roster.number, "removed", label_of(row)))
    return out


# ---------------------------------------------------------------------------------------------
# Finding the versions


def own_diff(store: Store, period: Period, v_from: int | None = None, v_to: int | None = None) -> ReturnDiff:
    """The unit's own finalised versions of ``period`` (default: the latest against the one before)."""
    from models.versions import list_versions, load_version

    found = [v.version for v in list_versions(store, period)]
    return _pick(found, v_from, v_to, lambda n: load_version(store, period, n), "本单位")


def received_diff(store: Store, period: Period, unit_code: str, v_from: int | None = None,
                  v_to: int | None = None) -> ReturnDiff:
    """A subordinate's received versions of ``period`` (valid ones; default: newest against the one before)."""
    from models.receiving import load_received, received
    from models.signing.common import VALID

    rows = {}
    for row in received(store, period.code, unit_code):
        if row.status == VALID and row.version not in rows:
            rows[row.version] = row
    if not rows:
        raise RecordError(f"没有收到单位 {unit_code} {period.label}的有效报表")
    name = next(iter(rows.values())).unit_name
    return _pick(sorted(rows), v_from, v_to, lambda n: load_received(store, rows[n].id), name)


def _pick(found: list[int], v_from: int | None, v_to: int | None, load: Any, who: str) -> ReturnDiff:
    found = sorted(found)
    if len(found) < 2 and (v_from is None or v_to is None):
        raise RecordError(f"{who}这一期只有{len(found)}个版本，没有可比较的版本")
    to = v_to if v_to is not None else found[-1]
    start = v_from if v_from is not None else max((n for n in found if n < to), default=None)
    for number in (start, to):
        if number is None or number not in found:
            shown = "、".join(f"第{n}版" for n in found) or "无"
            raise RecordError(f"{who}没有第{number}版（现有：{shown}）" if number else f"第{to}版之前没有版本")
    old, new = load(start), load(to)
    if old is None or new is None:
        raise RecordError("找不到要比较的版本")
    return diff_returns(old, new)


def board_changes(store: Store, period: Period, unit_codes: list[str]) -> dict[str, ReturnDiff]:
    """For each unit whose newest valid version has an earlier valid one: what changed."""
    out = {}
    for code in unit_codes:
        try:
            out[code] = received_diff(store, period, code)
        except RecordError:
            continue
    return out
