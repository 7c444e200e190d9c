"""The entry dialog of every top-level record kind, built from its ``FormSpec``.

``edit_record(parent, store, kind, record_id)`` opens it modally and returns the saved id (None
when cancelled). Input is checked while typing (debounced) and on saving by the core
(``models.records.check`` / ``save``); the findings are shown under their fields, errors in red,
warnings in amber (warnings do not block saving). The whole record can be entered by keyboard:
Tab or Enter to the next field, Enter on the last field or Ctrl+S saves, Esc cancels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from common.errors import UserError
from forms.fields import Finding
from forms.records import spec
from forms.validation import errors
from models import records
from models.db import RecordError, Store
from ui import msgbox
from ui.child_editors import ChildTable, make_child_table
from ui.widgets import FORM_STYLE, FormPanel, ask_discard, repolish

LONG_FORM = 8  # more fields than this: two columns of label/editor pairs


class RecordDialog(QDialog):
    """Add (``record_id`` None) or change one record of ``kind`` and its child rows."""

    def __init__(self, store: Store, kind: str, record_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.kind = kind
        if spec(kind).parent_key:
            raise RecordError(f"{spec(kind).title}须在所属记录中编辑")
        self.form = records.entry_form(store, kind)  # with the entry fields the definitions in use add
        self.record_id = record_id
        self.saved_id: int | None = None
        self.warnings: list[Finding] = []  # warnings of the last successful save
        self._dirty = False
        self._children_touched = False
        record = None
        if record_id is not None:
            record = records.get(store, kind, record_id)
            if record is None or record.get("deleted_at"):
                raise RecordError(f"要修改的{self.form.title}不存在或已在回收站中")
        if record is None:
            title = f"新增{self.form.title}"
        else:
            title = f"编辑{self.form.title}：{record.get(self.form.name_field) or ''}"
        self.setWindowTitle(title)
        self.setStyleSheet(FORM_STYLE)

        self.panel = FormPanel(self.form, store, columns=2 if len(self.form.fields) > LONG_FORM else 1)
        self.panel.checker = self._check
        self.panel.field_changed.connect(self._on_field_changed)
        self.panel.last_field_done.connect(self._after_last_field)
        self.panel.other_findings.connect(self._show_other_findings)
        self.panel.other_findings.connect(lambda _findings: QTimer.singleShot(0, self, self._fit_scroll))
        self.child_tables: dict[str, ChildTable] = {}
        for child in records.CHILDREN.get(kind, ()):
            table = make_child_table(child, store, self)
            table.changed.connect(self._on_children_changed)
            self.child_tables[child.kind] = table

        heading = QLabel(title)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        heading.setFont(font)
        hint = QLabel("带 <span style='color:#c62828'>*</span> 的为必填项。"
                      "回车或 Tab 到下一项，Ctrl+S 保存，Esc 取消。")
        hint.setProperty("role", "hint")
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(self.panel)
        self.general = QLabel()
        self.general.setWordWrap(True)
        self.general.setProperty("role", "message")
        self.general.hide()
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("保存(&S)", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.setToolTip("Ctrl+S")
        self.save_button.setDefault(True)
        self.history_button = None
        if record_id is not None:
            self.history_button = buttons.addButton("历史(&H)…", QDialogButtonBox.ButtonRole.ResetRole)
            self.history_button.setToolTip("这条记录的修改历史")
            self.history_button.clicked.connect(self.show_history)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 14, 20, 12)
        layout.setSpacing(6)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addWidget(line)
        layout.addWidget(self.scroll_area, 1)
        for table in self.child_tables.values():
            layout.addWidget(table)
        layout.addWidget(self.general)
        layout.addWidget(buttons)
        QShortcut(QKeySequence("Ctrl+S"), self, self.save)

        previous = self.panel.last_widget()
        for table in self.child_tables.values():
            QWidget.setTabOrder(previous, table.add_button)
            previous = table.table
        QWidget.setTabOrder(previous, self.save_button)
        QWidget.setTabOrder(self.save_button, self.cancel_button)
        if self.history_button is not None:
            QWidget.setTabOrder(self.cancel_button, self.history_button)

        if record is None:
            self.panel.set_defaults()
        else:
            self.panel.set_values(record)
            for child_kind, table in self.child_tables.items():
                table.set_rows(record.get(child_kind) or [])
        self._fit_size()
        self.panel.first_widget().setFocus(Qt.FocusReason.OtherFocusReason)

    def _fit_scroll(self) -> None:
        """The form scrolls only when the screen is too small for it (messages may add lines)."""
        height = self.panel.sizeHint().height()
        width = self.scroll_area.viewport().width()
        if self.panel.hasHeightForWidth() and width > 100:
            height = max(height, self.panel.heightForWidth(width))
        height += 4
        screen = self.screen() or QGuiApplication.primaryScreen()
        available = screen.availableGeometry().height() if screen else 768
        reserved = 150 + sum(t.minimumSizeHint().height() for t in self.child_tables.values())
        self.scroll_area.setMinimumHeight(min(height, max(110, available - reserved - 60)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_scroll()

    def _fit_size(self) -> None:
        hint = self.panel.sizeHint()
        self._fit_scroll()
        width = hint.width() + self.scroll_area.verticalScrollBar().sizeHint().width() + 4
        self.scroll_area.setMinimumWidth(max([width, *(t.natural_width - 20 for t in self.child_tables.values())]))

    def show_history(self) -> None:
        from ui.history_dialog import show_history

        assert self.record_id is not None
        record = records.get(self.store, self.kind, self.record_id) or {}
        show_history(self, self.store, self.kind, self.record_id, str(record.get(self.form.name_field) or ""))

    # -- state

    @property
    def dirty(self) -> bool:
        return self._dirty

    def _on_field_changed(self, _name: str) -> None:
        self._dirty = True

    def _on_children_changed(self) -> None:
        self._dirty = True
        self._children_touched = True
        self.panel.refresh()

    def children_values(self) -> dict[str, list[dict[str, Any]]]:
        return {kind: table.rows() for kind, table in self.child_tables.items()}

    # -- checking

    def _check(self, raw: dict[str, Any]) -> list[Finding]:
        _clean, _children, findings = records.check(self.store, self.kind, raw, self.record_id,
                                                    self.children_values())
        return findings

    def _show_other_findings(self, findings: Sequence[Finding]) -> None:
        show_children = self._children_touched or self.panel.show_all
        rest = []
        for finding in findings:
            owner = next((t for t in self.child_tables.values() if t.owns(finding)), None)
            if owner is None:
                rest.append(finding)
        for table in self.child_tables.values():
            table.show_findings([f for f in findings if table.owns(f)] if show_children else [])
        shown = rest if self.panel.show_all else []
        self.general.setText("\n".join(dict.fromkeys(f.text() for f in shown)))
        self.general.setVisible(bool(shown))
        state = "error" if errors(shown) else "warning" if shown else ""
        if self.general.property("state") != state:
            self.general.setProperty("state", state)
            repolish(self.general)

    def _after_last_field(self) -> None:
        if self.child_tables:
            next(iter(self.child_tables.values())).add_button.setFocus(Qt.FocusReason.TabFocusReason)
        else:
            self.save()

    # -- saving

    def save(self) -> bool:
        """Save the record; on errors show them, focus the first and keep the dialog open."""
        self.panel.commit_all()
        self.panel.fill_derived()
        raw = self.panel.raw_values()
        children = self.children_values()
        pre = self.panel.pre_findings()
        try:
            if pre:
                self._show_failure([*self._check(raw), *pre])
                return False
            result = records.save(self.store, self.kind, raw, self.record_id, children=children or None)
        except records.ValidationFailed as exc:
            self._show_failure(exc.findings)
            return False
        except UserError as exc:
            msgbox.show_error(self, "保存失败", exc)
            return False
        self.saved_id = result.id
        self.warnings = result.findings
        self._dirty = False
        self.accept()
        return True

    def _show_failure(self, findings: Sequence[Finding]) -> None:
        self.panel.reveal_all()
        self._children_touched = True
        self.panel.show_findings(findings)
        name = self.panel.first_error_field(findings)
        if name is not None:
            self.scroll_area.ensureWidgetVisible(self.panel.editors[name].widget)
            self.panel.focus_field(name)
            return
        for table in self.child_tables.values():
            row = table.first_error_row()
            if row is not None:
                table.focus_row(row)
                return

    def reject(self) -> None:
        if self._dirty and not ask_discard(self):
            return
        super().reject()


def edit_record(parent: QWidget | None, store: Store, kind: str, record_id: int | None = None) -> int | None:
    """Open the entry dialog for ``kind``; the saved record's id, or None when cancelled."""
    try:
        dialog = RecordDialog(store, kind, record_id, parent)
    except UserError as exc:
        msgbox.show_error(parent, "无法编辑", exc)
        return None
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.saved_id
        return None
    finally:
        dialog.deleteLater()
