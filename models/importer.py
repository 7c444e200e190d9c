"""Importing rosters kept in spreadsheets (.xlsx, .xls, .csv in UTF-8 or GBK).

The steps, each usable alone (the dialog, the command line and the tests share them)::

    table = read_table(path, sheet=None, kind="people")   # header row found, merged cells filled
    mapping = propose_mapping("people", table.headers)     # column -> field, from Field.synonyms
    plan = plan_import(store, "people", table, mapping, on_duplicate="update")  # nothing written
    batch_id = apply_import(store, plan)                   # one transaction
    undo_import(store, batch_id)                           # the whole import, later

Workbooks are never trusted: size, zip entries, rows and columns are limited before anything is
parsed, and every failure to read becomes :class:`ImportFileError` with a Chinese reason.
Values go through the same parsers as the entry forms (``forms.validation``), so a value accepted
in the dialog is accepted here and the other way round.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import io
import json
import re
import sqlite3
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from common.atomic_file import os_reason
from common.text import ParseError, clean_text, compact, halfwidth, normalize_middle_dots, parse_date
from forms import fields as F
from forms.fields import Field, Finding, FormSpec
from forms.honours import infer, parse_title_with_year, split_titles
from forms.records import HONOURS, IMPORTABLE, PEOPLE, SPECS, STUDIO_OUTPUTS, STUDIOS, spec
from forms.validation import validate
from models import history, records
from models.db import RecordError, Store, now
from models.file_guard import SHARED_STRINGS, cell_extent, shared_strings_checked
from models.returns import ReturnFormatError

ProgressFn = Callable[..., None]  # progress(done, total[, text])

# The record kinds a spreadsheet can be imported into, with the name shown to the user.
IMPORT_KINDS: dict[str, str] = {kind: SPECS[kind].import_label for kind in IMPORTABLE}  # from forms.records

# Records of these kinds are matched to existing ones by these fields (people and studios: their
# unique field; trainings and competitions have none, so name and date stand for one event).

# Limits that keep a hostile or broken file from exhausting memory or time.
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 500 * 1024 * 1024
MAX_ZIP_ENTRIES = 5_000
MAX_ZIP_RATIO = 200  # uncompressed / compressed, for entries above 1 MB
MAX_DATA_ROWS = 100_000
MAX_SHEET_ROWS = 1_048_576  # Excel's own limit
MAX_COLUMNS = 200
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_FAST_CELLS = 4_000_000  # the grid python-calamine would allocate for an .xlsx sheet
HEADER_SCAN_ROWS = 30

DUPLICATE_POLICIES = ("update", "skip")

_EXCEL_ERRORS = {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
_IGNORED_HEADERS = {"序号", "序", "编号", "行号", "原行号", "错误原因", "no", "no."}
_HONOUR_PREFIX = "honours."


class ImportFileError(ParseError):
    """The file cannot be read as a table; ``str()`` says why, in Chinese, naming the file."""


# ---------------------------------------------------------------------------------------------
# The table read from a file


@dataclasses.dataclass
class Table:
    """One sheet of a file: its header (found, not assumed to be row 1) and its data rows."""

    path: Path
    sheet: str | None  # None for CSV
    sheets: list[str]
    header_rows: tuple[int, ...]  # 1-based sheet rows that make up the header
    headers: list[str]  # one per column: the header text the user sees
    rows: list[tuple[int, list[Any]]]  # (1-based sheet row, cell values), blank rows left out
    skipped: list[tuple[int, str]]  # rows that are not records: notes, totals, repeated headers
    encoding: str | None = None  # of a CSV file

    @property
    def file_name(self) -> str:
        return self.path.name

    def describe(self) -> str:
        where = f"工作表“{self.sheet}”，" if self.sheet else ""
        header = "、".join(str(r) for r in self.header_rows)
        return f"{self.file_name}（{where}表头在第{header}行，数据{len(self.rows)}行）"

    def preview(self, count: int = 20) -> list[tuple[int, list[Any]]]:
        return self.rows[:count]


def list_sheets(path: Path | str) -> list[str]:
    """The sheet names of a workbook (``[]`` for CSV)."""
    book = _open_book(Path(path))
    try:
        return list(book.sheet_names)
    finally:
        book.close()


def read_table(path: Path | str, sheet: str | None = None, kind: str | None = None) -> Table:
    """Read one sheet of ``path``; find its header row (scored against ``kind``'s headers, or all kinds).

    Without ``sheet`` the sheet whose header fits ``kind`` best is taken. Raises :class:`ImportFileError`.
    """
    path = Path(path)
    try:
        return _read_table(path, sheet, kind)
    except ImportFileError as exc:
        if path.name in str(exc):
            raise
        raise ImportFileError(f"文件“{path.name}”的{exc}") from None


def _read_table(path: Path, sheet: str | None, kind: str | None) -> Table:
    book = _open_book(path)
    try:
        names = list(book.sheet_names)
        vocab = _score_vocabulary(kind)
        if sheet is not None and names:
            if sheet not in names:
                raise ImportFileError(f"文件“{path.name}”中没有名为“{sheet}”的工作表（有：{'、'.join(names)}）")
            return _table_from_grid(path, sheet, names, book.grid(sheet), vocab, book.encoding)
        if not names:  # CSV
            return _table_from_grid(path, None, [], book.grid(None), vocab, book.encoding)
        best: Table | None = None
        best_rank = (0, -1)
        first_error: ImportFileError | None = None
        for name in names:
            try:
                table = _table_from_grid(path, name, names, book.grid(name), vocab, book.encoding)
            except ImportFileError as exc:
                first_error = first_error or exc
                continue
            score = sum(1 for h in table.headers if _norm_header(h) in vocab)
            # Between sheets with the same columns, the current roster beats the list of people who left.
            ranked = (_sheet_preference(name), score)
            if best is None or ranked > best_rank:
                best, best_rank = table, ranked
        if best is None:
            assert first_error is not None
            if len(names) == 1:
                raise first_error
            raise ImportFileError(f"文件“{path.name}”的{len(names)}个工作表中都没有找到表头行"
                                  f"（应有“姓名”“名称”等列名）。{first_error}")
        return best
    finally:
        book.close()


_SHEETS_LEFT_BEHIND = re.compile(r"离职|已离|调离|调出|退休|辞职|解聘|注销|删除|作废|历史|备份|旧|模板|示例|样表|填表说明|说明")
_SHEETS_CURRENT = re.compile(r"花名册|名册|在职|在册|现有|人员|名单|台账")


def _sheet_preference(name: str) -> int:
    """1 for a sheet named like the current roster, -1 for people who left, templates and notes, else 0."""
    if _SHEETS_LEFT_BEHIND.search(name):
        return -1
    return 1 if _SHEETS_CURRENT.search(name) else 0


# ---------------------------------------------------------------------------------------------
# Opening files (never trusted)


Grid = list[tuple[int, list[Any]]]  # the non-blank rows of a sheet: (1-based row number, cells)


class _Book:
    sheet_names: list[str]
    encoding: str | None = None

    def grid(self, sheet: str | None) -> Grid:
        raise AssertionError("overridden")

    def close(self) -> None:
        """Release the file."""


def _open_book(path: Path) -> _Book:
    name = path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ImportFileError(f"找不到文件“{path}”") from None
    except OSError as exc:
        raise ImportFileError(f"无法读取文件“{name}”：{os_reason(exc)}") from None
    if path.is_dir():
        raise ImportFileError(f"“{name}”是文件夹，请选择表格文件")
    if size == 0:
        raise ImportFileError(f"文件“{name}”是空的")
    if size > MAX_FILE_BYTES:
        raise ImportFileError(f"文件“{name}”有{size / 1048576:.0f} MB，超过{MAX_FILE_BYTES // 1048576} MB 上限，"
                              "请删去不需要的工作表或拆分后再导入")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise ImportFileError(f"无法读取文件“{name}”：{os_reason(exc)}") from None
    suffix = path.suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(path)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _open_xls(path)
    lowered = head.lstrip(b"\xef\xbb\xbf \r\n\t").lower()
    if lowered.startswith((b"<html", b"<!doctype", b"<table", b"<meta")) or (
            lowered.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office" in head):
        raise ImportFileError(f"文件“{name}”其实是网页（HTML/XML）格式，只是扩展名为{suffix or '表格'}。"
                              "请用Excel或WPS打开它，“另存为”Excel工作簿（.xlsx）后再导入")
    if suffix in (".xlsx", ".xlsm", ".xls", ".et"):
        raise ImportFileError(f"文件“{name}”已损坏，或不是Excel文件（内容与扩展名{suffix}不符）")
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(f"文件“{name}”不是可识别的表格文件（请选择 .xlsx、.xls 或 .csv 文件）")
    return _CsvBook(path)


def _open_xlsx(path: Path) -> _Book:
    name = path.name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportFileError(f"文件“{name}”已损坏，无法打开（不是完整的Excel文件）") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise ImportFileError(f"文件“{name}”内部结构异常（包含{len(infos)}个部件），拒绝读取")
        names = {i.filename for i in infos}
        if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
            raise ImportFileError(f"文件“{name}”不是Excel工作簿（可能是Word文档或压缩包）")
        if "xl/workbook.bin" in names:
            raise ImportFileError(f"文件“{name}”是Excel二进制工作簿（.xlsb），请另存为 .xlsx 后再导入")
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise ImportFileError(f"文件“{name}”设置了密码，请在Excel中取消密码并另存后再导入")
            total += info.file_size
            if info.file_size > 1_048_576 and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
                raise ImportFileError(f"文件“{name}”内部数据的压缩比异常（疑似“压缩炸弹”），拒绝读取")
        if total > MAX_UNZIPPED_BYTES:
            raise ImportFileError(f"文件“{name}”解压后超过{MAX_UNZIPPED_BYTES // 1048576} MB，太大了，请拆分后再导入")
        fast = True
        try:
            for info in infos:  # every part: calamine reads a sheet from wherever the workbook's relationships point
                data = _read_entry(archive, info)
                fast = fast and _calamine_safe(data, strings=info.filename.lower() == SHARED_STRINGS)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError):
            raise ImportFileError(f"文件“{name}”已损坏（内部数据校验失败），请在Excel中打开后另存再导入") from None
    if fast:
        return _CalamineBook(path)
    return _OpenpyxlBook(path)


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The entry's bytes; Python's zipfile stops at the declared size and checks the CRC, so a lie fails."""
    chunks = []
    with archive.open(info) as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _calamine_safe(xml: bytes, *, strings: bool = False) -> bool:
    """Whether python-calamine may read a workbook with this part: it allocates a sheet's whole used grid at once,
    so a stray cell at XFD1048576 would take gigabytes (and a failed allocation ends the program), and room for as
    many shared strings (``strings``: the part it reads them from) as the table claims. Otherwise openpyxl
    streams the file (slower, bounded). Every cell counts, whatever namespace prefix its name has; a part that is
    no sheet has none (a drawing's anchors read as rows without a number: the file is streamed too)."""
    try:
        if strings:
            shared_strings_checked(xml)
        max_row, max_col = cell_extent(xml)
    except ReturnFormatError:  # a cell or row without its position (calamine would place it itself), a bad count
        return False
    return max_row * max_col <= MAX_FAST_CELLS and max_col <= MAX_COLUMNS


def _open_xls(path: Path) -> _Book:
    name = path.name
    try:
        with open(path, "rb") as fh:
            content = fh.read()
    except OSError as exc:
        raise ImportFileError(f"无法读取文件“{name}”：{os_reason(exc)}") from None
    if "EncryptedPackage".encode("utf-16-le") in content:
        raise ImportFileError(f"文件“{name}”设置了打开密码，请在Excel中取消密码并另存后再导入")
    if path.suffix.lower() in (".xlsx", ".xlsm") and "Workbook".encode("utf-16-le") not in content:
        raise ImportFileError(f"文件“{name}”已损坏，或不是Excel文件")
    return _CalamineBook(path)


def _calamine_error(name: str, exc: Exception) -> ImportFileError:
    text = f"{type(exc).__name__}: {exc}".lower()
    if "password" in text or "encrypt" in text:
        return ImportFileError(f"文件“{name}”设置了密码，请在Excel中取消密码并另存后再导入")
    return ImportFileError(f"文件“{name}”已损坏或格式不受支持，无法读取（请在Excel或WPS中打开后另存为 .xlsx 再试）")


class _CalamineBook(_Book):
    """.xls (BIFF) and well-formed .xlsx files, read by python-calamine (fast, written in Rust)."""

    def __init__(self, path: Path) -> None:
        import python_calamine

        self.path = path
        try:
            self.book = python_calamine.CalamineWorkbook.from_path(str(path))
            metadata = self.book.sheets_metadata
        except Exception as exc:  # calamine raises its own error types, and ValueError/OSError
            raise _calamine_error(path.name, exc) from None
        visible = [m.name for m in metadata if str(m.typ).endswith("WorkSheet") and str(m.visible).endswith("Visible")]
        others = [m.name for m in metadata if m.name not in visible and str(m.typ).endswith("WorkSheet")]
        self.sheet_names = visible + others

    def grid(self, sheet: str | None) -> Grid:
        assert sheet is not None
        try:
            data = self.book.get_sheet_by_name(sheet)
            height, width = data.height, data.width
        except Exception as exc:
            raise _calamine_error(self.path.name, exc) from None
        start_row, start_col = data.start or (0, 0)
        if start_row + height > MAX_SHEET_ROWS:
            raise ImportFileError(f"工作表“{sheet}”超过{MAX_SHEET_ROWS}行，无法读取")
        if start_col + width > MAX_COLUMNS:
            raise ImportFileError(f"工作表“{sheet}”超过{MAX_COLUMNS}列（第{start_col + width}列有内容），"
                                  "请删去多余的列后再导入")
        try:
            rows = data.to_python(skip_empty_area=False)
            merged = data.merged_cell_ranges or []
        except Exception as exc:
            raise _calamine_error(self.path.name, exc) from None
        dense = [[_cell(v) for v in row] for row in rows]
        # to_python(skip_empty_area=False) starts at A1, so list index + 1 is the sheet row
        _fill_merged(dense, [((a[0], a[1]), (b[0], b[1])) for a, b in merged])
        return [(index, row) for index, row in enumerate(dense, start=1) if any(v is not None for v in row)]

    def close(self) -> None:
        close = getattr(self.book, "close", None)
        if close is not None:
            close()


class _OpenpyxlBook(_Book):
    """.xlsx files calamine should not load whole: streamed row by row (openpyxl read-only, defusedxml)."""

    def __init__(self, path: Path) -> None:
        import openpyxl

        self.path = path
        try:
            self.book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises KeyError, ValueError, defusedxml errors …
            raise _openpyxl_error(path.name, exc) from None
        self.sheet_names = [ws.title for ws in self.book.worksheets]

    def grid(self, sheet: str | None) -> Grid:
        assert sheet is not None
        ws = self.book[sheet]
        ws.reset_dimensions()  # a wrong <dimension> must neither cut nor pad the data
        grid: Grid = []
        try:
            for index, row in enumerate(ws.iter_rows(values_only=True), start=1):
                if index > MAX_SHEET_ROWS:
                    raise ImportFileError(f"工作表“{sheet}”超过{MAX_SHEET_ROWS}行，无法读取")
                values = list(row)
                if len(values) > MAX_COLUMNS:
                    if any(not _blank(v) for v in values[MAX_COLUMNS:]):
                        raise ImportFileError(f"工作表“{sheet}”第{index}行超过{MAX_COLUMNS}列，请删去多余的列后再导入")
                    values = values[:MAX_COLUMNS]
                if not values:
                    continue
                cells = [_cell(v) for v in values]
                if any(v is not None for v in cells):
                    grid.append((index, cells))
                    if len(grid) > MAX_DATA_ROWS + HEADER_SCAN_ROWS:
                        raise ImportFileError(f"工作表“{sheet}”超过{MAX_DATA_ROWS}行，请拆分后分批导入")
        except ImportFileError:
            raise
        except Exception as exc:
            raise _openpyxl_error(self.path.name, exc) from None
        # openpyxl does not read merged ranges in read-only mode: two-row headers are joined by _is_sub_header
        return grid

    def close(self) -> None:
        self.book.close()


def _openpyxl_error(name: str, exc: Exception) -> ImportFileError:
    if type(exc).__module__.startswith("defusedxml"):
        return ImportFileError(f"文件“{name}”包含不安全的内容（XML实体），拒绝读取")
    return ImportFileError(f"文件“{name}”已损坏或格式不受支持，无法读取（请在Excel或WPS中打开后另存为 .xlsx 再试）")


class _CsvBook(_Book):
    """CSV (or tab-separated text) in UTF-8 (with or without BOM), UTF-16 or GBK/GB18030."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sheet_names = []
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ImportFileError(f"无法读取文件“{path.name}”：{os_reason(exc)}") from None
        self.text, self.encoding = _decode(raw, path.name)

    def grid(self, sheet: str | None) -> Grid:
        sample = self.text[:8192]
        delimiter = ","
        first_lines = sample.splitlines()[:20]
        counts = {d: sum(line.count(d) for line in first_lines) for d in (",", "\t", ";", "，")}
        best = max(counts, key=lambda d: counts[d])
        if counts[best] > 0:
            delimiter = best
        old_limit = csv.field_size_limit()
        csv.field_size_limit(MAX_CELL_CHARS * 4)
        grid: Grid = []
        index = 0
        try:
            reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=delimiter)
            for index, row in enumerate(reader, start=1):
                if index > MAX_SHEET_ROWS or len(grid) > MAX_DATA_ROWS + HEADER_SCAN_ROWS:
                    raise ImportFileError(f"文件“{self.path.name}”超过{MAX_DATA_ROWS}行，请拆分后分批导入")
                if len(row) > MAX_COLUMNS:
                    if any(not _blank(v) for v in row[MAX_COLUMNS:]):
                        raise ImportFileError(f"文件“{self.path.name}”第{index}行超过{MAX_COLUMNS}列")
                    row = row[:MAX_COLUMNS]
                cells = [_cell(v) for v in row]
                if any(v is not None for v in cells):
                    grid.append((index, cells))
        except csv.Error as exc:
            raise ImportFileError(f"文件“{self.path.name}”第{index + 1}行无法读取（{exc}），"
                                  "请检查引号是否成对、单元格是否过长") from None
        finally:
            csv.field_size_limit(old_limit)
        return grid


def _decode(raw: bytes, name: str) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return raw.decode(encoding), {"gb18030": "GBK"}.get(encoding, encoding.upper().replace("-SIG", ""))
        except UnicodeDecodeError:
            continue
    raise ImportFileError(f"无法识别文件“{name}”的文字编码（应为UTF-8或GBK），请用Excel另存为“CSV UTF-8”后再导入")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _cell(value: Any) -> Any:
    """A cell value as read: ``None`` for empty, strings cleaned of stray control characters."""
    if value is None:
        return None
    if isinstance(value, str):
        if value.strip() == "":
            return None
        if len(value) > MAX_CELL_CHARS:
            value = value[:MAX_CELL_CHARS]
        return value.replace("\x00", "").replace("\ufeff", "")
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, dt.time):
        return value.isoformat()
    return value


def _fill_merged(grid: list[list[Any]], ranges: Iterable[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    """Copy each merged range's value into all its cells (clipped to the grid): what the user sees."""
    height = len(grid)
    for (r0, c0), (r1, c1) in ranges:
        if r0 >= height or r0 < 0 or c0 < 0:
            continue
        value = grid[r0][c0] if c0 < len(grid[r0]) else None
        if value is None:
            continue
        for r in range(r0, min(r1, height - 1) + 1):
            row = grid[r]
            last = min(c1, MAX_COLUMNS - 1)
            if len(row) <= last:
                row.extend([None] * (last + 1 - len(row)))
            for c in range(c0, last + 1):
                if row[c] is None:
                    row[c] = value


# ---------------------------------------------------------------------------------------------
# Header: finding it, and mapping its columns to fields


@dataclasses.dataclass(frozen=True)
class Target:
    """A field a column can be imported into."""

    key: str  # field name, or ``honours.<field>`` for a person's honour
    label: str  # shown in the mapping dialog
    field: Field

    @property
    def is_honour(self) -> bool:
        return self.key.startswith(_HONOUR_PREFIX)


def _form(kind: str, store: Store | None) -> FormSpec:
    """``kind``'s form as entered in ``store``: with the entry fields its definitions add (no store: the form)."""
    return records.entry_form(store, kind) if store is not None else spec(kind)


def targets(kind: str, store: Store | None = None) -> list[Target]:
    """The fields a column of a ``kind`` file may be mapped to, in form order (with ``store``: the entry
    fields its definitions add too, after the form's own, labelled as in the record dialog)."""
    form = _form(kind, store)
    out = [Target(f.name, f.label, f) for f in form.fields]
    if kind == "people":
        out += [Target(_HONOUR_PREFIX + f.name, f"荣誉·{f.label}", f) for f in HONOURS.fields]
    if kind == "studios":
        field = form.field("leader_id")
        out = [Target(t.key, "领办人（姓名或身份证号）", field) if t.key == "leader_id" else t for t in out]
    if kind == "studio_outputs":
        out.insert(0, Target(STUDIO_COLUMN.name, STUDIO_COLUMN.label, STUDIO_COLUMN))
    return out


# A studio's yearly outputs name their studio: the column that says which (matched by the studio's name).
STUDIO_COLUMN = Field("studio", "工作室名称", required=True, synonyms=("工作室", "名称", "工作室名"))


def _norm_header(text: object) -> str:
    """``“身份证号码（18位）*”`` → ``身份证号码``: half-width, no spaces, no notes in brackets, no marks."""
    if text is None:
        return ""
    value = halfwidth(str(text))
    value = re.sub(r"\s+", "", value)
    value = value.strip("*※★☆:：").strip()
    stripped = re.sub(r"\([^()]*\)$", "", value).strip("*※★☆:：")
    return (stripped or value).lower()


def _vocabulary(kind: str, store: Store | None = None) -> dict[str, str]:
    """Normalised header → target key; labels first, then synonyms (first come keeps a word)."""
    vocab: dict[str, str] = {}
    items = targets(kind, store)
    for target in items:
        for word in (target.field.label, target.field.caption, target.label):
            vocab.setdefault(_norm_header(word), target.key)
    for target in items:
        for word in target.field.synonyms:
            vocab.setdefault(_norm_header(word), target.key)
    return vocab


def _score_vocabulary(kind: str | None) -> set[str]:
    kinds = [kind] if kind else list(IMPORT_KINDS)
    words: set[str] = set()
    for k in kinds:
        words.update(_vocabulary(k))
    return words


def propose_mapping(kind: str, headers: Sequence[str], store: Store | None = None) -> dict[int, str]:
    """Column index → target key for the columns whose header is a known label or synonym (with ``store``:
    of the entry fields its definitions add too)."""
    items = targets(kind, store)
    vocab = _vocabulary(kind, store)
    out: dict[int, str] = {}
    taken: set[str] = set()
    # Exact labels claim their field before synonyms do (“手机号” beats “联系电话”).
    labels = {_norm_header(t.field.label): t.key for t in items}
    for phase in ("label", "synonym"):
        for index, header in enumerate(headers):
            if index in out:
                continue
            word = _norm_header(header)
            key = labels.get(word) if phase == "label" else vocab.get(word)
            if key and key not in taken:
                out[index] = key
                taken.add(key)
    return dict(sorted(out.items()))


SKIP_COLUMN = "不导入"


def target_for(kind: str, name: str, store: Store | None = None) -> str | None:
    """The target key a user named: ``身份证号``, ``荣誉·称号``, ``id_number``, ``honours.title``; None for 不导入.

    Raises :class:`ParseError` naming the fields there are.
    """
    word = _norm_header(name)
    if word in ("", _norm_header(SKIP_COLUMN)):
        return None
    items = targets(kind, store)
    for target in items:
        if name.strip() == target.key or word in (_norm_header(target.label), _norm_header(target.field.label)):
            return target.key
    for target in items:
        if word in {_norm_header(s) for s in target.field.synonyms} and (
                target.is_honour == word.startswith("荣誉")):
            return target.key
    labels = "、".join(t.label for t in items)
    raise ParseError(f"“{name}”不是{IMPORT_KINDS.get(kind, kind)}的字段。可用的字段：{labels}；不导入某列写“{SKIP_COLUMN}”")


def mapping_with_choices(kind: str, headers: Sequence[str], choices: Sequence[str],
                         store: Store | None = None) -> dict[int, str | None]:
    """The proposed mapping changed by ``源列名=字段名`` choices (the command line's ``--map``).

    The same choices as in the import dialog: any column to any field (by its label), or 不导入.
    Raises :class:`ParseError` for a choice that names no column or no field.
    """
    mapping: dict[int, str | None] = dict(propose_mapping(kind, headers, store))
    norms = [_norm_header(h) for h in headers]
    for choice in choices:
        text = choice.replace("＝", "=")
        if "=" not in text:
            raise ParseError(f"“{choice}”应写成“源列名=字段名”，如“证件号=身份证号”")
        column, _, field = (part.strip() for part in text.partition("="))
        if column in headers:
            index = list(headers).index(column)
        elif _norm_header(column) in norms:
            index = norms.index(_norm_header(column))
        else:
            raise ParseError(f"表中没有名为“{column}”的列（有：{'、'.join(headers)}）")
        key = target_for(kind, field, store)
        if key is not None:
            for other, taken in list(mapping.items()):
                if taken == key and other != index:
                    mapping[other] = None
        mapping[index] = key
    return mapping


def mapping_problems(kind: str, mapping: Mapping[int, str | None], headers: Sequence[str],
                     store: Store | None = None) -> list[str]:
    """What keeps a mapping from being used: required fields without a column, a field mapped twice."""
    form = _form(kind, store)
    used: dict[str, int] = {}
    out = []
    by_key = {t.key: t for t in targets(kind, store)}
    for index, key in sorted(mapping.items()):
        if not key:
            continue
        if key not in by_key:
            out.append(f"第{index + 1}列对应的“{key}”不是{IMPORT_KINDS.get(kind, kind)}的字段")
            continue
        if key in used:
            out.append(f"“{headers[used[key]]}”和“{headers[index]}”两列都对应“{by_key[key].label}”，请只保留一列")
        used[key] = index
    derivable = {"sex", "birth_date"} if kind == "people" else set()
    for field in (STUDIO_COLUMN, *form.fields) if kind == "studio_outputs" else form.fields:
        if field.required and field.name not in used and field.name not in derivable:
            words = "、".join(field.synonyms[:3])
            hint = f"（表头可写作：{words}）" if words else ""
            out.append(f"表中没有“{field.label}”列{hint}，请在对应关系中指定")
    return out


def _table_from_grid(path: Path, sheet: str | None, sheets: list[str], grid: Grid, vocab: set[str],
                     encoding: str | None) -> Table:
    where = f"工作表“{sheet}”" if sheet else f"文件“{path.name}”"
    if not grid:
        raise ImportFileError(f"{where}是空的")
    best_index, best_score = -1, 0
    for index, (_number, row) in enumerate(grid[:HEADER_SCAN_ROWS]):
        score = _header_score(row, vocab)
        if score > best_score:
            best_index, best_score = index, score
    if best_score == 1:
        # A short list headed 姓名 (or 名称) and words of its own: the header all the same; the mapping asks for the rest.
        best_index = next((i for i, (_n, row) in enumerate(grid[:HEADER_SCAN_ROWS]) if _names_a_header(row)), -1)
        best_score = 2 if best_index >= 0 else 1
    if best_index < 0 or best_score < 2:
        raise ImportFileError(f"{where}的前{HEADER_SCAN_ROWS}行中没有找到表头行"
                              "（应有“姓名”“身份证号”“名称”等列名）")
    width = max(len(r) for _, r in grid)
    header_number = grid[best_index][0]
    header = _pad(grid[best_index][1], width)
    header_rows = [header_number]
    last_header = best_index
    # A second header row below (merged group headers such as “荣誉情况” over “荣誉称号|授予时间”).
    if best_index + 1 < len(grid) and grid[best_index + 1][0] == header_number + 1:
        sub = _pad(grid[best_index + 1][1], width)
        if _is_sub_header(header, sub, vocab):
            header = [s if s is not None and _norm_header(s) in vocab else (h if h is not None else s)
                      for h, s in zip(header, sub, strict=True)]
            header_rows.append(header_number + 1)
            last_header = best_index + 1
    # A group row directly above: only fills columns the header row leaves empty.
    if best_index > 0 and grid[best_index - 1][0] == header_number - 1:
        upper = _pad(grid[best_index - 1][1], width)
        if len({str(v) for v in upper if v is not None}) >= 2:
            filled = [u if h is None and u is not None else h for h, u in zip(header, upper, strict=True)]
            # cells merged down from the row above (filled in by _fill_merged) make it part of the header
            merged_down = sum(1 for h, u in zip(header, upper, strict=True) if u is not None and u == h
                              and isinstance(u, str) and _norm_header(u) in vocab)
            if filled != header or merged_down >= 2:
                header = filled
                header_rows.insert(0, header_number - 1)
    headers = _unique_headers([clean_text(h) if h is not None else "" for h in header])
    header_norms = [_norm_header(h) for h in headers]
    rows: list[tuple[int, list[Any]]] = []
    skipped: list[tuple[int, str]] = []
    for number, cells in grid[last_header + 1:]:
        row = _pad(cells, width)
        reason = _not_a_record(row, header_norms, vocab)
        if reason:
            skipped.append((number, reason))
            continue
        rows.append((number, row))
        if len(rows) > MAX_DATA_ROWS:
            raise ImportFileError(f"{where}超过{MAX_DATA_ROWS}行，请拆分后分批导入")
    while headers and headers[-1] == f"第{len(headers)}列" and all(r[len(headers) - 1] is None for _, r in rows):
        headers.pop()
        rows = [(n, r[:-1]) for n, r in rows]
    return Table(path, sheet, sheets, tuple(header_rows), headers, rows, skipped, encoding)


def _names_a_header(row: Sequence[Any]) -> bool:
    """A row of at least two words, all text, one of them 姓名 or 名称."""
    texts = [v for v in row if v is not None]
    return (len(texts) >= 2 and all(isinstance(v, str) for v in texts)
            and any(_norm_header(v) in ("姓名", "名称") for v in texts))


def _pad(row: list[Any], width: int) -> list[Any]:
    return row + [None] * (width - len(row)) if len(row) < width else row[:width]


def _header_score(row: Sequence[Any], vocab: set[str]) -> int:
    return len({_norm_header(v) for v in row if isinstance(v, str) and _norm_header(v) in vocab})


def _is_sub_header(header: list[Any], below: list[Any], vocab: set[str]) -> bool:
    """Row ``below`` continues the header: it adds known column names where the header row has none
    (or a group label), and holds nothing that looks like data."""
    adds = False
    for top, value in zip(header, below, strict=True):
        if value is None:
            continue
        if not isinstance(value, str):
            return False
        word = _norm_header(value)
        if word in vocab and (top is None or _norm_header(top) not in vocab or top == value):
            adds = adds or top != value
        elif top != value:
            return False
    return adds


def _unique_headers(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for index, header in enumerate(headers):
        text = header or f"第{index + 1}列"
        if text in seen:
            seen[text] += 1
            text = f"{text}（{seen[text]}）"
        else:
            seen[text] = 1
        out.append(text)
    return out


_NOTE_START = re.compile(r"^(注|说明|备注|附注)\s*[:：\d.、]|^(填表人|制表人|审核人|审核|单位负责人|统计负责人|负责人|"
                         r"填报单位|填报日期|制表日期|制表|填表日期|联系电话|联系人)\s*[:：]")
_TOTALS = {"合计", "总计", "小计", "共计", "总数"}
_COLUMN_NUMBERS = {"甲", "乙", "丙", "丁"}


def _not_a_record(row: list[Any], header_norms: list[str], vocab: set[str]) -> str | None:
    filled = [v for v in row if v is not None]
    texts = [compact(v) for v in filled[:3] if isinstance(v, str) and len(v) <= 8]
    if any(t in _TOTALS for t in texts):
        return "合计行，已忽略"
    if len(filled) <= 3 and isinstance(filled[0], str) and _NOTE_START.match(clean_text(filled[0])):
        return "说明文字，已忽略"
    known = [h for h in header_norms if h in vocab]
    first_texts = [v for v in filled[:4] if isinstance(v, str) and len(v) <= 12]
    if len(first_texts) >= 2 and sum(1 for v in first_texts if _norm_header(v) in vocab) >= 2:
        same = sum(1 for v, h in zip(row, header_norms, strict=False)
                   if isinstance(v, str) and h in vocab and _norm_header(v) == h)
        if same >= 2 and same * 2 >= len(known):
            return "重复的表头，已忽略"
    if len(filled) >= 3:
        first = compact(filled[0]) if isinstance(filled[0], str) else filled[0]
        if first in _COLUMN_NUMBERS:
            as_text = [compact(v) if isinstance(v, str) else v for v in filled]
            if all(isinstance(v, str) and v in _COLUMN_NUMBERS for v in as_text[:2]):
                return "栏目序号行，已忽略"
        if first == 1 and all(isinstance(v, int | float) and not isinstance(v, bool) and float(v) == i
                              for i, v in enumerate(filled, start=1)):
            return "栏目序号行，已忽略"
    return None


# ---------------------------------------------------------------------------------------------
# Cell values as people write them


def _prepare(field: Field, value: Any) -> Any:
    """Turn a cell into what ``parse_field`` expects; raises ParseError for what Excel has mangled."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text in _EXCEL_ERRORS:
            raise ParseError(f"单元格是Excel错误值“{text}”（公式出错），请改为实际内容")
        if field.kind in (F.ID_NUMBER, F.MOBILE, F.PHONE):
            # '530… (forced text) and ="530…" (Excel's CSV trick)
            text = re.sub(r'^(=?"|[\'‘’`])|"$', "", text)
        return text
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime | dt.date):
        if field.kind in (F.DATE, F.YEAR):
            return value
        if isinstance(value, dt.datetime) and value.time() != dt.time(0):
            return value.isoformat(sep=" ", timespec="minutes")
        return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, int | float):
        number = float(value)
        if field.kind == F.ID_NUMBER:
            if isinstance(value, int):
                return str(value)
            if number >= 1e15:
                raise ParseError(f"身份证号被Excel存成了数字（显示为{number:.5E}），末几位已丢失。"
                                 "请把该列设置为“文本”格式后重新输入身份证号")
            return str(int(number)) if number.is_integer() else str(value)
        if field.kind == F.DATE:
            if not number.is_integer() and 1900 <= number < 2101:
                return _year_dot_month(number)
            if number.is_integer() and (1900 <= number <= 2100 or number > 80000):
                return str(int(number))  # a bare year, or 19780512 typed as a number
        if number.is_integer():
            return int(number)
        if field.kind in (F.TEXT, F.CHOICE, F.MOBILE, F.PHONE):
            return f"{number:g}"
        return value
    return str(value)


def _year_dot_month(number: float) -> str:
    """``1978.05`` typed into Excel is stored as a number; ``1978.1`` is what ``1978.10`` becomes."""
    text = f"{number:.2f}".rstrip("0")
    year, _, month = text.partition(".")
    if len(month) == 1:
        month = month + "0" if month == "1" else month
    return f"{year}.{month}"


def _clean_name(text: Any) -> Any:
    """``张  三`` (padded to line up with three-character names) → ``张三``; ``买买提·艾力`` unchanged."""
    if not isinstance(text, str):
        return text
    value = normalize_middle_dots(clean_text(halfwidth(text) if re.search(r"[\uff01-\uff5e]", text) else text))
    if " " in value and re.fullmatch(r"[\u3400-\u9fff·• ]+", value):
        value = value.replace(" ", "")
    return value


# ---------------------------------------------------------------------------------------------
# Planning: every row read, checked and classified; nothing written


@dataclasses.dataclass
class PlanRow:
    """One record of the file (a person may span several rows, one per honour)."""

    row: int  # the first sheet row
    rows: list[int]
    label: str  # name shown in the report
    action: str = "add"  # add, update, unchanged, error
    values: dict[str, Any] = dataclasses.field(default_factory=dict)  # the clean record (merged on update)
    honours: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # honours to add
    record_id: int | None = None  # the existing record it matches
    snapshot: str | None = None  # existing record's updated_at when planned
    issues: list[str] = dataclasses.field(default_factory=list)  # “列”：原因
    warnings: list[str] = dataclasses.field(default_factory=list)
    present: set[str] = dataclasses.field(default_factory=set)  # fields whose cell was filled

    @property
    def message(self) -> str:
        """``第12行“身份证号”：校验位不对……``."""
        return f"第{self.row}行{'；'.join(self.issues)}"

    @property
    def warning_message(self) -> str:
        return f"第{self.row}行{'；'.join(self.warnings)}"


@dataclasses.dataclass
class ImportPlan:
    """What an import would do, row by row. Change ``on_duplicate`` freely before applying."""

    kind: str
    table: Table
    mapping: dict[int, str]
    on_duplicate: str
    records: list[PlanRow]
    problems: list[str]  # mapping problems: nothing can be imported while there are any
    labels: dict[str, str] = dataclasses.field(default_factory=dict)  # target key -> label (added fields too)

    @property
    def file_name(self) -> str:
        return self.table.file_name

    @property
    def to_add(self) -> list[PlanRow]:
        return [r for r in self.records if r.action == "add"]

    @property
    def duplicates(self) -> list[PlanRow]:
        return [r for r in self.records if r.action in ("update", "unchanged")]

    @property
    def to_update(self) -> list[PlanRow]:
        return [r for r in self.records if r.action == "update"] if self.on_duplicate == "update" else []

    @property
    def to_skip(self) -> list[PlanRow]:
        if self.on_duplicate == "update":
            return [r for r in self.records if r.action == "unchanged"]
        return self.duplicates

    @property
    def errors(self) -> list[PlanRow]:
        return [r for r in self.records if r.action == "error"]

    @property
    def warnings(self) -> list[PlanRow]:
        return [r for r in self.records if r.warnings and r.action != "error"]

    @property
    def honours_added(self) -> int:
        rows = self.to_add + self.to_update
        return sum(len(r.honours) for r in rows)

    @property
    def counts(self) -> dict[str, int]:
        return {"added": len(self.to_add), "updated": len(self.to_update), "skipped": len(self.to_skip),
                "errors": len(self.errors), "honours": self.honours_added if self.kind == "people" else 0}

    @property
    def has_work(self) -> bool:
        return not self.problems and bool(self.to_add or self.to_update)

    def summary(self) -> str:
        """``新增 120 条，更新 3 条，跳过 2 条，错误 4 行``."""
        c = self.counts
        unchanged = sum(1 for r in self.to_skip if r.action == "unchanged")
        skip_note = f"（其中{unchanged}条与已有记录相同）" if unchanged and self.on_duplicate == "update" else ""
        text = f"新增 {c['added']} 条，更新 {c['updated']} 条，跳过 {c['skipped']} 条{skip_note}，错误 {c['errors']} 行"
        if self.kind == "people":
            text += f"；荣誉 {c['honours']} 项"
        return text

    def report_lines(self) -> list[str]:
        """The whole report as text lines (command line output, and the dialog's copy)."""
        lines = [f"文件：{self.table.describe()}", f"导入为：{IMPORT_KINDS[self.kind]}"]
        heads = self.table.headers
        used = [f"{heads[i]}→{self.labels.get(k) or _target_label(self.kind, k)}"
                for i, k in sorted(self.mapping.items()) if k]
        unused = [heads[i] for i in range(len(heads)) if not self.mapping.get(i)]
        lines.append("列对应：" + "，".join(used))
        if unused:
            lines.append("未导入的列：" + "、".join(unused))
        if self.table.skipped:
            lines.append("不是记录的行：" + "；".join(f"第{n}行{reason}" for n, reason in self.table.skipped))
        lines.extend(f"无法导入：{p}" for p in self.problems)
        if self.duplicates:
            policy = "更新已有记录" if self.on_duplicate == "update" else "跳过"
            lines.append(f"与已有记录相同（{_match_words(self.kind)}相同）的 {len(self.duplicates)} 条：{policy}")
        lines.append(self.summary())
        return lines

    def with_policy(self, on_duplicate: str) -> ImportPlan:
        if on_duplicate not in DUPLICATE_POLICIES:
            raise ValueError(on_duplicate)
        return dataclasses.replace(self, on_duplicate=on_duplicate)


def _match_words(kind: str) -> str:
    form = spec(kind)
    return "、".join(form.field(n).label for n in form.match_keys)


def _target_label(kind: str, key: str) -> str:
    for target in targets(kind):
        if target.key == key:
            return target.label
    return key


def plan_import(store: Store, kind: str, table: Table, mapping: Mapping[int, str | None] | None = None,
                on_duplicate: str = "update", progress: ProgressFn | None = None) -> ImportPlan:
    """Read and check every row of ``table`` as ``kind``; classify it (add, update, error). Writes nothing."""
    if kind not in IMPORT_KINDS:
        raise RecordError(f"不能导入“{kind}”，可导入：{'、'.join(IMPORT_KINDS.values())}")
    if on_duplicate not in DUPLICATE_POLICIES:
        raise RecordError(f"重复记录的处理方式应为 update 或 skip，不是“{on_duplicate}”")
    chosen = propose_mapping(kind, table.headers, store) if mapping is None else {i: k for i, k in mapping.items() if k}
    problems = mapping_problems(kind, chosen, table.headers, store)
    labels = {t.key: t.label for t in targets(kind, store)}
    if problems:
        return ImportPlan(kind, table, chosen, on_duplicate, [], problems, labels)
    reader = _RowReader(kind, table, chosen, store)
    if kind == "people":
        result = _plan_people(store, reader, progress)
    elif kind == "studio_outputs":
        result = _plan_studio_outputs(store, reader, progress)
    else:
        result = _plan_others(store, kind, reader, progress)
    return ImportPlan(kind, table, chosen, on_duplicate, result, [], labels)


class _RowReader:
    """Turns a sheet row into raw field values (prepared for ``parse_field``) and names columns."""

    def __init__(self, kind: str, table: Table, mapping: Mapping[int, str], store: Store | None = None) -> None:
        self.kind = kind
        self.form = _form(kind, store)  # with the entry fields the store's definitions add
        self.table = table
        by_key = {t.key: t for t in targets(kind, store)}
        self.columns = [(index, by_key[key]) for index, key in sorted(mapping.items())]
        self.header_of = {t.key: table.headers[i] for i, t in self.columns}
        self.index_of = {t.key: i for i, t in self.columns}

    def column(self, key: str, fallback: str) -> str:
        return self.header_of.get(key, fallback)

    def read(self, values: list[Any]) -> tuple[dict[str, Any], dict[str, Any], list[str], set[str]]:
        """(record raw values, honour raw values, issues, keys whose cell is not empty).

        A cell that cannot even be prepared (an ID number Excel turned into a number …) gives an
        issue and is left out; ``self.failed`` names those fields so “不能为空” is not said as well.
        """
        record: dict[str, Any] = {}
        honour: dict[str, Any] = {}
        issues: list[str] = []
        present: set[str] = set()
        self.failed: set[str] = set()
        for index, target in self.columns:
            value = values[index] if index < len(values) else None
            if _blank(value):
                continue
            present.add(target.key)
            if target.field.name == "name" and self.kind == "people" and not target.is_honour:
                value = _clean_name(value)
            try:
                prepared = value if target.field.kind == F.REF else _prepare(target.field, value)
            except ParseError as exc:
                issues.append(f"“{self.header_of[target.key]}”：{exc}")
                self.failed.add(target.key)
                continue
            if target.is_honour:
                honour[target.field.name] = prepared
            else:
                record[target.key] = prepared
        return record, honour, issues, present

    def errors(self, findings: Sequence[Finding]) -> list[str]:
        return [self.finding_text(f) for f in findings if f.is_error and f.where not in self.failed]

    def finding_text(self, finding: Finding, prefix: str = "", spec_for: FormSpec | None = None) -> str:
        form = spec_for or self.form
        key = (_HONOUR_PREFIX if form is HONOURS else "") + finding.where
        if form is HONOURS and key not in self.header_of and finding.where in ("category", "level", "award_year"):
            key = _HONOUR_PREFIX + "title"  # what the title says decides these
        column = self.header_of.get(key)
        if column is None:
            try:
                column = form.field(finding.where).label
            except KeyError:
                column = finding.label or finding.where
        return f"“{column}”：{prefix}{finding.message}"


def _progress(progress: ProgressFn | None, done: int, total: int, text: str) -> None:
    if progress is not None and (done % 250 == 0 or done == total):
        progress(done, total, text)


# -- people ----------------------------------------------------------------------------------


def _plan_people(store: Store, reader: _RowReader, progress: ProgressFn | None) -> list[PlanRow]:
    out: list[PlanRow] = []
    by_number: dict[str, PlanRow] = {}
    previous: PlanRow | None = None
    total = len(reader.table.rows)
    for done, (number, values) in enumerate(reader.table.rows, start=1):
        _progress(progress, done, total, "正在检查……")
        raw, honour_raw, issues, present = reader.read(values)
        if not present:
            continue  # only unmapped cells (a pre-numbered 序号 column, say)
        person_keys = {k for k in present if not k.startswith(_HONOUR_PREFIX)}
        honours, honour_issues, honour_warnings = _honours_of_row(reader, honour_raw)
        if not person_keys and previous is not None:
            # Below a person whose cells are merged (or left empty): more honours of the same person.
            previous.rows.append(number)
            previous.honours.extend(honours)
            previous.issues.extend(f"（第{number}行）{i}" for i in issues + honour_issues)
            previous.warnings.extend(honour_warnings)
            if previous.issues:
                previous.action = "error"
            continue
        _settle_ambiguous_month(reader, values, raw)
        clean, findings = validate(reader.form, raw)
        label = str(clean.get("name") or raw.get("name") or "")
        record = PlanRow(number, [number], label, values=clean, honours=honours, present=person_keys)
        record.issues = issues + reader.errors(findings) + honour_issues
        record.warnings = [reader.finding_text(f) for f in findings if not f.is_error] + honour_warnings
        key = clean.get("id_number")
        if key and key in by_number and not record.issues:
            # One row per honour, the person repeated: one record, if the person's cells agree.
            first = by_number[key]
            conflicts = [PEOPLE.field(k).label for k in PEOPLE.names
                         if k in person_keys & first.present and clean.get(k) != first.values.get(k)]
            if conflicts:
                record.issues.append(f"“{reader.column('id_number', '身份证号')}”：与第{first.row}行是同一身份证号，"
                                     f"但{'、'.join(conflicts)}不同，请核对")
            else:
                first.rows.append(number)
                first.honours.extend(honours)
                first.warnings.extend(w for w in record.warnings if w not in first.warnings)
                previous = first
                continue
        if record.issues:
            record.action = "error"
        elif key:
            by_number[key] = record
        out.append(record)
        previous = record
    _match_people(store, reader, out)
    return out


def _settle_ambiguous_month(reader: _RowReader, values: list[Any], raw: dict[str, Any]) -> None:
    """A birth month typed as the number 1978.1 is 1978.10 or 1978.01 (Excel drops the zero either way):
    the ID number, when readable, tells which."""
    column = reader.index_of.get("birth_date")
    if column is None or not isinstance(values[column], float) or raw.get("birth_date") is None:
        return
    text = str(raw["birth_date"])
    if not text.endswith(".10") or "id_number" not in raw:
        return
    number = compact(raw["id_number"]).upper()
    if len(number) == 18 and number[6:10] == text[:4] and number[10:12] == "01":
        raw["birth_date"] = text[:4] + ".01"


def _honours_of_row(reader: _RowReader, raw: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """The honours written in one row: title column(s) with years, several per cell allowed."""
    if not raw:
        return [], [], []
    title_col = reader.column("honours.title", "荣誉称号")
    year_col = reader.column("honours.award_year", "授予年份")
    cell = raw.get("title")
    if cell is None:
        filled = "、".join(f"“{reader.column(_HONOUR_PREFIX + k, k)}”" for k in raw)
        return [], [f"“{title_col}”：填了{filled}，但没有荣誉称号"], []
    titles = [parse_title_with_year(t) for t in split_titles(halfwidth(clean_text(cell)))]
    year_raw = raw.get("award_year")
    if isinstance(year_raw, str) and len(split_titles(year_raw)) > 1:
        years: list[Any] = split_titles(year_raw)
    else:
        years = [] if year_raw is None else [year_raw]
    single = len(titles) == 1
    issues: list[str] = []
    warnings: list[str] = []
    out = []
    for index, (title, own_year) in enumerate(titles):
        honour: dict[str, Any] = {"title": title}
        cell_year = years[index] if len(years) == len(titles) else None
        if years and cell_year is None and own_year is None:
            issues.append(f"“{title_col}”：有{len(titles)}项荣誉，“{year_col}”有{len(years)}个年份，无法对应，"
                          f"请在每项称号前写上年份，如“2015年{title}”")
            continue
        if own_year is not None:
            honour["award_year"] = own_year
            other = _year_of(cell_year) if cell_year is not None else None
            if other is not None and other != own_year:
                issues.append(f"“{title_col}”：称号中的年份{own_year}与“{year_col}”中的{other}不一致")
                continue
        elif cell_year is not None:
            honour["award_year"] = cell_year
        full_date = _full_date(cell_year)
        if full_date and int(full_date[:4]) == _year_of(honour.get("award_year")):
            honour["award_date"] = full_date
        category, level = _infer(title)
        inferred = {"category": category, "level": level}
        for name in ("category", "level"):
            # A 类别/级别 column speaks for a lone title; beside several titles it only fills what the words don't say.
            if name in raw and (single or inferred[name] is None):
                honour[name] = raw[name]
        for name in ("awarding_body", "doc_no", "award_date"):
            if name not in raw:
                continue
            if single:
                honour[name] = raw[name]
                continue
            parts = split_titles(str(raw[name]))
            if len(parts) == len(titles):
                honour[name] = parts[index]
            elif index == 0:
                warnings.append(f"“{reader.column(_HONOUR_PREFIX + name, name)}”：无法与{len(titles)}项荣誉一一对应，"
                                "未导入")
        clean, findings = _validate_honour(tuple(honour.items()))
        if any(f.code == "honours.category.required" for f in findings):
            findings = tuple(f for f in findings if f.code != "honours.level.required")
        for finding in findings:
            message = _honour_message(finding, title)
            prefix = "" if single or title in message else f"“{title}”"
            text = reader.finding_text(dataclasses.replace(finding, message=message), prefix, HONOURS)
            (issues if finding.is_error else warnings).append(text)
        if not any(f.is_error for f in findings):
            out.append(dict(clean))
    return out, issues, warnings


# Honour titles repeat across a roster (a few dozen distinct ones in thousands of rows), and telling a
# title's level scans every division: validating each distinct honour once keeps 10,000 rows fast.
_infer = functools.lru_cache(maxsize=4096)(infer)


@functools.lru_cache(maxsize=8192)
def _validate_honour(items: tuple[tuple[str, Any], ...]) -> tuple[dict[str, Any], tuple[Finding, ...]]:
    clean, findings = validate(HONOURS, dict(items))
    return clean, tuple(findings)


def _honour_message(finding: Finding, title: str) -> str:
    if finding.code == "honours.category.required":
        return (f"无法判断“{title}”属于哪类荣誉（劳动模范/先进工作者、五一劳动奖章、工匠、技术能手），"
                "本程序只统计这四类荣誉；请改用规范称号，或增加“荣誉类别”“荣誉级别”列")
    if finding.code == "honours.level.required":
        return f"无法判断“{title}”的级别（全国、省部级、州市级、县级），请在称号前写明地区或增加“荣誉级别”列"
    if finding.code == "honours.award_year.required":
        return f"“{title}”缺少授予年份，可写作“2015年{title}”或填写授予时间"
    return finding.message


def _year_of(value: Any) -> int | None:
    from common.text import parse_year

    try:
        return parse_year(value)
    except ParseError:
        return None


def _full_date(value: Any) -> str | None:
    if isinstance(value, dt.datetime | dt.date):
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    if isinstance(value, str) and len(compact(value)) > 7:
        try:
            return parse_date(value)
        except ParseError:
            return None
    return None


def _match_people(store: Store, reader: _RowReader, out: list[PlanRow]) -> None:
    """One query for all ID numbers; then existing people are updated (merged) or left unchanged."""
    numbers = [r.values["id_number"] for r in out if r.action != "error" and r.values.get("id_number")]
    existing = {row["id_number"]: row for row in store.query(
        "SELECT * FROM people WHERE id_number IN (SELECT value FROM json_each(?))", (json.dumps(numbers),))}
    ids = [row["id"] for row in existing.values()]
    held: dict[int, set[tuple[str, int]]] = {}
    for row in store.query("SELECT person_id, title, award_year FROM honours "
                           "WHERE person_id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)):
        held.setdefault(row["person_id"], set()).add((row["title"], row["award_year"]))
    id_col = reader.column("id_number", "身份证号")
    for record in out:
        if record.action == "error":
            continue
        record.honours = _unique_honours(record.honours)
        old = existing.get(record.values.get("id_number"))
        if old is None:
            record.warnings.extend(_age_warnings(reader, record.values, record.honours))
            continue
        if old["deleted_at"]:
            record.action = "error"
            record.issues.append(f"“{id_col}”：与回收站中的“{old['name']}”相同，请先在回收站中恢复（或彻底删除）后再导入")
            continue
        record.record_id = old["id"]
        record.snapshot = old["updated_at"]
        merged = _merged_values(reader.form, record, old)
        clean, findings = validate(reader.form, merged)
        _settle_update(reader, reader.form, record, old, clean, findings)
        if record.action == "error":
            continue
        have = held.get(old["id"], set())
        record.honours = [h for h in record.honours if (h["title"], h["award_year"]) not in have]
        record.warnings.extend(_age_warnings(reader, record.values, record.honours))
        if record.action == "unchanged" and record.honours:
            record.action = "update"


def _unique_honours(honours: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[str, int]] = set()
    out = []
    for honour in honours:
        key = (honour["title"], honour["award_year"])
        if key not in seen:
            seen.add(key)
            out.append(honour)
    return out


def _age_warnings(reader: _RowReader, person: Mapping[str, Any], honours: Sequence[Mapping[str, Any]]) -> list[str]:
    findings = records.honour_age_warnings(person, honours)
    column = reader.column("honours.award_year", "授予年份")
    return [f"“{column}”：{f.message}" for f in findings]


def _current_values(form: FormSpec, old: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row's values of ``form``'s fields (a definition's added fields from its ``extra`` column)."""
    stored: dict[str, Any] | None = None
    out: dict[str, Any] = {}
    for f in form.fields:
        if f.name in old:
            value = old[f.name]
        else:
            stored = _stored_extra(old.get("extra")) if stored is None else stored
            value = stored.get(f.name)
        out[f.name] = bool(value) if f.kind == F.BOOL and value is not None else value
    return out


def _stored_extra(text: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(text) if isinstance(text, str) and text else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _merged_values(form: FormSpec, record: PlanRow, old: Mapping[str, Any]) -> dict[str, Any]:
    """The existing record with the file's filled cells laid over it (empty cells change nothing)."""
    merged = _current_values(form, old)
    for key in record.present:
        if key in record.values and record.values[key] is not None:
            merged[key] = record.values[key]
    return merged


def _settle_update(reader: _RowReader, form: FormSpec, record: PlanRow, old: Mapping[str, Any],
                   clean: dict[str, Any], findings: Sequence[Finding]) -> None:
    errors = [f for f in findings if f.is_error]
    if errors:
        record.action = "error"
        record.issues.extend(f"与已有记录合并后，{reader.finding_text(f)}" for f in errors)
        return
    record.warnings.extend(reader.finding_text(f) for f in findings if not f.is_error
                           and reader.finding_text(f) not in record.warnings)
    current = _current_values(form, old)
    record.values = clean
    changed = any(clean.get(f.name) != current.get(f.name) for f in form.fields)
    record.action = "update" if changed else "unchanged"


# -- studios, trainings, competitions -----------------------------------------------------------


def _plan_others(store: Store, kind: str, reader: _RowReader, progress: ProgressFn | None) -> list[PlanRow]:
    """Small files, as a rule: each row gets the full ``records.check`` (uniqueness, studio leader's honour)."""
    form = reader.form
    keys = form.match_keys
    live_only = "" if form.unique else "WHERE deleted_at IS NULL"
    existing: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in store.query(f"SELECT * FROM {form.table} {live_only}"):
        existing.setdefault(tuple(row[k] for k in keys), row)
    leaders = _leader_index(store) if form.kind == STUDIOS.kind else None
    key_column = reader.column(keys[0], form.field(keys[0]).label)
    seen: dict[tuple[Any, ...], int] = {}
    out: list[PlanRow] = []
    total = len(reader.table.rows)
    for done, (number, values) in enumerate(reader.table.rows, start=1):
        _progress(progress, done, total, "正在检查……")
        raw, _honours, issues, present = reader.read(values)
        if not present:
            continue
        leader_unresolved = False
        if leaders is not None and "leader_id" in raw:
            leader, problem = _resolve_leader(leaders, raw["leader_id"])
            if problem:
                issues.append(f"“{reader.column('leader_id', '领办人')}”：{problem}")
                raw.pop("leader_id")
                leader_unresolved = True
            else:
                raw["leader_id"] = leader
        clean, findings = validate(form, raw)
        record = PlanRow(number, [number], clean_text(raw.get(form.name_field) or ""), values=clean,
                         present={k for k in present if k in raw})
        key = tuple(clean.get(k) for k in keys)
        old = existing.get(key) if None not in key else None
        if old is None and not issues:
            _clean, _children, findings = records.check(store, kind, raw)
        if leader_unresolved:
            findings = [f for f in findings if f.code != f"{kind}.leader_id.required"]
        record.issues = issues + reader.errors(findings)
        record.warnings = [reader.finding_text(f) for f in findings if not f.is_error]
        if not record.issues and None not in key:
            if key in seen:
                record.issues.append(f"“{key_column}”：与第{seen[key]}行重复")
            else:
                seen[key] = number
        if record.issues:
            record.action = "error"
        elif old is not None and old.get("deleted_at"):
            record.action = "error"
            record.issues.append(f"“{key_column}”：与回收站中的“{old[form.name_field]}”相同，"
                                 "请先在回收站中恢复（或彻底删除）后再导入")
        elif old is not None:
            record.record_id = old["id"]
            record.snapshot = old["updated_at"]
            record.warnings = []
            merged = _merged_values(form, record, old)
            clean, _children, findings = records.check(store, kind, merged, old["id"])
            _settle_update(reader, form, record, old, clean, findings)
        out.append(record)
    return out


def _plan_studio_outputs(store: Store, reader: _RowReader, progress: ProgressFn | None) -> list[PlanRow]:
    """Yearly outputs: each row names its studio (by name) and year; an existing year of that studio is updated."""
    form = STUDIO_OUTPUTS
    studios = {row["name"]: row for row in store.query("SELECT id, name, deleted_at FROM studios")}
    existing = {(r["studio_id"], r["year"]): r for r in store.query("SELECT * FROM studio_outputs")}
    studio_column = reader.column("studio", STUDIO_COLUMN.label)
    seen: dict[tuple[int, int], int] = {}
    out: list[PlanRow] = []
    total = len(reader.table.rows)
    for done, (number, values) in enumerate(reader.table.rows, start=1):
        _progress(progress, done, total, "正在检查……")
        raw, _honours, issues, present = reader.read(values)
        if not present:
            continue
        name = normalize_middle_dots(clean_text(raw.pop("studio", "") or ""))
        studio = studios.get(name)
        if not name:
            issues.append(f"“{studio_column}”：未填写工作室名称")
        elif studio is None:
            issues.append(f"“{studio_column}”：没有名为“{name}”的工作室，请先录入或导入工作室")
        elif studio["deleted_at"]:
            issues.append(f"“{studio_column}”：工作室“{name}”在回收站中，请先恢复")
        clean, findings = validate(form, raw)
        record = PlanRow(number, [number], f"{name} {clean.get('year') or ''}年".strip(), values=clean,
                         present={k for k in present if k in raw})
        record.issues = issues + reader.errors(findings)
        record.warnings = [reader.finding_text(f) for f in findings if not f.is_error]
        if not record.issues and studio is not None:
            key = (int(studio["id"]), int(clean["year"]))
            record.values["studio_id"] = key[0]
            if key in seen:
                record.issues.append(f"“{reader.column('year', '年度')}”：与第{seen[key]}行是同一工作室的同一年度")
            else:
                seen[key] = number
                old = existing.get(key)
                if old is not None:
                    record.record_id = int(old["id"])
                    merged = {**{f.name: old[f.name] for f in form.fields},
                              **{k: v for k, v in record.values.items() if k in record.present}}
                    merged["studio_id"] = key[0]
                    unchanged = all(merged[f.name] == old[f.name] for f in form.fields)
                    record.values = merged
                    record.action = "unchanged" if unchanged else "update"
        if record.issues:
            record.action = "error"
        out.append(record)
    return out


@dataclasses.dataclass
class _Leaders:
    by_number: dict[str, int]
    by_name: dict[str, list[dict[str, Any]]]


def _leader_index(store: Store) -> _Leaders:
    rows = store.query("SELECT id, name, id_number, employer FROM people WHERE deleted_at IS NULL")
    by_name: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_name.setdefault(row["name"], []).append(row)
    return _Leaders({r["id_number"]: r["id"] for r in rows}, by_name)


def _resolve_leader(leaders: _Leaders, value: Any) -> tuple[int | None, str | None]:
    """A studio leader written as a name, an ID number or ``张三（5308…）``."""
    text = clean_text(halfwidth(str(value)))
    match = re.search(r"\d{17}[\dXx]", compact(text))
    if match:
        number = match.group(0).upper()
        if number in leaders.by_number:
            return leaders.by_number[number], None
        return None, f"名册中没有身份证号为“{number[:6]}…{number[-4:]}”的人员，请先导入人员名册"
    name = _clean_name(re.sub(r"[（(].*?[)）]", "", text)).strip()
    found = leaders.by_name.get(name, [])
    if len(found) == 1:
        return int(found[0]["id"]), None
    if not found:
        return None, f"名册中没有“{name}”，请先在劳模名册中录入或导入此人，或改填身份证号"
    units = "、".join(str(r["employer"] or "") for r in found[:3])
    return None, f"名册中有{len(found)}人名叫“{name}”（{units}），请改填领办人的身份证号"


# ---------------------------------------------------------------------------------------------
# Applying (one transaction), listing and undoing batches


def apply_import(store: Store, plan: ImportPlan, progress: ProgressFn | None = None) -> int:
    """Store every accepted row of ``plan`` in one transaction; returns the batch id (for undo).

    Error rows are left out. Raises :class:`RecordError` when there is nothing to import or the
    store changed since the plan was made (then nothing is written).
    """
    if plan.problems:
        raise RecordError("无法导入：" + "；".join(plan.problems))
    if not plan.has_work:
        raise RecordError("没有可导入的行（新增和更新都为0）")
    form = spec(plan.kind)
    adds, updates = plan.to_add, plan.to_update
    total = len(adds) + len(updates)
    from models.backup import snapshot

    snapshot(store, "import", f"导入“{plan.file_name}”之前")
    stamp = now()
    counts = plan.counts
    items: list[tuple[int, str, int, str, str | None]] = []
    columns = [f.name for f in form.fields]
    honour_columns = [f.name for f in HONOURS.fields]
    logged: list[tuple[str, str, str, int, str, int | None, Sequence[history.Change]]] = []
    if form.parent_key:  # a child table (studio outputs): no search columns or time stamps of its own
        batch_id = _apply_children(store, plan, form, [form.parent_key, *columns], stamp, progress)
        store.refresh_statistics()
        return batch_id
    extra = records.extra_names(store, plan.kind)  # a definition's entry fields: the ``extra`` column (JSON)
    try:
        with store.atomic():
            cursor = store.conn.execute(
                "INSERT INTO import_batches (kind, file_name, sheet, created_at, added, updated, skipped, errors, honours) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (plan.kind, plan.file_name, plan.table.sheet, stamp, counts["added"], counts["updated"],
                 counts["skipped"], counts["errors"], counts["honours"]))
            batch_id = int(cursor.lastrowid or 0)
            done = 0
            for record in adds:  # through the records' one write path (validated when the plan was made)
                values = record.values
                row = records.record_row(form, values, stamp, new=True, columns=columns)
                added_values = {k: values[k] for k in extra if k in values}
                if added_values:
                    row["extra"] = records.extra_column(extra, values, {})
                record_id = records.insert_row(store, form, row)
                items.append((batch_id, form.table, record_id, "insert", None))
                added: list[history.Change] = [(c, None, row[c]) for c in columns if row[c] is not None and row[c] != ""]
                added.extend((k, None, _db_value(v)) for k, v in added_values.items() if v is not None and v != "")
                if record.honours:
                    added.append(("honours", None, sorted(history.child_line(HONOURS, h) for h in record.honours)))
                    records.insert_children(store, HONOURS, record_id,
                                            [{c: h.get(c) for c in honour_columns} for h in record.honours])
                logged.append((stamp, "import", plan.kind, record_id, str(values.get(form.name_field) or ""), batch_id,
                               added))
                done += 1
                _progress(progress, done, total, "正在导入……")
            for record in updates:
                assert record.record_id is not None
                old = store.conn.execute(f"SELECT * FROM {form.table} WHERE id = ?", (record.record_id,))
                names = [d[0] for d in old.description]
                found = old.fetchone()
                if found is None or dict(zip(names, found, strict=True)).get("updated_at") != record.snapshot:
                    raise RecordError(f"“{record.label}”在检查之后被修改或删除了，请重新检查后再导入（本次未写入任何数据）")
                before = dict(zip(names, found, strict=True))
                row = records.record_row(form, record.values, stamp, new=False, columns=columns)
                text = records.extra_column(extra, record.values, _stored_extra(before.get("extra"))) if extra else None
                if text is not None:  # the added fields laid over what the row keeps (other definitions' values stay)
                    row["extra"] = text
                records.update_row(store, form, record.record_id, row)
                items.append((batch_id, form.table, record.record_id, "update",
                              json.dumps(before, ensure_ascii=False)))
                changes = history.diff(history.snapshot(plan.kind, before, extra),
                                       history.snapshot(plan.kind, record.values, extra))
                if record.honours:
                    changes.append(("honours", None, sorted(history.child_line(HONOURS, h) for h in record.honours)))
                logged.append((stamp, "import", plan.kind, record.record_id, str(record.values.get(form.name_field) or ""),
                               batch_id, changes))
                honour_ids = records.insert_children(store, HONOURS, record.record_id,
                                                     [{c: h.get(c) for c in honour_columns} for h in record.honours])
                items.extend((batch_id, "honours", honour_id, "insert", None) for honour_id in honour_ids)
                done += 1
                _progress(progress, done, total, "正在导入……")
            store.conn.executemany("INSERT INTO import_batch_items (batch_id, table_name, record_id, action, before) "
                                   "VALUES (?, ?, ?, ?, ?)", items)
            history.log_many(store, logged)
            records.update_search_index(store, form.table)
    except sqlite3.IntegrityError:
        raise RecordError("导入时发现与已有记录重复（可能在检查之后又录入了数据），请重新检查后再导入（本次未写入任何数据）"
                          ) from None
    # Thousands of rows may have come: the planner's figures brought up to date here, where the import runs (the
    # window's worker thread, behind its progress dialog), not when the window next looks at the store.
    store.refresh_statistics()
    return batch_id


def _apply_children(store: Store, plan: ImportPlan, form: FormSpec, columns: list[str], stamp: str,
                    progress: ProgressFn | None) -> int:
    counts = plan.counts
    items: list[tuple[int, str, int, str, str | None]] = []
    work = [*plan.to_add, *plan.to_update]
    assert form.parent_key is not None
    parents = sorted({int(r.values[form.parent_key]) for r in work})
    with store.atomic():
        parent_kind, before = _parent_snapshots(store, form, parents)
        cursor = store.conn.execute(
            "INSERT INTO import_batches (kind, file_name, sheet, created_at, added, updated, skipped, errors, honours) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
            (plan.kind, plan.file_name, plan.table.sheet, stamp, counts["added"], counts["updated"],
             counts["skipped"], counts["errors"]))
        batch_id = int(cursor.lastrowid or 0)
        for done, record in enumerate(work, start=1):
            values = {c: record.values.get(c) for c in columns}
            if record.record_id is None:
                items.append((batch_id, form.table, records.insert_row(store, form, values), "insert", None))
            else:
                found = store.query(f"SELECT * FROM {form.table} WHERE id = ?", (record.record_id,))
                if not found:
                    raise RecordError(f"“{record.label}”在检查之后被删除了，请重新检查后再导入（本次未写入任何数据）")
                records.update_row(store, form, record.record_id, values)
                items.append((batch_id, form.table, record.record_id, "update",
                              json.dumps(found[0], ensure_ascii=False)))
            _progress(progress, done, len(work), "正在导入……")
        # the studios whose outputs changed count as changed (the list and the return show it)
        store.conn.execute("UPDATE studios SET updated_at = ? WHERE id IN (SELECT value FROM json_each(?))",
                           (stamp, json.dumps(sorted({r.values["studio_id"] for r in work}))))
        store.conn.executemany("INSERT INTO import_batch_items (batch_id, table_name, record_id, action, before) "
                               "VALUES (?, ?, ?, ?, ?)", items)
        _log_parent_changes(store, "import", parent_kind, before, stamp, batch_id)
    return batch_id


def _parent_snapshots(store: Store, form: FormSpec, parent_ids: Iterable[int]
                      ) -> tuple[str, dict[int, dict[str, Any] | None]]:
    """The parent kind of a child form (studio outputs → studios) and the history snapshots of those parents."""
    parent_kind = form.parent
    assert parent_kind is not None, form.kind
    return parent_kind, {pid: history.snapshot(parent_kind, records.get(store, parent_kind, pid)) for pid in parent_ids}


def _log_parent_changes(store: Store, operation: str, parent_kind: str, before: Mapping[int, dict[str, Any] | None],
                        stamp: str, batch_id: int) -> None:
    """History of a child import or its undo, on each parent record whose child lines changed."""
    name_field = spec(parent_kind).name_field
    rows: list[tuple[str, str, str, int, str, int | None, Sequence[history.Change]]] = []
    for pid, old in before.items():
        record = records.get(store, parent_kind, pid)
        changes = history.diff(old, history.snapshot(parent_kind, record))
        if changes:
            rows.append((stamp, operation, parent_kind, pid, str((record or old or {}).get(name_field) or ""),
                         batch_id, changes))
    history.log_many(store, rows)


def _db_value(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def list_batches(store: Store) -> list[dict[str, Any]]:
    """Past imports, newest first, with ``kind_title`` and whether each can still be undone."""
    rows = store.query("SELECT * FROM import_batches ORDER BY id DESC")
    for row in rows:
        row["kind_title"] = IMPORT_KINDS.get(row["kind"], row["kind"])
        row["can_undo"] = row["undone_at"] is None
    return rows


@dataclasses.dataclass(frozen=True)
class UndoResult:
    batch_id: int
    removed: int  # records deleted
    restored: int  # records given back their previous values
    honours_removed: int


def undo_import(store: Store, batch_id: int) -> UndoResult:
    """Take back a whole import: delete what it added, restore what it changed.

    Refused (:class:`RecordError`, nothing changed) when a later import that is still in force
    touched the same records, or when a record was edited after the import: undoing would lose
    that edit. A record the import added and that was later moved to the 回收站 is removed.
    """
    batches = store.query("SELECT * FROM import_batches WHERE id = ?", (batch_id,))
    if not batches:
        raise RecordError(f"没有编号为{batch_id}的导入批次")
    batch = batches[0]
    if batch["undone_at"]:
        raise RecordError(f"这次导入（{batch['file_name']}）已在{batch['undone_at']}撤销过了")
    items = store.query("SELECT * FROM import_batch_items WHERE batch_id = ? ORDER BY id", (batch_id,))
    later = store.query(
        "SELECT DISTINCT b.id, b.file_name, b.created_at FROM import_batch_items i JOIN import_batches b "
        "ON b.id = i.batch_id WHERE b.id > ? AND b.undone_at IS NULL AND EXISTS (SELECT 1 FROM import_batch_items o "
        "WHERE o.batch_id = ? AND o.table_name = i.table_name AND o.record_id = i.record_id) ORDER BY b.id DESC",
        (batch_id, batch_id))
    if later:
        names = "、".join(f"“{r['file_name']}”（{r['created_at'].replace('T', ' ')}）" for r in later)
        raise RecordError(f"之后的导入{names}改动了同一批记录，请先撤销那次导入")
    form = spec(batch["kind"])
    stamp = batch["created_at"]
    changed: list[str] = []
    leaders: list[str] = []
    main_items = [i for i in items if i["table_name"] == form.table]
    current = {r["id"]: r for r in store.query(
        f"SELECT * FROM {form.table} WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps([i["record_id"] for i in main_items]),))}
    for item in main_items:
        row = current.get(item["record_id"])
        if row is None:
            continue  # deleted for good since: nothing to take back
        if "updated_at" in row and row["updated_at"] != stamp:
            changed.append(str(row[form.name_field]))
    if form.table == "people":
        inserted = [i["record_id"] for i in main_items if i["action"] == "insert"]
        for row in store.query("SELECT s.name, p.name AS person FROM studios s JOIN people p ON p.id = s.leader_id "
                               "WHERE s.leader_id IN (SELECT value FROM json_each(?))", (json.dumps(inserted),)):
            leaders.append(f"“{row['person']}”是工作室“{row['name']}”的领办人")
    if changed:
        shown = "、".join(changed[:5]) + (f"等{len(changed)}条" if len(changed) > 5 else "")
        raise RecordError(f"无法撤销：{shown}在导入之后又被修改过，撤销会丢失这些修改。请手工处理这些记录")
    if leaders:
        raise RecordError("无法撤销：" + "；".join(leaders[:5]) + "。请先为这些工作室更换领办人")
    from models.backup import snapshot

    snapshot(store, "import_undo", f"撤销导入“{batch['file_name']}”之前")
    removed = restored = honours_removed = 0
    honour_ids = [i["record_id"] for i in items if i["table_name"] == "honours" and i["action"] == "insert"]
    inserted_ids = [i["record_id"] for i in main_items if i["action"] == "insert"]
    lost_honours: dict[int, list[str]] = {}
    if form.table == "people":
        for h in store.query("SELECT * FROM honours WHERE id IN (SELECT value FROM json_each(?)) "
                             "OR person_id IN (SELECT value FROM json_each(?))",
                             (json.dumps(honour_ids), json.dumps(inserted_ids))):
            lost_honours.setdefault(h["person_id"], []).append(history.child_line(HONOURS, h))
    undo_stamp = now()
    extra = records.extra_names(store, batch["kind"])
    logged: list[tuple[str, str, str, int, str, int | None, Sequence[history.Change]]] = []
    parent_ids = sorted({int(r[form.parent_key]) for r in current.values()}) if form.parent_key else []
    with store.atomic():
        parent_kind, parents_before = _parent_snapshots(store, form, parent_ids) if form.parent_key else ("", {})
        for item in items:
            if item["table_name"] == "honours" and item["action"] == "insert":
                honours_removed += records.delete_row(store, HONOURS, item["record_id"])
        for item in main_items:
            row = current.get(item["record_id"])
            lost = sorted(lost_honours.get(item["record_id"], []))
            if item["action"] == "insert":
                removed += records.delete_row(store, form, item["record_id"])
                if row is not None:
                    old = history.snapshot(batch["kind"], row, extra) or {}
                    if form.table == "people":
                        old["honours"] = lost
                    logged.append((undo_stamp, "import_undo", batch["kind"], item["record_id"],
                                   str(row[form.name_field] or ""), batch_id, history.diff(old, None)))
            else:
                before = json.loads(item["before"])
                before.pop("id", None)
                restored += records.update_row(store, form, item["record_id"], before)  # the row as it was
                if row is not None:
                    changes = history.diff(history.snapshot(batch["kind"], row, extra),
                                           history.snapshot(batch["kind"], before, extra))
                    if lost:
                        changes.append(("honours", lost, None))
                    logged.append((undo_stamp, "import_undo", batch["kind"], item["record_id"],
                                   str(before.get(form.name_field) or ""), batch_id, changes))
        if form.parent_key:  # the parents' history tells it (child rows have no history of their own)
            _log_parent_changes(store, "import_undo", parent_kind, parents_before, undo_stamp, batch_id)
        else:
            history.log_many(store, logged)
        store.conn.execute("UPDATE import_batches SET undone_at = ? WHERE id = ?", (undo_stamp, batch_id))
        records.update_search_index(store, form.table)
    store.refresh_statistics()  # as after an import: thousands of rows may have gone
    return UndoResult(batch_id, removed, restored, honours_removed)


# ---------------------------------------------------------------------------------------------
# Error rows back to Excel


ERROR_ROWS_NOTICE = "错误行文件含完整的身份证号和电话号码（以便改正后重新导入），请妥善保管，不要外传；重新导入后请及时删除"
ERROR_ROWS_NOTICE_LINES = (
    "注意：本文件含完整的身份证号和电话号码等个人信息，请妥善保管，不要外传。",
    "为了改正后能重新导入，错误行保留了原文件中的全部内容（身份证号、电话号码没有遮盖）。",
    "用法：在“错误行”工作表中按“错误原因”列改正，保存后重新导入（“错误原因”列会被忽略）。",
    "重新导入成功后，请及时删除本文件。",
)


def export_error_rows(plan: ImportPlan, path: Path | str) -> int:
    """Write the rows with errors, as read, plus a 错误原因 column, to an .xlsx; returns the row count.

    The file has the original headers in row 1, so after correcting it can be imported again. It keeps
    the full ID numbers and phone numbers on purpose (masked ones could not be imported again); a second
    sheet “说明” and :data:`ERROR_ROWS_NOTICE` say so.
    """
    import xlsxwriter

    from common.atomic_file import atomic_path

    target = Path(path)
    wanted: dict[int, str] = {}
    for record in plan.errors:
        for number in record.rows:
            wanted[number] = ""
        wanted[record.row] = "；".join(record.issues) + f"（原第{record.row}行）"
    rows = [(n, v) for n, v in plan.table.rows if n in wanted]
    headers = [*plan.table.headers, "错误原因"]
    with atomic_path(target) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False,
                                              "strings_to_urls": False})
        sheet = book.add_worksheet("错误行")
        bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        red = book.add_format({"font_color": "#C00000", "text_wrap": True})
        date_format = book.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_row(0, 0, headers, bold)
        for r, (number, values) in enumerate(rows, start=1):
            for c, value in enumerate(values):
                _write_cell(sheet, r, c, value, date_format)
            sheet.write_string(r, len(headers) - 1, wanted[number], red)
        for c, header in enumerate(headers):
            width = 40 if c == len(headers) - 1 else max(8, min(30, len(header) * 2 + 2))
            sheet.set_column(c, c, width)
        sheet.freeze_panes(1, 0)
        note = book.add_worksheet("说明")
        note.set_column(0, 0, 100)
        for r, line in enumerate(ERROR_ROWS_NOTICE_LINES):
            note.write_string(r, 0, line, red if r == 0 else None)
        book.close()
    return len(rows)


def _write_cell(sheet: Any, row: int, col: int, value: Any, date_format: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value)
    elif isinstance(value, dt.datetime | dt.date):
        sheet.write_datetime(row, col, value, date_format)
    else:
        sheet.write_string(row, col, str(value))


def iter_error_messages(plan: ImportPlan) -> Iterator[str]:
    for record in plan.errors:
        yield record.message


__all__ = [
    "DUPLICATE_POLICIES",
    "IMPORT_KINDS",
    "ImportFileError",
    "ImportPlan",
    "PlanRow",
    "Table",
    "Target",
    "UndoResult",
    "apply_import",
    "export_error_rows",
    "iter_error_messages",
    "list_batches",
    "list_sheets",
    "mapping_problems",
    "plan_import",
    "propose_mapping",
    "read_table",
    "targets",
    "undo_import",
]


# ---------------------------------------------------------------------------------------------
# Blank templates: one per import kind, headed with the very labels the import recognises


TEMPLATE_SHEETS = {kind: SPECS[kind].template_sheet for kind in IMPORTABLE}


def template_columns(kind: str, store: Store | None = None) -> list[Target]:
    """The columns of ``kind``'s template: every field (with ``store``: the entry fields its definitions add
    too), a person's honour columns after the person's."""
    if kind not in IMPORT_KINDS:
        raise RecordError(f"没有“{kind}”的模板，可选：{'、'.join(IMPORT_KINDS)}")
    wanted = {"title", "award_year", "awarding_body", "doc_no"}
    return [t for t in targets(kind, store) if not t.is_honour or t.field.name in wanted]


def write_template(kind: str, path: Path | str, store: Store | None = None) -> Path:
    """Write a blank .xlsx template for ``kind`` (header in row 1, a 填写说明 sheet); it imports back cleanly.
    With ``store`` the template has a column for each entry field the store's definitions add."""
    import xlsxwriter

    from common.atomic_file import atomic_path
    from forms import choices as choice_lists

    columns = template_columns(kind, store)
    target = Path(path)
    with atomic_path(target) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False,
                                              "strings_to_urls": False})
        sheet = book.add_worksheet(TEMPLATE_SHEETS[kind])
        head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                "valign": "vcenter", "align": "center"})
        required = book.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1, "text_wrap": True,
                                    "valign": "vcenter", "align": "center"})
        text = book.add_format({"num_format": "@"})
        notes = book.add_worksheet("填写说明")
        notes.set_column(0, 0, 22)
        notes.set_column(1, 1, 90)
        notes.write_row(0, 0, ["列", "怎样填写"], head)
        notes.write_string(1, 0, "（总体）")
        notes.write_string(1, 1, f"在“{TEMPLATE_SHEETS[kind]}”表第2行起每行填一条记录，不要改动第1行的列名；"
                                  "橙色列名为必填。填好后在程序中“数据 → 从Excel/CSV导入…”选择本文件。")
        for c, column in enumerate(columns):
            field = column.field
            must = field.required and not (kind == "people" and field.name in ("sex", "birth_date"))
            sheet.write_string(0, c, column.label, required if must else head)
            width = max(10, min(28, len(column.label) * 2 + 4))
            textual = field.kind in (F.ID_NUMBER, F.MOBILE, F.PHONE, F.TEXT, F.DATE, F.PERIOD)
            sheet.set_column(c, c, width, text if textual else None)
            hint = _template_hint(kind, column)
            if field.kind == F.CHOICE and field.choices and not field.free_text:
                values = choice_lists.values(field.choices)
                if sum(len(v) + 1 for v in values) <= 250:
                    sheet.data_validation(1, c, 5000, c, {"validate": "list", "source": values,
                                                          "error_type": "warning"})
            notes.write_string(c + 2, 0, column.label)
            notes.write_string(c + 2, 1, hint)
        sheet.freeze_panes(1, 0)
        sheet.set_row(0, 32)
        book.close()
    return target


def _template_hint(kind: str, column: Target) -> str:
    from forms import choices as choice_lists

    field = column.field
    parts = ["必填" if field.required else "可不填"]
    if kind == "people" and field.name in ("sex", "birth_date"):
        parts = ["可不填（按身份证号自动填写）"]
    if field.kind == F.ID_NUMBER:
        parts.append("18位居民身份证号，末位X大写")
    elif field.kind == F.DATE:
        parts.append("日期，如 2025-06-30")
    elif field.kind == F.YEAR:
        parts.append("四位年份，如 2025")
    elif field.kind == F.PERIOD:
        parts.append("报告期：2025（年报）、2025H1（半年报）或 2025Q3（季报）")
    elif field.kind == F.INT:
        parts.append(f"整数{('（' + field.unit + '）') if field.unit else ''}")
    elif field.kind == F.MONEY:
        parts.append(f"金额{('（' + field.unit + '）') if field.unit else ''}，最多两位小数")
    elif field.kind == F.BOOL:
        parts.append("填“是”或“否”")
    elif field.kind == F.CHOICE and field.choices:
        values = choice_lists.values(field.choices)
        sample = "、".join(values[:8]) + ("……" if len(values) > 8 else "")
        parts.append(f"可选：{sample}" + ("（也可填其他称号）" if field.free_text else ""))
    if column.is_honour:
        parts.append("一人有多项荣誉时，每项荣誉另起一行，姓名和身份证号照填")
    if column.key == "leader_id":
        parts.append("填领办人姓名；重名时填身份证号")
    if column.key == "studio":
        parts.append("与“工作室”页中的名称完全一致")
    return "；".join(parts)
