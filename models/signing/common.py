"""Shared vocabulary of the signing package: errors, verification verdicts, fingerprints.

Nothing here imports cryptography or pyHanko, so the GUI can use these names at start-up.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from common.errors import UserError

MIN_PASSPHRASE_LENGTH = 8

# Verification statuses (values appear in the CLI's JSON output) and their Chinese labels.
VALID = "valid"
UNREGISTERED = "unregistered"
TAMPERED = "tampered"
UNSIGNED = "unsigned"
MALFORMED = "malformed"

STATUS_LABELS = {
    VALID: "验证通过",
    UNREGISTERED: "签名有效但未登记",
    TAMPERED: "已被修改",
    UNSIGNED: "无签名",
    MALFORMED: "格式错误",
}


class SigningError(UserError):
    """Signing or key handling refused, with the reason in Chinese (wrong passphrase, no key …)."""


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The result of verifying one signed file or payload."""

    status: str  # one of VALID, UNREGISTERED, TAMPERED, UNSIGNED, MALFORMED
    reason: str  # Chinese, one sentence the user can act on
    fingerprint: str | None = None  # SHA-256 of the signer's certificate, 64 upper-case hex digits
    signer_name: str | None = None  # the registered unit's name when registered, else the certificate's
    signer_code: str | None = None
    signed_at: str | None = None  # ISO time claimed by the signer (its local clock)
    spki: str | None = None  # SHA-256 of the signer's public key (SubjectPublicKeyInfo), what trust is keyed on

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def ok(self) -> bool:
        return self.status == VALID

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"label": self.label}


def fingerprint_of_der(der: bytes) -> str:
    """The certificate fingerprint: SHA-256 of its DER encoding, upper-case hex."""
    return hashlib.sha256(der).hexdigest().upper()


def group_hex(hex_text: str, size: int = 4) -> str:
    """``AB12CD34…`` → ``AB12 CD34 …`` (easier to compare by eye and read aloud)."""
    text = normalise_fingerprint(hex_text)
    return " ".join(text[i:i + size] for i in range(0, len(text), size))


def normalise_fingerprint(text: str) -> str:
    """Accept a fingerprint typed or pasted with spaces, colons, dashes, lower case or full-width characters."""
    import unicodedata

    text = unicodedata.normalize("NFKC", text or "")
    return "".join(ch for ch in text.upper() if ch in "0123456789ABCDEF")


def b64decode_exact(text: bytes) -> bytes:
    """Base64 text → bytes, accepting only the one text this program writes for those bytes.

    Python's decoder (even with ``validate=True``) ignores the unused low bits of the last character before ``=``:
    ``QQ==`` and ``QR==`` both give ``A``. Where a signature or signed data travels as base64 outside what the
    signature covers, that would let a file's bytes change while it still verifies. binascii.Error otherwise.
    """
    import base64
    import binascii

    data = base64.b64decode(text, validate=True)
    if base64.b64encode(data) != text:
        raise binascii.Error("non-canonical base64")
    return data


def data_digest(data: bytes) -> str:
    """A short digest of signed data for the cover: first 64 bits of SHA-256, grouped (``3F2A 9C01 7B44 E0D2``).

    It lets the stamped paper and the file be matched by eye; the signature itself covers the full digest.
    """
    return group_hex(hashlib.sha256(data).hexdigest()[:16])


def quiet_library_logs() -> None:
    """pyHanko logs tracebacks for ordinary outcomes (an unknown signer, a damaged file).

    We report every outcome ourselves in Chinese; a NullHandler keeps Python's last-resort handler from
    printing those English tracebacks on the console while leaving them available to any configured logging.
    """
    import logging

    for name in ("pyhanko", "pyhanko_certvalidator"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())
