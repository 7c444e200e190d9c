"""报表 page: choose a period, see the return (cover, 表1–表5, 附表1–2), review it, write the 说明,
finalise it, export it to Excel/PDF and print it.

Everything shown is rendered from the declarations in ``forms.returns``; every action calls the
core (``models.returns``, ``models.review``, ``models.versions``, ``models.export``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QHideEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from common.errors import UserError
from forms import returns as R
from forms.definition import Definition, shipped_definition, shipped_spec
from forms.periods import Period, parse_period
from ui import msgbox
from ui.screen import fit_size
from ui.settings_store import current_period, set_current_period

if TYPE_CHECKING:
    from forms.fields import Finding
    from models.db import Store
    from models.returns import Return
    from models.review import ReviewReport

CELL_ROLE = Qt.ItemDataRole.UserRole + 1  # (table key, row key, column key) of a number
HEADER_BG = QColor("#F2F2F2")
TOTAL_BG = QColor("#EDEDED")
SEVERITY_COLORS = {R.ERROR: QColor("#C62828"), R.WARNING: QColor("#B26A00"), R.NOTICE: QColor("#455A64")}
DRAFT = 0  # the version combo's data for “the current records”
# Short names beside 表1…附表2 on the tabs (the full titles are the tabs' tooltips).


def period_options(store: Store) -> list[Period]:
    """The periods offered: this and last year's, plus every period that has a finalised version."""
    from models import versions
    from ui.home_page import period_choices

    options = period_choices()
    for info in versions.list_versions(store):
        period = parse_period(info.period)
        if period not in options:
            options.append(period)
    return sorted(options, key=lambda p: (-p.year, p.part))


def fmt_value(value: Any, is_money: bool) -> str:
    from decimal import Decimal

    return f"{Decimal(value):.2f}" if is_money else str(int(value))


# ------------------------------------------------------------------------------------------------
# Widgets for one table, a roster and the cover


