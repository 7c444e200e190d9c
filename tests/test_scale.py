"""Guards for province scale (100,000 people): no cache thrash in the review, no per-cell work in the font
check when nothing is missing, one query per sort of the people list. Not timed (see bench/bench_scale.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from common import ids
from common.text import ParseError
from forms.periods import Period
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


def test_review_checks_only_the_suspect_id_numbers_each_once_without_the_shared_cache(county_store: Store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
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
    report = review.review(county_store, Period(2025))
    # the 297 sound numbers are left to the index of suspect ones; the other two are checked once each
    assert dict(calls) == {first: 1, "530821196001010000": 1}
    after = ids._check_id_text.cache_info()
    found = {(f.code, f.where) for f in report.findings}
    # the shared cache is left alone but for the rows whose birth date or sex disagree (their message is made by
    # the same check as at entry)
    disagreeing = {where for code, where in found if code == "person.id_mismatch"}
    assert after.hits == before.hits and after.misses - before.misses <= len(disagreeing)
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


# ---------------------------------------------------------------------------------------------
# The people list: sorting by 荣誉 is one indexed query, and the key stays the text the column shows

SUBQUERY = "(SELECT group_concat(h.award_year || h.title, '、') FROM honours h WHERE h.person_id = people.id)"


def _keys_match(store: Store) -> None:
    rows = store.query(f"SELECT id, honours_key, {SUBQUERY} AS shown FROM people")
    assert rows and all(r["honours_key"] == r["shown"] for r in rows)


def test_honours_sort_is_one_indexed_query(county_store: Store, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from models import records
    from tests.test_returns import honour, person
    from ui.record_table_model import RecordTableModel

    bulk_people(county_store, 120, seed=5)
    person(county_store, [honour("云南省劳动模范", 2019), honour("全国劳动模范", 2023)], name="甲")
    person(county_store, [], name="乙")
    model = RecordTableModel(county_store, "people")
    column = [c.name for c in model.columns].index("honours")
    statements: list[str] = []
    county_store.conn.set_trace_callback(statements.append)
    try:
        model.sort(column, Qt.SortOrder.DescendingOrder)
        shown = [model.data(model.index(row, column)) for row in range(min(50, model.rowCount()))]
    finally:
        county_store.conn.set_trace_callback(None)
    assert len(statements) == 1  # one page: sorting changes no count
    assert not any("group_concat" in s for s in statements)
    assert shown == sorted(shown, reverse=True)
    query = records.ListQuery("people", sort="honours", descending=True)
    page = statements[0]
    plan = " ".join(str(r[3]) for r in county_store.conn.execute(f"EXPLAIN QUERY PLAN {page}"))
    picking = plan.split("SCAN page")[0]  # choosing the page's 200 ids walks the index (the 200 are sorted after)
    assert "USING INDEX people_honours_key" in picking and "TEMP B-TREE" not in picking, plan
    assert [r["id"] for r in records.fetch(county_store, query, 0, 50)] == \
        [r["id"] for r in county_store.query(f"SELECT id FROM people ORDER BY {SUBQUERY} DESC, id DESC LIMIT 50")]


def test_honours_key_follows_every_change(county_store: Store) -> None:
    from models import records
    from tests.test_returns import honour, person

    pid = person(county_store, [honour("县级劳动模范", 2018)])
    other = person(county_store, [honour("州市级劳动模范", 2020), honour("云南省劳动模范", 2022)])
    _keys_match(county_store)
    values = records.get(county_store, "people", pid)
    assert values is not None
    records.save(county_store, "people", {k: v for k, v in values.items() if k not in ("honours", "id", "deleted_at")},
                 record_id=pid,
                 children={"honours": [honour("县级劳动模范", 2018), honour("全国劳动模范", 2024)]})
    _keys_match(county_store)
    with county_store.atomic():
        county_store.conn.execute("UPDATE honours SET person_id = ? WHERE person_id = ?", (pid, other))
    _keys_match(county_store)
    assert county_store.scalar("SELECT honours_key FROM people WHERE id = ?", (other,)) is None
    with county_store.atomic():
        county_store.conn.execute("DELETE FROM honours WHERE person_id = ?", (pid,))
    _keys_match(county_store)


def _page_plan(store: Store, q: object, ids: list[int] | None = None) -> str:
    from models import records

    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        records.fetch(store, q, 0, 200, ids=ids)  # type: ignore[arg-type]
    finally:
        store.conn.set_trace_callback(None)
    plan = " ".join(str(r[3]) for r in store.conn.execute(f"EXPLAIN QUERY PLAN {statements[-1]}"))
    return plan.split("SCAN page")[0]  # choosing the page's ids; the 200 chosen are sorted after


def test_every_sort_of_the_people_list_walks_an_index(county_store: Store) -> None:
    from models import records

    bulk_people(county_store, 300, seed=7)
    county_store.conn.execute("ANALYZE")
    for col in records.columns("people"):
        for descending in (False, True):
            picking = _page_plan(county_store, records.ListQuery("people", sort=col.name, descending=descending))
            assert "TEMP B-TREE" not in picking and "USING" in picking, (col.name, picking)


def test_a_search_reads_the_index_and_never_compares_every_row(county_store: Store) -> None:
    from models import records
    from ui.record_table_model import RecordTableModel

    bulk_people(county_store, 300, seed=7)
    county_store.conn.execute("ANALYZE")
    for sort in (None, "honours", "sex"):
        q = records.ListQuery("people", search="第12号", sort=sort)
        found, ids = records.matches(county_store, q)
        assert ids is not None and len(ids) == found > 0
        assert "USING INTEGER PRIMARY KEY" in _page_plan(county_store, q, ids)  # the page: among those ids only
        assert [r["id"] for r in records.fetch(county_store, q, 0, 200, ids=ids)] == \
            [r["id"] for r in records.fetch(county_store, q, 0, 200)]
    many = records.ListQuery("people", search="第")
    assert records.matches(county_store, many, limit=100) == (300, None)  # many: counted, not listed
    model = RecordTableModel(county_store, "people")
    statements: list[str] = []
    county_store.conn.set_trace_callback(statements.append)
    try:
        model.set_search("第12号")
        rows = model.rowCount()
        first = model.record_id(0)
    finally:
        county_store.conn.set_trace_callback(None)
    assert rows == len(ids) and first is not None
    assert any("people_find MATCH" in sql for sql in statements)
    assert not any("LIKE" in sql for sql in statements)  # no row was compared with the search text


def test_home_page_counts_are_cheap_and_right(county_store: Store) -> None:
    from models import records
    from tests.test_returns import honour, person

    bulk_people(county_store, 50, seed=9)
    gone = person(county_store, [honour("县级劳动模范", 2018), honour("全国劳动模范", 2020)])
    records.delete(county_store, "people", gone)
    counts = records.counts(county_store)
    assert counts["people"] == county_store.scalar("SELECT count(*) FROM people WHERE deleted_at IS NULL") == 50
    assert counts["honours"] == county_store.scalar(
        "SELECT count(*) FROM honours JOIN people ON people.id = honours.person_id WHERE people.deleted_at IS NULL") == 50
    statements: list[str] = []
    county_store.conn.set_trace_callback(statements.append)
    try:
        records.counts(county_store)
    finally:
        county_store.conn.set_trace_callback(None)
    # live rows are never counted one by one: all rows (a bare count(*)) less the few in the recycle bin
    assert statements and not any("deleted_at IS NULL" in sql for sql in statements)


def test_signing_a_workbook_over_the_foreign_file_limits(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A province's own roster sheet (56 MB at 100,000 people) is above the limits for files from elsewhere:
    signing hashes its own parts without them, and the manifest is the one a reader computes."""
    import zipfile

    from cryptography.hazmat.primitives.asymmetric import ec

    from models import export, file_guard
    from models.signing.keys import build_certificate
    from models.signing.package import own_parts
    from models.signing.provider import FileKeySigner

    ret = _roster_return([f"张{n}" for n in range(3000)])
    ret.version, ret.finalised_at = 1, "2026-01-15T10:00:00"
    key = ec.generate_private_key(ec.SECP256R1())
    signer = FileKeySigner.with_certificate(build_certificate(key, "530821", ret.unit_name), key)
    monkeypatch.setattr(file_guard, "MAX_PART_BYTES", 64 * 1024)
    (xlsx,) = export.export_snapshot(ret, tmp_path, ["xlsx"], signer=signer)
    monkeypatch.undo()
    assert not list(tmp_path.glob("*.sign"))
    with zipfile.ZipFile(xlsx) as zf:
        assert max(i.file_size for i in zf.infolist()) > 64 * 1024
        assert own_parts(zf) == file_guard.scan_package(zf)


