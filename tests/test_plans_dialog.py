"""规划目标 (the 目标完成情况 page's “规划目标…”, and 文件 → 报表制度… → 规划目标…): the province signs and installs a
plan, a county installs it from the page by keyboard and passes it on, driven as a user would."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from definition_support import export_certificate, province_store, signer_of
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from test_plan_signing import plan_bytes

from models import plans
from models.db import Store
from ui import msgbox, plans_dialog, settings_store
from ui.definitions_dialog import DefinitionsDialog
from ui.main_window import MainWindow
from ui.plans_dialog import PlansDialog
from ui.progress_page import ProgressPage

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise")


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    messages: list[tuple[str, str]] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(msgbox, name, lambda _p, title, text, *a, name=name, **k: messages.append((name, text)))
    return messages


def alt(qtbot: Any, key: Qt.Key, shown: list[tuple[str, str]]) -> None:
    """Alt+letter where the focus is; the button clicks itself a moment later and the action ends with a message."""
    before = len(shown)
    qtbot.keyClick(QApplication.focusWidget(), key, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: len(shown) > before)


def ids(store: Store) -> list[str]:
    return [f"{i.plan.id}/{i.plan.version}" for i in plans.installed(store)]


def test_the_province_signs_and_installs_a_plan(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                shown: list[tuple[str, str]]) -> None:
    province = province_store(tmp_path / "省总")
    try:
        draft = tmp_path / "草稿 文件夹" / "十五五 规划.json"
        draft.parent.mkdir()
        draft.write_bytes(plan_bytes())
        signed = tmp_path / "U盘 E" / "规划.signed.json"
        signed.parent.mkdir()
        monkeypatch.setattr(plans_dialog, "choose_plan_file", lambda _p: draft)
        monkeypatch.setattr(plans_dialog, "choose_save_file", lambda _p, _t, name: signed)
        purposes: list[str] = []
        monkeypatch.setattr(plans_dialog, "ask_signer",
                            lambda _p, store, purpose: purposes.append(purpose) or signer_of(store))
        monkeypatch.setattr(msgbox, "confirm", lambda *a, **k: True)  # “现在在本单位安装吗？” — yes
        dialog = PlansDialog(province)
        qtbot.addWidget(dialog)
        assert dialog.windowTitle() == "规划目标" and dialog.sign_button.isVisibleTo(dialog)
        assert dialog.table.rowCount() == 1 and dialog.table.item(0, 4).text() == "程序自带"
        assert not dialog.export_button.isEnabled() and dialog.plans_button is None
        qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
        assert purposes == ["签发“十五五”规划（2026—2030年，第1版）"] and signed.is_file()
        assert ids(province) == ["yn-changai-plan-14th/1", "yn-changai-plan-15th/1"]
        assert shown[-1][0] == "information" and "已安装规划目标" in shown[-1][1]
        assert dialog.table.rowCount() == 2 and dialog.table.item(1, 4).text() == "云南省总工会"
        assert dialog.changed and dialog.export_button.isEnabled()
        # a damaged draft: the place in the file, nothing signed
        draft.write_text('{"format": "changai-plan"}', encoding="utf-8")
        signed.unlink()
        dialog.sign()
        assert shown[-1][0] == "warning" and "十五五 规划.json" in shown[-1][1] and not signed.exists()
    finally:
        province.close()


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


def test_a_county_installs_from_the_progress_page_by_keyboard(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, county_store: Store, data_dir: Path,
        shown: list[tuple[str, str]]) -> None:
    from models.signing import trust

    province = province_store(tmp_path / "省总")
    try:
        signed = tmp_path / "转交 文件夹" / "规划目标.signed.json"
        signed.parent.mkdir()
        from models.plan_signing import sign_plan

        signed.write_bytes(sign_plan(province, plan_bytes(), signer_of(province), source="十五五.json"))
        cert, fingerprint = export_certificate(province, tmp_path / "省证书")
        tampered = tmp_path / "被改.signed.json"
        tampered.write_bytes(signed.read_bytes().replace(b'"sha256": "', b'"sha256": "0', 1)
                             .replace(b'"kind": "plan"', b'"kind": "definition"'))
    finally:
        province.close()
    trust.register_superior(county_store, cert, expected_fingerprint=fingerprint)
    picked = [tampered, signed]
    monkeypatch.setattr(plans_dialog, "choose_signed_file", lambda _p: picked.pop(0))
    passed = tmp_path / "给乡镇 文件夹" / "规划.signed.json"
    passed.parent.mkdir()
    monkeypatch.setattr(plans_dialog, "choose_save_file", lambda _p, _t, name: passed)
    seen: list[PlansDialog] = []

    def drive(self: PlansDialog) -> int:
        """The dialog as the user sees it: Alt+I twice (a tampered file, then the real one), Alt+E, Escape."""
        seen.append(self)
        self.show()
        qtbot.waitExposed(self)
        self.activateWindow()
        qtbot.waitUntil(self.isActiveWindow)
        assert QApplication.focusWidget() is self.table and not self.sign_button.isVisibleTo(self)
        alt(qtbot, Qt.Key.Key_I, shown)
        assert shown[-1][0] == "warning" and "“被改.signed.json”是签发的报表制度文件，不是规划目标文件" in shown[-1][1]
        assert len(plans.installed(county_store)) == 1
        alt(qtbot, Qt.Key.Key_I, shown)
        assert shown[-1][0] == "information" and "签发：云南省总工会（530000）" in shown[-1][1]
        assert self.selected() is self.rows[1] and self.export_button.isEnabled()
        alt(qtbot, Qt.Key.Key_E, shown)
        assert passed.read_bytes() == signed.read_bytes() and "完全相同" in shown[-1][1]
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
        return 0

    monkeypatch.setattr(PlansDialog, "exec", drive)
    with _window(qtbot, county_store, data_dir) as window:
        qtbot.keyClick(window, Qt.Key.Key_9, Qt.KeyboardModifier.ControlModifier)
        page = window.pages["progress"]
        assert isinstance(page, ProgressPage) and window.stack.currentWidget() is page
        assert page.plan_combo.count() == 1
        page.table.setFocus()
        qtbot.keyClick(page.table, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(lambda: page.plan_combo.count() == 2)
        assert seen and seen[0].changed
        assert ids(county_store) == ["yn-changai-plan-14th/1", "yn-changai-plan-15th/1"]
        assert page.plan_combo.itemText(1) == "“十五五”规划（2026—2030年，第1版）"


def test_the_definitions_dialog_leads_to_the_plans(qtbot: Any, county_store: Store,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[PlansDialog] = []
    monkeypatch.setattr(PlansDialog, "exec", lambda self: opened.append(self) or 0)
    dialog = DefinitionsDialog(county_store)
    qtbot.addWidget(dialog)
    assert dialog.plans_button is not None and dialog.plans_button.text() == "规划目标(&P)…"
    qtbot.mouseClick(dialog.plans_button, Qt.MouseButton.LeftButton)
    assert opened and opened[0].windowTitle() == "规划目标" and opened[0].table.rowCount() == 1


def test_sign_is_refused_away_from_the_province(qtbot: Any, county_store: Store, shown: list[tuple[str, str]]) -> None:
    dialog = PlansDialog(county_store)
    qtbot.addWidget(dialog)
    dialog.sign()
    assert "只有云南省总工会（530000）可以签发规划目标" in shown[-1][1]
