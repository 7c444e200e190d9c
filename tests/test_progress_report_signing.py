"""The Excel progress report is signed like a return's workbook; ``verify`` (and 核验报表文件) says what it is, refuses
a changed copy, and the receiving side never takes it for a return."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from definition_support import export_certificate, province_store, signer_of, unit_store
from openpyxl import load_workbook

from forms.plans import shipped_plan
from models import progress
from models.db import Store
from models.progress_report import export_report, write_xlsx
from models.return_io import TAMPERED, UNREGISTERED, UNSIGNED, VALID, read_return
from models.signing import package


def _report_files(province: Store, out: Path, *, signed: bool = True) -> tuple[Path, Path]:
    report = progress.build_report(province, shipped_plan(), as_of=2023)
    files = export_report(report, out, signer=signer_of(province) if signed else None)
    pdf, xlsx = sorted(files, key=lambda p: p.suffix)
    return pdf, xlsx


@pytest.fixture
def reports(tmp_path: Path) -> tuple[Path, Path, Path, str]:
    """(PDF, workbook, the province's certificate, its fingerprint), written by the province."""
    province = province_store(tmp_path / "省总 工会")
    try:
        pdf, xlsx = _report_files(province, tmp_path / "U盘 报告")
        cert, fingerprint = export_certificate(province, tmp_path / "省证书")
    finally:
        province.close()
    return pdf, xlsx, cert, fingerprint


def test_the_workbook_is_signed_and_verify_says_what_it_is(reports: tuple[Path, Path, Path, str],
                                                            tmp_path: Path) -> None:
    from models.signing import trust

    pdf, xlsx, cert, fingerprint = reports
    with zipfile.ZipFile(xlsx) as zf:
        assert package.SIGNATURE_PART in zf.namelist()
    prefecture = unit_store(tmp_path / "普洱", "530800")
    try:
        trust.register_superior(prefecture, cert, expected_fingerprint=fingerprint)
        result = read_return(xlsx, prefecture)
        assert result.status == VALID, result.reason
        assert result.ret is None and result.claimed["document"] == "progress-report"
        assert "这是云南省总工会（530000）的规划目标完成情况报告" in result.reason
        assert "“十四五”规划（2021—2025年，第1版），截至2023年" in result.reason and "不能接收或汇总" in result.reason
        assert result.as_json()["period"] == "截至2023年" and result.as_json()["plan_id"] == shipped_plan().id
        on_pdf = read_return(pdf, prefecture)
        assert on_pdf.status == VALID and "这是云南省总工会（530000）的规划目标完成情况报告" in on_pdf.reason
        # the receiving side: checked, never stored as a return
        from models.receiving import ACCEPTED, inspect_file, store_inspection

        outcome = store_inspection(prefecture, inspect_file(prefecture, xlsx))
        assert outcome.outcome != ACCEPTED and "不是统计报表" in outcome.reason
        assert prefecture.scalar("SELECT COUNT(*) FROM received_returns") == 0
    finally:
        prefecture.close()
    # a PC that registered nobody: the signature is good, the signer unknown
    result = read_return(xlsx)
    assert result.status == UNREGISTERED and "规划目标完成情况报告" in result.reason


def _rewrite(xlsx: Path, target: Path, change: dict[str, bytes | None]) -> Path:
    with zipfile.ZipFile(xlsx) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in change:
                if change[info.filename] is not None:
                    dst.writestr(info.filename, change[info.filename])  # type: ignore[arg-type]
                continue
            dst.writestr(info, src.read(info))
    return target


def test_a_changed_report_is_refused_with_the_place(reports: tuple[Path, Path, Path, str], tmp_path: Path) -> None:
    _pdf, xlsx, _cert, _fingerprint = reports
    with zipfile.ZipFile(xlsx) as zf:
        strings = zf.read("xl/sharedStrings.xml")
        sheet = zf.read("xl/worksheets/sheet1.xml")
    changed = _rewrite(xlsx, tmp_path / "改了文字.xlsx",
                       {"xl/sharedStrings.xml": strings.replace("情况报告".encode(), "情况汇报".encode())})
    result = read_return(changed)
    assert result.status == TAMPERED and "规划目标完成情况报告" in result.reason and "表格中的文字被改动" in result.reason
    changed = _rewrite(xlsx, tmp_path / "改了数.xlsx", {"xl/worksheets/sheet1.xml": sheet.replace(b"<v>", b"<v>1", 1)})
    result = read_return(changed)
    assert result.status == TAMPERED and "工作表“完成情况”被改动" in result.reason
    # the manifest itself altered: the signature no longer matches
    with zipfile.ZipFile(xlsx) as zf:
        manifest, signature = package.decode_comment(zf.read(package.SIGNATURE_PART))
    forged = manifest.replace(b"period 2023", b"period 2025")
    bad = _rewrite(xlsx, tmp_path / "改了清单.xlsx",
                   {package.SIGNATURE_PART: package.encode_comment(forged, signature)})
    assert read_return(bad).status == TAMPERED
    # the signature part removed (a re-save drops it): an unsigned progress report, said so
    stripped = _rewrite(xlsx, tmp_path / "另存.xlsx", {package.SIGNATURE_PART: None})
    result = read_return(stripped)
    assert result.status == UNSIGNED and "这是规划目标完成情况报告（Excel），不是统计报表" in result.reason


def test_unsigned_export_and_an_unknown_document_kind(tmp_path: Path) -> None:
    province = province_store(tmp_path / "省总")
    try:
        pdf, xlsx = _report_files(province, tmp_path / "out", signed=False)
        report = progress.build_report(province, shipped_plan(), as_of=2023)
        again = tmp_path / "again.xlsx"
        write_xlsx(report, again, signer=signer_of(province))
    finally:
        province.close()
    with zipfile.ZipFile(xlsx) as zf:
        assert package.SIGNATURE_PART not in zf.namelist()
    assert read_return(xlsx).status == UNSIGNED and "规划目标完成情况报告" in read_return(xlsx).reason
    result = read_return(pdf)
    assert result.status == UNSIGNED and "规划目标完成情况报告" in result.reason
    assert load_workbook(again).sheetnames[0] == "完成情况"  # the signed workbook still opens
    with pytest.raises(Exception, match="本程序不认识"):
        package.Manifest.from_bytes(b"changai-xlsx-manifest/1\nunit_code 1\nperiod 2\nversion 1\ndata x\n"
                                    b"document budget\nsubject y\n")


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_the_verify_dialog_names_the_report(qtbot: Any, reports: tuple[Path, Path, Path, str],
                                           county_store: Store) -> None:
    from ui.keys_dialog import VerifyDialog

    _pdf, xlsx, _cert, _fingerprint = reports
    dialog = VerifyDialog(county_store)
    qtbot.addWidget(dialog)
    dialog.verify([xlsx])
    texts = [dialog.table.item(0, j).text() for j in range(dialog.table.columnCount())]
    assert texts[1] == "签名有效但未登记" and "这是云南省总工会（530000）的规划目标完成情况报告" in texts[2]
    assert "云南省总工会（530000）" in texts[3] and texts[4] == "截至2023年"
