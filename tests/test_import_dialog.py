"""The import dialog, driven as a user drives it: choose a file, check, change the mapping, import, undo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox

from models.db import Store
from ui import import_dialog, msgbox, workers
from ui.import_dialog import BatchesDialog, ImportDialog, run_import_dialog

SAMPLES = Path(__file__).parent / "samples"

# The offscreen platform cannot size the (window-modal) progress dialog; harmless.


@pytest.fixture
def said(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Message boxes answer “yes” and are recorded instead of shown."""
    log: list[tuple[str, str]] = []

    def record(kind: str) -> Any:
        def show(parent: Any, title: str, text: str, *args: Any, **kwargs: Any) -> bool:
            log.append((kind, text))
            return True
        return show

    for name in ("information", "warning", "critical", "confirm"):
        monkeypatch.setattr(msgbox, name, record(name))
    return log


def open_file(qtbot: Any, dialog: ImportDialog, monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(import_dialog, "_ask_open_path", lambda parent, folder: str(path))
    dialog.plan = None
    qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.plan is not None and not workers.running(), timeout=20_000)


def count(store: Store, table: str) -> int:
    return int(store.scalar(f"SELECT count(*) FROM {table}"))


def test_choose_check_import_and_undo(qtbot: Any, store: Store, monkeypatch: pytest.MonkeyPatch,
                                      said: list[tuple[str, str]]) -> None:
    dialog = ImportDialog(store, "people")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.import_button.isEnabled()
    open_file(qtbot, dialog, monkeypatch, SAMPLES / "宁洱县劳模名册.xlsx")
    assert dialog.sheet_combo.currentText() == "劳模名册"
    assert dialog.table_label.text() == "表头在第3、4行，数据17行"
    assert dialog.summary_label.text() == "新增 11 条，更新 0 条，跳过 0 条，错误 5 行；荣誉 14 项"
    assert dialog.mapping_table.rowCount() == 16
    assert dialog.mapping_table.item(5, 0).text() == "身份证号码"
    first_report = [dialog.report_table.item(r, 2).text() for r in range(5)]
    assert first_report[0].startswith("“身份证号码”：身份证号校验位不对")
    assert dialog.preview_table.verticalHeaderItem(0).text() == "5"
    assert dialog.import_button.isEnabled() and dialog.export_button.isEnabled()
    assert not dialog.update_radio.isVisible()  # nothing matches existing records yet

    # the last folder is remembered for next time
    from ui.settings_store import preferences

    assert Path(preferences().last_folder("import")) == SAMPLES

    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.changed and not workers.running(), timeout=20_000)
    assert said[0][0] == "confirm" and "将新增 11 条、更新 0 条人员（荣誉 14 项）" in said[0][1]
    assert any(kind == "information" and "已导入" in text for kind, text in said)
    assert count(store, "people") == 11
    qtbot.waitUntil(lambda: dialog.plan is not None and dialog.plan.counts["added"] == 0, timeout=20_000)
    assert dialog.summary_label.text().startswith("新增 0 条，更新 0 条，跳过 11 条（其中11条与已有记录相同）")
    assert not dialog.import_button.isEnabled()

    batches = BatchesDialog(store, dialog)
    qtbot.addWidget(batches)
    assert batches.table.rowCount() == 1 and batches.table.item(0, 2).text() == "宁洱县劳模名册.xlsx"
    qtbot.mouseClick(batches.undo_button, Qt.MouseButton.LeftButton)
    assert count(store, "people") == 0
    assert batches.changed and not batches.undo_button.isEnabled()
    assert batches.table.item(0, 7).text().startswith("已撤销")


