"""The return's definition (报表制度) signed by the province, installed at every level, passed down unchanged.

The signature and trust rules are :mod:`models.province_docs` (kind ``definition``); the store of installed
definitions is :mod:`models.definitions`. This module joins them:

- :func:`sign_definition` (province only) checks the file is a definition and signs it;
- :func:`install_signed` verifies a signed file and installs its definition with the signed bytes kept as
  received, so :func:`export_signed` hands the same bytes to the next level down;
- :func:`listing` says, for each definition this store knows, which years use it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from forms.definition import Definition, DefinitionError, load_definition, shipped_definition
from models import definitions, province_docs
from models.db import Store, StoreError
from models.province_docs import (
    ProvinceDocumentError,
    SignerInfo,
    check_can_sign,
    open_document,
    read_signed_file,
    sign_document,
)
from models.signing.provider import Signer

KIND = "definition"
YEARS_SHOWN = 5  # years either side of this one listed under 使用年度


@dataclasses.dataclass(frozen=True)
class InstallOutcome:
    definition: Definition
    signer: SignerInfo
    new: bool  # False: this very file was installed before (or is the shipped definition)
    used_for: list[int]  # years within the definition's range that now use it
    superseded: list[int]  # years within its range that use another (higher) version

    def lines(self) -> list[str]:
        d = self.definition
        head = f"已安装：{d.label}" if self.new else f"已安装过（无需重复安装）：{d.label}"
        out = [head, f"签发：{self.signer.unit_name}（{self.signer.unit_code}），签名时间 {self.signer.signed_at[:19]}"
                     .replace("T", " "),
               f"签名证书指纹：{self.signer.grouped}（{self.signer.trusted_by}）"]
        if self.used_for:
            out.append(f"适用年度中使用此版本的：{year_ranges(self.used_for)}")
        if self.superseded:
            out.append(f"注意：{year_ranges(self.superseded)}仍使用已安装的更高版本，此版本只用于重新显示和核验按它编制的旧报表")
        return out


def year_ranges(years: list[int]) -> str:
    """[2021, 2022, 2023, 2026] → ``2021—2023年、2026年``."""
    runs: list[list[int]] = []
    for year in sorted(set(years)):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return "、".join(f"{r[0]}年" if len(r) == 1 else f"{r[0]}—{r[-1]}年" for r in runs)


def sign_definition(store: Store, raw: bytes, signer: Signer, *, source: str) -> bytes:
    """The signed file for the definition file's bytes ``raw`` (checked first: only a valid definition is signed)."""
    check_can_sign(store, KIND)
    load_definition(raw, source=source)
    return sign_document(store, raw, KIND, signer)


def sign_definition_file(store: Store, path: Path, signer: Signer, out: Path) -> Definition:
    """Sign the definition file ``path`` into ``out`` (written atomically); the signed definition."""
    return province_docs.sign_file(store, KIND, path, signer, out, load_definition)


def read_plain(path: Path) -> bytes:
    """An unsigned definition file's bytes, bounded like a signed one."""
    return read_signed_file(path)


def install_signed(store: Store, data: bytes, *, source: str) -> InstallOutcome:
    """Verify a signed definition file and install it; :class:`ProvinceDocumentError`/:class:`DefinitionError`
    (both ``UserError``) name ``source`` and the reason when refused."""
    opened = open_document(data, KIND, store, source=source)
    try:
        defn = load_definition(opened.raw, source=source)
    except DefinitionError as exc:
        raise ProvinceDocumentError(f"“{source}”签名完好，但其中不是可用的报表制度：{exc}") from None
    shipped = shipped_definition()
    if (defn.id, defn.version) == (shipped.id, shipped.version) and defn.digest != shipped.digest:
        raise ProvinceDocumentError(f"“{source}”未安装：它是“{defn.title}”第{defn.version}版，但内容与程序自带的同一版本不同。"
                                    "同一版本号的报表制度不能更换，请向省总工会核实")
    try:
        new = definitions.install(store, defn, source=source, signer_name=opened.signer.unit_name,
                                  signer_fingerprint=opened.signer.fingerprint, signed_package=opened.package)
    except StoreError as exc:  # the same id and version with other content, or the store cannot be written
        raise ProvinceDocumentError(f"“{source}”未安装：{exc}") from None
    used, other = _years(store, defn)
    return InstallOutcome(defn, opened.signer, new, used, other)


def install_signed_file(store: Store, path: Path) -> InstallOutcome:
    return install_signed(store, read_signed_file(path), source=path.name)


def _years(store: Store, defn: Definition) -> tuple[list[int], list[int]]:
    used: list[int] = []
    other: list[int] = []
    for year in range(defn.year_from, defn.year_to + 1):
        (used if definitions.definition_for(store, year).digest == defn.digest else other).append(year)
    return used, other


def signed_package(store: Store, digest: str) -> bytes | None:
    return province_docs.signed_package(store, KIND, digest)


def find(store: Store, ref: str) -> definitions.Installed:
    """An installed definition by ``ID/VERSION`` (``yn-changai-return/2``), ``ID``, ``VERSION`` or digest prefix."""
    known = [i for i in definitions.installed(store) if not i.shipped]
    return province_docs.find_installed(known, ref, KIND, lambda i: i.definition)


def export_signed(store: Store, ref: str, out: Path) -> definitions.Installed:
    """Write the signed file of an installed definition, byte for byte as received, to ``out``."""
    entry = find(store, ref)
    province_docs.export_package(store, KIND, entry.definition, out)
    return entry


def default_file_name(defn: Definition) -> str:
    return province_docs.default_file_name(KIND, defn)


# The interface this module shares with its sibling (the 报表制度 and 规划目标 dialogs use either)
load = load_definition
sign_file = sign_definition_file


@dataclasses.dataclass(frozen=True)
class Row:
    entry: definitions.Installed
    years_used: list[int]  # years near today that use it
    exportable: bool

    def as_json(self) -> dict[str, Any]:
        d = self.entry.definition
        return {"id": d.id, "version": d.version, "title": d.title, "authority": d.authority,
                "year_from": d.year_from, "year_to": d.year_to, "digest": d.digest, "shipped": self.entry.shipped,
                "installed_at": self.entry.installed_at or None, "source": self.entry.source or None,
                "signer_name": self.entry.signer_name or None, "signer_fingerprint": self.entry.signer_fingerprint or None,
                "years_used": self.years_used, "signed_file_kept": self.exportable}

    @property
    def years_text(self) -> str:
        return year_ranges(self.years_used) if self.years_used else "无"


def listing(store: Store, today: dt.date | None = None) -> list[Row]:
    """Every definition this store knows, with the years (this year ± :data:`YEARS_SHOWN`) that use each."""
    year = (today or dt.date.today()).year
    users: dict[str, list[int]] = {}
    for y in range(year - YEARS_SHOWN, year + YEARS_SHOWN + 1):
        used = definitions.definition_for(store, y)
        if used.covers(y):
            users.setdefault(used.digest, []).append(y)
    rows = []
    for entry in definitions.installed(store):
        digest = entry.definition.digest
        kept = not entry.shipped and signed_package(store, digest) is not None
        rows.append(Row(entry, users.get(digest, []), kept))
    return rows
