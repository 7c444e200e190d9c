"""Keeping windows on the screen: old office PCs have 1024×768 screens, laptops 1366×768 at 150 %.

Dialogs ask for a comfortable size with :func:`fit_size`; they get it where the screen allows and
otherwise as much as the screen's free area (without the taskbar) offers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QWidget

if TYPE_CHECKING:
    from PySide6.QtCore import QEvent

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


def show_message_label(label: QLabel, text: str) -> None:
    """Show ``text`` in a word-wrapped label of a dialog and grow the dialog so no line is cut off.

    A top-level window does not grow by itself when a wrapped label gains lines after it was shown.
    """
    label.setText(text)
    label.show()
    window = label.window()
    layout = window.layout()
    if layout is not None:
        layout.activate()
    width = label.width() if label.width() > 50 else label.sizeHint().width()
    label.setMinimumHeight(label.heightForWidth(width))
    if layout is not None:
        layout.activate()
    needed = window.minimumSizeHint().height()
    if window.height() < needed:
        window.resize(window.width(), min(needed, available(window).height() - FRAME_HEIGHT))


class _AltKeyGuard(QObject):
    """Alt+letter that no enabled button took (its button is disabled) must not type the letter into a field.

    It watches only the text fields that get the focus (key presses go to the focused widget and then to its
    parents), not every event of the application: an application-wide filter in Python runs for every event of
    every object, which at start-up alone cost more than building the main window.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Imported here, not with the module: the window's start-up needs neither (PySide builds a class's enums
        # when the class is first reached), and this runs only for the fields that had the focus.
        from PySide6.QtCore import QEvent
        from PySide6.QtGui import QKeyEvent

        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and event.text():
            modifiers = event.modifiers()
            if modifiers & Qt.KeyboardModifier.AltModifier and not modifiers & Qt.KeyboardModifier.ControlModifier:
                return True
        return False

    def watch(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Watch the newly focused widget if it is a text field, and the text fields it sits in.

        Installing a filter twice keeps one entry, so a field that gets the focus again is not watched twice.
        """
        widget = new
        while widget is not None:
            if any(widget.inherits(name) for name in _TEXT_INPUTS):
                widget.installEventFilter(self)
            widget = widget.parentWidget()


# Qt's class names of the widgets that take typed text (QObject.inherits, so Python subclasses count too)
_TEXT_INPUTS = ("QLineEdit", "QPlainTextEdit", "QTextEdit", "QAbstractSpinBox")
_guard: _AltKeyGuard | None = None


def install_alt_key_guard() -> None:
    """Once per application: stray Alt+letters are not typed into text fields."""
    global _guard
    app = QCoreApplication.instance()
    if not isinstance(app, QApplication) or _guard is not None:
        return
    _guard = _AltKeyGuard(app)
    app.focusChanged.connect(_guard.watch)
    _guard.watch(None, QApplication.focusWidget())
