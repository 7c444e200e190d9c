"""A return received from a subordinate unit, opened read-only from the 上报情况 board (Enter / double-click).

Shows its signature status, cover, tables, rosters, the review findings on the return itself with
the 说明 the unit wrote, and — for a version 2 or later — what changed from the version before, so
the prefecture can judge it before accepting it or sending it back.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from common.errors import UserError
from forms import returns as R
from forms.periods import parse_period
from models import receiving
from models.db import Store
from models.receiving import Received
from models.returns import Return
from models.signing.common import VALID
from ui.return_page import RosterModel, TableView


def signature_text(row: Received) -> str:
    parts = [f"签名核验：{row.status_label}"]
    if row.signer_name:
        parts.append(f"签名单位：{row.signer_name}")
    if row.signed_at:
        parts.append(f"签名时间：{row.signed_at.replace('T', ' ')}")
    if row.reason:
        parts.append(f"说明：{row.reason}")
    return "；".join(parts)


def previous_received(store: Store, row: Received) -> Received | None:
    """The same unit's valid version just before ``row`` for the same period."""
    earlier = [r for r in receiving.received(store, row.period, row.unit_code)
               if r.status == VALID and r.version < row.version]
    return max(earlier, key=lambda r: (r.version, r.id), default=None)


class ReceivedReturnDialog(QDialog):
    def __init__(self, store: Store, received_id: int, parent: QWidget | None = None,
                 show_files: Callable[[], None] | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.row = receiving.get_received(store, received_id)
        self.ret: Return = receiving.load_received(store, received_id)
        period = parse_period(self.ret.period)
        title = f"{self.ret.unit_name} {period.label}{period.kind_label} 第{self.ret.version}版"
        self.setWindowTitle(f"查看报表：{title}")
        heading = QLabel(title)
        font = heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        heading.setFont(font)
        self.signature = QLabel(signature_text(self.row))
        self.signature.setObjectName("signature")
        self.signature.setWordWrap(True)
        ok = self.row.status == VALID
        self.signature.setStyleSheet(f"color: {'#1b5e20' if ok else '#b71c1c'}; font-weight: bold;")
        state = []
        if self.row.returned_at:
            state.append(f"已于{self.row.returned_at.replace('T', ' ')}退回：{self.row.return_reason or ''}")
        if self.row.superseded:
            state.append("已有更新的版本，本版本不再使用")
        state.append(f"收到时间：{self.row.received_at.replace('T', ' ')}；文件：{self.row.file_name}")
        self.state = QLabel("；".join(state))
        self.state.setWordWrap(True)
        from models.board import definition_warning

        # shown with its own definition; a warning when this unit consolidates the period with another one
        self.definition_warning = definition_warning(store, period, self.ret.definition.ref)
        self.definition = QLabel(f"报表制度：{self.ret.definition_line()}"
                                 + (f"\n警告：{self.definition_warning}" if self.definition_warning else ""))
        self.definition.setObjectName("definition")
        self.definition.setWordWrap(True)
        if self.definition_warning:
            self.definition.setStyleSheet("color: #b26a00; font-weight: bold;")

        self.tabs = QTabWidget()
        self.tabs.setObjectName("received_tabs")
        self.cover = QPlainTextEdit()
        self.cover.setReadOnly(True)
        lines = [f"{label}：{value}" for label, value in self.ret.cover_lines()]
        if self.ret.coverage_text:
            lines.append(f"汇总范围：{self.ret.coverage_text}")
        self.cover.setPlainText("\n".join([f"{self.ret.spec.title}", *lines]))
        self.tabs.addTab(self.cover, "封面")
        self.tables: dict[str, TableView] = {}
        for spec in self.ret.spec.tables:
            view = TableView(spec)  # read-only; its numbers are not drilled into (the records are not here)
            view.show_values(self.ret)
            for r in range(view.rowCount()):
                for c in range(view.columnCount()):
                    item = view.item(r, c)
                    if item is not None and item.toolTip():
                        item.setToolTip(item.toolTip().split("\n")[0])
            self.tables[spec.key] = view
            self.tabs.addTab(view, spec.number)
            self.tabs.setTabToolTip(self.tabs.count() - 1, spec.title)
        for roster in self.ret.spec.rosters:
            model = RosterModel(roster, self)
            model.set_rows(self.ret.rosters.get(roster.key, []), self.ret.consolidated)
            roster_view = QTableView()
            roster_view.setModel(model)
            roster_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            roster_view.verticalHeader().hide()
            roster_view.verticalHeader().setDefaultSectionSize(24)
            self.tabs.addTab(roster_view, f"{roster.number}（{len(model.rows)}）")
            self.tabs.setTabToolTip(self.tabs.count() - 1, roster.title)
        self.findings = self._findings_table()
        self.tabs.addTab(self.findings, f"审核和说明（{self.findings.rowCount()}）")
        self.diff_view: QWidget | None = None
        previous = previous_received(store, self.row)
        if previous is not None:
            from models.diff import diff_returns
            from ui.diff_dialog import DiffView

            result = diff_returns(receiving.load_received(store, previous.id), self.ret)
            self.diff_view = DiffView(result)
            self.tabs.addTab(self.diff_view, f"与第{previous.version}版比较")

        buttons = QDialogButtonBox()
        if show_files is not None:
            files = buttons.addButton("接收记录(&H)…", QDialogButtonBox.ButtonRole.ActionRole)
            files.setToolTip("本期收到该单位的全部文件和回执")
            files.clicked.connect(show_files)
        close = buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        close.setDefault(True)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.signature)
        layout.addWidget(self.state)
        layout.addWidget(self.definition)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.resize(980, 660)
        self.tabs.setFocus(Qt.FocusReason.OtherFocusReason)

    def _findings_table(self) -> QTableWidget:
        from models import review

        findings = review.check_return(self.ret)
        notes = {(n.get("code", ""), n.get("where", "")): n for n in self.ret.notes}
        rows: list[tuple[str, str, str, str]] = []
        for finding in findings:
            note = notes.pop((finding.code, finding.where), {})
            rows.append((R.SEVERITY_LABELS.get(finding.severity, finding.severity), finding.label or finding.where,
                         finding.message, str(note.get("text", ""))))
        for note in notes.values():  # 说明 written for warnings found by rules on the unit's own records
            rows.append(("警告", "", str(note.get("message", "")), str(note.get("text", ""))))
        table = QTableWidget(len(rows), 4)
        table.setObjectName("received_findings")
        table.setHorizontalHeaderLabels(["类别", "位置", "问题", "填报单位的说明"])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().hide()
        table.setWordWrap(True)
        for r, values in enumerate(rows):
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                table.setItem(r, c, item)
        header = table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        table.setColumnWidth(0, 50)
        table.setColumnWidth(1, 200)
        table.setColumnWidth(3, 260)
        return table


def open_received_return(parent: QWidget | None, store: Store, received_id: int,
                         show_files: Callable[[], None] | None = None) -> None:
    from ui import msgbox

    try:
        dialog = ReceivedReturnDialog(store, received_id, parent, show_files)
    except UserError as exc:
        msgbox.show_error(parent, "查看报表", exc)
        return
    try:
        dialog.exec()
    finally:
        dialog.deleteLater()
