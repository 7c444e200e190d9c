"""Bounded checks on a file before any reader (openpyxl, calamine, pyHanko) is let near it.

A file handed in on a USB stick may be hostile: a FIFO named ``.xlsx`` that blocks every reader, a workbook
whose single cell at ``XFD1048576`` makes the Excel reader allocate half a terabyte, a zip that claims a
2 GiB part, a compression bomb. Everything here reads only the zip directory and streams each part once
with a cap, so the cost of checking any file is bounded by the limits below whatever the file says.

Each failed check raises :class:`~models.returns.ReturnFormatError` with a Chinese reason naming what is
wrong; :func:`models.return_io.read_return` turns it into ``malformed``.
"""

from __future__ import annotations

import abc
import dataclasses
import functools
import hashlib
import operator
import os
import re
import stat
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

from models.returns import ReturnFormatError

MAX_FILE_BYTES = 64 * 1024 * 1024  # a provincial consolidated return with all rosters is a few MB
MAX_PDF_BYTES = 64 * 1024 * 1024
MAX_PARTS = 200  # an exported workbook has about 20
MAX_CENTRAL_DIRECTORY = 256 * 1024
MAX_PART_BYTES = 32 * 1024 * 1024  # uncompressed, one part (a 10,000-person roster sheet is about 5 MB)
MAX_TOTAL_BYTES = 96 * 1024 * 1024  # uncompressed, all parts
MAX_RATIO = 100  # uncompressed / compressed, for parts above RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_COLUMNS = 256  # the widest sheet of a return has 16 columns
MAX_ROWS = 500_000
MAX_SHEET_AREA = 1_000_000  # rows × columns a reader would allocate for one sheet
MAX_CELLS = 1_500_000  # all sheets
MAX_SECONDS = 10.0  # checking one file; the largest file within the limits above takes about 2.5 s
_CHUNK = 1024 * 1024

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"


@dataclasses.dataclass(frozen=True)
class Part:
    name: str
    size: int
    sha256: str


def check_regular_file(path: Path, limit: int = MAX_FILE_BYTES) -> os.stat_result:
    """``stat`` the path without opening it: refuse folders, FIFOs, devices, sockets, empty and oversized files."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ReturnFormatError("文件不存在") from None
    except PermissionError:
        raise ReturnFormatError("没有权限读取该文件") from None
    except OSError as exc:
        raise ReturnFormatError(f"无法读取文件信息（{exc.strerror or exc}）") from None
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise ReturnFormatError("这是一个文件夹，不是报表文件")
    if not stat.S_ISREG(mode):
        kind = "管道（FIFO）" if stat.S_ISFIFO(mode) else "设备" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) \
            else "套接字" if stat.S_ISSOCK(mode) else "特殊文件"
        raise ReturnFormatError(f"这不是普通文件，而是{kind}，拒绝读取")
    if info.st_size == 0:
        raise ReturnFormatError("文件是空的（0 字节）")
    if info.st_size > limit:
        raise ReturnFormatError(f"文件过大（{info.st_size / 1048576:.1f} MB，报表文件不超过 {limit // 1048576} MB）")
    return info


def check_zip_directory(path: Path, size: int) -> None:
    """Read the end-of-central-directory record by hand: refuse ZIP64, too many parts, a huge directory."""
    tail = min(size, 22 + 65535)
    with open(path, "rb") as fh:
        fh.seek(size - tail)
        data = fh.read(tail)
    at = data.rfind(_EOCD)
    if at < 0 or len(data) - at < 22:
        raise ReturnFormatError("文件已损坏或不完整（压缩结构无效）")
    (_sig, _disk, _cd_disk, _disk_entries, entries, cd_size, cd_offset, comment_len) = struct.unpack(
        "<4sHHHHIIH", data[at:at + 22])
    if data[:at].rfind(_EOCD64_LOCATOR) >= 0 and at >= 20 and data[at - 20:at - 16] == _EOCD64_LOCATOR:
        raise ReturnFormatError("文件使用了超大压缩格式（ZIP64），不是本程序导出的报表")
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        raise ReturnFormatError("文件使用了超大压缩格式（ZIP64），不是本程序导出的报表")
    if entries > MAX_PARTS:
        raise ReturnFormatError(f"文件包含的部件过多（{entries} 个，报表不超过 {MAX_PARTS} 个）")
    if cd_size > MAX_CENTRAL_DIRECTORY or cd_offset + cd_size > size:
        raise ReturnFormatError("文件的压缩目录异常（过大或超出文件末尾）")
    del comment_len


def check_zip_entries(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The declared sizes: per part, in total, compression ratio; duplicate or case-twin names."""
    infos = zf.infolist()
    if len(infos) > MAX_PARTS:
        raise ReturnFormatError(f"文件包含的部件过多（{len(infos)} 个）")
    seen: set[str] = set()
    total = 0
    for info in infos:
        key = info.filename.lower()
        if key in seen:
            raise ReturnFormatError(f"文件中部件“{info.filename}”出现了两次（可能是伪造的文件）")
        seen.add(key)
        if info.file_size > MAX_PART_BYTES:
            raise ReturnFormatError(f"文件中的部件“{info.filename}”过大（声明解压后 {info.file_size / 1048576:.0f} MB）")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ReturnFormatError(f"文件中的部件“{info.filename}”压缩比异常（疑似压缩炸弹）")
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise ReturnFormatError(f"文件解压后过大（{total / 1048576:.0f} MB）")
    return infos


