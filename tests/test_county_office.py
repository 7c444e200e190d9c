"""The minor points of the county office: summaries, tabs, masked lists, menus, keys, home page hints."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from common.ids import make_id_number
from forms.periods import Period
from models import records, unit
from models.db import Store, open_store
from models.export_pdf import layout
from ui import settings_store
from ui.main_window import MainWindow
from ui.settings_store import Preferences

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _texts(pages: list[Any]) -> str:
    return "\n".join(op[4] for page in pages for op in page.ops if op[0] == "text")


def test_draft_summary_does_not_claim_there_are_no_warnings(demo_store: Store) -> None:
    from models import returns

    draft = returns.compute(demo_store, Period(dt.date.today().year - 1))
    text = _texts(layout(draft, sections=["汇总表"]))
    assert "草稿，尚未定稿，审核结果以定稿时为准" in text and "无警告" not in text


def test_lists_mask_id_and_mobile_numbers(qtbot: Any, county_store: Store) -> None:
    from ui.record_table_model import RecordTableModel

    number = make_id_number("530821", dt.date(1976, 3, 14), 7, "男")
    records.save(county_store, "people", {"name": "岩温", "id_number": number, "employer": "普洱茶业集团",
                                          "mobile": "13908791234"})
    model = RecordTableModel(county_store, "people")
    model.refresh() if hasattr(model, "refresh") else None
    shown = [model.index(0, c).data() for c in range(model.columnCount())]
    assert number not in shown and f"{number[:6]}********{number[-4:]}" in shown
    assert "13908791234" not in shown


@pytest.fixture
def window(county_window: MainWindow) -> MainWindow:
    return county_window


def test_every_menu_and_menu_item_has_an_access_key(window: MainWindow) -> None:
    for menu_action in window.menuBar().actions():
        assert "&" in menu_action.text(), menu_action.text()
        for action in menu_action.menu().actions():
            if not action.isSeparator():
                assert "&" in action.text(), action.text()


def test_alt_letter_of_a_disabled_button_types_nothing(qtbot: Any, window: MainWindow,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.record_dialog import RecordDialog

    dialog = RecordDialog(window.store, "people", parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    name = QApplication.focusWidget()
    qtbot.keyClicks(name, "Li")
    name.selectAll()  # type: ignore[union-attr]
    qtbot.keyClick(name, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)  # 修改(&E) is disabled: no honour yet
    assert name.text() == "Li"  # type: ignore[union-attr]
    monkeypatch.setattr("ui.record_dialog.ask_discard", lambda *_a, **_k: True, raising=False)
    monkeypatch.setattr("ui.widgets.ask_discard", lambda *_a, **_k: True)
    dialog.reject()


def test_prefecture_home_page_shows_the_prefectures_year(qtbot: Any, tmp_path: Path) -> None:
    from ui.home_page import HomePage

    store = open_store(tmp_path / "普洱市")
    try:
        unit.setup(store, code="530800", head="李国华", statistician="王丽", preparer="张敏", phone="0879-3231234")
        page = HomePage(store)
        qtbot.addWidget(page)
        page.refresh()
        text = page.hints.text()
        assert "证书登记（下级、上级单位）" in text and "接收" in text and "汇总" in text
        assert "在<a href='page:trainings'>培训</a>中录入" not in text
    finally:
        store.close()


def test_county_home_page_keeps_the_county_steps(qtbot: Any, county_store: Store) -> None:
    from ui.home_page import HomePage

    page = HomePage(county_store)
    qtbot.addWidget(page)
    page.refresh()
    assert "劳模名册" in page.hints.text() and "汇总" not in page.hints.text()
    assert "年1月1日 至 " in page.period_range.text()


def test_file_dialogs_remember_the_folder_per_purpose(qtbot: Any, data_dir: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import keys_dialog

    prefs = Preferences(data_dir)
    settings_store.install(prefs)
    stick = tmp_path / "U盘 证书"
    stick.mkdir()
    started: list[str] = []

    def fake_open(_parent: Any, _title: str, start: str, _filter: str) -> tuple[str, str]:
        started.append(start)
        return str(stick / "530821.cer"), ""

    monkeypatch.setattr(keys_dialog.QFileDialog, "getOpenFileName", fake_open)
    try:
        keys_dialog.choose_certificate_file(None)
        keys_dialog.choose_certificate_file(None)
        assert started[1] == str(stick)  # the second time it opens on the USB stick
        assert prefs.last_folder("seal_image") != str(stick)  # another purpose keeps its own folder
    finally:
        settings_store.install(None)


def test_roster_sheets_print_at_a_readable_size(demo_store: Store, tmp_path: Path) -> None:
    """One page wide on A4 landscape used to shrink the 劳模名册 to about 6 pt: the columns now fit."""
    import openpyxl

    from models import export

    paths = export.export_return(demo_store, Period(dt.date.today().year - 1), tmp_path, ["xlsx"])
    book = openpyxl.load_workbook(paths[0])
    for name in ("附表1", "附表2"):
        sheet = book[name]
        widths = [sheet.column_dimensions[letter].width for letter in sheet.column_dimensions]
        assert sum(w for w in widths if w) <= 141, (name, widths)
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize in (9, "9")
    sheet = book["附表1"]
    header = next(row for row in sheet.iter_rows(max_row=12) if any(c.value == "身份证号" for c in row))
    id_cell = next(c for c in header if c.value == "身份证号")
    assert sheet.column_dimensions[id_cell.column_letter].width >= 22  # the ID number is not wrapped
