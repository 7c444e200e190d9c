"""Every font a PDF of the program names is embedded: a county PC or a print shop without the font must print
the same glyphs (reportlab's defaults name Helvetica, which is never embedded)."""

from __future__ import annotations

import io
from typing import Any


def unembedded_fonts(data: bytes) -> list[str]:
    """The names of the fonts the pages (and their forms) use without the font program; [] when all are embedded."""
    from pypdf import PdfReader

    missing: list[str] = []
    fonts = 0

    def visit(resources: Any, seen: set[int]) -> None:
        nonlocal fonts
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font", {}) or {}).values():
            font = font.get_object()
            fonts += 1
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:  # composite: the descriptor is its descendant's
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.append(str(font.get("/BaseFont")))
        for xobject in (resources.get("/XObject", {}) or {}).values():
            xobject = xobject.get_object()
            if id(xobject) not in seen and "/Resources" in xobject:
                seen.add(id(xobject))
                visit(xobject["/Resources"], seen)

    for page in PdfReader(io.BytesIO(data)).pages:
        visit(page.get("/Resources"), set())
    assert fonts > 0, "no font at all"
    return missing


def assert_fonts_embedded(data: bytes, name: str = "") -> None:
    assert b"Helvetica" not in data, name
    assert unembedded_fonts(data) == [], name
