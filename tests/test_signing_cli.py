"""The 公钥登记表, and the ``keys`` / ``trust`` commands run as a user runs them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from signing_support import PASSPHRASE, make_key
from test_cli_basic import has_chinese, run_cli

from models.db import Store, open_store
from models.signing import SigningError, group_hex
from models.signing.register_form import export_registration, qr_payload


def test_registration_files(county_store: Store, tmp_path: Path) -> None:
    from pypdf import PdfReader

    from models.signing.keys import fingerprint as cert_fingerprint
    from models.signing.keys import load_certificate

    key = make_key(county_store)
    files = export_registration(county_store, tmp_path / "交上级")
    assert files.certificate.name == f"530821-签名证书-{key.fingerprint[:8]}.cer"
    pem = files.certificate.read_bytes()
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert cert_fingerprint(load_certificate(pem)) == key.fingerprint
    reader = PdfReader(files.form)
    assert len(reader.pages) == 1
    assert qr_payload("530821", key.fingerprint) == f"CHANGAI-CERT:530821:SHA256:{key.fingerprint}"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler 的 pdftotext 未安装")
def test_registration_form_text(county_store: Store, tmp_path: Path) -> None:
    key = make_key(county_store)
    files = export_registration(county_store, tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(files.form), "-"], capture_output=True, check=True,
                          timeout=60).stdout.decode()
    for needle in ("公钥登记表", "宁洱哈尼族彝族自治县总工会", "530821", "普洱市总工会", "单位负责人（签字）", "单位盖章",
                   files.certificate.name):
        assert needle in text, needle
    for group in group_hex(key.fingerprint).split(" "):  # each digit is drawn in its own cell
        assert re.search(r"\s*".join(group), text), group


def test_registration_needs_a_key(county_store: Store, tmp_path: Path) -> None:
    with pytest.raises(SigningError, match="尚未创建签名密钥"):
        export_registration(county_store, tmp_path)


# --- the command line ------------------------------------------------------------------------------------------

def passphrase_file(tmp_path: Path, text: str = PASSPHRASE) -> Path:
    path = tmp_path / "口令.txt"
    path.write_text(text + "\r\n", encoding="utf-8-sig")
    return path


def setup(data_dir: Path, code: str) -> None:
    assert run_cli(data_dir, "setup", "--unit-code", code).returncode == 0


def test_keys_commands(data_dir: Path, tmp_path: Path) -> None:
    setup(data_dir, "530821")
    proc = run_cli(data_dir, "keys", "show")
    assert proc.returncode == 1 and "尚未创建签名密钥" in proc.stdout
    proc = run_cli(data_dir, "keys", "create", "--passphrase-file", str(passphrase_file(tmp_path)))
    assert proc.returncode == 0, proc.stderr
    assert "证书指纹（SHA-256）" in proc.stdout and proc.stderr == ""
    shown = json.loads(run_cli(data_dir, "keys", "show", "--json").stdout)
    assert len(shown["fingerprint"]) == 64 and shown["unit_code"] == "530821"
    assert group_hex(shown["fingerprint"]) in proc.stdout
    # a second create needs --replace
    proc = run_cli(data_dir, "keys", "create", "--passphrase-file", str(passphrase_file(tmp_path)))
    assert proc.returncode == 2 and "--replace" in proc.stderr and has_chinese(proc.stderr)
    proc = run_cli(data_dir, "keys", "create", "--replace", "--passphrase-file",
                   str(passphrase_file(tmp_path, "a-new-passphrase")))
    assert proc.returncode == 0 and "已停用" in proc.stdout
    history = json.loads(run_cli(data_dir, "keys", "show", "--json").stdout)["keys"]
    assert len(history) == 2 and history[1]["retired_at"]
    out = tmp_path / "导出"
    proc = run_cli(data_dir, "keys", "export", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.suffix for p in out.iterdir()) == [".cer", ".pdf"]


def test_keys_create_refuses_short_passphrase_and_needs_a_terminal(data_dir: Path, tmp_path: Path) -> None:
    setup(data_dir, "530821")
    proc = run_cli(data_dir, "keys", "create", "--passphrase-file", str(passphrase_file(tmp_path, "short")))
    assert proc.returncode == 2 and "至少需要 8 个字符" in proc.stderr
    proc = run_cli(data_dir, "keys", "create")  # stdin is not a terminal in tests
    assert proc.returncode == 2 and "--passphrase-file" in proc.stderr
    proc = run_cli(data_dir, "keys", "create", "--passphrase-file", str(tmp_path / "没有.txt"))
    assert proc.returncode == 2 and "无法读取口令文件" in proc.stderr
    assert not (data_dir / "keys").exists()


def test_trust_commands(data_dir: Path, tmp_path: Path) -> None:
    county_dir = tmp_path / "墨江"
    setup(county_dir, "530822")
    assert run_cli(county_dir, "keys", "create", "--passphrase-file", str(passphrase_file(tmp_path))).returncode == 0
    assert run_cli(county_dir, "keys", "export", "--out", str(tmp_path / "u盘")).returncode == 0
    (cert,) = (tmp_path / "u盘").glob("*.cer")
    fingerprint = json.loads(run_cli(county_dir, "keys", "show", "--json").stdout)["fingerprint"]

    setup(data_dir, "530800")
    proc = run_cli(data_dir, "trust", "list")
    assert proc.returncode == 0 and "尚未登记" in proc.stdout
    proc = run_cli(data_dir, "trust", "add", str(cert), "--fingerprint", "0000" + fingerprint[4:])
    assert proc.returncode == 2 and "不一致" in proc.stderr
    proc = run_cli(data_dir, "trust", "add", str(cert), "--fingerprint", group_hex(fingerprint))
    assert proc.returncode == 0, proc.stderr
    assert "墨江哈尼族自治县总工会" in proc.stdout
    listed = json.loads(run_cli(data_dir, "trust", "list", "--json").stdout)
    assert [(r["unit_code"], r["state"], r["fingerprint"]) for r in listed] == [("530822", "active", fingerprint)]
    proc = run_cli(data_dir, "trust", "remove", "530822", "--reason", "密钥泄露")
    assert proc.returncode == 0 and "已撤销登记" in proc.stdout
    listed = json.loads(run_cli(data_dir, "trust", "list", "--json").stdout)
    assert listed[0]["state"] == "revoked" and listed[0]["revoke_reason"] == "密钥泄露"
    proc = run_cli(data_dir, "trust", "remove", "530822")
    assert proc.returncode == 2 and "没有有效的登记证书" in proc.stderr
    proc = run_cli(data_dir, "trust", "add", str(tmp_path / "口令.txt"))
    assert proc.returncode == 2 and "不是有效的证书文件" in proc.stderr


def test_cli_store_is_readable_by_the_core(data_dir: Path, tmp_path: Path) -> None:
    setup(data_dir, "530821")
    run_cli(data_dir, "keys", "create", "--passphrase-file", str(passphrase_file(tmp_path)))
    from models.signing.provider import FileKeySigner

    store = open_store(data_dir)
    try:
        assert FileKeySigner.open(store, PASSPHRASE).fingerprint
    finally:
        store.close()
