"""Receiving subordinate units' returns (接收下级报表) for consolidation (汇总).

A prefecture union points the program at a folder (a USB stick) or at files. Each file is read
and verified first (outside any transaction; for a large batch, in helper processes side by side:
``common.processes``; for a small one in this process, the next file begun while this one is verified:
``models.return_io.ReadAhead``), then stored in one transaction of its own, in the files' order, so a bad
file never disturbs what was received before it, and a file is either wholly received or not at all.

What is kept (table ``received_returns``, one row per distinct canonical payload, keyed by its
SHA-256 ``digest``):

* a file that verifies (``valid``: intact signature of a registered certificate of that unit) is
  stored with its version; receiving the same data again changes nothing (idempotent by digest);
* among a unit's valid rows for a period the newest version is *current*, the older ones are
  kept and marked ``superseded``;
* a file that can be read but does not verify (``unregistered``, ``tampered``, ``unsigned``) is
  recorded too, so the 上报情况 board can show 未登记 / 签名无效, but it never counts. Its payload
  and the signer's certificate fingerprint are kept: once the superior registers the certificate
  (``trust add``), :func:`recheck` turns an ``unregistered`` row whose signature itself was sound
  into ``valid`` without the USB stick (and a revoked certificate turns ``valid`` rows back into
  ``unregistered``);
* a return from a unit that is not a direct subordinate, a draft, or one for a period that does
  not exist yet is refused with the reason and leaves no trace; a file that cannot be read at all
  is reported as ``malformed``.

Consolidation reads only these stored payloads (``models.consolidate``), never the files again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import os
from collections.abc import Callable, Generator, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.processes import HelperDied, helper_count, ordered_map
from common.text import ParseError
from forms import divisions
from forms.definition import shipped_spec
from forms.periods import parse_period
from models.db import RecordError, Store, now
from models.definitions import resolver
from models.returns import Return, ReturnFormatError, canonical_bytes, from_canonical
from models.signing.common import MALFORMED, STATUS_LABELS, UNREGISTERED, VALID
from models.unit import Unit

if TYPE_CHECKING:
    from models.return_io import ReadAhead

Progress = Callable[..., None]

# What happened to a file (besides its verification status).
ACCEPTED = "accepted"  # a new valid return (or a new valid signature over data held unverified) was stored
HELD = "held"  # the same data was already held as valid: nothing changed
NOT_ACCEPTED = "not_accepted"  # read, but did not verify: recorded for the board, never counted
REFUSED = "refused"  # not from a direct subordinate, a draft, an unknown period: nothing stored
UNREADABLE = "unreadable"  # malformed: nothing could be attributed
CHECKED = "checked"  # a PDF copy: its signature was checked, the data is taken from the Excel file

OUTCOME_LABELS = {
    ACCEPTED: "已接收",
    HELD: "已接收过（无变化）",
    NOT_ACCEPTED: "未接收",
    REFUSED: "拒收",
    UNREADABLE: "无法读取",
    CHECKED: "已核验（PDF供查看打印，数据以Excel文件为准）",
}

RETURN_SUFFIXES = (".xlsx",)
CHECKED_SUFFIXES = (".pdf",)


# ------------------------------------------------------------------------------------------------
# Reading and verifying one file


@dataclasses.dataclass
class Inspection:
    """One file read and verified, not yet stored."""

    path: Path
    status: str  # valid / unregistered / tampered / unsigned / malformed
    reason: str
    ret: Return | None = None
    payload: bytes | None = None  # canonical bytes of ``ret``
    fingerprint: str | None = None  # the signer's certificate (SHA-256, hex)
    signer_name: str | None = None
    signed_at: str | None = None
    kind: str = "return"  # "return" (Excel, carries the data) or "pdf" (a printable copy)
    claimed: dict[str, Any] = dataclasses.field(default_factory=dict)  # unit/period/version a PDF states

    @property
    def digest(self) -> str:
        """SHA-256 of the canonical bytes (``models.returns.digest``), the key that makes receiving idempotent."""
        return hashlib.sha256(self.payload).hexdigest() if self.payload is not None else ""


def inspect_payload(store: Store, payload: bytes, signature: bytes | None, *, path: Path | str = "") -> Inspection:
    """Verify a canonical payload and its detached signature as if read from a workbook named ``path``."""
    from models.signing.payload import verify_payload

    path = Path(path)
    try:
        ret = from_canonical(payload, resolver(store))
    except (ReturnFormatError, ParseError) as exc:
        return Inspection(path, MALFORMED, str(exc))
    canonical = canonical_bytes(ret)
    verdict = verify_payload(canonical, signature, store=store, unit_code=ret.unit_code)
    return Inspection(path, verdict.status, verdict.reason, ret, canonical, verdict.fingerprint, verdict.signer_name,
                      verdict.signed_at)


def inspect_file(store: Store, path: Path | str, ahead: ReadAhead | None = None) -> Inspection:
    """Read and verify one exported file (``models.return_io.read_return``, ``ahead`` as there); never raises for a
    bad file."""
    from models.return_io import read_return

    path = Path(path)
    result = read_return(path, store, ahead=ahead)
    facts: dict[str, Any] = {"fingerprint": result.fingerprint, "signer_name": result.signer_name, "signed_at": result.signed_at}
    if result.ret is None:
        kind = "pdf" if path.suffix.lower() in CHECKED_SUFFIXES else "return"
        return Inspection(path, result.status, result.reason, kind=kind, claimed=dict(result.claimed), **facts)
    kind = "pdf" if path.suffix.lower() in CHECKED_SUFFIXES else "return"
    payload = result.payload if result.payload is not None else canonical_bytes(result.ret)
    return Inspection(path, result.status, result.reason, result.ret, payload, kind=kind, claimed=dict(result.claimed),
                      **facts)


# ------------------------------------------------------------------------------------------------
# Who may report to whom


def source_unit_problem(ret: Return) -> str | None:
    """A consolidated return's rosters may only attribute people to the units it consolidated.

    Allowed 来源单位: the name of a unit in the return's coverage (its own part is ``…（市直）`` etc.), or —
    for a consolidation of consolidations — a unit under one of those units (the division tree), as written
    by ``models.consolidate``. Anything else is refused with the first offending row named.
    """
    if not ret.consolidated:
        return None
    from common.text import compact

    units = [u for u in ret.coverage.get("units", []) if isinstance(u, dict)] if ret.coverage else []
    allowed = {compact(str(u.get("name", ""))) for u in units} | {compact(ret.unit_name)}
    roots = ({str(u.get("code", "")) for u in units} | set(ret.sources)) - {ret.unit_code}
    by_code = divisions.by_code()
    for division in by_code.values():  # the consolidated units themselves and the units under them
        code, depth = division.code, 0
        while code and depth < 6:
            if code in roots:
                allowed.add(compact(division.union_name))
                break
            parent = by_code.get(code)
            code, depth = (parent.parent_code if parent is not None else ""), depth + 1
    for key, rows in ret.rosters.items():
        title = next((r.number for r in shipped_spec().rosters if r.key == key), key)
        for row in rows:
            source = compact(str(row.get("source_unit", "")))
            base = source.split("(", 1)[0] if source.endswith(")") else source  # compact() made （…） half-width
            if source in allowed or base in allowed:
                continue
            return (f"汇总报表{title}第{row.get('seq', '?')}行的来源单位“{row.get('source_unit', '')}”不在本次汇总的单位之中"
                    f"（{ret.unit_name}汇总了 {len(units) or len(ret.sources)} 个单位），名册不可信，拒收")
    return None


def direct_subordinate_problem(own: Unit, ret: Return, today: dt.date | None = None) -> str | None:
    """Why this unit does not take ``ret`` (Chinese), or None when it is a return it should receive."""
    from common.ids import check_credit_code

    if ret.is_draft:
        return "这是未定稿的草稿报表，不能接收。请对方定稿并签名导出后再报送"
    try:
        period = parse_period(ret.period)
    except ParseError as exc:
        return f"报告期不存在：{exc}"
    today = today or dt.date.today()
    if period.start > today:
        return f"报告期{period.label}（{period.code}）尚未开始，不存在这样的报表。请核对对方的报告期"
    code = ret.unit_code
    if code == own.code:
        return "这是本单位自己的报表，不需要接收"
    if own.level not in ("prefecture", "province"):
        return f"本单位（{own.level_label}）没有下级单位，不接收报表"
    division = divisions.get(code)
    if division is not None:
        if division.parent_code == own.code:
            return None
        parent = divisions.get(division.parent_code)
        upper = f"，应报送{parent.union_name}" if parent is not None and parent.code != own.code else ""
        return f"{division.union_name}（{code}）不是本单位的直接下级{upper}"
    if own.level == "province":
        try:
            check_credit_code(code)
        except ParseError:
            return f"单位代码“{code}”既不是云南省的行政区划代码，也不是有效的统一社会信用代码"
        if ret.unit_level != "industry":
            return f"{ret.unit_name}（{code}）不是省级产业系统工会"
        return None
    return f"单位代码“{code}”不是本单位下级的行政区划代码（产业系统工会直接报送省总工会）"


# ------------------------------------------------------------------------------------------------
# Storing


@dataclasses.dataclass(frozen=True)
class ReceiveResult:
    """What receiving one file did; ``line()`` is the one-line report."""

    path: Path
    status: str  # verification status
    outcome: str
    reason: str = ""
    unit_code: str = ""
    unit_name: str = ""
    period: str = ""
    version: int = 0
    received_id: int | None = None
    note: str = ""  # e.g. 取代第1版

    @property
    def ok(self) -> bool:
        """Accepted, already held, or a PDF copy whose signature checks out."""
        return self.outcome in (ACCEPTED, HELD) or (self.outcome == CHECKED and self.status == VALID)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def outcome_label(self) -> str:
        if self.outcome == CHECKED and self.status != VALID:
            return "PDF副本未通过核验"
        return OUTCOME_LABELS[self.outcome]

    def describe_return(self) -> str:
        if not self.unit_code:
            return ""
        if not self.period:
            return f"{self.unit_name}（{self.unit_code}）"
        try:
            period = parse_period(self.period)
            when = f"{period.label}{period.kind_label}"
        except ParseError:
            when = self.period
        return f"{self.unit_name}（{self.unit_code}）{when} 第{self.version}版"

    def line(self) -> str:
        text = f"{self.path.name}：{self.status_label}，{self.outcome_label}"
        what = self.describe_return()
        if what:
            text += f"——{what}"
        if self.note:
            text += f"，{self.note}"
        if self.reason and not self.ok:
            text += f"。原因：{self.reason}"
        return text

    def as_json(self) -> dict[str, Any]:
        return {"file": str(self.path), "status": self.status, "status_label": self.status_label,
                "outcome": self.outcome, "outcome_label": self.outcome_label, "ok": self.ok, "reason": self.reason,
                "unit_code": self.unit_code or None, "unit_name": self.unit_name or None,
                "period": self.period or None, "version": self.version or None, "note": self.note}


def _own_unit(store: Store) -> Unit:
    from models import unit

    own = unit.load(store)
    if own is None:
        raise RecordError("尚未设置本单位，无法接收报表")
    return own


def _unit_name(store: Store, code: str) -> str:
    division = divisions.get(code)
    if division is not None:
        return division.union_name
    name = store.scalar("SELECT unit_name FROM received_returns WHERE unit_code = ? ORDER BY id DESC LIMIT 1", (code,))
    return str(name or "")


def _sound(store: Store, inspection: Inspection) -> bool:
    """The signature itself is intact and its certificate usable: only the registry decides."""
    from models.signing.trust import lookup

    if not inspection.fingerprint or inspection.ret is None:
        return False
    if inspection.status == VALID:
        return True
    return inspection.status == UNREGISTERED and not lookup(store, inspection.fingerprint,
                                                            inspection.ret.unit_code).registered


def store_inspection(store: Store, inspection: Inspection, *, own: Unit | None = None,
                     today: dt.date | None = None) -> ReceiveResult:
    """Store one verified file (all or nothing) and say what happened."""
    own = own or _own_unit(store)
    path, ret = inspection.path, inspection.ret
    held = ret is not None and inspection.payload is not None and bool(store.scalar(
        "SELECT COUNT(*) FROM received_returns WHERE digest = ?", (inspection.digest,)))
    if inspection.kind == "pdf" and (ret is None or held):
        # a PDF copy of a return already read from its workbook (or a PDF without data): checked, not stored
        claimed = inspection.claimed or ({"unit_code": ret.unit_code, "unit_name": ret.unit_name, "period": ret.period,
                                          "version": ret.version} if ret is not None else {})
        code = str(claimed.get("unit_code") or "")
        return ReceiveResult(path, inspection.status, CHECKED, inspection.reason, unit_code=code,
                             unit_name=str(claimed.get("unit_name") or _unit_name(store, code)),
                             period=str(claimed.get("period") or ""), version=int(claimed.get("version") or 0))
    if ret is None or inspection.payload is None:
        return ReceiveResult(path, inspection.status, UNREADABLE, inspection.reason)
    base: dict[str, Any] = {"unit_code": ret.unit_code, "unit_name": ret.unit_name, "period": ret.period, "version": ret.version}
    problem = direct_subordinate_problem(own, ret, today) or source_unit_problem(ret)
    if problem:
        return ReceiveResult(path, inspection.status, REFUSED, problem, **base)
    hex_digest = inspection.digest
    stamp = now()
    with store.atomic():
        rows = store.query("SELECT id, status, superseded, returned_at, return_reason FROM received_returns "
                           "WHERE digest = ?", (hex_digest,))
        existing = rows[0] if rows else None
        if inspection.status != VALID:
            if existing is not None:
                return ReceiveResult(path, inspection.status, NOT_ACCEPTED, inspection.reason, received_id=existing["id"],
                                     note="此前已收到同样的数据，未作改动", **base)
            received_id = _insert(store, inspection, hex_digest, stamp)
            return ReceiveResult(path, inspection.status, NOT_ACCEPTED, inspection.reason, received_id=received_id, **base)
        if existing is not None and existing["status"] == VALID:
            note = _held_note(existing)
            return ReceiveResult(path, VALID, HELD, inspection.reason, received_id=existing["id"], note=note, **base)
        before = _current_version(store, ret.unit_code, ret.period)
        if existing is not None:
            received_id = existing["id"]
            store.conn.execute(
                "UPDATE received_returns SET status = ?, reason = ?, signer_fingerprint = ?, signer_name = ?, "
                "signed_at = ?, sound = 1, received_at = ?, file_name = ? WHERE id = ?",
                (VALID, inspection.reason, inspection.fingerprint, inspection.signer_name, inspection.signed_at, stamp,
                 path.name, received_id))
        else:
            received_id = _insert(store, inspection, hex_digest, stamp)
        _mark_superseded(store, ret.unit_code, ret.period)
        note = _accept_note(store, received_id, before, ret)
    return ReceiveResult(path, VALID, ACCEPTED, inspection.reason, received_id=received_id, note=note, **base)


def _insert(store: Store, inspection: Inspection, hex_digest: str, stamp: str) -> int:
    ret = inspection.ret
    assert ret is not None and inspection.payload is not None
    cursor = store.conn.execute(
        "INSERT INTO received_returns (unit_code, unit_name, period, version, finalised_at, payload, digest, "
        "signer_fingerprint, signer_name, signed_at, status, reason, sound, received_at, file_name) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (ret.unit_code, ret.unit_name, ret.period, ret.version, ret.finalised_at, inspection.payload.decode("utf-8"),
         hex_digest, inspection.fingerprint, inspection.signer_name, inspection.signed_at, inspection.status,
         inspection.reason, 1 if _sound(store, inspection) else 0, stamp, inspection.path.name))
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)


def _current_version(store: Store, unit_code: str, period: str) -> dict[str, Any] | None:
    rows = store.query("SELECT id, version FROM received_returns WHERE unit_code = ? AND period = ? AND status = ? "
                       "AND superseded = 0", (unit_code, period, VALID))
    return rows[0] if rows else None


def _mark_superseded(store: Store, unit_code: str, period: str) -> None:
    """The newest valid version of a unit and period is current; its other valid rows are superseded.

    Only rows whose flag changes are written: receiving the n-th version of a unit writes one or two rows,
    not n (receiving stays linear in the files received).
    """
    key = (unit_code, period)
    newest = store.scalar("SELECT id FROM received_returns WHERE unit_code = ? AND period = ? AND status = ? "
                          "ORDER BY version DESC, finalised_at DESC, id DESC LIMIT 1", (*key, VALID))
    store.conn.execute("UPDATE received_returns SET superseded = 0 WHERE unit_code = ? AND period = ? AND status != ? "
                       "AND superseded != 0", (*key, VALID))
    if newest is not None:
        store.conn.execute("UPDATE received_returns SET superseded = 0 WHERE id = ? AND superseded != 0", (newest,))
        store.conn.execute("UPDATE received_returns SET superseded = 1 WHERE unit_code = ? AND period = ? "
                           "AND status = ? AND id != ? AND superseded != 1", (*key, VALID, newest))


def _held_note(existing: dict[str, Any]) -> str:
    if existing["returned_at"]:
        why = existing["return_reason"] or "未写原因"
        return f"该报表已于 {str(existing['returned_at'])[:10]} 退回（{why}），请对方修改后报送新版本"
    if existing["superseded"]:
        return "该版本已被更新的版本取代"
    return ""


def _accept_note(store: Store, received_id: int, before: dict[str, Any] | None, ret: Return) -> str:
    now_current = _current_version(store, ret.unit_code, ret.period)
    if now_current is None or now_current["id"] != received_id:
        newer = now_current["version"] if now_current else "?"
        return f"较旧的版本，已保存备查（正在使用第{newer}版）"
    if before is None:
        return ""
    if before["version"] == ret.version:
        return f"与此前收到的第{ret.version}版内容不同，以本次收到的为准"
    return f"取代第{before['version']}版"


# ------------------------------------------------------------------------------------------------
# Folders and batches


def _skipped_name(name: str) -> bool:
    return name.startswith(("~$", ".~", "._")) or name.endswith(".part")


def collect_files(paths: Iterable[Path | str]) -> list[Path]:
    """The files to look at: given files as they are; in folders (and their subfolders) every Excel and PDF file.

    Office lock files (``~$…``), half-written temporary files and hidden folders are skipped.
    """
    out: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        found: list[Path] = []
        if path.is_dir():
            for folder, subdirs, files in os.walk(path):
                subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and d != "System Volume Information")
                for name in sorted(files):
                    if _skipped_name(name):
                        continue
                    if Path(name).suffix.lower() in RETURN_SUFFIXES + CHECKED_SUFFIXES:
                        found.append(Path(folder) / name)
        else:
            found.append(path)
        for item in found:
            key = item.resolve() if item.exists() else item
            if key not in seen:
                seen.add(key)
                out.append(item)
    # Excel files (the data) first, then the PDF copies
    return sorted(out, key=lambda p: p.suffix.lower() in CHECKED_SUFFIXES)


def receive_files(store: Store, paths: Sequence[Path | str], *, progress: Progress | None = None,
                  today: dt.date | None = None, jobs: int | None = None,
                  warn: Callable[[str], None] | None = None) -> list[ReceiveResult]:
    """Receive every return in ``paths`` (files and folders); one result per file, in order.

    ``progress(done, total, text)`` is called before each file. Each file is stored in its own
    transaction: a failure on one file (even a full disk) leaves the files before it received.

    A batch of 3 MB or more is verified side by side on a PC with more than one core, by this process and helper
    processes (:func:`helpers_for`), and stored here in the files' order; ``jobs`` sets how many processes verify
    (1: this one alone). If the helpers cannot run, this process verifies the rest (the results are the same) and
    ``warn(text)`` says so.
    """
    own = _own_unit(store)
    files = collect_files(paths)
    if files:
        from models.backup import snapshot

        snapshot(store, "receive", f"接收{len(files)}个报表文件之前")
    results: list[ReceiveResult] = []
    total = len(files)
    with contextlib.closing(_inspections(store, files, jobs, warn)) as inspections:
        for index, path in enumerate(files):
            if progress is not None:
                progress(index, total, f"正在接收 {path.name}（{index + 1}/{total}）……")
            results.append(_receive_one(store, path, next(inspections), own, today))
        for _nothing_left in inspections:  # lets helpers that could not even start be noticed, and said (warn)
            pass
    if progress is not None:
        progress(total, total, "接收完成")
    return results


# A batch is verified with helper processes from this much (about 70 county returns). Each helper's start (importing
# the readers: a few tenths of a second of a core) competes with this process's own work: on two cores, two
# helpers made 20 county files slower and 60 faster.
PARALLEL_BYTES = 3 * 1024 * 1024


def helpers_for(store: Store, files: Sequence[Path], jobs: int | None = None) -> int:
    """How many helper processes verify ``files`` besides this one (0: this process alone); ``jobs`` counts this
    process too."""
    if store.path is None:  # an in-memory store cannot be opened from another process
        return 0
    if jobs is not None:
        return max(0, jobs - 1)
    size = 0
    for path in files:
        with contextlib.suppress(OSError):
            size += path.stat().st_size
    return helper_count(len(files)) if size >= PARALLEL_BYTES else 0


def _inspections(store: Store, files: Sequence[Path], jobs: int | None,
                 warn: Callable[[str], None] | None) -> Generator[Inspection | Exception, None, None]:
    def fallback(reason: BaseException) -> None:
        if warn is not None:
            warn(f"并行核验的进程未能运行（{type(reason).__name__}：{reason}），其余文件已改为在本进程中逐个核验，结果相同")

    helpers = helpers_for(store, files, jobs)
    if helpers == 0:
        return _inspected_here(store, files)
    return ordered_map(_inspect_in_helper, files, helpers, local=functools.partial(inspect_file, store),
                       initializer=_start_helper, initargs=(str(store.path),), on_fallback=fallback)


def _inspected_here(store: Store, files: Sequence[Path]) -> Generator[Inspection | Exception, None, None]:
    """Each file verified in this process, in order, the next one begun (``ReadAhead``: its package checked, its
    sheets read on another thread) before this one is verified. An exception is yielded in place of its file's
    inspection, as by ``common.processes.ordered_map``."""
    from models.return_io import ReadAhead

    begun: list[ReadAhead] = []  # the files begun and not yet closed, whatever stops the loop (Ctrl+C too)
    try:
        for index, path in enumerate(files):
            if not begun:
                begun.append(ReadAhead(path))
            if index + 1 < len(files):
                begun.append(ReadAhead(files[index + 1]))
            current = begun.pop(0)
            try:
                inspection: Inspection | Exception = inspect_file(store, path, current)
            except Exception as exc:  # the caller says what it means for this file
                inspection = exc
            finally:
                current.close()
            yield inspection
    finally:
        for ahead in begun:
            ahead.close()


_helper_store: Store | None = None  # in a helper process: the receiver's store, read-only


def _start_helper(store_file: str) -> None:
    global _helper_store
    from models.db import open_read_only

    _helper_store = open_read_only(Path(store_file))


def _inspect_in_helper(path: Path) -> Inspection:
    assert _helper_store is not None, "helper not started"
    return inspect_file(_helper_store, path)


def _receive_one(store: Store, path: Path, inspection: Inspection | Exception, own: Unit,
                 today: dt.date | None) -> ReceiveResult:
    """One file: whatever went wrong reading it, the files after it are still received."""
    if isinstance(inspection, MemoryError):
        return ReceiveResult(path, MALFORMED, UNREADABLE, "文件内容过大，无法读取")
    if isinstance(inspection, HelperDied):  # the helper process verifying it crashed, or ran out of memory
        return ReceiveResult(path, MALFORMED, UNREADABLE, str(inspection))
    if isinstance(inspection, Exception):  # a reader failing on a hostile file must not stop the folder
        return ReceiveResult(path, MALFORMED, UNREADABLE, f"无法读取为报表文件（{type(inspection).__name__}）")
    return store_inspection(store, inspection, own=own, today=today)  # a store failure (full disk) stops the batch


def summary_text(results: Sequence[ReceiveResult]) -> str:
    """``共 12 个文件：新接收 8 个，已有 1 个，未接收 2 个，拒收 1 个``."""
    def count(*outcomes: str) -> int:
        return sum(1 for r in results if r.outcome in outcomes)

    parts = [f"新接收 {count(ACCEPTED)} 个", f"已有 {count(HELD)} 个"]
    for outcome, label in ((NOT_ACCEPTED, "未接收"), (REFUSED, "拒收"), (UNREADABLE, "无法读取")):
        if count(outcome):
            parts.append(f"{label} {count(outcome)} 个")
    pdfs = [r for r in results if r.outcome == CHECKED]
    if pdfs:
        bad = sum(1 for r in pdfs if r.status != VALID)
        parts.append(f"PDF副本 {len(pdfs)} 个" + (f"（其中 {bad} 个签名未通过）" if bad else ""))
    return f"共 {len(results)} 个文件：" + "，".join(parts)


# ------------------------------------------------------------------------------------------------
# Reading what was received


@dataclasses.dataclass(frozen=True)
class Received:
    """One stored row (without the payload)."""

    id: int
    unit_code: str
    unit_name: str
    period: str
    version: int
    finalised_at: str
    digest: str
    signer_fingerprint: str | None
    signer_name: str | None
    signed_at: str | None
    status: str
    reason: str
    received_at: str
    file_name: str
    superseded: bool
    returned_at: str | None
    return_reason: str | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def current(self) -> bool:
        """The unit's newest valid version for the period."""
        return self.status == VALID and not self.superseded

    @property
    def usable(self) -> bool:
        """Counted in the consolidation: current and not sent back."""
        return self.current and not self.returned_at


