"""Child rows edited inside their parent's dialog: a person's honours, a studio's yearly outputs.

The table shows the child form's list fields; a row is added or changed in a small dialog built
from the same declarative form (so the type-ahead, date parsing and messages are the ones of the
main dialog). The rows are handed to ``models.records.save(..., children={kind: rows})``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from forms import fields as F
from forms.fields import Finding, FormSpec
from forms.validation import errors, validate
from ui.widgets import (
    FORM_STYLE,
    FormPanel,
    ask_discard,
    format_value,
    repolish,
)

_CHILD_WHERE = re.compile(r"^(?P<kind>\w+)\[(?P<index>\d+)\]\.(?P<field>\w+)$")

RowCheck = Callable[[Mapping[str, Any]], list[Finding]]


class ChildRowDialog(QDialog):
    """Add or change one child row; refuses to close while the row has errors."""

    def __init__(self, form: FormSpec, store: Any, values: Mapping[str, Any] | None, title: str,
                 extra_check: RowCheck | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self.extra_check = extra_check
        self.row: dict[str, Any] | None = None
        self._dirty = False
        self.setWindowTitle(title)
        self.setStyleSheet(FORM_STYLE)
        self.panel = FormPanel(form, store, columns=2 if len(form.fields) > 8 else 1, parent=self)
        self.panel.checker = self._check
        self.panel.field_changed.connect(self._on_changed)
        self.panel.last_field_done.connect(self.accept_row)
        # A message under a field may wrap to two lines: grow the window so it is not squeezed.
        self.panel.other_findings.connect(lambda _findings: QTimer.singleShot(0, self, self._fit_height))
        heading = QLabel(title)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        heading.setFont(font)
        hint = QLabel("带 * 的为必填项。回车或 Tab 到下一项，最后一项回车即确定；Esc 取消。")
        hint.setProperty("role", "hint")
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton("确定", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button.setDefault(True)
        buttons.accepted.connect(self.accept_row)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 12)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addSpacing(6)
        layout.addWidget(self.panel)
        layout.addWidget(buttons)
        QShortcut(QKeySequence("Ctrl+S"), self, self.accept_row)
        if values:
            self.panel.set_values(values)
        else:
            self.panel.set_defaults()
        self.setMinimumWidth(460 if len(form.fields) <= 8 else 720)
        QWidget.setTabOrder(self.panel.last_widget(), self.ok_button)
        QWidget.setTabOrder(self.ok_button, self.cancel_button)
        self.panel.first_widget().setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_changed(self, _name: str) -> None:
        self._dirty = True

    def _fit_height(self) -> None:
        layout = self.layout()
        if layout is None or not layout.hasHeightForWidth():
            return
        needed = layout.totalHeightForWidth(self.width())
        self.setMinimumHeight(max(self.minimumSizeHint().height(), needed))
        if needed > self.height():
            self.resize(self.width(), needed)

    def _findings(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[Finding]]:
        clean, findings = validate(self.form, raw)
        if self.extra_check is not None:
            failed = {f.where for f in findings if f.is_error}
            findings.extend(f for f in self.extra_check(clean) if f.where not in failed)
        return clean, findings

    def _check(self, raw: dict[str, Any]) -> list[Finding]:
        return self._findings(raw)[1]

    def accept_row(self) -> None:
        """Validate the row; close with ``self.row`` set when it has no errors."""
        self.panel.commit_all()
        self.panel.fill_derived()
        clean, findings = self._findings(self.panel.raw_values())
        findings.extend(self.panel.pre_findings())
        if errors(findings):
            self.panel.reveal_all()
            self.panel.show_findings(findings)
            name = self.panel.first_error_field(findings)
            if name:
                self.panel.focus_field(name)
            return
        self.row = {f.name: clean.get(f.name) for f in self.form.fields}
        self._dirty = False
        self.accept()

    def reject(self) -> None:
        if self._dirty and not ask_discard(self):
            return
        super().reject()


class ChildTable(QGroupBox):
    """The rows of one child kind, with 添加 / 修改 / 删除 (also Insert, Enter, Delete)."""

    changed = Signal()

    def __init__(self, form: FormSpec, store: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        assert form.parent_key, "child forms only"
        self.form = form
        self.store = store
        self.columns = form.list_fields
        self._rows: list[dict[str, Any]] = []
        self.findings: list[Finding] = []
        self.setStyleSheet(FORM_STYLE)
        self.add_button = QPushButton(f"添加{form.title}(&A)")
        self.edit_button = QPushButton("修改(&E)")
        self.remove_button = QPushButton("删除(&D)")
        self.hint = QLabel("Insert 添加，回车修改，Delete 删除")
        self.hint.setProperty("role", "hint")
        bar = QHBoxLayout()
        bar.addWidget(self.hint)
        bar.addStretch(1)
        for button in (self.add_button, self.edit_button, self.remove_button):
            button.setAutoDefault(True)
            bar.addWidget(button)
        self.table = QTableWidget(0, len(self.columns))
        self.table.setHorizontalHeaderLabels([f"{f.label}\n（{f.unit}）" if f.unit else f.label for f in self.columns])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        char = self.table.fontMetrics().horizontalAdvance("汉")
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        stretch = None
        for index, field in enumerate(self.columns):
            chars = max(len(field.label), len(field.unit) + 2, 4 if field.kind in F.NUMERIC_KINDS else 0)
            if field.kind in (F.TEXT, F.CHOICE):
                # the name column (称号) stretches; the others stay narrow so it is not cut short
                chars = max(chars, min(field.width, 10 if field.name == form.name_field else 7))
            header.resizeSection(index, chars * char + 16)
            if field.name == form.name_field and field.kind in (F.TEXT, F.CHOICE):
                stretch = index
        if stretch is None:
            header.setStretchLastSection(True)
        else:
            header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        row_height = self.table.verticalHeader().defaultSectionSize()
        self.table.setMinimumHeight(row_height * 4 + header.sizeHint().height() + 4)
        self.table.setMaximumHeight(row_height * 8 + header.sizeHint().height() + 4)
        self.natural_width = sum(header.sectionSize(i) for i in range(len(self.columns))) \
            + self.table.fontMetrics().horizontalAdvance("99") + 60
        self.table.installEventFilter(self)
        self.table.doubleClicked.connect(lambda index: self.edit_row(index.row()))
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setProperty("role", "message")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        layout.addWidget(self.message)
        self.add_button.clicked.connect(self.add_row)
        self.edit_button.clicked.connect(lambda: self.edit_row())
        self.remove_button.clicked.connect(lambda: self.remove_row())
        QWidget.setTabOrder(self.add_button, self.edit_button)
        QWidget.setTabOrder(self.edit_button, self.remove_button)
        QWidget.setTabOrder(self.remove_button, self.table)
        self._refresh()

    # -- rows

    def rows(self) -> list[dict[str, Any]]:
        """The rows as raw dicts for ``records.save(..., children=...)``."""
        return [dict(r) for r in self._rows]

    def set_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        names = self.form.names
        self._rows = [{n: r.get(n) for n in names} for r in rows]
        self._refresh()

    def current_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            return rows[0].row()
        index = self.table.currentIndex()
        return index.row() if index.isValid() else None

    def new_row_values(self) -> dict[str, Any]:
        """Values proposed for a new row."""
        return {}

    def row_check(self, index: int | None) -> RowCheck | None:
        """An extra check of a row against the other rows (``index`` is the row being changed)."""
        return None

    def _dialog(self, values: Mapping[str, Any] | None, title: str, index: int | None) -> dict[str, Any] | None:
        dialog = ChildRowDialog(self.form, self.store, values, title, self.row_check(index), self.window())
        try:
            if dialog.exec() == QDialog.DialogCode.Accepted:
                return dialog.row
            return None
        finally:
            dialog.deleteLater()

    def add_row(self) -> None:
        row = self._dialog(self.new_row_values(), f"添加{self.form.title}", None)
        if row is not None:
            self._rows.append(row)
            self._refresh()
            self.table.selectRow(len(self._rows) - 1)
            self.changed.emit()
        self.add_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def edit_row(self, index: int | None = None) -> None:
        index = self.current_row() if index is None else index
        if index is None or not 0 <= index < len(self._rows):
            return
        row = self._dialog(self._rows[index], f"修改第{index + 1}条{self.form.title}", index)
        if row is not None:
            self._rows[index] = row
            self._refresh()
            self.changed.emit()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self.table.selectRow(index)

    def remove_row(self, index: int | None = None) -> None:
        index = self.current_row() if index is None else index
        if index is None or not 0 <= index < len(self._rows):
            return
        del self._rows[index]
        self._refresh()
        if self._rows:
            self.table.selectRow(min(index, len(self._rows) - 1))
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.add_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self.changed.emit()

    def _refresh(self) -> None:
        self.setTitle(f"{self.form.title}（{len(self._rows)}条）")
        self.table.setRowCount(len(self._rows))
        for r, row in enumerate(self._rows):
            for c, field in enumerate(self.columns):
                item = QTableWidgetItem(format_value(field, row.get(field.name)))
                item.setToolTip(item.text())  # the whole text when the column is too narrow
                if field.kind in F.NUMERIC_KINDS or field.kind == F.YEAR:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.show_findings([])
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = self.current_row() is not None
        self.edit_button.setEnabled(has)
        self.remove_button.setEnabled(has)

    # -- keyboard

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.current_row() is not None:
                self.edit_row()
                return True
            if key == Qt.Key.Key_Delete:
                self.remove_row()
                return True
            if key == Qt.Key.Key_Insert:
                self.add_row()
                return True
        return super().eventFilter(watched, event)

    def focus_row(self, index: int) -> None:
        if 0 <= index < len(self._rows):
            self.table.selectRow(index)
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.add_button.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- findings from the whole record's check

    def owns(self, finding: Finding) -> bool:
        return finding.where == self.form.kind or finding.where.startswith(f"{self.form.kind}[")

    @staticmethod
    def row_of(finding: Finding) -> int | None:
        """The 0-based row a finding is about (``honours[2].title`` → 1)."""
        match = _CHILD_WHERE.match(finding.where)
        return int(match.group("index")) - 1 if match else None

    def show_findings(self, findings: Sequence[Finding]) -> None:
        self.findings = [f for f in findings if self.owns(f)]
        bad_rows: dict[int, list[Finding]] = {}
        for finding in self.findings:
            index = self.row_of(finding)
            if index is not None:
                bad_rows.setdefault(index, []).append(finding)
        for r in range(self.table.rowCount()):
            found = bad_rows.get(r, [])
            colour = None
            if any(f.is_error for f in found):
                colour = QColor("#fbe3e3")
            elif found:
                colour = QColor("#fff3d6")
            tip = "\n".join(f.text() for f in found)
            for c in range(self.table.columnCount()):
                item = self.table.item(r, c)
                if item is None:
                    continue
                item.setBackground(QBrush(colour) if colour else QBrush())
                item.setToolTip(tip)
        lines = list(dict.fromkeys(f.text() for f in self.findings))
        state = "error" if errors(self.findings) else "warning" if self.findings else ""
        self.message.setText("\n".join(lines))
        self.message.setVisible(bool(lines))
        if self.message.property("state") != state:
            self.message.setProperty("state", state)
            repolish(self.message)

    def first_error_row(self) -> int | None:
        rows = [self.row_of(f) for f in self.findings if f.is_error]
        found = [r for r in rows if r is not None]
        if found:
            return min(found)
        return 0 if errors(self.findings) else None


class HonoursTable(ChildTable):
    """A person's honours. A known title fills its category and level (the form derives them)."""

    def __init__(self, form: FormSpec, store: Any, parent: QWidget | None = None) -> None:
        super().__init__(form, store, parent)
        self.hint.setText("称号可输入拼音首字母（如 ynsldmf）；Insert 添加，回车修改，Delete 删除")


