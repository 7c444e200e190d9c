"""Hostile files on a USB stick: each is ``malformed`` with a Chinese reason, found before any reader
allocates, and never stops the rest of the folder from being received (bench/bench_hostile.py measures
time and memory)."""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import hostile_files as H
import pytest
from consolidation_support import YEAR, County, receiving_store

from models import receiving, return_io
from models.receiving import ACCEPTED, UNREADABLE


@pytest.fixture
def county(counties: dict[str, County]) -> County:
    """宁洱 with its signed return (built once per session, never written to)."""
    return counties["530821"]


CASES: dict[str, tuple[Callable[[Path, Path], Path], str]] = {
    "cell at XFD1048576": (lambda s, t: H.far_cell(s, t), "范围过"),
    "cell at XFD10000": (lambda s, t: H.far_cell(s, t, "XFD10000"), "范围过"),
    "cell at ZZ40000": (lambda s, t: H.far_cell(s, t, "ZZ40000"), "范围过"),
    # calamine takes any bytes before the first colon for a prefix: these asked it for 200 GB (the process aborted)
    "cell at XFD400000, prefix my-ns:": (lambda s, t: H.far_cell(s, t, "XFD400000", "my-ns:"), "范围过"),
    "cell at XFD400000, prefix 中:": (lambda s, t: H.far_cell(s, t, "XFD400000", "中:"), "范围过"),
    "cell at XFD400000, prefix a.b:": (lambda s, t: H.far_cell(s, t, "XFD400000", "a.b:"), "范围过"),
    # and by a cell's last r: this one, after the r the scan read, asked it for 200 GB too
    "cell at A40 that says r again, at XFD400000": (lambda s, t: H.second_position(s, t), "位置重复"),
    "cell at A40, a quoted gt sign, r at XFD400000": (lambda s, t: H.second_position(s, t, between=' x=">"'), "属性异常"),
    # calamine sets room aside for the shared strings the table claims (48 GB), and reads a sheet wherever it lies
    "2,000,000,000 shared strings claimed": (lambda s, t: H.strings_count(s, t), "共享字符串表"),
    "+2000000000 shared strings claimed": (lambda s, t: H.strings_count(s, t, "+2000000000"), "共享字符串表"),
    "sheet moved to xl·other·s1.bin, cell at XFD400000": (lambda s, t: H.moved_sheet(s, t), "范围过"),
    "huge dimension": (lambda s, t: H.far_dimension(s, t), "范围过"),
    "a megabyte of cell tags without an end": (lambda s, t: H.endless_tags(s, t), "未标明位置的单元格"),
    "a megabyte of dimension tags without an end": (lambda s, t: H.endless_tags(s, t, b"<dimension ref=\"A1 "),
                                                    "单元格地址"),
    "a million cells": (lambda s, t: H.many_cells(s, t, rows=12_000), "范围过"),
    "a 57 MB sheet": (lambda s, t: H.many_cells(s, t), "过大"),
    "extra part claimed 2 GiB": (lambda s, t: H.extra_part_claimed_huge(s, t), "过大"),
    "2 GiB sparse file": (lambda s, t: H.sparse_big(s, t), "文件过大"),
    "compression bomb": (lambda _s, t: H.compression_bomb(t), "压缩比异常"),
    "5000 zip entries": (lambda _s, t: H.many_entries(t), "部件过多"),
    "stream longer than declared": (lambda s, t: H.deflate_lies(s, t), "损坏"),
    "FIFO": (lambda _s, t: H.fifo(t), "管道"),
    "symlink to a device": (lambda _s, t: H.device_link(t), "设备"),
    "empty file": (lambda _s, t: (t.write_bytes(b""), t)[1], "空的"),
}


# Files that take seconds to generate are made once per session and copied (plain files only: never the FIFO,
# the device link or the sparse file).
SLOW_TO_MAKE = ("a million cells", "a 57 MB sheet", "compression bomb", "5000 zip entries")
_made: dict[tuple[str, Path], Path] = {}


def make(name: str, county: County, folder: Path) -> Path:
    if name in ("FIFO", "symlink to a device") and not hasattr(os, "mkfifo"):
        pytest.skip("POSIX only")
    maker, _word = CASES[name]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name.replace(' ', '_')}.xlsx"
    made = _made.get((name, county.xlsx))
    if made is not None and made.is_file():
        shutil.copyfile(made, target)
        return target
    path = maker(county.xlsx, target)
    if name in SLOW_TO_MAKE:
        _made[(name, county.xlsx)] = path
    return path


