"""报表制度: the definitions this unit knows, which year uses which; install a signed one, sign one (the
province), export the signed file for the units below. All work is done by :mod:`models.definition_signing`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from common.errors import UserError
from models.signing import SigningError
from ui import msgbox
from ui.keys_dialog import _remember, _start, ask_signer, ensure_key
from ui.screen import fit_size

if TYPE_CHECKING:
    from models.db import Store
    from models.definition_signing import Row

TITLE = "报表制度"
SIGNED_FILTER = "签发的报表制度 (*.signed.json *.json);;所有文件 (*)"


def choose_signed_file(parent: QWidget | None) -> Path | None:
    """Ask for a signed definition file to install (replaced in tests)."""
    name, _ = QFileDialog.getOpenFileName(parent, "选择省总工会签发的报表制度文件", _start("definition"), SIGNED_FILTER)
    _remember("definition", name)
    return Path(name) if name else None


def choose_definition_file(parent: QWidget | None, title: str = "选择要签发的报表制度文件") -> Path | None:
    """Ask for an (unsigned) definition file: to sign, or to check (replaced in tests)."""
    name, _ = QFileDialog.getOpenFileName(parent, title, _start("definition_draft"),
                                          "报表制度文件 (*.json);;所有文件 (*)")
    _remember("definition_draft", name)
    return Path(name) if name else None


def choose_save_file(parent: QWidget | None, title: str, file_name: str, file_filter: str = SIGNED_FILTER) -> Path | None:
    """Ask where to write a file (replaced in tests)."""
    start = str(Path(_start("definition_out") or ".") / file_name)
    name, _ = QFileDialog.getSaveFileName(parent, title, start, file_filter)
    _remember("definition_out", name)
    return Path(name) if name else None


def open_file(path: Path) -> bool:
    """Open ``path`` with the program the system has for it (replaced in tests); False when none opened it."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


MAX_PROBLEMS_SHOWN = 30


