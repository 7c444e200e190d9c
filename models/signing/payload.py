"""Sign and verify arbitrary canonical bytes (the machine-readable return carried in the Excel workbook).

Format: a detached CMS (PKCS #7) ``SignedData``, DER, SHA-256 digest, with the signer's certificate and a
signing-time attribute embedded (see :mod:`models.signing.provider`). Where only text fits (workbook cells)
it travels as base64 in chunks of :data:`CHUNK_SIZE` characters.

Verification (:mod:`models.signing.cms_check`) checks integrity (the data digest), the signature value and the
algorithms; whether the signer is *trusted* is decided by this unit's registry (:func:`models.signing.trust.lookup`).
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from models.db import Store
from models.signing.common import MALFORMED, TAMPERED, UNREGISTERED, UNSIGNED, VALID, Verdict, b64decode_exact
from models.signing.provider import Signer

if TYPE_CHECKING:
    from asn1crypto import cms
    from asn1crypto import x509 as asn1_x509

CHUNK_SIZE = 1000


def sign_payload(signer: Signer, data: bytes) -> bytes:
    """The detached CMS signature (DER) of ``data``."""
    return signer.sign(data)


def encode_chunks(signature: bytes, size: int = CHUNK_SIZE) -> list[str]:
    """Base64 text in chunks that fit comfortably in spreadsheet cells."""
    text = base64.b64encode(signature).decode("ascii")
    return [text[i:i + size] for i in range(0, len(text), size)]


def decode_chunks(chunks: list[str]) -> bytes:
    """Inverse of :func:`encode_chunks`; tolerant of whitespace a spreadsheet may add. ValueError if garbled."""
    text = "".join("".join(str(c).split()) for c in chunks if c is not None)
    try:
        return b64decode_exact(text.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("签名数据不是有效的 base64 文本") from exc


def parse_signed_data(signature: bytes) -> tuple[cms.SignedData, asn1_x509.Certificate]:
    """(SignedData, signer certificate) of a CMS signature; ValueError with a Chinese reason if malformed."""
    from asn1crypto import cms

    from models.signing.cms_check import signer_certificate  # registers attribute types before parsing (see there)

    try:
        content_info = cms.ContentInfo.load(signature, strict=True)  # nothing may follow the signature's DER
        if content_info["content_type"].native != "signed_data":
            raise ValueError("不是 CMS SignedData")
        signed_data = content_info["content"]
        signer_cert = signer_certificate(signed_data)
    except Exception as exc:  # asn1crypto raises many types for garbled DER (it parses a part when it is read)
        raise ValueError("签名数据已损坏，无法读取") from exc
    return signed_data, signer_cert


def signer_facts(cert: asn1_x509.Certificate) -> dict[str, Any]:
    """fingerprint / signer_name / signer_code of an asn1crypto certificate: the subject's first serial number
    and organisation (else common) name, as ``keys.certificate_info`` reads them with cryptography's x509 module,
    which a verification then need not import (75 ms)."""
    import hashlib

    from models.signing.common import fingerprint_of_der

    def first(attribute: str) -> str:
        for rdn in cert.subject.chosen:
            for pair in rdn:
                if pair["type"].native == attribute:
                    return str(pair["value"].native)
        return ""

    try:
        name, code = first("organization_name") or first("common_name"), first("serial_number")
    except Exception as exc:  # asn1crypto parses a part when it is read
        raise ValueError("签名者证书已损坏，无法读取") from exc
    return {"fingerprint": fingerprint_of_der(cert.dump()), "signer_name": name, "signer_code": code,
            "spki": hashlib.sha256(cert.public_key.dump()).hexdigest().upper()}


def trust_verdict(store: Store, facts: dict[str, Any], unit_code: str, signed_at: str | None,
                  trusted: bool, trust_problem: str) -> Verdict:
    """Combine a cryptographically sound signature with the registry's decision."""
    from models.signing.trust import lookup

    if not trusted:
        return Verdict(UNREGISTERED, f"签名本身完好，但签名证书检查未通过：{trust_problem}", signed_at=signed_at,
                       **facts)
    decision = lookup(store, facts["fingerprint"], unit_code, facts.get("spki"))
    if decision.registered:
        facts = {**facts, "signer_name": decision.unit_name or facts.get("signer_name")}
        return Verdict(VALID, f"签名有效，签名者为{decision.reason}", signed_at=signed_at, **facts)
    reason = f"签名本身完好，但{decision.reason}"
    if facts.get("signer_code") and facts["signer_code"] != unit_code:
        reason += f"；签名证书上的单位是{facts['signer_name']}（{facts['signer_code']}），与报表单位不符"
    return Verdict(UNREGISTERED, reason, signed_at=signed_at, **facts)


def verify_payload(data: bytes, signature: bytes | None, *, store: Store, unit_code: str) -> Verdict:
    """Verify a detached signature over ``data`` claimed to come from unit ``unit_code``."""
    from models.signing.cms_check import check_detached

    if not signature:
        return Verdict(UNSIGNED, "文件中没有签名")
    try:
        signed_data, cert = parse_signed_data(signature)
        facts = signer_facts(cert)
    except ValueError as exc:
        return Verdict(MALFORMED, str(exc))
    except Exception:  # a certificate cryptography cannot read
        return Verdict(MALFORMED, "签名中的证书无法读取")
    try:
        status = check_detached(data, signed_data, cert)
    except Exception:  # a structurally odd signature (asn1crypto raises assorted errors on some)
        return Verdict(MALFORMED, "签名结构异常，无法验证", **facts)
    reported = status.signed_at
    signed_at = reported.astimezone().isoformat(timespec="seconds") if reported else None
    if not status.intact:
        return Verdict(TAMPERED, "签名之后数据被修改过（数据摘要与签名不符）", signed_at=signed_at, **facts)
    if not status.valid:
        return Verdict(TAMPERED, "签名值无效（签名或签名属性被改动）", signed_at=signed_at, **facts)
    return trust_verdict(store, facts, unit_code, signed_at, not status.algorithm_problem, status.algorithm_problem)
