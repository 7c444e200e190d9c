"""The unit's own key pair and certificate.

- Key: ECDSA on NIST P-256 (SHA-256). Ed25519 is not used: poppler does not recognise Ed25519 PDF signatures.
- Certificate: X.509 v3, self-signed, subject ``CN=<unit name>, O=<unit name>, serialNumber=<unit code>, C=CN``,
  valid from 30 days before creation (offline PCs' clocks drift) for 20 years, keyUsage digitalSignature +
  nonRepudiation, not a CA. Trust does not come from an issuer but from the superior unit registering the
  certificate's fingerprint after comparing it with the stamped 公钥登记表.
- Private key: OpenSSH private-key format encrypted with aes256-ctr under a key derived by bcrypt-pbkdf
  (``KDF_ROUNDS`` rounds, ~0.1 s per try) in the data folder's ``keys/``, written atomically; never written
  unencrypted. PKCS#8 and PKCS#12 were not used: cryptography derives their keys (or MAC keys) with only
  2,048 PBKDF2 iterations, which makes guessing a stolen file's passphrase fast.
- History: table ``own_keys``; creating a new key retires the current one. A retired certificate still
  counts as the unit's own, so returns signed with it keep verifying.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from common.atomic_file import os_reason
from models.db import Store, now
from models.signing.common import MIN_PASSPHRASE_LENGTH, SigningError, fingerprint_of_der, group_hex

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

KEYS_FOLDER = "keys"
VALIDITY_YEARS = 20
CLOCK_SLACK_DAYS = 30
_NAME_LIMIT = 64  # X.520 upper bound for commonName / organizationName


@dataclasses.dataclass(frozen=True)
class CertInfo:
    """What a certificate says about its unit, plus its fingerprint."""

    fingerprint: str
    unit_code: str
    unit_name: str
    not_before: str  # ISO date
    not_after: str
    pem: str

    @property
    def grouped(self) -> str:
        return group_hex(self.fingerprint)


@dataclasses.dataclass(frozen=True)
class OwnKey:
    """One row of the key history."""

    fingerprint: str
    unit_code: str
    unit_name: str
    cert_pem: str
    key_file: str
    created_at: str
    retired_at: str | None

    @property
    def active(self) -> bool:
        return self.retired_at is None

    @property
    def grouped(self) -> str:
        return group_hex(self.fingerprint)

    def certificate(self) -> x509.Certificate:
        return load_certificate(self.cert_pem.encode("ascii"))

    def certificate_der(self) -> bytes:
        """The certificate's DER bytes, read from its PEM text without parsing it (SigningError if unreadable)."""
        return der_of_pem(self.cert_pem)


# --- passphrases -----------------------------------------------------------------------------------------

KDF_ROUNDS = 16  # bcrypt-pbkdf rounds (OpenSSH's default): about 0.1 s to open the key


def normalise_passphrase(passphrase: str) -> str:
    """NFKC, so a passphrase typed with a full-width input method equals the same one typed half-width."""
    return unicodedata.normalize("NFKC", passphrase or "")


MIN_SCORE = 3  # zxcvbn's score (0–4): 3 means about 10^8 guesses or more, even knowing the unit's names

_FEEDBACK = {
    "This is a top-10 common password.": "这是最常见的 10 个口令之一",
    "This is a top-100 common password.": "这是最常见的 100 个口令之一",
    "This is a very common password.": "这是非常常见的口令",
    "This is similar to a commonly used password.": "与常见口令很相似",
    "A word by itself is easy to guess.": "单独一个词很容易被猜到",
    "Names and surnames by themselves are easy to guess.": "单独的姓名或单位名称很容易被猜到",
    "Common names and surnames are easy to guess.": "常见的姓名、单位名称很容易被猜到",
    "Straight rows of keys are easy to guess.": "键盘上连续的一排键很容易被猜到",
    "Short keyboard patterns are easy to guess.": "键盘上的简单图形很容易被猜到",
    'Repeats like "aaa" are easy to guess.': "“aaa”这样的重复很容易被猜到",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': "“abcabc”这样的重复并不比“abc”难猜多少",
    'Sequences like "abc" or "6543" are easy to guess.': "“abc”“6543”这样的顺序很容易被猜到",
    "Recent years are easy to guess.": "最近的年份很容易被猜到",
    "Dates are often easy to guess.": "日期很容易被猜到",
    "Add another word or two. Uncommon words are better.": "再加一两个词，不常用的词更好",
    "Use a few words, avoid common phrases.": "用几个词组成，避免常见的说法",
    "No need for symbols, digits, or uppercase letters.": "不一定需要符号或大写字母，长一些更重要",
    "Use a longer keyboard pattern with more turns.": "不要用键盘上的图形",
    "Avoid repeated words and characters.": "避免重复的字和词",
    "Avoid sequences.": "避免顺序排列的字母和数字",
    "Avoid recent years.": "避免使用最近的年份",
    "Avoid years that are associated with you.": "避免使用与本单位、本人有关的年份",
    "Avoid dates and years that are associated with you.": "避免使用与本单位、本人有关的日期和年份",
    "Capitalization doesn't help very much.": "只把字母改成大写帮助不大",
    "All-uppercase is almost as easy to guess as all-lowercase.": "全部大写和全部小写一样容易被猜到",
    "Reversed words aren't much harder to guess.": "把词倒过来写并不难猜",
    "Predictable substitutions like '@' instead of 'a' don't help very much.": "用“@”代替“a”这样的替换帮助不大",
}
_COMMON_WORDS = ("总工会", "工会", "产改", "产业工人", "统计", "统计表", "报表", "云南", "云南省", "yunnan", "changai",
                 "gonghui", "zonggonghui", "tongji", "mima", "口令", "密码", "签名", "密钥")


