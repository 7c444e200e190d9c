"""The return definitions installed in a store (报表制度): which one a period's return is built on.

The definition shipped with the program always applies where no installed one covers the year.
Installed definitions are never removed: a return records the digest of its definition, and
:func:`by_digest` finds it again to re-render or re-verify that return years later.
Signature checks (only the province's signed files install) sit above this module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from forms.definition import Definition, definition_from_bytes, shipped_definition
from models.db import Store, StoreError, now


@dataclasses.dataclass(frozen=True)
class Installed:
    definition: Definition
    installed_at: str
    source: str  # file name it was installed from ("" for the shipped one)
    signer_name: str
    signer_fingerprint: str
    shipped: bool = False


def install(store: Store, defn: Definition, *, source: str = "", signer_name: str = "", signer_fingerprint: str = "",
            signed_package: bytes | None = None) -> bool:
    """Record ``defn``; False when this exact file was installed before. Another file with the same id and
    version is refused (a province changing a published version must raise the version number)."""
    if defn.digest == shipped_definition().digest or by_digest(store, defn.digest, include_shipped=False):
        return False
    clash = store.scalar("SELECT digest FROM definitions WHERE def_id = ? AND version = ?", (defn.id, defn.version))
    if clash:
        raise StoreError(f"已安装过另一份“{defn.title}”第{defn.version}版，内容与此文件不同。"
                         "同一版本号的报表制度不能更换，请向省总工会核实。")
    with store.atomic():
        store.conn.execute(
            "INSERT INTO definitions(digest, def_id, version, title, year_from, year_to, raw, installed_at, source, "
            "signer_name, signer_fingerprint, signed_package) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (defn.digest, defn.id, defn.version, defn.title, defn.year_from, defn.year_to, defn.raw, now(), source,
             signer_name, signer_fingerprint, signed_package))
    return True


def _row_to_installed(row: dict[str, object]) -> Installed:
    raw = row["raw"]
    assert isinstance(raw, bytes)
    defn = definition_from_bytes(raw, source=str(row["source"]) or "已安装的报表制度")
    return Installed(defn, str(row["installed_at"]), str(row["source"]), str(row["signer_name"]),
                     str(row["signer_fingerprint"]))


def installed(store: Store) -> list[Installed]:
    """Every definition this store knows, the shipped one first, then by id and version."""
    rows = store.query("SELECT * FROM definitions ORDER BY def_id, version")
    return [Installed(shipped_definition(), "", "", "", "", shipped=True), *map(_row_to_installed, rows)]


def by_digest(store: Store, digest: str, *, include_shipped: bool = True) -> Definition | None:
    if include_shipped and digest == shipped_definition().digest:
        return shipped_definition()
    rows = store.query("SELECT * FROM definitions WHERE digest = ?", (digest,))
    return _row_to_installed(rows[0]).definition if rows else None


def resolver(store: Store) -> Callable[[str], Definition | None]:
    """Look definitions up by digest in ``store`` (what reading a return back needs)."""
    return lambda digest: by_digest(store, digest)


def definition_for(store: Store, year: int) -> Definition:
    """The definition a return of ``year`` is built on: the highest installed version covering the year
    (of the shipped definition's id or any other), else the shipped one."""
    rows = store.query("SELECT * FROM definitions WHERE year_from <= ? AND ? <= year_to "
                       "ORDER BY version DESC, installed_at DESC LIMIT 1", (year, year))
    return _row_to_installed(rows[0]).definition if rows else shipped_definition()


def entry_definitions(store: Store) -> list[Definition]:
    """The definitions whose entry fields and record rules apply when a record is entered: every installed
    one, newest first (latest years, then highest version), the shipped one last. The entry form shows the
    fields any of them adds; a rule declared by several is checked as the newest declares it."""
    rows = store.query("SELECT * FROM definitions ORDER BY year_to DESC, year_from DESC, version DESC")
    return [*(_row_to_installed(r).definition for r in rows), shipped_definition()]
