"""Mutation run: random changes to a signed workbook and a signed PDF; how many are detected.

    python bench/bench_mutations.py [--workbook 2000] [--pdf 500] [--seed 1]

A demo county return (530821, demo seed 2025) is exported signed once, in a temporary folder.
Workbook: each mutation applies one random change to the package with the signature part kept as it was —
a byte flipped, inserted or deleted in a random part, a part added, removed or renamed, a cell's value
replaced (random sheet and cell), a sheet's visibility changed, the money number format changed, the
signature part itself altered — using the same mutators as ``tests/test_signing_package.py``. A mutation
that leaves every part as it was (possible for a change in the zip container only) is not counted.
PDF: a byte flipped inside the signed byte range, and incremental updates appended after signing (a new
page object, a changed /Info, a redefined font). Each file is verified with ``models.return_io.read_return``
against the exporting unit's own store; "accepted" means the status came out ``valid``.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workbook", type=int, default=2000)
    parser.add_argument("--pdf", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    import datetime as dt

    from signing_support import PASSPHRASE, make_key, setup_unit
    from test_signing_package import apply_mutation, read_parts, write_parts

    from models import export, return_io
    from models.db import open_store
    from models.demo import fill_demo
    from models.signing.provider import FileKeySigner

    rng = random.Random(args.seed)
    kinds = ["flip", "insert", "delete", "add_part", "remove_part", "rename_part", "cell", "state", "numfmt",
             "signature"]
    with tempfile.TemporaryDirectory(prefix="bench-mutations-") as tmp:
        root = Path(tmp)
        store = open_store(root / "store")
        setup_unit(store, "530821")
        fill_demo(store, seed=2025)
        make_key(store)
        from forms.periods import Period

        year = Period(dt.date.today().year - 1)
        xlsx, pdf = export.export_return(store, year, root / "out", signer=FileKeySigner.open(store, PASSPHRASE))
        assert return_io.read_return(xlsx, store).status == "valid"
        names, parts, comment = read_parts(xlsx)
        tried = Counter()
        outcome: Counter[tuple[str, str]] = Counter()
        named = 0
        for i in range(args.workbook):
            kind = rng.choice(kinds)
            mutated = apply_mutation(names, parts, comment, kind, rng.randrange(10**9), rng.randbytes(rng.randint(1, 8)))
            if mutated[1] == parts:
                continue
            target = root / f"m{i % 10}.xlsx"
            write_parts(target, *mutated)
            result = return_io.read_return(target, store)
            tried[kind] += 1
            outcome[(kind, result.status)] += 1
            named += result.status == "tampered" and ("“" in result.reason)
        accepted = sum(n for (k, s), n in outcome.items() if s == "valid")
        print(f"Workbook: {sum(tried.values())} changes tried, {sum(tried.values()) - accepted} detected, "
              f"{accepted} accepted; {named} tampered reports name a sheet, cell or part")
        for kind in kinds:
            by = {s: n for (k, s), n in outcome.items() if k == kind}
            print(f"  {kind:12} {tried[kind]:5}  {by}")
        # PDF
        data = pdf.read_bytes()
        start = data.rindex(b"/ByteRange")
        ranges = [int(v) for v in data[data.index(b"[", start) + 1:data.index(b"]", start)].split()]
        signed_spans = [(ranges[0], ranges[0] + ranges[1]), (ranges[2], ranges[2] + ranges[3])]
        pdf_outcome: Counter[str] = Counter()
        for i in range(args.pdf):
            span = rng.choice(signed_spans)
            at = rng.randrange(*span)
            changed = bytearray(data)
            changed[at] ^= 1 << rng.randrange(8)
            target = root / f"p{i % 10}.pdf"
            target.write_bytes(bytes(changed))
            pdf_outcome[return_io.read_return(target, store).status] += 1
        appended = {
            "new /Info": b"\n99 0 obj\n<< /Title (forged) >>\nendobj\n",
            "new page object": b"\n98 0 obj\n<< /Type /Page /MediaBox [0 0 10 10] >>\nendobj\n",
            "new font": b"\n97 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n",
        }
        incremental: dict[str, str] = {}
        for name, body in appended.items():
            import re

            startxref = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
            root_ref = re.findall(rb"/Root\s+(\d+\s+\d+\s+R)", data)[-1].decode()
            size = int(re.findall(rb"/Size\s+(\d+)", data)[-1])
            number = size + int(body.split()[0]) - 97
            body = re.sub(rb"^\n\d+ 0 obj", f"\n{number} 0 obj".encode(), body)
            offset = len(data) + 1
            update = body + (f"xref\n{number} 1\n{offset:010d} 00000 n \ntrailer\n<< /Size {number + 1} /Prev {startxref} "
                             f"/Root {root_ref} >>\nstartxref\n{len(data) + len(body)}\n%%EOF\n").encode()
            target = root / "inc.pdf"
            target.write_bytes(data + update)
            incremental[name] = return_io.read_return(target, store).status
        accepted_pdf = pdf_outcome.get("valid", 0)
        print(f"PDF: {args.pdf} byte flips inside the signed range, {args.pdf - accepted_pdf} detected "
              f"({dict(pdf_outcome)}); incremental updates: {incremental}")
        store.close()


if __name__ == "__main__":
    main()
