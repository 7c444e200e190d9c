"""The one base class of errors a user can act on."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can put right: ``str(exc)`` is a complete Chinese message naming the field, row or file.

    The CLI prints it (exit status 1) and the GUI shows it in a message box; anything else reaching them is a
    defect in the program.
    """
