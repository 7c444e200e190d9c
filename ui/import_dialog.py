"""从Excel导入: choose a file and a record kind, check the column mapping, read the report, import.

Everything that touches files or data goes through ``models.importer`` (reading, planning,
applying, undoing, exporting error rows); this module only shows it. Call
:func:`run_import_dialog` from a menu; it returns whether data changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from common.errors import UserError
from ui import msgbox
from ui.screen import fit_size

if TYPE_CHECKING:
    from models.db import Store
    from models.importer import ImportPlan, Table

FILE_FILTER = "表格文件 (*.xlsx *.xls *.csv *.txt);;Excel 工作簿 (*.xlsx *.xls);;CSV 文件 (*.csv *.txt);;所有文件 (*)"
FOLDER_KEY = "import"
ERRORS_FOLDER_KEY = "import_errors"
TEMPLATE_FOLDER_KEY = "import_templates"
PREVIEW_ROWS = 20
REPORT_LIMIT = 2000  # lines shown in the report table (the export holds all error rows)
NOT_IMPORTED = "（不导入）"

_ERROR_BG = QColor("#FDE2E1")
_WARNING_BG = QColor("#FFF4CE")
_SKIPPED_FG = QColor("#777777")


def _ask_open_path(parent: QWidget, folder: str) -> str:
    """The file the user picked (empty when cancelled). Tests replace this function."""
    path, _ = QFileDialog.getOpenFileName(parent, "选择要导入的文件", folder, FILE_FILTER)
    return path


def _ask_save_path(parent: QWidget, suggested: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, "导出错误行", suggested, "Excel 工作簿 (*.xlsx)")
    if path and not path.lower().endswith(".xlsx"):
        path += ".xlsx"
    return path


class ImportDialog(QDialog):
    """The import dialog; see the module docstring."""

    def __init__(self, store: Store, kind: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from models.importer import IMPORT_KINDS

        self.store = store
        self.changed = False
        self.path: Path | None = None
        self.table: Table | None = None
        self.plan: ImportPlan | None = None
        self._loading = False
        self.setWindowTitle("从Excel导入")
        fit_size(self, 1100, 720)

        # -- file, kind, sheet --------------------------------------------------------------------
        self.file_edit = QLineEdit()
        self.file_edit.setReadOnly(True)
        self.file_edit.setPlaceholderText("请选择 .xlsx、.xls 或 .csv 文件")
        self.file_edit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # read-only: the keyboard starts on 选择文件
        self.choose_button = QPushButton("选择文件(&O)…")
        self.choose_button.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.choose_button)
        self.template_button = QPushButton("下载模板(&T)…")
        self.template_button.setToolTip("保存所选类型的空白Excel模板：按模板填写后在这里导入")
        self.template_button.clicked.connect(lambda: self.download_template())
        file_row.addWidget(self.template_button)
        self.kind_combo = QComboBox()
        for key, title in IMPORT_KINDS.items():
            self.kind_combo.addItem(title, key)
        if kind in IMPORT_KINDS:
            self.kind_combo.setCurrentIndex(list(IMPORT_KINDS).index(kind))
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.sheet_combo = QComboBox()
        self.sheet_combo.setMinimumWidth(160)
        self.sheet_combo.setEnabled(False)
        self.sheet_combo.currentIndexChanged.connect(self._sheet_changed)
        self.table_label = QLabel("")
        self.table_label.setObjectName("tableLabel")
        choice_row = QHBoxLayout()
        choice_row.addWidget(self.kind_combo)
        choice_row.addSpacing(16)
        choice_row.addWidget(QLabel("工作表："))
        choice_row.addWidget(self.sheet_combo)
        choice_row.addSpacing(16)
        choice_row.addWidget(self.table_label, 1)
        top = QFormLayout()
        top.addRow("文件：", file_row)
        top.addRow("导入为：", choice_row)

        # -- mapping and preview ---------------------------------------------------------------------
        self.mapping_table = QTableWidget(0, 3)
        self.mapping_table.setHorizontalHeaderLabels(["表格中的列", "导入为", "示例内容"])
        self.mapping_table.verticalHeader().setVisible(False)
        self.mapping_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.mapping_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.mapping_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        mapping_box = QGroupBox("列的对应关系（可修改）")
        mapping_layout = QVBoxLayout(mapping_box)
        mapping_layout.addWidget(self.mapping_table)
        self.preview_table = QTableWidget(0, 0)
        self.preview_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table.setWordWrap(False)
        preview_box = QGroupBox(f"预览（前{PREVIEW_ROWS}行，左侧为表格中的行号，红色为有错误的行）")
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.addWidget(self.preview_table)
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(mapping_box)
        upper.addWidget(preview_box)
        upper.setStretchFactor(0, 2)
        upper.setStretchFactor(1, 3)

        # -- report --------------------------------------------------------------------------------
        self.summary_label = QLabel("请选择文件。")
        bold = QFont(self.summary_label.font())
        bold.setBold(True)
        self.summary_label.setFont(bold)
        self.summary_label.setWordWrap(True)
        self.update_radio = QRadioButton("更新已有记录（表中空白的格不覆盖原有内容）")
        self.skip_radio = QRadioButton("跳过")
        self.update_radio.setChecked(True)
        self.duplicate_group = QButtonGroup(self)
        self.duplicate_group.addButton(self.update_radio)
        self.duplicate_group.addButton(self.skip_radio)
        self.update_radio.toggled.connect(self._policy_changed)
        self.duplicate_label = QLabel("与已有记录相同的行：")
        duplicate_row = QHBoxLayout()
        duplicate_row.addWidget(self.duplicate_label)
        duplicate_row.addWidget(self.update_radio)
        duplicate_row.addWidget(self.skip_radio)
        duplicate_row.addStretch(1)
        self.report_table = QTableWidget(0, 3)
        self.report_table.setHorizontalHeaderLabels(["行", "类别", "说明"])
        self.report_table.verticalHeader().setVisible(False)
        self.report_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.report_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.report_table.setWordWrap(True)
        report_header = self.report_table.horizontalHeader()
        report_header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        report_header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        report_header.setStretchLastSection(True)
        report_box = QGroupBox("检查结果（尚未写入）")
        report_layout = QVBoxLayout(report_box)
        report_layout.addWidget(self.summary_label)
        report_layout.addLayout(duplicate_row)
        report_layout.addWidget(self.report_table)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(report_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        # -- buttons -------------------------------------------------------------------------------
        self.undo_button = QPushButton("撤销以前的导入…")
        self.undo_button.clicked.connect(self.show_batches)
        self.export_button = QPushButton("导出错误行…")
        self.export_button.setToolTip("把有错误的行连同“错误原因”列存为Excel，改正后可再次导入")
        self.export_button.clicked.connect(self.export_errors)
        self.import_button = QPushButton("导入")
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.start_import)
        close_button = QPushButton("关闭")
        close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.import_button)
        buttons.addWidget(close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)

        self._replan_timer = QTimer(self)
        self._replan_timer.setSingleShot(True)
        self._replan_timer.setInterval(250)
        self._replan_timer.timeout.connect(self.replan)
        self._update_buttons()
        self.choose_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def download_template(self, path: str | None = None) -> Path | None:
        """Save the blank template of the chosen kind (导入 → 下载模板)."""
        from models.importer import IMPORT_KINDS, TEMPLATE_SHEETS, write_template
        from ui.settings_store import preferences

        prefs = preferences()
        kind = self.kind
        if path is None:
            suggested = str(Path(prefs.last_folder(TEMPLATE_FOLDER_KEY)) / f"{TEMPLATE_SHEETS[kind]}导入模板.xlsx")
            path, _filter = QFileDialog.getSaveFileName(self, "保存导入模板", suggested, "Excel 文件 (*.xlsx)")
        if not path:
            return None
        target = Path(path) if Path(path).suffix.lower() == ".xlsx" else Path(path + ".xlsx")
        try:
            written = write_template(kind, target, self.store)
        except OSError as exc:
            msgbox.warning(self, "无法保存模板", f"无法写入“{target}”：{exc.strerror or exc}")
            return None
        prefs.set_last_folder(TEMPLATE_FOLDER_KEY, str(written))
        msgbox.information(self, "已保存模板",
                           f"已保存{IMPORT_KINDS[kind]}导入模板：\n{written}\n\n"
                           "在第一个工作表中从第2行起每行填写一条记录（橙色列必填，“填写说明”表有各列的写法），"
                           "保存后在这里“选择文件”导入。")
        return written

    # -- state ---------------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return str(self.kind_combo.currentData())

    def mapping(self) -> dict[int, str]:
        """The mapping as the combos show it: column index → target key."""
        out: dict[int, str] = {}
        for row in range(self.mapping_table.rowCount()):
            combo = self.mapping_table.cellWidget(row, 1)
            if isinstance(combo, QComboBox) and combo.currentData():
                out[row] = str(combo.currentData())
        return out

    def _update_buttons(self) -> None:
        plan = self.plan
        self.import_button.setEnabled(bool(plan and plan.has_work))
        self.export_button.setEnabled(bool(plan and plan.errors))
        has_duplicates = bool(plan and plan.duplicates)
        for widget in (self.duplicate_label, self.update_radio, self.skip_radio):
            widget.setVisible(has_duplicates)

    # -- choosing the file, kind and sheet ------------------------------------------------------------

    def choose_file(self) -> None:
        from ui.settings_store import preferences

        prefs = preferences()
        path = _ask_open_path(self, prefs.last_folder(FOLDER_KEY))
        if not path:
            return
        prefs.set_last_folder(FOLDER_KEY, path)
        self.load_file(Path(path))

    def load_file(self, path: Path, sheet: str | None = None, *, quiet: bool = False) -> None:
        """Read ``path`` (the best-fitting sheet unless ``sheet``), propose a mapping and check.

        A file that cannot be read is explained in a message box, or only in the report when
        ``quiet`` (a re-read after the kind or sheet was changed).
        """
        from models.importer import read_table
        from ui.workers import run_in_background

        self.path = path
        self.file_edit.setText(str(path))
        kind = self.kind

        def work(progress: Any) -> Table:
            progress(0, 0, "正在读取文件……")
            return read_table(path, sheet=sheet, kind=kind)

        run_in_background(self, f"正在读取“{path.name}”……", work, on_done=self._table_loaded,
                          on_error=lambda exc: self._load_failed(exc, quiet), title="读取文件")

    def _load_failed(self, exc: BaseException, quiet: bool = False) -> None:
        from ui.msgbox import error_text

        self.table = None
        self.plan = None
        self._show_table()
        self._show_report()
        text, detail = error_text(exc)
        self.summary_label.setText(f"无法读取：{text}")
        if not quiet:
            msgbox.warning(self, "无法读取文件", text, detail)

    def _table_loaded(self, table: Table) -> None:
        self.table = table
        self._loading = True
        try:
            self.sheet_combo.clear()
            self.sheet_combo.addItems(table.sheets)
            self.sheet_combo.setEnabled(len(table.sheets) > 1)
            if table.sheet:
                self.sheet_combo.setCurrentText(table.sheet)
        finally:
            self._loading = False
        self._show_table()
        self.replan()

    def _kind_changed(self) -> None:
        if self.path is not None and not self._loading:
            self.load_file(self.path, self.table.sheet if self.table else None, quiet=True)

    def _sheet_changed(self) -> None:
        if self.path is not None and not self._loading and self.sheet_combo.currentText():
            self.load_file(self.path, self.sheet_combo.currentText(), quiet=True)

    # -- mapping and preview ------------------------------------------------------------------------

    def _show_table(self) -> None:
        from models.importer import propose_mapping, targets

        table = self.table
        self.mapping_table.setRowCount(0)
        self.preview_table.setRowCount(0)
        self.preview_table.setColumnCount(0)
        if table is None:
            self.table_label.setText("")
            return
        self.table_label.setText(f"表头在第{'、'.join(str(r) for r in table.header_rows)}行，"
                                 f"数据{len(table.rows)}行")
        proposal = propose_mapping(self.kind, table.headers, self.store)
        options = targets(self.kind, self.store)
        self.mapping_table.setRowCount(len(table.headers))
        for index, header in enumerate(table.headers):
            item = QTableWidgetItem(header)
            item.setToolTip(f"第{index + 1}列")
            self.mapping_table.setItem(index, 0, item)
            combo = QComboBox()
            combo.addItem(NOT_IMPORTED, None)
            for target in options:
                combo.addItem(target.label, target.key)
            chosen = proposal.get(index)
            if chosen:
                combo.setCurrentIndex(combo.findData(chosen))
            combo.currentIndexChanged.connect(self._mapping_changed)
            self.mapping_table.setCellWidget(index, 1, combo)
            samples = [_shown(values[index]) for _, values in table.rows[:6] if values[index] is not None][:3]
            self.mapping_table.setItem(index, 2, QTableWidgetItem("、".join(samples)))
        rows = table.preview(PREVIEW_ROWS)
        self.preview_table.setColumnCount(len(table.headers))
        self.preview_table.setRowCount(len(rows))
        self.preview_table.setVerticalHeaderLabels([str(n) for n, _ in rows])
        for r, (_number, values) in enumerate(rows):
            for c, value in enumerate(values):
                self.preview_table.setItem(r, c, QTableWidgetItem(_shown(value)))
        self._label_preview_columns()
        self.preview_table.resizeColumnsToContents()
        for c in range(self.preview_table.columnCount()):
            self.preview_table.setColumnWidth(c, min(self.preview_table.columnWidth(c), 220))

    def _label_preview_columns(self) -> None:
        from models.importer import targets

        if self.table is None:
            return
        labels = {t.key: t.label for t in targets(self.kind, self.store)}
        mapping = self.mapping()
        heads = []
        for index, header in enumerate(self.table.headers):
            key = mapping.get(index)
            heads.append(f"{header}\n→ {labels[key]}" if key else f"{header}\n（不导入）")
        self.preview_table.setHorizontalHeaderLabels(heads)

    def _mapping_changed(self) -> None:
        self._label_preview_columns()
        self._replan_timer.start()

    # -- checking -------------------------------------------------------------------------------------

    def replan(self) -> None:
        """Check every row with the current mapping (in the background; nothing is written)."""
        from models.importer import plan_import
        from ui.workers import run_in_background

        table = self.table
        if table is None:
            return
        kind, mapping = self.kind, self.mapping()
        policy = "update" if self.update_radio.isChecked() else "skip"

        def work(progress: Any, store: Store) -> ImportPlan:
            return plan_import(store, kind, table, mapping, on_duplicate=policy, progress=progress)

        run_in_background(self, "正在检查每一行……", work, on_done=self._plan_ready, store=self.store,
                          title="检查")

    def _plan_ready(self, plan: ImportPlan) -> None:
        self.plan = plan
        self._show_report()

    def _policy_changed(self) -> None:
        if self.plan is not None:
            self.plan = self.plan.with_policy("update" if self.update_radio.isChecked() else "skip")
            self._show_report()

    def _show_report(self) -> None:
        plan = self.plan
        self.report_table.setRowCount(0)
        self._update_buttons()
        if plan is None:
            self.summary_label.setText("请选择文件。" if self.table is None else "")
            return
        if plan.problems:
            self.summary_label.setText("无法导入：" + "；".join(plan.problems))
        else:
            self.summary_label.setText(plan.summary())
        lines: list[tuple[str, str, str, QColor | None]] = []
        for record in plan.errors:
            lines.append((_rows_text(record.rows), "错误", "；".join(record.issues), _ERROR_BG))
        for record in plan.warnings:
            lines.append((str(record.row), "提示", "；".join(record.warnings), _WARNING_BG))
        for number, reason in plan.table.skipped:
            lines.append((str(number), "忽略", reason, None))
        if plan.duplicates:
            action = "更新" if plan.on_duplicate == "update" else "跳过"
            for record in plan.duplicates:
                what = "内容相同，跳过" if record.action == "unchanged" else action
                lines.append((str(record.row), "已有", f"“{record.label}”已在名册中：{what}", None))
        shown = lines[:REPORT_LIMIT]
        self.report_table.setRowCount(len(shown) + (1 if len(lines) > REPORT_LIMIT else 0))
        for r, (row_text, category, message, background) in enumerate(shown):
            for c, text in enumerate((row_text, category, message)):
                item = QTableWidgetItem(text)
                if background is not None:
                    item.setBackground(QBrush(background))
                elif category == "忽略":
                    item.setForeground(QBrush(_SKIPPED_FG))
                self.report_table.setItem(r, c, item)
        if len(lines) > REPORT_LIMIT:
            self.report_table.setItem(len(shown), 2, QTableWidgetItem(
                f"……另有{len(lines) - REPORT_LIMIT}行未列出（可“导出错误行”查看全部错误）"))
        self.report_table.resizeRowsToContents()
        self._mark_preview_errors()

    def _mark_preview_errors(self) -> None:
        plan = self.plan
        bad = {n for record in plan.errors for n in record.rows} if plan else set()
        for r in range(self.preview_table.rowCount()):
            label = self.preview_table.verticalHeaderItem(r)
            number = int(label.text()) if label is not None and label.text().isdigit() else -1
            for c in range(self.preview_table.columnCount()):
                item = self.preview_table.item(r, c)
                if item is not None:
                    item.setBackground(QBrush(_ERROR_BG) if number in bad else QBrush())

    # -- actions ----------------------------------------------------------------------------------------

    def start_import(self) -> None:
        from models.importer import apply_import
        from ui.workers import run_in_background

        plan = self.plan
        if plan is None or not plan.has_work:
            return
        counts = plan.counts
        question = f"将新增 {counts['added']} 条、更新 {counts['updated']} 条{IMPORT_TITLE.get(plan.kind, '')}"
        if plan.kind == "people":
            question += f"（荣誉 {counts['honours']} 项）"
        if plan.errors:
            question += f"；有错误的 {counts['errors']} 行不导入"
        question += "。\n\n导入后可以用“撤销以前的导入”整批撤销。确定导入吗？"
        if not msgbox.confirm(self, "导入", question, "导入", "取消", default_yes=True):
            return

        def work(progress: Any, store: Store) -> int:
            return apply_import(store, plan, progress=progress)

        run_in_background(self, "正在导入……", work, on_done=self._imported, store=self.store, title="导入",
                          cancellable=True)

    def _imported(self, batch_id: int) -> None:
        self.changed = True
        plan = self.plan
        assert plan is not None
        counts = plan.counts
        msgbox.information(self, "导入完成", f"已导入：新增 {counts['added']} 条，更新 {counts['updated']} 条。"
                                               f"（批次 {batch_id}，可在“撤销以前的导入”中撤销）")
        self.replan()

    def export_errors(self) -> None:
        from models.importer import export_error_rows
        from ui.msgbox import error_text
        from ui.settings_store import preferences

        plan = self.plan
        if plan is None or not plan.errors:
            return
        prefs = preferences()
        suggested = str(Path(prefs.last_folder(ERRORS_FOLDER_KEY)) / f"{Path(plan.file_name).stem}_错误行.xlsx")
        path = _ask_save_path(self, suggested)
        if not path:
            return
        prefs.set_last_folder(ERRORS_FOLDER_KEY, path)
        try:
            count = export_error_rows(plan, Path(path))
        except Exception as exc:
            text, detail = error_text(exc)
            msgbox.critical(self, "导出失败", text, detail)
            return
        msgbox.information(self, "已导出", f"已把 {count} 行导出到“{path}”。\n在“错误原因”列的提示下改正后，可再次导入这个文件。")

    def show_batches(self) -> None:
        dialog = BatchesDialog(self.store, self)
        dialog.exec()
        if dialog.changed:
            self.changed = True
            if self.table is not None:
                self.replan()


IMPORT_TITLE = {"people": "人员", "studios": "个工作室", "trainings": "次培训", "competitions": "次竞赛"}


class BatchesDialog(QDialog):
    """Past imports, newest first; the selected one can be undone as a whole."""

    COLUMNS = ("时间", "导入为", "文件", "新增", "更新", "跳过", "错误", "状态")

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.changed = False
        self.setWindowTitle("撤销以前的导入")
        fit_size(self, 820, 360)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_button)
        note = QLabel("撤销会删除这次导入新增的记录，并把更新过的记录恢复为导入前的内容。"
                      "导入后又被修改过的记录不能撤销（会说明原因）。")
        note.setWordWrap(True)
        self.undo_button = QPushButton("撤销所选导入")
        self.undo_button.clicked.connect(self.undo_selected)
        box = QDialogButtonBox()
        box.addButton(self.undo_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = box.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        layout.addWidget(box)
        self.batches: list[dict[str, Any]] = []
        self.refresh()

    def refresh(self) -> None:
        from models.importer import list_batches

        self.batches = list_batches(self.store)
        self.table.setRowCount(len(self.batches))
        for r, b in enumerate(self.batches):
            state = f"已撤销（{b['undone_at'].replace('T', ' ')}）" if b["undone_at"] else "有效"
            values = (b["created_at"].replace("T", " "), b["kind_title"], b["file_name"], b["added"], b["updated"],
                      b["skipped"], b["errors"], state)
            for c, value in enumerate(values):
                item = QTableWidgetItem(str(value))
                if isinstance(value, int):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if b["undone_at"]:
                    item.setForeground(QBrush(_SKIPPED_FG))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        if self.batches:
            self.table.selectRow(0)
        self._update_button()

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        return self.batches[rows[0].row()] if rows else None

    def _update_button(self) -> None:
        batch = self.selected()
        self.undo_button.setEnabled(bool(batch and batch["can_undo"]))

    def undo_selected(self) -> None:
        from models.importer import undo_import

        batch = self.selected()
        if batch is None or not batch["can_undo"]:
            return
        question = (f"撤销{batch['created_at'].replace('T', ' ')}导入的“{batch['file_name']}”？\n"
                    f"将删除新增的 {batch['added']} 条，恢复更新过的 {batch['updated']} 条。")
        if not msgbox.confirm(self, "撤销导入", question, "撤销", "取消"):
            return
        try:
            result = undo_import(self.store, int(batch["id"]))
        except UserError as exc:
            msgbox.show_error(self, "不能撤销", exc)
            return
        self.changed = True
        msgbox.information(self, "已撤销", f"已删除 {result.removed} 条，恢复 {result.restored} 条。")
        self.refresh()


def _shown(value: Any) -> str:
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.15g}"
    return str(value).replace("\n", " ")


def _rows_text(rows: list[int]) -> str:
    return str(rows[0]) if len(rows) == 1 else f"{rows[0]}–{rows[-1]}" if rows == list(
        range(rows[0], rows[-1] + 1)) else "、".join(str(r) for r in rows)


def run_import_dialog(parent: QWidget | None, store: Store, kind: str | None = None) -> bool:
    """Open the import dialog (modal); ``True`` when records were imported or an import was undone."""
    dialog = ImportDialog(store, kind, parent)
    dialog.exec()
    return dialog.changed
