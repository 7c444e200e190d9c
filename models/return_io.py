"""Reading exported returns back (the receiving side, and ``main.py verify``).

An exported workbook carries the canonical JSON of the return in its hidden ``_data`` sheet
(see ``models.export_xlsx``). :func:`read_return` parses it, reads the numbers of the visible
sheets with :func:`visible_tables` and checks that both agree. Anything that is not such a
workbook — another file, a truncated copy, a workbook edited so that its visible numbers no longer
match its data — is reported as ``malformed`` with a Chinese reason, never as an exception.

Signed files (``models.signing``) get one of the signature states: ``valid`` (signature good, signer
registered for the return's unit code in the receiver's store), ``unregistered`` (signature good, signer
unknown or registered for another unit), ``tampered`` (anything changed after signing, in any part of the
file), ``unsigned`` or ``malformed``. A workbook's signature covers every part of its package
(``models.signing.package``); re-saving in Excel, WPS or LibreOffice rewrites the parts, so a re-saved
copy reads as changed. Every file passes ``models.file_guard``'s bounded checks
before any reader opens it. A PDF carries a PAdES signature over the whole file; it holds no machine-readable
data, so its unit, period and version are taken from its (signed) document information.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import operator
import threading
import zipfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from forms import returns as R
from forms.definition import Definition, shipped_spec
from models.db import Store
from models.returns import (
    DATA_MARKER,
    DATA_SHEET,
    PROPERTY_DIGEST,
    PROPERTY_SIGNER,
    SIGNATURE_SHEET,
    Number,
    Return,
    ReturnFormatError,
    canonical_bytes,
    digest,
    from_canonical,
)

VALID = "valid"
UNREGISTERED = "unregistered"
TAMPERED = "tampered"
UNSIGNED = "unsigned"
MALFORMED = "malformed"
STATUS_LABELS = {VALID: "验证通过", UNREGISTERED: "签名有效但未登记", TAMPERED: "已被修改", UNSIGNED: "无签名",
                 MALFORMED: "格式错误"}

Tables = dict[str, dict[str, dict[str, Number]]]


@dataclasses.dataclass
class ReadResult:
    path: Path
    status: str  # valid / unregistered / tampered / unsigned / malformed
    reason: str = ""
    ret: Return | None = None
    digest: str = ""
    fingerprint: str | None = None  # the signer's certificate (SHA-256, hex)
    signer_name: str | None = None
    signed_at: str | None = None
    claimed: dict[str, Any] = dataclasses.field(default_factory=dict)  # unit/period/version of a PDF
    # the canonical bytes of ``ret`` when reading computed them (a receiver stores them: not serialised twice)
    payload: bytes | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def as_json(self) -> dict[str, Any]:
        """The ``verify --json`` object for this file."""
        out: dict[str, Any] = {"path": str(self.path), "status": self.status, "reason": self.reason,
                               "unit_code": None, "unit_name": None, "period": None, "version": None,
                               "digest": self.digest or None, "tables": {},
                               "status_label": self.label, "fingerprint": self.fingerprint,
                               "signer_name": self.signer_name, "signed_at": self.signed_at}
        out.update(self.claimed)
        if self.ret is not None:
            ret = self.ret
            out.update(unit_code=ret.unit_code, unit_name=ret.unit_name, period=ret.period, version=ret.version,
                       finalised_at=ret.finalised_at, consolidated=ret.consolidated)
            out["tables"] = tables_json(ret.tables, ret.spec)
            out["rosters"] = {key: len(rows) for key, rows in ret.rosters.items()}
            out["notes"] = len(ret.notes)
        return out


def tables_json(tables: Tables, return_spec: R.ReturnSpec | None = None) -> dict[str, Any]:
    """``{"T1": {"title", "columns": [...], "column_keys": [...], "rows": [{"key", "label", "values"}]}}``.

    Money is a JSON number with at most two decimals, counts are integers.
    """
    out: dict[str, Any] = {}
    for spec in (return_spec or shipped_spec()).tables:
        out[spec.key] = {
            "title": spec.full_title,
            "columns": [f"{c.group}·{c.caption}" if c.group else c.caption for c in spec.columns],
            "column_keys": [c.key for c in spec.columns],
            "rows": [{"key": row.key, "label": row.full_label,
                      "values": [float(tables[spec.key][row.key][c.key]) if c.money
                                 else int(tables[spec.key][row.key][c.key]) for c in spec.columns]}
                     for row in spec.rows],
        }
    return out


def read_return(path: Path | str, store: Store | None = None, *, ahead: ReadAhead | None = None) -> ReadResult:
    """Read and verify an exported return; never raises for a bad file (status ``malformed`` with the reason).

    ``store`` holds the receiver's own certificates and its registry of subordinate certificates; without
    it no signer counts as registered. ``ahead`` is :class:`ReadAhead` of the same path, begun earlier (the
    result is the same as without it).
    """
    path = Path(path)
    try:
        return _read(path, store, ahead)
    except ReturnFormatError as exc:
        return ReadResult(path, MALFORMED, str(exc))
    except MemoryError:
        return ReadResult(path, MALFORMED, "文件内容过大，无法读取")
    except FileNotFoundError:
        return ReadResult(path, MALFORMED, "文件不存在")
    except IsADirectoryError:
        return ReadResult(path, MALFORMED, "这是一个文件夹，不是报表文件")
    except PermissionError:
        return ReadResult(path, MALFORMED, "没有权限读取该文件")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError):
        return ReadResult(path, MALFORMED, "文件已损坏或不完整（不是有效的 Excel 文件）")
    except Exception as exc:  # any parser failure on a foreign file is "malformed", never a traceback
        return ReadResult(path, MALFORMED, f"无法读取为报表文件（{type(exc).__name__}：{exc}）")


class _Sheet:
    """The part of openpyxl's read-only worksheet this module uses, over rows read by calamine."""

    def __init__(self, rows: list[list[Any]]) -> None:
        self._rows = rows

    def iter_rows(self, min_col: int = 1, max_col: int | None = None, values_only: bool = True) -> Iterator[tuple[Any, ...]]:
        for row in self._rows:
            cells = [None if v == "" else v for v in row[min_col - 1:max_col]]
            if max_col is not None and len(cells) < max_col - min_col + 1:
                cells += [None] * (max_col - min_col + 1 - len(cells))
            yield tuple(cells)

    def raw_rows(self, width: int) -> Iterator[list[Any]]:
        """The rows as calamine read them, cut to ``width`` cells: an empty cell is "", a row may be shorter (to
        compare a whole row with a list at once)."""
        return map(operator.itemgetter(slice(0, width)), self._rows)


