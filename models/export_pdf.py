"""The return as a printable PDF (A4, Chinese font embedded as a subset).

Layout and drawing are separate: :func:`layout` turns a :class:`~models.returns.Return` into
:class:`Page` objects holding simple drawing operations (text, lines, rectangles, circles) in
points from the top-left corner; :func:`write_pdf` draws them with reportlab, and the GUI's print
preview draws the very same pages with QPainter. So the printout and the PDF always agree.

Pages: cover (封面, with the 盖章 area and the box the signature will occupy), the summary sheet
(汇总表, key figures and two charts, made to be printed and stamped), 表1–表5, 附表1–2 (ID
numbers masked 前6后4), and the 说明 of the review warnings. Every page is numbered
“第 x 页 共 y 页”.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from common.text import date_cn
from forms import returns as R
from forms.definition import Definition
from models.fonts import FONT_NAME, printable, reportlab_font
from models.returns import Number, Return, digest, short_digest

if TYPE_CHECKING:
    from models.signing.pdf import SignatureStamp

Progress = Callable[..., None]

A4_W, A4_H = 595.2756, 841.8898
MARGIN_X = 40.0
MARGIN_TOP = 40.0
MARGIN_BOTTOM = 46.0
LINE = 0.5
BORDER = 1.2
PALETTE = ((0.12, 0.29, 0.53), (0.27, 0.51, 0.71), (0.55, 0.72, 0.85), (0.80, 0.87, 0.94))
TOTAL_FILL = (0.93, 0.93, 0.93)
HEADER_FILL = (0.96, 0.96, 0.96)

# Where the visible signature goes on the cover (page 1), in points from the top-left corner:
# x, y, width, height. A signing step draws into this box; the PDF leaves it empty.
SIGNATURE_BOX = (A4_W - MARGIN_X - 230.0, 600.0, 230.0, 110.0)
SIGNATURE_FIELD = "单位电子签名"


def signature_box_pdf() -> tuple[float, float, float, float]:
    """:data:`SIGNATURE_BOX` in PDF user space (x1, y1, x2, y2 from the bottom-left corner)."""
    x, y, w, h = SIGNATURE_BOX
    return (x, A4_H - y - h, x + w, A4_H - y)


# ------------------------------------------------------------------------------------------------
# Pages and drawing operations

Op = tuple[Any, ...]
# ("text", x, baseline_y, size, text)
# ("line", x1, y1, x2, y2, width)
# ("rect", x, y, w, h, stroke_width, fill_rgb_or_None, dashed)
# ("circle", cx, cy, r, stroke_width, dashed)


@dataclasses.dataclass
class Page:
    width: float
    height: float
    ops: list[Op] = dataclasses.field(default_factory=list)
    section: str = ""  # 封面, 汇总表, 表1 … (for the contents and the print dialog)

    @property
    def landscape(self) -> bool:
        return self.width > self.height

    def text(self, x: float, y: float, text: str, size: float, align: str = "left", width: float = 0.0) -> None:
        """Text with its baseline at ``y``; ``align`` within ``[x, x + width]``."""
        text = printable(text)
        if not text:
            return
        if align != "left":
            w = text_width(text, size)
            x = x + (width - w) / 2 if align == "center" else x + width - w
        self.ops.append(("text", x, y, size, text))

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = LINE) -> None:
        self.ops.append(("line", x1, y1, x2, y2, width))

    def rect(self, x: float, y: float, w: float, h: float, stroke: float = LINE,
             fill: tuple[float, float, float] | None = None, dashed: bool = False) -> None:
        self.ops.append(("rect", x, y, w, h, stroke, fill, dashed))

    def circle(self, cx: float, cy: float, r: float, stroke: float = LINE, dashed: bool = False) -> None:
        self.ops.append(("circle", cx, cy, r, stroke, dashed))


@functools.lru_cache(maxsize=65_536)
def text_width(text: str, size: float) -> float:
    return float(reportlab_font().stringWidth(text, size))


def fit(text: str, width: float, size: float, min_size: float = 5.5) -> tuple[str, float]:
    """Shrink ``text`` to fit ``width``; truncate with … if even ``min_size`` is too big."""
    w = text_width(text, size)
    if w <= width:
        return text, size
    smaller = max(min_size, size * width / w)
    if text_width(text, smaller) <= width:
        return text, smaller
    while text and text_width(text + "…", smaller) > width:
        text = text[:-1]
    return text + "…", smaller


def wrap(text: str, width: float, size: float, max_lines: int | None = None) -> list[str]:
    """Greedy line breaking (Chinese breaks anywhere). Every character is kept unless ``max_lines`` is given
    (only for the program's own captions); then the last line ends in … if cut."""
    if not text:
        return [""]
    if text_width(text, size) <= width:
        return [text]
    lines: list[str] = []
    current = ""
    for char in text:
        if text_width(current + char, size) > width and current:
            lines.append(current)
            current = char
            if max_lines is not None and len(lines) == max_lines:
                break
        else:
            current += char
    else:
        lines.append(current)
        return lines
    last = lines[-1]
    while last and text_width(last + "…", size) > width:
        last = last[:-1]
    lines[-1] = last + "…"
    return lines[:max_lines]


def wrap_list(text: str, width: float, size: float) -> list[str]:
    """Like :func:`wrap`, but breaks a list of names only after its “、” (a name never splits over two lines)."""
    pieces = [p for p in text.replace("、", "、\n").split("\n") if p]
    lines: list[str] = []
    for piece in pieces:
        if lines and text_width(lines[-1] + piece, size) <= width:
            lines[-1] += piece
        else:
            lines.extend(wrap(piece, width, size))
    return lines


def fit_lines(text: str, width: float, size: float, height: float) -> tuple[list[str], float]:
    """One line, shrunk down to 70 % of ``size`` if needed; beyond that, wrapped lines within ``height``."""
    if text_width(text, size) <= width:
        return [text], size
    smaller = size * width / text_width(text, size)
    if smaller >= size * 0.7:
        return [text], smaller
    return wrap_fitting(text, width, height, size * 0.7, 1.1)


def wrap_fitting(text: str, width: float, height: float, size: float, leading: float = 1.25,
                 min_size: float = 4.0) -> tuple[list[str], float]:
    """All of ``text`` in lines of ``width``: at ``size`` if the lines fit ``height``, else at a smaller size."""
    while True:
        lines = wrap(text, width, size)
        if len(lines) * size * leading <= height or size <= min_size:
            return lines, size
        size = max(min_size, size * 0.85)


def fmt(value: Number, is_money: bool) -> str:
    if is_money:
        return f"{Decimal(value):.2f}"
    return str(int(value))


# ------------------------------------------------------------------------------------------------
# Layout


class _Discard(list[Op]):
    """The operations of a page only counted, never drawn: nothing is kept."""

    def append(self, item: Op, /) -> None:
        return None


class _CountedPage(Page):
    """A page laid out only to be counted: it takes no operations (not even the text widths of aligned text)."""

    def text(self, x: float, y: float, text: str, size: float, align: str = "left", width: float = 0.0) -> None:
        return None

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = LINE) -> None:
        return None

    def rect(self, x: float, y: float, w: float, h: float, stroke: float = LINE,
             fill: tuple[float, float, float] | None = None, dashed: bool = False) -> None:
        return None

    def circle(self, cx: float, cy: float, r: float, stroke: float = LINE, dashed: bool = False) -> None:
        return None