def passphrase_hints(store: Store | None) -> list[str]:
    """Words an attacker would try first: this unit's and its superior's names (Chinese and pinyin), its code,
    the people named on the cover, and the program's own vocabulary."""
    from common import pinyin
    from forms import divisions
    from models import unit

    words: list[str] = list(_COMMON_WORDS)
    current = unit.load(store) if store is not None else None
    if current is None:
        return words
    names = [current.name, current.head, current.statistician, current.preparer]
    for code in (current.code, current.parent_code or ""):
        division = divisions.get(code)
        if division is not None:
            names += [division.union_name, division.name, division.short_name, division.short_name.rstrip("县市区州")]
    words += [current.code, current.parent_code or ""]
    for name in names:
        if name:
            words += [name, pinyin.full(name), pinyin.initials(name)]
    return [w for w in dict.fromkeys(words) if w]


@dataclasses.dataclass(frozen=True)
class Strength:
    score: int  # zxcvbn 0–4
    warning: str  # Chinese, may be empty
    suggestions: tuple[str, ...]  # Chinese

    @property
    def acceptable(self) -> bool:
        return self.score >= MIN_SCORE

    def advice(self) -> str:
        parts = [p for p in (self.warning, *self.suggestions) if p]
        return "；".join(dict.fromkeys(parts)) or "请用几个不相关的词、数字和符号组成更长的口令"


def estimate_strength(passphrase: str, hints: list[str] | None = None) -> Strength:
    """zxcvbn's estimate (offline, its own word lists) with Chinese feedback; ``hints`` are words to penalise."""
    from zxcvbn import zxcvbn

    text = normalise_passphrase(passphrase)[:100]  # zxcvbn's cost grows with length; 100 characters is plenty
    if not text:
        return Strength(0, "", ())
    result = zxcvbn(text, user_inputs=hints or [])
    feedback = result.get("feedback") or {}
    warning = _FEEDBACK.get(str(feedback.get("warning") or ""), "容易被猜到" if feedback.get("warning") else "")
    suggestions = tuple(_FEEDBACK.get(str(s), "") for s in feedback.get("suggestions") or [])
    score = int(result["score"])
    if hints and len(_remainder(text, hints)) < 4:
        # zxcvbn prices Chinese characters as random ones: 宁洱县总工会2026 would pass. What is left once the
        # unit's names, codes, the program's words, digits and punctuation are taken out must be some real text.
        if score >= MIN_SCORE or not warning:
            warning = "主要由单位名称、人名、代码、年份等容易想到的内容组成"
        score = min(score, MIN_SCORE - 1)
    if score < MIN_SCORE and not warning:
        warning = "容易被猜到（含有单位名称、代码、年份或常见词）"
    return Strength(score, warning, tuple(s for s in suggestions if s))


def _remainder(text: str, hints: list[str]) -> str:
    rest = text.lower()
    for hint in sorted((h.lower() for h in hints if len(h) >= 2), key=len, reverse=True):
        rest = rest.replace(hint, "")
    return "".join(ch for ch in rest if ch.isalpha())


