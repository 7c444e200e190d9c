"""Plans of targets and the progress against them: ``plan sign | install | list | export-signed`` (signed by the
province like the return's definition, see :mod:`models.plan_signing`) and ``progress``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cli import CliError, need_unit, opened_store


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("plan", help="规划目标：签发（省总工会）、安装、列表、转交下级")
    plan_sub = p.add_subparsers(dest="plan_command", metavar="操作", parser_class=type(p))
    q = plan_sub.add_parser("sign", help="签发规划目标文件（仅省总工会，用本单位签名密钥）")
    q.add_argument("file", type=Path, metavar="FILE", help="规划目标文件（JSON）")
    q.add_argument("--out", type=Path, required=True, help="签发的文件（或文件夹：自动命名）")
    q.add_argument("--passphrase-file", type=Path, help="从文件第一行读取签名口令（脚本使用）；不给则在终端输入")
    q.set_defaults(func=cmd_plan_sign)
    q = plan_sub.add_parser("install", help="安装省总工会签发的规划目标（核验签名后安装）")
    q.add_argument("signed", type=Path, metavar="SIGNED", help="签发的规划目标文件（.signed.json）")
    q.add_argument("--json", action="store_true", help="以 JSON 输出")
    q.set_defaults(func=cmd_plan_install)
    q = plan_sub.add_parser("list", help="列出程序自带和已安装的规划目标")
    q.add_argument("--json", action="store_true", help="以 JSON 输出")
    q.set_defaults(func=cmd_plan_list)
    q = plan_sub.add_parser("export-signed", help="导出已安装的签发文件（原样转交下级单位）")
    q.add_argument("ref", metavar="ID/VERSION", help="规划代码和版本号，如 yn-changai-plan-15th/1（只写代码为最高版本）")
    q.add_argument("--out", type=Path, required=True, help="输出文件（或文件夹：自动命名）")
    q.set_defaults(func=cmd_plan_export_signed)
    p.set_defaults(func=lambda args: _usage(p))

    p = sub.add_parser("progress", help="规划目标完成情况：各指标的目标、完成数、完成率和时间进度；可导出 PDF 和 Excel 报告")
    p.add_argument("--plan", default=None, help="规划代码（默认为当前的规划，见 plan list）")
    p.add_argument("--year", type=int, default=None, help="统计截至的年度（默认为上一年，或已定稿的最近年度）")
    p.add_argument("--out", type=Path, default=None, help="把报告（PDF 和 Excel）导出到这个文件夹")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--unit", default=None, help="（州市、省）只看某个下级单位的数，按单位代码")
    p.add_argument("--passphrase-file", type=Path, default=None,
                   help="签名口令文件（第一行为口令，脚本使用）；不给则在终端输入")
    p.add_argument("--no-sign", action="store_true", help="PDF 报告不签名（默认用本单位密钥签名）")
    p.set_defaults(func=cmd_progress)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def cmd_plan_sign(args: argparse.Namespace) -> int:
    from cli.definition_signing import sign_command
    from models import plan_signing

    return sign_command(args, plan_signing, "已签发规划目标", "本单位也需安装后才按此规划计算完成情况")


def cmd_plan_install(args: argparse.Namespace) -> int:
    from models import plan_signing as ps

    with opened_store(args) as store:
        need_unit(store)
        outcome = ps.install_signed_file(store, args.signed)
    if args.json:
        print(json.dumps(outcome.as_json(), ensure_ascii=False, indent=2))
        return 0
    for line in outcome.lines():
        print(line)
    return 0


def cmd_plan_list(args: argparse.Namespace) -> int:
    from models import plan_signing as ps

    with opened_store(args) as store:
        rows = ps.listing(store)
    if args.json:
        print(json.dumps([r.as_json() for r in rows], ensure_ascii=False, indent=1))
        return 0
    for row in rows:
        item, plan = row.entry, row.entry.plan
        mark = "（当前）" if row.current else ""
        print(f"{plan.id}/{plan.version}  {plan.label}{mark}")
        print(f"    指标{len(plan.indicators)}项（计入统计{len(plan.counted)}项，本报表未统计{len(plan.not_counted)}项）")
        if item.shipped:
            print("    来源：程序自带")
        else:
            print(f"    签发：{item.signer_name}  安装于 {item.installed_at.replace('T', ' ')}  文件：{item.source}")
            if not row.exportable:
                print("    （未保存签发文件，不能转交）")
    return 0


def cmd_plan_export_signed(args: argparse.Namespace) -> int:
    from cli.definition_signing import export_signed_command
    from models import plan_signing

    return export_signed_command(args, plan_signing, lambda entry: entry.plan)


def cmd_progress(args: argparse.Namespace) -> int:
    from models import plans, progress
    from models.progress import percent

    with opened_store(args) as store:
        need_unit(store)
        plan = plans.find_plan(store, args.plan)
        report = progress.build_report(store, plan, as_of=args.year)
        parts = {}
        if args.unit or args.json:
            for item in report.items:
                parts[item.indicator.key] = progress.drill_down(store, report, item.indicator.key)
        written: list[Path] = []
        if args.out is not None:
            from cli.returns import _open_signer
            from models.progress_report import export_report

            args.seal_image = None
            signer = _open_signer(args, store)
            written = export_report(report, args.out, signer=signer, units=progress.all_units(store, report))
    if args.unit:
        return _print_unit(report, parts, args.unit, args.json)
    if args.json:
        data = report.as_dict()
        for entry in data["indicators"]:
            entry["units"] = progress.drill_down_dict(parts.get(entry["key"], []))
        data["files"] = [str(p) for p in written]
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return 0
    print(f"{report.title()}")
    print(f"规划：{plan.label}；{report.elapsed_text()}")
    if report.missing_years:
        print(f"缺报年度：{'、'.join(str(y) for y in report.missing_years)}（未计入，不按0计）")
    for item in report.items:
        value = "缺报" if item.value is None else f"{item.value:,}（{item.value_basis}）".replace(".00（", "（")
        target = "未下达" if item.target is None else f"{item.target:,}{item.indicator.unit}"
        mark = "  ▲落后" if item.behind else ""
        print(f"  {item.indicator.name}：目标 {target}，完成 {value}，完成率 {percent(item.share)}，"
              f"时间进度 {percent(item.expected)}{mark}")
        for remark in item.remarks:
            print(f"      {remark}")
    print(f"本报表未统计的指标{len(plan.not_counted)}项：" + "、".join(i.name for i in plan.not_counted))
    for path in written:
        print(f"已导出：{path}")
    return 0


def _print_unit(report, parts, code: str, as_json: bool) -> int:  # type: ignore[no-untyped-def]
    from models.progress import percent

    rows = []
    for item in report.items:
        for part in parts.get(item.indicator.key, []):
            if part.code == code:
                rows.append((item, part))
    if not rows:
        raise CliError(f"单位“{code}”不在本单位汇总的下级单位中")
    if as_json:
        print(json.dumps([{"key": item.indicator.key, "name": item.indicator.name, **part.progress.as_dict()}
                          for item, part in rows], ensure_ascii=False, indent=1))
        return 0
    print(f"{rows[0][1].name}（{code}）规划目标完成情况（截至{report.as_of}年）")
    for item, part in rows:
        p = part.progress
        years = "，".join(f"{y.year}年 {y.text}" for y in p.years)
        print(f"  {item.indicator.name}：完成 {'缺报' if p.value is None else p.value}，完成率 {percent(p.share)}；{years}")
    return 0
