"""回执: the signed answer a receiving unit writes for a subordinate's return — 已接收 or 已退回 (with the reason).

A receipt is a small UTF-8 JSON file for the USB stick::

    {"format": "changai-receipt", "format_version": 1,
     "receipt": {... what was decided ...},
     "signature": "<base64 detached CMS over the canonical bytes of receipt>",
     "说明": "……"}

``receipt`` names the return (unit, period, version, data digest, file name), the decision, the
reason, the issuing (receiving) unit and the times. Its canonical bytes (sorted keys, no spaces,
UTF-8) are signed with the issuing unit's key through the pluggable signer of
``models.signing.provider``, exactly as a return's data is.

The county's program opens it with :func:`open_receipt`. A receipt is **genuine** (``valid``) only when
all of these hold: the signature is intact; the signing key is registered at the county as its
superior's (``trust.register_superior``, after checking the superior's stamped 公钥登记表); the issuer
named in the receipt is that superior; and the receipt is about this unit's own finalised version with
the same data digest (a receipt cannot be replayed to another unit, period or version). Otherwise it is
shown as unverified (``unregistered``, or ``mismatch`` when it is about another return) and
``receipt show`` exits non-zero.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common.atomic_file import os_reason
from common.text import ParseError, clean_text
from forms.periods import Period, parse_period
from models.db import RecordError, Store, now
from models.receiving import Received, get_received
from models.signing.common import MALFORMED, STATUS_LABELS, UNREGISTERED, UNSIGNED, VALID, Verdict, b64decode_exact
from models.signing.provider import Signer

FORMAT_NAME = "changai-receipt"
FORMAT_VERSION = 1
ACCEPTED = "accepted"
RETURNED = "returned"
DECISION_LABELS = {ACCEPTED: "已接收", RETURNED: "已退回"}
MISMATCH = "mismatch"  # a sound, registered receipt about another unit's or version's return
RECEIPT_STATUS_LABELS = {**STATUS_LABELS, VALID: "回执真实有效", UNREGISTERED: "无法确认真实性（上级证书未登记）",
                         MISMATCH: "与本单位的报表不符"}
SUFFIX = ".json"
README = "这是产改统计报表的回执（电子签名）。请用“产改统计填报”程序打开：上报情况 → 打开回执。"


@dataclasses.dataclass(frozen=True)
class Receipt:
    unit_code: str  # the return's unit
    unit_name: str
    period: str
    version: int
    digest: str  # SHA-256 of the return's canonical data
    file_name: str
    decision: str  # accepted / returned
    reason: str
    issuer_code: str  # the receiving unit
    issuer_name: str
    received_at: str
    issued_at: str
    verification: str  # the return's verification status when received

    @property
    def decision_label(self) -> str:
        return DECISION_LABELS[self.decision]

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                "return": {"unit_code": self.unit_code, "unit_name": self.unit_name, "period": self.period,
                           "version": self.version, "digest": self.digest, "file_name": self.file_name,
                           "received_at": self.received_at, "verification": self.verification},
                "decision": self.decision, "reason": self.reason,
                "issuer": {"code": self.issuer_code, "name": self.issuer_name}, "issued_at": self.issued_at}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Receipt:
        try:
            if data.get("format") != FORMAT_NAME:
                raise ValueError("不是产改统计报表的回执")
            version = data.get("format_version")
            if not isinstance(version, int) or version > FORMAT_VERSION:
                raise ValueError(f"回执格式版本“{version}”过新，请升级本程序")
            ret, issuer = data["return"], data["issuer"]
            decision = str(data["decision"])
            if decision not in DECISION_LABELS:
                raise ValueError(f"回执中的处理结果“{decision}”无法识别")
            return cls(str(ret["unit_code"]), str(ret["unit_name"]), parse_period(ret["period"]).code,
                       int(ret["version"]), str(ret["digest"]), str(ret.get("file_name", "")), decision,
                       str(data.get("reason", "")), str(issuer["code"]), str(issuer["name"]),
                       str(ret.get("received_at", "")), str(data["issued_at"]), str(ret.get("verification", "")))
        except (KeyError, TypeError, AttributeError, ParseError) as exc:
            raise ValueError(f"回执内容不完整（{type(exc).__name__}: {exc}）") from None

    def canonical(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def file_name_for(self) -> str:
        """``530821_2026_v1_回执_已退回.json``."""
        return f"{self.unit_code}_{self.period}_v{self.version}_回执_{self.decision_label}{SUFFIX}"

    def period_text(self) -> str:
        period = parse_period(self.period)
        return f"{period.label}{period.kind_label}"

    def lines(self) -> list[str]:
        """The receipt as text (the command line, the dialog)."""
        out = [f"回执：{self.decision_label}",
               f"报表：{self.unit_name}（{self.unit_code}）{self.period_text()} 第{self.version}版",
               f"数据摘要：{self.digest[:16].upper()}",
               f"出具单位：{self.issuer_name}（{self.issuer_code}）",
               f"收到时间：{self.received_at.replace('T', ' ')}　出具时间：{self.issued_at.replace('T', ' ')}"]
        if self.file_name:
            out.insert(3, f"文件：{self.file_name}")
        if self.decision == RETURNED:
            out.append(f"退回原因：{self.reason}")
            out.append("请按退回原因修改后重新定稿（生成新版本），签名导出后再次报送。")
        elif self.reason:
            out.append(f"备注：{self.reason}")
        return out


# ------------------------------------------------------------------------------------------------
# Writing


def _issuer(store: Store) -> tuple[str, str]:
    from models import unit

    own = unit.load(store)
    if own is None:
        raise RecordError("尚未设置本单位")
    return own.code, own.name


def make_receipt(store: Store, row: Received, decision: str, reason: str = "") -> Receipt:
    code, name = _issuer(store)
    return Receipt(row.unit_code, row.unit_name, row.period, row.version, row.digest, row.file_name, decision,
                   reason, code, name, row.received_at, now(), row.status)


def write_receipt_file(receipt: Receipt, signer: Signer, out_dir: Path | str) -> Path:
    """Sign ``receipt`` and write it into ``out_dir`` (atomically); returns the file."""
    from common.atomic_file import atomic_path

    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RecordError(f"无法创建文件夹“{folder}”：{os_reason(exc)}") from exc
    signature = signer.sign(receipt.canonical())
    document = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "receipt": receipt.to_dict(),
                "signature": base64.b64encode(signature).decode("ascii"), "说明": README}
    target = folder / receipt.file_name_for()
    printable = target.with_suffix(".pdf")
    try:
        with atomic_path(target) as tmp:
            tmp.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
        # beside it, the same receipt to read and print (the signed .json is what the program checks)
        with atomic_path(printable) as tmp:
            tmp.write_bytes(render_receipt_pdf(receipt))
    except OSError as exc:
        raise RecordError(f"无法写入回执“{target}”：{os_reason(exc)}") from exc
    return target


def render_receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as one A4 page to print: what was decided, about which return, by whom."""
    import io
    import textwrap

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from models.fonts import FONT_NAME, printable, reportlab_font

    reportlab_font()
    width, height = A4
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1, initialFontName=FONT_NAME)  # not Helvetica (never embedded)
    c.setTitle(f"回执 {receipt.unit_name} {receipt.period_text()} 第{receipt.version}版 {receipt.decision_label}")
    c.setAuthor(receipt.issuer_name)
    y = height - 30 * mm
    c.setFont(FONT_NAME, 20)
    c.drawCentredString(width / 2, y, f"产改统计报表回执（{receipt.decision_label}）")
    y -= 16 * mm
    for line in receipt.lines()[1:]:
        c.setFont(FONT_NAME, 12)
        for part in textwrap.wrap(printable(line), 38) or [""]:
            c.drawString(22 * mm, y, part)
            y -= 8 * mm
        y -= 2 * mm
    y -= 8 * mm
    c.setFont(FONT_NAME, 10)
    for part in textwrap.wrap("本页是电子回执的打印件，内容以同名的 .json 回执文件为准：请用“产改统计填报”程序"
                              "“上报情况 → 打开回执”打开 .json 文件，程序会核验出具单位的电子签名，"
                              "并与本单位定稿的报表比对。", 46):
        c.drawString(22 * mm, y, part)
        y -= 6 * mm
    y -= 14 * mm
    c.setFont(FONT_NAME, 12)
    c.drawString(110 * mm, y, f"出具单位：{printable(receipt.issuer_name)}（盖章）")
    c.drawString(110 * mm, y - 9 * mm, f"日期：{receipt.issued_at[:10]}")
    c.showPage()
    c.save()
    return buf.getvalue()


