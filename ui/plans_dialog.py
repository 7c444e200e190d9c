"""规划目标: the plans of targets this unit knows and which one the 目标完成情况 page measures against; install a
signed one, sign one (the province), export the signed file for the units below. The same dialog as 报表制度
(:class:`ui.definitions_dialog.DefinitionsDialog`) over :mod:`models.plan_signing`; opened from that dialog and
from the 目标完成情况 page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QTableWidgetItem, QWidget

from common.errors import UserError
from models.signing import SigningError
from ui import msgbox
from ui.definitions_dialog import DefinitionsDialog
from ui.keys_dialog import _remember, _start, ask_signer, ensure_key

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

    def install(self, path: Path | None = None) -> None:
        from models.plan_signing import install_signed_file
        from models.province_docs import UnregisteredSigner

        path = path or choose_signed_file(self)
        if path is None:
            return
        try:
            outcome = install_signed_file(self.store, path)
        except UnregisteredSigner as exc:
            if msgbox.confirm(self, "未安装规划目标",
                              f"{exc}\n\n现在登记省总工会的证书吗？需要省总工会的证书文件（.cer）和盖章的公钥登记表"
                              "（州市随规划目标一起转交）。登记后接着安装。", "登记证书…", "关闭", default_yes=True) \
                    and self.register_province():
                self.install(path)
            return
        except (UserError, SigningError) as exc:
            msgbox.warning(self, "未安装规划目标", str(exc))
            return
        self.changed = True
        self.refresh(outcome.plan.digest)
        msgbox.information(self, "安装规划目标", "\n".join(outcome.lines()))

    def sign(self) -> None:
        from forms.plans import load_plan
        from models import plan_signing as ps
        from models.province_docs import check_can_sign

        try:
            check_can_sign(self.store, ps.KIND)
        except UserError as exc:
            msgbox.warning(self, "签发规划目标", str(exc))
            return
        path = choose_plan_file(self)
        if path is None:
            return
        try:
            plan = load_plan(ps.read_plain(path), source=path.name)
        except UserError as exc:
            msgbox.warning(self, "签发规划目标", str(exc))
            return
        if not ensure_key(self, self.store, "签发规划目标"):
            return
        out = choose_save_file(self, "保存签发的规划目标文件", ps.default_file_name(plan))
        if out is None:
            return
        signer = ask_signer(self, self.store, f"签发{plan.label}")
        if signer is None:
            return
        try:
            ps.sign_plan_file(self.store, path, signer, out)
        except (UserError, SigningError, OSError) as exc:
            from common.atomic_file import os_error_text

            msgbox.warning(self, "签发规划目标", os_error_text(exc) if isinstance(exc, OSError) else str(exc))
            return
        if msgbox.confirm(self, "签发规划目标",
                          f"已签发：{plan.label}\n文件：{out}\n\n请把这个文件交下级单位安装（尚未登记本单位证书的单位，"
                          "同时交本单位的证书和盖章的公钥登记表）。\n\n本单位也需安装后才按此规划计算完成情况。现在在本单位安装吗？",
                          "安装", "暂不安装", default_yes=True):
            self.install(out)

    def export(self) -> None:
        from models import plan_signing as ps

        row = self.selected()
        if row is None or not row.exportable:
            return
        p = row.entry.plan
        out = choose_save_file(self, "导出签发的规划目标文件（交下级单位）", ps.default_file_name(p))
        if out is None:
            return
        try:
            ps.export_signed(self.store, f"{p.id}/{p.version}", out)
        except (UserError, OSError) as exc:
            from common.atomic_file import os_error_text

            msgbox.warning(self, "导出签发文件", os_error_text(exc) if isinstance(exc, OSError) else str(exc))
            return
        msgbox.information(self, "导出签发文件", f"已导出规划目标{p.label}的签发文件（与收到的文件完全相同）：\n{out}\n\n"
                                                 "下级单位在“文件 → 报表制度… → 规划目标…”中安装。")


def open_plans_dialog(store: Store, parent: QWidget | None = None) -> bool:
    """Show the dialog; True when a plan was installed."""
    dialog = PlansDialog(store, parent)
    try:
        dialog.exec()
        return dialog.changed
    finally:
        dialog.deleteLater()
