"""The definition file: its schema checked on load (every problem named by its path in the file), the safe
expression language of its rules, and the ``definition export`` / ``definition check`` commands."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli import run
from forms import expr
from forms import returns as R
from forms.definition import DefinitionError, check_definition, load_definition, shipped_definition
from forms.periods import Period
from models import definitions
from models.db import open_store

DEF_2026 = Path(__file__).parent / "definitions" / "yn-changai-return-2026.json"


def body_2026() -> dict:  # type: ignore[type-arg]
    return json.loads(DEF_2026.read_text(encoding="utf-8"))


def test_the_shipped_file_holds_the_whole_return() -> None:
    spec = shipped_definition().spec
    assert [t.number for t in spec.tables] == ["表1", "表2", "表3", "表4", "表5"]
    assert [r.number for r in spec.rosters] == ["附表1", "附表2"]
    assert spec.threshold("change_ratio") == Decimal("0.5") and spec.threshold("min_honour_age") == 16
    implausible = spec.rule_by_code["training.implausible"]
    assert implausible.scope == "trainings" and implausible.condition == "participants > threshold.implausible_participants"
    assert {r.code for r in spec.rules if not r.condition} == set(R.BUILTIN_RULES)
    assert spec.table("T3").column("union_funds").not_above == "funds"


def test_every_problem_is_named_by_its_path_in_the_file() -> None:
    body = body_2026()
    body["tables"][2]["columns"][4]["measure"] = "certz"
    body["tables"][5]["source"] = "buses"
    body["rules"][-1]["condition"] = "digital_participants >> 3"
    body["rules"][-2]["condition"] = "T6.total.nothing > 1"
    body["fields"][0]["type"] = "float"
    defn, problems = check_definition(json.dumps(body, ensure_ascii=False).encode("utf-8"), source="坏.json")
    assert defn is None
    text = "\n".join(problems)
    assert "“tables[2].columns[4].measure”“certz”不是“trainings”数据的数值" in text
    assert "“tables[5].source”“buses”不是程序提供的数据来源" in text
    assert "“rules[20].condition”写错了" in text
    assert "“rules[19].condition”中的“T6.total.nothing”不是某表的一格" in text
    assert "“fields[0].type”“float”不是可用的类型" in text
    with pytest.raises(DefinitionError, match=r"有误：“fields\[0\]\.type”"):
        load_definition(json.dumps(body, ensure_ascii=False).encode("utf-8"), source="坏.json")


@pytest.mark.parametrize(("change", "named"), [
    (lambda b: b["tables"][0]["rows"].pop(), "“tables[0].rows”缺少合计行"),
    (lambda b: b["tables"][0]["columns"][1].update(not_above="nothing"), "“tables[0].columns[1].not_above”"),
    (lambda b: b["tables"][1]["rows"][0].update(match={"colour": "红"}), "“tables[1].rows[0].match”中的“colour”"),
    (lambda b: b["rules"][0].update(severity="严重"), "“rules[0].severity”“严重”应为"),
    (lambda b: b["rules"].append({**b["rules"][0]}), "“rules[21]”的规则代码“cell.not_above”与前面重复"),
    (lambda b: b["thresholds"].pop("min_honour_age"), "“thresholds”缺少阈值“min_honour_age”"),
    (lambda b: b["summary"][0]["figures"][0].update(column="x"), "“summary[0].figures[0]”中的“total/x”不是表1的一格"),
    (lambda b: b["fields"][1].update(name="participants"), "“fields[1].name”“participants”与培训已有的栏目重名"),
])
def test_a_wrong_part_is_refused_with_its_place(change, named: str) -> None:  # type: ignore[no-untyped-def]
    body = body_2026()
    change(body)
    _defn, problems = check_definition(json.dumps(body, ensure_ascii=False).encode("utf-8"))
    assert any(named in p for p in problems), problems


def test_expressions_are_parsed_never_evaluated_as_python() -> None:
    values = {"a": 3, "b": Decimal("2.5"), "t": "工匠", "n": None}
    assert expr.truth(expr.parse("a * 2 + b > 8 and not (t == '技师') or false"), values.__getitem__)
    assert expr.evaluate(expr.parse("sum(a, b, n) - max(1, a) / 2"), values.__getitem__) == Decimal("4.0")
    assert expr.evaluate(expr.parse("empty(n) and len(t) == 2"), values.__getitem__) is True
    assert expr.evaluate(expr.parse("a / 0"), values.__getitem__) == 0
    for bad in ("__import__('os').system('x')", "a.__class__", "open('f')", "a ** 2", "[1]", "a if b else c", "lambda: 1"):
        with pytest.raises(expr.ExprError):
            node = expr.parse(bad)
            expr.evaluate(node, values.__getitem__)
    assert expr.fill("参训{a}人次，阈值{threshold.x}", {"a": 12, "threshold.x": Decimal("100000")}.__getitem__) == \
        "参训12人次，阈值100000"


# The tokenizer and the key check as they were written with character classes of the Chinese range (slow to
# compile): the reference the faster forms must agree with.
_OLD_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<str>\"[^\"]*\"|'[^']*')|(?P<name>[A-Za-z_\u4e00-\u9fff]"
                        r"[\w\u4e00-\u9fff|]*(?:\.[\w\u4e00-\u9fff|]+)*)|(?P<op><=|>=|==|!=|[-+*/<>(),]))")
_OLD_KEY = re.compile(r"[A-Za-z0-9_|\u4e00-\u9fff]{1,40}")
_OLD_PLACEHOLDER = re.compile(r"\{([\w.|\u4e00-\u9fff]+)\}")
_EXPR_CHARS = st.one_of(st.sampled_from([*"aZ_9|.é１٣〇一龥鿿丂㐀 \t\n'\"<>=!+-*/(),表人次", "\u9fff", "\ua000", "\u4dff"]),
                        st.characters(exclude_categories=("Cs",)))


def _old_tokens(text: str) -> list[tuple[str, str]] | str:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _OLD_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            return f"第{pos + 1}个字符处无法识别：“{text[pos:pos + 10]}”"
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


@settings(max_examples=400)
@given(st.text(_EXPR_CHARS, max_size=30))
def test_the_tokenizer_reads_what_the_character_class_read(text: str) -> None:
    """Every text gives the same tokens, or the same refusal at the same character, as the tokenizer with the
    Chinese range in its character classes; every key the same verdict as that range's pattern (a key ending in a
    line break, which ``^…$`` let through, is refused now); the ``{name}``s of a rule's message are those that
    range's pattern found."""
    try:
        got: list[tuple[str, str]] | str = expr._tokens(text)
    except expr.ExprError as exc:
        got = str(exc)
    assert got == _old_tokens(text)
    assert R._is_key(text) == (_OLD_KEY.fullmatch(text) is not None)
    placed = f"参训{{{text}}}人次，{{{text[:3]}}}{text}{{a.b}}"  # a rule's message and its {name}s
    assert expr.PLACEHOLDER.findall(placed) == _OLD_PLACEHOLDER.findall(placed)


