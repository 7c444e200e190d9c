"""The review (审核) rules of DOMAIN.md §4, 说明 and finalising versions."""

from __future__ import annotations

import datetime as dt

import pytest

from forms import returns as R
from forms.periods import Period
from models import records, review, unit, versions
from models import returns as ret_mod
from models.db import Store
from tests.test_returns import honour, person, studio, training


def codes(report: review.ReviewReport, severity: str | None = None) -> set[str]:
    return {f.code for f in report.findings if severity is None or f.severity == severity}


def test_demo_annual_return_for_last_year_is_clean(demo_store: Store) -> None:
    last_year = dt.date.today().year - 1
    report = review.review(demo_store, Period(last_year))
    assert report.errors == [] and report.missing_notes == [], [f.text() for f in report.findings]
    assert report.can_finalise
    ret = versions.finalise(demo_store, Period(last_year))
    assert ret.version == 1


def test_every_finding_names_a_place_the_gui_can_open(demo_store: Store) -> None:
    # break things on purpose
    unit.update_contacts(demo_store, head="", phone="")
    demo_store.conn.execute("UPDATE people SET sex = CASE sex WHEN '男' THEN '女' ELSE '男' END WHERE id = 3")
    demo_store.conn.execute("UPDATE honours SET award_year = 2099, award_date = NULL WHERE id = 1")
    demo_store.conn.execute("UPDATE trainings SET participants = 200000 WHERE id = 1")
    report = review.review(demo_store, Period(dt.date.today().year - 1))
    assert {"cover.required", "person.id_mismatch", "honour.future"} <= codes(report, R.ERROR)
    for finding in report.findings:
        place = review.parse_where(finding.where)
        assert place.kind in ("cell", "cover", "record", "font")
        assert finding.message and finding.label
        if place.kind == "record":
            assert records.get(demo_store, place.record_kind, place.record_id) is not None
    heads = [f for f in report.findings if f.code == "cover.required"]
    assert {f.where for f in heads} == {"cover/head", "cover/phone"}
    assert "单位负责人" in heads[0].text() + heads[1].text()


def test_record_errors(county_store: Store) -> None:
    leader = person(county_store, [honour("云南省劳动模范", 2010)], name="领办人甲")
    sid = studio(county_store, leader, "甲工作室", 2020)
    # the leader loses the honour behind the store's back (e.g. an import): the review catches it
    county_store.conn.execute("DELETE FROM honours WHERE person_id = ?", (leader,))
    bad = person(county_store, [honour("县级劳动模范", 2020)], name="号码错")
    county_store.conn.execute("UPDATE people SET id_number = '530821197501010000' WHERE id = ?", (bad,))
    twin = person(county_store, [honour("县级劳动模范", 2020)], name="双胞")
    number = county_store.scalar("SELECT id_number FROM people WHERE id = ?", (twin,))
    if number.endswith("X"):
        county_store.conn.execute("UPDATE people SET id_number = ? WHERE id = ?", (number[:-1] + "x", twin))
        dup = person(county_store, [], name="重复者")
        county_store.conn.execute("UPDATE people SET id_number = ? WHERE id = ?", (number, dup))
    else:
        dup = person(county_store, [], name="重复者")
        county_store.conn.execute("UPDATE people SET id_number = ? WHERE id = ?", (" " + number, dup))
    born = person(county_store, [], name="生日错")
    county_store.conn.execute("UPDATE people SET birth_date = '1980-02-02' WHERE id = ?", (born,))
    report = review.review(county_store, Period(2025))
    by_code = {(f.code, f.where) for f in report.errors}
    assert ("studio.leader_honour", f"studios#{sid}") in by_code
    assert ("person.id_invalid", f"people#{bad}") in by_code
    assert ("person.id_duplicate", f"people#{dup}") in by_code
    assert ("person.id_mismatch", f"people#{born}") in by_code
    assert not report.can_finalise
    with pytest.raises(versions.FinaliseRefused) as info:
        versions.finalise(county_store, Period(2025))
    assert "错误" in str(info.value)
    assert versions.list_versions(county_store) == []


