"""Write the sample spreadsheets the import tests read, deterministically.

They imitate rosters that county unions keep by hand: a title row and a 填报单位 line above the
header, two-row headers with merged cells, names padded with spaces, ID numbers with a small x,
full-width digits or stored as numbers, dates written five different ways, several honours in
one cell, a person spanning two rows, blank rows, notes and totals below the data, a GBK CSV,
.xls files, and a few broken or hostile files.

Run ``python tests/samples/make_samples.py`` to rewrite them (the test suite checks that the
committed files equal what this script writes).
"""

from __future__ import annotations

import datetime as dt
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from common.ids import make_id_number  # noqa: E402

CREATED = dt.datetime(2024, 12, 1, 9, 0, 0)
REGION = "530821"  # 宁洱哈尼族彝族自治县


def person_id(birth: dt.date, seq: int, sex: str) -> str:
    return make_id_number(REGION, birth, seq, sex)


def id_with_x() -> str:
    """A valid ID number whose check character is X (to be written as a small x)."""
    for seq in range(1, 500):
        number = person_id(dt.date(1981, 3, 9), seq, "男")
        if number.endswith("X"):
            return number
    raise AssertionError("no X check digit found")


def bad_check_digit(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# -- the people roster (xlsx) ------------------------------------------------------------------

PEOPLE_HEADER_TOP = ["序号", "姓名", "性别", "民族", "出生年月", "身份证号码", "政治面貌", "文化程度", "工作单位",
                     "工种", "技能等级", "是否一线职工", "联系电话", "荣誉情况", "", "备注"]
PEOPLE_HEADER_SUB = ["", "", "", "", "", "", "", "", "", "", "", "", "", "荣誉称号", "授予时间", ""]

# Row numbers (1-based, as Excel shows them) of the people sheet; the tests rely on them.
PEOPLE_FIRST_ROW = 5
PEOPLE_ERROR_ROWS = {
    18: "校验位不对",
    19: "无法判断“优秀共产党员”属于哪类荣誉",
    20: "与身份证号不一致",
    21: "身份证号被Excel存成了数字",
    22: "不能为空",
}


def people_rows() -> list[list[object]]:
    """Cells of the data rows (from row 5), as a person would type them."""
    b = dt.date
    rows: list[list[object]] = [
        # 5: padded name, honours with years in one cell
        [1, "张  三", "男", "汉族", "1975.03", person_id(b(1975, 3, 12), 1, "男"), "中共党员", "大学本科",
         "宁洱县供电局", "变电运维", "高级技师", "是", "13908791234", "2015年云南省劳动模范、2020年普洱工匠", None, None],
        # 6: ID with a small x, spaces inside
        [2, "李扎努", "男", "哈尼", "1981.03", " ".join([id_with_x()[:6], id_with_x()[6:14], id_with_x()[14:].lower()]),
         "群众", "高中", "宁洱县茶业有限责任公司", "制茶师", "技师", "是", "139 0879 5678", "普洱市劳动模范", 2017, None],
        # 7: full-width ID digits, 民族 without 族
        [3, "罗阿依", "女", "彝", "1986年7月", fullwidth(person_id(b(1986, 7, 2), 3, "女")), "共青团员", "大专",
         "宁洱县人民医院", "护士", "无", "否", None, "宁洱县五一劳动奖章", "2019年", None],
        # 8: birth as an Excel date cell; year as a number
        [4, "王建国", "男", "汉族", b(1968, 11, 23), person_id(b(1968, 11, 23), 4, "男"), "党员", "中专",
         "宁洱县交通运输局公路管理段", "养路工", "高级工", "是", "13887901111", "宁洱县劳动模范", 2018, None],
        # 9: birth typed 1978.05 into a number cell
        [5, "白者妞", "女", "哈尼族", 1978.05, person_id(b(1978, 5, 20), 5, "女"), "群众", "初中",
         "宁洱县咖啡产业发展有限公司", "咖啡加工", "中级工", "是", "15912345678", "普洱工匠", "2021", None],
        # 10-11: one person, two honours, person cells merged over both rows
        [6, "普卫东", "男", "彝族", "1972-08-15", person_id(b(1972, 8, 15), 6, "男"), "中共党员", "本科",
         "宁洱县矿业有限公司", "钳工", "技师", "是", "13700001111", "普洱市劳动模范", 2016, None],
        [None, None, None, None, None, None, None, None, None, None, None, None, None,
         "云南省五一劳动奖章", 2019, None],
        # 12: award date as a date cell (gives 授予日期 too)
        [7, "刀学文", "男", "傣族", "1980年1月", person_id(b(1980, 1, 30), 7, "男"), "群众", "技校",
         "宁洱县邮政分公司", "投递员", "中级工", "是", None, "云南省技术能手", dt.date(2021, 4, 28), None],
        # 13: blank row follows (14)
        [8, "玉香", "女", "傣族", "1990.12", person_id(b(1990, 12, 1), 8, "女"), "群众", "大学专科",
         "宁洱县第一中学", "教师", "无", "否", "18687900000", "宁洱县先进工作者", "2022年", "县教育系统推荐"],
        [None] * 16,
        # 15-17: more ordinary rows (title with the year in brackets, sex left empty)
        [9, "段金华", None, "白族", None, person_id(b(1965, 2, 2), 9, "男"), "中共党员", "大学本科",
         "宁洱县自来水有限公司", "水质检验", "高级工", "是", "13988887777", "全国五一劳动奖章（2010）", None, None],
        [10, "马志明", "男", "回族", "1983.10", person_id(b(1983, 10, 9), 10, "男"), "群众", "高中",
         "宁洱县建筑工程有限公司", "焊工", "高级技师", "是", "13612345678", "云岭工匠", "2023", None],
        [11, "岩温", "男", "傣族", "1979.06", person_id(b(1979, 6, 6), 11, "男"), "群众", "初中",
         "宁洱县林业和草原局", "护林员", "无", "是", None, "2012年宁洱县劳动模范；2019年普洱市劳动模范", None, None],
        # 18: check digit wrong
        [12, "陈红梅", "女", "汉族", "1985.04", bad_check_digit(person_id(b(1985, 4, 4), 12, "女")), "群众", "本科",
         "宁洱县农村信用合作联社", "信贷员", "无", "否", None, "宁洱县五一劳动奖章", 2020, None],
        # 19: a title whose category cannot be told
        [13, "杨志明", "男", "汉族", "1977.09", person_id(b(1977, 9, 9), 13, "男"), "中共党员", "本科",
         "宁洱县供电局", "电力线路工", "技师", "是", None, "优秀共产党员", 2021, None],
        # 20: sex contradicts the ID number
        [14, "李丽", "女", "汉族", "1988.08", person_id(b(1988, 8, 8), 14, "男"), "群众", "本科",
         "宁洱县融媒体中心", "记者", "无", "否", None, "宁洱县劳动模范", 2022, None],
        # 21: ID typed into a number cell: Excel kept 15 digits
        [15, "赵德明", "男", "汉族", "1970.01", float(person_id(b(1970, 1, 1), 15, "男")[:17] + "0"), "群众", "初中",
         "宁洱县自来水有限公司", "管道工", "高级工", "是", None, "宁洱县劳动模范", 2015, None],
        # 22: no 工作单位
        [16, "周海燕", "女", "汉族", "1992.02", person_id(b(1992, 2, 2), 16, "女"), "群众", "本科",
         None, "营业员", "无", "否", None, "宁洱县先进工作者", 2023, None],
    ]
    return rows


def write_people_xlsx(folder: Path) -> Path:
    import xlsxwriter

    path = folder / "宁洱县劳模名册.xlsx"
    book = xlsxwriter.Workbook(str(path), {"in_memory": True})  # same bytes on Windows (no CRLF)
    book.set_properties({"created": CREATED, "author": "宁洱县总工会"})
    title = book.add_format({"bold": True, "font_size": 16, "align": "center"})
    head = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True})
    cell = book.add_format({"border": 1})
    date = book.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
    month = book.add_format({"border": 1, "num_format": "0.00"})
    text = book.add_format({"border": 1, "num_format": "@"})

    notes = book.add_worksheet("填表说明")
    notes.write(0, 0, "填表说明")
    notes.write(1, 0, "1. 荣誉情况填写县级以上荣誉，多项荣誉用顿号隔开。")
    notes.write(2, 0, "2. 身份证号码请设置为文本格式。")

    sheet = book.add_worksheet("劳模名册")
    sheet.merge_range(0, 0, 0, 15, "宁洱哈尼族彝族自治县劳动模范和先进人物名册", title)
    sheet.write(1, 0, "填报单位：宁洱县总工会（盖章）")
    sheet.write(1, 11, "填报日期：2024年12月")
    for col, name in enumerate(PEOPLE_HEADER_TOP):
        if PEOPLE_HEADER_SUB[col]:
            continue
        if name:
            sheet.merge_range(2, col, 3, col, name, head)
    sheet.merge_range(2, 13, 2, 14, "荣誉情况", head)
    sheet.write(3, 13, "荣誉称号", head)
    sheet.write(3, 14, "授予时间", head)
    for offset, values in enumerate(people_rows()):
        row = PEOPLE_FIRST_ROW - 1 + offset
        if values[0] == 6:  # the person on two rows: merge the person's cells vertically
            for col in range(13):
                value = values[col]
                fmt = date if isinstance(value, dt.date) else cell
                sheet.merge_range(row, col, row + 1, col, value if value is not None else "", fmt)
            sheet.write(row, 13, values[13], cell)
            sheet.write(row, 14, values[14], cell)
            sheet.merge_range(row, 15, row + 1, 15, "", cell)
            continue
        if values[0] is None and values[13] is not None:
            sheet.write(row, 13, values[13], cell)
            sheet.write(row, 14, values[14], cell)
            continue
        for col, value in enumerate(values):
            if value is None:
                sheet.write_blank(row, col, None, cell)
            elif isinstance(value, dt.date):
                sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), date)
            elif isinstance(value, float):
                sheet.write_number(row, col, value, month)
            elif isinstance(value, int):
                sheet.write_number(row, col, value, cell)
            else:
                sheet.write_string(row, col, value, text if col == 5 else cell)
    end = PEOPLE_FIRST_ROW - 1 + len(people_rows())
    sheet.write(end + 1, 0, "注：1.荣誉情况只填县级以上荣誉；2.联系电话填手机号。")
    sheet.write(end + 2, 0, "填表人：王丽")
    sheet.write(end + 2, 8, "联系电话：0879-3231234")
    sheet.set_column(0, 15, 12)
    book.close()
    return path


