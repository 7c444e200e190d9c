"""How many live records there are: the home page's figures, without the form definitions.

The home page is painted at start-up; ``models.records`` and the forms it imports take longer to load than the
whole page takes to build, and the counts need only the tables' names, which the caller gives: the home page its
tiles' kinds, ``models.records.counts`` every top-level kind of ``forms.records``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.db import Store


def counts(store: Store, tables: Iterable[str]) -> dict[str, int]:
    """Live records of each of ``tables`` (a record kind's table has the kind's name), plus honours of live
    people."""
    # All rows less those in the recycle bin: a bare count(*) reads the smallest index and the deleted are few
    # (the home page shows these at start-up; counting the live rows one by one took 80 ms at 100,000 people).
    out = {kind: int(store.scalar(f"SELECT (SELECT count(*) FROM {kind}) - "
                                  f"(SELECT count(*) FROM {kind} WHERE deleted_at IS NOT NULL)"))
           for kind in tables}
    out["honours"] = int(store.scalar(
        "SELECT (SELECT count(*) FROM honours) - (SELECT count(*) FROM honours JOIN people "
        "ON people.id = honours.person_id WHERE people.deleted_at IS NOT NULL)"))
    return out


def innovation_entered(store: Store, period_code: str) -> bool:
    """Whether the period's 经济技术创新 figures are entered (a live row for the period)."""
    return bool(store.scalar("SELECT EXISTS (SELECT 1 FROM innovation WHERE period = ? AND deleted_at IS NULL)",
                             (period_code,)))
