"""Importing rosters from messy spreadsheets (models.importer), over the files in tests/samples."""

from __future__ import annotations

import datetime as dt
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from common.ids import make_id_number
from models import importer, records
from models.db import RecordError, Store
from models.importer import ImportFileError, apply_import, plan_import, read_table, undo_import

SAMPLES = Path(__file__).parent / "samples"
PEOPLE_XLSX = SAMPLES / "宁洱县劳模名册.xlsx"
PEOPLE_CSV = SAMPLES / "劳模名册_GBK.csv"
STUDIOS_XLS = SAMPLES / "工作室名册.xls"
TRAININGS_XLSX = SAMPLES / "职工培训台账.xlsx"
COMPETITIONS_XLS = SAMPLES / "劳动和技能竞赛.xls"


def people_by_name(store: Store) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in store.query("SELECT * FROM people")}


def honours_of(store: Store, name: str) -> list[tuple[str, int, str, str]]:
    return [(r["title"], r["award_year"], r["category"], r["level"]) for r in store.query(
        "SELECT h.* FROM honours h JOIN people p ON p.id = h.person_id WHERE p.name = ? ORDER BY h.award_year",
        (name,))]


def import_people(store: Store, path: Path = PEOPLE_XLSX, on_duplicate: str = "update") -> int:
    plan = plan_import(store, "people", read_table(path, kind="people"), on_duplicate=on_duplicate)
    return apply_import(store, plan)


# -- the sample files --------------------------------------------------------------------------


def test_samples_are_what_the_script_writes(tmp_path: Path) -> None:
    pytest.importorskip("xlwt")
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.write_all(tmp_path)
    assert written
    for path in written:
        assert _contents(path) == _contents(SAMPLES / path.name), f"{path.name}: run make_samples.py"


def _contents(path: Path) -> object:
    """A file's bytes; for a workbook, its parts (zip headers record the system that wrote them)."""
    import zipfile

    data = path.read_bytes()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            try:
                return [(info.filename, zf.read(info)) for info in zf.infolist()]
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError):
                return data
    return data


# -- reading: header, sheets, merged cells ------------------------------------------------------


def test_people_sheet_is_found_below_title_rows_with_merged_two_row_header() -> None:
    table = read_table(PEOPLE_XLSX, kind="people")
    assert table.sheet == "劳模名册"  # the first sheet holds only notes
    assert table.sheets == ["填表说明", "劳模名册"]
    assert table.header_rows == (3, 4)
    assert table.headers[:6] == ["序号", "姓名", "性别", "民族", "出生年月", "身份证号码"]
    assert table.headers[13:15] == ["荣誉称号", "授予时间"]
    assert table.rows[0][0] == 5
    assert [n for n, _ in table.skipped] == [24, 25]  # the 注 and 填表人 lines
    assert 14 not in [n for n, _ in table.rows]  # the blank row


def test_mapping_knows_header_variants_from_field_synonyms() -> None:
    table = read_table(PEOPLE_XLSX, kind="people")
    mapping = importer.propose_mapping("people", table.headers)
    named = {table.headers[i]: key for i, key in mapping.items()}
    assert named["出生年月"] == "birth_date"
    assert named["身份证号码"] == "id_number"
    assert named["文化程度"] == "education"
    assert named["工种"] == "post"
    assert named["联系电话"] == "mobile"
    assert named["荣誉称号"] == "honours.title"
    assert named["授予时间"] == "honours.award_year"
    assert "序号" not in named
    csv_table = read_table(PEOPLE_CSV, kind="people")
    assert csv_table.encoding == "GBK"
    assert importer.propose_mapping("people", csv_table.headers) == {
        0: "name", 1: "sex", 2: "ethnicity", 3: "birth_date", 4: "id_number", 5: "employer",
        6: "honours.title", 7: "honours.award_year"}


def test_header_words_are_normalised() -> None:
    mapping = importer.propose_mapping("people", ["姓 名", "身份证号码（18位）*", "出生\n年月", "工作单位：", "手机号",
                                                  "联系电话"])
    assert mapping == {0: "name", 1: "id_number", 2: "birth_date", 3: "employer", 4: "mobile"}


