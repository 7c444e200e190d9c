"""Which certificates this unit trusts: its own, and the subordinate units' it has registered.

A superior unit registers a subordinate's certificate once, after comparing the certificate file's
fingerprint with the stamped 公钥登记表. Rules:

- One active registration per unit code. A new key (lost passphrase, new PC) is registered with
  ``replace=True``: the old registration is kept as *replaced* and still counts, so the returns signed
  with the old key keep verifying.
- A compromised key is *revoked*: from then on signatures made with it count as unregistered, whatever
  signing time they claim (without a timestamp server the signing time is only the signer's own clock).
- Trust is keyed on the **public key** (SHA-256 of the certificate's SubjectPublicKeyInfo): a revoked key
  stays revoked whatever certificate wraps it (a new self-signed certificate around the same key is refused
  at registration and counts as unregistered when it signs), and a registered key counts whichever of its
  certificates signed.
- The unit name shown for a registered signer is the registration's (checked against the stamped paper),
  never the name the file or the certificate states.
- The unit's own certificates (current and retired) count as registered for its own unit code.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from common.atomic_file import os_reason
from common.text import compact
from models.db import Store, now
from models.signing.common import SigningError, group_hex, normalise_fingerprint
from models.signing.keys import CertInfo

_COLUMNS = "unit_code, unit_name, fingerprint, cert_pem, registered_at, revoked_at, revoke_reason, replaced_by, note"


@dataclasses.dataclass(frozen=True)
class Registration:
    unit_code: str
    unit_name: str
    fingerprint: str
    cert_pem: str
    registered_at: str
    revoked_at: str | None
    revoke_reason: str | None
    replaced_by: str | None
    note: str | None

    @property
    def grouped(self) -> str:
        return group_hex(self.fingerprint)

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        return "replaced" if self.replaced_by else "active"

    @property
    def state_label(self) -> str:
        return {"active": "有效", "replaced": "已替换（旧报表仍可验证）", "revoked": "已撤销"}[self.state]

    @property
    def counts(self) -> bool:
        """Whether signatures made with this certificate count as registered."""
        return self.revoked_at is None


@dataclasses.dataclass(frozen=True)
class TrustDecision:
    registered: bool
    reason: str  # Chinese
    unit_name: str | None = None  # the registered (or own) unit name, when registered


def spki_of_pem(pem: str) -> str:
    """SHA-256 (upper-case hex) of a PEM certificate's SubjectPublicKeyInfo."""
    from models.signing.keys import load_certificate, spki_digest

    return spki_digest(load_certificate(pem.encode("ascii")))


def revoked_keys(store: Store) -> dict[str, Registration]:
    """Public-key digest → a revoked registration of that key."""
    out: dict[str, Registration] = {}
    for registration in registrations(store):
        if registration.revoked_at:
            out[spki_of_pem(registration.cert_pem)] = registration
    return out


def _code(code: str) -> str:
    return compact(code or "").upper()


def read_certificate(source: Path | bytes) -> CertInfo:
    """Read a certificate file (PEM or DER) and check it is a unit certificate made by this program."""
    from cryptography.exceptions import InvalidSignature

    from models.signing.keys import certificate_info, load_certificate

    if isinstance(source, Path):
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise SigningError(f"无法读取证书文件“{source.name}”：{os_reason(exc)}") from exc
    else:
        data = source
    cert = load_certificate(data)
    info = certificate_info(cert)
    if not info.unit_code:
        raise SigningError("证书中没有单位代码，不是本程序生成的单位证书")
    try:
        cert.verify_directly_issued_by(cert)
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise SigningError("证书的自签名无效，文件可能已损坏或被改动") from exc
    return info


def registrations(store: Store, *, include_inactive: bool = True) -> list[Registration]:
    """Registered subordinate certificates, by unit code, newest first within a unit."""
    where = "" if include_inactive else "WHERE revoked_at IS NULL AND replaced_by IS NULL"
    rows = store.query(f"SELECT {_COLUMNS} FROM trusted_certs {where} ORDER BY unit_code, id DESC")
    return [Registration(**row) for row in rows]


def get(store: Store, fingerprint: str) -> Registration | None:
    rows = store.query(f"SELECT {_COLUMNS} FROM trusted_certs WHERE fingerprint = ?",
                       (normalise_fingerprint(fingerprint),))
    return Registration(**rows[0]) if rows else None


