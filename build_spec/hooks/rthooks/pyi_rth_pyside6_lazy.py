# Run-time hook for PySide6 in the built program, in place of PyInstaller's own (pyi_rth_pyside6).
#
# PyInstaller's hook imports PySide6.QtCore at every start, to check for (and if missing create) the embedded
# qt.conf that tells Qt where its plugins and translations are. That loads Qt Core and ICU (about 30 MB of
# libraries) before the program's first line, also for command-line commands that never touch Qt: the built
# `status` took twice as long as from source. This hook sets the same environment at start and does the qt.conf
# step only when the program itself first imports PySide6.QtCore.


def _pyi_rthook():
    import importlib.abc
    import os
    import sys

    from _pyi_rth_utils import prepend_path_to_environment_variable
    from _pyi_rth_utils import qt as qt_rth_utils

    qt_rth_utils.ensure_single_qt_bindings_package("PySide6")
    if sys.platform.startswith("win"):
        qt_path = os.path.join(sys._MEIPASS, "PySide6")
    else:
        qt_path = os.path.join(sys._MEIPASS, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt_path, "plugins")
    os.environ["QML2_IMPORT_PATH"] = os.path.join(qt_path, "qml")
    if sys.platform.startswith("win"):
        prepend_path_to_environment_variable(sys._MEIPASS, "PATH")

    class _AfterQtCore(importlib.abc.MetaPathFinder):
        """Runs the qt.conf step right after PySide6.QtCore is first imported, then steps aside."""

        def find_spec(self, name, path=None, target=None):
            if name != "PySide6.QtCore":
                return None
            sys.meta_path.remove(self)
            import importlib.util

            spec = importlib.util.find_spec(name)
            if spec is None or spec.loader is None:
                return spec
            loader = spec.loader
            exec_module = loader.exec_module

            def exec_then_configure(module):
                exec_module(module)
                qt_rth_utils.create_embedded_qt_conf("PySide6", qt_path)

            # Per-module wrapper: the loader object is this module's own (extension modules get one each).
            loader.exec_module = exec_then_configure
            return spec

    sys.meta_path.insert(0, _AfterQtCore())


_pyi_rthook()
del _pyi_rthook