# -- people in a GBK CSV (an older list, header in row 1, other header words) ---------------------


def write_people_gbk_csv(folder: Path) -> Path:
    b = dt.date
    lines = ["名字,性别,民族,出生日期,公民身份号码,单位,获得荣誉,获奖年份"]
    rows = [
        # the same person as row 15 of the xlsx, now with a new employer: an update
        ["段金华", "男", "白族", "1965-02-02", person_id(b(1965, 2, 2), 9, "男"), "宁洱县水务局", "全国五一劳动奖章", "2010"],
        ["刘  芳", "女", "汉族", "1984/6/18", person_id(b(1984, 6, 18), 21, "女"), "宁洱县人民医院", "云南省先进工作者",
         "２０１６"],
        ["扎约", "男", "拉祜族", "1987年3月", person_id(b(1987, 3, 3), 22, "男"), "宁洱县茶业有限责任公司",
         "2018年普洱工匠、2022年云岭工匠", ""],
        ["娜丽", "女", "拉祜", "19900909", person_id(b(1990, 9, 9), 23, "女"), "宁洱县邮政分公司", "宁洱县劳动模范", "2021年"],
        ["岩三", "男", "布朗族", "", "'" + person_id(b(1974, 12, 12), 24, "男"), "宁洱县供电局", "普洱市五一劳动奖章", "2014"],
        # 名字 missing
        ["", "男", "汉族", "1979.01", person_id(b(1979, 1, 1), 25, "男"), "宁洱县供电局", "宁洱县劳动模范", "2019"],
    ]
    for row in rows:
        lines.append(",".join(row))
    path = folder / "劳模名册_GBK.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path


