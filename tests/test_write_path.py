"""Entry, import, the undo of an import and the demo data write record rows through one path
(``models.records.insert_row`` / ``update_row`` / ``delete_row`` / ``insert_children``)."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from test_importer import PEOPLE_CSV, PEOPLE_XLSX, import_people

from models import records
from models.db import Store
from models.importer import undo_import

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, str]]:
    """(operation, table) of every row written through the write path."""
    seen: Counter[tuple[str, str]] = Counter()
    for name in ("insert_row", "update_row", "delete_row"):
        original = getattr(records, name)

        def spy(store: Store, form: Any, *args: Any, _name: str = name, _original: Any = original) -> Any:
            seen[(_name, form.table)] += 1
            return _original(store, form, *args)

        monkeypatch.setattr(records, name, spy)
    return seen


def test_entry_goes_through_the_write_path(county_store: Store, writes: Counter[tuple[str, str]]) -> None:
    import datetime as dt

    from common.ids import make_id_number

    person = {"name": "岩温", "sex": "男", "id_number": make_id_number("530821", dt.date(1976, 3, 14), 7, "男"),
              "employer": "普洱茶业集团", "employer_nature": "国有企业", "status": "在职"}
    honour = {"title": "云南省劳动模范", "category": "劳动模范/先进工作者", "level": "省部级", "award_year": 2015}
    saved = records.save(county_store, "people", person, children={"honours": [honour]})
    records.save(county_store, "people", {**person, "post": "班长"}, saved.id)
    assert writes == Counter({("insert_row", "people"): 1, ("insert_row", "honours"): 1, ("update_row", "people"): 1})


def test_import_and_its_undo_go_through_the_write_path(county_store: Store, writes: Counter[tuple[str, str]]) -> None:
    import_people(county_store, PEOPLE_XLSX)
    people = int(county_store.scalar("SELECT count(*) FROM people"))
    honours = int(county_store.scalar("SELECT count(*) FROM honours"))
    assert writes == Counter({("insert_row", "people"): people, ("insert_row", "honours"): honours})
    writes.clear()
    batch = import_people(county_store, PEOPLE_CSV)  # adds some people, updates one
    assert writes[("insert_row", "people")] > 0 and writes[("update_row", "people")] > 0
    added, updated = writes[("insert_row", "people")], writes[("update_row", "people")]
    writes.clear()
    result = undo_import(county_store, batch)
    assert (result.removed, result.restored) == (added, updated)
    assert writes[("delete_row", "people")] == added and writes[("update_row", "people")] == updated


def test_the_demo_goes_through_the_write_path(county_store: Store, writes: Counter[tuple[str, str]]) -> None:
    from models.demo import fill_demo

    fill_demo(county_store, seed=7)
    for table in ("people", "honours", "studios", "studio_outputs", "trainings", "competitions", "innovation"):
        assert writes[("insert_row", table)] == county_store.scalar(f"SELECT count(*) FROM {table}"), table


def test_no_other_module_writes_record_rows_itself() -> None:
    """Outside models/records.py no SQL inserts, updates or deletes rows of a record table (the import's
    touch of a studio's ``updated_at``, the benchmark filler ``demo.bulk_people`` and the migration's triggers that
    keep the derived sort column ``people.honours_key`` are the exceptions)."""
    from forms.records import SPECS

    tables = {s.table for s in SPECS.values()}
    found = []
    for path in sorted((ROOT / "models").glob("*.py")):
        if path.name == "records.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "bulk_people"
                for n in ast.walk(f)}
        for node in ast.walk(tree):
            if id(node) not in skip and isinstance(node, ast.Constant | ast.JoinedStr):
                text = ast.unparse(node).upper()
                for table in tables | {"{FORM.TABLE}", "{CHILD.TABLE}"}:
                    for verb in ("INSERT INTO ", "INSERT OR IGNORE INTO ", "DELETE FROM "):
                        if f"{verb}{table.upper()} " in text or f"{verb}{table.upper()}(" in text:
                            found.append(f"{path.name}: {verb}{table}")
                    if f"UPDATE {table.upper()} SET" in text and "UPDATED_AT = ? WHERE ID IN" not in text \
                            and not (path.name == "migrations.py" and "UPDATE PEOPLE SET HONOURS_KEY =" in text):
                        found.append(f"{path.name}: UPDATE {table}")
    assert found == []