def test_trainings_notes_sheet_column_numbers_and_totals_are_skipped() -> None:
    table = read_table(TRAININGS_XLSX, kind="trainings")
    assert table.sheet == "2024年培训"
    assert dict(table.skipped) == {3: "栏目序号行，已忽略", 11: "合计行，已忽略"}
    assert [n for n, _ in table.rows] == list(range(4, 11))


def test_sheet_can_be_chosen_and_unknown_sheet_is_named() -> None:
    with pytest.raises(ImportFileError, match=r"没有名为“花名册”的工作表.*劳模名册"):
        read_table(PEOPLE_XLSX, sheet="花名册")
    with pytest.raises(ImportFileError, match="没有找到表头"):
        read_table(PEOPLE_XLSX, sheet="填表说明", kind="people")
    assert importer.list_sheets(PEOPLE_XLSX) == ["填表说明", "劳模名册"]
    assert importer.list_sheets(PEOPLE_CSV) == []


# -- untrusted files --------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "reason"), [
    ("损坏的文件.xlsx", "已损坏"),
    ("加密的文件.xlsx", "密码"),
    ("压缩炸弹.xlsx", "压缩炸弹"),
    ("实体炸弹.xlsx", "实体炸弹.xlsx"),
    ("网页导出.xls", "网页"),
    ("其实是文档.xlsx", "不是Excel工作簿"),
    ("超宽表格.xlsx", "超过200列"),
    ("没有表头.csv", "没有找到表头"),
])
def test_bad_files_give_a_clear_error_quickly(name: str, reason: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ImportFileError, match=reason) as info:
        read_table(SAMPLES / name, kind="people")
    assert name in str(info.value)
    assert time.perf_counter() - start < 10


def test_far_away_stray_cell_is_streamed_not_allocated() -> None:
    table = read_table(SAMPLES / "远处有内容.xlsx", kind="people")
    assert [n for n, _ in table.rows] == [2, 3, 1_000_001]


def _with_prefixed_far_cell(tmp_path: Path, prefix: str, ref: str = "A1000001") -> Path:
    """远处有内容.xlsx with its far row and cell named under a second prefix of the main namespace (valid XML)."""
    path = tmp_path / f"远处有内容_{prefix[:-1]}.xlsx"
    with zipfile.ZipFile(SAMPLES / "远处有内容.xlsx") as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8").replace(
                    "<worksheet ", f'<worksheet xmlns:{prefix[:-1]}="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ')
                far = '<row r="1000001" spans="1:1"><c r="A1000001" t="s"><v>13</v></c></row>'
                assert far in text
                row = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                text = text.replace(far, f'<{prefix}row r="{row}"><{prefix}c r="{ref}" t="s"><{prefix}v>13</{prefix}v>'
                                         f'</{prefix}c></{prefix}row>')
                data = text.encode("utf-8")
            out.writestr(info, data)
    return path


@pytest.mark.parametrize("prefix", ["x:", "my-ns:", "中:"])
def test_a_far_cell_under_any_namespace_prefix_is_streamed_not_allocated(tmp_path: Path, prefix: str) -> None:
    """calamine takes any bytes before the first colon of a name for a prefix: ``<my-ns:c …>`` is a cell to it. The
    check for far cells knew only letters and digits there, so such a cell at XFD1048576 made calamine ask for
    gigabytes, and a failed allocation ends the program."""
    assert not importer._calamine_safe(_sheet_xml(_with_prefixed_far_cell(tmp_path, prefix, "XFD1048576")))
    table = read_table(_with_prefixed_far_cell(tmp_path, prefix), kind="people")
    assert [n for n, _ in table.rows] == [2, 3, 1_000_001]


def test_shared_strings_claimed_beyond_any_sheet_are_streamed_not_allocated() -> None:
    """calamine sets room aside for the strings the table claims (``uniqueCount="2000000000"``: 48 GB) first."""
    table = '<sst xmlns="main" count="3" uniqueCount="%s"><si><t>张三</t></si></sst>'.encode()
    assert importer._calamine_safe(table % b"3", strings=True)
    for claimed in (b"2000000000", b"+2000000000", b" 3", b"1500001"):
        assert not importer._calamine_safe(table % claimed, strings=True), claimed
    assert not importer._calamine_safe(b"<x:sst xmlns:x='main' uniqueCount = '2000000000'/>", strings=True)
    assert not importer._calamine_safe(b'<sst a=">" uniqueCount="2000000000"/>', strings=True)


