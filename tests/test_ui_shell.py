"""The GUI shell: main window, record pages, recycle bin, home page, preferences, workers, start-up."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from common.ids import make_id_number
from models import records
from models.db import RecordError, Store, open_store
from ui import msgbox, settings_store
from ui.main_window import MainWindow, UnitDialog
from ui.pages import PAGES
from ui.record_page import PeoplePage, RecordPage
from ui.recycle_page import RecyclePage
from ui.settings_store import Preferences

# Qt's offscreen platform warns about every top-level window with a layout.

ROOT = Path(__file__).resolve().parent.parent
NAMES = ["王伟", "王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊", "赵敏"]


def add_person(store: Store, name: str, number: int, **extra: Any) -> int:
    birth = dt.date(1975 + number % 20, 1 + number % 12, 1 + number % 28)
    sex = "男" if number % 2 else "女"
    values = {"name": name, "id_number": make_id_number("530821", birth, number, sex), "employer": "宁洱县供电局",
              **extra}
    return records.save(store, "people", values).id


@pytest.fixture
def people_store(county_store: Store) -> Store:
    for number, name in enumerate(NAMES):
        add_person(county_store, name, number)
    return county_store


@pytest.fixture
def prefs(data_dir: Path) -> Preferences:
    p = Preferences(data_dir)
    settings_store.install(p)
    yield p
    settings_store.install(None)


@pytest.fixture
def window(qtbot: Any, people_store: Store, prefs: Preferences) -> MainWindow:
    w = MainWindow(people_store, prefs)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    return w


def press(qtbot: Any, widget: Any, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(widget, key, modifier)


def focused() -> Any:
    return QApplication.focusWidget()


@pytest.fixture
def restore_app(qapp: Any) -> Any:
    """run_gui names the shared QApplication, sets its font and translator: undo that afterwards."""
    from PySide6.QtCore import QLocale

    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    old = (qapp.font(), qapp.applicationName(), qapp.organizationName(), QLocale())
    yield qapp
    qapp.setFont(old[0])
    qapp.setApplicationName(old[1])
    qapp.setOrganizationName(old[2])
    QLocale.setDefault(old[3])
    translator = getattr(qapp, "_changai_translator", None)
    if translator is not None:
        qapp.removeTranslator(translator)
        del qapp._changai_translator


# -- main window ------------------------------------------------------------------------------------


def test_main_window_title_status_and_lazy_pages(window: MainWindow) -> None:
    assert window.windowTitle() == "产改统计填报 — 宁洱哈尼族彝族自治县总工会"
    assert "530821" in window.unit_label.text()
    assert window.period_label.text().startswith("报告期：")
    assert set(window.pages) == {"home"}  # the others are created when first shown
    assert window.nav.count() == len(PAGES) and window.nav.item(1).text() == "劳模名册"
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["文件(&F)", "数据(&D)", "页面(&P)", "帮助(&H)"]


def test_navigation_switches_pages(qtbot: Any, window: MainWindow) -> None:
    window.nav.setCurrentRow(1)
    page = window.stack.currentWidget()
    assert isinstance(page, PeoplePage) and page.model.rowCount() == len(NAMES)
    window.page_actions["recycle"].trigger()  # the 回收站 has no shortcut
    assert isinstance(window.stack.currentWidget(), RecyclePage)
    assert window.nav.currentRow() == [p.key for p in PAGES].index("recycle")
    press(qtbot, window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.pages["home"]
    assert not window.data_actions["add_record"].isEnabled()  # home page has no records to add
    window.show_page("studios")
    assert window.data_actions["add_record"].isEnabled()


def test_page_shortcuts_and_ctrl_f_focus_search(qtbot: Any, window: MainWindow) -> None:
    press(qtbot, window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    page = window.stack.currentWidget()
    assert isinstance(page, PeoplePage)
    page.table.setFocus()
    qtbot.waitUntil(lambda: focused() is page.table)
    press(qtbot, page.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert focused() is page.search
    assert page.search.placeholderText() == "姓名、拼音首字母或身份证号"


def test_stray_alt_letters_are_not_typed_into_fields(qtbot: Any, window: MainWindow) -> None:
    """Alt+letter that no button takes types nothing into the focused field, in the window and in a dialog."""
    from PySide6.QtWidgets import QLineEdit

    window.show_page("people")
    page: PeoplePage = window.pages["people"]  # type: ignore[assignment]
    page.focus_search()
    qtbot.waitUntil(lambda: focused() is page.search)
    press(qtbot, page.search, Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier)
    assert page.search.text() == ""
    press(qtbot, page.search, Qt.Key.Key_W)
    assert page.search.text() == "w"
    from models import unit as unit_model

    unit = unit_model.load(window.store)
    assert unit is not None
    dialog = UnitDialog(unit, lambda values: None, window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    field: QLineEdit = dialog.fields["phone"]
    field.clear()
    field.setFocus()
    qtbot.waitUntil(lambda: focused() is field)
    press(qtbot, field, Qt.Key.Key_Q, Qt.KeyboardModifier.AltModifier)
    press(qtbot, field, Qt.Key.Key_7)
    assert field.text() == "7"


def test_typing_filters_and_down_enters_the_table(qtbot: Any, window: MainWindow) -> None:
    window.show_page("people")
    page: PeoplePage = window.pages["people"]  # type: ignore[assignment]
    page.focus_search()
    qtbot.keyClicks(page.search, "ww")
    qtbot.waitUntil(lambda: page.model.search == "ww", timeout=2000)
    assert page.model.rowCount() == 1
    assert page.count_label.text() == f"找到 1 条（共 {len(NAMES)} 条）"
    press(qtbot, page.search, Qt.Key.Key_Down)
    assert focused() is page.table
    assert page.model.record_name(page.table.currentIndex().row()) == "王伟"
    press(qtbot, page.table, Qt.Key.Key_Up)
    assert focused() is page.search
    press(qtbot, page.search, Qt.Key.Key_Escape)
    assert page.search.text() == "" and page.model.rowCount() == len(NAMES)
    page.search.insert("没有这个人")  # as an input method commits it (QTest types ASCII only)
    qtbot.waitUntil(lambda: page.model.search == "没有这个人", timeout=2000)
    assert page.stack.currentWidget() is page.empty_label and "没有找到" in page.empty_label.text()


def test_delete_moves_to_recycle_bin_and_ctrl_z_restores(qtbot: Any, window: MainWindow,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    questions: list[str] = []
    monkeypatch.setattr(msgbox, "confirm", lambda parent, title, text, *a, **k: questions.append(text) or True)
    window.show_page("people")
    page: PeoplePage = window.pages["people"]  # type: ignore[assignment]
    page.select_row(2)
    name, record_id = page.model.record_name(2), page.model.record_id(2)
    page.table.setFocus()
    press(qtbot, page.table, Qt.Key.Key_Delete)
    assert questions and f"“{name}”" in questions[0]
    assert records.get(window.store, "people", record_id)["deleted_at"]  # type: ignore[index]
    assert [r["id"] for r in records.recycle_bin(window.store)] == [record_id]
    assert page.model.rowCount() == len(NAMES) - 1 and page.count_label.text() == f"共 {len(NAMES) - 1} 条"
    assert page.undo_bar.isVisible() and name in page.undo_label.text()
    assert page.model.record_name(page.table.currentIndex().row()) != name  # the next row is selected
    press(qtbot, page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert records.get(window.store, "people", record_id)["deleted_at"] is None  # type: ignore[index]
    assert page.model.rowCount() == len(NAMES)
    assert page.model.record_id(page.table.currentIndex().row()) == record_id
    assert not page.undo_bar.isVisible()


def test_deleting_is_cancelled_when_not_confirmed(qtbot: Any, window: MainWindow,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(msgbox, "confirm", lambda *a, **k: False)
    window.show_page("people")
    page: PeoplePage = window.pages["people"]  # type: ignore[assignment]
    page.select_row(0)
    page.delete_current()
    assert records.recycle_bin(window.store) == []


def test_deleting_several_rows_and_undo(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(msgbox, "confirm", lambda *a, **k: True)
    window.show_page("people")
    page: PeoplePage = window.pages["people"]  # type: ignore[assignment]
    page.table.selectRow(0)
    page.table.selectionModel().select(page.model.index(1, 0), page.table.selectionModel().SelectionFlag.Select
                                       | page.table.selectionModel().SelectionFlag.Rows)
    page.delete_current()
    assert len(records.recycle_bin(window.store)) == 2
    assert "2 条人员" in page.undo_label.text()
    page.undo_delete()
    assert records.recycle_bin(window.store) == []


def test_refused_delete_shows_the_reason(county_store: Store, qtbot: Any, prefs: Preferences,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    leader = add_person(county_store, "李国强", 1)
    records.save(county_store, "people", records.get(county_store, "people", leader) | {}, leader, children={
        "honours": [{"title": "云南省劳动模范", "award_year": 2015}]})
    records.save(county_store, "studios", {"name": "李国强劳模创新工作室", "type": "劳模创新工作室", "level": "县级",
                                           "host_unit": "宁洱县供电局", "leader_id": leader, "named_year": 2018})
    warnings: list[str] = []
    asked: list[str] = []
    monkeypatch.setattr(msgbox, "confirm", lambda parent, title, text, *a, **k: asked.append(text) or True)
    monkeypatch.setattr(msgbox, "warning", lambda parent, title, text, *a: warnings.append(text))
    page = PeoplePage(county_store)
    qtbot.addWidget(page)
    page.select_row(0)
    page.delete_current()
    assert warnings and "李国强劳模创新工作室" in warnings[0] and "领办人" in warnings[0]
    assert asked == []  # refused before asking "确定要删除…吗？"
    assert records.recycle_bin(county_store) == []
    assert not page.undo_bar.isVisible()


def test_add_and_edit_select_the_saved_row(qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.record_dialog

    opened: list[tuple[str, int | None]] = []

    def fake_edit(parent: Any, store: Store, kind: str, record_id: int | None = None) -> int | None:
        opened.append((kind, record_id))
        if record_id is None:
            return add_person(store, "欧阳娜娜", 77)
        return record_id

    monkeypatch.setattr(ui.record_dialog, "edit_record", fake_edit)
    window.show_page("people")
    page: PeoplePage = window.pages["people"]  # type: ignore[assignment]
    changed: list[bool] = []
    page.data_changed.connect(lambda: changed.append(True))
    page.search.setText("ww")
    page._apply_search()
    press(qtbot, window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert opened == [("people", None)]
    assert page.search.text() == ""  # the search hid the new record, so it was cleared
    assert page.model.record_name(page.table.currentIndex().row()) == "欧阳娜娜"
    assert changed == [True]
    page.table.setFocus()
    row = page.table.currentIndex().row()
    press(qtbot, page.table, Qt.Key.Key_Return)
    assert opened[-1] == ("people", page.model.record_id(row))
    page.table.doubleClicked.emit(page.model.index(0, 0))  # double-click goes through activated
    assert window.stack.currentWidget() is page


def test_other_pages_refresh_after_data_changed(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(msgbox, "confirm", lambda *a, **k: True)
    home = window.pages["home"]
    assert home.tiles["people"].number.text().startswith(str(len(NAMES)))  # type: ignore[attr-defined]
    window.show_page("recycle")
    window.show_page("people")
    page: PeoplePage = window.pages["people"]  # type: ignore[assignment]
    page.select_row(0)
    page.delete_current()
    window.show_page("recycle")
    recycle: RecyclePage = window.pages["recycle"]  # type: ignore[assignment]
    assert recycle.table.rowCount() == 1
    window.show_page("home")
    assert home.tiles["people"].number.text().startswith(str(len(NAMES) - 1))  # type: ignore[attr-defined]


def test_import_without_import_module_explains(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(msgbox, "information", lambda parent, title, text, *a: shown.append(text))
    monkeypatch.setitem(sys.modules, "ui.import_dialog", None)  # as if the module were missing
    window.show_page("people")
    window.import_action.trigger()
    assert shown and "导入" in shown[0]


def test_import_calls_the_import_dialog_with_the_kind(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    calls: list[str] = []

    def fake_import(parent: Any, store: Store, kind: str) -> bool:
        calls.append(kind)
        return kind == "studios"  # records changed

    fake = types.ModuleType("ui.import_dialog")
    fake.run_import_dialog = fake_import  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ui.import_dialog", fake)
    window.show_page("studios")
    changed: list[bool] = []
    window.pages["studios"].data_changed.connect(lambda: changed.append(True))  # type: ignore[attr-defined]
    window.import_action.trigger()
    assert changed == [True] and "home" in window._dirty
    window.show_page("home")
    window.import_action.trigger()
    assert calls == ["studios", "people"]


def test_geometry_is_remembered_in_the_data_folder(qtbot: Any, people_store: Store, prefs: Preferences) -> None:
    w = MainWindow(people_store, prefs)
    qtbot.addWidget(w)
    w.show()
    w.resize(700, 500)  # the offscreen screen is 800×600
    w.close()
    assert prefs.path.is_file()
    assert isinstance(Preferences(prefs.path.parent).value("main_window/geometry"), QByteArray)
    again = MainWindow(people_store, Preferences(prefs.path.parent))
    qtbot.addWidget(again)
    assert (again.size().width(), again.size().height()) == (700, 500)


def test_unit_dialog_saves_contacts_and_shows_errors(qtbot: Any, county_store: Store) -> None:
    from models import unit as unit_model

    current = unit_model.load(county_store)
    assert current is not None

    def save(values: dict[str, str]) -> None:
        unit_model.update_contacts(county_store, **values)

    dialog = UnitDialog(current, save)
    qtbot.addWidget(dialog)
    dialog.fields["phone"].setText("电话打不通")
    dialog.accept()
    assert dialog.error.isVisibleTo(dialog) and "电话" in dialog.error.text()
    dialog.fields["phone"].setText("0879-3232222")
    dialog.fields["preparer"].setText("赵小红")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    saved = unit_model.load(county_store)
    assert saved is not None and saved.preparer == "赵小红" and saved.phone == "0879-3232222"


# -- recycle page -------------------------------------------------------------------------------------


def test_recycle_page_restores_and_purges(qtbot: Any, people_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = [r["id"] for r in records.fetch(people_store, records.ListQuery("people"), 0, 3)]
    for record_id in ids:
        records.delete(people_store, "people", record_id)
    page = RecyclePage(people_store)
    qtbot.addWidget(page)
    assert page.table.rowCount() == 3 and page.count_label.text() == "共 3 条"
    assert page.table.item(0, 0).text() == "人员"
    changed: list[bool] = []
    page.data_changed.connect(lambda: changed.append(True))
    page.table.selectRow(0)
    restored_name = page.table.item(0, 1).text()
    qtbot.mouseClick(page.restore_button, Qt.MouseButton.LeftButton)
    assert page.table.rowCount() == 2 and changed
    live = records.fetch(people_store, records.ListQuery("people", search=restored_name), 0, 10)
    assert live
    monkeypatch.setattr(msgbox, "confirm", lambda *a, **k: True)
    page.table.selectRow(0)
    qtbot.mouseClick(page.purge_button, Qt.MouseButton.LeftButton)
    assert page.table.rowCount() == 1
    assert int(people_store.scalar("SELECT count(*) FROM people")) == len(NAMES) - 1


def test_recycle_page_shows_refusals(qtbot: Any, people_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    record_id = records.fetch(people_store, records.ListQuery("people"), 0, 1)[0]["id"]
    records.delete(people_store, "people", record_id)
    page = RecyclePage(people_store)
    qtbot.addWidget(page)
    records.restore(people_store, "people", record_id)  # restored elsewhere meanwhile
    warnings: list[str] = []
    monkeypatch.setattr(msgbox, "warning", lambda parent, title, text, *a: warnings.append(text))
    page.table.selectRow(0)
    page.restore_selected()
    assert warnings and "回收站中没有" in warnings[0]
    assert page.table.rowCount() == 0 and page.stack.currentWidget() is page.empty_label


# -- home page -----------------------------------------------------------------------------------------


def test_home_page_marks_missing_contacts(qtbot: Any, county_store: Store, prefs: Preferences) -> None:
    """A contact not filled in reads 未填 in orange, at start-up and after it changes."""
    from PySide6.QtGui import QPalette

    from models import unit as unit_model

    unit_model.update_contacts(county_store, phone="")
    w = MainWindow(county_store, prefs)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    home = w.pages["home"]
    phone, head = home.contact_values["phone"], home.contact_values["head"]  # type: ignore[attr-defined]

    def colour(label: Any) -> str:
        return str(label.palette().color(QPalette.ColorRole.WindowText).name())

    assert phone.text() == "未填" and colour(phone) == "#b54708"
    assert head.text() == "李国华" and colour(head) != "#b54708"
    unit_model.update_contacts(county_store, phone="0879-3231234", head="")
    home.refresh()  # type: ignore[attr-defined]
    assert phone.text() == "0879-3231234" and colour(phone) != "#b54708"
    assert head.text() == "未填" and colour(head) == "#b54708"


def test_home_tiles_navigate_and_period_is_stored(qtbot: Any, window: MainWindow) -> None:
    home = window.pages["home"]
    tile = home.tiles["studios"]  # type: ignore[attr-defined]
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.pages["studios"]
    window.show_page("home")
    home.tiles["people"].setFocus()  # type: ignore[attr-defined]
    press(qtbot, home.tiles["people"], Qt.Key.Key_Return)  # type: ignore[attr-defined]
    assert window.stack.currentWidget() is window.pages["people"]
    window.show_page("home")
    box = home.period_box  # type: ignore[attr-defined]
    target = next(i for i in range(box.count()) if str(box.itemData(i)).endswith("Q2"))
    box.setCurrentIndex(target)
    code = str(box.itemData(target))
    assert window.store.setting("current_period") == code
    assert "第二季度" in window.period_label.text()
    assert "经济技术创新" in home.hints.text()  # type: ignore[attr-defined]


def test_home_page_without_unit(qtbot: Any, store: Store) -> None:
    from ui.home_page import HomePage, period_choices

    page = HomePage(store)
    qtbot.addWidget(page)
    assert page.unit_name.text() == "尚未设置本单位"
    assert "设置本单位" in page.hints.text()
    choices = period_choices(dt.date(2026, 5, 1))
    assert [p.code for p in choices[:3]] == ["2026", "2026H1", "2026H2"] and len(choices) == 14


# -- preferences, message boxes, workers -------------------------------------------------------------


def test_preferences_live_in_the_data_folder(data_dir: Path, tmp_path: Path) -> None:
    prefs = Preferences(data_dir)
    assert Path(prefs.last_folder("export")).is_dir()
    report = tmp_path / "导出" / "统计表.xlsx"
    report.parent.mkdir()
    prefs.set_last_folder("export", report)
    prefs.set_value("answer", 42)
    prefs.sync()
    again = Preferences(data_dir)
    assert again.last_folder("export") == str(report.parent)
    assert str(again.value("answer")) == "42"
    assert (data_dir / "preferences.ini").is_file()
    report.parent.rmdir()
    assert again.last_folder("export") != str(report.parent)  # a vanished folder falls back


def test_preferences_accessor(data_dir: Path) -> None:
    settings_store.install(None)
    fallback = settings_store.preferences()
    assert fallback.path.parent == Path(os.environ["CHANGAI_DATA_DIR"])
    mine = Preferences(data_dir)
    settings_store.install(mine)
    try:
        assert settings_store.preferences() is mine
    finally:
        settings_store.install(None)


def _click_when_shown(text: str) -> None:
    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        for button in box.findChildren(QPushButton):
            if button.text() == text:
                button.click()
                return

    QTimer.singleShot(20, click)


def test_message_boxes_have_chinese_buttons(qtbot: Any) -> None:
    _click_when_shown("删除")
    assert msgbox.confirm(None, "删除人员", "确定要删除吗？", "删除", "取消") is True
    _click_when_shown("取消")
    assert msgbox.confirm(None, "删除人员", "确定要删除吗？", "删除", "取消") is False
    _click_when_shown("确定")
    msgbox.information(None, "提示", "已保存")


def test_run_in_background_runs_off_the_ui_thread(qtbot: Any, store: Store) -> None:
    from ui.workers import run_in_background

    records_seen: list[Any] = []
    steps: list[tuple[int, int]] = []

    def work(progress: Any, thread_store: Store) -> tuple[int, int]:
        for n in range(5):
            progress(n + 1, 5, f"第{n + 1}步")
            steps.append((n + 1, 5))
        return threading.get_ident(), int(thread_store.scalar("SELECT count(*) FROM people"))

    task = run_in_background(None, "正在处理……", work, on_done=records_seen.append, store=store)
    qtbot.waitUntil(lambda: task.is_finished, timeout=5000)
    ident, people = records_seen[0]
    assert ident != threading.get_ident() and people == 0
    assert steps[-1] == (5, 5) and task.error is None


def test_run_in_background_reports_errors_and_cancel(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.msgbox import error_text
    from ui.workers import Cancelled, run_in_background

    errors: list[BaseException] = []
    task = run_in_background(None, "正在导出……", lambda progress: (_ for _ in ()).throw(RecordError("数据不全")),
                             on_error=errors.append)
    qtbot.waitUntil(lambda: task.is_finished, timeout=5000)
    assert isinstance(errors[0], RecordError)

    shown: list[str] = []
    monkeypatch.setattr(msgbox, "critical", lambda parent, title, text, detail=None: shown.append(text))
    task = run_in_background(None, "正在导出……", lambda progress: 1 / 0)
    qtbot.waitUntil(lambda: task.is_finished, timeout=5000)
    assert shown and "意外错误" in shown[0]
    text = error_text(PermissionError(13, "denied", "统计表.xlsx"))[0]
    assert text.startswith("无法读写“统计表.xlsx”") and "Excel" in text

    started = threading.Event()
    release = threading.Event()
    cancelled: list[bool] = []

    def slow(progress: Any) -> None:
        started.set()
        release.wait(5)
        progress(1, 2)  # raises Cancelled
        raise AssertionError("not reached")

    task = run_in_background(None, "正在汇总……", slow, on_done=lambda r: cancelled.append(False),
                             on_cancel=lambda: cancelled.append(True))
    assert started.wait(5)
    task.cancel()
    release.set()
    qtbot.waitUntil(lambda: task.is_finished, timeout=5000)
    assert cancelled == [True] and isinstance(task.error, Cancelled)

    started.clear()
    release.clear()
    results: list[str] = []

    def must_finish(progress: Any) -> str:
        started.set()
        release.wait(5)
        progress(1, 1)
        return "已完成"

    task = run_in_background(None, "正在签名……", must_finish, on_done=results.append, cancellable=False)
    assert started.wait(5)
    task.cancel()
    task.dialog.reject()  # Esc
    release.set()
    qtbot.waitUntil(lambda: task.is_finished, timeout=5000)
    assert results == ["已完成"] and task.error is None


def test_run_in_background_with_memory_store_stays_on_ui_thread(qtbot: Any) -> None:
    from ui.workers import run_in_background

    memory = open_store(None, memory=True)
    done: list[int] = []
    task = run_in_background(None, "正在处理……", lambda progress, s: threading.get_ident(), on_done=done.append,
                             store=memory)
    qtbot.waitUntil(lambda: task.is_finished, timeout=5000)
    assert done == [threading.get_ident()]
    memory.close()


# -- start-up ---------------------------------------------------------------------------------------------


def test_font_translations_and_statistics(restore_app: QApplication, county_store: Store) -> None:
    from PySide6.QtCore import QCoreApplication

    from models.demo import bulk_people
    from ui import app as app_module

    assert app_module.install_font(restore_app) == "WenQuanYi Micro Hei"
    assert restore_app.font().family() == "WenQuanYi Micro Hei"
    assert app_module.install_translations(restore_app)
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
    # Qt 6.11 renamed these file-dialog labels and its zh_CN file lacks them: they must not show in English.
    from PySide6.QtWidgets import QFileDialog, QLabel

    dialog = QFileDialog(None, "选择文件夹")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    labels = {label.objectName(): label.text() for label in dialog.findChildren(QLabel)}
    assert labels["lookInLabel"] == "查找范围(&L)：" and labels["fileTypeLabel"] == "文件类型(&T)："
    assert QCoreApplication.translate("QAbstractFileIconProvider", "Folder", "All other platforms") == "文件夹"
    dialog.deleteLater()
    bulk_people(county_store, 300)
    assert county_store.refresh_statistics() is True
    assert county_store.refresh_statistics() is False


def _run_main(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=120, cwd=ROOT)


# main.py as a user starts it, quitting once the main window is painted (bench/bench_commands.py's GUI start)
START_UNTIL_PAINTED = (
    "import sys\n"
    "from PySide6.QtCore import QTimer\n"
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "run_loop = QApplication.exec\n"
    "def painted():\n"
    "    [window] = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMainWindow) and w.isVisible()]\n"
    "    QApplication.processEvents()\n"
    "    window.grab()\n"
    "    print('shown', flush=True)\n"
    "    QApplication.quit()\n"
    "def exec_until_painted(*args):\n"
    "    QTimer.singleShot(0, painted)\n"
    "    return run_loop()\n"
    "QApplication.exec = staticmethod(exec_until_painted)\n"
    "sys.argv = sys.argv[1:]\n"
    "sys.path[0] = {root!r}\n"
    "exec(compile(open(sys.argv[0], encoding='utf-8').read(), sys.argv[0], 'exec'), {{'__name__': '__main__'}})\n"
)


@pytest.mark.slow
def test_the_window_starts_without_what_only_other_pages_and_dialogs_need(people_store: Store, data_dir: Path,
                                                                           tmp_path: Path) -> None:
    """Up to its first page painted, start-up loads no record forms, dialogs, workers or signing: each would cost
    the start milliseconds (bench/bench_commands.py, GUI start); they load when their page or dialog opens."""
    record = tmp_path / "modules.txt"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING="utf-8", CHANGAI_RECORD_MODULES=str(record))
    result = subprocess.run([sys.executable, "-c", START_UNTIL_PAINTED.format(root=str(ROOT)), str(ROOT / "main.py"),
                             "--data-dir", str(data_dir)], capture_output=True, text=True, encoding="utf-8", env=env,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0 and result.stdout.splitlines() == ["shown"], result.stderr
    loaded = set(record.read_text(encoding="utf-8").split())
    assert {"ui.main_window", "ui.home_page", "models.counts"} <= loaded
    assert not loaded & {"models.records", "forms.fields", "ui.record_page", "ui.widgets", "ui.workers",
                         "ui.keys_dialog", "ui.backup_dialog", "models.signing", "uuid"}


@pytest.mark.slow
def test_self_test_mode_exits_zero(people_store: Store, data_dir: Path) -> None:
    result = _run_main("--data-dir", str(data_dir), "--self-test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("自检通过：宁洱哈尼族彝族自治县总工会")
    assert f"人员 {len(NAMES)}" in result.stdout


@pytest.mark.slow
def test_self_test_fails_when_the_store_cannot_open(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "文件"
    not_a_folder.write_text("x", encoding="utf-8")
    result = _run_main("--data-dir", str(not_a_folder), "--self-test")
    assert result.returncode == 1
    assert "自检失败" in result.stderr


def test_self_test_in_process_without_unit(restore_app: QApplication, data_dir: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from ui.app import run_gui

    assert run_gui(data_dir, self_test=True) == 0
    assert restore_app.applicationName() == "产改统计填报" and restore_app.organizationName() == "ChanGaiTongJi"
    assert "自检通过：尚未设置本单位" in capsys.readouterr().out
    assert settings_store._installed is None


def test_cancelling_the_setup_wizard_exits_politely(restore_app: QApplication, data_dir: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from ui.app import run_gui

    wizard = types.ModuleType("ui.setup_wizard")
    wizard.run_setup_wizard = lambda store, parent=None: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ui.setup_wizard", wizard)
    told: list[str] = []
    monkeypatch.setattr(msgbox, "information", lambda parent, title, text, *a: told.append(text))
    assert run_gui(data_dir, self_test=False) == 0
    assert told and "尚未设置本单位" in told[0]


def test_store_that_cannot_open_is_explained(restore_app: QApplication, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.app import run_gui

    not_a_folder = tmp_path / "文件"
    not_a_folder.write_text("x", encoding="utf-8")
    shown: list[str] = []
    monkeypatch.setattr(msgbox, "critical", lambda parent, title, text, *a: shown.append(text))
    assert run_gui(not_a_folder, self_test=False) == 1
    assert shown and "无法" in shown[0]


def test_record_page_generic_kind(qtbot: Any, county_store: Store) -> None:
    page = RecordPage(county_store, kind="competitions")
    qtbot.addWidget(page)
    assert page.model.rowCount() == 0 and page.stack.currentWidget() is page.empty_label
    assert "还没有竞赛记录" in page.empty_label.text()
    assert not page.edit_button.isEnabled()


def test_enter_opens_the_real_entry_dialog(qtbot: Any, window: MainWindow) -> None:
    """The page and ``ui.record_dialog.edit_record`` fit together (the dialog is cancelled)."""
    from PySide6.QtWidgets import QDialog

    seen: list[str] = []

    def cancel() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QDialog):
            QTimer.singleShot(20, cancel)
            return
        seen.append(dialog.windowTitle())
        dialog.reject()

    window.show_page("people")
    page: PeoplePage = window.pages["people"]  # type: ignore[assignment]
    page.select_row(0)
    name = page.model.record_name(0)
    page.table.setFocus()
    QTimer.singleShot(20, cancel)
    press(qtbot, page.table, Qt.Key.Key_Return)
    assert seen == [f"编辑人员：{name}"]
    assert page.model.rowCount() == len(NAMES)


def test_a_page_that_fails_to_open_is_explained(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import main_window

    shown: list[str] = []
    monkeypatch.setattr(msgbox, "critical", lambda parent, title, text, *a: shown.append(text))
    real = main_window.load_page_class

    def failing(target: str) -> Any:
        if "recycle" in target:
            raise RecordError("尚未设置本单位")
        return real(target)

    monkeypatch.setattr(main_window, "load_page_class", failing)
    window.show_page("people")
    window.nav.setCurrentRow([p.key for p in PAGES].index("recycle"))
    assert shown == ["无法打开“回收站”：尚未设置本单位"]
    assert window.stack.currentWidget() is window.pages["people"]
    assert window.nav.currentRow() == 1


def test_page_button_mnemonics_do_not_clash_with_the_menus(window: MainWindow) -> None:
    """Alt+letter of a page's button must not be taken by a menu (the menu would win and the button be unreachable)."""
    import re

    from PySide6.QtWidgets import QAbstractButton, QLabel

    def letter(text: str) -> str | None:
        found = re.search(r"&([A-Za-z])", text)
        return found.group(1).upper() if found else None

    menu_letters = {letter(a.text()) for a in window.menuBar().actions()} - {None}
    assert menu_letters == {"F", "D", "P", "H"}
    for entry in PAGES:
        window.show_page(entry.key)
        page = window.page(entry.key)
        labels = [w for w in page.findChildren(QLabel) if w.buddy() is not None]  # 报告期(&Q) → its box
        letters = [letter(b.text()) for b in [*page.findChildren(QAbstractButton), *labels] if letter(b.text())]
        assert not menu_letters & set(letters), (entry.key, letters)
        assert len(letters) == len(set(letters)), (entry.key, letters)