@pytest.mark.parametrize("name", list(CASES))
def test_each_hostile_file_is_malformed_with_a_chinese_reason(county: County, tmp_path: Path, name: str) -> None:
    path = make(name, county, tmp_path / "U盘")
    result = return_io.read_return(path)
    assert result.status == return_io.MALFORMED, (name, result.status, result.reason)
    assert CASES[name][1] in result.reason, (name, result.reason)
    assert not any(word in result.reason for word in ("Error", "Exception")), result.reason


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and device links are POSIX")
def test_a_folder_with_hostile_files_still_receives_the_good_one(county: County, tmp_path: Path) -> None:
    usb = tmp_path / "U盘 有问题"
    for name in CASES:
        if name != "2 GiB sparse file":  # the others are enough here; it is covered above
            make(name, county, usb)
    good = usb / "zz_好文件" / county.xlsx.name
    good.parent.mkdir()
    good.write_bytes(county.xlsx.read_bytes())
    store = receiving_store(tmp_path / "普洱市", counties={county.code: county})
    try:
        results = receiving.receive_files(store, [usb])
    finally:
        store.close()
    by_name = {r.path.name: r for r in results}
    assert by_name[county.xlsx.name].outcome == ACCEPTED, by_name[county.xlsx.name].reason
    hostile = [r for r in results if r.path.name != county.xlsx.name]
    assert len(hostile) == len(CASES) - 1
    for r in hostile:
        assert r.outcome == UNREADABLE and r.status == "malformed" and r.reason, (r.path.name, r.reason)
    assert YEAR in county.xlsx.name


def test_the_reason_names_the_sheet_as_the_workbook_calls_it(county: County, tmp_path: Path) -> None:
    """The sheet's name comes from the workbook's own parts, read only when a reason needs it."""
    from openpyxl import load_workbook

    path = H.far_cell(county.xlsx, tmp_path / "远处的单元格.xlsx")
    first = load_workbook(county.xlsx, read_only=True).sheetnames[0]
    result = return_io.read_return(path)
    assert result.status == return_io.MALFORMED and f"工作表“{first}”" in result.reason, result.reason


def test_a_sheet_calamine_cannot_read_is_named_in_chinese(county: County, tmp_path: Path) -> None:
    """calamine's own errors are English (``Expecting 'v, f, or is' node``): the reason names the sheet instead."""
    signed = return_io.read_return(H.broken_sheet(county.xlsx, tmp_path / "坏工作表.xlsx"))
    assert signed.status == return_io.TAMPERED and "工作表“封面”" in signed.reason, signed.reason
    unsigned = return_io.read_return(H.broken_sheet(county.xlsx, tmp_path / "坏工作表_无签名.xlsx", keep_signature=False))
    assert unsigned.status == return_io.TAMPERED
    assert "工作表“封面”的内容已损坏" in unsigned.reason, unsigned.reason
    for result in (signed, unsigned):
        assert not any(word in result.reason for word in ("Error", "Expecting", "node")), result.reason


@pytest.mark.parametrize("name", ["cell at XFD1048576", "cell at XFD400000, prefix my-ns:",
                                  "cell at A40 that says r again, at XFD400000",
                                  "a megabyte of cell tags without an end", "stream longer than declared", "empty file",
                                  "broken sheet", "genuine", "pdf"])
def test_reading_ahead_reads_every_file_as_reading_in_turn_does(county: County, tmp_path: Path, name: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A file begun early (``ReadAhead``: its package checked, its sheets read on another thread) gives the very
    result reading it in its turn gives, also where calamine fails on a sheet (on the other thread)."""
    from common import processes

    monkeypatch.setattr(processes, "usable_cpus", lambda: 2)  # the sheets read on another thread, as on a PC
    if name == "broken sheet":
        path = H.broken_sheet(county.xlsx, tmp_path / "坏工作表.xlsx", keep_signature=False)
    elif name in ("genuine", "pdf"):
        path = county.xlsx if name == "genuine" else county.pdf
        assert path is not None
    else:
        path = make(name, county, tmp_path / "U盘")
    in_turn = return_io.read_return(path)
    ahead = return_io.ReadAhead(path)
    try:
        early = return_io.read_return(path, ahead=ahead)
    finally:
        ahead.close()
    assert (early.status, early.reason, early.digest, early.ret) == (in_turn.status, in_turn.reason, in_turn.digest,
                                                                      in_turn.ret)
    assert not [t for t in threading.enumerate() if t.name == "changai-read-sheets"]


def test_a_pdf_whose_attached_data_inflates_a_thousandfold_is_not_inflated(tmp_path: Path) -> None:
    """A signed PDF's attached return is read once its signature is intact, whoever signed it: a 200 KB stream of
    zeros inflated to 200 MB at once (a 64 MB PDF: 64 GB). It is inflated within 48 MB, or not at all."""
    import tracemalloc

    from models import pdfa

    bomb = H.pdf_attachment_bomb(tmp_path / "附件炸弹.pdf").read_bytes()
    assert len(bomb) < 400_000
    tracemalloc.start()
    try:
        assert pdfa.attached_data(bomb) is None
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 80 * 1024 * 1024, peak
    small = H.pdf_attachment_bomb(tmp_path / "小附件.pdf", inflated_mb=1).read_bytes()
    assert pdfa.attached_data(small) == b"\0" * (1 << 20)  # within the bound: read as before
    odd = H.pdf_attachment_bomb(tmp_path / "带参数.pdf", inflated_mb=1, params=True).read_bytes()
    assert pdfa.attached_data(odd) is None  # not as this program writes it
