"""What keeps an export fast stays in place and changes no byte of what it writes (not timed; figures in
``bench/README.md``, ``bench/bench_commands.py``)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

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


_TEXT = st.text(st.one_of(st.sampled_from("张王李赵刘陈杨黄周吴（）()\\\\ 0123456789abcXYZ\u00a0,.·—"),
                          st.characters(min_codepoint=0x20, max_codepoint=0x9FFF, exclude_categories=("Cs",))),
                max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([7.5, 9.0, 9.0, 10.5]), _TEXT), max_size=40),
       st.lists(st.sampled_from([chr(c) for c in range(0x4E00, 0x4E00 + 700)]), min_size=0, max_size=600))
@example([(9.0, "张0王(1)"), (7.5, "男"), (9.0, "张0王(1)"), (7.5, "李\\四 5")], [chr(0x4E00 + n) for n in range(600)])
def test_the_text_writer_writes_what_reportlab_writes(strings: list[tuple[float, str]], filler: list[str]) -> None:
    """``export_pdf._text_writer`` writes a page's text operators itself: for any strings and sizes, the same text
    as reportlab's own ``setFont`` + ``_formatText``, font subsets included (``filler`` first takes up to 600 of
    the font's subset places, so later strings cross into new subsets)."""
    import io

    from reportlab.pdfgen.canvas import Canvas

    from models.export_pdf import _text_writer
    from models.fonts import FONT_NAME, reportlab_font

    reportlab_font()
    writes = [(9.0, "".join(filler)), *strings]

    def pages(own: bool) -> list[str]:
        """Two pages of one document, the same strings on both (the second shows them again: runs reused)."""
        canvas = Canvas(io.BytesIO(), invariant=1, initialFontName=FONT_NAME)
        codes = []
        for _page in range(2):
            text = canvas.beginText()
            if own:
                write = _text_writer(text)
                for n, (size, string) in enumerate(writes):
                    write(10.0 + n, 700.5 - n, size, string)
            else:
                size_set = 0.0
                for n, (size, string) in enumerate(writes):
                    if size != size_set:
                        size_set = size
                        text.setFont(FONT_NAME, size)
                    text._code.append(f"1 0 0 1 {10.0 + n:.2f} {700.5 - n:.2f} Tm")
                    text._code.append(text._formatText(string))
            codes.append(text.getCode())
            canvas.drawText(text)
            canvas.showPage()
        return codes

    assert pages(own=True) == pages(own=False)


_COORD = st.one_of(st.floats(min_value=-2000, max_value=2000, allow_nan=False),
                   st.sampled_from([0.0, 40.0, 0.5, 1e-8, -1e-8, 595.2756, 841.8898 - 123.456789, 1e-7, 1.0]))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.tuples(st.just("line"), _COORD, _COORD, _COORD, _COORD),
                          st.tuples(st.just("rect"), _COORD, _COORD, _COORD, _COORD)), max_size=40))
def test_the_path_writer_writes_what_reportlab_writes(ops: list[tuple[str, float, float, float, float]]) -> None:
    """``export_pdf._PathWriter`` appends a path's operators itself, numbers formatted once per value: for any
    lines and rectangles, the same path code as reportlab's own ``moveTo`` + ``lineTo`` and ``rect``."""
    import io

    from reportlab.pdfgen.canvas import Canvas

    from models.export_pdf import _path_writer

    canvas = Canvas(io.BytesIO(), invariant=1)
    for _twice in range(2):  # the second time every number comes from the formatted values
        own, public = _path_writer(canvas), canvas.beginPath()
        for kind, a, b, c, d in ops:
            if kind == "line":
                own.line(a, b, c, d)
                public.moveTo(a, b)
                public.lineTo(c, d)
            else:
                own.rect(a, b, c, d)
                public.rect(a, b, c, d)
        assert own.path.getCode() == public.getCode()


def test_an_export_pdf_is_the_same_without_its_shortcuts(demo_store: Store, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo county's PDF, drawn with the path writer, the text writer and its reused runs, is byte for byte the
    PDF drawn with reportlab's public calls."""
    from models import export, export_pdf, versions

    versions.finalise(demo_store, Period(2025))
    fast = export.export_return(demo_store, Period(2025), tmp_path / "fast", formats=["pdf"], version=1)
    monkeypatch.setattr(export_pdf._PathWriter, "__init__", _public_path)
    monkeypatch.setattr(export_pdf, "_RUNS_HELD", 0)
    public = export.export_return(demo_store, Period(2025), tmp_path / "public", formats=["pdf"], version=1)
    assert fast[0].read_bytes() == public[0].read_bytes()


def _public_path(self: object, path: object) -> None:
    self.path = path  # type: ignore[attr-defined]
    self._direct = False  # type: ignore[attr-defined]
