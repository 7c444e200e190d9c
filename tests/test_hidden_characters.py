"""Invisible control and bidirectional characters are refused at entry and import; text that looks like a
formula (=, +, -, @) stays plain text in every Excel file the program writes."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.ids import make_id_number
from common.text import ParseError, hidden_character, plain_text
from forms import validation
from forms.periods import parse_period
from forms.records import SPECS
from models import export, records, review, unit, versions
from models.db import Store
from models.importer import export_error_rows, plan_import, read_table

YEAR = str(dt.date.today().year - 1)
PERIOD = parse_period(YEAR)
RLO = "\u202e"


@pytest.mark.parametrize(("char", "word"), [("\u202e", "从右到左覆盖"), ("\u2066", "从左到右隔离"), ("\x07", "控制字符"),
                                            ("\u200b", "不可见的格式字符"), ("\x00", "控制字符")])
def test_each_hidden_character_is_named(char: str, word: str) -> None:
    with pytest.raises(ParseError) as caught:
        plain_text(f"张{char}三")
    assert f"U+{ord(char):04X}" in str(caught.value) and word in str(caught.value)


@given(st.text(max_size=30))
def test_plain_text_refuses_exactly_the_invisible_characters(text: str) -> None:
    from common.text import clean_text

    cleaned = clean_text(text)
    bad = [c for c in cleaned if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")]
    if bad:
        with pytest.raises(ParseError):
            plain_text(text)
    else:
        assert plain_text(text) == cleaned
        assert hidden_character(cleaned) is None


def test_ordinary_names_pass() -> None:
    for name in ("艾力·买买提", "岩温", "Zhang San-Li", "阿依古丽 · 吐尔逊", "=SUM(A1)", "@某某", "-1", "+86 139"):
        assert plain_text(name) == name


def test_a_record_with_an_override_is_refused_naming_the_field() -> None:
    spec = SPECS["people"]
    _values, findings = validation.validate(spec, {"name": f"王{RLO}五", "employer": "宁洱县供电局"})
    errors = [f for f in findings if f.where.endswith(".name") or "name" in f.where]
    assert errors and "U+202E" in errors[0].message, findings


def test_saving_a_record_with_a_control_character_stores_nothing(county_store: Store) -> None:
    with pytest.raises(records.ValidationFailed):
        records.save(county_store, "people", {"name": "王五", "employer": f"宁洱{RLO}县供电局", "sex": "男"})
    assert county_store.scalar("SELECT COUNT(*) FROM people") == 0


def test_import_names_row_and_column(county_store: Store, tmp_path: Path) -> None:
    number = make_id_number("530821", dt.date(1980, 1, 1), 1, "男")
    path = tmp_path / "名册 带控制字符.csv"
    path.write_text(f"姓名,身份证号,工作单位\n王{RLO}五,{number},宁洱县供电局\n", encoding="utf-8")
    plan = plan_import(county_store, "people", read_table(path, kind="people"))
    (row,) = plan.errors
    assert row.row == 2 and "“姓名”" in row.message and "U+202E" in row.message, row.message


def test_notes_and_unit_contacts_refuse_hidden_characters(county_store: Store) -> None:
    with pytest.raises(ParseError, match="U\\+202E"):
        review.set_note(county_store, PERIOD, "change.over_50", "T3/total/participants", f"新增{RLO}培训")
    with pytest.raises(ParseError, match="单位负责人"):
        unit.update_contacts(county_store, head=f"李{RLO}国华")
    with pytest.raises(ParseError, match="填表人"):
        unit.setup(county_store, code="530821", head="李国华", preparer="张\x1b敏")
    assert unit.load(county_store).head == "李国华"  # type: ignore[union-attr]


FORMULA_LIKE = ["=1+2", "+86 13908791234", "-5", "@SUM(A1:A3)", '=HYPERLINK("http://x","点击")']


def test_formula_like_text_stays_text_in_the_return_workbook(county_store: Store, tmp_path: Path) -> None:
    for i, text in enumerate(FORMULA_LIKE):
        number = make_id_number("530821", dt.date(1970 + i, 1, 1), 1 + i, "男")
        records.save(county_store, "people", {"name": f"王{i}", "sex": "男", "id_number": number, "employer": text,
                                              "employer_nature": "国有企业", "status": "在职"},
                     children={"honours": [{"title": "云南省劳动模范", "category": "劳动模范/先进工作者",
                                            "level": "省部级", "award_year": 2015}]})
    versions.finalise(county_store, PERIOD)
    xlsx, pdf = export.export_return(county_store, PERIOD, tmp_path / "导出", version=1)
    wb = openpyxl.load_workbook(xlsx)
    found = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in FORMULA_LIKE:
                    found[cell.value] = cell.data_type
    wb.close()
    assert found == dict.fromkeys(FORMULA_LIKE, "s")
    import zipfile

    with zipfile.ZipFile(xlsx) as zf:
        assert not any(b"<f>" in zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))
    from pypdf import PdfReader

    text = "".join("".join(page.extract_text().split()) for page in PdfReader(pdf).pages)
    assert "=1+2" in text and "@SUM(A1:A3)" in text


def test_formula_like_text_stays_text_in_the_error_rows_workbook(county_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "名册.csv"
    lines = ["姓名,身份证号,工作单位"] + [f"{text},不是身份证号,{text}" for text in FORMULA_LIKE[:4]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    plan = plan_import(county_store, "people", read_table(path, kind="people"))
    out = tmp_path / "有误的行.xlsx"
    assert export_error_rows(plan, out) == 4
    wb = openpyxl.load_workbook(out)
    ws = wb["错误行"]
    cells = [c for row in ws.iter_rows(min_row=2, max_col=1) for c in row]
    wb.close()
    assert [c.value for c in cells] == FORMULA_LIKE[:4]
    assert {c.data_type for c in cells} == {"s"}
