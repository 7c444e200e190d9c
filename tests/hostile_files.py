"""Hostile files a USB stick may carry, built from a genuine workbook (shared by tests and bench/)."""

from __future__ import annotations

import os
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path


def _copy_with(source: Path, target: Path, edit: Callable[[dict[str, bytes]], None], *,
               keep_signature: bool = True) -> Path:
    with zipfile.ZipFile(source) as zf:
        names = zf.namelist()
        parts = {n: zf.read(n) for n in names}
    edit(parts)
    if not keep_signature:
        parts.pop("changai/signature.sig", None)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in [*names, *(n for n in parts if n not in names)]:
            if name in parts:
                zf.writestr(name, parts[name])
    return target


def _sheet1_cell(parts: dict[str, bytes], ref: str, prefix: str = "") -> None:
    text = parts["xl/worksheets/sheet1.xml"].decode("utf-8")
    row = int(re.sub(r"[A-Z]", "", ref))
    if prefix:  # the main namespace under a second name, as XML allows
        text = text.replace("<worksheet ", f'<worksheet xmlns:{prefix[:-1]}="{_MAIN_NS}" ', 1)
    text = text.replace("</sheetData>", f'<{prefix}row r="{row}"><{prefix}c r="{ref}"><{prefix}v>1</{prefix}v>'
                                        f'</{prefix}c></{prefix}row></sheetData>')
    parts["xl/worksheets/sheet1.xml"] = text.encode("utf-8")


_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def far_cell(source: Path, target: Path, ref: str = "XFD1048576", prefix: str = "") -> Path:
    """A genuine return plus one cell far away (the Excel reader would allocate rows × columns), its element name
    with a namespace ``prefix`` (``"my-ns:"``) if given."""
    return _copy_with(source, target, lambda parts: _sheet1_cell(parts, ref, prefix))


def second_position(source: Path, target: Path, ref: str = "XFD400000", *, between: str = "") -> Path:
    """A cell at A40 whose tag says ``r`` once more, far away (calamine goes by the last one); ``between`` the two,
    e.g. `` x=">"``, a ``>`` inside quotes that ended the tag for a scan."""
    def edit(parts: dict[str, bytes]) -> None:
        text = parts["xl/worksheets/sheet1.xml"].decode("utf-8")
        parts["xl/worksheets/sheet1.xml"] = text.replace(
            "</sheetData>", f'<row r="40"><c r="A40"{between} r="{ref}"><v>1</v></c></row></sheetData>').encode("utf-8")
    return _copy_with(source, target, edit)


def strings_count(source: Path, target: Path, count: str = "2000000000") -> Path:
    """The shared strings table claims ``count`` strings (calamine sets room aside for them before reading any)."""
    def edit(parts: dict[str, bytes]) -> None:
        parts["xl/sharedStrings.xml"] = re.sub(rb'uniqueCount="[^"]*"', f'uniqueCount="{count}"'.encode("ascii"),
                                               parts["xl/sharedStrings.xml"])
    return _copy_with(source, target, edit)


def moved_sheet(source: Path, target: Path, ref: str = "XFD400000", where: str = "xl/other/s1.bin") -> Path:
    """The first sheet moved outside ``xl/worksheets/`` (the workbook's relationship points there, which is where
    calamine reads it from), with a cell far away."""
    def edit(parts: dict[str, bytes]) -> None:
        _sheet1_cell(parts, ref)
        parts[where] = parts.pop("xl/worksheets/sheet1.xml")
        rels = parts["xl/_rels/workbook.xml.rels"].decode("utf-8")
        moved = re.sub(r'Target="(/xl/)?worksheets/sheet1\.xml"', f'Target="/{where}"', rels)
        assert moved != rels
        parts["xl/_rels/workbook.xml.rels"] = moved.encode("utf-8")
    return _copy_with(source, target, edit)


def far_dimension(source: Path, target: Path) -> Path:
    """Only the sheet's declared <dimension> is huge."""
    def edit(parts: dict[str, bytes]) -> None:
        text = parts["xl/worksheets/sheet1.xml"].decode("utf-8")
        parts["xl/worksheets/sheet1.xml"] = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>',
                                                   text).encode("utf-8")
    return _copy_with(source, target, edit)


