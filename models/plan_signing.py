"""The province's plan of targets (规划目标) signed, installed at every level, passed down unchanged.

The same rules as the return's definition (:mod:`models.definition_signing`): the signature and trust checks
are :mod:`models.province_docs` with kind ``plan``; the store of installed plans is :mod:`models.plans`.

- :func:`sign_plan` (province only) checks the file is a usable plan and signs it;
- :func:`install_signed` verifies a signed file and installs its plan with the signed bytes kept as received,
  so :func:`export_signed` hands the same bytes to the next level down;
- there is no unsigned install: the plan shipped with the program is always installed, any other plan comes
  signed by the province (the province itself installs the file it signed).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from forms.plans import Plan, PlanError, load_plan
from models import plans, province_docs
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

KIND = "plan"


@dataclasses.dataclass(frozen=True)
class InstallOutcome:
    plan: Plan
    signer: SignerInfo
    new: bool  # False: this very file was installed before
    current: bool  # the plan the progress page now measures against (this year)

    def lines(self) -> list[str]:
        p = self.plan
        head = f"已安装规划目标：{p.label}" if self.new else f"此规划目标已安装过（无需重复安装）：{p.label}"
        out = [head, f"指标{len(p.indicators)}项（计入统计{len(p.counted)}项）",
               f"签发：{self.signer.unit_name}（{self.signer.unit_code}），签名时间 {self.signer.signed_at[:19]}"
               .replace("T", " "),
               f"签名证书指纹：{self.signer.grouped}（{self.signer.trusted_by}）"]
        if self.current:
            out.append("“目标完成情况”现按此规划计算")
        return out

    def as_json(self) -> dict[str, Any]:
        p = self.plan
        return {"installed": self.new, "id": p.id, "version": p.version, "title": p.title, "digest": p.digest,
                "signer_name": self.signer.unit_name, "signer_code": self.signer.unit_code,
                "signer_fingerprint": self.signer.fingerprint, "signed_at": self.signer.signed_at,
                "current": self.current}


def read_plain(path: Path) -> bytes:
    """An unsigned plan file's bytes, bounded like a signed one."""
    return read_signed_file(path)


def sign_plan(store: Store, raw: bytes, signer: Signer, *, source: str) -> bytes:
    """The signed file for the plan file's bytes ``raw`` (checked first: only a usable plan is signed)."""
    check_can_sign(store, KIND)
    load_plan(raw, source=source)
    return sign_document(store, raw, KIND, signer)


def sign_plan_file(store: Store, path: Path, signer: Signer, out: Path) -> Plan:
    """Sign the plan file ``path`` into ``out`` (written atomically); the signed plan."""
    return province_docs.sign_file(store, KIND, path, signer, out, load_plan)


def install_signed(store: Store, data: bytes, *, source: str) -> InstallOutcome:
    """Verify a signed plan file and install it; :class:`ProvinceDocumentError` names ``source`` and the reason."""
    opened = open_document(data, KIND, store, source=source)
    try:
        plan = load_plan(opened.raw, source=source)
    except PlanError as exc:
        raise ProvinceDocumentError(f"“{source}”签名完好，但其中不是可用的规划目标：{exc}") from None
    try:
        plan, new = plans.install_plan(store, opened.raw, source=source, signer_name=opened.signer.unit_name,
                                       signer_fingerprint=opened.signer.fingerprint, signed_package=opened.package)
    except StoreError as exc:  # the same id and version with other content, or the store cannot be written
        raise ProvinceDocumentError(f"“{source}”未安装：{exc}") from None
    return InstallOutcome(plan, opened.signer, new, plans.current_plan(store).digest == plan.digest)


def install_signed_file(store: Store, path: Path) -> InstallOutcome:
    return install_signed(store, read_signed_file(path), source=path.name)


def signed_package(store: Store, digest: str) -> bytes | None:
    return province_docs.signed_package(store, KIND, digest)


def find(store: Store, ref: str) -> plans.InstalledPlan:
    """An installed (not shipped) plan by ``ID/VERSION`` or ``ID:VERSION``, ``ID`` (highest version),
    ``VERSION`` when one id, or a digest prefix of at least 8 characters."""
    known = [i for i in plans.installed(store) if not i.shipped]
    return province_docs.find_installed(known, ref, KIND, lambda i: i.plan)


def export_signed(store: Store, ref: str, out: Path) -> plans.InstalledPlan:
    """Write the signed file of an installed plan, byte for byte as received, to ``out``."""
    entry = find(store, ref)
    province_docs.export_package(store, KIND, entry.plan, out)
    return entry


def default_file_name(plan: Plan) -> str:
    return province_docs.default_file_name(KIND, plan)


# The interface this module shares with its sibling (the 报表制度 and 规划目标 dialogs use either)
load = load_plan
sign_file = sign_plan_file


@dataclasses.dataclass(frozen=True)
class Row:
    entry: plans.InstalledPlan
    current: bool
    exportable: bool

    def as_json(self) -> dict[str, Any]:
        return {**self.entry.as_dict(), "installed_at": self.entry.installed_at or None,
                "source": self.entry.source or None, "signer_name": self.entry.signer_name or None,
                "signer_fingerprint": self.entry.signer_fingerprint or None, "current": self.current,
                "signed_file_kept": self.exportable}


def listing(store: Store) -> list[Row]:
    """Every plan this store knows (the shipped one first), which one is current, which can be passed down."""
    current = plans.current_plan(store).digest
    return [Row(entry, entry.plan.digest == current,
                not entry.shipped and signed_package(store, entry.plan.digest) is not None)
            for entry in plans.installed(store)]