class _Book:
    """A workbook read with python-calamine (some ten times faster than openpyxl for verification).

    Offers ``sheetnames``, ``wb[name].iter_rows(...)`` and ``custom_doc_props`` like openpyxl, so
    :func:`visible_tables` and friends accept either. Empty cells are ``None`` as in openpyxl.
    """

    def __init__(self, path: Path) -> None:
        import python_calamine

        self._path = path
        try:
            self._book = python_calamine.CalamineWorkbook.from_path(str(path))
        except MemoryError:
            raise
        except Exception:  # calamine's own errors say, in English, what its XML reader expected
            raise ReturnFormatError("文件中的工作簿结构已损坏，无法读取（文件在导出之后被改动或损坏）") from None
        self.sheetnames: list[str] = list(self._book.sheet_names)
        self._sheets: dict[str, _Sheet] = {}
        self._parsed: dict[str, Any] = {}  # sheets parsed on the reading thread (calamine's), not yet made Python's
        self._reader: threading.Thread | None = None

    def read_all_meanwhile(self) -> None:
        """Read every sheet on another thread while this one goes on (calamine lets go of Python's lock while it
        parses, so the two run side by side on two cores). A sheet is asked for only once the reading is done."""
        self._reader = threading.Thread(target=self._read_all, name="changai-read-sheets", daemon=True)
        self._reader.start()

    def _read_all(self) -> None:
        for name in self.sheetnames:
            try:
                self._parsed[name] = self._book.get_sheet_by_name(name)
            except Exception:  # read again when the sheet is asked for, and fail there as without the thread
                return

    def _wait(self) -> None:
        if self._reader is not None:
            self._reader.join()
            self._reader = None

    @functools.cached_property
    def custom_doc_props(self) -> list[_Property]:
        """Read when asked: a signed workbook's check needs none (and parsing them loads an XML parser)."""
        return _custom_properties(self._path)

    def __getitem__(self, name: str) -> _Sheet:
        self._wait()
        if name not in self._sheets:
            try:
                parsed = self._parsed.pop(name, None)
                if parsed is None:
                    parsed = self._book.get_sheet_by_name(name)
                rows = parsed.to_python()  # Python's objects made on this thread
            except MemoryError:
                raise
            except Exception:
                raise ReturnFormatError(f"工作表“{name}”的内容已损坏，无法读取（文件在导出之后被改动或损坏）") from None
            self._sheets[name] = _Sheet(rows)
        return self._sheets[name]

    def close(self) -> None:
        self._wait()
        self._book.close()


