# Run-time hook for PySide6 in the built program, in place of PyInstaller's own (pyi_rth_pyside6).
#
# PyInstaller's hook imports PySide6.QtCore at every start, to check for (and if missing create) the embedded
# qt.conf that tells Qt where its plugins and translations are. That loads Qt Core and ICU (about 30 MB of
# libraries) before the program's first line, also for command-line commands that never touch Qt: the built
# `status` took twice as long as from source. This hook sets the same environment at start and does the qt.conf
# step only when the program itself first imports PySide6.QtCore.


def _pyi_rthook():
    import os
    import sys

    from _pyi_rth_utils import prepend_path_to_environment_variable
    from _pyi_rth_utils import qt as qt_rth_utils

    from common.after_import import after_first_import

    qt_rth_utils.ensure_single_qt_bindings_package("PySide6")
    if sys.platform.startswith("win"):
        qt_path = os.path.join(sys._MEIPASS, "PySide6")
    else:
        qt_path = os.path.join(sys._MEIPASS, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt_path, "plugins")
    os.environ["QML2_IMPORT_PATH"] = os.path.join(qt_path, "qml")
    if sys.platform.startswith("win"):
        prepend_path_to_environment_variable(sys._MEIPASS, "PATH")

    after_first_import("PySide6.QtCore", lambda _qtcore: qt_rth_utils.create_embedded_qt_conf("PySide6", qt_path))


_pyi_rthook()
del _pyi_rthook