# The patterns a worksheet is scanned with, for element names with a namespace prefix (``<x:c …>``) and, much
# faster (they start with a literal the regular-expression engine searches for directly), for the usual unprefixed
# ones; a chunk with no prefixed cell, row or dimension is scanned with the second set, which then finds exactly the
# same. A prefix is whatever calamine's XML reader takes for one: any bytes up to the first colon of the element's
# name, which ends at XML white space, ``/`` or ``>`` (``<my-ns:c``, ``<中:c``, ``<a=b:c`` are cells to it; a pattern
# that took only letters, digits and ``_`` for a prefix let a 40 KB workbook make it ask for 200 GB).
# A cell's (and a row's) pattern matches every start tag of one, once: with the position its ``r`` attribute gives,
# or, for a tag without one, with empty groups. A cell's third group is not empty when the rest of its tag is not
# plain: another ``r`` follows (calamine goes by a cell's last ``r``, also ``r = '…'``, and XML allows one: a cell
# at A40 that said r="XFD400000" after, unseen, made calamine ask for 200 GB), or the first ``>`` is followed by
# text, not a tag (a ``>`` inside an attribute's quotes, which XML allows, behind which the rest of the tag hid).
# An attribute is looked for up to the tag's end and never past a ``<`` (which no XML allows inside a tag): each try
# then stops at the next tag, and a chunk is scanned in one pass (tags without an end, ``<c <c <c …`` or
# ``<dimension <dimension …``, made the patterns that only stopped at a ``>`` go through the rest of the chunk at
# every tag: 48 KB of them took seconds, a 1 MB chunk hours); after the position, the rest of the tag is gone
# through once (at once when it holds no ``r``).
ANY_PREFIX = rb"(?:[^ \t\r\n<>/:]+:)?"
_PREFIXED = re.compile(rb":(?:c|row|dimension)\b")  # in every prefixed start tag of the three (and maybe elsewhere)
_PATTERNS = {
    prefix: (re.compile(rb"<%sdimension\b[^<>]*\bref=\"([^\"]*)\"" % prefix),
             re.compile(rb"<%sc(?:\s[^<>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\""
                        rb"(?:[^<>r]*+(?=>\s*(?:<|\Z)|<|\Z)|(?:[^<>r]++|\Br|r(?!\s*=))*+(r|>(?!\s*(?:<|\Z)))?)|[\s/>])"
                        % prefix),
             re.compile(rb"<%srow(?:\s[^<>]*?\br=\"([0-9]{1,7})\"|[\s/>])" % prefix))
    for prefix in (ANY_PREFIX, b"")
}
# The shared strings table's start tag (any prefix; "sst" is searched for directly), and the count calamine reads
_STRINGS_TAG = re.compile(rb"sst\b([^<]*)")  # up to the next tag: a ">" may stand inside an attribute's quotes
_UNIQUE_COUNT = re.compile(rb"uniqueCount\s*=\s*(?:\"([^\"<>]*)\"|'([^'<>]*)')")
_COUNT_TEXT = re.compile(rb"[0-9]{1,7}")
SHARED_STRINGS = "xl/sharedstrings.xml"  # the one part calamine reads them from (compared in lower case)
_UNPLACED_CELL = (b"", b"", b"")
_FIRST, _SECOND, _THIRD = operator.itemgetter(0), operator.itemgetter(1), operator.itemgetter(2)
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


