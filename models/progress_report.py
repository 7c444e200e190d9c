"""The printable progress report (规划目标完成情况报告): PDF (A4, the bundled font, charts) and Excel.

The PDF has the unit's cover lines and a reserved box on the cover where the unit's signature goes
(signed like a return: a PAdES signature with a visible box, :mod:`models.signing.pdf`), a table of
every indicator with the share done against the time elapsed, one bar chart per indicator over the plan's
years (the same numbers :func:`chart_series` gives the screen), the indicators the return does not count
(本报表未统计) and, for each counted indicator, the return numbers it is built from and its source paragraph.
The Excel workbook carries the same tables and native charts and, like a return's workbook, a signature
over every part of its package that ``verify`` recognises as a progress report's. Files are written under a temporary name
and renamed when complete.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.atomic_file import atomic_path
from forms.plans import CUMULATIVE, decimal_text, formula_text
from models.progress import MISSING, NOT_YET, IndicatorProgress, ProgressReport, UnitPart, percent

if TYPE_CHECKING:
    from models.signing.pdf import SignatureStamp
    from models.signing.provider import Signer

Progress = Callable[[int, int, str], None]

REPORT_TITLE = "规划目标完成情况报告"
DOCUMENT_PROPERTY = "changai_document"  # custom property of the workbook: what it is, signed or not
DOCUMENT_KIND = "progress-report"
# Where the visible signature goes on the cover (points, A4 portrait, bottom right).
SIGNATURE_RECT = (300.0, 56.0, 552.0, 146.0)


@dataclasses.dataclass(frozen=True)
class Bar:
    year: int
    value: Decimal | None  # None: 缺报 / 未到期
    label: str  # the number, or 缺报 / 未到期


def chart_series(item: IndicatorProgress) -> tuple[list[Bar], Decimal | None, str]:
    """(bars per year, the target line or None, the caption) — the screen and both files draw these.

    Cumulative indicators show the running total since the plan's start (a missing year adds nothing
    and is labelled 缺报); yearly and period-end ones the year's own number.
    """
    bars: list[Bar] = []
    running = Decimal(0)
    for y in item.years:
        if y.value is None:
            bars.append(Bar(y.year, None, y.status))
            continue
        if item.indicator.measure == CUMULATIVE:
            running += y.value
            bars.append(Bar(y.year, running, decimal_text(running)))
        else:
            bars.append(Bar(y.year, y.value, decimal_text(y.value)))
    caption = "累计完成" if item.indicator.measure == CUMULATIVE else "当年数"
    return bars, item.target, caption


def file_stem(report: ProgressReport) -> str:
    """``530821_规划完成情况_yn-changai-plan-14th_2025``."""
    return f"{report.unit_code}_规划完成情况_{report.plan.id}_{report.as_of}"


def summary_rows(report: ProgressReport) -> list[list[str]]:
    """The indicator table, as text: 序号, 专栏, 指标, 单位, 目标, 完成, 完成率, 时间进度, 状态, 说明."""
    rows = []
    for n, item in enumerate(report.items, start=1):
        ind = item.indicator
        value = "缺报" if item.value is None else decimal_text(item.value)
        rows.append([str(n), ind.section.split(" ")[0], ind.name, ind.unit, decimal_text(item.target),
                     f"{value}（{item.value_basis}）" if item.value is not None else value, percent(item.share),
                     percent(item.expected), item.status, "；".join(remarks(report, item))])
    return rows


def remarks(report: ProgressReport, item: IndicatorProgress) -> list[str]:
    """The caveats of a line; a unit without its own target sees the province's for reference."""
    out = list(item.remarks)
    if item.target is None and item.indicator.target is not None and report.unit_level != "province":
        out.insert(0, f"省级目标{decimal_text(item.indicator.target)}{item.indicator.unit}（供参考）")
    return out


def unit_rows(report: ProgressReport, parts: Sequence[UnitPart]) -> list[list[str]]:
    """One indicator's units as text: 单位, each year, 完成, 目标, 完成率, 状态 (缺报 where a unit sent nothing)."""
    rows = []
    for part in parts:
        p = part.progress
        rows.append([part.name, *[y.text for y in p.years], MISSING if p.value is None else decimal_text(p.value),
                     decimal_text(p.target), percent(p.share), p.status])
    return rows


