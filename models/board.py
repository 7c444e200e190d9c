"""上报情况: which direct subordinates have reported for a period, and in what state.

Subordinates (应报单位):

* a prefecture union: the counties and districts of its division (``forms.divisions.children``);
* the province: the 16 prefectures, plus the provincial industry-system unions it has registered
  a certificate for (and any industry union whose return it has received);
* a county or an industry union has none (the page then says so and offers to open 回执).

The state of a subordinate for a period, from what ``models.receiving`` stored:

* ``reported`` 已报 — its current valid version (version, finalised date, signer) is not sent back;
* ``returned`` 已退回 — its current valid version was sent back (退回) and nothing newer arrived;
* ``unregistered`` 未登记 — only files with a sound signature by an unregistered certificate;
* ``invalid`` 签名无效 — only files that were modified after signing or carry no signature;
* ``missing`` 未报 — nothing received.
"""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Mapping
from typing import Any

from forms import divisions
from forms.periods import Period
from models.db import Store
from models.receiving import Received, received
from models.signing.common import UNREGISTERED, VALID
from models.unit import Unit

MISSING = "missing"
REPORTED = "reported"
RETURNED = "returned"
UNREGISTERED_STATE = "unregistered"
INVALID = "invalid"

STATES = (REPORTED, MISSING, INVALID, UNREGISTERED_STATE, RETURNED)
STATE_LABELS = {REPORTED: "已报", MISSING: "未报", INVALID: "签名无效", UNREGISTERED_STATE: "未登记", RETURNED: "已退回"}


@dataclasses.dataclass(frozen=True)
class Subordinate:
    code: str
    name: str  # the union's full name
    short_name: str  # 宁洱县, 云南电网 …
    kind: str  # "division" or "industry"


def subordinates(store: Store, own: Unit | None = None) -> list[Subordinate]:
    """The units that report directly to this one (see the module docstring), in division-code order."""
    from models import unit

    own = own or unit.load(store)
    if own is None or own.level not in ("prefecture", "province"):
        return []
    out = [Subordinate(d.code, d.union_name, d.short_name, "division") for d in divisions.children(own.code)]
    if own.level == "province":
        industry: dict[str, str] = {}
        for row in store.query("SELECT unit_code, unit_name FROM trusted_certs ORDER BY id"):
            if divisions.get(row["unit_code"]) is None:
                industry[row["unit_code"]] = row["unit_name"]
        for row in store.query("SELECT DISTINCT unit_code, unit_name FROM received_returns ORDER BY id"):
            if divisions.get(row["unit_code"]) is None:
                industry.setdefault(row["unit_code"], row["unit_name"])
        for code, name in sorted(industry.items(), key=lambda item: item[1]):
            out.append(Subordinate(code, name, _short_industry_name(name), "industry"))
    return out


