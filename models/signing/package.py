"""The signature of an exported workbook covers every part of the .xlsx package.

Signing (:func:`sign_package`): after the workbook is written, a *manifest* lists the return it carries
(unit code, period, version, SHA-256 of the canonical data) and every part of the zip package — name, size
and SHA-256 of its uncompressed bytes. The manifest is signed (detached CMS, as
:mod:`models.signing.payload`), and manifest and signature travel in one extra part,
:data:`SIGNATURE_PART`, the only part the manifest leaves out (a signature cannot cover itself). Its file
extension is declared in ``[Content_Types].xml`` (which the manifest covers) so that Excel and WPS open the
package without complaint. The zip archive comment was tried first: LibreOffice refuses to open a workbook
whose zip comment is longer than a few hundred bytes.

Verifying (:func:`verify_package`): the signature over the manifest, then the manifest against the parts
actually in the file. Anything a person could see in Excel or WPS lives in some part (cell values, shared
strings, formats, sheet names, order, visibility, merged cells, formulas), so any change, added part or
removed part is ``tampered``. Where the carried data is still the signed data, :func:`describe_changes`
re-renders the workbook from it (the writer is deterministic) and names the sheets and cells that differ.

An honest re-save in Excel, WPS or LibreOffice rewrites every part and drops the archive comment: the copy
no longer carries the signature and is reported as changed. The genuine copy is the file as exported.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from models.file_guard import Part
from models.returns import Return, ReturnFormatError, digest
from models.signing.common import b64decode_exact

if TYPE_CHECKING:
    from models.signing.provider import Signer

COMMENT_MAGIC = b"CHANGAI-SIGNATURE/2\n"
SIGNATURE_PART = "changai/signature.sig"
SIGNATURE_CONTENT_TYPE = "application/vnd.changai.signature"
CONTENT_TYPES = "[Content_Types].xml"
MAX_SIGNATURE_PART = 65536
MANIFEST_HEADER = "changai-xlsx-manifest/1"
RETURN_DOCUMENT = "return"
REPORT_DOCUMENT = "progress-report"  # 规划目标完成情况报告: period = the year it runs to, version/data = the plan's


@dataclasses.dataclass(frozen=True)
class Manifest:
    unit_code: str
    period: str
    version: int
    data_digest: str
    parts: dict[str, tuple[int, str]]  # name → (size, sha256)
    document: str = RETURN_DOCUMENT  # what the workbook is; a return's manifest has no document line
    subject: str = ""  # for a progress report: the plan's id

    def to_bytes(self) -> bytes:
        lines = [MANIFEST_HEADER, f"unit_code {self.unit_code}", f"period {self.period}",
                 f"version {self.version}", f"data {self.data_digest}"]
        if self.document != RETURN_DOCUMENT:
            lines += [f"document {self.document}", f"subject {self.subject}"]
        for name in sorted(self.parts):
            size, sha = self.parts[name]
            lines.append(f"part {sha} {size} {name}")
        return ("\n".join(lines) + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        try:
            lines = data.decode("utf-8").split("\n")
        except UnicodeDecodeError:
            raise ReturnFormatError("签名清单不是有效的文本") from None
        if not lines or lines[0] != MANIFEST_HEADER or lines[-1] != "":
            raise ReturnFormatError("签名清单的格式不对")
        fields: dict[str, str] = {}
        parts: dict[str, tuple[int, str]] = {}
        for line in lines[1:-1]:
            key, _, rest = line.partition(" ")
            if key == "part":
                sha, _, tail = rest.partition(" ")
                size, _, name = tail.partition(" ")
                if not name or not size.isdigit() or len(sha) != 64 or name in parts:
                    raise ReturnFormatError("签名清单中的部件行格式不对")
                parts[name] = (int(size), sha)
            elif key in ("unit_code", "period", "version", "data", "document", "subject") and key not in fields:
                fields[key] = rest
            else:
                raise ReturnFormatError("签名清单中有无法识别的行")
        document = fields.pop("document", RETURN_DOCUMENT)
        subject = fields.pop("subject", "")
        if set(fields) != {"unit_code", "period", "version", "data"} or not fields["version"].isdigit():
            raise ReturnFormatError("签名清单缺少报表信息")
        if document not in (RETURN_DOCUMENT, REPORT_DOCUMENT):
            raise ReturnFormatError(f"签名清单中的文件类型“{document}”本程序不认识，请安装新版程序")
        return cls(fields["unit_code"], fields["period"], int(fields["version"]), fields["data"], parts,
                   document, subject)


def manifest_for(ret: Return, parts: dict[str, Part]) -> Manifest:
    return Manifest(ret.unit_code, ret.period, ret.version, digest(ret),
                    {name: (p.size, p.sha256) for name, p in parts.items()})


def encode_comment(manifest: bytes, signature: bytes) -> bytes:
    comment = COMMENT_MAGIC + base64.b64encode(manifest) + b"\n" + base64.b64encode(signature) + b"\n"
    if len(comment) > MAX_SIGNATURE_PART:
        raise ReturnFormatError("签名清单过长，无法写入文件")
    return comment


def decode_comment(comment: bytes) -> tuple[bytes, bytes]:
    """(manifest, signature) from the signature part; ReturnFormatError if it is garbled."""
    if not comment.startswith(COMMENT_MAGIC):
        raise ReturnFormatError("文件中的签名已损坏（格式不对）")
    pieces = comment[len(COMMENT_MAGIC):].split(b"\n")
    if len(pieces) != 3 or pieces[2] != b"":
        raise ReturnFormatError("文件中的签名已损坏（格式不对）")
    try:
        return b64decode_exact(pieces[0]), b64decode_exact(pieces[1])
    except (binascii.Error, ValueError):
        raise ReturnFormatError("文件中的签名已损坏或被改动过，请向报送单位要一份重新导出的原文件") from None


def read_signature_part(zf: zipfile.ZipFile) -> bytes | None:
    """The raw signature part (bounded), or None if the package has none."""
    try:
        info = zf.getinfo(SIGNATURE_PART)
    except KeyError:
        return None
    if info.file_size > MAX_SIGNATURE_PART:
        raise ReturnFormatError("文件中的签名部件过大，文件结构异常")
    return zf.read(info)


def declare_signature_type(content_types: bytes) -> bytes:
    """``[Content_Types].xml`` with the signature part's extension declared (once)."""
    types = content_types.decode("utf-8")
    declaration = f'<Default Extension="sig" ContentType="{SIGNATURE_CONTENT_TYPE}"/>'
    if declaration in types:
        return content_types
    return types.replace("</Types>", declaration + "</Types>", 1).encode("utf-8")


