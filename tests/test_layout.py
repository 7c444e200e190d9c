"""The dependency rule of the project's folders, checked on the source: common → forms → models → cli/ui.

- ``common/`` imports nothing of the project;
- ``forms/`` imports only ``common``;
- ``models/`` imports ``forms`` and ``common`` (never ``cli`` or ``ui``);
- ``cli/`` never imports ``ui``;
- no Qt in ``common/``, ``forms/``, ``models/`` or ``cli/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("common", "forms", "models", "cli", "ui", "main")
ALLOWED = {
    "common": {"common"},
    "forms": {"common", "forms"},
    "models": {"common", "forms", "models"},
    "cli": {"common", "forms", "models", "cli"},
}
QT = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "pytestqt")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports (absolute names; relative imports resolved against the file's package)."""
    return imports_in(path.read_text(encoding="utf-8"), path.relative_to(ROOT).with_suffix("").parts[:-1])


def imports_in(source: str, package: tuple[str, ...]) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            found.append((node.lineno, name))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def violations(folder: str) -> list[str]:
    allowed = ALLOWED[folder]
    bad = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for line, name in imported_modules(path):
            top = name.split(".")[0]
            where = f"{path.relative_to(ROOT).as_posix()}:{line} imports {name}"
            if top in QT:
                bad.append(where + " (no Qt here)")
            elif top in PROJECT and top not in allowed:
                bad.append(where)
    return bad


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_folder_imports_only_what_lies_below_it(folder: str) -> None:
    assert violations(folder) == []


def test_the_scan_sees_imports() -> None:
    """The scan itself: it finds plain, from-, relative and importlib imports."""
    source = ("import ui.app\nfrom models import db\nfrom . import common\nfrom ..forms.fields import X\n"
              "def f():\n    from PySide6 import QtCore\n    importlib.import_module('cli.basic')\n")
    found = sorted(name for _line, name in imports_in(source, ("models", "signing")))
    assert found == sorted(["ui.app", "models", "models.signing", "models.forms.fields", "PySide6", "cli.basic"])


def test_the_core_takes_a_period_not_a_string() -> None:
    """The period is parsed once, where it comes in (command-line argument, a choice in the windows); the
    functions of models/ take a ``forms.periods.Period`` and never parse a ``str | Period`` again."""
    found = []
    for path in sorted((ROOT / "models").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "Period | str" in line or "str | Period" in line or "isinstance(period, str)" in line:
                found.append(f"{path.relative_to(ROOT).as_posix()}:{number}: {line.strip()}")
    assert found == []