def _short_industry_name(name: str) -> str:
    for suffix in ("有限责任公司工会", "有限公司工会", "公司工会", "工会"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def has_subordinates(store: Store, own: Unit | None = None) -> bool:
    from models import unit

    own = own or unit.load(store)
    return own is not None and own.has_subordinates


@dataclasses.dataclass(frozen=True)
class Entry:
    """One line of the board."""

    unit: Subordinate
    state: str
    current: Received | None  # the row the state is about (the current valid one, else the newest attempt)
    remark: str = ""  # other files received (older versions, failed newer ones)
    definition_warning: str = ""  # the return is built on another definition than this unit consolidates with

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def version(self) -> int | None:
        return self.current.version if self.current is not None and self.state in (REPORTED, RETURNED) else None

    @property
    def date(self) -> str:
        """The date the reported (or returned) version was finalised by the unit (报出), else when it arrived."""
        if self.current is None or self.state not in (REPORTED, RETURNED):
            return ""
        return (self.current.finalised_at or self.current.received_at)[:10]

    @property
    def received_at(self) -> str:
        return self.current.received_at.replace("T", " ") if self.current is not None else ""

    @property
    def signer(self) -> str:
        row = self.current
        if row is None or not row.signer_fingerprint:
            return ""
        return f"{row.signer_name or ''}（{row.signer_fingerprint[:8]}…）"

    @property
    def detail(self) -> str:
        """The reason behind a state other than 已报 / 未报."""
        row = self.current
        if row is None:
            return ""
        if self.state == RETURNED:
            return f"退回原因：{row.return_reason or '（未写）'}"
        if self.state in (INVALID, UNREGISTERED_STATE):
            return row.reason
        return self.definition_warning

    def as_json(self) -> dict[str, Any]:
        row = self.current
        return {
            "unit_code": self.unit.code, "unit_name": self.unit.name, "short_name": self.unit.short_name,
            "kind": self.unit.kind, "state": self.state, "state_label": self.state_label, "version": self.version,
            "date": self.date or None, "received_at": row.received_at if row else None,
            "signer": row.signer_name if row and row.signer_fingerprint else None,
            "signer_fingerprint": row.signer_fingerprint if row else None,
            "digest": row.digest if row and self.state in (REPORTED, RETURNED) else None,
            "received_id": row.id if row else None, "detail": self.detail, "remark": self.remark,
            "definition_warning": self.definition_warning or None,
        }


def _entry(unit: Subordinate, rows: list[Received]) -> Entry:
    if not rows:
        return Entry(unit, MISSING, None)
    current = next((r for r in rows if r.current), None)
    newest = max(rows, key=lambda r: r.id)
    remarks = []
    older = sorted({r.version for r in rows if r.status == VALID and r.superseded})
    if older:
        remarks.append("另存旧版本：" + "、".join(f"第{v}版" for v in older))
    if current is not None:
        failed_later = [r for r in rows if r.status != VALID and r.id > current.id]
        if failed_later:
            labels = "、".join(sorted({r.status_label for r in failed_later}))
            remarks.append(f"此后又收到 {len(failed_later)} 个未通过验证的文件（{labels}）")
        state = RETURNED if current.returned_at else REPORTED
        return Entry(unit, state, current, "；".join(remarks))
    if newest.returned_at:
        state = RETURNED
    elif newest.status == UNREGISTERED:
        state = UNREGISTERED_STATE
    else:  # tampered or unsigned
        state = INVALID
    return Entry(unit, state, newest, "；".join(remarks))


@dataclasses.dataclass(frozen=True)
class Board:
    period: Period
    unit: Unit | None
    entries: list[Entry]

    @property
    def counts(self) -> dict[str, int]:
        return {state: sum(1 for e in self.entries if e.state == state) for state in STATES}

    @property
    def expected(self) -> int:
        return len(self.entries)

    @property
    def reported(self) -> int:
        return self.counts[REPORTED]

    def not_reported(self) -> list[Entry]:
        return [e for e in self.entries if e.state != REPORTED]

    def summary(self) -> str:
        """``应报 10 个，实报 9 个，未报：澜沧县`` (units not counted, with their state when not simply 未报)."""
        text = f"应报 {self.expected} 个，实报 {self.reported} 个"
        missing = self.not_reported()
        if missing:
            names = "、".join(e.unit.short_name + ("" if e.state == MISSING else f"（{e.state_label}）") for e in missing)
            text += f"，未报：{names}"
        return text

    def counts_text(self) -> str:
        return "，".join(f"{STATE_LABELS[s]} {n} 个" for s, n in self.counts.items())

    def as_json(self) -> dict[str, Any]:
        return {"period": self.period.code, "expected": self.expected, "reported": self.reported,
                "counts": self.counts, "summary": self.summary(),
                "subordinates": [e.as_json() for e in self.entries]}


def build_board(store: Store, period: Period) -> Board:
    """The 上报情况 of ``period`` (reads the store only; see :func:`models.receiving.recheck`)."""
    from models import unit

    own = unit.load(store)
    subs = subordinates(store, own)
    by_unit: dict[str, list[Received]] = {}
    for row in received(store, period.code):
        by_unit.setdefault(row.unit_code, []).append(row)
    entries = [_entry(s, by_unit.get(s.code, [])) for s in subs]
    return Board(period, own, [_with_definition_warning(store, period, e) for e in entries])


def definition_warning(store: Store, period: Period, ref: Mapping[str, Any] | None) -> str:
    """A warning naming both definitions when a return (its ``definition`` reference; None: the shipped v1)
    is built on another definition than the one this unit consolidates ``period`` with, else ``""``."""
    from forms.definition import shipped_definition
    from models.definitions import by_digest, definition_for

    mine = definition_for(store, period.year)
    digest = str((ref or {}).get("digest") or shipped_definition().digest)
    if digest == mine.digest:
        return ""
    theirs = by_digest(store, digest)
    if theirs is not None:
        name = theirs.label
    else:
        name = f"“{(ref or {}).get('id', '')}”第{(ref or {}).get('version', '?')}版（本机未安装）"
    return (f"报表制度不同：该报表按{name}编制，本单位{period.year}年按{mine.label}汇总，"
            "两者的表式不同，不能汇总。请让该单位按本单位使用的报表制度重新生成并上报")


def _with_definition_warning(store: Store, period: Period, entry: Entry) -> Entry:
    if entry.current is None or entry.state not in (REPORTED, RETURNED):
        return entry
    text = store.scalar("SELECT json_extract(payload, '$.definition') FROM received_returns WHERE id = ?",
                        (entry.current.id,))
    try:
        ref = json.loads(text) if text else None
    except ValueError:
        ref = None
    warning = definition_warning(store, period, ref if isinstance(ref, dict) else None)
    return dataclasses.replace(entry, definition_warning=warning) if warning else entry


# ------------------------------------------------------------------------------------------------
# Printing

_STATE_COLORS = {REPORTED: "#1b5e20", MISSING: "#b71c1c", INVALID: "#b71c1c", UNREGISTERED_STATE: "#b26a00",
                 RETURNED: "#6a1b9a"}


def board_html(board: Board, *, printed_at: str = "") -> str:
    """The board as a small HTML document (for the print preview; Qt's rich-text subset)."""
    esc = html.escape
    unit_name = board.unit.name if board.unit else ""
    rows = []
    for n, e in enumerate(board.entries, start=1):
        color = _STATE_COLORS[e.state]
        version = f"第{e.version}版" if e.version else ""
        note = "；".join(x for x in (e.detail, e.remark) if x)
        rows.append(
            f"<tr><td align='center'>{n}</td><td>{esc(e.unit.name)}</td><td align='center'>{esc(e.unit.code)}</td>"
            f"<td align='center' style='color:{color}'><b>{esc(e.state_label)}</b></td>"
            f"<td align='center'>{esc(version)}</td><td align='center'>{esc(e.date)}</td>"
            f"<td>{esc(e.current.signer_name or '') if e.current and e.current.signer_fingerprint else ''}</td>"
            f"<td>{esc(note)}</td></tr>")
    head = "".join(f"<th bgcolor='#f2f2f2' width='{w}%'>{h}</th>" for h, w in
                   (("序号", 4), ("单位", 22), ("代码", 7), ("状态", 6), ("版本", 5), ("报出日期", 9),
                    ("签名单位", 19), ("说明", 28)))
    counts = esc(board.counts_text())
    return (
        "<html><body style='font-size:10pt'>"
        f"<h2 align='center'>上报情况（{esc(board.period.label)}{esc(board.period.kind_label)}）</h2>"
        f"<p align='center'>汇总单位：{esc(unit_name)}</p>"
        f"<p><b>{esc(board.summary())}</b><br/>{counts}</p>"
        "<table border='1' cellspacing='0' cellpadding='4' width='100%' style='border-collapse:collapse'>"
        f"<tr>{head}</tr>{''.join(rows)}</table>"
        f"<p style='font-size:8pt'>打印时间：{esc(printed_at)}　“已报”指收到签名验证通过、未被退回的最新版本。</p>"
        "</body></html>")


def board_lines(board: Board) -> list[str]:
    """The board as plain text lines (the command line's ``status --period``)."""
    lines = [f"上报情况（{board.period.label}{board.period.kind_label}）：{board.summary()}", board.counts_text()]
    for e in board.entries:
        parts = [f"{e.unit.code}  {e.unit.name}  {e.state_label}"]
        if e.version:
            parts.append(f"第{e.version}版 {e.date}")
        if e.current is not None and e.current.signer_fingerprint and e.state == REPORTED:
            parts.append(f"签名：{e.current.signer_name}")
        if e.detail:
            parts.append(e.detail)
        if e.remark:
            parts.append(e.remark)
        lines.append("  " + "  ".join(parts))
    return lines