def test_a_sheet_outside_the_worksheets_folder_is_checked_too(tmp_path: Path) -> None:
    """calamine reads a sheet wherever the workbook's relationships point: every part is looked at."""
    path = tmp_path / "挪走的工作表.xlsx"
    with zipfile.ZipFile(SAMPLES / "远处有内容.xlsx") as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data, name = source.read(info), info.filename
            if name == "xl/worksheets/sheet1.xml":
                name = "xl/other/s1.bin"
            elif name == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"worksheets/sheet1.xml", b"other/s1.bin")
            out.writestr(name, data)
    assert isinstance(importer._open_xlsx(path), importer._OpenpyxlBook)


def _sheet_xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def test_missing_empty_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="找不到文件"):
        read_table(tmp_path / "无此文件.xlsx")
    (tmp_path / "空.csv").write_bytes(b"")
    with pytest.raises(ImportFileError, match="是空的"):
        read_table(tmp_path / "空.csv")
    with pytest.raises(ImportFileError, match="文件夹"):
        read_table(tmp_path)


def test_zip_entry_lying_about_its_size_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "说谎.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet>" + " " * 100_000 + "</worksheet>")
    data = bytearray(path.read_bytes())
    # the sheet is the last entry: shrink its declared uncompressed size (central directory and local header)
    for marker, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        pos = data.rfind(marker)
        data[pos + offset:pos + offset + 4] = (100).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(ImportFileError, match="损坏"):
        read_table(path)


def test_csv_encodings_and_delimiters(tmp_path: Path) -> None:
    number = make_id_number("530821", dt.date(1980, 1, 1), 1, "男")
    text = f"姓名\t身份证号\t工作单位\n王五\t{number}\t宁洱县供电局\n"
    (tmp_path / "u16.txt").write_bytes(text.encode("utf-16"))
    table = read_table(tmp_path / "u16.txt", kind="people")
    assert table.encoding == "UTF-16"
    assert table.rows == [(2, ["王五", number, "宁洱县供电局"])]
    quoted = f'姓名,身份证号,工作单位,备注\n王五,{number},宁洱县供电局,"两行\n备注"\n赵六,x,y,z\n'
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + quoted.encode("utf-8"))
    table = read_table(tmp_path / "bom.csv", kind="people")
    assert table.encoding == "UTF-8"
    assert [n for n, _ in table.rows] == [2, 3]  # records, as Excel numbers them
    (tmp_path / "bad.csv").write_bytes(b"\xff\xfe\xfa" * 10 + b"\x00abc")
    with pytest.raises(ImportFileError):
        read_table(tmp_path / "bad.csv")


# -- values as people write them -------------------------------------------------------------------


def test_people_rows_are_read_as_written(store: Store) -> None:
    plan = plan_import(store, "people", read_table(PEOPLE_XLSX, kind="people"))
    adds = {r.label: r for r in plan.to_add}
    assert len(adds) == 11
    assert adds["张三"].values["birth_date"] == "1975-03"  # “张  三”, “1975.03”
    assert [(h["title"], h["award_year"]) for h in adds["张三"].honours] == [("云南省劳动模范", 2015), ("普洱工匠", 2020)]
    assert adds["李扎努"].values["id_number"].endswith("X")  # “… 005x” with spaces
    assert adds["李扎努"].values["ethnicity"] == "哈尼族"
    assert adds["李扎努"].values["mobile"] == "13908795678"
    assert adds["罗阿依"].values["id_number"].isascii()  # full-width digits
    assert adds["罗阿依"].values["birth_date"] == "1986-07"
    assert adds["罗阿依"].values["education"] == "大学专科"
    assert adds["王建国"].values["birth_date"] == "1968-11-23"  # a date cell
    assert adds["白者妞"].values["birth_date"] == "1978-05"  # 1978.05 typed into a number cell
    assert adds["普卫东"].rows == [10, 11]  # merged person cells over two honour rows
    assert [h["title"] for h in adds["普卫东"].honours] == ["普洱市劳动模范", "云南省五一劳动奖章"]
    assert adds["刀学文"].honours[0]["award_date"] == "2021-04-28"
    assert adds["段金华"].values["sex"] == "男"  # derived from the ID number
    assert adds["段金华"].honours[0]["award_year"] == 2010  # “全国五一劳动奖章（2010）”
    assert [h["level"] for h in adds["岩温"].honours] == ["县级", "州市级"]  # separated by ；
    assert adds["王建国"].values["frontline"] is True


