"""``review``, ``note``, ``export``, ``versions`` and ``verify`` run as a user runs them: separate processes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl

from tests.test_cli_basic import has_chinese, run_cli

YEAR = str(dt.date.today().year - 1)


def _demo(data_dir: Path) -> None:
    assert run_cli(data_dir, "setup", "--unit-code", "530821").returncode == 0
    assert run_cli(data_dir, "demo").returncode == 0


def test_demo_unit_reviews_clean_exports_and_verifies(tmp_path: Path) -> None:
    data = tmp_path / "数据"
    _demo(data)
    proc = run_cli(data, "review", "--period", YEAR)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "错误 0 个" in proc.stdout
    out = tmp_path / "U盘"
    proc = run_cli(data, "export", "--period", YEAR, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    xlsx, pdf = out / f"530821_{YEAR}_v1.xlsx", out / f"530821_{YEAR}_v1.pdf"
    assert xlsx.exists() and pdf.exists() and "已导出" in proc.stdout
    assert "第1版" in run_cli(data, "versions").stdout

    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(xlsx.read_bytes()[:500])
    proc = run_cli(None, "verify", str(xlsx), str(bad), str(pdf), "--json")
    assert proc.returncode == 1  # not every file is valid (no key: the export is unsigned)
    results = json.loads(proc.stdout)
    assert [r["status"] for r in results] == ["unsigned", "malformed", "unsigned"]
    good = results[0]
    assert (good["unit_code"], good["period"], good["version"]) == ("530821", YEAR, 1)
    assert good["unit_name"] == "宁洱哈尼族彝族自治县总工会"
    assert sorted(good["tables"]) == ["T1", "T2", "T3", "T4", "T5"]
    assert all(has_chinese(r["reason"]) for r in results[1:])
    # the numbers equal those of the visible sheets
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    for key, sheet in (("T3", "表3"), ("T1", "表1"), ("T5", "表5")):
        rows = list(wb[sheet].iter_rows(values_only=True))
        start = next(i for i, r in enumerate(rows) if r[0] == "甲") + 1
        table = good["tables"][key]
        for offset, row in enumerate(table["rows"]):
            visible = [v for v in rows[start + offset][1:1 + len(table["columns"])]]
            assert row["values"] == visible, (key, row["label"])
            assert len(table["columns"]) == len(row["values"])
    wb.close()

    proc = run_cli(None, "verify", str(xlsx))
    assert proc.returncode == 1 and "无签名" in proc.stdout  # exit 0 only when every file is valid


def test_review_errors_exit_one_and_block_export(tmp_path: Path) -> None:
    data = tmp_path / "数据"
    _demo(data)
    import sqlite3

    with sqlite3.connect(data / "store.sqlite3") as conn:
        conn.execute("UPDATE unit SET head = ''")
    proc = run_cli(data, "review", "--period", YEAR)
    assert proc.returncode == 1 and "[错误]" in proc.stdout and "单位负责人" in proc.stdout
    proc = run_cli(data, "review", "--period", YEAR, "--json")
    findings = json.loads(proc.stdout)["findings"]
    assert {"severity": "error", "where": "cover/head"}.items() <= findings[0].items()
    out = tmp_path / "out"
    proc = run_cli(data, "export", "--period", YEAR, "--out", str(out))
    assert proc.returncode == 1 and "单位负责人" in proc.stderr
    assert not out.exists() or not list(out.iterdir())
    proc = run_cli(data, "review", "--period", "2025X")
    assert proc.returncode == 2 and "报告期" in proc.stderr


def test_warning_notes_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "数据"
    _demo(data)
    import sqlite3

    with sqlite3.connect(data / "store.sqlite3") as conn:
        conn.execute("UPDATE trainings SET participants = 150000 WHERE id = 1")
        start = conn.execute("SELECT start_date FROM trainings WHERE id = 1").fetchone()[0]
    period = start[:4]
    proc = run_cli(data, "review", "--period", period)
    assert proc.returncode == 0 and "[警告]" in proc.stdout and "trainings#1" in proc.stdout
    out = tmp_path / "out"
    assert run_cli(data, "export", "--period", period, "--out", str(out)).returncode == 1
    proc = run_cli(data, "note", "--period", period, "--code", "training.implausible", "--where", "trainings#1",
                   "--text", "全县集中安全培训，已核实")
    assert proc.returncode == 0, proc.stderr
    assert run_cli(data, "note", "--period", period, "--code", "x", "--where", "y", "--text", "z").returncode == 2
    proc = run_cli(data, "export", "--period", period, "--out", str(out), "--format", "xlsx")
    assert proc.returncode == 0, proc.stderr
    assert [p.suffix for p in out.iterdir()] == [".xlsx"]
