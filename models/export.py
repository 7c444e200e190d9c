"""Exporting a return: finalise if needed, then write Excel and/or PDF files into a folder.

Files are named ``<unit code>_<period>_v<version>.<ext>`` (``530821_2026_v1.xlsx``), written under
a temporary name and renamed when complete, so a pulled USB stick never leaves half a file. A
finished version is exported from its frozen snapshot: exporting version 1 again gives the same
bytes. ``finish`` is called on each complete temporary file before the rename. A ``signer`` signs
each file before the rename too (a failed signature leaves no file).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from common.atomic_file import atomic_path, os_reason
from common.text import ParseError
from forms.periods import Period
from models.db import RecordError, Store
from models.returns import Return, computed_once

if TYPE_CHECKING:
    from models.signing.provider import Signer

Progress = Callable[..., None]
Finisher = Callable[[Path, Return, str], None]  # (temporary file, return, format)

FORMATS = ("xlsx", "pdf")
FORMAT_LABELS = {"xlsx": "Excel", "pdf": "PDF"}


def parse_formats(text: str | Sequence[str] | None) -> list[str]:
    """``"xlsx,pdf"`` → ``["xlsx", "pdf"]``; ParseError naming an unknown format."""
    if text is None:
        return list(FORMATS)
    parts = text.replace("，", ",").split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for part in parts:
        name = part.strip().lower().lstrip(".")
        if not name:
            continue
        if name in ("excel", "xls"):
            name = "xlsx"
        if name not in FORMATS:
            raise ParseError(f"不支持的导出格式“{part.strip()}”，可选：xlsx、pdf")
        if name not in out:
            out.append(name)
    if not out:
        raise ParseError("请至少选择一种导出格式（xlsx 或 pdf）")
    return out


def file_name(ret: Return, fmt: str) -> str:
    return f"{ret.file_stem()}.{fmt}"


def warm_up(*, signing: bool = False) -> None:
    """Import the writers (and with ``signing`` the signing modules) and load the PDF font ahead of an export.

    Work the export does anyway, with no other effect, so it may run in a background thread while the user's key
    is opened: bcrypt-pbkdf leaves the interpreter free, and on a PC with two cores both go at once. The caller
    still opens the key before anything is written."""
    import importlib

    for module in ("xlsxwriter", "models.export_xlsx", "models.export_pdf", "reportlab.pdfgen.canvas"):
        importlib.import_module(module)
    from models.fonts import reportlab_font
    from models.pdfa import srgb_profile

    reportlab_font()
    srgb_profile()
    if signing:
        from models.signing.pdf import import_signing_modules

        import_signing_modules()


def export_snapshot(ret: Return, out_dir: Path | str, formats: Sequence[str] = FORMATS, *,
                    progress: Progress | None = None, fingerprint: str = "",
                    finish: Finisher | None = None, signer: Signer | None = None,
                    seal_image: Path | None = None) -> list[Path]:
    """Write ``ret`` in each format into ``out_dir``; returns the files written.

    With ``signer`` every file is signed before it gets its final name: the workbook carries a signature
    over every part of its package, the PDF a PAdES signature with a visible box on the cover (optionally
    showing ``seal_image``). Both covers show the signer's certificate fingerprint.
    """
    if signer is not None:
        from models.signing import group_hex

        fingerprint = group_hex(signer.fingerprint)

    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RecordError(f"无法创建文件夹“{folder}”：{os_reason(exc)}") from exc
    with computed_once(ret):  # the workbook, the PDF and their signatures all carry it: serialise it once
        return _write_formats(ret, folder, formats, progress, fingerprint, finish, signer, seal_image)


def _write_formats(ret: Return, folder: Path, formats: Sequence[str], progress: Progress | None, fingerprint: str,
                   finish: Finisher | None, signer: Signer | None, seal_image: Path | None) -> list[Path]:
    from models.export_pdf import write_pdf
    from models.export_xlsx import write_xlsx

    written: list[Path] = []
    count = len(formats)
    for index, fmt in enumerate(formats):
        target = folder / file_name(ret, fmt)

        def scaled(done: int, total: int, text: str = "", _i: int = index) -> None:
            if progress is not None:
                progress(_i * 1000 + (1000 * done // total if total else 0), count * 1000, text)

        with atomic_path(target) as tmp:
            if fmt == "xlsx":
                write_xlsx(ret, tmp, fingerprint=fingerprint, progress=scaled)
                if signer is not None:
                    from models.signing.package import sign_package

                    sign_package(tmp, ret, signer)
            elif fmt == "pdf":
                stamp = None
                if signer is not None:
                    from models.export_pdf import SIGNATURE_FIELD, signature_box_pdf
                    from models.signing.pdf import prepare

                    stamp = prepare(signer, unit_name=ret.unit_name, unit_code=ret.unit_code,
                                    rect=signature_box_pdf(), field_name=SIGNATURE_FIELD, seal_image=seal_image)
                write_pdf(ret, tmp, fingerprint=fingerprint, progress=scaled, stamp=stamp)
                if signer is not None and stamp is not None:
                    from models.signing.pdf import complete

                    scaled(1, 1, "正在签名PDF……")
                    complete(tmp, stamp, signer)
            else:
                raise ParseError(f"不支持的导出格式“{fmt}”")
            if finish is not None:
                finish(tmp, ret, fmt)
        written.append(target)
    if progress is not None:
        progress(count * 1000, count * 1000, "导出完成")
    return written


def export_return(store: Store, period: Period, out_dir: Path | str, formats: Sequence[str] = FORMATS,
                  progress: Progress | None = None, *, version: int | None = None,
                  finish: Finisher | None = None, signer: Signer | None = None,
                  seal_image: Path | None = None) -> list[Path]:
    """Export a finalised version of the return for ``period``.

    Without ``version``, the return is finalised first (a new version when records changed, else
    the latest one); :class:`models.versions.FinaliseRefused` when the review does not allow it.
    With ``version``, that frozen version is exported as it was. With ``signer`` (see
    :mod:`models.signing.provider`) the files are signed; the PDF's signature box shows ``seal_image``,
    by default the seal image kept in the data folder (if any).
    """
    from models import versions

    if version is None:
        if progress is not None:
            progress(0, 0, "正在审核并定稿……")
        ret = versions.finalise(store, period)
    else:
        found = versions.load_version(store, period, version)
        if found is None:
            raise RecordError(f"{period}没有第{version}版报表")
        ret = found
    if signer is not None and seal_image is None:
        from models.signing.pdf import stored_seal_image

        seal_image = stored_seal_image(store)
    try:
        return export_snapshot(ret, out_dir, formats, progress=progress, finish=finish, signer=signer,
                               seal_image=seal_image)
    except OSError as exc:  # the version stays finalised: say so, and that exporting again makes no new one
        exc.add_note(f"第{ret.version}版报表已定稿，但文件没有写出（已写出的旧文件保持原样）。"
                     "解决上述问题后再次导出即可，不会产生新的版本。")
        raise
