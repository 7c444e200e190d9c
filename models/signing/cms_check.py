"""The check of a detached CMS signature over bytes, with asn1crypto and cryptography alone.

Every signed workbook, receipt and province document carries such a signature (see
:mod:`models.signing.payload`), and every verification, every received file, checks one. pyHanko's CMS validator
did this before; it is a general validator (timestamps, attribute certificates, certificate paths, revocation) and
loading it costs a fifth of a second in each process, about as much as the rest of a ``verify``. The signer's own
certificate is the trust anchor here (whether the signer is *trusted* is decided by this unit's registry), and with
such an anchor pyHanko checks no certificate property at all, so what is left is the same in both: this module
does those steps, in pyHanko's order and with its rules (``pyhanko.sign.validation.generic_cms``,
``validate_sig_integrity`` and ``cms_basic_validation``); tests compare the two on every kind of signature,
including damaged and hostile ones.

1. Exactly one ``SignerInfo``; the signer's certificate is the embedded one its ``sid`` names (issuer and serial
   number, or subject key identifier); no encapsulated content (the signature is detached).
2. With signed attributes (every signature this program makes has them): a CMS algorithm protection attribute, if
   present, names the same digest and signature algorithms; a signing-certificate (v2) attribute, if present,
   names this certificate; exactly one content-type attribute, equal to the encapsulated content type; exactly one
   message-digest attribute. The signature value is checked over the signed attributes as they were received,
   tagged as a SET OF; *intact* means the message digest equals the digest of the data. Without signed attributes,
   the signature is checked over the data itself and *intact* is the signature's validity.
3. Algorithms: MD5 and SHA-1 (for the digest or within the signature algorithm) are not accepted, nor a signature
   algorithm whose hash differs from the digest algorithm; the signature is still checked, but the verdict is that
   the signature cannot be relied on.

Anything that is not a well-formed signature of a kind this module knows raises :class:`CmsStructureError`.
Timestamp tokens (unsigned attributes) are not looked at: this program makes none, and nothing in a verdict
depends on them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

# asn1crypto.tsp adds the signing-certificate attributes to asn1crypto.cms's table of attribute types, and that table
# is frozen the first time any attribute is read: it must be imported before a signature is parsed in this process
# (pyHanko's signer, later in the same process, needs the names too).
from asn1crypto import cms, tsp

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509

WEAK_HASHES = frozenset({"md2", "md5", "sha1"})
_HASHES = {"sha1": "SHA1", "sha224": "SHA224", "sha256": "SHA256", "sha384": "SHA384", "sha512": "SHA512",
           "sha3_224": "SHA3_224", "sha3_256": "SHA3_256", "sha3_384": "SHA3_384", "sha3_512": "SHA3_512",
           "md5": "MD5"}


class CmsStructureError(ValueError):
    """The signature is not a well-formed detached CMS signature of a kind that can be checked."""


@dataclass(frozen=True)
class CmsStatus:
    intact: bool  # the data's digest is the one that was signed
    valid: bool  # the signature value is right for the signed attributes and the certificate's key
    algorithm_problem: str  # "" when the algorithms are accepted, else why not (Chinese)
    signed_at: dt.datetime | None  # the signing-time attribute (the signer's clock), if present once


def signer_info_of(signed_data: cms.SignedData) -> cms.SignerInfo:
    infos = signed_data["signer_infos"]
    if len(infos) != 1:
        raise CmsStructureError("签名中应当恰有一个签名者")
    return infos[0]


def signer_certificate(signed_data: cms.SignedData) -> asn1_x509.Certificate:
    """The embedded certificate the signer information names."""
    sid = signer_info_of(signed_data)["sid"]
    for choice in signed_data["certificates"] or []:
        if choice.name != "certificate":
            continue
        cert = choice.chosen.untag()
        if _names(sid, cert):
            return cert
    raise CmsStructureError("签名中没有签名者的证书")


def _names(sid: cms.SignerIdentifier, cert: asn1_x509.Certificate) -> bool:
    if sid.name == "subject_key_identifier":
        return bool(cert.key_identifier == sid.chosen.native)
    return _issuer_serial_match(sid.chosen, cert)


def _issuer_serial_match(expected: Any, cert: asn1_x509.Certificate) -> bool:
    """As pyHanko's ``match_issuer_serial``: the byte-for-byte issuer first, then asn1crypto's name comparison."""
    from asn1crypto import x509 as asn1_x509

    issuer = expected["issuer"]
    if isinstance(issuer, asn1_x509.GeneralNames):  # IssuerSerial of an ESSCertID
        if len(issuer) != 1 or issuer[0].name != "directory_name":
            return False
        issuer = issuer[0].chosen
    try:  # the same bytes (also inside an explicit tag, as in an ESSCertID) are the same name: no string preparation
        same_issuer = (issuer.dump() == cert.issuer.dump() or issuer.chosen.dump() == cert.issuer.chosen.dump()
                       or issuer == cert.issuer)
    except ValueError:
        same_issuer = False
    return bool(same_issuer and expected["serial_number"] == cert["tbs_certificate"]["serial_number"])


def _unique(attrs: Any, name: str) -> Any:
    """The single value of attribute ``name``; None if absent; CmsStructureError if it has several values or
    appears more than once."""
    found = [value for attr in attrs if attr["type"].native == name for value in attr["values"]]
    if not found:
        return None
    if len(found) > 1:
        raise CmsStructureError(f"签名属性 {name} 出现了多次")
    return found[0]


def check_detached(data: bytes, signed_data: cms.SignedData, cert: asn1_x509.Certificate) -> CmsStatus:
    """Check the detached signature ``signed_data`` over ``data`` made with ``cert`` (see the module docstring)."""
    from asn1crypto import core

    info = signer_info_of(signed_data)
    content_info = signed_data["encap_content_info"]
    if content_info["content"] is not core.VOID:
        raise CmsStructureError("分离式签名中不应含有数据")
    digest_algorithm = info["digest_algorithm"]
    md_name = digest_algorithm["algorithm"].native
    signature_algorithm = info["signature_algorithm"]
    mechanism = signature_algorithm["algorithm"].native
    signature = info["signature"].native
    actual = _digest(md_name, data)
    attrs = info["signed_attrs"]
    signed_at: dt.datetime | None = None
    if attrs is core.VOID:
        signed_bytes, embedded = data, None
    else:
        signed_bytes = _as_set_of(attrs)
        protection = _unique(attrs, "cms_algorithm_protection")
        if protection is not None:
            if protection["digest_algorithm"].native != digest_algorithm.native:
                raise CmsStructureError("摘要算法与算法保护属性不符")
            claimed = protection["signature_algorithm"].native
            if claimed is None or claimed != signature_algorithm.native:
                raise CmsStructureError("签名算法与算法保护属性不符")
        for name, cls in (("signing_certificate_v2", tsp.SigningCertificateV2),
                          ("signing_certificate", tsp.SigningCertificate)):
            value = _unique(attrs, name)
            if value is not None:
                if not _ess_names(cls.load(value.dump())["certs"][0], cert):
                    raise CmsStructureError("签名证书属性与签名者的证书不符")
                break
        content_type = _unique(attrs, "content_type")
        if content_type is None or content_type.native != content_info["content_type"].native:
            raise CmsStructureError("签名的内容类型属性缺失或不符")
        message_digest = _unique(attrs, "message_digest")
        if message_digest is None:
            raise CmsStructureError("签名中没有数据摘要属性")
        embedded = message_digest.native
        times = [value for attr in attrs if attr["type"].native == "signing_time" for value in attr["values"]]
        signed_at = times[0].native if len(times) == 1 else None  # pyHanko too ignores a repeated one
    valid = _signature_valid(signature, signed_bytes, cert, mechanism, md_name, signature_algorithm)
    intact = actual == embedded if embedded is not None else valid
    return CmsStatus(intact=intact, valid=valid, algorithm_problem=_algorithm_problem(mechanism, md_name),
                     signed_at=signed_at)


def _as_set_of(attrs: Any) -> bytes:
    """The signed attributes as received, tagged as a SET OF: what the signature value covers. (pyHanko's
    ``untag().dump()`` gives the same bytes; it deep-copies the parsed attributes to do it, a few milliseconds.)"""
    from models.signing.cms_sign import der_element

    return der_element(0x31, bytes(attrs.contents))


def _ess_names(certid: Any, cert: asn1_x509.Certificate) -> bool:
    """As pyHanko's ``check_ess_certid``: the certificate's hash, and its issuer and serial when given."""
    algorithm = "sha1" if isinstance(certid, tsp.ESSCertID) else certid["hash_algorithm"]["algorithm"].native
    if _digest(algorithm, cert.dump()) != certid["cert_hash"].native:
        return False
    issuer_serial = certid["issuer_serial"]
    return not issuer_serial or _issuer_serial_match(issuer_serial, cert)


def _digest(name: str, data: bytes) -> bytes:
    if name not in _HASHES:
        raise CmsStructureError(f"不支持的摘要算法 {name}")
    return hashlib.new(name, data).digest()


def _hash_of_mechanism(mechanism: str, md_name: str, algorithm: Any) -> str | None:
    """The hash a signature algorithm uses (None for EdDSA, which hashes by itself)."""
    if mechanism in ("ed25519", "ed448"):
        return None
    if mechanism in ("ecdsa", "rsassa_pkcs1v15", "rsa"):
        return md_name
    if mechanism == "rsassa_pss":
        return str(algorithm["parameters"]["hash_algorithm"]["algorithm"].native)
    head, _, tail = mechanism.partition("_")
    if tail in ("ecdsa", "rsa") and head in _HASHES:
        return head
    raise CmsStructureError(f"不支持的签名算法 {mechanism}")


def _algorithm_problem(mechanism: str, md_name: str) -> str:
    if md_name in WEAK_HASHES:
        return f"签名使用的摘要算法 {md_name} 已不安全"
    head, _, tail = mechanism.partition("_")
    if tail in ("ecdsa", "rsa") and head in _HASHES:
        if head in WEAK_HASHES:
            return f"签名算法 {mechanism} 已不安全"
        if head != md_name:
            return f"签名算法 {mechanism} 与摘要算法 {md_name} 不配套"
    return ""


# The DER of a SubjectPublicKeyInfo for a key on a named NIST curve, up to the point (an uncompressed point, 04 X Y):
# (id-ecPublicKey, the curve's OID, then the BIT STRING's header), with the point's length. Every key this program
# makes is a P-256 key.
_EC_SPKI = (
    ("SECP256R1", bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200"), 65),
    ("SECP384R1", bytes.fromhex("3076301006072a8648ce3d020106052b81040022036200"), 97),
    ("SECP521R1", bytes.fromhex("30819b301006072a8648ce3d020106052b8104002303818600"), 133),
)


def public_key(spki: bytes) -> Any:
    """The public key of a certificate's SubjectPublicKeyInfo (DER), for cryptography.

    A key on a named NIST curve, in the one encoding DER allows it, is built from its point: that needs none of
    cryptography's serialization package, which a verification would otherwise import for this alone (about 15 ms,
    for its SSH formats). Any other key, or other bytes, is read by that package, as before. Either way a key that
    cannot be read raises :class:`CmsStructureError`."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        for curve, head, size in _EC_SPKI:
            if len(spki) == len(head) + size and spki.startswith(head) and spki[len(head)] == 4:
                return ec.EllipticCurvePublicKey.from_encoded_point(getattr(ec, curve)(), spki[len(head):])
        from cryptography.hazmat.primitives import serialization

        return serialization.load_der_public_key(spki)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise CmsStructureError("签名者证书中的公钥无法读取") from exc