def own_parts(zf: zipfile.ZipFile) -> dict[str, Part]:
    """Size and SHA-256 of every part of a workbook this program has just written (streamed). The limits of
    :func:`~models.file_guard.scan_package` guard readers of files from elsewhere; a province's own roster
    of 100,000 people exceeds them, and signing must not refuse it."""
    parts: dict[str, Part] = {}
    for info in zf.infolist():
        hasher = hashlib.sha256()
        size = 0
        with zf.open(info) as stream:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                hasher.update(chunk)
        parts[info.filename] = Part(info.filename, size, hasher.hexdigest())
    return parts


def sign_package(path: Path, ret: Return, signer: Signer) -> None:
    """Sign the finished workbook of a return at ``path`` in place."""
    _sign_parts(path, lambda parts: manifest_for(ret, parts), signer)


def sign_report_package(path: Path, *, unit_code: str, as_of: int, plan_id: str, plan_version: int,
                        plan_digest: str, signer: Signer) -> None:
    """Sign the finished workbook of a progress report (规划目标完成情况报告) at ``path`` in place: the manifest
    says what it is (so it can never pass for a return), whose, up to which year and against which plan."""
    _sign_parts(path, lambda parts: Manifest(unit_code, str(as_of), plan_version, plan_digest,
                                             {name: (p.size, p.sha256) for name, p in parts.items()},
                                             REPORT_DOCUMENT, plan_id), signer)


