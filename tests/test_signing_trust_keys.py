"""Trust is keyed on the public key, and names come from the registration, not from the file."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from signing_support import OTHER_PASSPHRASE, other_unit_store, setup_unit

from forms.periods import parse_period
from models import export, receiving, return_io, unit
from models.db import Store, open_store
from models.returns import canonical_bytes, compute, consolidate
from models.signing import UNREGISTERED, VALID, SigningError, keys, payload, trust
from models.signing.provider import FileKeySigner

YEAR = str(dt.date.today().year - 1)
PERIOD = parse_period(YEAR)
DATA = b'{"unit_code":"530822"}'


@pytest.fixture
def prefecture(tmp_path: Path) -> Store:
    store = open_store(tmp_path / "普洱市")
    setup_unit(store, "530800")
    yield store
    store.close()


@pytest.fixture
def county(tmp_path: Path) -> Store:
    store = other_unit_store(tmp_path / "墨江", "530822")
    yield store
    store.close()


def rewrapped(county: Store, name: str = "墨江哈尼族自治县总工会") -> FileKeySigner:
    """The county's private key in a new self-signed certificate (another serial number and dates)."""
    genuine = FileKeySigner.open(county, OTHER_PASSPHRASE)
    private_key = genuine._private_key  # the attacker who holds the leaked key
    cert = keys.build_certificate(private_key, "530822", name, when=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    assert keys.fingerprint(cert) != genuine.fingerprint
    return FileKeySigner.with_certificate(cert, private_key)


def test_a_revoked_key_stays_revoked_in_a_new_certificate(prefecture: Store, county: Store) -> None:
    trust.register(prefecture, keys.active_key(county).cert_pem.encode())  # type: ignore[union-attr]
    trust.revoke(prefecture, unit_code="530822", reason="密钥泄露")
    forged = rewrapped(county)
    verdict = payload.verify_payload(DATA, forged.sign(DATA), store=prefecture, unit_code="530822")
    assert verdict.status == UNREGISTERED
    assert "公钥" in verdict.reason and "撤销" in verdict.reason and "另一个证书" in verdict.reason
    from models.signing.keys import certificate_pem

    with pytest.raises(SigningError, match=r"公钥.*被撤销，不能再次登记"):
        trust.register(prefecture, certificate_pem(forged.certificate).encode(), replace=True)


def test_a_registered_key_counts_in_any_certificate_of_the_same_unit(prefecture: Store, county: Store) -> None:
    trust.register(prefecture, keys.active_key(county).cert_pem.encode())  # type: ignore[union-attr]
    signer = rewrapped(county)
    verdict = payload.verify_payload(DATA, signer.sign(DATA), store=prefecture, unit_code="530822")
    assert verdict.status == VALID and verdict.signer_name == "墨江哈尼族自治县总工会"
    assert verdict.spki == keys.spki_digest(signer.certificate)


def test_the_name_shown_is_the_registered_one_and_a_different_name_is_a_finding(
        prefecture: Store, county: Store, tmp_path: Path) -> None:
    from models.demo import fill_demo

    trust.register(prefecture, keys.active_key(county).cert_pem.encode())  # type: ignore[union-attr]
    fill_demo(county, seed=3)
    signer = FileKeySigner.open(county, OTHER_PASSPHRASE)
    (honest,) = export.export_return(county, PERIOD, tmp_path / "如实", ["xlsx"], signer=signer)
    result = return_io.read_return(honest, prefecture)
    assert result.status == VALID and result.signer_name == "墨江哈尼族自治县总工会"
    # the county renames itself as its neighbour and signs with its own, registered key
    unit.update_contacts(county, name="宁洱哈尼族彝族自治县总工会")
    (lying,) = export.export_return(county, PERIOD, tmp_path / "冒名", ["xlsx"], signer=signer)
    result = return_io.read_return(lying, prefecture)
    assert result.status == UNREGISTERED, result.reason
    assert "宁洱哈尼族彝族自治县总工会" in result.reason and "墨江哈尼族自治县总工会" in result.reason
    assert result.signer_name == "墨江哈尼族自治县总工会"
    (received,) = receiving.receive_files(prefecture, [lying])
    assert received.outcome == receiving.NOT_ACCEPTED


def test_registering_a_certificate_naming_another_unit_warns(prefecture: Store) -> None:
    assert "不同" in (trust.subordinate_warning(prefecture, "530822", "宁洱哈尼族彝族自治县总工会") or "")
    assert trust.subordinate_warning(prefecture, "530822", "墨江哈尼族自治县总工会") is None
    assert trust.subordinate_warning(prefecture, "530822", "墨江县总工会") is None


def _consolidated(tmp_path: Path) -> tuple[Store, object]:
    from models.demo import fill_demo

    parts = []
    for code, seed in (("530821", 1), ("530822", 2)):
        store = open_store(tmp_path / code)
        setup_unit(store, code)
        fill_demo(store, seed=seed)
        parts.append(dataclasses.replace(compute(store, PERIOD), version=1))
        store.close()
    ret = consolidate(parts, unit_code="530800", unit_name="普洱市总工会", unit_level="prefecture",
                      parent_code="530000", period=YEAR, cover={})
    ret.coverage = {"expected": 2, "reported": 2, "text": "应报 2 个，实报 2 个",
                    "units": [{"code": p.unit_code, "name": p.unit_name, "version": 1} for p in parts]}
    ret.version = 1
    return parts, ret  # type: ignore[return-value]


def test_source_units_must_be_among_the_consolidated_units(tmp_path: Path) -> None:
    _parts, ret = _consolidated(tmp_path)
    assert receiving.source_unit_problem(ret) is None  # type: ignore[arg-type]
    people = ret.rosters["R1"]  # type: ignore[attr-defined]
    people[3]["source_unit"] = "普洱市总工会（市直）"  # the consolidating unit's own records: allowed
    assert receiving.source_unit_problem(ret) is None  # type: ignore[arg-type]
    people[5]["source_unit"] = "景东彝族自治县总工会"  # 530823 did not report: its people cannot be in here
    problem = receiving.source_unit_problem(ret)  # type: ignore[arg-type]
    assert problem is not None and "景东彝族自治县总工会" in problem and f"第{people[5]['seq']}行" in problem


def test_the_province_refuses_a_consolidated_roster_with_a_foreign_source_unit(tmp_path: Path) -> None:
    _parts, ret = _consolidated(tmp_path)
    ret.rosters["R1"][0]["source_unit"] = "五华区总工会"  # type: ignore[attr-defined]
    prefecture = other_unit_store(tmp_path / "普洱市", "530800")
    province = open_store(tmp_path / "云南省")
    try:
        setup_unit(province, "530000")
        trust.register(province, keys.active_key(prefecture).cert_pem.encode())  # type: ignore[union-attr]
        data = canonical_bytes(ret)  # type: ignore[arg-type]
        inspection = receiving.inspect_payload(province, data, FileKeySigner.open(prefecture, OTHER_PASSPHRASE).sign(data),
                                               path="530800.xlsx")
        assert inspection.status == VALID, inspection.reason
        result = receiving.store_inspection(province, inspection)
        assert result.outcome == receiving.REFUSED and "五华区总工会" in result.reason
        assert province.scalar("SELECT COUNT(*) FROM received_returns") == 0
    finally:
        province.close()
        prefecture.close()
