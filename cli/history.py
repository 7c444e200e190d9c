"""Traceability commands: ``history`` (what changed in the records), ``diff`` (between two versions of a return)."""

from __future__ import annotations

import argparse
import json

from cli import CliError, opened_store
from forms.records import kind_titles

KIND_NAMES = kind_titles()  # kind → 人员 …, from the form declarations


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("history", help="记录的修改历史（谁在何时改了什么；身份证号、电话遮盖显示）")
    p.add_argument("--kind", choices=sorted(KIND_NAMES), default=None,
                   help="只看一类记录：" + "、".join(f"{k}（{v}）" for k, v in KIND_NAMES.items()))
    p.add_argument("--record", type=int, default=None, help="只看一条记录（记录编号，需同时给出 --kind）")
    p.add_argument("--since", default=None, help="只看此日期（含）以后的修改，如 2025-03-01")
    p.add_argument("--limit", type=int, default=None, help="最多显示多少条（默认全部）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出（已遮盖身份证号和电话）")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("diff", help="两个版本的报表有什么变化（表格数字、名册、说明）")
    p.add_argument("--period", required=True, help="报告期，如 2025、2026H1、2026Q3")
    p.add_argument("--from", dest="v_from", type=int, default=None, help="原版本号（默认为新版本的上一版）")
    p.add_argument("--to", dest="v_to", type=int, default=None, help="新版本号（默认为最新版本）")
    p.add_argument("--unit", default=None, help="下级单位代码：比较收到的该单位报表（不填则比较本单位定稿的版本）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_diff)


def cmd_history(args: argparse.Namespace) -> int:
    from models import history

    if args.record is not None and not args.kind:
        raise CliError("--record 需要同时给出 --kind（记录类别），如 --kind people --record 12")
    since = None
    if args.since:
        try:
            since = history.parse_since(args.since)
        except ValueError as exc:
            raise CliError(f"--since：{exc}") from None
    with opened_store(args) as store:
        found = history.entries(store, args.kind, args.record, since, args.limit)
        if args.json:
            out = [{"id": e.id, "at": e.at, "operation": e.operation, "operation_title": e.operation_title,
                    "kind": e.kind, "record_id": e.record_id, "label": e.label, "batch_id": e.batch_id,
                    "changes": history.change_lines(e, store)} for e in found]
            print(json.dumps(out, ensure_ascii=False, indent=2))
            return 0
        if not found:
            print("没有符合条件的修改记录")
            return 0
        for entry in found:
            print(history.describe(entry, store))
    print(f"共{len(found)}条修改记录")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from forms.periods import parse_period
    from models import diff

    period = parse_period(args.period)
    with opened_store(args) as store:
        if args.unit:
            result = diff.received_diff(store, period, args.unit, args.v_from, args.v_to)
        else:
            result = diff.own_diff(store, period, args.v_from, args.v_to)
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
        return 0
    for line in result.lines():
        print(line)
    return 0