@dataclasses.dataclass(frozen=True)
class _Property:
    name: str
    value: str


def _custom_properties(path: Path) -> list[_Property]:
    """Custom document properties from ``docProps/custom.xml`` (empty when there are none)."""
    from defusedxml import ElementTree

    with zipfile.ZipFile(path) as zf:
        try:
            data = zf.read("docProps/custom.xml")
        except KeyError:
            return []
    out: list[_Property] = []
    for prop in ElementTree.fromstring(data):
        name = prop.get("name")
        if name:
            out.append(_Property(name, "".join(child.text or "" for child in prop)))
    return out


_PDF = "pdf"  # what :func:`_open` found: a PDF, read by :func:`_read_pdf`


@dataclasses.dataclass
class _Package:
    """An Excel file that passed ``models.file_guard``'s checks (every part's size and SHA-256, every sheet's
    extent), its signature part, and its workbook (for a :class:`ReadAhead`, its sheets being read meanwhile)."""

    zf: zipfile.ZipFile
    parts: dict[str, Any]
    raw_signature: bytes | None
    wb: _Book

    def close(self) -> None:
        try:
            self.wb.close()
        finally:
            self.zf.close()


def _open(path: Path, *, meanwhile: bool = False) -> _Package | ReadResult | str:
    """What reading ``path`` does before anything needs the receiver's store: the file's kind (:data:`_PDF`), or
    a :class:`ReadResult` for a file that is neither, or the checked package (the caller closes it); ``meanwhile``:
    its sheets are being read on another thread."""
    from models import file_guard
    from models.signing.package import read_signature_part

    file_guard.check_regular_file(path, max(file_guard.MAX_FILE_BYTES, file_guard.MAX_PDF_BYTES))
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"%PDF"):
        file_guard.check_regular_file(path, file_guard.MAX_PDF_BYTES)
        return _PDF
    if not head.startswith(b"PK"):
        return ReadResult(path, MALFORMED, "不是 Excel（.xlsx）或 PDF 文件")
    file_guard.check_regular_file(path, file_guard.MAX_FILE_BYTES)
    zf, parts = file_guard.open_checked_zip(path)
    try:
        raw_signature = read_signature_part(zf)
        wb = _Book(path)
    except BaseException:
        zf.close()
        raise
    if meanwhile:
        wb.read_all_meanwhile()  # only now: the checks above bound what calamine may allocate
    return _Package(zf, parts, raw_signature, wb)


class ReadAhead:
    """The first steps of reading one file, begun before its turn (:func:`_open`): while the file before it is
    verified, its sheets are read on another thread (on a PC with more than one core). Pass it to
    :func:`read_return` for the same path, which takes it over; :meth:`close` one that was not used."""

    def __init__(self, path: Path | str) -> None:
        from common.processes import usable_cpus

        self.path = Path(path)
        self._opened: _Package | ReadResult | str | Exception | None
        try:
            self._opened = _open(self.path, meanwhile=usable_cpus() > 1)
        except Exception as exc:  # raised again, and reported the same way, when its turn comes
            self._opened = exc

    def take(self) -> _Package | ReadResult | str | Exception:
        opened, self._opened = self._opened, None
        assert opened is not None, "a read-ahead is used once"
        return opened

    def close(self) -> None:
        opened, self._opened = self._opened, None
        if isinstance(opened, _Package):
            opened.close()


def _read(path: Path, store: Store | None, ahead: ReadAhead | None = None) -> ReadResult:
    from models.signing.package import SIGNATURE_PART, decode_comment

    opened = ahead.take() if ahead is not None else _open(path)
    if isinstance(opened, Exception):
        raise opened
    if isinstance(opened, ReadResult):
        return opened
    if isinstance(opened, str):  # _PDF
        return _read_pdf(path, store)
    assert isinstance(opened, _Package)
    with contextlib.closing(opened):
        zf, raw_signature, wb = opened.zf, opened.raw_signature, opened.wb
        parts = {name: part for name, part in opened.parts.items() if name != SIGNATURE_PART}
        signed: tuple[bytes, bytes] | None = None
        if raw_signature is not None:
            try:
                signed = decode_comment(raw_signature)
            except ReturnFormatError as exc:
                return ReadResult(path, MALFORMED, str(exc))
            report = _report_manifest(signed[0])
            if report is not None:
                return _check_signed_report(path, zf, parts, signed, report, store)
        if DATA_SHEET not in wb.sheetnames:
            if _custom_property(wb, REPORT_PROPERTY) == REPORT_KIND:
                return ReadResult(path, UNSIGNED, "这是规划目标完成情况报告（Excel），不是统计报表；文件中没有电子签名，"
                                  "无法证明出自哪个单位、未被改动", claimed={"document": REPORT_KIND})
            return ReadResult(path, MALFORMED, "不是本程序导出的报表（缺少内嵌数据）")
        if signed is not None:
            return _check_signed(path, zf, wb, parts, signed, store)
        ret = from_canonical(_data_text(wb[DATA_SHEET]).encode("utf-8"), _resolver(store))
        claimed_signer = _custom_property(wb, PROPERTY_SIGNER)
        if claimed_signer:
            return _signature_removed(path, wb, ret, claimed_signer)
        if SIGNATURE_SHEET in wb.sheetnames:
            return ReadResult(path, UNSIGNED, "文件带有旧版程序的签名，旧版签名只覆盖内嵌数据、不能证明可见表格未被改动，"
                              "不再被接受。请发送方用新版程序重新导出", ret, digest(ret))
        return _check_unsigned(path, wb, ret)


