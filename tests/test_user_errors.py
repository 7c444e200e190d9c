"""Every error a user can act on derives from one base class and reaches the user the same way: the command
line prints its Chinese message after "错误：" (exit code 2), the windows show the same message in a warning
box; anything else is an unexpected error with its technical detail."""

from __future__ import annotations

import argparse
import contextlib
import io
from pathlib import Path
from typing import Any

import pytest

from cli import CliError
from common.errors import UserError
from common.text import ParseError
from forms.definition import DefinitionError
from models.backup import BackupError
from models.db import RecordError, StoreError
from models.importer import ImportFileError
from models.records import ValidationFailed
from models.returns import ReturnFormatError
from models.signing import SigningError
from models.versions import FinaliseRefused
from ui import msgbox

MESSAGE = "第3行“身份证号”：校验位不对，请核对原件"

ERRORS: list[Any] = [
    StoreError(MESSAGE), RecordError(MESSAGE), ParseError(MESSAGE), SigningError(MESSAGE),
    ReturnFormatError(MESSAGE), BackupError(MESSAGE), ImportFileError(MESSAGE), CliError(MESSAGE),
    FinaliseRefused(MESSAGE, report=None), DefinitionError(MESSAGE),
]
IDS = [type(e).__name__ for e in ERRORS]


@pytest.mark.parametrize("error", ERRORS, ids=IDS)
def test_each_is_a_user_error_and_keeps_its_name(error: Exception) -> None:
    assert isinstance(error, UserError)
    assert str(error) == MESSAGE


def test_value_errors_stay_value_errors() -> None:
    """Code that catches ValueError around parsing still catches these."""
    assert issubclass(ParseError, ValueError) and issubclass(ReturnFormatError, ValueError)
    assert issubclass(ImportFileError, ParseError) and issubclass(ValidationFailed, RecordError)


def cli_output(monkeypatch: pytest.MonkeyPatch, data_dir: Path, error: BaseException) -> tuple[int, str, str]:
    """Run ``status`` in-process with its command replaced by one raising ``error``."""
    import cli.basic
    from cli import run

    def failing(args: argparse.Namespace) -> int:
        raise error

    monkeypatch.setattr(cli.basic, "cmd_status", failing)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["--data-dir", str(data_dir), "status"])
    return code, out.getvalue(), err.getvalue()


def gui_boxes(qtbot: Any, error: BaseException) -> list[tuple[str, str, str]]:
    """The message boxes a background task raising ``error`` shows (collected, never waiting for a click)."""
    from ui.workers import run_in_background

    def work(progress: Any) -> None:
        raise error

    with msgbox.unattended() as shown:
        task = run_in_background(None, "正在导出……", work)
        qtbot.waitUntil(lambda: task.is_finished, timeout=5000)
    return list(shown)


@pytest.mark.parametrize("error", ERRORS, ids=IDS)
def test_the_same_message_in_cli_and_gui(qtbot: Any, monkeypatch: pytest.MonkeyPatch, data_dir: Path,
                                         error: Exception) -> None:
    code, out, err = cli_output(monkeypatch, data_dir, error)
    assert (code, out, err) == (2, "", f"错误：{MESSAGE}\n")
    assert gui_boxes(qtbot, error) == [("警告", "操作失败", MESSAGE)]
    with msgbox.unattended() as shown:  # what a page or dialog calls in its except clause
        msgbox.show_error(None, "保存失败", error)
    assert shown == [("警告", "保存失败", MESSAGE)]


def test_an_os_error_names_the_file_in_both(qtbot: Any, monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    error = PermissionError(13, "Permission denied", "统计表.xlsx")
    code, _out, err = cli_output(monkeypatch, data_dir, error)
    assert code == 2 and err.startswith("错误：无法读写“统计表.xlsx”")
    ((level, _title, text),) = gui_boxes(qtbot, error)
    assert level == "警告" and f"错误：{text}\n" == err


def test_anything_else_is_an_unexpected_error(qtbot: Any, monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    """A defect is not dressed up as the user's mistake: the CLI keeps the traceback, the GUI shows the detail."""
    with pytest.raises(ZeroDivisionError):
        cli_output(monkeypatch, data_dir, ZeroDivisionError("division by zero"))
    ((level, title, text),) = gui_boxes(qtbot, ZeroDivisionError("division by zero"))
    assert (level, title) == ("错误", "操作失败")
    assert text.startswith(msgbox.UNEXPECTED) and "ZeroDivisionError" in text
