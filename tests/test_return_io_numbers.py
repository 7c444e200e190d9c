"""The visible tables' numbers are read exactly as the general rule reads them (models.return_io._number)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from common.errors import UserError
from forms.periods import Period
from models.db import Store
from models.return_io import _number


def _general(value: Any, is_money: bool) -> Any:
    """The rule without its fast path for whole numbers: Decimal of the cell's text."""
    if value is None or value == "":
        value = 0
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise ValueError("not a number")
    number = Decimal(str(value).strip())
    if is_money:
        return number.quantize(Decimal("0.01"))
    if number != number.to_integral_value():
        raise ValueError("not whole")
    return int(number)


@given(st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.none(), st.just(""),
                 st.booleans(), st.decimals(allow_nan=False, allow_infinity=False, places=2),
                 st.from_regex(r"\A ?-?[0-9]{1,6}(\.[0-9]{1,3})? ?\Z")),
       st.booleans())
@example(float(2**53 - 1), False)
@example(float(2**53), False)
@example(float(2**53 + 2), False)
@example(1.3739418033907898e+17, False)
@example(2.2e77, True)
@example(-0.0, False)
def test_a_cell_reads_as_the_general_rule_reads_it(value: Any, is_money: bool) -> None:
    try:
        expected: Any = _general(value, is_money)
    except (ValueError, ArithmeticError):
        expected = "refused"
    try:
        got: Any = _number(value, is_money, "表1", "合计", "人数")
    except UserError:
        got = "refused"
    assert got == expected and type(got) is type(expected), (value, is_money)


def _spec_of(store: Store) -> Any:
    from models.returns import definition_for

    return definition_for(store, Period(2025)).spec


def test_a_number_too_large_for_a_money_cell_is_named(demo_store: Store, tmp_path: Path) -> None:
    """A visible 万元 cell of 表3 holding 2.2e77 (more digits than two decimals can hold): the reason names the cell, in
    Chinese (it was an English arithmetic error)."""
    import openpyxl

    from models import export
    from models.return_io import MALFORMED, read_return

    (xlsx,) = export.export_return(demo_store, Period(2025), tmp_path, ["xlsx"])
    wb = openpyxl.load_workbook(xlsx)
    table = next(t for t in _spec_of(demo_store).tables if t.number == "表3")
    money = next(c for c in table.columns if c.money)
    ws = wb[table.number]
    header = next(r[0].row for r in ws.iter_rows() if r[0].value == "甲")
    ws.cell(row=header + 1, column=len(table.row_header) + table.columns.index(money) + 1).value = 2.2e77
    wb.save(tmp_path / "改.xlsx")
    result = read_return(tmp_path / "改.xlsx", demo_store)
    assert result.status == MALFORMED
    assert "表3" in result.reason and money.label in result.reason and "数值过大" in result.reason, result.reason


class _CellByCell:
    """A workbook read as ``_Book`` reads it, whose roster rows are tuples: never equal to a list, so every row goes
    through the cell-by-cell comparison (the reference for comparing whole rows first)."""

    def __init__(self, book: Any) -> None:
        self._book = book
        self.sheetnames = book.sheetnames

    def __getitem__(self, name: str) -> Any:
        sheet = self._book[name]

        class Sheet:
            iter_rows = sheet.iter_rows

            @staticmethod
            def raw_rows(width: int) -> Any:
                return map(tuple, sheet.raw_rows(width))

        return Sheet()


_EDITS = st.lists(st.tuples(st.sampled_from(["change", "drop key", "number", "remove row", "add row", "empty"]),
                            st.integers(0, 200), st.sampled_from(["name", "sex", "seq", "honours", "employer"]),
                            st.sampled_from(["王某某", "", "1", "汉族 ", "男"])), max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=_EDITS)
def test_rows_compared_whole_give_what_cell_by_cell_gives(demo_store: Store, tmp_path_factory: pytest.TempPathFactory,
                                                          edits: list[tuple[str, int, str, str]]) -> None:
    """The signed data's rosters changed in any way (a cell's text, a key missing, a number where text was, a row
    removed or added, a cell emptied): the problems found against the exported workbook, rows compared whole first,
    are those found cell by cell, in the same order and words."""
    import copy

    from models import export
    from models.return_io import _Book, visible_text_problems
    from models.returns import compute

    folder = tmp_path_factory.mktemp("名册")
    ret = compute(demo_store, Period(2025))
    (xlsx,) = export.export_snapshot(ret, folder, ["xlsx"])
    changed = copy.deepcopy(ret)
    rows = changed.rosters["R1"]
    for what, index, key, text in edits:
        row = rows[index % len(rows)]
        if what == "change":
            row[key] = text
        elif what == "drop key":
            row.pop(key, None)
        elif what == "number":
            row[key] = 7  # type: ignore[assignment]
        elif what == "remove row":
            rows.remove(row)
        elif what == "add row":
            rows.append(dict(row))
        else:
            row[key] = ""
    book = _Book(xlsx)
    try:
        assert visible_text_problems(book, changed) == visible_text_problems(_CellByCell(book), changed)  # type: ignore[arg-type]
        assert visible_text_problems(book, ret) == []
    finally:
        book.close()
