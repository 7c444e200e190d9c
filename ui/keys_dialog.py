"""Dialogs for signing: the unit's own key, the passphrase prompt, and the registry of subordinate certificates.

All work is done by ``models.signing``; these dialogs only collect input and show results.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from common.errors import UserError
from models.signing import MIN_PASSPHRASE_LENGTH, SigningError
from ui import msgbox
from ui.screen import fit_size, show_message_label

if TYPE_CHECKING:
    from models.db import Store
    from models.return_io import ReadResult
    from models.signing.keys import CertInfo, OwnKey
    from models.signing.provider import Signer
    from models.signing.trust import Registration

ERROR_STYLE = "color: #b42318;"
STRENGTH_COLOURS = ("#b42318", "#b54708", "#1f5fa8", "#027a48")


def fingerprint_label(grouped: str, point_size: int = 13) -> QLabel:
    """A selectable label showing a grouped fingerprint in two lines of eight groups, fixed-width."""
    groups = grouped.split(" ")
    text = " ".join(groups[:8]) + "\n" + " ".join(groups[8:]) if len(groups) > 8 else grouped
    label = QLabel(text)
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSize(point_size)
    font.setWeight(QFont.Weight.Bold)
    label.setFont(font)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAccessibleName("证书指纹")
    return label


def _start(key: str) -> str:
    """The folder the file dialog for ``key`` used last (the USB stick, as a rule)."""
    from ui.settings_store import preferences

    return preferences().last_folder(key)


def _remember(key: str, path: str) -> None:
    from ui.settings_store import preferences

    if path:
        preferences().set_last_folder(key, path)


def choose_folder(parent: QWidget | None, title: str) -> Path | None:
    """Ask for a folder (replaced in tests)."""
    folder = QFileDialog.getExistingDirectory(parent, title, _start("keys_export"))
    _remember("keys_export", folder)
    return Path(folder) if folder else None


def choose_certificate_file(parent: QWidget | None) -> Path | None:
    """Ask for a certificate file (replaced in tests)."""
    name, _ = QFileDialog.getOpenFileName(parent, "选择下级单位的证书文件", _start("trust_certificate"),
                                          "证书文件 (*.cer *.crt *.pem *.der);;所有文件 (*)")
    _remember("trust_certificate", name)
    return Path(name) if name else None


def choose_seal_image(parent: QWidget | None) -> Path | None:
    """Ask for the seal image (replaced in tests)."""
    name, _ = QFileDialog.getOpenFileName(parent, "选择单位印章图片（显示在PDF签名框中）", _start("seal_image"),
                                          "图片 (*.png *.jpg *.jpeg *.bmp);;所有文件 (*)")
    _remember("seal_image", name)
    return Path(name) if name else None


def _error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.hide()
    return label


def _buttons(ok_text: str, dialog: QDialog) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


# --- creating a key ------------------------------------------------------------------------------------------

class CreateKeyDialog(QDialog):
    """Choose the passphrase (typed twice, strength shown) and create the unit's key."""

    def __init__(self, store: Store, *, replacing: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.created: OwnKey | None = None
        self._hints: list[str] | None = None
        self.setWindowTitle("更换签名密钥" if replacing else "创建签名密钥")
        self.setMinimumWidth(500)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "签名口令用于加密保存本单位的私钥，每次导出签名报表时都要输入。"
            f"口令至少 {MIN_PASSPHRASE_LENGTH} 个字符，且不能容易被猜到（单位名称、代码、年份、常见口令都不行）；"
            "建议用几个不相关的词加数字和符号，12 个字符以上。"
            "请把口令抄写后密封，由单位负责人保管；口令遗忘后只能创建新密钥并重新登记。")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if replacing:
            warn = QLabel("更换后旧证书停用（用它签名的旧报表仍可验证），新导出的报表使用新密钥签名。"
                          "请把新的公钥登记表签字盖章后交上级单位重新登记。")
            warn.setWordWrap(True)
            warn.setStyleSheet("color: #b54708;")
            layout.addWidget(warn)
        form = QFormLayout()
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("签名口令")
        self.again = QLineEdit()
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.again.setAccessibleName("再次输入口令")
        form.addRow("签名口令：", self.passphrase)
        form.addRow("再次输入：", self.again)
        self.meter = QProgressBar()
        self.meter.setRange(0, 3)
        self.meter.setTextVisible(False)
        self.meter.setFixedHeight(10)
        self.strength = QLabel()
        self.strength.setWordWrap(True)  # the reasons for refusing a weak passphrase can be long
        strength_box = QVBoxLayout()
        strength_box.addWidget(self.meter)
        strength_box.addWidget(self.strength)
        form.addRow("口令强度：", strength_box)
        layout.addLayout(form)
        self.error = _error_label()
        layout.addWidget(self.error)
        layout.addWidget(_buttons("创建密钥", self))
        self.passphrase.textChanged.connect(self._update_strength)
        self._update_strength("")

    def _update_strength(self, text: str) -> None:
        from models.signing.keys import passphrase_strength

        if self._hints is None:
            from models.signing.keys import passphrase_hints

            self._hints = passphrase_hints(self.store)
        score, hint = passphrase_strength(text, self._hints)
        self.meter.setValue(score)
        self.meter.setStyleSheet(f"QProgressBar::chunk {{ background: {STRENGTH_COLOURS[score]}; }}")
        self.strength.setText(hint)

    def accept(self) -> None:
        from models.signing import keys

        try:
            self.created = keys.create_key(self.store, self.passphrase.text(), self.again.text())
        except SigningError as exc:
            show_message_label(self.error, str(exc))
            return
        super().accept()


