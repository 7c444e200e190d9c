"""Commands for the unit's key and the registry of subordinate certificates: ``keys …`` and ``trust …``.

For scripted use the passphrase comes from ``--passphrase-file F`` (its first line, UTF-8); otherwise it
is asked on the terminal without echo.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cli import CliError, need_unit, opened_store, stdin_is_terminal
from common.atomic_file import os_reason


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = sub.add_parser("keys", help="本单位签名密钥：创建、查看指纹、导出证书和公钥登记表")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="操作", required=True)
    p = keys_sub.add_parser("create", help="创建本单位的密钥和证书（私钥以口令加密保存）")
    p.add_argument("--passphrase-file", type=Path, help="从文件第一行读取口令（脚本使用）；不给则在终端输入两次")
    p.add_argument("--replace", action="store_true", help="已有密钥时更换（旧证书停用，但仍可验证旧报表）")
    p.set_defaults(func=cmd_keys_create)
    p = keys_sub.add_parser("show", help="显示本单位证书指纹和密钥历史")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_keys_show)
    p = keys_sub.add_parser("export", help="导出证书文件和公钥登记表 PDF（交上级单位登记）")
    p.add_argument("--out", type=Path, required=True, help="输出文件夹")
    p.set_defaults(func=cmd_keys_export)

    trust = sub.add_parser("trust", help="证书登记（下级单位，及 --superior 上级单位）：登记、列表、撤销")
    trust_sub = trust.add_subparsers(dest="trust_command", metavar="操作", required=True)
    p = trust_sub.add_parser("add", help="登记下级单位（或用 --superior 登记上级单位）的证书文件（.cer）")
    p.add_argument("cert", type=Path, metavar="CERT", help="证书文件")
    p.add_argument("--fingerprint", help="公钥登记表上的指纹，或扫描其二维码得到的文字（给出时必须一致才登记）")
    p.add_argument("--superior", action="store_true",
                   help="登记的是本单位上级单位的证书（其回执才显示为真实有效；必须同时给出 --fingerprint）")
    p.add_argument("--replace", action="store_true", help="该单位已有登记证书时替换（旧证书仍可验证旧报表）")
    p.add_argument("--note", default="", help="备注")
    p.set_defaults(func=cmd_trust_add)
    p = trust_sub.add_parser("list", help="列出已登记的证书")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_trust_list)
    p = trust_sub.add_parser("remove", help="撤销某单位的证书登记（密钥泄露时使用）")
    p.add_argument("code", metavar="CODE", help="单位代码")
    p.add_argument("--reason", default="", help="撤销原因")
    p.set_defaults(func=cmd_trust_remove)


def read_passphrase_file(path: Path) -> str:
    """The first line of ``path`` (UTF-8, BOM and line end removed)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise CliError(f"无法读取口令文件“{path}”：{os_reason(exc)}") from exc
    except UnicodeDecodeError as exc:
        raise CliError(f"口令文件“{path}”不是 UTF-8 文本") from exc
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise CliError(f"口令文件“{path}”的第一行是空的")
    return lines[0]


def ask_passphrase(passphrase_file: Path | None, *, twice: bool = False) -> tuple[str, str | None]:
    """(passphrase, second entry or None) from the file, or typed on the terminal without echo."""
    if passphrase_file is not None:
        return read_passphrase_file(passphrase_file), None
    if not stdin_is_terminal():
        raise CliError("需要签名口令：请在终端运行，或用 --passphrase-file 指定口令文件（导出时也可加 --no-sign 不签名）")
    import getpass

    first = getpass.getpass("签名口令：")
    second = getpass.getpass("再次输入口令：") if twice else None
    return first, second


def cmd_keys_create(args: argparse.Namespace) -> int:
    from models.signing import keys

    with opened_store(args) as store:
        need_unit(store)
        existing = keys.active_key(store)
        if existing is not None and not args.replace:
            raise CliError(f"本单位已有签名密钥（指纹 {existing.grouped}）。如确需更换（口令遗忘或密钥泄露），"
                           "请加 --replace，并把新的公钥登记表交上级单位重新登记")
        first, second = ask_passphrase(args.passphrase_file, twice=True)
        created = keys.create_key(store, first, second)
    print(f"已创建本单位签名密钥：{created.unit_name}（{created.unit_code}）")
    print(f"证书指纹（SHA-256）：{created.grouped}")
    if existing is not None:
        print(f"原密钥（指纹 {existing.grouped[:19]} …）已停用，用它签名的旧报表仍可验证。")
    print("请运行 keys export --out 文件夹 导出证书和公钥登记表，签字盖章后交上级单位登记。")
    return 0