def column_number(letters: str) -> int:
    """``A`` → 1, ``Z`` → 26, ``AA`` → 27, ``XFD`` → 16384 (the column letters of a cell reference)."""
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def _ref_position(ref: str) -> tuple[int, int]:
    match = _REF.match(ref)
    if match is None:
        raise ReturnFormatError(f"单元格地址“{ref[:20]}”无效")
    return int(match.group(2)), column_number(match.group(1))


class _Chunked(abc.ABC):
    """Streamed over a part's XML a chunk at a time, each chunk cut at its last ``<``: no tag is ever split."""

    def __init__(self, name_of: Callable[[], str]) -> None:
        self._name_of = name_of  # the sheet's name is looked up only to say what is wrong with it
        self._tail = b""

    @property
    def name(self) -> str:
        return self._name_of()

    def feed(self, chunk: bytes) -> None:
        data = self._tail + chunk
        cut = data.rfind(b"<")
        if cut < 0:
            self._tail, data = b"", data
        else:
            self._tail, data = data[cut:], data[:cut]
        if len(self._tail) > 65536:
            raise ReturnFormatError(f"工作表“{self.name}”中有过长的标记，文件结构异常")
        self._scan(data)

    def close(self) -> None:
        self._scan(self._tail)
        self._tail = b""

    def whole(self, xml: bytes) -> None:
        """Fed all of ``xml`` held in memory, a chunk at a time as a part read from a file (bounded lists)."""
        for start in range(0, len(xml), _CHUNK):
            self.feed(xml[start:start + _CHUNK])
        self.close()

    @abc.abstractmethod
    def _scan(self, data: bytes) -> None:
        """Look through ``data``, a run of whole tags; raise ``ReturnFormatError`` for what the reader must not see."""


class _StringsScan(_Chunked):
    """Streamed over the shared strings table (``xl/sharedStrings.xml``, where calamine reads it): calamine sets
    room aside for as many strings as its ``uniqueCount`` says before it reads any (``"2000000000"``: 48 GB)."""

    def _scan(self, data: bytes) -> None:
        for tag in _STRINGS_TAG.finditer(data):
            for match in _UNIQUE_COUNT.finditer(tag.group(1)):
                value = match.group(1) if match.group(1) is not None else match.group(2)
                if not _COUNT_TEXT.fullmatch(value) or int(value) > MAX_CELLS:
                    raise ReturnFormatError(f"文件中的共享字符串表声明了异常的条目数（{value[:20].decode('ascii', 'replace')}），"
                                            "不是报表文件")


