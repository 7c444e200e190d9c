"""Message boxes with Chinese buttons, whatever translations are installed.

Call these through the module (``from ui import msgbox; msgbox.confirm(...)``) so tests can
replace them with ``monkeypatch.setattr(msgbox, "confirm", lambda *a, **k: True)``.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Iterator
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox, QWidget

# While set (the self-test), no box waits for a click: each message is collected here instead, and
# questions are answered "no". A self-test on a machine with nobody in front of it must never hang.
_collected: list[tuple[str, str, str]] | None = None
# QMessageBox is imported where a box is made: start-up imports this module, PySide builds a class's enums when
# the class is first reached, and no box is needed to paint the window.
_LEVELS = {"Information": "提示", "Warning": "警告", "Critical": "错误", "Question": "询问"}


def _icon(name: str) -> QMessageBox.Icon:
    from PySide6.QtWidgets import QMessageBox

    return QMessageBox.Icon[name]


@contextlib.contextmanager
def unattended() -> Iterator[list[tuple[str, str, str]]]:
    """Collect ``(level, title, text)`` of every box shown inside the block instead of showing it."""
    global _collected
    previous, _collected = _collected, []
    try:
        yield _collected
    finally:
        _collected = previous


def _collect(icon: QMessageBox.Icon, title: str, text: str, detail: str | None) -> bool:
    if _collected is None:
        return False
    _collected.append((_LEVELS.get(icon.name, "提示"), title, text + (f"\n{detail}" if detail else "")))
    return True


def _box(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str, detail: str | None) -> QMessageBox:
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setTextFormat(_text_format(text))
    if detail:
        box.setDetailedText(detail)
    return box


def _text_format(text: str) -> Qt.TextFormat:
    return Qt.TextFormat.RichText if text.lstrip().startswith("<") else Qt.TextFormat.PlainText


def _show(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str, detail: str | None) -> None:
    if _collect(icon, title, text, detail):
        return
    from PySide6.QtWidgets import QMessageBox

    box = _box(parent, icon, title, text, detail)
    ok = box.addButton("确定", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(ok)
    box.setEscapeButton(ok)
    box.exec()


def information(parent: QWidget | None, title: str, text: str, detail: str | None = None) -> None:
    _show(parent, _icon("Information"), title, text, detail)


def warning(parent: QWidget | None, title: str, text: str, detail: str | None = None) -> None:
    _show(parent, _icon("Warning"), title, text, detail)


def critical(parent: QWidget | None, title: str, text: str, detail: str | None = None) -> None:
    _show(parent, _icon("Critical"), title, text, detail)


UNEXPECTED = "发生意外错误，操作没有完成。请把“详细信息”中的内容发给技术支持。"


def error_text(exc: BaseException) -> tuple[str, str | None]:
    """A Chinese message for a failure, and technical detail (a traceback) for unexpected ones.

    A :class:`~common.errors.UserError` is its own message; an OS error names the file with a Chinese
    reason; anything else is a defect of the program.
    """
    from common.errors import UserError

    if isinstance(exc, UserError):
        return str(exc), None
    if isinstance(exc, OSError):  # names the target (not the temporary file) with a Chinese reason
        from common.atomic_file import os_error_text

        return os_error_text(exc), None
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return UNEXPECTED, detail


def show_error(parent: QWidget | None, title: str, exc: BaseException) -> None:
    """The one way a failure reaches the user of the windows (the command line's is ``cli.run``).

    What the user can put right (a :class:`~common.errors.UserError`, an OS error) is a warning with its
    Chinese message; anything else is an unexpected error with the technical detail.
    """
    text, detail = error_text(exc)
    if detail is None:
        warning(parent, title, text)
    else:
        critical(parent, title, text, detail)


def confirm(parent: QWidget | None, title: str, text: str, yes_text: str = "是", no_text: str = "否",
            *, default_yes: bool = False, detail: str | None = None) -> bool:
    """Ask a yes/no question; ``True`` when the user chose ``yes_text``. Esc means no.

    The default button is "no" unless ``default_yes``: a stray Enter never deletes anything.
    """
    from PySide6.QtWidgets import QMessageBox

    question = QMessageBox.Icon.Question
    if _collect(question, title, text, detail):
        return False
    box = _box(parent, question, title, text, detail)
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.YesRole)
    no = box.addButton(no_text, QMessageBox.ButtonRole.NoRole)
    box.setDefaultButton(yes if default_yes else no)
    box.setEscapeButton(no)
    box.exec()
    return box.clickedButton() is yes
