"""汇总 end to end: three counties of 普洱市 export and sign their returns; 普洱市总工会 receives them from a USB
stick (with a tampered copy, a duplicate and a return of 昆明市's 五华区), consolidates them with its own
records (市直), and every consolidated number equals its own number plus the three counties'. Then the
consolidated return is reviewed, finalised, signed and exported like a county's, and the province
verifies and receives it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from consolidation_support import (
    COUNTIES,
    FOREIGN,
    PERIOD,
    PREFECTURE,
    YEAR,
    County,
    copy_files,
    open_county_copy,
    receiving_store,
    setup_unit,
    signer,
    tamper_xlsx,
)

from forms import returns as R
from forms.definition import shipped_spec
from models import board, consolidate, receiving
from models.db import Store, open_store
from models.receiving import ACCEPTED, CHECKED, HELD, NOT_ACCEPTED, REFUSED
from models.returns import Return


@pytest.fixture
def prefecture(tmp_path: Path, counties: dict[str, County]) -> Store:
    from models.demo import fill_demo

    store = receiving_store(tmp_path / "普洱市", counties=counties)
    fill_demo(store, seed=8)  # the units 普洱市总工会 manages directly (市直)
    yield store
    store.close()


def _county_returns(counties: dict[str, County], tmp_path: Path) -> dict[str, Return]:
    """Each county's finalised version 1, read from its own store (not through receiving)."""
    from models import versions

    out = {}
    for code in COUNTIES:
        store = open_county_copy(counties[code], tmp_path / f"副本{code}")
        try:
            ret = versions.load_version(store, PERIOD, 1)
        finally:
            store.close()
        assert ret is not None
        out[code] = ret
    return out


def _receive_stick(prefecture: Store, counties: dict[str, County], usb: Path) -> list[receiving.ReceiveResult]:
    for code in COUNTIES:
        copy_files([counties[code].xlsx, counties[code].pdf], usb)
    copy_files([counties["530822"].xlsx], usb / "重复")
    tamper_xlsx(counties["530823"].xlsx, usb / "被改" / counties["530823"].xlsx.name)
    copy_files([counties[FOREIGN].xlsx], usb / "昆明")
    return receiving.receive_files(prefecture, [usb])


def test_three_counties_consolidate_to_their_sum(prefecture: Store, counties: dict[str, County], tmp_path: Path) -> None:
    results = _receive_stick(prefecture, counties, tmp_path / "U盘")
    outcomes = sorted((r.path.parent.name, r.path.suffix, r.unit_code, r.outcome) for r in results)
    assert outcomes == sorted([
        ("U盘", ".xlsx", "530821", ACCEPTED), ("U盘", ".xlsx", "530822", ACCEPTED), ("U盘", ".xlsx", "530823", ACCEPTED),
        ("U盘", ".pdf", "530821", CHECKED), ("U盘", ".pdf", "530822", CHECKED), ("U盘", ".pdf", "530823", CHECKED),
        ("重复", ".xlsx", "530822", HELD), ("被改", ".xlsx", "530823", NOT_ACCEPTED), ("昆明", ".xlsx", FOREIGN, REFUSED)])
    assert all(r.status == "valid" for r in results if r.outcome in (ACCEPTED, HELD, CHECKED))

    own = consolidate.own_return(prefecture, PERIOD)
    parts = _county_returns(counties, tmp_path)
    result = consolidate.consolidate_period(prefecture, PERIOD)
    ret = result.ret

    # every number of every table: own + the three counties
    checked = 0
    for spec in shipped_spec().tables:
        for row in spec.rows:
            for col in spec.columns:
                expected = own.tables[spec.key][row.key][col.key] + sum(
                    p.tables[spec.key][row.key][col.key] for p in parts.values())
                assert ret.tables[spec.key][row.key][col.key] == expected, (spec.key, row.key, col.key)
                checked += 1
    assert checked == sum(len(s.rows) * len(s.columns) for s in shipped_spec().tables)
    assert ret.tables["T3"]["total"]["participants"] > own.tables["T3"]["total"]["participants"] > 0
    assert isinstance(ret.tables["T3"]["total"]["funds"], Decimal)

    # the unit, the sources, who did not report
    assert (ret.unit_code, ret.unit_name, ret.unit_level) == (PREFECTURE, "普洱市总工会", "prefecture")
    assert ret.consolidated and ret.sources == [PREFECTURE, *COUNTIES]
    assert result.coverage_text == "应报 10 个，实报 3 个，未报：思茅区、景谷县、镇沅县、江城县、孟连县、澜沧县、西盟县"
    assert ret.coverage["expected"] == 10 and ret.coverage["reported"] == 3
    units = {u["code"]: u for u in ret.coverage["units"]}
    assert units[PREFECTURE]["name"] == "普洱市总工会（市直）"
    assert units["530822"]["version"] == 1 and len(units["530822"]["digest"]) == 64
    assert units["530828"]["role"] == "missing"

    # rosters: one row per person and studio of each unit, with 来源单位
    for key in ("R1", "R2"):
        assert len(ret.rosters[key]) == len(own.rosters[key]) + sum(len(p.rosters[key]) for p in parts.values())
    sources = {row["source_unit"] for row in ret.rosters["R1"]}
    assert sources == {"普洱市总工会（市直）", *(p.unit_name for p in parts.values())}
    assert [row["seq"] for row in ret.rosters["R1"][:3]] == ["1", "2", "3"]

    # the person listed by two counties is flagged
    duplicates = result.duplicates()
    assert len(duplicates) == 1
    assert set(duplicates[0].units) == {parts["530821"].unit_name, parts["530823"].unit_name}
    assert "岩温" in duplicates[0].text()
    findings = consolidate.duplicate_findings(ret)
    assert findings[0].code == consolidate.DUPLICATE_CODE and findings[0].severity == R.WARNING

    # drill-down: which unit contributed what
    for table, row, column in (("T3", "total", "participants"), ("T2", "total", "benefit"), ("T1", "省部级", "model_count")):
        parts_of = consolidate.contributions(prefecture, ret, table, row, column)
        assert [c.unit_code for c in parts_of] == [PREFECTURE, *COUNTIES]
        assert sum(c.value for c in parts_of) == ret.tables[table][row][column]
        assert parts_of[0].value == own.tables[table][row][column]
        assert parts_of[2].value == parts["530822"].tables[table][row][column]


