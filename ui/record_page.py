"""The record pages: one searchable table per record kind, with add / edit / delete / import.

A page follows the protocol of ``ui.pages`` (``(store, parent)``, ``refresh()``, ``data_changed``)
and offers the optional hooks the main window's menus call: ``add_record``, ``edit_current``,
``delete_current``, ``undo_delete``, ``focus_search`` and ``import_records``; ``message`` carries
a line for the status bar.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from forms import fields as F
from forms.records import spec
from models import records
from models.db import RecordError
from ui import msgbox
from ui.record_table_model import RecordTableModel

if TYPE_CHECKING:
    from PySide6.QtGui import QHideEvent

    from models.db import Store

SEARCH_DELAY_MS = 150


@dataclasses.dataclass(frozen=True)
class _Deleted:
    kind: str
    record_id: int
    name: str


def page_title(key: str, default: str) -> str:
    from ui.pages import PAGES

    return next((p.title for p in PAGES if p.key == key), default)


def open_record_dialog(parent: QWidget, store: Store, kind: str, record_id: int | None = None) -> int | None:
    """Open the entry dialog of another module; the saved record's id, or None if cancelled."""
    try:
        from ui.record_dialog import edit_record
    except ModuleNotFoundError as exc:
        if exc.name != "ui.record_dialog":
            raise
        msgbox.information(parent, "无法录入", "此版本尚未包含录入窗口，请更新程序后再试。")
        return None
    return edit_record(parent, store, kind, record_id=record_id)


def open_import(parent: QWidget, store: Store, kind: str) -> bool:
    """Open the Excel/CSV import dialog for ``kind``; True when it changed records."""
    try:
        from ui.import_dialog import run_import_dialog
    except ModuleNotFoundError as exc:
        if exc.name != "ui.import_dialog":
            raise
        msgbox.information(parent, "从Excel/CSV导入", "此版本尚未包含导入功能，请更新程序后再试。")
        return False
    return bool(run_import_dialog(parent, store, kind))


