"""The one base class of errors a user can act on."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can put right: ``str(exc)`` is a complete Chinese message naming the field, row or file.

    The CLI prints it on stderr after "错误：" (exit status 2, "bad input" in the README) and the GUI shows it
    in a message box (``ui.msgbox.show_error``); anything else reaching them is a defect in the program.
    Subclasses keep their own names (``StoreError``, ``RecordError``, ``ParseError``, ``SigningError`` …) so
    code can still catch one kind.
    """
