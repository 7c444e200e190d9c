"""PAdES signatures on PDF files: signing, the visible box, verification, independent validation."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from signing_support import (
    OTHER_PASSPHRASE,
    PASSPHRASE,
    STAMP_RECT,
    make_key,
    other_unit_store,
    signed_pdf,
    simple_pdf,
)

from models.db import Store
from models.signing import MALFORMED, TAMPERED, UNREGISTERED, UNSIGNED, VALID, SigningError, group_hex, trust
from models.signing.pdf import complete_bytes, prepare, validation_summary, verify_pdf
from models.signing.provider import FileKeySigner


@pytest.fixture
def signed(county_store: Store) -> bytes:
    make_key(county_store)
    return signed_pdf(FileKeySigner.open(county_store, PASSPHRASE))


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
    signed = signed_pdf(signer, unit_name="宁洱")
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
    pdf = signed_pdf(FileKeySigner.open(impostor, OTHER_PASSPHRASE), unit_name="宁洱")
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
    pdf = signed_pdf(signer, seal_image=seal)
    assert b"/Image" in pdf
    assert verify_pdf(pdf, store=county_store, unit_code="530821").status == VALID
    bad = tmp_path / "不是图片.png"
    bad.write_bytes(b"nope")
    with pytest.raises(SigningError, match="印章图片"):
        prepare(signer, unit_name="宁洱", unit_code="530821", rect=STAMP_RECT, seal_image=bad)


def test_a_pdf_without_its_placed_signature_is_refused(county_store: Store) -> None:
    """Signing needs the placeholder the stamp put in the file, exactly once."""
    make_key(county_store)
    signer = FileKeySigner.open(county_store, PASSPHRASE)
    stamp = prepare(signer, unit_name="宁洱", unit_code="530821", rect=STAMP_RECT)
    with pytest.raises(SigningError, match="PDF 签名失败"):
        complete_bytes(simple_pdf(), stamp, signer)
    doubled = simple_pdf(stamp=stamp) + b"%" + stamp.token + b"\n"
    with pytest.raises(SigningError, match="PDF 签名失败"):
        complete_bytes(doubled, stamp, signer)
    other = prepare(signer, unit_name="宁洱", unit_code="530821", rect=STAMP_RECT)
    assert other.token != stamp.token


def test_the_signature_covers_the_whole_file_but_its_value(signed: bytes) -> None:
    """One revision: the byte ranges run from the first byte to the last, leaving out only the /Contents string;
    the box is drawn in the page's own content (signed) and the widget's appearance is empty."""
    start, length, after, rest = byte_range(signed)
    assert start == 0 and after + rest == len(signed)
    assert signed[length:length + 1] == b"<" and signed[after - 1:after] == b">"
    assert signed.count(b"%%EOF") == 1 and signed.count(b"/ByteRange") == 1
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(signed))
    (embedded,) = reader.embedded_signatures
    assert embedded.sig_object["/Reference"][0]["/TransformParams"]["/P"] == 1  # certification: no changes
    assert reader.root["/Perms"]["/DocMDP"].get_object()["/SubFilter"] == "/ETSI.CAdES.detached"
    widget = embedded.sig_field
    assert widget["/F"] == 132 and [round(float(v)) for v in widget["/Rect"]] == list(STAMP_RECT)
    assert widget["/AP"]["/N"].get_object().data == b""


def test_a_byte_range_rewritten_to_leave_out_a_change_is_tampering(county_store: Store, signed: bytes) -> None:
    """The ranges must cover everything but the signature value: narrowing them to hide a change fails."""
    _start, length, after, rest = byte_range(signed)
    data = bytearray(signed)
    data[len(data) - 40] ^= 0x01  # a change near the end ...
    field = signed[signed.index(b"/ByteRange [") + 12:signed.index(b"]", signed.index(b"/ByteRange ["))]
    narrowed = f"0 {length} {after} {rest - 60}".encode().ljust(len(field))  # ... left out of the ranges
    at = signed.index(field)
    data[at:at + len(field)] = narrowed
    assert verify_pdf(bytes(data), store=county_store, unit_code="530821").status == TAMPERED


def test_something_hidden_in_the_signature_value_is_tampering(county_store: Store, signed: bytes) -> None:
    """The unsigned hole holds the signature's hex string and nothing else: anything put there is refused."""
    _start, length, after, _rest = byte_range(signed)
    hole = signed[length:after]
    assert hole[1:5] == b"3082"  # a DER SEQUENCE with a two-byte length: its whole size is known
    signature = hole[1:1 + 2 * (4 + int(hole[5:9], 16))]
    smuggled = (b"<" + signature + b"> /Extra (hidden) ").ljust(len(hole) - 1) + b">"
    data = signed[:length] + smuggled + signed[after:]
    verdict = verify_pdf(data, store=county_store, unit_code="530821")
    assert verdict.status == TAMPERED, verdict
    # the control: the same signature, padded with zeros as written, verifies
    padded = (b"<" + signature).ljust(len(hole) - 1, b"0") + b">"
    assert verify_pdf(signed[:length] + padded + signed[after:], store=county_store, unit_code="530821").status == VALID


def test_a_later_revision_changing_the_xmp_metadata_is_tampering(county_store: Store, signed: bytes) -> None:
    """pyHanko's look at what a later revision changed reads the XMP metadata (with lxml, which the built program
    therefore carries): such a file is reported as changed after signing."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    packet = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/><?xpacket end="w"?>'
    metadata = generic.StreamObject({generic.pdf_name("/Type"): generic.pdf_name("/Metadata"),
                                     generic.pdf_name("/Subtype"): generic.pdf_name("/XML")}, stream_data=packet)
    writer.root[generic.pdf_name("/Metadata")] = writer.add_object(metadata)
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    verdict = verify_pdf(out.getvalue(), store=county_store, unit_code="530821")
    assert verdict.status == TAMPERED and "追加" in verdict.reason


@settings(max_examples=200, deadline=None)
@given(before=st.binary(max_size=60), after=st.binary(max_size=60), chunk=st.integers(1, 50))
def test_the_placeholder_is_found_across_pieces(before: bytes, after: bytes, chunk: int) -> None:
    """The file is read in pieces: the placeholder is found wherever the pieces cut it, and only once."""
    from hypothesis import assume

    from models.signing import pdf

    token = b"changai-0123456789abcdef"
    assume(token not in before + token[:-1] and token not in token[1:] + after and token not in before + after)
    original = pdf._CHUNK
    pdf._CHUNK = chunk
    try:
        assert pdf._find_once(io.BytesIO(before + token + after), token) == len(before)
        with pytest.raises(SigningError):
            pdf._find_once(io.BytesIO(before + token + after + token), token)
        with pytest.raises(SigningError):
            pdf._find_once(io.BytesIO(before + after), token)
    finally:
        pdf._CHUNK = original
