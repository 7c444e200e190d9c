"""Who signs: the :class:`Signer` protocol and the file-based key.

Export code only ever sees a :class:`Signer`. A later provider (for example a national-standard SM2 seal
device) implements the same four members and replaces :class:`FileKeySigner` without touching export code:

- ``certificate``: the signer's X.509 certificate (cryptography object);
- ``fingerprint``: SHA-256 of the DER certificate, 64 upper-case hex digits;
- ``sign(data)``: a detached CMS (PKCS #7) ``SignedData`` over ``data``, DER-encoded, that embeds the
  signer's certificate and a signing-time attribute, so a verifier needs nothing but the signature and the
  data. Built by pyHanko (``sign_general_data``), digest SHA-256;
- ``pyhanko_signer()``: a pyHanko ``Signer`` that makes the PDF's CMS signature (PAdES).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from models.db import Store
from models.signing.common import SigningError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
    from pyhanko.sign.signers import Signer as PyHankoSigner


@runtime_checkable
class Signer(Protocol):
    """A key that can sign returns (see the module docstring for the contract)."""

    @property
    def certificate(self) -> x509.Certificate: ...

    @property
    def fingerprint(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...

    def pyhanko_signer(self) -> PyHankoSigner: ...


class FileKeySigner:
    """The unit's key from the data folder's ``keys/``, opened with its passphrase."""

    def __init__(self, certificate: x509.Certificate, private_key: EllipticCurvePrivateKey) -> None:
        from models.signing.keys import fingerprint

        self._certificate = certificate
        self._private_key = private_key
        self._fingerprint = fingerprint(certificate)
        self._pyhanko: PyHankoSigner | None = None

    @classmethod
    def open(cls, store: Store, passphrase: str) -> FileKeySigner:
        """The unit's active key; SigningError("口令不正确……") on a wrong passphrase, or if there is no key."""
        from models.signing.keys import active_key, load_private_key

        key = active_key(store)
        if key is None:
            raise SigningError("本单位尚未创建签名密钥。请在程序的“文件 → 本单位密钥…”中创建（命令行：keys create）")
        private_key = load_private_key(store, key, passphrase)
        return cls(key.certificate(), private_key)

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def pyhanko_signer(self) -> PyHankoSigner:
        if self._pyhanko is None:
            from asn1crypto import keys as asn1_keys
            from asn1crypto import x509 as asn1_x509
            from cryptography.hazmat.primitives import serialization
            from pyhanko.sign.signers import SimpleSigner
            from pyhanko_certvalidator.registry import SimpleCertificateStore

            from models.signing.keys import certificate_der

            cert = asn1_x509.Certificate.load(certificate_der(self._certificate))
            # In memory only, for pyHanko's signer object; never written anywhere.
            key_info = asn1_keys.PrivateKeyInfo.load(self._private_key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            # The signing certificate is embedded anyway; an empty registry keeps it from appearing twice.
            self._pyhanko = SimpleSigner(signing_cert=cert, signing_key=key_info,
                                         cert_registry=SimpleCertificateStore())  # type: ignore[no-untyped-call]
        return self._pyhanko

    def sign(self, data: bytes) -> bytes:
        return sign_with_pyhanko(self.pyhanko_signer(), data)


def sign_with_pyhanko(signer: PyHankoSigner, data: bytes) -> bytes:
    """Detached CMS SignedData (DER) over ``data`` made by any pyHanko signer; for providers to reuse."""
    import asyncio
    import datetime as dt

    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    # signingTime from the local clock: there is no timestamp server offline.
    attributes = PdfCMSSignedAttributes(signing_time=dt.datetime.now().astimezone())
    content_info = asyncio.run(signer.async_sign_general_data(data, "sha256", detached=True,
                                                              signed_attr_settings=attributes))
    return bytes(content_info.dump())
