"""The SQL-backed record table model, without widgets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from PySide6.QtCore import Qt

from common.ids import make_id_number
from models import records
from models.db import Store
from ui import record_table_model as rtm
from ui.record_table_model import RecordIdRole, RecordTableModel, format_value

NAMES = ["王伟", "王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴娟", "徐涛"]


def add_person(store: Store, name: str, number: int, **extra: Any) -> int:
    birth = dt.date(1970 + number % 30, 1 + number % 12, 1 + number % 28)
    sex = "男" if number % 2 else "女"
    values = {"name": name, "id_number": make_id_number("530821", birth, number, sex), "employer": "宁洱县供电局",
              "frontline": number % 3 == 0, **extra}
    return records.save(store, "people", values).id


@pytest.fixture
def people_store(county_store: Store) -> Store:
    """45 people: the twelve NAMES, then 33 more with numbered employers."""
    for number in range(45):
        add_person(county_store, NAMES[number % len(NAMES)], number,
                   employer=f"第{number:02d}号企业" if number >= len(NAMES) else "宁洱县供电局")
    return county_store


def all_ids(model: RecordTableModel) -> list[int]:
    return [model.data(model.index(row, 0), RecordIdRole) for row in range(model.rowCount())]


def column(model: RecordTableModel, name: str) -> int:
    return [c.name for c in model.columns].index(name)


def test_passes_qt_model_tester(qtmodeltester: Any, people_store: Store) -> None:
    model = RecordTableModel(people_store, "people")
    qtmodeltester.check(model)
    model.set_search("ww")
    qtmodeltester.check(model)


def test_rows_headers_and_ids_come_from_sql(people_store: Store) -> None:
    model = RecordTableModel(people_store, "people")
    assert model.rowCount() == 45
    assert model.columnCount() == len(records.columns("people"))
    labels = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())]
    assert labels[:2] == ["姓名", "性别"] and "身份证号" in labels and "荣誉" in labels
    assert model.headerData(0, Qt.Orientation.Vertical) == "1"
    expected = [r["id"] for r in records.fetch(people_store, records.ListQuery("people"), 0, 100)]
    assert all_ids(model) == expected
    first = model.record(0)
    assert first is not None and model.data(model.index(0, 0)) == first["name"]
    assert model.data(model.index(45, 0)) is None


def test_search_by_pinyin_initials_narrows_rows(people_store: Store) -> None:
    model = RecordTableModel(people_store, "people")
    model.set_search("ww")
    names = {model.data(model.index(r, 0)) for r in range(model.rowCount())}
    assert names == {"王伟"}
    assert model.rowCount() == 4  # 王伟 is NAMES[0]: rows 0, 12, 24, 36
    assert model.total_count() == 45
    model.set_search("王")
    assert {model.data(model.index(r, 0)) for r in range(model.rowCount())} == {"王伟", "王芳"}
    model.set_search("第03号")
    assert model.rowCount() == 0  # employers 第12..第44 only
    model.set_search("第33号")
    assert model.rowCount() == 1
    number = model.record(0)["id_number"]  # type: ignore[index]
    model.set_search(number[-6:])
    assert model.rowCount() == 1
    model.set_search("")
    assert model.rowCount() == 45


def test_sorting_requeries_in_sql(people_store: Store) -> None:
    model = RecordTableModel(people_store, "people")
    name_col = column(model, "name")
    model.sort(name_col, Qt.SortOrder.AscendingOrder)
    keys = [people_store.scalar("SELECT sort_key FROM people WHERE id = ?", (i,)) for i in all_ids(model)]
    assert keys == sorted(keys)
    assert model.sort_column() == name_col
    model.sort(name_col, Qt.SortOrder.DescendingOrder)
    keys = [people_store.scalar("SELECT sort_key FROM people WHERE id = ?", (i,)) for i in all_ids(model)]
    assert keys == sorted(keys, reverse=True)
    birth_col = column(model, "birth_date")
    model.sort(birth_col, Qt.SortOrder.AscendingOrder)
    births = [model.data(model.index(r, birth_col)) for r in range(model.rowCount())]
    assert births == sorted(births)
    model.sort(-1)
    assert model.sort_column() == -1
    assert all_ids(model) == sorted(all_ids(model))  # the form's default order (id)


def test_pages_are_fetched_on_demand(people_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rtm, "PAGE_SIZE", 10)
    monkeypatch.setattr(rtm, "MAX_PAGES", 2)
    calls: list[tuple[int, int]] = []
    real_fetch = records.fetch

    def spy(store: Store, q: records.ListQuery, offset: int = 0, limit: int = 200, **hints: Any) -> list[dict[str, Any]]:
        calls.append((offset, limit))
        return real_fetch(store, q, offset, limit, **hints)

    monkeypatch.setattr(rtm.records, "fetch", spy)
    model = RecordTableModel(people_store, "people")
    assert model.rowCount() == 45 and calls == []  # counting reads no rows
    expected = real_fetch(people_store, model.query, 0, 100)
    assert model.data(model.index(37, 0)) == expected[37]["name"]
    assert calls == [(30, 10)]
    assert model.data(model.index(31, 0)) == expected[31]["name"]
    assert calls == [(30, 10)]  # same page, cached
    assert model.data(model.index(44, 0), RecordIdRole) == expected[44]["id"]
    assert model.data(model.index(2, 0), RecordIdRole) == expected[2]["id"]
    assert calls == [(30, 10), (40, 10), (0, 10)]
    assert len(model._pages) == 2  # least recently used page dropped
    assert model.data(model.index(37, 1)) == expected[37]["sex"]
    assert calls[-1] == (30, 10)
    assert all(limit == 10 for _offset, limit in calls)


def test_display_formatting_and_alignment(people_store: Store) -> None:
    model = RecordTableModel(people_store, "people")
    frontline = column(model, "frontline")
    values = {model.data(model.index(r, frontline)) for r in range(model.rowCount())}
    assert values == {"是", "否"}
    assert model.data(model.index(0, frontline), Qt.ItemDataRole.TextAlignmentRole) == Qt.AlignmentFlag.AlignCenter
    assert format_value("money", 12.5) == "12.50"
    assert format_value("money", 1234.567) == "1,234.57"
    assert format_value("int", 12000) == "12,000"
    assert format_value("bool", 0) == "否"
    assert format_value("period", "2025H1") == "2025年上半年"
    assert format_value("text", None) == ""


def test_money_and_int_columns(county_store: Store) -> None:
    records.save(county_store, "trainings", {
        "name": "电工技能提升培训班", "organizer": "宁洱县总工会", "type": "职业技能培训",
        "start_date": "2025-03-01", "end_date": "2025-03-05", "participants": 1200, "funds": 3.5})
    records.save(county_store, "innovation", {"period": "2025", "suggestions": 40, "benefit": 120})
    model = RecordTableModel(county_store, "trainings")
    funds = column(model, "funds")
    participants = column(model, "participants")
    assert model.data(model.index(0, funds)) == "3.50"
    assert model.headerData(funds, Qt.Orientation.Horizontal) == "培训经费（万元）"
    assert model.data(model.index(0, participants)) == "1,200"
    align = model.data(model.index(0, participants), Qt.ItemDataRole.TextAlignmentRole)
    assert align == Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    innovation = RecordTableModel(county_store, "innovation")
    assert innovation.data(innovation.index(0, 0)) == "2025年"
    assert innovation.record_name(0) == "2025年"


def test_refresh_after_changes_and_row_lookup(people_store: Store) -> None:
    model = RecordTableModel(people_store, "people")
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    new_id = add_person(people_store, "欧阳娜娜", 99)
    assert model.rowCount() == 45  # not re-counted until refreshed
    model.refresh()
    assert model.rowCount() == 46 and resets
    row = model.row_of(new_id)
    assert row is not None and model.record_id(row) == new_id
    records.delete(people_store, "people", new_id)
    model.refresh()
    assert model.rowCount() == 45 and model.row_of(new_id) is None
    bin_model = RecordTableModel(people_store, "people", deleted=True)
    assert bin_model.rowCount() == 1 and bin_model.record_id(0) == new_id


def test_filter_keeps_working_with_many_rows(county_store: Store) -> None:
    from models.demo import bulk_people

    bulk_people(county_store, 1500)
    model = RecordTableModel(county_store, "people")
    assert model.rowCount() == 1500
    last = model.data(model.index(1499, 0), RecordIdRole)
    assert last == records.fetch(county_store, model.query, 1499, 1)[0]["id"]
    model.set_search("w")
    assert 0 < model.rowCount() < 1500
    for row in range(0, model.rowCount(), 97):
        assert "w" in county_store.scalar("SELECT search FROM people WHERE id = ?", (model.record_id(row),))
