"""The bundled font's character tables from the cache are reportlab's own, and a cache that is not a valid copy
is never used (models.font_tables)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from models.font_tables import MAX_BYTES, load_font
from models.fonts import FONT_NAME, font_path


def _parsed() -> Any:
    from reportlab.pdfbase.ttfonts import TTFont

    return TTFont(FONT_NAME, font_path())


def _same_font(a: Any, b: Any) -> None:
    assert type(b).__mro__[1:] == type(a).__mro__  # a subclass of reportlab's TTFont, nothing else
    assert type(b.face).__mro__[1:] == type(a.face).__mro__
    assert ({k: type(v) for k, v in a.__dict__.items() if k != "face"}
            == {k: type(v) for k, v in b.__dict__.items() if k != "face"})
    assert (a.fontName, a._asciiReadable, a.shapable) == (b.fontName, b._asciiReadable, b.shapable)
    fa = a.face.__dict__
    for key in fa:  # tables read from a cache are built when first asked for
        getattr(b.face, key)
    assert not b.face.__dict__.get("_lazy_tables")
    fb = {k: v for k, v in b.face.__dict__.items() if k != "_lazy_tables"}
    assert sorted(fa) == sorted(fb)
    for key, value in fa.items():
        if key == "_pdfScale":
            assert value(1234) == fb[key](1234)
        elif key == "_ttf_data":
            assert value == fb[key]
        elif key in ("hmetrics", "glyphPos"):  # read by index only (makeSubset): a sequence, pairs made when read
            assert repr(list(value)) == repr(list(fb[key])), key
            assert len(value) == len(fb[key])
            assert repr([fb[key][i] for i in (0, 1, len(value) - 1, -1, -len(value))]) == repr(
                [value[i] for i in (0, 1, len(value) - 1, -1, -len(value))]), key
        else:  # value, type and order (repr shows 600 against 600.0 and the order of a dict)
            assert repr(value) == repr(fb[key]), key


def _pdf(font: Any) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen.canvas import Canvas

    pdfmetrics.registerFont(font)
    buf = io.BytesIO()
    canvas = Canvas(buf, invariant=1, initialFontName=font.fontName)
    canvas.setFont(font.fontName, 12)
    canvas.drawString(50, 700, "宁洱哈尼族彝族自治县总工会 表1 劳模和先进人物情况 123,456 ½ ￥")
    canvas.drawString(50, 680, f"宽度 {pdfmetrics.stringWidth('产改统计填报 ABC', font.fontName, 10.5):.4f}")
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


@pytest.fixture(scope="module")
def parsed() -> Any:
    return _parsed()


@pytest.fixture(scope="module")
def good_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache file as the program writes it."""
    folder = tmp_path_factory.mktemp("font_cache")
    load_font(FONT_NAME, font_path(), folder)
    (cache,) = folder.glob("font-*.bin")
    return cache


def test_tables_from_the_cache_are_the_parsed_ones(parsed: Any, tmp_path: Path) -> None:
    first = load_font(FONT_NAME, font_path(), tmp_path)  # parses and writes the cache
    (cache,) = tmp_path.glob("font-*.bin")
    second = load_font(FONT_NAME, font_path(), tmp_path)  # reads it
    _same_font(parsed, first)
    _same_font(parsed, second)
    assert cache.stat().st_size < MAX_BYTES
    # the same PDF bytes, subset included (registered under one name, one after the other)
    name = "FontTablesTest"
    a, b = _parsed(), load_font(FONT_NAME, font_path(), tmp_path)
    a.fontName = b.fontName = name
    assert _pdf(a) == _pdf(b)


def test_tables_only_a_subset_needs_are_built_when_a_pdf_is_written(good_cache: Path) -> None:
    """Measuring and checking text needs the character maps; a PDF's font subset the glyph metrics and positions;
    nothing after loading needs the glyph-to-character map (a process that only reviews builds none of them)."""
    font = load_font(FONT_NAME, font_path(), good_cache.parent)
    assert set(font.face.__dict__["_lazy_tables"]) == {"glyphToChar", "hmetrics", "glyphPos"}
    assert font.stringWidth("宁洱哈尼族彝族自治县", 10) > 0 and ord("宁") in font.face.charToGlyph
    assert set(font.face.__dict__["_lazy_tables"]) == {"glyphToChar", "hmetrics", "glyphPos"}
    subset = font.face.makeSubset([ord(c) for c in "宁洱哈尼族 123"])  # what a PDF's font subset is made with
    assert subset[:4] == b"\x00\x01\x00\x00"
    assert set(font.face.__dict__["_lazy_tables"]) == {"glyphToChar"}


