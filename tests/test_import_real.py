"""Importing what people really have: HR rosters, short lists, odd ID numbers, middle dots, templates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import run
from common.ids import check_id_number, make_id_number
from common.text import MIDDLE_DOT, ParseError, normalize_middle_dots
from forms import records as forms
from forms.validation import parse_field
from models import importer, records
from models.db import Store

SAMPLES = Path(__file__).parent / "samples"
COMPANY = SAMPLES / "普洱茶业集团员工花名册.xlsx"
SHORT_LIST = SAMPLES / "车间先进个人名单.csv"


# -- the company's HR roster -------------------------------------------------------------------


def test_hr_roster_takes_the_current_sheet_and_its_id_column(county_store: Store) -> None:
    table = importer.read_table(COMPANY, kind="people")
    assert table.sheet == "花名册"  # not 离职员工 (first in the workbook, same columns) nor 部门
    assert table.header_rows == (1,) and len(table.rows) == 115
    mapping = {table.headers[i]: key for i, key in importer.propose_mapping("people", table.headers).items()}
    assert mapping["证件号"] == "id_number" and mapping["所属公司"] == "employer"
    assert "发证机关" not in mapping  # the ID card's issuing office is not an honour's 授予机关


def test_hr_roster_imports_with_clear_row_errors_for_odd_digits(county_store: Store) -> None:
    plan = importer.plan_import(county_store, "people", importer.read_table(COMPANY, kind="people"))
    assert plan.problems == []
    assert len(plan.to_add) == 113
    errors = {r.row: r.message for r in plan.errors}
    assert sorted(errors) == [7, 12]
    assert "第7行" in errors[7] and "证件号" in errors[7] and "“²”不是普通数字" in errors[7]
    assert "“①”不是普通数字" in errors[12]
    importer.apply_import(county_store, plan)
    names = {r["name"] for r in county_store.query("SELECT name FROM people WHERE ethnicity = '维吾尔族'")}
    assert names == {"买买提·艾力", "阿依古丽·买买提", "玛依拉·吐尔逊", "努尔·艾合买提"}


def test_short_list_header_in_row_one_and_map_on_the_command_line(capsys: pytest.CaptureFixture[str],
                                                                  data_dir: Path) -> None:
    assert run(["--data-dir", str(data_dir), "setup", "--unit-code", "530821"]) == 0
    capsys.readouterr()
    table = importer.read_table(SHORT_LIST, kind="people")
    assert table.header_rows == (1,) and table.headers[:2] == ["姓名", "员工证件"]
    assert run(["--data-dir", str(data_dir), "import", "--kind", "people", str(SHORT_LIST)]) == 2
    out = capsys.readouterr()
    assert "表中没有“身份证号”列" in out.out and "--map" in out.err
    code = run(["--data-dir", str(data_dir), "import", "--kind", "people", str(SHORT_LIST),
                "--map", "员工证件=身份证号", "--map", "备注=不导入"])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert "员工证件→身份证号" in out.out and "新增 3 条" in out.out
    assert run(["--data-dir", str(data_dir), "import", "--kind", "people", str(SHORT_LIST),
                "--map", "工号=身份证号"]) == 2
    assert "表中没有名为“工号”的列" in capsys.readouterr().err
    assert run(["--data-dir", str(data_dir), "import", "--kind", "people", str(SHORT_LIST),
                "--map", "员工证件=证件照片"]) == 2
    assert "“证件照片”不是人员与荣誉的字段" in capsys.readouterr().err


def test_mapping_choices_are_the_dialogs() -> None:
    headers = ["姓名", "证件号", "单位", "获奖称号"]
    mapping = importer.mapping_with_choices("people", headers, ["获奖称号=荣誉·称号", "证件号=不导入",
                                                                 "单位=工作单位"])
    assert mapping == {0: "name", 1: None, 2: "employer", 3: "honours.title"}
    assert importer.target_for("people", "id_number") == "id_number"
    with pytest.raises(ParseError, match="源列名=字段名"):
        importer.mapping_with_choices("people", headers, ["证件号"])


# -- ID numbers and middle dots ----------------------------------------------------------------


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=24))
def test_id_parser_never_fails_with_anything_but_a_clear_message(text: str) -> None:
    try:
        info = check_id_number(text)
    except ParseError as exc:
        assert str(exc).startswith("身份证号")
    else:
        assert len(info.number) == 18 and info.number[:17].isascii() and info.number[:17].isdigit()


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=18, max_size=18))
def test_unicode_digits_in_an_id_number_are_row_errors(text: str) -> None:
    field = forms.PEOPLE.field("id_number")
    try:
        parse_field(field, text)
    except ParseError:
        pass


def test_superscript_and_circled_digits_are_named() -> None:
    good = make_id_number("530821", dt.date(1978, 5, 12), 39, "男")
    for odd in ("²", "①", "٣", "Ⅻ"):
        with pytest.raises(ParseError, match=f"第1位“{odd}”不是普通数字"):
            check_id_number(odd + good[1:])


@given(st.text(max_size=30))
def test_middle_dots_normalise_to_one_form(text: str) -> None:
    once = normalize_middle_dots(text)
    assert normalize_middle_dots(once) == once
    assert len(once) <= len(text)


@pytest.mark.parametrize("typed", ["买买提•艾力", "买买提・艾力", "买买提‧艾力", "买买提･艾力", "买买提 · 艾力",
                                   "买买提⋅艾力", "买买提∙艾力"])
def test_a_name_typed_with_any_dot_is_stored_with_one(county_store: Store, typed: str) -> None:
    saved = records.save(county_store, "people", {
        "name": typed, "id_number": make_id_number("530821", dt.date(1980, 1, 2), 11, "男"), "employer": "宁洱县供电局"})
    assert records.get(county_store, "people", saved.id)["name"] == f"买买提{MIDDLE_DOT}艾力"


def test_a_bullet_list_in_a_note_is_left_alone() -> None:
    assert normalize_middle_dots("• 第一条\n• 第二条") == "• 第一条\n• 第二条"


# -- templates ---------------------------------------------------------------------------------


def _fill(path: Path, rows: list[dict[str, object]]) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    for r, values in enumerate(rows, start=2):
        for label, value in values.items():
            sheet.cell(r, headers.index(label) + 1, value)
    book.save(path)


@pytest.mark.parametrize("kind", list(importer.IMPORT_KINDS))
def test_blank_template_imports_back_cleanly(capsys: pytest.CaptureFixture[str], data_dir: Path, kind: str) -> None:
    assert run(["--data-dir", str(data_dir), "setup", "--unit-code", "530821"]) == 0
    out = data_dir / f"{kind} 模板.xlsx"
    assert run(["--data-dir", str(data_dir), "template", "--kind", kind, "--out", str(out)]) == 0
    capsys.readouterr()
    table = importer.read_table(out, kind=kind)
    assert table.rows == [] and table.header_rows == (1,)
    mapping = importer.propose_mapping(kind, table.headers)
    assert len(mapping) == len(table.headers)  # every column is recognised
    assert [t.key for t in importer.template_columns(kind)] == [mapping[i] for i in range(len(table.headers))]
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[1] == "填写说明"


def test_filled_templates_import_people_studios_outputs_and_innovation(data_dir: Path, county_store: Store) -> None:
    year = dt.date.today().year - 1
    leader = make_id_number("530821", dt.date(1975, 4, 3), 21, "男")
    people = data_dir / "人员.xlsx"
    importer.write_template("people", people)
    _fill(people, [{"姓名": "李国强", "身份证号": leader, "工作单位": "宁洱县供电局", "荣誉·称号": "云南省劳动模范",
                    "荣誉·授予年份": 2015}])
    studios = data_dir / "工作室.xlsx"
    importer.write_template("studios", studios)
    _fill(studios, [{"名称": "李国强劳模创新工作室", "类型": "劳模创新工作室", "级别": "省级", "依托单位": "宁洱县供电局",
                     "领办人（姓名或身份证号）": "李国强", "命名年份": 2018}])
    outputs = data_dir / "成果.xlsx"
    importer.write_template("studio_outputs", outputs)
    _fill(outputs, [{"工作室名称": "李国强劳模创新工作室", "年度": year, "技术攻关项目": 3, "获得专利": 2,
                     "其中发明专利": 1, "创造经济效益": 12.5},
                    {"工作室名称": "没有这个工作室", "年度": year, "技术攻关项目": 1}])
    innovation = data_dir / "创新.xlsx"
    importer.write_template("innovation", innovation)
    _fill(innovation, [{"报告期": str(year), "合理化建议": 120, "其中采纳": 80, "获得专利": 6}])

    for kind, path in (("people", people), ("studios", studios), ("studio_outputs", outputs),
                       ("innovation", innovation)):
        plan = importer.plan_import(county_store, kind, importer.read_table(path, kind=kind))
        assert plan.problems == [], (kind, plan.problems)
        importer.apply_import(county_store, plan)
        if kind == "studio_outputs":
            assert [r.row for r in plan.errors] == [3]
            assert "没有名为“没有这个工作室”的工作室" in plan.errors[0].message
        else:
            assert plan.errors == [], (kind, [r.message for r in plan.errors])
    saved = county_store.query("SELECT * FROM studio_outputs")
    assert [(r["year"], r["projects"], r["patents"], r["invention_patents"], r["benefit"]) for r in saved] == [
        (year, 3, 2, 1, 12.5)]
    assert county_store.query("SELECT suggestions, suggestions_adopted FROM innovation WHERE period = ?",
                              (str(year),)) == [{"suggestions": 120, "suggestions_adopted": 80}]

    # importing the outputs again with a changed number updates that year; undo restores it
    _fill(outputs, [{"技术攻关项目": 5}, {"工作室名称": "李国强劳模创新工作室"}])
    plan = importer.plan_import(county_store, "studio_outputs", importer.read_table(outputs, kind="studio_outputs"))
    assert [r.action for r in plan.records] == ["update", "error"]  # the second row: the same year again
    batch = importer.apply_import(county_store, plan)
    assert county_store.scalar("SELECT projects FROM studio_outputs") == 5
    importer.undo_import(county_store, batch)
    assert county_store.scalar("SELECT projects FROM studio_outputs") == 3
    # the studio's history tells each import of its outputs and the undo, on the studio itself
    from models import history

    studio_id = county_store.scalar("SELECT id FROM studios")
    logged = [(e.operation, e.changes) for e in history.entries(county_store, kind="studios", record_id=studio_id)]
    operations = [op for op, _ in logged]
    assert operations.count("import") == 3 and operations.count("import_undo") == 1, operations
    assert any(any(change[0] == "studio_outputs" for change in changes) for op, changes in logged if op == "import_undo")
