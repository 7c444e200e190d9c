"""The main window: navigation on the left, the pages of ``ui.pages.PAGES`` on the right.

Pages are created when first shown. A page that changed data emits ``data_changed``; the other
pages are then refreshed the next time they are shown. The 数据 menu calls the current page's
optional hooks (``add_record``, ``edit_current``, ``delete_current``, ``undo_delete``,
``focus_search``, ``import_records``) and is enabled according to which the page has.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from common.errors import UserError
from models import unit as unit_model
from ui import msgbox
from ui.pages import PAGES, PageEntry
from ui.settings_store import Preferences, current_period, preferences

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent
    from PySide6.QtWidgets import QLineEdit

    from models.db import Store

# Classes that only a dialog or an action needs are imported there: PySide builds a class's enums when the class is
# first reached, which the window's start-up need not pay for.

APP_TITLE = "产改统计填报"
GEOMETRY_KEY = "main_window/geometry"
STATE_KEY = "main_window/state"

STYLE = """
QMainWindow, QStackedWidget#pages { background: #ffffff; }
QWidget#navPanel { background: #1f3a5f; }
QLabel#brand { color: #ffffff; font-size: 13pt; font-weight: bold; padding: 18px 16px 4px 18px; }
QLabel#brandSub { color: #a9bbd3; padding: 0px 16px 14px 18px; }
QListWidget#nav { background: #1f3a5f; color: #dbe4f0; border: none; outline: 0; font-size: 11pt; }
QListWidget#nav::item { padding: 9px 14px; border-left: 4px solid transparent; }
QListWidget#nav::item:hover:!selected { background: #28497a; }
QListWidget#nav::item:selected { background: #2f5a94; color: #ffffff; border-left: 4px solid #e9b949; }
QLabel#pageTitle { font-size: 15pt; font-weight: bold; color: #1f2d3d; }
QLabel#pageHint, QLabel#unitFacts, QLabel#tileDetail { color: #66758a; }
QLabel#countLabel { color: #3d4c63; }
QLabel#emptyLabel { color: #66758a; font-size: 11pt; }
QFrame#undoBar { background: #fff6dc; border: 1px solid #ecd08a; border-radius: 4px; }
QPushButton { padding: 5px 14px; }
QPushButton#primaryButton { background: #1f5fa8; color: #ffffff; border: 1px solid #1a5294; border-radius: 3px; }
QPushButton#primaryButton:hover { background: #2a6cb8; }
QPushButton#primaryButton:disabled { background: #a8bfdc; border-color: #a8bfdc; }
QTableView { gridline-color: #e2e6ed; alternate-background-color: #f6f8fb;
             selection-background-color: #cfe0f6; selection-color: #10233d; }
QHeaderView { background: #ffffff; }
QHeaderView::section { background: #edf1f6; color: #26364d; padding: 5px 6px; border: none;
                       border-right: 1px solid #d6dce6; border-bottom: 1px solid #c9d1dd; }
QWidget#homeBody { background: #f4f6f9; }
QFrame#unitCard { background: #ffffff; border: 1px solid #d7dde6; border-radius: 6px; }
QLabel#contactValue { color: #1f2d3d; }
QLabel#contactValue[missing="true"] { color: #b54708; }
QLabel#unitName { font-size: 17pt; font-weight: bold; color: #1f3a5f; }
QLabel#sectionTitle { font-size: 12pt; font-weight: bold; color: #1f2d3d; border-left: 4px solid #1f5fa8;
                      padding-left: 8px; }
QFrame#tile { background: #ffffff; border: 1px solid #d7dde6; border-radius: 6px; }
QFrame#tile:hover { border: 1px solid #1f5fa8; background: #f7faff; }
QFrame#tile:focus { border: 2px solid #1f5fa8; }
QLabel#tileCaption { color: #3d4c63; font-size: 11pt; }
QLabel#tileNumber { color: #1f5fa8; font-size: 24pt; font-weight: bold; }
QLabel#hints { background: #ffffff; border: 1px solid #d7dde6; border-radius: 6px; padding: 12px 16px;
               color: #26364d; }
QStatusBar QLabel { color: #3d4c63; padding: 0px 8px; }
"""


def load_page_class(target: str) -> Callable[..., QWidget]:
    """The page class named by a ``"module:Class"`` target (importing its module)."""
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    cls: Callable[..., QWidget] = getattr(module, class_name)
    return cls


class UnitDialog(QDialog):
    """Edit the unit's name and the contacts shown on the return's cover."""

    def __init__(self, unit: unit_model.Unit, save: Callable[[dict[str, str]], Any],
                 parent: QWidget | None = None) -> None:
        from PySide6.QtWidgets import QDialogButtonBox, QFormLayout, QLineEdit

        super().__init__(parent)
        self._save = save
        self.setWindowTitle("设置本单位")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(10)
        self.fields: dict[str, QLineEdit] = {}
        form.addRow("单位代码：", QLabel(f"{unit.code}（{unit.level_label}）"))
        if unit.parent_name:
            form.addRow("上级单位：", QLabel(unit.parent_name))
        for key, label, value, hint in (
            ("name", "单位名称：", unit.name, "统计表封面上的单位全称"),
            ("head", "单位负责人：", unit.head, ""),
            ("statistician", "统计负责人：", unit.statistician, ""),
            ("preparer", "填表人：", unit.preparer, ""),
            ("phone", "联系电话：", unit.phone, "如 0879-3231234 或手机号"),
        ):
            edit = QLineEdit(value)
            edit.setPlaceholderText(hint)
            edit.setAccessibleName(label.rstrip("："))
            self.fields[key] = edit
            form.addRow(label, edit)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b42318;")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("保存")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def values(self) -> dict[str, str]:
        return {key: edit.text() for key, edit in self.fields.items()}

    def accept(self) -> None:
        from ui.screen import show_message_label

        try:
            self._save(self.values())
        except UserError as exc:
            show_message_label(self.error, str(exc))
            return
        super().accept()


class MainWindow(QMainWindow):
    """The application window for one open store."""

    def __init__(self, store: Store, prefs: Preferences | None = None) -> None:
        super().__init__()
        self.store = store
        self.prefs = prefs or preferences()
        self.pages: dict[str, QWidget] = {}
        self._dirty: set[str] = set()
        self._entries = {entry.key: entry for entry in PAGES}
        self._current_key = ""
        self.setStyleSheet(STYLE)
        from ui.screen import install_alt_key_guard

        install_alt_key_guard()
        self._build()
        self._build_menus()
        self.update_unit()
        self._restore_geometry()
        self.show_page(PAGES[0].key)

    # -- layout -----------------------------------------------------------------------------------

    def _build(self) -> None:
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)

        panel = QWidget()
        panel.setObjectName("navPanel")
        panel.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        panel.setFixedWidth(196)
        panel_layout = QVBoxLayout(panel)
        panel_layout.setContentsMargins(0, 0, 0, 0)
        panel_layout.setSpacing(0)
        brand = QLabel(APP_TITLE)
        brand.setObjectName("brand")
        brand_sub = QLabel("产业工人队伍建设改革")
        brand_sub.setObjectName("brandSub")
        panel_layout.addWidget(brand)
        panel_layout.addWidget(brand_sub)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setAccessibleName("页面导航")
        self.nav.setIconSize(QSize(0, 0))
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        panel_layout.addWidget(self.nav, 1)
        layout.addWidget(panel)

        self.stack = QStackedWidget()
        self.stack.setObjectName("pages")
        layout.addWidget(self.stack, 1)
        for entry in PAGES:
            item = QListWidgetItem(entry.title)
            item.setData(Qt.ItemDataRole.UserRole, entry.key)
            if entry.shortcut:
                item.setToolTip(f"{entry.title}（{entry.shortcut}）")
            self.nav.addItem(item)
            self.stack.addWidget(QWidget())  # replaced by the page when first shown
        self.nav.currentRowChanged.connect(self._nav_row_changed)
        self.setCentralWidget(central)

        status = self.statusBar()
        status.setSizeGripEnabled(True)
        self.unit_label = QLabel()
        self.period_label = QLabel()
        status.addPermanentWidget(self.unit_label)
        status.addPermanentWidget(self.period_label)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("文件(&F)")
        self.unit_action = self._action(file_menu, "设置本单位(&U)…", self.edit_unit)
        self.keys_action = self._action(file_menu, "本单位密钥(&K)…", self.open_keys)
        self.trust_action = self._action(file_menu, "证书登记（下级、上级单位）(&T)…", self.open_trust)
        self.verify_action = self._action(file_menu, "核验报表文件(&V)…", self.open_verify)
        self.definitions_action = self._action(file_menu, "报表制度(&D)…", self.open_definitions)
        self._action(file_menu, "打开数据文件夹(&O)", self.open_data_folder)
        file_menu.addSeparator()
        self.backup_action = self._action(file_menu, "备份到(&B)…", self.open_backup, QKeySequence("Ctrl+Shift+B"))
        self.restore_action = self._action(file_menu, "从备份恢复(&R)…", self.open_restore)
        file_menu.addSeparator()
        self._action(file_menu, "退出(&X)", self.close, QKeySequence("Ctrl+Q"))

        data_menu = bar.addMenu("数据(&D)")
        self.data_actions: dict[str, QAction] = {}
        self.data_actions["add_record"] = self._action(
            data_menu, "新增记录(&N)", lambda: self._call("add_record"), QKeySequence("Ctrl+N"), QKeySequence("Insert"))
        # Enter and Delete belong to the page's table (they must not fire while typing in a
        # field), so the menu only names them: text after a tab is shown as the shortcut.
        self.data_actions["edit_current"] = self._action(data_menu, "编辑(&E)\tEnter", lambda: self._call("edit_current"))
        self.data_actions["delete_current"] = self._action(data_menu, "删除(&D)\tDel", lambda: self._call("delete_current"))
        self.data_actions["undo_delete"] = self._action(
            data_menu, "撤销删除(&Z)", lambda: self._call("undo_delete"), QKeySequence("Ctrl+Z"))
        data_menu.addSeparator()
        self.data_actions["focus_search"] = self._action(
            data_menu, "查找(&F)", lambda: self._call("focus_search"), QKeySequence("Ctrl+F"))
        data_menu.addSeparator()
        self.import_action = self._action(data_menu, "从Excel/CSV导入(&I)…", self.import_records, QKeySequence("Ctrl+I"))
        self.history_action = self._action(data_menu, "全部修改历史(&H)…", self.open_history)

        page_menu = bar.addMenu("页面(&P)")
        self.page_actions: dict[str, QAction] = {}
        for number, entry in enumerate(PAGES, start=1):
            keys = [QKeySequence(entry.shortcut)] if entry.shortcut else []
            text = f"&{number % 10} {entry.title}" if number <= 10 else entry.title  # the tenth is &0
            self.page_actions[entry.key] = self._action(
                page_menu, text, lambda _checked=False, key=entry.key: self.show_page(key), *keys)

        help_menu = bar.addMenu("帮助(&H)")
        self.help_action = self._action(help_menu, "使用说明(&M)", self.show_help, QKeySequence("F1"))
        help_menu.addSeparator()
        self._action(help_menu, "关于(&A)", self.about)

    def _action(self, menu: Any, text: str, slot: Callable[..., Any], *keys: QKeySequence) -> QAction:
        action = QAction(self)  # QAction(text, parent) would make PySide build QIcon and its enums (an overload)
        action.setText(text)
        if keys:
            action.setShortcuts(list(keys))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    # -- pages ------------------------------------------------------------------------------------

    def page(self, key: str) -> QWidget:
        """The page ``key``, created on first use."""
        existing = self.pages.get(key)
        if existing is not None:
            return existing
        entry: PageEntry = self._entries[key]
        # Made in the stack, not in the window and then moved there: moving a page polishes all its widgets against
        # the window's style sheet once more (about as long as making the home page).
        page = load_page_class(entry.target)(self.store, self.stack)
        index = [e.key for e in PAGES].index(key)
        placeholder = self.stack.widget(index)
        self.stack.insertWidget(index, page)
        if placeholder is not None:
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
        self.pages[key] = page
        page.data_changed.connect(lambda key=key: self._data_changed(key))  # type: ignore[attr-defined]
        message = getattr(page, "message", None)
        if message is not None:
            message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        navigate = getattr(page, "navigate", None)
        if navigate is not None:
            navigate.connect(self._navigate)
        return page

    def current_page(self) -> QWidget | None:
        return self.pages.get(self._current_key)

    def show_page(self, key: str) -> None:
        if key not in self._entries:
            return
        try:
            page = self.page(key)
        except Exception as exc:
            from ui.msgbox import error_text

            text, detail = error_text(exc)
            self._select_nav(self._current_key)
            msgbox.critical(self, "无法打开页面", f"无法打开“{self._entries[key].title}”：{text}", detail)
            return
        if key in self._dirty:
            self._dirty.discard(key)
            page.refresh()  # type: ignore[attr-defined]
        self._current_key = key
        self.stack.setCurrentWidget(page)
        self._select_nav(key)
        self._update_actions()
        if self.isVisible() and not self.nav.hasFocus():
            page.setFocus(Qt.FocusReason.OtherFocusReason)

    def _select_nav(self, key: str) -> None:
        keys = [e.key for e in PAGES]
        row = keys.index(key) if key in keys else -1
        if self.nav.currentRow() != row:
            self.nav.blockSignals(True)
            self.nav.setCurrentRow(row)
            self.nav.blockSignals(False)

    def _nav_row_changed(self, row: int) -> None:
        if 0 <= row < len(PAGES):
            self.show_page(PAGES[row].key)

    def _navigate(self, target: str) -> None:
        if target == "action:unit":
            self.edit_unit()
        else:
            self.show_page(target)

    def _data_changed(self, source: str) -> None:
        self.store.refresh_statistics()  # cheap when nothing grew (an import has refreshed them on its own thread)
        self._dirty.update(k for k in self.pages if k != source)
        self.update_unit()
        self._update_actions()

    def refresh_all(self) -> None:
        """Refresh the shown page now and the others when next shown."""
        self._dirty.update(self.pages)
        self.show_page(self._current_key or PAGES[0].key)
        self.update_unit()

    def _update_actions(self) -> None:
        page = self.current_page()
        for hook, action in self.data_actions.items():
            action.setEnabled(page is not None and callable(getattr(page, hook, None)))

    def _call(self, hook: str) -> None:
        method = getattr(self.current_page(), hook, None)
        if callable(method):
            method()

    # -- actions ----------------------------------------------------------------------------------

    def import_records(self) -> None:
        page = self.current_page()
        if page is not None and callable(getattr(page, "import_records", None)):
            page.import_records()  # type: ignore[attr-defined]
            return
        from ui.record_page import open_import

        if open_import(self, self.store, "people"):
            self.refresh_all()

    def edit_unit(self) -> None:
        unit = unit_model.load(self.store)
        if unit is None:
            self._run_setup_wizard()
            return

        def save(values: dict[str, str]) -> None:
            unit_model.update_contacts(self.store, **values)

        dialog = UnitDialog(unit, save, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.update_unit()
            self.refresh_all()
            self.statusBar().showMessage("已保存本单位信息", 5000)

    def _run_setup_wizard(self) -> None:
        try:
            from ui.setup_wizard import run_setup_wizard
        except ModuleNotFoundError as exc:
            if exc.name != "ui.setup_wizard":
                raise
            msgbox.information(self, "设置本单位", "此版本尚未包含设置向导，请更新程序后再试。")
            return
        if run_setup_wizard(self.store, parent=self) is not None:
            self.update_unit()
            self.refresh_all()

    def open_keys(self) -> None:
        from ui.keys_dialog import open_keys_dialog

        open_keys_dialog(self.store, self)

    def open_trust(self) -> None:
        from ui.keys_dialog import open_trust_dialog

        open_trust_dialog(self.store, self)

    def open_definitions(self) -> None:
        from ui.definitions_dialog import open_definitions_dialog

        open_definitions_dialog(self.store, self)

    def open_verify(self) -> None:
        from ui.keys_dialog import open_verify_dialog

        open_verify_dialog(self.store, self)

    def open_history(self) -> None:
        from ui.history_dialog import show_history

        show_history(self, self.store)

    def open_backup(self) -> None:
        from ui.backup_dialog import open_backup_dialog

        open_backup_dialog(self.store, self)

    def open_restore(self) -> None:
        from ui.backup_dialog import open_restore_dialog

        if open_restore_dialog(self.store, self):
            self.refresh_all()

    def open_data_folder(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        folder = self.store.path.parent if self.store.path else None
        if folder is None or not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            msgbox.information(self, "数据文件夹", f"数据文件夹：{folder or '（内存中，未保存到磁盘）'}")

    def show_help(self) -> None:
        """使用说明, at the section of the page being shown (F1)."""
        from ui.help_window import show_help

        show_help(self, self._current_key)

    def about(self) -> None:
        folder = self.store.path.parent if self.store.path else "（内存中）"
        msgbox.information(
            self, "关于",
            f"<p><b>{APP_TITLE}</b></p>"
            "<p>云南省产业工人队伍建设改革统计填报工具：录入劳模、工作室、培训、竞赛和经济技术创新数据，"
            "生成、审核、签名并报送统计表。</p>"
            "<p>本程序完全离线运行，数据只保存在本机的数据文件夹中，请定期用“文件 › 备份到…”备份到U盘。</p>"
            f"<p>数据文件夹：{folder}</p>")

    # -- status -----------------------------------------------------------------------------------

    def update_unit(self) -> None:
        unit = unit_model.load(self.store)
        name = unit.name if unit else "尚未设置本单位"
        self.setWindowTitle(f"{APP_TITLE} — {name}")
        self.unit_label.setText(f"本单位：{unit.name}（{unit.code}）" if unit else "本单位：尚未设置")
        period = current_period(self.store)
        self.period_label.setText(f"报告期：{period.label}（{period.kind_label}）")

    # -- geometry ---------------------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        geometry = self.prefs.value(GEOMETRY_KEY)
        if isinstance(geometry, QByteArray) and not geometry.isEmpty() and self.restoreGeometry(geometry):
            # Saved on a bigger screen (or before a scaling change): never larger than this one.
            from ui.screen import FRAME_HEIGHT, FRAME_WIDTH, available

            area = available(self)
            if self.width() > area.width() - FRAME_WIDTH or self.height() > area.height() - FRAME_HEIGHT:
                self.resize(min(self.width(), area.width() - FRAME_WIDTH), min(self.height(), area.height() - FRAME_HEIGHT))
                self.move(area.topLeft())
            return
        # 1280×800 where it fits; smaller screens (1366×768 laptops) get most of the screen.
        screen = self.screen() or QGuiApplication.primaryScreen()
        free = screen.availableGeometry() if screen is not None else None
        if free is None or (free.width() >= 1320 and free.height() >= 860):
            self.resize(1280, 800)
        else:
            self.resize(min(1280, int(free.width() * 0.96)), min(800, int(free.height() * 0.94)))
        if free is not None:
            frame = self.frameGeometry()
            frame.moveCenter(free.center())
            self.move(frame.topLeft())

    def save_geometry(self) -> None:
        self.prefs.set_value(GEOMETRY_KEY, self.saveGeometry())
        self.prefs.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        workers = sys.modules.get("ui.workers")  # nothing runs in the background if it was never imported
        if workers is not None and workers.running():
            if not msgbox.confirm(self, "退出", "还有操作正在进行，确定要取消它并退出吗？", "退出", "继续等待"):
                event.ignore()
                return
            workers.cancel_and_wait_all()
        self.save_geometry()
        super().closeEvent(event)
