"""The program's own CMS signatures (models.signing.cms_sign) are what pyHanko's signer made before: the same signed
attributes byte for byte, the same structure around them; pyHanko's validators and the program's check accept them."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.db import open_store
from models.signing import cms_sign
from models.signing.provider import FileKeySigner
from tests.signing_support import PASSPHRASE, make_key, setup_unit


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FileKeySigner]:
    folder: Path = tmp_path_factory.mktemp("宁洱 密钥")
    store = open_store(folder)
    setup_unit(store, "530821")
    make_key(store)
    try:
        yield FileKeySigner.open(store, PASSPHRASE)
    finally:
        store.close()


def _pyhanko_signer(signer: FileKeySigner) -> Any:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = signer._private_key
    return SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(signer.certificate.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore())


def _signer_info(signature: bytes) -> Any:
    info = cms.ContentInfo.load(signature)
    assert info["content_type"].native == "signed_data"
    return info["content"]


def _same_structure(ours: Any, theirs: Any) -> None:
    """Everything but the signature value (ECDSA is randomised) is the same DER."""
    for field in ("version", "digest_algorithms", "encap_content_info", "certificates"):
        assert ours[field].dump() == theirs[field].dump(), field
    (mine,), (other,) = ours["signer_infos"], theirs["signer_infos"]
    for field in ("version", "sid", "digest_algorithm", "signed_attrs", "signature_algorithm", "unsigned_attrs"):
        assert mine[field].dump() == other[field].dump(), field


def test_general_data_signature_is_what_pyhanko_made(signer: FileKeySigner) -> None:
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    data = "本单位的报表数据 530821 2025 v1".encode() * 50
    when = dt.datetime(2026, 3, 1, 9, 30, 5, tzinfo=dt.UTC)
    theirs = asyncio.run(_pyhanko_signer(signer).async_sign_general_data(
        data, "sha256", detached=True, signed_attr_settings=PdfCMSSignedAttributes(signing_time=when)))
    ours = cms_sign.sign_data(data, signer.certificate_der, signer._private_key, when)
    _same_structure(_signer_info(ours), theirs["content"])
    # and the signed attributes sit where pyHanko's did: the bytes up to the signature value are the same
    assert ours.index(_signer_info(ours)["signer_infos"][0]["signed_attrs"].contents) == \
        theirs.dump().index(theirs["content"]["signer_infos"][0]["signed_attrs"].contents)


def test_pdf_signature_is_what_pyhanko_made_for_pades(signer: FileKeySigner) -> None:
    """PAdES: content type, message digest and signing certificate v2, no signing time (it is in /M)."""
    digest = hashlib.sha256(b"the byte ranges of a PDF").digest()
    theirs = asyncio.run(_pyhanko_signer(signer).async_sign(digest, "sha256", use_pades=True))
    ours = _signer_info(signer.sign_pdf_digest(digest))
    _same_structure(ours, theirs["content"])
    types = [a["type"].native for a in ours["signer_infos"][0]["signed_attrs"]]
    assert sorted(types) == ["content_type", "message_digest", "signing_certificate_v2"]


def test_a_signing_time_is_kept_to_the_second_in_utc(signer: FileKeySigner) -> None:
    local = dt.datetime(2026, 3, 1, 17, 30, 5, 999_000, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    signed_attrs = _signer_info(cms_sign.sign_data(b"x", signer.certificate_der, signer._private_key, local))
    (when,) = [a["values"][0].native for a in signed_attrs["signer_infos"][0]["signed_attrs"]
               if a["type"].native == "signing_time"]
    assert when == dt.datetime(2026, 3, 1, 9, 30, 5, tzinfo=dt.UTC)


def test_a_wrong_digest_length_is_refused(signer: FileKeySigner) -> None:
    from models.signing.common import SigningError

    with pytest.raises(SigningError, match="摘要长度不对"):
        signer.sign_pdf_digest(b"short")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=5000))
def test_every_signature_passes_both_checks(signer: FileKeySigner, data: bytes) -> None:
    """Any data: the program's check and pyHanko's validator both find the signature intact and valid, and a changed
    byte of the data fails both."""
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko_certvalidator import ValidationContext

    from models.signing.cms_check import check_detached

    signature = signer.sign(data)
    signed_data = _signer_info(signature)
    cert = signed_data["certificates"][0].chosen
    ours = check_detached(data, signed_data, cert)
    assert ours.intact and ours.valid and not ours.algorithm_problem
    status = asyncio.run(async_validate_detached_cms(
        data, signed_data, signer_validation_context=ValidationContext(trust_roots=[cert], allow_fetching=False)))
    assert status.intact and status.valid and status.trusted
    changed = bytes([data[0] ^ 1]) + data[1:] if data else b"\x00"
    assert not check_detached(changed, signed_data, cert).intact