def test_error_rows_name_row_column_and_reason(store: Store) -> None:
    plan = plan_import(store, "people", read_table(PEOPLE_XLSX, kind="people"))
    messages = {r.row: r.message for r in plan.errors}
    assert set(messages) == {18, 19, 20, 21, 22}
    assert messages[18].startswith("第18行“身份证号码”：身份证号校验位不对")
    assert messages[19].startswith("第19行“荣誉称号”：无法判断“优秀共产党员”属于哪类荣誉")
    assert messages[20].startswith("第20行“性别”：与身份证号不一致")
    assert messages[21].startswith("第21行“身份证号码”：身份证号被Excel存成了数字")
    assert "不能为空" not in messages[21]
    assert messages[22] == "第22行“工作单位”：不能为空"


@pytest.mark.parametrize(("kind", "value", "expected"), [
    ("date", 1978.05, "1978.05"),
    ("date", 1978.1, "1978.10"),  # what Excel keeps of 1978.10
    ("date", 1978.2, "1978.2"),
    ("date", 1978, "1978"),
    ("date", 19780512, "19780512"),
    ("date", 28623, 28623),  # an Excel serial stays a serial
    ("id_number", "'530821197805120012", "530821197805120012"),
    ("id_number", '="530821197805120012"', "530821197805120012"),
    ("text", 3.0, 3),
    ("mobile", 13908791234.0, 13908791234),
])
def test_prepare_cells(kind: str, value: object, expected: object) -> None:
    from forms.fields import Field

    assert importer._prepare(Field("x", "x", kind), value) == expected


def test_prepare_refuses_mangled_values() -> None:
    from common.text import ParseError
    from forms.fields import Field

    with pytest.raises(ParseError, match="存成了数字"):
        importer._prepare(Field("id", "身份证号", "id_number"), 5.30821197805120e17)
    with pytest.raises(ParseError, match="#N/A"):
        importer._prepare(Field("name", "姓名"), "#N/A")


def test_name_padding_is_removed_but_not_inside_latin_or_dotted_names() -> None:
    assert importer._clean_name("张  三") == "张三"
    assert importer._clean_name("买买提·艾力") == "买买提·艾力"
    assert importer._clean_name("John Smith") == "John Smith"


def table_from_rows(tmp_path: Path, header: list[str], rows: list[list[object]], name: str = "t.xlsx"
                    ) -> importer.Table:
    import xlsxwriter

    path = tmp_path / name
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("表")
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    book.close()
    return read_table(path)


def test_honour_cells_and_year_columns(store: Store, tmp_path: Path) -> None:
    def pid(n: int) -> str:
        return make_id_number("530821", dt.date(1980, 1, n), n, "男")

    table = table_from_rows(tmp_path, ["姓名", "身份证号", "工作单位", "荣誉称号", "授予时间", "荣誉级别"], [
        ["甲", pid(1), "单位", "云南省劳动模范、普洱工匠", "2015、2020", None],
        ["乙", pid(2), "单位", "云南省劳动模范、普洱工匠", "2015", None],
        ["丙", pid(3), "单位", "2016年云南省劳动模范", "2017", None],
        ["丁", pid(4), "单位", None, "2017", None],
        ["戊", pid(5), "单位", "某某企业先进个人", "2017", None],
        ["己", pid(6), "单位", "茶乡工匠", "2018", "县级"],
        ["庚", pid(7), "单位", "云南省劳动模范", "2099", None],
    ])
    plan = plan_import(store, "people", table)
    by_name = {r.label: r for r in plan.records}
    assert [(h["title"], h["award_year"]) for h in by_name["甲"].honours] == [("云南省劳动模范", 2015), ("普洱工匠", 2020)]
    assert "无法对应" in by_name["乙"].message
    assert "2016与“授予时间”中的2017不一致" in by_name["丙"].message
    assert "没有荣誉称号" in by_name["丁"].message
    assert "无法判断“某某企业先进个人”属于哪类荣誉" in by_name["戊"].message
    assert by_name["己"].honours[0]["level"] == "县级"  # the level column speaks for an unknown place
    assert "还没到" in by_name["庚"].message


