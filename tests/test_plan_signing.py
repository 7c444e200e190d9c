"""The province signs a plan of targets (规划目标); prefectures and counties install it and pass it down unchanged,
on the same rules as the return's definition. The core first, then ``plan sign | install | list | export-signed``."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from definition_support import (
    OTHER_PASSPHRASE,
    PROVINCE_PASSPHRASE,
    export_certificate,
    province_store,
    signed_definition,
    signer_of,
    unit_store,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from test_definition_signing import edit, forged, register_province

from cli import run
from forms.plans import shipped_plan
from models import plan_signing as ps
from models import plans
from models.db import Store, open_store
from models.province_docs import ProvinceDocumentError


def plan_bytes(version: int = 1, **changes: object) -> bytes:
    """The 十五五 plan: the shipped plan's indicators under a new id and years."""
    data = json.loads(shipped_plan().raw)
    data.update(id="yn-changai-plan-15th", title="“十五五”规划", year_from=2026, year_to=2030, version=version)
    data.update(changes)
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


@pytest.fixture
def province(tmp_path: Path) -> Iterator[Store]:
    store = province_store(tmp_path / "省总 工会")
    yield store
    store.close()


@pytest.fixture
def county(tmp_path: Path) -> Iterator[Store]:
    store = unit_store(tmp_path / "宁洱 县", "530821", OTHER_PASSPHRASE)
    yield store
    store.close()


@pytest.fixture
def trusting_county(county: Store, province: Store, tmp_path: Path) -> Store:
    register_province(county, province, tmp_path / "证书")
    return county


def signed_plan(province: Store, raw: bytes | None = None) -> bytes:
    return ps.sign_plan(province, plan_bytes() if raw is None else raw, signer_of(province), source="plan.json")


def installed_ids(store: Store) -> list[tuple[str, int]]:
    return [(i.plan.id, i.plan.version) for i in plans.installed(store)]


# --- the core --------------------------------------------------------------------------------------------------

def test_a_signed_plan_installs_with_its_signer_and_the_package_kept(trusting_county: Store, province: Store) -> None:
    package = signed_plan(province)
    outcome = ps.install_signed(trusting_county, package, source="十五五 规划.signed.json")
    assert outcome.new and outcome.plan.id == "yn-changai-plan-15th" and outcome.signer.unit_code == "530000"
    assert "已安装规划目标：“十五五”规划（2026—2030年，第1版）" in outcome.lines()[0]
    assert ps.signed_package(trusting_county, outcome.plan.digest) == package
    rows = ps.listing(trusting_county)
    assert [(r.entry.shipped, r.exportable) for r in rows] == [(True, False), (False, True)]
    assert rows[1].entry.signer_name == "云南省总工会" and rows[1].as_json()["signer_fingerprint"]
    again = ps.install_signed(trusting_county, package, source="again.json")
    assert not again.new and "已安装过" in again.lines()[0]
    assert installed_ids(trusting_county) == [("yn-changai-plan-14th", 1), ("yn-changai-plan-15th", 1)]


def test_only_the_province_signs_and_only_a_plan(county: Store, province: Store) -> None:
    with pytest.raises(ProvinceDocumentError, match="只有云南省总工会（530000）可以签发规划目标"):
        ps.sign_plan(county, plan_bytes(), signer_of(county, OTHER_PASSPHRASE), source="p.json")
    from forms.plans import PlanError

    with pytest.raises(PlanError, match="不是规划目标文件"):
        ps.sign_plan(province, b'{"hello": 1}', signer_of(province), source="p.json")


