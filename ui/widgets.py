"""Editors for the fields of a declarative form, and :class:`FormPanel`, a grid of them.

``make_editor(field, store)`` gives one :class:`FieldEditor` per field kind. The editors accept
messy input (full-width digits, ``1978.05``, ``x`` in ID numbers) and leave the parsing to the core
(``forms.validation``); they only tidy the text once it parses. ``FormPanel`` lays a form out from
its ``FormSpec``, shows the core's findings under each editor, fills derived fields and moves to
the next field on Enter.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QCompleter,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from common.text import ParseError
from forms import fields as F
from forms.fields import Field, Finding, FormSpec
from forms.validation import is_empty, parse_field, validate

COMPLETION_ROLE = Qt.ItemDataRole.UserRole + 1  # "value initials fullpinyin aliases", searched by the completer
ID_ROLE = Qt.ItemDataRole.UserRole + 2  # the id of a linked record
NAME_ROLE = Qt.ItemDataRole.UserRole + 3  # the text put into the line edit when an item is chosen

ERROR_COLOUR = "#c62828"
WARNING_COLOUR = "#9a6200"
NOTE_COLOUR = "#667085"

# Applied to every FormPanel: editors with a finding get a tinted background and a coloured frame.
FORM_STYLE = f"""
QLineEdit[state="error"] {{ border: 1px solid {ERROR_COLOUR}; border-radius: 2px; background: #fdf0f0;
                            padding: 1px 3px; }}
QLineEdit[state="warning"] {{ border: 1px solid #d99a00; border-radius: 2px; background: #fff8e6;
                              padding: 1px 3px; }}