def check_passphrase(passphrase: str, again: str | None = None, hints: list[str] | None = None) -> str:
    """The normalised passphrase; SigningError if too short, too easy to guess, or the two entries differ."""
    first = normalise_passphrase(passphrase)
    if len(first) < MIN_PASSPHRASE_LENGTH:
        raise SigningError(f"口令至少需要 {MIN_PASSPHRASE_LENGTH} 个字符（现为 {len(first)} 个）")
    strength = estimate_strength(first, hints)
    if not strength.acceptable:
        raise SigningError(f"口令太容易被猜到：{strength.advice()}。签名口令保护本单位的签名密钥，请换一个更难猜的口令"
                           "（例如几个不相关的词加数字和符号，12 个字符以上）")
    if again is not None and normalise_passphrase(again) != first:
        raise SigningError("两次输入的口令不一致，请重新输入")
    return first


def passphrase_strength(passphrase: str, hints: list[str] | None = None) -> tuple[int, str]:
    """(score 0–3, Chinese hint) for the strength meter of the key dialog."""
    text = normalise_passphrase(passphrase)
    if len(text) < MIN_PASSPHRASE_LENGTH:
        return 0, f"太短：至少 {MIN_PASSPHRASE_LENGTH} 个字符"
    strength = estimate_strength(text, hints)
    if not strength.acceptable:
        return 1, f"太弱，不能使用：{strength.advice()}"
    if strength.score == MIN_SCORE:
        return 2, "可以使用；再长一些更安全"
    return 3, "强"


# --- certificates ----------------------------------------------------------------------------------------

def load_certificate(data: bytes) -> x509.Certificate:
    """A certificate from PEM or DER bytes; SigningError if it is neither."""
    from cryptography import x509

    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise SigningError("不是有效的证书文件（应为本程序导出的 .cer 证书）") from exc