REPORT_PROPERTY = "changai_document"  # models.progress_report.DOCUMENT_PROPERTY (kept light: no report import)
REPORT_KIND = "progress-report"


def _report_manifest(manifest_bytes: bytes) -> Any:
    """The manifest when it is a progress report's (:data:`models.signing.package.REPORT_DOCUMENT`), else None."""
    from models.signing import package

    try:
        manifest = package.Manifest.from_bytes(manifest_bytes)
    except ReturnFormatError:
        return None
    return manifest if manifest.document == package.REPORT_DOCUMENT else None


def report_description(store: Store | None, unit_code: str, unit_name: str, as_of: str, plan_id: str,
                       plan_digest: str) -> str:
    """``这是……的规划目标完成情况报告，对照……规划（……），截至2023年；……`` for a report's workbook or PDF."""
    plan_text = f"规划 {plan_id}"
    if store is not None:
        from models.plans import by_digest

        plan = by_digest(store, plan_digest)
        if plan is not None:
            plan_text = plan.label
    else:
        from forms.plans import shipped_plan

        if shipped_plan().digest == plan_digest:
            plan_text = shipped_plan().label
    who = f"{unit_name}（{unit_code}）" if unit_name else f"单位代码 {unit_code}"
    until = f"，截至{as_of}年" if as_of else ""
    return f"这是{who}的规划目标完成情况报告，对照{plan_text}{until}；不是统计报表，只供查看和打印，不能接收或汇总"


def _check_signed_report(path: Path, zf: zipfile.ZipFile, parts: dict[str, Any], signed: tuple[bytes, bytes],
                         manifest: Any, store: Store | None) -> ReadResult:
    """A progress report's workbook: the signature over its manifest, then every part against the manifest."""
    from models.signing import group_hex, package, payload

    manifest_bytes, signature = signed
    with _trust_store(store) as trust_store:
        verdict = payload.verify_payload(manifest_bytes, signature, store=trust_store, unit_code=manifest.unit_code)
    facts: dict[str, Any] = {"fingerprint": verdict.fingerprint, "signer_name": verdict.signer_name,
                             "signed_at": verdict.signed_at}
    claimed = {"document": REPORT_KIND, "unit_code": manifest.unit_code, "unit_name": verdict.signer_name,
               "period": f"截至{manifest.period}年", "plan_id": manifest.subject, "plan_version": manifest.version,
               "plan_digest": manifest.data_digest}
    if verdict.status == TAMPERED:
        return ReadResult(path, TAMPERED, "签名之后签名清单被改动：" + verdict.reason, claimed=claimed, **facts)
    if verdict.status == MALFORMED:
        return ReadResult(path, MALFORMED, f"签名无法读取：{verdict.reason}", claimed=claimed, **facts)
    what = report_description(store, manifest.unit_code, verdict.signer_name or "", manifest.period, manifest.subject,
                              manifest.data_digest)
    changes = package.compare_parts(manifest, parts)
    if changes:
        named = package.describe_changes(zf, changes, manifest, None, group_hex(verdict.fingerprint or ""))
        more = f"等{len(named)}处" if len(named) > package.MAX_NAMED else ""
        return ReadResult(path, TAMPERED, f"{what}。签名之后文件被改动：" + "；".join(named[:package.MAX_NAMED]) + more,
                          claimed=claimed, **facts)
    return ReadResult(path, verdict.status, f"{what}。{verdict.reason}", claimed=claimed, **facts)


