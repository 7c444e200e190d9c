"""A long roster is written row by row (XlsxWriter's constant_memory mode for that sheet alone): the workbook shows
the same cells, merges and formats as one written whole, and reads back and verifies the same."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

from forms.periods import Period
from models.db import Store


def _sheets(path: Path) -> dict[str, Any]:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    out: dict[str, Any] = {}
    for ws in wb.worksheets:
        cells = {(c.row, c.column): (c.value, c.font.b, c.font.name, c.border.left.style, c.alignment.horizontal,
                                     c.alignment.wrap_text, c.number_format)
                 for row in ws.iter_rows() for c in row if c.value is not None or c.has_style}
        out[ws.title] = (cells, sorted(str(m) for m in ws.merged_cells.ranges), ws.freeze_panes, ws.auto_filter.ref,
                         {k: v.height for k, v in ws.row_dimensions.items() if v.height},
                         {k: v.width for k, v in ws.column_dimensions.items()}, ws.sheet_state,
                         ws.print_title_rows, ws.page_setup.orientation)
    return out


def test_a_streamed_roster_shows_what_a_whole_one_shows(demo_store: Store, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from models import export_xlsx, return_io, versions

    ret = versions.finalise(demo_store, Period(2025))
    ret.notes = [{"code": "x", "message": "说明一", "text": "解释"}]
    monkeypatch.setattr(export_xlsx, "IN_MEMORY_ROSTER_ROWS", 0)  # both through XlsxWriter's temporary files
    export_xlsx.write_xlsx(ret, tmp_path / "whole.xlsx")
    scratch = tmp_path / "临时"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where XlsxWriter puts the rows as they are written
    monkeypatch.setattr(export_xlsx, "STREAMED_ROSTER_ROWS", 0)
    export_xlsx.write_xlsx(ret, tmp_path / "streamed.xlsx")
    assert list(scratch.iterdir()) == []  # its row files are gone
    with zipfile.ZipFile(tmp_path / "streamed.xlsx") as z:
        roster_xml = z.read("xl/worksheets/sheet7.xml")
    assert b't="inlineStr"' in roster_xml  # the roster really was streamed
    assert _sheets(tmp_path / "streamed.xlsx") == _sheets(tmp_path / "whole.xlsx")
    result = return_io.read_return(tmp_path / "streamed.xlsx")
    assert result.status == return_io.UNSIGNED and result.ret is not None, result.reason
    assert result.ret.rosters == ret.rosters


def test_a_signed_streamed_workbook_verifies_and_names_a_changed_roster_cell(
        demo_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from models import export, export_xlsx, return_io, versions
    from models.signing.provider import FileKeySigner
    from tests.signing_support import PASSPHRASE, make_key

    make_key(demo_store)
    versions.finalise(demo_store, Period(2025))
    monkeypatch.setattr(export_xlsx, "IN_MEMORY_ROSTER_ROWS", 0)
    monkeypatch.setattr(export_xlsx, "STREAMED_ROSTER_ROWS", 0)
    (xlsx,) = export.export_return(demo_store, Period(2025), tmp_path / "U盘", ["xlsx"], version=1,
                                   signer=FileKeySigner.open(demo_store, PASSPHRASE))
    assert return_io.read_return(xlsx, demo_store).status == return_io.VALID
    parts: dict[str, bytes] = {}
    with zipfile.ZipFile(xlsx) as z:
        infos = z.infolist()
        for info in infos:
            parts[info.filename] = z.read(info)
        comment = z.comment
    name = next(n for n in parts if n.startswith("xl/worksheets/") and b"inlineStr" in parts[n])
    ret_name = versions.load_version(demo_store, Period(2025)).rosters["R1"][0]["name"]  # type: ignore[union-attr]
    assert ret_name.encode() in parts[name]
    parts[name] = parts[name].replace(ret_name.encode(), "王改名".encode(), 1)
    forged = tmp_path / "改动.xlsx"
    with zipfile.ZipFile(forged, "w", zipfile.ZIP_DEFLATED) as z:
        for info in infos:
            z.writestr(info, parts[info.filename])
        z.comment = comment
    result = return_io.read_return(forged, demo_store)
    assert result.status == return_io.TAMPERED and "附表1" in result.reason, result.reason
