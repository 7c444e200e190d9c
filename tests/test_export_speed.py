"""What keeps an export fast stays in place and changes no byte of what it writes (not timed; figures in
``bench/README.md``, ``bench/bench_commands.py``)."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import pytest

from forms.periods import Period
from models.db import Store


def test_an_export_serialises_the_return_once(demo_store: Store, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The workbook's data sheet and digest, the PDF's attachment and digest, the workbook's signed manifest: before,
    each serialised the return again (six times a signed export, seconds for a province's roster)."""
    from models import export, returns, versions
    from models.signing.provider import FileKeySigner
    from tests.signing_support import PASSPHRASE, make_key

    make_key(demo_store)
    versions.finalise(demo_store, Period(2025))
    signer = FileKeySigner.open(demo_store, PASSPHRASE)
    calls: list[int] = []
    dump = returns._dump

    def counted(data):  # type: ignore[no-untyped-def]
        calls.append(1)
        return dump(data)

    monkeypatch.setattr(returns, "_dump", counted)
    export.export_return(demo_store, Period(2025), tmp_path / "signed", version=1, signer=signer)
    assert len(calls) == 1
    assert returns._ONCE == {}  # nothing held after the export


def test_the_same_bytes_with_and_without_serialising_once(demo_store: Store, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from models import export, versions

    versions.finalise(demo_store, Period(2025))
    once = export.export_return(demo_store, Period(2025), tmp_path / "once", version=1)
    monkeypatch.setattr(export, "computed_once", lambda ret: contextlib.nullcontext())
    every_time = export.export_return(demo_store, Period(2025), tmp_path / "every time", version=1)
    assert [p.name for p in once] == [p.name for p in every_time] == ["530821_2025_v1.xlsx", "530821_2025_v1.pdf"]
    for a, b in zip(once, every_time, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_a_changed_return_is_serialised_again_outside_the_block(demo_store: Store) -> None:
    from models import returns, versions

    ret = versions.finalise(demo_store, Period(2025))
    with returns.computed_once(ret) as payload:
        assert returns.canonical_bytes(ret) is payload
        with returns.computed_once(ret) as inner:  # nested: the same bytes
            assert inner is payload
        assert returns.canonical_bytes(ret) is payload
    ret.cover["preparer"] = "改过的填表人"
    assert returns.canonical_bytes(ret) != payload
    assert returns.digest(ret) != returns.digest(returns.from_canonical(payload))


def test_pdfa_copy_without_signing_modules_is_byte_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    """make_pdfa copies the reportlab PDF without pyHanko's search for filled signature fields (which loads all of
    pyhanko.sign); the result is the same bytes as with pyHanko's own copy function."""
    from pyhanko.pdf_utils import writer as pdf_writer

    from models import pdfa
    from tests.signing_support import simple_pdf

    data = simple_pdf(pages=3)
    when = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    ours = pdfa.make_pdfa(data, attachment=b'{"a":1}', description="数据", when=when)
    monkeypatch.setattr(pdfa, "_copy_into_new_writer", pdf_writer.copy_into_new_writer)
    theirs = pdfa.make_pdfa(data, attachment=b'{"a":1}', description="数据", when=when)
    assert ours == theirs


def test_pdfa_copy_of_a_pdf_with_a_form_uses_pyhanko(monkeypatch: pytest.MonkeyPatch) -> None:
    """A PDF with a form (possibly filled signature fields) takes pyHanko's own path, which keeps them raw."""
    from pyhanko.pdf_utils import writer as pdf_writer
    from pyhanko.pdf_utils.reader import PdfFileReader

    from models import pdfa
    from tests.signing_support import simple_pdf

    used: list[bool] = []
    original = pdf_writer.copy_into_new_writer

    def spy(reader):  # type: ignore[no-untyped-def]
        used.append(True)
        return original(reader)

    monkeypatch.setattr(pdf_writer, "copy_into_new_writer", spy)
    import io

    pdfa._copy_into_new_writer(PdfFileReader(io.BytesIO(simple_pdf(pages=1)), strict=False))
    assert used == []
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    w = IncrementalPdfFileWriter(io.BytesIO(simple_pdf(pages=1)))
    fields.append_signature_field(w, fields.SigFieldSpec("签名", box=(300, 60, 560, 180)))
    out = io.BytesIO()
    w.write(out)
    pdfa._copy_into_new_writer(PdfFileReader(io.BytesIO(out.getvalue()), strict=False))
    assert used == [True]


def test_a_small_workbook_is_made_in_memory_with_the_same_bytes(demo_store: Store, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A county's workbook is made in memory (no temporary file per part); a province's keeps XlsxWriter's temporary
    files. Both give the same parts; where text files end lines with "\n" (not Windows, where XlsxWriter's temporary
    files end them with "\r\n", which every XML reader reads back as "\n") the same bytes, entry headers included."""
    import os
    import zipfile

    import xlsxwriter

    from models import export_xlsx, versions

    ret = versions.finalise(demo_store, Period(2025))
    assert 0 < sum(len(rows) for rows in ret.rosters.values()) <= export_xlsx.IN_MEMORY_ROSTER_ROWS
    options: list[dict[str, object]] = []
    real = xlsxwriter.Workbook

    class Recording(real):  # type: ignore[misc, valid-type]
        def __init__(self, target: object, opts: dict[str, object]) -> None:
            options.append(opts)
            super().__init__(target, opts)

    monkeypatch.setattr(xlsxwriter, "Workbook", Recording)
    export_xlsx.write_xlsx(ret, tmp_path / "内存 中.xlsx", fingerprint="AB" * 32)
    monkeypatch.setattr(export_xlsx, "IN_MEMORY_ROSTER_ROWS", 0)
    export_xlsx.write_xlsx(ret, tmp_path / "临时 文件.xlsx", fingerprint="AB" * 32)
    assert [o["in_memory"] for o in options] == [True, False]
    in_memory = (tmp_path / "内存 中.xlsx").read_bytes()
    if os.linesep == "\n":
        assert in_memory == (tmp_path / "临时 文件.xlsx").read_bytes()
    with zipfile.ZipFile(tmp_path / "内存 中.xlsx") as a, zipfile.ZipFile(tmp_path / "临时 文件.xlsx") as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name).replace(b"\r\n", b"\n"), name
    with zipfile.ZipFile(tmp_path / "内存 中.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 31, 0, 0, 0)}
        assert "xl/worksheets/sheet1.xml" in z.namelist()