class DefinitionsDialog(QDialog):
    COLUMNS = ("报表制度", "版本", "适用年度", "使用年度", "签发单位", "安装时间", "安装自文件")
    TITLE = TITLE
    HINT = ("报表制度规定统计表的表式、指标和审核规则，由省总工会签发，程序核验省总工会的电子签名后才安装"
            "（需先在“证书登记”中登记省总工会的证书，或使用随程序发布的证书）。每个年度按适用该年度的最高版本编制；"
            "州（市）总工会把收到的签发文件“导出”后原样转交县（市、区）总工会。")
    LIST_NAME = ("definitions", "报表制度列表")
    SIGN_TIP = "用本单位（省总工会）的签名密钥签发报表制度文件"

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        from forms.divisions import PROVINCE_CODE
        from models import unit

        super().__init__(parent)
        self.store = store
        self.setWindowTitle(self.TITLE)
        current = unit.load(store)
        self.is_province = current is not None and current.code == PROVINCE_CODE
        fit_size(self, 980, 440)
        layout = QVBoxLayout(self)
        hint = QLabel(self.HINT)
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName(self.LIST_NAME[0])
        self.table.setAccessibleName(self.LIST_NAME[1])
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.detail)
        row = QHBoxLayout()
        self.install_button = QPushButton("安装(&I)…")
        self.install_button.setObjectName("primaryButton")
        self.sign_button = QPushButton("签发(&S)…")
        self.sign_button.setToolTip(self.SIGN_TIP)
        self.sign_button.setVisible(self.is_province)
        self.export_button = QPushButton("导出签发文件(&E)…")
        self.export_button.setToolTip("把选中报表制度的签发文件原样导出，交下级单位安装")
        close = QPushButton("关闭(&C)")
        for button in (self.install_button, self.sign_button, self.export_button):
            row.addWidget(button)
        row.addStretch(1)
        self.plans_button: QPushButton | None = None
        self.export_file_button: QPushButton | None = None
        self.check_button: QPushButton | None = None
        if type(self) is DefinitionsDialog:
            self.export_file_button = QPushButton("导出制度文件(&F)…")
            self.export_file_button.setToolTip("把选中报表制度的内容导出为文件（JSON），省总工会修订后作为新版本签发")
            self.export_file_button.clicked.connect(lambda: self.export_file())
            self.check_button = QPushButton("检查和预览(&K)…")
            self.check_button.setToolTip("检查一个报表制度文件，逐条列出问题；通过后可生成空表式的PDF预览")
            self.check_button.clicked.connect(lambda: self.check_file())
            row.addWidget(self.export_file_button)
            row.addWidget(self.check_button)
            self.plans_button = QPushButton("规划目标(&P)…")
            self.plans_button.setToolTip("省总工会签发的规划目标：安装、签发（省总工会）、导出转交下级")
            self.plans_button.clicked.connect(lambda: self.open_plans())
            row.addWidget(self.plans_button)
        row.addWidget(close)
        layout.addLayout(row)
        self.install_button.clicked.connect(lambda: self.install())
        self.sign_button.clicked.connect(lambda: self.sign())
        self.export_button.clicked.connect(lambda: self.export())
        close.clicked.connect(self.reject)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.rows: list[Row] = []
        self.refresh()
        self.table.setFocus()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.table.resizeRowsToContents()  # the columns have their real widths only now: rows sized before were too tall

    # -- the list ------------------------------------------------------------------------------------------

    def refresh(self, select_digest: str | None = None) -> None:
        from models.definition_signing import listing

        self.rows = listing(self.store)
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            d = r.entry.definition
            values = (d.title, f"第{d.version}版", f"{d.year_from}—{d.year_to}年", r.years_text,
                      "程序自带" if r.entry.shipped else r.entry.signer_name,
                      r.entry.installed_at.replace("T", " ") if r.entry.installed_at else "—",
                      r.entry.source or "—")
            for j, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(f"{d.label}\n标识：{d.id}\n摘要：{d.digest}" if j == 0 else value)
                if j == 3 and r.years_used:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(i, j, item)
        self.table.resizeRowsToContents()
        index = next((i for i, r in enumerate(self.rows) if r.entry.definition.digest == select_digest),
                     len(self.rows) - 1)
        self.table.selectRow(index)
        self._selection_changed()

    def selected(self) -> Row | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        from models.signing import group_hex

        row = self.selected()
        self.export_button.setEnabled(row is not None and row.exportable)
        if row is None:
            self.detail.clear()
            return
        d = row.entry.definition
        text = f"{d.label}　标识 {d.id}　制定机关 {d.authority}　摘要 {d.digest[:16].upper()}"
        if row.entry.signer_fingerprint:
            text += f"\n签发证书指纹：{group_hex(row.entry.signer_fingerprint)}"
        elif row.entry.shipped:
            text += "\n随程序发布，不需要安装，也不需要转交。"
        self.detail.setText(text)

    # -- actions -------------------------------------------------------------------------------------------

    # What differs between this dialog and the plans' (ui.plans_dialog): the kind of document, its signing module
    # and the file dialogs of the dialog's own module (tests replace those there).
    KIND = "definition"
    AFTER_SIGN = "本单位也需安装后才按此版本编制和汇总。"

    def signing(self) -> Any:
        """The kind's module: ``install_signed_file``, ``load``, ``sign_file``, ``export_signed``,
        ``default_file_name``, ``read_plain``, ``listing``."""
        from models import definition_signing

        return definition_signing

    def document(self, holder: Any) -> Any:
        """The document of an install outcome or an installed entry."""
        return holder.definition

    def choose_signed(self) -> Path | None:
        return choose_signed_file(self)

    def choose_draft(self) -> Path | None:
        return choose_definition_file(self)

    def choose_out(self, title: str, file_name: str) -> Path | None:
        return choose_save_file(self, title, file_name)

    def signer_for(self, purpose: str) -> Any:
        return ask_signer(self, self.store, purpose)

    def installed(self, outcome: Any) -> None:
        """Called after an install (the plans' dialog notes it for the progress page)."""

    @property
    def noun(self) -> str:
        from models.province_docs import kind_label

        return kind_label(self.KIND)

    def install(self, path: Path | None = None) -> None:
        from models.province_docs import UnregisteredSigner

        noun = self.noun
        path = path or self.choose_signed()
        if path is None:
            return
        try:
            outcome = self.signing().install_signed_file(self.store, path)
        except UnregisteredSigner as exc:
            if msgbox.confirm(self, f"未安装{noun}",
                              f"{exc}\n\n现在登记省总工会的证书吗？需要省总工会的证书文件（.cer）和盖章的公钥登记表"
                              f"（州市随{noun}一起转交）。登记后接着安装。", "登记证书…", "关闭", default_yes=True) \
                    and self.register_province():
                self.install(path)
            return
        except (UserError, SigningError) as exc:
            msgbox.warning(self, f"未安装{noun}", str(exc))
            return
        self.installed(outcome)
        self.refresh(self.document(outcome).digest)
        msgbox.information(self, f"安装{noun}", "\n".join(outcome.lines()))

    def open_plans(self) -> None:
        from ui.plans_dialog import PlansDialog

        dialog = PlansDialog(self.store, self)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()

    def register_province(self) -> bool:
        """The certificate registry's “登记上级单位证书” (it accepts the province's); True when one was registered."""
        from models.signing import trust
        from ui.keys_dialog import TrustDialog

        before = len(trust.registrations(self.store))
        dialog = TrustDialog(self.store, self)
        try:
            dialog.register_superior()
        finally:
            dialog.deleteLater()
        return len(trust.registrations(self.store)) > before

    def sign(self) -> None:
        from common.atomic_file import os_error_text
        from models.province_docs import check_can_sign

        module, title = self.signing(), f"签发{self.noun}"
        try:
            check_can_sign(self.store, self.KIND)
        except UserError as exc:
            msgbox.warning(self, title, str(exc))
            return
        path = self.choose_draft()
        if path is None:
            return
        try:
            document = module.load(module.read_plain(path), source=path.name)
        except UserError as exc:
            msgbox.warning(self, title, str(exc))
            return
        if not ensure_key(self, self.store, title):
            return
        out = self.choose_out(f"保存签发的{self.noun}文件", module.default_file_name(document))
        if out is None:
            return
        signer = self.signer_for(f"签发{document.label}")
        if signer is None:
            return
        try:
            module.sign_file(self.store, path, signer, out)
        except (UserError, SigningError, OSError) as exc:
            msgbox.warning(self, title, os_error_text(exc) if isinstance(exc, OSError) else str(exc))
            return
        if msgbox.confirm(self, title,
                          f"已签发：{document.label}\n文件：{out}\n\n请把这个文件交下级单位安装（尚未登记本单位证书的单位，"
                          f"同时交本单位的证书和盖章的公钥登记表）。\n\n{self.AFTER_SIGN}现在在本单位安装吗？",
                          "安装", "暂不安装", default_yes=True):
            self.install(out)

    def export(self) -> None:
        from common.atomic_file import os_error_text
        from models.province_docs import WHERE_INSTALLED

        module, row = self.signing(), self.selected()
        if row is None or not row.exportable:
            return
        d = self.document(row.entry)
        out = self.choose_out(f"导出签发的{self.noun}文件（交下级单位）", module.default_file_name(d))
        if out is None:
            return
        try:
            module.export_signed(self.store, f"{d.id}/{d.version}", out)
        except (UserError, OSError) as exc:
            msgbox.warning(self, "导出签发文件", os_error_text(exc) if isinstance(exc, OSError) else str(exc))
            return
        msgbox.information(self, "导出签发文件", f"已导出{self.noun}“{d.label}”的签发文件（与收到的文件完全相同）：\n"
                                                 f"{out}\n\n下级单位在{WHERE_INSTALLED[self.KIND]}中安装。")

    def export_file(self) -> None:
        """The selected definition's own file (not signed), for the province to revise into a new version."""
        from common.atomic_file import atomic_path, os_error_text

        row = self.selected()
        if row is None:
            msgbox.information(self, "导出制度文件", "请先在列表中选中一个报表制度。")
            return
        d = row.entry.definition
        out = choose_save_file(self, "导出报表制度文件", f"{d.id}-第{d.version}版.json",
                               "报表制度文件 (*.json);;所有文件 (*)")
        if out is None:
            return
        try:
            with atomic_path(out) as tmp:
                tmp.write_bytes(d.raw)  # exactly the bytes it was installed (and signed) as
        except OSError as exc:
            msgbox.warning(self, "导出制度文件", os_error_text(exc))
            return
        msgbox.information(self, "导出制度文件", f"已导出{d.label}：\n{out}\n\n摘要（SHA-256）：{d.digest}\n\n"
                                                 "修订时请提高版本号（version），改好后用“检查和预览”检查，再由省总工会签发。")

    def check_file(self, path: Path | None = None) -> None:
        """Check a definition file; list its problems, or show what it holds and offer the preview of its tables."""
        from PySide6.QtGui import QGuiApplication

        from common.atomic_file import atomic_path, os_error_text
        from forms.definition import check_definition
        from models import definition_signing as ds
        from models.export_pdf import write_definition_preview

        path = path or choose_definition_file(self, "选择要检查的报表制度文件")
        if path is None:
            return
        try:
            data = ds.read_plain(path)
        except UserError as exc:
            msgbox.warning(self, "检查报表制度", str(exc))
            return
        definition, problems = check_definition(data, source=path.name)
        if definition is None:
            shown = [f"{n}. {p}" for n, p in enumerate(problems[:MAX_PROBLEMS_SHOWN], start=1)]
            if len(problems) > MAX_PROBLEMS_SHOWN:
                shown.append(f"……另有 {len(problems) - MAX_PROBLEMS_SHOWN} 处（命令行 definition check 列出全部）")
            msgbox.warning(self, "检查报表制度", f"“{path.name}”有 {len(problems)} 处问题，改正后再检查：",
                           detail="\n".join(shown))
            return
        first, *rest = definition.summary_lines()
        if not msgbox.confirm(self, "检查报表制度", f"“{path.name}”检查通过：{first}\n" + "\n".join(rest)
                              + "\n\n生成空表式的PDF预览吗？", "生成预览…", "关闭", default_yes=True):
            return
        out = choose_save_file(self, "保存表式预览", f"{path.stem}-表式预览.pdf", "PDF 文件 (*.pdf)")
        if out is None:
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            with atomic_path(out) as tmp:
                pages = write_definition_preview(definition, tmp)
        except OSError as exc:
            msgbox.warning(self, "表式预览", os_error_text(exc))
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        if not open_file(out):
            msgbox.information(self, "表式预览", f"表式预览（{pages} 页）已保存：\n{out}\n可用PDF阅读器打开并打印。")


def open_definitions_dialog(store: Store, parent: QWidget | None = None) -> None:
    DefinitionsDialog(store, parent).exec()
