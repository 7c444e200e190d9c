"""Who signs: the :class:`Signer` protocol and the file-based key.

Export code only ever sees a :class:`Signer`. A later provider (for example a national-standard SM2 seal
device) implements the same four members and replaces :class:`FileKeySigner` without touching export code:

- ``certificate``: the signer's X.509 certificate (cryptography object);
- ``fingerprint``: SHA-256 of the DER certificate, 64 upper-case hex digits;
- ``sign(data)``: a detached CMS (PKCS #7) ``SignedData`` over ``data``, DER-encoded, that embeds the
  signer's certificate and a signing-time attribute, so a verifier needs nothing but the signature and the
  data; digest SHA-256;
- ``sign_pdf_digest(digest)``: the detached CMS of a PDF's PAdES signature (``ETSI.CAdES.detached``) over byte
  ranges whose SHA-256 is ``digest``: no signing-time attribute (the signature dictionary's ``/M`` holds the
  time), a signing-certificate-v2 attribute as PAdES asks.

The file-based key makes both with :mod:`models.signing.cms_sign`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from models.db import Store
from models.signing.common import SigningError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey


@runtime_checkable
class Signer(Protocol):
    """A key that can sign returns (see the module docstring for the contract)."""

    @property
    def certificate(self) -> x509.Certificate: ...

    @property
    def fingerprint(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...

    def sign_pdf_digest(self, digest: bytes) -> bytes: ...


class FileKeySigner:
    """The unit's key from the data folder's ``keys/``, opened with its passphrase.

    It keeps the certificate's DER bytes: signing embeds them as they are, and cryptography's certificate object
    (its x509 module takes some 30 ms to import) is made only when something asks for it."""

    def __init__(self, certificate_der: bytes, private_key: EllipticCurvePrivateKey) -> None:
        from models.signing.common import fingerprint_of_der

        self._certificate_der = certificate_der
        self._certificate: x509.Certificate | None = None
        self._private_key = private_key
        self._fingerprint = fingerprint_of_der(certificate_der)

    @classmethod
    def with_certificate(cls, certificate: x509.Certificate, private_key: EllipticCurvePrivateKey) -> FileKeySigner:
        """A signer for a key and a certificate object already at hand (tests, benchmarks, a province's tools)."""
        from models.signing.keys import certificate_der

        signer = cls(certificate_der(certificate), private_key)
        signer._certificate = certificate
        return signer

    @classmethod
    def open(cls, store: Store, passphrase: str) -> FileKeySigner:
        """The unit's active key; SigningError("口令不正确……") on a wrong passphrase, or if there is no key."""
        from models.signing.keys import active_key, load_private_key

        key = active_key(store)
        if key is None:
            raise SigningError("本单位尚未创建签名密钥。请在程序的“文件 → 本单位密钥…”中创建（命令行：keys create）")
        private_key = load_private_key(store, key, passphrase)  # checks the certificate against the key
        return cls(key.certificate_der(), private_key)

    @property
    def certificate(self) -> x509.Certificate:
        if self._certificate is None:
            from models.signing.keys import load_certificate

            self._certificate = load_certificate(self._certificate_der)
        return self._certificate

    @property
    def certificate_der(self) -> bytes:
        return self._certificate_der

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def sign(self, data: bytes) -> bytes:
        from models.signing.cms_sign import sign_data

        return sign_data(data, self._certificate_der, self._private_key)

    def sign_pdf_digest(self, digest: bytes) -> bytes:
        from models.signing.cms_sign import sign_pdf_digest

        return sign_pdf_digest(digest, self._certificate_der, self._private_key)
