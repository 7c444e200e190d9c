"""The province signs the return's definition (报表制度); prefectures and counties install it and pass it down."""

from __future__ import annotations

import base64
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from definition_support import (
    OTHER_PASSPHRASE,
    definition_bytes,
    export_certificate,
    province_store,
    signed_definition,
    signer_of,
    unit_store,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from forms.definition import shipped_definition
from models import definition_signing as ds
from models import definitions, province_docs
from models.db import Store
from models.province_docs import ProvinceDocumentError


@pytest.fixture
def province(tmp_path: Path) -> Iterator[Store]:
    store = province_store(tmp_path / "省总 工会")
    yield store
    store.close()


@pytest.fixture
def prefecture(tmp_path: Path) -> Iterator[Store]:
    store = unit_store(tmp_path / "普洱 市", "530800")
    yield store
    store.close()


@pytest.fixture
def county(tmp_path: Path) -> Iterator[Store]:
    store = unit_store(tmp_path / "宁洱 县", "530821", OTHER_PASSPHRASE)
    yield store
    store.close()


def register_province(store: Store, province: Store, folder: Path) -> None:
    from models.signing import trust

    cert, fingerprint = export_certificate(province, folder)
    trust.register_superior(store, cert, expected_fingerprint=fingerprint)


def forged(raw: bytes, signer, kind: str = "definition") -> bytes:  # type: ignore[no-untyped-def]
    """A signed file built by hand, so a key the program would refuse to sign with can be tried."""
    from cryptography.hazmat.primitives import serialization

    document = {"format": province_docs.FORMAT, "format_version": 1, "kind": kind,
                "content": base64.b64encode(raw).decode("ascii"), "sha256": "",
                "certificate": signer.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
                "signature": base64.b64encode(signer.sign(province_docs.signed_bytes(kind, raw))).decode("ascii")}
    return json.dumps(document).encode("utf-8")


def edit(package: bytes, **changes: object) -> bytes:
    document = json.loads(package.decode("utf-8"))
    document.update(changes)
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


# --- three levels ------------------------------------------------------------------------------------------

def test_province_signs_prefecture_installs_and_passes_down_county_installs(
        province: Store, prefecture: Store, county: Store, tmp_path: Path) -> None:
    raw = definition_bytes(version=2)
    source = tmp_path / "制度 草稿.json"
    source.write_bytes(raw)
    signed_path = tmp_path / "U盘" / "报表制度 第2版.signed.json"
    signed_path.parent.mkdir()
    defn = ds.sign_definition_file(province, source, signer_of(province), signed_path)
    assert defn.version == 2

    # the province installs its own signed file (its own key counts as registered)
    assert ds.install_signed_file(province, signed_path).new

    register_province(prefecture, province, tmp_path / "省证书")
    outcome = ds.install_signed_file(prefecture, signed_path)
    assert outcome.new and outcome.signer.unit_code == "530000" and outcome.signer.unit_name == "云南省总工会"
    assert outcome.used_for == list(range(2026, 2031)) and not outcome.superseded
    passed_down = tmp_path / "给县" / "报表制度.signed.json"
    passed_down.parent.mkdir()
    ds.export_signed(prefecture, "yn-changai-return/2", passed_down)
    assert passed_down.read_bytes() == signed_path.read_bytes()

    # the county registers the province's certificate (handed down with the file) and installs
    register_province(county, province, tmp_path / "省证书给县")
    outcome = ds.install_signed_file(county, passed_down)
    assert outcome.new and outcome.signer.fingerprint == signer_of(province).fingerprint
    assert definitions.definition_for(county, 2026).digest == defn.digest
    assert definitions.definition_for(county, 2025).digest == shipped_definition().digest
    # installed again: nothing changes
    assert not ds.install_signed_file(county, passed_down).new
    assert len(definitions.installed(county)) == 2


def test_shipped_province_certificate_needs_no_registration(
        province: Store, county: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    package = signed_definition(province)
    with pytest.raises(ProvinceDocumentError, match="签名者证书未登记"):
        ds.install_signed(county, package, source="a.signed.json")
    fingerprint = signer_of(province).fingerprint
    monkeypatch.setattr(province_docs, "shipped_province_certificates", lambda: {fingerprint: "test"})
    outcome = ds.install_signed(county, package, source="a.signed.json")
    assert outcome.signer.trusted_by == "随程序发布的省总工会证书"


def test_the_shipped_list_is_read_and_empty_by_default() -> None:
    assert province_docs.shipped_province_certificates() == {}


def test_a_revoked_province_key_is_refused_even_when_shipped(
        province: Store, county: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from models.signing import trust

    package = signed_definition(province)
    register_province(county, province, tmp_path / "cert")
    trust.revoke(county, unit_code="530000", reason="密钥泄露")
    fingerprint = signer_of(province).fingerprint
    monkeypatch.setattr(province_docs, "shipped_province_certificates", lambda: {fingerprint: "test"})
    with pytest.raises(ProvinceDocumentError, match="撤销"):
        ds.install_signed(county, package, source="a.signed.json")


# --- who may sign --------------------------------------------------------------------------------------------

def test_only_the_province_signs(county: Store, province: Store) -> None:
    with pytest.raises(ProvinceDocumentError, match="只有云南省总工会（530000）可以签发报表制度：本单位是"):
        ds.sign_definition(county, definition_bytes(), signer_of(county, OTHER_PASSPHRASE), source="x.json")
    with pytest.raises(ProvinceDocumentError, match="签名密钥属于"):
        ds.sign_definition(province, definition_bytes(), signer_of(county, OTHER_PASSPHRASE), source="x.json")


def test_only_a_definition_is_signed(province: Store) -> None:
    from forms.definition import DefinitionError

    with pytest.raises(DefinitionError, match=r"“草稿\.json”不是报表制度文件"):
        ds.sign_definition(province, b'{"a": 1}', signer_of(province), source="草稿.json")


# --- refusals ------------------------------------------------------------------------------------------------

@pytest.fixture
def trusting_county(county: Store, province: Store, tmp_path: Path) -> Store:
    register_province(county, province, tmp_path / "省证书")
    return county


def test_tampered_content_is_refused(trusting_county: Store, province: Store) -> None:
    package = signed_definition(province)
    raw = bytearray(definition_bytes())
    raw[raw.index(b'"version": 2') + 11] = ord("3")
    bad = edit(package, content=base64.b64encode(bytes(raw)).decode("ascii"))
    with pytest.raises(ProvinceDocumentError, match=r"“改\.json”的内容被修改"):
        ds.install_signed(trusting_county, bad, source="改.json")
    assert len(definitions.installed(trusting_county)) == 1


def test_a_flipped_signature_byte_is_refused(trusting_county: Store, province: Store) -> None:
    package = signed_definition(province)
    signature = bytearray(base64.b64decode(json.loads(package)["signature"]))
    signature[-10] ^= 0x01  # inside the ECDSA signature value
    bad = edit(package, signature=base64.b64encode(bytes(signature)).decode("ascii"))
    with pytest.raises(ProvinceDocumentError, match=r"内容被修改|签名已损坏"):
        ds.install_signed(trusting_county, bad, source="x.json")


def test_a_swapped_certificate_is_refused(trusting_county: Store, province: Store, county: Store) -> None:
    from cryptography.hazmat.primitives import serialization

    package = signed_definition(province)
    other = signer_of(county, OTHER_PASSPHRASE).certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
    with pytest.raises(ProvinceDocumentError, match="签名证书与实际签名的证书不一致"):
        ds.install_signed(trusting_county, edit(package, certificate=other), source="x.json")


def test_a_certificate_swapped_inside_the_signature_is_refused(trusting_county: Store, province: Store,
                                                                county: Store) -> None:
    from asn1crypto import cms
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization

    package = signed_definition(province)
    county_cert = signer_of(county, OTHER_PASSPHRASE).certificate
    info = cms.ContentInfo.load(base64.b64decode(json.loads(package)["signature"]))
    info["content"]["certificates"] = [asn1_x509.Certificate.load(county_cert.public_bytes(serialization.Encoding.DER))]
    pem = county_cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    bad = edit(package, signature=base64.b64encode(info.dump(force=True)).decode("ascii"), certificate=pem)
    with pytest.raises(ProvinceDocumentError, match=r"签名已损坏|内容被修改"):
        ds.install_signed(trusting_county, bad, source="x.json")


def test_a_county_key_signing_is_refused(trusting_county: Store, county: Store) -> None:
    bad = forged(definition_bytes(), signer_of(county, OTHER_PASSPHRASE))
    with pytest.raises(ProvinceDocumentError, match="不是云南省总工会签发的：签名者为宁洱哈尼族彝族自治县总工会（530821）"):
        ds.install_signed(trusting_county, bad, source="x.json")


def test_an_unregistered_province_key_is_refused(trusting_county: Store, tmp_path: Path) -> None:
    impostor = province_store(tmp_path / "冒充", fresh=True)
    try:
        package = signed_definition(impostor)
    finally:
        impostor.close()
    with pytest.raises(ProvinceDocumentError, match="签名者证书未登记"):
        ds.install_signed(trusting_county, package, source="x.json")


def test_a_signed_plan_is_not_a_definition_and_plans_use_the_same_mechanism(
        trusting_county: Store, province: Store) -> None:
    plan = province_docs.sign_document(province, "规划目标".encode(), "plan", signer_of(province))
    with pytest.raises(ProvinceDocumentError, match="是签发的规划目标文件，不是报表制度文件"):
        ds.install_signed(trusting_county, plan, source="x.json")
    opened = province_docs.open_document(plan, "plan", trusting_county, source="plan.json")
    assert opened.raw == "规划目标".encode() and opened.signer.unit_code == "530000" and opened.package == plan
    # the kind is signed too: relabelling a plan as a definition breaks the signature
    with pytest.raises(ProvinceDocumentError, match="内容被修改"):
        ds.install_signed(trusting_county, edit(plan, kind="definition"), source="x.json")


def test_signed_content_that_is_not_a_definition(trusting_county: Store, province: Store) -> None:
    package = province_docs.sign_document(province, b'{"hello": 1}', "definition", signer_of(province))
    with pytest.raises(ProvinceDocumentError, match="签名完好，但其中不是可用的报表制度"):
        ds.install_signed(trusting_county, package, source="x.json")


@pytest.mark.parametrize(("data", "reason"), [
    (b"\xff\xfe garbage", "不是有效的 JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "不是有效的 JSON"),
    (b'{"format": "changai-receipt"}', "不是省总工会签发的报表制度文件"),
    (b'{"format": "changai-province-document", "format_version": 9, "kind": "definition"}', "请安装新版程序"),
    (b'{"format": "changai-province-document", "format_version": 1, "kind": "definition", "content": "%%"}',
     "“content”项已损坏"),
    (b'{"format": "changai-province-document", "format_version": 1, "kind": "definition", "content": "QQ==",'
     b' "signature": "QQ==", "certificate": "x"}', "签名已损坏"),
], ids=["not-utf8", "deeply-nested", "other-format", "newer-format", "bad-content", "bad-signature"])
def test_malformed_files(trusting_county: Store, data: bytes, reason: str) -> None:
    with pytest.raises(ProvinceDocumentError, match=reason):
        ds.install_signed(trusting_county, data, source="x.json")


def test_hostile_paths(tmp_path: Path) -> None:
    with pytest.raises(ProvinceDocumentError, match="是一个文件夹"):
        province_docs.read_signed_file(tmp_path)
    with pytest.raises(ProvinceDocumentError, match="不存在"):
        province_docs.read_signed_file(tmp_path / "无.json")
    big = tmp_path / "大.json"
    with open(big, "wb") as fh:
        fh.truncate(province_docs.MAX_FILE_BYTES + 1)
    with pytest.raises(ProvinceDocumentError, match="太大"):
        province_docs.read_signed_file(big)
    if sys.platform != "win32":
        fifo = tmp_path / "管道.signed.json"
        os.mkfifo(fifo)
        with pytest.raises(ProvinceDocumentError, match="不是普通文件"):
            province_docs.read_signed_file(fifo)


# --- versions ------------------------------------------------------------------------------------------------

def test_versions(trusting_county: Store, province: Store) -> None:
    v3 = ds.install_signed(trusting_county, signed_definition(province, definition_bytes(version=3)), source="v3")
    assert v3.used_for == list(range(2026, 2031))
    older = ds.install_signed(trusting_county, signed_definition(province, definition_bytes(version=2)), source="v2")
    assert older.new and older.used_for == [] and older.superseded == list(range(2026, 2031))
    assert any("仍使用已安装的更高版本" in line for line in older.lines())
    assert definitions.definition_for(trusting_county, 2027).version == 3
    changed = definition_bytes(version=3, title="产业工人队伍建设改革统计表（修订）")
    with pytest.raises(ProvinceDocumentError, match="同一版本号的报表制度不能更换"):
        ds.install_signed(trusting_county, signed_definition(province, changed), source="v3b")
    assert definitions.definition_for(trusting_county, 2027).digest == v3.definition.digest


def test_the_shipped_definition_signed_installs_as_nothing_new(trusting_county: Store, province: Store) -> None:
    outcome = ds.install_signed(trusting_county, signed_definition(province, shipped_definition().raw), source="v1")
    assert not outcome.new and len(definitions.installed(trusting_county)) == 1


def test_another_content_under_the_shipped_version_is_refused(trusting_county: Store, province: Store) -> None:
    changed = definition_bytes(version=shipped_definition().version, year_from=2021, title="改过的统计表")
    with pytest.raises(ProvinceDocumentError, match="同一版本号"):
        ds.install_signed(trusting_county, signed_definition(province, changed), source="v1b")


def test_listing_and_export(trusting_county: Store, province: Store, tmp_path: Path) -> None:
    import datetime as dt

    package = signed_definition(province)
    ds.install_signed(trusting_county, package, source="第2版.signed.json")
    rows = ds.listing(trusting_county, today=dt.date(2026, 3, 1))
    assert [r.entry.definition.version for r in rows] == [1, 2]
    assert rows[0].years_used == list(range(2021, 2026)) and rows[0].years_text == "2021—2025年"
    assert rows[1].years_used == list(range(2026, 2031)) and rows[1].exportable
    assert rows[1].as_json()["signer_name"] == "云南省总工会"
    with pytest.raises(ProvinceDocumentError, match="没有找到已安装的报表制度“yn-changai-return/1”"):
        ds.export_signed(trusting_county, "yn-changai-return/1", tmp_path / "x")
    ds.export_signed(trusting_county, "2", tmp_path / "out.json")
    assert (tmp_path / "out.json").read_bytes() == package


def test_the_shipped_list_as_a_release_build_has_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    province: Store, county: Store) -> None:
    """The province adds its fingerprint (spaces, lower case allowed) to resources/trust/province_certificates.json."""
    fingerprint = signer_of(province).fingerprint
    grouped = " ".join(fingerprint[i:i + 4].lower() for i in range(0, 64, 4))
    (tmp_path / "trust").mkdir()
    (tmp_path / "trust" / "province_certificates.json").write_text(json.dumps(
        {"certificates": [{"fingerprint": grouped, "note": "云南省总工会 测试"}, {"note": "no fingerprint"}]},
        ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(province_docs, "resource_path", lambda *parts: tmp_path.joinpath(*parts))
    assert province_docs.shipped_province_certificates() == {fingerprint: "云南省总工会 测试"}
    assert ds.install_signed(county, signed_definition(province), source="x").new


@pytest.fixture(scope="module")
def signed_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, bytes, bytes]]:
    """(a county trusting the province, a signed definition, its content), made once for the property test."""
    folder = tmp_path_factory.mktemp("property")
    province = province_store(folder / "省")
    county = unit_store(folder / "县", "530821")
    try:
        register_province(county, province, folder / "cert")
        raw = definition_bytes()
        yield county, signed_definition(province, raw), raw
    finally:
        province.close()
        county.close()


@settings(max_examples=80, deadline=None)
@given(position=st.floats(min_value=0, max_value=1, exclude_max=True), flip=st.integers(min_value=1, max_value=255))
def test_no_changed_byte_installs_other_content(signed_once: tuple[Store, bytes, bytes], position: float,
                                               flip: int) -> None:
    """Whatever single byte of the signed file is changed, the file is refused with a reason, or (a byte outside
    what is signed: the note, the informative digest, white space) it still yields exactly the province's bytes."""
    county, package, raw = signed_once
    data = bytearray(package)
    data[int(position * len(data))] ^= flip
    try:
        opened = province_docs.open_document(bytes(data), "definition", county, source="x.json")
    except ProvinceDocumentError as exc:
        assert str(exc).startswith("“x.json”")
    else:
        assert opened.raw == raw and opened.signer.unit_code == "530000"
