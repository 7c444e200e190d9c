"""The 公钥登记表 and the certificate file the unit hands to its superior once.

- Certificate file: ``<code>-签名证书-<first 8 hex of the fingerprint>.cer``, PEM text. PEM survives e-mail and
  text tools, Windows opens it by double-click like a DER ``.cer``, and this program reads either form.
- 登记表: one A4 page (reportlab, bundled font): the unit, the certificate's SHA-256 fingerprint large and
  grouped in fixed cells, the same fingerprint as a QR code, how the superior checks it, and lines for the
  unit head's signature, the date and the seal.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from common.atomic_file import os_reason
from models.db import Store
from models.signing.common import SigningError, group_hex
from models.signing.keys import OwnKey

QR_PREFIX = "CHANGAI-CERT"


@dataclasses.dataclass(frozen=True)
class RegistrationFiles:
    certificate: Path
    form: Path


def qr_payload(unit_code: str, fingerprint: str) -> str:
    """What the QR code holds: ``CHANGAI-CERT:<unit code>:SHA256:<64 hex>``."""
    return f"{QR_PREFIX}:{unit_code}:SHA256:{fingerprint}"


def file_names(key: OwnKey) -> tuple[str, str]:
    short = key.fingerprint[:8]
    return f"{key.unit_code}-签名证书-{short}.cer", f"{key.unit_code}-公钥登记表-{short}.pdf"


def render_form(key: OwnKey, *, unit_level: str, parent_name: str, certificate_file: str) -> bytes:
    """The one-page 公钥登记表 as PDF bytes."""
    import io

    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from models.fonts import FONT_NAME, printable, reportlab_font
    from models.signing.keys import certificate_info

    reportlab_font()
    info = certificate_info(key.certificate())
    width, height = A4
    left, right = 22 * mm, width - 22 * mm
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1, initialFontName=FONT_NAME, initialFontSize=10,
                      initialLeading=12)
    c.setTitle(f"公钥登记表 {key.unit_name}")
    c.setAuthor(key.unit_name)
    c.setSubject("产改统计报表电子签名证书登记")

    y = height - 28 * mm
    c.setFont(FONT_NAME, 20)
    c.drawCentredString(width / 2, y, "产改统计报表电子签名 公钥登记表")
    y -= 8 * mm
    c.setFont(FONT_NAME, 10)
    c.drawCentredString(width / 2, y, "（签字盖章后连同证书文件交上级工会登记；本单位留存复印件）")

    # the unit and the certificate
    rows = [
        ("单位名称", printable(key.unit_name)),
        ("单位代码", key.unit_code),
        ("单位级别", unit_level),
        ("上级单位", printable(parent_name) or "—"),
        ("证书文件", certificate_file),
        ("密钥算法", "ECDSA P-256 / SHA-256（自签名证书）"),
        ("证书有效期", f"{info.not_before} 至 {info.not_after}"),
        ("密钥生成时间", key.created_at.replace("T", " ")),
    ]
    y -= 12 * mm
    row_h = 8.5 * mm
    label_w = 32 * mm
    c.setLineWidth(0.6)
    for label, value in rows:
        c.rect(left, y - row_h, label_w, row_h)
        c.rect(left + label_w, y - row_h, right - left - label_w, row_h)
        c.setFont(FONT_NAME, 11)
        c.drawString(left + 3 * mm, y - row_h + 2.8 * mm, label)
        c.drawString(left + label_w + 3 * mm, y - row_h + 2.8 * mm, value)
        y -= row_h

    # the fingerprint: large, grouped, in fixed cells so it reads like a table of 16 groups
    y -= 10 * mm
    c.setFont(FONT_NAME, 13)
    c.drawString(left, y, "证书指纹（SHA-256，共 64 位，每组 4 位）")
    groups = group_hex(key.fingerprint).split(" ")
    cell_w, cell_h, size = 8.2 * mm, 11 * mm, 22
    fp_top = y - 4 * mm
    for line in range(4):
        for g in range(4):
            x0 = left + g * (4 * cell_w + 5 * mm)
            y0 = fp_top - (line + 1) * (cell_h + 5 * mm) + 3 * mm
            c.setFont(FONT_NAME, 8)
            c.drawString(x0, y0 + cell_h + 0.6 * mm, f"{line * 4 + g + 1}")
            for k, ch in enumerate(groups[line * 4 + g]):
                c.setFont(FONT_NAME, size)
                c.rect(x0 + k * cell_w, y0, cell_w, cell_h)
                c.drawCentredString(x0 + k * cell_w + cell_w / 2, y0 + 3 * mm, ch)
    y = fp_top - 4 * (cell_h + 5 * mm) - 4 * mm

    # QR code with the same fingerprint, and how to check it
    qr_size = 36 * mm
    widget = QrCodeWidget(qr_payload(key.unit_code, key.fingerprint), barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    # the drawing's text state would otherwise name Helvetica (never embedded)
    drawing = Drawing(qr_size, qr_size, transform=[qr_size / (x2 - x1), 0, 0, qr_size / (y2 - y1), 0, 0],
                      initialFontName=FONT_NAME)
    drawing.add(widget)
    renderPDF.draw(drawing, c, right - qr_size, y - qr_size)
    text = c.beginText(left, y - 4 * mm)
    text.setFont(FONT_NAME, 10.5)
    text.setLeading(16)
    for line_text in (
        "上级工会登记方法：",
        "1. 在“文件 → 证书登记（下级、上级单位）…”中选择随本表提交的证书文件；",
        "2. 逐组核对屏幕上显示的指纹与本表完全一致（也可扫描右侧二维码）；",
        "3. 一致后确认登记。不一致时切勿登记，请与报送单位核实。",
        "本单位更换密钥（口令遗忘或密钥泄露）后须重新填报本表。",
    ):
        text.textLine(line_text)
    c.drawText(text)
    c.setFont(FONT_NAME, 8)
    c.drawCentredString(right - qr_size / 2, y - qr_size - 4 * mm, "证书指纹二维码")

    # signature and seal
    y = 44 * mm
    c.setFont(FONT_NAME, 12)
    c.drawString(left, y, "单位负责人（签字）：")
    c.line(left + 40 * mm, y - 1.5 * mm, left + 95 * mm, y - 1.5 * mm)
    c.drawString(left, y - 14 * mm, "日期：")
    c.drawString(left + 30 * mm, y - 14 * mm, "年")
    c.drawString(left + 45 * mm, y - 14 * mm, "月")
    c.drawString(left + 60 * mm, y - 14 * mm, "日")
    c.line(left + 12 * mm, y - 15.5 * mm, left + 28 * mm, y - 15.5 * mm)
    seal_r = 17 * mm
    cx, cy = right - 25 * mm, y - 7 * mm
    c.setDash(3, 3)
    c.circle(cx, cy, seal_r)
    c.setDash()
    c.drawCentredString(cx, cy - 2 * mm, "单位盖章")
    c.setFont(FONT_NAME, 8)
    c.drawString(left, 16 * mm, "本表由产改统计填报程序生成。证书只含公钥，可公开交付；私钥和口令由本单位保管，切勿外传。")
    c.showPage()
    c.save()
    return buf.getvalue()


def export_registration(store: Store, out_dir: Path, key: OwnKey | None = None) -> RegistrationFiles:
    """Write the certificate file and the 登记表 PDF of ``key`` (default: the active key) into ``out_dir``."""
    from common.atomic_file import write_bytes_atomic, write_text_atomic
    from models import unit
    from models.signing.keys import active_key

    key = key or active_key(store)
    if key is None:
        raise SigningError("本单位尚未创建签名密钥，无法导出证书和公钥登记表")
    current = unit.load(store)
    level = current.level_label if current is not None and current.code == key.unit_code else ""
    parent = current.parent_name if current is not None and current.code == key.unit_code else ""
    cert_name, form_name = file_names(key)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out_dir / cert_name, key.cert_pem)
        write_bytes_atomic(out_dir / form_name,
                           render_form(key, unit_level=level, parent_name=parent, certificate_file=cert_name))
    except OSError as exc:
        raise SigningError(f"无法写入文件夹“{out_dir}”：{os_reason(exc)}") from exc
    return RegistrationFiles(out_dir / cert_name, out_dir / form_name)
