"""Commands of the foundation: ``setup``, ``demo``, ``status``."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from cli import need_unit, opened_store

if TYPE_CHECKING:
    from models.db import Store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("setup", help="设置本单位（单位代码即行政区划代码）")
    p.add_argument("--unit-code", required=True, help="行政区划代码，如 530821；产业系统工会为统一社会信用代码")
    p.add_argument("--unit-name", help="单位名称（默认为“行政区划名称+总工会”）")
    p.add_argument("--industry", action="store_true", help="省级产业系统工会（无行政区划代码）")
    p.add_argument("--head", default="", help="单位负责人")
    p.add_argument("--statistician", default="", help="统计负责人")
    p.add_argument("--preparer", default="", help="填表人")
    p.add_argument("--phone", default="", help="联系电话")
    p.set_defaults(func=cmd_setup)

    p = sub.add_parser("demo", help="填入演示数据（约120人、20个工作室、60次培训、15次竞赛）")
    p.add_argument("--seed", type=int, default=2025, help="随机种子（相同种子得到相同数据）")
    p.add_argument("--years", default=None,
                   help="同时生成这些年度的数据并逐年定稿年报，如 2021-2025（用于规划目标完成情况）")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("status", help="显示本单位和各类记录数")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--period", default=None, help="同时显示该报告期下级单位的上报情况（如 2026）")
    p.set_defaults(func=cmd_status)


def cmd_setup(args: argparse.Namespace) -> int:
    from models import unit

    with opened_store(args) as store:
        result = unit.setup(store, code=args.unit_code, name=args.unit_name, industry=args.industry,
                            head=args.head, statistician=args.statistician, preparer=args.preparer, phone=args.phone)
    print(f"已设置本单位：{result.name}（代码 {result.code}，{result.level_label}）")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from models.demo import fill_demo, fill_years, parse_years

    years = parse_years(args.years) if args.years else []
    with opened_store(args) as store:
        current = need_unit(store)
        summary = fill_demo(store, seed=args.seed)
        finalised = fill_years(store, years, seed=args.seed) if years else {}
    print(f"已为{current.name}填入演示数据：" + "，".join(f"{k} {v}" for k, v in summary.items()))
    if finalised:
        print("已定稿年报：" + "、".join(f"{y}年第{v}版" for y, v in finalised.items()))
    return 0


def status_data(store: Store) -> dict[str, Any]:
    from models import records, unit

    current = unit.load(store)
    return {
        "unit": None if current is None else {"code": current.code, "name": current.name, "level": current.level,
                                               "level_label": current.level_label, "parent_code": current.parent_code},
        "counts": records.counts(store),
    }


def cmd_status(args: argparse.Namespace) -> int:
    from forms.records import SPECS

    board_lines: list[str] = []
    with opened_store(args) as store:
        data = status_data(store)
        if args.period:
            from cli.consolidation import board_status

            need_unit(store)
            data["board"], board_lines = board_status(store, args.period)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    u = data["unit"]
    print(f"本单位：{u['name']}（{u['code']}，{u['level_label']}）" if u else "本单位：尚未设置")
    for kind, n in data["counts"].items():
        print(f"  {SPECS[kind].title}：{n}")
    for line in board_lines:
        print(line)
    return 0
