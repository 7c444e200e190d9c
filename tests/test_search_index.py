"""The people list's search index (models.migrations 0011) finds exactly what comparing every row finds.

Whatever the texts, the words typed and what happened to the rows (edited, moved to the recycle bin,
restored, purged), the count and the ids of ``records.matches`` are those of a plain substring test of
every live row's search text; and a store whose SQLite has no FTS5 still searches, row by row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.ids import make_id_number
from models import migrations, records
from models.db import Store, open_store

# Characters people's names, units and ID numbers are made of, and some that are not: LIKE's wildcards,
# FTS5's quote, a letter with a case outside ASCII, a character outside the BMP, fullwidth digits.
ALPHABET = "张王李丽芳建国第号企业一二三zhangwfliu5320X %_\"·éÉ𠈌１２"
TEXT = st.text(alphabet=ALPHABET, min_size=0, max_size=14)
WORD = st.text(alphabet=ALPHABET.replace(" ", ""), min_size=1, max_size=4)


@pytest.fixture
def people_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "检索 数据")
    yield store
    store.close()


def _add(store: Store, texts: list[str]) -> list[int]:
    stamp = dt.datetime(2025, 1, 1).isoformat()
    ids = []
    with store.atomic():
        for number, text in enumerate(texts):
            id_number = make_id_number("530821", dt.date(1980, 1, 1), number, "男")
            cursor = store.conn.execute(
                "INSERT INTO people (name, id_number, search, sort_key, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)", (f"人{number}", id_number, text.lower(), "", stamp, stamp))
            ids.append(int(cursor.lastrowid or 0))
    return ids


def _expected(store: Store, search: str) -> set[int]:
    from common.text import halfwidth

    words = halfwidth(search.strip().lower()).split()
    return {int(pid) for pid, text in store.conn.execute("SELECT id, search FROM people WHERE deleted_at IS NULL")
            if all(w in text for w in words)}


def _found(store: Store, search: str, limit: int) -> tuple[int, set[int] | None]:
    q = records.ListQuery("people", search=search)
    count, ids = records.matches(store, q, limit=limit)
    listed = {int(r["id"]) for r in records.fetch(store, q, 0, 10_000)}
    assert len(listed) == count  # the pages show what is counted
    return count, None if ids is None else set(ids)


def _check(store: Store, search: str) -> None:
    """The count is right; the ids, when listed (a search the index answered, with at most ``limit``), too."""
    expected = _expected(store, search)
    answered = records._indexed_search(store, records.ListQuery("people", search=search))
    indexed = answered is not None
    # the bound a short word's trigrams give (rows are counted first above it) is never below the rows found
    assert answered is None or answered.at_most is None or answered.at_most >= len(expected), search
    for limit in (0, 3, 10_000):
        count, ids = _found(store, search, limit)
        assert count == len(expected), (search, limit)
        if len(expected) > limit or not indexed:
            assert ids is None, (search, limit)
        else:
            assert ids == expected, (search, limit)


@pytest.mark.parametrize("always", [True, False], ids=["every-word-from-the-index", "common-words-by-row"])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(TEXT, min_size=0, max_size=12), searches=st.lists(
    st.lists(WORD, min_size=1, max_size=3).map(" ".join), min_size=1, max_size=4),
    edits=st.lists(st.tuples(st.integers(0, 11), st.sampled_from(["edit", "recycle", "restore", "purge"]), TEXT),
                   max_size=6))
def test_the_index_finds_what_comparing_every_row_finds(people_store: Store, monkeypatch: pytest.MonkeyPatch,
                                                         always: bool, texts: list[str], searches: list[str],
                                                         edits: list[tuple[int, str, str]]) -> None:
    if always:  # no short word is too common for the index
        monkeypatch.setattr(records, "_gathering_costs_more", lambda rows_holding, trigrams, rows: False)
    store = people_store
    with store.atomic():
        store.conn.execute("DELETE FROM people")
    ids = _add(store, texts)
    with store.atomic():
        for which, action, text in edits:
            if not ids:
                break
            pid = ids[which % len(ids)]
            if action == "edit":
                store.conn.execute("UPDATE people SET search = ? WHERE id = ?", (text.lower(), pid))
            elif action == "recycle":
                store.conn.execute("UPDATE people SET deleted_at = '2025-02-01T00:00:00' WHERE id = ?", (pid,))
            elif action == "restore":
                store.conn.execute("UPDATE people SET deleted_at = NULL WHERE id = ?", (pid,))
            else:
                store.conn.execute("DELETE FROM people WHERE id = ?", (pid,))
    # words made of the stored texts themselves, so that most searches find something
    pieces = [t[i:i + n] for t in texts for n in (1, 2, 3, 5) for i in range(0, max(len(t) - n, 0) + 1, 3)]
    for search in [*searches, *(p for p in pieces[:12] if p.strip())]:
        _check(store, search)


def test_every_short_word_is_found_wherever_it_is(people_store: Store) -> None:
    """One or two characters at the start, the middle and the very end of the text, of every sort."""
    _add(people_store, ["张三 530821198001010011 第1号企业 zs zhangsan", "丽", "ab", "x", "王 芳", "𠈌a"])
    for search in ["张", "三", "zs", "n", "an", "1", "11", "丽", "b", "ab", "x", "王", "芳", "王芳", "𠈌", "𠈌a", "a",
                   "第1号", "530821198001010011", "张 zhangsan", "q", "qq", "第 x", "%", "_", "\"", "é"]:
        _check(people_store, search)


def test_a_dense_short_word_is_compared_among_the_rows_the_others_found(people_store: Store) -> None:
    """"5" is in every ID number: gathering every trigram that begins with it would cost more than reading."""
    _add(people_store, [f"人{n} 5308211980010100{n:02d} 第{n % 7}号企业" for n in range(40)])
    q = records.ListQuery("people", search="5 第3号")
    indexed = records._indexed_search(people_store, q)
    assert indexed is not None and indexed.rest == ["5"] and "第3号" in indexed.match
    assert records._indexed_search(people_store, records.ListQuery("people", search="5")) is None
    _check(people_store, "5 第3号")
    _check(people_store, "5")


def test_the_index_is_built_for_the_people_a_store_already_has(tmp_path: Path) -> None:
    """The migration fills the index from the rows there are (an older store being opened)."""
    import sqlite3

    store = open_store(tmp_path / "旧")
    _add(store, ["张三 zs", "李四 ls", "王芳 wf"])
    store.close()
    conn = sqlite3.connect(tmp_path / "旧" / "store.sqlite3")
    with conn:
        for name in ("people_find_insert", "people_find_delete", "people_find_update"):
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DROP TABLE people_find_terms")
        conn.execute("DROP TABLE people_find")
        conn.execute("DROP TABLE people_find_pending")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0011_search_index'")
    conn.close()
    store = open_store(tmp_path / "旧")
    try:
        assert records.matches(store, records.ListQuery("people", search="wf")) == (1, [3])
        assert "people_find_insert" in {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
    finally:
        store.close()


def test_without_fts5_the_search_compares_every_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrations, "fts5_trigram_available", lambda conn: False)
    store = open_store(tmp_path / "无索引")
    try:
        assert not migrations.search_index_tables(store.conn)
        _add(store, ["张三 zs", "李四 ls", "王芳 wf", "张芳 zf"])
        assert records._indexed_search(store, records.ListQuery("people", search="芳")) is None
        for search in ["芳", "张", "zs", "张 f", "无此人"]:
            _check(store, search)
    finally:
        store.close()


def test_the_records_digest_leaves_the_index_out(people_store: Store) -> None:
    """Two stores with the same records have the same digest, whatever order wrote the index."""
    from models.backup import content_digest

    _add(people_store, ["张三", "李四"])
    before = content_digest(people_store.conn)
    with people_store.atomic():
        people_store.conn.execute("UPDATE people SET search = '王五' WHERE id = 1")
        people_store.conn.execute("UPDATE people SET search = '张三' WHERE id = 1")
    assert content_digest(people_store.conn) == before
    assert migrations.search_index_tables(people_store.conn) >= {"people_find", "people_find_terms"}


def test_an_import_leaves_the_index_up_to_date(people_store: Store) -> None:
    """The first search after a bulk write does not wait for the index: the import brought it up to date."""
    from models.demo import bulk_people

    bulk_people(people_store, 50, seed=4)
    assert people_store.scalar("SELECT count(*) FROM people_find_pending") == 0
    with people_store.atomic():
        people_store.conn.execute("UPDATE people SET search = 'x' WHERE id = 3")
    assert people_store.scalar("SELECT count(*) FROM people_find_pending") == 1  # one record saved: noted
    _check(people_store, "x")
    assert people_store.scalar("SELECT count(*) FROM people_find_pending") == 0


def test_a_store_that_cannot_be_written_still_searches(tmp_path: Path) -> None:
    """A read-only store (a copy on a write-protected stick) with rows the index lacks: compared row by row."""
    import os
    import stat

    store = open_store(tmp_path / "只读")
    _add(store, ["张三 zs", "王芳 wf"])  # noted, not yet indexed
    store.close()
    path = tmp_path / "只读" / "store.sqlite3"
    os.chmod(path, stat.S_IRUSR)
    conn_store = Store(__import__("sqlite3").connect(f"file:{path.as_posix()}?mode=ro", uri=True), path)
    try:
        assert records._indexed_search(conn_store, records.ListQuery("people", search="wf")) is None
        assert records.matches(conn_store, records.ListQuery("people", search="wf"))[0] == 1
    finally:
        conn_store.close()
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def test_an_import_and_its_undo_leave_the_index_up_to_date(county_store: Store) -> None:
    from test_importer import import_people

    from models.importer import undo_import

    batch = import_people(county_store)
    assert county_store.scalar("SELECT count(*) FROM people_find_pending") == 0
    name = str(county_store.scalar("SELECT name FROM people ORDER BY id LIMIT 1"))
    _check(county_store, name)
    undo_import(county_store, batch)
    assert county_store.scalar("SELECT count(*) FROM people_find_pending") == 0
    _check(county_store, name)
    assert records.matches(county_store, records.ListQuery("people", search=name))[0] == 0


def test_the_studio_leader_picker_finds_through_the_index(people_store: Store) -> None:
    _add(people_store, ["张三 zs", "王芳 wf", "张芳 zf"])
    found = records.choices_for_ref(people_store, "people", "芳")
    assert sorted(r["id"] for r in found) == [2, 3]
    assert [r["id"] for r in records.choices_for_ref(people_store, "people", "")] == [1, 2, 3]