class TableView(QTableWidget):
    """One return table laid out like the paper form: merged headers, 栏次 row, 合计 row.

    A number carries ``CELL_ROLE``; activating it emits :attr:`cell_chosen`.
    """

    cell_chosen = Signal(str, str, str)

    def __init__(self, spec: R.TableSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from models.export_pdf import header_cells

        self.spec = spec
        self.labels = len(spec.row_header)
        cells, self.head_rows = header_cells(spec)
        self.first_data = self.head_rows + 1
        self.setRowCount(self.first_data + len(spec.rows))
        self.setColumnCount(self.labels + len(spec.columns))
        self.horizontalHeader().hide()
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(True)
        bold = QFont(self.font())
        bold.setBold(True)
        for i, caption in enumerate(spec.row_header):
            self._fixed(0, i, caption, HEADER_BG, bold)
            if self.head_rows > 1:
                self.setSpan(0, i, self.head_rows, 1)
        for c0, c1, r0, r1, text in cells:
            self._fixed(r0, self.labels + c0, text, HEADER_BG, bold)
            if c1 > c0 or r1 > r0:
                self.setSpan(r0, self.labels + c0, r1 - r0 + 1, c1 - c0 + 1)
        for i in range(self.columnCount()):
            self._fixed(self.head_rows, i, "甲乙丙"[i] if i < self.labels else str(i - self.labels + 1), None, None)
        previous_group = None
        for n, row in enumerate(spec.rows):
            r = self.first_data + n
            background = TOTAL_BG if row.is_total else None
            if self.labels == 2 and not row.is_total:
                if row.group != previous_group:
                    count = sum(1 for x in spec.rows if x.group == row.group)
                    self._fixed(r, 0, row.group, None, None)
                    if count > 1:
                        self.setSpan(r, 0, count, 1)
                    previous_group = row.group
                self._fixed(r, 1, row.label, None, None)
            else:
                self._fixed(r, 0, row.label, background, bold if row.is_total else None)
                if self.labels == 2:
                    self.setSpan(r, 0, 1, 2)
            for i, col in enumerate(spec.columns):
                item = QTableWidgetItem("")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setData(CELL_ROLE, (spec.key, row.key, col.key))
                item.setToolTip(f"{row.full_label} · {col.group + '·' if col.group else ''}{col.caption}\n"
                                "双击（或回车）查看构成这个数字的记录")
                if background is not None:
                    item.setBackground(QBrush(background))
                    item.setFont(bold)
                self.setItem(r, self.labels + i, item)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for i in range(self.columnCount()):
            self.setColumnWidth(i, 150 if i == 0 else (70 if i < self.labels else 86))
        self.setRowHeight(self.head_rows - 1, 52)
        self.itemActivated.connect(self._activated)
        self.cellDoubleClicked.connect(lambda r, c: self._activated(self.item(r, c)))

    def _fixed(self, row: int, col: int, text: str, background: QColor | None, font: QFont | None) -> None:
        item = QTableWidgetItem(text)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        if background is not None:
            item.setBackground(QBrush(background))
        if font is not None:
            item.setFont(font)
        self.setItem(row, col, item)

    def show_values(self, ret: Return) -> None:
        cells = ret.tables[self.spec.key]
        for n, row in enumerate(self.spec.rows):
            for i, col in enumerate(self.spec.columns):
                item = self.item(self.first_data + n, self.labels + i)
                if item is not None:
                    item.setText(fmt_value(cells[row.key][col.key], col.money))

    def select_cell(self, row_key: str, column_key: str) -> None:
        rows = [r.key for r in self.spec.rows]
        cols = [c.key for c in self.spec.columns]
        if row_key in rows and column_key in cols:
            self.setCurrentCell(self.first_data + rows.index(row_key), self.labels + cols.index(column_key))
            self.setFocus()

    def _activated(self, item: QTableWidgetItem | None) -> None:
        if item is None:
            return
        place = item.data(CELL_ROLE)
        if place:
            self.cell_chosen.emit(*place)


class RosterModel(QAbstractTableModel):
    """A roster (附表) as a thin read-only model over the return's rows."""

    def __init__(self, roster: R.RosterSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.roster = roster
        self.columns = roster.visible_columns(False)
        self.rows: list[dict[str, str]] = []

    def set_rows(self, rows: list[dict[str, str]], consolidated: bool) -> None:
        self.beginResetModel()
        self.columns = self.roster.visible_columns(consolidated)
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.rows[index.row()].get(self.columns[index.column()].key, "")
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section].label
        return None


class CoverView(QWidget):
    """The cover: unit, period, version; the contacts can be changed here (for the draft)."""

    saved = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout()
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 20px; font-weight: bold;")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.edits: dict[str, QLineEdit] = {}
        self.fields_shown: tuple[tuple[str, str, bool], ...] = ()
        self._set_fields(shipped_spec().cover)
        self.save_button = QPushButton("保存封面信息")
        self.save_button.clicked.connect(self.saved.emit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.info)
        layout.addLayout(self.form)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)

    def _set_fields(self, cover: Sequence[R.CoverField]) -> None:
        """One line edit per cover field the return's definition declares (rebuilt when another definition shows)."""
        wanted = tuple((f.key, f.label, f.required) for f in cover if f.key != "report_date")
        if wanted == self.fields_shown:
            return
        # Rows are taken out and their widgets deleted by Qt's event loop: removeRow deleted them at once, under the
        # Python wrappers still held in self.edits, and rebuilding the form then crashed once under Windows Python.
        while self.form.rowCount():
            taken = self.form.takeRow(0)
            for item in (taken.labelItem, taken.fieldItem):
                widget = item.widget() if item is not None else None
                if widget is not None:
                    widget.hide()
                    widget.deleteLater()
        self.edits = {}
        for key, label, required in wanted:
            edit = QLineEdit()
            edit.setObjectName(f"cover_{key}")
            self.edits[key] = edit
            self.form.addRow(label + ("（必填）" if required else ""), edit)
        self.fields_shown = wanted

    def show_return(self, ret: Return, digest_text: str) -> None:
        self._set_fields(ret.spec.cover)
        period = ret.period_obj
        self.title.setText(f"{ret.spec.title}\n（{period.label}{period.kind_label}）")
        version = f"第{ret.version}版，定稿于 {ret.finalised_at.replace('T', ' ')}" if ret.version else "草稿（尚未定稿）"
        self.info.setText(f"表号：{ret.spec.form_no}　　制定机关：{ret.spec.authority}\n"
                          f"报表制度：{ret.definition_line()}\n"
                          f"填报单位：{ret.unit_name}　　单位代码：{ret.unit_code}\n"
                          f"报告期：{period.start.isoformat()} 至 {period.end.isoformat()}　　版本：{version}\n"
                          f"报出日期：{ret.cover.get('report_date', '')}　　数据摘要：{digest_text}"
                          + (f"\n汇总：本级直属单位及各下级单位报表（{ret.coverage_text}）。双击数字可查看各单位的构成"
                             if ret.consolidated else ""))
        for key, edit in self.edits.items():
            edit.setText(ret.cover.get(key, ""))
            edit.setReadOnly(not ret.is_draft)
        self.save_button.setEnabled(ret.is_draft)

    def values(self) -> dict[str, str]:
        return {key: edit.text() for key, edit in self.edits.items()}

    def focus_field(self, key: str) -> None:
        edit = self.edits.get(key)
        if edit is not None:
            edit.setFocus()
            edit.selectAll()