def _log(store: Store, row: Received, receipt: Receipt) -> None:
    # Logged before the file is written (inside the same transaction): a failure leaves neither behind.
    store.conn.execute("INSERT INTO receipts (received_id, decision, reason, issued_at, file_name) VALUES (?, ?, ?, ?, ?)",
                       (row.id, receipt.decision, receipt.reason, receipt.issued_at, receipt.file_name_for()))


def send_back(store: Store, received_id: int, reason: str, signer: Signer, out_dir: Path | str) -> Path:
    """退回: mark the received return as sent back with ``reason`` and write the signed 回执 (both or neither)."""
    text = clean_text(reason)
    if not text:
        raise ParseError("请填写退回原因（如：表3培训经费与附件不符，请核实后重报）")
    row = get_received(store, received_id)
    if row.returned_at:
        raise RecordError(f"{row.unit_name}{_period_text(row)}第{row.version}版已于 {row.returned_at[:10]} 退回"
                          f"（{row.return_reason}）")
    receipt = make_receipt(store, row, RETURNED, text)
    with store.atomic():
        store.conn.execute("UPDATE received_returns SET returned_at = ?, return_reason = ? WHERE id = ?",
                           (receipt.issued_at, text, row.id))
        _log(store, row, receipt)
        path = write_receipt_file(receipt, signer, out_dir)
    return path


