"""回收站: deleted records of every kind, to restore or delete for good."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from models import records
from models.db import RecordError
from ui import msgbox

if TYPE_CHECKING:
    from models.db import Store

KEY_ROLE = Qt.ItemDataRole.UserRole + 1  # (kind, record id) on the first cell of a row


def deleted_text(stamp: str | None) -> str:
    """``2025-06-01T14:03:22`` → ``2025-06-01 14:03``."""
    if not stamp:
        return ""
    return stamp.replace("T", " ")[:16]


def display_name(item: dict[str, Any]) -> str:
    name = str(item.get("name") or "")
    if item.get("kind") == "innovation":
        from common.text import ParseError
        from forms.periods import parse_period

        try:
            return parse_period(name).label
        except ParseError:
            return name
    return name


class RecyclePage(QWidget):
    """Deleted records, newest first."""

    data_changed = Signal()
    message = Signal(str)

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._build()
        self.refresh()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)
        header = QHBoxLayout()
        title = QLabel("回收站")
        title.setObjectName("pageTitle")
        header.addWidget(title)
        hint = QLabel("删除的记录先放在这里，可以恢复；彻底删除后无法找回")
        hint.setObjectName("pageHint")
        header.addSpacing(12)
        header.addWidget(hint, 0, Qt.AlignmentFlag.AlignBottom)
        header.addStretch(1)
        self.count_label = QLabel()
        self.count_label.setObjectName("countLabel")
        header.addWidget(self.count_label, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(header)

        bar = QHBoxLayout()
        bar.addStretch(1)
        self.restore_button = QPushButton("恢复")
        self.restore_button.setObjectName("primaryButton")
        self.restore_button.setToolTip("把选中的记录放回原处")
        self.purge_button = QPushButton("彻底删除")
        self.purge_button.setToolTip("从数据中永久删除选中的记录，无法恢复")
        for button in (self.restore_button, self.purge_button):
            button.setMinimumWidth(90)
            bar.addWidget(button)
        layout.addLayout(bar)

        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["类型", "名称", "删除时间"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)
        header_view = self.table.horizontalHeader()
        header_view.setHighlightSections(False)
        header_view.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        char = self.fontMetrics().horizontalAdvance("中")
        self.table.setColumnWidth(0, 9 * char)
        self.table.setColumnWidth(2, 12 * char)

        self.empty_label = QLabel("回收站是空的。\n\n在各页面删除的记录会先放到这里，需要时可以恢复。")
        self.empty_label.setObjectName("emptyLabel")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty_label)
        layout.addWidget(self.stack, 1)

        self.restore_button.clicked.connect(self.restore_selected)
        self.purge_button.clicked.connect(self.purge_selected)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.setFocusProxy(self.table)

    def refresh(self) -> None:
        items = records.recycle_bin(self.store)
        self.table.setRowCount(len(items))
        for row, item in enumerate(items):
            kind_cell = QTableWidgetItem(str(item["kind_title"]))
            kind_cell.setData(KEY_ROLE, (item["kind"], int(item["id"])))
            time_cell = QTableWidgetItem(deleted_text(item["deleted_at"]))
            time_cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.table.setItem(row, 0, kind_cell)
            self.table.setItem(row, 1, QTableWidgetItem(display_name(item)))
            self.table.setItem(row, 2, time_cell)
        self.count_label.setText(f"共 {len(items):,} 条")
        self.stack.setCurrentWidget(self.table if items else self.empty_label)
        self._update_buttons()

    def selected(self) -> list[tuple[str, int, str]]:
        """(kind, record id, name) of the selected rows."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        out = []
        for row in rows:
            cell = self.table.item(row, 0)
            name_cell = self.table.item(row, 1)
            if cell is None or name_cell is None:
                continue
            kind, record_id = cell.data(KEY_ROLE)
            out.append((str(kind), int(record_id), name_cell.text()))
        return out

    def _update_buttons(self) -> None:
        has = bool(self.table.selectionModel().selectedRows())
        self.restore_button.setEnabled(has)
        self.purge_button.setEnabled(has)

    def restore_selected(self) -> None:
        chosen = self.selected()
        if not chosen:
            self.message.emit("请先选中要恢复的记录")
            return
        done, problems = self._apply(records.restore, chosen)
        if done:
            self.message.emit(f"已恢复 {done} 条记录")
        if problems:
            msgbox.warning(self, "无法恢复", "\n".join(problems))

    def purge_selected(self) -> None:
        chosen = self.selected()
        if not chosen:
            self.message.emit("请先选中要彻底删除的记录")
            return
        if len(chosen) == 1:
            what = f"{self._kind_title(chosen[0][0])}“{chosen[0][2]}”"
        else:
            what = f"选中的 {len(chosen)} 条记录"
        if not msgbox.confirm(self, "彻底删除", f"确定要彻底删除{what}吗？\n彻底删除后无法恢复。", "彻底删除", "取消"):
            return
        done, problems = self._apply(records.purge, chosen)
        if done:
            self.message.emit(f"已彻底删除 {done} 条记录")
        if problems:
            msgbox.warning(self, "无法彻底删除", "\n".join(problems))

    def _apply(self, action: Any, chosen: list[tuple[str, int, str]]) -> tuple[int, list[str]]:
        done = 0
        problems: list[str] = []
        for kind, record_id, name in chosen:
            try:
                action(self.store, kind, record_id)
            except RecordError as exc:
                problems.append(f"“{name}”：{exc}")
            else:
                done += 1
        self.refresh()
        if done:
            self.data_changed.emit()
        return done, problems

    @staticmethod
    def _kind_title(kind: str) -> str:
        from forms.records import spec

        return spec(kind).title
