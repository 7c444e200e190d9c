"""``definition sign | install | list | export-signed`` as users type them, at the province, a prefecture, a county."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from definition_support import PROVINCE_PASSPHRASE, definition_bytes, export_certificate, unit_store
from test_cli_basic import has_chinese, run_cli

from cli import run
from forms.definition import shipped_definition
from models.db import open_store


def cli(capsys: pytest.CaptureFixture[str], folder: Path, *args: str) -> tuple[int, str, str]:
    code = run(["--data-dir", str(folder), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def make_units(tmp_path: Path) -> tuple[Path, Path, Path, Path, str]:
    """Data folders of the province (with key), 普洱 and 宁洱; the province's certificate file and fingerprint."""
    folders = tmp_path / "省总 工会", tmp_path / "普洱 市", tmp_path / "宁洱 县"
    for folder, code, passphrase in zip(folders, ("530000", "530800", "530821"), (PROVINCE_PASSPHRASE, None, None),
                                        strict=True):
        store = unit_store(folder, code, passphrase)
        if code == "530000":
            cert, fingerprint = export_certificate(store, tmp_path / "省证书")
        store.close()
    return *folders, cert, fingerprint


def test_three_levels_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    province, prefecture, county, cert, fingerprint = make_units(tmp_path)
    draft = tmp_path / "草稿 文件夹" / "制度.json"
    draft.parent.mkdir()
    draft.write_bytes(definition_bytes(version=2))
    secret = tmp_path / "口令.txt"
    secret.write_text(PROVINCE_PASSPHRASE + "\n", encoding="utf-8")
    usb = tmp_path / "U盘 E"
    usb.mkdir()

    code, out, err = cli(capsys, province, "definition", "sign", str(draft), "--out", str(usb),
                         "--passphrase-file", str(secret))
    assert code == 0, err
    signed = usb / "报表制度-yn-changai-return-第2版.signed.json"
    assert signed.is_file() and "已签发：产业工人队伍建设改革统计表（2026—2030年，第2版）" in out

    # a prefecture without the province's certificate: refused with the reason, nothing installed
    code, out, err = cli(capsys, prefecture, "definition", "install", str(signed))
    assert code == 2 and "签名者证书未登记" in err and "登记上级单位证书" in err
    assert cli(capsys, prefecture, "trust", "add", str(cert), "--superior", "--fingerprint", fingerprint)[0] == 0
    code, out, err = cli(capsys, prefecture, "definition", "install", str(signed))
    assert code == 0, err
    assert "已安装：产业工人队伍建设改革统计表（2026—2030年，第2版）" in out and "签发：云南省总工会（530000）" in out

    down = tmp_path / "给县"
    down.mkdir()
    code, out, err = cli(capsys, prefecture, "definition", "export-signed", "yn-changai-return/2", "--out", str(down))
    assert code == 0, err
    passed = down / signed.name
    assert passed.read_bytes() == signed.read_bytes()

    # the county registers the province's certificate as a superior's (it came down with the file)
    code, out, err = cli(capsys, county, "trust", "add", str(cert), "--superior", "--fingerprint", fingerprint)
    assert code == 0, err
    code, out, err = cli(capsys, county, "definition", "install", str(passed), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["installed"] and result["version"] == 2 and result["years_used"] == [2026, 2027, 2028, 2029, 2030]
    code, out, err = cli(capsys, county, "definition", "list", "--json")
    rows = json.loads(out)
    assert [(r["version"], r["shipped"]) for r in rows] == [(1, True), (2, False)]
    assert rows[1]["signer_name"] == "云南省总工会" and rows[1]["signed_file_kept"]
    store = open_store(county)
    try:
        from models.definitions import definition_for

        assert definition_for(store, 2026).version == 2
        assert definition_for(store, 2024).digest == shipped_definition().digest
    finally:
        store.close()
    code, out, err = cli(capsys, county, "definition", "list")
    assert code == 0 and "yn-changai-return/2" in out and "签发：云南省总工会" in out and "来源：程序自带" in out


def test_refusals_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    province, _prefecture, county, cert, fingerprint = make_units(tmp_path)
    draft = tmp_path / "制度.json"
    draft.write_bytes(definition_bytes(version=2))
    secret = tmp_path / "口令.txt"
    secret.write_text(PROVINCE_PASSPHRASE, encoding="utf-8")
    code, out, err = cli(capsys, county, "definition", "sign", str(draft), "--out", str(tmp_path / "x.json"),
                         "--passphrase-file", str(secret))
    assert code == 2 and "只有云南省总工会（530000）可以签发报表制度" in err and not (tmp_path / "x.json").exists()
    wrong = tmp_path / "错.txt"
    wrong.write_text("not-the-passphrase", encoding="utf-8")
    code, out, err = cli(capsys, province, "definition", "sign", str(draft), "--out", str(tmp_path / "y.json"),
                         "--passphrase-file", str(wrong))
    assert code == 2 and "口令" in err and not (tmp_path / "y.json").exists()
    code, out, err = cli(capsys, province, "definition", "sign", str(secret), "--out", str(tmp_path / "z.json"),
                         "--passphrase-file", str(secret))
    assert code == 2 and "不是报表制度文件" in err

    signed = tmp_path / "签发.signed.json"
    assert cli(capsys, province, "definition", "sign", str(draft), "--out", str(signed),
               "--passphrase-file", str(secret))[0] == 0
    cli(capsys, county, "trust", "add", str(cert), "--superior", "--fingerprint", fingerprint)
    document = json.loads(signed.read_bytes())
    raw = base64.b64decode(document["content"]).replace("云南省总工会".encode(), "云南省总工会办公室".encode())
    document["content"] = base64.b64encode(raw).decode("ascii")
    tampered = tmp_path / "被改.signed.json"
    tampered.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    code, out, err = cli(capsys, county, "definition", "install", str(tampered))
    assert code == 2 and "“被改.signed.json”的内容被修改" in err
    code, out, err = cli(capsys, county, "definition", "install", str(tmp_path))
    assert code == 2 and "是一个文件夹" in err
    code, out, err = cli(capsys, county, "definition", "export-signed", "1", "--out", str(tmp_path / "o.json"))
    assert code == 2 and "程序自带的报表制度不需要导出" in err
    code, out, _ = cli(capsys, county, "definition", "list", "--json")
    assert len(json.loads(out)) == 1


def test_list_in_a_fresh_process(data_dir: Path) -> None:
    proc = run_cli(data_dir, "definition", "list")
    assert proc.returncode == 0, proc.stderr
    assert has_chinese(proc.stdout) and "yn-changai-return/1" in proc.stdout and "程序自带" in proc.stdout
