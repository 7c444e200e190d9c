"""Figures for backup and restore: the demo store and a 50,000-person store.

    python bench/bench_backup.py [--repeat 3] [--people 50000]

Two stores are made in a temporary folder before any clock starts: the demo store (unit 530821,
``models.demo.fill_demo``, seed 2025) and a large one (the same unit, ``models.demo.bulk_people``).
For each, in one process with the store open (as the program has it open):

- **backup**: ``models.backup.write_backup`` into a folder: online copy of the database, ZIP
  (deflate level 1), then the full read-back check (every member's SHA-256, ``integrity_check``,
  the record digest). Median of ``--repeat`` runs.
- **snapshot**: ``models.backup.snapshot`` (the same file into ``snapshots/``, plus pruning), as done
  before every import, finalise, receive, restore; median.
- **restore**: ``models.backup.restore_backup`` of that backup into the open store: full check of the
  file, a snapshot of the current data, then the copy into the live store in one transaction; median.

Prints the store and backup sizes too. No targets in the issue; the note reports the figures.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _median(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--people", type=int, default=50_000)
    args = parser.parse_args()
    from models import backup, unit
    from models.db import open_store
    from models.demo import bulk_people, fill_demo

    print(f"# {platform.system()} {platform.machine()}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        stores = {}
        for label in ("demo", f"{args.people} people"):
            folder = tmp / label.replace(" ", "_")
            store = open_store(folder)
            unit.setup(store, code="530821", head="李国华", statistician="王丽", preparer="张敏", phone="0879-3231234")
            fill_demo(store, seed=2025)
            if label != "demo":
                bulk_people(store, args.people)
            stores[label] = store
        for label, store in stores.items():
            out = tmp / f"out-{label.replace(' ', '_')}"
            made = []

            def do_backup() -> None:
                made.append(backup.write_backup(store, out, file_name=f"b{len(made)}.zip"))  # noqa: B023

            t_backup = _median(do_backup, args.repeat)
            t_snapshot = _median(lambda: backup.snapshot(store, "import"), args.repeat)  # noqa: B023
            t_restore = _median(lambda: backup.restore_backup(store, made[0].path), args.repeat)  # noqa: B023
            assert store.path is not None
            size_db = store.path.stat().st_size + (store.path.with_name(store.path.name + "-wal").stat().st_size
                                                   if store.path.with_name(store.path.name + "-wal").exists() else 0)
            print(f"{label}: store {size_db / 1e6:.1f} MB, backup file {made[0].size / 1e6:.2f} MB; "
                  f"backup {t_backup:.2f} s, snapshot {t_snapshot:.2f} s, restore {t_restore:.2f} s "
                  f"(median of {args.repeat})")
            store.close()


if __name__ == "__main__":
    main()