# -- studios (.xls, written by xlwt as old Excel 97-2003 files are) ------------------------------


def write_studios_xls(folder: Path) -> Path:
    import xlwt

    b = dt.date
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("工作室")
    title = xlwt.easyxf("font: bold on, height 320; align: horiz center")
    head = xlwt.easyxf("font: bold on; borders: left thin, right thin, top thin, bottom thin")
    sheet.write_merge(0, 0, 0, 8, "宁洱县创新工作室名册（2024年）", title)
    header = ["序号", "工作室名称", "工作室类型", "命名级别", "依托单位", "领办人", "命名时间", "成员数", "备注"]
    for col, name in enumerate(header):
        sheet.write(1, col, name, head)
    rows = [
        # 3: leader by name (张三 holds 云南省劳动模范)
        [1, "张三劳模创新工作室", "劳模创新工作室", "省级", "宁洱县供电局", "张三", "2019年", 12, None],
        # 4: leader by ID number
        [2, "普卫东劳模创新工作室", "劳模创新工作室", "市级", "宁洱县矿业有限公司",
         person_id(b(1972, 8, 15), 6, "男"), 2020, 8, None],
        # 5: leader not in the roster
        [3, "茶艺技能大师工作室", "技能大师工作室", "县级", "宁洱县茶业有限责任公司", "李小龙", 2021, 5, None],
        # 6: a 工匠 studio led by someone without a 工匠 honour
        [4, "王建国工匠创新工作室", "云岭工匠创新工作室", "省级", "宁洱县交通运输局公路管理段", "王建国", 2022, 6, None],
        # 7: 职工创新工作室 (no honour required); 级别 written 县区级
        [5, "咖啡加工职工创新工作室", "职工创新工作室", "县区级", "宁洱县咖啡产业发展有限公司", "白者妞（女）", "2023", 10, None],
        # 8: the same name again
        [6, "张三劳模创新工作室", "劳模创新工作室", "省级", "宁洱县供电局", "张三", 2019, 12, "重复录入"],
    ]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    path = folder / "工作室名册.xls"
    book.save(str(path))
    return path


