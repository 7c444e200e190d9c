"""PAdES signatures on PDF files: signing, the visible box, verification, independent validation."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from signing_support import OTHER_PASSPHRASE, PASSPHRASE, STAMP_RECT, make_key, other_unit_store, simple_pdf

from models.db import Store
from models.signing import MALFORMED, TAMPERED, UNREGISTERED, UNSIGNED, VALID, SigningError, group_hex, trust
from models.signing.pdf import StampBox, sign_pdf, validation_summary, verify_pdf
from models.signing.provider import FileKeySigner


@pytest.fixture
def signed(county_store: Store, data_dir: Path) -> bytes:
    make_key(county_store)
    signer = FileKeySigner.open(county_store, PASSPHRASE)
    return sign_pdf(simple_pdf(), signer, unit_name="宁洱哈尼族彝族自治县总工会", unit_code="530821",
                    box=StampBox(STAMP_RECT), font_cache=data_dir / "cache")


def byte_range(data: bytes) -> list[int]:
    start = data.rindex(b"/ByteRange")
    inner = data[data.index(b"[", start) + 1:data.index(b"]", start)]
    return [int(v) for v in inner.split()]


def test_signed_pdf_verifies_for_its_own_unit(county_store: Store, signed: bytes) -> None:
    verdict = verify_pdf(signed, store=county_store, unit_code="530821")
    assert verdict.status == VALID, verdict.reason
    assert verdict.signer_code == "530821" and verdict.signer_name == "宁洱哈尼族彝族自治县总工会"
    assert verdict.fingerprint == county_store.scalar("SELECT fingerprint FROM own_keys")
    assert verdict.signed_at


def test_pyhanko_validates_the_pdf_independently(county_store: Store, signed: bytes) -> None:
    """pyHanko's own validator, given only the certificate, judges the signature valid (no app code)."""
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    pem = county_store.scalar("SELECT cert_pem FROM own_keys")
    der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)
    root = asn1_x509.Certificate.load(der)
    reader = PdfFileReader(io.BytesIO(signed))
    (embedded,) = reader.embedded_signatures
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[root], allow_fetching=False))
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.md_algorithm == "sha256"
    summary = validation_summary(signed)
    assert "The signature is judged VALID." in summary and "secp256r1" in summary


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler 的 pdfsig 未安装")
def test_poppler_recognises_the_signature(signed: bytes, tmp_path: Path) -> None:
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, check=False, timeout=60).stdout.decode()
    assert "Signature Validation: Signature is Valid." in out
    assert "Total document signed" in out
    assert "ETSI.CAdES.detached" in out


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler 的 pdftotext 未安装")
def test_visible_box_names_unit_time_and_fingerprint(county_store: Store, signed: bytes, tmp_path: Path) -> None:
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(path), "-"], capture_output=True, check=True,
                          timeout=60).stdout.decode()
    fingerprint = county_store.scalar("SELECT fingerprint FROM own_keys")
    assert "签名单位：宁洱哈尼族彝族自治县总工会" in text and "单位代码：530821" in text
    assert "签名时间（本机时钟）" in text
    groups = group_hex(fingerprint).split(" ")
    assert " ".join(groups[:8]) in text and " ".join(groups[8:]) in text