def test_ambiguous_month_number_follows_the_id_number(store: Store, tmp_path: Path) -> None:
    january = make_id_number("530821", dt.date(1978, 1, 5), 1, "男")
    october = make_id_number("530821", dt.date(1978, 10, 5), 2, "男")
    table = table_from_rows(tmp_path, ["姓名", "身份证号", "工作单位", "出生年月"], [
        ["甲", january, "单位", 1978.1], ["乙", october, "单位", 1978.1]])
    plan = plan_import(store, "people", table)
    assert [r.values["birth_date"] for r in plan.records] == ["1978-01", "1978-10"]


def test_same_person_on_several_rows(store: Store, tmp_path: Path) -> None:
    number = make_id_number("530821", dt.date(1980, 1, 1), 1, "男")
    table = table_from_rows(tmp_path, ["姓名", "身份证号", "工作单位", "荣誉称号", "授予年份"], [
        ["甲", number, "单位", "宁洱县劳动模范", 2015],
        ["甲", number, "单位", "普洱市劳动模范", 2018],
        ["乙", number, "单位", "云南省劳动模范", 2020],
        [None, None, None, "云岭工匠", 2021],
    ])
    plan = plan_import(store, "people", table)
    first = plan.records[0]
    assert first.rows == [2, 3]
    assert [h["title"] for h in first.honours] == ["宁洱县劳动模范", "普洱市劳动模范"]
    assert plan.errors[0].row == 4
    assert "与第2行是同一身份证号，但姓名不同" in plan.errors[0].message
    assert plan.errors[0].rows == [4, 5]  # the honour row below belongs to the refused row


# -- writing, matching, undo -------------------------------------------------------------------------


def test_apply_writes_records_like_records_save(store: Store) -> None:
    seen: list[tuple[int, int]] = []
    plan = plan_import(store, "people", read_table(PEOPLE_XLSX, kind="people"))
    batch = apply_import(store, plan, progress=lambda done, total, text="": seen.append((done, total)))
    assert seen and seen[-1] == (11, 11)
    people = people_by_name(store)
    assert len(people) == 11
    assert store.scalar("SELECT count(*) FROM honours") == 14
    zhang = people["张三"]
    assert {k: zhang[k] for k in ("search", "sort_key")} == records.search_columns(
        records.spec("people"), records.get(store, "people", zhang["id"]) or {})
    assert records.get(store, "people", zhang["id"])["honours"][0]["category"] == "劳动模范/先进工作者"  # type: ignore[index]
    assert honours_of(store, "普卫东") == [("普洱市劳动模范", 2016, "劳动模范/先进工作者", "州市级"),
                                          ("云南省五一劳动奖章", 2019, "五一劳动奖章", "省部级")]
    batches = importer.list_batches(store)
    assert batches[0]["id"] == batch and batches[0]["added"] == 11 and batches[0]["errors"] == 5
    assert batches[0]["honours"] == 14 and batches[0]["can_undo"]
    # a record saved through the form afterwards is fine
    records.save(store, "people", {**(records.get(store, "people", zhang["id"]) or {}), "note": "改"}, zhang["id"])


def test_reimport_is_unchanged_and_update_or_skip(store: Store) -> None:
    import_people(store)
    again = plan_import(store, "people", read_table(PEOPLE_XLSX, kind="people"))
    assert again.counts == {"added": 0, "updated": 0, "skipped": 11, "errors": 5, "honours": 0}
    assert not again.has_work
    with pytest.raises(RecordError, match="没有可导入的行"):
        apply_import(store, again)
    plan = plan_import(store, "people", read_table(PEOPLE_CSV, kind="people"), on_duplicate="skip")
    assert plan.counts["added"] == 4 and plan.counts["skipped"] == 1 and plan.counts["updated"] == 0
    assert plan.with_policy("update").counts["updated"] == 1
    apply_import(store, plan)
    assert people_by_name(store)["段金华"]["employer"] == "宁洱县自来水有限公司"
    update = plan_import(store, "people", read_table(PEOPLE_CSV, kind="people"))
    assert update.counts["updated"] == 1 and update.counts["added"] == 0
    apply_import(store, update)
    assert people_by_name(store)["段金华"]["employer"] == "宁洱县水务局"
    assert people_by_name(store)["段金华"]["ethnicity"] == "白族"


