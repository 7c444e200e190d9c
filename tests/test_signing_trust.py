"""Signing and verifying canonical bytes, and the registry of subordinate certificates."""

from __future__ import annotations

from pathlib import Path

import pytest
from signing_support import OTHER_PASSPHRASE, PASSPHRASE, make_key, other_unit_store, setup_unit

from models.db import Store, open_store
from models.signing import MALFORMED, TAMPERED, UNREGISTERED, UNSIGNED, VALID, SigningError, payload, trust
from models.signing.provider import FileKeySigner

DATA = b'{"unit":{"code":"530822"},"tables":{"t1":{"total":{"count":105}}}}'


@pytest.fixture
def prefecture(tmp_path: Path) -> Store:
    """普洱市总工会 (530800), the superior of 宁洱 and 墨江, with its own key."""
    store = open_store(tmp_path / "普洱市")
    setup_unit(store, "530800")
    make_key(store)
    return store


@pytest.fixture
def county(tmp_path: Path) -> Store:
    """墨江县总工会 (530822) with its key."""
    return other_unit_store(tmp_path / "墨江县", "530822")


def county_cert(county: Store) -> bytes:
    from models.signing.keys import active_key

    key = active_key(county)
    assert key is not None
    return key.cert_pem.encode("ascii")


def county_signature(county: Store, data: bytes = DATA) -> bytes:
    return payload.sign_payload(FileKeySigner.open(county, OTHER_PASSPHRASE), data)


def test_signature_is_detached_cms_with_the_certificate(county: Store) -> None:
    from asn1crypto import cms

    signature = county_signature(county)
    info = cms.ContentInfo.load(signature)
    assert info["content_type"].native == "signed_data"
    signed = info["content"]
    assert signed["encap_content_info"]["content"].native is None  # detached
    assert len(signed["certificates"]) == 1
    assert signed["signer_infos"][0]["digest_algorithm"]["algorithm"].native == "sha256"
    assert signed["signer_infos"][0]["signature_algorithm"].signature_algo == "ecdsa"


def test_statuses_of_a_payload(prefecture: Store, county: Store) -> None:
    signature = county_signature(county)
    # the county verifies its own signature: its own certificate counts as registered
    own = payload.verify_payload(DATA, signature, store=county, unit_code="530822")
    assert own.status == VALID and own.signer_code == "530822" and own.signed_at
    # the prefecture has not registered the county yet
    before = payload.verify_payload(DATA, signature, store=prefecture, unit_code="530822")
    assert before.status == UNREGISTERED and "未在本单位登记" in before.reason
    assert before.fingerprint == own.fingerprint
    trust.register(prefecture, county_cert(county))
    after = payload.verify_payload(DATA, signature, store=prefecture, unit_code="530822")
    assert after.status == VALID and after.label == "验证通过"
    # a single changed byte of the data
    changed = payload.verify_payload(DATA.replace(b"105", b"106"), signature, store=prefecture, unit_code="530822")
    assert changed.status == TAMPERED and "修改" in changed.reason
    # claiming to be another unit
    other = payload.verify_payload(DATA, signature, store=prefecture, unit_code="530821")
    assert other.status == UNREGISTERED and "530822" in other.reason
    assert payload.verify_payload(DATA, None, store=prefecture, unit_code="530822").status == UNSIGNED
    assert payload.verify_payload(DATA, b"not a signature", store=prefecture, unit_code="530822").status == MALFORMED
    assert payload.verify_payload(DATA, signature[:200], store=prefecture, unit_code="530822").status == MALFORMED


def test_a_flipped_bit_in_the_signature_value_is_tampering(county: Store) -> None:
    signature = bytearray(county_signature(county))
    signature[-8] ^= 0x01  # inside the ECDSA signature value at the end of the SignerInfo
    verdict = payload.verify_payload(DATA, bytes(signature), store=county, unit_code="530822")
    assert verdict.status in (TAMPERED, MALFORMED)
    assert verdict.status != VALID


def test_two_signatures_of_the_same_data_verify_identically(county: Store) -> None:
    first, second = county_signature(county), county_signature(county)
    a = payload.verify_payload(DATA, first, store=county, unit_code="530822")
    b = payload.verify_payload(DATA, second, store=county, unit_code="530822")
    assert (a.status, a.fingerprint, a.reason) == (b.status, b.fingerprint, b.reason)


def test_chunks_survive_spreadsheet_whitespace(county: Store) -> None:
    signature = county_signature(county)
    chunks = payload.encode_chunks(signature, size=100)
    assert len(chunks) > 5 and all(len(c) <= 100 for c in chunks)
    messy = [f" {c[:50]}\n{c[50:]} " for c in chunks]
    assert payload.decode_chunks(messy) == signature
    with pytest.raises(ValueError, match="base64"):
        payload.decode_chunks(["不是base64"])


