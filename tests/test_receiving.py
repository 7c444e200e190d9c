"""Receiving subordinates' returns: verification statuses, idempotence, versions, refusals, the board, 回执."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from consolidation_support import (
    FOREIGN,
    PERIOD,
    PREFECTURE,
    YEAR,
    County,
    copy_files,
    make_key,
    open_county_copy,
    receiving_store,
    setup_unit,
    signer,
    tamper_xlsx,
)

from models import board, receipts, receiving
from models.db import Store, open_store
from models.receiving import ACCEPTED, CHECKED, HELD, NOT_ACCEPTED, REFUSED, UNREADABLE


@pytest.fixture
def prefecture(tmp_path: Path, counties: dict[str, County]) -> Store:
    store = receiving_store(tmp_path / "普洱市", counties=counties)
    yield store
    store.close()


def _rows(store: Store) -> list[dict[str, object]]:
    return store.query("SELECT unit_code, version, status, superseded, digest FROM received_returns ORDER BY id")


def test_a_usb_stick_with_good_duplicate_tampered_foreign_and_broken_files(prefecture: Store, counties: dict[str, County],
                                                                          tmp_path: Path) -> None:
    usb = tmp_path / "U盘"
    copy_files([counties["530821"].xlsx, counties["530822"].xlsx, counties[FOREIGN].xlsx], usb)
    copy_files([counties["530821"].xlsx], usb / "重复")  # the same file again, in a subfolder
    tamper_xlsx(counties["530823"].xlsx, usb / "530823_被改.xlsx")
    (usb / "坏文件.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (usb / "~$530821_2025_v1.xlsx").write_bytes(b"lock file")  # Excel's lock file: skipped
    (usb / "说明.txt").write_text("请查收", encoding="utf-8")  # not a return: skipped

    progress: list[tuple[int, int]] = []
    results = receiving.receive_files(prefecture, [usb], progress=lambda d, t, _text="": progress.append((d, t)))
    by_name = {(r.path.parent.name, r.path.name): r for r in results}
    assert len(results) == 6 and progress[-1] == (6, 6)
    first = by_name[("U盘", f"530821_{YEAR}_v1.xlsx")]
    assert (first.status, first.outcome, first.version) == ("valid", ACCEPTED, 1)
    assert by_name[("U盘", f"530822_{YEAR}_v1.xlsx")].outcome == ACCEPTED
    duplicate = by_name[("重复", f"530821_{YEAR}_v1.xlsx")]
    assert (duplicate.status, duplicate.outcome) == ("valid", HELD) and duplicate.ok
    tampered = by_name[("U盘", "530823_被改.xlsx")]
    assert (tampered.status, tampered.outcome) == ("tampered", NOT_ACCEPTED) and not tampered.ok
    foreign = by_name[("U盘", f"{FOREIGN}_{YEAR}_v1.xlsx")]
    assert foreign.outcome == REFUSED and "不是本单位的直接下级" in foreign.reason and "昆明市总工会" in foreign.reason
    broken = by_name[("U盘", "坏文件.xlsx")]
    assert (broken.status, broken.outcome) == ("malformed", UNREADABLE) and broken.reason
    for result in results:  # one Chinese line per file, naming it
        assert result.path.name in result.line()
    assert "已被修改" in tampered.line() and "拒收" in foreign.line()

    rows = _rows(prefecture)
    assert [(r["unit_code"], r["status"]) for r in rows] == [("530821", "valid"), ("530822", "valid"),
                                                               ("530823", "tampered")]
    # receiving everything again changes nothing
    again = receiving.receive_files(prefecture, [usb])
    assert [r.outcome for r in again if r.path.name.startswith("5308") and r.status == "valid"] == [HELD, HELD, HELD]
    assert _rows(prefecture) == rows

    result = board.build_board(prefecture, PERIOD)
    states = {e.unit.code: e.state for e in result.entries}
    assert states["530821"] == states["530822"] == board.REPORTED
    assert states["530823"] == board.INVALID and len(states) == 10 and FOREIGN not in states
    assert result.summary().startswith("应报 10 个，实报 2 个，未报：思茅区、景东县（签名无效）")
    assert result.counts == {"reported": 2, "missing": 7, "invalid": 1, "unregistered": 0, "returned": 0}


def test_pdf_copies_are_checked_not_stored(prefecture: Store, counties: dict[str, County], tmp_path: Path) -> None:
    usb = tmp_path / "U盘"
    copy_files([counties["530821"].pdf, counties["530821"].xlsx], usb)
    results = receiving.receive_files(prefecture, [usb])
    assert [r.path.suffix for r in results] == [".xlsx", ".pdf"]  # the data first
    pdf = results[1]
    assert (pdf.status, pdf.outcome, pdf.ok) == ("valid", CHECKED, True)
    assert pdf.unit_code == "530821" and pdf.version == 1
    assert len(_rows(prefecture)) == 1
    assert "PDF副本 1 个" in receiving.summary_text(results)


def test_newer_version_supersedes_older_both_kept(prefecture: Store, counties: dict[str, County], tmp_path: Path) -> None:
    from models import export, records
    from models.returns import compute

    county = open_county_copy(counties["530822"], tmp_path / "墨江")
    try:
        records.save(county, "trainings", {"name": "补录的电工培训班", "organizer": "墨江县总工会",
                                           "type": "职业技能培训", "start_date": f"{YEAR}-11-03",
                                           "end_date": f"{YEAR}-11-05", "participants": 55})
        v2 = export.export_return(county, PERIOD, tmp_path / "第二版", ["xlsx"], signer=signer(county))[0]
        expected = compute(county, PERIOD).tables["T3"]["total"]["participants"]
    finally:
        county.close()
    assert v2.name == f"530822_{YEAR}_v2.xlsx"
    newer = receiving.receive_files(prefecture, [v2])[0]
    assert newer.outcome == ACCEPTED and newer.version == 2 and newer.note == ""
    older = receiving.receive_files(prefecture, [counties["530822"].xlsx])[0]
    assert older.outcome == ACCEPTED and "较旧的版本" in older.note
    rows = _rows(prefecture)
    assert [(r["version"], r["superseded"]) for r in rows] == [(2, 0), (1, 1)]
    entry = {e.unit.code: e for e in board.build_board(prefecture, PERIOD).entries}["530822"]
    assert entry.version == 2 and "另存旧版本：第1版" in entry.remark
    usable = receiving.usable_returns(prefecture, YEAR)
    assert [(row.version, ret.tables["T3"]["total"]["participants"]) for row, ret in usable] == [(2, expected)]


def test_version_order_when_received_in_order(prefecture: Store, counties: dict[str, County], tmp_path: Path) -> None:
    from models import export, records

    county = open_county_copy(counties["530822"], tmp_path / "墨江")
    try:
        records.save(county, "trainings", {"name": "第二期焊工岗位练兵", "organizer": "墨江县总工会",
                                           "type": "岗位练兵", "start_date": f"{YEAR}-10-03",
                                           "end_date": f"{YEAR}-10-04", "participants": 40})
        v2 = export.export_return(county, PERIOD, tmp_path / "第二版", ["xlsx"], signer=signer(county))[0]
    finally:
        county.close()
    assert receiving.receive_files(prefecture, [counties["530822"].xlsx])[0].outcome == ACCEPTED
    result = receiving.receive_files(prefecture, [v2])[0]
    assert result.outcome == ACCEPTED and result.note == "取代第1版"
    assert "取代第1版" in result.line()


def test_unregistered_signer_counts_after_trust_add(tmp_path: Path, counties: dict[str, County]) -> None:
    from models.signing import trust

    store = receiving_store(tmp_path / "普洱市")  # nobody registered yet
    try:
        result = receiving.receive_files(store, [counties["530821"].xlsx])[0]
        assert (result.status, result.outcome) == ("unregistered", NOT_ACCEPTED)
        entry = board.build_board(store, PERIOD).entries[1]
        assert (entry.unit.code, entry.state, entry.state_label) == ("530821", board.UNREGISTERED_STATE, "未登记")
        assert "未在本单位登记" in entry.detail
        assert receiving.usable_returns(store, YEAR) == []

        trust.register(store, counties["530821"].cert)
        assert receiving.recheck(store, YEAR) == 1
        assert board.build_board(store, PERIOD).entries[1].state == board.REPORTED
        assert receiving.receive_files(store, [counties["530821"].xlsx])[0].outcome == HELD
        assert len(receiving.usable_returns(store, YEAR)) == 1

        trust.revoke(store, unit_code="530821", reason="密钥泄露")
        assert receiving.recheck(store, YEAR) == 1
        assert board.build_board(store, PERIOD).entries[1].state == board.UNREGISTERED_STATE
        assert receiving.usable_returns(store, YEAR) == []
    finally:
        store.close()


def test_unsigned_export_is_not_accepted(prefecture: Store, counties: dict[str, County], tmp_path: Path) -> None:
    from models import export, versions

    county = open_county_copy(counties["530823"], tmp_path / "景东")
    try:
        ret = versions.load_version(county, PERIOD)
        assert ret is not None
        plain = export.export_snapshot(ret, tmp_path / "无签名", ["xlsx"])[0]
    finally:
        county.close()
    result = receiving.receive_files(prefecture, [plain])[0]
    assert (result.status, result.outcome) == ("unsigned", NOT_ACCEPTED)
    assert board.build_board(prefecture, PERIOD).entries[3].state == board.INVALID
    # the signed file of the same version arrives later: the stored attempt turns valid
    later = receiving.receive_files(prefecture, [counties["530823"].xlsx])[0]
    assert later.outcome == ACCEPTED
    assert [(r["status"]) for r in _rows(prefecture)] == ["valid"]


def test_refusals_leave_no_trace(prefecture: Store, counties: dict[str, County], tmp_path: Path) -> None:
    import dataclasses

    from models.returns import canonical_bytes, compute

    county = open_store(tmp_path / "宁洱草稿")
    try:
        setup_unit(county, "530821")
        make_key(county)
        key = signer(county)
        draft = compute(county, PERIOD)
        cases = {
            "draft": draft,
            "future": dataclasses.replace(draft, period="2099", version=1),
            "own": dataclasses.replace(draft, unit_code=PREFECTURE, unit_name="普洱市总工会", version=1),
        }
        reasons = {}
        for name, ret in cases.items():
            payload = canonical_bytes(ret)
            inspection = receiving.inspect_payload(prefecture, payload, key.sign(payload), path=f"{name}.xlsx")
            result = receiving.store_inspection(prefecture, inspection)
            assert result.outcome == REFUSED, name
            reasons[name] = result.reason
    finally:
        county.close()
    assert "草稿" in reasons["draft"]
    assert "尚未开始" in reasons["future"] and "2099" in reasons["future"]
    assert "本单位自己的报表" in reasons["own"]
    assert _rows(prefecture) == []


def test_a_county_receives_nothing(tmp_path: Path, counties: dict[str, County]) -> None:
    store = open_store(tmp_path / "墨江")
    try:
        setup_unit(store, "530822")
        result = receiving.receive_files(store, [counties["530821"].xlsx])[0]
        assert result.outcome == REFUSED and "没有下级单位" in result.reason
        assert board.build_board(store, PERIOD).entries == []
        assert not board.has_subordinates(store)
    finally:
        store.close()


def test_a_failure_while_storing_keeps_earlier_files_and_writes_nothing_half(
        prefecture: Store, counties: dict[str, County], monkeypatch: pytest.MonkeyPatch) -> None:
    original = receiving._mark_superseded
    calls = {"n": 0}

    def failing(store: Store, unit_code: str, period: str) -> None:
        calls["n"] += 1
        original(store, unit_code, period)
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(receiving, "_mark_superseded", failing)
    files = [counties["530821"].xlsx, counties["530822"].xlsx]
    with pytest.raises(OSError):
        receiving.receive_files(prefecture, files)
    assert [r["unit_code"] for r in _rows(prefecture)] == ["530821"]  # the second insert was rolled back
    monkeypatch.setattr(receiving, "_mark_superseded", original)
    results = receiving.receive_files(prefecture, files)
    assert [r.outcome for r in results] == [HELD, ACCEPTED]


def test_send_back_and_receipts(prefecture: Store, counties: dict[str, County], tmp_path: Path) -> None:
    receiving.receive_files(prefecture, [counties["530821"].xlsx, counties["530822"].xlsx])
    entries = {e.unit.code: e for e in board.build_board(prefecture, PERIOD).entries}
    key = signer(prefecture)
    usb = tmp_path / "回执U盘"
    with pytest.raises(Exception, match="请填写退回原因"):
        receipts.send_back(prefecture, entries["530822"].current.id, "  ", key, usb)
    path = receipts.send_back(prefecture, entries["530822"].current.id, "表3培训经费与附件不符，请核实后重报", key, usb)
    assert path.name == f"530822_{YEAR}_v1_回执_已退回.json"
    entries = {e.unit.code: e for e in board.build_board(prefecture, PERIOD).entries}
    assert entries["530822"].state == board.RETURNED and "表3培训经费" in entries["530822"].detail
    assert [ret.unit_code for _row, ret in receiving.usable_returns(prefecture, YEAR)] == ["530821"]
    with pytest.raises(Exception, match="已于"):
        receipts.send_back(prefecture, entries["530822"].current.id, "再退一次", key, usb)
    # receiving the returned version again does not undo the 退回
    again = receiving.receive_files(prefecture, [counties["530822"].xlsx])[0]
    assert again.outcome == HELD and "退回" in again.note
    with pytest.raises(Exception, match="已退回"):
        receipts.accept_receipt(prefecture, entries["530822"].current.id, key, usb)

    written = receipts.write_receipts(prefecture, PERIOD, key, usb)
    assert sorted(p.name for p in written) == [f"530821_{YEAR}_v1_回执_已接收.json", f"530822_{YEAR}_v1_回执_已退回.json"]
    assert prefecture.scalar("SELECT count(*) FROM receipts") == 3

    # the county opens both receipts in its own program
    county = open_county_copy(counties["530822"], tmp_path / "墨江")
    try:
        opened = receipts.open_receipt(usb / f"530822_{YEAR}_v1_回执_已退回.json", county)
        assert opened.sound and opened.status == "unregistered"  # the prefecture's certificate is not registered there
        assert not opened.genuine and "无法确认回执的真实性" in opened.reason
        assert opened.receipt is not None and opened.receipt.decision == "returned"
        assert opened.receipt.reason == "表3培训经费与附件不符，请核实后重报"
        assert opened.receipt.issuer_code == PREFECTURE
        assert opened.match == f"与本单位定稿的{YEAR}年年报第1版报表一致"
        text = "\n".join(opened.lines())
        assert "已退回" in text and "退回原因：表3培训经费" in text and "普洱市总工会" in text
        other = receipts.open_receipt(usb / f"530821_{YEAR}_v1_回执_已接收.json", county)
        assert other.sound and "不是本单位的" in other.match
    finally:
        county.close()

    # a receipt edited afterwards no longer verifies
    document = json.loads(path.read_text(encoding="utf-8"))
    document["receipt"]["decision"] = "accepted"
    forged = tmp_path / "改过的回执.json"
    forged.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert receipts.open_receipt(forged).status == "tampered"
    assert receipts.open_receipt(tmp_path / "没有这个文件.json").status == "malformed"
    (tmp_path / "乱码.json").write_bytes(b"\xff\xfe garbage")
    assert receipts.open_receipt(tmp_path / "乱码.json").status == "malformed"


def test_a_new_version_after_send_back_is_reported(prefecture: Store, counties: dict[str, County], tmp_path: Path) -> None:
    from models import export, records

    receiving.receive_files(prefecture, [counties["530822"].xlsx])
    row = receiving.received(prefecture, YEAR)[0]
    receipts.send_back(prefecture, row.id, "竞赛场次有误", signer(prefecture), tmp_path / "回执")
    county = open_county_copy(counties["530822"], tmp_path / "墨江")
    try:
        records.save(county, "competitions", {"name": "茶艺技能竞赛", "type": "技能竞赛", "level": "县级",
                                              "host": "墨江县总工会", "date": f"{YEAR}-09-09", "participants": 30})
        v2 = export.export_return(county, PERIOD, tmp_path / "重报", ["xlsx"], signer=signer(county))[0]
    finally:
        county.close()
    result = receiving.receive_files(prefecture, [v2])[0]
    assert result.outcome == ACCEPTED and result.note == "取代第1版"
    entry = {e.unit.code: e for e in board.build_board(prefecture, PERIOD).entries}["530822"]
    assert (entry.state, entry.version) == (board.REPORTED, 2)


def test_the_province_takes_prefectures_and_registered_industry_unions(tmp_path: Path) -> None:
    from stdnum.cn import uscc

    from models import export, unit
    from models.demo import fill_demo
    from models.signing import trust
    from models.signing.register_form import export_registration

    body = "91530000MA6K1234Y"
    credit = body + uscc.calc_check_digit(body)
    grid = open_store(tmp_path / "电网")
    try:
        unit.setup(grid, code=credit, name="云南电网有限责任公司工会", industry=True, head="赵强", statistician="钱芳",
                   preparer="孙丽", phone="0871-63211234")
        fill_demo(grid, seed=21)
        make_key(grid)
        xlsx = export.export_return(grid, PERIOD, tmp_path / "电网导出", ["xlsx"], signer=signer(grid))[0]
        cert = export_registration(grid, tmp_path / "电网证书").certificate
    finally:
        grid.close()
    province = receiving_store(tmp_path / "云南省", code="530000")
    try:
        assert [s.code for s in board.subordinates(province)][-1] == "533400"  # 16 prefectures only, for now
        unregistered = receiving.receive_files(province, [xlsx])[0]
        assert unregistered.outcome == NOT_ACCEPTED
        subs = board.subordinates(province)
        assert len(subs) == 17 and subs[-1].code == credit and subs[-1].kind == "industry"
        trust.register(province, cert)
        receiving.recheck(province, YEAR)
        entry = board.build_board(province, PERIOD).entries[-1]
        assert (entry.unit.short_name, entry.state) == ("云南电网", board.REPORTED)
        assert board.build_board(province, PERIOD).summary().startswith("应报 17 个，实报 1 个，未报：昆明市、曲靖市")
    finally:
        province.close()


def test_a_units_versions_are_looked_up_in_the_index_never_in_their_rows(prefecture: Store, counties: dict[str, County]) -> None:
    """Receiving asks on every file for a unit's current version and marks the older ones superseded. The state
    columns come after the payload in a row: answered from the rows, each question read every version's whole
    payload, and receiving slowed down with every version held. Every such question is answered from the index."""
    import dataclasses

    from models.returns import canonical_bytes
    from models.signing.common import VALID

    first = receiving.inspect_file(prefecture, counties["530821"].xlsx)
    assert first.ret is not None
    statements: list[str] = []
    prefecture.conn.set_trace_callback(statements.append)
    try:
        for version in (1, 2, 3):
            ret = dataclasses.replace(first.ret, version=version, finalised_at=f"2026-01-1{version}T10:00:00")
            inspection = dataclasses.replace(first, status=VALID, ret=ret, payload=canonical_bytes(ret))
            assert receiving.store_inspection(prefecture, inspection).outcome == ACCEPTED
    finally:
        prefecture.conn.set_trace_callback(None)
    about_versions = {s for s in statements if "received_returns" in s and "unit_code =" in s and "period =" in s}
    assert len(about_versions) >= 4  # the current version, the newest, and the superseded marks
    for sql in about_versions:
        plan = " ".join(str(row[3]) for row in prefecture.conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "INDEX received_unit_state" in plan, (sql, plan)
    assert [r["superseded"] for r in _rows(prefecture)] == [1, 1, 0]
