"""The plans of targets installed in a store (规划目标): which one the progress page measures against.

The plan shipped with the program is always known. Installed plans are never removed, like return
definitions: a progress report names its plan's digest, and :func:`by_digest` finds it again.
Signature checks (only the province's signed files install) sit above :func:`install_plan`, which
takes what they found out about the signer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from forms.plans import Plan, PlanError, load_plan, shipped_plan
from models.db import Store, StoreError, now


@dataclasses.dataclass(frozen=True)
class InstalledPlan:
    plan: Plan
    installed_at: str
    source: str  # file name it was installed from ("" for the shipped one)
    signer_name: str
    signer_fingerprint: str
    shipped: bool = False

    def as_dict(self) -> dict[str, object]:
        from forms.plans import plan_summary

        return {**plan_summary(self.plan), "installed_at": self.installed_at, "source": self.source,
                "signer_name": self.signer_name, "signer_fingerprint": self.signer_fingerprint, "shipped": self.shipped}


def install_plan(store: Store, raw: bytes, *, source: str = "", signer_name: str = "", signer_fingerprint: str = "",
                 signed_package: bytes | None = None) -> tuple[Plan, bool]:
    """Check the plan file's bytes and record them; (plan, False) when this exact file was installed before.

    :class:`forms.plans.PlanError` for a file that is not a usable plan; a different file with the id and
    version of an installed one is refused (the province must raise the version number to change a plan).
    """
    plan = load_plan(raw, source=source or "规划目标文件")
    if plan.digest == shipped_plan().digest or by_digest(store, plan.digest, include_shipped=False):
        return plan, False
    shipped = shipped_plan()
    clash = store.scalar("SELECT digest FROM plans WHERE plan_id = ? AND version = ?", (plan.id, plan.version))
    if clash or (plan.id == shipped.id and plan.version == shipped.version):
        raise StoreError(f"已有另一份“{plan.title}”第{plan.version}版，内容与此文件不同。"
                         "同一版本号的规划目标不能更换，请向省总工会核实。")
    with store.atomic():
        store.conn.execute(
            "INSERT INTO plans(digest, plan_id, version, title, year_from, year_to, raw, installed_at, source, "
            "signer_name, signer_fingerprint, signed_package) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (plan.digest, plan.id, plan.version, plan.title, plan.year_from, plan.year_to, plan.raw, now(), source,
             signer_name, signer_fingerprint, signed_package))
    return plan, True


def _row(row: dict[str, object]) -> InstalledPlan:
    raw = row["raw"]
    assert isinstance(raw, bytes)
    return InstalledPlan(load_plan(raw, source=str(row["source"]) or "已安装的规划目标"), str(row["installed_at"]),
                         str(row["source"]), str(row["signer_name"]), str(row["signer_fingerprint"]))


def installed(store: Store) -> list[InstalledPlan]:
    """Every plan this store knows: the shipped one first, then the installed ones by id and version."""
    rows = store.query("SELECT * FROM plans ORDER BY plan_id, version")
    return [InstalledPlan(shipped_plan(), "", "", "", "", shipped=True), *map(_row, rows)]


def by_digest(store: Store, digest: str, *, include_shipped: bool = True) -> Plan | None:
    if include_shipped and digest == shipped_plan().digest:
        return shipped_plan()
    rows = store.query("SELECT * FROM plans WHERE digest = ?", (digest,))
    return _row(rows[0]).plan if rows else None


def current_plan(store: Store, today: dt.date | None = None) -> Plan:
    """The plan in force: the highest version of the plan covering this year, else the latest plan that ended."""
    year = (today or dt.date.today()).year
    plans = [p.plan for p in installed(store)]
    covering = [p for p in plans if p.covers(year)]
    pool = covering or [p for p in plans if p.year_from <= year] or plans
    return max(pool, key=lambda p: (p.year_to, p.year_from, p.version))


def find_plan(store: Store, plan_id: str | None, today: dt.date | None = None) -> Plan:
    """``plan_id`` (highest version; or ``id:version``), or the current plan; :class:`PlanError` naming the choices."""
    if not plan_id:
        return current_plan(store, today)
    wanted, _, version = plan_id.partition(":")
    matches = [p.plan for p in installed(store) if p.plan.id == wanted and (not version or str(p.plan.version) == version)]
    if not matches:
        known = "、".join(sorted({f"{p.plan.id}（{p.plan.title}）" for p in installed(store)}))
        raise PlanError(f"没有代码为“{plan_id}”的规划目标。已有：{known}")
    return max(matches, key=lambda p: p.version)