class RecordPage(QWidget):
    """A searchable table of one record kind."""

    KIND = ""
    SEARCH_PLACEHOLDER = "名称或拼音首字母"
    SEARCH_TIP = "可输入名称的一部分或拼音首字母（如“劳模”或“lm”）。"
    DESCRIPTION = ""

    data_changed = Signal()
    message = Signal(str)

    def __init__(self, store: Store, parent: QWidget | None = None, kind: str | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.kind = kind or self.KIND
        self.form = spec(self.kind)
        self.model = RecordTableModel(store, self.kind, self)
        self._undo: list[list[_Deleted]] = []
        self._keep_id: int | None = None
        self._searching = False
        self._build()
        self._update_count()

    # -- layout -----------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)

        header = QHBoxLayout()
        title = QLabel(page_title(self.kind, self.form.title))
        title.setObjectName("pageTitle")
        header.addWidget(title)
        if self.DESCRIPTION:
            description = QLabel(self.DESCRIPTION)
            description.setObjectName("pageHint")
            header.addSpacing(12)
            header.addWidget(description, 0, Qt.AlignmentFlag.AlignBottom)
        header.addStretch(1)
        self.count_label = QLabel()
        self.count_label.setObjectName("countLabel")
        header.addWidget(self.count_label, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(header)

        bar = QHBoxLayout()
        bar.setSpacing(8)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.SEARCH_PLACEHOLDER)
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(320)
        self.search.setAccessibleName("查找")
        self.search.setToolTip("输入即查找（Ctrl+F）；按 ↓ 进入表格")
        bar.addWidget(self.search, 2)
        bar.addStretch(1)
        self.add_button = QPushButton("新增")
        self.add_button.setToolTip("新增一条记录（Ctrl+N 或 Insert）")
        self.edit_button = QPushButton("编辑")
        self.edit_button.setToolTip("编辑选中的记录（回车或双击）")
        self.delete_button = QPushButton("删除")
        self.delete_button.setToolTip("把选中的记录移入回收站（Delete）")
        self.import_button = QPushButton("导入…")
        self.import_button.setToolTip("从Excel或CSV表格导入（Ctrl+I）")
        self.add_button.setObjectName("primaryButton")
        for button in (self.add_button, self.edit_button, self.delete_button, self.import_button):
            button.setMinimumWidth(76)
            bar.addWidget(button)
        layout.addLayout(bar)

        self.undo_bar = QFrame()
        self.undo_bar.setObjectName("undoBar")
        undo_layout = QHBoxLayout(self.undo_bar)
        undo_layout.setContentsMargins(12, 6, 6, 6)
        self.undo_label = QLabel()
        undo_layout.addWidget(self.undo_label, 1)
        self.undo_button = QPushButton("撤销删除")
        self.undo_button.setToolTip("恢复刚删除的记录（Ctrl+Z）")
        undo_layout.addWidget(self.undo_button)
        close_undo = QPushButton("关闭")
        close_undo.setFlat(True)
        undo_layout.addWidget(close_undo)
        self.undo_bar.hide()
        layout.addWidget(self.undo_bar)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.table.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 12)
        vertical.setDefaultAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        vertical.setMinimumWidth(self.fontMetrics().horizontalAdvance("000000"))
        header_view = self.table.horizontalHeader()
        header_view.setHighlightSections(False)
        header_view.setStretchLastSection(True)
        header_view.setSortIndicatorClearable(True)
        header_view.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header_view.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        self.table.setSortingEnabled(True)
        self._set_column_widths()

        self.empty_label = QLabel()
        self.empty_label.setObjectName("emptyLabel")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty_label)
        layout.addWidget(self.stack, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_search)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.installEventFilter(self)
        self.table.installEventFilter(self)
        self.table.activated.connect(lambda _index: self.edit_current())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.model.modelAboutToBeReset.connect(self._before_reset)
        self.model.modelReset.connect(self._after_reset)
        self.add_button.clicked.connect(self.add_record)
        self.edit_button.clicked.connect(self.edit_current)
        self.delete_button.clicked.connect(self.delete_current)
        self.import_button.clicked.connect(self.import_records)
        self.undo_button.clicked.connect(self.undo_delete)
        close_undo.clicked.connect(self.undo_bar.hide)
        self.setFocusProxy(self.search)
        self._update_buttons()

    def _set_column_widths(self) -> None:
        """Widths from each column's typical size in characters, never narrower than its header."""
        metrics = self.table.fontMetrics()
        header_metrics = self.table.horizontalHeader().fontMetrics()
        cjk = metrics.horizontalAdvance("中")
        digit = metrics.horizontalAdvance("0")
        digits = {F.ID_NUMBER: 18, F.MOBILE: 11, F.PHONE: 13, F.DATE: 10, F.YEAR: 4, F.PERIOD: 8}
        for number, col in enumerate(self.model.columns):
            if col.kind in digits:
                content = digits[col.kind] * digit
            elif col.kind in F.NUMERIC_KINDS:
                content = max(col.width, 6) * digit
            else:
                content = min(col.width, 24) * cjk
            header = header_metrics.horizontalAdvance(self.model.headerData(number, Qt.Orientation.Horizontal) or "")
            self.table.setColumnWidth(number, max(content + 16, header + 30))

    # -- page protocol ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the table (keeping the selected record) and the count."""
        self.model.refresh()
        self._update_count()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # -- selection --------------------------------------------------------------------------------

    def current_id(self) -> int | None:
        index = self.table.currentIndex()
        selected = self.table.selectionModel().selectedRows()
        if selected and (not index.isValid() or not self.table.selectionModel().isRowSelected(index.row())):
            index = selected[0]
        return self.model.record_id(index.row()) if index.isValid() else None

    def selected_rows(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        if not rows and self.table.currentIndex().isValid():
            rows = [self.table.currentIndex().row()]
        return rows

    def select_row(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        index = self.model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)

    def select_record(self, record_id: int) -> bool:
        """Select a record, clearing the search if it hides it; False if it is not listed."""
        row = self.model.row_of(record_id)
        if row is None and self.model.search:
            self.search.blockSignals(True)
            self.search.clear()
            self.search.blockSignals(False)
            self._search_timer.stop()
            self._searching = True
            self.model.set_search("")
            self._searching = False
            self._update_count()
            row = self.model.row_of(record_id)
        if row is None:
            return False
        self.select_row(row)
        return True

    def _before_reset(self) -> None:
        self._keep_id = None if self._searching else self.current_id()

    def _after_reset(self) -> None:
        if self._keep_id is not None:
            row = self.model.row_of(self._keep_id)
            self._keep_id = None
            if row is not None:
                self.select_row(row)
        self._update_buttons()

    # -- search ------------------------------------------------------------------------------------

    def hideEvent(self, event: QHideEvent) -> None:
        """A search still waiting for the typing to pause is applied now: the page is left (another page, or the
        window closing, and with it the data), and what was typed must not be lost or run on a closed store."""
        if self._search_timer.isActive():
            self._apply_search()
        super().hideEvent(event)

    def _apply_search(self) -> None:
        self._search_timer.stop()
        self._searching = True
        try:
            self.model.set_search(self.search.text())
        finally:
            self._searching = False
        self._update_count()

    def _update_count(self) -> None:
        shown = self.model.rowCount()
        if self.model.search:
            total = self.model.total_count()
            self.count_label.setText(f"找到 {shown:,} 条（共 {total:,} 条）")
            self.empty_label.setText(f"没有找到与“{self.model.search.strip()}”相符的{self.form.title}。\n"
                                     f"{self.SEARCH_TIP}")
        else:
            self.count_label.setText(f"共 {shown:,} 条")
            self.empty_label.setText(f"还没有{self.form.title}记录。\n\n点击“新增”逐条录入（Ctrl+N），"
                                     "或点击“导入…”从Excel/CSV表格批量导入（Ctrl+I）。")
        self.stack.setCurrentWidget(self.table if shown else self.empty_label)
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_row = bool(self.selected_rows())
        self.edit_button.setEnabled(has_row)
        self.delete_button.setEnabled(has_row)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            plain = event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
            if watched is self.search and plain:
                if key in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_PageDown):
                    self._enter_table()
                    return True
                if key == Qt.Key.Key_Escape and self.search.text():
                    self.search.clear()
                    self._apply_search()
                    return True
            elif watched is self.table and plain:
                if key == Qt.Key.Key_Delete:
                    self.delete_current()
                    return True
                if key == Qt.Key.Key_Up and self.table.currentIndex().row() <= 0:
                    self.focus_search()
                    return True
        return super().eventFilter(watched, event)

    def _enter_table(self) -> None:
        if self._search_timer.isActive():
            self._apply_search()
        if self.model.rowCount() == 0:
            return
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.selected_rows():
            self.select_row(0)

    # -- actions ----------------------------------------------------------------------------------

    def add_record(self) -> None:
        self._open_dialog(None)

    def edit_current(self) -> None:
        record_id = self.current_id()
        if record_id is None:
            self.message.emit(f"请先在表格中选中要编辑的{self.form.title}")
            return
        self._open_dialog(record_id)

    def _open_dialog(self, record_id: int | None) -> None:
        saved = open_record_dialog(self, self.store, self.kind, record_id)
        if saved is None:
            return
        self.refresh()
        self.select_record(saved)
        self.table.setFocus()
        self.message.emit(f"已保存{self.form.title}")
        self.data_changed.emit()

    def delete_current(self) -> None:
        rows = self.selected_rows()
        if not rows:
            self.message.emit(f"请先在表格中选中要删除的{self.form.title}")
            return
        chosen = [(self.model.record_id(r), self.model.record_name(r)) for r in rows]
        targets = [(rid, name) for rid, name in chosen if rid is not None]
        if not targets:
            return
        title = self.form.title
        refusals = [(name, records.delete_refusal(self.store, self.kind, rid)) for rid, name in targets]
        refusals = [(name, why) for name, why in refusals if why]
        if len(refusals) == len(targets):  # nothing can be deleted: say why before asking anything
            msgbox.warning(self, f"不能删除{title}", "\n".join(f"“{name}”：{why}" for name, why in refusals))
            return
        if len(targets) == 1:
            question = f"确定要删除{title}“{targets[0][1]}”吗？"
        else:
            names = "、".join(f"“{name}”" for _rid, name in targets[:3])
            more = "等" if len(targets) > 3 else ""
            question = f"确定要删除选中的 {len(targets)} 条{title}（{names}{more}）吗？"
        if not msgbox.confirm(self, f"删除{title}", question + "\n删除后可在“回收站”中恢复。", "删除", "取消"):
            return
        deleted: list[_Deleted] = []
        refused: list[str] = []
        for record_id, name in targets:
            try:
                records.delete(self.store, self.kind, record_id)
            except RecordError as exc:
                refused.append(f"“{name}”：{exc}")
            else:
                deleted.append(_Deleted(self.kind, record_id, name))
        if deleted:
            first_row = rows[0]
            self._searching = True  # the deleted rows are gone: do not try to keep them selected
            try:
                self.refresh()
            finally:
                self._searching = False
            self.select_row(min(first_row, self.model.rowCount() - 1))
            self._undo.append(deleted)
            what = f"“{deleted[0].name}”" if len(deleted) == 1 else f"{len(deleted)} 条{title}"
            self.undo_label.setText(f"已将{what}移入回收站。")
            self.undo_bar.show()
            self.message.emit(f"已将{what}移入回收站，按 Ctrl+Z 撤销")
            self.data_changed.emit()
        if refused:
            msgbox.warning(self, f"无法删除{title}", "\n".join(refused))

    def undo_delete(self) -> None:
        """Bring back the records deleted last on this page."""
        if not self._undo:
            self.undo_bar.hide()
            self.message.emit("没有可撤销的删除")
            return
        batch = self._undo.pop()
        restored: list[_Deleted] = []
        problems: list[str] = []
        for item in batch:
            try:
                records.restore(self.store, item.kind, item.record_id)
            except RecordError as exc:
                problems.append(f"“{item.name}”：{exc}")
            else:
                restored.append(item)
        self.refresh()
        if restored:
            self.select_record(restored[0].record_id)
            what = f"“{restored[0].name}”" if len(restored) == 1 else f"{len(restored)} 条{self.form.title}"
            self.message.emit(f"已恢复{what}")
            self.data_changed.emit()
        if self._undo:
            last = self._undo[-1]
            what = f"“{last[0].name}”" if len(last) == 1 else f"{len(last)} 条{self.form.title}"
            self.undo_label.setText(f"已将{what}移入回收站。")
        else:
            self.undo_bar.hide()
        if problems:
            msgbox.warning(self, "无法撤销删除", "\n".join(problems))

    def import_records(self) -> None:
        if open_import(self, self.store, self.kind):
            self.refresh()
            self.data_changed.emit()

    def undo_available(self) -> bool:
        return bool(self._undo)