@dataclasses.dataclass
class _Ctx:
    ret: Return
    short: str  # short digest
    fingerprint: str
    pages: list[Page] = dataclasses.field(default_factory=list)
    # Counting: pages keep no operations (only their number and sections matter).
    counting: bool = False
    # Streaming: each page is handed to ``sink`` as soon as the next one starts (or at ``flush``), and only
    # the page being laid out is held.
    sink: Callable[[Page], None] | None = None

    def page(self, landscape: bool, section: str) -> Page:
        make = _CountedPage if self.counting else Page
        page = make(A4_H, A4_W, section=section) if landscape else make(A4_W, A4_H, section=section)
        if self.counting:
            page.ops = _Discard()
        if self.sink is not None:
            self.flush()
        self.pages.append(page)
        return page

    def flush(self) -> None:
        """Hand the pages laid out so far to the sink (streaming only)."""
        if self.sink is not None:
            done, self.pages = self.pages, []
            for page in done:
                self.sink(page)


def layout(ret: Return, *, fingerprint: str = "", progress: Progress | None = None,
           sections: Sequence[str] | None = None) -> list[Page]:
    """The pages of the return. ``sections`` limits them (e.g. ``["汇总表"]`` to print the summary).

    Every page is held; :func:`stream_layout` makes the same pages one at a time."""
    ctx = _Ctx(ret, short_digest(digest(ret)), fingerprint)
    wanted = set(sections) if sections is not None else None

    def want(name: str) -> bool:
        return wanted is None or name in wanted

    starts = _body(ctx, want, progress)
    body, ctx.pages = ctx.pages, []
    front = 0
    if want("封面"):
        front += 1
    if want("汇总表"):
        front += 1
    if want("封面"):
        _cover(ctx, {k: v + front + 1 for k, v in starts.items()})
    if want("汇总表"):
        _summary(ctx)
    pages = ctx.pages + body
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        _page_footer(ctx, page, number, total)
    return pages


def _body(ctx: _Ctx, want: Callable[[str], bool], progress: Progress | None) -> dict[str, int]:
    """Lay out the tables, rosters and 说明 (the pages after the cover and the summary) into ``ctx``; returns the
    index among them of each section's first page."""
    ret = ctx.ret
    starts: dict[str, int] = {}
    count = 0

    def counted() -> int:
        return count + len(ctx.pages)

    if ctx.sink is not None:  # pages leave ctx.pages as they are finished: count them on the way out
        sink = ctx.sink

        def counting_sink(page: Page) -> None:
            nonlocal count
            count += 1
            sink(page)

        ctx.sink = counting_sink
    for spec in ret.spec.tables:
        if want(spec.number):
            starts[spec.number] = counted()
            _table_pages(ctx, spec)
    for roster in ret.spec.rosters:
        if want(roster.number):
            starts[roster.number] = counted()
            _roster_pages(ctx, roster, progress)
    if ret.notes and want("说明"):
        starts["说明"] = counted()
        _notes_pages(ctx)
    return starts


def stream_layout(ret: Return, sink: Callable[[Page, int, int], None], *, fingerprint: str = "",
                  progress: Progress | None = None) -> int:
    """The pages of :func:`layout` (all sections) handed to ``sink(page, number, total)`` one at a time, in order,
    each complete with its footer, without holding them; returns the number of pages.

    The body is laid out twice: first only counted (its pages keep no operations), for the page count every
    footer shows and the contents on the cover; then again, each page handed over as soon as it is finished. A
    roster of 100,000 people is some 6,000 pages and 1.4 million strings; held until the count was known they
    were about half of the export's peak memory."""
    short = short_digest(digest(ret))
    counter = _Ctx(ret, short, fingerprint, counting=True)
    starts = _body(counter, lambda _name: True, progress)
    body_total = len(counter.pages)
    del counter
    front = _Ctx(ret, short, fingerprint)
    _cover(front, {k: v + 2 + 1 for k, v in starts.items()})
    _summary(front)
    total = len(front.pages) + body_total
    number = 0

    def hand(ctx: _Ctx, page: Page) -> None:
        nonlocal number
        number += 1
        _page_footer(ctx, page, number, total)
        sink(page, number, total)

    for page in front.pages:
        hand(front, page)
    front.pages = []
    ctx = _Ctx(ret, short, fingerprint)
    ctx.sink = lambda page: hand(ctx, page)
    _body(ctx, lambda _name: True, None)
    ctx.flush()
    if number != total:
        raise RuntimeError(f"PDF layout: counted {total} pages, made {number}")
    return total