# ------------------------------------------------------------------------------------------------
# Dialogs


class RecordsBehindDialog(QDialog):
    """The records that make up one number; double-click (or Enter) opens a record."""

    def __init__(self, store: Store, period: Period, table: str, row: str, column: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from models import review
        from models.returns import definition_for, records_behind

        self.store = store
        self.changed = False
        definition = definition_for(store, period)
        spec = definition.spec.table(table)
        col = spec.column(column)
        self.refs = records_behind(store, period, table, row, column, definition)
        self.setWindowTitle(f"数字的来源 — {review.cell_label(table, row, column, definition.spec)}")
        total = sum(float(r.value) for r in self.refs)
        label = QLabel(f"{review.cell_label(table, row, column, definition.spec)}：共 {len(self.refs)} 条记录，合计 "
                       f"{fmt_value(total if col.money else int(total), col.money)}{col.unit}。双击记录可打开修改。")
        label.setWordWrap(True)
        self.list = QTableWidget(len(self.refs), 3)
        self.list.setHorizontalHeaderLabels(["名称", "说明", col.caption])
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.verticalHeader().hide()
        for i, ref in enumerate(self.refs):
            self.list.setItem(i, 0, QTableWidgetItem(ref.name))
            self.list.setItem(i, 1, QTableWidgetItem(ref.detail))
            value = QTableWidgetItem(fmt_value(ref.value, col.money))
            value.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.list.setItem(i, 2, value)
        self.list.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.list.resizeColumnToContents(0)
        self.list.cellDoubleClicked.connect(lambda r, _c: self.open_record(r))
        self.list.itemActivated.connect(lambda item: self.open_record(item.row()))
        if self.refs:
            self.list.selectRow(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        fit_size(self, 760, 460)

    def open_record(self, row: int) -> None:
        from ui.record_dialog import edit_record

        if 0 <= row < len(self.refs):
            ref = self.refs[row]
            if edit_record(self, self.store, ref.kind, ref.id) is not None:
                self.changed = True


# ------------------------------------------------------------------------------------------------
# The page


class ReturnPage(QWidget):
    data_changed = Signal()
    message = Signal(str)  # shown in the status bar
    navigate = Signal(str)  # page key: a consolidated return's 未报 finding opens 上报情况

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.ret: Return | None = None
        self.report: ReviewReport | None = None
        self._loading = False
        # The finding whose 说明 is in the editor: (period, code, where, the text as stored).
        self._note_place: tuple[str, str, str, str] | None = None

        self.period_box = QComboBox()
        self.period_box.setObjectName("period")
        self.period_box.setMinimumWidth(150)
        self.version_box = QComboBox()
        self.version_box.setObjectName("version")
        self.version_box.setMinimumWidth(170)
        self.version_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.version_box.setMaximumWidth(380)  # “已定稿 第3版（日期 时间）” is read whole; never wider than the page
        self.state = QLabel()
        self.state.setObjectName("state")
        # The state sentence is long (“显示已定稿的第1版（只读……）”): wrap it instead of widening the window off a 1366 screen.
        self.state.setWordWrap(True)
        self.state.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.review_button = QPushButton("审核(&R)")
        self.finalise_button = QPushButton("定稿(&G)")
        self.compare_button = QPushButton("比较(&K)…")
        self.compare_button.setObjectName("compare")
        self.compare_button.setToolTip("与上一个定稿版本比较：表格数字、名册、说明有什么变化")
        self.compare_button.clicked.connect(self.compare_versions)
        self.export_button = QToolButton()
        self.export_button.setText("导出(&E)")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        export_menu = QMenu(self.export_button)
        self.export_actions = {
            ("xlsx", "pdf"): export_menu.addAction("导出 Excel 和 PDF……"),
            ("xlsx",): export_menu.addAction("只导出 Excel……"),
            ("pdf",): export_menu.addAction("只导出 PDF……"),
        }
        for formats, action in self.export_actions.items():
            action.triggered.connect(lambda _checked=False, f=formats: self.export(list(f)))
        self.export_button.setMenu(export_menu)
        self.print_button = QToolButton()
        self.print_button.setText("打印(&Y)")
        self.print_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        print_menu = QMenu(self.print_button)
        print_menu.addAction("打印汇总表……").triggered.connect(lambda: self.print_return(["汇总表"], "汇总表"))
        print_menu.addAction("打印全部报表……").triggered.connect(lambda: self.print_return(None, "全部报表"))
        self.print_button.setMenu(print_menu)

        top = QHBoxLayout()
        for text, box in (("报告期(&Q)", self.period_box), ("查看(&V)", self.version_box)):
            label = QLabel(text)
            label.setBuddy(box)  # Alt+Q / Alt+V reach the boxes from the keyboard
            top.addWidget(label)
            top.addWidget(box)
        top.addStretch(1)
        # The buttons and the state sentence get a line of their own: everything fits a 1024-pixel screen.
        actions = QHBoxLayout()
        for button in (self.review_button, self.finalise_button, self.compare_button, self.export_button,
                       self.print_button):
            actions.addWidget(button)
        actions.addWidget(self.state, 1)

        self.tabs = QTabWidget()
        self.cover = CoverView()
        # The cover scrolls rather than making the page taller than a 768-pixel screen.
        self.cover_scroll = QScrollArea()
        self.cover_scroll.setWidgetResizable(True)
        self.cover_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.cover_scroll.setWidget(self.cover)
        self.tabs.addTab(self.cover_scroll, "封面")
        self.tables: dict[str, TableView] = {}
        self.rosters: dict[str, RosterModel] = {}
        self.tabs_digest = ""
        self._build_tabs(shipped_definition())

        self.findings = QTableWidget(0, 4)
        self.findings.setObjectName("findings")
        self.findings.setHorizontalHeaderLabels(["类别", "位置", "问题及改正方法", "说明"])
        self.findings.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.findings.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.findings.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.findings.verticalHeader().hide()
        self.findings.setWordWrap(True)
        self.findings.setTabKeyNavigation(False)  # Tab moves on to the 说明, arrows move between findings
        header = self.findings.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.findings.setColumnWidth(0, 48)
        self.findings.setColumnWidth(1, 220)
        self.findings.setColumnWidth(3, 200)
        self.findings.cellDoubleClicked.connect(lambda r, _c: self.jump(r))
        self.findings.itemActivated.connect(lambda item: self.jump(item.row()))
        self.findings.currentCellChanged.connect(lambda r, *_: self._show_note(r))
        self.summary = QLabel("尚未审核。点击“审核”检查本期报表。")
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setObjectName("note")
        self.note_edit.setPlaceholderText("选中一条警告，在此写明原因（如：今年新增农民工专项培训，参训人次大幅增加）")
        self.note_edit.setMaximumHeight(70)
        self.note_edit.setTabChangesFocus(True)
        self.note_button = QPushButton("保存说明")
        self.note_button.setObjectName("save_note")
        self.note_button.clicked.connect(self.save_note)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note_edit, 1)
        note_row.addWidget(self.note_button)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.summary)
        bottom_layout.addWidget(self.findings, 1)
        bottom_layout.addLayout(note_row)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.tabs)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(actions)
        layout.addWidget(splitter, 1)

        self.period_box.currentIndexChanged.connect(self._period_chosen)
        self.version_box.currentIndexChanged.connect(lambda _i: self._load() if not self._loading else None)
        self.review_button.clicked.connect(self.run_review)
        self.finalise_button.clicked.connect(self.finalise)
        self.cover.saved.connect(self.save_cover)
        self._set_note_enabled(False)
        self.refresh()  # the main window refreshes a page only after data changed elsewhere

    # -- state -------------------------------------------------------------------------------

    @property
    def period(self) -> Period:
        data = self.period_box.currentData()
        return parse_period(data) if data else current_period(self.store)

    @property
    def viewing_version(self) -> int:
        return int(self.version_box.currentData() or DRAFT)

    def refresh(self) -> None:
        """Rebuild the period list and show the return of the current period."""
        self._loading = True
        try:
            chosen = current_period(self.store)
            self.period_box.clear()
            for period in period_options(self.store):
                self.period_box.addItem(f"{period.label}（{period.kind_label}）", period.code)
            index = self.period_box.findData(chosen.code)
            if index < 0:
                self.period_box.addItem(f"{chosen.label}（{chosen.kind_label}）", chosen.code)
                index = self.period_box.count() - 1
            self.period_box.setCurrentIndex(index)
        finally:
            self._loading = False
        self._fill_versions()
        self._load()

    def _period_chosen(self, _index: int) -> None:
        if self._loading:
            return
        self.keep_typed_text()
        set_current_period(self.store, self.period)
        self.report = None
        self._fill_versions()
        self._load()
        self.data_changed.emit()

    def _fill_versions(self, select: int | None = None) -> None:
        from models import versions

        self._loading = True
        try:
            previous = select if select is not None else self.viewing_version
            self.version_box.clear()
            self.version_box.addItem("当前数据（草稿）", DRAFT)
            for info in versions.list_versions(self.store, self.period):
                self.version_box.addItem(f"已定稿 {info.label}", info.version)
            index = self.version_box.findData(previous)
            self.version_box.setCurrentIndex(max(index, 0))
        finally:
            self._loading = False

    def _load(self, then: Callable[[Return | None], None] | None = None) -> None:
        """Show the chosen version, or the draft computed now; then ``then(the return shown, or None)``.

        A large return (a prefecture's or the province's) is read or computed off the window's thread (:meth:`_work`);
        if the user chose another period or version meanwhile, its result is dropped (their choice loads its own)."""
        from models import returns, versions
        from models.db import RecordError

        period, version = self.period, self.viewing_version

        def work(store: Store) -> tuple[Return | None, str]:
            ret = versions.load_version(store, period, version) if version else returns.compute(store, period)
            return ret, (returns.digest(ret) if ret is not None else "")

        def shown(result: tuple[Return | None, str]) -> None:
            if (self.period.code, self.viewing_version) != (period.code, version):
                return
            ret, digest = result
            if ret is not None:
                self.ret = ret
                self._show(ret, digest)
            if then is not None:
                then(ret)

        def failed(exc: BaseException) -> bool:
            if not isinstance(exc, RecordError):
                return False
            self.state.setText(str(exc))
            if then is not None:
                then(None)
            return True

        self._work("正在读取报表……" if version else "正在计算报表……", work, shown, failed)

    def _work(self, label: str, work: Callable[[Store], Any], done: Callable[[Any], None],
              failed: Callable[[BaseException], bool] | None = None) -> None:
        """``done(work(store))``: at once for a county's return; off the window's thread, behind a progress dialog,
        when computing it is long work (``returns.computing_is_long``), so that the window never freezes.
        ``failed(exc)`` handles an error it knows (True), else it is shown."""
        from models import returns
        from ui.workers import run_in_background

        if not returns.computing_is_long(self.store):
            try:
                result = work(self.store)
            except Exception as exc:
                if failed is None or not failed(exc):
                    raise
                return
            done(result)
            return

        def on_error(exc: BaseException) -> None:
            if failed is None or not failed(exc):
                msgbox.show_error(self, "操作失败", exc)

        run_in_background(self, label, lambda _progress, store: work(store), on_done=done, on_error=on_error,
                          store=self.store, cancellable=False)

    def _build_tabs(self, definition: Definition) -> None:
        """One tab per table and roster of ``definition`` (rebuilt when a return of another definition shows)."""
        for _ in range(len(self.tables) + len(self.rosters)):
            widget = self.tabs.widget(1)
            self.tabs.removeTab(1)
            if widget is not None:
                widget.deleteLater()
        self.tables, self.rosters = {}, {}
        for spec in definition.spec.tables:
            view = TableView(spec)
            view.cell_chosen.connect(self.show_records_behind)
            self.tables[spec.key] = view
            self.tabs.insertTab(self.tabs.count(), view, f"{spec.number} {spec.short}".strip())
            self.tabs.setTabToolTip(self.tabs.count() - 1, spec.title)
        for roster in definition.spec.rosters:
            model = RosterModel(roster, self)
            roster_view = QTableView()
            roster_view.setModel(model)
            roster_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            roster_view.verticalHeader().setDefaultSectionSize(24)
            roster_view.verticalHeader().hide()
            self.rosters[roster.key] = model
            self.tabs.addTab(roster_view, f"{roster.number} {roster.short}".strip())
            self.tabs.setTabToolTip(self.tabs.count() - 1, roster.title)
        self.tabs_digest = definition.digest

    def _show(self, ret: Return, digest: str) -> None:
        """Show ``ret`` (its data digest ``digest``, computed with it)."""
        from models import returns, versions

        if ret.definition.digest != self.tabs_digest:
            self._build_tabs(ret.definition)
        short = returns.short_digest(digest)
        self.cover.show_return(ret, short)
        for view in self.tables.values():
            view.show_values(ret)
        for key, model in self.rosters.items():
            model.set_rows(ret.rosters.get(key, []), ret.consolidated)
        if ret.is_draft:
            latest = versions.list_versions(self.store, self.period)
            if latest:
                self.state.setText(f"显示当前数据（草稿）。已定稿至第{latest[0].version}版；数据有变化时再次定稿生成新版本。")
            else:
                self.state.setText("显示当前数据（草稿），尚未定稿。")
        else:
            self.state.setText(f"显示已定稿的第{ret.version}版（只读，导出的文件与定稿时完全相同）。")
        self.finalise_button.setEnabled(ret.is_draft)
        self.review_button.setEnabled(ret.is_draft)
        self.tabs.setTabText(0, "封面" if ret.is_draft else f"封面（第{ret.version}版）")
        if self.report is not None and ret.is_draft:
            self._show_findings(self.report)

    def compare_versions(self) -> None:
        """The version shown (or the latest) against the finalised version before it."""
        from models import diff
        from models.db import RecordError
        from ui.diff_dialog import show_diff

        period, version = self.period, self.viewing_version or None

        def cannot(exc: BaseException) -> bool:
            if not isinstance(exc, RecordError):
                return False
            msgbox.information(self, "比较版本", str(exc))
            return True

        self._work("正在比较两个版本……", lambda store: diff.own_diff(store, period, None, version),
                   lambda result: show_diff(self, result), cannot)

    # -- drill-down ----------------------------------------------------------------------------

    def show_records_behind(self, table: str, row: str, column: str) -> None:
        if self.ret is not None and self.ret.consolidated:
            self.show_contributions(table, row, column)
            return
        if self.ret is not None and not self.ret.is_draft:
            msgbox.information(self, "已定稿版本",
                               "已定稿的版本是当时数据的快照。要查看数字来源，请在“查看”中选择“当前数据（草稿）”。")
            return
        dialog = RecordsBehindDialog(self.store, self.period, table, row, column, self)
        try:
            dialog.exec()
            changed = dialog.changed
        finally:
            dialog.deleteLater()
        if changed:
            self._after_edit()

    def show_contributions(self, table: str, row: str, column: str) -> None:
        """A consolidated return's number: each unit's part (draft or finalised version)."""
        from ui.contributions_dialog import ContributionsDialog

        assert self.ret is not None
        dialog = ContributionsDialog(self.store, self.ret, table, row, column, self)
        try:
            dialog.exec()
            changed = dialog.changed
        finally:
            dialog.deleteLater()
        if changed:
            self._after_edit()

    def _after_edit(self) -> None:
        def review_again(shown: Return | None) -> None:
            if self.report is not None:
                self._review(shown if shown is not None and shown.is_draft else None)

        self._load(then=review_again)
        self.data_changed.emit()

    # -- review and 说明 -----------------------------------------------------------------------

    def run_review(self) -> None:
        self._review(None)

    def _review(self, draft: Return | None) -> None:
        """Review the draft (``draft`` if it was just computed, else computed now) and list the findings."""
        from models import returns, review

        if not self.keep_typed_text():
            return
        period = self.period

        def work(store: Store) -> ReviewReport:
            return review.review(store, period, draft if draft is not None else returns.compute(store, period))

        def reviewed(report: ReviewReport) -> None:
            if self.period.code != period.code:
                return
            self.report = report
            if self.viewing_version:
                self._fill_versions(select=DRAFT)
                self._load()
            self._show_findings(report)

        self._work("正在审核……", work, reviewed)

    def _show_findings(self, report: ReviewReport) -> None:
        current = self.findings.currentRow()
        self.findings.setRowCount(len(report.findings))
        for i, finding in enumerate(report.findings):
            severity = QTableWidgetItem(R.SEVERITY_LABELS.get(finding.severity, finding.severity))
            severity.setForeground(QBrush(SEVERITY_COLORS.get(finding.severity, QColor("black"))))
            self.findings.setItem(i, 0, severity)
            self.findings.setItem(i, 1, QTableWidgetItem(finding.label))
            message = QTableWidgetItem(finding.message)
            message.setToolTip(finding.message)
            self.findings.setItem(i, 2, message)
            note = report.note_for(finding)
            if finding.severity == R.WARNING and not note:
                note_item = QTableWidgetItem("（须填写说明）")
                note_item.setForeground(QBrush(SEVERITY_COLORS[R.WARNING]))
            else:
                note_item = QTableWidgetItem(note)
            self.findings.setItem(i, 3, note_item)
        self.findings.resizeRowsToContents()
        if report.findings:
            self.findings.setCurrentCell(min(max(current, 0), len(report.findings) - 1), 0)
        verdict = ("可以定稿。" if report.can_finalise
                   else "有错误，改正后才能定稿。" if report.errors else "警告须填写说明后才能定稿。")
        self.summary.setText(f"审核结果：{report.summary()}。{verdict}双击一行可打开相应的记录或位置。")
        self._show_note(self.findings.currentRow())

    def _finding(self, row: int) -> Finding | None:
        if self.report is None or not 0 <= row < len(self.report.findings):
            return None
        return self.report.findings[row]

    def _set_note_enabled(self, enabled: bool) -> None:
        self.note_edit.setEnabled(enabled)
        self.note_button.setEnabled(enabled)

    def _show_note(self, row: int) -> None:
        self._flush_note()
        finding = self._finding(row)
        is_warning = finding is not None and finding.severity == R.WARNING
        self._set_note_enabled(is_warning)
        text = self.report.note_for(finding) if finding is not None and self.report is not None else ""
        self.note_edit.setPlainText(text)
        self._note_place = (self.report.period, finding.code, finding.where, text) \
            if is_warning and finding is not None and self.report is not None else None

    # -- nothing typed is lost -------------------------------------------------------------------

    def keep_typed_text(self) -> bool:
        """Save the 说明 and the cover fields as typed (leaving the page, review, 定稿, export).

        False when a cover field cannot be saved (the user was told which and why).
        """
        self._flush_note()
        return self._flush_cover()

    def _flush_note(self) -> None:
        """Save the 说明 in the editor for the warning it was written for, when it changed."""
        from models import review

        place = self._note_place
        if place is None:
            return
        period, code, where, stored = place
        text = self.note_edit.toPlainText()
        if text.strip() == stored.strip():
            return
        review.set_note(self.store, parse_period(period), code, where, text)
        self._note_place = (period, code, where, text)
        if self.report is not None and self.report.period == period:
            self.report.notes[(code, where)] = text.strip()
            row = next((i for i, f in enumerate(self.report.findings) if (f.code, f.where) == (code, where)), -1)
            item = self.findings.item(row, 3) if row >= 0 else None
            if item is not None:
                item.setText(text.strip())
                item.setForeground(QBrush(QColor("black")))
        self.message.emit("已保存说明")

    def _flush_cover(self) -> bool:
        """Save the cover fields as typed, when they differ from what the return shows."""
        if self.ret is None or not self.ret.is_draft:
            return True
        values = self.cover.values()
        if all(values[key] == self.ret.cover.get(key, "") for key in values):
            return True
        if not self._save_cover_values(values):
            return False
        self.ret.cover.update(values)
        self.message.emit("已保存封面信息")
        return True

    def _save_cover_values(self, values: dict[str, str]) -> bool:
        from common.text import ParseError
        from models import unit

        try:
            unit.update_contacts(self.store, head=values.get("head"), statistician=values.get("statistician"),
                                 preparer=values.get("preparer"), phone=values.get("phone"))
        except UserError as exc:
            self.tabs.setCurrentWidget(self.cover_scroll)
            about_phone = isinstance(exc, ParseError) and "特殊字符" not in str(exc)
            if about_phone:
                self.cover.focus_field("phone")
            msgbox.warning(self, "无法保存封面信息", f"联系电话：{exc}" if about_phone else str(exc))
            return False
        return True

    def hideEvent(self, event: QHideEvent) -> None:
        # Going to another page (or closing the window) keeps what was typed here.
        if not event.spontaneous():
            self.keep_typed_text()
        super().hideEvent(event)

    def save_note(self) -> None:
        from models import review

        finding = self._finding(self.findings.currentRow())
        if finding is None or finding.severity != R.WARNING:
            return
        from common.text import ParseError

        try:
            review.set_note(self.store, self.period, finding.code, finding.where, self.note_edit.toPlainText())
        except ParseError as exc:
            msgbox.warning(self, "无法保存说明", f"说明{exc}")
            return
        row = self.findings.currentRow()
        self.run_review()
        self.findings.setCurrentCell(row, 0)

    def jump(self, row: int) -> None:
        """Open what a finding points at: the record, the cell or the cover field."""
        from models import review
        from ui.record_dialog import edit_record

        finding = self._finding(row)
        if finding is None:
            return
        try:
            place = review.parse_where(finding.where, self.ret.spec if self.ret is not None else None)
        except ValueError:
            return
        if place.kind == "record":
            if edit_record(self, self.store, place.record_kind, place.record_id) is not None:
                self._after_edit()
        elif place.kind == "cell":
            def select(_shown: Return | None = None) -> None:
                view = self.tables[place.table]
                self.tabs.setCurrentWidget(view)
                view.select_cell(place.row, place.column)

            if self.viewing_version:
                self._fill_versions(select=DRAFT)
                self._load(then=select)
            else:
                select()
        elif place.kind == "cover":
            self.tabs.setCurrentWidget(self.cover_scroll)
            self.cover.focus_field(place.field)
        elif place.kind == "font":
            self.note_edit.setFocus()
        elif place.kind == "roster":
            self.show_roster_row(place.table, int(place.row or 0))
        elif place.kind == "units":
            self.navigate.emit("board")

    def show_roster_row(self, roster: str, seq: int) -> None:
        """Show the roster tab with row ``seq`` (序号) selected."""
        model = self.rosters.get(roster)
        if model is None:
            return
        for index in range(self.tabs.count()):
            view = self.tabs.widget(index)
            if isinstance(view, QTableView) and view.model() is model:
                self.tabs.setCurrentIndex(index)
                if 1 <= seq <= model.rowCount():
                    view.selectRow(seq - 1)
                    view.setFocus()
                return

    def save_cover(self) -> None:
        if self._save_cover_values(self.cover.values()):
            self._after_edit()

    # -- finalise, export, print ---------------------------------------------------------------

    def finalise(self) -> bool:
        """定稿, after the user confirms. True when the return was finalised before this returns; a large one
        (``returns.computing_is_long``) is finalised off the window's thread and its outcome shown when done."""
        from models import versions

        if not self.keep_typed_text():
            return False
        if not msgbox.confirm(
                self, "定稿",
                f"定稿将把{self.period.label}{self.period.kind_label}的当前数据（含封面和说明）冻结为新的版本，"
                "定稿后的版本不能再修改；以后修改了记录，需要再次定稿生成新版本。\n\n确定现在定稿吗？",
                "定稿", "取消"):
            return False
        period = self.period
        outcome: list[bool] = []

        def work(store: Store) -> tuple[list[versions.VersionInfo], Return]:
            before = versions.list_versions(store, period)
            return before, versions.finalise(store, period)

        def finalised(result: tuple[list[versions.VersionInfo], Return]) -> None:
            before, ret = result
            if before and before[0].version == ret.version:
                msgbox.information(self, "数据没有变化", f"自第{ret.version}版定稿以来数据没有变化，仍为第{ret.version}版。")
            else:
                msgbox.information(self, "已定稿", f"{period.label}{period.kind_label}已定稿为第{ret.version}版。"
                                                "以后修改记录后再次定稿，将生成新版本，旧版本保留。")
            self._fill_versions(select=ret.version)
            self._load()
            self.data_changed.emit()
            outcome.append(True)

        def refused(exc: BaseException) -> bool:
            if not isinstance(exc, versions.FinaliseRefused):
                return False
            self.report = exc.report
            assert self.report is not None
            self._show_findings(self.report)
            msgbox.warning(self, "不能定稿", str(exc))
            return True

        self._work("正在审核并定稿……", work, finalised, refused)
        return bool(outcome)

    def export(self, formats: list[str], folder: str | None = None) -> None:
        """Export the viewed version (or finalise the current data first) into a chosen folder."""
        from ui.settings_store import preferences
        from ui.workers import run_in_background

        if not self.viewing_version and not self.keep_typed_text():
            return
        prefs = preferences()
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "选择导出到的文件夹（可选U盘）", prefs.last_folder("return_export"))
        if not folder:
            return
        prefs.set_last_folder("return_export", str(Path(folder) / "x"))
        version = self.viewing_version or None
        period = self.period
        # Signed by default: the passphrase is asked once, before anything is finalised or written.
        from models.signing import keys

        signer = None
        if keys.active_key(self.store) is None and msgbox.confirm(
                self, "没有签名密钥",
                "本单位还没有创建签名密钥，这样导出的报表没有电子签名，上级核验时会显示“无签名”。\n\n"
                "现在创建签名密钥吗？", "创建密钥", "不签名，继续导出", default_yes=True):
            from ui.keys_dialog import create_key_now

            create_key_now(self, self.store)
        if keys.active_key(self.store) is not None:
            from ui.keys_dialog import ask_signer

            signer = ask_signer(self, self.store)
            if signer is None:
                return

        def work(progress: Any, store: Store) -> list[Path]:
            from models.export import export_return

            return export_return(store, period, folder, formats, progress, version=version, signer=signer)

        def done(paths: list[Path]) -> None:
            self._fill_versions(select=version or DRAFT)
            self._load()
            self.data_changed.emit()
            names = "\n".join(str(p) for p in paths)
            signed = ("已用本单位密钥签名。" if signer is not None else
                      "注意：本单位尚未创建签名密钥，报表没有电子签名（可在“文件 → 本单位密钥…”中创建）。")
            msgbox.information(self, "导出完成", f"已导出到“{folder}”：\n{names}\n\n{signed}")

        def failed(exc: BaseException) -> None:
            from models.versions import FinaliseRefused

            if isinstance(exc, FinaliseRefused):
                self.report = exc.report
                assert self.report is not None
                self._show_findings(self.report)
                msgbox.warning(self, "不能导出", str(exc))
                return
            msgbox.show_error(self, "导出失败", exc)

        run_in_background(self, "正在审核、定稿并导出报表……" if version is None else "正在导出报表……", work,
                          on_done=done, on_error=failed, store=self.store, title="导出报表")

    def print_return(self, sections: list[str] | None, title: str) -> None:
        from ui.return_print import preview

        if self.ret is None:
            return
        preview(self, self.ret, sections, title)
