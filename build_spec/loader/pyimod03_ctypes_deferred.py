"""PyInstaller's ctypes hooks, installed when the program first imports ctypes rather than at every start.

The built program's bootstrap runs ``pyimod03_ctypes.install()``, which imports ctypes (its extension and libffi)
to make ``ctypes.CDLL`` and the like look for a library in the program's folder first. This program uses ctypes
only on Windows, for a few calls into kernel32, in rare places. The spec (``defer_ctypes_hooks``) bundles this
module under that name and PyInstaller's own as ``pyimod03_ctypes_eager``; this ``install`` has the eager one's
run right after ctypes is first imported, so every library ctypes loads gets the same treatment as before.

Only ``sys`` may be imported at module level: the bootstrap runs this before the program's modules can be
imported.
"""

import sys


def install():
    from common.after_import import after_first_import

    def install_now(_ctypes):
        sys.modules["pyimod03_ctypes_eager"].install()

    after_first_import("ctypes", install_now)
