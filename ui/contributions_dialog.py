"""The drill-down of a consolidated return: which unit contributed what to one number.

Shown by the 报表 page when a number of a consolidated return (汇总) is opened. The subordinates'
parts come from the returns stored when they were received (``models.consolidate.contributions``);
the unit's own part (本级直属单位) can be opened further into its records while the return is a draft.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.screen import fit_size

if TYPE_CHECKING:
    from models.consolidate import Contribution
    from models.db import Store
    from models.returns import Return


def _fmt(value: object, is_money: bool) -> str:
    from decimal import Decimal

    return f"{Decimal(str(value)):.2f}" if is_money else str(int(str(value)))


class ContributionsDialog(QDialog):
    """One row per unit summed: its name, the version used and its part of the number."""

    def __init__(self, store: Store, ret: Return, table: str, row: str, column: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from models import review
        from models.consolidate import OWN, contributions

        self.store = store
        self.ret = ret
        self.place = (table, row, column)
        self.changed = False
        col = ret.spec.table(table).column(column)
        self.parts: list[Contribution] = contributions(store, ret, table, row, column)
        label_text = review.cell_label(table, row, column, ret.spec)
        self.setWindowTitle(f"汇总数的构成 — {label_text}")
        total = ret.tables[table][row][column]
        where = "当前汇总数（草稿）" if ret.is_draft else f"已定稿的第{ret.version}版"
        own = next((p for p in self.parts if p.role == OWN), None)
        intro = QLabel(f"{label_text}：{_fmt(total, col.money)}{col.unit}（{where}），由以下单位汇总而成。"
                       + (f"双击“{own.unit_name}”一行可查看本单位的记录。" if ret.is_draft and own else ""))
        intro.setWordWrap(True)
        self.list = QTableWidget(len(self.parts), 3)
        self.list.setObjectName("contributions")
        self.list.setHorizontalHeaderLabels(["单位", "采用的报表", col.caption])
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.verticalHeader().hide()
        for i, part in enumerate(self.parts):
            self.list.setItem(i, 0, QTableWidgetItem(f"{part.unit_name}（{part.unit_code}）"))
            if part.role == OWN:
                used = "本机记录"
            elif part.available:
                used = f"第{part.version}版"
            else:
                used = f"第{part.version}版（数据不在本机）"
            self.list.setItem(i, 1, QTableWidgetItem(used))
            value = QTableWidgetItem(_fmt(part.value, col.money))
            value.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.list.setItem(i, 2, value)
        self.list.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.list.cellDoubleClicked.connect(lambda r, _c: self.open_part(r))
        self.list.itemActivated.connect(lambda item: self.open_part(item.row()))
        self.own_button = QPushButton("查看本级记录……")
        self.own_button.setObjectName("own_records")
        self.own_button.setEnabled(ret.is_draft and any(p.role == OWN for p in self.parts))
        self.own_button.clicked.connect(lambda: self.open_part(0))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list)
        layout.addWidget(self.own_button)
        layout.addWidget(buttons)
        fit_size(self, 640, 420)

    def open_part(self, index: int) -> None:
        """The own part of a draft opens the records behind it (the subordinates' records are not here)."""
        from models.consolidate import OWN
        from ui.return_page import RecordsBehindDialog

        if not (0 <= index < len(self.parts)) or self.parts[index].role != OWN or not self.ret.is_draft:
            return
        dialog = RecordsBehindDialog(self.store, self.ret.period_obj, *self.place, self)
        try:
            dialog.exec()
            self.changed = self.changed or dialog.changed
        finally:
            dialog.deleteLater()
