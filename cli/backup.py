"""Backup commands: ``backup``, ``restore``, ``snapshots``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli import CliError, opened_store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("backup", help="把全部数据（含签名密钥和界面设置）备份为一个文件（程序打开时也可备份）")
    p.add_argument("--out", type=Path, required=True, help="备份文件存放的文件夹（如U盘 E:\\），或以 .zip 结尾的文件名")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="从备份文件恢复全部数据（先显示备份内容；恢复前自动为当前数据做快照）")
    p.add_argument("file", type=Path, help="备份文件（.zip）")
    p.add_argument("--yes", action="store_true", help="不再询问，直接恢复")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("snapshots", help="列出自动快照（导入、定稿、接收、恢复等操作之前自动保存）")
    p.set_defaults(func=cmd_snapshots)


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def cmd_backup(args: argparse.Namespace) -> int:
    from models import backup

    with opened_store(args) as store:
        info = backup.write_backup(store, args.out)
    print(f"已备份到：{info.path}（{_size(info.size)}，已检查无误）")
    for line in info.summary_lines():
        print(f"  {line}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from models import backup

    with opened_store(args) as store:
        info = backup.inspect_backup(args.file, deep=True)
        print(f"备份文件：{info.path}")
        for line in info.summary_lines():
            print(f"  {line}")
        refusal = backup.restore_refusal(store, info)
        if refusal:
            raise CliError(refusal)
        if not args.yes:
            if not sys.stdin.isatty():
                raise CliError("恢复会用备份替换本机的全部数据；确认无误后加 --yes 再运行")
            answer = input("恢复会用备份替换本机的全部数据（当前数据会先保存为快照）。确定恢复吗？输入“是”继续：")
            if answer.strip() not in ("是", "y", "yes"):
                print("已取消，本机数据没有改变")
                return 1
        result = backup.restore_backup(store, args.file)
    print("已从备份恢复全部数据。")
    if result.snapshot is not None:
        print(f"恢复之前的数据已保存为快照：{result.snapshot}")
    return 0


def cmd_snapshots(args: argparse.Namespace) -> int:
    from models import backup

    with opened_store(args) as store:
        found = backup.list_snapshots(store)
    if not found:
        print("还没有自动快照")
        return 0
    for info in found:
        print(f"{info.created_at.replace('T', ' ')}  {info.cause_title}  {_size(info.size)}  {info.path.name}")
    print(f"共{len(found)}个快照（最多保留{backup.SNAPSHOT_MAX_COUNT}个、"
          f"{backup.SNAPSHOT_MAX_BYTES // 1024 // 1024} MB，超出时删除最早的）")
    return 0
