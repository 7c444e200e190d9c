"""Staff open signed workbooks and save them again: the copy is no longer the signed file.

The signature covers every part of the package as exported; a re-save rewrites every part and drops the
signature, so the copy reads as changed (the receiver uses the file as exported, the sender re-exports).
The changed cells are still named by comparing the copy's visible sheets with its embedded data.

LibreOffice (headless) re-saves the workbook as Excel 2007+ XML, as a user's "save" does. The test is
skipped only when LibreOffice is not installed (Debian package ``libreoffice-calc-nogui``).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from signing_support import PASSPHRASE, make_key

from forms.periods import parse_period
from models import export, return_io
from models.db import Store
from models.signing.provider import FileKeySigner

YEAR = str(dt.date.today().year - 1)
PERIOD = parse_period(YEAR)
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(SOFFICE is None, reason="未安装 LibreOffice（Debian 包 libreoffice-calc-nogui），无法测试另存"),
]


def resave(path: Path, work: Path) -> Path:
    """Open ``path`` in LibreOffice and save it again as .xlsx; the re-saved copy."""
    out = work / "另存"
    assert SOFFICE is not None
    proc = subprocess.run(
        [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={(work / 'lo-profile').as_uri()}",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path)],
        capture_output=True, timeout=300, check=False)
    result = out / path.name
    assert proc.returncode == 0 and result.exists(), proc.stderr.decode(errors="replace")
    assert result.read_bytes() != path.read_bytes()  # really written again by LibreOffice
    return result


@pytest.fixture
def signed_xlsx(demo_store: Store, tmp_path: Path) -> Path:
    make_key(demo_store)
    signer = FileKeySigner.open(demo_store, PASSPHRASE)
    (xlsx,) = export.export_return(demo_store, PERIOD, tmp_path / "U盘", ["xlsx"], signer=signer)
    return xlsx


def test_resaved_without_changes_is_no_longer_the_signed_file(demo_store: Store, signed_xlsx: Path,
                                                               tmp_path: Path) -> None:
    resaved = resave(signed_xlsx, tmp_path)
    result = return_io.read_return(resaved, demo_store)
    assert result.status == return_io.TAMPERED, result.reason
    assert "签名已不在文件中" in result.reason and "另存" in result.reason
    assert "不一致" not in result.reason  # nothing visible was changed, and the reason does not claim so
    assert result.digest == return_io.read_return(signed_xlsx, demo_store).digest
    assert return_io.read_return(signed_xlsx, demo_store).status == return_io.VALID  # the original still is


def test_resaved_after_a_changed_value_is_tampered(demo_store: Store, signed_xlsx: Path, tmp_path: Path) -> None:
    edited = tmp_path / "改过" / signed_xlsx.name
    edited.parent.mkdir()
    shutil.copy(signed_xlsx, edited)
    wb = openpyxl.load_workbook(edited)
    ws = wb["表1"]
    row = next(r for r in ws.iter_rows() if r[0].value == "合计")
    row[1].value = (row[1].value or 0) + 1
    wb.save(edited)
    resaved = resave(edited, tmp_path)
    result = return_io.read_return(resaved, demo_store)
    assert result.status == return_io.TAMPERED and "表1" in result.reason
