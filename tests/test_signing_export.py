"""Signed exports of a real return: Excel and PDF signed, verified, tampered with, re-registered."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import copy_of
from signing_support import PASSPHRASE, make_key, other_unit_store, setup_unit
from test_cli_basic import run_cli

from forms.periods import parse_period
from models import export, return_io, versions
from models.db import Store, open_store
from models.returns import DATA_SHEET, digest, short_digest
from models.signing import group_hex, trust
from models.signing.provider import FileKeySigner

YEAR = str(dt.date.today().year - 1)
PERIOD = parse_period(YEAR)
DATA = "宁洱 数据"


def _build_signed_county(folder: Path) -> None:
    """宁洱 as ``demo_store`` sets it up, with a key; its return exported and signed into ``U盘``."""
    from models.demo import fill_demo

    store = open_store(folder / DATA)
    try:
        setup_unit(store, "530821")
        fill_demo(store, seed=2025)
        make_key(store)
        export.export_return(store, PERIOD, folder / "U盘", signer=FileKeySigner.open(store, PASSPHRASE))
    finally:
        store.close()


@pytest.fixture
def signed_store(prebuilt: Any, tmp_path: Path) -> Iterator[Store]:
    """A copy of the demo county with a key, whose return was exported and signed (built once per session)."""
    copy_of(prebuilt("signed_county", _build_signed_county), tmp_path)
    store = open_store(tmp_path / DATA)
    yield store
    store.close()


@pytest.fixture
def signed_files(signed_store: Store, tmp_path: Path) -> tuple[Path, Path]:
    (xlsx,), (pdf,) = (tmp_path / "U盘").glob("*.xlsx"), (tmp_path / "U盘").glob("*.pdf")
    return xlsx, pdf


def fingerprint_of(store: Store) -> str:
    return str(store.scalar("SELECT fingerprint FROM own_keys WHERE retired_at IS NULL"))


def test_both_files_are_signed_and_verify(signed_store: Store, signed_files: tuple[Path, Path]) -> None:
    xlsx, pdf = signed_files
    for path in (xlsx, pdf):
        result = return_io.read_return(path, signed_store)
        assert result.status == return_io.VALID, (path, result.reason)
        assert result.fingerprint == fingerprint_of(signed_store)
        assert result.label == "验证通过"
    pdf_json = return_io.read_return(pdf, signed_store).as_json()
    assert (pdf_json["unit_code"], pdf_json["period"], pdf_json["version"]) == ("530821", YEAR, 1)


def test_covers_show_fingerprint_and_data_digest(signed_store: Store, signed_files: tuple[Path, Path]) -> None:
    from pypdf import PdfReader

    xlsx, pdf = signed_files
    ret = versions.load_version(signed_store, PERIOD)
    assert ret is not None
    grouped, short = group_hex(fingerprint_of(signed_store)), short_digest(digest(ret))
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    cover_text = " ".join(str(v) for row in wb["封面"].iter_rows(values_only=True) for v in row if v)
    wb.close()
    assert grouped in cover_text and short in cover_text
    text = PdfReader(pdf).pages[0].extract_text()
    squeezed = "".join(text.split())
    assert grouped.replace(" ", "") in squeezed and short in squeezed
    if shutil.which("pdftotext"):  # the signature box is an annotation: poppler reads its appearance
        shown = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, check=True,
                               timeout=60).stdout.decode()
        assert "签名时间（本机时钟）" in shown and "签名单位：宁洱哈尼族彝族自治县总工会" in shown


def test_signature_box_sits_in_the_covers_reserved_rectangle(signed_files: tuple[Path, Path]) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    from models.export_pdf import SIGNATURE_FIELD, signature_box_pdf

    _xlsx, pdf = signed_files
    reader = PdfFileReader(io.BytesIO(pdf.read_bytes()))
    (embedded,) = reader.embedded_signatures
    assert embedded.field_name == SIGNATURE_FIELD
    widget = embedded.sig_field
    rect = [float(v) for v in widget["/Rect"]]
    assert rect == pytest.approx([round(v) for v in signature_box_pdf()], abs=1)
    assert widget["/P"] == reader.root["/Pages"]["/Kids"][0]


def test_pyhanko_alone_validates_the_exported_pdf(signed_store: Store, signed_files: tuple[Path, Path]) -> None:
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    _xlsx, pdf = signed_files
    pem = signed_store.scalar("SELECT cert_pem FROM own_keys")
    root = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER))
    (embedded,) = PdfFileReader(io.BytesIO(pdf.read_bytes())).embedded_signatures
    status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[root], allow_fetching=False))
    assert status.bottom_line, status.pretty_print_details()


def test_changing_one_table_number_is_tampering(signed_store: Store, signed_files: tuple[Path, Path],
                                                tmp_path: Path) -> None:
    xlsx, _pdf = signed_files
    edited = tmp_path / "改过.xlsx"
    shutil.copy(xlsx, edited)
    wb = openpyxl.load_workbook(edited)
    ws = wb["表3"]
    row = next(r for r in ws.iter_rows() if r[0].value == "合计")
    row[2].value = row[2].value + 1
    wb.save(edited)
    result = return_io.read_return(edited, signed_store)
    assert result.status == return_io.TAMPERED
    assert "表3" in result.reason and "参训人次" in result.reason


def test_changing_the_embedded_data_is_tampering(signed_store: Store, signed_files: tuple[Path, Path],
                                                 tmp_path: Path) -> None:
    xlsx, _pdf = signed_files
    edited = tmp_path / "改数据.xlsx"
    shutil.copy(xlsx, edited)
    wb = openpyxl.load_workbook(edited)
    ws = wb[DATA_SHEET]
    text = ws["A2"].value
    ws["A2"].value = text.replace('"participants":', '"participants":1', 1)
    wb.save(edited)
    result = return_io.read_return(edited, signed_store)
    assert result.status == return_io.TAMPERED and "签名已不在文件中" in result.reason


@pytest.mark.parametrize(("sheet", "what"), [("附表1", "roster"), ("封面", "cover")])
def test_changing_visible_text_is_tampering(signed_store: Store, signed_files: tuple[Path, Path], tmp_path: Path,
                                            sheet: str, what: str) -> None:
    xlsx, _pdf = signed_files
    edited = tmp_path / f"改{what}.xlsx"
    shutil.copy(xlsx, edited)
    wb = openpyxl.load_workbook(edited)
    ws = wb[sheet]
    if what == "roster":
        header = next(r for r in ws.iter_rows() if r[0].value == "序号")
        target = ws.cell(row=header[0].row + 3, column=2)
        target.value = "王某某"
    else:
        target = next(r for r in ws.iter_rows() if r[1].value == "填报单位（盖章）：")[2]
        target.value = "另一个县总工会"
    wb.save(edited)
    result = return_io.read_return(edited, signed_store)
    assert result.status == return_io.TAMPERED, result.reason
    assert sheet in result.reason


def test_removed_or_swapped_signature(signed_store: Store, signed_files: tuple[Path, Path], tmp_path: Path) -> None:
    import zipfile

    from models.signing.package import SIGNATURE_PART, decode_comment, encode_comment

    xlsx, _pdf = signed_files
    with zipfile.ZipFile(xlsx) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}

    def rewrite(target: Path, signature: bytes | None) -> Path:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in parts.items():
                if name != SIGNATURE_PART:
                    zf.writestr(name, data)
            if signature is not None:
                zf.writestr(SIGNATURE_PART, signature)
        return target

    stripped = return_io.read_return(rewrite(tmp_path / "去掉签名.xlsx", None), signed_store)
    assert stripped.status == return_io.TAMPERED and "签名已不在文件中" in stripped.reason
    # someone else signs the same manifest with their own key: sound, but not the registered signer
    manifest = decode_comment(parts[SIGNATURE_PART])[0]
    impostor = other_unit_store(tmp_path / "冒充", "530822")
    forged_sig = FileKeySigner.open(impostor, "another-secret-9").sign(manifest)
    result = return_io.read_return(rewrite(tmp_path / "换签名.xlsx", encode_comment(manifest, forged_sig)), signed_store)
    assert result.status == return_io.UNREGISTERED and "530822" in result.reason
    garbled = parts[SIGNATURE_PART].replace(b"\n", b"\n!!!", 2)
    assert return_io.read_return(rewrite(tmp_path / "坏签名.xlsx", garbled), signed_store).status == return_io.MALFORMED


def test_flipping_a_byte_in_the_signed_pdf_is_tampering(signed_store: Store, signed_files: tuple[Path, Path],
                                                        tmp_path: Path) -> None:
    _xlsx, pdf = signed_files
    data = bytearray(pdf.read_bytes())
    start = data.rindex(b"/ByteRange")
    ranges = [int(v) for v in data[data.index(b"[", start) + 1:data.index(b"]", start)].split()]
    data[ranges[1] // 3] ^= 0x01
    flipped = tmp_path / "改一个字节.pdf"
    flipped.write_bytes(bytes(data))
    assert return_io.read_return(flipped, signed_store).status == return_io.TAMPERED


def test_receiver_sees_unregistered_until_it_registers(signed_files: tuple[Path, Path], signed_store: Store,
                                                       tmp_path: Path) -> None:
    prefecture = other_unit_store(tmp_path / "普洱市", "530800")
    for path in signed_files:
        result = return_io.read_return(path, prefecture)
        assert result.status == return_io.UNREGISTERED, result.reason
    assert return_io.read_return(signed_files[0]).status == return_io.UNREGISTERED  # no store at all
    trust.register(prefecture, signed_store.scalar("SELECT cert_pem FROM own_keys").encode())
    for path in signed_files:
        assert return_io.read_return(path, prefecture).status == return_io.VALID


def test_old_returns_verify_after_a_new_key(signed_store: Store, signed_files: tuple[Path, Path],
                                            tmp_path: Path) -> None:
    """Lost passphrase: new key, re-registration; returns signed with the old key still verify."""
    from models.signing import keys

    prefecture = other_unit_store(tmp_path / "普洱市", "530800")
    trust.register(prefecture, signed_store.scalar("SELECT cert_pem FROM own_keys").encode())
    new_key = keys.create_key(signed_store, "new-passphrase-77", "new-passphrase-77")
    trust.register(prefecture, new_key.cert_pem.encode(), replace=True)
    new_signer = FileKeySigner.open(signed_store, "new-passphrase-77")
    new_files = export.export_return(signed_store, PERIOD, tmp_path / "新密钥", version=1, signer=new_signer)
    for path in (*signed_files, *new_files):
        assert return_io.read_return(path, prefecture).status == return_io.VALID
        assert return_io.read_return(path, signed_store).status == return_io.VALID


def test_two_exports_of_a_version_verify_identically(signed_store: Store, signed_files: tuple[Path, Path],
                                                     tmp_path: Path) -> None:
    signer = FileKeySigner.open(signed_store, PASSPHRASE)
    again = export.export_return(signed_store, PERIOD, tmp_path / "再次", version=1, signer=signer)
    first = [return_io.read_return(p, signed_store) for p in signed_files]
    second = [return_io.read_return(p, signed_store) for p in again]
    for a, b in zip(first, second, strict=True):
        assert (a.status, a.fingerprint, a.digest, a.reason) == (b.status, b.fingerprint, b.digest, b.reason)
    data = [openpyxl.load_workbook(p, read_only=True)[DATA_SHEET]["A2"].value for p in (signed_files[0], again[0])]
    assert data[0] == data[1]


# --- the command line ------------------------------------------------------------------------------------------

def test_cli_signed_export_and_verify(tmp_path: Path) -> None:
    county, prefecture = tmp_path / "宁洱", tmp_path / "普洱市"
    secret = tmp_path / "口令.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    assert run_cli(county, "setup", "--unit-code", "530821").returncode == 0
    assert run_cli(county, "demo").returncode == 0
    assert run_cli(county, "keys", "create", "--passphrase-file", str(secret)).returncode == 0
    # a wrong passphrase: clear message, nothing finalised, nothing written
    wrong = tmp_path / "错口令.txt"
    wrong.write_text("not-the-passphrase", encoding="utf-8")
    out = tmp_path / "U盘"
    proc = run_cli(county, "export", "--period", YEAR, "--out", str(out), "--passphrase-file", str(wrong))
    assert proc.returncode == 2 and "口令不正确" in proc.stderr and "未导出任何文件" in proc.stderr
    assert not out.exists() or not any(out.iterdir())
    assert "还没有定稿" in run_cli(county, "versions").stdout
    proc = run_cli(county, "export", "--period", YEAR, "--out", str(out), "--passphrase-file", str(secret))
    assert proc.returncode == 0, proc.stderr
    assert "已用本单位密钥签名" in proc.stdout
    files = sorted(out.iterdir())
    assert [p.suffix for p in files] == [".pdf", ".xlsx"]

    proc = run_cli(county, "verify", *map(str, files), "--json")
    assert proc.returncode == 0, proc.stdout
    results = json.loads(proc.stdout)
    assert [r["status"] for r in results] == ["valid", "valid"]
    for r in results:
        assert len(r["fingerprint"]) == 64 and r["reason"] and r["unit_code"] == "530821"
    assert results[1]["tables"]["T1"]["rows"]  # the return issue's fields are kept

    assert run_cli(prefecture, "setup", "--unit-code", "530800").returncode == 0
    proc = run_cli(prefecture, "verify", *map(str, files))
    assert proc.returncode == 1 and "签名有效但未登记" in proc.stdout
    assert run_cli(county, "keys", "export", "--out", str(tmp_path / "登记")).returncode == 0
    (cert,) = (tmp_path / "登记").glob("*.cer")
    assert run_cli(prefecture, "trust", "add", str(cert)).returncode == 0
    proc = run_cli(prefecture, "verify", *map(str, files))
    assert proc.returncode == 0 and proc.stdout.count("验证通过") == 2

    tampered = tmp_path / "改过.pdf"
    data = bytearray(files[0].read_bytes())
    data[1000] ^= 0x01
    tampered.write_bytes(bytes(data))
    proc = run_cli(prefecture, "verify", str(tampered), str(files[1]), "--json")
    assert proc.returncode == 1
    assert [r["status"] for r in json.loads(proc.stdout)] == ["tampered", "valid"]


def test_cli_export_without_key_warns_and_no_sign(tmp_path: Path) -> None:
    county = tmp_path / "宁洱"
    assert run_cli(county, "setup", "--unit-code", "530821").returncode == 0
    assert run_cli(county, "demo").returncode == 0
    proc = run_cli(county, "export", "--period", YEAR, "--out", str(tmp_path / "a"))
    assert proc.returncode == 0 and "尚未创建签名密钥" in proc.stderr
    secret = tmp_path / "口令.txt"
    secret.write_text(PASSPHRASE, encoding="utf-8")
    assert run_cli(county, "keys", "create", "--passphrase-file", str(secret)).returncode == 0
    proc = run_cli(county, "export", "--period", YEAR, "--out", str(tmp_path / "b"), "--no-sign")
    assert proc.returncode == 0 and "签名" not in proc.stdout
    proc = run_cli(county, "export", "--period", YEAR, "--out", str(tmp_path / "c"))  # stdin is no terminal
    assert proc.returncode == 2 and "--passphrase-file" in proc.stderr
    proc = run_cli(county, "export", "--period", YEAR, "--out", str(tmp_path / "d"), "--passphrase-file",
                   str(secret), "--seal-image", str(secret))
    assert proc.returncode == 2 and "印章图片" in proc.stderr


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler 的 pdfsig 未安装")
def test_poppler_recognises_the_exported_signature(signed_files: tuple[Path, Path]) -> None:
    out = subprocess.run(["pdfsig", str(signed_files[1])], capture_output=True, check=False, timeout=60).stdout.decode()
    assert "Signature Validation: Signature is Valid." in out and "Total document signed" in out


def test_the_kept_seal_image_appears_in_the_signature_box(demo_store: Store, tmp_path: Path) -> None:
    from PIL import Image, ImageDraw

    from models.signing.pdf import save_seal_image

    seal = tmp_path / "公章.png"
    image = Image.new("RGBA", (320, 320), (255, 255, 255, 0))
    ImageDraw.Draw(image).ellipse((8, 8, 312, 312), outline=(200, 0, 0, 255), width=10)
    image.save(seal)
    make_key(demo_store)
    save_seal_image(demo_store, seal)
    signer = FileKeySigner.open(demo_store, PASSPHRASE)
    (pdf,) = export.export_return(demo_store, PERIOD, tmp_path / "U盘", ["pdf"], signer=signer)
    from pypdf import PdfReader

    from models.export_pdf import signature_box_pdf

    def cover_images(path: Path) -> list[tuple[float, float, float, float]]:
        """Where the cover draws images (x1, y1, x2, y2): the seal is drawn in the page itself, inside the signed bytes."""
        found: list[tuple[float, float, float, float]] = []

        def visit(operator: bytes, operands: list[Any], cm: list[float], _tm: list[float]) -> None:
            if operator == b"Do":
                a, _b, _c, d, e, f = cm
                found.append((e, f, e + a, f + d))

        PdfReader(path).pages[0].extract_text(visitor_operand_before=visit)
        return found

    (drawn,) = cover_images(pdf)
    x1, y1, x2, y2 = signature_box_pdf()
    assert x1 <= drawn[0] < drawn[2] <= x2 and y1 <= drawn[1] < drawn[3] <= y2, (drawn, signature_box_pdf())
    assert return_io.read_return(pdf, demo_store).status == return_io.VALID
    save_seal_image(demo_store, None)
    (plain,) = export.export_return(demo_store, PERIOD, tmp_path / "无印章", ["pdf"], version=1, signer=signer)
    assert cover_images(plain) == []


def test_edited_cover_contacts_and_notes_are_tampering(demo_store: Store, tmp_path: Path) -> None:
    from models.export_xlsx import write_xlsx
    from models.signing.package import sign_package

    make_key(demo_store)
    signer = FileKeySigner.open(demo_store, PASSPHRASE)
    ret = versions.finalise(demo_store, PERIOD)
    ret.notes = [{"code": "change.over_50", "where": "T3/total/participants", "message": "参训人次比上期增加 80%",
                  "text": "今年新增两期新型学徒制培训"}]
    path = tmp_path / "有说明.xlsx"
    write_xlsx(ret, path, fingerprint=group_hex(signer.fingerprint))
    sign_package(path, ret, signer)
    assert return_io.read_return(path, demo_store).status == return_io.VALID
    for sheet, find, column, value in (("封面", "单位负责人：", 2, "张三"), ("审核说明", "1", 2, "另写的说明")):
        edited = tmp_path / f"改{sheet}.xlsx"
        shutil.copy(path, edited)
        wb = openpyxl.load_workbook(edited)
        ws = wb[sheet]
        cells = next(r for r in ws.iter_rows() if find in (r[0].value, r[1].value))
        cells[column].value = value
        wb.save(edited)
        result = return_io.read_return(edited, demo_store)
        assert result.status == return_io.TAMPERED and sheet in result.reason, (sheet, result.reason)
