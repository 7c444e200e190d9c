"""Commands of the return's definition (报表制度): ``definition export`` and ``definition check``.

``definition`` is a command group; each action is a sub-command registered in :data:`ACTIONS` order, so
further actions (sign, install, list) are added next to these with :func:`add_action`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from cli import CliError, existing_store

Action = Callable[[argparse._SubParsersAction], None]  # type: ignore[type-arg]
ACTIONS: list[Action] = []


def add_action(action: Action) -> Action:
    """Register a ``definition`` sub-command (``action(subparsers)`` adds its parser)."""
    ACTIONS.append(action)
    return action


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("definition", help="报表制度：导出、检查、签发（省总工会）、安装、列表、转交下级")
    actions = p.add_subparsers(title="操作", metavar="操作")
    for action in ACTIONS:
        action(actions)
    from cli import definition_signing  # sign, install, list, export-signed (the province's distribution)

    definition_signing.add_commands(actions)
    p.set_defaults(func=lambda _args: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


@add_action
def _export(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = actions.add_parser("export", help="导出本机某年度使用的报表制度文件（无数据文件夹时导出程序自带的）")
    p.add_argument("--out", required=True, type=Path, help="写到的文件（.json）")
    p.add_argument("--year", type=int, default=None, help="报表年度（默认今年）")
    p.set_defaults(func=cmd_export)


@add_action
def _check(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = actions.add_parser("check", help="检查报表制度文件，逐条列出问题；可生成空表式的 PDF 预览")
    p.add_argument("file", type=Path, metavar="文件", help="报表制度文件（.json）")
    p.add_argument("--preview", type=Path, default=None, metavar="PDF", help="把各表的空表式写成 A4 PDF 预览")
    p.set_defaults(func=cmd_check)


def cmd_export(args: argparse.Namespace) -> int:
    import datetime as dt

    from common.atomic_file import atomic_path
    from forms.definition import shipped_definition
    from models.definitions import definition_for

    year = args.year or dt.date.today().year
    with existing_store(args) as store:
        definition = definition_for(store, year) if store is not None else shipped_definition()
    out = Path(args.out)
    with atomic_path(out) as tmp:
        tmp.write_bytes(definition.raw)  # exactly the bytes it was installed (and signed) as
    print(f"已导出 {definition.label}（{year}年使用）：{out}")
    print(f"摘要（SHA-256）：{definition.digest}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from common.atomic_file import atomic_path
    from forms.definition import MAX_BYTES, check_definition
    from models.export_pdf import write_definition_preview

    path = Path(args.file)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise CliError(f"“{path.name}”太大（{size // 1024} KB），不是报表制度文件")
        data = path.read_bytes()
    except FileNotFoundError:
        raise CliError(f"找不到文件“{path}”") from None
    definition, problems = check_definition(data, source=path.name)
    if definition is None:
        print(f"“{path.name}”有 {len(problems)} 处问题：", file=sys.stderr)
        for number, problem in enumerate(problems, start=1):
            print(f"  {number}. {problem}", file=sys.stderr)
        return 1
    first, *rest = definition.summary_lines()
    print(f"“{path.name}”检查通过：{first}")
    for line in rest:
        print(f"  {line}")
    if args.preview is not None:
        out = Path(args.preview)
        with atomic_path(out) as tmp:
            pages = write_definition_preview(definition, tmp)
        print(f"  表式预览（{pages} 页）：{out}")
    return 0
