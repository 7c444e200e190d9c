"""``progress`` and ``demo --years`` as a user runs them, and the report files
read back: the PDF (text, fonts, signature) and the workbook."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from consolidation_support import PASSPHRASE
from openpyxl import load_workbook
from pdf_fonts import assert_fonts_embedded
from progress_support import PREFECTURE, PROVINCE, Run, three_levels
from test_cli_basic import has_chinese, run_cli

from forms.plans import shipped_plan

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return three_levels(tmp_path_factory.mktemp("three_levels"))


def _copy(run: Run, code: str, target: Path) -> Path:
    shutil.copytree(run.folders[code], target)
    return target


def test_demo_years_finalises_a_return_per_year(tmp_path: Path) -> None:
    data = tmp_path / "县 数据"
    assert run_cli(data, "setup", "--unit-code", "530821").returncode == 0
    proc = run_cli(data, "demo", "--seed", "3", "--years", "2021-2022")
    assert proc.returncode == 0, proc.stderr
    assert "已定稿年报：2021年第1版、2022年第1版" in proc.stdout
    proc = run_cli(data, "progress", "--year", "2022", "--json")
    assert proc.returncode == 0, proc.stderr
    data_out = json.loads(proc.stdout)
    assert data_out["as_of"] == 2022 and data_out["missing_years"] == [] and data_out["elapsed_years"] == 2
    assert sorted(data_out["returns"]) == ["2021", "2022"]
    bad = run_cli(data, "demo", "--years", "二〇二一")
    assert bad.returncode == 2 and "写法不对" in bad.stderr


def test_progress_of_the_province_on_screen_json_and_signed_files(run: Run, tmp_path: Path) -> None:
    data = _copy(run, PROVINCE, tmp_path / "省 数据")
    proc = run_cli(data, "progress", "--year", "2023")
    assert proc.returncode == 0, proc.stderr
    assert "缺报年度：2022" in proc.stdout and "职业培训：目标 5,000,000人次" in proc.stdout and "▲落后" in proc.stdout
    assert "本报表未统计的指标24项" in proc.stdout
    report = json.loads(run_cli(data, "progress", "--year", "2023", "--json").stdout)
    training = next(i for i in report["indicators"] if i["key"] == "training")
    assert [y["status"] for y in training["years"]] == ["已报", "缺报", "已报", "未到期", "未到期"]
    assert training["expected"] == 0.6 and training["behind"] is True
    puer = next(u for u in training["units"] if u["code"] == PREFECTURE)
    assert puer["value"] == training["value"]  # everything came from 普洱市
    assert {n["status"] for n in report["not_counted"]} == {"本报表未统计"}
    unit = run_cli(data, "progress", "--year", "2023", "--unit", PREFECTURE)
    assert unit.returncode == 0 and "普洱市总工会（530800）" in unit.stdout and "2022年 缺报" in unit.stdout

    secret = tmp_path / "口令.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    out = tmp_path / "U盘 报告"
    proc = run_cli(data, "progress", "--year", "2023", "--out", str(out), "--passphrase-file", str(secret))
    assert proc.returncode == 0, proc.stderr
    pdf = out / "530000_规划完成情况_yn-changai-plan-14th_2023.pdf"
    xlsx = pdf.with_suffix(".xlsx")
    assert pdf.exists() and xlsx.exists() and not list(out.glob(".~*"))
    _check_pdf(pdf, data)
    _check_xlsx(xlsx)
    checked = run_cli(data, "verify", str(xlsx), str(pdf))
    assert checked.stdout.count("这是云南省总工会（530000）的规划目标完成情况报告") == 2, checked.stdout
    assert "规划目标完成情况报告：单位代码 530000，规划 yn-changai-plan-14th，截至2023年" in checked.stdout
    assert "已被修改" not in checked.stdout


def _check_pdf(pdf: Path, data: Path) -> None:
    from models.db import open_store
    from models.signing.common import VALID
    from models.signing.pdf import verify_pdf

    if shutil.which("pdftotext"):  # poppler (not on a plain Windows PC) reads the pages, fonts and size back
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
        flat = "".join(text.split())
        assert "规划目标完成情况报告" in flat and "云南省总工会" in flat and "530000" in flat
        assert "缺报年度2022年" in flat and "本报表未统计的指标" in flat and "落后" in flat
        assert "职业培训" in flat and "出处（专栏三素质提升）" in flat and "签名证书指纹" in flat
        assert "五、各单位情况" in flat and "普洱市总工会" in flat
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True).stdout.decode()
        assert "WenQuanYi" in fonts and all(" yes " in line for line in fonts.splitlines()[2:] if "WenQuanYi" in line)
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True).stdout.decode()
        assert "595.276 x 841.89 pts (A4)" in info
    assert_fonts_embedded(pdf.read_bytes(), pdf.name)  # the charts and tables too, not only the text
    store = open_store(data)
    try:
        verdict = verify_pdf(pdf.read_bytes(), store=store, unit_code="530000")
    finally:
        store.close()
    assert verdict.status == VALID, verdict.reason
    assert has_chinese(verdict.signer_name)


def _check_xlsx(xlsx: Path) -> None:
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["完成情况", "逐年数据", "图表", "未统计指标", "口径和出处", "各单位情况"]
    units = wb["各单位情况"]
    puer = next(r for r in range(2, units.max_row + 1)
                if units.cell(r, 1).value == "职业培训" and units.cell(r, 2).value == "普洱市总工会")
    assert units.cell(puer, 4).value == "缺报" and isinstance(units.cell(puer, 3).value, (int, float))
    ws = wb["完成情况"]
    header_row = next(r for r in range(1, 30) if ws.cell(r, 1).value == "序号")
    rows = {ws.cell(r, 3).value: r for r in range(header_row + 1, ws.max_row + 1)}
    r = rows["职业培训"]
    assert ws.cell(r, 5).value == 5_000_000 and ws.cell(r, 9).value == "落后"
    assert ws.cell(r, 8).value == pytest.approx(0.6)
    years = wb["逐年数据"]
    row = next(r for r in range(2, years.max_row + 1) if years.cell(r, 1).value == "职业培训")
    assert years.cell(row, 5).value == "缺报"  # 2022: missing, not zero
    assert isinstance(years.cell(row, 4).value, (int, float)) and years.cell(row, 7).value == "未到期"
    assert wb["未统计指标"].max_row == len(shipped_plan().not_counted) + 1
    charts = wb["图表"]
    assert len(charts._charts) == len(shipped_plan().counted)  # openpyxl keeps the charts it read
