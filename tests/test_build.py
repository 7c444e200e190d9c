"""The PyInstaller spec keeps up with the code: what the program imports is bundled, nothing excluded is used.

The build itself runs in CI (``.ci/run``); these checks catch, in a second, the mistakes that would only show
as a crash of the built program: a module imported by name that is not collected, or a module the spec
excludes to keep the bundle small that the code has started to use.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build_spec" / "changai.spec"
NOT_BUNDLED = {"tests", "bench", "build_spec", "build", "dist"}


def spec_constant(name: str) -> object:
    """A literal assigned at the top of the spec (the spec itself only runs inside PyInstaller)."""
    tree = ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} not found in {SPEC.name}")


def app_files() -> list[Path]:
    packages = spec_constant("APP_PACKAGES")
    assert isinstance(packages, tuple)
    files = [ROOT / "main.py"]
    for package in packages:
        files.extend(sorted((ROOT / package).rglob("*.py")))
    return files


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_every_project_package_is_bundled() -> None:
    packages = spec_constant("APP_PACKAGES")
    assert isinstance(packages, tuple)
    on_disk = {p.parent.name for p in ROOT.glob("*/__init__.py")} - NOT_BUNDLED
    assert on_disk <= set(packages), f"packages missing from APP_PACKAGES in {SPEC.name}: {on_disk - set(packages)}"


def test_no_excluded_module_is_imported() -> None:
    excludes = spec_constant("EXCLUDES")
    assert isinstance(excludes, list)
    offenders = {}
    for path in app_files():
        used = {m for m in imported_modules(path) for x in excludes if m == x or m.startswith(f"{x}.")}
        if used:
            offenders[str(path.relative_to(ROOT))] = sorted(used)
    assert offenders == {}, f"these modules are excluded from the build in {SPEC.name}"


def test_qt_modules_used_are_listed() -> None:
    listed = spec_constant("QT_MODULES")
    assert isinstance(listed, list)
    used = {".".join(m.split(".")[:2]) for path in app_files() for m in imported_modules(path)
            if m.startswith("PySide6.Qt")}
    assert used <= set(listed), f"add {sorted(used - set(listed))} to QT_MODULES in {SPEC.name}"


def test_pages_and_commands_imported_by_name_exist() -> None:
    from cli import COMMAND_MODULES
    from ui.pages import PAGES

    names = [entry.target.split(":")[0] for entry in PAGES] + list(COMMAND_MODULES)
    for name in names:
        assert importlib.util.find_spec(name) is not None, name
        assert (ROOT / (name.replace(".", "/") + ".py")).is_file(), name


@pytest.mark.parametrize("resource", ["fonts/WenQuanYiMicroHei.ttf", "fonts/LICENSE-wqy-microhei.txt",
                                      "data/SOURCES.md", "data/yunnan_divisions.csv"])
def test_bundled_resources_exist(resource: str) -> None:
    from common.paths import resource_path

    assert resource_path(*resource.split("/")).is_file()


def test_qt_chinese_translation_is_kept() -> None:
    from PySide6.QtCore import QLibraryInfo

    keep = spec_constant("KEEP_LANGUAGES")
    assert isinstance(keep, tuple) and "_zh_CN.qm" in keep
    folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    assert (folder / "qtbase_zh_CN.qm").is_file()


def test_packages_that_import_by_name_are_collected_whole() -> None:
    """reportlab's barcode package imports its symbologies by name: the built program's ``keys export`` crashed
    with ``No module named reportlab.graphics.barcode.code128`` after writing the certificate."""
    lazy = spec_constant("LAZY_PACKAGES")
    assert isinstance(lazy, list)
    used = {m for path in app_files() for m in imported_modules(path) if m.startswith("reportlab.graphics.barcode")}
    assert used, "the 公钥登记表 draws its QR code with reportlab.graphics.barcode"
    assert all(any(m == p or m.startswith(f"{p}.") for p in lazy) for m in used), sorted(used)


def test_the_bundle_leaves_out_what_the_program_never_uses() -> None:
    excludes = spec_constant("EXCLUDES")
    dropped = spec_constant("DROP_BINARIES")
    plugins = spec_constant("DROP_PLUGINS")
    assert isinstance(excludes, list) and isinstance(dropped, tuple) and isinstance(plugins, tuple)
    assert {"setuptools", "pkg_resources", "PIL._avif", "PySide6.QtNetwork"} <= set(excludes)
    assert {"opengl32sw.dll", "qt6network.dll", "libqt6network.so.6"} <= set(dropped)
    assert any("qtuiotouchplugin" in p for p in plugins) and any("qgtk3" in p for p in plugins)


def test_the_network_stack_is_left_out() -> None:
    """pyHanko's HTTP clients are replaced by offline stand-ins; the libraries under them are not bundled."""
    from models.signing import offline

    excludes = spec_constant("EXCLUDES")
    assert isinstance(excludes, list)
    assert {"aiohttp", "yarl", "multidict", "requests", "urllib3", "certifi"} <= set(excludes)
    # the stand-ins cover exactly the pyHanko modules that import aiohttp on the signing and validation paths
    assert set(offline.STUBBED) == {"pyhanko.sign.timestamps.aiohttp_client",
                                    "pyhanko_certvalidator.fetchers.aiohttp_fetchers"}