def test_mapping_change_rechecks_and_missing_column_blocks(qtbot: Any, store: Store, monkeypatch: pytest.MonkeyPatch,
                                                           said: list[tuple[str, str]]) -> None:
    dialog = ImportDialog(store, "people")
    qtbot.addWidget(dialog)
    open_file(qtbot, dialog, monkeypatch, SAMPLES / "劳模名册_GBK.csv")
    assert dialog.summary_label.text() == "新增 5 条，更新 0 条，跳过 0 条，错误 1 行；荣誉 6 项"
    combo = dialog.mapping_table.cellWidget(5, 1)  # 单位 → 工作单位
    assert isinstance(combo, QComboBox) and combo.currentData() == "employer"
    dialog.plan = None
    combo.setCurrentIndex(0)  # （不导入）
    qtbot.waitUntil(lambda: dialog.plan is not None and not workers.running(), timeout=20_000)
    assert dialog.summary_label.text().startswith("无法导入：表中没有“工作单位”列")
    assert not dialog.import_button.isEnabled()
    assert "（不导入）" in dialog.preview_table.horizontalHeaderItem(5).text()
    dialog.plan = None
    combo.setCurrentIndex(combo.findData("employer"))
    qtbot.waitUntil(lambda: dialog.plan is not None and not workers.running(), timeout=20_000)
    assert dialog.import_button.isEnabled()


def test_duplicates_update_or_skip(qtbot: Any, store: Store, monkeypatch: pytest.MonkeyPatch,
                                   said: list[tuple[str, str]]) -> None:
    from models.importer import apply_import, plan_import, read_table

    apply_import(store, plan_import(store, "people", read_table(SAMPLES / "宁洱县劳模名册.xlsx", kind="people")))
    dialog = ImportDialog(store, "people")
    qtbot.addWidget(dialog)
    dialog.show()
    open_file(qtbot, dialog, monkeypatch, SAMPLES / "劳模名册_GBK.csv")
    assert dialog.update_radio.isVisible() and dialog.update_radio.isChecked()
    assert dialog.summary_label.text() == "新增 4 条，更新 1 条，跳过 0 条，错误 1 行；荣誉 5 项"
    qtbot.mouseClick(dialog.skip_radio, Qt.MouseButton.LeftButton)
    assert dialog.summary_label.text() == "新增 4 条，更新 0 条，跳过 1 条，错误 1 行；荣誉 5 项"
    rows = [dialog.report_table.item(r, 2).text() for r in range(dialog.report_table.rowCount())]
    assert "“段金华”已在名册中：跳过" in rows


def test_export_error_rows(qtbot: Any, store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                           said: list[tuple[str, str]]) -> None:
    dialog = ImportDialog(store, "trainings")
    qtbot.addWidget(dialog)
    open_file(qtbot, dialog, monkeypatch, SAMPLES / "职工培训台账.xlsx")
    assert dialog.sheet_combo.currentText() == "2024年培训" and dialog.sheet_combo.isEnabled()
    target = tmp_path / "培训错误行"
    monkeypatch.setattr(import_dialog, "_ask_save_path", lambda parent, suggested: str(target) + ".xlsx")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert (tmp_path / "培训错误行.xlsx").exists()
    assert said[-1][0] == "information" and "已把 2 行导出" in said[-1][1]


def test_unreadable_file_and_kind_change(qtbot: Any, store: Store, monkeypatch: pytest.MonkeyPatch,
                                         said: list[tuple[str, str]]) -> None:
    dialog = ImportDialog(store, "people")
    qtbot.addWidget(dialog)
    monkeypatch.setattr(import_dialog, "_ask_open_path", lambda parent, folder: str(SAMPLES / "加密的文件.xlsx"))
    qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(said) and not workers.running(), timeout=20_000)
    assert said[0][0] == "warning" and "设置了打开密码" in said[0][1]
    assert dialog.summary_label.text().startswith("无法读取：")
    assert not dialog.import_button.isEnabled()
    # a studio list read as a people roster: no people header in it
    monkeypatch.setattr(import_dialog, "_ask_open_path", lambda parent, folder: str(SAMPLES / "工作室名册.xls"))
    qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(said) == 2 and not workers.running(), timeout=20_000)
    assert "没有找到表头行" in said[1][1]
    dialog.plan = None
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("studios"))
    qtbot.waitUntil(lambda: dialog.plan is not None and not workers.running(), timeout=20_000)
    assert dialog.plan.kind == "studios"
    assert dialog.summary_label.text() == "新增 0 条，更新 0 条，跳过 0 条，错误 6 行"  # no people yet