def _sign_parts(path: Path, manifest_of: Callable[[dict[str, Part]], Manifest], signer: Signer) -> None:
    """Declare the signature part's type, sign the manifest of every other part, add the signature part."""
    # Each part streamed through in pieces (a province's roster sheet is tens of MB): the bytes ``writestr`` would
    # write (it also writes through ``open(info, "w")``; deflate's output does not depend on how the data is cut).
    rewritten = path.with_name(path.name + ".sign")
    try:
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                if info.filename == SIGNATURE_PART:
                    continue
                if info.filename == CONTENT_TYPES:
                    dst.writestr(info, declare_signature_type(src.read(info)), compress_type=zipfile.ZIP_DEFLATED)
                    continue
                info.compress_type = zipfile.ZIP_DEFLATED
                with src.open(info) as part, dst.open(info, "w") as out:
                    shutil.copyfileobj(part, out, 1 << 20)
        rewritten.replace(path)
    finally:
        rewritten.unlink(missing_ok=True)
    with zipfile.ZipFile(path) as zf:
        parts = own_parts(zf)
    manifest = manifest_of(parts).to_bytes()
    signed = encode_comment(manifest, signer.sign(manifest))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(SIGNATURE_PART, signed)


@dataclasses.dataclass(frozen=True)
class PartChange:
    name: str
    kind: str  # "changed", "added", "removed"


def compare_parts(manifest: Manifest, parts: dict[str, Part]) -> list[PartChange]:
    changes: list[PartChange] = []
    for name, (size, sha) in sorted(manifest.parts.items()):
        part = parts.get(name)
        if part is None:
            changes.append(PartChange(name, "removed"))
        elif (part.size, part.sha256) != (size, sha):
            changes.append(PartChange(name, "changed"))
    changes.extend(PartChange(name, "added") for name in sorted(parts) if name not in manifest.parts)
    return changes


# --- naming what changed ---------------------------------------------------------------------------------

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_PART_LABELS = {
    "xl/workbook.xml": "工作簿结构（工作表名称、顺序、显示或隐藏）",
    "xl/styles.xml": "单元格格式（数字格式、字体、边框、颜色）",
    "xl/sharedStrings.xml": "表格中的文字",
    "docProps/core.xml": "文档属性",
    "docProps/app.xml": "文档属性",
    "docProps/custom.xml": "自定义文档属性",
    "[Content_Types].xml": "部件类型表",
    "xl/_rels/workbook.xml.rels": "工作簿的部件关系",
    "_rels/.rels": "文件的部件关系",
    "xl/theme/theme1.xml": "主题（字体和颜色）",
}
_KIND_LABELS = {"changed": "被改动", "added": "是签名之后增加的", "removed": "被删除"}
MAX_NAMED = 8
DESCRIBE_LIMIT = 4 * 1024 * 1024  # parts larger than this are named, not parsed cell by cell


@dataclasses.dataclass(frozen=True)
class _Sheet:
    name: str
    state: str
    part: str


def _xml(zf: zipfile.ZipFile, name: str) -> object:
    from defusedxml import ElementTree

    return ElementTree.fromstring(zf.read(name))