def test_pyside6_run_time_hook_does_not_load_qt_at_start() -> None:
    """PyInstaller's own PySide6 hook imports QtCore before the first line of every command (twice the time of a
    built ``status``); the spec's hook directory replaces it with one that waits for the program's own import."""
    hooks = ROOT / "build_spec" / "hooks"
    table = ast.literal_eval((hooks / "rthooks.dat").read_text(encoding="utf-8"))
    assert set(table) == {"PySide6", "multiprocessing", "inspect", "pkgutil"}  # tests/test_frozen_start.py runs them
    source = (hooks / "rthooks" / table["PySide6"][0]).read_text(encoding="utf-8")
    tree = ast.parse(source)
    top_level_calls = [n for n in tree.body if isinstance(n, ast.Expr)]
    assert len(top_level_calls) == 1  # only the hook function runs at start
    assert "import_module(" not in source and "QtCore import" not in source
    assert 'hookspath=[os.path.join(SPECPATH, "hooks")]' in SPEC.read_text(encoding="utf-8")


def test_multiprocessing_run_time_hook_imports_it_only_in_a_helper_process() -> None:
    """PyInstaller's own multiprocessing hook imports it (pickle, socket …) at every start; the spec's replaces it
    with one that does so only in a process multiprocessing started, and main.py hands such a process over."""
    hooks = ROOT / "build_spec" / "hooks"
    table = ast.literal_eval((hooks / "rthooks.dat").read_text(encoding="utf-8"))
    source = (hooks / "rthooks" / table["multiprocessing"][0]).read_text(encoding="utf-8")
    hook = ast.parse(source)
    assert len([n for n in hook.body if isinstance(n, ast.Expr)]) == 1  # only the hook function runs at start
    [function] = [n for n in hook.body if isinstance(n, ast.FunctionDef)]
    direct = [n for n in function.body if isinstance(n, ast.Import | ast.ImportFrom)]  # not inside an `if`
    assert {alias.name for n in direct if isinstance(n, ast.Import) for alias in n.names} == {"sys"}
    assert {n.module for n in direct if isinstance(n, ast.ImportFrom)} == {"common.after_import"}
    assert '"--multiprocessing-fork" in sys.argv[1:]' in source and "spawn_main" in source
    main = (ROOT / "main.py").read_text(encoding="utf-8")
    assert 'if "--multiprocessing-fork" in sys.argv:' in main and "multiprocessing.freeze_support()" in main
    assert "multiprocessing" not in spec_constant("EXCLUDES")  # type: ignore[operator]


BUNDLE = ROOT / "dist" / "ChanGaiTongJi"


def _load_check() -> object:
    spec = importlib.util.spec_from_file_location("check_bundle", ROOT / "build_spec" / "check_bundle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_built_program_carries_no_package_it_never_imports() -> None:
    """With a built program present (CI builds it before the tests): a county → prefecture year and both
    self-tests with the built programs import every third-party top-level package in the bundle."""
    check: Any = _load_check()
    cli, _gui = check.executables(BUNDLE)
    if not cli.is_file():
        pytest.skip("no built program (pyinstaller --noconfirm build_spec/changai.spec)")
    built = cli.stat().st_mtime
    if any(p.stat().st_mtime > built for p in (SPEC, ROOT / "build_spec" / "check_bundle.py")):
        pytest.skip("the built program is older than the spec: build it again")
    third, _stdlib = check.never_imported(BUNDLE)
    assert third == {}, f"bundled but never imported (exclude them in {SPEC.name}): {sorted(third)}"


def test_bundle_listing_names_packages_modules_and_extensions(tmp_path: Path) -> None:
    check: Any = _load_check()
    internal = tmp_path / "_internal"
    (internal / "pkg").mkdir(parents=True)
    (internal / "pkg" / "__init__.pyc").write_bytes(b"x" * 10)
    (internal / "module.pyc").write_bytes(b"x" * 5)
    (internal / "_ext.cpython-311-x86_64-linux-gnu.so").write_bytes(b"x")
    (internal / "_win.pyd").write_bytes(b"x")
    (internal / "libQt6Core.so.6").write_bytes(b"x")
    (internal / "base_library.zip").write_bytes(b"x")
    (internal / "python3.11" / "lib-dynload").mkdir(parents=True)
    (internal / "python3.11" / "lib-dynload" / "_ssl.cpython-311-x86_64-linux-gnu.so").write_bytes(b"x" * 3)
    assert check.bundled_top_level(tmp_path) == {"pkg": 10, "module": 5, "_ext": 1, "_win": 1, "_ssl": 3}