def endless_tags(source: Path, target: Path, tag: bytes = b"<c ", size: int = 1_000_000) -> Path:
    """A sheet of a megabyte of start tags that never end (``<c <c <c …``), a few KB compressed (just under the size
    from which the compression ratio is checked): a scan whose patterns only stop at a ``>`` would go through the
    rest of the sheet at every tag, for hours."""
    def edit(parts: dict[str, bytes]) -> None:
        text = parts["xl/worksheets/sheet1.xml"]
        start = text.index(b"<sheetData>") + len(b"<sheetData>")
        parts["xl/worksheets/sheet1.xml"] = text[:start] + tag * (size // len(tag)) + text[start:]
    return _copy_with(source, target, edit)


def broken_sheet(source: Path, target: Path, *, keep_signature: bool = True) -> Path:
    """A cell that never ends in the first sheet (``<c …><v>1</v></row>``): within every limit of the scan, but no
    XML calamine can read."""
    def edit(parts: dict[str, bytes]) -> None:
        text = parts["xl/worksheets/sheet1.xml"]
        parts["xl/worksheets/sheet1.xml"] = text.replace(b"</sheetData>",
                                                         b'<row r="99"><c r="A99"><v>1</v></row></sheetData>')
    return _copy_with(source, target, edit, keep_signature=keep_signature)


def many_cells(source: Path, target: Path, rows: int = 25_000, cols: int = 90, *, keep_signature: bool = True) -> Path:
    """Millions of small cells, compressed well below the file size limit."""
    def edit(parts: dict[str, bytes]) -> None:
        body = "".join(f'<row r="{r}">' + "".join(f'<c r="{_col(c)}{r}"><v>1</v></c>' for c in range(1, cols + 1))
                       + "</row>" for r in range(1000, 1000 + rows))
        text = parts["xl/worksheets/sheet1.xml"].decode("utf-8")
        parts["xl/worksheets/sheet1.xml"] = text.replace("</sheetData>", body + "</sheetData>").encode("utf-8")
    return _copy_with(source, target, edit, keep_signature=keep_signature)


def _col(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def extra_part_claimed_huge(source: Path, target: Path, claimed: int = 2 * 1024**3) -> Path:
    """A genuine return plus a small extra part whose directory entry claims ``claimed`` bytes."""
    _copy_with(source, target, lambda parts: parts.__setitem__("xl/media/extra.bin", b"\0" * 1000))
    data = bytearray(target.read_bytes())
    name = b"xl/media/extra.bin"
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        at = 0
        while True:
            at = data.find(signature, at)
            if at < 0:
                break
            name_offset = 46 if signature == b"PK\x01\x02" else 30
            if data[at + name_offset:at + name_offset + len(name)] == name:
                struct.pack_into("<I", data, at + offset, claimed & 0xFFFFFFFF)
            at += 4
    target.write_bytes(bytes(data))
    return target


def sparse_big(source: Path, target: Path, size: int = 2 * 1024**3) -> Path:
    """A genuine return followed by 2 GiB of (sparse) zeros: the file itself is huge."""
    target.write_bytes(source.read_bytes())
    with open(target, "r+b") as fh:
        fh.truncate(size)
    return target


def compression_bomb(target: Path, size: int = 30 * 1024 * 1024) -> Path:
    """A zip whose one part inflates a thousandfold."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * size + b"</a>")
    return target


def many_entries(target: Path, count: int = 5000) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zf:
        for i in range(count):
            zf.writestr(f"x/{i}", b"")
    return target


def deflate_lies(source: Path, target: Path) -> Path:
    """A part whose stream inflates to more than its directory entry says."""
    far_cell(source, target, "A1")
    data = bytearray(target.read_bytes())
    at = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, at + 24, 10)  # first part claims 10 bytes uncompressed
    target.write_bytes(bytes(data))
    return target


def fifo(target: Path) -> Path:
    os.mkfifo(target)
    return target


def device_link(target: Path) -> Path:
    os.symlink("/dev/zero", target)
    return target


POSIX_ONLY = {"fifo", "device_link"}


def pdf_attachment_bomb(target: Path, inflated_mb: int = 200, *, params: bool = False) -> Path:
    """A PDF whose attached return (the name this program gives it) is ``inflated_mb`` MB of zeros, deflated a
    thousandfold: unsigned, so ``models.pdfa.attached_data`` is tried on it directly."""
    import zlib

    from models.pdfa import ATTACHMENT_NAME

    deflater = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    data = b"".join(deflater.compress(chunk) for _ in range(inflated_mb)) + deflater.flush()
    extra = b" /DecodeParms << /Predictor 1 >>" if params else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(%s) 4 0 R] >> >> >>"
        % ATTACHMENT_NAME.encode("ascii"),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Type /Filespec /F (%s) /EF << /F 5 0 R >> >>" % ATTACHMENT_NAME.encode("ascii"),
        b"<< /Type /EmbeddedFile /Filter /FlateDecode%s /Length %d >>\nstream\n" % (extra, len(data)) + data
        + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    target.write_bytes(bytes(out))
    return target
