"""Commands of consolidation (汇总): ``receive``, ``received``, ``consolidate``, ``receipt …``.

``status --period P`` (in ``cli.basic``) adds the 上报情况 board through :func:`board_status`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cli import CliError, existing_store, need_unit, opened_store, program
from cli.returns import export_or_refuse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("receive", help="接收下级单位报送的报表文件（可给U盘文件夹），逐个验证签名并保存")
    p.add_argument("paths", nargs="+", type=Path, metavar="文件或文件夹", help="报表 .xlsx 文件，或包含它们的文件夹")
    p.add_argument("--json", action="store_true", help="以 JSON 输出（每个文件一个对象）")
    p.add_argument("--jobs", type=_jobs, metavar="N",
                   help="同时核验文件的进程数，含本程序（默认：文件合计 3 MB 以上且有多个处理器核心时每核一个；1 为逐个核验）")
    p.set_defaults(func=cmd_receive)

    p = sub.add_parser("received", help="列出已接收的下级报表（含旧版本和未通过验证的文件）")
    p.add_argument("--period", required=True, help="报告期：2026（年报）、2026H1（半年报）、2026Q3（季报）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_received)

    p = sub.add_parser("consolidate", help="汇总：本级数据加各下级最新有效报表，审核、定稿、签名并导出")
    p.add_argument("--period", required=True, help="报告期")
    p.add_argument("--out", type=Path, help="导出到的文件夹（可为U盘）")
    p.add_argument("--passphrase-file", type=Path, help="从文件第一行读取签名口令（脚本使用）；不给则在终端输入")
    p.add_argument("--format", default="xlsx,pdf", help="导出格式，逗号分隔：xlsx,pdf（默认两种都导出）")
    p.add_argument("--cell", help="不导出，只显示某个数字由哪些单位构成，如 T3/total/participants")
    p.add_argument("--version", type=int, default=None, help="与 --cell 一起：查看已定稿的第几版（默认为当前汇总数）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_consolidate)

    receipt = sub.add_parser("receipt", help="回执：退回下级报表、出具接收回执、查看回执文件")
    receipt_sub = receipt.add_subparsers(dest="receipt_command", metavar="操作", required=True)
    p = receipt_sub.add_parser("show", help="打开并核验回执文件（下级单位使用）")
    p.add_argument("file", type=Path, metavar="FILE", help="回执文件（.json）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_receipt_show)
    p = receipt_sub.add_parser("return", help="退回某下级单位本期的报表，并写出签名的退回回执")
    p.add_argument("--period", required=True, help="报告期")
    p.add_argument("--unit", required=True, help="下级单位代码")
    p.add_argument("--reason", required=True, help="退回原因")
    p.add_argument("--version", type=int, default=None, help="退回第几版（默认为上报情况中显示的那一份）")
    p.add_argument("--out", type=Path, required=True, help="回执写到的文件夹（可为U盘）")
    p.add_argument("--passphrase-file", type=Path, help="从文件第一行读取签名口令")
    p.set_defaults(func=cmd_receipt_return)
    p = receipt_sub.add_parser("accept", help="为已接收的报表写出签名的接收回执（默认为本期全部已报单位）")
    p.add_argument("--period", required=True, help="报告期")
    p.add_argument("--unit", action="append", default=None, help="只为该单位写回执（可重复）")
    p.add_argument("--out", type=Path, required=True, help="回执写到的文件夹（可为U盘）")
    p.add_argument("--passphrase-file", type=Path, help="从文件第一行读取签名口令")
    p.set_defaults(func=cmd_receipt_accept)


def _period(text: str) -> Any:
    from forms.periods import parse_period

    return parse_period(text)


def _signer(store: Any, passphrase_file: Path | None) -> Any:
    from cli.signing import ask_passphrase
    from models.signing.provider import FileKeySigner

    passphrase, _again = ask_passphrase(passphrase_file)
    return FileKeySigner.open(store, passphrase)


def _export_signer(store: Any, passphrase_file: Path | None) -> Any:
    """As ``export``: sign with the unit's key; without a key, warn and export unsigned."""
    from models.signing import keys

    if keys.active_key(store) is None:
        print("注意：本单位尚未创建签名密钥，导出的汇总报表没有电子签名，上级单位将无法验证"
              f"（创建密钥：{program()} keys create）", file=sys.stderr)
        return None
    return _signer(store, passphrase_file)


# ------------------------------------------------------------------------------------------------
# status --period


def board_status(store: Any, period_text: str) -> tuple[dict[str, Any], list[str]]:
    """(JSON object, text lines) of the 上报情况 board for ``status --period``."""
    from models import board, receiving

    period = _period(period_text)
    receiving.recheck(store, period.code)
    result = board.build_board(store, period)
    data = result.as_json()
    if not board.has_subordinates(store):
        data["note"] = "本单位没有下级单位"
        return data, ["本单位没有下级单位，没有上报情况"]
    return data, board.board_lines(result)


# ------------------------------------------------------------------------------------------------
# receive / received


def _jobs(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if not 1 <= value <= 16:
        raise argparse.ArgumentTypeError(f"“{text}”不是 1 到 16 之间的整数")
    return value


def cmd_receive(args: argparse.Namespace) -> int:
    from models import receiving

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise CliError("找不到：" + "、".join(str(p) for p in missing))
    with opened_store(args) as store:
        need_unit(store)
        results = receiving.receive_files(store, args.paths, jobs=args.jobs,
                                          warn=lambda text: print(text, file=sys.stderr))
    if args.json:
        print(json.dumps([r.as_json() for r in results], ensure_ascii=False, indent=2))
    else:
        if not results:
            print("没有找到报表文件（.xlsx）")
        for result in results:
            print(result.line())
        if results:
            print(receiving.summary_text(results))
    return 0 if results and all(r.ok for r in results) else 1


def cmd_received(args: argparse.Namespace) -> int:
    from models import receiving

    period = _period(args.period)
    with opened_store(args) as store:
        need_unit(store)
        receiving.recheck(store, period.code)
        rows = receiving.received(store, period.code)
    if args.json:
        print(json.dumps([{"id": r.id, "unit_code": r.unit_code, "unit_name": r.unit_name, "period": r.period,
                           "version": r.version, "status": r.status, "current": r.current, "usable": r.usable,
                           "superseded": r.superseded, "returned_at": r.returned_at, "return_reason": r.return_reason,
                           "digest": r.digest, "signer": r.signer_name, "signer_fingerprint": r.signer_fingerprint,
                           "received_at": r.received_at, "file_name": r.file_name, "reason": r.reason}
                          for r in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print(f"{period.label}还没有接收任何下级报表")
    for r in rows:
        flags = []
        if r.superseded:
            flags.append("已被新版本取代")
        if r.returned_at:
            flags.append(f"已退回：{r.return_reason}")
        state = r.status_label + (f"（{'；'.join(flags)}）" if flags else "")
        print(f"{r.unit_code}  {r.unit_name}  第{r.version}版  {state}  收到于 {r.received_at.replace('T', ' ')}  {r.file_name}")
    return 0


# ------------------------------------------------------------------------------------------------
# consolidate


def cmd_consolidate(args: argparse.Namespace) -> int:
    from models import board, consolidate, receiving

    period = _period(args.period)
    if args.cell is None and args.out is None:
        raise CliError("请用 --out 指定导出文件夹（或用 --cell 查看某个数字的构成）")
    with opened_store(args) as store:
        need_unit(store)
        if not board.has_subordinates(store):
            raise CliError("本单位没有下级单位，不需要汇总；请用 export 导出本单位报表")
        receiving.recheck(store, period.code)
        if args.cell is not None:
            return _show_cell(store, period, args)
        return _export(store, period, args, consolidate.consolidate_period(store, period))


def _show_cell(store: Any, period: Any, args: argparse.Namespace) -> int:
    from models import consolidate, review, versions

    try:
        place = review.parse_where(args.cell)
    except ValueError:
        place = None
    if place is None or place.kind != "cell":
        raise CliError(f"“{args.cell}”不是表格中的位置，应为 表/行/栏，如 T3/total/participants")
    if args.version is not None:
        ret = versions.load_version(store, period, args.version)
        if ret is None:
            raise CliError(f"{period.label}没有第{args.version}版汇总报表")
    else:
        ret = consolidate.consolidate_period(store, period).ret
    try:
        rows = consolidate.contribution_rows(store, ret, place.table, place.row, place.column)
        label = review.cell_label(place.table, place.row, place.column, ret.spec)
    except KeyError as exc:
        raise CliError(f"“{args.cell}”不是表格中的位置：{exc}") from exc
    col = ret.spec.table(place.table).column(place.column)
    total = ret.tables[place.table][place.row][place.column]
    if args.json:
        print(json.dumps({"cell": args.cell, "label": label, "total": float(total) if col.money else int(total),
                          "contributions": rows}, ensure_ascii=False, indent=2))
        return 0
    print(f"{label}：{total}{col.unit}")
    for row in rows:
        value = f"{row['value']:.2f}" if col.money else str(row["value"])
        print(f"  {row['unit_name']}（{row['unit_code']}）：{value}" + ("" if row["available"] else "（数据不在本机）"))
    return 0


def _export(store: Any, period: Any, args: argparse.Namespace, result: Any) -> int:
    from models import export

    formats = export.parse_formats(args.format)
    print(f"{period.label}{period.kind_label}汇总：本级直属单位及 {result.coverage['reported']} 个下级单位；"
          f"{result.coverage_text}")
    for dup in result.duplicates():
        print(f"  注意：{dup.text()}")
    signer = _export_signer(store, args.passphrase_file)
    paths = export_or_refuse(store, period, args.out, formats, signer=signer)
    if paths is None:
        return 1
    for path in paths:
        print(f"已导出：{path}")
    return 0


# ------------------------------------------------------------------------------------------------
# receipts


def cmd_receipt_show(args: argparse.Namespace) -> int:
    from models.receipts import open_receipt

    # With this unit's data folder the receipt is matched against its finalised versions; a PC without
    # one still checks the signature.
    with existing_store(args) as store:
        opened = open_receipt(args.file, store)
    if args.json:
        print(json.dumps(opened.as_json(), ensure_ascii=False, indent=2))
    else:
        for line in opened.lines():
            print(line)
    return 0 if opened.genuine else 1


def _target_row(store: Any, period: Any, unit_code: str, version: int | None) -> Any:
    from models import board, receiving

    if version is not None:
        rows = [r for r in receiving.received(store, period.code, unit_code) if r.version == version]
        if not rows:
            raise CliError(f"没有收到单位 {unit_code} {period.label}第{version}版报表")
        return rows[0]
    for entry in board.build_board(store, period).entries:
        if entry.unit.code == unit_code:
            if entry.current is None:
                raise CliError(f"{entry.unit.name}{period.label}尚未报送，无可退回的报表")
            return entry.current
    raise CliError(f"单位代码 {unit_code} 不是本单位的直接下级")


def cmd_receipt_return(args: argparse.Namespace) -> int:
    from models import receipts, receiving

    period = _period(args.period)
    with opened_store(args) as store:
        need_unit(store)
        receiving.recheck(store, period.code)
        row = _target_row(store, period, args.unit.strip().upper(), args.version)
        signer = _signer(store, args.passphrase_file)
        path = receipts.send_back(store, row.id, args.reason, signer, args.out)
    print(f"已退回：{row.unit_name}（{row.unit_code}）{period.label}第{row.version}版")
    print(f"退回回执：{path}")
    return 0


def cmd_receipt_accept(args: argparse.Namespace) -> int:
    from models import receipts, receiving

    period = _period(args.period)
    with opened_store(args) as store:
        need_unit(store)
        receiving.recheck(store, period.code)
        signer = _signer(store, args.passphrase_file)
        codes = [c.strip().upper() for c in args.unit] if args.unit else None
        paths = receipts.write_receipts(store, period, signer, args.out, codes)
    if not paths:
        print(f"{period.label}没有已报或已退回的下级报表，未写出回执")
        return 1
    for path in paths:
        print(f"已写出回执：{path}")
    return 0