def test_update_keeps_fields_the_file_leaves_empty_and_adds_new_honours(store: Store, tmp_path: Path) -> None:
    import_people(store)
    zhang = people_by_name(store)["张三"]
    table = table_from_rows(tmp_path, ["姓名", "身份证号", "工作单位", "手机号", "荣誉称号"], [
        ["张三", zhang["id_number"], "普洱供电局", None, "2015年云南省劳动模范、2023年全国劳动模范"]])
    plan = plan_import(store, "people", table)
    assert plan.to_update[0].honours == [dict(plan.to_update[0].honours[0])]
    apply_import(store, plan)
    after = people_by_name(store)["张三"]
    assert after["employer"] == "普洱供电局" and after["mobile"] == zhang["mobile"]
    assert [h[0] for h in honours_of(store, "张三")] == ["云南省劳动模范", "普洱工匠", "全国劳动模范"]


def test_one_transaction_nothing_written_when_store_changed_after_planning(store: Store) -> None:
    plan = plan_import(store, "people", read_table(PEOPLE_XLSX, kind="people"))
    last = plan.to_add[-1].values
    records.save(store, "people", {"name": "抢先", "id_number": last["id_number"], "employer": "某单位"})
    with pytest.raises(RecordError, match="未写入任何数据"):
        apply_import(store, plan)
    assert store.scalar("SELECT count(*) FROM people") == 1
    assert store.scalar("SELECT count(*) FROM honours") == 0
    assert store.scalar("SELECT count(*) FROM import_batches") == 0


def test_crash_midway_leaves_the_store_as_it_was(store: Store) -> None:
    plan = plan_import(store, "people", read_table(PEOPLE_XLSX, kind="people"))

    def pull_the_stick(done: int, total: int, text: str = "") -> None:
        if done >= 10:
            raise OSError("设备已移除")

    with pytest.raises(OSError):
        apply_import(store, plan, progress=pull_the_stick)
    assert store.scalar("SELECT count(*) FROM people") == 0
    assert store.scalar("SELECT count(*) FROM import_batches") == 0


def test_undo_restores_exactly(store: Store) -> None:
    import_people(store)
    before = {r["id"]: r for r in store.query("SELECT * FROM people")}
    before_honours = store.query("SELECT * FROM honours ORDER BY id")
    batch = import_people(store, PEOPLE_CSV)
    assert store.scalar("SELECT count(*) FROM people") == 15
    result = undo_import(store, batch)
    assert (result.removed, result.restored) == (4, 1)
    assert {r["id"]: r for r in store.query("SELECT * FROM people")} == before
    assert store.query("SELECT * FROM honours ORDER BY id") == before_honours
    assert importer.list_batches(store)[0]["undone_at"]
    with pytest.raises(RecordError, match=r"已在.*撤销过了"):
        undo_import(store, batch)
    with pytest.raises(RecordError, match="没有编号为999"):
        undo_import(store, 999)


def test_undo_refuses_after_a_later_edit_or_a_later_import(store: Store) -> None:
    first = import_people(store)
    second = import_people(store, PEOPLE_CSV)  # updates 段金华, who came with the first import
    with pytest.raises(RecordError, match=r"之后的导入“劳模名册_GBK\.csv”"):
        undo_import(store, first)
    undo_import(store, second)
    person = people_by_name(store)["王建国"]
    records.save(store, "people", {**(records.get(store, "people", person["id"]) or {}), "post": "道班班长"},
                 person["id"])
    store.conn.execute("UPDATE people SET updated_at = '2099-01-01T00:00:00' WHERE id = ?", (person["id"],))
    with pytest.raises(RecordError, match="王建国在导入之后又被修改过"):
        undo_import(store, first)
    assert store.scalar("SELECT count(*) FROM people") == 11


