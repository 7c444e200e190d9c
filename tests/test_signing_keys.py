"""The unit's key pair, certificate and key history (models.signing.keys, provider)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from signing_support import PASSPHRASE, make_key

from models.db import Store
from models.signing import SigningError, keys, trust
from models.signing.provider import FileKeySigner, Signer


def test_create_key_makes_a_p256_certificate_naming_the_unit(county_store: Store) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = make_key(county_store)
    cert = key.certificate()
    subject = cert.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "宁洱哈尼族彝族自治县总工会"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "宁洱哈尼族彝族自治县总工会"
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "530821"
    assert cert.issuer == cert.subject
    public_key = cert.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey) and public_key.curve.name == "secp256r1"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    years = (cert.not_valid_after_utc - dt.datetime.now(dt.UTC)).days / 365.25
    assert 19.5 < years < 20.5
    assert cert.not_valid_before_utc < dt.datetime.now(dt.UTC) - dt.timedelta(days=7)  # slack for slow clocks
    assert key.fingerprint == keys.fingerprint(cert) and len(key.fingerprint) == 64
    assert key.grouped.count(" ") == 15


def test_private_key_is_stored_encrypted_only(county_store: Store, data_dir: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    key = make_key(county_store)
    files = sorted((data_dir / "keys").iterdir())
    assert [f.name for f in files] == [key.key_file]
    pem = files[0].read_bytes()
    assert pem.startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----")
    assert b"BEGIN PRIVATE KEY" not in pem and b"BEGIN EC PRIVATE KEY" not in pem
    with pytest.raises(TypeError):  # encrypted: unusable without the passphrase
        serialization.load_ssh_private_key(pem, None)
    with pytest.raises(ValueError):
        serialization.load_ssh_private_key(pem, b"not-the-passphrase")
    loaded = serialization.load_ssh_private_key(pem, PASSPHRASE.encode("utf-8"))
    assert loaded.public_key().public_numbers() == key.certificate().public_key().public_numbers()
    # the store holds only the certificate
    dump = "\n".join(county_store.conn.iterdump())
    assert "PRIVATE KEY" not in dump


def kdf_rounds(pem: bytes) -> int:
    """The bcrypt-pbkdf rounds written in an OpenSSH private-key file."""
    import base64
    import struct

    body = b"".join(line for line in pem.splitlines() if not line.startswith(b"-----"))
    data = base64.b64decode(body)
    assert data.startswith(b"openssh-key-v1\0")
    at = len(b"openssh-key-v1\0")
    fields = []
    for _ in range(3):  # cipher name, KDF name, KDF options
        (size,) = struct.unpack(">I", data[at:at + 4])
        fields.append(data[at + 4:at + 4 + size])
        at += 4 + size
    assert fields[:2] == [b"aes256-ctr", b"bcrypt"]
    options = fields[2]
    (salt_size,) = struct.unpack(">I", options[:4])
    (rounds,) = struct.unpack(">I", options[4 + salt_size:8 + salt_size])
    return int(rounds)


@pytest.mark.real_kdf
def test_the_key_file_has_opensshs_bcrypt_rounds(county_store: Store, data_dir: Path) -> None:
    """The program's own work factor (the other tests use one round to save 0.3 s per key: see conftest)."""
    key = make_key(county_store)
    assert kdf_rounds((data_dir / "keys" / key.key_file).read_bytes()) == keys.KDF_ROUNDS == 16
    assert FileKeySigner.open(county_store, PASSPHRASE).fingerprint == key.fingerprint


@pytest.mark.parametrize(("first", "second", "message"), [
    ("short1", "short1", "至少需要 8 个字符"),
    ("long-enough-1", "long-enough-2", "两次输入的口令不一致"),
    ("", "", "至少需要 8 个字符"),
])
def test_bad_passphrases_are_refused_and_nothing_is_written(county_store: Store, data_dir: Path, first: str,
                                                            second: str, message: str) -> None:
    with pytest.raises(SigningError, match=message):
        keys.create_key(county_store, first, second)
    assert not (data_dir / "keys").exists() or not any((data_dir / "keys").iterdir())
    assert keys.own_keys(county_store) == []


def test_a_unit_must_be_set_up_first(store: Store) -> None:
    with pytest.raises(SigningError, match="尚未设置本单位"):
        keys.create_key(store, PASSPHRASE, PASSPHRASE)


