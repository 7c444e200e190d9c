"""PDF returns: a standard PAdES signature with a visible box, and its verification.

Signing (pyHanko): an incremental update of the finished PDF adds a signature field with a visible
appearance on the given page and rectangle, then a PAdES baseline B-B signature (sub-filter
``ETSI.CAdES.detached``, SHA-256, ECDSA P-256). There is no timestamp server offline, so the signing
time is the local clock, and the box says so. It is a certification signature that allows no changes:
the return is frozen once signed. The visible box names the unit and code, the time and the
certificate fingerprint; an optional seal image is drawn behind the text.

Chinese text needs pyHanko's OpenType support (fontTools + uharfbuzz) and the bundled single-face TrueType
font, rescaled to 1000 units per em (pyHanko assumes that scale for glyph widths). Subsetting that 4.6 MB
font costs close to a second, so the glyphs the box can use are subset once per unit name and cached (in
memory, and on disk when a cache folder is given).

Verification (pyHanko): integrity of the signed byte ranges, the signature value, the certificate
(anchored at itself), coverage of the whole file (anything appended after signing counts as tampering),
then the registry decides whether the signer is registered for the return's unit code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

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

if TYPE_CHECKING:
    from pyhanko.pdf_utils.font.api import FontEngine
    from pyhanko.pdf_utils.writer import BasePdfFileWriter

FIELD_NAME = "ChanGaiSignature"
STAMP_FONT_SIZE = 10
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SEAL_MAX_PIXELS = 600
# Glyphs any stamp may need besides the unit's name: digits, hex, punctuation and the fixed labels.
_STAMP_BASE_CHARS = "0123456789ABCDEFabcdef -:+.()（）：，、/□" + "签名单位时间本机时钟证书指纹代码电子章已"


@dataclasses.dataclass(frozen=True)
class StampBox:
    """Where the visible signature goes: page index (0 = first) and rectangle (x1, y1, x2, y2) in points."""

    rect: tuple[float, float, float, float]
    page: int = 0
    seal_image: Path | None = None


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


# --- the stamp font ----------------------------------------------------------------------------------------

def _font_path() -> Path:
    from common.paths import resource_path

    return resource_path("fonts", "WenQuanYiMicroHei.ttf")


@functools.lru_cache(maxsize=16)
def _subset_in_memory(chars: str, font_id: str) -> bytes:
    from fontTools import subset

    options = subset.Options()
    options.drop_tables += ["FFTM"]  # a FontForge timestamp table fontTools cannot subset (it logs a warning)
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(_font_path()), options)
    try:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=chars)
        subsetter.subset(font)
        # pyHanko writes glyph widths in font units as if every font had 1000 units per em (true of CFF
        # fonts); this TrueType font has 2048, which would spread the glyphs twice as wide. Rescale the subset.
        if font["head"].unitsPerEm != 1000:
            from fontTools.ttLib.scaleUpem import scale_upem

            scale_upem(font, 1000)
        out = io.BytesIO()
        font.save(out)
    finally:
        font.close()
    return out.getvalue()


def stamp_font_bytes(text: str, cache_dir: Path | None = None) -> bytes:
    """A small TrueType subset of the bundled font holding every glyph ``text`` (plus digits etc.) needs."""
    from common.atomic_file import write_bytes_atomic

    font = _font_path()
    chars = "".join(sorted(set(text) | set(_STAMP_BASE_CHARS)))
    font_id = f"{font.name}:{font.stat().st_size}"
    key = hashlib.sha256(f"{font_id}\n{chars}".encode()).hexdigest()[:24]
    cached = cache_dir / f"stamp-{key}.ttf" if cache_dir else None
    if cached is not None and cached.is_file():
        data = cached.read_bytes()
        if data[:4] in (b"\x00\x01\x00\x00", b"true"):
            return data
    data = _subset_in_memory(chars, font_id)
    if cached is not None:
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
            write_bytes_atomic(cached, data)
    return data


def _font_factory(font_bytes: bytes, size: int) -> Any:
    from pyhanko.pdf_utils.font.api import FontEngineFactory

    try:
        from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
    except ImportError as exc:  # pyHanko's "opentype" extra: fontTools and uharfbuzz
        raise SigningError("程序缺少PDF签名框所需的字体组件（uharfbuzz），请重新安装本程序") from exc

    class _InMemoryFont(FontEngineFactory):
        def create_font_engine(self, writer: BasePdfFileWriter, obj_stream: Any = None) -> FontEngine:
            if obj_stream is None and writer.stream_xrefs:
                obj_stream = writer.prepare_object_stream()  # type: ignore[no-untyped-call]
            return GlyphAccumulator(writer=writer, font_handle=io.BytesIO(font_bytes), font_size=size,
                                    obj_stream=obj_stream)

    return _InMemoryFont()


def _seal_content(path: Path) -> Any:
    from PIL import Image, UnidentifiedImageError
    from pyhanko.pdf_utils.images import PdfImage

    try:
        with Image.open(path) as img:
            img.load()
            image = img.convert("RGBA") if img.mode not in ("RGB", "RGBA") else img.copy()
    except (OSError, UnidentifiedImageError) as exc:
        raise SigningError(f"印章图片“{path.name}”无法读取，请选择 PNG 或 JPG 图片") from exc
    image.thumbnail((SEAL_MAX_PIXELS, SEAL_MAX_PIXELS))
    return PdfImage(image)


def import_signing_modules() -> None:
    """Import what signing a return uses from pyHanko and fontTools (a sixth of a second in a fresh process).

    Pure imports, no other effect: safe in a background thread while the key is opened (bcrypt-pbkdf, which
    leaves the interpreter free), so both take the time of the longer on a machine with two cores.
    """
    import importlib

    for module in ("pyhanko.sign.signers", "pyhanko.stamp", "pyhanko.pdf_utils.font.opentype",
                   "pyhanko.sign.validation"):
        importlib.import_module(module)


def warm_up(unit_name: str, unit_code: str, font_cache: Path | None = None) -> None:
    """Import pyHanko and prepare the stamp font ahead of signing (about half a second in a fresh process).

    Meant for a background thread while the user types the passphrase.
    """
    import_signing_modules()
    lines = stamp_lines(unit_name, unit_code, "0" * 64, dt.datetime.now())
    stamp_font_bytes("\n".join(lines), font_cache)


# --- signing -----------------------------------------------------------------------------------------------

def sign_pdf(pdf: bytes, signer: Signer, *, unit_name: str, unit_code: str, box: StampBox,
             font_cache: Path | None = None, when: dt.datetime | None = None, field_name: str = FIELD_NAME) -> bytes:
    """The signed PDF (the original bytes followed by one incremental update holding the signature)."""
    out = io.BytesIO()
    sign_pdf_stream(io.BytesIO(pdf), out, signer, unit_name=unit_name, unit_code=unit_code, box=box,
                    font_cache=font_cache, when=when, field_name=field_name)
    return out.getvalue()


def sign_pdf_stream(source: BinaryIO, output: BinaryIO, signer: Signer, *, unit_name: str, unit_code: str,
                    box: StampBox, font_cache: Path | None = None, when: dt.datetime | None = None,
                    field_name: str = FIELD_NAME) -> None:
    """:func:`sign_pdf` from a seekable ``source`` into ``output`` (readable, writable and seekable, e.g. a file
    opened ``w+b``): a province's return of some 6,000 pages is not held in memory twice more."""
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle

    quiet_library_logs()
    when = (when or dt.datetime.now()).astimezone()
    lines = stamp_lines(unit_name, unit_code, signer.fingerprint, when)
    text = "\n".join(lines)
    font = _font_factory(stamp_font_bytes(text, font_cache), STAMP_FONT_SIZE)
    style_args: dict[str, Any] = {}
    if box.seal_image is not None:
        style_args = {"background": _seal_content(box.seal_image), "background_opacity": 0.55,
                      "background_layout": layout.SimpleBoxLayoutRule(
                          x_align=layout.AxisAlignment.ALIGN_MAX, y_align=layout.AxisAlignment.ALIGN_MID,
                          margins=layout.Margins(4, 4, 4, 4))}
    # Text top-left with small margins, shrunk to fit when a long unit name needs more room.
    text_layout = layout.SimpleBoxLayoutRule(x_align=layout.AxisAlignment.ALIGN_MIN,
                                             y_align=layout.AxisAlignment.ALIGN_MID,
                                             margins=layout.Margins(6, 6, 4, 4))
    style = TextStampStyle(stamp_text="%(text)s",
                           text_box_style=TextBoxStyle(font=font, font_size=STAMP_FONT_SIZE,
                                                       leading=STAMP_FONT_SIZE + 4,
                                                       box_layout_rule=text_layout),
                           inner_content_layout=text_layout, border_width=1, **style_args)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        reason="产改统计报表电子签名（签名时间取自本机时钟）", location=unit_name, name=unit_name,
        certify=True, docmdp_permissions=fields.MDPPerm.NO_CHANGES)
    try:
        class _Writer(IncrementalPdfFileWriter):
            """PDF/A-3 is PDF 1.7: pyHanko would raise the catalog's /Version to 2.0 for the signature."""

            output_version = (1, 7)

            def ensure_output_version(self, version: tuple[int, int]) -> None:
                super().ensure_output_version(min(version, (1, 7)))  # type: ignore[no-untyped-call]

        writer = _Writer(source, strict=False)
        _same_producer_as_xmp(writer)
        x1, y1, x2, y2 = (round(v) for v in box.rect)
        fields.append_signature_field(writer, fields.SigFieldSpec(field_name, on_page=box.page, box=(x1, y1, x2, y2)))
        signers.PdfSigner(meta, signer=signer.pyhanko_signer(), stamp_style=style).sign_pdf(
            writer, output=output, appearance_text_params={"text": text})
    except (PdfError, ValueError, IndexError) as exc:
        raise SigningError(f"PDF 签名失败：{exc}") from exc


def _same_producer_as_xmp(writer: Any) -> None:
    """pyHanko names itself the producer of the signed revision in the XMP packet, but only appends its name to the
    document information's producer: PDF/A wants both to say the same, so the information says pyHanko's name too."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.metadata.model import VENDOR

    pdf_generic: Any = generic  # pyHanko's objects are untyped
    info = writer.trailer_view.raw_get("/Info")
    if isinstance(info, pdf_generic.IndirectObject):
        info.get_object()[pdf_generic.pdf_name("/Producer")] = pdf_generic.TextStringObject(VENDOR)


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
    _seal_content(path)


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
