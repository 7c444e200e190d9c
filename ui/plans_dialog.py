"""规划目标: the plans of targets this unit knows and which one the 目标完成情况 page measures against; install a
signed one, sign one (the province), export the signed file for the units below. The same dialog as 报表制度
(:class:`ui.definitions_dialog.DefinitionsDialog`) over :mod:`models.plan_signing`; opened from that dialog and
from the 目标完成情况 page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFileDialog, QTableWidgetItem, QWidget

from ui.definitions_dialog import DefinitionsDialog
from ui.keys_dialog import _remember, _start, ask_signer

if TYPE_CHECKING:
    from models.db import Store
    from models.plan_signing import Row

TITLE = "规划目标"
SIGNED_FILTER = "签发的规划目标 (*.signed.json *.json);;所有文件 (*)"


def choose_signed_file(parent: QWidget | None) -> Path | None:
    """Ask for a signed plan file to install (replaced in tests)."""
    name, _ = QFileDialog.getOpenFileName(parent, "选择省总工会签发的规划目标文件", _start("plan"), SIGNED_FILTER)
    _remember("plan", name)
    return Path(name) if name else None


def choose_plan_file(parent: QWidget | None) -> Path | None:
    """Ask for the (unsigned) plan file the province is about to sign (replaced in tests)."""
    name, _ = QFileDialog.getOpenFileName(parent, "选择要签发的规划目标文件", _start("plan_draft"),
                                          "规划目标文件 (*.json);;所有文件 (*)")
    _remember("plan_draft", name)
    return Path(name) if name else None


def choose_save_file(parent: QWidget | None, title: str, file_name: str) -> Path | None:
    """Ask where to write a signed file (replaced in tests)."""
    start = str(Path(_start("plan_out") or ".") / file_name)
    name, _ = QFileDialog.getSaveFileName(parent, title, start, SIGNED_FILTER)
    _remember("plan_out", name)
    return Path(name) if name else None


class PlansDialog(DefinitionsDialog):
    COLUMNS = ("规划目标", "版本", "规划年度", "当前", "签发单位", "安装时间", "安装自文件")
    TITLE = TITLE
    HINT = ("规划目标列出规划的各项指标和目标数，“目标完成情况”按它计算。由省总工会签发，程序核验省总工会的电子签名后才安装"
            "（需先在“证书登记”中登记省总工会的证书，或使用随程序发布的证书）；程序自带“十四五”规划。"
            "州（市）总工会把收到的签发文件“导出”后原样转交县（市、区）总工会。")
    LIST_NAME = ("plans", "规划目标列表")
    SIGN_TIP = "用本单位（省总工会）的签名密钥签发规划目标文件"
    rows: list[Row]  # type: ignore[assignment]

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        self.changed = False  # a plan was installed: the progress page reloads its list
        super().__init__(store, parent)

    def refresh(self, select_digest: str | None = None) -> None:
        from models.plan_signing import listing

        self.rows = listing(self.store)
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            p = r.entry.plan
            values = (p.title, f"第{p.version}版", f"{p.year_from}—{p.year_to}年", "当前" if r.current else "",
                      "程序自带" if r.entry.shipped else r.entry.signer_name,
                      r.entry.installed_at.replace("T", " ") if r.entry.installed_at else "—",
                      r.entry.source or "—")
            for j, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(f"{p.label}\n代码：{p.id}\n摘要：{p.digest}" if j == 0 else value)
                if j == 3 and r.current:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(i, j, item)
        self.table.resizeRowsToContents()
        index = next((i for i, r in enumerate(self.rows) if r.entry.plan.digest == select_digest), len(self.rows) - 1)
        self.table.selectRow(index)
        self._selection_changed()

    def selected(self) -> Row | None:  # type: ignore[override]
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        from models.signing import group_hex

        row = self.selected()
        self.export_button.setEnabled(row is not None and row.exportable)
        if row is None:
            self.detail.clear()
            return
        p = row.entry.plan
        text = (f"{p.label}　代码 {p.id}　制定机关 {p.authority}　指标{len(p.indicators)}项"
                f"（计入统计{len(p.counted)}项）　摘要 {p.digest[:16].upper()}")
        if row.entry.signer_fingerprint:
            text += f"\n签发证书指纹：{group_hex(row.entry.signer_fingerprint)}"
        elif row.entry.shipped:
            text += "\n随程序发布，不需要安装，也不需要转交。"
        self.detail.setText(text)

    KIND = "plan"
    AFTER_SIGN = "本单位也需安装后才按此规划计算完成情况。"

    def signing(self) -> Any:
        from models import plan_signing

        return plan_signing

    def document(self, holder: Any) -> Any:
        return holder.plan

    def choose_signed(self) -> Path | None:
        return choose_signed_file(self)

    def choose_draft(self) -> Path | None:
        return choose_plan_file(self)

    def choose_out(self, title: str, file_name: str) -> Path | None:
        return choose_save_file(self, title, file_name)

    def signer_for(self, purpose: str) -> Any:
        return ask_signer(self, self.store, purpose)

    def installed(self, outcome: Any) -> None:
        self.changed = True


def open_plans_dialog(store: Store, parent: QWidget | None = None) -> bool:
    """Show the dialog; True when a plan was installed."""
    dialog = PlansDialog(store, parent)
    try:
        dialog.exec()
        return dialog.changed
    finally:
        dialog.deleteLater()
