"""Shared fixtures: every test gets its own store and data folder; Qt runs offscreen."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# Offscreen, on the screen of an old office PC (1024×768): pages and dialogs must fit it. The platform
# string separates options with ":", so a path with a drive letter falls back to the plain default screen.
_SCREEN = Path(__file__).with_name("offscreen_1024x768.json")
try:  # relative to the project folder, so that a Windows drive letter ("C:") does not end the option
    _SCREEN_ARG = os.path.relpath(_SCREEN).replace("\\", "/")
except ValueError:  # another drive
    _SCREEN_ARG = str(_SCREEN)
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen" and ":" not in _SCREEN_ARG:
    # also when plain offscreen is already set (a Windows stand-in passes it to every program it starts)
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREEN_ARG}"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Without fontconfig (Windows) the offscreen platform looks for fonts in Qt's own folder, which Qt no longer
# ships; the bundled font folder stands in (ui.app does the same for the built program's self-test).
os.environ.setdefault("QT_QPA_FONTDIR", str(Path(__file__).resolve().parent.parent / "resources" / "fonts"))

# The per-user cache (the font's parsed tables) in one folder of the system's temporary folder, shared by the test
# runs, their workers and the processes they start, never the real one (a cache is a checked copy that any process
# may write again: sharing it is safe).
if "CHANGAI_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["CHANGAI_CACHE_DIR"] = os.path.join(tempfile.gettempdir(), "changai-tests-cache")

import pytest  # noqa: E402

from models.db import Store, open_store  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may touch the real per-user data folder."""
    monkeypatch.setenv("CHANGAI_DATA_DIR", str(tmp_path_factory.mktemp("userdata")))


@pytest.fixture(autouse=True)
def _quick_key_encryption(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys made in tests are encrypted with one bcrypt-pbkdf round instead of OpenSSH's 16.

    The file format and the code paths are the same (the rounds are written in the key file, and opening
    reads them from there); only the 0.3 s per key created or opened is saved. Tests marked ``real_kdf``
    use the program's own number, and a command run in a separate process always does.
    """
    if request.node.get_closest_marker("real_kdf") is None:
        from models.signing import keys

        monkeypatch.setattr(keys, "KDF_ROUNDS", 1)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "数据 文件夹"  # Chinese and a space, as on real Windows PCs
    folder.mkdir()
    return folder


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    s = open_store(data_dir)
    yield s
    s.close()


@pytest.fixture
def county_store(store: Store) -> Store:
    """A store set up as 宁洱哈尼族彝族自治县总工会 (530821), no records."""
    _setup_county(store)
    return store


def _setup_county(store: Store) -> None:
    from models import unit

    unit.setup(store, code="530821", head="李国华", statistician="王丽", preparer="张敏", phone="0879-3231234")


def _build_demo(folder: Path) -> None:
    from models.demo import fill_demo

    store = open_store(folder)
    try:
        _setup_county(store)
        fill_demo(store, seed=2025)
    finally:
        store.close()


@pytest.fixture
def demo_store(county_store: Store, prebuilt: Callable[[str, Build], Path]) -> Store:
    """The county store filled with the deterministic demo data.

    ``fill_demo`` runs once per session; each test's store gets a copy of that database through SQLite's
    backup API (the same rows, ids and history as filling it again, in milliseconds).
    """
    import sqlite3

    from common.paths import STORE_FILE

    template = sqlite3.connect(prebuilt("demo_county", _build_demo) / STORE_FILE)
    try:
        template.backup(county_store.conn)
    finally:
        template.close()
    return county_store


@pytest.fixture
def county_window(qtbot, county_store: Store, data_dir: Path):  # type: ignore[no-untyped-def]
    """The main window of the county store, shown and active, with its preferences installed."""
    from ui import settings_store
    from ui.main_window import MainWindow

    prefs = settings_store.Preferences(data_dir)
    settings_store.install(prefs)
    w = MainWindow(county_store, prefs)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    yield w
    settings_store.install(None)


# --- built once per session ------------------------------------------------------------------------------
# Demo data, keys and signed exports take seconds to build. A test that needs them asks for a copy of a
# folder built once per session; the built folders are never written to.

Build = Callable[[Path], None]


@pytest.fixture(scope="session")
def prebuilt(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, Build], Path]:
    """``prebuilt(name, build)``: the folder ``build(folder)`` filled, built on the first call of the session."""
    built: dict[str, Path] = {}

    def get(name: str, build: Build) -> Path:
        if name not in built:
            folder = tmp_path_factory.mktemp(name)
            build(folder)
            built[name] = folder
        return built[name]

    return get


def copy_of(source: Path, target: Path) -> Path:
    """A writable copy of a prebuilt folder's contents in ``target``."""
    shutil.copytree(source, target, dirs_exist_ok=True)
    return target


@pytest.fixture(scope="session")
def counties(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The counties of consolidation_support (demo data, keys, signed exports), built once per session."""
    from consolidation_support import county_exports

    return county_exports(tmp_path_factory.mktemp("counties"))