def test_undo_refuses_while_an_imported_person_leads_a_studio(store: Store) -> None:
    batch = import_people(store)
    zhang = people_by_name(store)["张三"]
    records.save(store, "studios", {"name": "张三工作室", "type": "劳模创新工作室", "level": "省级", "host_unit": "供电局",
                                    "leader_id": zhang["id"], "named_year": 2020})
    with pytest.raises(RecordError, match="“张三”是工作室“张三工作室”的领办人"):
        undo_import(store, batch)


def test_recycled_person_is_an_error_row(store: Store) -> None:
    import_people(store)
    person = people_by_name(store)["玉香"]
    records.delete(store, "people", person["id"])
    plan = plan_import(store, "people", read_table(PEOPLE_XLSX, kind="people"))
    assert any("回收站中的“玉香”" in r.message and r.row == 13 for r in plan.errors)


def test_missing_required_column_is_a_mapping_problem(store: Store, tmp_path: Path) -> None:
    table = table_from_rows(tmp_path, ["姓名", "身份证号", "荣誉称号"], [["甲", "x", "y"]])
    plan = plan_import(store, "people", table)
    assert plan.problems == ["表中没有“工作单位”列（表头可写作：单位、所在单位、工作单位及职务），请在对应关系中指定"]
    with pytest.raises(RecordError, match="工作单位"):
        apply_import(store, plan)
    twice = importer.mapping_problems("people", {0: "name", 1: "name", 2: "employer", 3: "id_number"},
                                      ["姓名", "名字", "单位", "身份证号"])
    assert twice == ["“姓名”和“名字”两列都对应“姓名”，请只保留一列"]
    remapped = plan_import(store, "people", table, {0: "name", 1: "id_number", 2: "employer"})
    assert not remapped.problems


# -- the other kinds -----------------------------------------------------------------------------------


def test_studios_resolve_leaders_by_name_or_id_number(store: Store) -> None:
    import_people(store)
    plan = plan_import(store, "studios", read_table(STUDIOS_XLS, kind="studios"))
    messages = {r.row: r.message for r in plan.errors}
    assert messages == {
        5: "第5行“领办人”：名册中没有“李小龙”，请先在劳模名册中录入或导入此人，或改填身份证号",
        6: "第6行“领办人”：云岭工匠创新工作室的领办人须获得“工匠”荣誉，“王建国”没有",
        8: "第8行“工作室名称”：与第3行重复",
    }
    apply_import(store, plan)
    studios = {r["name"]: r for r in store.query("SELECT s.*, p.name AS leader FROM studios s "
                                                 "JOIN people p ON p.id = s.leader_id")}
    assert studios["普卫东劳模创新工作室"]["leader"] == "普卫东"  # written as an ID number
    assert studios["普卫东劳模创新工作室"]["level"] == "州市级"  # 市级
    assert studios["咖啡加工职工创新工作室"]["leader"] == "白者妞"  # “白者妞（女）”
    assert studios["咖啡加工职工创新工作室"]["level"] == "县级"
    assert studios["张三劳模创新工作室"]["named_year"] == 2019


def test_studio_leader_name_shared_by_two_people(store: Store) -> None:
    for n in (1, 2):
        records.save(store, "people", {"name": "张三", "id_number": make_id_number("530821", dt.date(1980, 1, n), n, "男"),
                                       "employer": f"单位{n}"})
    leaders = importer._leader_index(store)
    assert importer._resolve_leader(leaders, "张三")[1] == "名册中有2人名叫“张三”（单位1、单位2），请改填领办人的身份证号"


