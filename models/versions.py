"""Finalised returns (定稿): numbered, frozen versions of a unit's return for a period.

A version is the canonical JSON of the :class:`~models.returns.Return` at the moment it was
finalised, stored in the ``returns`` table with its digest. It never changes: exporting version 1
again, after the records changed, writes the same files. Finalising again when records (or 说明,
or cover contacts) changed makes version 2; finalising with nothing changed keeps the latest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import TYPE_CHECKING

from forms.periods import Period
from models import returns as ret_mod
from models.db import RecordError, Store, now
from models.definitions import resolver
from models.returns import Return

if TYPE_CHECKING:
    from models.review import ReviewReport


class FinaliseRefused(RecordError):
    """The review found errors, or warnings without 说明; ``report`` holds the findings."""

    def __init__(self, message: str, report: ReviewReport) -> None:
        super().__init__(message)
        self.report = report


@dataclasses.dataclass(frozen=True)
class VersionInfo:
    unit_code: str
    period: str
    version: int
    created_at: str
    digest: str
    notes: int

    @property
    def label(self) -> str:
        return f"第{self.version}版（{self.created_at.replace('T', ' ')}）"


def _unit_code(store: Store) -> str:
    from models import unit

    current = unit.load(store)
    if current is None:
        raise RecordError("尚未设置本单位")
    return current.code


def list_versions(store: Store, period: Period | None = None) -> list[VersionInfo]:
    """The finalised versions of this unit, newest period and version first."""
    code = _unit_code(store)
    sql = "SELECT unit_code, period, version, created_at, digest, notes FROM returns WHERE unit_code = ?"
    params: list[object] = [code]
    if period is not None:
        sql += " AND period = ?"
        params.append(str(period))
    rows = store.query(sql + " ORDER BY period DESC, version DESC", params)
    return [VersionInfo(r["unit_code"], r["period"], r["version"], r["created_at"], r["digest"],
                        len(json.loads(r["notes"] or "[]"))) for r in rows]


def load_version(store: Store, period: Period, version: int | None = None) -> Return | None:
    """A finalised version (the latest when ``version`` is None), or None."""
    code = _unit_code(store)
    if version is None:
        row = store.query("SELECT payload FROM returns WHERE unit_code = ? AND period = ? "
                          "ORDER BY version DESC LIMIT 1", (code, str(period)))
    else:
        row = store.query("SELECT payload FROM returns WHERE unit_code = ? AND period = ? AND version = ?",
                          (code, str(period), version))
    if not row:
        return None
    return ret_mod.from_canonical(row[0]["payload"].encode("utf-8"), resolver(store))


def previous_finalised(store: Store, period: Period) -> Return | None:
    """The latest finalised return of the period before ``period`` (the change-warning baseline)."""
    return load_version(store, period.previous())


def finalise(store: Store, period: Period, *, today: dt.date | None = None) -> Return:
    """Review and freeze the return for ``period`` as a new version; returns the version.

    Raises :class:`FinaliseRefused` when the review has errors or a warning lacks its 说明.
    When nothing changed since the latest version, that version is returned unchanged.
    """
    from models import review

    if period.start > (today or dt.date.today()):  # a typo (2062 for 2026): the superior would refuse it anyway
        raise RecordError(f"报告期{period.label}（{period.code}）尚未开始，不能定稿。请核对报告期")
    draft = ret_mod.compute(store, period, today=today)
    report = review.review(store, period, draft)
    if report.errors:
        raise FinaliseRefused(f"审核发现{len(report.errors)}个错误，改正后才能定稿：\n"
                              + "\n".join(f"· {f.text()}" for f in report.errors[:20]), report)
    missing = report.missing_notes
    if missing:
        raise FinaliseRefused(f"有{len(missing)}个警告尚未填写说明，填写后才能定稿：\n"
                              + "\n".join(f"· {f.text()}" for f in missing[:20]), report)
    draft.notes = report.note_entries()
    latest = load_version(store, period)
    if latest is not None and latest.same_content(draft):
        return latest
    from models.backup import snapshot

    snapshot(store, "consolidate" if draft.consolidated else "finalise", f"{period.label}定稿之前")
    stamp = now()
    with store.atomic():
        number = int(store.scalar("SELECT coalesce(max(version), 0) FROM returns WHERE unit_code = ? AND period = ?",
                                  (draft.unit_code, period.code))) + 1
        draft.version = number
        draft.finalised_at = stamp
        with ret_mod.computed_once(draft) as payload:  # stored and digested: serialised once
            store.conn.execute(
                "INSERT INTO returns (unit_code, period, version, created_at, payload, notes, digest) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (draft.unit_code, period.code, number, stamp, payload.decode("utf-8"),
                 json.dumps(draft.notes, ensure_ascii=False), ret_mod.digest(draft)))
    return draft


def current_state(store: Store, period: Period) -> tuple[Return | None, bool]:
    """(latest version or None, whether the records changed since it was finalised)."""
    latest = load_version(store, period)
    if latest is None:
        return None, True
    from models import review

    draft = ret_mod.compute(store, period)
    draft.notes = review.review(store, period, draft).note_entries()
    return latest, not latest.same_content(draft)
