"""文件 › 备份到… and 从备份恢复…, the reminder to back up, and the notice about unfinished files.

The work is done by :mod:`models.backup` on a worker thread (its own connection to the store).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from common.errors import UserError
from models import backup
from models.db import Store, StoreError
from ui import msgbox
from ui.settings_store import preferences
from ui.workers import run_in_background

FOLDER_BACKUP = "backup"
FOLDER_RESTORE = "restore"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def last_backup_text(store: Store) -> str:
    last = store.setting(backup.LAST_BACKUP_SETTING)
    if not last:
        return "本机数据还没有备份过。"
    _due, age = backup.backup_due(store)
    ago = "（今天）" if age == 0 else f"（{age}天前）" if age is not None else ""
    return f"上次备份：{last.replace('T', ' ')}{ago}"


class BackupDialog(QDialog):
    """Choose where (a USB stick is offered first), set the reminder, back up."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.result_info: backup.BackupInfo | None = None
        self.setWindowTitle("备份")
        intro = QLabel("把全部数据（记录、报表版本、修改历史、签名密钥和界面设置）备份为一个文件。"
                       "程序打开时也可以备份。建议备份到U盘，并把U盘放在另一个地方保管。")
        intro.setWordWrap(True)
        self.last_label = QLabel(last_backup_text(store))
        self.target = QComboBox()
        self.target.setEditable(True)
        self.target.setMinimumWidth(420)
        drives = backup.removable_drives()
        for drive in drives:
            self.target.addItem(f"{drive}", str(drive))
        last = preferences().last_folder(FOLDER_BACKUP)
        if last and all(str(d) != last for d in drives):
            self.target.addItem(last, last)
        self.target.setCurrentIndex(0)
        self.drive_note = QLabel(f"已找到U盘：{'、'.join(str(d) for d in drives)}" if drives
                                 else "没有找到U盘：插入U盘后可点“浏览”选择，也可先备份到本机其他文件夹。")
        self.drive_note.setWordWrap(True)
        self.drive_note.setProperty("role", "hint")
        browse = QPushButton("浏览(&W)…")
        browse.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(self.target, 1)
        row.addWidget(browse)
        self.remind = QSpinBox()
        self.remind.setRange(0, 365)
        self.remind.setSuffix(" 天")
        self.remind.setValue(backup.remind_days(store))
        self.remind.setToolTip("超过这么多天没有备份时，打开程序时提醒；0 为不提醒")
        form = QFormLayout()
        target_label = QLabel("备份到(&T)：")
        target_label.setBuddy(self.target)
        form.addRow(target_label, row)
        form.addRow("", self.drive_note)
        remind_label = QLabel("提醒间隔(&R)：")
        remind_label.setBuddy(self.remind)
        form.addRow(remind_label, self.remind)
        buttons = QDialogButtonBox()
        self.start_button = buttons.addButton("开始备份(&B)", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setDefault(True)
        buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.start)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.last_label)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.target.setFocus(Qt.FocusReason.OtherFocusReason)

    def folder(self) -> str:
        text = self.target.currentText().strip()
        index = self.target.findText(text)
        data = self.target.itemData(index) if index >= 0 else None
        return str(data or text)

    def browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "选择备份文件存放的文件夹（可选U盘）", self.folder()
                                                  or preferences().last_folder(FOLDER_BACKUP))
        if folder:
            self.target.setEditText(folder)

    def start(self) -> None:
        self._save_remind()
        folder = self.folder()
        if not folder:
            msgbox.warning(self, "备份", "请选择备份文件存放的文件夹")
            return
        target = Path(folder)
        if not target.is_dir():
            msgbox.warning(self, "备份", f"文件夹“{target}”不存在（U盘是否已拔出？）")
            return
        preferences().set_last_folder(FOLDER_BACKUP, target)

        def work(progress: Any, store: Store) -> backup.BackupInfo:
            return backup.write_backup(store, target, progress=progress)

        run_in_background(self, "正在备份……", work, on_done=self._done, store=self.store)

    def _save_remind(self) -> None:
        try:
            self.store.set_setting(backup.REMIND_DAYS_SETTING, str(self.remind.value()))
        except UserError as exc:
            msgbox.show_error(self, "备份", exc)

    def _done(self, info: backup.BackupInfo) -> None:
        self.result_info = info
        self.last_label.setText(last_backup_text(self.store))
        msgbox.information(self, "备份完成", f"已备份到：\n{info.path}\n（{_size(info.size)}，已读回检查无误）\n\n"
                           + "\n".join(info.summary_lines()))
        self.accept()

    def reject(self) -> None:
        if self.remind.value() != backup.remind_days(self.store):
            self._save_remind()
        super().reject()


