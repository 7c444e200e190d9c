"""What changed between two versions of a return, as a widget (board, received return) and a dialog (return page)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from models.diff import ReturnDiff

UP = QColor("#1b5e20")
DOWN = QColor("#b71c1c")


class DiffView(QWidget):
    """The summary, a table of changed numbers (原值, 新值, 差额) and a list of roster and 说明 changes."""

    def __init__(self, result: ReturnDiff, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result = result
        self.summary = QLabel(result.summary())
        self.summary.setObjectName("diff_summary")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-weight: bold;")
        self.numbers = QTableWidget(len(result.numbers), 4)
        self.numbers.setObjectName("diff_numbers")
        self.numbers.setHorizontalHeaderLabels(["位置（表、行、栏）", "原值", "新值", "差额"])
        self.numbers.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.numbers.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.numbers.verticalHeader().hide()
        self.numbers.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for row, change in enumerate(result.numbers):
            cells = (change.where, change.old_text, change.new_text, change.difference_text)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if column == 3:
                    item.setForeground(QBrush(UP if change.difference > 0 else DOWN))
                self.numbers.setItem(row, column, item)
        for column, width in ((1, 90), (2, 90), (3, 90)):
            self.numbers.setColumnWidth(column, width)
        self.others = QListWidget()
        self.others.setObjectName("diff_others")
        for roster_change in result.rosters:
            self.others.addItem(roster_change.text())
        for note in result.notes:
            self.others.addItem(note.text())
        for label, old, new in result.cover:
            self.others.addItem(f"封面 {label}：{old or '（空）'} → {new or '（空）'}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        numbers_label = QLabel(f"表格数字（{len(result.numbers)}处）(&N)：")
        numbers_label.setBuddy(self.numbers)
        layout.addWidget(numbers_label)
        layout.addWidget(self.numbers, 3)
        others_label = QLabel(f"名册、说明和封面（{self.others.count()}项）(&M)：")
        others_label.setBuddy(self.others)
        layout.addWidget(others_label)
        layout.addWidget(self.others, 2)
        if result.empty:
            self.numbers.hide()
            self.others.hide()
            numbers_label.hide()
            others_label.hide()

    def texts(self) -> list[str]:
        """Every line shown (for tests)."""
        out = [self.summary.text()]
        for row in range(self.numbers.rowCount()):
            cells = (self.numbers.item(row, c) for c in range(4))
            out.append(" | ".join(cell.text() if cell is not None else "" for cell in cells))
        lines = (self.others.item(i) for i in range(self.others.count()))
        out.extend(line.text() for line in lines if line is not None)
        return out


class DiffDialog(QDialog):
    def __init__(self, result: ReturnDiff, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("版本比较")
        heading = QLabel(result.title)
        font = heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        heading.setFont(font)
        self.view = DiffView(result)
        buttons = QDialogButtonBox()
        close = buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        close.setDefault(True)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self.resize(820, 600)
        self.view.numbers.setFocus()


def show_diff(parent: QWidget | None, result: ReturnDiff) -> None:
    dialog = DiffDialog(result, parent)
    try:
        dialog.exec()
    finally:
        dialog.deleteLater()