# -- trainings (.xlsx: a notes sheet first, title row, column-number row, totals row) -------------


def write_trainings_xlsx(folder: Path) -> Path:
    import xlsxwriter

    path = folder / "职工培训台账.xlsx"
    book = xlsxwriter.Workbook(str(path), {"in_memory": True})  # same bytes on Windows (no CRLF)
    book.set_properties({"created": CREATED})
    date = book.add_format({"num_format": "yyyy年m月d日"})
    notes = book.add_worksheet("说明")
    notes.write(0, 0, "本台账按培训班登记，每班一行。")
    sheet = book.add_worksheet("2024年培训")
    sheet.merge_range(0, 0, 0, 14, "宁洱县2024年职工技能培训台账")
    header = ["序号", "培训班名称", "主办单位", "培训类型", "开班时间", "结业时间", "培训人次", "其中农民工", "其中女职工",
              "初级", "中级", "高级", "技师", "高级技师", "培训经费（万元）"]
    sheet.write_row(1, 0, header)
    sheet.write_row(2, 0, ["甲", "乙", "丙", *range(1, 13)])
    rows = [
        [1, "茶叶加工职业技能培训班", "宁洱县总工会", "职业技能培训", "2024.3.5", "2024.3.9", 60, 35, 28, 20, 10, 0, 0, 0, 1.2],
        [2, "电力安全生产培训", "宁洱县供电局", "安全生产培训", dt.date(2024, 4, 1), dt.date(2024, 4, 2), 120, 0, 30,
         0, 0, 0, 0, 0, 0.8],
        [3, "咖啡加工新型学徒制培训", "宁洱县人力资源和社会保障局", "新型学徒制", "2024年5月6日", "2024年6月28日", 40, 32, 18,
         15, 12, 5, 0, 0, 3.5],
        [4, "焊工岗位练兵", "宁洱县建筑工程有限公司", "岗位练兵", 45444, 45446, 25, 20, 0, 0, 8, 6, 2, 0, 0.3],
        [5, "家政服务创业培训", "宁洱县总工会", "创业培训", "2024-07-15", "2024-07-20", 50, 45, 50, 0, 0, 0, 0, 0, "0.6万元"],
        # sheet row 9: 其中农民工 above the total
        [6, "护理技能提升培训", "宁洱县人民医院", "职业技能培训", "2024.8.1", "2024.8.3", 30, 45, 30, 0, 0, 0, 0, 0, 0.5],
        # sheet row 10: an unknown type
        [7, "消防知识讲座", "宁洱县消防救援大队", "讲座", "2024.9.1", "2024.9.1", 200, 0, 80, 0, 0, 0, 0, 0, 0],
    ]
    for r, row in enumerate(rows, start=3):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
            else:
                sheet.write(r, c, value)
    sheet.write_row(3 + len(rows), 0, ["合计", None, None, None, None, None, 525, 177, 236, 35, 30, 11, 2, 0, 6.9])
    book.close()
    return path


