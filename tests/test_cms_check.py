"""The detached-signature check (models.signing.cms_check) gives pyHanko's CMS validator's verdict on every kind of
signature: ours, other keys and algorithms, weak algorithms, damaged and hostile ones."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.db import Store, open_store
from models.signing import payload
from models.signing.common import MALFORMED, TAMPERED, UNREGISTERED, UNSIGNED, Verdict
from tests.signing_support import PASSPHRASE, make_key, setup_unit

DATA = "本单位的报表数据 530821 2025 v1".encode() * 40


def _check(signature: bytes | None, run: Any) -> Any:
    """What a check says of ``signature``, as the verification sees it: "unsigned", "unreadable" (the signature or
    its certificate cannot be read, before any check), "malformed" (the check raised), or (intact, valid, relied on,
    signing time), where "relied on" only counts for a sound signature (pyHanko does not judge the others)."""
    if not signature:
        return "unsigned"
    try:
        signed_data, cert = payload.parse_signed_data(signature)
        payload.signer_facts(cert)
    except Exception:
        return "unreadable"
    try:
        intact, valid, relied_on, signed_at = run(signed_data, cert)
    except Exception:
        return "malformed"
    return intact, valid, relied_on if intact and valid else None, signed_at


def pyhanko_check(data: bytes, signature: bytes | None) -> Any:
    """The check as it was: pyHanko's CMS validator, the signer's certificate as its own trust anchor."""
    from pyhanko.sign.general import extract_certificate_info
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko_certvalidator import ValidationContext

    def run(signed_data: Any, cert: Any) -> tuple[bool, bool, bool, dt.datetime | None]:
        assert extract_certificate_info(signed_data).signer_cert.dump() == cert.dump()  # the same signer found
        status = asyncio.run(async_validate_detached_cms(
            data, signed_data, signer_validation_context=ValidationContext(trust_roots=[cert], allow_fetching=False)))
        return status.intact, status.valid, status.trusted, status.signer_reported_dt

    return _check(signature, run)


def our_check(data: bytes, signature: bytes | None) -> Any:
    from models.signing.cms_check import check_detached

    def run(signed_data: Any, cert: Any) -> tuple[bool, bool, bool, dt.datetime | None]:
        status = check_detached(data, signed_data, cert)
        return status.intact, status.valid, not status.algorithm_problem, status.signed_at

    return _check(signature, run)


def assert_same(data: bytes, signature: bytes | None, store: Store) -> Verdict:
    """Both checks say the same; the verification's verdict (which is built from the check)."""
    assert our_check(data, signature) == pyhanko_check(data, signature)
    return payload.verify_payload(data, signature, store=store, unit_code="530821")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = open_store(tmp_path_factory.mktemp("cms") / "数据")
    setup_unit(s, "530821")
    make_key(s)
    yield s
    s.close()


@pytest.fixture(scope="module")
def signature(store: Store) -> bytes:
    from models.signing.provider import FileKeySigner

    return FileKeySigner.open(store, PASSPHRASE).sign(DATA)


