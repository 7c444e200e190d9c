"""The bundled font's character tables, kept on disk so a new process does not parse them again.

reportlab reads a TrueType font's cmap, hmtx and loca tables one number at a time (about 200,000 calls for the
bundled font): 0.15–0.2 s in every process that draws a PDF or checks which characters can be printed (the review
does), which is most of a command such as ``export``. The tables are the same every time, so the first process
writes them to the user's cache folder (``common.paths.cache_dir``) as plain arrays, and later ones read them back
in a few milliseconds.

The cache is only ever a copy: it names the font's SHA-256, reportlab's version and its own format, and carries the
SHA-256 of its contents. Anything that does not match — another font, another reportlab, a damaged or truncated
file, a file too large — is ignored and the font is parsed as before (and the cache written again). It holds
numbers only (no pickle), read with a size bound before anything is allocated.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import struct
import sys
from array import array
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, overload

FORMAT = 1
MAGIC = b"CHANGAI-FONT-TABLES\n"
MAX_BYTES = 16 * 1024 * 1024  # the bundled font's tables are about 1.7 MB
_COUNT = struct.Struct("<cQ")  # an array's type code and its number of items


def load_font(name: str, path: str, cache_dir: Path | None) -> Any:
    """``reportlab`` ``TTFont`` for the file at ``path``, its character tables from ``cache_dir`` when a valid copy
    is there (``None``: no cache)."""
    from fnmatch import fnmatch
    from weakref import WeakKeyDictionary

    from reportlab import rl_config
    from reportlab.pdfbase import ttfonts

    class Face(ttfonts.TTFontFace):  # type: ignore[misc]
        def extractInfo(self, charInfo: int = 1) -> None:  # reportlab's names
            if not charInfo or cache_dir is None:
                super().extractInfo(charInfo)
                return
            key = _key(self._ttf_data)
            tables = _read(cache_dir / f"font-{key['font_sha256'][:24]}.bin", key)
            if tables is None:
                super().extractInfo(1)
                with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
                    _write(cache_dir / f"font-{key['font_sha256'][:24]}.bin", key, self)
                return
            super().extractInfo(0)  # names, metrics and flags: a few hundred reads
            eager, lazy = tables
            self.__dict__.update(eager)
            self.__dict__["_lazy_tables"] = lazy

        def __getattr__(self, name: str) -> Any:  # only for attributes not set: the tables built when first used
            lazy = self.__dict__.get("_lazy_tables")
            if lazy is not None and name in lazy:
                value = lazy.pop(name)()
                self.__dict__[name] = value
                return value
            raise AttributeError(name)

    class Font(ttfonts.TTFont):  # type: ignore[misc]
        def __init__(self, font_name: str, filename: str) -> None:
            # TTFont.__init__ with the face above (it names its face class directly); tests compare the result
            # with reportlab's own, attribute by attribute
            self.fontName = font_name
            self.face = Face(filename)
            self.encoding = ttfonts.TTEncoding()
            self.state: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()
            self._asciiReadable = rl_config.ttfAsciiReadable
            self.shapable = not any(fnmatch(font_name, glob) for glob in ttfonts.unShapedFontGlob)

    return Font(name, path)


def _key(font_data: bytes) -> dict[str, Any]:
    from reportlab import Version

    return {"format": FORMAT, "font_sha256": hashlib.sha256(font_data).hexdigest(), "reportlab": Version}


# The tables, as arrays: dict keys and values in their order; hmetrics' advance widths are ints for the first
# numberOfHMetrics glyphs and floats after them (reportlab keeps the scaled width there), stored as two arrays, so the
# restored tables equal the parsed ones in value, type and order.
def _arrays(face: Any) -> dict[str, array[Any]] | None:
    g2c = face.glyphToChar
    widths = [aw for aw, _lsb in face.hmetrics]
    ints = next((n for n, aw in enumerate(widths) if not isinstance(aw, int)), len(widths))
    if not all(isinstance(aw, float) for aw in widths[ints:]):
        return None  # not the layout described above: no cache, the font is parsed each time
    return {
        "c2g_char": array("Q", face.charToGlyph), "c2g_glyph": array("Q", face.charToGlyph.values()),
        "g2c_glyph": array("Q", g2c), "g2c_count": array("Q", map(len, g2c.values())),
        "g2c_char": array("Q", (c for chars in g2c.values() for c in chars)),
        "cw_char": array("Q", face.charWidths), "cw_width": array("d", face.charWidths.values()),
        "hm_aw_int": array("q", widths[:ints]), "hm_aw_float": array("d", widths[ints:]),
        "hm_lsb": array("q", (lsb for _aw, lsb in face.hmetrics)),
        "glyph_pos": array("Q", face.glyphPos),
    }


class Metrics(Sequence[tuple[Any, int]]):
    """reportlab's ``hmetrics`` (advance width, left side bearing) by glyph, each pair made when it is read.

    A font subset reads the pairs of its own glyphs only (a few hundred of the font's 49,531); building the whole
    list took 10–20 ms of every export. The advance widths are ints for the first glyphs and floats after them, as
    reportlab's parser leaves them."""

    __slots__ = ("_floats", "_ints", "_lsb", "_split")

    def __init__(self, ints: array[int], floats: array[float], lsb: array[int]) -> None:
        self._ints, self._floats, self._lsb, self._split = ints, floats, lsb, len(ints)

    def __len__(self) -> int:
        return len(self._lsb)

    @overload
    def __getitem__(self, index: int) -> tuple[Any, int]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[Any, int]]: ...

    def __getitem__(self, index: int | slice) -> tuple[Any, int] | list[tuple[Any, int]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        lsb = self._lsb[index]  # IndexError and negative indices as a list's
        index %= len(self._lsb)
        return (self._ints[index] if index < self._split else self._floats[index - self._split]), lsb


def _tables(arrays: dict[str, array[Any]], default_width: float) -> tuple[dict[str, Any], dict[str, Callable[[], Any]]]:
    """reportlab's tables from the arrays: (those every use needs, those built when first asked for). Drawing text
    needs the character maps and widths; the glyph metrics and positions are read only when a font subset is
    written into a PDF, glyph by glyph (they are served from the arrays as they are: indexing an array gives the
    ints and floats the parser's lists hold), and the glyph-to-character map only by reportlab's own parser (not at
    all after a load)."""
    from itertools import accumulate

    def glyph_to_char() -> dict[int, list[int]]:
        chars = arrays["g2c_char"].tolist()
        ends = list(accumulate(arrays["g2c_count"]))
        starts = [0, *ends[:-1]]
        return dict(zip(arrays["g2c_glyph"].tolist(), [chars[a:b] for a, b in zip(starts, ends, strict=True)],
                        strict=True))

    def hmetrics() -> Metrics:
        return Metrics(arrays["hm_aw_int"], arrays["hm_aw_float"], arrays["hm_lsb"])

    if sum(arrays["g2c_count"]) != len(arrays["g2c_char"]):
        raise ValueError("glyphToChar counts")
    if len(arrays["hm_aw_int"]) + len(arrays["hm_aw_float"]) != len(arrays["hm_lsb"]):
        raise ValueError("hmetrics lengths")
    if len(arrays["g2c_glyph"]) != len(arrays["g2c_count"]):
        raise ValueError("glyphToChar lengths")
    eager = {
        "charToGlyph": dict(zip(arrays["c2g_char"].tolist(), arrays["c2g_glyph"].tolist(), strict=True)),
        "charWidths": dict(zip(arrays["cw_char"].tolist(), arrays["cw_width"].tolist(), strict=True)),
        "defaultWidth": default_width,
    }
    lazy: dict[str, Callable[[], Any]] = {"glyphToChar": glyph_to_char, "hmetrics": hmetrics,
                                          "glyphPos": lambda: arrays["glyph_pos"]}
    return eager, lazy


def _write(path: Path, key: dict[str, Any], face: Any) -> None:
    from common.atomic_file import write_bytes_atomic

    tables = _arrays(face)
    if tables is None:
        return
    body = bytearray()
    for name, values in tables.items():
        if sys.byteorder != "little":
            values.byteswap()
        encoded = name.encode("ascii")
        body += struct.pack("<B", len(encoded)) + encoded + _COUNT.pack(values.typecode.encode(), len(values))
        body += values.tobytes()
    header = {**key, "default_width": face.defaultWidth, "pos": face._pos}  # pos: where reportlab's parser ends
    header["sha256"] = _digest(header, body)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, MAGIC + json.dumps(header, sort_keys=True).encode("ascii") + b"\n" + bytes(body))