def _page_footer(ctx: _Ctx, page: Page, number: int, total: int) -> None:
    y = page.height - 24
    page.text(0, y, f"第 {number} 页 共 {total} 页", 9, "center", page.width)
    ret = ctx.ret
    left = f"{ret.unit_code}　{ret.period_obj.label}{ret.period_obj.kind_label}　" \
           f"{'第' + str(ret.version) + '版' if ret.version else '草稿（未定稿）'}"
    page.text(MARGIN_X, y, left, 7)
    page.text(page.width - MARGIN_X - 200, y, f"数据摘要 {ctx.short}", 7, "right", 200)


def _top_block(ctx: _Ctx, page: Page, title: str, form_no: str, unit_note: str, suffix: str = "") -> float:
    """Title, 表号/制定机关 at the top right, and the 填报单位/报告期/计量单位 line. Returns the next y."""
    ret = ctx.ret
    right = page.width - MARGIN_X
    page.text(right - 150, MARGIN_TOP + 8, f"表　　号：{form_no}", 8, "left")
    page.text(right - 150, MARGIN_TOP + 19, f"制定机关：{ctx.ret.spec.authority}", 8, "left")
    page.text(MARGIN_X, MARGIN_TOP + 38, title + suffix, 15, "center", page.width - 2 * MARGIN_X)
    y = MARGIN_TOP + 60
    page.text(MARGIN_X, y, f"填报单位（盖章）：{ret.unit_name}", 8.5)
    page.text(MARGIN_X, y, f"报告期：{ret.period_obj.label}", 8.5, "center", page.width - 2 * MARGIN_X)
    if unit_note:
        page.text(MARGIN_X, y, f"计量单位：{unit_note}", 8.5, "right", page.width - 2 * MARGIN_X)
    return y + 7


def _signature_line(ctx: _Ctx, page: Page, y: float) -> None:
    page.text(MARGIN_X, y, ctx.ret.contacts_line(), 8.5)


def header_caption(spec: R.TableSpec, col: R.Column) -> str:
    """A column's header text: the label, and its unit on a second line unless the table has one unit."""
    if spec.unit_note != "见各栏" or not col.unit:
        return col.label
    return f"{col.label}\n（{col.unit}）"


def header_cells(spec: R.TableSpec) -> tuple[list[tuple[int, int, int, int, str]], int]:
    """Header cells as (first col, last col, first row, last row, text) over value columns; and rows."""
    has_groups = any(c.group for c in spec.columns)
    rows = 2 if has_groups else 1
    cells = []
    index = 0
    cols = list(spec.columns)
    while index < len(cols):
        col = cols[index]
        if col.group:
            end = index
            while end + 1 < len(cols) and cols[end + 1].group == col.group:
                end += 1
            cells.append((index, end, 0, 0, col.group))
            for i in range(index, end + 1):
                cells.append((i, i, 1, 1, header_caption(spec, cols[i])))
            index = end + 1
        else:
            cells.append((index, index, 0, rows - 1, header_caption(spec, col)))
            index += 1
    return cells, rows