class _SheetScan(_Chunked):
    """Streamed over a worksheet's XML: its claimed dimension and every cell position, within this module's limits
    (``bounded=False``: every cell position only, without limits: :func:`cell_extent`). ``numbered_rows``: a row
    without its number is refused too, as in this program's worksheets (it places no cell: a cell without its
    position is refused anywhere; a drawing's anchors are rows without one)."""

    def __init__(self, name_of: Callable[[], str], *, bounded: bool = True, numbered_rows: bool = True) -> None:
        super().__init__(name_of)
        self._bounded = bounded
        self._numbered_rows = numbered_rows
        self.max_row = 0
        self.max_col = 0
        self.cells = 0

    def _scan(self, data: bytes) -> None:
        patterns = _PATTERNS[b"" if _PREFIXED.search(data) is None else ANY_PREFIX]
        for match in patterns[0].finditer(data) if self._bounded else ():
            for ref in match.group(1).decode("ascii", "replace").split(":"):
                self._place(*_ref_position(ref))
        rows, refs = self._tags(data, patterns)
        self.cells += len(refs)
        if rows:
            self._place(max(map(int, rows)), 1)
        if refs:
            # each distinct row number and column once (a sheet of 3,000 cells has some 300 and 16)
            numbers, letters = set(map(_SECOND, refs)), set(map(_FIRST, refs))
            self._place(max(map(int, numbers)), max(column_number(x.decode("ascii")) for x in letters))

    def _tags(self, data: bytes,
              patterns: tuple[re.Pattern[bytes], ...]) -> tuple[list[bytes], list[tuple[bytes, bytes, bytes]]]:
        """Every row's number and every cell's (column, row, another position) in ``data``; a row or a cell without
        a position, or a cell with two, is refused."""
        _dimension, cell, row = patterns
        rows = row.findall(data)
        if b"" in rows:
            if self._numbered_rows:
                raise ReturnFormatError(f"工作表“{self.name}”中有未标明行号的行，不是本程序导出的报表")
            rows = [number for number in rows if number]
        refs = cell.findall(data)
        if _UNPLACED_CELL in refs:
            raise ReturnFormatError(f"工作表“{self.name}”中有未标明位置的单元格，不是本程序导出的报表")
        if any(map(_THIRD, refs)):
            raise ReturnFormatError(f"工作表“{self.name}”中有标记不规范的单元格（位置重复或属性异常），不是本程序导出的报表")
        return rows, refs

    def _place(self, row: int, col: int) -> None:
        if row > self.max_row:
            self.max_row = row
        if col > self.max_col:
            self.max_col = col
        if not self._bounded:
            return
        if self.max_col > MAX_COLUMNS:
            raise ReturnFormatError(f"工作表“{self.name}”的范围过宽（到第 {self.max_col} 列），不是报表文件")
        if self.max_row > MAX_ROWS:
            raise ReturnFormatError(f"工作表“{self.name}”的范围过大（到第 {self.max_row} 行），不是报表文件")
        if self.max_row * self.max_col > MAX_SHEET_AREA:
            raise ReturnFormatError(f"工作表“{self.name}”的范围过大（{self.max_row} 行 × {self.max_col} 列），"
                                    "不是报表文件")


def cell_extent(xml: bytes) -> tuple[int, int]:
    """The last row and the last column any cell of a worksheet's XML claims, whatever its namespace prefix: the grid
    calamine allocates for the sheet (it does not go by the stated dimension). ``ReturnFormatError`` for a cell or
    a row without its position (calamine would place it itself) or a tag over 64 KB long."""
    sheet = _SheetScan(lambda: "", bounded=False, numbered_rows=False)
    sheet.whole(xml)
    return sheet.max_row, sheet.max_col


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part → the sheet's name, best effort (only to name a sheet in a reason)."""
    from defusedxml import ElementTree

    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    try:
        infos = [zf.getinfo("xl/workbook.xml"), zf.getinfo("xl/_rels/workbook.xml.rels")]
        if any(i.file_size > 1024 * 1024 for i in infos):
            return {}
        rels = {r.get("Id"): str(r.get("Target", "")) for r in ElementTree.fromstring(zf.read(infos[1]))}
        out: dict[str, str] = {}
        for sheet in ElementTree.fromstring(zf.read(infos[0])).iter(f"{ns}sheet"):
            target = rels.get(sheet.get(f"{rel_ns}id"), "")
            out[target.lstrip("/") if target.startswith("/") else f"xl/{target}"] = str(sheet.get("name", ""))
        return out
    except Exception:  # a hostile or foreign workbook: name sheets by their part
        return {}


