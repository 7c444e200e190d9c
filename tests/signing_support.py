"""Helpers shared by the signing tests: stores with keys, a simple PDF, a foreign unit's certificate."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from models.db import Store, open_store

PASSPHRASE = "宁洱-Return-2026"
OTHER_PASSPHRASE = "another-secret-9"


def setup_unit(store: Store, code: str) -> None:
    from models import unit

    unit.setup(store, code=code, head="李国华", statistician="王丽", preparer="张敏", phone="0879-3231234")


def make_key(store: Store, passphrase: str = PASSPHRASE):  # type: ignore[no-untyped-def]
    from models.signing import keys

    return keys.create_key(store, passphrase, passphrase)


def other_unit_store(folder: Path, code: str = "530822") -> Store:
    """A second unit (default 墨江, a sibling county of 宁洱) with its own key, in its own data folder."""
    folder.mkdir(parents=True, exist_ok=True)
    store = open_store(folder)
    setup_unit(store, code)
    make_key(store, OTHER_PASSPHRASE)
    return store


def simple_pdf(pages: int = 2, stamp: Any = None) -> bytes:
    """A small reportlab PDF with Chinese text and a reserved rectangle on page 1; with ``stamp``
    (:func:`models.signing.pdf.prepare`) the signature is placed in that rectangle, ready to be signed."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from models.fonts import FONT_NAME, reportlab_font

    reportlab_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for page in range(pages):
        c.setFont(FONT_NAME, 16)
        c.drawString(72, 760, f"产业工人队伍建设改革统计表 第{page + 1}页")
        c.drawString(72, 700, "表1 劳模和先进人物 合计 105")
        if page == 0:
            c.rect(300, 60, 260, 120)
            if stamp is not None:
                from models.signing.pdf import place

                place(c, stamp)
        c.showPage()
    c.save()
    return buf.getvalue()


def signed_pdf(signer: Any, *, unit_name: str = "宁洱哈尼族彝族自治县总工会", unit_code: str = "530821",
               seal_image: Path | None = None, pages: int = 2) -> bytes:
    """:func:`simple_pdf` signed by ``signer``, its box in :data:`STAMP_RECT` (as an export signs its PDF)."""
    from models.signing.pdf import complete_bytes, prepare

    stamp = prepare(signer, unit_name=unit_name, unit_code=unit_code, rect=STAMP_RECT, seal_image=seal_image)
    return complete_bytes(simple_pdf(pages, stamp), stamp, signer)


STAMP_RECT = (300.0, 60.0, 560.0, 180.0)