def _sheets(zf: zipfile.ZipFile) -> list[_Sheet]:
    """The workbook's sheets in order: name, visibility and worksheet part."""
    names = set(zf.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return []
    rels = {rel.get("Id"): rel.get("Target", "") for rel in _xml(zf, "xl/_rels/workbook.xml.rels")  # type: ignore[attr-defined]
            if rel.tag == f"{_PKG_REL_NS}Relationship"}
    book = _xml(zf, "xl/workbook.xml")
    out: list[_Sheet] = []
    for sheet in book.iter(f"{_NS}sheet"):  # type: ignore[attr-defined]
        target = str(rels.get(sheet.get(f"{_REL_NS}id"), ""))
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        out.append(_Sheet(str(sheet.get("name", "")), str(sheet.get("state", "visible")), part))
    return out


def _shared_strings(zf: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in zf.namelist():
        return []
    root = _xml(zf, "xl/sharedStrings.xml")
    return ["".join(t.text or "" for t in si.iter(f"{_NS}t")) for si in root.iter(f"{_NS}si")]  # type: ignore[attr-defined]


def _cells(zf: zipfile.ZipFile, part: str, strings: list[str]) -> dict[str, tuple[str, str, str]]:
    """``{"B7": (shown text, style index, formula)}`` of one worksheet part."""
    out: dict[str, tuple[str, str, str]] = {}
    if part not in zf.namelist():
        return out
    root = _xml(zf, part)
    for cell in root.iter(f"{_NS}c"):  # type: ignore[attr-defined]
        kind = cell.get("t", "n")
        value_node = cell.find(f"{_NS}v")
        value = value_node.text or "" if value_node is not None else ""
        if kind == "s" and value.isdigit():
            value = strings[int(value)] if int(value) < len(strings) else f"（无效的文字编号 {value}）"
        elif kind == "inlineStr":
            value = "".join(t.text or "" for t in cell.iter(f"{_NS}t"))
        formula = cell.find(f"{_NS}f")
        out[str(cell.get("r", ""))] = (value, str(cell.get("s", "0")), "" if formula is None else formula.text or "=")
    return out


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 20 else text[:19] + "…"


def _cell_changes(sheet: str, mine: dict[str, tuple[str, str, str]], genuine: dict[str, tuple[str, str, str]]) -> list[str]:
    by_row: dict[int, list[str]] = {}
    for ref in sorted(set(mine) | set(genuine), key=_ref_sort_key):
        if mine.get(ref) != genuine.get(ref):
            by_row.setdefault(_ref_sort_key(ref)[0], []).append(ref)
    out: list[str] = []
    for row, refs in by_row.items():
        if len(refs) > 2:
            shown = "、".join(f"“{_short(mine[r][0])}”" for r in refs[:3] if r in mine and mine[r][0])
            gone = "、".join(f"“{_short(genuine[r][0])}”" for r in refs[:3] if r in genuine and genuine[r][0])
            what = f"现为{shown}" if shown else ""
            what += ("，" if what and gone else "") + (f"原为{gone}" if gone else "")
            out.append(f"“{sheet}”第{row}行有{len(refs)}个单元格被改动（{what}…）" if what else
                       f"“{sheet}”第{row}行有{len(refs)}个单元格被改动")
            continue
        out.extend(_one_cell(sheet, ref, mine.get(ref), genuine.get(ref)) for ref in refs)
    return out


def _one_cell(sheet: str, ref: str, a: tuple[str, str, str] | None, b: tuple[str, str, str] | None) -> str:
    if b is None:
        return f"“{sheet}”{ref} 增加了内容“{_short(a[0])}”" if a and a[0] else f"“{sheet}”{ref} 增加了单元格"
    if a is None:
        return f"“{sheet}”{ref} 的内容“{_short(b[0])}”被删除" if b[0] else f"“{sheet}”{ref} 的单元格被删除"
    if a[2] != b[2]:
        return f"“{sheet}”{ref} 被改为公式“{_short(a[2])}”" if a[2] else f"“{sheet}”{ref} 的公式被改动"
    if a[0] != b[0]:
        return f"“{sheet}”{ref}（原为“{_short(b[0])}”，现为“{_short(a[0])}”）"
    return f"“{sheet}”{ref} 的格式被改动"


def _ref_sort_key(ref: str) -> tuple[int, int]:
    letters = "".join(ch for ch in ref if ch.isalpha())
    digits = "".join(ch for ch in ref if ch.isdigit())
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return (int(digits) if digits else 0, col)


def _sheet_list_changes(mine: list[_Sheet], genuine: list[_Sheet]) -> list[str]:
    out: list[str] = []
    genuine_names = [s.name for s in genuine]
    mine_names = [s.name for s in mine]
    for sheet in mine:
        if sheet.name not in genuine_names:
            out.append(f"多出了工作表“{sheet.name}”")
    for sheet in genuine:
        if sheet.name not in mine_names:
            out.append(f"工作表“{sheet.name}”被删除或改名")
    common_mine = [n for n in mine_names if n in genuine_names]
    common_genuine = [n for n in genuine_names if n in mine_names]
    if common_mine != common_genuine:
        out.append("工作表的顺序被改动")
    states = {s.name: s.state for s in genuine}
    for sheet in mine:
        if sheet.name in states and states[sheet.name] != sheet.state:
            shown = "显示" if sheet.state == "visible" else "隐藏"
            out.append(f"工作表“{sheet.name}”被改为{shown}")
    return out


def describe_changes(zf: zipfile.ZipFile, changes: list[PartChange], manifest: Manifest, ret: Return | None,
                     fingerprint: str) -> list[str]:
    """Chinese phrases naming what changed: sheets and cells where the signed data allows a re-render,
    else the parts. Never raises for a hostile file (falls back to naming parts)."""
    named: list[str] = []
    try:
        if ret is not None and digest(ret) == manifest.data_digest:
            named = _describe_by_rerender(zf, changes, manifest, ret, fingerprint)
    except Exception:  # a hostile part that does not parse: fall back to naming parts
        named = []
    if named:
        return named
    sheets: dict[str, str] = {}
    try:
        sheets = {s.part: s.name for s in _sheets(zf)}
    except Exception:
        sheets = {}
    out: list[str] = []
    for change in changes:
        label = _PART_LABELS.get(change.name)
        if label is None and change.name in sheets:
            label = f"工作表“{sheets[change.name]}”"
        if label is None and change.name.startswith("xl/worksheets/"):
            label = "一个工作表"
        out.append(f"{label or '部件“' + change.name + '”'}{_KIND_LABELS[change.kind]}")
    return out


def _describe_by_rerender(zf: zipfile.ZipFile, changes: list[PartChange], manifest: Manifest, ret: Return,
                          fingerprint: str) -> list[str]:
    from models.export_xlsx import write_xlsx

    if any(info.file_size > DESCRIBE_LIMIT for info in zf.infolist() if info.filename.endswith(".xml")):
        return []
    with tempfile.TemporaryDirectory(prefix="changai-verify-") as tmp:
        path = Path(tmp) / "genuine.xlsx"
        write_xlsx(ret, path, fingerprint=fingerprint)
        with zipfile.ZipFile(path) as genuine:
            rendered = {name: hashlib.sha256(genuine.read(name)).hexdigest() for name in genuine.namelist()}
            rendered[CONTENT_TYPES] = hashlib.sha256(declare_signature_type(genuine.read(CONTENT_TYPES))).hexdigest()
            if any(rendered.get(name) != sha for name, (_size, sha) in manifest.parts.items()):
                return []  # written by another version of the program: name parts only
            out: list[str] = []
            mine_sheets, genuine_sheets = _sheets(zf), _sheets(genuine)
            out.extend(_sheet_list_changes(mine_sheets, genuine_sheets))
            mine_strings, genuine_strings = _shared_strings(zf), _shared_strings(genuine)
            mine_parts = {s.name: s.part for s in mine_sheets}
            with_cells: set[str] = set()
            for sheet in genuine_sheets:
                if sheet.name not in mine_parts:
                    continue
                found = _cell_changes(sheet.name, _cells(zf, mine_parts[sheet.name], mine_strings),
                                      _cells(genuine, sheet.part, genuine_strings))
                if found:
                    with_cells.add(mine_parts[sheet.name])
                out.extend(found)
            changed = {c.name for c in changes}
            sheet_names = {s.part: s.name for s in mine_sheets}
            for change in changes:
                if change.name in with_cells or (change.name in ("xl/workbook.xml", "xl/sharedStrings.xml") and out):
                    continue
                label = _PART_LABELS.get(change.name)
                if change.name in sheet_names:
                    label = f"工作表“{sheet_names[change.name]}”的版式（合并单元格、列宽、冻结、打印设置等）"
                out.append(f"{label or '部件“' + change.name + '”'}{_KIND_LABELS[change.kind]}")
            if not out and changed:
                out.append("文件的内部结构被改动")
            return out
