"""The entry fields a definition adds (the 2026 test definition: 其中数字技能培训人次 and 线上举办 on trainings)
are imported like the form's own fields, written to the record history with their labels, and undone with
the import."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from models import history, importer, records
from models.db import Store
from tests.test_definition_2026 import county, training  # noqa: F401  (the fixture: a county with 2026 installed)

DIGITAL = "其中数字技能培训人次"
ONLINE = "线上举办"


def _filled_template(store: Store, path: Path, rows: list[dict[str, object]]) -> Path:
    importer.write_template("trainings", path, store)
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    for r, row in enumerate(rows, start=2):
        for label, value in row.items():
            if label not in headers:
                headers.append(label)
                sheet.cell(1, len(headers), label)
            sheet.cell(r, headers.index(label) + 1, value)
    book.save(path)
    return path


def _row(name: str, participants: int, digital: object, online: object = "否", **more: object) -> dict[str, object]:
    return {"培训名称": name, "主办单位": "宁洱县总工会", "类型": "职业技能培训", "开始日期": "2026-03-10",
            "结束日期": "2026-03-12", "参训人次": participants, DIGITAL: digital, ONLINE: online, **more}


def _plan(store: Store, path: Path) -> importer.ImportPlan:
    return importer.plan_import(store, "trainings", importer.read_table(path, kind="trainings"))


def test_the_template_has_the_added_fields_and_imports_back(county: Store, tmp_path: Path) -> None:  # noqa: F811
    columns = [c.label for c in importer.template_columns("trainings", county)]
    assert columns[-2:] == [DIGITAL, ONLINE]
    assert DIGITAL not in [c.label for c in importer.template_columns("trainings")]  # no store: the form alone
    path = _filled_template(county, tmp_path / "培训 导入.xlsx",
                            [_row("数字技能培训班", 80, 60, "是"), _row("茶叶加工培训", 50, None, None)])
    book = openpyxl.load_workbook(path)
    notes = {r[0].value: r[1].value for r in book["填写说明"].iter_rows(min_row=2)}
    assert "整数" in notes[DIGITAL] and "是" in notes[ONLINE]
    plan = _plan(county, path)
    assert plan.errors == [] and plan.counts["added"] == 2
    assert f"{DIGITAL}→{DIGITAL}" in plan.report_lines()[2]
    batch = importer.apply_import(county, plan)
    stored = {r["name"]: r["extra"] for r in county.query("SELECT name, extra FROM trainings")}
    assert json.loads(stored["数字技能培训班"]) == {"digital_participants": 60, "online": True}
    assert json.loads(stored["茶叶加工培训"]) == {"digital_participants": 0, "online": False}  # as entered
    saved = records.get(county, "trainings", 1)
    assert saved is not None and saved["digital_participants"] == 60 and saved["online"] is True
    [entry] = [e for e in history.entries(county, "trainings") if e.label == "数字技能培训班"]
    lines = history.change_lines(entry, county)
    assert f"{DIGITAL}：（空） → 60" in lines and f"{ONLINE}：（空） → 是" in lines
    importer.undo_import(county, batch)
    assert county.query("SELECT id FROM trainings") == []
    [undone] = [e for e in history.entries(county, "trainings") if e.operation == "import_undo" and e.record_id == 1]
    assert f"{DIGITAL}：60 → （空）" in history.change_lines(undone, county)


def test_bad_values_of_added_fields_name_the_row_and_column(county: Store, tmp_path: Path) -> None:  # noqa: F811
    path = _filled_template(county, tmp_path / "培训.xlsx", [
        _row("数字技能培训班", 80, "很多"), _row("智能制造集训", 80, 90), _row("线上班", 30, 10, "也许"),
        _row("好的一行", 30, 10, "是", 备注说明="不认识的列")])
    plan = _plan(county, path)
    messages = [r.message for r in plan.errors]
    assert len(messages) == 3, messages
    assert messages[0].startswith(f"第2行“{DIGITAL}”：")
    assert messages[1] == f"第3行“{DIGITAL}”：{DIGITAL}（90）不能大于参训人次（80）"
    assert messages[2].startswith(f"第4行“{ONLINE}”：")
    assert "未导入的列：备注说明" in plan.report_lines()  # an unknown column is still reported
    assert plan.counts["added"] == 1


def test_an_update_changes_the_added_field_keeps_the_others_and_is_undone(county: Store, tmp_path: Path  # noqa: F811
                                                                            ) -> None:
    saved = records.save(county, "trainings", training("数字技能培训班", "2026-03-10", 80, 40))
    county.conn.execute("UPDATE trainings SET extra = json_set(extra, '$.kept', 'x') WHERE id = ?", (saved.id,))
    before = county.scalar("SELECT extra FROM trainings WHERE id = ?", (saved.id,))
    path = _filled_template(county, tmp_path / "更新.xlsx", [_row("数字技能培训班", 80, 60, "是")])
    plan = _plan(county, path)
    assert plan.errors == [] and plan.counts["updated"] == 1
    batch = importer.apply_import(county, plan)
    extra = json.loads(county.scalar("SELECT extra FROM trainings WHERE id = ?", (saved.id,)))
    assert extra == {"digital_participants": 60, "online": True, "kept": "x"}
    [entry] = [e for e in history.entries(county, "trainings", saved.id) if e.operation == "import"]
    lines = history.change_lines(entry, county)
    assert f"{DIGITAL}：40 → 60" in lines and f"{ONLINE}：否 → 是" in lines
    same = _plan(county, path)  # the same file again: nothing to change
    assert same.counts["updated"] == 0
    importer.undo_import(county, batch)
    assert county.scalar("SELECT extra FROM trainings WHERE id = ?", (saved.id,)) == before
    [undone] = [e for e in history.entries(county, "trainings", saved.id) if e.operation == "import_undo"]
    assert f"{DIGITAL}：60 → 40" in history.change_lines(undone, county)


def test_editing_an_added_field_is_in_the_history(county: Store) -> None:  # noqa: F811
    saved = records.save(county, "trainings", training("数字技能培训班", "2026-03-10", 80, 40))
    [added] = history.entries(county, "trainings", saved.id)
    assert f"{DIGITAL}：（空） → 40" in history.change_lines(added, county)
    records.save(county, "trainings", training("数字技能培训班", "2026-03-10", 80, 60, online=True), saved.id)
    edit = history.entries(county, "trainings", saved.id)[0]
    assert edit.operation == "edit"
    assert history.change_lines(edit, county) == [f"{DIGITAL}：40 → 60", f"{ONLINE}：否 → 是"]
    records.save(county, "trainings", training("数字技能培训班", "2026-03-10", 80, 60, online=True), saved.id)
    assert len(history.entries(county, "trainings", saved.id)) == 2  # nothing changed, nothing logged
    records.delete(county, "trainings", saved.id)
    records.purge(county, "trainings", saved.id)
    purged = history.entries(county, "trainings", saved.id)[0]
    assert purged.operation == "purge" and f"{DIGITAL}：60 → （空）" in history.change_lines(purged, county)


def test_the_history_dialog_shows_the_added_field(qtbot, county: Store) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from ui.history_dialog import HistoryDialog

    saved = records.save(county, "trainings", training("数字技能培训班", "2026-03-10", 80, 40))
    records.save(county, "trainings", training("数字技能培训班", "2026-03-10", 80, 60), saved.id)
    dialog = HistoryDialog(county, "trainings", saved.id, "数字技能培训班")
    qtbot.addWidget(dialog)
    top = dialog.tree.topLevelItem(0)
    assert top is not None and top.text(1) == "修改"
    assert [top.child(i).text(2) for i in range(top.childCount())] == [f"{DIGITAL}：40 → 60"]


@pytest.mark.parametrize("header", [DIGITAL, "数字技能培训人次"])
def test_the_label_and_synonyms_map_to_the_added_field(county: Store, header: str) -> None:  # noqa: F811
    mapping = importer.propose_mapping("trainings", ["培训名称", header], county)
    assert mapping == {0: "name", 1: "digital_participants"}
    assert importer.propose_mapping("trainings", ["培训名称", header]) == {0: "name"}


def test_the_command_line_template_and_map_know_the_added_fields(county: Store, tmp_path: Path,  # noqa: F811
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from cli import run

    data_dir = tmp_path / "宁洱 数据"
    template = tmp_path / "模板 培训.xlsx"
    assert run(["--data-dir", str(data_dir), "template", "--kind", "trainings", "--out", str(template)]) == 0
    assert [c.value for c in openpyxl.load_workbook(template).worksheets[0][1]][-2:] == [DIGITAL, ONLINE]
    path = tmp_path / "培训 台账.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["培训名称", "主办单位", "类型", "开始日期", "结束日期", "参训人次", "数字人次", "线上"])
    sheet.append(["数字技能培训班", "宁洱县总工会", "职业技能培训", "2026-03-10", "2026-03-12", 80, 60, "是"])
    book.save(path)
    capsys.readouterr()
    code = run(["--data-dir", str(data_dir), "import", str(path), "--kind", "trainings",
                "--map", f"数字人次={DIGITAL}"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"数字人次→{DIGITAL}" in out and f"线上→{ONLINE}" in out
    extra = county.scalar("SELECT extra FROM trainings")
    assert json.loads(extra) == {"digital_participants": 60, "online": True}


def test_a_field_added_to_people_is_imported_checked_and_merged(county: Store, tmp_path: Path) -> None:  # noqa: F811
    import datetime as dt

    from common.ids import make_id_number
    from forms.definition import load_definition
    from models import definitions
    from tests.test_definition_2026 import DEFINITION_FILE

    body = json.loads(DEFINITION_FILE.read_text(encoding="utf-8"))
    body["version"] = body["version"] + 1
    body["fields"].append({"kind": "people", "name": "mentees", "label": "带徒人数", "type": "int", "unit": "人",
                           "synonyms": ["带徒数"]})
    assert definitions.install(county, load_definition(json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                                       source="people.json"), source="people.json")
    first = make_id_number("530821", dt.date(1985, 4, 2), 3, "女")
    second = make_id_number("530821", dt.date(1980, 1, 5), 5, "男")
    kept = records.save(county, "people", {"name": "李茶香", "id_number": first, "employer": "宁洱茶厂", "mentees": 2})
    path = tmp_path / "人员.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号码", "工作单位", "带徒数"])
    sheet.append(["李茶香", first, "宁洱茶厂", 5])
    sheet.append(["王师傅", second, "宁洱茶厂", "五个"])
    sheet.append(["王师傅", second, "宁洱茶厂", 3])
    book.save(path)
    plan = importer.plan_import(county, "people", importer.read_table(path, kind="people"))
    [error] = plan.errors
    assert error.message.startswith("第3行“带徒数”：") and "五个" in error.message, error.message
    assert plan.counts["updated"] == 1 and plan.counts["added"] == 1
    importer.apply_import(county, plan)
    person = records.get(county, "people", kept.id)
    assert person is not None and person["mentees"] == 5
    [entry] = [e for e in history.entries(county, "people", kept.id) if e.operation == "import"]
    assert history.change_lines(entry, county) == ["带徒人数：2 → 5"]
    added = county.scalar("SELECT extra FROM people WHERE id_number = ?", (second,))
    assert json.loads(added) == {"mentees": 3}