def der_of_pem(pem: str) -> bytes:
    """The DER bytes of a PEM certificate's text (its base64 body), without parsing the certificate."""
    import base64
    import binascii

    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    start, stop = pem.find(begin), pem.find(end)
    if start < 0 or stop < start:
        raise SigningError("不是有效的证书（缺少 PEM 首尾行）")
    try:
        return base64.b64decode("".join(pem[start + len(begin):stop].split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SigningError("不是有效的证书（PEM 内容无法解码）") from exc


def certificate_der(cert: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.DER)


def certificate_pem(cert: x509.Certificate) -> str:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def spki_digest(cert: x509.Certificate) -> str:
    """SHA-256 (upper-case hex) of the certificate's SubjectPublicKeyInfo: what trust is keyed on."""
    import hashlib

    from cryptography.hazmat.primitives import serialization

    der = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest().upper()


def fingerprint(cert: x509.Certificate) -> str:
    return fingerprint_of_der(certificate_der(cert))


def certificate_info(cert: x509.Certificate) -> CertInfo:
    """Unit code and name named by a certificate (empty strings if it names none)."""
    from cryptography.x509.oid import NameOID

    def attr(oid: x509.ObjectIdentifier) -> str:
        values = cert.subject.get_attributes_for_oid(oid)
        return str(values[0].value) if values else ""

    return CertInfo(
        fingerprint=fingerprint(cert),
        unit_code=attr(NameOID.SERIAL_NUMBER),
        unit_name=attr(NameOID.ORGANIZATION_NAME) or attr(NameOID.COMMON_NAME),
        not_before=cert.not_valid_before_utc.date().isoformat(),
        not_after=cert.not_valid_after_utc.date().isoformat(),
        pem=certificate_pem(cert),
    )


def build_certificate(private_key: EllipticCurvePrivateKey, unit_code: str, unit_name: str,
                      when: dt.datetime | None = None) -> x509.Certificate:
    """The self-signed certificate naming the unit (see the module docstring)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    when = when or dt.datetime.now(dt.UTC)
    short_name = unit_name[:_NAME_LIMIT]
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, unit_code),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, short_name),
        x509.NameAttribute(NameOID.COMMON_NAME, short_name),
    ])
    public_key = private_key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(when - dt.timedelta(days=CLOCK_SLACK_DAYS))
        .not_valid_after(when.replace(year=when.year + VALIDITY_YEARS, day=min(when.day, 28)))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    return builder.sign(private_key, hashes.SHA256())


# --- the key history -------------------------------------------------------------------------------------

def keys_dir(store: Store) -> Path:
    """The folder holding the encrypted private keys (beside the store file)."""
    if store.path is None:
        raise SigningError("内存中的临时数据库不能保存密钥")
    return store.path.parent / KEYS_FOLDER


_COLUMNS = "fingerprint, unit_code, unit_name, cert_pem, key_file, created_at, retired_at"


def own_keys(store: Store) -> list[OwnKey]:
    """Every key this unit has had, newest first."""
    rows = store.query(f"SELECT {_COLUMNS} FROM own_keys ORDER BY id DESC")
    return [OwnKey(**row) for row in rows]


def active_key(store: Store) -> OwnKey | None:
    """The key that signs now: the newest unretired key made for the current unit code."""
    from models import unit

    current = unit.load(store)
    if current is None:
        return None
    rows = store.query(f"SELECT {_COLUMNS} FROM own_keys WHERE retired_at IS NULL AND unit_code = ? "
                       "ORDER BY id DESC LIMIT 1", (current.code,))
    return OwnKey(**rows[0]) if rows else None


def create_key(store: Store, passphrase: str, again: str | None = None) -> OwnKey:
    """Create the unit's key pair and certificate; the previous key (if any) is retired.

    The passphrase is checked (length, typed twice when ``again`` is given) before anything is written.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from common.atomic_file import write_bytes_atomic
    from models import unit

    current = unit.load(store)
    if current is None:
        raise SigningError("尚未设置本单位，请先设置单位代码和名称，再创建密钥")
    secret = check_passphrase(passphrase, again, passphrase_hints(store))
    folder = keys_dir(store)
    private_key = ec.generate_private_key(ec.SECP256R1())
    cert = build_certificate(private_key, current.code, current.name)
    fp = fingerprint(cert)
    encryption = serialization.PrivateFormat.OpenSSH.encryption_builder().kdf_rounds(KDF_ROUNDS)
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                    encryption.build(secret.encode("utf-8")))
    key_file = f"{current.code}-{fp[:16]}.key"
    write_bytes_atomic(folder / key_file, pem, mode=0o600)  # encrypted, but still nobody else's to copy
    stamp = now()
    try:
        with store.atomic():
            store.conn.execute("UPDATE own_keys SET retired_at = ? WHERE retired_at IS NULL", (stamp,))
            store.conn.execute(f"INSERT INTO own_keys ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL)",
                               (fp, current.code, current.name, certificate_pem(cert), key_file, stamp))
    except BaseException:
        (folder / key_file).unlink(missing_ok=True)
        raise
    result = active_key(store)
    assert result is not None
    return result


def load_private_key(store: Store, key: OwnKey, passphrase: str) -> EllipticCurvePrivateKey:
    """Decrypt ``key``'s private key; SigningError with a Chinese reason on a wrong passphrase or lost file."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path = keys_dir(store) / key.key_file
    try:
        pem = path.read_bytes()
    except FileNotFoundError as exc:
        raise SigningError(f"找不到本单位的私钥文件“{key.key_file}”。如已丢失，请在“本单位密钥”中创建新密钥，"
                           "并把新的公钥登记表交上级单位重新登记") from exc
    except OSError as exc:
        raise SigningError(f"无法读取私钥文件“{key.key_file}”：{os_reason(exc)}") from exc
    if not passphrase:
        raise SigningError("请输入签名口令")
    try:
        private_key = serialization.load_ssh_private_key(pem, normalise_passphrase(passphrase).encode("utf-8"))
    except (ValueError, TypeError) as exc:
        if "checksum" in str(exc).lower() or "password" in str(exc).lower():
            raise SigningError("口令不正确，请重新输入（注意大小写、全角半角和键盘大写锁定）。"
                               "如口令已遗忘，请创建新密钥并重新登记") from exc
        raise SigningError(f"私钥文件“{key.key_file}”已损坏，无法使用。请创建新密钥并重新登记") from exc
    # The certificate is read with asn1crypto, which signing loads anyway: an export need not import cryptography's
    # x509 module (some 30 ms of a signed export's second).
    altered = SigningError("本单位密钥记录中的证书已被改动，请创建新密钥并重新登记")
    try:
        der = key.certificate_der()
    except SigningError as exc:
        raise altered from exc
    if fingerprint_of_der(der) != key.fingerprint:
        raise altered
    try:
        from asn1crypto import x509 as asn1_x509

        public_key = serialization.load_der_public_key(asn1_x509.Certificate.load(der).public_key.dump())
    except (ValueError, TypeError, KeyError) as exc:
        raise altered from exc
    if not isinstance(private_key, ec.EllipticCurvePrivateKey) or not isinstance(public_key, ec.EllipticCurvePublicKey) \
            or public_key.public_numbers() != private_key.public_key().public_numbers():
        raise SigningError(f"私钥文件“{key.key_file}”与本单位证书不匹配，请创建新密钥并重新登记")
    return private_key
