"""A three-level run over several years, for the progress tests: two counties of 普洱市, the prefecture and
the province.

* 宁洱 (530821) finalises and sends its returns of 2021, 2022 and 2023;
* 墨江 (530822) finalises all three years but sends only 2021 and 2023 (its 2022 return is missing upward);
* 普洱市 (530800) receives them and consolidates 2021, 2022 and 2023;
* the province (530000) receives 普洱市's 2021 and 2023 consolidated returns and consolidates those two years
  (its 2022 return is missing).

Built once per test session into a temporary folder (signing takes a moment); tests copy the data folders
they write to.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from consolidation_support import make_key, setup_unit, signer

from models.db import Store, open_store

YEARS = (2021, 2022, 2023)
TODAY = dt.date(2024, 3, 1)
COUNTIES = {"530821": 1, "530822": 2}
SENT = {"530821": YEARS, "530822": (2021, 2023)}
PREFECTURE = "530800"
PROVINCE = "530000"
PROVINCE_YEARS = (2021, 2023)


@dataclass(frozen=True)
class Run:
    root: Path
    folders: dict[str, Path]  # unit code → data folder

    def copy(self, code: str, target: Path) -> Store:
        shutil.copytree(self.folders[code], target)
        return open_store(target)

    def open(self, code: str) -> Store:
        """The shared data folder (read only: do not write)."""
        return open_store(self.folders[code])


def _export(store: Store, years: tuple[int, ...], out: Path) -> None:
    from forms.periods import Period
    from models import export
    from models.demo import finalise_demo_year

    for year in years:
        version = finalise_demo_year(store, year, TODAY)
        export.export_return(store, Period(year), out, ["xlsx"], version=version, signer=signer(store))


def _certificate(store: Store, folder: Path) -> Path:
    from models.signing.register_form import export_registration

    return export_registration(store, folder).certificate


def build(root: Path) -> Run:
    from models import receiving
    from models.demo import fill_demo, fill_years
    from models.signing import trust

    folders: dict[str, Path] = {}
    certs: dict[str, Path] = {}
    for code, seed in COUNTIES.items():
        store = open_store(root / code / "数据")
        try:
            setup_unit(store, code)
            fill_demo(store, seed=seed, today=TODAY)
            fill_years(store, YEARS, seed=seed, today=TODAY)
            make_key(store)
            _export(store, SENT[code], root / code / "上报")
            certs[code] = _certificate(store, root / code / "证书")
        finally:
            store.close()
        folders[code] = root / code / "数据"

    store = open_store(root / PREFECTURE / "数据")
    try:
        setup_unit(store, PREFECTURE)
        make_key(store)
        for code in COUNTIES:
            trust.register(store, certs[code])
            receiving.receive_files(store, [root / code / "上报"], today=TODAY)
        _export(store, YEARS, root / PREFECTURE / "上报")
        certs[PREFECTURE] = _certificate(store, root / PREFECTURE / "证书")
    finally:
        store.close()
    folders[PREFECTURE] = root / PREFECTURE / "数据"

    store = open_store(root / PROVINCE / "数据")
    try:
        setup_unit(store, PROVINCE)
        make_key(store)
        trust.register(store, certs[PREFECTURE])
        files = [root / PREFECTURE / "上报" / f"{PREFECTURE}_{y}_v1.xlsx" for y in PROVINCE_YEARS]
        receiving.receive_files(store, files, today=TODAY)
        _export(store, PROVINCE_YEARS, root / PROVINCE / "上报")
    finally:
        store.close()
    folders[PROVINCE] = root / PROVINCE / "数据"
    return Run(root, folders)


_BUILT: list[Run] = []


def three_levels(base: Path) -> Run:
    """The run, built once per test process (into ``base`` the first time it is asked for): every module that
    needs it shares it; none writes to it (``Run.copy``)."""
    if not _BUILT:
        _BUILT.append(build(base))
    return _BUILT[0]