def _signer(kind: str) -> Any:
    """A pyHanko signer with a fresh self-signed certificate for a key of ``kind``."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.x509.oid import NameOID
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key: Any = {"ec": lambda: ec.generate_private_key(ec.SECP384R1()),
                "rsa": lambda: rsa.generate_private_key(65537, 2048),
                "ed25519": ed25519.Ed25519PrivateKey.generate}[kind]()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "外来的证书")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=9))
            .sign(key, None if kind == "ed25519" else hashes.SHA256()))
    return SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore())


def _sign(signer: Any, data: bytes, md: str = "sha256", **kwargs: Any) -> bytes:
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    attributes = PdfCMSSignedAttributes(signing_time=dt.datetime.now().astimezone())
    info = asyncio.run(signer.async_sign_general_data(data, md, detached=True, signed_attr_settings=attributes,
                                                       **kwargs))
    return bytes(info.dump())


def test_our_signature_and_changed_data(store: Store, signature: bytes) -> None:
    assert assert_same(DATA, signature, store).status == "valid"
    assert assert_same(DATA + b" ", signature, store).status == TAMPERED
    assert assert_same(b"", signature, store).status == TAMPERED
    assert assert_same(DATA, None, store).status == UNSIGNED
    assert assert_same(DATA, b"\x30\x03\x02\x01\x01", store).status == MALFORMED


@pytest.mark.parametrize(("kind", "md"), [("ec", "sha256"), ("ec", "sha384"), ("ec", "sha512"), ("rsa", "sha256"),
                                          ("rsa", "sha512"), ("ed25519", "sha512")])
def test_other_keys_and_digests(store: Store, kind: str, md: str) -> None:
    signer = _signer(kind)
    signed = _sign(signer, DATA, md)
    assert assert_same(DATA, signed, store).status == UNREGISTERED  # sound, but not a registered certificate
    assert assert_same(DATA[:-1], signed, store).status == TAMPERED


def test_rsa_pss(store: Store) -> None:
    from pyhanko.sign.signers import SimpleSigner

    base = _signer("rsa")
    signer = SimpleSigner(signing_cert=base.signing_cert, signing_key=base.signing_key,
                          cert_registry=base.cert_registry, prefer_pss=True)
    signed = _sign(signer, DATA)
    assert assert_same(DATA, signed, store).status == UNREGISTERED
    assert assert_same(DATA + b"!", signed, store).status == TAMPERED


def test_a_weak_digest_is_not_relied_on(store: Store) -> None:
    signed = _sign(_signer("ec"), DATA, "sha1")
    verdict = assert_same(DATA, signed, store)
    assert verdict.status == UNREGISTERED and "sha1" in verdict.reason


def test_two_signers_and_no_certificate_are_malformed(store: Store, signature: bytes) -> None:
    from asn1crypto import cms

    info = cms.ContentInfo.load(signature)
    content = info["content"]
    doubled = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData({
        **{k: content[k] for k in ("version", "digest_algorithms", "encap_content_info", "certificates")},
        "signer_infos": [content["signer_infos"][0], content["signer_infos"][0]]})})
    assert assert_same(DATA, doubled.dump(), store).status == MALFORMED
    bare = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData({
        **{k: content[k] for k in ("version", "digest_algorithms", "encap_content_info", "signer_infos")}})})
    assert assert_same(DATA, bare.dump(), store).status == MALFORMED


def test_changed_attributes(store: Store, signature: bytes) -> None:
    """A signed attribute changed (content type, digest, signing time) breaks the signature value or the structure,
    the same way in both."""
    from asn1crypto import cms

    for name, value in (("content_type", "signed_data"), ("message_digest", b"\x00" * 32),
                        ("signing_time", cms.Time(name="utc_time", value=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)))):
        info = cms.ContentInfo.load(signature)
        attrs = info["content"]["signer_infos"][0]["signed_attrs"]
        for attr in attrs:
            if attr["type"].native == name:
                attr["values"] = [value]
        assert assert_same(DATA, info.dump(force=True), store).status in (TAMPERED, MALFORMED), name


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_any_changed_byte_gives_the_same_verdict(store: Store, signature: bytes, position: int, flip: int) -> None:
    """(A byte outside what is signed, e.g. the outer list of digest algorithms, may change and still verify: in both.)"""
    data = bytearray(signature)
    data[position % len(data)] ^= flip
    assert_same(DATA, bytes(data), store)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0), junk=st.binary(max_size=40))
def test_cut_or_padded_signatures_give_the_same_verdict(store: Store, signature: bytes, cut: int, junk: bytes) -> None:
    assert_same(DATA, signature[:cut % len(signature)] + junk, store)


def test_verification_loads_no_pyhanko(tmp_path: Path) -> None:
    """Checking a workbook's signature needs no pyHanko (a fifth of a second at every verify)."""
    import subprocess
    import sys

    code = ("import sys; from models.signing import payload, cms_check, offline; "
            "print(sorted(m for m in sys.modules if m.startswith(('pyhanko', 'asyncio')) and m not in offline.STUBBED))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
                         cwd=Path(__file__).resolve().parent.parent).stdout
    assert out.strip() == "[]"


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.binary(max_size=300), min_size=1, max_size=40))
def test_the_signed_attributes_as_a_set_are_what_pyhanko_signs(values: list[bytes]) -> None:
    """The bytes the signature covers, taken from the received encoding (short and long lengths), equal asn1crypto's
    re-tagged copy that pyHanko uses."""
    from asn1crypto import cms

    from models.signing.cms_check import _as_set_of

    attrs = cms.CMSAttributes([cms.CMSAttribute({"type": "message_digest", "values": [v]}) for v in values])
    info = cms.SignerInfo({"version": "v1", "sid": cms.SignerIdentifier(name="subject_key_identifier", value=b"1"),
                           "digest_algorithm": {"algorithm": "sha256"}, "signed_attrs": attrs,
                           "signature_algorithm": {"algorithm": "sha256_ecdsa"}, "signature": b"x"})
    parsed = cms.SignerInfo.load(info.dump())["signed_attrs"]
    assert _as_set_of(parsed) == parsed.untag().dump()


def _certificate(attributes: list[tuple[str, str]]) -> Any:
    """A self-signed certificate whose subject has exactly these (attribute, value) pairs, in this order."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    oids = {"serial": NameOID.SERIAL_NUMBER, "org": NameOID.ORGANIZATION_NAME, "cn": NameOID.COMMON_NAME,
            "country": NameOID.COUNTRY_NAME}
    name = x509.Name([x509.NameAttribute(oids[a], v) for a, v in attributes])
    key = ec.generate_private_key(ec.SECP256R1())
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(when).not_valid_after(when.replace(year=2036))
            .sign(key, hashes.SHA256()))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(  # a serial number is a PrintableString: ASCII letters, digits and a few marks
    st.tuples(st.just("serial"), st.text(alphabet="5308210ABCdef -", min_size=1, max_size=12)),
    st.tuples(st.sampled_from(["org", "cn"]), st.text(alphabet="宁洱县总工会州市省级5308210 ·-（）ABCdef", min_size=1,
                                                      max_size=20))), max_size=5))
def test_the_signer_is_named_as_the_key_registry_names_it(attributes: list[tuple[str, str]]) -> None:
    """``payload.signer_facts`` reads the certificate with asn1crypto, as ``keys.certificate_info`` reads it with
    cryptography: the first serial number, the first organisation name, else the first common name."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization

    from models.signing.keys import certificate_info

    cert = _certificate([("country", "CN"), *attributes])
    info = certificate_info(cert)
    facts = payload.signer_facts(asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)))
    assert (facts["signer_code"], facts["signer_name"], facts["fingerprint"]) == \
        (info.unit_code, info.unit_name, info.fingerprint)