# -- competitions (.xls, header in row 1) ---------------------------------------------------------


def write_competitions_xls(folder: Path) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    header = ["竞赛名称", "竞赛类型", "竞赛级别", "承办单位", "举办时间", "工种数", "参赛人数", "获奖人数", "晋级人数"]
    for col, name in enumerate(header):
        sheet.write(0, col, name)
    rows = [
        ["宁洱县第五届职工职业技能大赛", "技能竞赛", "县级", "宁洱县总工会", dt.date(2024, 10, 18), 6, 180, 36, 20],
        ["普洱市电力行业技能竞赛（宁洱赛区）", "技能竞赛", "市级", "宁洱县供电局", "2024.6.20", 2, 45, 9, 5],
        ["重点项目建设劳动竞赛", "劳动竞赛", "县级", "宁洱县住房和城乡建设局", "2024年全年", 0, 600, 30, 0],
        ["茶叶加工技能竞赛", "技能竞赛", "国家级", "宁洱县茶业有限责任公司", "2024-05-10", 1, 60, 12, 8],
        ["职工安全知识竞赛", "知识竞赛", "县级", "宁洱县应急管理局", "2024-09-09", 0, 300, 30, 0],
    ]
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date)
            else:
                sheet.write(r, c, value)
    path = folder / "劳动和技能竞赛.xls"
    book.save(str(path))
    return path


# -- broken and hostile files --------------------------------------------------------------------


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 12, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return path


_CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                  b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
_WORKBOOK = (b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
             b'2006/main"><sheets><sheet name="Sheet1" sheetId="1"/></sheets></workbook>')


