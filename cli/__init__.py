"""The command line (no Qt). ``main.py`` builds the parser here; each area registers its commands.

Exit codes: 0 success, 1 the command ran but found problems (review errors, refused rows …),
2 bad input (the reason in Chinese on stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from common.errors import UserError

if TYPE_CHECKING:
    from models.db import Store
    from models.unit import Unit

# Each module has ``register(subparsers)`` adding its sub-commands; every sub-command sets ``func`` (args -> exit
# code) with ``set_defaults``. The names each registers are listed here, so that a command imports only its own
# module (tests/test_cli_basic.py checks the lists against the modules).
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "cli.basic": ("setup", "demo", "status"),
    "cli.returns": ("review", "note", "export", "versions", "verify"),
    "cli.signing": ("keys", "trust"),
    "cli.importing": ("import", "template", "import-batches", "import-undo"),
    "cli.consolidation": ("receive", "received", "consolidate", "receipt"),
    "cli.history": ("history", "diff"),
    "cli.backup": ("backup", "restore", "snapshots"),
    "cli.definitions": ("definition",),
    "cli.progress": ("plan", "progress"),
}


def program() -> str:
    """The command a user types to run this program's commands, as it was started.

    From source ``python main.py``; the built program names its console executable
    (``ChanGaiTongJi-cli.exe``), also when the message is shown by the windowed one.
    """
    if not getattr(sys, "frozen", False):
        return "python main.py"
    exe = Path(sys.executable)
    name = exe.stem if exe.stem.endswith("-cli") else f"{exe.stem}-cli"
    name += exe.suffix
    return f'"{name}"' if " " in name else name


def stdin_is_terminal() -> bool:
    """Whether someone can type answers (a passphrase, a yes) on standard input.

    On Windows the NUL device counts as a terminal for ``isatty()`` (``< NUL``, or no input at all under a
    scheduler), and getpass then waits forever on a console nobody sees: only a real console counts.
    """
    stream = sys.stdin
    if stream is None:  # the windowed program
        return False
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return False
    if sys.platform == "win32":
        import ctypes
        import msvcrt

        try:
            handle = msvcrt.get_osfhandle(fd)
        except OSError:
            return False
        mode = ctypes.c_ulong()
        return bool(ctypes.windll.kernel32.GetConsoleMode(ctypes.c_void_p(handle), ctypes.byref(mode)))
    return os.isatty(fd)


class CliError(UserError):
    """Bad input found by the command line itself: printed in Chinese on stderr, exit code 2."""


_HEADINGS = (("usage: ", "用法："), ("positional arguments:", "位置参数："), ("options:", "选项："))


class ChineseArgumentParser(argparse.ArgumentParser):
    """argparse with its own words (usage, options, -h) in Chinese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def format_help(self) -> str:
        return self._chinese(super().format_help())

    def format_usage(self) -> str:
        return self._chinese(super().format_usage())

    @staticmethod
    def _chinese(text: str) -> str:
        for english, chinese in _HEADINGS:
            text = text.replace(english, chinese)
        return text

    def error(self, message: str) -> NoReturn:
        message = (message.replace("the following arguments are required", "缺少必填参数")
                   .replace("unrecognized arguments", "无法识别的参数")
                   .replace("invalid choice", "无效的选项")
                   .replace("expected one argument", "需要一个值")
                   .replace("argument ", "参数 "))
        if "(choose from " in message and message.endswith(")"):  # argparse lists the valid choices in English
            message = message.replace(" (choose from ", "（可选：")[:-1] + "）"
        self.print_usage(sys.stderr)
        self.exit(2, f"错误：{message}\n")


def command_word(argv: Sequence[str]) -> str | None:
    """The sub-command ``argv`` names: its first word that is neither a global option nor the folder after
    ``--data-dir`` (or an abbreviation of it, which argparse accepts)."""
    words = list(argv)
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("-"):
            i += 2 if len(word) > 3 and "--data-dir".startswith(word) else 1
            continue
        return word
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser. With ``argv`` only what it needs is loaded: the module of the sub-command it
    names; none when it names none and asks for no help (the window starts); every module when it asks for help
    without a sub-command or names an unknown one, so that the help and the mistake list every sub-command."""
    parser = ChineseArgumentParser(
        prog=program(), description="产改统计填报：不带子命令时打开图形界面。")
    parser.add_argument("--data-dir", type=Path, default=None, help="数据文件夹（默认为本用户的数据文件夹）")
    parser.add_argument("--self-test", action="store_true", help="打开主窗口（可无显示器）、读取数据后退出，用于检查安装包")
    modules = list(COMMAND_MODULES)
    if argv is not None:
        word = command_word(argv)
        if word is None and not {"-h", "--help"} & set(argv):
            return parser
        named = [name for name, commands in COMMAND_MODULES.items() if word in commands]
        modules = named or modules
    sub = parser.add_subparsers(dest="command", metavar="子命令", parser_class=ChineseArgumentParser)
    for name in modules:
        importlib.import_module(name).register(sub)
    return parser


def run(argv: Sequence[str], parser: argparse.ArgumentParser | None = None) -> int:
    """Run a sub-command; returns the exit code (``parser``: one :func:`build_parser` made already, if any).

    The one place where errors reach the command line's user: a :class:`UserError` (bad input, a refused
    action, a file that cannot be read …) and an OS error are printed in Chinese with exit code 2; anything
    else is a defect and keeps its traceback.
    """
    parser = parser or build_parser(argv)
    args = parser.parse_args(list(argv))
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return func(args)
    except UserError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # an unwritable folder, a full or pulled USB stick …: a reason, not a traceback
        from common.atomic_file import os_error_text

        print(f"错误：{os_error_text(exc)}", file=sys.stderr)
        return 2


@contextlib.contextmanager
def opened_store(args: argparse.Namespace) -> Iterator[Store]:
    """The store of ``--data-dir`` (or the per-user folder), closed when the command is done."""
    from models.db import open_store

    store = open_store(args.data_dir)
    report_leftovers(store)
    try:
        yield store
    finally:
        store.close()


def report_leftovers(store: Store) -> None:
    """Remove what an interrupted export or backup left behind and say which files were not written."""
    from common import leftovers

    if store.path is not None:
        text = leftovers.notice(leftovers.clean_up(store.path.parent))
        if text:
            print(text, file=sys.stderr)


@contextlib.contextmanager
def existing_store(args: argparse.Namespace) -> Iterator[Store | None]:
    """The data folder's store when there is one, else ``None`` (no data folder is created for it)."""
    from common.paths import default_data_dir, store_path
    from models.db import open_store

    folder = args.data_dir or default_data_dir()
    store = open_store(folder) if store_path(folder).exists() else None
    if store is not None:
        report_leftovers(store)
    try:
        yield store
    finally:
        if store is not None:
            store.close()


def need_unit(store: Store) -> Unit:
    from models import unit

    current = unit.load(store)
    if current is None:
        raise CliError(f"尚未设置本单位，请先运行：{program()} setup --unit-code 单位代码")
    return current