class StudioOutputsTable(ChildTable):
    """A studio's outputs, one row per year."""

    def new_row_values(self) -> dict[str, Any]:
        this_year = dt.date.today().year
        years = [int(r["year"]) for r in self._rows if r.get("year")]
        if not years:
            return {"year": this_year}
        following = max(years) + 1
        return {"year": following} if following <= this_year and following not in years else {}

    def row_check(self, index: int | None) -> RowCheck | None:
        others = {r.get("year") for i, r in enumerate(self._rows) if i != index and r.get("year")}

        def check(row: Mapping[str, Any]) -> list[Finding]:
            year = row.get("year")
            if year and year in others:
                return [F.error(self.form.field("year"), f"{year}年已有一条成果，请修改那一条，不要重复添加",
                                "studio_outputs.year.duplicate")]
            return []

        return check


CHILD_TABLES: dict[str, type[ChildTable]] = {"honours": HonoursTable, "studio_outputs": StudioOutputsTable}


def make_child_table(form: FormSpec, store: Any, parent: QWidget | None = None) -> ChildTable:
    return CHILD_TABLES.get(form.kind, ChildTable)(form, store, parent)


__all__ = ["ChildRowDialog", "ChildTable", "HonoursTable", "StudioOutputsTable", "make_child_table"]
