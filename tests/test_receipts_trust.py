"""Receipts are genuine only from the registered superior and only for this unit's own return."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_of
from PySide6.QtCore import Qt
from signing_support import OTHER_PASSPHRASE, make_key, other_unit_store, setup_unit

from forms.periods import parse_period
from models import receipts, versions
from models.db import Store, open_store
from models.receipts import MISMATCH, Receipt
from models.signing import UNREGISTERED, VALID, SigningError, trust
from models.signing.provider import FileKeySigner
from models.signing.register_form import export_registration, qr_payload
from ui import keys_dialog, msgbox

YEAR = str(dt.date.today().year - 1)
PERIOD = parse_period(YEAR)


def _build_county(folder: Path) -> None:
    """宁洱 as ``demo_store`` sets it up, with a key and its return finalised."""
    from models.demo import fill_demo

    store = open_store(folder / "宁洱 数据")
    try:
        setup_unit(store, "530821")
        fill_demo(store, seed=2025)
        make_key(store)
        versions.finalise(store, PERIOD)
    finally:
        store.close()


@pytest.fixture
def county(prebuilt: Any, tmp_path: Path) -> Iterator[Store]:
    """A copy of the finalised demo county with a key (built once per session)."""
    copy_of(prebuilt("finalised_county", _build_county), tmp_path)
    store = open_store(tmp_path / "宁洱 数据")
    yield store
    store.close()


@pytest.fixture
def prefecture(tmp_path: Path) -> Store:
    store = other_unit_store(tmp_path / "普洱市", "530800")
    yield store
    store.close()


def receipt_for(county: Store, issuer: Store, decision: str = "returned", **changes: Any) -> Receipt:
    from models import unit

    digest = county.scalar("SELECT digest FROM returns WHERE period = ? AND version = 1", (YEAR,))
    own, boss = unit.load(county), unit.load(issuer)
    assert own is not None and boss is not None
    receipt = Receipt(own.code, own.name, YEAR, 1, digest, f"{own.code}_{YEAR}_v1.xlsx", decision, "表3与附件不符",
                      boss.code, boss.name, "2026-01-05T10:00:00", "2026-01-06T09:00:00", "valid")
    return dataclasses.replace(receipt, **changes)


def write(receipt: Receipt, issuer: Store, passphrase: str, folder: Path) -> Path:
    return receipts.write_receipt_file(receipt, FileKeySigner.open(issuer, passphrase), folder)


def certificate(store: Store, folder: Path) -> tuple[Path, str]:
    files = export_registration(store, folder)
    info = trust.read_certificate(files.certificate)
    return files.certificate, info.fingerprint


def test_a_forged_receipt_is_never_genuine(county: Store, prefecture: Store, tmp_path: Path) -> None:
    genuine = write(receipt_for(county, prefecture), prefecture, OTHER_PASSPHRASE, tmp_path / "真")
    # anyone can set up as 530800, create a key and write a 回执
    impostor = open_store(tmp_path / "冒充")
    setup_unit(impostor, "530800")
    make_key(impostor, "impostor-passphrase-7")
    forged = write(receipt_for(county, impostor, "accepted"), impostor, "impostor-passphrase-7", tmp_path / "假")
    for path in (genuine, forged):  # before the county registers its superior: neither is genuine
        opened = receipts.open_receipt(path, county)
        assert opened.status == UNREGISTERED and not opened.genuine and "无法确认" in opened.reason
    cert, fingerprint = certificate(prefecture, tmp_path / "普洱证书")
    trust.register_superior(county, cert, expected_fingerprint=fingerprint)
    assert receipts.open_receipt(genuine, county).status == VALID
    assert receipts.open_receipt(genuine, county).status_label == "回执真实有效"
    opened = receipts.open_receipt(forged, county)
    assert opened.status == UNREGISTERED and not opened.genuine
    impostor.close()


def test_a_genuine_receipt_cannot_be_replayed(county: Store, prefecture: Store, tmp_path: Path) -> None:
    cert, fingerprint = certificate(prefecture, tmp_path / "普洱证书")
    trust.register_superior(county, cert, expected_fingerprint=fingerprint)
    cases = {"other unit": {"unit_code": "530822", "unit_name": "墨江哈尼族自治县总工会"},
             "other period": {"period": str(int(YEAR) - 1)},
             "other version": {"version": 2},
             "other data": {"digest": "0" * 64}}
    for name, change in cases.items():
        path = write(receipt_for(county, prefecture, **change), prefecture, OTHER_PASSPHRASE, tmp_path / name)
        opened = receipts.open_receipt(path, county)
        assert opened.status == MISMATCH and not opened.genuine, (name, opened.reason)
        assert opened.status_label == "与本单位的报表不符"


def test_register_superior_checks_fingerprint_and_unit(county: Store, prefecture: Store, tmp_path: Path) -> None:
    cert, fingerprint = certificate(prefecture, tmp_path / "普洱证书")
    with pytest.raises(SigningError, match="必须输入"):
        trust.register_superior(county, cert, expected_fingerprint=" ")
    with pytest.raises(SigningError, match="不一致"):
        trust.register_superior(county, cert, expected_fingerprint="0" * 64)
    sibling = other_unit_store(tmp_path / "墨江", "530822")
    sibling_cert, sibling_fp = certificate(sibling, tmp_path / "墨江证书")
    sibling.close()
    with pytest.raises(SigningError, match="不是本单位的上级单位"):
        trust.register_superior(county, sibling_cert, expected_fingerprint=sibling_fp)
    registration = trust.register_superior(county, cert, expected_fingerprint=qr_payload("530800", fingerprint))
    assert registration.unit_code == "530800" and registration.note == "上级单位"


def test_the_trust_dialog_registers_the_superior_with_the_typed_fingerprint(
        qtbot: Any, county: Store, prefecture: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[str] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(msgbox, name, lambda _p, _t, text, *a, **k: shown.append(text))
    cert, fingerprint = certificate(prefecture, tmp_path / "普洱证书")
    info = trust.read_certificate(cert)
    typed: list[str] = []

    def drive(parent: Any, certificate_info: Any) -> str | None:
        dialog = keys_dialog.SuperiorCertificateDialog(certificate_info, parent)
        qtbot.addWidget(dialog)
        qtbot.keyClicks(dialog.fingerprint, "1234 5678")
        assert not dialog.ok_button.isEnabled() and "已输入 8 位" in dialog.error.text()
        assert dialog.error.isVisibleTo(dialog)
        dialog.fingerprint.clear()
        qtbot.keyClicks(dialog.fingerprint, "0" * 64)  # a wrong fingerprint: refused in the dialog
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        assert dialog.result() == 0 and "不一致" in dialog.error.text()
        dialog.fingerprint.clear()
        qtbot.keyClicks(dialog.fingerprint, " ".join(fingerprint[i:i + 4].lower() for i in range(0, 64, 4)))
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        assert dialog.result() == 1
        typed.append(dialog.fingerprint.text())
        return dialog.fingerprint.text()

    monkeypatch.setattr(keys_dialog, "ask_superior_fingerprint", drive)
    dialog = keys_dialog.TrustDialog(county)
    qtbot.addWidget(dialog)
    assert dialog.superior_button.text() == "登记上级单位证书(&S)…"
    dialog.register_superior(cert)
    assert typed and shown[-1].startswith("已登记上级单位普洱市总工会")
    assert [r.unit_code for r in trust.registrations(county)] == ["530800"]
    assert dialog.table.item(0, 2).text() == "有效（上级单位）"
    assert dialog.width() <= 1024
    assert info.fingerprint == fingerprint