def subordinate_warning(store: Store, unit_code: str, unit_name: str = "") -> str | None:
    """A Chinese warning when ``unit_code`` is not a unit that normally reports to this one, or when the
    certificate's ``unit_name`` is not the name that goes with the code (None if all is as expected)."""
    from forms import divisions
    from models import unit

    current = unit.load(store)
    code = _code(unit_code)
    if current is None:
        return None
    division = divisions.get(code)
    if division is None:
        if current.code == divisions.PROVINCE_CODE:
            return None  # provincial industry-system unions report to the province with their credit code
        return f"单位代码 {code} 不是云南省的行政区划代码，请确认该单位确由本单位管理（如市直单位）"
    if division.parent_code != current.code:
        return f"{division.union_name}（{code}）不是本单位的直接下级，请确认后再登记"
    if unit_name and compact(unit_name) != compact(division.union_name) and \
            not compact(division.union_name).startswith(compact(unit_name).removesuffix("总工会")[:2]):
        return (f"证书上的单位名称“{unit_name}”与单位代码 {code} 对应的“{division.union_name}”不同。"
                "登记后，报表的单位名称以登记的名称为准，请核实后再登记")
    return None


def typed_fingerprint(text: str) -> str:
    """A fingerprint as typed from the 公钥登记表, or as a scanner types its QR code
    (``CHANGAI-CERT:<unit code>:SHA256:<64 hex>``)."""
    upper = (text or "").upper()
    if "SHA256:" in upper:
        upper = upper.rsplit("SHA256:", 1)[1]
    return normalise_fingerprint(upper)


def superior_code(store: Store) -> str:
    """The unit code of this unit's superior ("" for the province or before set-up)."""
    from models import unit

    current = unit.load(store)
    return (current.parent_code or "") if current is not None else ""


def register_superior(store: Store, source: Path | bytes, *, expected_fingerprint: str, replace: bool = False,
                      note: str = "") -> Registration:
    """Register the superior unit's certificate (its 回执 then show as genuine), or the province's at any level
    (the 报表制度 it signs then installs).

    The fingerprint typed (or scanned) from the superior's stamped 公钥登记表 is required and must match;
    the certificate must name this unit's superior.
    """
    from forms import divisions

    if not typed_fingerprint(expected_fingerprint):
        raise SigningError("登记上级单位的证书时，必须输入（或扫描）上级单位公钥登记表上的证书指纹")
    info = read_certificate(source)
    parent = superior_code(store)
    if not parent:
        raise SigningError("本单位没有上级单位（或尚未设置本单位），无需登记上级单位的证书")
    # The province's certificate is registered at every level: it signs the return's definition (报表制度)
    # that prefectures pass down unchanged, so a county checks the province's signature itself.
    if info.unit_code not in (parent, divisions.PROVINCE_CODE):
        division = divisions.get(parent)
        name = division.union_name if division is not None else parent
        raise SigningError(f"这是{info.unit_name}（{info.unit_code}）的证书，不是本单位的上级单位{name}（{parent}）"
                           "或省总工会的证书")
    default_note = "上级单位" if info.unit_code == parent else "省总工会（签发报表制度）"
    return register(store, source, expected_fingerprint=expected_fingerprint, replace=replace,
                    note=note or default_note)


def register(store: Store, source: Path | bytes, *, expected_fingerprint: str | None = None,
             replace: bool = False, note: str = "") -> Registration:
    """Register a subordinate unit's certificate.

    ``expected_fingerprint`` (as typed from the stamped paper) must match when given. With an active
    registration for the same unit code, ``replace`` must be set; the old one then stays valid as *replaced*.
    """
    from models import unit
    from models.signing.keys import own_keys

    info = read_certificate(source)
    if expected_fingerprint is not None:
        expected = typed_fingerprint(expected_fingerprint)
        if expected != info.fingerprint:
            raise SigningError(f"证书指纹与登记表上的指纹不一致，请勿登记，并与{info.unit_name}核实。"
                               f"文件的指纹：{info.grouped}")
    current = unit.load(store)
    if (current is not None and info.unit_code == current.code) or \
            any(k.fingerprint == info.fingerprint for k in own_keys(store)):
        raise SigningError("这是本单位自己的证书，无需登记")
    from models.signing.keys import load_certificate, spki_digest

    key_digest = spki_digest(load_certificate(info.pem.encode("ascii")))
    revoked = revoked_keys(store).get(key_digest)
    if revoked is not None and revoked.fingerprint != info.fingerprint:
        raise SigningError(f"该证书使用的公钥已于 {str(revoked.revoked_at)[:10]} 被撤销，不能再次登记（原证书 "
                           f"{revoked.grouped[:19]} …）：换一个证书包装同一密钥不能恢复信任。请对方创建新密钥")
    existing = get(store, info.fingerprint)
    if existing is not None:
        if existing.revoked_at:
            raise SigningError(f"该证书已于 {existing.revoked_at[:10]} 被撤销，不能再次登记。请对方创建新密钥")
        raise SigningError(f"该证书已于 {existing.registered_at[:10]} 登记（{existing.unit_name}），无需重复登记")
    active = [r for r in registrations(store) if r.unit_code == info.unit_code and r.state == "active"]
    if active and not replace:
        raise SigningError(f"{info.unit_name}（{info.unit_code}）已登记证书（指纹 {active[0].grouped[:19]} …）。"
                           "如对方已更换密钥，请选择“替换”；如旧密钥已泄露，请先撤销旧证书再登记")
    stamp = now()
    with store.atomic():
        for old in active:
            store.conn.execute("UPDATE trusted_certs SET replaced_by = ? WHERE fingerprint = ?",
                               (info.fingerprint, old.fingerprint))
        store.conn.execute(f"INSERT INTO trusted_certs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL, ?)",
                           (info.unit_code, info.unit_name, info.fingerprint, info.pem, stamp, note or None))
    result = get(store, info.fingerprint)
    assert result is not None
    return result


