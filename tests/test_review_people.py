"""The review's checks of people's ID numbers read only the rows SQLite finds suspect, and report exactly
what checking every person reports: whatever the numbers (wrong check character, a date that does not
exist, born after today or before 1900, lower-case x, spaces, full-width digits, the same number written
two ways), the birth dates and sexes entered beside them, and people in the recycle bin."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.ids import ID_SUSPECT_SQL, id_check_digit, id_number_is_normal, id_number_problem, make_id_number, normalize_id_number
from forms import checks
from models import review
from models.db import Store, open_store

TODAY = dt.date(2026, 12, 1)


def every_person_checked(store: Store, today: dt.date) -> list[tuple[str, str, str]]:
    """The rules of the review applied to every live person in turn (what it did before the index)."""
    out: list[tuple[str, str, str]] = []
    seen: dict[str, tuple[Any, ...]] = {}
    for row in store.conn.execute(
            "SELECT id, name, id_number, birth_date, sex FROM people WHERE deleted_at IS NULL ORDER BY id"):
        number = normalize_id_number(row[2])
        where = f"people#{row[0]}"
        if number not in seen:
            problem = id_number_problem(number, today.isoformat())
            if problem is not None:
                out.append(_said(checks.ID_INVALID, where, problem))
                continue
            seen[number] = row
        else:
            out.append(_said("person.id_duplicate", where, f"与“{seen[number][1]}”的身份证号相同"))
        out += [_said(checks.ID_MISMATCH, where, message) for _f, message in checks.id_mismatches(number, row[3], row[4])]
    return out


def _said(code: str, where: str, message: str) -> tuple[str, str, str]:
    return code, where, review.rule_finding(code, where, "", message).message


def _valid(n: int, birth: dt.date, sex: str) -> str:
    return make_id_number("530821", birth, n, sex)


def _spoil(number: str, how: str) -> str:
    if how == "check":
        return number[:17] + ("0" if number[17] != "0" else "1")
    if how == "no date":
        return number[:10] + "0230" + number[14:]  # 30 February: the check character no longer fits either
    if how == "no date, right check":
        body = number[:10] + "0230" + number[14:17]
        return body + id_check_digit(body)
    if how == "lower x":
        return number[:17] + "x"
    if how == "spaces":
        return f"{number[:6]} {number[6:14]} {number[14:]}"
    if how == "full width":
        return number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if how == "short":
        return number[:15]
    return number


PERSON = st.tuples(
    st.integers(0, 9),  # which number (equal ones collide: the same number written two ways)
    st.dates(dt.date(1890, 1, 1), dt.date(2030, 12, 31)),
    st.sampled_from(["男", "女"]),
    st.sampled_from(["", "check", "no date", "no date, right check", "lower x", "spaces", "full width", "short"]),
    st.sampled_from(["same", "", "other", "year", "null"]),  # the birth date entered beside it
    st.sampled_from(["same", "", "other", "null"]),  # the sex entered
    st.booleans(),  # in the recycle bin
)


@pytest.fixture
def plain_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "审核 人员")
    yield store
    store.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(PERSON, max_size=14))
def test_the_suspect_rows_give_what_checking_everyone_gives(plain_store: Store, people: list[tuple]) -> None:
    store = plain_store
    stamp = "2026-01-01T00:00:00"
    with store.atomic():
        store.conn.execute("DELETE FROM people")
        for row_number, (which, birth, sex, spoil, entered_birth, entered_sex, recycled) in enumerate(people):
            number = _spoil(_valid(which, birth, sex), spoil)
            birth_text = {"same": birth.isoformat(), "": "", "other": "1970-05-05", "year": birth.isoformat()[:7],
                          "null": None}[entered_birth]
            sex_text = {"same": sex, "": "", "other": "女" if sex == "男" else "男", "null": None}[entered_sex]
            store.conn.execute(
                "INSERT OR IGNORE INTO people (name, id_number, birth_date, sex, deleted_at, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (f"人{row_number}", number, birth_text, sex_text, stamp if recycled else None, stamp, stamp))
    expected = every_person_checked(store, TODAY)
    found = [(f.code, f.where, f.message) for f in review._people_checks(store, TODAY)]
    assert found == expected


def test_only_the_suspect_rows_are_read(plain_store: Store) -> None:
    """At any size the review reads the partial index, not every person."""
    from models.demo import bulk_people

    bulk_people(plain_store, 400, seed=3)
    wrong = _spoil(_valid(1, dt.date(1980, 1, 1), "男"), "check")
    plain_store.conn.execute("UPDATE people SET id_number = ? WHERE id = 7", (wrong,))
    plain_store.conn.execute("ANALYZE")
    statements: list[str] = []
    plain_store.conn.set_trace_callback(statements.append)
    try:
        found = review._people_checks(plain_store, TODAY)
    finally:
        plain_store.conn.set_trace_callback(None)
    assert [f.where for f in found] == ["people#7"] and found[0].code == checks.ID_INVALID
    for sql in (s for s in statements if s.startswith("SELECT")):
        plan = " ".join(r[3] for r in plain_store.conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert plan.startswith(("SCAN people USING INDEX people_id_suspect", "SEARCH people USING INDEX")), (sql, plan)


def test_the_sql_check_agrees_with_the_python_check() -> None:
    """``ID_SUSPECT_SQL`` without a birth date or sex entered is exactly "not a valid number" (today aside)."""
    import sqlite3

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE people (id_number TEXT, birth_date TEXT, sex TEXT)")
    numbers = [_spoil(_valid(n, dt.date(1900 + n * 7 % 120, 1 + n % 12, 1 + n % 28), "男女"[n % 2]), how)
               for n in range(60) for how in ("", "check", "no date", "no date, right check", "lower x", "short")]
    numbers += ["18991231" + "0" * 10, "530821190001010010", "53082119000101001X", "A" * 18, ""]
    for number in numbers:
        suspect = conn.execute(f"SELECT {ID_SUSPECT_SQL} FROM (SELECT ? AS id_number, NULL AS birth_date, "
                               "NULL AS sex)", (number,)).fetchone()[0]
        valid = id_number_is_normal(number) and id_number_problem(number, "9999-12-31") is None
        assert bool(suspect) == (not valid), number


def test_statistics_are_not_taken_again_at_every_start(tmp_path: Path) -> None:
    """The partial index holds a few rows: the store's size is read from its full indexes, so a store opened
    again does not look changed (ANALYZE at every start would cost seconds at province scale)."""
    from models.demo import bulk_people

    store = open_store(tmp_path / "统计")
    bulk_people(store, 300, seed=5)
    assert store.refresh_statistics() is True  # grown from nothing: taken once
    assert store.refresh_statistics() is False
    store.close()
    store = open_store(tmp_path / "统计")
    try:
        assert store.refresh_statistics() is False
    finally:
        store.close()


def _statistics(folder: Path) -> list[tuple]:
    conn = sqlite3.connect(folder / "store.sqlite3")
    try:
        return sorted(conn.execute("SELECT tbl, idx, stat FROM sqlite_stat1"), key=str)
    finally:
        conn.close()


def test_closing_the_store_takes_no_statistics(tmp_path: Path) -> None:
    """A command that reads the people list leaves the statistics as they were: no ANALYZE when the store closes
    (``PRAGMA optimize`` took one at every close, because the partial index of suspect numbers holds no row and
    so never has statistics: half a second a command at 200,000 people)."""
    from models.demo import bulk_people

    folder = tmp_path / "统计"
    store = open_store(folder)
    bulk_people(store, 300, seed=5)
    assert store.refresh_statistics() is True
    assert store.scalar("SELECT count(*) FROM people WHERE " + ID_SUSPECT_SQL) == 0  # the partial index is empty
    with store.atomic():
        store.conn.execute("UPDATE sqlite_stat1 SET stat = '300 7' WHERE idx = 'people_sex'")  # ANALYZE would undo it
    store.close()
    before = _statistics(folder)
    assert ("people", "people_sex", "300 7") in before
    store = open_store(folder)
    review._people_checks(store, TODAY)
    store.query("SELECT id FROM people WHERE deleted_at IS NULL ORDER BY sort_key LIMIT 50")
    store.close()
    assert _statistics(folder) == before


def test_an_index_or_table_without_statistics_is_analysed_once(tmp_path: Path) -> None:
    """What a migration adds (an index on a large table, a new table that then fills) gets its statistics when the
    store is next opened, once."""
    from models.demo import bulk_people

    folder = tmp_path / "统计"
    store = open_store(folder)
    try:
        bulk_people(store, 300, seed=5)
        assert store.refresh_statistics() is True
        store.conn.execute("CREATE INDEX people_name_test ON people(name)")
        assert store.refresh_statistics() is True
        assert store.scalar("SELECT stat FROM sqlite_stat1 WHERE idx = 'people_name_test'").startswith("300 ")
        assert store.refresh_statistics() is False
        store.conn.execute("CREATE TABLE added_later (id INTEGER PRIMARY KEY, kind TEXT)")
        store.conn.execute("CREATE INDEX added_later_kind ON added_later(kind)")
        assert store.refresh_statistics() is False  # empty: nothing to plan for
        store.conn.executemany("INSERT INTO added_later (kind) VALUES (?)", [(str(n % 9),) for n in range(500)])
        assert store.refresh_statistics() is True
        assert store.refresh_statistics() is False
    finally:
        store.close()
