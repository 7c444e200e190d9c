"""Documents the province signs and every level installs: the return's definition (报表制度) now, plan targets next.

One signed file a member of staff carries on a USB stick: UTF-8 JSON ::

    {"format": "changai-province-document", "format_version": 1,
     "kind": "definition",                       # what the content is (see KINDS)
     "content": "<base64 of the document's bytes, exactly as written by the province>",
     "sha256": "<hex SHA-256 of those bytes>",   # for people and tools; the signature is what counts
     "certificate": "<PEM of the signer's certificate>",
     "signature": "<base64 detached CMS over signed_bytes(kind, content)>",
     "说明": "……"}

The signature is the same detached CMS (SHA-256, signer certificate and signing time embedded) that signs
returns and receipts (:mod:`models.signing.provider`); it covers the kind as well as the bytes, so a plan
cannot be installed as a definition. Passing the file down (province → prefecture → county) keeps its bytes,
so every level checks the province's own signature.

A document is accepted only when all of these hold:

- the file is a regular file under :data:`MAX_FILE_BYTES`, JSON of this format, of the expected kind;
- the signature is intact over the content (else 内容被修改) and the certificate field is the signer's;
- the signer's certificate is the province's (unit code 530000, else 不是省总工会签发);
- that certificate is trusted here: registered in the store's certificate registry (``trust add --superior``,
  at any level), the store's own key at the province, or listed in the program's
  ``resources/trust/province_certificates.json``; a public key revoked in the registry is refused either way.

:func:`sign_document` refuses anywhere but the province's store. Plans use the same two calls with
``kind="plan"``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from common.atomic_file import os_reason
from common.errors import UserError
from common.paths import resource_path
from forms.divisions import PROVINCE_CODE
from models.db import Store
from models.signing.common import b64decode_exact, group_hex, normalise_fingerprint
from models.signing.provider import Signer

FORMAT = "changai-province-document"
FORMAT_VERSION = 1
KINDS = {"definition": "报表制度", "plan": "规划目标"}
SUFFIX = ".signed.json"
MAX_CONTENT_BYTES = 4 * 1024 * 1024
MAX_FILE_BYTES = MAX_CONTENT_BYTES * 4 // 3 + 64 * 1024  # base64 of the content plus certificate and signature
SHIPPED_TRUST = "trust/province_certificates.json"
PROVINCE_NAME = "云南省总工会"
WHERE_INSTALLED = {"definition": "“文件 → 报表制度…”",
                   "plan": "“目标完成情况”页的“规划目标…”（或“文件 → 报表制度…”中的“规划目标…”）"}


class ProvinceDocumentError(UserError):
    """A signed document refused, or signing refused; the message names the file and the reason."""


class UnregisteredSigner(ProvinceDocumentError):
    """Intact and claiming the province, but its certificate is not trusted here: registering it may help."""


@dataclasses.dataclass(frozen=True)
class SignerInfo:
    fingerprint: str  # SHA-256 of the signer certificate (DER), upper-case hex
    unit_code: str
    unit_name: str  # the registered name where registered, else the certificate's
    signed_at: str  # the signer's local clock (no timestamp server offline)
    trusted_by: str  # Chinese: why this store trusts the certificate

    @property
    def grouped(self) -> str:
        return group_hex(self.fingerprint)


@dataclasses.dataclass(frozen=True)
class OpenedDocument:
    kind: str
    raw: bytes  # the document's bytes as the province wrote them
    signer: SignerInfo
    package: bytes  # the signed file as received, to keep and pass down unchanged


def kind_label(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown province document kind {kind!r}")
    return KINDS[kind]


def signed_bytes(kind: str, raw: bytes) -> bytes:
    """What the signature covers: the kind and the content, so one kind cannot pass for another."""
    return f"{FORMAT}/{FORMAT_VERSION}/{kind}\n".encode("ascii") + raw


# --- signing (the province) ---------------------------------------------------------------------------------

def check_can_sign(store: Store, kind: str) -> None:
    """Refuse unless this store is the province's (the only unit whose signature other units accept)."""
    from models import unit

    label = kind_label(kind)
    current = unit.load(store)
    if current is None or current.code != PROVINCE_CODE:
        who = f"本单位是{current.name}（{current.code}）" if current is not None else "尚未设置本单位"
        raise ProvinceDocumentError(f"只有{PROVINCE_NAME}（{PROVINCE_CODE}）可以签发{label}：{who}。"
                                    f"{label}请从上级单位获取已签发的文件后安装")