def test_wrong_passphrase_is_a_clear_chinese_error(county_store: Store) -> None:
    make_key(county_store)
    with pytest.raises(SigningError, match="口令不正确"):
        FileKeySigner.open(county_store, "not-the-passphrase")
    with pytest.raises(SigningError, match="请输入签名口令"):
        FileKeySigner.open(county_store, "")
    signer = FileKeySigner.open(county_store, PASSPHRASE)
    assert isinstance(signer, Signer)
    assert signer.fingerprint == keys.active_key(county_store).fingerprint  # type: ignore[union-attr]


def test_full_width_passphrase_equals_half_width(county_store: Store) -> None:
    keys.create_key(county_store, "ＮｉｕＧｕ-７３-ｐｉｎｇ", "NiuGu-73-ping")
    FileKeySigner.open(county_store, "NiuGu-73-ping")
    FileKeySigner.open(county_store, "ＮｉｕＧｕ-７３-ｐｉｎｇ")


def test_no_key_yet(county_store: Store) -> None:
    assert keys.active_key(county_store) is None
    with pytest.raises(SigningError, match="尚未创建签名密钥"):
        FileKeySigner.open(county_store, PASSPHRASE)


def test_lost_key_file_explains_the_way_out(county_store: Store, data_dir: Path) -> None:
    key = make_key(county_store)
    (data_dir / "keys" / key.key_file).unlink()
    with pytest.raises(SigningError, match="创建新密钥"):
        FileKeySigner.open(county_store, PASSPHRASE)