def unit_header(report: ProgressReport) -> list[str]:
    return ["单位", *[f"{y}年" for y in report.plan.years], "完成", "目标", "完成率", "状态"]


SUMMARY_HEADER = ["序号", "专栏", "指标", "单位", "目标", "完成", "完成率", "时间进度", "状态", "说明"]


# ------------------------------------------------------------------------------------------------
# PDF


def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    from models.fonts import FONT_NAME, reportlab_font

    reportlab_font()
    base = ParagraphStyle("base", fontName=FONT_NAME, fontSize=9, leading=12, wordWrap="CJK")
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=26, alignment=1, spaceAfter=6),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=11, leading=16, alignment=1, spaceAfter=14),
        "h2": ParagraphStyle("h2", parent=base, fontSize=12, leading=18, spaceBefore=6, spaceAfter=6),
        "cover": ParagraphStyle("cover", parent=base, fontSize=11, leading=17),
    }


def _p(text: str, style: Any) -> Any:
    from xml.sax.saxutils import escape

    from reportlab.platypus import Paragraph

    from models.fonts import printable

    return Paragraph(escape(printable(text)).replace("\n", "<br/>"), style)


def _chart_drawing(item: IndicatorProgress, width: float, height: float) -> Any:
    from reportlab.graphics.shapes import Drawing, Line, Rect, String
    from reportlab.lib import colors

    from models.fonts import FONT_NAME, printable

    bars, target, caption = chart_series(item)
    d = Drawing(width, height, initialFontName=FONT_NAME)  # its text state in the bundled font, not Helvetica
    d.add(Rect(0, 0, width, height, strokeColor=colors.HexColor("#999999"), fillColor=None, strokeWidth=0.5))
    name = f"{item.indicator.name}（{item.indicator.unit}）"
    d.add(String(6, height - 13, printable(name[:26]), fontName=FONT_NAME, fontSize=8.5))
    d.add(String(6, height - 24, printable(f"{caption}；目标 {decimal_text(target)}；{item.status}"),
                 fontName=FONT_NAME, fontSize=7, fillColor=colors.HexColor("#B00020") if item.behind else colors.black))
    left, bottom, top = 30.0, 16.0, height - 40.0
    plot_w, plot_h = width - left - 8, top - bottom
    values = [b.value for b in bars if b.value is not None]
    peak = max([*values, target or Decimal(0), Decimal(1)])
    d.add(Line(left, bottom, left + plot_w, bottom, strokeWidth=0.6))
    slot = plot_w / max(len(bars), 1)
    for i, bar in enumerate(bars):
        x = left + i * slot + slot * 0.2
        d.add(String(x + slot * 0.3, 5, str(bar.year), fontName=FONT_NAME, fontSize=6.5, textAnchor="middle"))
        if bar.value is None:
            colour = colors.HexColor("#B00020") if bar.label == MISSING else colors.HexColor("#888888")
            d.add(String(x + slot * 0.3, bottom + 3, printable(bar.label), fontName=FONT_NAME, fontSize=6.5,
                         textAnchor="middle", fillColor=colour))
            continue
        h = float(bar.value / peak) * plot_h if peak else 0.0
        d.add(Rect(x, bottom, slot * 0.6, max(h, 0.0), fillColor=colors.HexColor("#3A6EA5"), strokeColor=None))
        d.add(String(x + slot * 0.3, bottom + h + 2, bar.label, fontName=FONT_NAME, fontSize=6, textAnchor="middle"))
    if target:
        ty = bottom + float(target / peak) * plot_h
        d.add(Line(left, ty, left + plot_w, ty, strokeColor=colors.HexColor("#D9822B"), strokeWidth=1,
                   strokeDashArray=[3, 2]))
        d.add(String(2, ty - 2, "目标", fontName=FONT_NAME, fontSize=6, fillColor=colors.HexColor("#D9822B")))
    return d