def test_pages_compressed_early_give_the_same_pdf(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    from models import export_pdf

    ret = _roster_return([f"张{n}号" for n in range(400)])
    ret.version, ret.finalised_at = 1, "2026-01-15T10:00:00"
    compressed: list[int] = []
    real = export_pdf._page_compressor

    def spying(canvas):  # type: ignore[no-untyped-def]
        compress = real(canvas)

        def call(number: int) -> None:
            compress(number)
            page = canvas._doc.Pages.pages[-1]
            if page.Contents is not None and page.stream == "":
                compressed.append(number)
        return call

    monkeypatch.setattr(export_pdf, "_page_compressor", spying)
    digests = []
    for early in (False, True):
        monkeypatch.setattr(export_pdf, "EARLY_PAGE_COMPRESSION", early)
        path = tmp_path / f"{early}.pdf"
        export_pdf.write_pdf(ret, path)
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    assert len(compressed) > 10  # every page was compressed when finished, not at save


def test_a_new_version_marks_only_the_rows_that_change(county_store: Store) -> None:
    """Receiving the n-th version of a unit writes the two rows whose flag changes, not all n."""
    from models import receiving
    from models.signing.common import VALID

    def add(version: int) -> None:
        county_store.conn.execute(
            "INSERT INTO received_returns (unit_code, unit_name, period, version, payload, digest, status, "
            "received_at, file_name) VALUES ('530822', '墨江县总工会', '2025', ?, '{}', ?, ?, '2026-01-01', 'x.xlsx')",
            (version, f"d{version}", VALID))
        receiving._mark_superseded(county_store, "530822", "2025")

    for version in range(1, 30):
        add(version)
    before = county_store.conn.total_changes
    add(30)
    assert county_store.conn.total_changes - before == 2  # the new row, and the one it supersedes
    rows = county_store.query("SELECT version, superseded FROM received_returns ORDER BY version")
    assert [r["superseded"] for r in rows] == [1] * 29 + [0]


def _many_page_return() -> ret_mod.Return:
    names = [f"张{n}号" + "很长的名字" * (n % 7) for n in range(700)]
    ret = _roster_return(names)
    ret = dataclasses.replace(ret, notes=[{"message": f"警告{i}", "text": "说明" * 40} for i in range(30)])
    ret.version, ret.finalised_at = 1, "2026-01-15T10:00:00"
    return ret


def test_the_streamed_pdf_pages_are_the_laid_out_pages() -> None:
    """The export lays the pages out one at a time; they are the very pages (and footers) of the held layout
    the print preview uses, so the PDF's bytes are those of drawing the held pages."""
    from models import export_pdf

    ret = _many_page_return()
    held = export_pdf.layout(ret, fingerprint="AB:CD")
    streamed: list[tuple[float, float, str, list[export_pdf.Op], int, int]] = []

    def sink(page: export_pdf.Page, number: int, total: int) -> None:
        streamed.append((page.width, page.height, page.section, list(page.ops), number, total))

    total = export_pdf.stream_layout(ret, sink, fingerprint="AB:CD")
    assert total == len(held) > 40
    assert [(p.width, p.height, p.section, p.ops, n, len(held)) for n, p in enumerate(held, start=1)] == streamed


def test_the_pdf_writer_holds_one_page_at_a_time(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Neither the counting pass nor the drawing pass keeps pages: when a page is handed over, no page handed
    over before it is still alive with its operations, and the counted pages kept none."""
    import gc
    import weakref

    from models import export_pdf

    ret = _many_page_return()
    earlier: list[weakref.ref[export_pdf.Page]] = []
    most_alive = 0

    def sink(page: export_pdf.Page, _number: int, _total: int) -> None:
        nonlocal most_alive
        # no collection here: a page must be freed by its last reference going, not only by the cycle collector
        # (and a full collection per page in a test session's large heap costs seconds)
        most_alive = max(most_alive, sum(1 for ref in earlier if (p := ref()) is not None and p.ops))
        page.ops = []  # drawn (as write_pdf does)
        earlier.append(weakref.ref(page))

    counted: list[export_pdf.Page] = []
    real_page = export_pdf._Ctx.page

    def spying(self, landscape: bool, section: str) -> export_pdf.Page:  # type: ignore[no-untyped-def]
        page = real_page(self, landscape, section)
        if self.counting:
            counted.append(page)
        return page

    monkeypatch.setattr(export_pdf._Ctx, "page", spying)
    export_pdf.stream_layout(ret, sink)
    monkeypatch.undo()
    assert most_alive == 0
    assert len(counted) > 40 and all(not page.ops for page in counted)
    gc.collect()
    assert sum(1 for ref in earlier if ref() is not None) <= 2


_STARTUP_PROBE = """
import sys
from pathlib import Path
from PySide6.QtCore import QTimer
from ui.app import make_application, run_gui

app = make_application()

def ready():
    app.processEvents()
    heavy = sorted(m for m in ("models.board", "models.receiving", "models.returns", "models.export_pdf",
                               "models.signing", "reportlab", "openpyxl") if m in sys.modules)
    print("HEAVY", ",".join(heavy) or "-", flush=True)
    app.quit()

QTimer.singleShot(0, ready)
run_gui(data_dir=Path(sys.argv[1]))
"""


@pytest.mark.parametrize("code", ["530821", "530800"])
def test_start_up_imports_no_board_return_or_export_modules(data_dir: Path, code: str) -> None:
    """Start-up to the home page painted (a county's and a prefecture's, whose hints differ) loads none of the
    modules of the board, the return or the export: they cost tens of milliseconds and wait until asked for."""
    import os
    import subprocess
    import sys

    from models import unit
    from models.db import open_store

    store = open_store(data_dir)
    unit.setup(store, code=code, head="李国华", statistician="王丽", preparer="张敏", phone="0879-3231234")
    store.close()
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(root), PYTHONIOENCODING="utf-8")
    done = subprocess.run([sys.executable, "-c", _STARTUP_PROBE, str(data_dir)], cwd=root, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("HEAVY ")]
    assert lines, done.stdout + done.stderr
    assert lines[0] == "HEAVY -", lines[0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=6), max_size=40), st.integers(min_value=1, max_value=7))
def test_canonical_bytes_in_slices_are_the_whole_documents_bytes(names: list[str], per_slice: int) -> None:
    """The canonical bytes are written a slice of roster rows at a time (a 100,000-person roster is never one
    JSON text in memory): the same bytes and digest as serialising the whole document, whatever the texts."""
    import hashlib

    from models import returns

    ret = _roster_return(names)
    saved, returns.ROWS_PER_SLICE = returns.ROWS_PER_SLICE, per_slice
    try:
        whole = returns._dump(ret.to_dict())
        assert returns.canonical_bytes(ret) == whole
        assert returns.digest(ret) == hashlib.sha256(whole).hexdigest()
    finally:
        returns.ROWS_PER_SLICE = saved


_ROSTER_CELL = st.sampled_from(["张三", "", "李䶮", 1, None, "1"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.fixed_dictionaries({}, optional={"name": _ROSTER_CELL, "sex": _ROSTER_CELL}), max_size=4),
       st.lists(st.fixed_dictionaries({}, optional={"name": _ROSTER_CELL, "sex": _ROSTER_CELL}), max_size=4),
       st.sampled_from(["李国华", "王丽"]), st.sampled_from(["2026-01-15", "2026-02-01"]), st.integers(0, 2),
       st.booleans(), st.sampled_from([[], [{"code": "W1", "text": "已核实"}]]))
def test_same_content_is_equal_content_bytes(rows_a: list[dict], rows_b: list[dict], head: str, date: str,
                                            version: int, table_changed: bool, notes: list[dict]) -> None:
    """定稿 compares the draft with the version before without writing either whole: the answer is the one of
    comparing their content bytes, whatever differs (a roster cell, a missing cell against an empty one, a number
    against its text, the cover, a table, the notes) or only seems to (version, time, report date)."""
    a = ret_mod.Return("530821", "宁洱哈尼族彝族自治县总工会", "county", "530800", "2025",
                       {"head": "李国华", "report_date": "2026-01-15"}, ret_mod.empty_tables(), {"R1": rows_a, "R2": []})
    tables = ret_mod.empty_tables()
    if table_changed:
        tables["T1"][next(iter(tables["T1"]))][next(iter(next(iter(tables["T1"].values()))))] = 1
    b = dataclasses.replace(a, cover={"head": head, "report_date": date}, tables=tables,
                            rosters={"R1": rows_b, "R2": []}, version=version, notes=notes)
    assert a.same_content(b) == (a.content_bytes() == b.content_bytes()) == b.same_content(a)
    assert a.same_content(dataclasses.replace(a, version=3, finalised_at="2026-01-15T10:00:00"))