def _signature_removed(path: Path, wb: Any, ret: Return, claimed_signer: str) -> ReadResult:
    """A workbook that names its signer's certificate but no longer carries the signature: re-saved or edited."""
    reason = (f"文件注明已由证书 {claimed_signer[:16]}… 签名，但签名已不在文件中：文件在签名之后被另存或改动过，"
              "请使用发送方导出的原始文件")
    try:
        problems = compare_tables(ret.tables, visible_tables(wb, ret.spec), ret.spec) + visible_text_problems(wb, ret)
    except ReturnFormatError as exc:
        problems = [str(exc)]
    if problems:
        more = f"等{len(problems)}处" if len(problems) > 3 else ""
        reason += "。可见表格与内嵌数据不一致：" + "；".join(problems[:3]) + more
    return ReadResult(path, TAMPERED, reason, ret, digest(ret))


def _check_unsigned(path: Path, wb: Any, ret: Return) -> ReadResult:
    hex_digest = digest(ret)
    stated = _custom_property(wb, PROPERTY_DIGEST)
    if stated and stated != hex_digest:
        return ReadResult(path, MALFORMED, "内嵌数据与文件属性中的数据摘要不一致（数据被改动过）", ret, hex_digest)
    problems = compare_tables(ret.tables, visible_tables(wb, ret.spec), ret.spec)
    if problems:
        more = f"等{len(problems)}处" if len(problems) > 3 else ""
        return ReadResult(path, MALFORMED, "可见表格与内嵌数据不一致：" + "；".join(problems[:3]) + more,
                          ret, hex_digest)
    return ReadResult(path, UNSIGNED, "文件中没有电子签名（数据本身完整）", ret, hex_digest)


def _check_signed(path: Path, zf: zipfile.ZipFile, wb: Any, parts: dict[str, Any], signed: tuple[bytes, bytes],
                  store: Store | None) -> ReadResult:
    """Verify the signature over the package manifest, then every part of the file against the manifest."""
    from models.signing import group_hex, package, payload

    manifest_bytes, signature = signed
    try:
        manifest = package.Manifest.from_bytes(manifest_bytes)
    except ReturnFormatError as exc:
        manifest = None
        manifest_problem = str(exc)
    with _trust_store(store) as trust_store:
        verdict = payload.verify_payload(manifest_bytes, signature, store=trust_store,
                                         unit_code=manifest.unit_code if manifest is not None else "")
    facts: dict[str, Any] = {"fingerprint": verdict.fingerprint, "signer_name": verdict.signer_name,
                             "signed_at": verdict.signed_at}
    data_problem = ""
    try:
        ret: Return | None = from_canonical(_data_text(wb[DATA_SHEET]).encode("utf-8"), _resolver(store))
    except ReturnFormatError as exc:
        ret = None
        data_problem = str(exc)  # e.g. built on a definition this store has not installed
    canonical = canonical_bytes(ret) if ret is not None else None
    hex_digest = hashlib.sha256(canonical).hexdigest() if canonical is not None else ""  # models.returns.digest
    if verdict.status == TAMPERED:
        return ReadResult(path, TAMPERED, "签名之后签名清单被改动：" + verdict.reason, ret, hex_digest, **facts)
    if verdict.status == MALFORMED:
        return ReadResult(path, MALFORMED, f"签名无法读取：{verdict.reason}", ret, hex_digest, **facts)
    if manifest is None:
        return ReadResult(path, MALFORMED, f"签名完好，但签名清单无法读取：{manifest_problem}", ret, hex_digest, **facts)
    changes = package.compare_parts(manifest, parts)
    if changes:
        named = package.describe_changes(zf, changes, manifest, ret, group_hex(verdict.fingerprint or ""))
        more = f"等{len(named)}处" if len(named) > package.MAX_NAMED else ""
        return ReadResult(path, TAMPERED, "签名之后文件被改动：" + "；".join(named[:package.MAX_NAMED]) + more,
                          ret, hex_digest, **facts)
    if ret is None:
        return ReadResult(path, MALFORMED, "签名完好，但内嵌数据无法读取" + (f"：{data_problem}" if data_problem else ""),
                          None, "", **facts)
    if (hex_digest, ret.unit_code, ret.period, ret.version) != \
            (manifest.data_digest, manifest.unit_code, manifest.period, manifest.version):
        return ReadResult(path, TAMPERED, "内嵌数据与签名清单中的报表不一致", ret, hex_digest, **facts)
    try:
        problems = compare_tables(ret.tables, visible_tables(wb, ret.spec), ret.spec) + visible_text_problems(wb, ret)
    except ReturnFormatError as exc:
        problems = [str(exc)]
    if problems:  # signed as it is, but the signer's visible sheets disagree with its own data
        more = f"等{len(problems)}处" if len(problems) > 3 else ""
        return ReadResult(path, TAMPERED, "可见表格与签名数据不一致：" + "；".join(problems[:3]) + more,
                          ret, hex_digest, **facts)
    if verdict.status == VALID and verdict.signer_name and _name_key(verdict.signer_name) != _name_key(ret.unit_name):
        return ReadResult(path, UNREGISTERED, f"签名有效，但报表上的单位名称“{ret.unit_name}”与登记的证书单位"
                          f"“{verdict.signer_name}”（{ret.unit_code}）不符。单位名称以登记为准，请与对方核实",
                          ret, hex_digest, payload=canonical, **facts)
    return ReadResult(path, verdict.status, verdict.reason, ret, hex_digest, payload=canonical, **facts)


