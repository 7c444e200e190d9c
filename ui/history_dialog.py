"""The 历史 view: every recorded change of one record (or of all records), newest first.

Each change is a row (time, what was done, how many fields); its fields' old and new values are
listed beneath it. ID and phone numbers are masked. Read-only; Esc or Enter closes it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from forms.records import spec
from models import history
from models.db import Store


class HistoryDialog(QDialog):
    """The history of ``kind``/``record_id`` (both None: of every record)."""

    def __init__(self, store: Store, kind: str | None = None, record_id: int | None = None, label: str = "",
                 parent: QWidget | None = None, limit: int = 2000) -> None:
        super().__init__(parent)
        self.store = store
        if kind and record_id is not None:
            title = f"修改历史：{spec(kind).title}“{label}”"
        else:
            title = "修改历史：全部记录"
        self.setWindowTitle(title)
        self.entries = history.entries(store, kind, record_id, limit=limit)
        heading = QLabel(title)
        font = heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        heading.setFont(font)
        hint = QLabel(f"共{len(self.entries)}次修改，最新的在最上面；身份证号和电话号码遮盖显示。"
                      "上下键选择，右键头展开，Esc 关闭。")
        hint.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["时间", "操作", "内容"])
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setWordWrap(True)
        show_record = not (kind and record_id is not None)
        for entry in self.entries:
            lines = history.change_lines(entry, store)
            summary = f"{entry.kind_title}“{entry.label}”" if show_record else ""
            summary += f"{'，' if summary else ''}{len(lines)}项" if lines else ""
            if entry.batch_id:
                summary += f"（导入批次{entry.batch_id}）"
            item = QTreeWidgetItem([entry.at.replace("T", " "), entry.operation_title, summary])
            for line in lines:
                child = QTreeWidgetItem(["", "", line])
                child.setToolTip(2, line)
                item.addChild(child)
            self.tree.addTopLevelItem(item)
        if self.tree.topLevelItemCount() and self.tree.topLevelItemCount() <= 50:
            self.tree.expandAll()
        self.tree.setColumnWidth(0, 150)
        self.tree.setColumnWidth(1, 130)
        first = self.tree.topLevelItem(0)
        if first is not None:
            self.tree.setCurrentItem(first)
        self.empty = QLabel("没有修改记录（本功能启用之前的修改没有记录）。")
        self.empty.setVisible(not self.entries)
        buttons = QDialogButtonBox()
        close = buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        close.setDefault(True)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty)
        layout.addWidget(buttons)
        self.resize(820, 540)
        self.tree.setFocus(Qt.FocusReason.OtherFocusReason)

    def texts(self) -> list[str]:
        """Every line shown (for tests)."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            assert item is not None
            out.append("  ".join(item.text(c) for c in range(3)))
            for j in range(item.childCount()):
                child = item.child(j)
                assert child is not None
                out.append(child.text(2))
        return out


def show_history(parent: QWidget | None, store: Store, kind: str | None = None, record_id: int | None = None,
                 label: str = "") -> None:
    dialog = HistoryDialog(store, kind, record_id, label, parent)
    try:
        dialog.exec()
    finally:
        dialog.deleteLater()
