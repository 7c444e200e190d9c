"""The worksheet scan of a received workbook (models.file_guard): its fast patterns for unprefixed element names find
exactly what the general patterns find, on worksheets as this program writes them and as someone might craft them."""

from __future__ import annotations

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


def scan(xml: bytes, general: bool) -> tuple[int, int, int] | str:
    sheet = file_guard._SheetScan(lambda: "表1")
    saved = file_guard._PATTERNS[b""]
    if general:
        file_guard._PATTERNS[b""] = file_guard._PATTERNS[rb"(?:\w+:)?"]
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
       prefix=st.sampled_from(["", "x:"]))
def test_fast_and_general_patterns_find_the_same(rows: list[str], dimension: str, prefix: str) -> None:
    xml = f'<worksheet xmlns="main" xmlns:r="rel">{dimension}<sheetData>{"".join(rows)}</sheetData></worksheet>'
    if prefix:
        xml = xml.replace("<", f"<{prefix}").replace(f"<{prefix}/", f"</{prefix}")
    data = xml.encode()
    assert scan(data, general=False) == scan(data, general=True)


@pytest.mark.parametrize("xml", [
    b'<worksheet><sheetData><x:row r="1"><x:c><v>1</v></x:c></x:row></sheetData></worksheet>',
    b'<worksheet><sheetData><row r="1"><c r="A1"/><x:c/></row></sheetData></worksheet>',
    b'<worksheet><sheetData><x:row r="3000000"><x:c r="A3000000"/></x:row></sheetData></worksheet>'])
def test_a_prefixed_element_anywhere_is_still_seen(xml: bytes) -> None:
    assert isinstance(scan(xml, general=False), str)  # refused, as the general patterns refuse it