def test_undo_refusal_is_explained(qtbot: Any, store: Store, said: list[tuple[str, str]]) -> None:
    from models import records
    from models.importer import apply_import, plan_import, read_table

    apply_import(store, plan_import(store, "people", read_table(SAMPLES / "宁洱县劳模名册.xlsx", kind="people")))
    person = store.query("SELECT id FROM people WHERE name = '张三'")[0]["id"]
    records.save(store, "studios", {"name": "张三工作室", "type": "劳模创新工作室", "level": "省级",
                                    "host_unit": "供电局", "leader_id": person, "named_year": 2020})
    batches = BatchesDialog(store)
    qtbot.addWidget(batches)
    qtbot.mouseClick(batches.undo_button, Qt.MouseButton.LeftButton)
    assert said[-1][0] == "warning" and "领办人" in said[-1][1]
    assert count(store, "people") == 11


def test_run_import_dialog_reports_whether_data_changed(qtbot: Any, store: Store,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ImportDialog, "exec", lambda self: 0)
    assert run_import_dialog(None, store, "studios") is False


def test_keyboard_starts_on_choose_file(qtbot: Any, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl+I then Space (or Alt+O) opens the file chooser: the read-only path box does not take the keyboard."""
    asked: list[str] = []
    monkeypatch.setattr(import_dialog, "_ask_open_path", lambda parent, folder: asked.append(folder) or "")
    dialog = ImportDialog(store, "people")
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
    assert QApplication.focusWidget() is dialog.choose_button
    qtbot.keyClick(dialog.choose_button, Qt.Key.Key_Space)
    assert len(asked) == 1
    assert "(&O)" in dialog.choose_button.text()
    assert dialog.file_edit.focusPolicy() == Qt.FocusPolicy.ClickFocus


def test_download_template_then_import_it(qtbot: Any, county_store: Store, monkeypatch: pytest.MonkeyPatch,
                                          said: list[tuple[str, str]], tmp_path: Path) -> None:
    import openpyxl

    from ui import settings_store
    from ui.settings_store import Preferences

    prefs = Preferences(tmp_path)
    settings_store.install(prefs)
    try:
        dialog = ImportDialog(county_store, "innovation")
        qtbot.addWidget(dialog)
        folder = tmp_path / "U盘 模板"
        folder.mkdir()
        asked: list[str] = []

        def save_as(_parent: Any, _title: str, suggested: str, _filter: str) -> tuple[str, str]:
            asked.append(suggested)
            return str(folder / "经济技术创新"), ""

        monkeypatch.setattr(import_dialog.QFileDialog, "getSaveFileName", save_as)
        qtbot.mouseClick(dialog.template_button, Qt.MouseButton.LeftButton)
        written = folder / "经济技术创新.xlsx"
        assert written.exists() and asked[0].endswith("经济技术创新导入模板.xlsx")
        assert said[-1][0] == "information" and str(written) in said[-1][1]
        assert prefs.last_folder(import_dialog.TEMPLATE_FOLDER_KEY) == str(folder)  # remembered for next time
        book = openpyxl.load_workbook(written)
        sheet = book.worksheets[0]
        sheet.append(["2025", 40, 25, 6, 2, 3, 4, 18.5])
        book.save(written)
        open_file(qtbot, dialog, monkeypatch, written)
        assert dialog.plan is not None and dialog.plan.problems == [] and len(dialog.plan.to_add) == 1
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: count(county_store, "innovation") == 1 and not workers.running(), timeout=20_000)
        assert county_store.scalar("SELECT benefit FROM innovation") == 18.5
    finally:
        settings_store.install(None)