def test_trainings_and_competitions(store: Store) -> None:
    plan = plan_import(store, "trainings", read_table(TRAININGS_XLSX, kind="trainings"))
    assert {r.row: r.message for r in plan.errors} == {
        9: "第9行“其中农民工”：其中农民工（45）不能大于参训人次（30）",
        10: "第10行“培训类型”：“讲座”不在可选范围内"
            "（如：职业技能培训、岗位练兵、安全生产培训、学历提升、新型学徒制、创业培训……）",
    }
    apply_import(store, plan)
    rows = {r["name"]: r for r in store.query("SELECT * FROM trainings")}
    assert rows["焊工岗位练兵"]["start_date"] == "2024-06-01"  # Excel serial 45444
    assert rows["茶叶加工职业技能培训班"]["start_date"] == "2024-03-05"  # 2024.3.5
    assert rows["咖啡加工新型学徒制培训"]["end_date"] == "2024-06-28"  # 2024年6月28日
    assert rows["家政服务创业培训"]["funds"] == 0.6  # 0.6万元
    again = plan_import(store, "trainings", read_table(TRAININGS_XLSX, kind="trainings"))
    assert again.counts["added"] == 0 and again.counts["skipped"] == 5  # matched by name and start date

    plan = plan_import(store, "competitions", read_table(COMPETITIONS_XLS, kind="competitions"))
    assert sorted(r.row for r in plan.errors) == [4, 6]
    assert "“举办时间”" in plan.errors[0].message
    apply_import(store, plan)
    levels = {r["name"]: r["level"] for r in store.query("SELECT * FROM competitions")}
    assert levels["茶叶加工技能竞赛"] == "全国"  # 国家级
    assert levels["普洱市电力行业技能竞赛（宁洱赛区）"] == "州市级"


# -- error rows back to Excel ----------------------------------------------------------------------------


def test_error_rows_exported_fixed_and_imported_again(store: Store, tmp_path: Path) -> None:
    import openpyxl

    plan = plan_import(store, "people", read_table(PEOPLE_XLSX, kind="people"))
    apply_import(store, plan)
    target = tmp_path / "错误行.xlsx"
    assert importer.export_error_rows(plan, target) == 5
    book = openpyxl.load_workbook(target)
    sheet = book.active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][-1] == "错误原因" and values[0][1] == "姓名"
    assert values[1][-1].startswith("“身份证号码”：身份证号校验位不对")  # type: ignore[union-attr]
    assert values[1][-1].endswith("（原第18行）")  # type: ignore[union-attr]
    assert isinstance(values[1][5], str)  # ID numbers stay text
    # the full ID numbers are kept on purpose; a second sheet says so (and is not what gets imported again)
    assert book.sheetnames == ["错误行", "说明"]
    assert "身份证号" in str(book["说明"]["A1"].value) and "妥善保管" in str(book["说明"]["A1"].value)
    # fix the check digit of row 18 and the employer of row 22, import the file again
    good = make_id_number("530821", dt.date(1985, 4, 4), 12, "女")
    sheet.cell(row=2, column=6, value=good)
    sheet.cell(row=6, column=9, value="宁洱县供电局")
    book.save(target)
    again = plan_import(store, "people", read_table(target, kind="people"))
    assert again.counts["added"] == 2
    assert sorted(r.row for r in again.errors) == [3, 4, 5]


def test_batch_items_record_what_was_replaced(store: Store) -> None:
    import_people(store)
    batch = import_people(store, PEOPLE_CSV)
    items = store.query("SELECT * FROM import_batch_items WHERE batch_id = ? AND action = 'update'", (batch,))
    assert len(items) == 1
    assert json.loads(items[0]["before"])["employer"] == "宁洱县自来水有限公司"


def test_an_import_leaves_the_planner_statistics_current(county_store: Store, tmp_path: Path) -> None:
    """An import of hundreds of people refreshes SQLite's statistics itself (where it runs: the window's worker
    thread), and so does taking it back; the window then has nothing left to analyse on its own thread."""
    lines = ["姓名,性别,身份证号,工作单位,荣誉称号,荣誉级别,授予年份"]
    for n in range(300):
        sex = "男" if n % 2 else "女"
        number = make_id_number("530821", dt.date(1970 + n % 30, 1 + n % 12, 1 + n % 28), n, sex)
        lines.append(f"人员{n},{sex},{number},第{n % 7}号企业,县级劳动模范,县级,{2000 + n % 20}")
    path = tmp_path / "三百人.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    batch = import_people(county_store, path)
    assert county_store.scalar("SELECT count(*) FROM people") == 300
    stat = county_store.scalar("SELECT max(CAST(stat AS INTEGER)) FROM sqlite_stat1 WHERE tbl = 'people'")
    assert stat == 300
    assert county_store.refresh_statistics() is False  # nothing left for the window to do
    undo_import(county_store, batch)
    assert county_store.refresh_statistics() is False