def test_damaged_key_file(county_store: Store, data_dir: Path) -> None:
    key = make_key(county_store)
    (data_dir / "keys" / key.key_file).write_bytes(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END")
    with pytest.raises(SigningError, match=r"已损坏|口令不正确"):
        FileKeySigner.open(county_store, PASSPHRASE)


def test_a_certificate_altered_in_the_data_file_is_refused(county_store: Store, tmp_path: Path) -> None:
    """The key record's certificate must be the one its fingerprint names, and be readable at all."""
    from signing_support import other_unit_store

    make_key(county_store)
    other = other_unit_store(tmp_path / "墨江")
    other_pem = keys.active_key(other).cert_pem  # type: ignore[union-attr]
    other.close()
    for pem in (other_pem, "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n", "",
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"):
        with county_store.atomic():
            saved = county_store.scalar("SELECT cert_pem FROM own_keys WHERE retired_at IS NULL")
            county_store.conn.execute("UPDATE own_keys SET cert_pem = ? WHERE retired_at IS NULL", (pem,))
        try:
            with pytest.raises(SigningError, match="证书已被改动"):
                FileKeySigner.open(county_store, PASSPHRASE)
        finally:
            with county_store.atomic():
                county_store.conn.execute("UPDATE own_keys SET cert_pem = ? WHERE retired_at IS NULL", (saved,))
    assert FileKeySigner.open(county_store, PASSPHRASE).fingerprint == keys.active_key(county_store).fingerprint  # type: ignore[union-attr]


def test_a_key_file_that_is_not_the_certificates_is_refused(county_store: Store, data_dir: Path,
                                                             tmp_path: Path) -> None:
    """Another unit's key file under the same passphrase, put in place of this unit's: it opens, but does not
    belong to the certificate."""
    from signing_support import OTHER_PASSPHRASE, other_unit_store

    key = make_key(county_store, OTHER_PASSPHRASE)
    other = other_unit_store(tmp_path / "墨江")
    other_key = keys.active_key(other)
    assert other_key is not None
    (data_dir / "keys" / key.key_file).write_bytes((keys.keys_dir(other) / other_key.key_file).read_bytes())
    other.close()
    with pytest.raises(SigningError, match="与本单位证书不匹配"):
        FileKeySigner.open(county_store, OTHER_PASSPHRASE)


def test_the_signer_holds_the_certificate_as_stored(county_store: Store) -> None:
    """The file key keeps the certificate's DER bytes (read from its PEM text without cryptography's x509 module)
    and makes the certificate object only when asked: both are the stored certificate."""
    from cryptography.hazmat.primitives import serialization

    key = make_key(county_store)
    signer = FileKeySigner.open(county_store, PASSPHRASE)
    assert signer.certificate_der == key.certificate().public_bytes(serialization.Encoding.DER)
    assert signer.certificate == key.certificate()
    assert keys.der_of_pem(key.cert_pem.replace("\n", "\r\n")) == signer.certificate_der  # as Windows may keep it
    with pytest.raises(SigningError, match="不是有效的证书"):
        keys.der_of_pem("AAAA")


def test_a_new_key_retires_the_old_one_which_still_counts_as_own(county_store: Store) -> None:
    first = make_key(county_store)
    second = keys.create_key(county_store, "new-passphrase-2", "new-passphrase-2")
    history = keys.own_keys(county_store)
    assert [k.fingerprint for k in history] == [second.fingerprint, first.fingerprint]
    assert history[0].active and not history[1].active and history[1].retired_at
    assert keys.active_key(county_store).fingerprint == second.fingerprint  # type: ignore[union-attr]
    assert trust.lookup(county_store, first.fingerprint, "530821").registered
    assert trust.lookup(county_store, second.fingerprint, "530821").registered
    assert not trust.lookup(county_store, first.fingerprint, "530822").registered
    with pytest.raises(SigningError, match="口令不正确"):
        FileKeySigner.open(county_store, PASSPHRASE)
    FileKeySigner.open(county_store, "new-passphrase-2")


def test_changing_the_unit_code_needs_a_new_key(county_store: Store) -> None:
    from models import unit

    make_key(county_store)
    unit.setup(county_store, code="530822")
    assert keys.active_key(county_store) is None


def test_certificate_files_in_pem_and_der(county_store: Store) -> None:
    key = make_key(county_store)
    cert = key.certificate()
    assert keys.fingerprint(keys.load_certificate(key.cert_pem.encode())) == key.fingerprint
    assert keys.fingerprint(keys.load_certificate(keys.certificate_der(cert))) == key.fingerprint
    with pytest.raises(SigningError, match="不是有效的证书文件"):
        keys.load_certificate(b"hello")


@pytest.mark.parametrize(("text", "score"), [
    ("abc", 0), ("aaaaaaaa", 1), ("abcdefgh", 1), ("abcd1234", 1), ("12345678", 1), ("password", 1), ("Aa123456!", 1),
    ("abc-Def-1234", 2), ("Abcd-1234-xyz", 3), ("tea-Horse-road-58", 3),
])
def test_passphrase_strength(text: str, score: int) -> None:
    assert keys.passphrase_strength(text)[0] == score


@pytest.mark.parametrize(("text", "why"), [
    ("12345678", "最常见的 10 个口令"), ("password", "最常见的 10 个口令"), ("qwertyuiop", "最常见的 100 个口令"),
    ("宁洱县总工会2026", "单位名称"), ("ningerxian530821", "单位名称"), ("nex-2026-总工会", "单位名称"),
    ("李国华-王丽-2025", "人名"), ("Aa123456!", "常见口令"),
])
def test_weak_passphrases_are_refused_with_a_chinese_reason(county_store: Store, text: str, why: str) -> None:
    with pytest.raises(SigningError, match="口令太容易被猜到") as caught:
        keys.create_key(county_store, text, text)
    assert why in str(caught.value)
    assert keys.own_keys(county_store) == []


@pytest.mark.parametrize("text", ["宁洱-Return-2026", "宁洱的茶马古道-73", "NiuGu-73-ping", "correct horse battery"])
def test_reasonable_passphrases_are_accepted(county_store: Store, text: str) -> None:
    assert keys.create_key(county_store, text, text).active


def test_strength_feedback_is_always_chinese() -> None:
    import re

    for text in ("aaaaaaaaaa", "abcabcabcabc", "qwertyuiop", "1qaz2wsx", "2019-05-06", "Password1", "drowssap1",
                 "P@ssw0rd", "zhangwei88", "abcdefghij"):
        strength = keys.estimate_strength(text)
        advice = re.sub(r"“[^”]*”", "", strength.advice())  # quoted examples such as “abc” may be Latin
        assert not re.search(r"[A-Za-z]{4,}", advice), (text, strength.advice())


def test_a_pluggable_signer_needs_no_file_key(county_store: Store, tmp_path: Path) -> None:
    """Export code sees only the Signer protocol: a different provider plugs in unchanged."""
    from models.signing import payload

    class DeviceSigner:
        """Stands in for a hardware seal: holds its key elsewhere, exposes the same four members."""

        def __init__(self, inner: FileKeySigner) -> None:
            self._inner = inner

        @property
        def certificate(self):  # type: ignore[no-untyped-def]
            return self._inner.certificate

        @property
        def fingerprint(self) -> str:
            return self._inner.fingerprint

        def sign(self, data: bytes) -> bytes:
            return self._inner.sign(data)

        def sign_pdf_digest(self, digest: bytes) -> bytes:
            return self._inner.sign_pdf_digest(digest)

    make_key(county_store)
    device = DeviceSigner(FileKeySigner.open(county_store, PASSPHRASE))
    assert isinstance(device, Signer)
    signature = payload.sign_payload(device, b"canonical")
    assert payload.verify_payload(b"canonical", signature, store=county_store, unit_code="530821").ok