class KeysDialog(QDialog):
    """本单位密钥: the current certificate's fingerprint, the key history, create/replace, export for the superior."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("本单位签名密钥")
        self.setMinimumWidth(620)
        self._layout = QVBoxLayout(self)
        self._body: QWidget | None = None
        self.refresh()

    def refresh(self) -> None:
        from models import unit
        from models.signing import keys
        from models.signing.pdf import stored_seal_image

        if self._body is not None:
            self._layout.removeWidget(self._body)
            self._body.deleteLater()
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        current_unit = unit.load(self.store)
        active = keys.active_key(self.store)
        history = [k for k in keys.own_keys(self.store) if not k.active]
        self.create_button = QPushButton("更换密钥…" if active else "创建密钥…")
        self.export_button = QPushButton("导出证书和公钥登记表…")
        self.export_button.setObjectName("primaryButton")
        self.export_button.setEnabled(active is not None)
        if current_unit is None:
            layout.addWidget(QLabel("尚未设置本单位。请先在“文件 → 设置本单位”中设置单位代码和名称。"))
            self.create_button.setEnabled(False)
        elif active is None:
            hint = QLabel("本单位还没有签名密钥。创建后导出公钥登记表，签字盖章后连同证书文件交上级单位登记，"
                          "此后导出的报表都会带电子签名。")
            hint.setWordWrap(True)
            layout.addWidget(hint)
        else:
            box = QGroupBox("当前证书")
            form = QFormLayout(box)
            form.addRow("单位：", QLabel(f"{active.unit_name}（{active.unit_code}）"))
            form.addRow("创建时间：", QLabel(active.created_at.replace("T", " ")))
            self.fingerprint = fingerprint_label(active.grouped)
            form.addRow("证书指纹：", self.fingerprint)
            layout.addWidget(box)
        if history:
            old = QGroupBox("已停用的旧证书（仍用于验证用它签名的旧报表）")
            old_layout = QVBoxLayout(old)
            for k in history:
                old_layout.addWidget(QLabel(f"{k.created_at[:10]} 至 {(k.retired_at or '')[:10]} 使用："))
                old_layout.addWidget(fingerprint_label(k.grouped, 10))
            layout.addWidget(old)
        if active is not None:
            seal_box = QGroupBox("PDF签名框中的印章图片（可选）")
            seal_row = QHBoxLayout(seal_box)
            self.seal_preview = QLabel()
            self.seal_button = QPushButton("选择印章图片…")
            self.clear_seal_button = QPushButton("不用印章图片")
            seal = stored_seal_image(self.store)
            if seal is not None:
                pixmap = QPixmap(str(seal))
                self.seal_preview.setPixmap(pixmap.scaled(56, 56, Qt.AspectRatioMode.KeepAspectRatio,
                                                          Qt.TransformationMode.SmoothTransformation))
            else:
                self.seal_preview.setText("未选择（签名框只显示文字）")
            self.clear_seal_button.setEnabled(seal is not None)
            seal_row.addWidget(self.seal_preview)
            seal_row.addStretch(1)
            seal_row.addWidget(self.seal_button)
            seal_row.addWidget(self.clear_seal_button)
            self.seal_button.clicked.connect(self.choose_seal)
            self.clear_seal_button.clicked.connect(self.clear_seal)
            layout.addWidget(seal_box)
        help_text = QLabel(
            "<b>口令遗忘或私钥丢失：</b>点“更换密钥”，把新的公钥登记表交上级单位“替换”登记，旧报表仍可验证。<br>"
            "<b>密钥泄露：</b>立即通知上级单位撤销旧证书，再更换密钥并重新登记；需要时用新密钥重新导出旧版本。")
        help_text.setWordWrap(True)
        help_text.setObjectName("pageHint")
        layout.addWidget(help_text)
        row = QHBoxLayout()
        row.addWidget(self.create_button)
        row.addStretch(1)
        row.addWidget(self.export_button)
        close = QPushButton("关闭")
        close.clicked.connect(self.reject)
        row.addWidget(close)
        layout.addLayout(row)
        self.create_button.clicked.connect(self.create_key)
        self.export_button.clicked.connect(self.export_registration)
        self._layout.addWidget(body)
        self._body = body

    def create_key(self) -> None:
        from models.signing import keys

        replacing = keys.active_key(self.store) is not None
        if replacing and not msgbox.confirm(
                self, "更换签名密钥",
                "确实要更换本单位的签名密钥吗？\n\n只有在口令遗忘、私钥丢失或泄露时才需要更换。"
                "更换后须把新的公钥登记表交上级单位重新登记，否则上级验证新报表时会显示“未登记”。",
                "更换", "取消"):
            return
        dialog = CreateKeyDialog(self.store, replacing=replacing, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.created is not None:
            self.refresh()
            msgbox.information(self, "签名密钥", f"已创建签名密钥。\n证书指纹：{dialog.created.grouped}\n\n"
                                                 "请导出公钥登记表，签字盖章后连同证书文件交上级单位登记。")

    def choose_seal(self) -> None:
        from models.signing.pdf import save_seal_image

        path = choose_seal_image(self)
        if path is None:
            return
        try:
            save_seal_image(self.store, path)
        except UserError as exc:
            msgbox.show_error(self, "印章图片", exc)
            return
        self.refresh()

    def clear_seal(self) -> None:
        from models.signing.pdf import save_seal_image

        save_seal_image(self.store, None)
        self.refresh()

    def export_registration(self) -> None:
        from models.signing.register_form import export_registration

        folder = choose_folder(self, "选择保存证书和公钥登记表的文件夹")
        if folder is None:
            return
        try:
            files = export_registration(self.store, folder)
        except UserError as exc:
            msgbox.show_error(self, "导出公钥登记表", exc)
            return
        msgbox.information(self, "导出公钥登记表",
                           f"已导出：\n{files.certificate.name}\n{files.form.name}\n\n文件夹：{folder}\n\n"
                           "请打印公钥登记表，单位负责人签字并盖章后，连同证书文件交上级单位登记。")


# --- the passphrase prompt used by export --------------------------------------------------------------------

class PassphraseDialog(QDialog):
    """Ask the signing passphrase once and open the signer; a wrong passphrase is reported in the dialog."""

    def __init__(self, store: Store, purpose: str = "导出签名报表", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.signer: Signer | None = None
        self.setWindowTitle("输入签名口令")
        layout = QVBoxLayout(self)
        label = QLabel(f"{purpose}需要本单位的签名口令：")
        layout.addWidget(label)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("签名口令")
        layout.addWidget(self.passphrase)
        self.error = _error_label()
        layout.addWidget(self.error)
        layout.addWidget(_buttons("签名", self))
        self.setMinimumWidth(380)
        self._warm_up()

    def _warm_up(self) -> None:
        """Load the export's and signing's modules and the PDF font while the passphrase is typed, so the export
        itself is not slowed."""
        import threading

        from models.export import warm_up

        def work() -> None:
            try:
                warm_up(signing=True)
            except Exception:  # only an optimisation: the export itself reports any real problem
                return

        threading.Thread(target=work, name="signing-warm-up", daemon=True).start()

    def accept(self) -> None:
        from models.signing.provider import FileKeySigner

        try:
            self.signer = FileKeySigner.open(self.store, self.passphrase.text())
        except SigningError as exc:
            show_message_label(self.error, str(exc))
            self.passphrase.selectAll()
            self.passphrase.setFocus()
            return
        super().accept()


def ask_signer(parent: QWidget | None, store: Store, purpose: str = "导出签名报表") -> Signer | None:
    """The opened signer, or None if the user cancelled (replaced in tests)."""
    dialog = PassphraseDialog(store, purpose, parent)
    if dialog.exec() == QDialog.DialogCode.Accepted:
        return dialog.signer
    return None


# --- the registry of subordinate certificates ----------------------------------------------------------------

class ConfirmCertificateDialog(QDialog):
    """Show a certificate's unit and fingerprint and require an explicit check against the stamped paper."""

    def __init__(self, info: CertInfo, *, replacing: str | None, warning: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("核对并登记证书")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.addRow("单位名称：", QLabel(info.unit_name))
        form.addRow("单位代码：", QLabel(info.unit_code))
        form.addRow("有效期：", QLabel(f"{info.not_before} 至 {info.not_after}"))
        self.fingerprint = fingerprint_label(info.grouped, 15)
        form.addRow("证书指纹：", self.fingerprint)
        layout.addLayout(form)
        hint = QLabel("请逐组核对上面的指纹与对方签字盖章的公钥登记表完全一致。不一致时切勿登记，并与对方核实。")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        for text in (replacing, warning):
            if text:
                label = QLabel(text)
                label.setWordWrap(True)
                label.setStyleSheet("color: #b54708;")
                layout.addWidget(label)
        self.checked = QCheckBox("我已逐组核对，指纹与盖章的公钥登记表完全一致")
        layout.addWidget(self.checked)
        buttons = _buttons("登记", self)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(False)
        self.checked.toggled.connect(ok.setEnabled)
        self.ok_button = ok
        layout.addWidget(buttons)


def confirm_certificate(parent: QWidget | None, info: CertInfo, replacing: str | None, warning: str | None) -> bool:
    """Run :class:`ConfirmCertificateDialog` (replaced in tests)."""
    return ConfirmCertificateDialog(info, replacing=replacing, warning=warning,
                                    parent=parent).exec() == QDialog.DialogCode.Accepted


class SuperiorCertificateDialog(QDialog):
    """Register the superior unit's certificate: the fingerprint must be typed (or scanned) from its paper."""

    def __init__(self, info: CertInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self.setWindowTitle("登记上级单位的证书")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.addRow("单位名称：", QLabel(info.unit_name))
        form.addRow("单位代码：", QLabel(info.unit_code))
        form.addRow("有效期：", QLabel(f"{info.not_before} 至 {info.not_after}"))
        layout.addLayout(form)
        hint = QLabel("请输入上级单位签字盖章的公钥登记表上的证书指纹（64 位，可带空格），或用扫码枪扫描登记表上的二维码。"
                      "指纹一致才会登记；登记后，上级单位的回执才显示为“回执真实有效”。"
                      "省总工会的证书各级都可登记：登记后，省总工会签发的报表制度才能安装。")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.fingerprint = QLineEdit()
        self.fingerprint.setObjectName("superior_fingerprint")
        self.fingerprint.setPlaceholderText("如 3F2A 9C01 7B44 ……（共 16 组）")
        label = QLabel("登记表上的指纹(&F)：")
        label.setBuddy(self.fingerprint)
        layout.addWidget(label)
        layout.addWidget(self.fingerprint)
        self.error = _error_label()
        layout.addWidget(self.error)
        self.buttons = _buttons("登记", self)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setEnabled(False)
        self.fingerprint.textChanged.connect(self._changed)
        layout.addWidget(self.buttons)

    def _changed(self, text: str) -> None:
        from models.signing.trust import typed_fingerprint

        typed = typed_fingerprint(text)
        self.ok_button.setEnabled(len(typed) == 64)
        self._show_error("" if len(typed) in (0, 64) else f"已输入 {len(typed)} 位，指纹共 64 位")

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def accept(self) -> None:
        from models.signing.trust import typed_fingerprint

        if typed_fingerprint(self.fingerprint.text()) != self.info.fingerprint:
            self._show_error("输入的指纹与证书文件不一致：请勿登记，并与上级单位核实")
            return
        super().accept()


def ask_superior_fingerprint(parent: QWidget | None, info: CertInfo) -> str | None:
    """Run :class:`SuperiorCertificateDialog`; the fingerprint typed, or None when cancelled (replaced in tests)."""
    dialog = SuperiorCertificateDialog(info, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.fingerprint.text()


class TrustDialog(QDialog):
    """证书登记: register, list, replace and revoke subordinate units' certificates, and register the superior's."""

    COLUMNS = ("单位代码", "单位名称", "状态", "登记时间", "证书指纹")

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("证书登记（下级单位和上级单位）")
        fit_size(self, 1000, 460)
        layout = QVBoxLayout(self)
        hint = QLabel("登记下级单位交来的证书文件后，验证其报表时才会显示“验证通过”；登记上级单位的证书后，"
                      "其回执才显示为“回执真实有效”（省总工会的证书各级都可登记，用于安装报表制度）。"
                      "登记前务必核对证书指纹与对方签字盖章的公钥登记表一致。")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        self.empty = QLabel("尚未登记任何下级单位的证书。")
        layout.addWidget(self.empty)
        row = QHBoxLayout()
        self.add_button = QPushButton("登记证书…")
        self.add_button.setObjectName("primaryButton")
        self.replace_button = QPushButton("替换证书…")
        self.revoke_button = QPushButton("撤销登记…")
        self.superior_button = QPushButton("登记上级单位证书(&S)…")
        self.superior_button.setObjectName("register_superior")
        close = QPushButton("关闭")
        for button in (self.add_button, self.replace_button, self.revoke_button, self.superior_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)
        self.add_button.clicked.connect(lambda: self.register_certificate(replace=False))
        self.replace_button.clicked.connect(lambda: self.register_certificate(replace=True))
        self.revoke_button.clicked.connect(self.revoke_selected)
        self.superior_button.clicked.connect(lambda: self.register_superior())
        close.clicked.connect(self.reject)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.registrations: list[Registration] = []
        self.refresh()

    def refresh(self) -> None:
        from forms.divisions import PROVINCE_CODE
        from models.signing import trust

        self.registrations = trust.registrations(self.store)
        superior = trust.superior_code(self.store)
        self.table.setRowCount(len(self.registrations))
        for i, r in enumerate(self.registrations):
            state = f"{r.state_label}（上级单位）" if superior and r.unit_code == superior \
                else f"{r.state_label}（省总工会）" if superior and r.unit_code == PROVINCE_CODE else r.state_label
            for j, value in enumerate((r.unit_code, r.unit_name, state, r.registered_at.replace("T", " "),
                                       r.grouped)):
                item = QTableWidgetItem(value)
                item.setToolTip(r.grouped if j == 4 else value)
                if r.state == "revoked":
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(i, j, item)
        self.empty.setVisible(not self.registrations)
        self._update_buttons()

    def selected(self) -> Registration | None:
        selection = self.table.selectionModel()
        rows = selection.selectedRows() if selection is not None else []
        return self.registrations[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        selected = self.selected()
        self.replace_button.setEnabled(selected is not None and selected.state == "active")
        self.revoke_button.setEnabled(selected is not None and selected.state != "revoked")

    def register_certificate(self, *, replace: bool) -> None:
        from models.signing import trust

        path = choose_certificate_file(self)
        if path is None:
            return
        try:
            info = trust.read_certificate(path)
        except UserError as exc:
            msgbox.show_error(self, "登记证书", exc)
            return
        active = [r for r in self.registrations if r.unit_code == info.unit_code and r.state == "active"]
        replacing = None
        if active:
            replacing = (f"{info.unit_name}已有登记的证书，登记后旧证书改为“已替换”，用它签名的旧报表仍可验证。"
                         "如旧密钥已泄露，请先撤销旧证书。")
        elif replace:
            selected = self.selected()
            if selected is not None and selected.unit_code != info.unit_code:
                msgbox.warning(self, "替换证书", f"所选文件是{info.unit_name}（{info.unit_code}）的证书，"
                                               f"不是{selected.unit_name}（{selected.unit_code}）的")
                return
        warning = trust.subordinate_warning(self.store, info.unit_code, info.unit_name)
        if not confirm_certificate(self, info, replacing, warning):
            return
        try:
            registration = trust.register(self.store, path, replace=bool(active))
        except UserError as exc:
            msgbox.show_error(self, "登记证书", exc)
            return
        self.refresh()
        msgbox.information(self, "登记证书", f"已登记{registration.unit_name}（{registration.unit_code}）的证书。")

    def register_superior(self, path: Path | None = None) -> None:
        from models.signing import trust

        path = path or choose_certificate_file(self)
        if path is None:
            return
        try:
            info = trust.read_certificate(path)
        except UserError as exc:
            msgbox.show_error(self, "登记上级单位证书", exc)
            return
        typed = ask_superior_fingerprint(self, info)
        if typed is None:
            return
        active = [r for r in self.registrations if r.unit_code == info.unit_code and r.state == "active"]
        try:
            registration = trust.register_superior(self.store, path, expected_fingerprint=typed, replace=bool(active))
        except UserError as exc:
            msgbox.show_error(self, "登记上级单位证书", exc)
            return
        self.refresh()
        msgbox.information(self, "登记上级单位证书",
                           f"已登记上级单位{registration.unit_name}（{registration.unit_code}）的证书。")

    def revoke_selected(self) -> None:
        from models.signing import trust

        selected = self.selected()
        if selected is None:
            return
        reason = ask_revoke_reason(self, selected.unit_name, selected.grouped)
        if reason is None:
            return
        try:
            trust.revoke(self.store, fingerprint=selected.fingerprint, reason=reason)
        except UserError as exc:
            msgbox.show_error(self, "撤销登记", exc)
            return
        self.refresh()


def ask_revoke_reason(parent: QWidget | None, unit_name: str, grouped: str) -> str | None:
    """The reason for revoking a registration, or None if cancelled (replaced in tests)."""
    reason, ok = QInputDialog.getText(
        parent, "撤销登记", f"撤销{unit_name}的证书（指纹 {grouped[:19]} …）后，用它签名的报表都将显示为“未登记”。\n"
                          "撤销原因（如：密钥泄露）：")
    return reason.strip() if ok else None


# --- verifying files ------------------------------------------------------------------------------------------

STATUS_COLOURS = {"valid": "#027a48", "unregistered": "#b54708", "tampered": "#b42318", "unsigned": "#66758a",
                  "malformed": "#b42318"}


def choose_return_files(parent: QWidget | None) -> list[Path]:
    """Ask for exported return files (replaced in tests)."""
    names, _ = QFileDialog.getOpenFileNames(parent, "选择要核验的报表文件", _start("verify"),
                                            "报表文件 (*.xlsx *.pdf);;所有文件 (*)")
    if names:
        _remember("verify", names[0])
    return [Path(n) for n in names]


class VerifyDialog(QDialog):
    """核验报表文件: the signature state of each chosen file, with the reason, the unit and the signer."""

    COLUMNS = ("文件", "核验结果", "原因", "单位", "报告期", "版本", "签名证书指纹")
    REASON_COLUMN = 2

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("核验报表文件")
        fit_size(self, 1180, 420)
        layout = QVBoxLayout(self)
        hint = QLabel("核验 Excel 或 PDF 报表的电子签名：签名是否完好、签名之后是否被改动、签名证书是否已在本单位登记。")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.REASON_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(lambda *_: self.table.resizeRowsToContents())  # wrapped reasons
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton("选择文件…")
        self.add_button.setObjectName("primaryButton")
        close = QPushButton("关闭")
        row.addWidget(self.add_button)
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)
        self.add_button.clicked.connect(lambda: self.verify(choose_return_files(self)))
        close.clicked.connect(self.reject)
        self.results: list[ReadResult] = []

    def verify(self, paths: list[Path]) -> None:
        from PySide6.QtGui import QColor, QGuiApplication

        from models.return_io import read_return
        from models.signing import group_hex

        if not paths:
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            results = [read_return(path, self.store) for path in paths]
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.results.extend(results)
        for r in results:
            data = r.as_json()
            unit = f"{data.get('unit_name') or r.signer_name or ''}（{data.get('unit_code')}）" \
                if data.get("unit_code") else (r.signer_name or "")
            grouped = group_hex(r.fingerprint) if r.fingerprint else ""
            values = (r.path.name, r.label, r.reason, unit, str(data.get("period") or ""),
                      f"第{data['version']}版" if data.get("version") else "", grouped[:19] + " …" if grouped else "")
            i = self.table.rowCount()
            self.table.insertRow(i)
            for j, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(str(r.path) if j == 0 else grouped if j == 6 else value)
                if j == 1:
                    item.setForeground(QColor(STATUS_COLOURS.get(r.status, "#000000")))
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(i, j, item)
        self.table.resizeRowsToContents()


def open_verify_dialog(store: Store, parent: QWidget | None = None) -> None:
    dialog = VerifyDialog(store, parent)
    paths = choose_return_files(parent)
    if not paths:
        return
    dialog.verify(paths)
    dialog.exec()


def open_keys_dialog(store: Store, parent: QWidget | None = None) -> None:
    KeysDialog(store, parent).exec()


def open_trust_dialog(store: Store, parent: QWidget | None = None) -> None:
    TrustDialog(store, parent).exec()


# --- actions that sign: say so first, and offer to create the key there ----------------------------------------

def create_key_now(parent: QWidget | None, store: Store) -> bool:
    """Run :class:`CreateKeyDialog`; True when a key was created (replaced in tests)."""
    dialog = CreateKeyDialog(store, replacing=False, parent=parent)
    try:
        return dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()


def ensure_key(parent: QWidget | None, store: Store, purpose: str) -> bool:
    """True when the unit has a signing key; otherwise explain why one is needed and offer to create it now.

    ``purpose`` completes “……需要用本单位的签名密钥签名”, e.g. “退回报表的回执”.
    """
    from models.signing import keys

    if keys.active_key(store) is not None:
        return True
    if not msgbox.confirm(
            parent, "需要签名密钥",
            f"{purpose}需要用本单位的签名密钥签名，但本单位还没有创建签名密钥。\n\n"
            "现在创建吗？创建时请设定签名口令（以后每次签名都要输入）。",
            "创建密钥", "取消", default_yes=True):
        return False
    if not create_key_now(parent, store):
        return False
    msgbox.information(
        parent, "已创建签名密钥",
        "已创建本单位的签名密钥。\n\n请在“文件 → 本单位密钥…”中导出公钥登记表，打印后由单位负责人签字盖章，"
        "连同证书文件交上级单位登记；上级登记后，本单位签名的文件才会显示“验证通过”。")
    return True
