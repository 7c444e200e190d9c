"""How many live records there are: the home page's figures, without the form definitions.

The home page is painted at start-up; ``models.records`` and the forms it imports take longer to load than the
whole page takes to build, and the counts need only the tables' names (``tests/test_validators.py`` checks them
against ``forms.records``). ``models.records.counts`` is this module's :func:`counts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.db import Store

# forms.records.TOP_LEVEL, in its order; each kind's table has the kind's name
TOP_LEVEL = ("people", "studios", "trainings", "competitions", "innovation")


def counts(store: Store) -> dict[str, int]:
    """Live records per top-level kind, plus honours of live people."""
    # All rows less those in the recycle bin: a bare count(*) reads the smallest index and the deleted are few
    # (the home page shows these at start-up; counting the live rows one by one took 80 ms at 100,000 people).
    out = {kind: int(store.scalar(f"SELECT (SELECT count(*) FROM {kind}) - "
                                  f"(SELECT count(*) FROM {kind} WHERE deleted_at IS NOT NULL)"))
           for kind in TOP_LEVEL}
    out["honours"] = int(store.scalar(
        "SELECT (SELECT count(*) FROM honours) - (SELECT count(*) FROM honours JOIN people "
        "ON people.id = honours.person_id WHERE people.deleted_at IS NOT NULL)"))
    return out


def innovation_entered(store: Store, period_code: str) -> bool:
    """Whether the period's 经济技术创新 figures are entered (a live row for the period)."""
    return bool(store.scalar("SELECT EXISTS (SELECT 1 FROM innovation WHERE period = ? AND deleted_at IS NULL)",
                             (period_code,)))
