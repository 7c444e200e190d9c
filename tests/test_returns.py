"""Computing the return from records: counting rules, drill-down, canonical form, summing."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.ids import make_id_number
from forms import returns as R
from forms.definition import shipped_spec
from forms.periods import Period
from models import records
from models import returns as ret_mod
from models.db import Store

_seq = iter(range(1, 10_000))


def person(store: Store, honours: list[dict[str, Any]], **values: Any) -> int:
    n = next(_seq)
    sex = values.pop("sex", "男")
    birth = dt.date(1975, 1 + n % 12, 1 + n % 28)
    data = {"name": values.pop("name", f"测试{n}"), "sex": sex, "birth_date": birth.isoformat(),
            "id_number": make_id_number("530821", birth, n, sex), "employer": "宁洱县供电局", **values}
    return records.save(store, "people", data, children={"honours": honours}).id


def honour(title: str, year: int, date: str | None = None) -> dict[str, Any]:
    return {"title": title, "award_year": year, "award_date": date}


def t1(ret: ret_mod.Return, row: str, col: str) -> int:
    return int(ret.tables["T1"][row][col])


def test_people_only_unit_gives_valid_return_with_zeros(county_store: Store) -> None:
    person(county_store, [honour("云南省劳动模范", 2020)])
    ret = ret_mod.compute(county_store, Period(2025))
    assert t1(ret, "省部级", "model_count") == 1
    assert t1(ret, R.TOTAL, "model_count") == 1
    for key in ("T2", "T3", "T4", "T5"):
        for row in ret.tables[key].values():
            assert all(v == 0 for v in row.values())
    assert ret.tables["T3"][R.TOTAL]["funds"] == Decimal("0.00")
    assert len(ret.rosters["R1"]) == 1 and ret.rosters["R2"] == []
    again = ret_mod.from_canonical(ret_mod.canonical_bytes(ret))
    assert ret_mod.canonical_bytes(again) == ret_mod.canonical_bytes(ret)


def test_person_counts_once_per_category_at_highest_level(county_store: Store) -> None:
    # reached 省部级 in 2025 (held only 县级 before): new
    person(county_store, [honour("县级劳动模范", 2010), honour("云南省劳动模范", 2025, "2025-04-28")])
    # held 省部级 since 2015; a 2025 county honour does not make a new person
    person(county_store, [honour("云南省先进工作者", 2015), honour("县级劳动模范", 2025)])
    # two categories: counts once in each
    person(county_store, [honour("全国五一劳动奖章", 2012), honour("普洱工匠", 2025)])
    ret = ret_mod.compute(county_store, Period(2025))
    assert t1(ret, "省部级", "model_count") == 2
    assert t1(ret, "省部级", "model_new") == 1
    assert t1(ret, "县级", "model_count") == 0
    assert t1(ret, R.TOTAL, "model_count") == 2
    assert t1(ret, "全国", "may1_count") == 1
    assert t1(ret, "州市级", "craftsman_count") == 1 and t1(ret, "州市级", "craftsman_new") == 1
    # 合计 is the sum of the level rows in every column
    table = shipped_spec().table("T1")
    for col in table.columns:
        assert t1(ret, R.TOTAL, col.key) == sum(t1(ret, r.key, col.key) for r in table.rows if not r.is_total)


def test_model_worker_breakdown_columns(county_store: Store) -> None:
    person(county_store, [honour("云南省劳动模范", 2020)], sex="女", ethnicity="哈尼族", frontline=True, migrant=True)
    person(county_store, [honour("云南省劳动模范", 2020)], sex="男", ethnicity="汉族")
    ret = ret_mod.compute(county_store, Period(2025))
    row = ret.tables["T1"]["省部级"]
    assert (row["model_count"], row["model_female"], row["model_minority"], row["model_frontline"],
            row["model_migrant"]) == (2, 1, 1, 1, 1)


def test_deleted_departed_and_later_honours_do_not_count(county_store: Store) -> None:
    gone = person(county_store, [honour("县级劳动模范", 2020)])
    records.delete(county_store, "people", gone)
    person(county_store, [honour("县级劳动模范", 2020)], status="已故")
    person(county_store, [honour("县级劳动模范", 2026, "2026-03-01")])
    ret = ret_mod.compute(county_store, Period(2025))
    assert t1(ret, R.TOTAL, "model_count") == 0
    assert ret.rosters["R1"] == []
    assert t1(ret_mod.compute(county_store, Period(2026)), R.TOTAL, "model_count") == 1


def test_year_only_honours_count_from_the_end_of_their_year_in_quarters(county_store: Store) -> None:
    person(county_store, [honour("县级劳动模范", 2025)])
    person(county_store, [honour("县级五一劳动奖章", 2025, "2025-02-10")])
    q1 = ret_mod.compute(county_store, Period(2025, "Q1"))
    assert t1(q1, "县级", "model_count") == 0
    assert t1(q1, "县级", "may1_count") == 1 and t1(q1, "县级", "may1_new") == 1
    q2 = ret_mod.compute(county_store, Period(2025, "Q2"))
    assert t1(q2, "县级", "may1_count") == 1 and t1(q2, "县级", "may1_new") == 0
    q4 = ret_mod.compute(county_store, Period(2025, "Q4"))
    assert t1(q4, "县级", "model_count") == 1 and t1(q4, "县级", "model_new") == 1
    annual = ret_mod.compute(county_store, Period(2025))
    assert t1(annual, "县级", "model_new") == 1 and t1(annual, "县级", "may1_new") == 1


def _leader(store: Store) -> int:
    return person(store, [honour("云南省劳动模范", 2010), honour("云岭工匠", 2011)])


def studio(store: Store, leader: int, name: str, named: int, outputs: list[dict[str, Any]] | None = None,
           **values: Any) -> int:
    data = {"name": name, "type": "劳模创新工作室", "level": "省级", "host_unit": "宁洱县供电局", "leader_id": leader,
            "named_year": named, "members": 10, **values}
    return records.save(store, "studios", data, children={"studio_outputs": outputs or []}).id


def test_studios_existing_at_period_end_with_outputs_of_the_year(county_store: Store) -> None:
    leader = _leader(county_store)
    studio(county_store, leader, "甲工作室", 2020, [
        {"year": 2025, "projects": 3, "patents": 4, "invention_patents": 1, "benefit": 12.5},
        {"year": 2024, "projects": 9}])
    studio(county_store, leader, "乙工作室", 2025, type="云岭工匠创新工作室", level="州市级")
    studio(county_store, leader, "丙工作室", 2018, status="已撤销", revoked_year=2024)
    studio(county_store, leader, "丁工作室", 2026)
    ret = ret_mod.compute(county_store, Period(2025))
    t2 = ret.tables["T2"]
    assert t2["劳模创新工作室|省级"]["count"] == 1
    assert t2["劳模创新工作室|省级"]["projects"] == 3
    assert t2["劳模创新工作室|省级"]["benefit"] == Decimal("12.50")
    assert t2["云岭工匠创新工作室|州市级"]["new"] == 1
    assert t2[R.TOTAL]["count"] == 2 and t2[R.TOTAL]["members"] == 20
    assert [r["name"] for r in ret.rosters["R2"]] == ["甲工作室", "乙工作室"]
    assert ret_mod.compute(county_store, Period(2023)).tables["T2"][R.TOTAL]["count"] == 2  # 甲 and 丙


def training(store: Store, start: str, participants: int, **values: Any) -> int:
    data = {"name": f"培训{start}", "organizer": "宁洱县总工会", "type": "职业技能培训", "start_date": start,
            "end_date": start, "participants": participants, **values}
    return records.save(store, "trainings", data).id


def test_trainings_and_competitions_by_date_in_period(county_store: Store) -> None:
    training(county_store, "2025-03-31", 100, migrant=10, female=40, cert_junior=20, cert_middle=5, funds=3.35,
             union_funds=1.1)
    training(county_store, "2025-04-01", 50, type="岗位练兵", funds=1.2)
    training(county_store, "2024-12-31", 999)
    records.save(county_store, "competitions", {
        "name": "电工技能竞赛", "type": "技能竞赛", "level": "州市级", "host": "宁洱县总工会", "date": "2025-06-01",
        "trades": 2, "participants": 80, "winners": 12, "promoted": 6})
    q1 = ret_mod.compute(county_store, Period(2025, "Q1"))
    total = q1.tables["T3"][R.TOTAL]
    assert (total["sessions"], total["participants"], total["migrant"], total["female"], total["certs"]) == \
        (1, 100, 10, 40, 25)
    assert total["funds"] == Decimal("3.35") and total["union_funds"] == Decimal("1.10")
    h1 = ret_mod.compute(county_store, Period(2025, "H1"))
    assert h1.tables["T3"][R.TOTAL]["participants"] == 150
    assert h1.tables["T3"]["岗位练兵"]["sessions"] == 1
    assert h1.tables["T3"][R.TOTAL]["funds"] == Decimal("4.55")
    t4 = h1.tables["T4"]
    assert t4["州市级"]["events"] == 1 and t4["州市级"]["skill_events"] == 1 and t4[R.TOTAL]["winners"] == 12
    assert q1.tables["T4"][R.TOTAL]["events"] == 0


def innovation(store: Store, period: str, suggestions: int, benefit: float = 0.0) -> None:
    records.save(store, "innovation", {"period": period, "suggestions": suggestions, "benefit": benefit})


def test_table5_entered_or_summed_from_quarters(county_store: Store) -> None:
    innovation(county_store, "2025Q1", 10, 1.25)
    innovation(county_store, "2025Q2", 20, 2.5)
    assert ret_mod.compute(county_store, Period(2025)).tables["T5"][R.TOTAL]["suggestions"] == 30
    assert ret_mod.compute(county_store, Period(2025)).tables["T5"][R.TOTAL]["benefit"] == Decimal("3.75")
    assert ret_mod.compute(county_store, Period(2025, "H1")).tables["T5"][R.TOTAL]["suggestions"] == 30
    assert ret_mod.compute(county_store, Period(2025, "Q2")).tables["T5"][R.TOTAL]["suggestions"] == 20
    innovation(county_store, "2025", 500)
    assert ret_mod.compute(county_store, Period(2025)).tables["T5"][R.TOTAL]["suggestions"] == 500
    assert ret_mod.compute(county_store, Period(2024)).tables["T5"][R.TOTAL]["suggestions"] == 0


def test_records_behind_a_number_add_up_to_it(demo_store: Store) -> None:
    ret = ret_mod.compute(demo_store, Period(2025))
    for table, row, col in (("T3", R.TOTAL, "participants"), ("T1", "县级", "model_count"),
                            ("T2", R.TOTAL, "benefit"), ("T4", "县级", "winners"), ("T5", R.TOTAL, "suggestions")):
        refs = ret_mod.records_behind(demo_store, Period(2025), table, row, col)
        assert refs, (table, row, col)
        assert sum(Decimal(r.value) for r in refs) == Decimal(ret.tables[table][row][col])
        assert all(r.kind == shipped_spec().table(table).source and r.name for r in refs)
    refs = ret_mod.records_behind(demo_store, Period(2025), "T1", "县级", "model_count")
    assert records.get(demo_store, "people", refs[0].id) is not None


def test_canonical_bytes_are_deterministic_and_money_is_text(demo_store: Store) -> None:
    ret = ret_mod.compute(demo_store, Period(2025), today=dt.date(2026, 1, 15))
    data = ret_mod.canonical_bytes(ret)
    assert data == ret_mod.canonical_bytes(ret_mod.compute(demo_store, Period(2025), today=dt.date(2026, 1, 15)))
    parsed = json.loads(data)
    assert parsed["format"] == R.FORMAT_NAME and parsed["format_version"] == R.FORMAT_VERSION
    assert isinstance(parsed["tables"]["T3"]["total"]["funds"], str)
    assert parsed["tables"]["T3"]["total"]["funds"].count(".") == 1
    assert isinstance(parsed["tables"]["T3"]["total"]["participants"], int)
    assert b'", "' not in data and b'": ' not in data  # compact separators
    assert list(parsed) == sorted(parsed)
    assert "********" in parsed["rosters"]["R1"]["rows"][0][parsed["rosters"]["R1"]["columns"].index("id_number")]
    assert "float" not in data.decode()
    assert ret_mod.from_canonical(data).tables == ret.tables


@pytest.mark.parametrize("payload", [b"", b"[]", b"{\"format\": \"other\"}", b"{\"format\":\"changai-return\"}",
                                     b"\xff\xfe"])
def test_from_canonical_rejects_non_returns_in_chinese(payload: bytes) -> None:
    with pytest.raises(ret_mod.ReturnFormatError) as info:
        ret_mod.from_canonical(payload)
    assert any("\u4e00" <= c <= "\u9fff" for c in str(info.value))


def test_returns_can_be_summed_for_consolidation(demo_store: Store) -> None:
    one = ret_mod.compute(demo_store, Period(2025))
    two = ret_mod.from_canonical(ret_mod.canonical_bytes(one))
    two.unit_code, two.unit_name = "530822", "墨江哈尼族自治县总工会"
    total = ret_mod.consolidate([one, two], unit_code="530800", unit_name="普洱市总工会", unit_level="prefecture",
                                parent_code="530000", period="2025", cover=one.cover)
    assert total.consolidated and total.sources == ["530821", "530822"]
    for spec in shipped_spec().tables:
        for row in spec.rows:
            for col in spec.columns:
                assert total.tables[spec.key][row.key][col.key] == 2 * one.tables[spec.key][row.key][col.key]
    assert len(total.rosters["R1"]) == 2 * len(one.rosters["R1"])
    assert total.rosters["R1"][-1]["source_unit"] == "墨江哈尼族自治县总工会"
    assert total.rosters["R1"][-1]["seq"] == str(len(total.rosters["R1"]))
    back = ret_mod.from_canonical(ret_mod.canonical_bytes(total))
    assert back.rosters["R1"][0]["source_unit"] == one.unit_name
    with pytest.raises(ret_mod.ReturnFormatError):
        ret_mod.consolidate([one, ret_mod.compute(demo_store, Period(2024))], unit_code="530800", unit_name="普洱市总工会",
                            unit_level="prefecture", parent_code="530000", period="2025", cover=one.cover)


def test_a_definitions_added_people_fields_are_counted_in_table_1(tmp_path: Any) -> None:
    """A field a definition adds to people feeds 表1 like any other: a number as a measure, a yes/no as a flag —
    in the table and in the records behind its cells."""
    from forms.definition import load_definition
    from models import definitions
    from models.db import open_store
    from tests.consolidation_support import setup_unit
    from tests.test_definition_2026 import DEFINITION_FILE

    body = json.loads(DEFINITION_FILE.read_text(encoding="utf-8"))
    body["fields"] += [{"kind": "people", "name": "mentees", "label": "带徒人数", "type": "int", "unit": "人"},
                       {"kind": "people", "name": "party", "label": "党员", "type": "bool"}]
    [t1_body] = [t for t in body["tables"] if t["key"] == "T1"]
    t1_body["columns"] += [
        {"key": "craft_mentees", "label": "带徒", "unit": "人", "match": {"category": "工匠"}, "measure": "mentees",
         "group": "工匠"},
        {"key": "craft_party", "label": "其中党员", "unit": "人", "match": {"category": "工匠"}, "flag": "party",
         "group": "工匠"}]
    store = open_store(tmp_path / "宁洱 数据")
    setup_unit(store, "530821")
    assert definitions.install(store, load_definition(json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                                      source="people.json"), source="people.json")
    craftsman = {"title": "云岭工匠", "category": "工匠", "level": "省部级", "award_year": 2026}
    model = {"title": "州劳动模范", "category": "劳动模范", "level": "地市级", "award_year": 2026}
    first = person(store, [craftsman, model], mentees=3, party=True)
    person(store, [craftsman], mentees=2, party=False)
    person(store, [model], mentees=7, party=True)  # not a craftsman: in neither column
    ret = ret_mod.compute(store, Period(2026))
    total = ret.tables["T1"][R.TOTAL]
    assert (total["craftsman_count"], total["craft_mentees"], total["craft_party"]) == (2, 5, 1)
    assert ret.tables["T1"]["省部级"]["craft_mentees"] == 5
    behind = ret_mod.records_behind(store, Period(2026), "T1", R.TOTAL, "craft_party")
    assert [r.id for r in behind] == [first]
    behind = ret_mod.records_behind(store, Period(2026), "T1", R.TOTAL, "craft_mentees")
    assert sorted(Decimal(r.value) for r in behind) == [2, 3]


def _one_at_a_time(spec: R.TableSpec, facts: list[ret_mod.Fact]) -> dict[str, dict[str, Any]]:
    """Each fact put into each cell it falls in, one after another (what ``sum_facts`` must equal)."""
    cells: dict[str, dict[str, Any]] = {
        row.key: {c.key: (Decimal("0.00") if c.money else 0) for c in spec.columns} for row in spec.rows}
    for fact in facts:
        for row in spec.rows:
            for col in spec.columns:
                if all(fact.attrs.get(k) == v for k, v in (*row.match, *col.match)) and (
                        col.flag is None or col.flag in fact.flags):
                    cells[row.key][col.key] += 1 if col.measure == "count" else fact.values.get(col.measure, 0)
    return cells


@given(st.lists(st.tuples(st.sampled_from(["甲", "乙", "丙"]), st.sampled_from(["一", "二"]),
                          st.frozensets(st.sampled_from(["new", "female", "party"])),
                          st.integers(0, 10**6), st.decimals(min_value=0, max_value=10**6, places=2)),
                max_size=60))
def test_summing_facts_by_group_equals_one_fact_at_a_time(drawn: list[tuple[Any, ...]]) -> None:
    rows = (R.Row(R.TOTAL, "合计"), R.Row("a", "甲", (("kind", "甲"),)), R.Row("b", "乙", (("kind", "乙"),)))
    columns = (R.Column("n", "人数", "人"), R.Column("n2", "其中二", "人", match=(("grade", "二"),)),
               R.Column("new", "其中新增", "人", flag="new"), R.Column("w", "女", "人", flag="female"),
               R.Column("m", "人次", "人", measure="mentees"),
               R.Column("f", "资金", "万元", measure="funds", flag="party", money=True),
               R.Column("c", "金额条数", "个", match=(("kind", "丙"),), money=True))
    spec = R.TableSpec("T9", "表9", "测试", "", "people", ("项目",), rows, columns)
    facts = [ret_mod.Fact(i, {"kind": kind, "grade": grade} if i % 2 else {"grade": grade, "kind": kind}, flags,
                          {"mentees": mentees, "funds": funds})
             for i, (kind, grade, flags, mentees, funds) in enumerate(drawn)]
    summed = ret_mod.sum_facts(spec, facts)
    expected = _one_at_a_time(spec, facts)
    assert summed == expected
    assert {k: {c: type(v) for c, v in row.items()} for k, row in summed.items()} == {
        k: {c: type(v) for c, v in row.items()} for k, row in expected.items()}


def test_computing_pauses_the_cycle_collector_and_restores_it(demo_store: Store) -> None:
    import gc

    from common.bulk import gc_paused

    seen: list[bool] = []
    with gc_paused():
        seen.append(gc.isenabled())
        with gc_paused():
            pass
        seen.append(gc.isenabled())  # an inner pause does not end the outer one
    assert seen == [False, False] and gc.isenabled()
    with pytest.raises(ZeroDivisionError), gc_paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()
    ret_mod.compute(demo_store, Period(2025))
    assert gc.isenabled()
    gc.disable()
    try:
        ret_mod.compute(demo_store, Period(2025))
        assert not gc.isenabled()  # paused by someone else: left paused
    finally:
        gc.enable()
