"""Detached CMS ``SignedData`` made with asn1crypto and cryptography: what the unit's key signs.

Two kinds, carrying the signed attributes pyHanko gave them when it made them (so files signed before and after
look alike to any verifier):

- general data (a workbook's manifest, receipts, province documents): content-type, signing-time (the local
  clock: there is no timestamp server offline), CMS algorithm protection (RFC 6211), message-digest and
  signing-certificate-v2 (RFC 5035);
- the signed byte ranges of a PDF (PAdES baseline B-B, sub-filter ``ETSI.CAdES.detached``): content-type,
  message-digest and signing-certificate-v2 only, since PAdES puts the time in the signature dictionary (``/M``).

The signature is ECDSA with SHA-256 (a DER ``ECDSA-Sig-Value``), the signer named by issuer and serial number,
its certificate embedded, so a verifier needs nothing but the signature and the data. The signed attributes
are written in DER order (a ``SET OF`` sorted by encoding) and signed exactly as written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from models.signing.common import SigningError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

DIGEST = "sha256"
SIGNATURE = "sha256_ecdsa"


def sign_data(data: bytes, certificate_der: bytes, private_key: EllipticCurvePrivateKey,
              signing_time: dt.datetime | None = None) -> bytes:
    """Detached CMS over ``data`` with a signing time (default: now, on this computer's clock)."""
    moment = (signing_time or dt.datetime.now()).astimezone(dt.UTC).replace(microsecond=0)
    return _signed_data(hashlib.sha256(data).digest(), certificate_der, private_key, signing_time=moment,
                        algorithm_protection=True)


def sign_pdf_digest(digest: bytes, certificate_der: bytes, private_key: EllipticCurvePrivateKey) -> bytes:
    """Detached CMS for a PAdES signature over byte ranges whose SHA-256 is ``digest``."""
    if len(digest) != hashlib.sha256().digest_size:
        raise SigningError("PDF 签名失败：摘要长度不对")
    return _signed_data(digest, certificate_der, private_key, signing_time=None, algorithm_protection=False)


def _signed_data(digest: bytes, cert_der: bytes, private_key: EllipticCurvePrivateKey, *,
                 signing_time: dt.datetime | None, algorithm_protection: bool) -> bytes:
    from asn1crypto import algos, cms, core, tsp
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    if not isinstance(private_key, ec.EllipticCurvePrivateKey):
        raise SigningError("签名密钥的类型本程序不支持（应为 ECDSA 密钥）")
    tbs = asn1_x509.Certificate.load(cert_der)["tbs_certificate"]
    issuer_der = tbs["issuer"].dump()
    serial = tbs["serial_number"].native
    digest_algorithm = algos.DigestAlgorithm({"algorithm": DIGEST})
    signature_algorithm = algos.SignedDigestAlgorithm({"algorithm": SIGNATURE})
    # Values taken from the certificate go in as fresh copies of its bytes: asn1crypto re-encodes a value it has
    # parsed whenever an outer layer is encoded (50 ms a signature, against 2).
    issuer_serial = {"issuer": asn1_x509.Name.load(issuer_der), "serial_number": serial}
    signing_certificate = tsp.SigningCertificateV2({"certs": [tsp.ESSCertIDv2({
        "hash_algorithm": {"algorithm": DIGEST}, "cert_hash": hashlib.sha256(cert_der).digest(),
        "issuer_serial": {"issuer": [asn1_x509.GeneralName({"directory_name": asn1_x509.Name.load(issuer_der)})],
                          "serial_number": serial}})]})
    attributes = [
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "message_digest", "values": [digest]}),
        cms.CMSAttribute({"type": "signing_certificate_v2", "values": [signing_certificate]}),
    ]
    if signing_time is not None:
        attributes.append(cms.CMSAttribute({"type": "signing_time",
                                            "values": [cms.Time({"utc_time": core.UTCTime(signing_time)})]}))
    if algorithm_protection:
        attributes.append(cms.CMSAttribute({"type": "cms_algorithm_protection", "values": [
            cms.CMSAlgorithmProtection({"digest_algorithm": digest_algorithm,
                                        "signature_algorithm": signature_algorithm})]}))
    # The layers around the signed attributes are written out here: asn1crypto, asked to encode structures it built
    # from other built structures, encodes their members again and again (about 50 ms a signature, against 3).
    members = b"".join(sorted(attribute.dump() for attribute in attributes))  # DER: a SET OF in encoding order
    signature = private_key.sign(der_element(0x31, members), ec.ECDSA(hashes.SHA256()))
    issuer_and_serial = cms.IssuerAndSerialNumber(issuer_serial).dump()
    signer_info = der_element(0x30, b"".join((
        core.Integer(1).dump(), issuer_and_serial, digest_algorithm.dump(),
        der_element(0xA0, members),  # signedAttrs [0] IMPLICIT
        signature_algorithm.dump(), core.OctetString(signature).dump())))
    signed_data = der_element(0x30, b"".join((
        core.Integer(1).dump(), der_element(0x31, digest_algorithm.dump()),
        der_element(0x30, core.ObjectIdentifier("1.2.840.113549.1.7.1").dump()),  # encapContentInfo: id-data, detached
        der_element(0xA0, cert_der),  # certificates [0] IMPLICIT
        der_element(0x31, signer_info))))
    content_info = der_element(0x30, core.ObjectIdentifier("1.2.840.113549.1.7.2").dump() + der_element(0xA0, signed_data))
    return content_info


def der_element(tag: int, content: bytes) -> bytes:
    """A DER element: one-byte tag, definite length, content (also what :mod:`models.signing.cms_check` checks
    a signature value against: the signed attributes as received, tagged as a SET OF)."""
    return bytes([tag]) + _der_length(len(content)) + content


def _der_length(length: int) -> bytes:
    """The DER encoding of a content length."""
    if length < 0x80:
        return bytes([length])
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets
