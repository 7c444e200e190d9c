"""Commands of the return: ``review``, ``note``, ``export``, ``versions``, ``verify``."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli import existing_store, need_unit, opened_store, program

if TYPE_CHECKING:
    from forms.periods import Period
    from models.db import Store
    from models.signing.provider import FileKeySigner


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("review", help="审核报表：列出错误、警告和提示（有错误时退出码为1）")
    p.add_argument("--period", required=True, help="报告期：2026（年报）、2026H1（半年报）、2026Q3（季报）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("note", help="为审核警告填写说明（说明为空则删除）")
    p.add_argument("--period", required=True, help="报告期")
    p.add_argument("--code", required=True, help="警告代码，如 change.over_50（见 review 的输出）")
    p.add_argument("--where", required=True, help="警告位置，如 T3/total/participants（见 review 的输出）")
    p.add_argument("--text", required=True, help="说明内容")
    p.set_defaults(func=cmd_note)

    p = sub.add_parser("export", help="定稿（审核无错误时）并导出 Excel 和 PDF 报表")
    p.add_argument("--period", required=True, help="报告期")
    p.add_argument("--out", required=True, type=Path, help="导出到的文件夹（可为U盘）")
    p.add_argument("--format", default="xlsx,pdf", help="导出格式，逗号分隔：xlsx,pdf（默认两种都导出）")
    p.add_argument("--version", type=int, default=None, help="重新导出已定稿的第几版（不重新定稿）")
    p.add_argument("--passphrase-file", type=Path, default=None,
                   help="签名口令文件（第一行为口令，脚本使用）；不给则在终端输入")
    p.add_argument("--seal-image", type=Path, default=None, help="PDF 签名框中显示的单位印章图片（PNG/JPG，可选）")
    p.add_argument("--no-sign", action="store_true", help="不签名（默认用本单位密钥签名）")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("versions", help="列出已定稿的报表版本")
    p.add_argument("--period", default=None, help="只列出该报告期")
    p.set_defaults(func=cmd_versions)

    p = sub.add_parser("verify", help="核验报表文件的签名和数据（全部验证通过时退出码为0）")
    p.add_argument("files", nargs="+", type=Path, metavar="文件", help="导出的 .xlsx 或 .pdf 报表文件")
    p.add_argument("--json", action="store_true", help="以 JSON 输出（每个文件一个对象）")
    p.set_defaults(func=cmd_verify)


def _period(text: str) -> Period:
    from forms.periods import parse_period

    return parse_period(text)


def cmd_review(args: argparse.Namespace) -> int:
    from forms.returns import SEVERITY_LABELS
    from models import review

    period = _period(args.period)
    with opened_store(args) as store:
        current = need_unit(store)
        report = review.review(store, period)
    if args.json:
        data = {"unit_code": current.code, "period": period.code, "can_finalise": report.can_finalise,
                "findings": [{"severity": f.severity, "severity_label": SEVERITY_LABELS.get(f.severity, f.severity),
                              "code": f.code, "where": f.where, "label": f.label, "message": f.message,
                              "note": report.note_for(f)} for f in report.findings]}
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(f"{current.name} {period.label}{period.kind_label} 审核结果：{report.summary()}")
        for line in review.findings_text(report.findings, report.notes):
            print(line)
        if report.missing_notes and not report.errors:
            print(f"有警告尚未填写说明，可用：{program()} note --period 报告期 --code 代码 --where 位置 --text 说明")
    return 1 if report.errors else 0


def cmd_note(args: argparse.Namespace) -> int:
    from models import review

    period = _period(args.period)
    with opened_store(args) as store:
        need_unit(store)
        report = review.review(store, period)
        known = {(f.code, f.where) for f in report.warnings}
        if (args.code, args.where) not in known:
            from cli import CliError

            raise CliError(f"{period.label}的审核结果中没有代码为“{args.code}”、位置为“{args.where}”的警告")
        review.set_note(store, period, args.code, args.where, args.text)
    print("已保存说明" if args.text.strip() else "已删除说明")
    return 0


def _open_signer(args: argparse.Namespace, store: Store) -> FileKeySigner | None:
    """The unit's signer (passphrase asked once), or None when not signing; nothing is written before this."""
    if args.no_sign:
        return None
    from cli import CliError
    from cli.signing import ask_passphrase
    from models.signing import SigningError, keys
    from models.signing.pdf import check_seal_image
    from models.signing.provider import FileKeySigner

    if args.seal_image is not None:
        check_seal_image(args.seal_image)
    if keys.active_key(store) is None:
        print(f"注意：本单位尚未创建签名密钥，导出的报表没有电子签名（创建密钥：{program()} keys create）",
              file=sys.stderr)
        return None
    passphrase, _ = ask_passphrase(args.passphrase_file)
    # The export's imports and font while bcrypt-pbkdf opens the key (it leaves the interpreter free): both at once
    imports = threading.Thread(target=_warm_up_quietly, name="export-warm-up", daemon=True)
    imports.start()
    try:
        return FileKeySigner.open(store, passphrase)
    except SigningError as exc:
        raise CliError(f"{exc}（未导出任何文件）") from exc
    finally:
        imports.join()


def _warm_up_quietly() -> None:
    """The export's modules and font, loaded ahead; a failure is left for the export itself to report."""
    from models.export import warm_up

    with contextlib.suppress(Exception):
        warm_up(signing=True)


def export_or_refuse(store: Store, period: Period, out: Path, formats: Sequence[str],
                     **options: Any) -> list[Path] | None:
    """Finalise (if needed) and export; when the review refuses, print its findings and return None."""
    from models import export, review
    from models.versions import FinaliseRefused

    try:
        return export.export_return(store, period, out, formats, **options)
    except FinaliseRefused as exc:
        report = exc.report
        print(f"不能定稿导出：{report.summary()}", file=sys.stderr)
        for line in review.findings_text(report.findings, report.notes):
            print(line, file=sys.stderr)
        return None


def cmd_export(args: argparse.Namespace) -> int:
    from models import export

    period = _period(args.period)
    formats = export.parse_formats(args.format)
    with opened_store(args) as store:
        need_unit(store)
        signer = _open_signer(args, store)
        paths = export_or_refuse(store, period, args.out, formats, version=args.version, signer=signer,
                                 seal_image=args.seal_image if signer is not None else None)
        if paths is None:
            return 1
    for path in paths:
        print(f"已导出：{path}")
    if signer is not None:
        from models.signing import group_hex

        print(f"已用本单位密钥签名，证书指纹：{group_hex(signer.fingerprint)}")
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    from models import versions

    with opened_store(args) as store:
        need_unit(store)
        found = versions.list_versions(store, _period(args.period) if args.period else None)
    if not found:
        print("还没有定稿的报表")
    for v in found:
        print(f"{v.period}  {v.label}  说明{v.notes}条  摘要 {v.digest[:16]}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from models.return_io import VALID, read_return
    from models.signing import group_hex

    # The registry of subordinate certificates lives in the data folder; a PC without one verifies
    # signatures but registers nobody.
    with existing_store(args) as store:
        results = [read_return(path, store) for path in args.files]
    if args.json:
        print(json.dumps([r.as_json() for r in results], ensure_ascii=False, indent=2))
    else:
        for r in results:
            print(f"{r.path}：{r.label}")
            if r.ret is not None:
                print(f"  {r.ret.title_line()}（单位代码 {r.ret.unit_code}，数据摘要 {r.digest[:16]}）")
            elif r.claimed.get("document") == "progress-report":
                print(f"  规划目标完成情况报告：单位代码 {r.claimed.get('unit_code') or '不明'}，"
                      f"规划 {r.claimed.get('plan_id') or '不明'}{'，' + r.claimed['period'] if r.claimed.get('period') else ''}")
            elif r.claimed.get("unit_code"):
                print(f"  单位代码 {r.claimed['unit_code']}，报告期 {r.claimed.get('period', '')}，"
                      f"第{r.claimed.get('version', '')}版")
            if r.fingerprint:
                print(f"  签名证书指纹：{group_hex(r.fingerprint)}（{r.signer_name or ''}，"
                      f"签名时间 {(r.signed_at or '').replace('T', ' ')}，本机时钟）")
            if r.reason:
                print(f"  原因：{r.reason}")
    return 0 if all(r.status == VALID for r in results) else 1