_ROW = ("id, unit_code, unit_name, period, version, finalised_at, digest, signer_fingerprint, signer_name, signed_at, "
        "status, reason, received_at, file_name, superseded, returned_at, return_reason")


def _received(row: dict[str, Any]) -> Received:
    return Received(**{**row, "superseded": bool(row["superseded"]), "reason": row["reason"] or ""})


def received(store: Store, period: str | None = None, unit_code: str | None = None) -> list[Received]:
    """Stored rows, by unit, newest version (then newest received) first."""
    sql = f"SELECT {_ROW} FROM received_returns WHERE 1 = 1"
    params: list[Any] = []
    if period is not None:
        sql += " AND period = ?"
        params.append(str(period))
    if unit_code is not None:
        sql += " AND unit_code = ?"
        params.append(unit_code)
    rows = store.query(sql + " ORDER BY unit_code, version DESC, id DESC", params)
    return [_received(r) for r in rows]


def periods(store: Store) -> list[str]:
    """The periods for which anything was received, newest first."""
    return [str(r["period"]) for r in store.query("SELECT DISTINCT period FROM received_returns ORDER BY period DESC")]


def get_received(store: Store, received_id: int) -> Received:
    rows = store.query(f"SELECT {_ROW} FROM received_returns WHERE id = ?", (received_id,))
    if not rows:
        raise RecordError(f"没有编号为 {received_id} 的已接收报表")
    return _received(rows[0])