def test_without_a_cache_folder_the_font_is_parsed(parsed: Any) -> None:
    _same_font(parsed, load_font(FONT_NAME, font_path(), None))


def _damaged(cache: Path, how: str) -> None:
    data = bytearray(cache.read_bytes())
    if how == "truncated":
        cache.write_bytes(bytes(data[:len(data) // 2]))
    elif how == "one byte changed":
        data[-100] ^= 0x01
        cache.write_bytes(bytes(data))
    elif how == "another reportlab":
        cache.write_bytes(bytes(data).replace(b'"reportlab": "', b'"reportlab": "0.', 1))
    elif how == "default width changed":
        cache.write_bytes(bytes(data).replace(b'"default_width": 1000.0', b'"default_width": 1001.0', 1))
    elif how == "header only":
        cache.write_bytes(bytes(data[:data.index(b"\n", 30) + 1]))
    elif how == "garbage":
        cache.write_bytes(b"\x00" * 5000)
    elif how == "too large":
        with cache.open("ab") as fh:
            fh.truncate(MAX_BYTES + 10)
    elif how == "a folder":
        cache.unlink()
        cache.mkdir()
    else:
        raise AssertionError(how)


@pytest.mark.parametrize("how", ["truncated", "one byte changed", "another reportlab", "default width changed",
                                 "header only", "garbage", "too large", "a folder"])
def test_a_cache_that_is_not_a_valid_copy_is_ignored_and_made_again(parsed: Any, good_cache: Path, tmp_path: Path,
                                                                    how: str) -> None:
    cache = tmp_path / good_cache.name
    good = good_cache.read_bytes()
    cache.write_bytes(good)
    _damaged(cache, how)
    _same_font(parsed, load_font(FONT_NAME, font_path(), tmp_path))
    if how != "a folder":  # written again (a folder in the way stays: the font is parsed each time)
        assert cache.read_bytes() == good


def test_a_cache_folder_that_cannot_be_written_only_costs_time(parsed: Any, tmp_path: Path) -> None:
    blocked = tmp_path / "不是文件夹"
    blocked.write_text("x", encoding="utf-8")  # a file where the folder should be
    _same_font(parsed, load_font(FONT_NAME, font_path(), blocked / "缓存"))


def test_the_font_is_loaded_once_when_an_export_is_warmed_up_meanwhile(tmp_path: Path) -> None:
    """``models.export.warm_up`` may load the font in a background thread while the export itself asks for it:
    the font is read and registered once, and the canvas draws with the very object the layout measures with."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import sys, threading
        sys.path.insert(0, sys.argv[1])
        from common import paths
        paths.cache_dir = lambda: None  # no cache folder: the slow parse, the widest window for a race
        from models import export, fonts
        threads = [threading.Thread(target=export.warm_up, kwargs={"signing": True}) for _ in range(3)]
        for t in threads:
            t.start()
        font = fonts.reportlab_font()
        for t in threads:
            t.join()
        from reportlab.pdfbase import pdfmetrics
        print(fonts._registered_font.cache_info().misses, pdfmetrics.getFont(fonts.FONT_NAME) is font,
              fonts.reportlab_font() is font)
    """)
    root = str(Path(__file__).resolve().parent.parent)
    proc = subprocess.run([sys.executable, "-c", script, root], capture_output=True, text=True, encoding="utf-8",
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "True", "True"]


def test_glyph_metrics_read_as_the_parser_s_list(parsed: Any, good_cache: Path) -> None:
    """What makeSubset reads (index by glyph) and what a list would give anywhere else: indices from either end,
    slices, the IndexError past the end, ints then floats as the parser left them."""
    expected = parsed.face.hmetrics
    got = load_font(FONT_NAME, font_path(), good_cache.parent).face.hmetrics
    n = len(expected)
    assert len(got) == n
    for index in (0, 1, n // 2, n - 1, -1, -n):
        assert repr(got[index]) == repr(expected[index])
    for part in (slice(0, 5), slice(n - 3, None), slice(-4, -1), slice(None, None, 9973), slice(10, 2)):
        assert repr(got[part]) == repr(expected[part])
    for index in (n, -n - 1):
        with pytest.raises(IndexError):
            got[index]
    assert {type(aw) for aw, _lsb in got} == {type(aw) for aw, _lsb in expected}
