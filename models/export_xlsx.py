"""The return as an Excel workbook laid out like an official statistical form (XlsxWriter).

Sheets: 封面, 表1–表5, 附表1–2, 审核说明 (when there are 说明), and the hidden ``_data`` sheet with
the canonical JSON of the return (``A1`` = format marker, ``B1`` = format version, ``A2…`` = the
JSON in pieces of at most 30,000 UTF-16 units), so a receiving program reads it back exactly
(``models.return_io``). Custom document properties repeat the format, unit, period, version and
digest. The table sheets keep a fixed shape that :func:`models.return_io.visible_tables` reads:
the 栏次 row starts with “甲”, the data rows follow it in declaration order.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from forms import returns as R
from models.export_pdf import header_cells
from models.returns import (
    DATA_MARKER,
    DATA_SHEET,
    PROPERTY_DIGEST,
    PROPERTY_SIGNER,
    Return,
    canonical_bytes,
    digest,
    short_digest,
)

Progress = Callable[..., None]

CHUNK_UNITS = 30_000
PROPERTY_FORMAT = "ChangaiReturnFormat"
FONT = "宋体"


def chunks(text: str, limit: int = CHUNK_UNITS) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` UTF-16 code units (Excel's measure)."""
    if len(text.encode("utf-16-le")) == 2 * len(text):  # no characters outside the BMP: units = characters
        return [text[i:i + limit] for i in range(0, max(len(text), 1), limit)]
    out: list[str] = []
    start = 0
    units = 0
    for index, char in enumerate(text):
        size = 2 if ord(char) > 0xFFFF else 1
        if units + size > limit:
            out.append(text[start:index])
            start, units = index, 0
        units += size
    out.append(text[start:])
    return out


class _Formats:
    def __init__(self, wb: Any) -> None:
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
        border = {**base, "border": 1}
        self.title = wb.add_format({**base, "font_size": 16, "bold": True, "align": "center"})
        self.meta = wb.add_format({**base, "font_size": 9})
        self.meta_right = wb.add_format({**base, "font_size": 9, "align": "right"})
        self.meta_center = wb.add_format({**base, "font_size": 9, "align": "center"})
        self.head = wb.add_format({**border, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#F2F2F2"})
        self.number_row = wb.add_format({**border, "font_size": 8, "align": "center"})
        self.label = wb.add_format({**border})
        self.label_center = wb.add_format({**border, "align": "center", "text_wrap": True})
        self.total_label = wb.add_format({**border, "bold": True, "align": "center", "bg_color": "#EDEDED"})
        self.int = wb.add_format({**border, "num_format": "0"})
        self.money = wb.add_format({**border, "num_format": "0.00"})
        self.total_int = wb.add_format({**border, "num_format": "0", "bold": True, "bg_color": "#EDEDED"})
        self.total_money = wb.add_format({**border, "num_format": "0.00", "bold": True, "bg_color": "#EDEDED"})
        self.text = wb.add_format({**border, "text_wrap": True, "font_size": 9})
        self.text_center = wb.add_format({**border, "align": "center", "font_size": 9})
        self.note = wb.add_format({**base, "font_size": 9, "text_wrap": True, "valign": "top"})
        self.cover_title = wb.add_format({**base, "font_size": 22, "bold": True, "align": "center"})
        self.cover_sub = wb.add_format({**base, "font_size": 14, "align": "center"})
        self.cover_label = wb.add_format({**base, "font_size": 12, "align": "right"})
        self.cover_value = wb.add_format({**base, "font_size": 12, "bottom": 1})
        self.cover_small = wb.add_format({**base, "font_size": 10})
        self.stamp = wb.add_format({**base, "align": "center", "border": 3, "font_color": "#808080"})


def write_xlsx(ret: Return, path: Path, *, fingerprint: str = "", progress: Progress | None = None) -> None:
    """Write the return as a workbook to ``path`` (use an atomic temporary path).

    The output is deterministic (same return and fingerprint, same bytes in every part): the signature
    (``models.signing.package``) is added afterwards, and the verifier re-renders to name changed cells.
    """
    import xlsxwriter

    in_memory = sum(len(rows) for rows in ret.rosters.values()) <= IN_MEMORY_ROSTER_ROWS
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer if in_memory else str(path),
                             {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
                              "in_memory": in_memory})
    created = _created(ret.finalised_at)
    period = ret.period_obj
    hex_digest = digest(ret)
    wb.set_properties({"title": f"{ret.spec.title}（{ret.unit_name} {period.label}{period.kind_label}）",
                       "author": ret.unit_name, "company": ret.unit_name, "subject": f"{ret.unit_code} {period.code}",
                       "created": created, "comments": f"数据摘要 {hex_digest}"})
    wb.set_custom_property(PROPERTY_FORMAT, f"{R.FORMAT_NAME}/{R.FORMAT_VERSION}")
    wb.set_custom_property(PROPERTY_DIGEST, hex_digest)
    wb.set_custom_property("ChangaiUnitCode", ret.unit_code)
    wb.set_custom_property("ChangaiPeriod", ret.period)
    wb.set_custom_property("ChangaiVersion", str(ret.version))
    if fingerprint:
        wb.set_custom_property(PROPERTY_SIGNER, fingerprint.replace(" ", ""))
    fmt = _Formats(wb)
    steps = 3 + len(ret.spec.tables) + len(ret.spec.rosters)
    done = 0

    def step(text: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps, text)

    _cover(wb, fmt, ret, short_digest(hex_digest), fingerprint)
    step("正在写入封面……")
    for spec in ret.spec.tables:
        _table(wb, fmt, ret, spec)
        step(f"正在写入{spec.number}……")
    for roster in ret.spec.rosters:
        _roster(wb, fmt, ret, roster, streamed=len(ret.rosters.get(roster.key, [])) > STREAMED_ROSTER_ROWS)
        step(f"正在写入{roster.number}……")
    if ret.notes:
        _notes(wb, fmt, ret)
    _data(wb, ret)
    step("正在保存Excel文件……")
    wb.close()
    if in_memory:
        _zip_as_from_temporary_files(buffer.getvalue(), path)
    step("Excel文件已生成")


# XlsxWriter writes each part of the workbook to a temporary file and then into the .xlsx: nineteen files made
# and removed for a county's return, a third of its Excel time (more on Windows, where virus scanners look at
# each one). Below this many roster rows the parts are kept in memory instead; a province's consolidated roster
# keeps the temporary files (its roster sheet alone is tens of megabytes).
IN_MEMORY_ROSTER_ROWS = 5_000
# A roster longer than this (a province's) is written row by row to a temporary file (_streamed_sheet). Its text is
# then in the cells, which makes the sheet's XML about half as large again: up to this many rows (more than any
# prefecture sends up) the shared-string layout, and the same bytes as before, are kept.
STREAMED_ROSTER_ROWS = 20_000
# What XlsxWriter's temporary-file way puts in each entry's header: the date it gives the files (31 January 1980)
# and the files' permissions as the system reports them (mkstemp makes them 0600; Windows reports 0666).
_PART_DATE = (1980, 1, 31, 0, 0, 0)
_PART_MODE = 0o100666 if os.name == "nt" else 0o100600


def _zip_as_from_temporary_files(data: bytes, path: Path) -> None:
    """Write the in-memory workbook ``data`` to ``path`` byte for byte as XlsxWriter's temporary-file way does.

    The parts are the same either way; only the entries' headers differ (XlsxWriter dates in-memory parts
    1 January 1980 and gives them no file type), so the entries are written again with the headers the files
    would have had, same order, same compression: a re-export of a version stays byte-identical.
    """
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=False) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, _PART_DATE)
            info.external_attr = (_PART_MODE & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(entry))


