"""Commands for importing rosters from spreadsheets: ``import``, ``import-batches``, ``import-undo``.

``import`` exits 0 when every row was accepted, 1 when some rows had errors (those rows are not
imported, the others are), 2 when the file cannot be read or has no usable columns.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli import opened_store, program
from forms.records import IMPORTABLE, SPECS

KIND_CHOICES = IMPORTABLE  # from the form declarations
KIND_HELP = "记录类型：" + "，".join(f"{kind} {SPECS[kind].import_label}" for kind in IMPORTABLE)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("import", help="从Excel（.xlsx/.xls）或CSV文件导入人员、工作室、培训或竞赛记录")
    p.add_argument("file", type=Path, help="要导入的文件")
    p.add_argument("--kind", required=True, choices=KIND_CHOICES, help=KIND_HELP)
    p.add_argument("--sheet", default=None, help="工作表名称（默认自动选择表头最匹配的工作表）")
    p.add_argument("--map", action="append", default=[], metavar="源列名=字段名",
                   help="指定某列导入到哪个字段（可重复），与导入窗口中的对应关系相同，"
                        "如 --map \"证件号=身份证号\" --map \"部门=不导入\"")
    p.add_argument("--dry-run", action="store_true", help="只检查并报告，不写入")
    p.add_argument("--on-duplicate", choices=("update", "skip"), default="update",
                   help="与已有记录相同（身份证号、名称等相同）时：update 更新（默认），skip 跳过")
    p.add_argument("--errors-xlsx", type=Path, default=None, help="把有错误的行导出到此 .xlsx 文件（含“错误原因”列）")
    p.add_argument("--warnings", action="store_true", help="同时列出提示（不影响导入）")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("template", help="写出空白导入模板（.xlsx），填好后用 import 导入")
    p.add_argument("--kind", required=True, choices=KIND_CHOICES, help=KIND_HELP)
    p.add_argument("--out", required=True, type=Path, help="模板文件，如 劳模名册模板.xlsx")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("import-batches", help="列出以往的导入批次")
    p.set_defaults(func=cmd_batches)

    p = sub.add_parser("import-undo", help="撤销一次导入（删除其新增的记录，恢复其更新前的内容）")
    p.add_argument("batch", type=int, help="批次号（见 import-batches）")
    p.set_defaults(func=cmd_undo)


def cmd_import(args: argparse.Namespace) -> int:
    from models.importer import (
        ERROR_ROWS_NOTICE,
        apply_import,
        export_error_rows,
        mapping_with_choices,
        plan_import,
        read_table,
    )

    table = read_table(args.file, sheet=args.sheet, kind=args.kind)
    with opened_store(args) as store:
        mapping = mapping_with_choices(args.kind, table.headers, args.map, store) if args.map else None
        plan = plan_import(store, args.kind, table, mapping, on_duplicate=args.on_duplicate)
        for line in plan.report_lines():
            print(line)
        if plan.problems:
            print("可用 --map \"源列名=字段名\" 指定列的对应关系（可重复），如 --map \"证件号=身份证号\"", file=sys.stderr)
            return 2
        for message in (r.message for r in plan.errors):
            print(message)
        if args.warnings:
            for record in plan.warnings:
                print(f"提示：{record.warning_message}")
        elif plan.warnings:
            print(f"另有 {len(plan.warnings)} 行有提示（不影响导入，加 --warnings 可列出）")
        if args.errors_xlsx and plan.errors:
            count = export_error_rows(plan, args.errors_xlsx)
            print(f"已把 {count} 行错误行导出到：{args.errors_xlsx}")
            print(f"注意：{ERROR_ROWS_NOTICE}")
        if args.dry_run:
            print("试运行：没有写入任何数据")
        elif plan.has_work:
            batch_id = apply_import(store, plan)
            print(f"已导入（批次 {batch_id}；如需撤销：{program()} import-undo {batch_id}）")
        else:
            print("没有需要写入的行")
    return 1 if plan.errors else 0


def cmd_template(args: argparse.Namespace) -> int:
    from models.importer import IMPORT_KINDS, write_template

    out: Path = args.out
    if out.suffix.lower() != ".xlsx":
        print(f"错误：模板文件应以 .xlsx 结尾（现为“{out.name}”）", file=sys.stderr)
        return 2
    try:
        with opened_store(args) as store:  # the columns of the entry fields its definitions add too
            path = write_template(args.kind, out, store)
    except OSError as exc:
        print(f"错误：无法写入“{out}”：{exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"已写出{IMPORT_KINDS[args.kind]}导入模板：{path}")
    return 0


def cmd_batches(args: argparse.Namespace) -> int:
    from models.importer import list_batches

    with opened_store(args) as store:
        batches = list_batches(store)
    if not batches:
        print("还没有导入过文件")
        return 0
    for b in batches:
        state = f"已于{b['undone_at'].replace('T', ' ')}撤销" if b["undone_at"] else "有效"
        print(f"批次 {b['id']}：{b['created_at'].replace('T', ' ')} {b['kind_title']} “{b['file_name']}” "
              f"新增{b['added']} 更新{b['updated']} 跳过{b['skipped']} 错误{b['errors']}（{state}）")
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    from models.importer import undo_import

    with opened_store(args) as store:
        result = undo_import(store, args.batch)
    print(f"已撤销批次 {result.batch_id}：删除 {result.removed} 条，恢复 {result.restored} 条"
          + (f"，删除荣誉 {result.honours_removed} 项" if result.honours_removed else ""))
    return 0
