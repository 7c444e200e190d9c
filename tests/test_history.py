"""Change history: every write to the records is recorded with it, shown masked, and printed by ``history``."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtWidgets import QWidget
from test_importer import PEOPLE_CSV, PEOPLE_XLSX
from test_ui_dialogs import while_modal

from cli import run
from common import ids
from models import history, records
from models.db import Store
from models.importer import apply_import, plan_import, read_table, undo_import

PERSON_ID = ids.make_id_number("530821", dt.date(1978, 5, 12), 39, "男")


def ops(store: Store, kind: str | None = None, record_id: int | None = None) -> list[str]:
    return [e.operation for e in reversed(history.entries(store, kind, record_id))]


def test_entry_edit_delete_restore_purge_are_recorded(county_store: Store) -> None:
    pid = records.save(county_store, "people", {"name": "张三", "id_number": PERSON_ID, "mobile": "13987654321",
                                                 "employer": "供电局"},
                       children={"honours": [{"title": "全国五一劳动奖章", "award_year": 2019}]}).id
    added = history.entries(county_store, "people", pid)[0]
    assert (added.operation, added.label) == ("add", "张三")
    lines = history.change_lines(added, county_store)
    assert f"身份证号：（空） → {PERSON_ID[:6]}********{PERSON_ID[-4:]}" in lines
    assert "手机号：（空） → 139****4321" in lines
    assert any(line.startswith("荣誉：增加 全国五一劳动奖章") for line in lines)
    assert all(PERSON_ID not in line and "13987654321" not in line for line in lines)

    record = records.get(county_store, "people", pid) or {}
    records.save(county_store, "people", {**record, "post": "车间主任"}, pid,
                 children={"honours": [{"title": "云岭工匠", "award_year": 2021}]})
    edit = history.entries(county_store, "people", pid)[0]
    assert edit.operation == "edit"
    assert set(history.change_lines(edit, county_store)) >= {
        "岗位/工种：（空） → 车间主任", "荣誉：增加 云岭工匠 工匠 省部级 授予年份2021"}
    assert any(line.startswith("荣誉：去掉 全国五一劳动奖章") for line in history.change_lines(edit, county_store))
    records.save(county_store, "people", records.get(county_store, "people", pid) or {}, pid)  # no change: no entry
    records.delete(county_store, "people", pid)
    records.restore(county_store, "people", pid)
    records.delete(county_store, "people", pid)
    records.purge(county_store, "people", pid)
    assert ops(county_store, "people", pid) == ["add", "edit", "delete", "restore", "delete", "purge"]
    purged = history.entries(county_store, "people", pid)[0]
    assert "岗位/工种：车间主任 → （空）" in history.change_lines(purged, county_store)


def test_history_is_written_in_the_same_transaction(county_store: Store) -> None:
    with pytest.raises(RuntimeError), county_store.atomic():
        records.save(county_store, "trainings", {"name": "电工培训", "type": "职业技能培训", "participants": 30,
                                                    "organizer": "县总工会", "start_date": "2025-03-01",
                                                    "end_date": "2025-03-02"})
        raise RuntimeError("power cut")
    assert county_store.scalar("SELECT count(*) FROM trainings") == 0
    assert county_store.scalar("SELECT count(*) FROM history") == 0
    with pytest.raises(records.ValidationFailed):
        records.save(county_store, "trainings", {"name": "", "type": "职业技能培训"})
    assert county_store.scalar("SELECT count(*) FROM history") == 0


def test_studio_leader_is_shown_by_name(county_store: Store) -> None:
    pid = records.save(county_store, "people", {"name": "李四", "id_number": PERSON_ID, "employer": "供电局"},
                       children={"honours": [{"title": "云南省劳动模范", "award_year": 2015}]}).id
    sid = records.save(county_store, "studios", {"name": "李四劳模创新工作室", "type": "劳模创新工作室", "level": "省级",
                                                 "host_unit": "供电局",
                                                 "leader_id": pid, "named_year": 2020},
                       children={"studio_outputs": [{"year": 2024, "patents": 3}]}).id
    lines = history.change_lines(history.entries(county_store, "studios", sid)[0], county_store)
    assert "领办人：（空） → 李四" in lines
    assert [x for x in lines if x.startswith("年度成果")] == ["年度成果：增加 2024年 获得专利3"], lines


def test_import_and_its_undo_are_recorded_per_record(store: Store) -> None:
    plan = plan_import(store, "people", read_table(PEOPLE_XLSX, kind="people"), on_duplicate="update")
    first = apply_import(store, plan)
    imported = [e for e in history.entries(store, "people") if e.operation == "import"]
    assert len(imported) == store.scalar("SELECT count(*) FROM people")
    assert {e.batch_id for e in imported} == {first}
    second = apply_import(store, plan_import(store, "people", read_table(PEOPLE_CSV, kind="people"),
                                             on_duplicate="update"))
    updated = [e for e in history.entries(store, "people") if e.batch_id == second and e.record_id in
               {i.record_id for i in imported}]
    assert updated and all(e.changes for e in updated)
    undo_import(store, second)
    undone = [e for e in history.entries(store, "people") if e.operation == "import_undo"]
    assert {e.batch_id for e in undone} == {second}
    assert len(undone) == len([e for e in history.entries(store, "people") if e.batch_id == second]) // 2
    for entry in undone:
        lines = history.change_lines(entry, store)
        assert lines, entry
        assert all(len(ids.compact(w)) != 18 or "*" in w for line in lines for w in line.split())


def test_demo_data_is_recorded_as_demo(demo_store: Store) -> None:
    counts = {r["operation"]: r["n"] for r in demo_store.query(
        "SELECT operation, count(*) AS n FROM history GROUP BY operation")}
    assert counts == {"demo": 120 + 20 + 60 + 15 + 2}


def test_history_command_filters_by_kind_record_and_date(demo_store: Store, data_dir, capsys) -> None:
    pid = int(demo_store.scalar("SELECT min(id) FROM people"))
    record = records.get(demo_store, "people", pid) or {}
    records.save(demo_store, "people", {**record, "post": "总工程师"}, pid)
    demo_store.conn.execute("UPDATE history SET at = '2020-01-01T08:00:00' WHERE operation = 'demo'")
    demo_store.conn.commit()
    assert run(["--data-dir", str(data_dir), "history", "--since", "2021-1-1"]) == 0
    out = capsys.readouterr().out
    assert "修改  人员“" in out and "总工程师" in out and "共1条修改记录" in out
    assert run(["--data-dir", str(data_dir), "history", "--kind", "people", "--record", str(pid)]) == 0
    out = capsys.readouterr().out
    assert "共2条修改记录" in out and record["id_number"] not in out and record["id_number"][-4:] in out
    assert run(["--data-dir", str(data_dir), "history", "--kind", "trainings", "--limit", "2"]) == 0
    assert "共2条修改记录" in capsys.readouterr().out
    assert run(["--data-dir", str(data_dir), "history", "--since", "昨天"]) == 2
    assert "2025-03-01" in capsys.readouterr().err
    assert run(["--data-dir", str(data_dir), "history", "--record", "3"]) == 2


def test_history_view_from_the_record_form(qtbot, county_store: Store) -> None:
    from ui.history_dialog import HistoryDialog
    from ui.record_dialog import RecordDialog

    pid = records.save(county_store, "people", {"name": "张三", "id_number": PERSON_ID, "employer": "供电局"}).id
    records.save(county_store, "people", {**(records.get(county_store, "people", pid) or {}), "post": "焊工"}, pid)
    dialog = RecordDialog(county_store, "people", pid)
    qtbot.addWidget(dialog)
    assert RecordDialog(county_store, "people").history_button is None  # nothing to show for a new record
    seen: list[list[str]] = []

    def look(modal: QWidget) -> None:
        assert isinstance(modal, HistoryDialog)
        assert modal.width() <= 1024 and modal.height() <= 768
        seen.append(modal.texts())
        modal.reject()

    dialog.show()
    while_modal(qtbot, look)
    assert dialog.history_button is not None
    dialog.history_button.click()
    lines = seen[0]
    assert lines[0].endswith("修改  1项") and lines[1] == "岗位/工种：（空） → 焊工"
    assert any("新增" in line for line in lines)
    assert not any(PERSON_ID in line for line in lines)


VALUES = st.one_of(st.none(), st.just(""), st.integers(-5, 5), st.text(max_size=3), st.booleans())


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdef"), VALUES), st.dictionaries(st.sampled_from("abcdef"), VALUES))
def test_diff_applied_to_old_gives_new(old: dict, new: dict) -> None:
    def norm(d: dict) -> dict:
        return {k: int(v) if isinstance(v, bool) else v for k, v in d.items() if v is not None and v != ""}

    changes = history.diff(old, new)
    result = norm(old)
    for name, before, after in changes:
        assert before == norm(old).get(name) and before != after
        if after is None:
            result.pop(name, None)
        else:
            result[name] = after
    assert result == norm(new)
    assert history.diff(old, old) == []