def _created(stamp: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(stamp) if stamp else dt.datetime(2000, 1, 1)
    except ValueError:
        return dt.datetime(2000, 1, 1)


def _print_setup(ws: Any, landscape: bool, repeat: tuple[int, int] | None, one_page: bool = False) -> None:
    ws.set_paper(9)  # A4
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 1 if one_page else 0)
    ws.center_horizontally()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
    ws.set_footer("&C&\"宋体\"&9第 &P 页 共 &N 页")
    if repeat is not None:
        ws.repeat_rows(*repeat)
    ws.hide_gridlines(2)


def _span(ws: Any, row: int, first: int, last: int, text: str, cell_format: Any) -> None:
    if last > first:
        ws.merge_range(row, first, row, last, text, cell_format)
    else:
        ws.write_string(row, first, text, cell_format)


def _head_block(ws: Any, fmt: _Formats, ret: Return, title: str, form_no: str, unit_note: str, last_col: int) -> int:
    """表号/制定机关 top right, the title, the 填报单位/报告期/计量单位 line; returns the next row."""
    right = max(last_col - 2, 0)
    _span(ws, 0, right, last_col, f"表　　号：{form_no}", fmt.meta)
    _span(ws, 1, right, last_col, f"制定机关：{ret.spec.authority}", fmt.meta)
    _span(ws, 2, 0, last_col, title, fmt.title)
    ws.set_row(2, 30)
    n = last_col + 1
    a, b = max(n // 3 - 1, 0), max(2 * n // 3 - 1, 1)
    _span(ws, 3, 0, a, f"填报单位（盖章）：{ret.unit_name}", fmt.meta)
    _span(ws, 3, a + 1, b, f"报告期：{ret.period_obj.label}", fmt.meta_center)
    if unit_note and b + 1 <= last_col:
        _span(ws, 3, b + 1, last_col, f"计量单位：{unit_note}", fmt.meta_right)
    return 4


def _signature(ws: Any, fmt: _Formats, ret: Return, row: int, last_col: int) -> None:
    ws.merge_range(row, 0, row, last_col, ret.contacts_line(), fmt.meta)


def _table(wb: Any, fmt: _Formats, ret: Return, spec: R.TableSpec) -> None:
    ws = wb.add_worksheet(spec.number)
    labels = len(spec.row_header)
    last_col = labels + len(spec.columns) - 1
    row = _head_block(ws, fmt, ret, spec.full_title, spec.form_no, spec.unit_note, last_col)
    cells, head_rows = header_cells(spec)
    first_head = row
    for i, caption in enumerate(spec.row_header):
        if head_rows > 1:
            ws.merge_range(row, i, row + head_rows - 1, i, caption, fmt.head)
        else:
            ws.write_string(row, i, caption, fmt.head)
    for c0, c1, r0, r1, text in cells:
        if c0 == c1 and r0 == r1:
            ws.write_string(row + r0, labels + c0, text, fmt.head)
        else:
            ws.merge_range(row + r0, labels + c0, row + r1, labels + c1, text, fmt.head)
    for r in range(head_rows):
        ws.set_row(row + r, 32 if r == head_rows - 1 else 20)
    row += head_rows
    for i in range(labels + len(spec.columns)):
        ws.write_string(row, i, "甲乙丙"[i] if i < labels else str(i - labels + 1), fmt.number_row)
    number_row = row
    row += 1
    ws.freeze_panes(row, labels)
    table = ret.tables[spec.key]
    group_first: dict[str, int] = {}
    for line in spec.rows:
        total = line.is_total
        if labels == 2:
            if total:
                ws.merge_range(row, 0, row, 1, line.label, fmt.total_label)
            else:
                if line.group not in group_first:
                    count = sum(1 for x in spec.rows if x.group == line.group)
                    group_first[line.group] = row
                    if count > 1:
                        ws.merge_range(row, 0, row + count - 1, 0, line.group, fmt.label_center)
                    else:
                        ws.write_string(row, 0, line.group, fmt.label_center)
                ws.write_string(row, 1, line.label, fmt.label_center)
        else:
            ws.write_string(row, 0, line.label, fmt.total_label if total else fmt.label)
        for i, col in enumerate(spec.columns):
            value = table[line.key][col.key]
            if col.money:
                ws.write_number(row, labels + i, float(Decimal(value)), fmt.total_money if total else fmt.money)
            else:
                ws.write_number(row, labels + i, int(value), fmt.total_int if total else fmt.int)
        ws.set_row(row, 18 if len(spec.rows) > 12 else 22)
        row += 1
    row += 1
    if spec.note:
        ws.merge_range(row, 0, row, last_col, f"填表说明：{spec.note}", fmt.note)
        ws.set_row(row, 28)
        row += 1
    _signature(ws, fmt, ret, row + 1, last_col)
    ws.set_column(0, 0, 16 if labels == 1 else 20)
    if labels == 2:
        ws.set_column(1, 1, 8)
    ws.set_column(labels, last_col, 10)
    _print_setup(ws, spec.landscape, (first_head, number_row), one_page=True)


# What an A4 landscape page holds at about 100 % (in Excel's column-width units, margins of 0.5 inch).
ROSTER_PAGE_WIDTH = 140.0


def _roster_widths(cols: Sequence[R.RosterColumn]) -> list[float]:
    """Column widths that fit one A4 landscape page without shrinking the print below about 9 pt.

    Printing “one page wide” scales the whole sheet: columns sized for the screen printed at 6 pt.
    Instead the text columns get narrower (their cells wrap); ID numbers keep their full width.
    """
    natural = [max(4.0, c.width * 1.9 if c.width > 6 else c.width * 2.2) for c in cols]
    fixed = sum(w for c, w in zip(cols, natural, strict=True) if c.key == "id_number")
    rest = sum(natural) - fixed
    factor = min(1.0, (ROSTER_PAGE_WIDTH - fixed) / rest) if rest > 0 else 1.0
    return [w if c.key == "id_number" else max(4.0, round(w * factor, 1)) for c, w in zip(cols, natural, strict=True)]


def _streamed_sheet(wb: Any, name: str) -> Any:
    """A worksheet whose rows go to a temporary file as they are written: XlsxWriter's ``constant_memory`` mode, for
    this sheet alone (the workbook reads the option when it adds a sheet). Otherwise a province's roster of 100,000
    rows is held in memory cell by cell until the workbook is closed (some 150 MB). Its rows must be written in
    order, which the roster's are, and its text is stored in the cells themselves instead of the shared table;
    readers, the verification and the naming of changed cells read both."""
    wb.constant_memory = True
    try:
        return wb.add_worksheet(name)
    finally:
        wb.constant_memory = False


def _roster(wb: Any, fmt: _Formats, ret: Return, roster: R.RosterSpec, *, streamed: bool = False) -> None:
    ws = _streamed_sheet(wb, roster.number) if streamed else wb.add_worksheet(roster.number)
    cols = roster.visible_columns(ret.consolidated)
    last_col = len(cols) - 1
    row = _head_block(ws, fmt, ret, roster.full_title, roster.form_no, "", last_col)
    for i, (col, width) in enumerate(zip(cols, _roster_widths(cols), strict=True)):
        ws.write_string(row, i, col.label, fmt.head)
        ws.set_column(i, i, width)
    ws.set_row(row, 30)
    head = row
    row += 1
    ws.freeze_panes(row, 0)
    keys = [c.key for c in cols]
    centered = [c.width <= 6 for c in cols]
    text, center = fmt.text, fmt.text_center
    write = ws.write_string
    for data in ret.rosters.get(roster.key, []):
        for i, key in enumerate(keys):
            write(row, i, data.get(key, ""), center if centered[i] else text)
        row += 1
    if row > head + 1:
        ws.autofilter(head, 0, row - 1, last_col)
    row += 1
    if roster.note:
        ws.merge_range(row, 0, row, last_col, f"说明：{roster.note}共 {row - head - 2} 条。", fmt.note)
    _signature(ws, fmt, ret, row + 2, last_col)
    _print_setup(ws, True, (head, head))


def _notes(wb: Any, fmt: _Formats, ret: Return) -> None:
    ws = wb.add_worksheet("审核说明")
    row = _head_block(ws, fmt, ret, "审核说明", ret.spec.form_no, "", 2)
    for i, (label, width) in enumerate((("序号", 6), ("审核发现的问题", 60), ("说明", 50))):
        ws.write_string(row, i, label, fmt.head)
        ws.set_column(i, i, width)
    head = row
    row += 1
    for n, note in enumerate(ret.notes, start=1):
        ws.write_string(row, 0, str(n), fmt.text_center)
        ws.write_string(row, 1, note["message"], fmt.text)
        ws.write_string(row, 2, note["text"], fmt.text)
        row += 1
    _print_setup(ws, False, (head, head))


def _cover(wb: Any, fmt: _Formats, ret: Return, short: str, fingerprint: str) -> None:
    ws = wb.add_worksheet("封面")
    ws.set_column(0, 0, 4)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 40)
    ws.set_column(3, 3, 18)
    ws.merge_range(0, 2, 0, 3, f"表　　号：{ret.spec.form_no}", fmt.meta_right)
    ws.merge_range(1, 2, 1, 3, f"制定机关：{ret.spec.authority}", fmt.meta_right)
    ws.set_row(3, 40)
    ws.merge_range(3, 0, 3, 3, ret.spec.title, fmt.cover_title)
    period = ret.period_obj
    ws.merge_range(4, 0, 4, 3, f"（{period.label}{period.kind_label}）", fmt.cover_sub)
    rows = ret.cover_lines()
    row = 6
    for label, value in rows:
        ws.set_row(row, 26)
        ws.write_string(row, 1, label + "：", fmt.cover_label)
        ws.write_string(row, 2, value, fmt.cover_value)
        row += 1
    if ret.consolidated:
        ws.set_row(row, 42)
        ws.write_string(row, 1, "上报情况：", fmt.cover_label)
        ws.merge_range(row, 2, row, 3, ret.coverage_text, fmt.note)
        row += 1
    row += 1
    ws.write_string(row, 1, "证书指纹：", fmt.cover_label)
    ws.write_string(row, 2, fingerprint or "（未签名）", fmt.cover_small)
    ws.write_string(row + 1, 1, "数据摘要：", fmt.cover_label)
    ws.write_string(row + 1, 2, f"{short}（SHA-256 前16位）", fmt.cover_small)
    row += 3
    ws.merge_range(row, 1, row + 3, 1, "（单位盖章处）", fmt.stamp)
    row += 5
    ws.write_string(row, 1, "本文件包含：", fmt.cover_small)
    for number, title in [(t.number, t.title) for t in ret.spec.tables] + [(r.number, r.title) for r in ret.spec.rosters]:
        row += 1
        ws.write_string(row, 1, number, fmt.cover_small)
        ws.write_string(row, 2, title, fmt.cover_small)
    _print_setup(ws, False, None, one_page=True)
    ws.activate()


def _data(wb: Any, ret: Return) -> None:
    ws = wb.add_worksheet(DATA_SHEET)
    ws.write_string(0, 0, DATA_MARKER)
    ws.write_number(0, 1, R.FORMAT_VERSION)
    for i, piece in enumerate(chunks(canonical_bytes(ret).decode("utf-8")), start=1):
        ws.write_string(i, 0, piece)
    ws.hide()
