"""Benchmark: verifying hostile files is bounded in time and memory.

    python bench/bench_hostile.py

A genuine signed county return (530821, demo seed 1) is built in a temporary folder, then each hostile file
of ``tests/hostile_files.py`` (a cell at XFD1048576 or XFD10000, a huge declared dimension, a megabyte of cell
start tags that never end, 2.3 million
small cells, 990,000 cells (just inside the limits, read in full), an extra part whose directory entry
claims 2 GiB, a 2 GiB sparse file, a compression bomb,
5,000 zip entries, a stream longer than declared, a FIFO, a symlink to /dev/zero, an empty file) and the
genuine file itself. Each file is verified (``models.return_io.read_return``) in a fresh Python process
that has already imported the program's modules; the child reports the wall time of the verification and
its peak resident memory (``VmHWM`` of ``/proc/self/status``; ``ru_maxrss`` is not used because Linux carries
it over from the forking parent), and the parent kills it after
30 s. Target (issue): every hostile file ``malformed`` in under 5 s and under 300 MB.
Linux only (FIFO, /dev/zero, ``/proc``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[2])
from models import return_io
import python_calamine, pyhanko.sign.validation  # imported before the clock, as in a running program
def hwm():
    with open("/proc/self/status", encoding="utf-8") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))
base = hwm()
start = time.perf_counter()
result = return_io.read_return(sys.argv[1])
elapsed = time.perf_counter() - start
peak = hwm()
print(json.dumps({"status": result.status, "reason": result.reason, "seconds": elapsed,
                  "peak_mb": peak / 1024, "base_mb": base / 1024}, ensure_ascii=False))
"""


def main() -> None:
    import hostile_files as H
    from consolidation_support import build_county

    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        root = Path(tmp)
        county = build_county(root / "county", "530821", 1, formats=("xlsx",))
        source = county.xlsx
        usb = root / "U盘"
        usb.mkdir()
        cases = {
            "genuine return": lambda t: Path(t.write_bytes(source.read_bytes()) and t),
            "cell at XFD1048576": lambda t: H.far_cell(source, t),
            "cell at XFD10000": lambda t: H.far_cell(source, t, "XFD10000"),
            "cell at XFD400000, prefix my-ns:": lambda t: H.far_cell(source, t, "XFD400000", "my-ns:"),
            "cell at A40, r again far away": lambda t: H.second_position(source, t),
            "cell at A40, quoted > hides r": lambda t: H.second_position(source, t, between=' x=">"'),
            "2e9 shared strings claimed": lambda t: H.strings_count(source, t),
            "sheet moved out, cell far away": lambda t: H.moved_sheet(source, t),
            "huge <dimension>": lambda t: H.far_dimension(source, t),
            "1 MB of tags without an end": lambda t: H.endless_tags(source, t),
            "2.3 million cells (56 MB sheet)": lambda t: H.many_cells(source, t),
            "990,000 cells, signed": lambda t: H.many_cells(source, t, rows=10_000, cols=90),
            "990,000 cells, sig removed": lambda t: H.many_cells(source, t, rows=10_000, cols=90,
                                                                   keep_signature=False),
            "extra part claims 2 GiB": lambda t: H.extra_part_claimed_huge(source, t),
            "2 GiB sparse file": lambda t: H.sparse_big(source, t),
            "compression bomb": lambda t: H.compression_bomb(t),
            "5000 zip entries": lambda t: H.many_entries(t),
            "stream longer than declared": lambda t: H.deflate_lies(source, t),
            "FIFO": lambda t: H.fifo(t),
            "symlink to /dev/zero": lambda t: H.device_link(t),
        }
        print(f"{'file':32} {'status':10} {'seconds':>8} {'peak MB':>8} {'(baseline MB)':>14}  reason")
        for index, (name, make) in enumerate(cases.items()):
            path = make(usb / f"{index:02d}.xlsx")
            try:
                proc = subprocess.run([sys.executable, "-c", CHILD, str(path), str(ROOT)], capture_output=True,
                                      timeout=30, check=False)
                out = json.loads(proc.stdout.decode("utf-8")) if proc.returncode == 0 else \
                    {"status": f"exit {proc.returncode}", "reason": proc.stderr.decode("utf-8", "replace")[-200:],
                     "seconds": float("nan"), "peak_mb": float("nan"), "base_mb": float("nan")}
            except subprocess.TimeoutExpired:
                out = {"status": "TIMEOUT", "reason": "> 30 s", "seconds": 30.0, "peak_mb": float("nan"),
                       "base_mb": float("nan")}
            print(f"{name:32} {out['status']:10} {out['seconds']:8.3f} {out['peak_mb']:8.0f} {out['base_mb']:14.0f}  "
                  f"{out['reason'][:60]}")


if __name__ == "__main__":
    main()
