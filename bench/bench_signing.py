"""Benchmark: what signing adds to an export, and verifying one county return.

    python bench/bench_signing.py [--repeat 7]

The demo county (530821 with the demo data) finalises last year's return once; then version 1 is
exported again and again, unsigned and signed, so the difference is the signing alone (opening the
key with its passphrase, the signature over the canonical data for the workbook, the PAdES signature
with its visible box for the PDF). Verification reads the signed .xlsx (signature, embedded data,
visible cells against the signed data) and the signed .pdf, as ``main.py verify`` does.
Each figure is the best of ``--repeat`` runs; the first (cold) run is printed too: it includes
importing the signing modules. "sign PDF" is a PDF written with its stamp and signed, less one written plain.
Targets (issue): signing adds at most 0.3 s to an export; verifying one county return at most 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSPHRASE = "bench-passphrase-1"


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(first run, best run, last result) in seconds."""
    runs: list[float] = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return runs[0], min(runs), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from forms.periods import Period
    from models import export, return_io, unit, versions
    from models.db import open_store
    from models.demo import fill_demo
    from models.signing import keys
    from models.signing.provider import FileKeySigner

    year = Period(dt.date.today().year - 1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = open_store(folder / "data")
        unit.setup(store, code="530821", head="李国华", statistician="王丽", preparer="张敏", phone="0879-3231234")
        fill_demo(store, seed=2025)
        keys.create_key(store, PASSPHRASE, PASSPHRASE)
        versions.finalise(store, year)
        out = folder / "out"

        def plain() -> list[Path]:
            return export.export_return(store, year, out / "plain", version=1)

        def signed() -> list[Path]:
            signer = FileKeySigner.open(store, PASSPHRASE)  # the passphrase is asked once per export
            return export.export_return(store, year, out / "signed", version=1, signer=signer)

        first_signed, best_signed, files = timed(signed, args.repeat)  # cold first: imports
        first_plain, best_plain, _ = timed(plain, args.repeat)
        signer = FileKeySigner.open(store, PASSPHRASE)
        _, best_open, _ = timed(lambda: FileKeySigner.open(store, PASSPHRASE), args.repeat)
        from models.export_pdf import write_pdf
        from models.returns import canonical_bytes
        from models.signing.payload import sign_payload
        from models.signing.pdf import complete, prepare

        ret = versions.load_version(store, year, 1)
        assert ret is not None
        data = canonical_bytes(ret)
        _, best_payload, _ = timed(lambda: sign_payload(signer, data), args.repeat)

        def sign_pdf() -> None:  # the stamp drawn on the cover while it is written, then the file signed in place
            stamp = prepare(signer, unit_name=ret.unit_name, unit_code=ret.unit_code, rect=(325, 132, 555, 242))
            path = out / "stamped.pdf"
            write_pdf(ret, path, stamp=stamp)
            complete(path, stamp, signer)

        _, best_whole_pdf, _ = timed(sign_pdf, args.repeat)
        _, best_plain_pdf, _ = timed(lambda: write_pdf(ret, out / "plain.pdf"), args.repeat)
        best_pdf = best_whole_pdf - best_plain_pdf

        xlsx, pdf = files
        results: dict[str, tuple[float, float, str]] = {}
        for path in (xlsx, pdf):
            first, best, result = timed(lambda p=path: return_io.read_return(p, store), args.repeat)
            results[path.suffix] = (first, best, result.status)
        store.close()

    print(f"export (xlsx + pdf) of version 1, unsigned: best {best_plain:.3f} s (first {first_plain:.3f} s)")
    print(f"export (xlsx + pdf) of version 1, signed:   best {best_signed:.3f} s (first {first_signed:.3f} s)")
    print(f"signing adds to an export:                  {best_signed - best_plain:.3f} s   (target <= 0.3 s)")
    print(f"  of which: open key with passphrase {best_open * 1000:.1f} ms, sign canonical data "
          f"{best_payload * 1000:.1f} ms, stamp and sign the PDF {best_pdf * 1000:.1f} ms")
    for suffix, (first, best, status) in results.items():
        print(f"verify one county return ({suffix}): best {best * 1000:.1f} ms (first {first * 1000:.1f} ms), "
              f"status {status}   (target <= 50 ms)")
    both = results[".xlsx"][1] + results[".pdf"][1]
    print(f"verify both files of the return:            {both * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
