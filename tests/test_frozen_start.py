"""The built program's start: its hooks patch modules when the program first imports them, not before.

PyInstaller's bootstrap and run-time hooks imported ctypes, inspect, zipfile, pkgutil, importlib.resources (and
tempfile, random, threading …) before the program's first line, at every command: the built Windows program's
``status`` started 1.1–1.25× slower than from source under the Windows stand-in. ``build_spec/hooks`` and
``build_spec/loader`` defer each patch with ``common.after_import``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from common.after_import import after_first_import

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / "build_spec" / "hooks" / "rthooks"
DEFERRED_CTYPES = ROOT / "build_spec" / "loader" / "pyimod03_ctypes_deferred.py"


def _module_file(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.py").write_text(body, encoding="utf-8")


def test_then_runs_once_after_the_module_has_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _module_file(tmp_path, "changai_after_a", "VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen: list[int] = []
    after_first_import("changai_after_a", lambda module: seen.append(module.VALUE))
    try:
        assert seen == [] and "changai_after_a" not in sys.modules
        import changai_after_a  # type: ignore[import-not-found]

        assert seen == [1]
        assert not any(type(f).__name__ == "_AfterImport" for f in sys.meta_path)  # it stepped aside
        import changai_after_a as again  # type: ignore[import-not-found]

        assert again is changai_after_a and seen == [1]
        # the module keeps its real loader (its source can still be read)
        assert type(changai_after_a.__loader__).__name__ == "SourceFileLoader"
    finally:
        sys.modules.pop("changai_after_a", None)


def test_a_module_already_imported_is_patched_at_once() -> None:
    seen: list[str] = []
    after_first_import("json", lambda module: seen.append(module.__name__))
    assert seen == ["json"]


def test_a_missing_module_fails_as_before_and_then_never_runs() -> None:
    seen: list[object] = []
    after_first_import("changai_no_such_module", seen.append)
    with pytest.raises(ModuleNotFoundError):
        import changai_no_such_module  # type: ignore[import-not-found]  # noqa: F401
    assert seen == [] and not any(type(f).__name__ == "_AfterImport" for f in sys.meta_path)


def test_a_submodule_is_found_in_its_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "changai_after_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    _module_file(package, "inner", "NAME = 'inner'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen: list[str] = []
    after_first_import("changai_after_pkg.inner", lambda module: seen.append(module.NAME))
    try:
        import changai_after_pkg  # type: ignore[import-not-found]  # noqa: F401

        assert seen == []
        from changai_after_pkg import inner  # type: ignore[import-not-found]

        assert seen == ["inner"] and inner.NAME == "inner"
    finally:
        for name in ("changai_after_pkg.inner", "changai_after_pkg"):
            sys.modules.pop(name, None)


def test_a_built_in_module_gets_its_own_loader_not_the_shared_class() -> None:
    """A built-in module's loader is a class serving every built-in module: it is wrapped, never patched."""
    script = textwrap.dedent("""
        import importlib
        import importlib.machinery
        import sys
        from common.after_import import after_first_import
        candidates = [n for n in sys.builtin_module_names if n not in sys.modules and n != "_testinternalcapi"]
        if not candidates:
            print("none"); raise SystemExit
        name = candidates[0]
        seen = []
        after_first_import(name, lambda module: seen.append(module.__name__))
        assert seen == []  # not imported yet: its import is what is wrapped
        module = importlib.import_module(name)
        shared = importlib.machinery.BuiltinImporter.exec_module.__qualname__
        print(seen == [name] and shared == "BuiltinImporter.exec_module", name, type(module.__spec__.loader).__name__)
    """)
    out = subprocess.run([sys.executable, "-S", "-c", script], cwd=ROOT, capture_output=True, text=True,
                         encoding="utf-8", check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.strip()
    if out == "none":
        pytest.skip("every built-in module of this Python is imported at its start")
    assert out.startswith("True ") and out.endswith(" _LoaderThen"), out


# The hooks, run as the built program's bootstrap runs them, in a fresh interpreter without site (nothing else
# imported): PyInstaller's bootstrap modules are stood in for, its helper package _pyi_rth_utils is its own.
HOOKS_AT_START = textwrap.dedent("""
    import json, os, sys, types
    root, meipass, pyinstaller_fake_modules = sys.argv[1:4]
    sys.path[:0] = [root, pyinstaller_fake_modules]
    sys._MEIPASS = meipass

    class PyiFrozenFinder:
        _pyz_entry_prefix = ""
        fallback_finder = None

    importers = types.ModuleType("pyimod02_importers")
    importers.PyiFrozenFinder = PyiFrozenFinder
    importers.get_pyz_toc_tree = lambda: {"frozen_package": {"inner": "m"}, "frozen_module": "m"}
    sys.modules["pyimod02_importers"] = importers
    eager = types.ModuleType("pyimod03_ctypes_eager")
    eager.installed = 0
    def install():
        import ctypes
        eager.installed += 1
    eager.install = install
    sys.modules["pyimod03_ctypes_eager"] = eager

    before = set(sys.modules)
    ns = {"__name__": "pyimod03_ctypes"}
    exec(compile(open(os.path.join(root, "build_spec", "loader", "pyimod03_ctypes_deferred.py"), encoding="utf-8").read(),
                 "pyimod03_ctypes", "exec"), ns)
    ns["install"]()
    for hook in sys.argv[4:]:
        exec(compile(open(hook, encoding="utf-8").read(), os.path.basename(hook), "exec"), {"__name__": "__main__"})
    loaded_by_hooks = sorted(set(sys.modules) - before)

    import inspect
    code = compile("def f():\\n    pass\\n", "relative_name.py", "exec")
    scope = {}
    exec(code, scope)
    import pkgutil
    import ctypes
    import ctypes as again
    import multiprocessing
    print(json.dumps({
        "loaded_by_hooks": loaded_by_hooks,
        "sourcefile": inspect.getsourcefile(scope["f"]),
        "pkgutil": sorted(pkgutil.iter_importer_modules(PyiFrozenFinder())),
        "ctypes_installed": eager.installed,
        "multiprocessing_original_dir": multiprocessing.process.ORIGINAL_DIR,
        "freeze_support": multiprocessing.freeze_support.__module__ != "multiprocessing.context",
    }))
""")


def test_the_hooks_import_nothing_they_patch_and_patch_it_at_the_first_import(tmp_path: Path) -> None:
    pyinstaller = pytest.importorskip("PyInstaller")
    fake_modules = Path(pyinstaller.__file__).parent / "fake-modules"
    import ast

    table = ast.literal_eval((HOOKS.parent / "rthooks.dat").read_text(encoding="utf-8"))
    hooks = [str(HOOKS / name) for names in table.values() for name in names]
    out = subprocess.run([sys.executable, "-S", "-c", HOOKS_AT_START, str(ROOT), str(tmp_path), str(fake_modules),
                          *hooks], cwd=tmp_path, capture_output=True, text=True, encoding="utf-8", check=True,
                         env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")})
    result = json.loads(out.stdout)
    patched = {"ctypes", "inspect", "zipfile", "pkgutil", "multiprocessing", "PySide6", "PySide6.QtCore",
               "importlib.abc", "importlib.util", "importlib.resources", "tempfile", "threading"}
    assert not patched & set(result["loaded_by_hooks"]), result["loaded_by_hooks"]
    # then each patch is made at the program's first import, as PyInstaller's own hooks make it at start
    assert result["sourcefile"] == os.path.join(os.path.normpath(str(tmp_path)), "relative_name.py")
    assert result["pkgutil"] == [["frozen_module", False], ["frozen_package", True]]
    assert result["ctypes_installed"] == 1
    assert result["multiprocessing_original_dir"] is None and result["freeze_support"]


BUNDLE = ROOT / "dist" / "ChanGaiTongJi"


def test_the_built_program_starts_with_no_module_the_source_does_not(tmp_path: Path) -> None:
    """With a built program present (CI builds it before the tests): ``status`` built and from source load the
    same modules, but for PyInstaller's bootstrap and this program's deferral."""
    cli = BUNDLE / ("ChanGaiTongJi-cli.exe" if sys.platform == "win32" else "ChanGaiTongJi-cli")
    if not cli.is_file():
        pytest.skip("no built program (pyinstaller --noconfirm build_spec/changai.spec)")
    newest_hook = max(p.stat().st_mtime for p in (*HOOKS.iterdir(), DEFERRED_CTYPES, ROOT / "common" / "after_import.py"))
    if newest_hook > cli.stat().st_mtime:
        pytest.skip("the built program is older than its start-up hooks: build it again")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("CHANGAI_DATA_DIR", None)
    data = tmp_path / "数据"

    def loaded(command: list[str], name: str) -> set[str]:
        record = tmp_path / name
        subprocess.run([*command, "--data-dir", str(data), "status", "--json"], check=True, capture_output=True,
                       env={**env, "CHANGAI_RECORD_MODULES": str(record)})
        return set(record.read_text(encoding="utf-8").split())

    loaded([sys.executable, str(ROOT / "main.py")], "setup.txt")  # makes the store: both runs below only read it
    built = loaded([str(cli)], "built.txt")
    # without site: what this machine's site-packages add at every start (.pth files) is not the program's
    source = loaded([sys.executable, "-S", str(ROOT / "main.py")], "source.txt")
    bootstrap = {"pyimod01_archive", "pyimod02_importers", "pyimod03_ctypes", "pyimod03_ctypes_eager", "struct",
                 "_struct", "_pyi_rth_utils", "_pyi_rth_utils.qt", "common.after_import"}
    assert built - source <= bootstrap, sorted(built - source - bootstrap)