def test_honours_after_the_period_are_a_notice_future_ones_an_error(county_store: Store) -> None:
    pid = person(county_store, [honour("县级劳动模范", 2024, "2024-11-05")])
    report = review.review(county_store, Period(2024, "Q3"))
    assert "honour.after_period" in codes(report, R.NOTICE) and not report.errors
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    county_store.conn.execute("UPDATE honours SET award_date = ?, award_year = ? WHERE person_id = ?",
                              (tomorrow.isoformat(), tomorrow.year, pid))
    report = review.review(county_store, Period(2024, "Q3"))
    assert [f.where for f in report.errors if f.code == "honour.future"] == [f"people#{pid}"]


def test_year_only_honours_in_a_quarter_give_a_notice(county_store: Store) -> None:
    person(county_store, [honour("县级劳动模范", 2025)])
    assert "honour.year_only" in codes(review.review(county_store, Period(2025, "Q2")), R.NOTICE)
    assert "honour.year_only" not in codes(review.review(county_store, Period(2025)))


def test_warnings_need_a_note_which_travels_with_the_version(county_store: Store) -> None:
    young = person(county_store, [])
    county_store.conn.execute("UPDATE people SET birth_date = '2015-01-01', sex = '男', id_number = ? WHERE id = ?",
                              (_id(2015), young))
    county_store.conn.execute("INSERT INTO honours (person_id, title, category, level, award_year) "
                              "VALUES (?, '县级劳动模范', '劳动模范/先进工作者', '县级', 2025)", (young,))
    tid = training(county_store, "2025-05-01", 150_000)
    report = review.review(county_store, Period(2025))
    warned = {(f.code, f.where) for f in report.warnings}
    assert ("honour.young", f"people#{young}") in warned
    assert ("training.implausible", f"trainings#{tid}") in warned
    assert not report.errors and not report.can_finalise
    with pytest.raises(versions.FinaliseRefused) as info:
        versions.finalise(county_store, Period(2025))
    assert "说明" in str(info.value)
    for code, where in warned:
        review.set_note(county_store, Period(2025), code, where, f"已核实：{code}")
    report = review.review(county_store, Period(2025))
    assert report.can_finalise and not report.missing_notes
    ret = versions.finalise(county_store, Period(2025))
    assert {(n["code"], n["where"]) for n in ret.notes} == warned
    assert all(n["text"].startswith("已核实") and n["message"] for n in ret.notes)
    stored = versions.load_version(county_store, Period(2025), 1)
    assert stored is not None and stored.notes == ret.notes
    review.set_note(county_store, Period(2025), "honour.young", f"people#{young}", "")
    assert not review.review(county_store, Period(2025)).can_finalise


def _id(year: int) -> str:
    from common.ids import make_id_number

    return make_id_number("530821", dt.date(year, 1, 1), 7, "男")


def test_studio_without_output_two_years_running_is_a_warning(county_store: Store) -> None:
    leader = person(county_store, [honour("云南省劳动模范", 2010)])
    idle = studio(county_store, leader, "闲置工作室", 2018, [{"year": 2023, "projects": 2}])
    busy = studio(county_store, leader, "活跃工作室", 2018, [{"year": 2024, "projects": 1}])
    fresh = studio(county_store, leader, "新工作室", 2025)
    warned = {f.where for f in review.review(county_store, Period(2025)).warnings if f.code == "studio.no_output"}
    assert f"studios#{idle}" in warned
    assert f"studios#{busy}" not in warned and f"studios#{fresh}" not in warned
    # a quarter looks at the two complete years before
    q_warned = {f.where for f in review.review(county_store, Period(2025, "Q1")).warnings if f.code == "studio.no_output"}
    assert f"studios#{idle}" not in q_warned


