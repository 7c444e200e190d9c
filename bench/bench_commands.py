"""Whole commands as a user runs them: a fresh process each time, from source and from the built program.

    python bench/bench_commands.py [--repeat 7] [--bundle dist/ChanGaiTongJi] [--no-gui] [--before FOLDER]

Every figure is the wall time of one fresh process, started by this script and timed from start to exit (GUI
start: to its line saying the window is painted), median of ``--repeat`` runs after one warm-up run. Runs are
interleaved (one of each command per round, in the same order every round), so a change in the machine's load
touches every figure alike. Besides the ratio of the medians, each command is set against its floor two more ways,
for a shared machine whose speed changes from one minute to the next: "paired", the median of the ratios of each
round (the command and its floor run within seconds of each other), and the ratio of the fastest runs of each
(what both take when nothing else runs).

Commands, on the demo county (530821, ``models.demo.fill_demo`` seed 2025, a key made before any clock starts):

- ``status --json``;
- ``export --period <last year> --no-sign`` (review, finalise — the version exists, so no new one — Excel and PDF);
- ``export --period <last year> --passphrase-file …`` (the same, signed: key opened with its passphrase, both
  files signed);
- ``verify <the signed .xlsx>`` (one return);
- GUI start, as a user meets it: ``main.py`` with no command, offscreen, timed to the moment its main window, with
  the first page, is shown and painted (``processEvents`` + ``grab()``, as the bare window's), the line it then
  prints; the window then quits. ``main.py`` runs unchanged, only ``QApplication.exec`` is wrapped to quit once the
  window is painted (so an earlier copy given with ``--before`` runs the same way). Target: at most 2× the bare
  window, the floor measured the same way;
- GUI self-test: ``--self-test`` offscreen (start, main window, every page opened once, counts read, exit), to exit:
  a check that every page opens, which does far more than a start (no target; set against the bare window to exit).

Each command is set against its floor, a process doing only what the libraries underneath must do, measured in
the same rounds:

- process: ``python -c pass`` (the interpreter and ``site``);
- sqlite3: open the store with the standard library's ``sqlite3`` and count the people;
- writers: XlsxWriter writes a workbook with the same sheets and the same number of cells as the exported one,
  and reportlab a PDF with the same number of pages, each with the bundled Chinese font and the same number of
  text strings (both in one process: the floor of an unsigned export);
- writers + key: the same, plus opening the key file with its passphrase (``load_ssh_private_key``, whose
  bcrypt-pbkdf rounds are deliberate) and two ECDSA signatures (the floor of a signed export);
- read + verify: read every part of the signed workbook, SHA-256 them, load the certificate and check one ECDSA
  signature with cryptography (the floor of ``verify``);
- bare window: a PySide6 ``QMainWindow`` shown offscreen and painted (``processEvents`` + ``grab()``), then it prints
  a line and the process ends: to that line the floor of GUI start, to exit the one of the self-test.

Source runs use the interpreter running this script with compiled modules kept in a temporary cache
(``PYTHONPYCACHEPREFIX``; ``PYTHONDONTWRITEBYTECODE`` is removed for the children): as a user's installation,
which has its ``__pycache__``. With ``--before FOLDER`` (a copy of the project at an earlier commit, e.g.
``git worktree add /tmp/before HEAD~3``) the same commands run from that copy too, in the same rounds, and a
"before" column is printed. With ``--bundle FOLDER`` (default ``dist/ChanGaiTongJi`` when it exists) the same
commands run with the built ``ChanGaiTongJi-cli`` and ``ChanGaiTongJi``; the ratio packaged/source is printed
(target: within ±10 %). The built program's ``exec`` cannot be wrapped from outside, so GUI start is also timed a
second way, for the source and the built program alike: seen from outside, to the first line in which Qt logs
that it flushed a window to the screen (``QT_LOGGING_RULES=qt.widgets.painting.debug=true``; the process is then
ended), against a bare ``QMainWindow`` with a label, running its event loop, timed the same way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSPHRASE = "宁洱-Return-2026"
# seconds, or a ratio to the floor ("2x")
TARGETS: dict[str, float | str | None] = {"status": None, "export unsigned": 0.4, "export signed": 0.6, "verify": 0.3,
                                          "GUI start": "2x", "GUI self-test": None, "GUI start (seen)": "2x"}
FLOOR_OF = {"status": "sqlite3", "export unsigned": "writers", "export signed": "writers + key",
            "verify": "read + verify", "GUI start": "bare window", "GUI self-test": "bare window (exit)",
            "GUI start (seen)": "bare window (seen)"}
SHOWN = "shown"  # the line the bare window and the GUI start print once their window is painted

# ---------------------------------------------------------------------------------------------
# Floors: what the libraries underneath cost on their own (each runs as ``python -c``)

FLOOR_SQLITE = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
print(con.execute("select count(*) from people").fetchone()[0])
con.close()
"""