def load_received(store: Store, received_id: int) -> Return:
    """The stored return of a row (parsed from its canonical payload)."""
    payload = store.scalar("SELECT payload FROM received_returns WHERE id = ?", (received_id,))
    if payload is None:
        raise RecordError(f"没有编号为 {received_id} 的已接收报表")
    return from_canonical(str(payload).encode("utf-8"), resolver(store))


def usable_returns(store: Store, period: str) -> list[tuple[Received, Return]]:
    """The current, not sent back, valid return of every unit for ``period`` (what consolidation sums)."""
    rows = store.query(f"SELECT {_ROW}, payload FROM received_returns WHERE period = ? AND status = ? AND superseded = 0 "
                       "AND returned_at IS NULL ORDER BY unit_code", (str(period), VALID))
    out = []
    for row in rows:
        payload = row.pop("payload")
        out.append((_received(row), from_canonical(str(payload).encode("utf-8"), resolver(store))))
    return out


# ------------------------------------------------------------------------------------------------
# Re-checking against the registry


def recheck(store: Store, period: str | None = None) -> int:
    """Apply the current registry to stored sound signatures; returns how many rows changed status.

    After ``trust add`` an ``unregistered`` row becomes ``valid``; after a revocation a ``valid``
    row becomes ``unregistered``. The signature itself was checked when the file was received.
    """
    from models.signing.trust import lookup

    sql = "SELECT id, unit_code, period, status, signer_fingerprint FROM received_returns WHERE sound = 1 " \
          "AND status IN (?, ?)"
    params: list[Any] = [VALID, UNREGISTERED]
    if period is not None:
        sql += " AND period = ?"
        params.append(str(period))
    changed: list[tuple[dict[str, Any], str, str]] = []
    for row in store.query(sql, params):
        decision = lookup(store, row["signer_fingerprint"] or "", row["unit_code"])
        status = VALID if decision.registered else UNREGISTERED
        if status != row["status"]:
            reason = f"签名有效，签名者为{decision.reason}" if decision.registered else f"签名本身完好，但{decision.reason}"
            changed.append((row, status, reason))
    if not changed:
        return 0
    with store.atomic():
        for row, status, reason in changed:
            store.conn.execute("UPDATE received_returns SET status = ?, reason = ? WHERE id = ?",
                               (status, reason, row["id"]))
        for unit_code, period_code in {(row["unit_code"], row["period"]) for row, _s, _r in changed}:
            _mark_superseded(store, unit_code, period_code)
    return len(changed)

