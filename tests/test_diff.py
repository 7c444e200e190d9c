"""What changed between two versions of a return: own versions, a subordinate's received v1 → v2, the diff command."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from consolidation_support import PERIOD, YEAR, County, open_county_copy, receiving_store, signer
from hypothesis import given, settings
from hypothesis import strategies as st

from cli import run
from forms.definition import shipped_spec
from forms.periods import Period
from models import diff, export, receiving, records, review, versions
from models.db import RecordError, Store


def change_records(store: Store) -> dict[str, Any]:
    """Edits between two versions: a new training, a person removed, a studio's members changed."""
    records.save(store, "trainings", {"name": "补录的电工培训", "organizer": "县总工会", "type": "职业技能培训",
                                      "start_date": f"{YEAR}-06-01", "end_date": f"{YEAR}-06-03",
                                      "participants": 100, "female": 30})
    person = store.query("SELECT p.id, p.name FROM people p WHERE p.deleted_at IS NULL AND p.id NOT IN "
                         "(SELECT leader_id FROM studios) AND EXISTS (SELECT 1 FROM honours h WHERE h.person_id = p.id "
                         f"AND h.award_year <= {YEAR}) AND p.status = '在职' ORDER BY p.id LIMIT 1")[0]
    records.delete(store, "people", person["id"])
    studio = store.query("SELECT id, name, members FROM studios ORDER BY id LIMIT 1")[0]
    records.save(store, "studios", {**(records.get(store, "studios", studio["id"]) or {}),
                                    "members": studio["members"] + 7}, studio["id"])
    return {"person": person["name"], "studio": studio["name"], "members": studio["members"]}


def finalise_with_notes(store: Store, period: Period) -> Any:
    report = review.review(store, period)
    for finding in report.missing_notes:
        review.set_note(store, period, finding.code, finding.where, "已核实")
    return versions.finalise(store, period)


