"""Printing the return: the pages of ``models.export_pdf.layout`` drawn with QPainter.

The PDF and the printout come from the same :class:`~models.export_pdf.Page` objects, so the
print preview shows exactly what the PDF contains (A4, Chinese, “第 x 页 共 y 页”).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QImage, QPageLayout, QPageSize, QPainter, QPen
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrinter

    from models.export_pdf import Page
    from models.returns import Return

_family: str | None = None


def font_family() -> str:
    """The bundled font's family (registered with Qt on first use)."""
    global _family
    if _family is None:
        from models.fonts import font_path

        font_id = QFontDatabase.addApplicationFont(font_path())
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        _family = families[0] if families else "WenQuanYi Micro Hei"
    return _family


def paint_page(painter: QPainter, page: Page, scale: float) -> None:
    """Draw one page; ``scale`` is device pixels per point. Fills, then lines, then text (as the PDF)."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    painter.setPen(Qt.PenStyle.NoPen)
    for op in page.ops:
        if op[0] == "rect" and op[6] is not None:
            _, x, y, w, h, _stroke, fill, _dashed = op
            painter.fillRect(QRectF(x * scale, y * scale, w * scale, h * scale),
                             QColor.fromRgbF(fill[0], fill[1], fill[2]))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for op in page.ops:
        kind = op[0]
        if kind == "line":
            _, x1, y1, x2, y2, stroke = op
            painter.setPen(_pen(stroke, scale, False))
            painter.drawLine(QPointF(x1 * scale, y1 * scale), QPointF(x2 * scale, y2 * scale))
        elif kind == "rect" and op[5]:
            _, x, y, w, h, stroke, _fill, dashed = op
            painter.setPen(_pen(stroke, scale, dashed))
            painter.drawRect(QRectF(x * scale, y * scale, w * scale, h * scale))
        elif kind == "circle":
            _, cx, cy, r, stroke, dashed = op
            painter.setPen(_pen(stroke, scale, dashed))
            painter.drawEllipse(QPointF(cx * scale, cy * scale), r * scale, r * scale)
    painter.setPen(QPen(QColor(0, 0, 0)))
    font = QFont(font_family())
    size = 0.0
    for op in page.ops:
        if op[0] == "text":
            if op[3] != size:
                size = op[3]
                font.setPixelSize(max(1, round(size * scale)))
                painter.setFont(font)
            painter.drawText(QPointF(op[1] * scale, op[2] * scale), op[4])
    painter.restore()


def _pen(width: float, scale: float, dashed: bool) -> QPen:
    pen = QPen(QColor(0, 0, 0))
    pen.setWidthF(max(width * scale, 0.5))
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


def page_image(page: Page, dpi: float = 96.0) -> QImage:
    """A page as a white image (for thumbnails and tests)."""
    scale = dpi / 72.0
    image = QImage(round(page.width * scale), round(page.height * scale), QImage.Format.Format_RGB32)
    image.fill(QColor(255, 255, 255))
    painter = QPainter(image)
    paint_page(painter, page, scale)
    painter.end()
    return image


def print_pages(printer: QPrinter, pages: Sequence[Page]) -> None:
    """Print ``pages`` on ``printer`` (A4, each page in its own orientation, no extra margins)."""
    if not pages:
        return
    printer.setFullPage(True)
    painter: QPainter | None = None
    for index, page in enumerate(pages):
        orientation = QPageLayout.Orientation.Landscape if page.landscape else QPageLayout.Orientation.Portrait
        printer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), orientation, QMarginsF(0, 0, 0, 0)))
        if painter is None:
            painter = QPainter(printer)
        elif index:
            printer.newPage()
        rect = printer.pageLayout().fullRectPixels(printer.resolution())
        scale = min(rect.width() / page.width, rect.height() / page.height)
        paint_page(painter, page, scale)
    assert painter is not None
    painter.end()


def preview(parent: QWidget | None, ret: Return, sections: Sequence[str] | None, title: str) -> None:
    """Show the print preview (and print from it) of ``ret``; ``sections`` as in ``layout``."""
    from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

    from models.export_pdf import layout
    from ui.screen import fit_size

    pages = layout(ret, sections=sections)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setDocName(f"{ret.file_stem()} {title}")
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setWindowTitle(f"打印预览 — {title}")
    fit_size(dialog, 900, 1000)  # never taller than the screen (a 768-pixel screen is common)
    dialog.paintRequested.connect(lambda p: print_pages(p, pages))
    try:
        dialog.exec()
    finally:
        dialog.deleteLater()

