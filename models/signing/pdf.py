"""PDF returns: a standard PAdES signature with a visible box, and its verification.

Signing happens while the PDF is written, in one pass, by this program alone (no second writer, no second copy of
a province's thousands of pages):

1. :func:`prepare` before the PDF is written: the signing time (the local clock: there is no timestamp server
   offline, and the box says so), the box's text, the seal image checked, a random placeholder.
2. :func:`place` while reportlab draws the page that holds the box: the box (border, the optional seal image behind
   the text, unit and code, time, certificate fingerprint) is drawn into the page's own content, and the page gets
   the signature field's widget (its appearance is empty: what the box shows is part of the page, inside the
   signed bytes). The document gets the signature dictionary (``/Filter /Adobe.PPKLite``, ``/SubFilter
   /ETSI.CAdES.detached``, a ``/ByteRange`` placeholder and ``/Contents`` of zeros), the form (``/SigFlags 3``)
   and ``/Perms /DocMDP``: a certification signature that allows no changes, so the return is frozen once signed.
3. :func:`complete` once the PDF is written: the byte ranges (the whole file except the ``/Contents`` hex string)
   are written over the placeholder, their SHA-256 is signed by the :class:`~models.signing.provider.Signer`
   (a detached CMS, PAdES baseline B-B, :mod:`models.signing.cms_sign`) and the signature is written over the
   zeros, in place.

The text of the box is drawn with the bundled font like the rest of the page (embedded as a subset), so Chinese
unit names need nothing else.

Verification (pyHanko): integrity of the signed byte ranges, the signature value, the certificate (anchored at
itself), coverage of the whole file (anything appended after signing counts as tampering), then the registry
decides whether the signer is registered for the return's unit code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import os
import re
from pathlib import Path
from typing import Any, BinaryIO

from models.db import Store
from models.signing.common import (
    MALFORMED,
    TAMPERED,
    UNSIGNED,
    SigningError,
    Verdict,
    group_hex,
    quiet_library_logs,
)
from models.signing.provider import Signer

FIELD_NAME = "ChanGaiSignature"
STAMP_FONT_SIZE = 10
STAMP_LEADING = 14
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SEAL_MAX_PIXELS = 600
SEAL_OPACITY = 0.55
REASON = "产改统计报表电子签名（签名时间取自本机时钟）"
# Room for the CMS signature (about 1.2 KB with the embedded certificate; a provider with a certificate chain
# needs more): the /Contents hex string is twice as long.
CONTENTS_BYTES = 8192
_RANGE_WIDTH = 40  # "0 a b c" with offsets of up to 12 digits each, padded with spaces


@dataclasses.dataclass(frozen=True)
class SignatureStamp:
    """A signature being made: what the box shows and where, and the placeholder the PDF carries until it is
    signed (:func:`prepare`, :func:`place`, :func:`complete`)."""

    field_name: str
    rect: tuple[float, float, float, float]  # (x1, y1, x2, y2) in points, PDF user space
    lines: tuple[str, ...]
    when: dt.datetime  # aware, local
    unit_name: str
    seal: Any  # a Pillow image (RGB or RGBA) or None
    token: bytes  # the /ByteRange placeholder: random, so it occurs nowhere else in the file


def stamp_lines(unit_name: str, unit_code: str, fingerprint: str, when: dt.datetime) -> list[str]:
    """The text of the visible signature box (also used to check what a rendered box shows)."""
    from models.fonts import printable

    grouped = group_hex(fingerprint).split(" ")
    return [
        f"签名单位：{printable(unit_name)}",
        f"单位代码：{unit_code}",
        f"签名时间（本机时钟）：{when.strftime(TIME_FORMAT)}",
        "证书指纹（SHA-256）：",
        " ".join(grouped[:8]),
        " ".join(grouped[8:]),
    ]


def _seal_image(path: Path) -> Any:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            image = img.convert("RGBA") if img.mode not in ("RGB", "RGBA") else img.copy()
    except (OSError, UnidentifiedImageError) as exc:
        raise SigningError(f"印章图片“{path.name}”无法读取，请选择 PNG 或 JPG 图片") from exc
    image.thumbnail((SEAL_MAX_PIXELS, SEAL_MAX_PIXELS))
    return image


def prepare(signer: Signer, *, unit_name: str, unit_code: str, rect: tuple[float, float, float, float],
            field_name: str = FIELD_NAME, seal_image: Path | None = None, when: dt.datetime | None = None
            ) -> SignatureStamp:
    """Everything about the signature known before the PDF is written (SigningError for an unreadable seal)."""
    moment = (when or dt.datetime.now()).astimezone().replace(microsecond=0)
    seal = _seal_image(seal_image) if seal_image is not None else None
    x1, y1, x2, y2 = (float(round(v)) for v in rect)
    return SignatureStamp(field_name, (x1, y1, x2, y2),
                          tuple(stamp_lines(unit_name, unit_code, signer.fingerprint, moment)), moment, unit_name,
                          seal, b"changai-" + os.urandom(16).hex().encode("ascii"))


# --- placing the signature while the PDF is written -----------------------------------------------------------

def _signature_dictionary(stamp: SignatureStamp) -> Any:
    """The signature value, written by hand so that /ByteRange and /Contents have the placeholder's fixed widths
    (a reportlab object: the class is made on first use, reportlab being loaded only to write PDFs)."""
    from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFObject, PDFString

    from models.pdfa import pdf_date

    class SignatureDictionary(PDFObject):  # type: ignore[misc]
        def format(self, document: Any) -> bytes:
            rest = PDFDictionary({
                "M": PDFString(pdf_date(stamp.when)), "Name": PDFString(stamp.unit_name),
                "Location": PDFString(stamp.unit_name), "Reason": PDFString(REASON),
                "Reference": PDFArray([PDFDictionary({
                    "Type": "/SigRef", "TransformMethod": "/DocMDP",
                    "TransformParams": PDFDictionary({"Type": "/TransformParams", "V": "/1.2", "P": 1})})]),
            }).format(document)
            inner = rest.strip()[2:-2]  # the entries, without the dictionary's << >>
            return b"".join((b"<<\n/Type /Sig\n/Filter /Adobe.PPKLite\n/SubFilter /ETSI.CAdES.detached\n/ByteRange [",
                             stamp.token.ljust(_RANGE_WIDTH), b"]\n/Contents <", b"0" * (2 * CONTENTS_BYTES), b">",
                             inner, b">>"))

    return SignatureDictionary()


def place(canvas: Any, stamp: SignatureStamp) -> None:
    """Draw the box on ``canvas``'s current page and add the signature's objects to its document (call once, while
    the page that holds the box is being drawn, before ``showPage``)."""
    from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFStream, PDFString

    _draw_box(canvas, stamp)
    doc = canvas._doc  # reportlab's document: signature objects have no public API
    x1, y1, x2, y2 = stamp.rect
    value = doc.Reference(_signature_dictionary(stamp))
    appearance = doc.Reference(PDFStream(PDFDictionary({
        "Type": "/XObject", "Subtype": "/Form", "BBox": PDFArray([0, 0, x2 - x1, y2 - y1]),
        "Resources": PDFDictionary({})}), b""))
    widget = PDFDictionary({
        "FT": "/Sig", "T": PDFString(stamp.field_name), "Type": "/Annot", "Subtype": "/Widget",
        "F": 132,  # print, locked
        "Rect": PDFArray(list(stamp.rect)), "P": doc.thisPageRef(), "AP": PDFDictionary({"N": appearance}),
        "V": value})
    name = "ChanGaiSignatureField"
    canvas._addAnnotation(widget, name)
    catalog = doc.Catalog
    catalog.AcroForm = PDFDictionary({"Fields": PDFArray([doc.refAnnotation(name)]), "SigFlags": 3})
    if "Perms" not in catalog.__NoDefault__:  # the catalog writes only the keys its class names
        catalog.__NoDefault__ = [*catalog.__NoDefault__, "Perms"]
    catalog.Perms = PDFDictionary({"DocMDP": value})


def _draw_box(canvas: Any, stamp: SignatureStamp) -> None:
    from models.fonts import FONT_NAME, reportlab_font

    reportlab_font()
    x1, y1, x2, y2 = stamp.rect
    width, height = x2 - x1, y2 - y1
    canvas.saveState()
    canvas.setLineWidth(1)
    canvas.setStrokeColorRGB(0, 0, 0)
    canvas.rect(x1 + 0.5, y1 + 0.5, width - 1, height - 1, stroke=1, fill=0)
    if stamp.seal is not None:  # right-aligned, vertically centred, behind the text and see-through
        from reportlab.lib.utils import ImageReader

        room = min(width, height) - 8
        w, h = stamp.seal.size
        scale = min(room / w, room / h)
        canvas.setFillAlpha(SEAL_OPACITY)
        canvas.drawImage(ImageReader(stamp.seal), x2 - 4 - w * scale, y1 + (height - h * scale) / 2,
                         w * scale, h * scale, mask="auto")
        canvas.setFillAlpha(1)
    # Text top-left with small margins, shrunk to fit when a long unit name needs more room.
    from reportlab.pdfbase.pdfmetrics import stringWidth

    widest = max(stringWidth(line, FONT_NAME, STAMP_FONT_SIZE) for line in stamp.lines)
    scale = min(1.0, (width - 12) / widest, (height - 8) / (STAMP_LEADING * len(stamp.lines)))
    size, leading = STAMP_FONT_SIZE * scale, STAMP_LEADING * scale
    top = y1 + height / 2 + leading * len(stamp.lines) / 2
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont(FONT_NAME, size)
    for i, line in enumerate(stamp.lines):
        canvas.drawString(x1 + 6, top - size - i * leading + (leading - size) / 2, line)
    canvas.restoreState()


def import_signing_modules() -> None:
    """Import what signing uses ahead of it (asn1crypto's CMS types): pure imports, no other effect, so safe in a
    background thread while the key is opened (bcrypt-pbkdf, which leaves the interpreter free)."""
    import importlib

    for module in ("asn1crypto.cms", "asn1crypto.tsp", "models.signing.cms_sign"):
        importlib.import_module(module)


# --- signing the written PDF ----------------------------------------------------------------------------------

def complete(path: Path, stamp: SignatureStamp, signer: Signer) -> None:
    """Sign the PDF written at ``path`` with ``stamp`` placed in it, in place (``path`` is a temporary name). The file
    is read in pieces: a province's return of some 6,000 pages is never held in memory."""
    with open(path, "r+b") as fh:
        _sign_in_place(fh, stamp, signer)


def complete_bytes(data: bytes, stamp: SignatureStamp, signer: Signer) -> bytes:
    """:func:`complete` for a PDF held in memory."""
    buffer = io.BytesIO(data)
    _sign_in_place(buffer, stamp, signer)
    return buffer.getvalue()


_CHUNK = 1 << 20


def _find_once(fh: BinaryIO, token: bytes) -> int:
    """The offset of the only occurrence of ``token`` in ``fh``; SigningError when there is none or more."""
    found: list[int] = []
    offset, tail = 0, b""
    fh.seek(0)
    while chunk := fh.read(_CHUNK):
        window = tail + chunk
        base = offset - len(tail)
        at = window.find(token)
        while at >= 0:
            found.append(base + at)
            at = window.find(token, at + 1)
        offset += len(chunk)
        tail = window[-(len(token) - 1):]
    if len(set(found)) != 1:
        raise SigningError("PDF 签名失败：文件中没有（或不止一处）签名位置")
    return found[0]


def _sign_in_place(fh: BinaryIO, stamp: SignatureStamp, signer: Signer) -> None:
    at = _find_once(fh, stamp.token)
    opening = b"]\n/Contents <"
    start = at + _RANGE_WIDTH + len(opening) - 1  # the "<" of the hex string
    end = start + 2 * CONTENTS_BYTES + 2  # after its ">"
    fh.seek(at + _RANGE_WIDTH)
    if fh.read(len(opening)) != opening:
        raise SigningError("PDF 签名失败：签名位置的格式不对")
    fh.seek(end - 1)
    if fh.read(1) != b">":
        raise SigningError("PDF 签名失败：签名位置的格式不对")
    total = fh.seek(0, io.SEEK_END)
    fh.seek(at)
    fh.write(b"0 %d %d %d" % (start, end, total - end))  # the placeholder's width: padded with its spaces below
    fh.write(b" " * (_RANGE_WIDTH - (fh.tell() - at)))
    hasher = hashlib.sha256()
    for first, last in ((0, start), (end, total)):
        fh.seek(first)
        left = last - first
        while left > 0:
            chunk = fh.read(min(_CHUNK, left))
            if not chunk:
                raise SigningError("PDF 签名失败：文件在签名时被截断")
            hasher.update(chunk)
            left -= len(chunk)
    signature = signer.sign_pdf_digest(hasher.digest())
    if len(signature) > CONTENTS_BYTES:
        raise SigningError("PDF 签名失败：签名数据超出预留的长度")
    fh.seek(start + 1)
    fh.write(signature.hex().upper().encode("ascii").ljust(2 * CONTENTS_BYTES, b"0"))
    fh.flush()


# --- verification ------------------------------------------------------------------------------------------

def validation_context(cert: Any) -> Any:
    """pyHanko validation context that anchors trust at the signer's own certificate (offline, no fetching)."""
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(trust_roots=[cert], allow_fetching=False)


def verify_pdf(data: bytes, *, store: Store, unit_code: str | None = None) -> Verdict:
    """Verify a PDF return. ``unit_code`` is the unit the return claims to be from (default: the certificate's)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    from models.signing.payload import signer_facts, trust_verdict

    quiet_library_logs()
    if not data.startswith(b"%PDF"):
        return Verdict(MALFORMED, "不是 PDF 文件（文件头不对）")
    looks_signed = b"/ByteRange" in data
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception:  # pyHanko raises many error types on damaged files
        if looks_signed:
            return Verdict(TAMPERED, "文件带有签名，但签名后被改动，已无法正常读取")
        return Verdict(MALFORMED, "PDF 文件已损坏，无法读取")
    if not signatures:
        if looks_signed and re.search(rb"/Type\s*/Sig\b", data):  # a signature dictionary, no longer readable
            return Verdict(TAMPERED, "文件带有签名，但签名后被改动，签名已无法读取")
        return Verdict(UNSIGNED, "PDF 中没有电子签名")
    embedded = signatures[0]
    try:
        cert = embedded.signer_cert
        facts = signer_facts(cert)
    except Exception:
        return Verdict(TAMPERED if looks_signed else MALFORMED, "签名数据已损坏或被改动，无法读取签名证书")
    try:
        status = validate_pdf_signature(embedded, validation_context(cert))
    except Exception:
        return Verdict(TAMPERED, "签名数据已损坏或被改动，无法验证", **facts)
    reported = status.signer_reported_dt
    signed_at = reported.astimezone().isoformat(timespec="seconds") if reported else None
    if not status.intact:
        return Verdict(TAMPERED, "签名之后文件内容被修改过（签名范围内的字节与签名不符）", signed_at=signed_at, **facts)
    if not status.valid:
        return Verdict(TAMPERED, "签名值无效（签名或签名属性被改动）", signed_at=signed_at, **facts)
    if len(signatures) > 1 or status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return Verdict(TAMPERED, "签名之后文件又被追加了内容（例如用其他软件另存、批注或再次签名）",
                       signed_at=signed_at, **facts)
    problem = "" if status.trusted else "证书不在有效期内或用途不允许签名"
    return trust_verdict(store, facts, unit_code or facts["signer_code"], signed_at, status.trusted, problem)


def validation_summary(data: bytes) -> str:
    """pyHanko's own English validation report of the first signature (for support and the test suite)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    quiet_library_logs()
    embedded = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures[0]
    status = validate_pdf_signature(embedded, validation_context(embedded.signer_cert))
    return str(status.pretty_print_details())  # type: ignore[no-untyped-call]


def document_subject(data: bytes) -> str | None:
    """The /Subject of the PDF's document information (None when absent or unreadable)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        info = PdfFileReader(io.BytesIO(data), strict=False).trailer_view.get("/Info")
        subject = info.get_object().get("/Subject") if info is not None else None
    except Exception:  # a damaged file: the verification reports it
        return None
    return str(subject) if subject is not None else None


def check_seal_image(path: Path) -> None:
    """SigningError with a Chinese reason when ``path`` is not an image the signature box can show."""
    _seal_image(path)


# --- the unit's seal image for the signature box -----------------------------------------------------------

SEAL_FILE = "seal.png"


def stored_seal_image(store: Store) -> Path | None:
    """The seal image chosen for the signature box (kept in the data folder), or None."""
    if store.path is None:
        return None
    path = store.path.parent / SEAL_FILE
    return path if path.is_file() else None


def save_seal_image(store: Store, source: Path | None) -> Path | None:
    """Keep a copy of ``source`` (PNG/JPG, scaled to at most 600 px) as the seal image; None removes it."""
    from PIL import Image, UnidentifiedImageError

    from common.atomic_file import atomic_path

    if store.path is None:
        raise SigningError("内存中的临时数据库不能保存印章图片")
    target = store.path.parent / SEAL_FILE
    if source is None:
        target.unlink(missing_ok=True)
        return None
    try:
        with Image.open(source) as img:
            img.load()
            image = img.convert("RGBA")
    except (OSError, UnidentifiedImageError) as exc:
        raise SigningError(f"印章图片“{Path(source).name}”无法读取，请选择 PNG 或 JPG 图片") from exc
    image.thumbnail((SEAL_MAX_PIXELS, SEAL_MAX_PIXELS))
    with atomic_path(target) as tmp:
        image.save(tmp, format="PNG")
    return target