def write_hostile(folder: Path) -> list[Path]:
    import xlsxwriter

    out = []
    # A truncated workbook (copied half-way from a USB stick).
    whole = (folder / "宁洱县劳模名册.xlsx").read_bytes()
    broken = folder / "损坏的文件.xlsx"
    broken.write_bytes(whole[: len(whole) // 2])
    out.append(broken)
    # A password-protected workbook is an OLE container holding an EncryptedPackage stream.
    encrypted = folder / "加密的文件.xlsx"
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    encrypted.write_bytes(header + "EncryptedPackage".encode("utf-16-le") + bytes(1024))
    out.append(encrypted)
    # A zip bomb: 60 MB of spaces in one sheet, compressed to a few tens of kilobytes.
    out.append(_zip(folder / "压缩炸弹.xlsx", {
        "[Content_Types].xml": _CONTENT_TYPES, "xl/workbook.xml": _WORKBOOK,
        "xl/worksheets/sheet1.xml": b"<worksheet>" + b" " * 60_000_000 + b"</worksheet>"}))
    # The billion laughs: XML entities that expand exponentially.
    laughs = [b'<!ENTITY lol0 "lol">']
    for n in range(1, 10):
        laughs.append(b'<!ENTITY lol%d "%s">' % (n, b"".join(b"&lol%d;" % (n - 1) for _ in range(10))))
    bomb = (b'<?xml version="1.0"?><!DOCTYPE worksheet [' + b"".join(laughs) + b']>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')
    out.append(_zip(folder / "实体炸弹.xlsx", {
        "[Content_Types].xml": _CONTENT_TYPES, "xl/workbook.xml": _WORKBOOK, "xl/worksheets/sheet1.xml": bomb}))
    # An HTML table saved with an .xls name (what many web systems export).
    html = folder / "网页导出.xls"
    html.write_bytes("<html><head><meta charset='utf-8'></head><body><table><tr><td>姓名</td><td>身份证号</td></tr>"
                     "</table></body></html>".encode())
    out.append(html)
    # A word document renamed to .xlsx.
    out.append(_zip(folder / "其实是文档.xlsx", {"[Content_Types].xml": _CONTENT_TYPES,
                                              "word/document.xml": b"<document/>"}))
    # A sheet with a stray cell 300 columns to the right.
    wide = folder / "超宽表格.xlsx"
    book = xlsxwriter.Workbook(str(wide), {"in_memory": True})  # same bytes on Windows (no CRLF)
    book.set_properties({"created": CREATED})
    sheet = book.add_worksheet("名册")
    sheet.write_row(0, 0, ["姓名", "身份证号", "工作单位"])
    sheet.write(0, 300, "x")
    book.close()
    out.append(wide)
    # A valid roster with a stray note a million rows down (read by streaming, not refused).
    far = folder / "远处有内容.xlsx"
    book = xlsxwriter.Workbook(str(far), {"in_memory": True})  # same bytes on Windows (no CRLF)
    book.set_properties({"created": CREATED})
    sheet = book.add_worksheet("名册")
    sheet.write_row(0, 0, ["姓名", "身份证号", "工作单位", "荣誉称号", "授予年份"])
    sheet.write_row(1, 0, ["杨开元", person_id(dt.date(1983, 3, 3), 31, "男"), "宁洱县供电局", "宁洱县劳动模范", 2020])
    sheet.write_row(2, 0, ["邓秀英", person_id(dt.date(1985, 5, 5), 32, "女"), "宁洱县人民医院", "宁洱县先进工作者", 2021])
    sheet.write(1_000_000, 0, "误输入")
    book.close()
    out.append(far)
    # No header anywhere.
    nohead = folder / "没有表头.csv"
    nohead.write_bytes(b"1,2,3\n4,5,6\n")
    out.append(nohead)
    return out


# -- a company's HR roster (花名册), as kept by a personnel office, not by the union ----------------

COMPANY_ROWS = 115
COMPANY_HEADER = ["工号", "姓名", "性别", "部门", "岗位", "证件号", "出生日期", "民族", "学历", "政治面貌", "入职日期",
                  "手机号码", "所属公司", "户籍地址", "发证机关", "证件有效期"]
# Rows (1-based, as Excel shows them) whose ID number is unusable, and why.
COMPANY_BAD_IDS = {7: "\u00b2", 12: "\u2460"}  # a superscript two and a circled one typed for digits
# Rows whose names use a middle-dot variant (all must be stored with ·, U+00B7).
COMPANY_DOT_NAMES = {3: "买买提\u2022艾力", 4: "阿依古丽\u30fb买买提", 5: "玛依拉\u2027吐尔逊", 6: "努尔\uff65艾合买提"}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "华", "平"]
DEPARTMENTS = ["生产部", "设备部", "质检部", "仓储物流部", "综合办公室", "财务部"]
POSTS = ["制茶工", "电工", "焊工", "质检员", "叉车司机", "文员", "会计", "机修工"]


def company_rows() -> list[list[object]]:
    rows: list[list[object]] = []
    for n in range(COMPANY_ROWS):
        excel_row = n + 2  # the header is row 1
        sex = "男" if n % 3 else "女"
        birth = dt.date(1970 + n % 30, 1 + n % 12, 1 + (n * 7) % 28)
        number = make_id_number("530802", birth, 100 + n, sex)
        if excel_row in COMPANY_BAD_IDS:
            number = COMPANY_BAD_IDS[excel_row] + number[1:]
        name = COMPANY_DOT_NAMES.get(excel_row) or SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]
        ethnicity = "维吾尔族" if excel_row in COMPANY_DOT_NAMES else ("哈尼族" if n % 5 == 0 else "汉族")
        rows.append([f"PE{1000 + n}", name, sex, DEPARTMENTS[n % len(DEPARTMENTS)], POSTS[n % len(POSTS)], number,
                     birth.isoformat(), ethnicity, ["高中", "中专", "大专", "本科"][n % 4],
                     ["群众", "中共党员", "共青团员"][n % 3], f"20{10 + n % 14:02d}-0{1 + n % 9}-15",
                     f"139{n:08d}", "普洱茶业集团有限公司", "云南省普洱市思茅区", "普洱市公安局思茅分局",
                     "2016.05.01-2036.05.01"])
    return rows