def accept_receipt(store: Store, received_id: int, signer: Signer, out_dir: Path | str, note: str = "") -> Path:
    """Write the 已接收 回执 for a received return that verified and was not sent back."""
    row = get_received(store, received_id)
    if row.status != VALID:
        raise RecordError(f"{row.unit_name}{_period_text(row)}第{row.version}版验证未通过（{row.status_label}），"
                          "不能出具接收回执；请退回并说明原因")
    if row.returned_at:
        raise RecordError(f"{row.unit_name}{_period_text(row)}第{row.version}版已退回，不能再出具接收回执")
    receipt = make_receipt(store, row, ACCEPTED, clean_text(note))
    with store.atomic():
        _log(store, row, receipt)
        path = write_receipt_file(receipt, signer, out_dir)
    return path


def write_receipts(store: Store, period: Period, signer: Signer, out_dir: Path | str,
                   unit_codes: Sequence[str] | None = None) -> list[Path]:
    """The 回执 of every subordinate on the board with a decision: 已接收 for 已报, 已退回 (again) for 已退回."""
    from models import board

    wanted = set(unit_codes) if unit_codes else None
    paths = []
    done: set[str] = set()
    for entry in board.build_board(store, period).entries:
        if entry.current is None or (wanted is not None and entry.unit.code not in wanted):
            continue
        if entry.state == board.REPORTED:
            path = accept_receipt(store, entry.current.id, signer, out_dir)
        elif entry.state == board.RETURNED:
            row = entry.current
            receipt = dataclasses.replace(make_receipt(store, row, RETURNED, row.return_reason or ""),
                                          issued_at=row.returned_at or now())
            with store.atomic():
                _log(store, row, receipt)
                path = write_receipt_file(receipt, signer, out_dir)
        else:
            continue
        paths.append(path)
        done.add(entry.unit.code)
    if wanted:
        unknown = wanted - done
        if unknown:
            raise RecordError("以下单位本期没有可出具回执的报表：" + "、".join(sorted(unknown)))
    return paths


def issued(store: Store, received_id: int) -> list[dict[str, Any]]:
    """The receipts written for one received return, newest first."""
    return store.query("SELECT decision, reason, issued_at, file_name FROM receipts WHERE received_id = ? "
                       "ORDER BY id DESC", (received_id,))


def _period_text(row: Received) -> str:
    period = parse_period(row.period)
    return f"{period.label}{period.kind_label}"


# ------------------------------------------------------------------------------------------------
# Opening (the subordinate's side)


@dataclasses.dataclass(frozen=True)
class OpenedReceipt:
    path: Path
    status: str  # signing statuses: valid / unregistered / tampered / unsigned / malformed
    reason: str
    receipt: Receipt | None = None
    verdict: Verdict | None = None
    match: str = ""  # how it relates to this unit's own finalised versions

    @property
    def sound(self) -> bool:
        """The signature is intact (whether or not the issuer's certificate is registered here)."""
        return self.status in (VALID, UNREGISTERED, MISMATCH)

    @property
    def status_label(self) -> str:
        return RECEIPT_STATUS_LABELS.get(self.status, self.status)

    @property
    def genuine(self) -> bool:
        """From the registered superior, about this unit's own return: the only state to act on."""
        return self.status == VALID

    def lines(self) -> list[str]:
        out = [f"{self.path.name}：核验结果 {self.status_label}"]
        if self.reason:
            out.append(f"  {self.reason}")
        if self.verdict is not None and self.verdict.fingerprint:
            from models.signing.common import group_hex

            out.append(f"  出具单位证书指纹：{group_hex(self.verdict.fingerprint)}")
        if self.receipt is not None:
            out += [f"  {line}" for line in self.receipt.lines()]
        if self.match:
            out.append(f"  {self.match}")
        return out

    def as_json(self) -> dict[str, Any]:
        return {"file": str(self.path), "status": self.status, "status_label": self.status_label, "sound": self.sound,
                "genuine": self.genuine,
                "reason": self.reason, "signer_fingerprint": self.verdict.fingerprint if self.verdict else None,
                "receipt": self.receipt.to_dict() if self.receipt else None, "match": self.match}