class PeoplePage(RecordPage):
    KIND = "people"
    SEARCH_PLACEHOLDER = "姓名、拼音首字母或身份证号"
    SEARCH_TIP = "可输入姓名的一部分、拼音首字母（如“张伟”输入“zw”）、工作单位或身份证号的一部分。"
    DESCRIPTION = "劳动模范、五一劳动奖章、工匠、技术能手等人员及其荣誉"


class StudiosPage(RecordPage):
    KIND = "studios"
    SEARCH_PLACEHOLDER = "工作室名称、依托单位或拼音首字母"
    DESCRIPTION = "劳模和工匠人才创新工作室、职工技师工作站、技能大师工作室及其年度成果"


class TrainingsPage(RecordPage):
    KIND = "trainings"
    SEARCH_PLACEHOLDER = "培训名称、主办单位或拼音首字母"
    DESCRIPTION = "职业技能培训、岗位练兵、安全生产培训等，每期培训一条"


class CompetitionsPage(RecordPage):
    KIND = "competitions"
    SEARCH_PLACEHOLDER = "竞赛名称、承办单位或拼音首字母"
    DESCRIPTION = "劳动竞赛和技能竞赛，每项竞赛一条"


class InnovationPage(RecordPage):
    KIND = "innovation"
    SEARCH_PLACEHOLDER = "报告期，如 2025 或 2025H1"
    SEARCH_TIP = "可输入报告期，如 2025（年报）、2025H1（半年报）或 2025Q3（季报）。"
    DESCRIPTION = "群众性经济技术创新按报告期填写合计数"