QComboBox QLineEdit[state="error"] {{ border: none; background: #fdf0f0; padding: 0; }}
QComboBox QLineEdit[state="warning"] {{ border: none; background: #fff8e6; padding: 0; }}
QCheckBox[state="error"] {{ color: {ERROR_COLOUR}; }}
QLabel[role="message"] {{ font-size: 9pt; }}
QLabel[role="message"][state="error"] {{ color: {ERROR_COLOUR}; }}
QLabel[role="message"][state="warning"] {{ color: {WARNING_COLOUR}; }}
QLabel[role="message"][state="note"] {{ color: {NOTE_COLOUR}; }}
QLabel[role="fieldlabel"] {{ color: #1f2937; }}
QLabel[role="hint"] {{ color: {NOTE_COLOUR}; }}
"""

EDITOR_WIDTH = 200  # pixels: room for a long choice such as 电力、热力、燃气及水生产和供应业

_CJK = re.compile(r"[\u3400-\u9fff]")

_PLACEHOLDERS = {
    F.DATE: "如 1978-05-12",
    F.YEAR: "如 2024",
    F.ID_NUMBER: "18位身份证号",
    F.MOBILE: "11位手机号",
    F.PHONE: "如 0879-2123456 或手机号",
    F.PERIOD: "如 2026、2026H1、2026Q3",
}


def repolish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


def format_value(field: Field, value: Any) -> str:
    """A stored value as the text shown in an editor or a table cell."""
    if value is None:
        return ""
    if field.kind == F.BOOL:
        return "是" if value else "否"
    if field.kind == F.MONEY and isinstance(value, (int, float)):
        text = f"{float(value):.2f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def ask_discard(parent: QWidget | None, text: str = "放弃未保存的修改？") -> bool:
    """Ask before throwing away typed input; True when the user chose to discard."""
    from ui import msgbox

    return msgbox.confirm(parent, "放弃修改", text, "放弃修改", "继续编辑")


# ---------------------------------------------------------------------------------------------
# Field editors


class FieldEditor(QObject):
    """The editor of one field. ``value()`` is the raw input for the core; ``changed`` fires on user edits."""

    changed = Signal()
    advance = Signal()  # a completion was accepted with Enter: move on to the next field
    committed = Signal()  # editing finished (Enter, focus out, completion chosen)

    # Every editor class defines these two:
    value: Callable[[], Any]  # the raw input handed to the core
    set_value: Callable[[Any], None]  # show a stored value (emits no ``changed``)

    def __init__(self, field: Field, widget: QWidget) -> None:
        super().__init__(widget)
        self.field = field
        self.widget = widget
        self._quiet = False

    @property
    def focus_widget(self) -> QWidget:
        return self.widget

    @property
    def state_widget(self) -> QWidget:
        return self.focus_widget

    def key_widgets(self) -> list[QWidget]:
        """The widgets receiving key presses (for Enter-to-next-field)."""
        return [self.focus_widget]

    def commit(self) -> None:
        """Tidy the input once editing is finished (reformat dates, resolve type-ahead)."""

    def pre_error(self) -> str | None:
        """A problem only the editor can see (a link typed but not chosen); None when fine."""
        return None

    def is_empty(self) -> bool:
        return is_empty(self.value())

    def set_state(self, state: str) -> None:
        widget = self.state_widget
        if widget.property("state") != state:
            widget.setProperty("state", state)
            repolish(widget)

    def _emit_changed(self, *_args: object) -> None:
        if not self._quiet:
            self.changed.emit()


class LineEditor(FieldEditor):
    """TEXT, INT, MONEY, DATE, YEAR, ID_NUMBER, MOBILE, PHONE and PERIOD: a line edit."""

    def __init__(self, field: Field) -> None:
        edit = QLineEdit()
        super().__init__(field, edit)
        self.edit = edit
        if field.kind == F.TEXT:
            edit.setMaxLength(field.max_length)
        if field.kind in F.NUMERIC_KINDS:
            edit.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if field.default is not None:
                edit.setPlaceholderText(format_value(field, field.default))
        placeholder = _PLACEHOLDERS.get(field.kind)
        if placeholder:
            edit.setPlaceholderText(placeholder)
        elif field.help and not edit.placeholderText():
            edit.setPlaceholderText(field.help)
        edit.textEdited.connect(self._on_edited)
        edit.editingFinished.connect(self._on_finished)

    def _on_edited(self, text: str) -> None:
        if self.field.kind == F.ID_NUMBER and "x" in text:
            pos = self.edit.cursorPosition()
            self.edit.setText(text.replace("x", "X"))
            self.edit.setCursorPosition(pos)
        self._emit_changed()

    def _on_finished(self) -> None:
        self.commit()
        self.committed.emit()

    def value(self) -> str:
        return self.edit.text()

    def set_value(self, value: Any) -> None:
        self._quiet = True
        try:
            self.edit.setText(format_value(self.field, value))
            self.edit.setCursorPosition(0)
        finally:
            self._quiet = False

    def commit(self) -> None:
        if self.field.kind == F.TEXT:
            return
        text = self.edit.text()
        try:
            parsed = parse_field(self.field, text)
        except ParseError:
            return  # keep what the user typed; the message says what is wrong
        if parsed is None:
            return
        tidy = format_value(self.field, parsed)
        if tidy != text:
            self.set_value(tidy)


class BoolEditor(FieldEditor):
    """BOOL: a check box (Space toggles)."""

    def __init__(self, field: Field) -> None:
        box = QCheckBox("是")
        super().__init__(field, box)
        self.box = box
        box.toggled.connect(self._emit_changed)
        box.toggled.connect(lambda _checked: self.committed.emit())

    def value(self) -> bool:
        return self.box.isChecked()

    def set_value(self, value: Any) -> None:
        self._quiet = True
        try:
            self.box.setChecked(bool(value) and value not in ("否", "0"))
        finally:
            self._quiet = False

    def is_empty(self) -> bool:
        return False


class _DisplayCompleter(QCompleter):
    """Searches the completion role (pinyin, aliases) but inserts the display value."""

    def pathFromIndex(self, index: QModelIndex | QPersistentModelIndex) -> str:
        name = index.data(NAME_ROLE)
        return str(name if name is not None else index.data(Qt.ItemDataRole.DisplayRole) or "")


@functools.cache
def completion_keys(choice_list: str) -> tuple[tuple[str, str], ...]:
    """(value, search key) of every entry of a choice list: value, pinyin initials, full pinyin, aliases."""
    from common import pinyin
    from forms import choices

    out = []
    for choice in choices.choices(choice_list):
        parts = [choice.value, pinyin.initials(choice.value), pinyin.full(choice.value), *choice.aliases]
        if choice.code:
            parts.append(choice.code)
        out.append((choice.value, " ".join(p for p in parts if p).lower()))
    return tuple(out)


class _FirstOnEnter(QObject):
    """Enter in an open completion list with nothing highlighted takes the first suggestion.

    (Highlighting it in advance would put its text into the line edit while the user types.)
    """

    def __init__(self, completer: QCompleter, allowed: Callable[[], bool]) -> None:
        super().__init__(completer)
        self.completer = completer
        self.allowed = allowed
        popup = completer.popup()
        if popup is not None:
            popup.installEventFilter(self)  # after the completer's own filter: runs first

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            popup = self.completer.popup()
            model = self.completer.completionModel()
            if popup is not None and popup.isVisible() and not popup.currentIndex().isValid() \
                    and model.rowCount() > 0 and self.allowed():
                popup.setCurrentIndex(model.index(0, 0))
        return False


class ChoiceEditor(FieldEditor):
    """CHOICE: an editable combo box whose type-ahead also matches pinyin initials and full pinyin.

    ``hn`` or ``hani`` offers 哈尼族, ``zgdy`` offers 中共党员. Free-text fields keep any text.
    """

    def __init__(self, field: Field) -> None:
        assert field.choices
        combo = QComboBox()
        super().__init__(field, combo)
        self.combo = combo
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        combo.setMaxVisibleItems(15)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(6)
        combo.installEventFilter(self)  # no value changes by the mouse wheel while scrolling the form
        for index, (value, key) in enumerate(completion_keys(field.choices)):
            combo.addItem(value)
            combo.setItemData(index, key, COMPLETION_ROLE)
        completer = _DisplayCompleter(combo)
        completer.setModel(combo.model())
        completer.setCompletionRole(COMPLETION_ROLE)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setMaxVisibleItems(10)
        combo.setCompleter(completer)
        self.completer = completer
        line = combo.lineEdit()
        assert line is not None
        self.line = line
        line.setPlaceholderText(field.help or ("可输入文字或拼音首字母" if not field.free_text else "可选择或直接填写"))
        combo.setCurrentIndex(-1)
        line.clear()
        combo.currentTextChanged.connect(self._emit_changed)
        line.editingFinished.connect(self._on_finished)
        completer.activated[QModelIndex].connect(self._on_completed)  # type: ignore[index]  # PySide6 stub: overloaded signals are indexable
        # Free text typed in Chinese is meant as it is; abbreviations take the first suggestion.
        self._first_on_enter = _FirstOnEnter(
            completer, lambda: not (field.free_text and _CJK.search(self.line.text())))

    @property
    def state_widget(self) -> QWidget:
        return self.line

    def key_widgets(self) -> list[QWidget]:
        return [self.combo, self.line]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        combo: QComboBox | None = getattr(self, "combo", None)  # events may arrive while the editor is being built
        if combo is not None and watched is combo and event.type() == QEvent.Type.Wheel and not combo.hasFocus():
            event.ignore()
            return True
        return False

    def _on_completed(self, _index: QModelIndex) -> None:
        self.committed.emit()
        self.advance.emit()

    def _on_finished(self) -> None:
        self.commit()
        self.committed.emit()

    def value(self) -> str:
        return self.combo.currentText()

    def set_value(self, value: Any) -> None:
        self._quiet = True
        try:
            text = "" if value is None else str(value)
            index = self.combo.findText(text, Qt.MatchFlag.MatchExactly) if text else -1
            self.combo.setCurrentIndex(index)
            if index < 0:
                self.combo.setEditText(text)
            self.line.setCursorPosition(0)
        finally:
            self._quiet = False

    def resolve(self, text: str) -> str | None:
        """The list value meant by ``text``: an exact value or alias, else the first suggestion."""
        from forms import choices

        assert self.field.choices
        value = choices.match(self.field.choices, text)
        if value is not None or (self.field.free_text and _CJK.search(text)):
            return value  # free text typed in Chinese is kept as it is; letters are an abbreviation
        needle = text.strip().lower()
        for candidate, key in completion_keys(self.field.choices):
            if needle and needle in key:
                return candidate
        return None

    def commit(self) -> None:
        text = self.combo.currentText().strip()
        if not text:
            return
        value = self.resolve(text)
        if value is not None and value != self.combo.currentText():
            self.set_value(value)
            self.changed.emit()


class RefEditor(FieldEditor):
    """REF: pick a linked record (the studio leader) by name, pinyin initials or ID number.

    ``value()`` is the chosen record's id. The chosen person's honours are shown beside the box.
    """

    def __init__(self, field: Field, store: Any) -> None:
        box = QWidget()
        super().__init__(field, box)
        self.store = store
        self.kind = field.ref_kind or "people"
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("输入姓名、拼音首字母或身份证号查找")
        self.info = QLabel()
        self.info.setProperty("role", "hint")
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.info.setMinimumWidth(120)
        self.info.setWordWrap(True)  # a leader's honours run long: wrap them rather than cut them off at the edge
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 2)
        layout.addWidget(self.info, 3)
        box.setFocusProxy(self.edit)
        self.model = QStandardItemModel(self)
        self.completer = _DisplayCompleter(self.model, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setMaxVisibleItems(12)
        popup = self.completer.popup()
        if popup is not None:
            popup.setMinimumWidth(420)  # entries carry employer and honours, wider than the box
        self.edit.setCompleter(self.completer)
        self._first_on_enter = _FirstOnEnter(self.completer, lambda: True)
        self._id: int | None = None
        self._name = ""
        self.edit.textEdited.connect(self._on_edited)
        self.edit.editingFinished.connect(self._on_finished)
        self.completer.activated[QModelIndex].connect(self._on_completed)  # type: ignore[index]  # PySide6 stub: overloaded signals are indexable

    @property
    def focus_widget(self) -> QWidget:
        return self.edit

    def _search(self, text: str, limit: int = 30) -> list[dict[str, Any]]:
        from models.records import choices_for_ref

        return choices_for_ref(self.store, self.kind, text.strip(), limit)

    def _on_edited(self, text: str) -> None:
        self.model.clear()
        if text.strip():
            for row in self._search(text):
                item = QStandardItem(row["text"])
                item.setData(row["id"], ID_ROLE)
                item.setData(row["name"], NAME_ROLE)
                self.model.appendRow(item)
        if self._id is not None and text != self._name:
            self._id = None
            self._name = ""
            self.info.clear()
        self._emit_changed()

    def _on_completed(self, index: QModelIndex) -> None:
        record_id = index.data(ID_ROLE)
        if record_id is None:
            return
        self._choose(int(record_id))
        self.changed.emit()
        self.committed.emit()
        self.advance.emit()

    def _on_finished(self) -> None:
        self.commit()
        self.committed.emit()

    def _choose(self, record_id: int) -> None:
        from forms.records import spec
        from models import records

        record = records.get(self.store, self.kind, record_id)
        self._quiet = True
        try:
            if record is None:
                self._id, self._name = None, ""
                self.edit.clear()
                self.info.clear()
                return
            form_name = spec(self.kind).name_field
            self._id = record_id
            self._name = str(record.get(form_name) or "")
            self.edit.setText(self._name)
            self.edit.setCursorPosition(0)
            self.info.setText(self._describe(record))
            self.info.setToolTip(self.info.text())
        finally:
            self._quiet = False

    @staticmethod
    def _describe(record: Mapping[str, Any]) -> str:
        honours = record.get("honours")
        if honours is None:
            return ""
        employer = record.get("employer") or ""
        if not honours:
            return f"{employer}；暂无荣誉" if employer else "暂无荣誉"
        titles = "、".join(f"{h.get('award_year') or ''}{h.get('title') or ''}" for h in honours)
        return f"{employer}；荣誉：{titles}" if employer else f"荣誉：{titles}"

    def value(self) -> int | None:
        return self._id

    def set_value(self, value: Any) -> None:
        if value in (None, ""):
            self._quiet = True
            try:
                self._id, self._name = None, ""
                self.edit.clear()
                self.info.clear()
            finally:
                self._quiet = False
            return
        self._choose(int(value))

    def is_empty(self) -> bool:
        return self._id is None and not self.edit.text().strip()

    def commit(self) -> None:
        text = self.edit.text().strip()
        if self._id is not None and text == self._name:
            return
        if not text:
            if self._id is not None:
                self.set_value(None)
                self.changed.emit()
            return
        rows = self._search(text, 10)
        exact = [r for r in rows if r["name"] == text]
        pick = exact[0] if len(exact) == 1 else rows[0] if len(rows) == 1 else None
        if pick is not None:
            self._choose(int(pick["id"]))
            self.changed.emit()

    def pre_error(self) -> str | None:
        text = self.edit.text().strip()
        if self._id is not None or not text:
            return None
        rows = self._search(text, 10)
        if not rows:
            return f"没有找到“{text}”，请先在劳模名册中录入此人"
        return f"有{len(rows)}人与“{text}”相符，请从下拉列表中选择一位"


def make_editor(field: Field, store: Any = None) -> FieldEditor:
    """The editor for ``field``. ``store`` is needed for link (REF) fields only."""
    if field.kind == F.BOOL:
        return BoolEditor(field)
    if field.kind == F.CHOICE:
        return ChoiceEditor(field)
    if field.kind == F.REF:
        return RefEditor(field, store)
    return LineEditor(field)


# ---------------------------------------------------------------------------------------------
# A whole form


def field_label_html(field: Field) -> str:
    star = f'<span style="color:{ERROR_COLOUR}">*</span>' if field.required else "&nbsp;"
    return f"{star}{field.caption}"


def is_wide(field: Field) -> bool:
    """Fields that take a whole row of a two-column form: remarks and record links."""
    return field.kind == F.REF or (field.kind == F.TEXT and field.max_length >= 500)


Checker = Callable[[dict[str, Any]], list[Finding]]


class FormPanel(QWidget):
    """The editors of a form in a grid, each with a message line under it.

    ``checker(raw)`` returns the findings for the current input (the dialog supplies the core
    call); they are shown, debounced, for the fields the user has touched — or for all of them
    after ``reveal_all()`` (a save attempt). Fields the form derives (sex and birth date from an
    ID number, category and level from an honour title) are filled in while typing when empty.
    """

    field_changed = Signal(str)  # a field changed by the user
    last_field_done = Signal()  # Enter on the last field
    other_findings = Signal(list)  # findings whose place is not one of these fields

    DEBOUNCE_MS = 300

    def __init__(self, form: FormSpec, store: Any = None, columns: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self.store = store
        self.editors: dict[str, FieldEditor] = {}
        self.messages: dict[str, QLabel] = {}
        self.labels: dict[str, QLabel] = {}
        self.checker: Checker | None = None
        self.touched: set[str] = set()
        self.show_all = False
        self.findings: list[Finding] = []
        self._auto: dict[str, Any] = {}  # values filled in by derivation (replaced when the source changes)
        self._loading = False
        self.setStyleSheet(FORM_STYLE)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.DEBOUNCE_MS)
        self._alive: bool = True  # False once the editors are being torn down
        self._timer.timeout.connect(lambda: self.refresh() if self._alive and self.isVisible() else None)
        self._build(columns)

    # -- layout

    def _build(self, columns: int) -> None:
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        row = col = 0
        for field in self.form.fields:
            editor = make_editor(field, self.store)
            self.editors[field.name] = editor
            label = QLabel(field_label_html(field))
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setProperty("role", "fieldlabel")
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            label.setBuddy(editor.focus_widget)
            if field.help:
                label.setToolTip(field.help)
                editor.widget.setToolTip(field.help)
            self.labels[field.name] = label
            message = QLabel()
            message.setProperty("role", "message")
            message.setWordWrap(True)
            message.hide()  # shown only with a message: the form stays compact enough for 1366×768 screens
            self.messages[field.name] = message
            cell = QWidget()
            box = QVBoxLayout(cell)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(1)
            box.addWidget(editor.widget)
            box.addWidget(message)
            box.addStretch(1)  # the editor stays at the top when the other column's message makes the row taller
            if not is_wide(field):
                editor.widget.setMinimumWidth(EDITOR_WIDTH)
            wide = columns > 1 and is_wide(field)
            if wide and col:
                row, col = row + 1, 0
            grid.addWidget(label, row, col * 3, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight)
            span = 3 * columns - 2 if wide else 1
            grid.addWidget(cell, row, col * 3 + 1, 1, span)
            label.setContentsMargins(0, 4, 0, 0)
            col = columns if wide else col + 1
            if col >= columns:
                row, col = row + 1, 0
            editor.changed.connect(lambda name=field.name: self._on_changed(name))
            editor.committed.connect(lambda name=field.name: self._on_committed(name))
            editor.advance.connect(lambda ed=editor: self.focus_after(ed))
            for widget in editor.key_widgets():
                widget.installEventFilter(self)
            editor.widget.destroyed.connect(self._on_destroyed)
        for c in range(columns):
            grid.setColumnStretch(c * 3 + 1, 1)
            if c:
                grid.setColumnMinimumWidth(c * 3 - 1, 18)
        grid.setRowStretch(row + 1, 1)
        ordered = [e.focus_widget for e in self.editors.values()]
        for first, second in itertools.pairwise(ordered):
            QWidget.setTabOrder(first, second)

    @property
    def ordered(self) -> list[FieldEditor]:
        return list(self.editors.values())

    def first_widget(self) -> QWidget:
        return self.ordered[0].focus_widget

    def last_widget(self) -> QWidget:
        return self.ordered[-1].focus_widget

    # -- values

    def raw_values(self) -> dict[str, Any]:
        return {name: editor.value() for name, editor in self.editors.items()}

    def set_values(self, record: Mapping[str, Any]) -> None:
        """Load a record (no change signals; nothing counts as touched)."""
        self._loading = True
        try:
            for name, editor in self.editors.items():
                if name in record:
                    editor.set_value(record[name])
        finally:
            self._loading = False

    def set_defaults(self) -> None:
        """A new record: choice and check-box defaults (numbers show theirs as placeholder)."""
        self.set_values({f.name: f.default for f in self.form.fields
                         if f.default is not None and f.kind in (F.CHOICE, F.BOOL)})

    def commit_all(self) -> None:
        for editor in self.editors.values():
            editor.commit()

    # -- keyboard

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            plain = not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
                editor = self.editor_of(watched)
                if editor is not None:
                    editor.commit()
                    self.focus_after(editor)
                    return True
        return super().eventFilter(watched, event)

    def editor_of(self, widget: QObject | None) -> FieldEditor | None:
        while widget is not None:
            for editor in self.editors.values():
                if widget is editor.widget or widget in editor.key_widgets():
                    return editor
            widget = widget.parent()
        return None

    def focus_after(self, editor: FieldEditor) -> None:
        editors = self.ordered
        index = editors.index(editor)
        for candidate in editors[index + 1:]:
            if candidate.focus_widget.isEnabled() and candidate.focus_widget.isVisibleTo(self):
                self.focus_editor(candidate)
                return
        self.last_field_done.emit()

    def focus_editor(self, editor: FieldEditor) -> None:
        widget = editor.focus_widget
        widget.setFocus(Qt.FocusReason.TabFocusReason)
        if isinstance(widget, QLineEdit):
            widget.selectAll()
        elif isinstance(widget, QComboBox) and (line_edit := widget.lineEdit()) is not None:
            line_edit.selectAll()

    def focus_field(self, name: str) -> None:
        if name in self.editors:
            self.focus_editor(self.editors[name])

    # -- checking

    def _on_destroyed(self, *_args: object) -> None:
        self._alive = False
        self._timer.stop()

    def _on_changed(self, name: str) -> None:
        if self._loading:
            return
        self.touched.add(name)
        self._auto.pop(name, None)
        self.field_changed.emit(name)
        self._timer.start()

    def _on_committed(self, name: str) -> None:
        # Not while hidden: a closing window takes the focus away from its editors as it is torn down.
        if not self._loading and name in self.touched and self._alive and self.isVisible():
            self._timer.stop()
            self.refresh()

    def schedule(self) -> None:
        self._timer.start()

    def reveal_all(self) -> None:
        self.show_all = True

    def fill_derived(self) -> list[str]:
        """Fill empty fields the form derives from others; returns the names filled."""
        raw = self.raw_values()
        effective = dict(raw)
        for name, value in self._auto.items():
            if effective.get(name) == value:
                effective[name] = ""
        without, _ = validate(self.form, effective, partial=True)
        derived, _ = validate(self.form, effective)
        filled = []
        for field in self.form.fields:
            name = field.name
            if field.kind == F.BOOL or not is_empty(effective.get(name)) or without.get(name) is not None:
                continue
            value = derived.get(name)
            if value is None:
                continue
            editor = self.editors[name]
            if editor.value() != format_value(field, value):
                editor.set_value(value)
            self._auto[name] = editor.value()
            self.touched.add(name)
            filled.append(name)
        return filled

    def refresh(self) -> None:
        """Fill derived fields and show the findings of the checker."""
        self._timer.stop()
        self.fill_derived()
        if self.checker is None:
            return
        raw = self.raw_values()
        findings = list(self.checker(raw))
        findings.extend(self.pre_findings())
        self.show_findings(findings)

    def pre_findings(self) -> list[Finding]:
        out = []
        for name, editor in self.editors.items():
            message = editor.pre_error()
            if message:
                out.append(F.error(editor.field, message, f"{self.form.kind}.{name}.unresolved"))
        return out

    def show_findings(self, findings: Sequence[Finding]) -> None:
        """Show findings under their fields; those elsewhere go out through ``other_findings``."""
        pre = {f.where for f in findings if f.code.endswith(".unresolved")}
        findings = [f for f in findings if f.where not in pre or f.code.endswith(".unresolved")]
        self.findings = list(findings)
        by_field: dict[str, list[Finding]] = {}
        others: list[Finding] = []
        for finding in findings:
            if finding.where in self.editors:
                by_field.setdefault(finding.where, []).append(finding)
            else:
                others.append(finding)
        for name, editor in self.editors.items():
            visible = self.show_all or name in self.touched
            shown = by_field.get(name, []) if visible else []
            if editor.field.kind == F.CHOICE and not self.show_all and self._typing_in(editor):
                # Still typing (pinyin initials, a partial name): judge the value when the field is left.
                shown = [f for f in shown if not f.code.endswith(".invalid")]
            errors = [f for f in shown if f.is_error]
            message = self.messages[name]
            if errors:
                state, text = "error", "；".join(dict.fromkeys(f.message for f in errors))
            elif shown:
                state, text = "warning", "；".join(dict.fromkeys(f.message for f in shown))
            elif name in self._auto:
                state, text = "note", "已按已填内容自动填写，可修改"
            else:
                state, text = "", ""
            message.setText(text)
            message.setToolTip(text)
            # Once a field has shown a message its line stays (empty) while the form is open: the rows
            # below do not jump up and down as the message comes and goes while typing.
            message.setVisible(bool(text) or message.isVisibleTo(self))
            if message.property("state") != state:
                message.setProperty("state", state)
                repolish(message)
            editor.set_state(state if state in ("error", "warning") else "")
        self.other_findings.emit(others)

    @staticmethod
    def _typing_in(editor: FieldEditor) -> bool:
        focus = QApplication.focusWidget()
        return focus is not None and (focus is editor.widget or editor.widget.isAncestorOf(focus))

    def first_error_field(self, findings: Iterable[Finding]) -> str | None:
        bad = {f.where for f in findings if f.is_error}
        for name in self.editors:
            if name in bad:
                return name
        return None

    def message_of(self, name: str) -> str:
        return self.messages[name].text()
