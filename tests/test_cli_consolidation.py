"""``receive``, ``status --period``, ``receipt …`` and ``consolidate`` run as a user runs them: separate processes,
from ``setup`` and ``keys create`` of two counties to the province verifying 普洱市's consolidated return."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from consolidation_support import YEAR, tamper_xlsx
from pdf_fonts import assert_fonts_embedded
from test_cli_basic import has_chinese, run_cli

PASSPHRASE = "普洱-命令行-茶山-2026"
pytestmark = pytest.mark.slow


def _unit(tmp_path: Path, code: str, *, demo: int | None = None) -> tuple[Path, Path]:
    """A unit set up from the command line with a key; (data folder, certificate file)."""
    data = tmp_path / f"数据{code}"
    assert run_cli(data, "setup", "--unit-code", code, "--head", "李国华", "--statistician", "王丽", "--preparer", "张敏",
                   "--phone", "0879-3231234").returncode == 0
    if demo is not None:
        assert run_cli(data, "demo", "--seed", str(demo)).returncode == 0
    secret = tmp_path / "口令.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    proc = run_cli(data, "keys", "create", "--passphrase-file", str(secret))
    assert proc.returncode == 0, proc.stderr
    proc = run_cli(data, "keys", "export", "--out", str(tmp_path / f"证书{code}"))
    assert proc.returncode == 0, proc.stderr
    return data, next((tmp_path / f"证书{code}").glob("*.cer"))


def _export(tmp_path: Path, data: Path, out: Path) -> None:
    proc = run_cli(data, "export", "--period", YEAR, "--out", str(out), "--passphrase-file", str(tmp_path / "口令.txt"))
    assert proc.returncode == 0, proc.stderr


def test_receive_board_receipts_consolidate_and_verify(tmp_path: Path) -> None:
    secret = str(tmp_path / "口令.txt")
    usb = tmp_path / "U盘"
    ninger, ninger_cert = _unit(tmp_path, "530821", demo=11)
    mojiang, mojiang_cert = _unit(tmp_path, "530822", demo=12)
    wuhua, _wuhua_cert = _unit(tmp_path, "530102", demo=13)
    for data in (ninger, mojiang, wuhua):
        _export(tmp_path, data, usb)
    tamper_xlsx(usb / f"530822_{YEAR}_v1.xlsx", usb / "被改过" / f"530822_{YEAR}_v1.xlsx")

    puer, puer_cert = _unit(tmp_path, "530800", demo=14)
    for cert in (ninger_cert, mojiang_cert):
        assert run_cli(puer, "trust", "add", str(cert)).returncode == 0

    # a stick with a foreign county's return and a tampered copy: one line per file, exit code 1 (verified in two
    # helper processes, as a large batch is: they start the program's own file, main.py, as their main module)
    proc = run_cli(puer, "receive", str(usb), "--jobs", "2")
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 8  # 4 workbooks, 3 PDF copies, the summary
    assert any(f"530821_{YEAR}_v1.xlsx：验证通过，已接收" in line for line in lines)
    assert any(f"530102_{YEAR}_v1.xlsx：" in line and "拒收" in line and "不是本单位的直接下级" in line for line in lines)
    assert any("已被修改" in line and "未接收" in line for line in lines)
    assert lines[-1].startswith("共 7 个文件：新接收 2 个")
    # the good files again: all held, exit code 0
    proc = run_cli(puer, "receive", str(usb / f"530821_{YEAR}_v1.xlsx"), str(usb / f"530822_{YEAR}_v1.xlsx"), "--json")
    assert proc.returncode == 0
    assert [r["outcome"] for r in json.loads(proc.stdout)] == ["held", "held"]
    assert run_cli(puer, "receive", str(tmp_path / "没有的文件夹")).returncode == 2

    # the board, inside the foundation's status output
    proc = run_cli(puer, "status", "--period", YEAR, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["unit"]["code"] == "530800" and data["counts"]["people"] == 120  # the foundation's keys stay
    board = data["board"]
    assert (board["expected"], board["reported"]) == (10, 2)
    entries = {e["unit_code"]: e for e in board["subordinates"]}
    assert len(entries) == 10 and "530102" not in entries
    assert (entries["530821"]["state"], entries["530821"]["version"]) == ("reported", 1)
    assert (entries["530828"]["state"], entries["530828"]["version"]) == ("missing", None)
    assert board["counts"]["missing"] == 8
    text = run_cli(puer, "status", "--period", YEAR).stdout
    assert "应报 10 个，实报 2 个，未报：思茅区、景东县" in text and "530822  墨江哈尼族自治县总工会  已报" in text
    county_status = json.loads(run_cli(ninger, "status", "--period", YEAR, "--json").stdout)
    assert county_status["board"]["subordinates"] == [] and has_chinese(county_status["board"]["note"])

    # 退回 墨江 with a reason; accept receipts for the others
    receipts = tmp_path / "回执"
    proc = run_cli(puer, "receipt", "return", "--period", YEAR, "--unit", "530822", "--reason", "表4获奖人数与附件不符",
                   "--out", str(receipts), "--passphrase-file", secret)
    assert proc.returncode == 0, proc.stderr
    returned = receipts / f"530822_{YEAR}_v1_回执_已退回.json"
    assert returned.exists() and "已退回" in proc.stdout
    proc = run_cli(puer, "receipt", "accept", "--period", YEAR, "--out", str(receipts), "--passphrase-file", secret)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in receipts.glob("*.json")) == [f"530821_{YEAR}_v1_回执_已接收.json", returned.name]
    assert returned.with_suffix(".pdf").exists()  # the printable receipt beside the signed one
    assert_fonts_embedded(returned.with_suffix(".pdf").read_bytes(), "回执")
    proc = run_cli(puer, "receipt", "return", "--period", YEAR, "--unit", "530828", "--reason", "x", "--out",
                   str(receipts), "--passphrase-file", secret)
    assert proc.returncode == 2 and "尚未报送" in proc.stderr
    entries = {e["unit_code"]: e for e in json.loads(run_cli(puer, "status", "--period", YEAR, "--json").stdout)
               ["board"]["subordinates"]}
    assert entries["530822"]["state"] == "returned" and "表4获奖人数" in entries["530822"]["detail"]

    # 墨江 opens the receipt in its own program: unverified (exit 1) until it registers 普洱's certificate
    proc = run_cli(mojiang, "receipt", "show", str(returned))
    assert proc.returncode == 1, proc.stderr
    assert "退回原因：表4获奖人数与附件不符" in proc.stdout and f"与本单位定稿的{YEAR}年年报第1版报表一致" in proc.stdout
    assert "无法确认回执的真实性" in proc.stdout
    shown = json.loads(run_cli(None, "receipt", "show", str(returned), "--json").stdout)
    assert shown["sound"] and not shown["genuine"] and shown["receipt"]["decision"] == "returned"
    proc = run_cli(mojiang, "trust", "add", str(puer_cert), "--superior")
    assert proc.returncode == 2 and "指纹" in proc.stderr
    from models.signing.keys import certificate_info, load_certificate

    fingerprint = certificate_info(load_certificate(puer_cert.read_bytes())).fingerprint
    proc = run_cli(mojiang, "trust", "add", str(puer_cert), "--superior", "--fingerprint",
                   f"CHANGAI-CERT:530800:SHA256:{fingerprint}")  # as a scanner types the 登记表's QR code
    assert proc.returncode == 0, proc.stderr
    proc = run_cli(mojiang, "receipt", "show", str(returned))
    assert proc.returncode == 0 and "回执真实有效" in proc.stdout, proc.stdout
    # the same genuine receipt shown at 宁洱 is not about 宁洱's return
    assert run_cli(ninger, "trust", "add", str(puer_cert), "--superior", "--fingerprint", fingerprint).returncode == 0
    proc = run_cli(ninger, "receipt", "show", str(returned))
    assert proc.returncode == 1 and "与本单位的报表不符" in proc.stdout and "不是本单位的" in proc.stdout

    # the drill-down of a number, and the consolidated export (墨江 was sent back: not summed)
    proc = run_cli(puer, "consolidate", "--period", YEAR, "--cell", "T3/total/participants", "--json")
    assert proc.returncode == 0, proc.stderr
    cell = json.loads(proc.stdout)
    assert [c["unit_code"] for c in cell["contributions"]] == ["530800", "530821"]
    assert sum(c["value"] for c in cell["contributions"]) == cell["total"]
    assert run_cli(puer, "consolidate", "--period", YEAR, "--cell", "T9/x/y").returncode == 2
    out = tmp_path / "报省"
    proc = run_cli(puer, "consolidate", "--period", YEAR, "--out", str(out), "--passphrase-file", secret)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "未报：思茅区、墨江县（已退回）" in proc.stdout
    xlsx = out / f"530800_{YEAR}_v1.xlsx"
    assert xlsx.exists() and (out / f"530800_{YEAR}_v1.pdf").exists()
    assert run_cli(ninger, "consolidate", "--period", YEAR, "--out", str(out)).returncode == 2  # a county has none

    # the province verifies and receives it, one level up
    province, _ = _unit(tmp_path, "530000")
    assert run_cli(province, "trust", "add", str(puer_cert)).returncode == 0
    proc = run_cli(province, "verify", str(xlsx), "--json")
    assert proc.returncode == 0, proc.stdout
    verified = json.loads(proc.stdout)[0]
    assert verified["status"] == "valid" and verified["consolidated"] and verified["unit_code"] == "530800"
    proc = run_cli(province, "receive", str(out))
    assert proc.returncode == 0 and "已接收" in proc.stdout
    top = json.loads(run_cli(province, "status", "--period", YEAR, "--json").stdout)["board"]
    assert (top["expected"], top["reported"]) == (16, 1)
