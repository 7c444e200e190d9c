"""目标完成情况 page: progress against the plan's targets, from the unit's finalised annual returns.

Every level has it: a county reads its own finalised returns, a prefecture or the province its
consolidated ones, and can open each indicator's contributing units (各单位情况, Enter on a row).
The chart is drawn with QPainter from :func:`models.progress_report.chart_series`, the numbers the PDF
and Excel charts are drawn from. Everything is computed by ``models.progress``; the page only shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from forms.plans import decimal_text, formula_text
from models import plans as plans_mod
from models import progress as progress_mod
from models.progress import MISSING, IndicatorProgress, ProgressReport, percent
from ui import msgbox
from ui.screen import fit_size

if TYPE_CHECKING:
    from forms.plans import Plan
    from models.db import Store
    from models.signing.provider import Signer

BEHIND_COLOR = QColor("#B42318")
MISSING_COLOR = QColor("#B42318")
BAR_COLOR = QColor("#3A6EA5")
TARGET_COLOR = QColor("#D9822B")
FOLDER_KEY = "progress_export"
COLUMNS = ("专栏", "指标", "目标", "完成", "完成率", "时间进度", "状态")


def choose_folder(parent: QWidget | None) -> str | None:
    """The folder to export the report into (module-level so tests can replace it)."""
    from ui.settings_store import preferences

    prefs = preferences()
    start = str(prefs.value(f"folders/{FOLDER_KEY}", "") or "")
    folder = QFileDialog.getExistingDirectory(parent, "导出规划目标完成情况报告到", start)
    if folder:
        prefs.set_value(f"folders/{FOLDER_KEY}", folder)
    return folder or None


def ask_signer(parent: QWidget | None, store: Store, purpose: str) -> Signer | None:
    """The unit's signer (passphrase dialog), or None when the user cancels; module-level so tests can replace it."""
    from models.signing import keys

    if keys.active_key(store) is None:
        return None
    from ui.keys_dialog import ask_signer as ask

    return ask(parent, store, purpose)