def _spki_of(key: Any, compressed: bool = False) -> bytes:
    from cryptography.hazmat.primitives import serialization

    if compressed:  # the same key with a compressed point: not the fixed layout, read by cryptography's parser
        from asn1crypto import keys as asn1_keys

        info = asn1_keys.PublicKeyInfo.load(key.public_bytes(serialization.Encoding.DER,
                                                             serialization.PublicFormat.SubjectPublicKeyInfo))
        point = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
        return bytes(asn1_keys.PublicKeyInfo({"algorithm": info["algorithm"], "public_key": point}).dump())
    return bytes(key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def _read_both(spki: bytes) -> tuple[Any, Any]:
    """(what ``cms_check.public_key`` gives, what cryptography's DER parser gives): a key's encoding, or "refused"."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    from models.signing.cms_check import CmsStructureError, public_key

    def encoded(read: Any, refused: tuple[type[Exception], ...]) -> Any:
        try:
            key = read(spki)
        except refused:
            return "refused"
        return type(key).__mro__[1].__name__, key.public_bytes(serialization.Encoding.DER,
                                                                serialization.PublicFormat.SubjectPublicKeyInfo)

    return (encoded(public_key, (CmsStructureError,)),
            encoded(serialization.load_der_public_key, (ValueError, UnsupportedAlgorithm)))


@settings(max_examples=150, deadline=None)
@given(curve=st.sampled_from(["SECP256R1", "SECP384R1", "SECP521R1", "SECP256K1", "ed25519", "rsa"]),
       compressed=st.booleans(), position=st.integers(min_value=0), flip=st.integers(min_value=0, max_value=255),
       cut=st.integers(min_value=-3, max_value=3))
def test_a_certificates_public_key_is_read_as_cryptography_reads_it(curve: str, compressed: bool, position: int,
                                                                    flip: int, cut: int) -> None:
    """A key on a named NIST curve is built from its point; any key, or any bytes, gives the same key, or the same
    refusal, as cryptography's own DER parser: changed bytes (a point off its curve, another curve's OID, a wrong
    length), a compressed point, a cut or padded field, other kinds of key."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    if curve == "ed25519":
        key: Any = ed25519.Ed25519PrivateKey.generate().public_key()
    elif curve == "rsa":
        key = _rsa_key().public_key()
    else:
        key = ec.generate_private_key(getattr(ec, curve)()).public_key()
    spki = bytearray(_spki_of(key, compressed and curve.startswith("SECP")))
    intact = bytes(spki)
    if flip:
        spki[position % len(spki)] ^= flip
    spki = spki[:len(spki) + cut] if cut < 0 else spki + bytes(cut)
    ours, theirs = _read_both(bytes(spki))
    assert ours == theirs
    if not flip and not cut:  # a sound key is read (re-encoded as cryptography writes it: its point uncompressed)
        assert ours != "refused" and (ours[1] == intact or compressed)


@pytest.mark.parametrize("form", [0x00, 0x02, 0x03, 0x05, 0x06, 0x07])
def test_a_point_of_another_form_is_left_to_cryptography(form: int) -> None:
    """A point whose first byte says another form (compressed, hybrid, infinity …) at the uncompressed point's length
    is read, or refused, by cryptography's parser, as before: OpenSSL accepts the hybrid form, for one."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from models.signing.cms_check import _EC_SPKI

    for curve, head, _size in _EC_SPKI:
        spki = bytearray(_spki_of(ec.generate_private_key(getattr(ec, curve)()).public_key()))
        y_odd = spki[-1] & 1
        spki[len(head)] = form | (y_odd if form in (0x06, 0x07) else 0)  # a hybrid point names the parity of y
        ours, theirs = _read_both(bytes(spki))
        assert ours == theirs, (curve, form)


def test_the_fixed_layouts_are_those_cryptography_writes() -> None:
    """Each curve's layout (the DER up to the point) is what cryptography writes for a key on it, and the point
    after it is the key's uncompressed point; without the fast reading a verification would still pass, slower."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from models.signing.cms_check import _EC_SPKI

    for curve, head, size in _EC_SPKI:
        key = ec.generate_private_key(getattr(ec, curve)()).public_key()
        spki = _spki_of(key)
        assert spki[:len(head)] == head and len(spki) == len(head) + size
        assert spki[len(head):] == key.public_bytes(serialization.Encoding.X962,
                                                     serialization.PublicFormat.UncompressedPoint)


@functools.cache
def _rsa_key() -> Any:
    """One RSA key for the module's tests (generating one takes a while)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