def _name_key(name: str) -> str:
    from common.text import compact

    return compact(name)


@contextlib.contextmanager
def _trust_store(store: Store | None) -> Iterator[Store]:
    """The receiver's store, or an empty in-memory one (nobody registered) when there is none."""
    if store is not None:
        yield store
        return
    from models.db import open_store

    empty = open_store(memory=True)
    try:
        yield empty
    finally:
        empty.close()


def _read_pdf(path: Path, store: Store | None) -> ReadResult:
    """A PDF return: its PAdES signature, and the unit/period/version its document information states."""
    from models.signing.pdf import document_subject, verify_pdf

    data = path.read_bytes()
    claimed = _pdf_claim(document_subject(data))
    with _trust_store(store) as trust_store:
        verdict = verify_pdf(data, store=trust_store, unit_code=claimed.get("unit_code"))
    if verdict.status == "unsigned":
        reason = "PDF 没有电子签名。PDF 报表供打印和查看，数据请用同名的 Excel（.xlsx）文件读取"
    else:
        reason = verdict.reason
    if verdict.status in (VALID, UNREGISTERED) and not claimed:
        claimed = {"unit_code": verdict.signer_code, "unit_name": verdict.signer_name}
    facts: dict[str, Any] = {"fingerprint": verdict.fingerprint, "signer_name": verdict.signer_name,
                             "signed_at": verdict.signed_at}
    report = _pdf_report_claim(document_subject(data))
    if report:  # a progress report's PDF (its /Subject is the plan's id and digest, under the signature)
        if verdict.status in (VALID, UNREGISTERED):
            report.update(unit_code=verdict.signer_code, unit_name=verdict.signer_name)
            what = report_description(store, str(verdict.signer_code or ""), verdict.signer_name or "", "",
                                      report["plan_id"], report["plan_digest"])
        else:
            what = "这是规划目标完成情况报告（PDF），不是统计报表"
        if verdict.status == "unsigned":
            reason = "PDF 没有电子签名，无法证明出自哪个单位、未被改动"
        return ReadResult(path, verdict.status, f"{what}。{reason}", None, "", claimed=report, **facts)
    ret = _pdf_data(data, store) if verdict.status in (VALID, UNREGISTERED) else None
    if ret is not None:  # PDF/A-3 with the canonical data attached, under the signature: a full return
        if claimed and (ret.unit_code, ret.period, ret.version) != \
                (claimed.get("unit_code"), claimed.get("period"), claimed.get("version")):
            return ReadResult(path, TAMPERED, "PDF 附带的报表数据与文档信息中的单位、报告期或版本不一致", None, "",
                              claimed=claimed, **facts)
        hex_digest = digest(ret)
        if verdict.status == VALID and verdict.signer_name and \
                _name_key(verdict.signer_name) != _name_key(ret.unit_name):
            return ReadResult(path, UNREGISTERED, f"签名有效，但报表上的单位名称“{ret.unit_name}”与登记的证书单位"
                              f"“{verdict.signer_name}”（{ret.unit_code}）不符。单位名称以登记为准，请与对方核实",
                              ret, hex_digest, **facts)
        return ReadResult(path, verdict.status, reason + "（报表数据取自 PDF 附带的数据）", ret, hex_digest, **facts)
    return ReadResult(path, verdict.status, reason, None, "", claimed=claimed, **facts)


def _pdf_data(data: bytes, store: Store | None = None) -> Return | None:
    """The return attached to a PDF (``models.pdfa``), or None if it carries none or it does not parse."""
    from models.pdfa import attached_data

    raw = attached_data(data)
    if raw is None:
        return None
    try:
        return from_canonical(raw, _resolver(store))
    except ReturnFormatError:
        return None


