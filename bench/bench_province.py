"""The province's own pages: its 报表 page, 审核, 定稿, 比较 and 目标完成情况 over a province-size return.

    python bench/bench_province.py [--people 100000] [--cache FOLDER]

Store (made once, kept in ``<temp>/changai-bench-scale/`` beside ``bench_scale.py``'s): the annual return of
``bench_scale.py``'s store of ``--people`` people is split into 16 prefectures' returns (each prefecture's code and
name, its own roster part, the same tables), each written as a signed workbook by the prefecture's key and received
by a province store (530000) that registered their certificates. Then, in fresh processes:

page     ``main.py``'s window (offscreen, 1024x768) opened on the 报表 page, with a timer ticking every 50 ms on the
         window's thread: the time until the return is shown and the longest pause of the event loop. Floor: the
         same on the demo county (120 people), whose return is computed on the window's thread, so its pause is the
         page being built. Target: the province's longest pause at most 1.5x the county's (the window never
         freezes longer than opening any page).
work     What the page runs off the window's thread for such a return, each timed once: computing the draft
         (``returns.compute``), 审核 (``review.review`` of it), 定稿 twice (``versions.finalise``, the cover changed in
         between), 比较 of the two versions (``diff.own_diff``), and the plan's report (``progress.build_report``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

RESULT = "BENCH-RESULT"

PAGE_CHILD = r"""
import os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from ui.app import make_application, install_translations, install_font
app = make_application(); install_translations(app); install_font(app)
from PySide6.QtCore import QTimer
from forms.periods import Period
from models.db import open_store
from ui import settings_store
from ui.main_window import MainWindow
store = open_store(Path(sys.argv[1]))
settings_store.set_current_period(store, Period(int(sys.argv[3])))
window = MainWindow(store); window.resize(1024, 768); window.show()
ticks = []
def tick():
    ticks.append(time.perf_counter()); QTimer.singleShot(50, tick)
def wait():
    page = window.page("returns")
    if page.ret is None:
        QTimer.singleShot(50, wait); return
    shown = time.perf_counter() - start
    QTimer.singleShot(200, lambda: finish(shown))
def finish(shown):
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    print("BENCH-RESULT", '{"shown_s": %.4f, "pause_s": %.4f}' % (shown, max(gaps)), flush=True)
    app.quit()
QTimer.singleShot(0, tick)
start = 0.0
def open_page():
    global start
    start = time.perf_counter(); window.show_page("returns"); QTimer.singleShot(50, wait)
QTimer.singleShot(300, open_page)
QTimer.singleShot(300_000, app.quit)
app.exec()
"""


def province_store(cache: Path, people: int) -> tuple[Path, int]:
    """The province store that received 16 prefectures' returns split from the ``people``-person return; its size."""
    import dataclasses
    import shutil

    import bench_scale as b

    folder = cache / f"province-{b._schema_tag()}-p{people}"
    store_dir, files = folder / "store", folder / "files"
    if (folder / "done").exists():
        return store_dir, int((folder / "done").read_text(encoding="utf-8"))
    shutil.rmtree(folder, ignore_errors=True)
    files.mkdir(parents=True)
    t0 = time.perf_counter()
    from forms import divisions
    from models import receiving, returns, unit
    from models.export import export_snapshot
    from models.signing import trust
    from models.signing.keys import certificate_pem

    source = b._open(b.ensure_store(cache, people))
    whole = returns.compute_own(source, b.PERIOD)
    source.close()
    prefectures = divisions.children("530000")
    rows = whole.rosters["R1"]
    size = len(rows) // len(prefectures) + 1
    certs = []
    for i, pref in enumerate(prefectures):
        signer = b._signer_for(pref.code, pref.union_name)
        certs.append(certificate_pem(signer.certificate).encode("ascii"))
        part = [dict(r, seq=str(n + 1)) for n, r in enumerate(rows[i * size:(i + 1) * size])]
        ret = dataclasses.replace(whole, unit_code=pref.code, unit_name=pref.union_name, unit_level="prefecture",
                                  parent_code="530000", version=1, finalised_at="2026-01-15T10:00:00",
                                  rosters={**whole.rosters, "R1": part})
        export_snapshot(ret, files / pref.code, ["xlsx"], signer=signer)
    store = b._open(store_dir)
    unit.setup(store, code="530000")
    for pem in certs:
        trust.register(store, pem)
    results = receiving.receive_files(store, sorted(files.glob("*/*.xlsx")), jobs=1)
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    store.close()
    (folder / "done").write_text(str(len(rows)), encoding="utf-8")
    print(f"  province store of {len(rows):,} people made in {time.perf_counter() - t0:.1f} s ({folder})", flush=True)
    return store_dir, len(rows)


