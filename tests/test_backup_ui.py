"""文件 › 备份到… / 从备份恢复…, the reminder, and unfinished files found at the next start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from common import atomic_file, leftovers
from models import backup, records, unit
from models.db import Store, open_store
from ui import msgbox
from ui.backup_dialog import BackupDialog, RestoreDialog, after_start


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(msgbox, name, lambda parent, title, text, *a, **k: shown.append(f"{title}：{text}"))
    return shown


def test_backup_dialog_writes_a_checked_backup_and_keeps_the_reminder_setting(qtbot, demo_store: Store,
                                                                               tmp_path: Path, told) -> None:
    dialog = BackupDialog(demo_store)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.width() <= 1024 and dialog.height() <= 768
    assert dialog.last_label.text() == "本机数据还没有备份过。"
    usb = tmp_path / "U盘 E"
    usb.mkdir()
    dialog.target.setEditText(str(usb))
    dialog.remind.setValue(14)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result_info is not None, timeout=20_000)
    made = list(usb.glob("产改备份_530821_*.zip"))
    assert len(made) == 1 and dialog.result_info.path == made[0]  # type: ignore[union-attr]
    assert told and "已读回检查无误" in told[0] and "人员120条" in told[0]
    assert backup.remind_days(demo_store) == 14
    assert backup.backup_due(demo_store) == (False, 0)


def test_backup_dialog_says_when_the_stick_is_gone(qtbot, demo_store: Store, tmp_path: Path, told) -> None:
    dialog = BackupDialog(demo_store)
    qtbot.addWidget(dialog)
    dialog.target.setEditText(str(tmp_path / "拔出的U盘"))
    dialog.start()
    assert told == [f"备份：文件夹“{tmp_path / '拔出的U盘'}”不存在（U盘是否已拔出？）"]


def test_restore_dialog_shows_contents_refuses_another_unit_and_restores(qtbot, demo_store: Store, tmp_path: Path,
                                                                        told, monkeypatch: pytest.MonkeyPatch) -> None:
    good = backup.write_backup(demo_store, tmp_path / "good")
    other_store = open_store(tmp_path / "other")
    unit.setup(other_store, code="530822")
    other = backup.write_backup(other_store, tmp_path / "other-backup")
    other_store.close()
    for rid in [r["id"] for r in demo_store.query("SELECT id FROM competitions")]:
        records.delete(demo_store, "competitions", rid)
    backup.snapshot(demo_store, "import", "导入“台账.xlsx”之前")

    dialog = RestoreDialog(demo_store)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.width() <= 1024 and dialog.height() <= 768
    assert dialog.snapshots.count() == 1 and "导入“台账.xlsx”之前" in dialog.snapshots.item(0).text()
    dialog.load(other.path)
    assert "不能恢复" in dialog.details.text() and "墨江" in dialog.details.text()
    assert not dialog.restore_button.isEnabled()
    broken = tmp_path / "坏.zip"
    broken.write_bytes(good.path.read_bytes()[:3000])
    dialog.load(broken)
    assert "不是有效的备份文件" in dialog.details.text() and not dialog.restore_button.isEnabled()
    dialog.path_edit.setText(str(good.path))
    qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    assert "竞赛15条" in dialog.details.text() and dialog.restore_button.isEnabled()
    monkeypatch.setattr(msgbox, "confirm", lambda *a, **k: True)
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.restored, timeout=20_000)
    assert demo_store.scalar("SELECT count(*) FROM competitions WHERE deleted_at IS NULL") == 15
    assert any("已从备份恢复全部数据" in t for t in told)
    assert [s.cause for s in backup.list_snapshots(demo_store)] == ["restore", "import"]


def test_after_start_reports_unfinished_files_and_reminds(qtbot, demo_store: Store, tmp_path: Path, told,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    usb = tmp_path / "U盘"
    target = usb / "530821_2025_v1.pdf"
    # a write in progress, as an export killed half way leaves it: the writing process is gone
    manager = atomic_file.atomic_path(target)
    tmp = manager.__enter__()
    tmp.write_bytes(b"%PDF-1.7 half")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert demo_store.path is not None
    note = next((demo_store.path.parent / leftovers.PENDING_FOLDER).glob("*.json"))
    note.write_text(note.read_text(encoding="utf-8").replace(f'"pid": {__import__("os").getpid()}',
                                                             f'"pid": {dead.pid}'), encoding="utf-8")
    asked: list[str] = []
    monkeypatch.setattr(msgbox, "confirm", lambda parent, title, text, *a, **k: asked.append(text) or False)
    after_start(demo_store, None)
    assert told and "以下文件没有写成" in told[0] and str(target) in told[0]
    assert not tmp.exists() and not target.exists() and not list(usb.iterdir())
    assert asked and "本机数据还没有备份过" in asked[0]
    told.clear()
    asked.clear()
    after_start(demo_store, None)  # once only
    assert told == []


def test_a_write_in_progress_in_another_window_is_left_alone(demo_store: Store, tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    with atomic_file.atomic_path(target) as tmp:
        tmp.write_bytes(b"x")
        assert demo_store.path is not None
        # this process is alive: its own note is skipped only for other pids; another live process stands in
        # for the other window (the parent process is no good: under some launchers it has already exited)
        import os
        import subprocess
        import sys

        other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            note = next((demo_store.path.parent / leftovers.PENDING_FOLDER).glob("*.json"))
            text = note.read_text(encoding="utf-8")
            note.write_text(text.replace(f'"pid": {os.getpid()}', f'"pid": {other.pid}'), encoding="utf-8")
            assert leftovers.clean_up(demo_store.path.parent) == []
            assert tmp.exists()
        finally:
            other.kill()
            other.wait()
    assert target.read_bytes() == b"x"
    assert not list((demo_store.path.parent / leftovers.PENDING_FOLDER).glob("*.json"))


def test_main_window_file_menu_has_backup_and_restore(qtbot, demo_store: Store, monkeypatch) -> None:
    from ui import backup_dialog
    from ui.main_window import MainWindow

    window = MainWindow(demo_store)
    qtbot.addWidget(window)
    opened: list[str] = []
    monkeypatch.setattr(backup_dialog, "open_backup_dialog", lambda store, parent: opened.append("backup"))
    monkeypatch.setattr(backup_dialog, "open_restore_dialog", lambda store, parent: opened.append("restore") or True)
    assert window.backup_action.text() == "备份到(&B)…" and window.backup_action.shortcut().toString() == "Ctrl+Shift+B"
    window.backup_action.trigger()
    window.restore_action.trigger()
    assert opened == ["backup", "restore"]
    from ui import history_dialog

    monkeypatch.setattr(history_dialog.HistoryDialog, "exec", lambda dialog: opened.append(dialog.texts()[0]) or 0)
    window.history_action.trigger()
    assert "生成演示数据" in opened[-1] and "“" in opened[-1]