@pytest.mark.parametrize("change", ["content", "signature", "kind", "certificate"])
def test_tampered_files_are_refused_and_nothing_installed(trusting_county: Store, province: Store, change: str) -> None:
    package = signed_plan(province)
    document = json.loads(package)
    if change == "content":
        raw = base64.b64decode(document["content"]).replace(b"300", b"30", 1)
        bad = edit(package, content=base64.b64encode(raw).decode("ascii"))
        reason = "内容被修改"
    elif change == "signature":
        sig = bytearray(base64.b64decode(document["signature"]))
        sig[-20] ^= 0x01
        bad = edit(package, signature=base64.b64encode(bytes(sig)).decode("ascii"))
        reason = "内容被修改|签名已损坏|签名结构异常"
    elif change == "kind":
        bad = edit(package, kind="definition")
        reason = "是签发的报表制度文件，不是规划目标文件"
    else:
        bad = edit(package, certificate="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        reason = "签名证书与实际签名的证书不一致"
    with pytest.raises(ProvinceDocumentError, match=reason):
        ps.install_signed(trusting_county, bad, source="被改.signed.json")
    assert installed_ids(trusting_county) == [("yn-changai-plan-14th", 1)]


def test_a_signed_definition_is_not_a_plan(trusting_county: Store, province: Store) -> None:
    with pytest.raises(ProvinceDocumentError, match="是签发的报表制度文件，不是规划目标文件"):
        ps.install_signed(trusting_county, signed_definition(province), source="x.json")


def test_foreign_signers_are_refused(trusting_county: Store, county: Store, tmp_path: Path) -> None:
    bad = forged(plan_bytes(), signer_of(county, OTHER_PASSPHRASE), kind="plan")
    with pytest.raises(ProvinceDocumentError, match="不是云南省总工会签发的：签名者为宁洱"):
        ps.install_signed(trusting_county, bad, source="x.json")
    impostor = province_store(tmp_path / "冒充", fresh=True)
    try:
        package = signed_plan(impostor)
    finally:
        impostor.close()
    with pytest.raises(ProvinceDocumentError, match="签名者证书未登记"):
        ps.install_signed(trusting_county, package, source="x.json")
    assert installed_ids(trusting_county) == [("yn-changai-plan-14th", 1)]


def test_signed_content_that_is_not_a_plan(trusting_county: Store, province: Store) -> None:
    from models.province_docs import sign_document

    package = sign_document(province, b'{"hello": 1}', "plan", signer_of(province))
    with pytest.raises(ProvinceDocumentError, match="签名完好，但其中不是可用的规划目标"):
        ps.install_signed(trusting_county, package, source="x.json")


def test_another_content_under_an_installed_version_is_refused(trusting_county: Store, province: Store) -> None:
    ps.install_signed(trusting_county, signed_plan(province), source="a.json")
    with pytest.raises(ProvinceDocumentError, match=r"未安装：.*同一版本号的规划目标不能更换"):
        ps.install_signed(trusting_county, signed_plan(province, plan_bytes(title="改过的十五五")), source="b.json")
    shipped_changed = json.loads(shipped_plan().raw)
    shipped_changed["title"] = "改过的十四五"
    raw = json.dumps(shipped_changed, ensure_ascii=False).encode("utf-8")
    with pytest.raises(ProvinceDocumentError, match="同一版本号的规划目标不能更换"):
        ps.install_signed(trusting_county, signed_plan(province, raw), source="c.json")
    # the shipped plan signed is nothing new, and the shipped plan stays installed throughout
    assert not ps.install_signed(trusting_county, signed_plan(province, shipped_plan().raw), source="d.json").new
    assert installed_ids(trusting_county) == [("yn-changai-plan-14th", 1), ("yn-changai-plan-15th", 1)]


def test_find_and_export(trusting_county: Store, province: Store, tmp_path: Path) -> None:
    package = signed_plan(province)
    ps.install_signed(trusting_county, package, source="a.json")
    for ref in ("yn-changai-plan-15th/1", "yn-changai-plan-15th:1", "yn-changai-plan-15th", "1"):
        assert ps.find(trusting_county, ref).plan.version == 1
    out = tmp_path / "转交 下级" / "规划.signed.json"
    out.parent.mkdir()
    ps.export_signed(trusting_county, "yn-changai-plan-15th", out)
    assert out.read_bytes() == package
    with pytest.raises(ProvinceDocumentError, match="程序自带的规划目标不需要导出"):
        ps.find(trusting_county, "yn-changai-plan-14th")


# --- the command line, three levels ---------------------------------------------------------------------------

def cli(capsys: pytest.CaptureFixture[str], folder: Path, *args: str) -> tuple[int, str, str]:
    code = run(["--data-dir", str(folder), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_three_levels_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folders = tmp_path / "省总 工会", tmp_path / "普洱 市", tmp_path / "宁洱 县"
    for folder, code, passphrase in zip(folders, ("530000", "530800", "530821"), (PROVINCE_PASSPHRASE, None, None),
                                        strict=True):
        store = unit_store(folder, code, passphrase)
        if code == "530000":
            cert, fingerprint = export_certificate(store, tmp_path / "省证书")
        store.close()
    province, prefecture, county = folders
    draft = tmp_path / "草稿 文件夹" / "十五五 规划.json"
    draft.parent.mkdir()
    draft.write_bytes(plan_bytes())
    secret = tmp_path / "口令.txt"
    secret.write_text(PROVINCE_PASSPHRASE + "\n", encoding="utf-8")
    usb = tmp_path / "U盘 E"
    usb.mkdir()

    # a county cannot sign; a damaged draft is refused with the place in the file
    code, out, err = cli(capsys, county, "plan", "sign", str(draft), "--out", str(usb), "--passphrase-file", str(secret))
    assert code == 2 and "只有云南省总工会（530000）可以签发规划目标" in err and not list(usb.iterdir())
    broken = json.loads(plan_bytes())
    broken["indicators"][5]["cells"][0]["column"] = "nothing"
    bad_draft = tmp_path / "坏.json"
    bad_draft.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    code, out, err = cli(capsys, province, "plan", "sign", str(bad_draft), "--out", str(usb),
                         "--passphrase-file", str(secret))
    assert code == 2 and "indicators[5]" in err and "“nothing”栏" in err and not list(usb.iterdir())

    code, out, err = cli(capsys, province, "plan", "sign", str(draft), "--out", str(usb), "--passphrase-file", str(secret))
    assert code == 0, err
    signed = usb / "规划目标-yn-changai-plan-15th-第1版.signed.json"
    assert signed.is_file() and "已签发规划目标：“十五五”规划（2026—2030年，第1版）" in out
    # the unsigned draft no longer installs anywhere, not even at the province
    code, out, err = cli(capsys, province, "plan", "install", str(draft))
    assert code == 2 and "不是省总工会签发的规划目标文件" in err
    code, out, err = cli(capsys, province, "plan", "install", str(signed))
    assert code == 0 and "已安装规划目标" in out, err

    code, out, err = cli(capsys, prefecture, "plan", "install", str(signed))
    assert code == 2 and "签名者证书未登记" in err
    assert cli(capsys, prefecture, "trust", "add", str(cert), "--superior", "--fingerprint", fingerprint)[0] == 0
    code, out, err = cli(capsys, prefecture, "plan", "install", str(signed))
    assert code == 0, err
    assert "签发：云南省总工会（530000）" in out
    down = tmp_path / "给县"
    down.mkdir()
    code, out, err = cli(capsys, prefecture, "plan", "export-signed", "yn-changai-plan-15th/1", "--out", str(down))
    assert code == 0, err
    passed = down / signed.name
    assert passed.read_bytes() == signed.read_bytes()

    assert cli(capsys, county, "trust", "add", str(cert), "--superior", "--fingerprint", fingerprint)[0] == 0
    code, out, err = cli(capsys, county, "plan", "install", str(passed), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["installed"] and result["id"] == "yn-changai-plan-15th" and result["signer_code"] == "530000"
    assert "已安装过" in cli(capsys, county, "plan", "install", str(passed))[1]
    code, out, err = cli(capsys, county, "plan", "list", "--json")
    rows = json.loads(out)
    assert [(r["id"], r["shipped"]) for r in rows] == [("yn-changai-plan-14th", True), ("yn-changai-plan-15th", False)]
    assert rows[1]["signer_name"] == "云南省总工会" and rows[1]["signed_file_kept"] and rows[1]["source"] == signed.name
    code, out, err = cli(capsys, county, "plan", "list")
    assert "来源：程序自带" in out and "签发：云南省总工会" in out and signed.name in out
    # a tampered copy is refused at the county with the reason; the store keeps what it had
    document = json.loads(signed.read_bytes())
    raw = base64.b64decode(document["content"]).replace("“十五五”规划".encode(), "“十五五”计划".encode())
    document["content"] = base64.b64encode(raw).decode("ascii")
    tampered = tmp_path / "被改.signed.json"
    tampered.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    code, out, err = cli(capsys, county, "plan", "install", str(tampered))
    assert code == 2 and "“被改.signed.json”的内容被修改" in err
    assert cli(capsys, county, "plan", "install", str(tmp_path / "没有.json"))[0] == 2
    store = open_store(county)
    try:
        assert len(plans.installed(store)) == 2
    finally:
        store.close()
    code, out, err = cli(capsys, county, "progress", "--plan", "nope")
    assert code == 2 and "没有代码为“nope”的规划目标" in err


@pytest.fixture(scope="module")
def signed_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, bytes, bytes]]:
    """(a county trusting the province, a signed plan, its content), made once for the property test."""
    folder = tmp_path_factory.mktemp("plan-property")
    province = province_store(folder / "省")
    county = unit_store(folder / "县", "530821")
    try:
        register_province(county, province, folder / "cert")
        raw = plan_bytes()
        yield county, signed_plan(province, raw), raw
    finally:
        province.close()
        county.close()


@settings(max_examples=40, deadline=None)
@given(position=st.floats(min_value=0, max_value=1, exclude_max=True), flip=st.integers(min_value=1, max_value=255))
def test_no_changed_byte_installs_another_plan(signed_once: tuple[Store, bytes, bytes], position: float,
                                              flip: int) -> None:
    """Whatever single byte of the signed plan file is changed, it is refused naming the file, or it installs
    exactly the province's plan (a byte outside what is signed) and nothing else."""
    county, package, raw = signed_once
    data = bytearray(package)
    data[int(position * len(data))] ^= flip
    try:
        outcome = ps.install_signed(county, bytes(data), source="x.json")
    except ProvinceDocumentError as exc:
        assert str(exc).startswith("“x.json”")
    else:
        assert outcome.plan.raw == raw
    assert all(i.plan.raw == raw for i in plans.installed(county) if not i.shipped)
