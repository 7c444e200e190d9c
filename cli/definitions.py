"""Commands for the return's definition (报表制度): ``definition …``.

This module only creates the command group; each part of the definition work adds its sub-commands.
The province's signing, installing and passing down (``sign``, ``install``, ``list``, ``export-signed``) live
in :mod:`cli.definition_signing`.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = sub.add_parser("definition", help="报表制度：签发（省总工会）、安装、列表、转交下级")
    group_sub = group.add_subparsers(dest="definition_command", metavar="操作", required=True)
    from cli import definition_signing

    definition_signing.add_commands(group_sub)
