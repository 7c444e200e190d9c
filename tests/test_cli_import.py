"""``python main.py import`` and friends: report, exit codes, dry run, duplicates, undo."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli import run
from models.db import open_store

SAMPLES = Path(__file__).parent / "samples"


def cli(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, list[str], str]:
    code = run(["--data-dir", str(data_dir), *args])
    out = capsys.readouterr()
    return code, out.out.splitlines(), out.err


def count(data_dir: Path, table: str) -> int:
    store = open_store(data_dir)
    try:
        return int(store.scalar(f"SELECT count(*) FROM {table}"))
    finally:
        store.close()


def test_import_with_error_rows_exits_1_and_lists_them(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    code, lines, _ = cli(capsys, data_dir, "import", str(SAMPLES / "宁洱县劳模名册.xlsx"), "--kind", "people")
    assert code == 1
    assert lines[0] == "文件：宁洱县劳模名册.xlsx（工作表“劳模名册”，表头在第3、4行，数据17行）"
    summary = lines.index("新增 11 条，更新 0 条，跳过 0 条，错误 5 行；荣誉 14 项")
    errors = lines[summary + 1:summary + 6]
    assert [e.split("“")[0] for e in errors] == ["第18行", "第19行", "第20行", "第21行", "第22行"]
    assert lines[-1].startswith("已导入（批次 1")
    assert count(data_dir, "people") == 11


def test_clean_file_exits_0_dry_run_writes_nothing(capsys: pytest.CaptureFixture[str], data_dir: Path,
                                                    tmp_path: Path) -> None:
    source = tmp_path / "干净.csv"
    source.write_text("名称,类型,级别,承办单位,日期,参赛人次\n县技能大赛,技能竞赛,县级,县总工会,2024-05-01,100\n",
                      encoding="utf-8")
    code, lines, _ = cli(capsys, data_dir, "import", str(source), "--kind", "competitions", "--dry-run")
    assert code == 0
    assert "新增 1 条，更新 0 条，跳过 0 条，错误 0 行" in lines
    assert lines[-1] == "试运行：没有写入任何数据"
    assert count(data_dir, "competitions") == 0
    code, lines, _ = cli(capsys, data_dir, "import", str(source), "--kind", "competitions")
    assert code == 0 and count(data_dir, "competitions") == 1


def test_unreadable_file_exits_2(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    code, lines, err = cli(capsys, data_dir, "import", str(SAMPLES / "损坏的文件.xlsx"), "--kind", "people")
    assert code == 2 and lines == []
    assert err.startswith("错误：文件“损坏的文件.xlsx”已损坏")
    code, _, err = cli(capsys, data_dir, "import", str(SAMPLES / "没有这个文件.xlsx"), "--kind", "people")
    assert code == 2 and "找不到文件" in err


def test_missing_required_column_exits_2(capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "缺列.csv"
    source.write_text("姓名,身份证号\n张三,530821197805120012\n", encoding="utf-8")
    code, lines, _ = cli(capsys, data_dir, "import", str(source), "--kind", "people")
    assert code == 2
    assert any(line.startswith("无法导入：表中没有“工作单位”列") for line in lines)


def test_duplicates_update_or_skip_and_undo(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    cli(capsys, data_dir, "import", str(SAMPLES / "宁洱县劳模名册.xlsx"), "--kind", "people")
    code, lines, _ = cli(capsys, data_dir, "import", str(SAMPLES / "劳模名册_GBK.csv"), "--kind", "people",
                         "--on-duplicate", "skip")
    assert code == 1
    assert "与已有记录相同（身份证号相同）的 1 条：跳过" in lines
    assert "新增 4 条，更新 0 条，跳过 1 条，错误 1 行；荣誉 5 项" in lines
    assert "第7行“名字”：不能为空" in lines
    code, lines, _ = cli(capsys, data_dir, "import-batches")
    assert code == 0 and lines[0].startswith("批次 2：") and "“劳模名册_GBK.csv” 新增4 更新0 跳过1 错误1（有效）" in lines[0]
    code, lines, _ = cli(capsys, data_dir, "import-undo", "2")
    assert code == 0 and lines == ["已撤销批次 2：删除 4 条，恢复 0 条"]
    assert count(data_dir, "people") == 11
    code, _, err = cli(capsys, data_dir, "import-undo", "2")
    assert code == 2 and "撤销过了" in err


def test_sheet_option_and_errors_xlsx(capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "错误行.xlsx"
    code, lines, _ = cli(capsys, data_dir, "import", str(SAMPLES / "职工培训台账.xlsx"), "--kind", "trainings",
                         "--sheet", "2024年培训", "--errors-xlsx", str(target), "--warnings")
    assert code == 1
    assert f"已把 2 行错误行导出到：{target}" in lines
    assert any(line.startswith("注意：") and "完整的身份证号" in line for line in lines)  # kept on purpose, said so
    assert target.exists()
    code, _, err = cli(capsys, data_dir, "import", str(SAMPLES / "职工培训台账.xlsx"), "--kind", "trainings",
                       "--sheet", "不存在")
    assert code == 2 and "没有名为“不存在”的工作表" in err