def _table_pages(ctx: _Ctx, spec: R.TableSpec) -> None:
    ret = ctx.ret
    landscape = spec.landscape
    width = (A4_H if landscape else A4_W) - 2 * MARGIN_X
    label_w = [92.0, 40.0] if len(spec.row_header) == 2 else [96.0]
    n = len(spec.columns)
    value_w = min(62.0, (width - sum(label_w)) / n)
    table_w = sum(label_w) + value_w * n
    x0 = MARGIN_X + (width - table_w) / 2
    xs = [x0]
    for w in [*label_w, *[value_w] * n]:
        xs.append(xs[-1] + w)
    label_cols = len(label_w)
    size = 7.5
    head_cells, head_rows = header_cells(spec)
    sub_lines = max(len(_lines(text, value_w - 4, size, 4)) for (_a, _b, _r0, r1, text) in head_cells
                    if r1 == head_rows - 1)
    group_h = 16.0
    sub_h = max(20.0, sub_lines * 9.5 + 6)
    head_h = [group_h, sub_h] if head_rows == 2 else [sub_h]
    number_h = 12.0
    rows = list(spec.rows)
    page_h = A4_W if landscape else A4_H
    per_page_space = page_h - MARGIN_TOP - 67 - sum(head_h) - number_h - 44 - MARGIN_BOTTOM
    row_h = max(12.0, min(22.0, per_page_space / len(rows)))
    per_page = max(1, int(per_page_space // row_h))
    chunks = [rows[i:i + per_page] for i in range(0, len(rows), per_page)]
    for chunk_no, chunk in enumerate(chunks):
        page = ctx.page(landscape, spec.number)
        y = _top_block(ctx, page, spec.full_title, spec.form_no, spec.unit_note, "（续）" if chunk_no else "")
        top = y
        # header: label columns span all header rows
        total_head = sum(head_h)
        for i, caption in enumerate(spec.row_header):
            page.rect(xs[i], y, xs[i + 1] - xs[i], total_head, fill=HEADER_FILL)
            _cell_text(page, xs[i], y, xs[i + 1] - xs[i], total_head, caption, size, "center")
        row_tops = [y, y + head_h[0]] if head_rows == 2 else [y]
        for c0, c1, r0, r1, text in head_cells:
            cx = xs[label_cols + c0]
            cw = xs[label_cols + c1 + 1] - cx
            cy = row_tops[r0]
            ch = sum(head_h[r0:r1 + 1])
            page.rect(cx, cy, cw, ch, fill=HEADER_FILL)
            _cell_text(page, cx, cy, cw, ch, text, size, "center", max_lines=4)
        y += total_head
        # 栏次 row
        for i in range(len(xs) - 1):
            page.rect(xs[i], y, xs[i + 1] - xs[i], number_h)
            label = "甲乙丙"[i] if i < label_cols else str(i - label_cols + 1)
            page.text(xs[i], y + number_h - 3.5, label, 7, "center", xs[i + 1] - xs[i])
        y += number_h
        # data rows
        group_start: dict[str, tuple[float, int]] = {}
        for row in chunk:
            is_total = row.is_total
            fill = TOTAL_FILL if is_total else None
            if label_cols == 2 and not is_total:
                first = group_start.get(row.group)
                if first is None:
                    count = sum(1 for r in chunk if r.group == row.group)
                    group_start[row.group] = (y, count)
                    page.rect(xs[0], y, xs[1] - xs[0], row_h * count)
                    _cell_text(page, xs[0], y, xs[1] - xs[0], row_h * count, row.group, size, "center")
                page.rect(xs[1], y, xs[2] - xs[1], row_h)
                _cell_text(page, xs[1], y, xs[2] - xs[1], row_h, row.label, size, "center")
            else:
                page.rect(xs[0], y, xs[label_cols] - xs[0], row_h, fill=fill)
                _cell_text(page, xs[0], y, xs[label_cols] - xs[0], row_h, row.label, size + 0.5,
                           "center" if is_total else "left")
            cells = ret.tables[spec.key][row.key]
            for i, col in enumerate(spec.columns):
                cx = xs[label_cols + i]
                page.rect(cx, y, value_w, row_h, fill=fill)
                page.text(cx + 2, y + row_h / 2 + size * 0.35, fmt(cells[col.key], col.money), size + 0.5,
                          "right", value_w - 5)
            y += row_h
        page.rect(xs[0], top, xs[-1] - xs[0], y - top, stroke=BORDER)
        if chunk_no == len(chunks) - 1:
            y += 14
            if spec.note:
                for line in wrap(f"填表说明：{spec.note}", page.width - 2 * MARGIN_X, 8, 4):
                    page.text(MARGIN_X, y, line, 8)
                    y += 11
            _signature_line(ctx, page, y + 12)


def _lines(text: str, width: float, size: float, max_lines: int) -> list[str]:
    """Wrapped lines of ``text``, balanced; a new line in ``text`` always starts a new line."""
    out: list[str] = []
    for part in text.split("\n"):
        out += balanced_wrap(part, width, size, max_lines)
    return out[:max_lines]


def balanced_wrap(text: str, width: float, size: float, max_lines: int) -> list[str]:
    """As :func:`wrap`, in as many lines, but as even as they can be: a cell caption of eight characters that needs
    two lines is cut four and four, never seven and one (数字技能/培训人次, not 数字技能培训人/次)."""
    lines = wrap(text, width, size)
    if len(lines) < 2 or len(lines) > max_lines:
        return wrap(text, width, size, max_lines)
    narrow, wide = text_width(text, size) / len(lines), width  # the narrowest width giving as many lines lies between
    for _ in range(12):
        middle = (narrow + wide) / 2
        if len(wrap(text, middle, size)) <= len(lines):
            wide = middle
        else:
            narrow = middle
    return wrap(text, wide, size)


def _cell_text(page: Page, x: float, y: float, w: float, h: float, text: str, size: float, align: str,
               max_lines: int = 3) -> None:
    lines = _lines(text, w - 4, size, max_lines)
    leading = size * 1.25
    first = y + (h - leading * len(lines)) / 2 + size * 0.95
    for i, line in enumerate(lines):
        if align == "left":
            page.text(x + 3, first + i * leading, line, size)
        else:
            page.text(x, first + i * leading, line, size, align, w)


def _roster_pages(ctx: _Ctx, roster: R.RosterSpec, progress: Progress | None) -> None:
    ret = ctx.ret
    cols = roster.visible_columns(ret.consolidated)
    rows = ret.rosters.get(roster.key, [])
    width = A4_H - 2 * MARGIN_X
    unit = width / sum(c.width for c in cols)
    widths = [c.width * unit for c in cols]
    xs = [MARGIN_X]
    for w in widths:
        xs.append(xs[-1] + w)
    size = 7.5
    leading = 9.5
    head_h = 26.0
    bottom = A4_W - MARGIN_BOTTOM - 20
    page: Page | None = None
    y = top = 0.0
    total = len(rows)

    def start_page(cont: bool) -> tuple[Page, float, float]:
        p = ctx.page(True, roster.number)
        yy = _top_block(ctx, p, roster.full_title, roster.form_no, "", "（续）" if cont else "")
        for i, col in enumerate(cols):
            p.rect(xs[i], yy, widths[i], head_h, fill=HEADER_FILL)
            _cell_text(p, xs[i], yy, widths[i], head_h, col.label, size, "center", 2)
        return p, yy + head_h, yy

    def close_page(p: Page, first: float, last: float) -> None:
        """The column rules of the page's rows, and the heavy outer border."""
        for x in xs[1:-1]:
            p.line(x, first + head_h, x, last)
        p.rect(xs[0], first, xs[-1] - xs[0], last - first, stroke=BORDER)

    page, y, top = start_page(False)
    if not rows:
        page.rect(xs[0], y, xs[-1] - xs[0], 18)
        page.text(xs[0], y + 12, "（无）", 8, "center", xs[-1] - xs[0])
        y += 18
    body = bottom - (_top_block(ctx, Page(A4_H, A4_W), roster.full_title, roster.form_no, "", "（续）") + head_h) - 5
    for index, row in enumerate(rows):
        cells: list[tuple[list[str], float]] = []
        for i, col in enumerate(cols):
            value = row.get(col.key, "")
            lines = wrap(value, widths[i] - 4, size)
            if len(lines) * leading > body:  # a text longer than a page: smaller type, never cut
                cells.append(wrap_fitting(value, widths[i] - 4, body, size, leading / size))
            else:
                cells.append((lines, size))
        row_h = max(len(lines) * leading * cell_size / size for lines, cell_size in cells) + 5
        if y + row_h > bottom:
            close_page(page, top, y)
            page, y, top = start_page(True)
        for i, (lines, cell_size) in enumerate(cells if not ctx.counting else ()):  # counting: the height only
            step = leading * cell_size / size
            first = y + (row_h - step * len(lines)) / 2 + cell_size * 0.95
            centered = cols[i].width <= 6
            for j, line in enumerate(lines):
                if centered:
                    page.text(xs[i], first + j * step, line, cell_size, "center", widths[i])
                else:
                    page.text(xs[i] + 2, first + j * step, line, cell_size)
        y += row_h
        page.line(xs[0], y, xs[-1], y)
        if progress is not None and index % 500 == 0:
            progress(index, total, f"正在排版{roster.number}……")
    close_page(page, top, y)
    y += 14
    if roster.note and y < A4_W - MARGIN_BOTTOM - 30:
        page.text(MARGIN_X, y, f"说明：{roster.note}　共 {len(rows)} 条。", 8)


def _notes_pages(ctx: _Ctx) -> None:
    page = ctx.page(False, "说明")
    y = _top_block(ctx, page, "审核说明", ctx.ret.spec.form_no, "") + 14
    width = A4_W - 2 * MARGIN_X
    for number, note in enumerate(ctx.ret.notes, start=1):
        lines = wrap(f"{number}. {note['message']}", width, 9)
        lines += wrap(f"说明：{note['text']}", width - 18, 9)
        if y + min(len(lines), 20) * 13 > A4_H - MARGIN_BOTTOM - 20:
            page = ctx.page(False, "说明")
            y = _top_block(ctx, page, "审核说明", ctx.ret.spec.form_no, "", "（续）") + 14
        for i, line in enumerate(lines):
            if y > A4_H - MARGIN_BOTTOM - 20:  # a very long 说明 continues on the next page, never cut
                page = ctx.page(False, "说明")
                y = _top_block(ctx, page, "审核说明", ctx.ret.spec.form_no, "", "（续）") + 14
            page.text(MARGIN_X + (18 if line.startswith("说明：") or (i > 0 and not line[0].isdigit()) else 0),
                      y, line, 9)
            y += 13
        y += 6


def _cover(ctx: _Ctx, starts: dict[str, int]) -> None:
    ret = ctx.ret
    page = ctx.page(False, "封面")
    right = A4_W - MARGIN_X
    page.text(right - 150, MARGIN_TOP + 10, f"表　　号：{ctx.ret.spec.form_no}", 9)
    page.text(right - 150, MARGIN_TOP + 24, f"制定机关：{ctx.ret.spec.authority}", 9)
    page.text(0, 160, ctx.ret.spec.title, 24, "center", A4_W)
    period = ret.period_obj
    page.text(0, 196, f"（{period.label}{period.kind_label}）", 15, "center", A4_W)
    if ret.is_draft:
        page.text(0, 222, "草稿　未定稿，不作上报用", 11, "center", A4_W)
    rows = ret.cover_lines()
    x_label, x_value, x_end = 110.0, 215.0, A4_W - 110
    y = 262.0
    step = 22.0 if ret.consolidated else 24.0  # a consolidated cover has one more row and the 上报情况 lines
    for label, value in rows:
        page.text(x_label, y, label, 12, "right", x_value - x_label - 12)
        shown, size = fit_lines(value, x_end - x_value, 12, step * 0.95)
        for i, line in enumerate(shown):
            page.text(x_value, y - (len(shown) - 1 - i) * size * 1.1, line, size)
        page.line(x_value - 4, y + 4, x_end, y + 4, 0.6)
        y += step
    contents_y, leading = 500.0, 13.0
    if ret.consolidated:
        lines = wrap_list(f"上报情况：{ret.coverage_text}", x_end - x_label, 9)
        for i, line in enumerate(lines):
            page.text(x_label, y + i * 12, line, 9)
        contents_y, leading = y + len(lines) * 12 + 6, 12.0
    # 盖章 area and the signature box
    page.circle(MARGIN_X + 90, 655, 62, 0.8, dashed=True)
    page.text(MARGIN_X + 28, 659, "（单位盖章处）", 10, "center", 124)
    x, sy, w, h = SIGNATURE_BOX
    page.rect(x, sy, w, h, 0.8, dashed=True)
    page.text(x, sy - 6, "电子签名", 8, "left")
    page.text(MARGIN_X, 740, f"证书指纹：{ctx.fingerprint or '（未签名）'}", 9)
    page.text(MARGIN_X, 756, f"数据摘要：{ctx.short}（SHA-256 前16位，与 Excel 文件内数据一致）", 9)
    # contents
    names = [(t.number, t.title) for t in ctx.ret.spec.tables] + [(r.number, r.title) for r in ctx.ret.spec.rosters]
    contents = [f"{number} {title}　第{starts[number]}页" for number, title in names if number in starts]
    if "说明" in starts:
        contents.append(f"审核说明　第{starts['说明']}页")
    y = contents_y
    page.text(x_label, y, "目　　录", 10)
    for i, line in enumerate(contents):
        page.text(x_label + (i % 2) * 190, y + 15 + (i // 2) * leading, line, 8.5)


def _summary(ctx: _Ctx) -> None:
    ret = ctx.ret
    page = ctx.page(False, "汇总表")
    y = _top_block(ctx, page, ret.spec.summary_title, ret.spec.form_no, "见各项")
    y += 6
    width = A4_W - 2 * MARGIN_X
    # key figures: one block per section, two figures per line
    for section, figures in ret.spec.summary:
        page.rect(MARGIN_X, y, width, 16, fill=HEADER_FILL)
        page.text(MARGIN_X + 6, y + 11.5, section, 9.5)
        y += 16
        lines = (len(figures) + 2) // 3
        cell_w = width / 3
        for i, fig in enumerate(figures):
            col = ret.spec.table(fig.table).column(fig.column)
            value = ret.tables[fig.table][R.TOTAL][fig.column]
            cx = MARGIN_X + (i % 3) * cell_w
            cy = y + (i // 3) * 17
            page.text(cx + 8, cy + 12, fig.label, 9)
            page.text(cx, cy + 12, f"{fmt(value, col.money)} {col.unit}", 10, "right", cell_w - 10)
        page.rect(MARGIN_X, y, width, lines * 17)
        y += lines * 17 + 6
    # charts side by side
    chart_w = (width - 16) / 2
    chart_h = 190.0
    for i, chart in enumerate(ret.spec.charts):
        _chart(page, ret, chart, MARGIN_X + i * (chart_w + 16), y + 4, chart_w, chart_h)
    y += chart_h + 16
    warn = len(ret.notes)
    if ret.is_draft:  # a draft carries no review: say nothing about warnings it may have
        review_text = "审核情况：草稿，尚未定稿，审核结果以定稿时为准。"
    else:
        review_text = f"审核情况：已通过审核{f'；{warn}项警告已作说明（见审核说明）' if warn else '；无警告'}。"
    page.text(MARGIN_X, y + 4, review_text, 9)
    page.text(MARGIN_X, y + 18, f"本表数据取自{ret.unit_name}{ret.period_obj.label}{ret.period_obj.kind_label}"
              f"{'第' + str(ret.version) + '版' if ret.version else '草稿'}，数据摘要 {ctx.short}。", 9)
    if ret.consolidated:
        text = f"汇总情况：本级直属单位及 {int(ret.coverage.get('reported', 0))} 个下级单位；{ret.coverage_text}。"
        for i, line in enumerate(wrap_list(text, width, 9)):
            page.text(MARGIN_X, y + 32 + i * 13, line, 9)
    # signatures and the stamp
    y = A4_H - MARGIN_BOTTOM - 96
    cover = ret.cover
    labels = [f for f in ret.spec.cover if f.key not in ("phone", "report_date")]
    for i, f in enumerate(labels):
        page.text(MARGIN_X, y + i * 22, f"{f.label}（签字）：", 10)
        page.line(MARGIN_X + 95, y + i * 22 + 3, MARGIN_X + 230, y + i * 22 + 3, 0.6)
        page.text(MARGIN_X + 100, y + i * 22, cover.get(f.key, ""), 10)
    page.text(MARGIN_X, y + 66, f"报出日期：{date_cn(cover.get('report_date', ''))}", 10)
    page.circle(A4_W - MARGIN_X - 90, y + 30, 52, 0.8, dashed=True)
    page.text(A4_W - MARGIN_X - 150, y + 34, "（单位盖章）", 10, "center", 120)


def _chart(page: Page, ret: Return, chart: R.Chart, x: float, y: float, w: float, h: float) -> None:
    page.rect(x, y, w, h, 0.6)
    page.text(x, y + 15, chart.title, 9.5, "center", w)
    values = [[ret.tables[chart.table][row][col] for row, col in segs] for _label, segs in chart.bars]
    totals = [sum(int(v) for v in vals) for vals in values]
    top = max(totals) if totals and max(totals) > 0 else 1
    label_w = 74.0
    legend_h = 16.0 if len(chart.segments) > 1 else 0.0
    area_top = y + 24 + legend_h
    area_h = h - 30 - legend_h
    bar_space = area_h / max(1, len(chart.bars))
    bar_h = min(16.0, bar_space * 0.65)
    plot_w = w - label_w - 44
    if legend_h:
        lx = x + 10
        for i, name in enumerate(chart.segments):
            page.rect(lx, y + 26, 8, 8, 0.3, PALETTE[i % len(PALETTE)])
            page.text(lx + 11, y + 33, name, 7.5)
            lx += 14 + text_width(name, 7.5) + 8
    for i, (label, _segs) in enumerate(chart.bars):
        by = area_top + i * bar_space + (bar_space - bar_h) / 2
        shown, size = fit(label, label_w - 8, 7.5)
        page.text(x + 4, by + bar_h / 2 + 3, shown, size, "right", label_w - 8)
        bx = x + label_w
        for j, value in enumerate(values[i]):
            seg = plot_w * int(value) / top
            if seg > 0:
                page.rect(bx, by, seg, bar_h, 0.2, PALETTE[j % len(PALETTE)])
            bx += seg
        page.text(bx + 3, by + bar_h / 2 + 3, str(totals[i]), 7.5)
    page.line(x + label_w, area_top - 2, x + label_w, area_top + area_h - 2, 0.6)


# ------------------------------------------------------------------------------------------------
# Drawing with reportlab


def write_pdf(ret: Return, path: Path, *, fingerprint: str = "", progress: Progress | None = None,
              stamp: SignatureStamp | None = None) -> None:
    """Write the whole return as a PDF to ``path`` (use an atomic temporary path). With ``stamp`` the cover carries
    the signature box and the file the signature's placeholder (:func:`models.signing.pdf.complete` signs it)."""
    from reportlab import rl_config

    # The pages are laid out one at a time (stream_layout) and each is drawn as soon as it is finished, so
    # neither the laid-out pages nor reportlab's page streams are held whole (a roster of 100,000 people is
    # some 6,000 pages and 1.4 million strings).
    # Plain Flate streams: the ASCII85 layer only makes files bigger and slower to write.
    saved, rl_config.useA85 = rl_config.useA85, 0
    try:
        _write(ret, path, progress, fingerprint, stamp)
    finally:
        rl_config.useA85 = saved


def _write(ret: Return, path: Path, progress: Progress | None, fingerprint: str, stamp: SignatureStamp | None) -> None:
    from models import pdfa
    from models.returns import canonical_bytes

    reportlab_font()
    period = ret.period_obj
    info = pdfa.DocumentInfo(title=f"{ret.spec.title}（{ret.unit_name} {period.label}{period.kind_label}）",
                             author=ret.unit_name, subject=f"{ret.unit_code} {period.code} v{ret.version}",
                             keywords=f"数据摘要 {digest(ret)}", created=finalised_moment(ret.finalised_at))
    # The bundled font from the first page on: reportlab would otherwise name Helvetica (never embedded) in
    # every page's text state, and PDF/A wants every font embedded.
    canvas = pdfa.new_canvas(str(path), info, pagesize=(A4_W, A4_H), pageCompression=1, initialFontName=FONT_NAME,
                             initialFontSize=10, initialLeading=12)
    if EARLY_PAGE_COMPRESSION:
        canvas.setPageCallBack(_page_compressor(canvas))

    def draw(page: Page, number: int, total: int) -> None:
        canvas.setPageSize((page.width, page.height))
        _draw(canvas, page)
        if stamp is not None and number == 1:  # the cover, with the signature box
            from models.signing.pdf import place

            place(canvas, stamp)
        canvas.showPage()
        page.ops = []
        if progress is not None and (number % 20 == 0 or number == total):
            progress(number, total, f"正在生成PDF（第{number}/{total}页）……")

    stream_layout(ret, draw, fingerprint=fingerprint, progress=progress)
    pdfa.save(canvas, info, attachment=canonical_bytes(ret), description="报表数据（规范 JSON，与 Excel 文件内嵌数据相同）")


def finalised_moment(stamp: str) -> dt.datetime:
    """The finalisation time as the PDF's creation date (so that re-exports are byte-identical); a missing or
    unreadable time is 2000-01-01 UTC."""
    try:
        return dt.datetime.fromisoformat(stamp) if stamp else dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    except ValueError:
        return dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


EARLY_PAGE_COMPRESSION = True


def _page_compressor(canvas: Any) -> Callable[[int], None]:
    """A page callback that compresses each finished page's content stream at once.

    reportlab keeps every page's stream as uncompressed text until ``save`` (a 100,000-person roster: some
    6,000 pages, about 250 MB). Compressed the moment the page is finished, with the same zlib call and the
    same stream dictionary its Flate filter makes at ``save``, the file's bytes are the same (the tests
    compare them). If the pinned reportlab's internals differ from what is expected, pages are left alone.
    """
    import zlib

    from reportlab.pdfbase import pdfdoc

    def compress(_number: int) -> None:
        try:
            page = canvas._doc.Pages.pages[-1]
            if not page.compression or page.Contents or not isinstance(page.stream, str) or not page.stream:
                return
            stream = pdfdoc.PDFStream()
            stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
            stream.content = zlib.compress(page.stream.encode("utf8"))
            stream.__Comment__ = "page stream"
            page.Contents = stream
            page.stream = ""
        except (AttributeError, IndexError, TypeError):
            return

    return compress


def draw_pages(canvas: Any, pages: Sequence[Page], progress: Progress | None = None, *, release: bool = False) -> None:
    """Draw ``pages`` on ``canvas``; with ``release`` each page's operations are emptied once it is drawn."""
    reportlab_font()
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        canvas.setPageSize((page.width, page.height))
        _draw(canvas, page)
        canvas.showPage()
        if release:
            page.ops = []
        if progress is not None and (number % 20 == 0 or number == total):
            progress(number, total, f"正在生成PDF（第{number}/{total}页）……")


def _draw(canvas: Any, page: Page) -> None:
    """Draw one page: fills first, then strokes (grouped into one path per line width), then text
    (one text object per page) — the same order the print preview uses."""
    height = page.height
    fills = [op for op in page.ops if op[0] == "rect" and op[6] is not None]
    for _, x, y, w, h, _stroke, fill, _dashed in fills:
        canvas.setFillColorRGB(*fill)
        canvas.rect(x, height - y - h, w, h, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    paths: dict[float, Any] = {}
    for op in page.ops:
        kind = op[0]
        if kind == "line":
            _, x1, y1, x2, y2, stroke = op
            path = paths.get(stroke) or paths.setdefault(stroke, _path_writer(canvas))
            path.line(x1, height - y1, x2, height - y2)
        elif kind == "rect" and op[5] and not op[7]:
            _, x, y, w, h, stroke, _fill, _dashed = op
            path = paths.get(stroke) or paths.setdefault(stroke, _path_writer(canvas))
            path.rect(x, height - y - h, w, h)
    for stroke, path in sorted(paths.items()):
        canvas.setLineWidth(stroke)
        canvas.drawPath(path.path, stroke=1, fill=0)
    for op in page.ops:
        if op[0] == "rect" and op[5] and op[7]:
            _, x, y, w, h, stroke, _fill, _dashed = op
            canvas.setLineWidth(stroke)
            canvas.setDash(3, 2)
            canvas.rect(x, height - y - h, w, h, stroke=1, fill=0)
            canvas.setDash()
        elif op[0] == "circle":
            _, cx, cy, r, stroke, dashed = op
            canvas.setLineWidth(stroke)
            if dashed:
                canvas.setDash(3, 2)
            canvas.circle(cx, height - cy, r, stroke=1, fill=0)
            if dashed:
                canvas.setDash()
    text = canvas.beginText()
    write = _text_writer(text)
    for op in page.ops:
        if op[0] == "text":
            write(op[1], height - op[2], op[3], op[4])
    canvas.drawText(text)


@functools.lru_cache(maxsize=50_000)
def _number(value: float) -> str:
    """A number as reportlab writes it into a page (``fp_str``), formatted once per value: a table's rules repeat
    the same few coordinates on every page."""
    from reportlab.lib.rl_accel import fp_str

    return str(fp_str(value))


class _PathWriter:
    """A reportlab path (``path``) drawn with lines and rectangles; with the pinned reportlab the operators
    ``moveTo``, ``lineTo`` and ``rect`` write are appended directly, their numbers formatted once per value (the
    tests compare the two); the public calls remain the fallback."""

    __slots__ = ("_direct", "path")

    def __init__(self, path: Any) -> None:
        self.path = path
        # the operators go through the path's ``_code_append`` (its first call also starts the path)
        self._direct = isinstance(getattr(path, "_code", None), list) and callable(getattr(path, "_code_append", None))

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        if not self._direct:
            self.path.moveTo(x1, y1)
            self.path.lineTo(x2, y2)
            return
        self.path._code_append(f"{_number(x1)} {_number(y1)} m")
        self.path._code_append(f"{_number(x2)} {_number(y2)} l")

    def rect(self, x: float, y: float, w: float, h: float) -> None:
        if not self._direct:
            self.path.rect(x, y, w, h)
            return
        self.path._code_append(f"{_number(x)} {_number(y)} {_number(w)} {_number(h)} re")


def _path_writer(canvas: Any) -> _PathWriter:
    return _PathWriter(canvas.beginPath())


# The text runs of strings already shown in a document, by document: (font subset, "(escaped bytes) Tj") for each
# run of the string. Once a string has been shown, every character of it has its place in a font subset, so the
# runs are the same every time it is shown again (a roster repeats units, honours, years, 男/女 …). Bounded per
# document; held only as long as the document.
_RUNS_HELD = 20_000
_RUNS_LONGEST = 80
Runs = dict[str, tuple[tuple[int, str], ...]]
_RUNS: WeakKeyDictionary[Any, Runs] = WeakKeyDictionary()  # by reportlab document


def _runs_of(doc: Any) -> Runs:
    runs = _RUNS.get(doc)
    if runs is None:
        runs = _RUNS[doc] = {}
    return runs


def _text_writer(text: Any) -> Callable[[float, float, float, str], None]:
    """``write(x, y, size, string)`` into a reportlab text object, in the bundled font.

    A roster of 20,000 people is some 250,000 strings; reportlab's public ``setTextOrigin`` and ``textOut`` format
    every coordinate with its slow pure-Python number formatter and measure every string again, and its
    ``_formatText`` looks the font up and formats the font size again whenever a string changes font subset (a
    Chinese name beside a number). With the pinned reportlab the text object's operator list is written directly,
    with the operators ``_formatText`` writes (the tests compare the two), and a string shown before in the same
    document reuses its runs (``_runs_of``); the public calls remain the fallback.
    """
    from reportlab.pdfbase import pdfmetrics

    font = pdfmetrics.getFont(FONT_NAME)
    canvas = getattr(text, "_canvas", None)
    code = getattr(text, "_code", None)
    doc = getattr(canvas, "_doc", None)
    split = getattr(font, "splitString", None)
    subset_name = getattr(font, "getSubsetInternalName", None)
    escape = getattr(canvas, "_escape", None)
    if (isinstance(code, list) and doc is not None and callable(split) and callable(subset_name)
            and callable(escape) and getattr(font, "_dynamicFont", False) and hasattr(text, "_curSubset")):
        from reportlab.lib.rl_accel import fp_str

        append = code.append
        state: list[Any] = [None, ""]  # the size set, the text of its font operator
        shown = _runs_of(doc)
        names: dict[int, str] = {}

        def fast(x: float, y: float, size: float, string: str) -> None:
            if size != state[0]:
                text.setFont(FONT_NAME, size)  # writes the font operator and starts a new subset run
                state[0], state[1] = size, f"{fp_str(size)} Tf {fp_str(text._leading)} TL"
            append(f"1 0 0 1 {x:.2f} {y:.2f} Tm")
            runs = shown.get(string)
            if runs is None:
                runs = tuple((subset, f"({escape(chunk)}) Tj") for subset, chunk in split(string, doc))
                if len(string) <= _RUNS_LONGEST and len(shown) < _RUNS_HELD:
                    shown[string] = runs
            parts = []
            current = text._curSubset
            for subset, run in runs:
                if subset != current:
                    name = names.get(subset)
                    if name is None:
                        name = names[subset] = subset_name(subset, doc)
                    parts.append(f"{name} {state[1]}")
                    current = subset
                parts.append(run)
            text._curSubset = current
            append(" ".join(parts))

        return fast

    sizes: list[float] = [0.0]

    def public(x: float, y: float, size: float, string: str) -> None:
        if size != sizes[0]:
            sizes[0] = size
            text.setFont(FONT_NAME, size)
        text.setTextOrigin(x, y)
        text.textOut(string)

    return public


def write_definition_preview(definition: Definition, path: Path) -> int:
    """The definition's cover and tables, empty, as A4 pages (the same layout as a return's PDF), so the province
    can look at a new definition before sending it down. Returns the number of pages."""
    from models.returns import empty_tables

    spec = definition.spec
    sample = Return("000000", "（填报单位）", "county", None, str(definition.year_from), {}, empty_tables(spec),
                    {r.key: [] for r in spec.rosters}, definition=definition)
    pages = layout(sample, sections=["封面", *(t.number for t in spec.tables)])
    from reportlab.pdfgen.canvas import Canvas

    reportlab_font()
    canvas = Canvas(str(path), pagesize=(A4_W, A4_H), invariant=1, pageCompression=1, initialFontName=FONT_NAME,
                    initialFontSize=10, initialLeading=12)
    canvas.setTitle(f"{definition.label} 表式预览")
    canvas.setCreator("产改统计填报")
    draw_pages(canvas, pages)
    canvas.save()
    return len(pages)
