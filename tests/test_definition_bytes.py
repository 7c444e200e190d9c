"""The return's numbers do not change when its definition moves into a data file: the canonical bytes of
the demo county's returns (what the ``_data`` sheet carries and what is signed), recorded before the move."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from forms.periods import parse_period
from models import returns as ret_mod
from models.db import Store
from models.demo import fill_demo

# Recorded from the program as it was before the definition became data (returns declared in Python).
BEFORE = {
    "2025": "fa0a392d78c9587d259603a72e27d7f774d0b1a85f358b33baec6b45f5798e86",
    "2025H1": "59d77224cba2915d77da21f43ce0d9000c0b28cf749854244036ff059e38f21f",
    "2025Q3": "6611a706013776553ef51bc226c95e33d9fe7168416e9abd775491f726d77206",
    "2024": "ae10494125aa6ed6e43ecd05d4abf3f515b9ac3f0a3098bf0ac0c69dd2b9ae8b",
}


def _without_definition(data: bytes) -> bytes:
    """The canonical bytes as they were before returns named their definition (the one added key removed)."""
    parsed = json.loads(data.decode("utf-8"))
    parsed.pop("definition", None)
    return json.dumps(parsed, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


@pytest.mark.parametrize("period", sorted(BEFORE))
def test_canonical_bytes_are_those_of_the_python_declarations(county_store: Store, period: str) -> None:
    fill_demo(county_store, seed=2025, today=dt.date(2026, 3, 1))
    ret = ret_mod.compute(county_store, parse_period(period), today=dt.date(2026, 3, 2))
    data = _without_definition(ret_mod.canonical_bytes(ret))
    assert hashlib.sha256(data).hexdigest() == BEFORE[period]