def revoke(store: Store, *, unit_code: str | None = None, fingerprint: str | None = None,
           reason: str = "") -> list[Registration]:
    """Revoke the registrations of a unit (all its certificates) or of one certificate.

    Signatures made with a revoked certificate count as unregistered from then on.
    """
    if fingerprint:
        targets = [r for r in [get(store, fingerprint)] if r is not None and r.revoked_at is None]
        if not targets:
            raise SigningError(f"没有找到有效的登记证书（指纹 {group_hex(fingerprint)}）")
    elif unit_code:
        code = _code(unit_code)
        targets = [r for r in registrations(store) if r.unit_code == code and r.revoked_at is None]
        if not targets:
            raise SigningError(f"单位代码 {code} 没有有效的登记证书")
    else:
        raise SigningError("请指定要撤销的单位代码或证书指纹")
    stamp = now()
    with store.atomic():
        for target in targets:
            store.conn.execute("UPDATE trusted_certs SET revoked_at = ?, revoke_reason = ? WHERE fingerprint = ?",
                               (stamp, reason or None, target.fingerprint))
    return [r for r in (get(store, t.fingerprint) for t in targets) if r is not None]


def lookup(store: Store, fingerprint: str, unit_code: str, spki: str | None = None) -> TrustDecision:
    """Does a signature with certificate ``fingerprint`` (public key digest ``spki``) count as coming from unit
    ``unit_code``? Without ``spki`` (a stored row re-checked) the certificate's fingerprint is matched."""
    from models.signing.keys import own_keys

    fp = normalise_fingerprint(fingerprint)
    code = _code(unit_code)
    key = normalise_fingerprint(spki) if spki else None
    if key is not None:
        revoked = revoked_keys(store).get(key)
        if revoked is not None:
            why = f"（{revoked.revoke_reason}）" if revoked.revoke_reason else ""
            same = "" if revoked.fingerprint == fp else "（签名证书是包装同一公钥的另一个证书）"
            return TrustDecision(False, f"签名所用的公钥已于 {str(revoked.revoked_at)[:10]} 被撤销登记{why}{same}")
    for own in own_keys(store):
        if own.fingerprint == fp or (key is not None and spki_of_pem(own.cert_pem) == key):
            if own.unit_code == code:
                from models import unit

                current = unit.load(store)
                name = current.name if current is not None and current.code == code else own.unit_name
                return TrustDecision(True, "本单位的证书" + ("（已停用的旧证书）" if own.retired_at else ""), name)
            return TrustDecision(False, f"签名证书是本单位（{own.unit_code}）的，但报表的单位代码是 {code}")
    registration = get(store, fp)
    if registration is None and key is not None:
        registration = next((r for r in registrations(store) if spki_of_pem(r.cert_pem) == key), None)
    if registration is None:
        return TrustDecision(False, f"签名证书未在本单位登记（报表单位代码 {code}）。"
                                    "请核对对方盖章的公钥登记表后登记其证书")
    if registration.revoked_at:
        why = f"（{registration.revoke_reason}）" if registration.revoke_reason else ""
        return TrustDecision(False, f"签名证书已于 {registration.revoked_at[:10]} 被撤销登记{why}")
    if registration.unit_code != code:
        return TrustDecision(False, f"签名证书登记的单位是 {registration.unit_name}（{registration.unit_code}），"
                                    f"与报表的单位代码 {code} 不符")
    if registration.replaced_by:
        return TrustDecision(True, f"已登记的{registration.unit_name}旧证书（已被新证书替换）", registration.unit_name)
    return TrustDecision(True, f"已登记的{registration.unit_name}证书", registration.unit_name)
