"""Message boxes with Chinese buttons, whatever translations are installed.

Call these through the module (``from ui import msgbox; msgbox.confirm(...)``) so tests can
replace them with ``monkeypatch.setattr(msgbox, "confirm", lambda *a, **k: True)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

_Icon = QMessageBox.Icon

# While set (the self-test), no box waits for a click: each message is collected here instead, and
# questions are answered "no". A self-test on a machine with nobody in front of it must never hang.
_collected: list[tuple[str, str, str]] | None = None
_LEVELS = {_Icon.Information: "提示", _Icon.Warning: "警告", _Icon.Critical: "错误", _Icon.Question: "询问"}


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
    _collected.append((_LEVELS.get(icon, "提示"), title, text + (f"\n{detail}" if detail else "")))
    return True


def _box(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str, detail: str | None) -> QMessageBox:
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
    box = _box(parent, icon, title, text, detail)
    ok = box.addButton("确定", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(ok)
    box.setEscapeButton(ok)
    box.exec()


def information(parent: QWidget | None, title: str, text: str, detail: str | None = None) -> None:
    _show(parent, _Icon.Information, title, text, detail)


def warning(parent: QWidget | None, title: str, text: str, detail: str | None = None) -> None:
    _show(parent, _Icon.Warning, title, text, detail)


def critical(parent: QWidget | None, title: str, text: str, detail: str | None = None) -> None:
    _show(parent, _Icon.Critical, title, text, detail)


def confirm(parent: QWidget | None, title: str, text: str, yes_text: str = "是", no_text: str = "否",
            *, default_yes: bool = False, detail: str | None = None) -> bool:
    """Ask a yes/no question; ``True`` when the user chose ``yes_text``. Esc means no.

    The default button is "no" unless ``default_yes``: a stray Enter never deletes anything.
    """
    if _collect(_Icon.Question, title, text, detail):
        return False
    box = _box(parent, _Icon.Question, title, text, detail)
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.YesRole)
    no = box.addButton(no_text, QMessageBox.ButtonRole.NoRole)
    box.setDefaultButton(yes if default_yes else no)
    box.setEscapeButton(no)
    box.exec()
    return box.clickedButton() is yes
