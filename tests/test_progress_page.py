"""The 目标完成情况 page, driven as a user does: keyboard to the page, pick the year, Enter on an indicator for
its units, export the signed report; at a county, a prefecture and the province."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import screen_survey
from consolidation_support import signer
from progress_support import PREFECTURE, PROVINCE, TODAY, Run, three_levels
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from forms.plans import shipped_plan
from models.db import Store
from models.demo import fill_demo, fill_years
from ui import progress_page, settings_store
from ui.main_window import MainWindow
from ui.progress_page import ProgressPage, ProgressUnitsDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise", "This plugin does not support grab")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return three_levels(tmp_path_factory.mktemp("three_levels"))


@contextlib.contextmanager
def _window(qtbot: Any, store: Store, folder: Path) -> Iterator[MainWindow]:
    prefs = settings_store.Preferences(folder)
    settings_store.install(prefs)
    w = MainWindow(store, prefs)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    w.raise_()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    yield w
    settings_store.install(None)


@pytest.fixture
def county_years(qtbot: Any, county_store: Store, data_dir: Path) -> Iterator[MainWindow]:
    fill_demo(county_store, seed=4, today=TODAY)
    fill_years(county_store, (2021, 2023), seed=4, today=TODAY)  # 2022 never finalised
    with _window(qtbot, county_store, data_dir) as window:
        yield window


def _page(qtbot: Any, window: MainWindow) -> ProgressPage:
    qtbot.keyClick(window, Qt.Key.Key_9, Qt.KeyboardModifier.ControlModifier)
    page = window.pages["progress"]
    assert isinstance(page, ProgressPage) and window.stack.currentWidget() is page
    page.year_combo.setCurrentIndex(page.year_combo.findData(2023))
    return page


def _row(page: ProgressPage, key: str) -> int:
    assert page.report is not None
    return [i.indicator.key for i in page.report.items].index(key)


def test_county_page_by_keyboard_shows_missing_years_not_zero(qtbot: Any, county_years: MainWindow) -> None:
    assert "目标完成情况" in county_years.page_actions["progress"].text()
    page = _page(qtbot, county_years)
    assert page.table.rowCount() == len(shipped_plan().counted)
    assert page.not_counted.rowCount() == len(shipped_plan().not_counted)
    assert page.tabs.tabText(1) == f"本报表未统计的指标（{len(shipped_plan().not_counted)}）"
    assert "缺报：2022年" in page.summary.text() and "规划期5年已过3年，时间进度60.0%" in page.summary.text()
    row = _row(page, "training")
    page.table.setFocus()
    page.table.selectRow(row)
    assert page.table.item(row, 2).text() == "未下达（省级5,000,000）"  # no county targets: the province's shown
    assert "2021—2023年累计" in page.table.item(row, 3).text()
    assert page.chart.item is not None and page.chart.item.indicator.key == "training"
    assert "2022年 缺报" in page.chart.accessibleDescription()
    assert "2022年缺报（未计入，不按0计）" in page.detail.toPlainText()
    assert "出处（专栏三 素质提升）" in page.detail.toPlainText()
    assert not page.units_button.isEnabled()  # a county consolidates nothing
    # another year: 2021 only
    page.year_combo.setCurrentIndex(page.year_combo.findData(2021))
    assert page.report is not None and page.report.as_of == 2021 and "缺报" not in page.summary.text()
    grab = page.chart.grab()
    assert not grab.isNull() and grab.width() > 100


def test_county_exports_the_report_from_the_page(qtbot: Any, county_years: MainWindow, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    page = _page(qtbot, county_years)
    out = tmp_path / "U盘 报告"
    monkeypatch.setattr(progress_page, "choose_folder", lambda parent: str(out))
    shown: list[str] = []
    monkeypatch.setattr(progress_page.msgbox, "information", lambda parent, title, text, *a: shown.append(text))
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    files = sorted(p.name for p in out.iterdir())
    assert files == ["530821_规划完成情况_yn-changai-plan-14th_2023.pdf",
                     "530821_规划完成情况_yn-changai-plan-14th_2023.xlsx"]
    assert "未签名" in shown[0]  # this county has no key yet


def test_prefecture_enter_opens_the_counties_behind_a_number(qtbot: Any, run: Run, tmp_path: Path) -> None:
    store = run.copy(PREFECTURE, tmp_path / "州")
    try:
        with _window(qtbot, store, tmp_path / "州") as window:
            page = _page(qtbot, window)
            assert page.units_button.isEnabled() and "缺报" not in page.summary.text()
            page.table.setFocus()
            page.table.selectRow(_row(page, "training"))
            qtbot.keyClick(page.table, Qt.Key.Key_Return)
            dialog = next(w for w in QApplication.topLevelWidgets()
                          if isinstance(w, ProgressUnitsDialog) and w.isVisible())
            table = dialog.table
            names = [table.item(r, 0).text() for r in range(table.rowCount())]
            mojiang = names.index("墨江哈尼族自治县总工会")
            assert [table.item(mojiang, c).text() for c in (1, 2)][1] == "缺报"  # its 2022 return never came
            assert re.fullmatch(r"[\d,]+", table.item(mojiang, 1).text())
            assert names[0].startswith("普洱市总工会")
            limit = screen_survey.usable(QApplication.instance())  # type: ignore[arg-type]
            assert screen_survey.misfits("各单位情况", dialog, limit) == []
            dialog.close()
    finally:
        store.close()


def test_province_marks_indicators_behind_and_signs_the_report(qtbot: Any, run: Run, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from models.signing.common import VALID
    from models.signing.pdf import verify_pdf

    store = run.copy(PROVINCE, tmp_path / "省")
    try:
        with _window(qtbot, store, tmp_path / "省") as window:
            page = _page(qtbot, window)
            assert "缺报：2022年" in page.summary.text() and "落后于时间进度" in page.summary.text()
            row = _row(page, "training")
            assert page.table.item(row, 2).text() == "5,000,000" and page.table.item(row, 6).text() == "▲落后"
            assert page.table.item(row, 5).text() == "60.0%"
            out = tmp_path / "报告"
            monkeypatch.setattr(progress_page, "choose_folder", lambda parent: str(out))
            monkeypatch.setattr(progress_page, "ask_signer", lambda parent, store, purpose: signer(store))
            shown: list[str] = []
            monkeypatch.setattr(progress_page.msgbox, "information", lambda parent, title, text, *a: shown.append(text))
            page.export_button.setFocus()
            qtbot.keyClick(page.export_button, Qt.Key.Key_Space)
            qtbot.waitUntil(lambda: bool(shown), timeout=60_000)
            assert "已用本单位密钥签名" in shown[0]
            pdf = out / f"{PROVINCE}_规划完成情况_yn-changai-plan-14th_2023.pdf"
            assert verify_pdf(pdf.read_bytes(), store=store, unit_code=PROVINCE).status == VALID
    finally:
        store.close()