def test_change_over_half_against_the_previous_finalised_return(county_store: Store) -> None:
    training(county_store, "2024-05-01", 100)
    person(county_store, [honour("县级劳动模范", 2020)])
    assert "change.over_50" not in codes(review.review(county_store, Period(2025)))  # no baseline yet
    assert versions.finalise(county_store, Period(2024)).version == 1
    training(county_store, "2025-05-01", 260)
    report = review.review(county_store, Period(2025))
    changes = {f.where: f for f in report.warnings if f.code == "change.over_50"}
    assert "T3/total/participants" in changes
    assert "160.0%" in changes["T3/total/participants"].message
    assert "T1/total/model_count" not in changes  # unchanged
    review.set_note(county_store, Period(2025), "change.over_50", "T3/total/participants", "新增农民工专项培训")
    review.set_note(county_store, Period(2025), "change.over_50", "T3/total/funds", "不相关")  # no such warning
    ret = versions.finalise(county_store, Period(2025))
    assert [n["text"] for n in ret.notes] == ["新增农民工专项培训"]


def test_cell_relations_are_checked_on_any_return(demo_store: Store) -> None:
    ret = ret_mod.compute(demo_store, Period(2025))
    assert review.check_return(ret) == []
    ret.tables["T3"]["职业技能培训"]["certs"] = ret.tables["T3"]["职业技能培训"]["participants"] + 1
    ret.tables["T4"][R.TOTAL]["winners"] = ret.tables["T4"][R.TOTAL]["participants"] + 1
    ret.tables["T2"][R.TOTAL]["invention_patents"] = ret.tables["T2"][R.TOTAL]["patents"] + 1
    found = {f.where for f in review.check_return(ret)}
    assert {"T3/职业技能培训/certs", "T4/total/winners", "T2/total/invention_patents"} <= found
    label = review.cell_label("T3", "职业技能培训", "certs")
    assert label == "表3“职业技能培训”行“取得职业技能等级证书人数·合计”栏"


def test_versions_are_frozen_and_numbered(demo_store: Store) -> None:
    year = Period(dt.date.today().year - 1)
    v1 = versions.finalise(demo_store, year)
    same = versions.finalise(demo_store, year)
    assert same.version == 1
    before = ret_mod.canonical_bytes(v1)
    training(demo_store, f"{year}-06-01", 33)
    assert versions.current_state(demo_store, year)[1] is True
    v2 = versions.finalise(demo_store, year)
    assert v2.version == 2
    assert v2.tables["T3"][R.TOTAL]["participants"] == v1.tables["T3"][R.TOTAL]["participants"] + 33
    stored = versions.load_version(demo_store, year, 1)
    assert stored is not None and ret_mod.canonical_bytes(stored) == before
    assert [v.version for v in versions.list_versions(demo_store, year)] == [2, 1]
    assert versions.current_state(demo_store, year)[1] is False


def test_font_coverage_is_checked(county_store: Store) -> None:
    pid = person(county_store, [honour("县级劳动模范", 2020)])
    county_store.conn.execute("UPDATE people SET name = '李䶮' WHERE id = ?", (pid,))
    report = review.review(county_store, Period(2025))
    font = [f for f in report.warnings if f.code == "font.missing"]
    assert len(font) == 1 and "䶮" in font[0].message and "附表1" in font[0].message
    assert font[0].where == "font/䶮"


def test_the_one_pass_font_test_agrees_with_the_character_check() -> None:
    """``fonts.lacks_any`` (over every printed text at once: its distinct characters, or for a long text one
    regular expression) finds a character exactly when ``fonts.missing_characters`` does, for every character
    up to the supplementary ideographs."""
    from models import fonts

    for code in range(0x80, 0x30000):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        lacking = bool(fonts.missing_characters(char))
        assert fonts.lacks_any(f"张{char}三") == lacking, f"U+{code:04X}"
        assert (fonts._lacking().search(f"张{char}三") is not None) == lacking, f"U+{code:04X} (long texts)"
    assert not fonts.lacks_any("张三 abc 第1号企业\t\n")
    assert not fonts.lacks_any("张三 abc 第1号企业\t\n" * fonts.PATTERN_FROM)
    assert fonts.lacks_any("张三 abc 第1号企业\t\n" * fonts.PATTERN_FROM + "䶮")
