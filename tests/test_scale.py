"""Guards for province scale (100,000 people): no cache thrash in the review, no per-cell work in the font
check when nothing is missing, one query per sort of the people list. Not timed (see bench/bench_scale.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from common import ids
from common.text import ParseError
from models import returns as ret_mod
from models import review
from models.db import Store
from models.demo import bulk_people

TODAY = dt.date(2026, 6, 30)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_digit_is_the_standard_one(body: str) -> None:
    assert ids.id_check_digit(body) == ric.calc_check_digit(body + "0")


def _message(number: str) -> str | None:
    try:
        ids.check_id_number(number, today=TODAY)
    except ParseError as exc:
        return str(exc)
    return None


@settings(max_examples=300)
@given(st.one_of(
    st.text(alphabet="0123456789X", min_size=16, max_size=19),
    st.builds(lambda region, days, seq, sex: ids.make_id_number(region, dt.date(1900, 1, 1) + dt.timedelta(days=days),
                                                                 seq, sex),
              st.sampled_from(["530821", "110101", "999999"]), st.integers(0, 50_000), st.integers(0, 999),
              st.sampled_from("男女")),
    st.text(max_size=20)))
def test_the_review_check_says_what_check_id_number_says(number: str) -> None:
    number = ids.normalize_id_number(number)
    assert ids.id_number_problem(number, TODAY.isoformat()) == _message(number)


def test_review_checks_each_id_number_once_without_the_shared_cache(county_store: Store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    bulk_people(county_store, 300, seed=3)
    # two people share a number (one written with spaces, as an old import might have stored it), one is broken
    first = county_store.scalar("SELECT id_number FROM people WHERE id = 1")
    county_store.conn.execute("UPDATE people SET id_number = ? WHERE id = 2", (f"{first[:6]} {first[6:]}",))
    county_store.conn.execute("UPDATE people SET id_number = '530821196001010000' WHERE id = 3")
    county_store.conn.commit()
    calls: defaultdict[str, int] = defaultdict(int)
    real = ids.id_number_problem

    def counting(number: str, today_iso: str) -> str | None:
        calls[number] += 1
        return real(number, today_iso)

    monkeypatch.setattr(ids, "id_number_problem", counting)
    before = ids._check_id_text.cache_info()
    report = review.review(county_store, "2025")
    distinct = county_store.scalar("SELECT count(DISTINCT replace(id_number, ' ', '')) FROM people")
    assert len(calls) == distinct == 299 and set(calls.values()) == {1}
    after = ids._check_id_text.cache_info()
    assert (after.hits, after.misses) == (before.hits, before.misses)  # the shared cache is left alone
    found = {(f.code, f.where) for f in report.findings}
    assert ("person.id_duplicate", "people#2") in found and ("person.id_invalid", "people#3") in found


def _old_font_places(ret: ret_mod.Return) -> dict[str, list[str]]:
    """What the font check found before it was made fast: every printed string, every character."""
    from models.fonts import missing_characters

    places: dict[str, list[str]] = defaultdict(list)
    for where, text in review.printed_strings(ret):
        for char in missing_characters(text):
            if where not in places[char]:
                places[char].append(where)
    return places


def _roster_return(names: list[str]) -> ret_mod.Return:
    rows = [{"seq": str(n), "name": name, "sex": "男", "employer": f"第{n}号企业", "honours": "2020年县级劳动模范"}
            for n, name in enumerate(names, start=1)]
    return ret_mod.Return("530821", "宁洱哈尼族彝族自治县总工会", "county", "530800", "2025", {"head": "李国华"},
                          ret_mod.empty_tables(), {"R1": rows, "R2": []})


def test_font_check_locates_nothing_when_nothing_is_missing(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ret = _roster_return([f"张{n}" for n in range(2000)])

    def never(*_args: object) -> None:
        raise AssertionError("places were made although no character is missing")

    monkeypatch.setattr(review, "_printed_with_missing", never)
    monkeypatch.setattr(review, "printed_strings", never)
    assert review.font_findings(ret) == []


@given(st.lists(st.sampled_from(["张三", "李䶮", "王𠀀芳", "赵 钱", "孙\u3000李", "周", "䶮𠀀"]), min_size=0, max_size=12),
       st.sampled_from(["", "说明䶮", "普通说明"]), st.sampled_from(["李国华", "𠀀华"]))
def test_font_check_finds_what_checking_every_cell_finds(names: list[str], note: str, head: str) -> None:
    ret = dataclasses.replace(_roster_return(names), cover={"head": head}, notes=[{"text": note}] if note else [])
    places = _old_font_places(ret)
    found = review.font_findings(ret)
    if not places:
        assert found == []
        return
    chars = "".join(sorted(places))
    assert len(found) == 1 and found[0].where == f"font/{chars}"
    detail = "；".join(f"“{c}”见{'、'.join(places[c][:3])}{'等' if len(places[c]) > 3 else ''}" for c in sorted(places))
    assert f"内置字库缺少以下字：{detail}" in found[0].message