def _pdf_claim(subject: str | None) -> dict[str, Any]:
    """``530821 2025 v1`` (the PDF's /Subject, see ``models.export_pdf``) → unit_code, period, version."""
    parts = (subject or "").split()
    if len(parts) != 3 or not parts[2].startswith("v") or not parts[2][1:].isdigit():
        return {}
    return {"unit_code": parts[0], "period": parts[1], "version": int(parts[2][1:])}


def _pdf_report_claim(subject: str | None) -> dict[str, Any]:
    """``yn-changai-plan-14th <sha256>`` (a progress report's /Subject, see ``models.progress_report``)."""
    parts = (subject or "").split()
    if len(parts) != 2 or len(parts[1]) != 64 or any(ch not in "0123456789abcdef" for ch in parts[1]):
        return {}
    return {"document": REPORT_KIND, "plan_id": parts[0], "plan_digest": parts[1]}


def visible_text_problems(wb: _Book, ret: Return) -> list[str]:
    """Differences between the signed data and the visible text: the cover, the rosters and the 说明."""
    from common.text import date_cn

    problems: list[str] = []
    if "封面" in wb.sheetnames:
        cover = {str(r[1]).rstrip("："): str(r[2] or "") for r in
                 wb["封面"].iter_rows(min_col=1, max_col=3, values_only=True) if r[1] is not None}
        period = ret.period_obj
        expected: list[tuple[str, str, bool]] = [  # (label, text, whole cell or only its start)
            ("填报单位（盖章）", ret.unit_name, True), ("单位代码", ret.unit_code, True),
            ("报告期", period.label, False), ("报表版本", f"第{ret.version}版" if ret.version else "草稿", False),
            ("报表制度", ret.definition_line(), True),
            *((f.label, date_cn(ret.cover.get(f.key, "")) if f.key == "report_date" else ret.cover.get(f.key, ""),
               True) for f in ret.spec.cover),
        ]
        for label, text, whole in expected:
            if label in cover and (cover[label] != text if whole else not cover[label].startswith(text)):
                problems.append(f"封面“{label}”（表中“{cover[label]}”，数据“{text}”）")
    if ret.notes:
        notes: Iterator[tuple[Any, ...]] = wb["审核说明"].iter_rows(min_col=1, max_col=3, values_only=True) \
            if "审核说明" in wb.sheetnames else iter(())
        for line in notes:
            if line[0] == "序号":
                break
        else:
            problems.append("缺少“审核说明”工作表")
        for number, note in enumerate(ret.notes, start=1):
            entry = next(notes, None) or (None, None, None)
            if (str(entry[1] or ""), str(entry[2] or "")) != (note.get("message", ""), note.get("text", "")):
                problems.append(f"审核说明第{number}条与签名数据不一致")
    for roster in ret.spec.rosters:
        if roster.number not in wb.sheetnames:
            problems.append(f"缺少工作表“{roster.number}”")
            continue
        labels = [c.label for c in roster.visible_columns(ret.consolidated)]
        keys = [c.key for c in roster.visible_columns(ret.consolidated)]
        rows = wb[roster.number].raw_rows(len(labels))
        for header in rows:
            if [("" if v is None else str(v)) for v in header] == labels:
                break
        else:
            problems.append(f"工作表“{roster.number}”中找不到表头")
            continue
        # A row is first compared whole (its texts with the data's, a list against a list); only a row that differs
        # is gone through cell by cell, to name the first cell that does.
        for number, data in enumerate(ret.rosters.get(roster.key, []), start=1):
            row = next(rows, None)
            try:
                if row is not None and row == list(map(data.__getitem__, keys)):
                    continue
            except KeyError:  # a column the data lacks: compared cell by cell, as empty
                pass
            cells = ["" if v is None else str(v) for v in (row or ())] + [""] * len(keys)
            for i, key in enumerate(keys):
                if cells[i] != str(data.get(key, "")):
                    problems.append(f"{roster.number}第{number}行“{labels[i]}”（表中“{cells[i]}”，数据“{data.get(key, '')}”）")
                    break
        after = next(rows, None)
        if after is not None and any(v not in (None, "") for v in after):
            problems.append(f"{roster.number}的名册之后多出了行")
    return problems


def _data_text(ws: Any) -> str:
    pieces: list[str] = []
    for index, row in enumerate(ws.iter_rows(min_col=1, max_col=2, values_only=True)):
        if index == 0:
            if row[0] != DATA_MARKER:
                raise ReturnFormatError("内嵌数据标记不对，不是本程序导出的报表")
            if not isinstance(row[1], (int, float)) or int(row[1]) > R.FORMAT_VERSION:
                raise ReturnFormatError(f"报表数据格式版本“{row[1]}”过新，请升级本程序")
            continue
        if row[0] is None:
            break
        pieces.append(str(row[0]))
    if not pieces:
        raise ReturnFormatError("内嵌数据为空")
    return "".join(pieces)