def test_a_key_ending_in_a_line_break_is_refused() -> None:
    assert R._is_key("表1") and R._is_key("a" * 40) and R._is_key("row|total")
    for bad in ("表1\n", "", "a" * 41, "表 1", "é", "１"):
        assert not R._is_key(bad), bad


@given(st.lists(st.integers(-1000, 1000), min_size=1, max_size=6),
       st.lists(st.sampled_from(["+", "-", "*"]), min_size=5, max_size=5))
def test_arithmetic_agrees_with_exact_decimal_arithmetic(numbers: list[int], ops: list[str]) -> None:
    pairs = list(zip(numbers[1:], ops, strict=False))
    text = f"({numbers[0]})" + "".join(f" {op} ({n})" for n, op in pairs)
    expected = Decimal(eval(text))  # the test's own oracle on integer literals, never the program's input
    assert expr.evaluate(expr.parse(text), {}.__getitem__) == expected
    names = {f"v{i}": n for i, n in enumerate(numbers)}
    by_name = "v0" + "".join(f" {op} v{i}" for i, (_n, op) in enumerate(pairs, start=1))
    assert expr.evaluate(expr.parse(by_name), names.__getitem__) == expected


def test_definition_check_names_problems_and_previews_the_tables(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    pdf = tmp_path / "预览 文件夹" / "表式 预览.pdf"
    assert run(["definition", "check", str(DEF_2026), "--preview", str(pdf)]) == 0
    out = capsys.readouterr().out
    assert "检查通过" in out and "第2版" in out and "表6" in out and "trainings.digital_participants" in out
    assert pdf.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftotext"):  # poppler (not on a plain Windows PC) reads the pages back
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True,
                              encoding="utf-8").stdout
        assert text.count("\f") == 7  # the cover and six tables
        assert "表6" in text and "职工数字技能培训情况" in text and "数字技能培训人次" in text and "其中女性" in text
    body = body_2026()
    body["tables"][5]["columns"][3]["measure"] = "digital"
    bad = tmp_path / "坏 的.json"
    bad.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    assert run(["definition", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "“tables[5].columns[3].measure”“digital”不是“trainings”数据的数值" in err
    (tmp_path / "不是.json").write_text("{}", encoding="utf-8")
    assert run(["definition", "check", str(tmp_path / "不是.json")]) == 1
    assert "不是报表制度文件" in capsys.readouterr().err
    assert run(["definition", "check", str(tmp_path / "没有.json")]) == 2


def test_definition_export_writes_the_definition_a_store_uses(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "导出" / "v1.json"
    assert run(["--data-dir", str(tmp_path / "空"), "definition", "export", "--out", str(out)]) == 0
    assert out.read_bytes() == shipped_definition().raw
    assert not (tmp_path / "空").exists()  # no data folder is made for it
    store = open_store(tmp_path / "数据")
    try:
        definitions.install(store, load_definition(DEF_2026.read_bytes()))
    finally:
        store.close()
    capsys.readouterr()
    target = tmp_path / "导出" / "2026.json"
    assert run(["--data-dir", str(tmp_path / "数据"), "definition", "export", "--year", "2026", "--out", str(target)]) == 0
    assert target.read_bytes() == DEF_2026.read_bytes() and "第2版" in capsys.readouterr().out


def test_a_file_saved_by_notepad_with_a_bom_is_read() -> None:
    defn = load_definition(b"\xef\xbb\xbf" + DEF_2026.read_bytes(), source="记事本.json")
    assert defn.version == 2 and defn.digest != load_definition(DEF_2026.read_bytes()).digest  # the bytes as signed


def test_the_definition_sets_the_severity_and_texts_of_built_in_rules(county_store) -> None:  # type: ignore[no-untyped-def]
    from models import review

    body = json.loads(shipped_definition().raw.decode("utf-8"))
    body["version"] = 3
    for rule in body["rules"]:
        if rule["code"] == "innovation.missing":
            rule.update(severity="警告", fix="请填报经济技术创新数据，或说明原因")
    body["rules"] = [r for r in body["rules"] if r["code"] != "cover.required"]  # a rule the definition drops
    definitions.install(county_store, load_definition(json.dumps(body, ensure_ascii=False).encode("utf-8")))
    from models import unit

    unit.update_contacts(county_store, head="", statistician="王丽", preparer="张敏", phone="0879-3231234")
    report = review.review(county_store, Period(2025))
    [missing] = [f for f in report.findings if f.code == "innovation.missing"]
    assert missing.severity == R.WARNING and missing.message.endswith("请填报经济技术创新数据，或说明原因")
    assert "cover.required" not in {f.code for f in report.findings}


def test_entry_checks_report_under_the_review_codes(county_store) -> None:  # type: ignore[no-untyped-def]
    """The duplicates are gone: entering a record gives the same codes (and thresholds) as the review."""
    import datetime as dt

    from common.ids import make_id_number
    from models import records

    def codes(kind: str, values: dict, **kw) -> set[str]:  # type: ignore[type-arg, no-untyped-def]
        return {f.code for f in records.check(county_store, kind, values, **kw)[2]}

    number = make_id_number("530821", dt.date(2012, 5, 1), 3, "女")
    person = {"name": "小芳", "id_number": number, "employer": "茶厂"}
    assert "person.id_invalid" in codes("people", {**person, "id_number": number[:-1] + "0"})
    assert "person.id_mismatch" in codes("people", {**person, "sex": "男"})
    assert "honour.young" in codes("people", person, children={"honours": [
        {"title": "县级劳动模范", "category": "劳动模范/先进工作者", "level": "县级", "award_year": 2025}]})
    course = {"name": "培训", "organizer": "县总工会", "type": "岗位练兵", "start_date": "2025-03-01",
              "end_date": "2025-03-02", "participants": 200001, "female": 200002}
    assert {"training.implausible", "record.not_above"} <= codes("trainings", course)
    leader = records.save(county_store, "people", person).id
    assert "studio.leader_honour" in codes("studios", {"name": "创新工作室", "type": "劳模创新工作室", "level": "县级",
                                                      "host_unit": "茶厂", "leader_id": leader, "named_year": 2024})