class RestoreDialog(QDialog):
    """Pick a backup file or a snapshot, see what it holds, then restore it (after a confirmation)."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.info: backup.BackupInfo | None = None
        self.restored = False
        self.setWindowTitle("从备份恢复")
        intro = QLabel("恢复会用备份替换本机的全部数据（记录、报表、修改历史、密钥和界面设置）。"
                       "恢复之前，程序会自动为当前数据做一个快照，恢复错了还可以再恢复回来。")
        intro.setWordWrap(True)
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("备份文件（.zip）")
        self.path_edit.installEventFilter(self)
        choose = QPushButton("选择备份文件(&O)…")
        choose.clicked.connect(self.choose)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(choose)
        snap_label = QLabel("或选择自动快照(&S)（导入、定稿、接收、恢复等操作之前自动保存）：")
        self.snapshots = QListWidget()
        snap_label.setBuddy(self.snapshots)
        for info in backup.list_snapshots(store) if store.path is not None else []:
            item = QListWidgetItem(f"{info.created_at.replace('T', ' ')}  {info.cause_title}  {_size(info.size)}")
            item.setData(Qt.ItemDataRole.UserRole, str(info.path))
            self.snapshots.addItem(item)
        if not self.snapshots.count():
            self.snapshots.addItem("（还没有自动快照）")
            self.snapshots.setEnabled(False)
        self.snapshots.setMaximumHeight(150)
        self.snapshots.currentItemChanged.connect(self._snapshot_chosen)
        self.details = QLabel("请选择备份文件。")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setMinimumHeight(120)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop)
        buttons = QDialogButtonBox()
        self.restore_button = buttons.addButton("恢复(&R)…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setEnabled(False)
        close = buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        for button in (self.restore_button, close, choose):  # Enter in the path field loads it, never restores
            button.setAutoDefault(False)
        buttons.accepted.connect(self.restore)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(snap_label)
        layout.addWidget(self.snapshots)
        layout.addWidget(QLabel("备份中的内容："))
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        self.resize(680, 520)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.path_edit and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            self.load(Path(self.path_edit.text().strip()))  # Enter in the path field loads it, never restores
            return True
        return super().eventFilter(watched, event)

    def choose(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "选择备份文件", preferences().last_folder(FOLDER_RESTORE),
                                                    "备份文件 (*.zip);;所有文件 (*)")
        if path:
            preferences().set_last_folder(FOLDER_RESTORE, path)
            self.load(Path(path))

    def _snapshot_chosen(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        if item is not None and item.data(Qt.ItemDataRole.UserRole):
            self.load(Path(str(item.data(Qt.ItemDataRole.UserRole))))

    def load(self, path: Path) -> None:
        """Check ``path`` fully and show what it holds, or why it cannot be restored."""
        self.path_edit.setText(str(path))
        self.info = None
        self.restore_button.setEnabled(False)
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            info = backup.inspect_backup(path, deep=True)
            refusal = backup.restore_refusal(self.store, info)
        except StoreError as exc:
            self._show(str(exc), error=True)
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        text = "\n".join(info.summary_lines())
        if refusal:
            self._show(f"{text}\n\n不能恢复：{refusal}", error=True)
            return
        self.info = info
        self._show(text + "\n\n文件完整，可以恢复。", error=False)
        self.restore_button.setEnabled(True)

    def _show(self, text: str, *, error: bool) -> None:
        self.details.setText(text)
        self.details.setStyleSheet("color: #c62828;" if error else "")

    def restore(self) -> None:
        info = self.info
        if info is None:
            return
        if not msgbox.confirm(self, "从备份恢复",
                              f"用{info.created_at.replace('T', ' ')}的备份替换本机的全部数据吗？\n"
                              "当前数据会先保存为快照。", "恢复", "取消"):
            return

        def work(progress: Any, store: Store) -> backup.RestoreResult:
            return backup.restore_backup(store, info.path, progress=progress)

        run_in_background(self, "正在恢复……", work, on_done=self._done, store=self.store, cancellable=False)

    def _done(self, result: backup.RestoreResult) -> None:
        self.restored = True
        where = f"\n恢复之前的数据已保存为快照：{result.snapshot.name}" if result.snapshot else ""
        msgbox.information(self, "恢复完成", f"已从备份恢复全部数据。{where}")
        self.accept()


def open_backup_dialog(store: Store, parent: QWidget | None = None) -> backup.BackupInfo | None:
    dialog = BackupDialog(store, parent)
    try:
        dialog.exec()
        return dialog.result_info
    finally:
        dialog.deleteLater()


def open_restore_dialog(store: Store, parent: QWidget | None = None) -> bool:
    """The restore dialog; True when the data was replaced (the caller refreshes its pages)."""
    if store.path is None:
        msgbox.warning(parent, "从备份恢复", "内存中的临时数据库不能恢复")
        return False
    dialog = RestoreDialog(store, parent)
    try:
        dialog.exec()
        return dialog.restored
    finally:
        dialog.deleteLater()


def after_start(store: Store, parent: QWidget | None) -> None:
    """Shown once the main window is up: files an interrupted write left unfinished, then the backup reminder."""
    from common import leftovers

    if store.path is not None:
        text = leftovers.notice(leftovers.clean_up(store.path.parent))
        if text:
            msgbox.warning(parent, "有文件没有写成", text)
    due, age = backup.backup_due(store)
    if not due:
        return
    drives = backup.removable_drives()
    when = "本机数据还没有备份过" if age is None else f"已经{age}天没有备份了"
    usb = f"已找到U盘：{'、'.join(str(d) for d in drives)}。" if drives else "请插入U盘。"
    if msgbox.confirm(parent, "备份提醒", f"{when}。数据只保存在这台电脑上，电脑损坏时会全部丢失。\n{usb}现在备份吗？",
                      "现在备份", "以后再说", default_yes=True):
        open_backup_dialog(store, parent)
