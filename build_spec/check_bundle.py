"""What the built program carries against what it imports: top-level packages in the bundle that nothing loads.

    python build_spec/check_bundle.py [dist/ChanGaiTongJi]

Runs a county → prefecture year with the built command-line program (setup, demo data, key, registration
form, signed export, verify, template and imports of the sample files, backup, history; a prefecture that
registers the county, receives, consolidates and issues a receipt; the county reading the receipt) and both
programs' ``--self-test``, each with ``CHANGAI_RECORD_MODULES`` set, so that each run appends the names of the
modules it had loaded (see ``main.py``). Then lists the top-level packages and modules in the bundle's
``_internal`` folder that no run imported, third-party ones first, with their size on disk.

``tests/test_build.py`` runs the same check when a built program is present (CI builds it before the tests).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "ChanGaiTongJi"
PASSPHRASE = "宁洱-Return-2026"
# Parts of the bundle that are not Python packages, or that only PyInstaller's own start-up code uses.
NOT_PACKAGES = {"base_library", "pyimod01_archive", "pyimod02_importers", "pyimod03_ctypes", "pyimod04_pywin32",
                "_pyi_rth_utils", "python3", "python311", "PySide6-Essentials", "resources", "certifi-data"}
# Imported by name at run time only on paths this check does not exercise.
RARE = {
    "openpyxl": "streams an .xlsx import that calamine must not load whole (a stray far cell)",
    "et_xmlfile": "openpyxl's, as above",
    "colorama": "Windows: click (under sqlite-utils) colours its console output",
    "lxml": "pyHanko reads the XMP metadata of a PDF changed after signing (to say what changed); openpyxl, above",
    "defusedxml": "a workbook's parts parsed only to say what is wrong with it (the cells changed after signing, a "
                  "hostile sheet's name) or when it is unsigned (its document properties); openpyxl, above",
}
_EXTENSION = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\.cpython-[^.]+|\.abi3|\.cp\d+-[^.]+)?\.(so|pyd)$")


def executables(bundle: Path) -> tuple[Path, Path]:
    exe = ".exe" if sys.platform == "win32" else ""
    return bundle / f"{NAME}-cli{exe}", bundle / f"{NAME}{exe}"


def bundled_top_level(bundle: Path) -> dict[str, int]:
    """Top-level module and package names in ``_internal`` (and its lib-dynload), with their size in bytes."""
    internal = bundle / "_internal"
    found: dict[str, int] = {}
    places = [internal, *internal.glob("python3*/lib-dynload")]
    for place in places:
        for entry in place.iterdir():
            name = None
            if entry.is_dir() and any(entry.glob("*.pyc")):  # a package (its __init__.pyc) or a namespace of modules
                name = entry.name
            elif entry.suffix == ".pyc":
                name = entry.stem
            else:
                m = _EXTENSION.match(entry.name)
                if m:
                    name = m.group(1)
            if name is None or name in NOT_PACKAGES or "." in name:
                continue
            size = entry.stat().st_size if entry.is_file() else sum(
                p.stat().st_size for p in entry.rglob("*") if p.is_file())
            found[name] = found.get(name, 0) + size
    return found


# receiving with --jobs: the built program could not start its helper processes (common/processes.py)
NO_HELPERS = "并行核验的进程未能运行"


def run(command: list[str], env: dict[str, str], cwd: Path) -> str:
    proc = subprocess.run(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    out, err = proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    if proc.returncode not in (0, 1) or "Traceback" in err or NO_HELPERS in err:
        raise RuntimeError(f"{' '.join(command)} → {proc.returncode}\n{out}{err}")
    return out


def exercise(bundle: Path, folder: Path) -> set[str]:
    """Run the year with the built programs; the names of every module any run loaded."""
    cli, gui = executables(bundle)
    record = folder / "modules.txt"
    env = dict(os.environ, CHANGAI_RECORD_MODULES=str(record), QT_QPA_PLATFORM="offscreen")
    secret = folder / "口令.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    county, prefecture, usb = folder / "县 数据", folder / "州 数据", folder / "U盘"
    samples = ROOT / "tests" / "samples"

    def county_cli(*args: str) -> str:
        return run([str(cli), "--data-dir", str(county), *args], env, folder)

    def prefecture_cli(*args: str) -> str:
        return run([str(cli), "--data-dir", str(prefecture), *args], env, folder)

    county_cli("setup", "--unit-code", "530821", "--head", "李国华", "--phone", "0879-3231234")
    county_cli("demo", "--seed", "1")
    county_cli("keys", "create", "--passphrase-file", str(secret))
    county_cli("keys", "export", "--out", str(usb / "登记"))
    county_cli("status", "--json")
    county_cli("review", "--period", "2025")
    county_cli("export", "--period", "2025", "--out", str(usb), "--passphrase-file", str(secret))
    county_cli("verify", str(usb / "530821_2025_v1.xlsx"), str(usb / "530821_2025_v1.pdf"))
    county_cli("template", "--kind", "people", "--out", str(folder / "模板.xlsx"))
    county_cli("import", "--kind", "people", str(samples / "宁洱县劳模名册.xlsx"), "--dry-run")
    county_cli("import", "--kind", "people", str(samples / "劳模名册_GBK.csv"), "--dry-run")
    county_cli("import", "--kind", "competitions", str(samples / "劳动和技能竞赛.xls"), "--dry-run")
    county_cli("backup", "--out", str(folder / "备份"))
    county_cli("history", "--since", "2020-01-01")
    prefecture_cli("setup", "--unit-code", "530800")
    prefecture_cli("keys", "create", "--passphrase-file", str(secret))
    prefecture_cli("keys", "export", "--out", str(usb / "州登记"))
    cert = next((usb / "登记").glob("*.cer"))
    prefecture_cli("trust", "add", str(cert))
    prefecture_cli("receive", str(usb), "--jobs", "2")  # in two helper processes, as a large batch is
    prefecture_cli("status", "--period", "2025", "--json")
    prefecture_cli("receipt", "accept", "--period", "2025", "--out", str(usb / "回执"), "--passphrase-file",
                   str(secret))
    prefecture_cli("consolidate", "--period", "2025", "--out", str(usb / "汇总"), "--passphrase-file", str(secret))
    superior = json.loads(prefecture_cli("keys", "show", "--json"))["fingerprint"]
    county_cli("trust", "add", str(next((usb / "州登记").glob("*.cer"))), "--superior", "--fingerprint", superior)
    for receipt in (usb / "回执").iterdir():
        county_cli("receipt", "show", str(receipt))
    # the default data folder (no --data-dir): platformdirs finds it
    home = folder / "home"
    default = {k: v for k, v in env.items() if k != "CHANGAI_DATA_DIR"}
    default.update(XDG_DATA_HOME=str(home), LOCALAPPDATA=str(home), APPDATA=str(home))
    run([str(cli), "status"], default, folder)
    for program in (cli, gui):
        out = run([str(program), "--data-dir", str(county), "--self-test"], env, folder)
        if sys.platform != "win32" and "自检通过" not in out:
            raise RuntimeError(f"{program.name} --self-test: {out}")
    return set(record.read_text(encoding="utf-8").split())


def never_imported(bundle: Path) -> tuple[dict[str, int], dict[str, int]]:
    """(third-party, standard library) top-level names in the bundle that no run imported, with sizes."""
    bundled = bundled_top_level(bundle)
    with tempfile.TemporaryDirectory() as tmp:
        loaded = {name.split(".")[0] for name in exercise(bundle, Path(tmp))}
    unused = {name: size for name, size in bundled.items() if name not in loaded and name not in RARE}
    stdlib = {n: s for n, s in unused.items() if n in sys.stdlib_module_names or n.lstrip("_") in
              sys.stdlib_module_names}
    third = {n: s for n, s in unused.items() if n not in stdlib}
    return third, stdlib


def main() -> int:
    bundle = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "dist" / NAME
    if not executables(bundle)[0].is_file():
        print(f"no built program in {bundle} (pyinstaller --noconfirm build_spec/changai.spec)")
        return 2
    third, stdlib = never_imported(bundle)
    print(f"{bundle}: {len(bundled_top_level(bundle))} top-level modules and packages")
    for title, found in (("third-party, never imported", third), ("standard library, never imported", stdlib)):
        print(f"{title}: {len(found)}, {sum(found.values()) / 2**20:.1f} MB")
        for name, size in sorted(found.items(), key=lambda item: -item[1]):
            print(f"  {name:<32}{size / 2**10:>10.0f} KB")
    return 1 if third else 0


if __name__ == "__main__":
    sys.exit(main())
