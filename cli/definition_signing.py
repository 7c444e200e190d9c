"""``definition sign | install | list | export-signed``: the province signs the return's definition, every
level installs it, prefectures pass the signed file down unchanged (see :mod:`models.definition_signing`)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cli import need_unit, opened_store


def add_commands(group_sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = group_sub.add_parser("sign", help="签发报表制度文件（仅省总工会，用本单位签名密钥）")
    p.add_argument("file", type=Path, metavar="FILE", help="报表制度文件（JSON）")
    p.add_argument("--out", type=Path, required=True, help="签发的文件（或文件夹：自动命名）")
    p.add_argument("--passphrase-file", type=Path, help="从文件第一行读取签名口令（脚本使用）；不给则在终端输入")
    p.set_defaults(func=cmd_sign)
    p = group_sub.add_parser("install", help="安装省总工会签发的报表制度（核验签名后安装）")
    p.add_argument("signed", type=Path, metavar="SIGNED", help="签发的报表制度文件（.signed.json）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_install)
    p = group_sub.add_parser("list", help="列出本机的报表制度及各年度使用哪一版")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_list)
    p = group_sub.add_parser("export-signed", help="导出已安装的签发文件（原样转交下级单位）")
    p.add_argument("ref", metavar="ID/VERSION", help="报表制度标识和版本号，如 yn-changai-return/2（只有一种标识时可只写版本号）")
    p.add_argument("--out", type=Path, required=True, help="输出文件（或文件夹：自动命名）")
    p.set_defaults(func=cmd_export_signed)


def _target(out: Path, name: str) -> Path:
    return out / name if out.is_dir() else out


def sign_command(args: argparse.Namespace, module: Any, signed_label: str, after_sign: str) -> int:
    """``definition sign`` / ``plan sign`` with the kind's signing module (see ``models.definition_signing``)."""
    from cli.signing import ask_passphrase
    from models.province_docs import check_can_sign
    from models.signing.provider import FileKeySigner

    with opened_store(args) as store:
        need_unit(store)
        check_can_sign(store, module.KIND)  # before asking for the passphrase
        document = module.load(module.read_plain(args.file), source=args.file.name)
        passphrase, _ = ask_passphrase(args.passphrase_file)
        signer = FileKeySigner.open(store, passphrase)
        out = _target(args.out, module.default_file_name(document))
        module.sign_file(store, args.file, signer, out)
    print(f"{signed_label}：{document.label}")
    print(f"签发的文件：{out}")
    print(f"请把签发的文件（连同本单位证书和公钥登记表，供尚未登记的单位登记）交下级单位安装；{after_sign}：{args.command} "
          f"install \"{out}\"")
    return 0


def export_signed_command(args: argparse.Namespace, module: Any, document_of: Callable[[Any], Any]) -> int:
    """``definition export-signed`` / ``plan export-signed``."""
    from models.province_docs import kind_label

    with opened_store(args) as store:
        entry = module.find(store, args.ref)
        out = _target(args.out, module.default_file_name(document_of(entry)))
        module.export_signed(store, args.ref, out)
    print(f"已导出{kind_label(module.KIND)}“{document_of(entry).label}”的签发文件（与收到的文件完全相同）：{out}")
    print(f"下级单位用 {args.command} install 安装（需已登记省总工会的证书）。")
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    from models import definition_signing

    return sign_command(args, definition_signing, "已签发", "本单位也需安装后才按此版本编制和汇总")


def cmd_install(args: argparse.Namespace) -> int:
    from models import definition_signing as ds

    with opened_store(args) as store:
        need_unit(store)
        outcome = ds.install_signed_file(store, args.signed)
    if args.json:
        d = outcome.definition
        print(json.dumps({"installed": outcome.new, "id": d.id, "version": d.version, "title": d.title,
                          "digest": d.digest, "signer_name": outcome.signer.unit_name,
                          "signer_code": outcome.signer.unit_code, "signer_fingerprint": outcome.signer.fingerprint,
                          "signed_at": outcome.signer.signed_at, "years_used": outcome.used_for,
                          "years_superseded": outcome.superseded}, ensure_ascii=False, indent=2))
        return 0
    for line in outcome.lines():
        print(line)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from models import definition_signing as ds

    with opened_store(args) as store:
        rows = ds.listing(store)
    if args.json:
        print(json.dumps([r.as_json() for r in rows], ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        d = r.entry.definition
        print(f"{d.id}/{d.version}  {d.label}")
        print(f"    使用年度：{r.years_text}")
        if r.entry.shipped:
            print("    来源：程序自带")
        else:
            print(f"    签发：{r.entry.signer_name}  安装于 {r.entry.installed_at.replace('T', ' ')}  文件：{r.entry.source}")
            if not r.exportable:
                print("    （未保存签发文件，不能转交）")
    return 0


def cmd_export_signed(args: argparse.Namespace) -> int:
    from models import definition_signing

    return export_signed_command(args, definition_signing, lambda entry: entry.definition)
