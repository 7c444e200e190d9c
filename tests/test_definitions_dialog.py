"""文件 → 报表制度…: sign at the province, install at a prefecture, export for the county, driven as a user would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from definition_support import PROVINCE_PASSPHRASE, definition_bytes, export_certificate, province_store, unit_store
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from models import definitions
from models.db import Store
from ui import definitions_dialog, keys_dialog, msgbox
from ui.definitions_dialog import DefinitionsDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    messages: list[tuple[str, str]] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(msgbox, name, lambda _p, title, text, *a, name=name, **k: messages.append((name, text)))
    return messages


def drive_passphrase(qtbot: Any, passphrase: str):  # type: ignore[no-untyped-def]
    """``ask_signer`` replaced by typing into the real passphrase dialog: a wrong one first, then the right one."""

    def ask(parent: Any, store: Store, purpose: str = "") -> Any:
        from PySide6.QtWidgets import QDialogButtonBox, QLabel

        dialog = keys_dialog.PassphraseDialog(store, purpose, parent)
        qtbot.addWidget(dialog)
        assert any("签发产业工人队伍建设改革统计表" in label.text() for label in dialog.findChildren(QLabel))
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.keyClicks(dialog.passphrase, "wrong-passphrase")
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        assert dialog.result() == 0 and "口令不正确" in dialog.error.text()
        dialog.passphrase.setText(passphrase)  # QTest types ASCII only; the passphrase has Chinese characters
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        assert dialog.result() == 1
        return dialog.signer

    return ask


def alt(qtbot: Any, key: Qt.Key, shown: list[tuple[str, str]]) -> None:
    """Alt+letter typed where the focus is, as a keyboard user presses a button's underlined letter; the button
    clicks itself a moment later (animateClick), and each of these actions ends with a message."""
    before = len(shown)
    qtbot.keyClick(QApplication.focusWidget(), key, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: len(shown) > before)


def test_province_signs_prefecture_installs_and_exports(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shown: list[tuple[str, str]]) -> None:
    province = province_store(tmp_path / "省总")
    prefecture = unit_store(tmp_path / "普洱", "530800")
    try:
        draft = tmp_path / "草稿 文件夹" / "制度 第2版.json"
        draft.parent.mkdir()
        draft.write_bytes(definition_bytes(version=2))
        signed = tmp_path / "U盘" / "签发.signed.json"
        signed.parent.mkdir()
        monkeypatch.setattr(definitions_dialog, "choose_definition_file", lambda _p: draft)
        monkeypatch.setattr(definitions_dialog, "choose_save_file", lambda _p, _t, name: signed)
        monkeypatch.setattr(definitions_dialog, "ask_signer", drive_passphrase(qtbot, PROVINCE_PASSPHRASE))
        monkeypatch.setattr(msgbox, "confirm", lambda *a, **k: True)  # “现在在本单位安装吗？” — yes

        dialog = DefinitionsDialog(province)
        qtbot.addWidget(dialog)
        assert dialog.sign_button.isVisibleTo(dialog) and dialog.table.rowCount() == 1
        assert not dialog.export_button.isEnabled()  # the shipped definition is not passed down
        qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
        assert signed.is_file()
        assert [i.definition.version for i in definitions.installed(province)] == [1, 2]
        assert dialog.table.rowCount() == 2 and dialog.table.item(1, 4).text() == "云南省总工会"
        assert shown[-1][0] == "information" and "已安装：" in shown[-1][1]

        # the prefecture: refused until the province's certificate is registered, with the reason
        dialog.close()
        other = DefinitionsDialog(prefecture)
        qtbot.addWidget(other)
        other.show()
        qtbot.waitExposed(other)
        other.activateWindow()
        assert not other.sign_button.isVisibleTo(other)
        monkeypatch.setattr(definitions_dialog, "choose_signed_file", lambda _p: signed)
        offered: list[str] = []  # “现在登记省总工会的证书吗？” — not now
        monkeypatch.setattr(msgbox, "confirm", lambda _p, _t, text, *a, **k: offered.append(text) and False)
        qtbot.waitUntil(other.isActiveWindow)
        assert QApplication.focusWidget() is other.table
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(lambda: len(offered) == 1)
        assert "签名者证书未登记" in offered[0]
        assert len(definitions.installed(prefecture)) == 1
        from models.signing import trust

        cert, fingerprint = export_certificate(province, tmp_path / "省证书")
        trust.register_superior(prefecture, cert, expected_fingerprint=fingerprint)
        alt(qtbot, Qt.Key.Key_I, shown)
        assert shown[-1][0] == "information" and "签发：云南省总工会（530000）" in shown[-1][1]
        assert definitions.definition_for(prefecture, 2026).version == 2
        assert other.table.rowCount() == 2 and other.selected() is other.rows[1]
        assert "2026—2030年" in other.table.item(1, 3).text()

        passed = tmp_path / "给县.signed.json"
        monkeypatch.setattr(definitions_dialog, "choose_save_file", lambda _p, _t, name: passed)
        assert other.export_button.isEnabled()
        alt(qtbot, Qt.Key.Key_E, shown)
        assert passed.read_bytes() == signed.read_bytes()
        assert "完全相同" in shown[-1][1]
    finally:
        province.close()
        prefecture.close()


def test_sign_is_refused_away_from_the_province(qtbot: Any, county_store: Store, shown: list[tuple[str, str]]) -> None:
    dialog = DefinitionsDialog(county_store)
    qtbot.addWidget(dialog)
    assert not dialog.sign_button.isVisibleTo(dialog)
    dialog.sign()
    assert "只有云南省总工会（530000）可以签发报表制度" in shown[-1][1]


def test_the_menu_opens_the_dialog(qtbot: Any, county_window: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Any] = []
    monkeypatch.setattr(DefinitionsDialog, "exec", lambda self: opened.append(self) or 0)
    assert county_window.definitions_action.text() == "报表制度(&D)…"
    county_window.definitions_action.trigger()
    assert opened and opened[0].windowTitle() == "报表制度"
    QApplication.processEvents()


def test_a_county_registers_the_province_certificate_and_installs(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, county_store: Store,
        shown: list[tuple[str, str]]) -> None:
    from definition_support import signed_definition

    from models.signing import trust

    province = province_store(tmp_path / "省总")
    try:
        signed = tmp_path / "转交 文件夹" / "报表制度.signed.json"
        signed.parent.mkdir()
        signed.write_bytes(signed_definition(province))
        cert, fingerprint = export_certificate(province, tmp_path / "省证书")
    finally:
        province.close()

    def type_fingerprint(parent: Any, info: Any) -> str | None:
        dialog = keys_dialog.SuperiorCertificateDialog(info, parent)
        qtbot.addWidget(dialog)
        qtbot.keyClicks(dialog.fingerprint, fingerprint.lower())
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        assert dialog.result() == 1
        return dialog.fingerprint.text()

    monkeypatch.setattr(keys_dialog, "ask_superior_fingerprint", type_fingerprint)
    trust_dialog = keys_dialog.TrustDialog(county_store)
    qtbot.addWidget(trust_dialog)
    trust_dialog.register_superior(cert)
    assert "已登记上级单位云南省总工会（530000）的证书" in shown[-1][1]
    assert trust_dialog.table.item(0, 2).text() == "有效（省总工会）"
    assert [(r.unit_code, r.note) for r in trust.registrations(county_store)] == [("530000", "省总工会（签发报表制度）")]

    dialog = DefinitionsDialog(county_store)
    qtbot.addWidget(dialog)
    dialog.install(signed)
    assert shown[-1][0] == "information" and "已安装：" in shown[-1][1]
    assert definitions.definition_for(county_store, 2026).version == 2
    assert dialog.table.rowCount() == 2 and dialog.export_button.isEnabled()


def test_an_unregistered_province_certificate_can_be_registered_from_the_refusal(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, county_store: Store,
        shown: list[tuple[str, str]]) -> None:
    from definition_support import signed_definition

    province = province_store(tmp_path / "省总")
    try:
        signed = tmp_path / "报表制度.signed.json"
        signed.write_bytes(signed_definition(province))
        cert, fingerprint = export_certificate(province, tmp_path / "省证书")
    finally:
        province.close()
    asked: list[str] = []
    monkeypatch.setattr(msgbox, "confirm", lambda _p, _t, text, *a, **k: asked.append(text) or True)
    monkeypatch.setattr(keys_dialog, "choose_certificate_file", lambda _p: cert)
    monkeypatch.setattr(keys_dialog, "ask_superior_fingerprint", lambda _p, _info: fingerprint)
    monkeypatch.setattr(definitions_dialog, "choose_signed_file", lambda _p: signed)
    dialog = DefinitionsDialog(county_store)
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
    assert "签名者证书未登记" in asked[0] and "现在登记省总工会的证书吗" in asked[0]
    assert shown[-1][0] == "information" and "已安装：" in shown[-1][1]
    assert definitions.definition_for(county_store, 2026).version == 2

    # declined: nothing is registered or installed
    monkeypatch.setattr(msgbox, "confirm", lambda *a, **k: False)
    other = tmp_path / "其他"
    other.mkdir()
    from signing_support import setup_unit

    from models.db import open_store

    fresh = open_store(other)
    try:
        setup_unit(fresh, "530822")
        second = DefinitionsDialog(fresh)
        qtbot.addWidget(second)
        second.install(signed)
        assert len(definitions.installed(fresh)) == 1
    finally:
        fresh.close()


def test_export_the_definition_file_then_check_and_preview_a_revision_by_keyboard(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, county_store: Store,
        shown: list[tuple[str, str]]) -> None:
    """导出制度文件 writes the selected definition's own bytes; 检查和预览 lists a broken file's problems with their
    places, and for a good one shows what it holds and writes the preview of its empty tables."""
    from pypdf import PdfReader

    from forms.definition import shipped_definition

    dialog = DefinitionsDialog(county_store)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.table.selectRow(0)
    exported = tmp_path / "制度 文件" / "导出.json"
    exported.parent.mkdir()
    monkeypatch.setattr(definitions_dialog, "choose_save_file", lambda _p, _t, name, _f="": exported)
    alt(qtbot, Qt.Key.Key_F, shown)
    assert exported.read_bytes() == shipped_definition().raw
    assert shown[-1][0] == "information" and shipped_definition().digest in shown[-1][1]

    # a revision with a mistake: named with its place, nothing written
    broken = tmp_path / "制度 文件" / "第2版 有错.json"
    broken.write_bytes(exported.read_bytes().replace(b'"version": 1', b'"version": 2', 1)
                       .replace(b'"not_above": "model_count"', b'"not_above": "no_such_column"', 1))
    monkeypatch.setattr(definitions_dialog, "choose_definition_file", lambda _p, _t="": broken)
    details: list[str] = []
    monkeypatch.setattr(msgbox, "warning", lambda _p, title, text, detail=None: (shown.append(("warning", text)),
                                                                                 details.append(detail or "")))
    alt(qtbot, Qt.Key.Key_K, shown)
    assert shown[-1][0] == "warning" and "处问题" in shown[-1][1]
    assert "no_such_column" in details[-1] and "tables[0]" in details[-1]

    # the 2026 definition: its summary, then the preview
    good = Path(__file__).with_name("definitions") / "yn-changai-return-2026.json"
    preview = tmp_path / "预览 文件夹" / "表式预览.pdf"
    preview.parent.mkdir()
    asked: list[str] = []
    opened: list[Path] = []
    monkeypatch.setattr(definitions_dialog, "choose_definition_file", lambda _p, _t="": good)
    monkeypatch.setattr(definitions_dialog, "choose_save_file", lambda _p, _t, name, _f="": preview)
    monkeypatch.setattr(msgbox, "confirm", lambda _p, _t, text, *a, **k: asked.append(text) or True)
    monkeypatch.setattr(definitions_dialog, "open_file", lambda path: opened.append(path) or True)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_K, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: bool(opened))
    assert "检查通过" in asked[0] and "表 6 张" in asked[0] and "审核规则 21 条" in asked[0]
    assert "trainings.digital_participants" in asked[0]
    assert opened == [preview] and len(PdfReader(preview).pages) == 7