def sign_document(store: Store, raw: bytes, kind: str, signer: Signer) -> bytes:
    """The signed file's bytes for ``raw`` (a document of ``kind``), signed with the province's key."""
    from cryptography.hazmat.primitives import serialization

    from models.signing.keys import certificate_info

    check_can_sign(store, kind)
    info = certificate_info(signer.certificate)
    if info.unit_code != PROVINCE_CODE:
        raise ProvinceDocumentError(f"签名密钥属于{info.unit_name}（{info.unit_code}），不是{PROVINCE_NAME}的密钥")
    if len(raw) > MAX_CONTENT_BYTES:
        raise ProvinceDocumentError(f"{kind_label(kind)}文件太大（{len(raw) // 1024} KB），不能签发")
    signature = signer.sign(signed_bytes(kind, raw))
    document = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind,
        "content": base64.b64encode(raw).decode("ascii"), "sha256": hashlib.sha256(raw).hexdigest(),
        "certificate": signer.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        "signature": base64.b64encode(signature).decode("ascii"),
        "说明": f"这是{PROVINCE_NAME}签发的{kind_label(kind)}（带电子签名）。请原样保存、原样转交下级单位；"
              f"用“产改统计填报”程序的{WHERE_INSTALLED.get(kind, '“文件 → 报表制度…”')}安装，程序核验签名后才会安装。",
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


class Document(Protocol):
    """What both kinds of document (a definition, a plan) have."""

    @property
    def id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def label(self) -> str: ...
    @property
    def digest(self) -> str: ...


D = TypeVar("D", bound=Document)
E = TypeVar("E")


def sign_file(store: Store, kind: str, path: Path, signer: Signer, out: Path,
              load: Callable[..., D]) -> D:
    """Sign the document file ``path`` into ``out`` (written atomically), after ``load`` (``load_definition``,
    ``load_plan``) accepted it: only a usable document is signed. The loaded document."""
    from common.atomic_file import write_bytes_atomic

    check_can_sign(store, kind)
    raw = read_signed_file(path)
    document = load(raw, source=path.name)
    write_bytes_atomic(out, sign_document(store, raw, kind, signer))
    return document


def default_file_name(kind: str, document: Document) -> str:
    """``报表制度-yn-changai-return-第2版.signed.json``."""
    return f"{kind_label(kind)}-{document.id}-第{document.version}版{SUFFIX}"


# --- passing down (prefectures) -----------------------------------------------------------------------------

_TABLES = {"definition": "definitions", "plan": "plans"}  # where each kind's installed documents are kept


def signed_package(store: Store, kind: str, digest: str) -> bytes | None:
    """The signed file an installed document came in, as received (None for the shipped one)."""
    value = store.scalar(f"SELECT signed_package FROM {_TABLES[kind]} WHERE digest = ?", (digest,))
    return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else None


def find_installed(known: Sequence[E], ref: str, kind: str, document: Callable[[E], Document]) -> E:
    """The one of ``known`` (installed, not shipped) that ``ref`` names: ``ID/VERSION`` (or ``ID:VERSION``; ``第2版``
    and ``v2`` are read as 2), ``ID`` alone (its highest version), ``VERSION`` alone, or a digest prefix of at least 8
    characters. :class:`ProvinceDocumentError` names what is installed when none or several match."""
    label = kind_label(kind)
    text = ref.strip()
    sep = "/" if "/" in text else ":" if ":" in text else ""
    if sep:
        doc_id, _, version = text.rpartition(sep)
        wanted = version.strip().lstrip("vV第").rstrip("版")
        matches = [e for e in known if document(e).id == doc_id.strip() and str(document(e).version) == wanted]
    elif text.isdigit():
        matches = [e for e in known if str(document(e).version) == text]
    else:
        matches = [e for e in known if document(e).id == text]
        if matches:
            matches = [max(matches, key=lambda e: document(e).version)]
        elif len(text) >= 8:
            matches = [e for e in known if document(e).digest.startswith(text.lower())]
    if len(matches) == 1:
        return matches[0]
    names = "、".join(f"{document(e).id}/{document(e).version}" for e in known) or "（无）"
    if not matches:
        raise ProvinceDocumentError(f"没有找到已安装的{label}“{ref}”。已安装的：{names}。"
                                    f"程序自带的{label}不需要导出（每个单位的程序都带有它）")
    raise ProvinceDocumentError(f"“{ref}”对应多份{label}，请写成“标识/版本号”：{names}")


