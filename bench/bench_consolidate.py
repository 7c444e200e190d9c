"""Benchmark: receive, verify and consolidate the returns of all 129 counties (target ≤ 3 s).

Method. Before the clock starts: one county store is filled with the demo data and its annual return
for last year computed; for each of Yunnan's 129 counties that return is given the county's code and
name, a key pair and certificate naming the county are made, and the return is written as a signed
Excel file (``models.export.export_snapshot`` with the county's signer: the same writer and signature a
county's export uses) into a folder per prefecture. Each of the 16 prefectures gets its own store (a
file in a temporary folder) that has registered its counties' certificates.

Timed: for each prefecture, ``receiving.receive_files`` on its folder (read each workbook, verify the
signature against the registry, check the visible sheets against the signed data, store) and
``consolidate.consolidate_period`` (own return + the received ones, table by table). The figure is the
sum over the 16 prefectures, i.e. the work for all 129 county returns; the first pass is printed too,
then the best of ``--repeat`` passes (each pass uses fresh prefecture stores). Also printed: the cost per
file of verifying the PDF copies (not part of the figure: the data comes from the Excel files).
Run: ``python bench/bench_consolidate.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forms.periods import Period

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSPHRASE = "bench-passphrase"


def _county_signer(code: str, name: str):  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.asymmetric import ec

    from models.signing.keys import build_certificate
    from models.signing.provider import FileKeySigner

    key = ec.generate_private_key(ec.SECP256R1())
    return FileKeySigner.with_certificate(build_certificate(key, code, name), key)


def _prepare(folder: Path, period: Period) -> tuple[dict[str, list[bytes]], int]:
    """Signed county workbooks in ``folder/<prefecture>/``; returns the certificates (PEM) per prefecture."""
    from forms import divisions
    from models import returns, unit
    from models.db import open_store
    from models.demo import fill_demo
    from models.export import export_snapshot
    from models.signing.keys import certificate_pem

    demo = open_store(folder / "demo")
    unit.setup(demo, code="530821", head="李国华", statistician="王丽", preparer="张敏", phone="0879-3231234")
    fill_demo(demo, seed=2025)
    template = returns.compute(demo, period)
    demo.close()
    template.version, template.finalised_at = 1, f"{dt.date.today().year}-01-15T10:00:00"
    certs: dict[str, list[bytes]] = {}
    count = 0
    for prefecture in divisions.children(divisions.PROVINCE_CODE):
        certs[prefecture.code] = []
        for county in divisions.children(prefecture.code):
            ret = dataclasses.replace(template, unit_code=county.code, unit_name=county.union_name,
                                      parent_code=prefecture.code)
            signer = _county_signer(county.code, county.union_name)
            export_snapshot(ret, folder / prefecture.code, ["xlsx"], signer=signer)
            certs[prefecture.code].append(certificate_pem(signer.certificate).encode("ascii"))
            count += 1
    return certs, count


def _pass(folder: Path, certs: dict[str, list[bytes]], period: Period, tag: str) -> tuple[float, float, float, int]:
    """(receive seconds, consolidate seconds, total, files accepted) over the 16 prefectures."""
    from models import consolidate, receiving, unit
    from models.db import open_store
    from models.signing import trust

    receive_time = consolidate_time = 0.0
    accepted = 0
    for code, pems in certs.items():
        store = open_store(folder / f"{tag}-{code}")
        unit.setup(store, code=code, head="张三", statistician="李四", preparer="王五", phone="0879-3231234")
        for pem in pems:
            trust.register(store, pem)
        t0 = time.perf_counter()
        results = receiving.receive_files(store, [folder / code])
        t1 = time.perf_counter()
        result = consolidate.consolidate_period(store, period)
        t2 = time.perf_counter()
        store.close()
        receive_time += t1 - t0
        consolidate_time += t2 - t1
        accepted += sum(1 for r in results if r.outcome == receiving.ACCEPTED)
        assert result.coverage["reported"] == len(pems), result.coverage_text
    return receive_time, consolidate_time, receive_time + consolidate_time, accepted


def _pdf_cost(folder: Path, period: Period) -> float:
    """Seconds to verify one signed PDF copy (mean of a few)."""
    from models import returns, unit
    from models.db import open_store
    from models.export import export_snapshot
    from models.receiving import inspect_file

    store = open_store(folder / "pdf")
    unit.setup(store, code="530800", head="张三", statistician="李四", preparer="王五", phone="0879-3231234")
    demo = open_store(folder / "demo")
    ret = returns.compute(demo, period)
    demo.close()
    ret.version = 1
    pdf = export_snapshot(ret, folder / "pdf-out", ["pdf"], signer=_county_signer("530821", "宁洱哈尼族彝族自治县总工会"))[0]
    inspect_file(store, pdf)
    t0 = time.perf_counter()
    for _ in range(5):
        inspect_file(store, pdf)
    store.close()
    return (time.perf_counter() - t0) / 5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from forms.periods import Period

    period = Period(dt.date.today().year - 1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        certs, count = _prepare(folder, period)
        print(f"准备：{count} 个县级报表（已签名 Excel），用时 {time.perf_counter() - t0:.1f} 秒（不计入）")
        runs = []
        for n in range(max(args.repeat, 1)):
            receive_time, consolidate_time, total, accepted = _pass(folder, certs, period, f"run{n}")
            assert accepted == count, accepted
            runs.append((total, receive_time, consolidate_time))
            label = "首次" if n == 0 else f"第{n + 1}次"
            print(f"{label}：接收并验证 {receive_time:.2f} 秒 + 汇总 {consolidate_time:.2f} 秒 = {total:.2f} 秒")
        best = min(runs)
        print(f"结果：接收、验证并汇总 {count} 个县级报表（16 个州市）最快 {best[0]:.2f} 秒"
              f"（每个文件 {1000 * best[1] / count:.1f} 毫秒；目标 ≤ 3 秒）")
        print(f"另：核验一个已签名的 PDF 副本约 {1000 * _pdf_cost(folder, period):.0f} 毫秒（不计入，数据以 Excel 为准）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
