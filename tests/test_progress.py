"""Plan targets as data and the progress against them (规划目标完成情况), at the three levels over several years."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from progress_support import PREFECTURE, PROVINCE, Run, three_levels

from forms.definition import shipped_spec
from forms.plans import MAX_BYTES, PlanError, load_plan, shipped_plan
from models import plans, progress
from models.db import StoreError, open_store
from models.progress import MISSING, NOT_YET, YearReturn, measure_indicator

TODAY = dt.date(2024, 3, 1)


@pytest.fixture(scope="session")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return three_levels(tmp_path_factory.mktemp("three_levels"))


def plan_dict(**changes: Any) -> dict[str, Any]:
    data = json.loads(shipped_plan().raw)
    data.update(changes)
    return data


def raw(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


# ------------------------------------------------------------------------------------------------
# The plan file


def _target_in_quote(target: Decimal, quote: str) -> bool:
    text = quote.replace(" ", "").replace(",", "")
    numbers = {Decimal(m) for m in re.findall(r"\d+(?:\.\d+)?", text)}
    tens_of_thousands = {Decimal(m) * 10000 for m in re.findall(r"(\d+(?:\.\d+)?)万", text)}
    return target in numbers | tens_of_thousands


def test_shipped_plan_has_every_number_with_its_source_paragraph() -> None:
    plan = shipped_plan()
    assert (plan.year_from, plan.year_to) == (2021, 2025)
    assert len(plan.counted) >= 20 and len(plan.not_counted) >= 20
    sections = {i.section for i in plan.indicators}
    assert {"专栏一 思想引领", "专栏二 建功立业", "专栏三 素质提升", "专栏四 地位提高", "专栏五 队伍壮大"} <= sections
    for ind in plan.indicators:
        assert ind.quote and ind.name and ind.unit
        if ind.counted:
            assert ind.target is not None and ind.cells and ind.note
        else:
            assert ind.note and not ind.cells  # listed as 本报表未统计, with the reason
    # every target is written in its quote (4700 is the sum of 700 technical champions and 4000 technical experts)
    for ind in plan.indicators:
        if ind.target is not None and ind.key != "champions_and_experts":
            assert _target_in_quote(ind.target, ind.quote), ind.key
    targets = {i.key: i.target for i in plan.indicators}
    assert targets["provincial_models"] == 300 and targets["provincial_may1"] == 400
    assert targets["yunling_craftsmen"] == 100 and targets["provincial_studios"] == 200
    assert targets["training"] == 5_000_000 and targets["suggestions"] == 300_000
    assert targets["innovations"] == 40_000 and targets["inventions"] == 15_000
    assert targets["patents"] == 30_000 and targets["methods"] == 15_000
    assert targets["provincial_labour_competitions"] == 10 and targets["provincial_labour_participants"] == 1_000_000
    assert targets["skill_competitions"] == 500
    assert plan.indicator("skill_participants").counted is False  # no counterpart in the return: said so
    assert plan.indicator("provincial_labour_competitions").cells[1].factor == -1


def test_every_cell_of_the_shipped_plan_is_a_cell_of_the_return() -> None:
    for ind in shipped_plan().counted:
        for cell in ind.cells:
            shipped_spec().table(cell.table).row(cell.row)
            shipped_spec().table(cell.table).column(cell.column)


@pytest.mark.parametrize(("change", "words"), [
    (lambda d: d.update(format="other"), "不是规划目标文件"),
    (lambda d: d.update(format_version=9), "格式版本为9"),
    (lambda d: d.update(year_to=1999), "year_from/year_to"),
    (lambda d: d["indicators"][5]["cells"][0].update(row="省级"), "indicators[5]（受表彰全国劳动模范和先进工作者）.cells[0].row"),
    (lambda d: d["indicators"][5]["cells"][0].update(table="T9"), "没有“T9”表"),
    (lambda d: d["indicators"][5]["cells"][0].update(factor=2), "应为 1 或 -1"),
    (lambda d: d["indicators"][5].pop("target"), "须有省级目标数"),
    (lambda d: d["indicators"][5].update(target=-3), "不小于0"),
    (lambda d: d["indicators"][5].update(measure="monthly"), "measure"),
    (lambda d: d["indicators"][6].update(key=d["indicators"][5]["key"]), "重复"),
    (lambda d: d["indicators"][0].pop("note"), "须说明原因"),
    (lambda d: d["indicators"][5].update(targets_by_unit={"530800": "很多"}), "targets_by_unit.530800"),
])
def test_bad_plan_files_are_refused_naming_the_place(change: Any, words: str) -> None:
    data = plan_dict()
    change(data)
    with pytest.raises(PlanError) as info:
        load_plan(raw(data), source="规划 2026.json")
    assert "规划 2026.json" in str(info.value) and words in str(info.value)


def test_files_that_are_not_plans() -> None:
    for data in (b"", b"\xff\xfe", b"[1, 2]", "规划".encode("gbk")):
        with pytest.raises(PlanError, match="不是规划目标文件"):
            load_plan(data, source="x.json")
    with pytest.raises(PlanError, match="太大"):
        load_plan(b" " * (MAX_BYTES + 1), source="x.json")


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                           max_leaves=10)


@settings(max_examples=60, deadline=None)
@given(key=st.sampled_from(["id", "version", "year_from", "year_to", "indicators", "title"]), value=json_values,
       index=st.integers(0, 44), field=st.sampled_from(["key", "name", "cells", "target", "measure", "counted",
                                                          "targets_by_unit", "quote", "section", "unit", "note"]),
       inner=json_values)
def test_any_damage_gives_a_plan_error_never_a_crash(key: str, value: Any, index: int, field: str, inner: Any) -> None:
    data = plan_dict()
    data[key] = value
    for mutated in (data, plan_dict()):
        if mutated is not data:
            mutated["indicators"][index][field] = inner
        try:
            plan = load_plan(raw(mutated))
        except PlanError as exc:
            assert "规划目标文件" in str(exc)
        else:
            assert plan.indicators


# ------------------------------------------------------------------------------------------------
# The store of plans


def test_install_list_and_choose_plans(tmp_path: Path) -> None:
    store = open_store(tmp_path / "数据")
    try:
        assert [p.shipped for p in plans.installed(store)] == [True]
        assert plans.install_plan(store, shipped_plan().raw, source="自带.json")[1] is False
        nxt = plan_dict(id="yn-changai-plan-15th", title="“十五五”规划", year_from=2026, year_to=2030)
        plan, added = plans.install_plan(store, raw(nxt), source="十五五 规划.json", signer_name="云南省总工会",
                                         signer_fingerprint="AB12")
        assert added and plans.install_plan(store, raw(nxt), source="again.json")[1] is False
        changed = dict(nxt, title="“十五五”规划（改）")
        with pytest.raises(StoreError, match="同一版本号的规划目标不能更换"):
            plans.install_plan(store, raw(changed))
        with pytest.raises(StoreError):
            plans.install_plan(store, raw(plan_dict(title="改过的十四五")))  # the shipped id and version
        listed = plans.installed(store)
        assert [p.plan.id for p in listed] == ["yn-changai-plan-14th", "yn-changai-plan-15th"]
        assert listed[1].signer_name == "云南省总工会" and listed[1].source == "十五五 规划.json"
        assert plans.current_plan(store, dt.date(2024, 5, 1)).id == "yn-changai-plan-14th"
        assert plans.current_plan(store, dt.date(2027, 5, 1)).digest == plan.digest
        assert plans.by_digest(store, plan.digest) == plan
        assert plans.find_plan(store, "yn-changai-plan-14th").digest == shipped_plan().digest
        with pytest.raises(PlanError, match="没有代码为“nope”的规划目标"):
            plans.find_plan(store, "nope")
    finally:
        store.close()
    store = open_store(tmp_path / "数据")  # kept across sessions
    try:
        assert len(plans.installed(store)) == 2
    finally:
        store.close()


# ------------------------------------------------------------------------------------------------
# Measuring one indicator


def _year(year: int, value: int, definition: dict[str, Any] | None = None) -> YearReturn:
    payload: dict[str, Any] = {"tables": {"T3": {"total": {"participants": value}}}}
    if definition is not None:
        payload["definition"] = definition
    return YearReturn(year, 1, "", payload)


def test_cumulative_missing_years_are_not_zero_and_time_elapsed_is_expected() -> None:
    plan = shipped_plan()
    ind = plan.indicator("training")
    returns = {2021: _year(2021, 1_000_000), 2023: _year(2023, 900_000)}
    item = measure_indicator(ind, ind.target, plan, 2023, returns)
    assert [y.status for y in item.years] == ["", MISSING, "", NOT_YET, NOT_YET]
    assert [y.text for y in item.years][:3] == ["1,000,000", MISSING, "900,000"]
    assert item.value == 1_900_000 and item.value_basis == "2021—2023年累计"
    assert item.share == Decimal("0.38") and item.expected == Decimal("0.6")  # 3 of 5 years
    assert item.behind and item.status == "落后"
    assert item.missing_years == (2022,) and "2022年缺报（未计入，不按0计）" in item.remarks
    nothing = measure_indicator(ind, ind.target, plan, 2023, {})
    assert nothing.value is None and nothing.status == MISSING and not nothing.behind


def test_annual_and_period_end_indicators() -> None:
    plan = shipped_plan()
    yearly = dataclasses.replace(plan.indicator("training"), measure="annual", target=Decimal(1000))
    returns = {2021: _year(2021, 1200), 2022: _year(2022, 800)}
    item = measure_indicator(yearly, yearly.target, plan, 2022, returns)
    assert item.value == 800 and item.expected == 1 and item.behind and item.value_basis == "2022年"
    assert measure_indicator(yearly, yearly.target, plan, 2021, returns).behind is False
    stock = dataclasses.replace(yearly, measure="level", target=Decimal(1000))
    item = measure_indicator(stock, stock.target, plan, 2023, returns)
    assert item.value == 800 and item.value_basis == "2022年末" and "2023年缺报，按2022年末数计" in item.remarks
    no_target = measure_indicator(yearly, None, plan, 2022, returns)
    assert no_target.status == "未下达目标" and no_target.share is None and not no_target.behind


def test_a_value_from_returns_of_different_definitions_says_so() -> None:
    plan = shipped_plan()
    ind = plan.indicator("training")
    v2 = {"id": "yn-changai-return", "version": 2, "digest": "f" * 64}
    item = measure_indicator(ind, ind.target, plan, 2022, {2021: _year(2021, 10), 2022: _year(2022, 20, v2)})
    assert item.mixed_definitions
    assert any("不同报表制度" in r and "第1版" in r and "第2版" in r for r in item.remarks)
    same = measure_indicator(ind, ind.target, plan, 2022, {2021: _year(2021, 10), 2022: _year(2022, 20)})
    assert not same.mixed_definitions and same.definitions[0].version == 1
    # a yearly value reads one return only: nothing mixed
    yearly = dataclasses.replace(ind, measure="annual")
    assert not measure_indicator(yearly, None, plan, 2022, {2021: _year(2021, 10), 2022: _year(2022, 20, v2)}
                                 ).mixed_definitions


def test_a_return_without_the_cell_is_missing_for_that_indicator() -> None:
    plan = shipped_plan()
    ind = plan.indicator("suggestions")
    item = measure_indicator(ind, ind.target, plan, 2021, {2021: _year(2021, 10)})
    assert item.years[0].status == "无此栏" and item.value is None


# ------------------------------------------------------------------------------------------------
# Three levels over several years


def _t3(store: Any, code: str, year: int) -> int:
    payload = json.loads(store.scalar("SELECT payload FROM returns WHERE unit_code = ? AND period = ? "
                                      "ORDER BY version DESC LIMIT 1", (code, str(year))))
    return int(payload["tables"]["T3"]["total"]["participants"])


@pytest.mark.slow
def test_county_progress_from_its_own_finalised_returns(run: Run) -> None:
    store = run.open("530822")
    try:
        report = progress.build_report(store, shipped_plan(), today=TODAY)
        assert report.as_of == 2023 and report.elapsed == 3 and report.missing_years == []
        item = report.item("training")
        assert item.value == sum(_t3(store, "530822", y) for y in (2021, 2022, 2023))
        assert item.target is None and item.status == "未下达目标"  # the province sets no county targets
        assert not report.consolidating and progress.drill_down(store, report, "training") == []
        assert ("缺报年度", "无") in report.cover_lines()
    finally:
        store.close()


@pytest.mark.slow
def test_prefecture_progress_and_drill_down_to_its_counties(run: Run) -> None:
    store = run.open(PREFECTURE)
    try:
        report = progress.build_report(store, shipped_plan(), today=TODAY)
        assert report.consolidating and sorted(report.returns) == [2021, 2022, 2023]
        parts = {p.code: p for p in progress.drill_down(store, report, "training")}
        item = report.item("training")
        for n in range(3):
            shown = [p.progress.years[n].value for p in parts.values() if p.progress.years[n].value is not None]
            assert sum(shown) == item.years[n].value  # the parts add up to the consolidated number
        mojiang = parts["530822"].progress
        assert [y.status for y in mojiang.years[:3]] == ["", MISSING, ""]  # sent 2021 and 2023 only
        assert mojiang.years[0].value == _t3(run.open("530822"), "530822", 2021)
        assert parts["530821"].progress.value == sum(_t3(run.open("530821"), "530821", y) for y in (2021, 2022, 2023))
        assert parts[PREFECTURE].role == "own" and parts["530823"].progress.value is None  # 景东 never reported
        # the years' returns are read without their rosters (a province's are most of its bytes), the rest as stored
        for year, ret in report.returns.items():
            whole = json.loads(store.scalar("SELECT payload FROM returns WHERE unit_code = ? AND period = ? "
                                            "AND version = ?", (PREFECTURE, str(year), ret.version)))
            assert whole.pop("rosters") and dict(ret.payload) == whole
    finally:
        store.close()


@pytest.mark.slow
def test_province_progress_with_a_missing_year_and_prefecture_targets(run: Run, tmp_path: Path) -> None:
    store = run.copy(PROVINCE, tmp_path / "省")
    try:
        report = progress.build_report(store, shipped_plan(), today=TODAY)
        assert report.missing_years == [2022]
        item = report.item("training")
        assert [y.status for y in item.years[:3]] == ["", MISSING, ""]
        assert item.value == item.years[0].value + item.years[2].value  # type: ignore[operator]
        assert item.target == 5_000_000 and item.expected == Decimal("0.6") and item.behind
        # a plan with a target for 普洱市: the province's drill-down measures the prefecture against it
        data = plan_dict(id="test-plan", version=1)
        for entry in data["indicators"]:
            if entry["key"] == "training":
                entry["targets_by_unit"] = {PREFECTURE: 30000}
        plan, _ = plans.install_plan(store, raw(data), source="分解.json")
        report = progress.build_report(store, plan, today=TODAY)
        puer = next(p for p in progress.drill_down(store, report, "training") if p.code == PREFECTURE)
        assert puer.progress.target == 30000 and puer.progress.share == puer.progress.value / 30000  # type: ignore[operator]
        assert puer.progress.years[1].status == MISSING
    finally:
        store.close()
    prefecture = run.copy(PREFECTURE, tmp_path / "州")
    try:
        plans.install_plan(prefecture, raw(data), source="分解.json")
        report = progress.build_report(prefecture, plans.find_plan(prefecture, "test-plan"), today=TODAY)
        assert report.item("training").target == 30000 and report.item("training").share is not None
    finally:
        prefecture.close()


def test_year_outside_the_plan_is_refused(tmp_path: Path) -> None:
    from models import unit
    from models.db import RecordError

    store = open_store(tmp_path / "数据")
    try:
        unit.setup(store, code="530821")
        with pytest.raises(RecordError, match="不在规划期"):
            progress.build_report(store, shipped_plan(), as_of=2030)
        report = progress.build_report(store, shipped_plan(), today=dt.date(2026, 2, 1))
        assert report.as_of == 2025 and report.missing_years == [2021, 2022, 2023, 2024, 2025]
        assert all(i.value is None and i.status in (MISSING, "未下达目标") for i in report.items)
    finally:
        store.close()


@pytest.mark.slow
def test_three_levels_a_year_on_another_definition_says_so_in_the_report(run: Run, tmp_path: Path) -> None:
    """A county whose 2023 return was built on a second definition: the cumulative values say they are mixed."""
    from models.progress_report import pdf_bytes, summary_rows

    store = run.copy("530821", tmp_path / "县")
    try:
        row = store.query("SELECT id, payload FROM returns WHERE period = '2023' ORDER BY version DESC LIMIT 1")[0]
        payload = json.loads(row["payload"])
        payload["definition"] = {"id": "yn-changai-return", "version": 2, "digest": "e" * 64}
        with store.atomic():
            store.conn.execute("UPDATE returns SET payload = ? WHERE id = ?",
                               (json.dumps(payload, ensure_ascii=False), row["id"]))
        report = progress.build_report(store, shipped_plan(), today=TODAY)
        training = report.item("training")
        assert training.mixed_definitions
        assert any("不同报表制度" in r for r in training.remarks)
        assert not report.item("skill_competitions").mixed_definitions  # a yearly value reads one return
        line = next(r for r in summary_rows(report) if r[2] == "职业培训")
        assert "不同报表制度" in line[-1]
        assert report.returns[2023].definition.version == 2 and report.returns[2021].definition.version == 1
        assert pdf_bytes(report).startswith(b"%PDF")
    finally:
        store.close()