def test_registration_checks_the_fingerprint_from_paper(prefecture: Store, county: Store) -> None:
    from models.signing.keys import active_key

    fingerprint = active_key(county).fingerprint  # type: ignore[union-attr]
    wrong = ("0" if fingerprint[0] != "0" else "1") + fingerprint[1:]
    with pytest.raises(SigningError, match="指纹与登记表上的指纹不一致"):
        trust.register(prefecture, county_cert(county), expected_fingerprint=wrong)
    assert trust.registrations(prefecture) == []
    typed = " ".join(fingerprint[i:i + 4].lower() for i in range(0, 64, 4))  # as typed from the paper
    registration = trust.register(prefecture, county_cert(county), expected_fingerprint=typed)
    assert registration.unit_code == "530822" and registration.unit_name == "墨江哈尼族自治县总工会"
    assert registration.state == "active" and registration.state_label == "有效"
    with pytest.raises(SigningError, match="无需重复登记"):
        trust.register(prefecture, county_cert(county))


def test_own_certificate_is_not_registered(prefecture: Store) -> None:
    from models.signing.keys import active_key

    with pytest.raises(SigningError, match="本单位自己的证书"):
        trust.register(prefecture, active_key(prefecture).cert_pem.encode())  # type: ignore[union-attr]


def test_new_key_of_a_subordinate_needs_replace_and_old_returns_still_verify(prefecture: Store,
                                                                               county: Store) -> None:
    from models.signing import keys

    old_signature = county_signature(county)
    trust.register(prefecture, county_cert(county))
    keys.create_key(county, "lost-and-new-1", "lost-and-new-1")  # the county forgot its passphrase
    with pytest.raises(SigningError, match="替换"):
        trust.register(prefecture, county_cert(county))
    new = trust.register(prefecture, county_cert(county), replace=True)
    states = {r.fingerprint: r.state for r in trust.registrations(prefecture)}
    assert states[new.fingerprint] == "active" and sorted(states.values()) == ["active", "replaced"]
    assert payload.verify_payload(DATA, old_signature, store=prefecture, unit_code="530822").status == VALID
    new_signature = payload.sign_payload(FileKeySigner.open(county, "lost-and-new-1"), DATA)
    assert payload.verify_payload(DATA, new_signature, store=prefecture, unit_code="530822").status == VALID
    assert len(trust.registrations(prefecture, include_inactive=False)) == 1


def test_revoked_certificate_is_no_longer_registered(prefecture: Store, county: Store) -> None:
    signature = county_signature(county)
    trust.register(prefecture, county_cert(county))
    revoked = trust.revoke(prefecture, unit_code="530822", reason="密钥泄露")
    assert [r.state for r in revoked] == ["revoked"]
    verdict = payload.verify_payload(DATA, signature, store=prefecture, unit_code="530822")
    assert verdict.status == UNREGISTERED and "撤销" in verdict.reason and "密钥泄露" in verdict.reason
    with pytest.raises(SigningError, match="被撤销，不能再次登记"):
        trust.register(prefecture, county_cert(county))
    with pytest.raises(SigningError, match="没有有效的登记证书"):
        trust.revoke(prefecture, unit_code="530822")


def test_certificate_registered_for_another_unit(prefecture: Store, county: Store) -> None:
    signature = county_signature(county)
    trust.register(prefecture, county_cert(county))
    verdict = payload.verify_payload(DATA, signature, store=prefecture, unit_code="530821")
    assert verdict.status == UNREGISTERED and "530822" in verdict.reason and "530821" in verdict.reason


def test_certificate_files_are_checked(prefecture: Store, county: Store, tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from models.signing.keys import active_key, build_certificate, certificate_der

    # DER works as well as PEM
    der = certificate_der(active_key(county).certificate())  # type: ignore[union-attr]
    path = tmp_path / "墨江.cer"
    path.write_bytes(der)
    assert trust.read_certificate(path).unit_code == "530822"
    with pytest.raises(SigningError, match="无法读取证书文件"):
        trust.read_certificate(tmp_path / "missing.cer")
    # a certificate naming no unit code
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "某公司")])
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    plain = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
             .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=9))
             .sign(key, hashes.SHA256()))
    with pytest.raises(SigningError, match="没有单位代码"):
        trust.read_certificate(certificate_der(plain))
    # a certificate whose content was edited (its self-signature no longer matches)
    forged = build_certificate(ec.generate_private_key(ec.SECP256R1()), "530822", "墨江哈尼族自治县总工会")
    forged_der = bytearray(certificate_der(forged))
    index = forged_der.find("墨江".encode())
    forged_der[index:index + 6] = "普洱".encode()
    with pytest.raises(SigningError, match="自签名无效"):
        trust.read_certificate(bytes(forged_der))


def test_subordinate_warning(prefecture: Store) -> None:
    assert trust.subordinate_warning(prefecture, "530822") is None  # 墨江 reports to 普洱
    assert "不是本单位的直接下级" in (trust.subordinate_warning(prefecture, "530102") or "")  # a Kunming district
    assert "不是云南省的行政区划代码" in (trust.subordinate_warning(prefecture, "91530000MA6K1234Y9") or "")


def test_own_retired_key_still_verifies_own_returns(county_store: Store) -> None:
    from models.signing import keys

    make_key(county_store)
    old = payload.sign_payload(FileKeySigner.open(county_store, PASSPHRASE), DATA)
    keys.create_key(county_store, "second-key-pass", "second-key-pass")
    verdict = payload.verify_payload(DATA, old, store=county_store, unit_code="530821")
    assert verdict.status == VALID and "旧证书" in verdict.reason