def test_flipping_one_byte_in_the_signed_range_is_tampering(county_store: Store, signed: bytes) -> None:
    ranges = byte_range(signed)
    for offset in (ranges[1] // 2, ranges[2] + (ranges[3] // 2), 200):
        data = bytearray(signed)
        data[offset] ^= 0x01
        verdict = verify_pdf(bytes(data), store=county_store, unit_code="530821")
        assert verdict.status == TAMPERED, (offset, verdict)


def test_changed_document_info_is_tampering(county_store: Store) -> None:
    make_key(county_store)
    signer = FileKeySigner.open(county_store, PASSPHRASE)
    signed = sign_pdf(simple_pdf(), signer, unit_name="宁洱", unit_code="530821", box=StampBox(STAMP_RECT))
    info_at = signed.index(b"/Producer")
    data = bytearray(signed)
    data[info_at + 12] ^= 0x02
    assert verify_pdf(bytes(data), store=county_store, unit_code="530821").status == TAMPERED


def test_bytes_appended_after_signing_are_tampering(county_store: Store, signed: bytes) -> None:
    verdict = verify_pdf(signed + b"\n% appended\n", store=county_store, unit_code="530821")
    assert verdict.status == TAMPERED and "追加" in verdict.reason


def test_an_incremental_update_after_signing_is_tampering(county_store: Store, signed: bytes) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    info = writer.trailer["/Info"]
    info["/Title"] = generic.pdf_string("改过的标题")
    writer.update_container(info)
    out = io.BytesIO()
    writer.write(out)
    verdict = verify_pdf(out.getvalue(), store=county_store, unit_code="530821")
    assert verdict.status == TAMPERED


def test_unsigned_and_malformed_files(county_store: Store) -> None:
    assert verify_pdf(simple_pdf(), store=county_store).status == UNSIGNED
    assert verify_pdf(b"PK\x03\x04 not a pdf", store=county_store).status == MALFORMED
    assert verify_pdf(b"%PDF-1.7\n garbage", store=county_store).status in (MALFORMED, UNSIGNED)


def test_truncated_signed_file(county_store: Store, signed: bytes) -> None:
    verdict = verify_pdf(signed[: len(signed) // 2], store=county_store, unit_code="530821")
    assert verdict.status in (TAMPERED, MALFORMED)


def test_signer_not_registered_with_the_receiver(county_store: Store, signed: bytes, tmp_path: Path) -> None:
    receiver = other_unit_store(tmp_path / "普洱市", "530800")
    verdict = verify_pdf(signed, store=receiver, unit_code="530821")
    assert verdict.status == UNREGISTERED and "未在本单位登记" in verdict.reason
    trust.register(receiver, county_store.scalar("SELECT cert_pem FROM own_keys").encode())
    assert verify_pdf(signed, store=receiver, unit_code="530821").status == VALID
    # the same signer claiming another unit's return
    assert verify_pdf(signed, store=receiver, unit_code="530822").status == UNREGISTERED


def test_an_unregistered_certificate_signing_in_a_units_name(county_store: Store, tmp_path: Path) -> None:
    """Someone makes a key for 530821 on another PC: the signature is sound but not registered."""
    impostor = other_unit_store(tmp_path / "冒充", "530821")
    make_key(county_store)
    pdf = sign_pdf(simple_pdf(), FileKeySigner.open(impostor, OTHER_PASSPHRASE), unit_name="宁洱",
                   unit_code="530821", box=StampBox(STAMP_RECT))
    verdict = verify_pdf(pdf, store=county_store, unit_code="530821")
    assert verdict.status == UNREGISTERED


def test_seal_image_in_the_box(county_store: Store, tmp_path: Path) -> None:
    from PIL import Image, ImageDraw

    seal = tmp_path / "印章.png"
    image = Image.new("RGBA", (300, 300), (255, 255, 255, 0))
    ImageDraw.Draw(image).ellipse((10, 10, 290, 290), outline=(200, 0, 0, 255), width=12)
    image.save(seal)
    make_key(county_store)
    signer = FileKeySigner.open(county_store, PASSPHRASE)
    pdf = sign_pdf(simple_pdf(), signer, unit_name="宁洱哈尼族彝族自治县总工会", unit_code="530821",
                   box=StampBox(STAMP_RECT, seal_image=seal))
    assert b"/Image" in pdf
    assert verify_pdf(pdf, store=county_store, unit_code="530821").status == VALID
    bad = tmp_path / "不是图片.png"
    bad.write_bytes(b"nope")
    with pytest.raises(SigningError, match="印章图片"):
        sign_pdf(simple_pdf(), signer, unit_name="宁洱", unit_code="530821", box=StampBox(STAMP_RECT, seal_image=bad))


def test_box_on_a_missing_page_is_refused(county_store: Store) -> None:
    make_key(county_store)
    signer = FileKeySigner.open(county_store, PASSPHRASE)
    with pytest.raises(SigningError, match="PDF 签名失败"):
        sign_pdf(simple_pdf(pages=1), signer, unit_name="宁洱", unit_code="530821", box=StampBox(STAMP_RECT, page=5))


def test_stamp_font_subset_is_cached_on_disk(tmp_path: Path) -> None:
    from fontTools.ttLib import TTFont

    from models.signing.pdf import stamp_font_bytes

    cache = tmp_path / "cache"
    data = stamp_font_bytes("签名单位：宁洱哈尼族彝族自治县总工会", cache)
    files = list(cache.iterdir())
    assert len(files) == 1 and files[0].read_bytes() == data
    font = TTFont(io.BytesIO(data))
    assert font["head"].unitsPerEm == 1000
    assert "FFTM" not in font
    cmap = font.getBestCmap()
    assert all(ord(c) in cmap for c in "宁洱哈尼族彝族自治县总工会0123456789ABCDEF")
    assert len(data) < 200_000
    assert stamp_font_bytes("签名单位：宁洱哈尼族彝族自治县总工会", cache) == data


def test_warm_up_prepares_the_same_stamp_font(county_store: Store, tmp_path: Path) -> None:
    from models.signing.pdf import warm_up

    cache = tmp_path / "cache"
    warm_up("宁洱哈尼族彝族自治县总工会", "530821", cache)
    prepared = sorted(cache.iterdir())
    assert len(prepared) == 1
    make_key(county_store)
    sign_pdf(simple_pdf(), FileKeySigner.open(county_store, PASSPHRASE), unit_name="宁洱哈尼族彝族自治县总工会",
             unit_code="530821", box=StampBox(STAMP_RECT), font_cache=cache)
    assert sorted(cache.iterdir()) == prepared  # signing found the prepared subset
