"""Progress against the plan (规划目标完成情况): building the report, the drill-down and the report files.

Method: a county store (530821, demo seed 1) with the annual returns of 2021–2025 finalised
(``models.demo.fill_years``) is made in a temporary folder before any clock starts. Then, each repeated
``--repeat`` times and the median printed: ``models.progress.build_report`` for the shipped plan; the same
plus ``drill_down`` for every counted indicator (a county has nothing to drill into: this measures the
reading of the versions); writing the PDF (unsigned) and the Excel report.
Target: the page opens in ≤ 0.3 s (build_report), the two report files in ≤ 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _median(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    from forms.plans import shipped_plan
    from models import progress, unit
    from models.db import open_store
    from models.demo import fill_demo, fill_years
    from models.progress_report import export_report

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "data")
        unit.setup(store, code="530821", head="李国华", statistician="王丽", preparer="张敏", phone="0879-3231234")
        today = dt.date(2026, 2, 1)
        fill_demo(store, seed=1, today=today)
        fill_years(store, range(2021, 2026), seed=1, today=today)
        plan = shipped_plan()
        report = progress.build_report(store, plan, today=today)
        build = _median(lambda: progress.build_report(store, plan, today=today), args.repeat)
        drill = _median(lambda: [progress.drill_down(store, report, i.indicator.key) for i in report.items],
                        args.repeat)
        files = _median(lambda: export_report(report, Path(tmp) / "out"), args.repeat)
        store.close()
    print(f"build_report (5 years, {len(report.items)} indicators): {build * 1000:.0f} ms  (target ≤ 300 ms)")
    print(f"drill_down, every indicator: {drill * 1000:.0f} ms")
    print(f"PDF + Excel report: {files * 1000:.0f} ms  (target ≤ 2000 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
