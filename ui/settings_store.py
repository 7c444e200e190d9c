"""GUI preferences (window geometry, the last folder of each file dialog …) in an INI file.

The file lives in the data folder beside the store (never in the Windows registry), so a portable
install carries its preferences with it and tests never touch a real user's settings.

How other GUI code gets the preferences::

    from ui.settings_store import preferences

    prefs = preferences()
    folder = prefs.last_folder("export")          # where the last export went (or 文档)
    path, _ = QFileDialog.getSaveFileName(self, "导出", str(Path(folder) / name), "Excel 文件 (*.xlsx)")
    if path:
        prefs.set_last_folder("export", path)     # a file path is fine: its folder is kept

:func:`ui.app.run_gui` installs the instance for the open data folder with :func:`install`.
Without one (a page created by a test, say), :func:`preferences` falls back to the default data
folder, which the tests point at a temporary folder.

Store-wide settings that matter for the data (the current reporting period) are not GUI
preferences; they live in the store (``store.setting``) — see :func:`current_period`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings

if TYPE_CHECKING:
    from forms.periods import Period
    from models.db import Store

PREFERENCES_FILE = "preferences.ini"
PERIOD_SETTING = "current_period"  # key in the store's settings table


class Preferences:
    """GUI preferences of one data folder, stored in ``preferences.ini`` there."""

    def __init__(self, data_dir: Path | str) -> None:
        self.path = Path(data_dir) / PREFERENCES_FILE
        self._settings = QSettings(str(self.path), QSettings.Format.IniFormat)

    def value(self, key: str, default: Any = None) -> Any:
        """The stored value (strings, numbers come back as strings; bytes as QByteArray)."""
        return self._settings.value(key, default)

    def set_value(self, key: str, value: Any) -> None:
        self._settings.setValue(key, value)

    def bool_value(self, key: str, default: bool = False) -> bool:
        value = self._settings.value(key, default)
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return bool(value)

    def remove(self, key: str) -> None:
        self._settings.remove(key)

    def last_folder(self, key: str) -> str:
        """The folder the file dialog ``key`` used last, if it still exists; else 文档 (or home)."""
        stored = self._settings.value(f"folders/{key}", "")
        if stored and Path(str(stored)).is_dir():
            return str(stored)
        return default_folder()

    def set_last_folder(self, key: str, path: Path | str) -> None:
        """Remember a folder for the file dialog ``key``; a file's path stands for its folder."""
        if not path:
            return
        target = Path(path)
        if not target.is_dir():
            target = target.parent
        self._settings.setValue(f"folders/{key}", str(target))

    def sync(self) -> None:
        """Write pending changes to disk (Qt also does this on exit)."""
        self._settings.sync()


def default_folder() -> str:
    from PySide6.QtCore import QStandardPaths  # a file dialog's, not start-up's (PySide builds its enums when reached)

    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if documents and Path(documents).is_dir():
        return documents
    return str(Path.home())


_installed: Preferences | None = None


def install(prefs: Preferences | None) -> None:
    """Make ``prefs`` the instance :func:`preferences` returns (``None`` uninstalls)."""
    global _installed
    _installed = prefs


def preferences() -> Preferences:
    """The preferences of the open data folder (see the module docstring)."""
    if _installed is not None:
        return _installed
    from common.paths import default_data_dir

    folder = default_data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return Preferences(folder)


def current_period(store: Store) -> Period:
    """The reporting period chosen on the home page (store setting), else the one due now."""
    from common.text import ParseError
    from forms.periods import current_period as due_period
    from forms.periods import parse_period

    stored = store.setting(PERIOD_SETTING)
    if stored:
        try:
            return parse_period(stored)
        except ParseError:
            pass
    return due_period()


def set_current_period(store: Store, period: Period) -> None:
    store.set_setting(PERIOD_SETTING, period.code)
