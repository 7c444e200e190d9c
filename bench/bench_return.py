"""Benchmark: review + finalise + export (xlsx + pdf) of a return.

Prints the seconds for (a) the demo unit's annual return for last year and (b) a return whose
roster has 20,000 people (targets: ≤ 1 s and ≤ 10 s): what ``main.py export`` does — review and
finalise (compute, review, freeze), then write the .xlsx and the .pdf. Each figure is the best of
``--repeat`` runs, and the first run is printed too (it includes loading the font and modules);
the store is a file in a temporary folder, as on a real PC; the data is created before the clock
starts. Run: ``python bench/bench_return.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forms.periods import Period

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _timed(store, period: Period, out: Path, repeat: int) -> tuple[float, float, dict[str, float]]:  # type: ignore[no-untyped-def]
    """(first run, best run, breakdown of the best run) of what ``main.py export`` does."""
    from models import export, versions

    runs: list[float] = []
    parts: dict[str, float] = {}
    for n in range(repeat):
        store.conn.execute("DELETE FROM returns")
        store.conn.commit()
        t0 = time.perf_counter()
        ret = versions.finalise(store, period)  # compute + review + freeze
        t1 = time.perf_counter()
        xlsx = export.export_snapshot(ret, out / f"run{n}", ["xlsx"])
        t2 = time.perf_counter()
        pdf = export.export_snapshot(ret, out / f"run{n}", ["pdf"])
        t3 = time.perf_counter()
        runs.append(t3 - t0)
        if runs[-1] == min(runs):
            parts = {"审核并定稿": t1 - t0, "Excel": t2 - t1, "PDF": t3 - t2,
                     "Excel大小KB": xlsx[0].stat().st_size / 1024, "PDF大小KB": pdf[0].stat().st_size / 1024}
    return runs[0], min(runs), parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--people", type=int, default=20_000)
    args = parser.parse_args()

    from forms.periods import Period
    from models import unit
    from models.db import open_store
    from models.demo import bulk_people, fill_demo

    period = Period(dt.date.today().year - 1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        demo = open_store(folder / "demo")
        unit.setup(demo, code="530821", head="李国华", statistician="王丽", preparer="张敏", phone="0879-3231234")
        fill_demo(demo, seed=2025)
        first, seconds, parts = _timed(demo, period, folder / "demo-out", args.repeat)
        print(f"演示单位{period}年报 审核+定稿+导出(xlsx+pdf)：{seconds:.2f} 秒，首次（含加载字体等）{first:.2f} 秒"
              f"（目标 ≤ 1 秒）")
        print("  " + "，".join(f"{k} {v:.2f}" for k, v in parts.items()))
        demo.close()

        big = open_store(folder / "big")
        unit.setup(big, code="530821", head="李国华", statistician="王丽", preparer="张敏", phone="0879-3231234")
        bulk_people(big, args.people)
        # bulk_people draws award years independently of birth years; keep every honour at age 20+ so
        # that the return is clean (the timing is of a finalisable return, not of 3,000 warnings)
        big.conn.execute("UPDATE honours SET award_year = (SELECT max(honours.award_year, "
                         "CAST(substr(p.birth_date, 1, 4) AS INTEGER) + 20) FROM people p WHERE p.id = honours.person_id)")
        big.conn.execute("UPDATE honours SET award_year = 2024 WHERE award_year > 2024")
        big.conn.commit()
        first, seconds, parts = _timed(big, period, folder / "big-out", max(1, args.repeat - 1))
        people = big.scalar("SELECT count(*) FROM people")
        print(f"{people}人名册的{period}年报 审核+定稿+导出(xlsx+pdf)：{seconds:.2f} 秒，首次 {first:.2f} 秒"
              f"（目标 ≤ 10 秒）")
        print("  " + "，".join(f"{k} {v:.2f}" for k, v in parts.items()))
        big.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