def _is_worksheet(part: str) -> bool:
    return part.startswith("xl/worksheets/") and part.endswith(".xml")


def shared_strings_checked(xml: bytes) -> None:
    """``ReturnFormatError`` when the shared strings table would make calamine set aside room for more strings than
    any return has cells (see :class:`_StringsScan`)."""
    _StringsScan(lambda: "").whole(xml)


def scan_package(zf: zipfile.ZipFile) -> dict[str, Part]:
    """Stream every part once (capped by its declared size, CRC checked): its SHA-256, its cell positions, and for
    the shared strings table the count it declares. Returns the parts by name.

    Every part is scanned for cells, not only those under ``xl/worksheets/``: calamine reads a sheet from wherever
    the workbook's relationships point (``xl/other/s1.bin`` will do), and this program's own files have no cells
    anywhere else (nor anything that reads as one: charts' elements are ``c:…``, a drawing's anchors rows without a
    number, which only a worksheet must not have, and the signature part is text without tags)."""
    infos = check_zip_entries(zf)
    import time

    deadline = time.monotonic() + MAX_SECONDS
    parts: dict[str, Part] = {}
    total_cells = 0
    names: dict[str, str] = {}

    def name_of(part: str) -> str:
        """The sheet's name, or the part's (the workbook's parts are parsed only when a reason needs it)."""
        if not names:
            names.update(_sheet_names(zf) or {"": ""})
        return names.get(part) or (Path(part).stem if _is_worksheet(part) else part)

    for info in infos:
        if info.is_dir():
            parts[info.filename] = Part(info.filename, 0, hashlib.sha256(b"").hexdigest())
            continue
        sheet = _SheetScan(functools.partial(name_of, info.filename), numbered_rows=_is_worksheet(info.filename))
        strings = _StringsScan(functools.partial(name_of, info.filename)) \
            if info.filename.lower() == SHARED_STRINGS else None
        hasher = hashlib.sha256()
        size = 0
        try:
            with zf.open(info) as stream:
                while True:
                    chunk = stream.read(_CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > info.file_size or size > MAX_PART_BYTES:
                        raise ReturnFormatError(f"文件中的部件“{info.filename}”比声明的更大，文件结构异常")
                    hasher.update(chunk)
                    sheet.feed(chunk)
                    if strings is not None:
                        strings.feed(chunk)
                    if time.monotonic() > deadline:
                        raise ReturnFormatError(f"检查文件用时超过 {MAX_SECONDS:.0f} 秒（内容过于庞杂），不是报表文件")
        except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
            if isinstance(exc, ReturnFormatError):
                raise
            raise ReturnFormatError(f"文件已损坏（部件“{info.filename}”无法解压）") from None
        except OSError as exc:
            raise ReturnFormatError(f"读取文件时出错（{exc.strerror or exc}）") from None
        sheet.close()
        if strings is not None:
            strings.close()
        total_cells += sheet.cells
        if total_cells > MAX_CELLS:
            raise ReturnFormatError(f"文件中的单元格过多（超过 {MAX_CELLS} 个），不是报表文件")
        parts[info.filename] = Part(info.filename, size, hasher.hexdigest())
    return parts


def open_checked_zip(path: Path) -> tuple[zipfile.ZipFile, dict[str, Part]]:
    """All the checks above, in order; the open zip (caller closes it) and its parts."""
    info = check_regular_file(path)
    with open(path, "rb") as fh:
        head = fh.read(4)
    if not head.startswith(b"PK"):
        raise ReturnFormatError("不是 Excel（.xlsx）或 PDF 文件")
    check_zip_directory(path, info.st_size)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError):
        raise ReturnFormatError("文件已损坏或不完整（不是有效的 Excel 文件）") from None
    try:
        parts = scan_package(zf)
    except BaseException:
        zf.close()
        raise
    return zf, parts
