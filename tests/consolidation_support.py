"""Helpers for the consolidation tests: county stores with demo data and keys, their signed exports, and
receiving (prefecture) stores that registered their certificates.

Building a county (demo data, key, signed Excel and PDF) takes a second or two, so :func:`county_exports`
builds the counties once per test session into a temporary folder; tests copy the files they need and
never write there.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from forms.periods import parse_period
from models.db import Store, open_store

YEAR = str(dt.date.today().year - 1)
PERIOD = parse_period(YEAR)
PASSPHRASE = "普洱-汇总-茶山-2026"
PREFECTURE = "530800"
COUNTIES = {"530821": 1, "530822": 2, "530823": 3}  # code → demo seed (普洱市's 宁洱, 墨江, 景东)
FOREIGN = "530102"  # 五华区, under 昆明市 (530100)


@dataclass(frozen=True)
class County:
    code: str
    folder: Path  # its data folder
    files: Path  # its exported, signed files (xlsx + pdf, version 1)
    cert: Path  # its certificate file (for ``trust add``)

    @property
    def xlsx(self) -> Path:
        return self.files / f"{self.code}_{YEAR}_v1.xlsx"

    @property
    def pdf(self) -> Path:
        return self.files / f"{self.code}_{YEAR}_v1.pdf"


def setup_unit(store: Store, code: str) -> None:
    from models import unit

    unit.setup(store, code=code, head="李国华", statistician="王丽", preparer="张敏", phone="0879-3231234")


def make_key(store: Store) -> None:
    from models.signing import keys

    keys.create_key(store, PASSPHRASE, PASSPHRASE)


def signer(store: Store):  # type: ignore[no-untyped-def]
    from models.signing.provider import FileKeySigner

    return FileKeySigner.open(store, PASSPHRASE)


def shared_person() -> dict[str, object]:
    """One 劳动模范 entered by two counties (the same ID number): consolidation must flag him."""
    from common.ids import make_id_number

    return {"name": "岩温", "sex": "男", "ethnicity": "傣族", "birth_date": "1976-03-14",
            "id_number": make_id_number("530821", dt.date(1976, 3, 14), 7, "男"),
            "employer": "普洱茶业集团", "employer_nature": "国有企业", "status": "在职", "frontline": True}


def add_shared_person(store: Store) -> None:
    from models import records

    records.save(store, "people", shared_person(),
                 children={"honours": [{"title": "云南省劳动模范", "category": "劳动模范/先进工作者", "level": "省部级",
                                        "award_year": 2015}]})


def build_county(root: Path, code: str, seed: int, *, shared: bool = False, formats: tuple[str, ...] = ("xlsx", "pdf"),
                 ) -> County:
    """A county store with demo data and a key; its return for YEAR exported and signed (version 1)."""
    from models import export
    from models.demo import fill_demo
    from models.signing.register_form import export_registration

    folder = root / code
    store = open_store(folder / "数据")
    try:
        setup_unit(store, code)
        fill_demo(store, seed=seed)
        if shared:
            add_shared_person(store)
        make_key(store)
        export.export_return(store, PERIOD, folder / "导出", list(formats), signer=signer(store))
        cert = export_registration(store, folder / "证书").certificate
    finally:
        store.close()
    return County(code, folder / "数据", folder / "导出", cert)


_BUILT: dict[str, dict[str, County]] = {}


def county_exports(base: Path) -> dict[str, County]:
    """The three counties of 普洱市 (two of them list the same person) and one county of 昆明市, built once."""
    key = str(base)
    if key not in _BUILT:
        counties = {code: build_county(base, code, seed, shared=code in ("530821", "530823"))
                    for code, seed in COUNTIES.items()}
        counties[FOREIGN] = build_county(base, FOREIGN, 9)
        _BUILT[key] = counties
    return _BUILT[key]


def receiving_store(folder: Path, code: str = PREFECTURE, counties: dict[str, County] | None = None,
                    *, key: bool = True) -> Store:
    """A superior unit's store; it has registered the certificates of ``counties`` (those that are its own)."""
    from models.signing import trust

    store = open_store(folder)
    setup_unit(store, code)
    if key:
        make_key(store)
    for county in (counties or {}).values():
        if county.code != FOREIGN:
            trust.register(store, county.cert)
    return store


def copy_files(files: list[Path], target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    out = []
    for f in files:
        dest = target / f.name
        shutil.copy2(f, dest)
        out.append(dest)
    return out


def tamper_xlsx(source: Path, target: Path) -> Path:
    """A copy of a signed workbook whose embedded data was changed after signing (one number raised)."""
    import zipfile

    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/sharedStrings.xml":
                text = data.decode("utf-8")
                marker = '"participants":'
                at = text.index(marker) + len(marker)
                data = (text[:at] + "9" + text[at:]).encode("utf-8")
            zout.writestr(item, data)
    return target


def open_county_copy(county: County, target: Path) -> Store:
    """A writable copy of a county's data folder (the shared one is never written)."""
    shutil.copytree(county.folder, target)
    return open_store(target)