FLOOR_WRITERS = """
import json, sys
shape = json.loads(sys.argv[1])
out = sys.argv[2]
import xlsxwriter
wb = xlsxwriter.Workbook(out + ".xlsx")
for i, cells in enumerate(shape["sheets"]):
    ws = wb.add_worksheet(f"表{i}")
    for n in range(cells):
        ws.write(n // 12, n % 12, n if n % 3 else f"单元格{n}")
wb.close()
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
pdfmetrics.registerFont(TTFont("WQY", shape["font"]))
c = canvas.Canvas(out + ".pdf")
per_page = max(1, shape["strings"] // max(1, shape["pages"]))
for p in range(shape["pages"]):
    c.setFont("WQY", 9)
    for k in range(per_page):
        c.drawString(40 + (k % 6) * 90, 800 - (k // 6) * 12 % 760, f"劳模名册第{p}页{k}")
    c.showPage()
c.save()
if shape.get("key"):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = serialization.load_ssh_private_key(open(shape["key"], "rb").read(), shape["passphrase"].encode("utf-8"))
    for name in (out + ".xlsx", out + ".pdf"):
        key.sign(open(name, "rb").read(), ec.ECDSA(hashes.SHA256()))
"""

FLOOR_VERIFY = """
import hashlib, sys, zipfile
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
digests = []
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        digests.append(hashlib.sha256(z.read(info)).digest())
cert = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
key = ec.generate_private_key(ec.SECP256R1())  # one ECDSA verification of the same kind as the signature's
data = b"".join(digests)
key.public_key().verify(key.sign(data, ec.ECDSA(hashes.SHA256())), data, ec.ECDSA(hashes.SHA256()))
print("ok")
"""

FLOOR_WINDOW = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow()
w.setWindowTitle("bare")
w.resize(1000, 700)
w.show()
app.processEvents()
w.grab()
print("shown", flush=True)
"""

# The floor of GUI start seen from outside: a bare window in its event loop, ended once Qt logs its first flush.
FLOOR_WINDOW_RUNNING = """
import sys
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow()
w.setCentralWidget(QLabel("bare"))
w.resize(1000, 700)
w.show()
app.exec()
"""
PAINT_LOG = {"QT_LOGGING_RULES": "qt.widgets.painting.debug=true"}
FLUSHED = b"qt.widgets.painting: Flushing"  # Qt's line when a window's pixels go to the screen

# main.py as a user starts it (no command), quitting once the main window with its first page is painted.
APP_START = """
import os, sys
main_py = sys.argv[1]
sys.argv = [main_py, *sys.argv[2:]]
sys.path[0] = os.path.dirname(main_py)  # as `python main.py` has it
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
run_loop = QApplication.exec

def painted():
    for w in QApplication.topLevelWidgets():
        if isinstance(w, QMainWindow) and w.isVisible():
            QApplication.processEvents()
            w.grab()
            print("shown", flush=True)
            QApplication.quit()
            return
    print("no main window shown", file=sys.stderr)
    QApplication.exit(2)

def exec_until_painted(*args):
    QTimer.singleShot(0, painted)
    return run_loop()

QApplication.exec = staticmethod(exec_until_painted)
with open(main_py, encoding="utf-8") as fh:
    code = compile(fh.read(), main_py, "exec")
exec(code, {"__name__": "__main__", "__file__": main_py})
"""


# ---------------------------------------------------------------------------------------------


def child_env(pycache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run_once(command: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(list(command), env=env, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=300)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(command)}\n"
                         f"{proc.stdout.decode('utf-8', 'replace')}{proc.stderr.decode('utf-8', 'replace')}")
    return elapsed


def run_until_shown(command: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds to the child's ``shown`` line, seconds to its exit) of one fresh process."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(command), env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=err)
        assert proc.stdout is not None
        shown = None
        for line in proc.stdout:
            if shown is None and line.strip() == SHOWN.encode():
                shown = time.perf_counter() - start
        proc.wait(timeout=300)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0 or shown is None:
            err.seek(0)
            raise SystemExit(f"failed ({proc.returncode}, shown: {shown}): {' '.join(command)}\n"
                             f"{err.read().decode('utf-8', 'replace')}")
    return shown, elapsed


def run_until_flushed(command: Sequence[str], env: dict[str, str]) -> float:
    """Seconds from the start of one fresh process to Qt's first log line saying it flushed a window to the screen
    (nothing in the program is changed: Qt logs it when asked by its environment); the process is then ended."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(command), env={**env, **PAINT_LOG}, cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    last: list[bytes] = []
    try:
        for line in proc.stderr:
            if line.startswith(FLUSHED):
                return time.perf_counter() - start
            last = [*last[-20:], line]
    finally:
        proc.kill()
        proc.wait(timeout=60)
    raise SystemExit(f"no window was painted: {' '.join(command)}\n{b''.join(last).decode('utf-8', 'replace')}")