def county_store(cache: Path) -> Path:
    import bench_scale as b

    folder = cache / f"county-demo-{b._schema_tag()}"
    if not (folder / "done").exists():
        from models import unit
        from models.demo import fill_demo

        store = b._open(folder / "store")
        unit.setup(store, code="530821", head="李国华", statistician="王丽", preparer="张敏", phone="0879-3231234")
        fill_demo(store, seed=2025)
        store.close()
        (folder / "done").write_text("1", encoding="utf-8")
    return folder / "store"


def child_work(store_dir: Path) -> dict[str, Any]:
    import shutil

    import bench_scale as b

    from forms.plans import shipped_plan
    from models import diff, progress, returns, review, unit, versions

    copy = store_dir.parent / "work-copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(store_dir, copy)
    store = b._open(copy)
    unit.update_contacts(store, head="张三", statistician="李四", preparer="王五", phone="0871-1234567")
    out: dict[str, float] = {}

    def timed(name: str, fn: Any) -> Any:
        t0 = time.perf_counter()
        result = fn()
        out[name] = time.perf_counter() - t0
        return result

    draft = timed("compute", lambda: returns.compute(store, b.PERIOD))
    report = timed("review", lambda: review.review(store, b.PERIOD, draft))
    for finding in report.findings:  # the warnings explained, as a user does before 定稿
        if finding.severity == "warning":
            review.set_note(store, b.PERIOD, finding.code, finding.where, "已核实")
    timed("finalise 1", lambda: versions.finalise(store, b.PERIOD))
    unit.update_contacts(store, phone="0871-7654321")
    timed("finalise 2", lambda: versions.finalise(store, b.PERIOD))
    timed("compare", lambda: diff.own_diff(store, b.PERIOD))
    timed("plan report", lambda: progress.build_report(store, shipped_plan()))
    store.close()
    shutil.rmtree(copy, ignore_errors=True)
    return out


def run_child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, encoding="utf-8",
                          timeout=1800, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT):
            return dict(json.loads(line[len(RESULT):]))
    raise SystemExit(f"child {args[:2]} failed (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "changai-bench-scale")
    parser.add_argument("--child-work", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_work is not None:
        print(RESULT, json.dumps(child_work(args.child_work)), flush=True)
        return 0
    import bench_scale as b

    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    load = f", load {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    print(f"产改统计填报 province benchmark — {time.strftime('%Y-%m-%d')}, {sys.platform}, {os.cpu_count()} CPUs{load}",
          flush=True)
    province, people = province_store(args.cache, args.people)
    county = county_store(args.cache)
    year = str(b.PERIOD.year)
    county_page = run_child(["-c", PAGE_CHILD, str(county), str(ROOT), year], env)
    province_page = run_child(["-c", PAGE_CHILD, str(province), str(ROOT), year], env)
    ratio = province_page["pause_s"] / county_page["pause_s"]
    print(f"  报表 page, province ({people:,} people): shown after {province_page['shown_s']:.2f} s, longest pause "
          f"{province_page['pause_s'] * 1000:.0f} ms; demo county: shown after {county_page['shown_s']:.2f} s, longest "
          f"pause {county_page['pause_s'] * 1000:.0f} ms; ratio {ratio:.2f}x (target <= 1.5x) "
          f"{'PASS' if ratio <= 1.5 else 'FAIL'}")
    work = run_child([__file__, "--child-work", str(province)], env)
    print("  off the window's thread: " + ", ".join(f"{k} {v:.2f} s" for k, v in work.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