def open_receipt(path: Path | str, store: Store | None = None) -> OpenedReceipt:
    """Read and verify a 回执; never raises for a bad file (status ``malformed`` with the reason).

    With ``store`` (the subordinate's own), the receipt is also matched against its finalised versions.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return OpenedReceipt(path, MALFORMED, "文件不存在")
    except OSError as exc:
        return OpenedReceipt(path, MALFORMED, f"无法读取文件：{os_reason(exc)}")
    try:
        document = json.loads(raw.decode("utf-8-sig"))
        if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
            raise ValueError("不是产改统计报表的回执文件")
        receipt = Receipt.from_dict(document["receipt"])
    except (UnicodeDecodeError, json.JSONDecodeError):
        return OpenedReceipt(path, MALFORMED, "不是回执文件（内容不是有效的 JSON 文本）")
    except (ValueError, KeyError, TypeError) as exc:
        return OpenedReceipt(path, MALFORMED, str(exc) if isinstance(exc, ValueError) else "回执内容不完整")
    signature_text = document.get("signature")
    if not signature_text:
        return OpenedReceipt(path, UNSIGNED, "回执没有签名，无法确认出具单位", receipt)
    try:
        signature = b64decode_exact(str(signature_text).encode("ascii"))
    except (binascii.Error, UnicodeEncodeError):
        return OpenedReceipt(path, MALFORMED, "回执的签名数据已损坏", receipt)
    # The signature covers the canonical form of the receipt as written; a changed field changes those bytes.
    signed = json.dumps(document["receipt"], ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    verdict = _verify(signed, signature, receipt.issuer_code, store)
    match, matches = _match(store, receipt) if store else ("", False)
    status, reason = verdict.status, verdict.reason
    superior = _superior(store)
    if status == VALID and receipt.issuer_code != superior:
        status = UNREGISTERED
        reason = (f"签名完好，但出具单位{verdict.signer_name}（{receipt.issuer_code}）不是本单位的上级单位，"
                  "不能确认这份回执")
    elif status == VALID and not matches:
        status = MISMATCH
        reason = f"签名有效，出具单位为已登记的上级单位{verdict.signer_name}，但回执不是针对本单位这一版报表的：{match}"
    elif status == VALID:
        reason = f"签名有效，出具单位为已登记的上级单位{verdict.signer_name}（{receipt.issuer_code}）"
    elif status == UNREGISTERED and verdict.signer_code == receipt.issuer_code:
        reason = (f"签名本身完好，但签名证书（{verdict.signer_name}，{verdict.signer_code}）未在本单位登记为上级单位的证书，"
                  "无法确认回执的真实性：任何人都可以自称上级单位制作回执。请在“证书登记”中登记上级单位的证书"
                  "（核对上级盖章的公钥登记表上的指纹）后再打开")
    elif status == UNREGISTERED:
        reason = (f"签名证书属于{verdict.signer_name}（{verdict.signer_code}），与回执所写的出具单位不符，"
                  "无法确认回执的真实性")
    return OpenedReceipt(path, status, reason, receipt, verdict, match)


def _superior(store: Store | None) -> str:
    if store is None:
        return ""
    from models.signing.trust import superior_code

    return superior_code(store)


def _verify(data: bytes, signature: bytes, issuer_code: str, store: Store | None) -> Verdict:
    from models.db import open_store
    from models.signing.payload import verify_payload

    if store is not None:
        return verify_payload(data, signature, store=store, unit_code=issuer_code)
    scratch = open_store(memory=True)  # no registry: the signature is still checked in full
    try:
        return verify_payload(data, signature, store=scratch, unit_code=issuer_code)
    finally:
        scratch.close()


def _match(store: Store, receipt: Receipt) -> tuple[str, bool]:
    """(how the receipt relates to this unit's finalised versions, whether it is about one of them exactly)."""
    from models import unit

    own = unit.load(store)
    if own is None:
        return "", False
    if own.code != receipt.unit_code:
        return f"注意：这份回执是给{receipt.unit_name}（{receipt.unit_code}）的，不是本单位的", False
    stored = store.scalar("SELECT digest FROM returns WHERE unit_code = ? AND period = ? AND version = ?",
                          (own.code, receipt.period, receipt.version))
    if stored is None:
        return f"本机没有{receipt.period_text()}第{receipt.version}版的定稿记录（可能是在其他电脑上定稿的）", False
    if stored != receipt.digest:
        return (f"注意：回执中的数据摘要与本机{receipt.period_text()}第{receipt.version}版不一致，"
                "对方收到的不是本机这一版"), False
    return f"与本单位定稿的{receipt.period_text()}第{receipt.version}版报表一致", True
