"""Where things live: the bundled resources and the per-user data folder.

Works both from a source checkout and from a PyInstaller bundle (``sys._MEIPASS``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "产改统计填报"
APP_DIR_NAME = "ChanGaiTongJi"  # ASCII folder name: safest for old tools and USB sticks
STORE_FILE = "store.sqlite3"


def base_dir() -> Path:
    """The folder that holds ``resources/`` (the bundle root when frozen)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root)
    return Path(__file__).resolve().parent.parent


def resource_path(*parts: str) -> Path:
    """Path of a bundled resource, e.g. ``resource_path("data", "ethnic_groups.csv")``."""
    return base_dir().joinpath("resources", *parts)


def default_data_dir() -> Path:
    """The per-user data folder (``%LOCALAPPDATA%\\ChanGaiTongJi`` on Windows).

    ``CHANGAI_DATA_DIR`` overrides it (used by tests and portable installs).
    """
    override = os.environ.get("CHANGAI_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False, roaming=False))


def cache_dir() -> Path:
    """The per-user cache folder (``%LOCALAPPDATA%\\ChanGaiTongJi\\Cache`` on Windows): copies the program can
    always make again, such as the bundled font's parsed tables. ``CHANGAI_CACHE_DIR`` overrides it (tests)."""
    override = os.environ.get("CHANGAI_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_DIR_NAME, appauthor=False))


def store_path(data_dir: Path | None = None) -> Path:
    return (data_dir or default_data_dir()) / STORE_FILE