def test_a_search_still_waiting_is_applied_when_the_page_is_left(qtbot: Any, window: MainWindow) -> None:
    """What was typed is applied when the page is left before the typing pauses (not lost, not run later on a
    closed store)."""
    window.show_page("people")
    page = window.current_page()
    assert isinstance(page, RecordPage)
    page.search.setText("zzzz-nobody")  # the search waits for the typing to pause
    window.show_page("home")
    assert page.model.search == "zzzz-nobody" and page.model.rowCount() == 0


def test_the_home_pages_tiles_are_record_kinds_counted_by_their_tables() -> None:
    """The home page counts its tiles' tables without loading the forms: each tile is a top-level kind whose table
    has the kind's name."""
    from forms.records import TOP_LEVEL, spec
    from ui.home_page import TILES

    assert [key for key, _caption, _measure in TILES] == list(TOP_LEVEL)
    assert all(spec(key).table == key for key in TOP_LEVEL)


def test_an_older_store_is_brought_up_to_date_behind_a_progress_window(qtbot: Any, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The first start of a new version builds its indexes (seconds at province scale) on a worker thread,
    with a window saying so, before the main window can show."""
    import time

    from PySide6.QtWidgets import QProgressDialog

    from models import migrations
    from models.db import upgrade_pending
    from ui import app as app_module

    folder = tmp_path / "旧 版本"
    store = open_store(folder)
    store.conn.execute("DROP INDEX people_id_suspect")
    store.conn.execute("DROP INDEX people_id_birth")
    store.conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0012_id_checks'")
    store.conn.commit()
    store.close()
    assert upgrade_pending(folder) and not upgrade_pending(tmp_path / "没有数据")
    on_worker: list[bool] = []
    real_apply = migrations.MIGRATIONS.apply

    def slow_apply(database: Any) -> None:
        on_worker.append(threading.current_thread() is not threading.main_thread())
        time.sleep(0.8)
        real_apply(database)

    monkeypatch.setattr(migrations.MIGRATIONS, "apply", slow_apply)
    shown: list[str] = []
    QTimer.singleShot(650, lambda: shown.extend(w.labelText() for w in QApplication.topLevelWidgets()
                                                if isinstance(w, QProgressDialog) and w.isVisible()))
    app_module.upgrade_with_progress(folder)
    assert on_worker == [True] and any("升级数据文件" in text for text in shown), shown
    assert not upgrade_pending(folder)
    upgraded = open_store(folder)
    try:
        assert upgraded.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'people_id_suspect'") == 1
    finally:
        upgraded.close()
