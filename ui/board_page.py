"""上报情况 page: receive subordinates' returns from a USB stick, see who has reported, 退回 with a
reason, write 回执, go to the consolidated return (汇总), print the board.

Shown for every unit. A prefecture or the province sees its board; a county or an industry union
has no subordinates, so the page says so and only offers “打开回执” (to read the 回执 its superior
wrote for its own returns). Every action calls the core (``models.receiving``, ``models.board``,
``models.receipts``); dialogs only display what they are given.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from common.errors import UserError
from forms.periods import Period, parse_period
from models import board as board_mod
from ui import msgbox
from ui.screen import fit_size
from ui.settings_store import current_period, preferences, set_current_period

if TYPE_CHECKING:
    from models.board import Board, Entry
    from models.db import Store
    from models.receipts import OpenedReceipt
    from models.receiving import Received, ReceiveResult
    from models.signing.provider import Signer

STATE_COLORS = {
    board_mod.REPORTED: QColor("#1B5E20"), board_mod.MISSING: QColor("#B71C1C"), board_mod.INVALID: QColor("#B71C1C"),
    board_mod.UNREGISTERED_STATE: QColor("#B26A00"), board_mod.RETURNED: QColor("#6A1B9A"),
}
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
FOLDER_RECEIVE = "board_receive"
FOLDER_RECEIPTS = "board_receipts"
FOLDER_OPEN_RECEIPT = "board_open_receipt"


def ensure_key(parent: QWidget | None, store: Store, purpose: str) -> bool:
    """The unit has a key, or the user created one now (module-level so tests can replace it)."""
    from ui.keys_dialog import ensure_key as ensure

    return ensure(parent, store, purpose)


def ask_signer(parent: QWidget | None, store: Store, purpose: str) -> Signer | None:
    """The unit's signer (passphrase dialog); module-level so tests can replace it."""
    from ui.keys_dialog import ask_signer as ask

    return ask(parent, store, purpose)


# ------------------------------------------------------------------------------------------------
# The board as a table model


