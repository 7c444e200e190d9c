"""Identity numbers (property tests), form validation, the record store, and the core's house rules."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.ids import (
    check_credit_code,
    check_id_number,
    check_mobile,
    check_phone,
    make_id_number,
    mask_id_number,
    mask_phone,
)
from common.text import ParseError
from forms import divisions
from forms import fields as F
from forms.records import PEOPLE, SPECS, STUDIO_OUTPUTS, TRAININGS
from forms.validation import errors, parse_field, validate
from models import records
from models.db import RecordError, Store

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 6, 1)  # a fixed "today" for the birth-date plausibility check

county_codes = st.sampled_from([d.code for d in divisions.all_divisions() if d.level == "county"])
births = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2008, 12, 31))
sexes = st.sampled_from(["男", "女"])


@st.composite
def id_numbers(draw: st.DrawFn) -> tuple[str, dt.date, str]:
    number = make_id_number(draw(county_codes), draw(births), draw(st.integers(0, 499)), draw(sexes))
    return number, dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])), number[16]


def to_fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


NO_DEADLINE = settings(deadline=None)  # a busy CI machine and first-call imports must not fail a test

# ---------------------------------------------------------------------------------------------
# Resident ID numbers (GB 11643)


@NO_DEADLINE
@given(county_codes, births, st.integers(0, 10_000), sexes)
def test_generated_ids_carry_birth_date_and_sex(region: str, birth: dt.date, seq: int, sex: str) -> None:
    number = make_id_number(region, birth, seq, sex)
    info = check_id_number(number, today=TODAY)
    assert info.number == number
    assert info.birth_date == birth.isoformat()
    assert info.sex == sex
    assert info.region_code == region


@NO_DEADLINE
@given(id_numbers(), st.sampled_from(["lower", "fullwidth", "spaces", "ideographic", "all"]),
       st.lists(st.integers(0, 18), min_size=1, max_size=4))
def test_any_spelling_of_a_valid_id_parses_to_the_canonical_one(case: tuple[str, dt.date, str], style: str,
                                                                gaps: list[int]) -> None:
    number = case[0]
    text = number.lower()
    if style in ("fullwidth", "all"):
        text = to_fullwidth(text)
    if style in ("spaces", "ideographic", "all"):
        space = "\u3000" if style == "ideographic" else " "
        chars = list(text)
        for pos in sorted(set(gaps), reverse=True):
            chars.insert(pos, space)
        text = " " + "".join(chars) + "\t"
    assert check_id_number(text, today=TODAY).number == number


@NO_DEADLINE
@given(id_numbers(), st.integers(0, 17), st.integers(1, 10))
def test_any_single_character_change_breaks_the_checksum(case: tuple[str, dt.date, str], pos: int,
                                                         shift: int) -> None:
    number = case[0]
    alphabet = "0123456789X" if pos == 17 else "0123456789"
    old = alphabet.index(number[pos])
    new = alphabet[(old + shift) % len(alphabet)]
    if new == number[pos]:
        return
    changed = number[:pos] + new + number[pos + 1:]
    with pytest.raises(ParseError, match="校验位"):
        check_id_number(changed, today=TODAY)


@NO_DEADLINE
@given(id_numbers())
def test_masking_keeps_the_first_six_and_last_four(case: tuple[str, dt.date, str]) -> None:
    number = case[0]
    masked = mask_id_number(number)
    assert masked[:6] == number[:6] and masked[-4:] == number[-4:]
    assert masked[6:-4] == "*" * 8
    assert len(masked) == 18


@NO_DEADLINE
@given(st.text(min_size=11, max_size=40))
def test_masking_any_long_text_keeps_its_length(text: str) -> None:
    masked = mask_id_number(text)
    assert len(masked) == len(text)
    assert masked[:6] == text[:6] and masked[-4:] == text[-4:]
    assert set(masked[6:-4]) == {"*"}


@pytest.mark.parametrize(("value", "message"), [
    ("53082119750304003", "18位"),
    ("5308211975030400301", "18位"),
    ("53082119750304003Y", "最后一位"),
    ("5308211975A304003X", "前17位"),
])
def test_malformed_ids_are_refused_in_chinese(value: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        check_id_number(value)


def test_impossible_and_future_birth_dates_are_refused() -> None:
    from stdnum.cn import ric

    body = "53082119750230003"  # 30 February
    with pytest.raises(ParseError, match="出生日期“19750230”不存在"):
        check_id_number(body + ric.calc_check_digit(body + "0"))
    future = make_id_number("530821", dt.date(2030, 1, 1), 1, "男")
    with pytest.raises(ParseError, match="不合理"):
        check_id_number(future, today=TODAY)


def test_region_codes_assigned_after_birth_are_accepted_and_unknown_ones_only_warn() -> None:
    # 530821 dates from 1985; a number is assigned at registration, so older people carry it too.
    assert check_id_number(make_id_number("530821", dt.date(1960, 1, 1), 3, "女"), today=TODAY).region_warning is None
    info = check_id_number(make_id_number("999999", dt.date(1960, 1, 1), 3, "女"), today=TODAY)
    assert info.region_warning and "999999" in info.region_warning


@NO_DEADLINE
@given(st.integers(3, 9), st.integers(0, 10**9 - 1), st.booleans())
def test_mobiles(second: int, rest: int, spaced: bool) -> None:
    number = f"1{second}{rest:09d}"
    text = f"{number[:3]} {number[3:7]} {number[7:]}" if spaced else f"+86{to_fullwidth(number)}"
    assert check_mobile(text) == number
    assert check_phone(text) == number
    assert mask_phone(number) == number[:3] + "****" + number[-4:]


@pytest.mark.parametrize("value", ["1234567890", "12345678901", "139123456789", "电话"])
def test_bad_mobiles(value: str) -> None:
    with pytest.raises(ParseError, match="手机号"):
        check_mobile(value)


def test_landlines() -> None:
    assert check_phone("0879－3231234") == "0879-3231234"
    assert check_phone("087123456789") == "087123456789"
    with pytest.raises(ParseError, match="区号"):
        check_phone("3231234")


def test_credit_codes() -> None:
    from stdnum.cn import uscc

    body = "91530000MA6K1234Y"
    code = body + uscc.calc_check_digit(body)
    assert check_credit_code(code.lower()) == code
    assert check_credit_code(" ".join(code)) == code
    wrong = body + ("0" if code[-1] != "0" else "1")
    with pytest.raises(ParseError, match="统一社会信用代码"):
        check_credit_code(wrong)


# ---------------------------------------------------------------------------------------------
# Form validation


def person(**values: Any) -> dict[str, Any]:
    base = {"name": "和丽萍", "id_number": make_id_number("530821", dt.date(1980, 7, 9), 12, "女"),
            "employer": "宁洱县茶叶公司"}
    return base | values


def test_required_fields_are_named() -> None:
    _clean, findings = validate(PEOPLE, {"name": "  ", "employer": None})
    required = {f.label for f in findings if f.code.endswith(".required")}
    assert required == {"姓名", "身份证号", "工作单位"}
    assert all(f.message == "不能为空" and f.is_error for f in findings if f.code.endswith(".required"))


def test_partial_validation_checks_only_given_fields() -> None:
    _clean, findings = validate(PEOPLE, {"name": "李"}, partial=True)
    assert errors(findings) == []


def test_a_part_may_not_exceed_its_total() -> None:
    raw = {"name": "岗位练兵", "organizer": "县总工会", "type": "岗位练兵", "start_date": "2025.3.1",
           "end_date": "2025-03-05", "participants": "80", "female": "９０人次"}
    _clean, findings = validate(TRAININGS, raw)
    [finding] = errors(findings)
    assert finding.where == "female"
    assert finding.text() == "其中女职工：其中女职工（90）不能大于参训人次（80）"


def test_invention_patents_not_above_patents() -> None:
    _clean, findings = validate(STUDIO_OUTPUTS, {"year": 2024, "patents": 2, "invention_patents": 3})
    assert [f.code for f in errors(findings)] == ["record.not_above"]  # the review's code: one declaration


def test_sex_and_birth_date_must_agree_with_the_id_number() -> None:
    _clean, findings = validate(PEOPLE, person(sex="男", birth_date="1980.07.10"))
    by_field = {f.where: f.text() for f in errors(findings)}
    # the same words and code (person.id_mismatch) as the review's finding on the stored record
    assert by_field == {"sex": "性别：与身份证号不一致（性别填的是“男”，身份证号第17位表示“女”）",
                        "birth_date": "出生日期：与身份证号中的出生日期 1980-07-09 不一致（出生日期填的是 1980-07-10）"}
    assert {f.code for f in errors(findings)} == {"person.id_mismatch"}


def test_partial_birth_date_agreeing_with_the_id_is_fine() -> None:
    clean, findings = validate(PEOPLE, person(birth_date="1980年7月"))
    assert errors(findings) == []
    assert clean["birth_date"] == "1980-07"


def test_sex_and_birth_date_follow_from_the_id_number() -> None:
    number = make_id_number("530821", dt.date(1980, 7, 9), 12, "女")
    clean, findings = validate(PEOPLE, person(id_number=f" {to_fullwidth(number[:6])} {number[6:].lower()} "))
    assert errors(findings) == []
    assert (clean["id_number"], clean["sex"], clean["birth_date"]) == (number, "女", "1980-07-09")


def test_choice_fields_accept_aliases_and_refuse_strangers() -> None:
    assert parse_field(PEOPLE.field("ethnicity"), "哈尼") == "哈尼族"
    assert parse_field(PEOPLE.field("political"), "党员") == "中共党员"
    with pytest.raises(ParseError, match="不在可选范围内"):
        parse_field(PEOPLE.field("ethnicity"), "火星族")


def test_bad_values_name_their_field() -> None:
    _clean, findings = validate(PEOPLE, person(mobile="12345"))
    [finding] = errors(findings)
    assert finding.label == "手机号" and "11位" in finding.message


# ---------------------------------------------------------------------------------------------
# The record store


def add_person(store: Store, name: str, seq: int, *, sex: str = "男", honours: list[dict[str, Any]] | None = None,
               employer: str = "宁洱县茶叶公司") -> int:
    number = make_id_number("530821", dt.date(1970 + seq % 30, 1 + seq % 12, 1 + seq % 28), seq, sex)
    return records.save(store, "people", {"name": name, "id_number": number, "employer": employer},
                        children={"honours": honours or []}).id


LABOUR_MODEL = [{"title": "云南省劳动模范", "award_year": 2015}]


def test_save_get_update(county_store: Store) -> None:
    pid = add_person(county_store, "张建国", 1, honours=LABOUR_MODEL)
    got = records.get(county_store, "people", pid)
    assert got is not None
    assert got["name"] == "张建国" and got["sex"] == "男" and got["ethnicity"] == "汉族"
    honours = [(h["title"], h["category"], h["level"]) for h in got["honours"]]
    assert honours == [("云南省劳动模范", "劳动模范/先进工作者", "省部级")]
    records.save(county_store, "people", {**got, "post": "制茶师"}, record_id=pid)
    again = records.get(county_store, "people", pid)
    assert again is not None and again["post"] == "制茶师"
    assert len(again["honours"]) == 1  # children left out keep their rows
    assert records.get(county_store, "people", 9999) is None


def test_duplicate_id_number_names_the_existing_person(county_store: Store) -> None:
    pid = add_person(county_store, "张建国", 1)
    existing = records.get(county_store, "people", pid)
    assert existing is not None
    with pytest.raises(records.ValidationFailed) as info:
        records.save(county_store, "people", {"name": "李四", "id_number": existing["id_number"].lower(),
                                              "employer": "某厂"})
    assert "与已有人员“张建国”重复" in str(info.value)
    assert records.counts(county_store)["people"] == 1
    records.delete(county_store, "people", pid)
    with pytest.raises(records.ValidationFailed, match="回收站"):
        records.save(county_store, "people", {"name": "李四", "id_number": existing["id_number"], "employer": "某厂"})


def test_nothing_is_written_when_a_child_row_is_bad(county_store: Store) -> None:
    with pytest.raises(records.ValidationFailed, match="第1条荣誉"):
        add_person(county_store, "张建国", 1, honours=[{"title": "云南省劳动模范", "award_year": "明年"}])
    assert records.counts(county_store) == {"people": 0, "studios": 0, "trainings": 0, "competitions": 0,
                                            "innovation": 0, "honours": 0}


def test_delete_recycle_restore_purge(county_store: Store) -> None:
    pid = add_person(county_store, "张建国", 1, honours=LABOUR_MODEL)
    records.delete(county_store, "people", pid)
    assert records.counts(county_store)["people"] == 0
    assert records.counts(county_store)["honours"] == 0
    [binned] = records.recycle_bin(county_store)
    assert (binned["kind"], binned["kind_title"], binned["id"], binned["name"]) == ("people", "人员", pid, "张建国")
    with pytest.raises(RecordError, match="不存在或已在回收站中"):
        records.delete(county_store, "people", pid)
    records.restore(county_store, "people", pid)
    assert records.counts(county_store)["people"] == 1 and records.recycle_bin(county_store) == []
    with pytest.raises(RecordError, match="回收站中没有"):
        records.purge(county_store, "people", pid)
    records.delete(county_store, "people", pid)
    records.purge(county_store, "people", pid)
    assert records.get(county_store, "people", pid) is None
    assert county_store.scalar("SELECT count(*) FROM honours") == 0


def test_a_studio_leader_cannot_be_deleted(county_store: Store) -> None:
    leader = add_person(county_store, "张建国", 1, honours=LABOUR_MODEL)
    plain = add_person(county_store, "李四", 2)
    studio = {"name": "张建国劳模创新工作室", "type": "劳模创新工作室", "level": "县级", "host_unit": "宁洱县茶叶公司",
              "leader_id": plain, "named_year": 2020}
    with pytest.raises(records.ValidationFailed, match="领办人须获得"):
        records.save(county_store, "studios", studio)
    sid = records.save(county_store, "studios", {**studio, "leader_id": leader}).id
    with pytest.raises(RecordError, match=r"张建国劳模创新工作室.*领办人"):
        records.delete(county_store, "people", leader)
    records.delete(county_store, "studios", sid)
    records.delete(county_store, "people", leader)
    with pytest.raises(RecordError, match="领办人"):
        records.purge(county_store, "people", leader)


def test_counts_per_kind(county_store: Store) -> None:
    add_person(county_store, "张建国", 1, honours=[*LABOUR_MODEL, {"title": "云南省五一劳动奖章", "award_year": 2018}])
    add_person(county_store, "李四", 2)
    records.save(county_store, "innovation", {"period": "2025", "suggestions": 10, "suggestions_adopted": 4})
    counts = records.counts(county_store)
    assert counts == {"people": 2, "studios": 0, "trainings": 0, "competitions": 0, "innovation": 1, "honours": 2}


def test_live_counts_and_the_innovation_figures_entered(county_store: Store) -> None:
    """``models.counts`` (the home page's, which imports no forms) counts the tables it is given."""
    from models import counts as live

    add_person(county_store, "张三", 1, honours=LABOUR_MODEL)
    assert live.counts(county_store, ["people", "studios"]) == {"people": 1, "studios": 0, "honours": 1}
    assert not live.innovation_entered(county_store, "2025")
    saved = records.save(county_store, "innovation", {"period": "2025", "suggestions": 10, "suggestions_adopted": 4})
    assert live.innovation_entered(county_store, "2025") and not live.innovation_entered(county_store, "2024")
    records.delete(county_store, "innovation", saved.id)
    assert not live.innovation_entered(county_store, "2025")


@pytest.fixture
def listed(county_store: Store) -> dict[str, int]:
    names = {"张建国": "普洱茶厂", "阿明": "宁洱县供电局", "王芳": "普洱茶厂", "李四": "宁洱县医院", "欧阳华": "磨黑镇"}
    return {name: add_person(county_store, name, i, employer=employer)
            for i, (name, employer) in enumerate(names.items(), start=1)}


def names(store: Store, q: records.ListQuery, offset: int = 0, limit: int = 200) -> list[str]:
    return [r["name"] for r in records.fetch(store, q, offset, limit)]


def test_listing_searches_pinyin_initials_full_pinyin_and_id(county_store: Store, listed: dict[str, int]) -> None:
    assert names(county_store, records.ListQuery("people", search="zjg")) == ["张建国"]
    assert names(county_store, records.ListQuery("people", search="ZhangJian")) == ["张建国"]
    assert names(county_store, records.ListQuery("people", search="ouyang")) == ["欧阳华"]
    assert sorted(names(county_store, records.ListQuery("people", search="普洱茶厂"))) == ["张建国", "王芳"]
    li = records.get(county_store, "people", listed["李四"])
    assert li is not None
    assert names(county_store, records.ListQuery("people", search=li["id_number"][-8:])) == ["李四"]
    assert names(county_store, records.ListQuery("people", search="１００%")) == []  # LIKE wildcards are literal
    q = records.ListQuery("people", search="宁洱县 ｌｓ")  # words are ANDed; full-width letters are folded
    assert records.count(county_store, q) == 1
    assert names(county_store, q) == ["李四"]


def test_listing_sorts_names_in_pinyin_order_and_pages(county_store: Store, listed: dict[str, int]) -> None:
    q = records.ListQuery("people", sort="name")
    assert names(county_store, q) == ["阿明", "李四", "欧阳华", "王芳", "张建国"]
    desc = records.ListQuery("people", sort="name", descending=True)
    assert names(county_store, desc) == ["张建国", "王芳", "欧阳华", "李四", "阿明"]
    assert names(county_store, q, offset=1, limit=2) == ["李四", "欧阳华"]
    assert names(county_store, q, offset=4, limit=2) == ["张建国"]
    assert records.row_index(county_store, q, listed["欧阳华"]) == 2
    assert records.count(county_store, records.ListQuery("people")) == 5
    records.delete(county_store, "people", listed["阿明"])
    assert names(county_store, q)[0] == "李四"
    assert names(county_store, records.ListQuery("people", deleted=True)) == ["阿明"]


# ---------------------------------------------------------------------------------------------
# House rules


def test_every_form_field_has_a_column() -> None:
    from models.db import open_store

    store = open_store(memory=True)
    try:
        for form in SPECS.values():
            columns = {r["name"]: r for r in store.query(f"PRAGMA table_info({form.table})")}
            assert columns, f"no table {form.table}"
            missing = [f.name for f in form.fields if f.name not in columns]
            assert missing == [], f"{form.kind}: no column for {missing}"
            if form.parent_key:
                assert form.parent_key in columns
            if form.soft_delete:
                assert {"deleted_at", "search", "sort_key"} <= set(columns)
            for field in form.fields:
                declared = columns[field.name]["type"]
                expected = {F.INT: "INTEGER", F.BOOL: "INTEGER", F.YEAR: "INTEGER", F.REF: "INTEGER",
                            F.MONEY: "REAL"}.get(field.kind, "TEXT")
                assert declared == expected, f"{form.table}.{field.name} is {declared}, {field.kind} wants {expected}"
    finally:
        store.close()


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            found.add(str(node.args[0].value))
    return found


@pytest.mark.parametrize("package", ["models", "forms"])
def test_the_core_never_imports_qt(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    offenders = {}
    for path in files:
        qt = {m for m in _imported_modules(path) if re.match(r"(PySide6|PyQt[56]|shiboken6|ui)(\.|$)", m)}
        if qt:
            offenders[str(path.relative_to(ROOT))] = sorted(qt)
        assert "PySide6" not in path.read_text(encoding="utf-8"), f"{path.name} mentions PySide6"
    assert offenders == {}