def cmd_keys_show(args: argparse.Namespace) -> int:
    from models.signing import keys

    with opened_store(args) as store:
        need_unit(store)
        history = keys.own_keys(store)
        active = keys.active_key(store)
    if args.json:
        data = {
            "fingerprint": active.fingerprint if active else None,
            "unit_code": active.unit_code if active else None,
            "unit_name": active.unit_name if active else None,
            "keys": [{"fingerprint": k.fingerprint, "unit_code": k.unit_code, "unit_name": k.unit_name,
                      "created_at": k.created_at, "retired_at": k.retired_at, "key_file": k.key_file}
                     for k in history],
        }
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    if active is None:
        print("本单位尚未创建签名密钥（运行 keys create 创建）")
        return 1
    print(f"本单位：{active.unit_name}（{active.unit_code}）")
    print(f"证书指纹（SHA-256）：{active.grouped}")
    print(f"创建时间：{active.created_at.replace('T', ' ')}")
    retired = [k for k in history if not k.active]
    if retired:
        print("已停用的旧证书（仍用于验证旧报表）：")
        for k in retired:
            print(f"  {k.grouped}  {k.created_at[:10]} 至 {(k.retired_at or '')[:10]}")
    return 0


def cmd_keys_export(args: argparse.Namespace) -> int:
    from models.signing.register_form import export_registration

    with opened_store(args) as store:
        need_unit(store)
        files = export_registration(store, args.out)
    print(f"证书文件：{files.certificate}")
    print(f"公钥登记表：{files.form}")
    print("请打印公钥登记表，单位负责人签字并盖章后，连同证书文件交上级单位登记。")
    return 0


def cmd_trust_add(args: argparse.Namespace) -> int:
    from models.signing import trust

    with opened_store(args) as store:
        need_unit(store)
        info = trust.read_certificate(args.cert)
        if args.superior:
            warning = None
            registration = trust.register_superior(store, args.cert, expected_fingerprint=args.fingerprint or "",
                                                   replace=args.replace, note=args.note)
        else:
            warning = trust.subordinate_warning(store, info.unit_code, info.unit_name)
            registration = trust.register(store, args.cert, expected_fingerprint=args.fingerprint,
                                          replace=args.replace, note=args.note)
    print(f"已登记{'上级单位' if args.superior else ''}：{registration.unit_name}（{registration.unit_code}）")
    print(f"证书指纹（SHA-256）：{registration.grouped}")
    if args.fingerprint is None:
        print("请逐组核对上面的指纹与对方盖章的公钥登记表一致；不一致时请用 trust remove 撤销。")
    if warning:
        print(f"注意：{warning}")
    return 0


def cmd_trust_list(args: argparse.Namespace) -> int:
    from models.signing import trust

    with opened_store(args) as store:
        rows = trust.registrations(store)
    if args.json:
        print(json.dumps([{"unit_code": r.unit_code, "unit_name": r.unit_name, "fingerprint": r.fingerprint,
                           "state": r.state, "registered_at": r.registered_at, "revoked_at": r.revoked_at,
                           "revoke_reason": r.revoke_reason, "replaced_by": r.replaced_by, "note": r.note}
                          for r in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("尚未登记任何下级单位的证书")
        return 0
    for r in rows:
        print(f"{r.unit_code}  {r.unit_name}  [{r.state_label}]  登记于 {r.registered_at[:10]}")
        print(f"    指纹：{r.grouped}")
    return 0


def cmd_trust_remove(args: argparse.Namespace) -> int:
    from models.signing import trust

    with opened_store(args) as store:
        revoked = trust.revoke(store, unit_code=args.code, reason=args.reason)
    for r in revoked:
        print(f"已撤销登记：{r.unit_name}（{r.unit_code}）指纹 {r.grouped}")
    print("用这些证书签名的报表今后显示为“签名有效但未登记”。")
    return 0