def write_company_roster(folder: Path) -> Path:
    """A personnel office's workbook: 离职员工 first, then 花名册 (header in row 1), then a 部门 list."""
    import xlsxwriter

    path = folder / "普洱茶业集团员工花名册.xlsx"
    book = xlsxwriter.Workbook(str(path), {"in_memory": True})  # same bytes on Windows (no CRLF)
    book.set_properties({"created": CREATED, "author": "人力资源部"})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    left = book.add_worksheet("离职员工")
    for col, name in enumerate([*COMPANY_HEADER, "离职日期", "离职原因"]):
        left.write(0, col, name, head)
    for n, row in enumerate(company_rows()[:6]):
        for col, value in enumerate([*row, "2023-06-30", "个人原因"]):
            left.write_string(n + 1, col, str(value))
    sheet = book.add_worksheet("花名册")
    for col, name in enumerate(COMPANY_HEADER):
        sheet.write(0, col, name, head)
    for n, row in enumerate(company_rows()):
        for col, value in enumerate(row):
            sheet.write_string(n + 1, col, str(value))
    sheet.set_column(0, len(COMPANY_HEADER) - 1, 12)
    departments = book.add_worksheet("部门")
    for n, name in enumerate(DEPARTMENTS):
        departments.write(n, 0, name)
    book.close()
    return path


def write_short_list(folder: Path) -> Path:
    """A short list typed by a workshop: header in row 1, only 姓名 recognisable, the ID column named oddly."""
    path = folder / "车间先进个人名单.csv"
    lines = ["姓名,员工证件,工作单位,备注"]
    for n, name in enumerate(["岩温", "玉香", "扎西"]):
        lines.append(f"{name},{make_id_number('530821', dt.date(1980 + n, 3, 4 + n), 30 + n, '男' if n != 1 else '女')},"
                     f"宁洱县供电局,")
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))  # LF on Windows too
    return path


def write_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [write_people_xlsx(folder), write_people_gbk_csv(folder), write_studios_xls(folder),
             write_trainings_xlsx(folder), write_competitions_xls(folder), write_company_roster(folder),
             write_short_list(folder)]
    paths += write_hostile(folder)
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for written in write_all(target):
        print(written.name)