def _digest(header: dict[str, Any], body: bytes | bytearray | memoryview) -> str:
    """SHA-256 of the header (less this digest) and the body: a changed byte anywhere is seen."""
    fields = {k: v for k, v in header.items() if k != "sha256"}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode("ascii") + b"\n" + body).hexdigest()


def _read(path: Path, key: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Callable[[], Any]]] | None:
    """The tables from ``path`` if it is a complete copy made for ``key``; None for anything else."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_BYTES or not data.startswith(MAGIC):
        return None
    try:
        end = data.index(b"\n", len(MAGIC), len(MAGIC) + 1024)
        header = json.loads(data[len(MAGIC):end])
        body = memoryview(data)[end + 1:]
        if not isinstance(header, dict) or any(header.get(k) != v for k, v in key.items()):
            return None
        if header.get("sha256") != _digest(header, body):
            return None
        default_width, end_pos = header["default_width"], header["pos"]
        if not isinstance(default_width, (int, float)) or not isinstance(end_pos, int):
            return None
        arrays: dict[str, array[Any]] = {}
        pos = 0
        while pos < len(body):
            size = body[pos]
            name = bytes(body[pos + 1:pos + 1 + size]).decode("ascii")
            pos += 1 + size
            code, count = _COUNT.unpack_from(body, pos)
            pos += _COUNT.size
            values = array(code.decode("ascii"))
            length = count * values.itemsize
            if pos + length > len(body):
                return None
            values.frombytes(body[pos:pos + length])
            if sys.byteorder != "little":
                values.byteswap()
            arrays[name] = values
            pos += length
        eager, lazy = _tables(arrays, default_width)
        return {**eager, "_pos": end_pos}, lazy
    except (ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError, struct.error):
        return None