def test_consolidation_uses_only_stored_returns(prefecture: Store, counties: dict[str, County], tmp_path: Path) -> None:
    usb = tmp_path / "U盘"
    files = copy_files([counties["530821"].xlsx], usb)
    receiving.receive_files(prefecture, [usb])
    for f in files:
        f.unlink()  # the stick is gone
    result = consolidate.consolidate_period(prefecture, PERIOD)
    assert result.coverage["reported"] == 1 and result.ret.sources == [PREFECTURE, "530821"]


def test_returned_and_invalid_units_are_not_summed(prefecture: Store, counties: dict[str, County], tmp_path: Path) -> None:
    from models import receipts

    receiving.receive_files(prefecture, [counties["530821"].xlsx, counties["530822"].xlsx])
    tamper_xlsx(counties["530823"].xlsx, tmp_path / "被改.xlsx")
    receiving.receive_files(prefecture, [tmp_path / "被改.xlsx"])
    row = next(r for r in receiving.received(prefecture, YEAR) if r.unit_code == "530822")
    receipts.send_back(prefecture, row.id, "表4获奖人数有误", signer(prefecture), tmp_path / "回执")
    result = consolidate.consolidate_period(prefecture, PERIOD)
    assert result.ret.sources == [PREFECTURE, "530821"]
    assert "墨江县（已退回）" in result.coverage_text and "景东县（签名无效）" in result.coverage_text


def test_consolidated_return_is_finalised_signed_exported_and_received_by_the_province(
        prefecture: Store, counties: dict[str, County], tmp_path: Path) -> None:
    from models import export, review, versions
    from models.return_io import read_return
    from models.signing.register_form import export_registration

    _receive_stick(prefecture, counties, tmp_path / "U盘")
    report = review.review(prefecture, PERIOD)
    duplicate = [f for f in report.warnings if f.code == consolidate.DUPLICATE_CODE]
    assert len(duplicate) == 1 and "岩温" in duplicate[0].message
    with pytest.raises(versions.FinaliseRefused):
        versions.finalise(prefecture, PERIOD)
    for finding in report.missing_notes:
        review.set_note(prefecture, PERIOD, finding.code, finding.where,
                        "已核实：岩温2019年由宁洱县调往景东县，两县名册均保留，下期删除")
    paths = export.export_return(prefecture, PERIOD, tmp_path / "报省", signer=signer(prefecture))
    assert [p.name for p in paths] == [f"{PREFECTURE}_{YEAR}_v1.xlsx", f"{PREFECTURE}_{YEAR}_v1.pdf"]
    version = versions.load_version(prefecture, PERIOD, 1)
    assert version is not None and version.consolidated and version.coverage["reported"] == 3

    # drill-down also works on the frozen version
    parts_of = consolidate.contributions(prefecture, version, "T3", "total", "participants")
    assert sum(c.value for c in parts_of) == version.tables["T3"]["total"]["participants"]

    # the province: registers 普洱市's certificate, verifies and receives the consolidated return
    cert = export_registration(prefecture, tmp_path / "证书").certificate
    province = receiving_store(tmp_path / "云南省", code="530000", key=False)
    try:
        from models.signing import trust

        trust.register(province, cert)
        checked = read_return(paths[0], province)
        assert checked.status == "valid", checked.reason
        assert checked.ret is not None and checked.ret.consolidated
        assert checked.ret.coverage["text"].startswith("应报 10 个，实报 3 个")
        assert read_return(paths[1], province).status == "valid"
        results = receiving.receive_files(province, [tmp_path / "报省"])
        assert [r.outcome for r in results] == [ACCEPTED, CHECKED]
        entry = {e.unit.code: e for e in board.build_board(province, PERIOD).entries}[PREFECTURE]
        assert (entry.state, entry.version) == (board.REPORTED, 1)
        # one level up: the province consolidates 普洱市's consolidated return like any other
        top = consolidate.consolidate_period(province, PERIOD)
        assert top.ret.tables["T3"]["total"]["participants"] == version.tables["T3"]["total"]["participants"]
        assert top.coverage_text.startswith("应报 16 个，实报 1 个，未报：昆明市")
        assert {r["source_unit"] for r in top.ret.rosters["R1"]} == {r["source_unit"] for r in version.rosters["R1"]}
    finally:
        province.close()


def test_a_county_store_is_not_consolidated(tmp_path: Path) -> None:
    from models.demo import fill_demo
    from models.returns import compute

    store = open_store(tmp_path / "宁洱")
    try:
        setup_unit(store, "530821")
        fill_demo(store, seed=4)
        assert not compute(store, PERIOD).consolidated
    finally:
        store.close()
