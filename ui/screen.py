"""Keeping windows on the screen: old office PCs have 1024×768 screens, laptops 1366×768 at 150 %.

Dialogs ask for a comfortable size with :func:`fit_size`; they get it where the screen allows and
otherwise as much as the screen's free area (without the taskbar) offers.
"""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

# Room left for the window frame and title bar, which the available geometry does not include.
FRAME_WIDTH = 16
FRAME_HEIGHT = 40


def available(widget: QWidget | None = None) -> QRect:
    """The free area of the screen ``widget`` is on (the primary screen otherwise)."""
    screen = (widget.screen() if widget is not None else None) or QGuiApplication.primaryScreen()
    if screen is None:
        return QRect(0, 0, 1024, 728)
    return screen.availableGeometry()


def fit_size(widget: QWidget, width: int, height: int) -> None:
    """Resize ``widget`` to ``width``×``height`` or, on a smaller screen, to what fits on it."""
    area = available(widget)
    widget.resize(max(min(width, area.width() - FRAME_WIDTH), widget.minimumSizeHint().width()),
                  max(min(height, area.height() - FRAME_HEIGHT), widget.minimumSizeHint().height()))