def _signature_valid(signature: bytes, signed: bytes, cert: asn1_x509.Certificate, mechanism: str, md_name: str,
                     algorithm: Any) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes

    hash_name = _hash_of_mechanism(mechanism, md_name, algorithm)
    # the certificate's own public-key field: no need of cryptography's x509 module (75 ms to import)
    key = public_key(cert["tbs_certificate"]["subject_public_key_info"].dump())
    chosen = getattr(hashes, _HASHES[hash_name])() if hash_name is not None else None
    try:  # each kind of key's module is imported for its own mechanism (ed448's alone takes some 4 ms)
        if mechanism.endswith("ecdsa"):
            from cryptography.hazmat.primitives.asymmetric import ec

            if isinstance(key, ec.EllipticCurvePublicKey) and chosen is not None:
                key.verify(signature, signed, ec.ECDSA(chosen))
                return True
        elif mechanism == "rsassa_pss" or mechanism.endswith(("rsa", "rsassa_pkcs1v15")):
            from cryptography.hazmat.primitives.asymmetric import padding, rsa

            if isinstance(key, rsa.RSAPublicKey) and chosen is not None:
                if mechanism == "rsassa_pss":
                    salt = algorithm["parameters"]["salt_length"].native
                    key.verify(signature, signed, padding.PSS(padding.MGF1(chosen), salt), chosen)
                else:
                    key.verify(signature, signed, padding.PKCS1v15(), chosen)
                return True
        elif mechanism == "ed25519":
            from cryptography.hazmat.primitives.asymmetric import ed25519

            if isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(signature, signed)
                return True
        elif mechanism == "ed448":
            from cryptography.hazmat.primitives.asymmetric import ed448

            if isinstance(key, ed448.Ed448PublicKey):
                key.verify(signature, signed)
                return True
        raise CmsStructureError(f"签名算法 {mechanism} 与证书中的公钥类型不符")
    except InvalidSignature:
        return False
