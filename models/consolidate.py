"""汇总: the consolidated return of a prefecture (or the province) for a period.

The consolidated return is this unit's own return — computed from its own records (市直 / 州直 /
省直, the units it manages directly) by ``models.returns.compute_own`` — plus the current valid
return of every direct subordinate that reported and was not sent back, summed table by table
with the declarations of ``forms.returns`` (``models.returns.consolidate``). Only returns stored by
``models.receiving`` are read, never the files.

What else it carries:

* ``sources``: the unit codes summed (own first);
* ``coverage``: who should have reported and who did (``应报 10 个，实报 9 个，未报：澜沧县``), with the
  version and data digest of every return summed — the cover and the summary sheet print the text,
  and the drill-down (:func:`contributions`) finds each unit's part of any number from it;
* the rosters gain 来源单位; people who appear in the rosters of two units (same masked ID number
  and birth month — the only part of the number a return carries) are reported by
  :func:`duplicate_people` and flagged as a review warning.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from forms import divisions
from forms.definition import Definition
from forms.fields import Finding
from forms.periods import Period
from models import returns as ret_mod
from models.board import REPORTED, Board, build_board
from models.db import RecordError, Store
from models.definitions import resolver
from models.returns import Number, Return
from models.unit import Unit

OWN = "own"
SUBORDINATE = "reported"
DUPLICATE_CODE = "roster.duplicate_person"
MISSING_CODE = "consolidation.missing"


def own_label(unit: Unit) -> str:
    """``普洱市总工会（市直）``: the 来源单位 of the unit's own records."""
    division = divisions.get(unit.code)
    if unit.level == "province":
        direct = "省直"
    elif division is not None and division.short_name.endswith("州"):
        direct = "州直"
    else:
        direct = "市直"
    return f"{unit.name}（{direct}）"


def coverage_for(board: Board, own: Unit, own_ret: Return, reported: Sequence[tuple[Any, Return]]) -> dict[str, Any]:
    """The canonical ``coverage`` of a consolidated return (only strings and integers)."""
    # The own part is a draft computed today: its digest leaves out the report date so that it only
    # changes when the records do.
    units: list[dict[str, Any]] = [{
        "code": own.code, "name": own_label(own), "short_name": "本级", "role": OWN, "state": REPORTED,
        "version": 0, "digest": hashlib.sha256(own_ret.content_bytes()).hexdigest(), "finalised_at": ""}]
    by_code = {ret.unit_code: (row, ret) for row, ret in reported}
    for entry in board.entries:
        item: dict[str, Any] = {"code": entry.unit.code, "name": entry.unit.name, "short_name": entry.unit.short_name,
                                "role": SUBORDINATE if entry.unit.code in by_code else "missing", "state": entry.state,
                                "version": 0, "digest": "", "finalised_at": ""}
        if entry.unit.code in by_code:
            row, ret = by_code[entry.unit.code]
            item.update(version=ret.version, digest=row.digest, finalised_at=ret.finalised_at)
        units.append(item)
    return {"expected": board.expected, "reported": len(reported), "text": board.summary(), "units": units}


@dataclasses.dataclass
class Consolidation:
    ret: Return
    board: Board
    coverage: dict[str, Any]
    own: Return  # this unit's own return (市直), as summed
    parts: list[Return]  # the subordinates' returns summed, in board order

    @property
    def coverage_text(self) -> str:
        return str(self.coverage["text"])

    def duplicates(self) -> list[Duplicate]:
        return duplicate_people(self.ret)


def own_return(store: Store, period: Period, *, today: dt.date | None = None,
               definition: Definition | None = None) -> Return:
    """This unit's return from its own records only (what a county's return is)."""
    return ret_mod.compute_own(store, period, today=today, definition=definition)


def consolidate_period(store: Store, period: Period, *, today: dt.date | None = None,
                       definition: Definition | None = None) -> Consolidation:
    """The consolidated draft return of ``period`` (see the module docstring), on ``definition`` (default:
    the one this store uses for the period's year). A subordinate's return on another definition is not
    added: :class:`models.returns.DefinitionMismatch` names it."""
    from models import unit
    from models.receiving import load_received

    own = unit.load(store)
    if own is None:
        raise RecordError("尚未设置本单位，无法汇总")
    board = build_board(store, period)
    definition = definition or ret_mod.definition_for(store, period)
    mine = own_return(store, period, today=today, definition=definition)
    reported = []
    for entry in board.entries:
        if entry.state == REPORTED and entry.current is not None:
            reported.append((entry.current, load_received(store, entry.current.id)))
    labelled = dataclasses.replace(mine, unit_name=own_label(own))
    parts = [ret for _row, ret in reported]
    total = ret_mod.consolidate([labelled, *parts], unit_code=own.code, unit_name=own.name, unit_level=own.level,
                                parent_code=own.parent_code, period=period.code, cover=mine.cover,
                                definition=definition)
    coverage = coverage_for(board, own, mine, reported)
    total.coverage = coverage
    return Consolidation(total, board, coverage, mine, parts)