def export_package(store: Store, kind: str, document: Document, out: Path) -> None:
    """Write the signed file ``document`` was installed from, byte for byte as received, to ``out``."""
    from common.atomic_file import write_bytes_atomic

    package = signed_package(store, kind, document.digest)
    if package is None:
        raise ProvinceDocumentError(f"{kind_label(kind)}“{document.label}”安装时没有保存签发文件，无法转交。"
                                    f"请向上级单位索取{PROVINCE_NAME}签发的原始文件")
    write_bytes_atomic(out, package)


# --- reading (every level) ----------------------------------------------------------------------------------

def read_signed_file(path: Path) -> bytes:
    """The file's bytes, read only if it is a regular file of a plausible size (a USB stick may hold anything)."""
    name = path.name
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ProvinceDocumentError(f"文件“{name}”不存在") from None
    except OSError as exc:
        raise ProvinceDocumentError(f"无法读取文件“{name}”：{os_reason(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ProvinceDocumentError(f"“{name}”是一个文件夹，不是签发的文件")
    if not stat.S_ISREG(info.st_mode):
        raise ProvinceDocumentError(f"“{name}”不是普通文件（管道、设备等），拒绝读取")
    if info.st_size > MAX_FILE_BYTES:
        raise ProvinceDocumentError(f"“{name}”太大（{info.st_size / 1048576:.1f} MB），不是省总工会签发的文件")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ProvinceDocumentError(f"无法读取文件“{name}”：{os_reason(exc)}") from None
    if len(data) > MAX_FILE_BYTES:  # grew while being read
        raise ProvinceDocumentError(f"“{name}”太大，不是省总工会签发的文件")
    return data


def _b64(document: dict[str, Any], key: str, source: str) -> bytes:
    value = document.get(key)
    if not isinstance(value, str) or not value:
        raise ProvinceDocumentError(f"“{source}”缺少“{key}”项，文件不完整或已损坏")
    try:
        return b64decode_exact(value.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ProvinceDocumentError(f"“{source}”的“{key}”项已损坏（不是有效的 base64 文本）") from None


def parse_package(data: bytes, kind: str, *, source: str) -> tuple[bytes, bytes, str]:
    """(content, signature, certificate PEM) of a signed file, checked for shape only."""
    label = kind_label(kind)
    if len(data) > MAX_FILE_BYTES:
        raise ProvinceDocumentError(f"“{source}”太大，不是省总工会签发的文件")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ProvinceDocumentError(f"“{source}”不是省总工会签发的{label}文件（内容不是有效的 JSON 文本）") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ProvinceDocumentError(f"“{source}”不是省总工会签发的{label}文件")
    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
        raise ProvinceDocumentError(f"“{source}”的格式版本为{version}，本程序不能读取，请安装新版程序")
    actual = document.get("kind")
    if actual != kind:
        what = KINDS.get(str(actual), f"未知类型“{actual}”")
        raise ProvinceDocumentError(f"“{source}”是签发的{what}文件，不是{label}文件")
    content = _b64(document, "content", source)
    signature = _b64(document, "signature", source)
    certificate = document.get("certificate")
    if not isinstance(certificate, str):
        raise ProvinceDocumentError(f"“{source}”缺少签名证书，文件不完整或已损坏")
    if len(content) > MAX_CONTENT_BYTES:
        raise ProvinceDocumentError(f"“{source}”中的{label}太大（{len(content) // 1024} KB）")
    return content, signature, certificate


def shipped_province_certificates() -> dict[str, str]:
    """Fingerprint → note of the province certificates the program ships with (may be empty)."""
    path = resource_path(SHIPPED_TRUST)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    entries = data.get("certificates", []) if isinstance(data, dict) else []
    out: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str):
            out[normalise_fingerprint(entry["fingerprint"])] = str(entry.get("note", ""))
    return out


_REVOKED = "签名者证书的公钥已"


def province_trust(store: Store, fingerprint: str, spki: str | None) -> tuple[bool, str, str | None]:
    """(trusted, Chinese reason, registered name) for a province certificate."""
    from models.signing.trust import lookup, revoked_keys

    if spki is not None:
        revoked = revoked_keys(store).get(normalise_fingerprint(spki))
        if revoked is not None:
            return False, f"{_REVOKED}于 {str(revoked.revoked_at)[:10]} 在本单位被撤销登记", None
    decision = lookup(store, fingerprint, PROVINCE_CODE, spki)
    if decision.registered:
        return True, decision.reason, decision.unit_name
    if normalise_fingerprint(fingerprint) in shipped_province_certificates():
        return True, "随程序发布的省总工会证书", None
    return False, decision.reason, None


def open_document(data: bytes, kind: str, store: Store, *, source: str = "签发的文件") -> OpenedDocument:
    """Verify a signed file of ``kind`` against this store's trust; the content and signer, or a Chinese refusal."""
    from models.signing.cms_check import check_detached
    from models.signing.keys import certificate_der, load_certificate
    from models.signing.payload import parse_signed_data, signer_facts

    label = kind_label(kind)
    content, signature, certificate_pem = parse_package(data, kind, source=source)
    try:
        signed_data, cert = parse_signed_data(signature)
        facts = signer_facts(cert)
    except ValueError as exc:
        raise ProvinceDocumentError(f"“{source}”的签名已损坏，无法核验（{exc}）") from None
    except Exception:  # a certificate cryptography cannot read
        raise ProvinceDocumentError(f"“{source}”中的签名证书无法读取") from None
    try:
        stated = certificate_der(load_certificate(certificate_pem.encode("ascii")))
    except Exception:
        stated = b""
    if stated != cert.dump():
        raise ProvinceDocumentError(f"“{source}”中写明的签名证书与实际签名的证书不一致，文件被改动过，不能安装")
    try:
        status = check_detached(signed_bytes(kind, content), signed_data, cert)
    except Exception:  # a structurally odd signature (asn1crypto raises assorted errors on some)
        raise ProvinceDocumentError(f"“{source}”的签名结构异常，无法核验") from None
    if not status.intact or not status.valid:
        raise ProvinceDocumentError(f"“{source}”的内容被修改：签名之后{label}或签名本身被改动过，"
                                    "不能安装。请向上级单位重新索取原始文件")
    if status.algorithm_problem:
        raise ProvinceDocumentError(f"“{source}”的签名不能采信：{status.algorithm_problem}")
    signer_name = f"{facts['signer_name']}（{facts['signer_code']}）"
    if facts["signer_code"] != PROVINCE_CODE:
        raise ProvinceDocumentError(f"“{source}”不是{PROVINCE_NAME}签发的：签名者为{signer_name}。"
                                    f"{label}只能由{PROVINCE_NAME}签发，下级单位只能原样转交")
    trusted, why, registered_name = province_trust(store, facts["fingerprint"], facts.get("spki"))
    if not trusted and why.startswith(_REVOKED):
        raise ProvinceDocumentError(f"“{source}”不能安装：{why}（签名者自称{signer_name}）。请向上级单位核实")
    if not trusted:
        raise UnregisteredSigner(
            f"“{source}”的签名者证书未登记：签名完好，签名者自称{signer_name}，但其证书（指纹 "
            f"{group_hex(facts['fingerprint'])}）既没有在本单位登记为{PROVINCE_NAME}的证书，也不是随程序发布的"
            f"{PROVINCE_NAME}证书。请核对{PROVINCE_NAME}盖章的公钥登记表后，在“文件 → 证书登记（下级、上级单位）…”中"
            "登记其证书（登记上级单位证书），再安装")
    reported = status.signed_at
    signed_at = reported.astimezone().isoformat(timespec="seconds") if reported else ""
    signer = SignerInfo(facts["fingerprint"], facts["signer_code"], registered_name or str(facts["signer_name"]),
                        signed_at, why)
    return OpenedDocument(kind, content, signer, bytes(data))