def canonical_from_workbook(path: Path | str) -> bytes:
    """The canonical bytes embedded in a workbook, re-serialised (raises ReturnFormatError)."""
    result = read_return(path)
    if result.ret is None:
        raise ReturnFormatError(result.reason)
    return canonical_bytes(result.ret)


def _custom_property(wb: Any, name: str) -> str:
    props = getattr(wb, "custom_doc_props", None)
    if props is None:
        return ""
    for prop in props.props if hasattr(props, "props") else props:
        if getattr(prop, "name", None) == name:
            return str(prop.value)
    return ""


def _resolver(store: Store | None) -> Callable[[str], Definition | None] | None:
    """Definitions by digest in the receiver's store (without one only the shipped definition is known)."""
    if store is None:
        return None
    from models.definitions import resolver

    return resolver(store)


def visible_tables(wb: Any, return_spec: R.ReturnSpec | None = None) -> Tables:
    """The numbers of the visible table sheets 表1–表5 of an exported workbook.

    Each sheet's 栏次 row starts with “甲”; its data rows follow in the declared order, with the
    row labels checked against the declarations. Raises :class:`ReturnFormatError` if a sheet is
    missing or has another shape.
    """
    out: Tables = {}
    for spec in (return_spec or shipped_spec()).tables:
        if spec.number not in wb.sheetnames:
            raise ReturnFormatError(f"缺少工作表“{spec.number}”")
        ws = wb[spec.number]
        labels = len(spec.row_header)
        width = labels + len(spec.columns)
        rows = ws.iter_rows(min_col=1, max_col=width, values_only=True)
        for row in rows:
            if row and row[0] == "甲":
                break
        else:
            raise ReturnFormatError(f"工作表“{spec.number}”中找不到栏次行（甲、乙、1、2……）")
        table: dict[str, dict[str, Number]] = {}
        group = ""
        for row_spec in spec.rows:
            values = next(rows, None)
            if values is None:
                raise ReturnFormatError(f"工作表“{spec.number}”行数不足")
            values = tuple(values) + (None,) * (width - len(values))
            if labels == 2 and not row_spec.is_total:
                group = str(values[0]) if values[0] is not None else group
                label_ok = group == row_spec.group and values[1] == row_spec.label
            else:
                label_ok = values[0] == row_spec.label
            if not label_ok:
                raise ReturnFormatError(f"工作表“{spec.number}”中“{row_spec.full_label}”行的位置或名称不对")
            cells: dict[str, Number] = {}
            for i, col in enumerate(spec.columns):
                cells[col.key] = _number(values[labels + i], col.money, spec.number, row_spec.label, col.label)
            table[row_spec.key] = cells
        out[spec.key] = table
    return out


_EXACT_FLOATS = 2.0 ** 53  # below it a whole float's shortest text is its exact digits (so int() is what Decimal gives)


def _number(value: Any, is_money: bool, sheet: str, row: str, col: str) -> Number:
    if not is_money:  # the usual cell, a whole number as the workbook stores it: what the general rule gives
        kind = type(value)
        if kind is int:
            return value  # type: ignore[no-any-return]
        if kind is float and value.is_integer() and -_EXACT_FLOATS < value < _EXACT_FLOATS:
            return int(value)
    if value is None or value == "":
        value = 0
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise ReturnFormatError(f"{sheet}“{row}”行“{col}”栏不是数字")
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        raise ReturnFormatError(f"{sheet}“{row}”行“{col}”栏“{value}”不是数字") from None
    if is_money:
        try:
            return number.quantize(Decimal("0.01"))
        except ArithmeticError:  # more digits than the context holds
            raise ReturnFormatError(f"{sheet}“{row}”行“{col}”栏“{value}”数值过大") from None
    if number != number.to_integral_value():
        raise ReturnFormatError(f"{sheet}“{row}”行“{col}”栏应为整数")
    return int(number)


def compare_tables(data: Tables, visible: Tables, return_spec: R.ReturnSpec | None = None) -> list[str]:
    """Differences between the embedded and the visible numbers, as Chinese phrases."""
    problems = []
    for spec in (return_spec or shipped_spec()).tables:
        for row in spec.rows:
            for col in spec.columns:
                a = data[spec.key][row.key][col.key]
                b = visible[spec.key][row.key][col.key]
                if Decimal(a) != Decimal(b):
                    problems.append(f"{spec.number}“{row.full_label}”行“{col.label}”栏（表中{b}，数据{a}）")
    return problems