def test_own_versions_numbers_rosters_and_notes(demo_store: Store, data_dir: Path, capsys) -> None:
    first = finalise_with_notes(demo_store, PERIOD)
    changed = change_records(demo_store)
    second = finalise_with_notes(demo_store, PERIOD)
    assert (first.version, second.version) == (1, 2)
    result = diff.own_diff(demo_store, PERIOD)
    where = {c.where: c for c in result.numbers}
    total = where["表3 合计 · 参训人次"]
    assert total.difference == 100 and total.difference_text == "+100"
    assert int(total.new_text) - int(total.old_text) == 100
    assert all(c.old != c.new for c in result.numbers)
    removed = [c for c in result.rosters if c.action == "removed"]
    assert [c.roster_title for c in removed] == ["附表1"] and removed[0].label.startswith(changed["person"])
    assert "*" in removed[0].label  # the ID number stays masked
    studio = next(c for c in result.rosters if c.action == "changed" and c.label == changed["studio"])
    assert ("成员人数", str(changed["members"]), str(changed["members"] + 7)) in studio.fields
    assert result.summary().startswith("较第1版：表格数字变动")
    assert "名册删去1行、改动" in result.summary() or "名册删去1行" in result.summary()
    demo_store.close()
    assert run(["--data-dir", str(data_dir), "diff", "--period", YEAR, "--from", "1", "--to", "2"]) == 0
    out = capsys.readouterr().out
    assert "第1版 → 第2版" in out and "表3 合计 · 参训人次" in out and "（+100）" in out
    assert run(["--data-dir", str(data_dir), "diff", "--period", YEAR, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["from"] == 1 and data["to"] == 2
    assert any(n["difference"] == "+100" for n in data["numbers"])
    assert run(["--data-dir", str(data_dir), "diff", "--period", YEAR, "--from", "1", "--to", "5"]) == 2
    assert "没有第5版" in capsys.readouterr().err
    assert run(["--data-dir", str(data_dir), "diff", "--period", "2019"]) == 2
    assert "没有可比较的版本" in capsys.readouterr().err
    from models.db import open_store

    demo_store.conn = open_store(data_dir).conn


def test_same_version_twice_has_no_changes(demo_store: Store) -> None:
    ret = finalise_with_notes(demo_store, PERIOD)
    result = diff.diff_returns(ret, ret)
    assert result.empty and result.summary() == "与第1版相比没有变化"


def test_notes_changes_are_listed(demo_store: Store) -> None:
    ret = finalise_with_notes(demo_store, PERIOD)
    old = versions.load_version(demo_store, PERIOD, 1)
    assert old is not None
    import dataclasses

    new = dataclasses.replace(ret, version=2, notes=[*ret.notes, {"code": "x", "where": "T3", "message": "表3参训人次变化较大",
                                                                  "text": "新增农民工专项培训"}])
    result = diff.diff_returns(old, new)
    assert [c.text() for c in result.notes] == ["说明新增：表3参训人次变化较大：新增农民工专项培训"]


def county_v2(county: County, folder: Path) -> tuple[Path, dict[str, Any]]:
    """The county corrects its records and sends version 2; the folder of its files."""
    store = open_county_copy(county, folder / "数据")
    try:
        changed = change_records(store)
        report = review.review(store, PERIOD)
        for finding in report.missing_notes:
            review.set_note(store, PERIOD, finding.code, finding.where, "已核实")
        export.export_return(store, PERIOD, folder / "导出", ["xlsx"], signer=signer(store))
    finally:
        store.close()
    return folder / "导出", changed


def test_received_v1_to_v2(counties: dict[str, County], tmp_path: Path, capsys) -> None:
    county = counties["530821"]
    v2_files, changed = county_v2(county, tmp_path / "宁洱v2")
    store = receiving_store(tmp_path / "普洱市", counties=counties)
    try:
        receiving.receive_files(store, [county.xlsx])
        with pytest.raises(RecordError, match="只有1个版本"):
            diff.received_diff(store, PERIOD, "530821")
        receiving.receive_files(store, [v2_files])
        result = diff.received_diff(store, PERIOD, "530821")
        assert (result.old.version, result.new.version) == (1, 2)
        assert any(c.where == "表3 合计 · 参训人次" and c.difference == 100 for c in result.numbers)
        assert any(c.action == "removed" and c.label.startswith(changed["person"]) for c in result.rosters)
        assert set(diff.board_changes(store, PERIOD, ["530821", "530822"])) == {"530821"}
        assert store.path is not None
        folder = store.path.parent
    finally:
        store.close()
    assert run(["--data-dir", str(folder), "diff", "--period", YEAR, "--unit", "530821"]) == 0
    out = capsys.readouterr().out
    assert "宁洱哈尼族彝族自治县总工会" in out and "第1版 → 第2版" in out and "附表1 删去：" in out


# ---------------------------------------------------------------------------------------------
# On screen: the board, the received return, the return page


def test_board_shows_the_change_and_opens_the_received_return(qtbot, counties: dict[str, County], tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import Qt

    from forms.periods import Period
    from ui import settings_store
    from ui.board_page import BoardModel, BoardPage
    from ui.received_return_dialog import ReceivedReturnDialog

    county = counties["530821"]
    v2_files, changed = county_v2(county, tmp_path / "宁洱v2")
    store = receiving_store(tmp_path / "普洱市", counties=counties)
    try:
        settings_store.set_current_period(store, Period(int(YEAR)))
        receiving.receive_files(store, [county.xlsx, counties["530822"].xlsx])
        receiving.receive_files(store, [v2_files])
        page = BoardPage(store)
        qtbot.addWidget(page)
        page.resize(1000, 600)
        page.show()
        rows = {e.unit.code: i for i, e in enumerate(page.model.entries)}
        note = page.model.index(rows["530821"], BoardModel.NOTE).data()
        assert note.startswith("较第1版：表格数字变动") and "名册删去1行" in note
        assert page.model.index(rows["530821"], BoardModel.VERSION).data() == "第2版"
        assert not page.model.index(rows["530822"], BoardModel.NOTE).data().startswith("较第")
        seen: list[ReceivedReturnDialog] = []
        monkeypatch.setattr(ReceivedReturnDialog, "exec", lambda dialog: seen.append(dialog) or 0)
        page.table.selectRow(rows["530821"])
        assert page.change_label.isVisible() and page.change_label.text().startswith("宁洱哈尼族彝族自治县总工会第2版较第1版：")
        page.table.setFocus()
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
        assert len(seen) == 1
        dialog = seen[0]
        assert dialog.width() <= 1024 and dialog.height() <= 768
        assert "宁洱哈尼族彝族自治县总工会" in dialog.windowTitle() and "第2版" in dialog.windowTitle()
        assert dialog.signature.text().startswith("签名核验：验证通过")
        tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
        assert tabs[:6] == ["封面", "表1", "表2", "表3", "表4", "表5"]
        assert tabs[6].startswith("附表1（") and tabs[8].startswith("审核和说明") and tabs[9] == "与第1版比较"
        assert "单位负责人：李国华" in dialog.cover.toPlainText()
        assert dialog.tables["T3"].item(dialog.tables["T3"].first_data, 0).text()
        lines = dialog.diff_view.texts()  # type: ignore[union-attr]
        assert any(line.startswith("表3 合计 · 参训人次 |") and line.endswith("| +100") for line in lines)
        assert any(line.startswith(f"附表1 删去：{changed['person']}") for line in lines)
        texts = [dialog.findings.item(r, 3).text() for r in range(dialog.findings.rowCount())]
        assert "已核实" in texts or dialog.findings.rowCount() == 0
        # double-click on a unit with one version: no comparison tab
        page.table.selectRow(rows["530822"])
        page.open_return()
        assert seen[-1].diff_view is None and "与第" not in seen[-1].tabs.tabText(seen[-1].tabs.count() - 1)
        # the 说明 a unit wrote for its warnings are shown beside them
        current = page.selected_entry().current  # type: ignore[union-attr]
        payload = json.loads(store.scalar("SELECT payload FROM received_returns WHERE id = ?", (current.id,)))
        payload["notes"] = [{"code": "change.over_50", "where": "T3/total/participants", "message": "表3参训人次比上期增加60%",
                             "text": "新增农民工专项培训"}]
        store.conn.execute("UPDATE received_returns SET payload = ? WHERE id = ?",
                           (json.dumps(payload, ensure_ascii=False), current.id))
        store.conn.commit()
        page.open_return()
        table = seen[-1].findings
        rows = [[table.item(r, c).text() for c in range(4)] for r in range(table.rowCount())]
        assert ["警告", "", "表3参训人次比上期增加60%", "新增农民工专项培训"] in rows
        assert seen[-1].tabs.tabText(8) == f"审核和说明（{len(rows)}）"
    finally:
        store.close()


def test_return_page_compares_own_versions(qtbot, demo_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from forms.periods import Period
    from ui import msgbox, settings_store
    from ui.diff_dialog import DiffDialog
    from ui.return_page import ReturnPage

    settings_store.set_current_period(demo_store, Period(int(YEAR)))
    page = ReturnPage(demo_store)
    qtbot.addWidget(page)
    told: list[str] = []
    monkeypatch.setattr(msgbox, "information", lambda parent, title, text, *a: told.append(text))
    page.compare_button.click()
    assert told and "没有可比较的版本" in told[0]
    finalise_with_notes(demo_store, PERIOD)
    change_records(demo_store)
    finalise_with_notes(demo_store, PERIOD)
    shown: list[DiffDialog] = []
    monkeypatch.setattr(DiffDialog, "exec", lambda dialog: shown.append(dialog) or 0)
    page.refresh()
    page.compare_button.click()
    assert shown and shown[0].windowTitle() == "版本比较"
    assert shown[0].view.summary.text().startswith("较第1版：")
    assert shown[0].width() <= 1024 and shown[0].height() <= 768
    # a large return (a province's) is compared off the window's thread; the dialog opens when it is done
    from models import returns

    monkeypatch.setattr(returns, "LONG_WORK_HONOURS", 10)
    summaries: list[str] = []
    monkeypatch.setattr(DiffDialog, "exec", lambda dialog: summaries.append(dialog.view.summary.text()) or 0)
    page.compare_button.click()
    assert not summaries
    qtbot.waitUntil(lambda: bool(summaries), timeout=30_000)
    assert summaries[0].startswith("较第1版：")


# ---------------------------------------------------------------------------------------------
# Property: exactly the cells changed are listed, with the right difference


_BASE: list[Any] = []


def _base_return() -> Any:
    if not _BASE:
        from models import returns, unit
        from models.db import open_store
        from models.demo import fill_demo

        store = open_store(memory=True)
        unit.setup(store, code="530821", head="李国华", statistician="王丽", preparer="张敏", phone="0879-3231234")
        fill_demo(store, seed=2025)
        _BASE.append(returns.compute(store, PERIOD))
        store.close()
    return _BASE[0]


def _cells() -> list[tuple[str, str, str, bool]]:

    return [(t.key, r.key, c.key, c.money) for t in shipped_spec().tables for r in t.rows for c in t.columns]


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.integers(0, len(_cells()) - 1), st.integers(-500, 500).filter(bool), max_size=12))
def test_diff_lists_exactly_the_changed_cells(changes: dict[int, int]) -> None:
    cells = _cells()
    base = _base_return()
    new = copy.deepcopy(base)
    new.version = 2
    for index, delta in changes.items():
        table, row, column, money = cells[index]
        new.tables[table][row][column] += Decimal(delta) / 100 if money else delta
    result = diff.diff_returns(base, new)
    expected = set()
    for index, delta in changes.items():
        table, row, column, money = cells[index]
        before = base.tables[table][row][column]
        expected.add((table, before, before + (Decimal(delta) / 100 if money else delta)))
    assert {(c.table, c.old, c.new) for c in result.numbers} == expected
    assert len(result.numbers) == len(changes)
    assert all(c.difference == c.new - c.old for c in result.numbers)
    assert not result.rosters and not result.notes


def test_roster_rows_changed_only_in_their_number_are_not_changes() -> None:
    """A row whose texts are all the same is skipped whole; one renumbered (序号 is not a change) or changed in a
    cell is looked at cell by cell, and only the changed cell is listed."""
    base = _base_return()
    new = copy.deepcopy(base)
    rows = new.rosters["R1"]
    assert len(rows) >= 3
    rows[0]["seq"] = "99"
    rows[1]["seq"], rows[1]["employer"] = "98", "新单位"
    result = diff.diff_returns(base, new)
    assert [(c.action, c.fields) for c in result.rosters] == [
        ("changed", (("工作单位", base.rosters["R1"][1]["employer"], "新单位"),))]
