"""The signing dialogs, driven as a user drives them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from signing_support import PASSPHRASE, make_key, other_unit_store, setup_unit

from forms.periods import Period
from models.db import Store, open_store
from models.signing import keys, trust
from ui import keys_dialog, msgbox
from ui.keys_dialog import CreateKeyDialog, KeysDialog, PassphraseDialog, TrustDialog


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(msgbox, name, lambda _parent, _title, text, *a, **k: shown.append(text))
    monkeypatch.setattr(msgbox, "confirm", lambda *a, **k: True)
    return shown


def ok_button(dialog: Any) -> Any:
    return dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)


def test_create_key_dialog(qtbot: Any, county_store: Store) -> None:
    dialog = CreateKeyDialog(county_store, replacing=False)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.passphrase, "abc")
    assert dialog.meter.value() == 0 and "太短" in dialog.strength.text()
    qtbot.keyClicks(dialog.passphrase, "12345")
    assert dialog.meter.value() == 1 and "不能使用" in dialog.strength.text()
    dialog.passphrase.clear()
    qtbot.keyClicks(dialog.passphrase, "abc-Def-1234")
    assert dialog.meter.value() == 2
    qtbot.keyClicks(dialog.again, "abc-Def-1235")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert "不一致" in dialog.error.text() and dialog.created is None
    assert keys.own_keys(county_store) == []
    dialog.again.clear()
    qtbot.keyClicks(dialog.again, "abc-Def-1234")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert dialog.created is not None
    assert keys.active_key(county_store).fingerprint == dialog.created.fingerprint  # type: ignore[union-attr]


def test_keys_dialog_creates_replaces_and_exports(qtbot: Any, county_store: Store, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch, messages: list[str]) -> None:
    dialog = KeysDialog(county_store)
    qtbot.addWidget(dialog)
    assert dialog.create_button.text() == "创建密钥…" and not dialog.export_button.isEnabled()

    def fill_and_accept(self: CreateKeyDialog) -> int:
        self.passphrase.setText(PASSPHRASE)
        self.again.setText(PASSPHRASE)
        self.accept()
        return int(self.result())

    monkeypatch.setattr(CreateKeyDialog, "exec", fill_and_accept)
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    active = keys.active_key(county_store)
    assert active is not None and active.grouped in messages[-1]
    assert dialog.export_button.isEnabled() and dialog.create_button.text() == "更换密钥…"
    assert dialog.fingerprint.text().replace("\n", " ") == active.grouped

    monkeypatch.setattr(keys_dialog, "choose_folder", lambda *_: tmp_path / "导出")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert sorted(p.suffix for p in (tmp_path / "导出").iterdir()) == [".cer", ".pdf"]
    assert "已导出" in messages[-1]

    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)  # replace (confirm patched to yes)
    assert len(keys.own_keys(county_store)) == 2
    assert keys.active_key(county_store).fingerprint != active.fingerprint  # type: ignore[union-attr]


def test_keys_dialog_without_unit(qtbot: Any, store: Store) -> None:
    dialog = KeysDialog(store)
    qtbot.addWidget(dialog)
    assert not dialog.create_button.isEnabled() and not dialog.export_button.isEnabled()


def test_passphrase_dialog_reports_a_wrong_passphrase(qtbot: Any, county_store: Store) -> None:
    make_key(county_store)
    dialog = PassphraseDialog(county_store)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.passphrase, "wrong-passphrase")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert "口令不正确" in dialog.error.text() and dialog.signer is None
    dialog.passphrase.setText(PASSPHRASE)  # QTest types ASCII only; the passphrase has Chinese characters
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert dialog.signer is not None and dialog.result() == 1


def test_confirm_dialog_needs_the_check(qtbot: Any, county_store: Store) -> None:
    key = make_key(county_store)
    info = trust.read_certificate(key.cert_pem.encode())
    dialog = keys_dialog.ConfirmCertificateDialog(info, replacing=None, warning="注意")
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled()
    assert dialog.fingerprint.text().replace("\n", " ") == key.grouped
    dialog.checked.setChecked(True)
    assert dialog.ok_button.isEnabled()


def test_trust_dialog_registers_replaces_and_revokes(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     messages: list[str]) -> None:
    superior = open_store(tmp_path / "普洱市")
    setup_unit(superior, "530800")
    county = other_unit_store(tmp_path / "墨江", "530822")
    cert_file = tmp_path / "墨江.cer"
    cert_file.write_text(keys.active_key(county).cert_pem, encoding="ascii")  # type: ignore[union-attr]
    shown: list[tuple[str, str | None]] = []

    def confirm(_parent: Any, info: Any, replacing: str | None, warning: str | None) -> bool:
        shown.append((info.fingerprint, replacing))
        return True

    monkeypatch.setattr(keys_dialog, "choose_certificate_file", lambda *_: cert_file)
    monkeypatch.setattr(keys_dialog, "confirm_certificate", confirm)
    dialog = TrustDialog(superior)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 0 and not dialog.replace_button.isEnabled()
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 2).text() == "有效"
    assert shown[-1] == (keys.active_key(county).fingerprint, None)  # type: ignore[union-attr]

    # the county replaced its key: registering the new certificate replaces the old one
    keys.create_key(county, "county-new-pass", "county-new-pass")
    cert_file.write_text(keys.active_key(county).cert_pem, encoding="ascii")  # type: ignore[union-attr]
    dialog.table.selectRow(0)
    assert dialog.replace_button.isEnabled()
    qtbot.mouseClick(dialog.replace_button, Qt.MouseButton.LeftButton)
    assert shown[-1][1] and "已替换" in shown[-1][1]
    states = sorted(dialog.table.item(i, 2).text() for i in range(dialog.table.rowCount()))
    assert states == ["已替换（旧报表仍可验证）", "有效"]

    # revoke the active one
    monkeypatch.setattr(keys_dialog, "ask_revoke_reason", lambda *_: "密钥泄露")
    row = next(i for i in range(dialog.table.rowCount()) if dialog.table.item(i, 2).text() == "有效")
    dialog.table.selectRow(row)
    qtbot.mouseClick(dialog.revoke_button, Qt.MouseButton.LeftButton)
    assert dialog.table.item(row, 2).text() == "已撤销"
    assert [r.revoke_reason for r in trust.registrations(superior) if r.state == "revoked"] == ["密钥泄露"]

    # a file that is not a certificate is reported, nothing registered
    bad = tmp_path / "坏.cer"
    bad.write_bytes(b"garbage")
    monkeypatch.setattr(keys_dialog, "choose_certificate_file", lambda *_: bad)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert "不是有效的证书文件" in messages[-1]
    superior.close()
    county.close()


def test_main_window_opens_the_signing_dialogs(qtbot: Any, county_store: Store, data_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.main_window import MainWindow
    from ui.settings_store import Preferences

    opened: list[str] = []
    monkeypatch.setattr(KeysDialog, "exec", lambda self: opened.append(self.windowTitle()) or 0)
    monkeypatch.setattr(TrustDialog, "exec", lambda self: opened.append(self.windowTitle()) or 0)
    window = MainWindow(county_store, Preferences(data_dir))
    qtbot.addWidget(window)
    assert window.keys_action.text() == "本单位密钥(&K)…" and window.trust_action.text() == "证书登记（下级、上级单位）(&T)…"
    window.keys_action.trigger()
    window.trust_action.trigger()
    assert opened == ["本单位签名密钥", "证书登记（下级单位和上级单位）"]


def test_seal_image_is_kept_in_the_data_folder(qtbot: Any, county_store: Store, data_dir: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch, messages: list[str]) -> None:
    from PIL import Image

    from models.signing.pdf import stored_seal_image

    make_key(county_store)
    seal = tmp_path / "公章.jpg"
    Image.new("RGB", (1200, 1200), (220, 30, 30)).save(seal)
    dialog = KeysDialog(county_store)
    qtbot.addWidget(dialog)
    assert not dialog.clear_seal_button.isEnabled()
    monkeypatch.setattr(keys_dialog, "choose_seal_image", lambda *_: seal)
    qtbot.mouseClick(dialog.seal_button, Qt.MouseButton.LeftButton)
    stored = stored_seal_image(county_store)
    assert stored is not None and stored.parent == data_dir
    with Image.open(stored) as kept:
        assert max(kept.size) <= 600
    assert not dialog.seal_preview.pixmap().isNull()
    bad = tmp_path / "坏.png"
    bad.write_bytes(b"not an image")
    monkeypatch.setattr(keys_dialog, "choose_seal_image", lambda *_: bad)
    qtbot.mouseClick(dialog.seal_button, Qt.MouseButton.LeftButton)
    assert "无法读取" in messages[-1] and stored_seal_image(county_store) == stored
    qtbot.mouseClick(dialog.clear_seal_button, Qt.MouseButton.LeftButton)
    assert stored_seal_image(county_store) is None


def test_return_page_exports_signed_files(qtbot: Any, demo_store: Store, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from forms.periods import Period
    from models import return_io, versions
    from models.signing.provider import FileKeySigner
    from ui import return_page, settings_store
    from ui.return_page import ReturnPage

    year = dt.date.today().year - 1
    shown: list[tuple[str, str]] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(return_page.msgbox, name, lambda _p, title, text, *_a: shown.append((title, text)))
    make_key(demo_store)
    settings_store.set_current_period(demo_store, Period(str(year)))
    page = ReturnPage(demo_store)
    qtbot.addWidget(page)
    page.refresh()
    asked: list[str] = []

    def cancelled(_parent: Any, _store: Store, purpose: str = "") -> None:
        asked.append("cancel")
        return None

    monkeypatch.setattr(keys_dialog, "ask_signer", cancelled)
    page.export(["xlsx", "pdf"], folder=str(tmp_path / "取消"))
    assert asked == ["cancel"] and not (tmp_path / "取消").exists()
    assert versions.list_versions(demo_store, Period(year)) == []  # nothing finalised either

    monkeypatch.setattr(keys_dialog, "ask_signer", lambda *_a, **_k: FileKeySigner.open(demo_store, PASSPHRASE))
    out = tmp_path / "U盘"
    page.export(["xlsx", "pdf"], folder=str(out))
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    assert shown[-1][0] == "导出完成" and "已用本单位密钥签名" in shown[-1][1]
    for path in out.iterdir():
        assert return_io.read_return(path, demo_store).status == return_io.VALID, path


def test_verify_dialog_lists_each_files_state(qtbot: Any, demo_store: Store, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from models import export
    from models.signing.provider import FileKeySigner
    from ui.keys_dialog import VerifyDialog
    from ui.main_window import MainWindow
    from ui.settings_store import Preferences

    make_key(demo_store)
    year = Period(dt.date.today().year - 1)
    xlsx, pdf = export.export_return(demo_store, year, tmp_path / "U盘", signer=FileKeySigner.open(demo_store, PASSPHRASE))
    broken = tmp_path / "改过.pdf"
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x01  # in the pages
    broken.write_bytes(bytes(data))
    shown: list[list[str]] = []

    def capture(self: VerifyDialog) -> int:
        for i in range(self.table.rowCount()):
            shown.append([self.table.item(i, j).text() for j in range(self.table.columnCount())])
        return 0

    monkeypatch.setattr(VerifyDialog, "exec", capture)
    monkeypatch.setattr(keys_dialog, "choose_return_files", lambda *_: [xlsx, pdf, broken])
    window = MainWindow(demo_store, Preferences(tmp_path / "prefs"))
    qtbot.addWidget(window)
    window.verify_action.trigger()
    assert [row[1] for row in shown] == ["验证通过", "验证通过", "已被修改"]
    assert shown[0][3] == "宁洱哈尼族彝族自治县总工会（530821）" and shown[0][4] == year.code and shown[0][5] == "第1版"
    assert shown[1][6].endswith("…") and "修改" in shown[2][2]
