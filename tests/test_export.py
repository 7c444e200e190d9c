"""Excel and PDF export, read back: openpyxl for the workbook, pypdf for the PDF text."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from forms import returns as R
from forms.definition import shipped_spec
from forms.periods import parse_period
from models import export, return_io, versions
from models import returns as ret_mod
from models.db import RecordError, Store
from models.export_xlsx import chunks
from models.returns import DATA_SHEET
from tests.test_returns import honour, person

YEAR = str(dt.date.today().year - 1)
PERIOD = parse_period(YEAR)


@pytest.fixture
def exported(demo_store: Store, tmp_path: Path) -> tuple[ret_mod.Return, Path, Path]:
    progress: list[tuple[int, int]] = []
    paths = export.export_return(demo_store, PERIOD, tmp_path / "U盘 导出", progress=lambda d, t, s="": progress.append((d, t)))
    assert [p.suffix for p in paths] == [".xlsx", ".pdf"]
    assert progress and progress[-1][0] == progress[-1][1]
    ret = versions.load_version(demo_store, PERIOD)
    assert ret is not None
    return ret, paths[0], paths[1]


def test_file_names_say_unit_period_and_version(exported: tuple[ret_mod.Return, Path, Path]) -> None:
    _ret, xlsx, pdf = exported
    assert xlsx.name == f"530821_{YEAR}_v1.xlsx" and pdf.name == f"530821_{YEAR}_v1.pdf"
    assert not [p for p in xlsx.parent.iterdir() if p.name.startswith(".~")]  # no temporary files left


def test_workbook_is_laid_out_like_a_statistical_form(exported: tuple[ret_mod.Return, Path, Path]) -> None:
    ret, xlsx, _pdf = exported
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames[:8] == ["封面", "表1", "表2", "表3", "表4", "表5", "附表1", "附表2"]
    assert wb[DATA_SHEET].sheet_state in ("hidden", "veryHidden")
    assert wb["封面"].sheet_state == "visible"
    ws = wb["表3"]
    texts = [str(c.value) for row in ws.iter_rows(max_row=8) for c in row if c.value is not None]
    assert "表　　号：产改统3表" in texts and f"制定机关：{shipped_spec().authority}" in texts
    assert any(t.startswith("填报单位（盖章）：宁洱") for t in texts) and "计量单位：见各栏" in texts
    assert "表3　职工技能培训情况" in texts
    assert any("取得职业技能等级证书人数" == t for t in texts)  # merged group header
    assert any(str(r) for r in ws.merged_cells.ranges)
    assert ws.freeze_panes is not None
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)  # 1 is the default
    assert wb["附表1"].page_setup.fitToHeight == 0  # rosters: fit to width, as many pages as needed
    assert ws.print_title_rows is not None
    assert "第 &P 页 共 &N 页" in ws.oddFooter.center.text
    total_row = next(r for r in ws.iter_rows() if r[0].value == "合计")
    assert total_row[0].font.b and total_row[1].border.top.style == "thin"
    assert total_row[2].value == int(ret.tables["T3"][R.TOTAL]["participants"])
    assert wb["附表1"].auto_filter.ref


def test_visible_numbers_equal_the_machine_readable_data(exported: tuple[ret_mod.Return, Path, Path]) -> None:
    ret, xlsx, _pdf = exported
    result = return_io.read_return(xlsx)
    assert result.status == return_io.UNSIGNED, result.reason
    assert result.ret is not None
    assert ret_mod.canonical_bytes(result.ret) == ret_mod.canonical_bytes(ret)
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    visible = return_io.visible_tables(wb)
    wb.close()
    assert return_io.compare_tables(ret.tables, visible) == []
    assert visible["T2"][R.TOTAL]["benefit"] == ret.tables["T2"][R.TOTAL]["benefit"]
    data = result.as_json()
    assert data["unit_code"] == "530821" and data["period"] == YEAR and data["version"] == 1
    t3 = data["tables"]["T3"]
    assert t3["rows"][-1]["label"] == "合计"
    assert t3["rows"][-1]["values"][1] == int(ret.tables["T3"][R.TOTAL]["participants"])
    assert t3["rows"][-1]["values"][-2] == float(ret.tables["T3"][R.TOTAL]["funds"])


def test_pdf_text_is_chinese_and_extractable(exported: tuple[ret_mod.Return, Path, Path]) -> None:
    ret, _xlsx, pdf = exported
    reader = PdfReader(pdf)
    pages = [p.extract_text() for p in reader.pages]
    text = "\n".join(pages)
    spec = shipped_spec()
    for needle in (spec.title, spec.summary_title, "表1", "劳模和先进人物情况", "单位负责人", "统计负责人", "填表人",
                   "报出日期", "盖章", "证书指纹", "数据摘要", ret.unit_name, "附表1", "附表2"):
        assert needle in text, needle
    total = len(reader.pages)
    assert all(f"第 {i} 页 共 {total} 页" in pages[i - 1] for i in range(1, total + 1))
    assert str(ret.tables["T3"][R.TOTAL]["participants"]) in text
    assert f"{ret.tables['T3'][R.TOTAL]['funds']:.2f}" in text
    masked = ret.rosters["R1"][0]["id_number"]
    assert "********" in masked and masked in text
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert sorted((round(width), round(height))) == [595, 842]
    fonts = set()
    for page in reader.pages[:3]:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any(f.endswith("+WenQuanYiMicroHei") and len(f.split("+")[0]) == 7 for f in fonts), fonts
    assert not any("STSong" in f for f in fonts)


def test_pdf_never_shows_full_id_numbers(demo_store: Store, exported: tuple[ret_mod.Return, Path, Path]) -> None:
    _ret, xlsx, pdf = exported
    numbers = [r["id_number"] for r in demo_store.query("SELECT id_number FROM people")]
    text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    with zipfile.ZipFile(xlsx) as zf:
        xml = "".join(zf.read(n).decode("utf-8") for n in zf.namelist() if n.endswith(".xml"))
    assert not [n for n in numbers if n in text or n in xml]


def test_re_export_of_a_version_is_byte_identical(demo_store: Store, tmp_path: Path) -> None:
    first = export.export_return(demo_store, PERIOD, tmp_path / "a")
    demo_store.conn.execute("UPDATE trainings SET participants = participants + 1")  # records change later
    again = export.export_return(demo_store, PERIOD, tmp_path / "b", version=1)
    for x, y in zip(first, again, strict=True):
        assert hashlib.sha256(x.read_bytes()).digest() == hashlib.sha256(y.read_bytes()).digest()
    newer = export.export_return(demo_store, PERIOD, tmp_path / "c", formats=["xlsx"])
    assert [p.name for p in newer] == [f"530821_{YEAR}_v2.xlsx"]
    with pytest.raises(RecordError):
        export.export_return(demo_store, PERIOD, tmp_path / "d", version=9)


def test_a_failed_export_leaves_no_file(demo_store: Store, tmp_path: Path) -> None:
    def broken(tmp: Path, ret: ret_mod.Return, fmt: str) -> None:
        assert tmp.exists() and tmp.stat().st_size > 0
        raise OSError("U盘已拔出")

    with pytest.raises(OSError):
        export.export_return(demo_store, PERIOD, tmp_path / "out", ["xlsx"], finish=broken)
    assert list((tmp_path / "out").iterdir()) == []


def test_finish_hook_sees_each_complete_file(demo_store: Store, tmp_path: Path) -> None:
    seen: list[tuple[str, int]] = []
    export.export_return(demo_store, PERIOD, tmp_path, ["pdf", "xlsx"],
                         finish=lambda tmp, ret, fmt: seen.append((fmt, ret.version)))
    assert seen == [("pdf", 1), ("xlsx", 1)]


def test_parse_formats() -> None:
    assert export.parse_formats("xlsx,pdf") == ["xlsx", "pdf"]
    assert export.parse_formats(" PDF ，Excel") == ["pdf", "xlsx"]
    with pytest.raises(Exception, match="不支持的导出格式"):
        export.parse_formats("docx")


def test_return_with_only_people_exports(county_store: Store, tmp_path: Path) -> None:
    person(county_store, [honour("云南省劳动模范", 2020)])
    paths = export.export_return(county_store, PERIOD, tmp_path)
    result = return_io.read_return(paths[0])
    assert result.status == "unsigned" and result.ret is not None
    assert result.ret.tables["T3"][R.TOTAL]["funds"] == Decimal("0.00")
    assert "（无）" in PdfReader(paths[1]).pages[-1].extract_text()  # empty 附表2


def test_missing_glyphs_print_as_a_box(county_store: Store, tmp_path: Path) -> None:
    pid = person(county_store, [honour("县级劳动模范", 2020)])
    county_store.conn.execute("UPDATE people SET name = '李䶮' WHERE id = ?", (pid,))
    from models import review

    review.set_note(county_store, PERIOD, "font.missing", "font/䶮", "姓名为生僻字，已手写补正")
    paths = export.export_return(county_store, PERIOD, tmp_path, ["pdf", "xlsx"])
    text = "\n".join(p.extract_text() for p in PdfReader(paths[0]).pages)
    assert "李□" in text and "姓名为生僻字" in text
    result = return_io.read_return(paths[1])
    assert result.ret is not None and result.ret.rosters["R1"][0]["name"] == "李䶮"  # the data keeps the real name


def test_large_data_is_split_into_cells() -> None:
    text = "𠅤" * 20_000 + "a" * 10
    pieces = chunks(text)
    assert "".join(pieces) == text
    assert all(sum(2 if ord(c) > 0xFFFF else 1 for c in p) <= 30_000 for p in pieces)


# ------------------------------------------------------------------------------------------------
# Files that are not (intact) returns


def test_malformed_files_are_reported_never_raised(exported: tuple[ret_mod.Return, Path, Path],
                                                   tmp_path: Path) -> None:
    _ret, xlsx, pdf = exported
    truncated = tmp_path / "截断.xlsx"
    truncated.write_bytes(xlsx.read_bytes()[: xlsx.stat().st_size // 2])
    garbage = tmp_path / "乱码.xlsx"
    garbage.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    text = tmp_path / "文本.xlsx"
    text.write_text("姓名,身份证号\n", encoding="utf-8")
    plain = tmp_path / "普通表格.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "张三"])
    wb.save(plain)
    cases = {truncated: "损坏", garbage: "损坏", text: "不是 Excel", plain: "缺少内嵌数据",
             tmp_path / "不存在.xlsx": "不存在", tmp_path: "文件夹"}
    for path, reason in cases.items():
        result = return_io.read_return(path)
        assert result.status == return_io.MALFORMED, path
        assert reason in result.reason, (path, result.reason)
    # an unsigned PDF is read as such (its signature, not its data, is what the receiver checks)
    result = return_io.read_return(pdf)
    assert result.status == return_io.UNSIGNED and "PDF" in result.reason


def test_edited_visible_cells_are_detected(exported: tuple[ret_mod.Return, Path, Path], tmp_path: Path) -> None:
    _ret, xlsx, _pdf = exported
    edited = tmp_path / "改过.xlsx"
    shutil.copy(xlsx, edited)
    wb = openpyxl.load_workbook(edited)
    ws = wb["表3"]
    row = next(r for r in ws.iter_rows() if r[0].value == "合计")
    row[2].value = row[2].value + 100
    wb.save(edited)
    result = return_io.read_return(edited)
    assert result.status == return_io.MALFORMED
    assert "可见表格与内嵌数据不一致" in result.reason and "表3" in result.reason and "参训人次" in result.reason


def test_edited_data_is_detected(exported: tuple[ret_mod.Return, Path, Path], tmp_path: Path) -> None:
    _ret, xlsx, _pdf = exported
    edited = tmp_path / "改数据.xlsx"
    shutil.copy(xlsx, edited)
    wb = openpyxl.load_workbook(edited)
    ws = wb[DATA_SHEET]
    ws["A2"].value = ws["A2"].value.replace('"participants":', '"participants":1', 1)
    wb.save(edited)
    result = return_io.read_return(edited)
    assert result.status == return_io.MALFORMED and result.reason