# ------------------------------------------------------------------------------------------------
# Drill-down


@dataclasses.dataclass(frozen=True)
class Contribution:
    unit_code: str
    unit_name: str
    role: str  # own / reported
    version: int
    value: Number
    available: bool = True  # False: that return's data is no longer in this store

    @property
    def label(self) -> str:
        if self.role == OWN:
            return f"{self.unit_name}（本单位直接管理的单位，来自本机记录）"
        return f"{self.unit_name}（第{self.version}版）" if self.available else f"{self.unit_name}（数据不在本机）"


def contributions(store: Store, ret: Return, table: str, row: str, column: str) -> list[Contribution]:
    """Each summed unit's part of one number of a consolidated return (draft or finalised version).

    The subordinates' parts are read from the stored returns named in ``ret.coverage`` (by digest);
    the unit's own part is the rest, so the parts always add up to the number shown.
    """
    spec = ret.spec.table(table)
    col = spec.column(column)
    spec.row(row)
    total = ret.tables[table][row][column]
    units = list(ret.coverage.get("units", [])) if ret.coverage else []
    out: list[Contribution] = []
    summed: Number = Decimal("0.00") if col.money else 0
    own_item: dict[str, Any] | None = None
    for item in units:
        if item.get("role") == OWN:
            own_item = item
            continue
        if item.get("role") != SUBORDINATE:
            continue
        payload = store.scalar("SELECT payload FROM received_returns WHERE digest = ?", (item.get("digest", ""),))
        if payload is None:
            out.append(Contribution(item["code"], item["name"], SUBORDINATE, int(item.get("version", 0)),
                                    Decimal("0.00") if col.money else 0, available=False))
            continue
        part = ret_mod.from_canonical(str(payload).encode("utf-8"), resolver(store))
        value = part.tables[table][row][column]
        summed += value
        out.append(Contribution(item["code"], item["name"], SUBORDINATE, part.version, value))
    if own_item is not None:
        out.insert(0, Contribution(own_item["code"], own_item["name"], OWN, int(own_item.get("version", 0)),
                                   total - summed))
    return out


# ------------------------------------------------------------------------------------------------
# People in two units' rosters


@dataclasses.dataclass(frozen=True)
class Duplicate:
    id_number: str  # masked, 前6后4
    birth: str  # 出生年月
    rows: tuple[Mapping[str, str], ...]  # the consolidated roster rows (with seq and source_unit)

    @property
    def units(self) -> list[str]:
        return sorted({r.get("source_unit", "") for r in self.rows})

    def text(self) -> str:
        who = "、".join(f"{r.get('source_unit', '')}的“{r.get('name', '')}”（附表1第{r.get('seq', '')}行）" for r in self.rows)
        return f"身份证号 {self.id_number}（出生年月 {self.birth}）同时出现在{who}"


def duplicate_people(ret: Return) -> list[Duplicate]:
    """People listed by two or more units in 附表1 of a consolidated return."""
    groups: dict[tuple[str, str], list[Mapping[str, str]]] = defaultdict(list)
    for row in ret.rosters.get("R1", []):
        number = row.get("id_number", "")
        if number:
            groups[(number, row.get("birth_date", ""))].append(row)
    out = []
    for (number, birth), rows in groups.items():
        if len({r.get("source_unit", "") for r in rows}) > 1:
            out.append(Duplicate(number, birth, tuple(rows)))
    return sorted(out, key=lambda d: int(d.rows[0].get("seq", "0") or 0))


def _finding(code: str, where: str, label: str, message: str) -> Finding:
    from models.review import rule_finding

    return rule_finding(code, where, label, message)  # with the texts of the definition of the return under review


def duplicate_findings(ret: Return) -> list[Finding]:
    """Review warnings for people counted by two units (the consolidating unit checks and explains, or 退回)."""
    return [_finding(DUPLICATE_CODE, f"roster/R1/{dup.rows[0].get('seq', '')}", "附表1 劳模名册",
                     f"{dup.text()}，可能被重复统计") for dup in duplicate_people(ret)]


def consolidation_findings(ret: Return) -> list[Finding]:
    """What the review adds for a consolidated return: units not summed (提示) and people in two rosters (警告)."""
    out = duplicate_findings(ret)
    coverage = ret.coverage or {}
    if int(coverage.get("reported", 0)) < int(coverage.get("expected", 0)):
        out.append(_finding(MISSING_CODE, "units/missing", "上报情况", str(coverage.get("text", ""))))
    return out


def contribution_rows(store: Store, ret: Return, table: str, row: str, column: str) -> list[dict[str, Any]]:
    """:func:`contributions` as plain dicts (the command line's JSON)."""
    spec = ret.spec.table(table)
    col = spec.column(column)
    return [{"unit_code": c.unit_code, "unit_name": c.unit_name, "role": c.role, "version": c.version,
             "value": float(c.value) if col.money else int(c.value), "available": c.available}
            for c in contributions(store, ret, table, row, column)]