def pdf_bytes(report: ProgressReport, *, fingerprint: str = "", units: dict[str, list[UnitPart]] | None = None,
              stamp: SignatureStamp | None = None) -> bytes:
    """The report as an A4 PDF; the cover keeps :data:`SIGNATURE_RECT` for the signature, which ``stamp`` fills
    (then :func:`models.signing.pdf.complete_bytes` signs the result)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, PageBreak, SimpleDocTemplate, Spacer, Table, TableStyle

    from models.fonts import FONT_NAME

    st = _styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=f"{report.unit_name}{REPORT_TITLE}", author=report.unit_name,
                            subject=f"{report.plan.id} {report.plan.digest}", creator="产改统计填报",
                            initialFontName=FONT_NAME)

    def styled(*commands: tuple[Any, ...]) -> TableStyle:
        """A table style in the bundled font: reportlab's default names Helvetica (never embedded) even for
        tables of paragraphs."""
        return TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT_NAME), *commands])

    story: list[Any] = [Spacer(1, 20 * mm), _p(REPORT_TITLE, st["title"]), _p(report.plan.label, st["subtitle"])]
    cover = [[_p(k, st["cover"]), _p(v, st["cover"])] for k, v in report.cover_lines()]
    if fingerprint:
        cover.append([_p("签名证书指纹", st["cover"]), _p(fingerprint, st["cover"])])
    table = Table(cover, colWidths=[32 * mm, 140 * mm])
    table.setStyle(styled(("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#BBBBBB")),
                          ("VALIGN", (0, 0), (-1, -1), "TOP")))
    story += [table, Spacer(1, 8 * mm)]
    behind = report.behind
    story.append(_p(f"计入统计的指标{len(report.items)}项，其中落后于时间进度{len(behind)}项"
                    + (f"（{'、'.join(i.indicator.name for i in behind)}）" if behind else "")
                    + f"；本报表未统计的指标{len(report.plan.not_counted)}项（见“本报表未统计的指标”）。", st["base"]))
    story.append(PageBreak())

    story.append(_p(f"一、完成情况（截至{report.as_of}年，{report.elapsed_text()}）", st["h2"]))
    widths = [7, 13, 40, 9, 16, 28, 13, 13, 17, 24]
    data = [[_p(h, st["cell"]) for h in SUMMARY_HEADER]]
    data += [[_p(c, st["cell"]) for c in row] for row in summary_rows(report)]
    t = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    style = [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#777777")),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF5")), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("LEFTPADDING", (0, 0), (-1, -1), 3),
             ("RIGHTPADDING", (0, 0), (-1, -1), 3)]
    for n, item in enumerate(report.items, start=1):
        if item.behind:
            style.append(("BACKGROUND", (8, n), (8, n), colors.HexColor("#F8D7DA")))
    t.setStyle(styled(*style))
    story += [t, Spacer(1, 3 * mm),
              _p("完成率＝完成数÷目标；时间进度：累计和期末指标为规划期已过年数÷规划年数，每年指标为100%；"
                 "完成率低于时间进度的标为“落后”。缺报年度不按0计，也不计入完成数。", st["small"]),
              PageBreak()]

    story.append(_p("二、各指标逐年情况", st["h2"]))
    chart_w, chart_h = 88 * mm, 52 * mm
    cells = [_chart_drawing(item, chart_w, chart_h) for item in report.items]
    grid = [cells[i:i + 2] + [""] * (2 - len(cells[i:i + 2])) for i in range(0, len(cells), 2)]
    charts = Table(grid, colWidths=[chart_w + 3 * mm] * 2, rowHeights=[chart_h + 3 * mm] * len(grid))
    charts.setStyle(styled())
    story += [charts, Spacer(1, 2 * mm),
              _p("累计指标为规划期起逐年累计数，每年和期末指标为当年数；虚线为目标；“缺报”为该年没有定稿的年报。",
                 st["small"]), PageBreak()]

    story.append(_p("三、本报表未统计的指标", st["h2"]))
    nc = [[_p(h, st["cell"]) for h in ("专栏", "指标", "目标", "原因")]]
    nc += [[_p(i.section, st["cell"]), _p(i.name, st["cell"]), _p(f"{decimal_text(i.target)}{i.unit}", st["cell"]),
            _p(i.note, st["cell"])] for i in report.plan.not_counted]
    t = Table(nc, colWidths=[30 * mm, 55 * mm, 25 * mm, 70 * mm], repeatRows=1)
    t.setStyle(styled(("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#777777")),
                      ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF5")),
                      ("VALIGN", (0, 0), (-1, -1), "TOP")))
    story += [t, Spacer(1, 6 * mm), _p("四、指标口径和出处", st["h2"])]
    for n, item in enumerate(report.items, start=1):
        ind = item.indicator
        story.append(_p(f"{n}. {ind.name}：{formula_text(ind)}。{ind.note}", st["base"]))
        story.append(_p(f"出处（{ind.section}）：{ind.quote}", st["small"]))
        story.append(Spacer(1, 2 * mm))

    if units:
        story += [PageBreak(), _p("五、各单位情况（汇总的下级单位和本级）", st["h2"]),
                  _p("各单位的数取自其报来并被汇总的年报；本级为汇总数减去各下级单位之和；“缺报”为该年没有报来（或未被汇总）。",
                     st["small"]), Spacer(1, 2 * mm)]
        header = unit_header(report)
        n_years = len(report.plan.years)
        unit_widths = [46, *[(180 - 46 - 16 - 16 - 13 - 17) / n_years] * n_years, 16, 16, 13, 17]
        for n, item in enumerate(report.items, start=1):
            rows = unit_rows(report, units.get(item.indicator.key, []))
            if not rows:
                continue
            heading = _p(f"{n}. {item.indicator.name}（{item.indicator.unit}，{item.indicator.measure_label}）", st["base"])
            data = [[_p(h, st["cell"]) for h in header]] + [[_p(c, st["cell"]) for c in row] for row in rows]
            t = Table(data, colWidths=[w * mm for w in unit_widths], repeatRows=1)
            t.setStyle(styled(("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#999999")),
                              ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF5")),
                              ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                              ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)))
            story += [KeepTogether([heading, t]), Spacer(1, 3 * mm)]

    def footer(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT_NAME, 8)
        canvas.drawString(15 * mm, 8 * mm, f"{report.unit_name}　{REPORT_TITLE}（截至{report.as_of}年）")
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"第{canvas.getPageNumber()}页")
        canvas.restoreState()

    def first(canvas: Any, doc_: Any) -> None:
        footer(canvas, doc_)
        x1, y1, x2, y2 = SIGNATURE_RECT
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor("#BBBBBB"))
        canvas.rect(x1, y1, x2 - x1, y2 - y1)
        canvas.setFont(FONT_NAME, 8)
        canvas.drawString(x1 + 4, y2 + 4, "单位电子签名")
        canvas.restoreState()
        if stamp is not None:
            from models.signing.pdf import place

            place(canvas, stamp)

    doc.build(story, onFirstPage=first, onLaterPages=footer)
    return buf.getvalue()


def write_pdf(report: ProgressReport, path: Path, *, signer: Signer | None = None,
              units: dict[str, list[UnitPart]] | None = None) -> None:
    """Write (and, with ``signer``, sign) the PDF report at ``path`` atomically."""
    fingerprint = ""
    if signer is not None:
        from models.signing import group_hex

        fingerprint = group_hex(signer.fingerprint)
    stamp = None
    if signer is not None:
        from models.signing.pdf import prepare

        stamp = prepare(signer, unit_name=report.unit_name, unit_code=report.unit_code, rect=SIGNATURE_RECT,
                        field_name="ChanGaiProgressSignature")
    data = pdf_bytes(report, fingerprint=fingerprint, units=units, stamp=stamp)
    if signer is not None and stamp is not None:
        from models.signing.pdf import complete_bytes

        data = complete_bytes(data, stamp, signer)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()


# ------------------------------------------------------------------------------------------------
# Excel


def write_xlsx(report: ProgressReport, path: Path, *, units: dict[str, list[UnitPart]] | None = None,
               signer: Signer | None = None) -> None:
    """The same report as a workbook: 完成情况 (with native charts), 逐年数据, 未统计指标, 口径和出处; with
    ``signer`` signed like a return's workbook (every part of the package, :func:`models.signing.package.
    sign_report_package`), before the file gets its name."""
    import xlsxwriter

    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"in_memory": True})
        wb.set_properties({"title": f"{report.unit_name}{REPORT_TITLE}", "author": report.unit_name,
                           "subject": f"{report.plan.id} {report.plan.digest}"})
        wb.set_custom_property(DOCUMENT_PROPERTY, DOCUMENT_KIND)
        title = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
        head = wb.add_format({"bold": True, "bg_color": "#E8EEF5", "border": 1, "text_wrap": True, "valign": "top"})
        cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
        bad = wb.add_format({"border": 1, "text_wrap": True, "valign": "top", "bg_color": "#F8D7DA"})
        num = wb.add_format({"border": 1, "num_format": "#,##0.##", "valign": "top"})
        pct = wb.add_format({"border": 1, "num_format": "0.0%", "valign": "top"})

        ws = wb.add_worksheet("完成情况")
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.merge_range(0, 0, 0, 9, REPORT_TITLE, title)
        row = 1
        for label, value in report.cover_lines():
            ws.write(row, 0, label)
            ws.merge_range(row, 1, row, 9, value)
            row += 1
        row += 1
        ws.write_row(row, 0, SUMMARY_HEADER, head)
        widths = [5, 8, 30, 6, 12, 24, 9, 9, 8, 36]
        for i, w in enumerate(widths):
            ws.set_column(i, i, w)
        first = row + 1
        for n, item in enumerate(report.items):
            r = first + n
            ind = item.indicator
            ws.write_number(r, 0, n + 1, cell)
            ws.write(r, 1, ind.section.split(" ")[0], cell)
            ws.write(r, 2, ind.name, cell)
            ws.write(r, 3, ind.unit, cell)
            _number(ws, r, 4, item.target, num, cell)
            if item.value is None:
                ws.write(r, 5, MISSING, bad)
            else:
                ws.write_number(r, 5, float(item.value), num)
                ws.write_comment(r, 5, item.value_basis)
            _share(ws, r, 6, item.share, pct, cell)
            _share(ws, r, 7, item.expected, pct, cell)
            ws.write(r, 8, item.status, bad if item.behind else cell)
            ws.write(r, 9, "；".join(remarks(report, item)), cell)

        data = wb.add_worksheet("逐年数据")
        years = report.plan.years
        data.write_row(0, 0, ["指标", "单位", "目标", *[f"{y}年" for y in years], "图中数（累计指标为逐年累计）"], head)
        data.set_column(0, 0, 32)
        data.set_column(1, 2 + 2 * len(years), 11)
        for n, item in enumerate(report.items, start=1):
            data.write(n, 0, item.indicator.name, cell)
            data.write(n, 1, item.indicator.unit, cell)
            _number(data, n, 2, item.target, num, cell)
            for i, y in enumerate(item.years):
                if y.value is None:
                    data.write(n, 3 + i, y.status, bad if y.status == MISSING else cell)
                else:
                    data.write_number(n, 3 + i, float(y.value), num)
            bars, _target, _caption = chart_series(item)
            for i, bar in enumerate(bars):
                col = 4 + len(years) + i
                if bar.value is not None:
                    data.write_number(n, col, float(bar.value), num)
        data.write_row(0, 4 + len(years), [f"{y}年" for y in years], head)

        charts = wb.add_worksheet("图表")
        for n, item in enumerate(report.items, start=1):
            chart = wb.add_chart({"type": "column"})
            first_col = 4 + len(years)
            last_col = first_col + len(years) - 1
            chart.add_series({"name": _chart_caption(item), "categories": ["逐年数据", 0, first_col, 0, last_col],
                              "values": ["逐年数据", n, first_col, n, last_col],
                              "data_labels": {"value": True}})
            chart.set_title({"name": f"{item.indicator.name}（目标 {decimal_text(item.target)}）",
                             "name_font": {"size": 10}})
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": 460, "height": 260})
            charts.insert_chart((n - 1) // 2 * 14, (n - 1) % 2 * 8, chart)

        nc = wb.add_worksheet("未统计指标")
        nc.write_row(0, 0, ["专栏", "指标", "目标", "单位", "原因", "出处"], head)
        for i, w in enumerate((16, 34, 10, 8, 40, 60)):
            nc.set_column(i, i, w)
        for n, ind in enumerate(report.plan.not_counted, start=1):
            nc.write_row(n, 0, [ind.section, ind.name], cell)
            _number(nc, n, 2, ind.target, num, cell)
            nc.write_row(n, 3, [ind.unit, ind.note, ind.quote], cell)

        src = wb.add_worksheet("口径和出处")
        src.write_row(0, 0, ["指标", "报表中的数", "说明", "出处"], head)
        for i, w in enumerate((30, 50, 50, 70)):
            src.set_column(i, i, w)
        for n, item in enumerate(report.items, start=1):
            ind = item.indicator
            src.write_row(n, 0, [ind.name, formula_text(ind), ind.note, f"{ind.section}：{ind.quote}"], cell)
        if units:
            us = wb.add_worksheet("各单位情况")
            header = ["指标", *unit_header(report)]
            us.write_row(0, 0, header, head)
            us.set_column(0, 0, 30)
            us.set_column(1, 1, 30)
            us.set_column(2, len(header), 11)
            r = 1
            for item in report.items:
                for part in units.get(item.indicator.key, []):
                    p = part.progress
                    us.write(r, 0, item.indicator.name, cell)
                    us.write(r, 1, part.name, cell)
                    for i, y in enumerate(p.years):
                        if y.value is None:
                            us.write(r, 2 + i, y.status, bad if y.status == MISSING else cell)
                        else:
                            us.write_number(r, 2 + i, float(y.value), num)
                    c = 2 + len(p.years)
                    if p.value is None:
                        us.write(r, c, MISSING, bad)
                    else:
                        us.write_number(r, c, float(p.value), num)
                    _number(us, r, c + 1, p.target, num, cell)
                    _share(us, r, c + 2, p.share, pct, cell)
                    us.write(r, c + 3, p.status, bad if p.behind else cell)
                    r += 1
        wb.close()
        if signer is not None:
            from models.signing.package import sign_report_package

            sign_report_package(tmp, unit_code=report.unit_code, as_of=report.as_of, plan_id=report.plan.id,
                                plan_version=report.plan.version, plan_digest=report.plan.digest, signer=signer)


def _chart_caption(item: IndicatorProgress) -> str:
    return chart_series(item)[2]


def _number(ws: Any, r: int, c: int, value: Decimal | None, num: Any, cell: Any) -> None:
    if value is None:
        ws.write(r, c, "—", cell)
    else:
        ws.write_number(r, c, float(value), num)


def _share(ws: Any, r: int, c: int, value: Decimal | None, pct: Any, cell: Any) -> None:
    if value is None:
        ws.write(r, c, "—", cell)
    else:
        ws.write_number(r, c, float(value), pct)


def export_report(report: ProgressReport, out_dir: Path | str, formats: Sequence[str] = ("pdf", "xlsx"), *,
                  signer: Signer | None = None, units: dict[str, list[UnitPart]] | None = None) -> list[Path]:
    """Write the report into ``out_dir`` (``<stem>.pdf``, ``<stem>.xlsx``); returns the files written.

    ``units`` (:func:`models.progress.all_units`) adds the contributing units of a consolidating unit.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        target = folder / f"{file_stem(report)}.{fmt}"
        if fmt == "pdf":
            write_pdf(report, target, signer=signer, units=units)
        else:
            write_xlsx(report, target, units=units, signer=signer)
        out.append(target)
    return out


__all__ = ["NOT_YET", "chart_series", "export_report", "pdf_bytes", "write_pdf", "write_xlsx"]