class ChartWidget(QWidget):
    """One indicator over the plan's years: bars (running total for cumulative ones), the target dashed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item: IndicatorProgress | None = None
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("逐年图")

    def show_item(self, item: IndicatorProgress | None) -> None:
        self.item = item
        if item is not None:
            from models.progress_report import chart_series

            bars, target, caption = chart_series(item)
            self.setAccessibleDescription(f"{item.indicator.name}{caption}：" + "，".join(
                f"{b.year}年 {b.label}" for b in bars) + f"；目标 {decimal_text(target)}")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        from models.progress_report import chart_series

        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.fillRect(self.rect(), QColor("#FFFFFF"))
            if self.item is None:
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "请在上面选择一个指标")
                return
            bars, target, caption = chart_series(self.item)
            font = QFont(self.font())
            painter.setFont(font)
            metrics = painter.fontMetrics()
            line = metrics.height()
            title = f"{self.item.indicator.name}（{self.item.indicator.unit}）　{caption}，目标 {decimal_text(target)}"
            painter.setPen(QColor("#1F2D3D"))
            painter.drawText(QRectF(8, 4, self.width() - 16, line), Qt.AlignmentFlag.AlignLeft, title)
            left, right, top, bottom = 44.0, 12.0, 8.0 + 2.2 * line, float(self.height()) - line - 8
            plot_w, plot_h = self.width() - left - right, bottom - top
            if plot_h < 10 or plot_w < 10:
                return
            values = [b.value for b in bars if b.value is not None]
            peak = float(max([*values, target or 0, 1]))
            painter.setPen(QPen(QColor("#777777"), 1))
            painter.drawLine(QPointF(left, bottom), QPointF(left + plot_w, bottom))
            slot = plot_w / max(len(bars), 1)
            for i, bar in enumerate(bars):
                x = left + i * slot
                painter.setPen(QColor("#3D4C63"))
                painter.drawText(QRectF(x, bottom + 2, slot, line), Qt.AlignmentFlag.AlignCenter, f"{bar.year}年")
                if bar.value is None:
                    painter.setPen(MISSING_COLOR if bar.label == MISSING else QColor("#888888"))
                    painter.drawText(QRectF(x, bottom - line - 2, slot, line), Qt.AlignmentFlag.AlignCenter, bar.label)
                    continue
                h = float(bar.value) / peak * plot_h
                rect = QRectF(x + slot * 0.2, bottom - h, slot * 0.6, h)
                painter.fillRect(rect, BAR_COLOR)
                painter.setPen(QColor("#1F2D3D"))
                painter.drawText(QRectF(x, bottom - h - line - 1, slot, line), Qt.AlignmentFlag.AlignCenter, bar.label)
            if target:
                y = bottom - float(target) / peak * plot_h
                pen = QPen(TARGET_COLOR, 1.5, Qt.PenStyle.DashLine)
                painter.setPen(pen)
                painter.drawLine(QPointF(left, y), QPointF(left + plot_w, y))
                painter.drawText(QRectF(0, y - line / 2, left - 4, line), Qt.AlignmentFlag.AlignRight, "目标")
        finally:
            painter.end()


def _item(text: str, *, align_right: bool = False, color: QColor | None = None, bold: bool = False) -> QTableWidgetItem:
    cell = QTableWidgetItem(text)
    cell.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
    if align_right:
        cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if color is not None:
        cell.setForeground(QBrush(color))
    if bold:
        font = QFont()
        font.setBold(True)
        cell.setFont(font)
    return cell


def value_text(item: IndicatorProgress) -> str:
    return MISSING if item.value is None else f"{decimal_text(item.value)}（{item.value_basis}）"


class ProgressPage(QWidget):
    data_changed = Signal()
    message = Signal(str)

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.report: ProgressReport | None = None
        self.plans: list[Plan] = []
        self._build()
        self.refresh()

    # -- layout -----------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 14, 20, 10)
        title = QLabel("目标完成情况")
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        self.summary = QLabel()
        self.summary.setObjectName("pageHint")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)

        bar = QHBoxLayout()
        plan_label = QLabel("规划(&G)：")
        self.plan_combo = QComboBox()
        self.plan_combo.setAccessibleName("规划")
        self.plan_combo.setMinimumContentsLength(12)
        self.plan_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        plan_label.setBuddy(self.plan_combo)
        year_label = QLabel("截至(&Y)：")
        self.year_combo = QComboBox()
        self.year_combo.setAccessibleName("统计截至年度")
        year_label.setBuddy(self.year_combo)
        self.units_button = QPushButton("各单位情况(&U)…")
        self.units_button.setToolTip("选中的指标由哪些下级单位构成（也可在表中按回车）")
        self.export_button = QPushButton("导出报告(&E)…")
        self.export_button.setObjectName("primaryButton")
        self.export_button.setToolTip("导出签名的 PDF 报告和 Excel 报告（可直接导出到U盘）")
        bar.addWidget(plan_label)
        bar.addWidget(self.plan_combo, 1)  # the plan's long title gets the room there is
        bar.addWidget(year_label)
        bar.addWidget(self.year_combo)
        bar.addWidget(self.units_button)
        bar.addWidget(self.export_button)

        layout.addLayout(bar)

        self.tabs = QTabWidget()
        counted = QWidget()
        counted_layout = QVBoxLayout(counted)
        counted_layout.setContentsMargins(0, 6, 0, 0)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setAccessibleName("各指标完成情况")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.installEventFilter(self)
        splitter.addWidget(self.table)
        detail = QWidget()
        detail_layout = QHBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        self.chart = ChartWidget()
        self.detail = QTextBrowser()
        self.detail.setAccessibleName("指标口径和出处")
        self.detail.setOpenLinks(False)
        self.detail.setMinimumWidth(180)
        detail_layout.addWidget(self.chart, 3)
        detail_layout.addWidget(self.detail, 2)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        counted_layout.addWidget(splitter)
        self.tabs.addTab(counted, "计入统计的指标")

        self.not_counted = QTableWidget(0, 4)
        self.not_counted.setHorizontalHeaderLabels(["专栏", "指标", "目标", "本报表未统计的原因"])
        self.not_counted.setAccessibleName("本报表未统计的指标")
        self.not_counted.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.not_counted.setWordWrap(True)
        self.not_counted.verticalHeader().setVisible(False)
        nheader = self.not_counted.horizontalHeader()
        nheader.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        nheader.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.tabs.addTab(self.not_counted, "本报表未统计的指标")
        self.plans_button = QPushButton("规划目标(&L)…")  # beside the tabs: the bar above has no room at 910 px
        self.plans_button.setToolTip("安装省总工会签发的规划目标（省总工会在此签发，州市在此导出转交下级）")
        self.tabs.setCornerWidget(self.plans_button, Qt.Corner.TopRightCorner)
        layout.addWidget(self.tabs, 1)

        self.plan_combo.currentIndexChanged.connect(self._plan_changed)
        self.year_combo.currentIndexChanged.connect(lambda _i: self._load())
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.open_units())
        self.units_button.clicked.connect(self.open_units)
        self.export_button.clicked.connect(self.export_report)
        self.plans_button.clicked.connect(lambda: self.open_plans())
        self.setFocusProxy(self.table)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.open_units()
                return True
        return super().eventFilter(watched, event)

    # -- data -------------------------------------------------------------------------------------

    def refresh(self) -> None:
        current = self.plan_combo.currentData()
        self.plans = [p.plan for p in plans_mod.installed(self.store)]
        default = plans_mod.current_plan(self.store)
        self.plan_combo.blockSignals(True)
        self.plan_combo.clear()
        for plan in self.plans:
            self.plan_combo.addItem(plan.label, plan.digest)
        wanted = current or default.digest
        self.plan_combo.setCurrentIndex(max(0, self.plan_combo.findData(wanted)))
        self.plan_combo.blockSignals(False)
        self._fill_years(keep=True)
        self._load()

    def selected_plan(self) -> Plan:
        digest = self.plan_combo.currentData()
        return next((p for p in self.plans if p.digest == digest), self.plans[0])

    def _plan_changed(self, _index: int) -> None:
        self._fill_years(keep=False)
        self._load()

    def _fill_years(self, *, keep: bool) -> None:
        plan = self.selected_plan()
        previous = self.year_combo.currentData() if keep else None
        returns = progress_mod.own_year_returns(self.store, self._unit_code(), plan.years)
        default = progress_mod.default_as_of(plan, list(returns))
        self.year_combo.blockSignals(True)
        self.year_combo.clear()
        for year in plan.years:
            self.year_combo.addItem(f"{year}年", year)
        index = self.year_combo.findData(previous if previous in plan.years else default)
        self.year_combo.setCurrentIndex(max(0, index))
        self.year_combo.blockSignals(False)

    def _unit_code(self) -> str:
        from models import unit

        current = unit.load(self.store)
        if current is None:
            from models.db import RecordError

            raise RecordError("尚未设置本单位")
        return current.code

    def _load(self) -> None:
        plan = self.selected_plan()
        row = self.table.currentRow()
        self.report = progress_mod.build_report(self.store, plan, as_of=self.year_combo.currentData())
        report = self.report
        missing = "、".join(str(y) for y in report.missing_years)
        source = "本单位汇总后定稿的年报" if report.consolidating else "本单位定稿的年报"
        behind = len(report.behind)
        self.summary.setText(
            f"{plan.label}。截至{report.as_of}年：{report.elapsed_text()}；数据来自{source}"
            + (f"；<b style='color:#B42318'>缺报：{missing}年</b>（不按0计）" if missing else "")
            + (f"；<b style='color:#B42318'>{behind}项指标落后于时间进度</b>" if behind else "")
            + (f"。汇总的下级单位：{report.coverage_text()}" if report.consolidating else "") + "。")
        self.table.setRowCount(len(report.items))
        for r, item in enumerate(report.items):
            ind = item.indicator
            color = BEHIND_COLOR if item.behind or item.value is None else None
            target = decimal_text(item.target) if item.target is not None else (
                f"未下达（省级{decimal_text(ind.target)}）" if report.unit_level != "province" else "—")
            cells = [_item(ind.section.split(" ")[0]), _item(f"{ind.name}（{ind.unit}）"),
                     _item(target, align_right=True), _item(value_text(item), align_right=True, color=color),
                     _item(percent(item.share), align_right=True), _item(percent(item.expected), align_right=True),
                     _item(f"▲{item.status}" if item.behind else item.status, color=color, bold=item.behind)]
            for c, cell in enumerate(cells):
                self.table.setItem(r, c, cell)
        self.not_counted.setRowCount(len(plan.not_counted))
        for r, ind in enumerate(plan.not_counted):
            for c, text in enumerate((ind.section, ind.name, f"{decimal_text(ind.target)}{ind.unit}"
                                      if ind.target is not None else "—", ind.note)):
                self.not_counted.setItem(r, c, _item(text))
        self.not_counted.resizeRowsToContents()
        self.tabs.setTabText(1, f"本报表未统计的指标（{len(plan.not_counted)}）")
        self.units_button.setEnabled(report.consolidating)
        if report.items:
            self.table.selectRow(min(max(row, 0), len(report.items) - 1))
        self._selection_changed()

    def current_item(self) -> IndicatorProgress | None:
        row = self.table.currentRow()
        if self.report is None or not 0 <= row < len(self.report.items):
            return None
        return self.report.items[row]

    def _selection_changed(self) -> None:
        item = self.current_item()
        self.chart.show_item(item)
        if item is None:
            self.detail.setHtml("")
            return
        ind = item.indicator
        remarks = "".join(f"<p style='color:#B42318'>{r}</p>" for r in item.remarks)
        years = "，".join(f"{y.year}年 {y.text}" for y in item.years)
        self.detail.setHtml(
            f"<p><b>{ind.name}</b>：{formula_text(ind)}</p>{remarks}<p>逐年：{years}</p>"
            f"<p style='color:#66758a'>{ind.note}</p><p style='color:#66758a'>出处（{ind.section}）：{ind.quote}</p>")

    # -- actions ----------------------------------------------------------------------------------

    def open_plans(self) -> None:
        """规划目标: install (sign, pass down) a plan; the list of plans reloads when one was installed."""
        from ui.plans_dialog import open_plans_dialog

        if open_plans_dialog(self.store, self):
            self.refresh()

    def open_units(self) -> ProgressUnitsDialog | None:
        item = self.current_item()
        if self.report is None or item is None:
            return None
        if not self.report.consolidating:
            msgbox.information(self, "各单位情况", "本单位没有汇总下级单位的年报，没有可查看的下级单位。")
            return None
        parts = progress_mod.drill_down(self.store, self.report, item.indicator.key)
        dialog = ProgressUnitsDialog(self.report, item, parts, self)
        dialog.open()
        return dialog

    def export_report(self, folder: str | None = None) -> list[Path]:
        """Export the PDF and the Excel report of what is shown (both signed when the unit has a key)."""
        from models.progress_report import export_report
        from ui.workers import run_in_background

        if self.report is None:
            return []
        target = folder or choose_folder(self)
        if not target:
            return []
        from models.signing import keys

        signer = None
        if keys.active_key(self.store) is not None:
            signer = ask_signer(self, self.store, "签名规划目标完成情况报告")
            if signer is None:
                return []
        plan, year = self.selected_plan(), self.report.as_of
        written: list[Path] = []

        def work(progress: Any, store: Store) -> list[Path]:
            progress(0, 2, "正在生成报告……")
            report = progress_mod.build_report(store, plan, as_of=year)
            return export_report(report, target, signer=signer, units=progress_mod.all_units(store, report))

        def done(paths: Sequence[Path]) -> None:
            written.extend(paths)
            names = "\n".join(str(p) for p in paths)
            signed = "PDF 和 Excel 报告都已用本单位密钥签名。" if signer is not None else "本单位尚未创建密钥，报告未签名。"
            msgbox.information(self, "已导出", f"已导出规划目标完成情况报告：\n{names}\n{signed}")
            self.message.emit(f"已导出规划目标完成情况报告到 {target}")

        def failed(exc: BaseException) -> None:
            msgbox.show_error(self, "导出失败", exc)

        run_in_background(self, "正在导出规划目标完成情况报告……", work, done, failed, store=self.store)
        return written


class ProgressUnitsDialog(QDialog):
    """One indicator, unit by unit and year by year (the units summed in the consolidated returns)."""

    def __init__(self, report: ProgressReport, item: IndicatorProgress, parts: Sequence[progress_mod.UnitPart],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ind = item.indicator
        self.setWindowTitle(f"各单位情况 — {ind.name}")
        layout = QVBoxLayout(self)
        head = QLabel(f"<b>{ind.name}</b>（{ind.unit}，{ind.measure_label}）：截至{report.as_of}年，"
                      f"本单位{value_text(item)}。各单位的数取自其报来并被汇总的年报；本级直属单位为汇总数减去各下级单位之和。"
                      "“缺报”为该年没有报来（或未被汇总）的年报，不按0计。")
        head.setWordWrap(True)
        layout.addWidget(head)
        years = report.plan.years
        columns = ["单位", *[f"{y}年" for y in years], "完成", "目标", "完成率", "状态"]
        self.table = QTableWidget(len(parts), len(columns))
        self.table.setHorizontalHeaderLabels(columns)
        self.table.setAccessibleName("各单位情况")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        for r, part in enumerate(parts):
            p = part.progress
            name = part.name + ("（本级）" if part.role == "own" and not part.name.endswith("）") else "")
            cells = [_item(name)]
            for y in p.years:
                cells.append(_item(y.text, align_right=True, color=MISSING_COLOR if y.status == MISSING else None))
            cells += [_item(MISSING if p.value is None else decimal_text(p.value), align_right=True),
                      _item(decimal_text(p.target) if p.target is not None else "—", align_right=True),
                      _item(percent(p.share), align_right=True),
                      _item(p.status, color=BEHIND_COLOR if p.behind else None)]
            for c, cell in enumerate(cells):
                self.table.setItem(r, c, cell)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        fit_size(self, 860, 560)
        self.table.setFocus()