class BoardModel(QAbstractTableModel):
    """One row per subordinate: a thin read-only model over :class:`models.board.Board`."""

    UNIT, CODE, STATE, VERSION, DATE, RECEIVED, SIGNER, NOTE = range(8)
    HEADERS = ("单位", "代码", "状态", "版本", "报出日期", "收到时间", "签名单位", "说明")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[Entry] = []
        self.changes: dict[str, str] = {}  # unit code → what its newest version changed (version 2 on)

    def set_board(self, board: Board | None) -> None:
        self.beginResetModel()
        self.entries = list(board.entries) if board is not None else []
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def text(self, entry: Entry, column: int) -> str:
        if column == self.UNIT:
            return entry.unit.name
        if column == self.CODE:
            return entry.unit.code
        if column == self.STATE:
            return entry.state_label
        if column == self.VERSION:
            return f"第{entry.version}版" if entry.version else ""
        if column == self.DATE:
            return entry.date
        if column == self.RECEIVED:
            return entry.received_at
        if column == self.SIGNER:
            return entry.signer
        return "；".join(x for x in (self.changes.get(entry.unit.code, ""), entry.detail, entry.remark) if x)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self.entries[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.text(entry, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == self.STATE:
            return QBrush(STATE_COLORS[entry.state])
        if role == Qt.ItemDataRole.FontRole and column == self.STATE:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.CODE, self.STATE, self.VERSION, self.DATE):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == ENTRY_ROLE:
            return entry
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None


# ------------------------------------------------------------------------------------------------
# Dialogs


def _common_folder(paths: list[Path]) -> Path | None:
    import os

    try:
        return Path(os.path.commonpath([str(p.parent) for p in paths])) if paths else None
    except ValueError:  # different drives
        return None


def _shown_path(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


def _registration_file(path: Path) -> str:
    """“公钥登记表” or “签名证书” for the files a unit hands over to register its key; "" otherwise."""
    for word in ("公钥登记表", "签名证书"):
        if word in path.stem:
            return word
    return ""


class ReceiveResultsDialog(QDialog):
    """What receiving did, one line per file, the failures in red."""

    def __init__(self, results: list[ReceiveResult], summary: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("接收结果")
        label = QLabel(summary)
        label.setWordWrap(True)
        self.list = QTableWidget(len(results), 3)
        self.list.setObjectName("results")
        self.list.setHorizontalHeaderLabels(["文件", "结果", "说明"])
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.verticalHeader().hide()
        self.list.setWordWrap(True)
        root = _common_folder([r.path for r in results])
        for i, result in enumerate(results):
            # Two files of the same name in different folders must look different: show the path below the
            # chosen folder, the full path in the tooltip.
            name = QTableWidgetItem(_shown_path(result.path, root))
            name.setToolTip(str(result.path))
            self.list.setItem(i, 0, name)
            form = _registration_file(result.path)
            if form:
                outcome = QTableWidgetItem(f"不是报表（{form}）")
                outcome.setForeground(QBrush(QColor("#455A64")))
                detail = "交来登记证书用：请在“文件 → 证书登记（下级、上级单位）…”中登记其证书文件（.cer），核对登记表上的指纹"
            else:
                outcome = QTableWidgetItem(f"{result.status_label}，{result.outcome_label}")
                outcome.setForeground(QBrush(QColor("#1B5E20") if result.ok else QColor("#B71C1C")))
                detail = "，".join(x for x in (result.describe_return(), result.note,
                                               "" if result.ok else result.reason) if x)
            self.list.setItem(i, 1, outcome)
            item = QTableWidgetItem(detail)
            item.setToolTip(detail)
            self.list.setItem(i, 2, item)
        self.list.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.list.resizeColumnToContents(0)
        self.list.setColumnWidth(1, 220)
        self.list.resizeRowsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        fit_size(self, 900, 420)


class HistoryDialog(QDialog):
    """Every file received from one unit for the period (older versions, failed files) and the 回执 written."""

    def __init__(self, title: str, rows: list[Received], issued: dict[int, list[dict[str, Any]]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"接收记录 — {title}")
        self.list = QTableWidget(len(rows), 6)
        self.list.setObjectName("history")
        self.list.setHorizontalHeaderLabels(["版本", "验证结果", "使用情况", "收到时间", "文件", "回执"])
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.verticalHeader().hide()
        for i, row in enumerate(rows):
            if row.returned_at:
                use = f"已退回：{row.return_reason or ''}"
            elif row.current:
                use = "正在使用"
            elif row.status == "valid":
                use = "已被新版本取代"
            else:
                use = "未采用"
            notes = "；".join(f"{'已接收' if r['decision'] == 'accepted' else '已退回'} "
                             f"{str(r['issued_at'])[:16].replace('T', ' ')}" for r in issued.get(row.id, []))
            for column, text in enumerate((f"第{row.version}版", row.status_label, use,
                                           row.received_at.replace("T", " "), row.file_name, notes)):
                item = QTableWidgetItem(text)
                item.setToolTip(row.reason if column == 1 else text)
                self.list.setItem(i, column, item)
        self.list.resizeColumnsToContents()
        self.list.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{title}：本期收到的全部文件（同一数据只记一次）。"))
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        fit_size(self, 860, 320)


class ReasonDialog(QDialog):
    """Ask for the written reason of a 退回."""

    def __init__(self, what: str, parent: QWidget | None = None, text: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("退回报表")
        intro = QLabel(f"退回：{what}\n请写明退回原因和修改要求，回执会写到所选文件夹（可为U盘），交对方用本程序打开。")
        intro.setWordWrap(True)
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("reason")
        self.reason.setPlaceholderText("如：表3培训经费合计与附件不符，请核实后重新定稿报送")
        self.reason.setPlainText(text)
        self.reason.setTabChangesFocus(True)  # Tab goes on to the buttons; the reason is short prose
        self.error = QLabel("")
        self.error.setStyleSheet("color: #B71C1C;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("退回并写回执")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        fit_size(self, 520, 300)

    def text(self) -> str:
        return self.reason.toPlainText().strip()

    def accept(self) -> None:
        if not self.text():
            self.error.setText("请填写退回原因")
            self.reason.setFocus()
            return
        super().accept()


class ReceiptDialog(QDialog):
    """Show an opened 回执: decision, reason, signature check, and how it matches this unit's versions."""

    def __init__(self, opened: OpenedReceipt, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("回执")
        receipt = opened.receipt
        head = QLabel()
        head.setObjectName("decision")
        if receipt is not None:
            color = "#6A1B9A" if receipt.decision == "returned" else "#1B5E20"
            head.setText(f"<span style='font-size:18px; color:{color}'><b>{receipt.decision_label}</b></span>")
        else:
            head.setText("<span style='font-size:18px; color:#B71C1C'><b>无法读取的回执</b></span>")
        self.body = QPlainTextEdit("\n".join(opened.lines()))
        self.body.setObjectName("body")
        self.body.setReadOnly(True)
        self.opened = opened
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        self.print_button = buttons.addButton("存为PDF打印(&P)…", QDialogButtonBox.ButtonRole.ActionRole)
        self.print_button.setEnabled(receipt is not None and opened.sound)
        self.print_button.clicked.connect(lambda: self.save_pdf())
        layout = QVBoxLayout(self)
        layout.addWidget(head)
        layout.addWidget(self.body)
        layout.addWidget(buttons)
        fit_size(self, 640, 380)

    def save_pdf(self, path: str | None = None) -> Path | None:
        """The receipt as a PDF page to print and file (next to the .json unless another place is chosen)."""
        from common.atomic_file import atomic_path
        from models.receipts import render_receipt_pdf

        receipt = self.opened.receipt
        if receipt is None:
            return None
        if path is None:
            suggested = str(self.opened.path.with_suffix(".pdf"))
            path, _filter = QFileDialog.getSaveFileName(self, "把回执存为PDF", suggested, "PDF 文件 (*.pdf)")
        if not path:
            return None
        target = Path(path) if Path(path).suffix.lower() == ".pdf" else Path(path + ".pdf")
        try:
            with atomic_path(target) as tmp:
                tmp.write_bytes(render_receipt_pdf(receipt))
        except OSError as exc:
            msgbox.warning(self, "无法存为PDF", f"无法写入“{target}”：{exc.strerror or exc}")
            return None
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(target))):
            msgbox.information(self, "已存为PDF", f"回执已存为：\n{target}\n可用PDF阅读器打开并打印。")
        return target


# ------------------------------------------------------------------------------------------------
# The page


class BoardPage(QWidget):
    data_changed = Signal()
    navigate = Signal(str)
    message = Signal(str)

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.board: Board | None = None
        self._loading = False
        self.reason_drafts: dict[int, str] = {}  # received-file id → the 退回 reason typed so far

        self.period_box = QComboBox()
        self.period_box.setObjectName("period")
        self.period_box.setMinimumWidth(180)
        self.receive_button = QToolButton()
        self.receive_button.setText("接收(&R)")
        self.receive_button.setObjectName("receive")
        self.receive_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        receive_menu = QMenu(self.receive_button)
        receive_menu.addAction("选择文件夹（U盘）……").triggered.connect(lambda: self.receive_folder())
        receive_menu.addAction("选择报表文件……").triggered.connect(lambda: self.receive_chosen_files())
        self.receive_button.setMenu(receive_menu)
        self.receive_button.clicked.connect(lambda: self.receive_folder())
        self.return_button = QPushButton("退回(&B)……")
        self.return_button.setObjectName("send_back")
        self.receipt_button = QToolButton()
        self.receipt_button.setText("写回执(&W)")
        self.receipt_button.setObjectName("write_receipts")
        self.receipt_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        receipt_menu = QMenu(self.receipt_button)
        self.receipt_selected_action = receipt_menu.addAction("为选中单位写回执……")
        self.receipt_selected_action.triggered.connect(lambda: self.write_receipts(selected_only=True))
        receipt_menu.addAction("为全部已报、已退回单位写回执……").triggered.connect(
            lambda: self.write_receipts(selected_only=False))
        self.receipt_button.setMenu(receipt_menu)
        self.consolidate_button = QPushButton("汇总(&C)")
        self.consolidate_button.setObjectName("consolidate")
        self.consolidate_button.setToolTip("转到“报表”页查看本期汇总数（本级数据加各下级最新有效报表），审核、定稿、签名导出")
        self.print_button = QPushButton("打印(&Y)……")
        self.print_button.setObjectName("print")
        self.open_receipt_button = QPushButton("打开回执(&O)……")
        self.open_receipt_button.setObjectName("open_receipt")

        self.period_label = QLabel("报告期")
        top = QHBoxLayout()
        top.addWidget(self.period_label)
        top.addWidget(self.period_box)
        top.addStretch(1)
        # The buttons get a line of their own so that they all fit a 1024-pixel screen.
        actions = QHBoxLayout()
        for button in (self.receive_button, self.return_button, self.receipt_button, self.consolidate_button,
                       self.print_button, self.open_receipt_button):
            actions.addWidget(button)
        actions.addStretch(1)

        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.counts = QLabel()
        self.counts.setObjectName("counts")
        self.model = BoardModel(self)
        self.table = QTableView()
        self.table.setObjectName("board")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(BoardModel.NOTE, QHeaderView.ResizeMode.Stretch)
        for column, width in ((BoardModel.UNIT, 250), (BoardModel.CODE, 70), (BoardModel.STATE, 70),
                              (BoardModel.VERSION, 60), (BoardModel.DATE, 90), (BoardModel.RECEIVED, 140),
                              (BoardModel.SIGNER, 230)):
            self.table.setColumnWidth(column, width)
        self.no_subordinates = QLabel()
        self.no_subordinates.setObjectName("no_subordinates")
        self.no_subordinates.setWordWrap(True)
        self.no_subordinates.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.no_subordinates.setStyleSheet("font-size: 14px; padding: 24px;")

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(actions)
        layout.addWidget(self.summary)
        layout.addWidget(self.counts)
        layout.addWidget(self.table, 1)
        self.change_label = QLabel()  # what the selected unit's new version changed (version 2 on)
        self.change_label.setObjectName("change")
        self.change_label.setWordWrap(True)
        self.change_label.setStyleSheet("color: #8a4b00; font-weight: bold;")
        self.change_label.hide()
        layout.addWidget(self.change_label)
        layout.addWidget(self.no_subordinates, 1)

        self.period_box.currentIndexChanged.connect(self._period_chosen)
        self.return_button.clicked.connect(lambda: self.send_back())
        self.consolidate_button.clicked.connect(self.go_consolidate)
        self.print_button.clicked.connect(self.print_board)
        self.open_receipt_button.clicked.connect(lambda: self.open_receipt())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.table.doubleClicked.connect(lambda _index: self.open_return())
        self.table.installEventFilter(self)  # Enter opens the selected unit's return
        self.table.setToolTip("双击一行或按回车：查看该单位报来的报表（封面、各表、名册、审核和说明、签名、与上一版比较）")
        self.refresh()

    # -- state -------------------------------------------------------------------------------

    @property
    def period(self) -> Period:
        data = self.period_box.currentData()
        return parse_period(data) if data else current_period(self.store)

    def has_subordinates(self) -> bool:
        return board_mod.has_subordinates(self.store)

    def _period_options(self) -> list[Period]:
        from models.receiving import periods
        from ui.home_page import period_choices

        options = period_choices()
        for code in periods(self.store):
            period = parse_period(code)
            if period not in options:
                options.append(period)
        return sorted(options, key=lambda p: (-p.year, p.part))

    def refresh(self) -> None:
        """Re-check the stored signatures against the registry and show the board of the chosen period."""
        from models import receiving

        self._loading = True
        try:
            chosen = current_period(self.store)
            self.period_box.clear()
            for period in self._period_options():
                self.period_box.addItem(f"{period.label}（{period.kind_label}）", period.code)
            index = self.period_box.findData(chosen.code)
            if index < 0:
                self.period_box.addItem(f"{chosen.label}（{chosen.kind_label}）", chosen.code)
                index = self.period_box.count() - 1
            self.period_box.setCurrentIndex(index)
        finally:
            self._loading = False
        if self.has_subordinates() and receiving.recheck(self.store, self.period.code):
            self.data_changed.emit()
        self._load()

    def _period_chosen(self, _index: int) -> None:
        if self._loading:
            return
        set_current_period(self.store, self.period)
        self._load()
        self.data_changed.emit()

    def _load(self) -> None:
        from models import unit

        own = unit.load(self.store)
        subordinate = self.has_subordinates()
        for widget in (self.table, self.summary, self.counts, self.period_label, self.period_box):
            widget.setVisible(subordinate)
        for button in (self.receive_button, self.return_button, self.receipt_button, self.consolidate_button,
                       self.print_button):
            button.setVisible(subordinate)
        self.no_subordinates.setVisible(not subordinate)
        if not subordinate:
            self.board = None
            self.model.set_board(None)
            level = own.level_label if own is not None else "尚未设置"
            self.no_subordinates.setText(
                f"本单位（{level}）没有下级单位，不需要接收和汇总报表。\n\n"
                "上级单位接收或退回本单位的报表后，会写一份“回执”文件交回本单位（通常在U盘上）。"
                "点击右上角“打开回执”可查看上级单位是否已接收本单位报表，或退回的原因。")
            return
        self.board = board_mod.build_board(self.store, self.period)
        selected = self.selected_entry()
        from models.diff import board_changes

        newer = [e.unit.code for e in self.board.entries if (e.version or 0) > 1]
        self.model.changes = {code: d.summary() for code, d in board_changes(self.store, self.period, newer).items()}
        self.model.set_board(self.board)
        self.summary.setText(f"{self.period.label}{self.period.kind_label}：{self.board.summary()}")
        self.counts.setText("　".join(f"{board_mod.STATE_LABELS[s]}：{n}" for s, n in self.board.counts.items()))
        if selected is not None:
            for row, entry in enumerate(self.model.entries):
                if entry.unit.code == selected.unit.code:
                    self.table.selectRow(row)
        self._update_buttons()

    def selected_entry(self) -> Entry | None:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= len(self.model.entries):
            return None
        return self.model.entries[index.row()]

    def select_unit(self, code: str) -> None:
        for row, entry in enumerate(self.model.entries):
            if entry.unit.code == code:
                self.table.selectRow(row)
                return

    def _update_buttons(self) -> None:
        entry = self.selected_entry()
        change = self.model.changes.get(entry.unit.code, "") if entry is not None else ""
        self.change_label.setText(f"{entry.unit.name}第{entry.version}版{change}（按回车查看报表和逐项变化）"
                                  if entry is not None and change else "")
        self.change_label.setVisible(bool(change))
        self.return_button.setEnabled(entry is not None and entry.current is not None
                                      and entry.state != board_mod.RETURNED)
        self.receipt_selected_action.setEnabled(entry is not None
                                                and entry.state in (board_mod.REPORTED, board_mod.RETURNED))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.table and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            self.open_return()
            return True
        return super().eventFilter(watched, event)

    def open_return(self) -> None:
        """The selected unit's current return, read-only (no return yet: the files received)."""
        from ui.received_return_dialog import open_received_return

        entry = self.selected_entry()
        if entry is None:
            return
        if entry.current is None or entry.version is None:
            self.show_history()
            return
        open_received_return(self, self.store, entry.current.id, self.show_history)

    def show_history(self) -> None:
        """The files received from the selected unit for this period."""
        from models import receipts, receiving

        entry = self.selected_entry()
        if entry is None:
            return
        rows = receiving.received(self.store, self.period.code, entry.unit.code)
        if not rows:
            msgbox.information(self, "接收记录", f"{entry.unit.name}{self.period.label}尚未报送。")
            return
        dialog = HistoryDialog(entry.unit.name, rows, {r.id: receipts.issued(self.store, r.id) for r in rows}, self)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()

    # -- receiving -----------------------------------------------------------------------------

    def receive_folder(self, folder: str | None = None) -> None:
        prefs = preferences()
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "选择下级单位报表所在的文件夹（可选U盘）",
                                                      prefs.last_folder(FOLDER_RECEIVE))
        if not folder:
            return
        prefs.set_last_folder(FOLDER_RECEIVE, folder)
        self.receive([Path(folder)])

    def receive_chosen_files(self, files: list[str] | None = None) -> None:
        prefs = preferences()
        if files is None:
            files, _filter = QFileDialog.getOpenFileNames(self, "选择下级单位的报表文件", prefs.last_folder(FOLDER_RECEIVE),
                                                          "报表文件 (*.xlsx *.pdf);;所有文件 (*)")
        if not files:
            return
        prefs.set_last_folder(FOLDER_RECEIVE, files[0])
        self.receive([Path(f) for f in files])

    def receive(self, paths: list[Path]) -> None:
        """Receive ``paths`` off the UI thread, with progress; then show what happened to each file."""
        from ui.workers import run_in_background

        said: list[str] = []  # helper processes that could not run (the files were verified here instead)

        def work(progress: Any, store: Store) -> list[ReceiveResult]:
            from models.receiving import receive_files

            return receive_files(store, paths, progress=progress, warn=said.append)

        def done(results: list[ReceiveResult]) -> None:
            from models.receiving import summary_text

            self._load()
            self.data_changed.emit()
            if not results:
                msgbox.information(self, "接收结果", "所选位置没有找到报表文件（.xlsx）。")
                return
            summary = summary_text(results)
            self.message.emit(summary)
            dialog = ReceiveResultsDialog(results, "\n".join([summary, *said]), self)
            try:
                dialog.exec()
            finally:
                dialog.deleteLater()

        run_in_background(self, "正在接收并验证报表……", work, on_done=done, store=self.store, title="接收报表")

    # -- 退回 and 回执 --------------------------------------------------------------------------

    def _receipt_folder(self, folder: str | None) -> str | None:
        prefs = preferences()
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "选择回执保存到的文件夹（可选U盘）",
                                                      prefs.last_folder(FOLDER_RECEIPTS))
        if not folder:
            return None
        prefs.set_last_folder(FOLDER_RECEIPTS, folder)
        return folder

    def send_back(self, reason: str | None = None, folder: str | None = None) -> Path | None:
        """退回 the selected unit's return with a written reason; writes the signed 回执."""
        from models.receipts import send_back

        entry = self.selected_entry()
        if entry is None or entry.current is None:
            msgbox.information(self, "退回", "请先在表中选中一个已报送的单位。")
            return None
        row = entry.current
        what = f"{row.unit_name} {self.period.label}{self.period.kind_label} 第{row.version}版（{row.status_label}）"
        if not ensure_key(self, self.store, "退回报表的回执"):
            return None
        if reason is None:
            # What was typed is kept until the 退回 is done (a cancelled folder or passphrase loses nothing).
            dialog = ReasonDialog(what, self, self.reason_drafts.get(row.id, ""))
            try:
                accepted = dialog.exec() == QDialog.DialogCode.Accepted
                if dialog.text():
                    self.reason_drafts[row.id] = dialog.text()
                if not accepted:
                    return None
                reason = dialog.text()
            finally:
                dialog.deleteLater()
        target = self._receipt_folder(folder)
        if target is None:
            return None
        signer = ask_signer(self, self.store, "签名退回回执")
        if signer is None:
            return None
        try:
            path = send_back(self.store, row.id, reason, signer, target)
        except UserError as exc:
            msgbox.show_error(self, "不能退回", exc)
            return None
        self.reason_drafts.pop(row.id, None)
        self._load()
        self.data_changed.emit()
        msgbox.information(self, "已退回", f"已退回{what}。\n退回回执：{path}\n"
                                          "请把回执交给对方，对方用本程序“打开回执”即可看到原因。")
        return path

    def write_receipts(self, *, selected_only: bool, folder: str | None = None) -> list[Path]:
        from models.receipts import write_receipts

        codes = None
        if selected_only:
            entry = self.selected_entry()
            if entry is None or entry.state not in (board_mod.REPORTED, board_mod.RETURNED):
                msgbox.information(self, "写回执", "请先选中一个“已报”或“已退回”的单位。")
                return []
            codes = [entry.unit.code]
        elif self.board is None or not any(e.state in (board_mod.REPORTED, board_mod.RETURNED)
                                           for e in self.board.entries):
            msgbox.information(self, "写回执", "本期还没有“已报”或“已退回”的单位。")
            return []
        if not ensure_key(self, self.store, "回执"):
            return []
        target = self._receipt_folder(folder)
        if target is None:
            return []
        signer = ask_signer(self, self.store, "签名回执")
        if signer is None:
            return []
        try:
            paths = write_receipts(self.store, self.period, signer, target, codes)
        except UserError as exc:
            msgbox.show_error(self, "不能写回执", exc)
            return []
        names = "\n".join(p.name for p in paths)
        msgbox.information(self, "已写回执", f"已写出 {len(paths)} 份回执到“{target}”：\n{names}")
        return paths

    def open_receipt(self, path: str | None = None) -> OpenedReceipt | None:
        """Open a 回执 file and show it (the subordinate's side)."""
        from models.receipts import open_receipt

        prefs = preferences()
        if path is None:
            path, _filter = QFileDialog.getOpenFileName(self, "打开回执", prefs.last_folder(FOLDER_OPEN_RECEIPT),
                                                        "回执文件 (*.json);;所有文件 (*)")
        if not path:
            return None
        prefs.set_last_folder(FOLDER_OPEN_RECEIPT, path)
        opened = open_receipt(path, self.store)
        dialog = ReceiptDialog(opened, self)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()
        return opened

    # -- 汇总 and printing ------------------------------------------------------------------------

    def go_consolidate(self) -> None:
        """Show this period's consolidated return on the 报表 page (review, finalise, sign, export there)."""
        set_current_period(self.store, self.period)
        self.data_changed.emit()
        self.navigate.emit("returns")

    def board_document(self) -> Any:
        """The board as a QTextDocument in the bundled font (print preview, PDF)."""
        from PySide6.QtGui import QTextDocument

        from ui.return_print import font_family

        document = QTextDocument()
        font = QFont(font_family())
        font.setPointSizeF(10)
        document.setDefaultFont(font)
        if self.board is not None:
            stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
            document.setHtml(board_mod.board_html(self.board, printed_at=stamp))
        return document

    def print_board(self) -> None:
        from PySide6.QtGui import QPageLayout, QPageSize
        from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

        if self.board is None:
            return
        document = self.board_document()
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        printer.setPageOrientation(QPageLayout.Orientation.Landscape)
        printer.setDocName(f"上报情况 {self.period.code}")
        dialog = QPrintPreviewDialog(printer, self)
        dialog.setWindowTitle("打印预览 — 上报情况")
        fit_size(dialog, 1000, 800)
        dialog.paintRequested.connect(document.print_)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()