def make_store(folder: Path) -> tuple[Path, Path, str]:
    """The demo county with a key and last year's return finalised; (data folder, passphrase file, period)."""
    from forms.periods import Period
    from models import unit, versions
    from models.db import open_store
    from models.demo import fill_demo
    from models.signing import keys

    period = str(dt.date.today().year - 1)
    data = folder / "数据 文件夹"
    store = open_store(data)
    unit.setup(store, code="530821", head="李国华", statistician="王丽", preparer="张敏", phone="0879-3231234")
    fill_demo(store, seed=2025)
    keys.create_key(store, PASSPHRASE, PASSPHRASE)
    versions.finalise(store, Period(int(period)))
    store.close()
    secret = folder / "口令.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return data, secret, period


def export_shape(xlsx: Path, pdf: Path) -> dict[str, Any]:
    """Sheets and cells of the exported workbook, pages and text strings of the PDF (for the writers' floor)."""
    import re

    sheets: list[int] = []
    with zipfile.ZipFile(xlsx) as z:
        for name in sorted(z.namelist()):
            if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name):
                sheets.append(z.read(name).count(b"<c "))
    raw = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", raw))
    return {"sheets": sheets, "pages": pages, "strings": sum(sheets) // 2,
            "font": str(ROOT / "resources" / "fonts" / "WenQuanYiMicroHei.ttf")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--bundle", type=Path, default=None, help="the built program's folder (dist/ChanGaiTongJi)")
    parser.add_argument("--no-gui", action="store_true", help="leave out GUI start")
    parser.add_argument("--before", type=Path, default=None,
                        help="a copy of the project at an earlier commit, run in the same rounds")
    args = parser.parse_args()
    bundle = args.bundle or (ROOT / "dist" / "ChanGaiTongJi")
    exe = ".exe" if sys.platform == "win32" else ""
    built_cli, built_gui = bundle / f"ChanGaiTongJi-cli{exe}", bundle / f"ChanGaiTongJi{exe}"
    packaged = built_cli.is_file()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = child_env(folder / "pycache")
        data, secret, period = make_store(folder)
        out = folder / "上报 U盘"
        py = [sys.executable]
        main_py = [*py, str(ROOT / "main.py"), "--data-dir", str(data)]
        run_once([*main_py, "export", "--period", period, "--out", str(out / "first"), "--passphrase-file",
                  str(secret)], env)
        signed_xlsx = out / "first" / f"530821_{period}_v1.xlsx"
        shape = export_shape(signed_xlsx, signed_xlsx.with_suffix(".pdf"))
        from models.db import open_store
        from models.signing import keys

        store = open_store(data)
        own = keys.active_key(store)
        assert own is not None
        key_file = str(keys.keys_dir(store) / own.key_file)
        cert_file = folder / "cert.pem"
        from cryptography.hazmat.primitives import serialization

        cert_file.write_bytes(own.certificate().public_bytes(serialization.Encoding.PEM))
        store.close()
        floor_out = str(folder / "floor")

        def commands(prefix: list[str], gui: list[str], main_py: Path | None = None) -> dict[str, list[str]]:
            found = {
                "status": [*prefix, "status", "--json"],
                "export unsigned": [*prefix, "export", "--period", period, "--no-sign", "--out", str(out / "plain")],
                "export signed": [*prefix, "export", "--period", period, "--passphrase-file", str(secret),
                                  "--out", str(out / "signed")],
                "verify": [*prefix, "verify", str(signed_xlsx)],
            }
            if not args.no_gui:
                if main_py is not None:
                    found["GUI start"] = [*py, "-c", APP_START, str(main_py), "--data-dir", str(data)]
                found["GUI self-test"] = [*gui, "--self-test"]
                found["GUI start (seen)"] = list(gui)
            return found

        jobs: dict[str, list[str]] = {
            "floor process": [*py, "-c", "pass"],
            "floor sqlite3": [*py, "-c", FLOOR_SQLITE, str(data / "store.sqlite3")],
            "floor writers": [*py, "-c", FLOOR_WRITERS, json.dumps(shape), floor_out],
            "floor writers + key": [*py, "-c", FLOOR_WRITERS,
                                    json.dumps({**shape, "key": key_file, "passphrase": PASSPHRASE}), floor_out],
            "floor read + verify": [*py, "-c", FLOOR_VERIFY, str(signed_xlsx), str(cert_file)],
        }
        if not args.no_gui:
            jobs["floor bare window"] = [*py, "-c", FLOOR_WINDOW]
            jobs["floor bare window (seen)"] = [*py, "-c", FLOOR_WINDOW_RUNNING]
        jobs.update({f"source {k}": v for k, v in commands(main_py, main_py, ROOT / "main.py").items()})
        if args.before is not None:
            before_main = args.before.resolve() / "main.py"
            before_py = [*py, str(before_main), "--data-dir", str(data)]
            jobs.update({f"before {k}": v for k, v in commands(before_py, before_py, before_main).items()})
        if packaged:
            jobs.update({f"packaged {k}": v for k, v in
                         commands([str(built_cli), "--data-dir", str(data)],
                                  [str(built_gui), "--data-dir", str(data)]).items()})
        to_shown = {"floor bare window", "source GUI start", "before GUI start"}

        def run(name: str, command: list[str]) -> dict[str, float]:
            if name.endswith("(seen)"):
                return {name: run_until_flushed(command, env)}
            if name not in to_shown:
                return {name: run_once(command, env)}
            shown, elapsed = run_until_shown(command, env)
            return {name: shown, f"{name} (exit)": elapsed}

        for name, command in jobs.items():  # warm-up: compiled modules cached, font subset cached, pages in memory
            run(name, command)
        times: dict[str, list[float]] = {}
        for _round in range(args.repeat):
            for name, command in jobs.items():
                for key, seconds in run(name, command).items():
                    times.setdefault(key, []).append(seconds)

    median = {name: statistics.median(values) for name, values in times.items()}
    fastest = {name: min(values) for name, values in times.items()}

    def paired(name: str, floor_name: str) -> float:
        """The median of the command / floor ratios of each round: the two run within seconds of each other, so a
        slow minute of a shared machine slows both."""
        return statistics.median(a / b for a, b in zip(times[name], times[floor_name], strict=True))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {load:.1f}; median of {args.repeat} fresh processes each (after one warm-up)")
    print(f"export: {len(shape['sheets'])} sheets, {sum(shape['sheets'])} cells; PDF {shape['pages']} pages")
    print()
    print(f"{'floor':<22}{'median':>9}{'fastest':>9}")
    for name in times:
        if name.startswith("floor "):
            print(f"{name[6:]:<22}{median[name]:>8.3f}s{fastest[name]:>8.3f}s")
    print()
    header = (f"{'command':<17}{'target':>8}{'source':>9}{'floor':>9} {'(of)':<19}{'ratio':>6}{'paired':>7}"
              f"{'fastest':>9}{'ratio':>6}")
    if args.before is not None:
        header += f"{'before':>9}{'ratio':>7}"
    if packaged:
        header += f"{'packaged':>10}{'pkg/src':>9}"
    print(header)
    for name in commands([], [], ROOT / "main.py"):
        floor_name = FLOOR_OF[name]
        target = TARGETS[name]
        src = median[f"source {name}"]
        floor = median[f"floor {floor_name}"]
        shown_target = f"{target:.2f}s" if isinstance(target, float) else (target or "-")
        line = (f"{name:<17}{shown_target:>8}{src:>8.3f}s{floor:>8.3f}s {floor_name:<19}{src / floor:>5.2f}x"
                f"{paired(f'source {name}', f'floor {floor_name}'):>6.2f}x{fastest[f'source {name}']:>8.3f}s"
                f"{fastest[f'source {name}'] / fastest[f'floor {floor_name}']:>5.2f}x")
        if args.before is not None:
            old = median[f"before {name}"]
            line += f"{old:>8.3f}s{old / floor:>6.2f}x"
        if packaged and f"packaged {name}" in median:
            pkg = median[f"packaged {name}"]
            line += f"{pkg:>9.3f}s{pkg / src:>8.2f}x"
        print(line)
    if "source GUI start (exit)" in median:
        print(f"\nGUI start to exit (the window quits once painted): {median['source GUI start (exit)']:.3f}s, bare "
              f"window {median['floor bare window (exit)']:.3f}s"
              + (f", before {median['before GUI start (exit)']:.3f}s" if "before GUI start (exit)" in median else ""))
    print()
    print(f"process start: source {median['floor process']:.3f}s"
          + (f"; packaged commands above include the frozen start-up of {built_cli.name}" if packaged else
             "; no built program found (build it with: pyinstaller --noconfirm build_spec/changai.spec)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
