"""The worksheet scan of a received workbook (models.file_guard): its fast patterns for unprefixed element names find
exactly what the general patterns find, on worksheets as this program writes them and as someone might craft them."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import file_guard
from models.returns import ReturnFormatError

CELL = st.builds(lambda col, row, attrs, ref, empty: (
    f'<c{attrs} r="{col}{row}"/>' if empty and ref else f'<c{attrs} r="{col}{row}"><v>1</v></c>' if ref
    else f"<c{attrs}><v>2</v></c>"),
    st.sampled_from(["A", "M", "Z", "AB", "XFD", "a"]), st.integers(1, 2_000_000), st.sampled_from(["", ' s="1"', ' t="s"']),
    st.booleans(), st.booleans())
ROW = st.builds(lambda number, cells, ref: (f'<row r="{number}">' if ref else "<row>") + "".join(cells) + "</row>",
                st.integers(1, 2_000_000), st.lists(CELL, max_size=6), st.booleans())


# Prefixes calamine's XML reader takes (any bytes up to the first colon of a name), not only letters and digits
PREFIXES = ["", "x:", "my-ns:", "中:", "a=b:", "a.b:", "1:"]


def scan(xml: bytes, general: bool) -> tuple[int, int, int] | str:
    sheet = file_guard._SheetScan(lambda: "表1")
    saved = file_guard._PATTERNS[b""]
    if general:
        file_guard._PATTERNS[b""] = file_guard._PATTERNS[file_guard.ANY_PREFIX]
    try:
        for start in range(0, len(xml), 97):  # in chunks, as the file is streamed
            sheet.feed(xml[start:start + 97])
        sheet.close()
    except ReturnFormatError as exc:
        return str(exc)
    finally:
        file_guard._PATTERNS[b""] = saved
    return sheet.max_row, sheet.max_col, sheet.cells


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(ROW, max_size=8), dimension=st.sampled_from(["", '<dimension ref="A1:M129"/>',
                                                                   '<dimension ref="A1:XFD1048576"/>']),
       prefix=st.sampled_from(PREFIXES))
def test_fast_and_general_patterns_find_the_same(rows: list[str], dimension: str, prefix: str) -> None:
    xml = f'<worksheet xmlns="main" xmlns:r="rel">{dimension}<sheetData>{"".join(rows)}</sheetData></worksheet>'
    if prefix:
        xml = xml.replace("<", f"<{prefix}").replace(f"<{prefix}/", f"</{prefix}")
    data = xml.encode()
    assert scan(data, general=False) == scan(data, general=True)


@pytest.mark.parametrize("xml", [
    b'<worksheet><sheetData><x:row r="1"><x:c><v>1</v></x:c></x:row></sheetData></worksheet>',
    b'<worksheet><sheetData><row r="1"><c r="A1"/><x:c/></row></sheetData></worksheet>',
    b'<worksheet><sheetData><x:row r="3000000"><x:c r="A3000000"/></x:row></sheetData></worksheet>',
    b'<worksheet><sheetData><row r="1"><c r="A1"/><my-ns:c r="XFD400000"/></row></sheetData></worksheet>',
    '<worksheet><sheetData><row r="1"><c r="A1"/><中:c r="XFD400000"/></row></sheetData></worksheet>'.encode(),
    b'<worksheet><sheetData><row r="1"><c r="A1"/><a\x0bb:c r="XFD400000"/></row></sheetData></worksheet>',
    b'<worksheet><my-ns:dimension ref="A1:XFD1048576"/><sheetData></sheetData></worksheet>'])
def test_a_prefixed_element_anywhere_is_still_seen(xml: bytes) -> None:
    assert isinstance(scan(xml, general=False), str)  # refused, as the general patterns refuse it


# The scan as it was, with a pattern for every start tag and another for those that give a position (two passes
# over each chunk for cells, two for rows): the reference the one-pass patterns must agree with.
_OLD = {prefix: (re.compile(rb"<%sc[\s/>]" % prefix), re.compile(rb"<%sc\s[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"" % prefix),
                 re.compile(rb"<%srow[\s/>]" % prefix), re.compile(rb"<%srow\s[^>]*?\br=\"([0-9]{1,7})\"" % prefix))
        for prefix in (file_guard.ANY_PREFIX, b"")}
# a cell that gives a position and, later in its tag, another ``r`` (calamine goes by the last), or whose first ``>``
# is followed by text (a ``>`` inside quotes)
_OLD_DOUBLE = {prefix: re.compile(rb"<%sc\s[^<>]*?\br=\"[A-Z]{1,3}[0-9]{1,7}\"(?:[^<>]*?\br\s*=|[^<>]*>(?!\s*(?:<|\Z)))"
                                  % prefix)
               for prefix in (file_guard.ANY_PREFIX, b"")}


class _OldScan(file_guard._SheetScan):
    def _tags(self, data: bytes, patterns: tuple[re.Pattern[bytes], ...]) -> tuple[list[bytes], list[tuple[bytes, bytes]]]:
        general = patterns is file_guard._PATTERNS[file_guard.ANY_PREFIX]
        cell_open, cell_ref, row_open, row_ref = _OLD[file_guard.ANY_PREFIX if general else b""]
        rows = row_ref.findall(data)
        if len(rows) != len(row_open.findall(data)):
            raise ReturnFormatError(f"工作表“{self.name}”中有未标明行号的行，不是本程序导出的报表")
        refs = cell_ref.findall(data)
        if len(refs) != len(cell_open.findall(data)):
            raise ReturnFormatError(f"工作表“{self.name}”中有未标明位置的单元格，不是本程序导出的报表")
        if _OLD_DOUBLE[file_guard.ANY_PREFIX if general else b""].search(data):
            raise ReturnFormatError(f"工作表“{self.name}”中有标记不规范的单元格（位置重复或属性异常），不是本程序导出的报表")
        return rows, refs


def _scanned(scanner: type[file_guard._SheetScan], xml: bytes, chunk: int) -> tuple[int, int, int] | str:
    sheet = scanner(lambda: "表1")
    try:
        for start in range(0, len(xml), chunk):
            sheet.feed(xml[start:start + chunk])
        sheet.close()
    except ReturnFormatError as exc:
        return str(exc)
    return sheet.max_row, sheet.max_col, sheet.cells


SPACE = st.sampled_from([" ", "\t", "\n", "  ", "\r\n"])
ATTRS = st.lists(st.sampled_from(['s="1"', 't="s"', 'x=">"', "y='a>b'", 'r="bad"', 'cr="A1"', 'ht="12"', 'r = "XFD1"',
                                  "r='B7'", 'r="C9"', 'rr="1"', 'x:r="D4"']), max_size=3)
TAG_CELL = st.builds(
    lambda space, before, ref, after, close, col, row: (
        "<c" + "".join(f"{space}{a}" for a in before) + (f'{space}r="{col}{row}"' if ref else "")
        + "".join(f"{space}{a}" for a in after) + ("/>" if close else "><v>1</v></c>")),
    SPACE, ATTRS, st.booleans(), ATTRS, st.booleans(), st.sampled_from(["A", "Z", "AB", "XFD", "IW", "a"]),
    st.integers(1, 2_000_000))
OTHER = st.sampled_from(['<col min="1" max="3"/>', "<cols>", "</cols>", '<cfRule type="x"/>', "<c>", "<c/>",
                         '<dimension ref="A1:C9"/>', "<v>文字</v>", "text > more", '<row spans="1:3">'])
TAG_ROW = st.builds(lambda space, ref, number, cells: (f'<row{space}r="{number}">' if ref else f"<row{space}>")
                    + "".join(cells) + "</row>",
                    SPACE, st.booleans(), st.integers(1, 2_000_000), st.lists(st.one_of(TAG_CELL, OTHER), max_size=5))


@settings(max_examples=400, deadline=None)
@given(parts=st.lists(st.one_of(TAG_ROW, TAG_CELL, OTHER), max_size=10), prefix=st.sampled_from(PREFIXES),
       chunk=st.integers(1, 300))
def test_one_pass_patterns_find_what_the_two_pass_scan_found(parts: list[str], prefix: str, chunk: int) -> None:
    """Every worksheet of tags (cells and rows with or without a position, the position anywhere among the
    attributes, a ``>`` inside an attribute's quotes, other elements whose names start like a cell's or a row's, any
    white space, a namespace prefix) in chunks of any size: the same refusal, or the same extent and cell count, as
    the scan with two patterns for each."""
    xml = f'<worksheet xmlns="main"><sheetData>{"".join(parts)}</sheetData></worksheet>'
    if prefix:
        xml = xml.replace("<", f"<{prefix}").replace(f"<{prefix}/", f"</{prefix}")
    data = xml.encode()
    assert _scanned(file_guard._SheetScan, data, chunk) == _scanned(_OldScan, data, chunk)


@pytest.mark.parametrize(("tag", "refused"), [
    ('<c r="A40" r="XFD400000">', True), ('<c r="A40"r="XFD400000">', True), ('<c r="A40" r = "XFD400000">', True),
    ("<c r=\"A40\" t=\"s\"\n\tr='XFD400000'>", True), ('<c r="XFD400000x" r="A40">', False),
    ('<c r="A40" cr="XFD400000" rows="2">', False), ('<c r="A40" x:r="XFD400000">', True),
    ('<c r="A40" x=">" r="XFD400000">', True), ('<c r="A40" t="str">', False), ('<c r="A40">junk', True)])
def test_a_cell_with_a_second_position_is_refused(tag: str, refused: bool) -> None:
    """calamine goes by the last ``r`` of a cell: one after the position the scan read is refused (XML allows one),
    and so is a tag whose first ``>`` is followed by text (a ``>`` in quotes, which hid the rest of the tag)."""
    xml = f'<worksheet><sheetData><row r="40">{tag}<v>1</v></c></row></sheetData></worksheet>'.encode()
    result = _scanned(file_guard._SheetScan, xml, 4096)
    if refused:
        assert result == "工作表“表1”中有标记不规范的单元格（位置重复或属性异常），不是本程序导出的报表"
    else:
        assert result == (40, 1, 1)


def test_a_cell_whose_position_is_only_found_past_a_less_than_sign_is_refused() -> None:
    """No XML has a ``<`` inside a tag; a cell's position is never looked for past one (the two-pass scan went past
    it when the ``<`` began no other cell)."""
    xml = b'<worksheet><sheetData><row r="1"><c s="1<x" r="A1"/></row></sheetData></worksheet>'
    assert _scanned(file_guard._SheetScan, xml, 4096) == "工作表“表1”中有未标明位置的单元格，不是本程序导出的报表"
    assert _scanned(_OldScan, xml, 4096) == (1, 1, 1)


@pytest.mark.parametrize("tag", [b"<c ", b"<row ", b"<dimension ", b'<dimension ref="A1 ', b'<c s="1" ', b"<x:c ",
                                 b"<x:dimension "])
def test_tags_without_an_end_are_scanned_in_one_pass(tag: bytes) -> None:
    """A chunk of start tags that never end (``<c <c <c …``): each try of a pattern stops at the next tag. The patterns
    that only stopped at a ``>`` went through the rest of the chunk at every tag, so 256 KB of them took minutes and a
    file's 1 MB chunk hours; now the whole megabyte is scanned (and refused where a tag lacks its position) at once."""
    data = tag * (1024 * 1024 // len(tag))
    result = _scanned(file_guard._SheetScan, data + b"<x/>", file_guard._CHUNK)
    assert isinstance(result, str) or result == (0, 0, 0)


def test_a_drawings_anchor_rows_place_no_cell() -> None:
    """Every part is scanned for cells (calamine reads a sheet wherever the workbook points); a chart's drawing
    anchors it to rows without a number, which only a worksheet must not have."""
    drawing = (b'<xdr:wsDr xmlns:xdr="d"><xdr:twoCellAnchor><xdr:from><xdr:col>0</xdr:col><xdr:row>0</xdr:row></xdr:from>'
               b'<xdr:to><xdr:col>7</xdr:col><xdr:row>13</xdr:row></xdr:to></xdr:twoCellAnchor></xdr:wsDr>')
    assert file_guard.cell_extent(drawing) == (0, 0)
    with pytest.raises(ReturnFormatError, match="未标明位置的单元格"):  # a cell without its position, anywhere
        file_guard.cell_extent(b'<x:row><x:c><v>1</v></x:c></x:row>')
