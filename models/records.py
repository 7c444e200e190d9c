"""Create, read, update, delete and list records of every kind, driven by ``forms.records``.

Everything the GUI can do to a record goes through here (the CLI and the tests use it too).
Deleting moves a record to the 回收站 (recycle bin), from which it can be restored.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from common import pinyin
from forms import checks
from forms import fields as F
from forms.fields import Finding, FormSpec
from forms.honours import STUDIO_LEADER_REQUIREMENTS
from forms.records import HONOURS, PEOPLE, SPECS, STUDIOS, TOP_LEVEL, children, spec
from forms.validation import errors, validate
from models.db import RecordError, Store, StoreError, now
from models.migrations import SEARCH_INDEXES, search_index_update

# Kind → the child forms saved with it (from the declarations: honours of people, yearly outputs of studios).
CHILDREN: dict[str, tuple[FormSpec, ...]] = {kind: children(kind) for kind in TOP_LEVEL if children(kind)}


class ValidationFailed(RecordError):
    """The record has errors; nothing was written. ``findings`` holds all of them."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = list(findings)
        super().__init__("；".join(f.text() for f in errors(self.findings)))


@dataclasses.dataclass
class SaveResult:
    id: int
    findings: list[Finding]  # warnings only (errors raise ValidationFailed)


# ---------------------------------------------------------------------------------------------
# Checking


def extra_fields(store: Store, kind: str) -> tuple[F.Field, ...]:
    """The entry fields the store's definitions add to ``kind`` (``models.definitions.entry_definitions``)."""
    from models.definitions import entry_definitions

    out: dict[str, F.Field] = {}
    for definition in entry_definitions(store):
        for field in definition.spec.extra_fields(kind):
            out.setdefault(field.name, field)
    return tuple(out.values())


def extra_names(store: Store, kind: str) -> tuple[str, ...]:
    """The names of the entry fields the store's definitions add to ``kind`` (what history compares too)."""
    return tuple(f.name for f in extra_fields(store, kind)) if kind in _EXTRA_KINDS else ()


def entry_form(store: Store, kind: str) -> FormSpec:
    """The form of ``kind`` as entered in this store: its own fields and those its definitions add (what the
    record dialog shows and :func:`save` stores, the added ones in the record's ``extra`` column)."""
    form = spec(kind)
    added = extra_fields(store, kind) if form.kind in _EXTRA_KINDS else ()
    return dataclasses.replace(form, fields=form.fields + added) if added else form


_EXTRA_KINDS = ("people", "studios", "trainings", "competitions", "innovation")  # tables with an ``extra`` column


def definition_findings(store: Store, kind: str, clean: Mapping[str, Any]) -> list[Finding]:
    """The record rules of the store's definitions (``scope`` ``kind``) on one record at entry."""
    from models.definitions import entry_definitions

    out: list[Finding] = []
    seen: set[str] = set()
    for definition in entry_definitions(store):
        rules = definition.spec.record_rules(kind)
        out.extend(definition.spec.record_findings(kind, clean, frozenset(seen)))
        seen.update(r.code for r in rules)
    return out


def check(store: Store, kind: str, values: Mapping[str, Any], record_id: int | None = None,
          children: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
          ) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]], list[Finding]]:
    """Validate a record and its children against the form, the definitions' rules and the store
    (uniqueness, links)."""
    form = entry_form(store, kind)
    clean, findings = validate(form, values)
    failed = {f.where for f in findings if f.is_error}
    findings.extend(f for f in definition_findings(store, kind, clean) if f.where not in failed)
    clean_children: dict[str, list[dict[str, Any]]] = {}
    for child in CHILDREN.get(kind, ()):
        rows = (children or {}).get(child.kind)
        if rows is None:
            continue
        clean_rows = []
        for index, row in enumerate(rows, start=1):
            row_clean, row_findings = validate(child, row)
            for finding in row_findings:
                findings.append(dataclasses.replace(
                    finding, where=f"{child.kind}[{index}].{finding.where}",
                    label=f"第{index}条{child.title}的{finding.label}" if finding.label else f"第{index}条{child.title}"))
            clean_rows.append(row_clean)
        clean_children[child.kind] = clean_rows
    findings.extend(_store_checks(store, form, clean, record_id, clean_children))
    return clean, clean_children, findings


def _store_checks(store: Store, form: FormSpec, clean: Mapping[str, Any], record_id: int | None,
                  children: Mapping[str, list[dict[str, Any]]]) -> list[Finding]:
    out: list[Finding] = []
    for name in form.unique:
        value = clean.get(name)
        if value is None:
            continue
        row = store.query(f"SELECT id, {form.name_field} AS label, "
                          f"{'deleted_at' if form.soft_delete else 'NULL AS deleted_at'} "
                          f"FROM {form.table} WHERE {name} = ? AND id IS NOT ?", (value, record_id))
        if row:
            field = form.field(name)
            where = "（在回收站中，可先恢复）" if row[0]["deleted_at"] else ""
            out.append(F.error(field, f"与已有{form.title}“{row[0]['label']}”{where}重复", f"{form.kind}.{name}.duplicate"))
    for field in form.fields:
        if field.kind == F.REF and clean.get(field.name) is not None:
            target = spec(field.ref_kind or "")
            row = store.query(f"SELECT id FROM {target.table} WHERE id = ? AND deleted_at IS NULL",
                              (clean[field.name],))
            if not row:
                out.append(F.error(field, f"所选{target.title}不存在或已删除", f"{form.kind}.{field.name}.missing"))
    if form.kind == STUDIOS.kind:
        out.extend(_studio_leader_check(store, clean))
    if form.kind == PEOPLE.kind and "honours" in children:
        out.extend(honour_age_warnings(clean, children["honours"], _min_honour_age(store)))
    if form.kind == STUDIOS.kind and "studio_outputs" in children:
        years = [r.get("year") for r in children["studio_outputs"] if r.get("year")]
        for year in {y for y in years if years.count(y) > 1}:
            out.append(F.error("studio_outputs", f"{year}年的成果填了不止一条，请合并", "studios.outputs.duplicate_year",
                               "年度成果"))
    return out


def _studio_leader_check(store: Store, clean: Mapping[str, Any]) -> list[Finding]:
    """The review's rule ``studio.leader_honour``, checked as the studio is entered (same check, same code)."""
    leader = clean.get("leader_id")
    if not STUDIO_LEADER_REQUIREMENTS.get(clean.get("type") or "") or leader is None:
        return []
    held = {r["category"] for r in store.query("SELECT category FROM honours WHERE person_id = ?", (leader,))}
    name = store.scalar("SELECT name FROM people WHERE id = ?", (leader,)) or ""
    problem = checks.leader_honour_problem(clean.get("type"), held, str(name))
    return [F.error(STUDIOS.field("leader_id"), problem, checks.LEADER_HONOUR)] if problem else []


def _min_honour_age(store: Store) -> int:
    from models.definitions import entry_definitions

    return int(entry_definitions(store)[0].spec.threshold("min_honour_age"))


def honour_age_warnings(person: Mapping[str, Any], honours: Sequence[Mapping[str, Any]],
                        min_age: int | None = None) -> list[Finding]:
    """The review's rule ``honour.young`` on the honours being entered (the definition's age threshold)."""
    from forms.definition import shipped_spec

    min_age = min_age if min_age is not None else int(shipped_spec().threshold("min_honour_age"))
    out = []
    for index, honour in enumerate(honours, start=1):
        young = checks.honour_too_young(person.get("birth_date"), honour.get("award_year"), min_age)
        if young:
            out.append(F.warning(f"honours[{index}].award_year", f"{young}，请核对", checks.HONOUR_YOUNG,
                                 f"第{index}条荣誉的授予年份"))
    return out


# ---------------------------------------------------------------------------------------------
# Writing


def search_columns(form: FormSpec, clean: Mapping[str, Any]) -> dict[str, str]:
    """The ``search`` and ``sort_key`` columns of a record (pinyin of its name; used by bulk import too)."""
    name = str(clean.get(form.name_field) or "")
    texts = [str(clean.get(f) or "") for f in form.search_fields]
    search = " ".join([*texts, pinyin.search_key(name)]).lower()
    return {"search": search, "sort_key": pinyin.full(name) if name else ""}




def _db_value(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


# The one write path of record rows. Entry (``save``), import, the undo of an import and the demo data all
# write rows through these; each caller validates first and logs the history and takes its snapshot in the
# same transaction.

def record_row(form: FormSpec, values: Mapping[str, Any], stamp: str, *, new: bool,
               columns: Sequence[str] | None = None) -> dict[str, Any]:
    """The stored row of a top-level record: its fields (``columns``, default the keys of ``values``), the
    search columns and the time stamps (``created_at`` only when ``new``)."""
    row = {c: _db_value(values.get(c)) for c in (columns if columns is not None else values)}
    row.update(search_columns(form, values))
    if new:
        row["created_at"] = stamp
    row["updated_at"] = stamp
    return row


def insert_row(store: Store, form: FormSpec, row: Mapping[str, Any]) -> int:
    """Insert one row of ``form``'s table with exactly these columns; returns its id."""
    cursor = store.conn.execute(f"INSERT INTO {form.table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                                [_db_value(v) for v in row.values()])
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)


def update_row(store: Store, form: FormSpec, record_id: int, row: Mapping[str, Any]) -> bool:
    """Set these columns of one row; False when there is no such row."""
    assignments = ", ".join(f"{k} = ?" for k in row)
    cursor = store.conn.execute(f"UPDATE {form.table} SET {assignments} WHERE id = ?",
                                [*(_db_value(v) for v in row.values()), record_id])
    return cursor.rowcount > 0


def delete_row(store: Store, form: FormSpec, record_id: int) -> bool:
    """Remove one row for good (the undo of an import; the recycle bin uses ``purge``)."""
    return store.conn.execute(f"DELETE FROM {form.table} WHERE id = ?", (record_id,)).rowcount > 0


def insert_children(store: Store, child: FormSpec, parent_id: int, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Add child rows (honours, yearly outputs) to a parent; returns their ids."""
    assert child.parent_key
    return [insert_row(store, child, {child.parent_key: parent_id, **row}) for row in rows]


def save(store: Store, kind: str, values: Mapping[str, Any], record_id: int | None = None,
         children: Mapping[str, Sequence[Mapping[str, Any]]] | None = None, operation: str | None = None,
         ) -> SaveResult:
    """Validate and store a record (insert when ``record_id`` is None) with its children.

    ``children`` maps a child kind (``honours``, ``studio_outputs``) to the full new list of rows;
    a child kind left out keeps its rows. Raises :class:`ValidationFailed` when anything is wrong.
    The change goes into the history in the same transaction (``operation`` defaults to add/edit).
    """
    from models import history

    form = spec(kind)
    if form.parent_key:
        raise RecordError(f"{form.title}须在所属记录中编辑")
    clean, clean_children, findings = check(store, kind, values, record_id, children)
    if errors(findings):
        raise ValidationFailed(findings)
    own = set(form.names)
    stamp = now()
    row = record_row(form, clean, stamp, new=record_id is None, columns=[k for k in clean if k in own])
    with store.atomic():
        added = [k for k in clean if k not in own]
        if added:  # a definition's entry fields: kept with the record, other definitions' values left as they are
            text = extra_column(added, clean, _extra(store, form, record_id) if record_id is not None else {})
            if text is not None:
                row["extra"] = text
        extra = extra_names(store, kind)
        before = history.snapshot(kind, get(store, kind, record_id), extra) if record_id is not None else None
        if record_id is None:
            record_id = insert_row(store, form, row)
        elif not update_row(store, form, record_id, row):
            raise RecordError(f"要修改的{form.title}已不存在")
        for child in CHILDREN.get(kind, ()):
            if child.kind in clean_children:
                _replace_children(store, child, record_id, clean_children[child.kind])
        after = history.snapshot(kind, get(store, kind, record_id), extra)
        changes = history.diff(before, after)
        if changes or before is None:
            history.log(store, operation or ("add" if before is None else "edit"), kind, record_id,
                        str(clean.get(form.name_field) or ""), changes, at=stamp)
    return SaveResult(record_id, [f for f in findings if not f.is_error])


def extra_column(names: Sequence[str], values: Mapping[str, Any], kept: Mapping[str, Any]) -> str | None:
    """The ``extra`` column (JSON) of a row whose added fields ``names`` take ``values`` over what the row
    ``kept`` (other definitions' values stay); None when that changes nothing. Entry and import both use it."""
    out = dict(kept)
    out.update((k, _json_value(values[k])) for k in names if k in values)
    if out == kept and kept:
        return None
    return json.dumps(out, ensure_ascii=False, sort_keys=True)


def _json_value(value: Any) -> Any:
    from decimal import Decimal

    return float(value) if isinstance(value, Decimal) else value


def _extra(store: Store, form: FormSpec, record_id: int) -> dict[str, Any]:
    text = store.scalar(f"SELECT extra FROM {form.table} WHERE id = ?", (record_id,))
    try:
        parsed = json.loads(text) if text else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _replace_children(store: Store, child: FormSpec, parent_id: int, rows: list[dict[str, Any]]) -> None:
    assert child.parent_key
    store.conn.execute(f"DELETE FROM {child.table} WHERE {child.parent_key} = ?", (parent_id,))
    insert_children(store, child, parent_id, rows)


def get(store: Store, kind: str, record_id: int) -> dict[str, Any] | None:
    """A record as a dict of its form fields (plus ``id``, ``deleted_at``, and child lists)."""
    form = spec(kind)
    rows = store.query(f"SELECT * FROM {form.table} WHERE id = ?", (record_id,))
    if not rows:
        return None
    record = _from_db(form, rows[0])
    if form.kind in _EXTRA_KINDS:
        fields = extra_fields(store, kind)
        if fields:
            stored = _extra(store, form, record_id)
            for field in fields:
                value = stored.get(field.name)
                record[field.name] = bool(value) if field.kind == F.BOOL else value
    for child in CHILDREN.get(kind, ()):
        order = "award_year, id" if child is HONOURS else "year"
        record[child.kind] = [_from_db(child, r) for r in store.query(
            f"SELECT * FROM {child.table} WHERE {child.parent_key} = ? ORDER BY {order}", (record_id,))]
    return record


def _from_db(form: FormSpec, row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row["id"]}
    for field in form.fields:
        value = row.get(field.name)
        out[field.name] = bool(value) if field.kind == F.BOOL else value
    if "deleted_at" in row:
        out["deleted_at"] = row["deleted_at"]
    return out


def find_person_by_id_number(store: Store, id_number: str) -> dict[str, Any] | None:
    row = store.query("SELECT id FROM people WHERE id_number = ?", (id_number,))
    return get(store, "people", row[0]["id"]) if row else None


def delete_refusal(store: Store, kind: str, record_id: int) -> str | None:
    """Why the record may not be deleted (a person who leads a studio), or ``None``."""
    if kind == "people":
        led = store.query("SELECT name FROM studios WHERE leader_id = ? AND deleted_at IS NULL", (record_id,))
        if led:
            names = "、".join(f"“{r['name']}”" for r in led)
            return f"此人是{names}的领办人，不能删除。请先为工作室更换领办人。"
    return None


def delete(store: Store, kind: str, record_id: int) -> None:
    """Move a record to the 回收站. A person who leads a studio cannot be deleted."""
    form = spec(kind)
    refusal = delete_refusal(store, kind, record_id)
    if refusal:
        raise RecordError(refusal)
    with store.atomic():
        cursor = store.conn.execute(f"UPDATE {form.table} SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                                    (now(), record_id))
        if cursor.rowcount:
            _log_simple(store, "delete", kind, record_id)
    if cursor.rowcount == 0:
        raise RecordError(f"要删除的{form.title}不存在或已在回收站中")


def restore(store: Store, kind: str, record_id: int) -> None:
    """Bring a record back from the 回收站."""
    form = spec(kind)
    with store.atomic():
        cursor = store.conn.execute(f"UPDATE {form.table} SET deleted_at = NULL WHERE id = ? AND deleted_at IS NOT NULL",
                                    (record_id,))
        if cursor.rowcount:
            _log_simple(store, "restore", kind, record_id)
    if cursor.rowcount == 0:
        raise RecordError(f"回收站中没有这条{form.title}")


def _log_simple(store: Store, operation: str, kind: str, record_id: int) -> None:
    from models import history

    form = spec(kind)
    label = store.scalar(f"SELECT {form.name_field} FROM {form.table} WHERE id = ?", (record_id,))
    history.log(store, operation, kind, record_id, str(label or ""))


def purge(store: Store, kind: str, record_id: int) -> None:
    """Delete a record from the 回收站 for good."""
    form = spec(kind)
    if kind == "people":
        led = store.query("SELECT name FROM studios WHERE leader_id = ?", (record_id,))
        if led:
            raise RecordError(f"此人仍是工作室“{led[0]['name']}”（可能在回收站中）的领办人，不能彻底删除")
    from models import history

    with store.atomic():
        before = history.snapshot(kind, get(store, kind, record_id), extra_names(store, kind))
        cursor = store.conn.execute(f"DELETE FROM {form.table} WHERE id = ? AND deleted_at IS NOT NULL", (record_id,))
        if cursor.rowcount and before is not None:
            history.log(store, "purge", kind, record_id, str(before.get(form.name_field) or ""), history.diff(before, None))
    if cursor.rowcount == 0:
        raise RecordError(f"回收站中没有这条{form.title}")


def recycle_bin(store: Store) -> list[dict[str, Any]]:
    """Every deleted record, newest first: kind, kind title, id, name, deleted_at."""
    parts = []
    for kind in TOP_LEVEL:
        form = spec(kind)
        parts.append(f"SELECT '{kind}' AS kind, '{form.title}' AS kind_title, id, "
                     f"CAST({form.name_field} AS TEXT) AS name, deleted_at FROM {form.table} WHERE deleted_at IS NOT NULL")
    return store.query(" UNION ALL ".join(parts) + " ORDER BY deleted_at DESC")


def counts(store: Store) -> dict[str, int]:
    """Live records per top-level kind, plus honours of live people."""
    from models.counts import counts as live_counts

    return live_counts(store, (spec(kind).table for kind in TOP_LEVEL))


# ---------------------------------------------------------------------------------------------
# Listing: what the record tables show, filtered and sorted in SQL


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    label: str
    sql: str  # expression over the kind's table (aliased ``t``)
    kind: str = F.TEXT
    width: int = 8
    sort_sql: str | None = None


_EXTRA_COLUMNS: dict[str, list[Column]] = {
    # honours_key is the same text, kept up to date by triggers and indexed (models.migrations 0008)
    "people": [Column("honours", "荣誉", "t.honours_key", width=20)],
    "studios": [Column("output_years", "成果年度", "(SELECT group_concat(o.year, '、') FROM studio_outputs o "
                                                 "WHERE o.studio_id = t.id)", width=8)],
}


def columns(kind: str) -> list[Column]:
    """The columns of the record table for ``kind``: the form's list fields, then computed ones."""
    form = spec(kind)
    out = []
    for field in form.list_fields:
        if field.kind == F.REF:
            target = spec(field.ref_kind or "")
            out.append(Column(field.name, field.label,
                              f"(SELECT r.{target.name_field} FROM {target.table} r WHERE r.id = t.{field.name})",
                              F.TEXT, field.width,
                              f"(SELECT r.sort_key FROM {target.table} r WHERE r.id = t.{field.name})"))
        else:
            sort_sql = "t.sort_key" if field.name == form.name_field and field.kind == F.TEXT else None
            out.append(Column(field.name, field.label, f"t.{field.name}", field.kind, field.width, sort_sql))
    out.extend(_EXTRA_COLUMNS.get(kind, []))
    return out


@dataclasses.dataclass(frozen=True)
class ListQuery:
    kind: str
    search: str = ""
    sort: str | None = None  # a column name
    descending: bool = False
    deleted: bool = False
    filters: tuple[tuple[str, Any], ...] = ()  # (field, value) equality filters


def _search_words(q: ListQuery) -> list[str]:
    """The words of ``q``'s search as they are compared with the search text (lower case, half width)."""
    text = q.search.strip().lower()
    if not text:
        return []
    from common.text import halfwidth

    return halfwidth(text).split()


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _where(q: ListQuery, words: Sequence[str] | None = None) -> tuple[str, list[Any]]:
    """The WHERE of ``q``: live or recycled, every search word (``words``, default all of them), the filters."""
    form = spec(q.kind)
    # The unary + keeps SQLite from walking the (deleted_at, sort_key) index for other sort orders.
    live = "t.deleted_at IS NULL" if q.sort == form.name_field and not q.search.strip() else "+t.deleted_at IS NULL"
    clauses = ["t.deleted_at IS NOT NULL" if q.deleted else live]
    params: list[Any] = []
    for word in _search_words(q) if words is None else words:
        clauses.append("t.search LIKE ? ESCAPE '\\'")
        params.append(_like(word))
    for name, value in q.filters:
        form.field(name)  # only real fields
        clauses.append(f"t.{name} = ?")
        params.append(value)
    return " AND ".join(clauses), params


def count(store: Store, q: ListQuery) -> int:
    """The number of records ``q`` lists."""
    return matches(store, q)[0]


# A search of the people list reads its trigram index (models.migrations 0011) rather than every row's search
# text. A word of three characters or more is the phrase of its trigrams; a word of one or two is any of the
# index's trigrams that begin with it (the indexed text ends with two spaces, so every character of the text
# begins one). Either way the index gives exactly the rows whose search text contains the word. Gathering a
# short word's trigrams costs about 0.1 µs for each row holding one, up to three times that when they are a
# hundred or more (the index merges their lists); comparing the search text of every row costs about 0.13 µs a
# row (bench/bench_scale.py, 200,000 people). So a short word found in most rows (a digit of the ID numbers, a
# common letter) is compared with LIKE, among the rows the other words found, and so is a word with a letter
# that has a case outside ASCII (the index folds case its own way). Without the index (a SQLite without FTS5)
# every word is compared row by row.


def _gathering_costs_more(rows_holding: int, trigrams: int, rows: int) -> bool:
    return rows_holding * (1 + trigrams / 50) > rows


def _indexable(word: str) -> bool:
    return all(c.isascii() or c.lower() == c.upper() == c for c in word)


def _next_text(text: str) -> str:
    """The least text after every text that begins with ``text`` (its last character's successor)."""
    last = ord(text[-1]) + 1
    return text[:-1] + chr(0xE000 if 0xD800 <= last < 0xE000 else min(last, 0x10FFFF))


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def update_search_index(store: Store, table: str) -> bool:
    """Bring the search index of ``table`` up to date with the rows written since (three statements, however many
    rows); False when there is none, or the store cannot be written now (the search then compares every row).
    A search does it first; a bulk write does it at its end, so that the first search after it does not wait."""
    if table not in SEARCH_INDEXES:
        return False
    index, terms = SEARCH_INDEXES[table]
    if store.scalar("SELECT count(*) FROM sqlite_master WHERE name IN (?, ?, ?)", (index, terms, f"{index}_pending")) != 3:
        return False
    if not store.scalar(f"SELECT EXISTS (SELECT 1 FROM {index}_pending)"):
        return True
    try:
        with store.atomic():
            for sql in search_index_update(table):
                store.conn.execute(sql)
    except (sqlite3.Error, StoreError):  # read-only, or busy: only speed is lost
        return False
    return True


class IndexedSearch(NamedTuple):
    match: str  # the FTS5 query of the words the index answers
    rest: list[str]  # the words left to compare row by row, among the rows it finds
    at_least: int  # as many rows as that match (those in the recycle bin too), known from the index's terms
    at_most: int | None = None  # no more rows than this match (recycle bin too), when the index's terms tell


def _indexed_search(store: Store, q: ListQuery) -> IndexedSearch | None:
    """How the index answers a search of live records, or None when it answers none of its words (or there is
    no index, or there are filters)."""
    table = spec(q.kind).table
    indexes = SEARCH_INDEXES.get(table)
    words = _search_words(q)
    if indexes is None or not words or q.deleted or q.filters:
        return None
    if not update_search_index(store, table):
        return None
    _index, terms = indexes
    rows = at_least = 0
    at_most: int | None = None
    parts: list[str] = []
    rest: list[str] = []
    for word in dict.fromkeys(words):
        if not _indexable(word):
            rest.append(word)
        elif len(word) >= 3:
            parts.append(_quoted(word))
        else:
            found = store.conn.execute(f"SELECT term, doc FROM {terms} WHERE term >= ? AND term < ?",
                                       (word, _next_text(word))).fetchall()
            rows = rows or int(store.scalar(f"SELECT coalesce(max(id), 0) FROM {table}"))
            if _gathering_costs_more(sum(doc for _term, doc in found), len(found), rows):
                rest.append(word)
            else:  # no trigram at all: the word is nowhere, and the phrase of itself finds nothing
                parts.append("(" + " OR ".join(_quoted(term) for term, _doc in found) + ")" if found else _quoted(word))
                at_least = max((doc for _term, doc in found), default=0)  # every row with its commonest trigram
                holding = sum(doc for _term, doc in found)  # a row the word is in holds one of its trigrams at least
                at_most = holding if at_most is None else min(at_most, holding)
    if not parts:
        return None
    return IndexedSearch(" AND ".join(parts), rest, at_least if len(parts) == 1 else 0, at_most)


# A search with few matches has their ids listed: its pages are then picked among those ids alone, instead of
# walking the table (or a sort column's index) row by row for each page. "Few" is up to 10,000: sorting that
# many ids for a page takes a few milliseconds. More matches are many in every part of the list, so a page is
# found by walking it in order and comparing each row.
FEW_MATCHES = 10_000
# The index's terms bound a short word's rows from above (each row holds one of its trigrams at least; a letter's
# trigrams overlap in a row about twice). Above this many times the ids wanted, the rows are counted first.
COUNT_FIRST_FROM = 2


def matches(store: Store, q: ListQuery, limit: int = FEW_MATCHES) -> tuple[int, list[int] | None]:
    """(how many records ``q`` lists, their ids in no particular order when a search finds at most ``limit``,
    else None)."""
    table = spec(q.kind).table
    if not q.search.strip() and not q.filters and not q.deleted:
        # all rows less the recycle bin: a bare count(*) reads the smallest index (3 ms → 0.2 ms at 100,000)
        return int(store.scalar(f"SELECT (SELECT count(*) FROM {table}) - "
                                f"(SELECT count(*) FROM {table} WHERE deleted_at IS NOT NULL)")), None
    indexed = _indexed_search(store, q)
    if indexed is None:
        where, params = _where(q)
        return int(store.scalar(f"SELECT count(*) FROM {table} t WHERE {where}", params)), None
    match, rest, at_least, at_most = indexed
    index = SEARCH_INDEXES[table][0]
    found_sql = f"SELECT rowid FROM {index} WHERE {index} MATCH ?"
    if rest:  # the index finds the rows for some words, the others are compared in those rows
        where, params = _where(q, rest)
        sql = f"FROM {table} t WHERE t.id IN ({found_sql}) AND {where}"
        rows = store.conn.execute(f"SELECT t.id {sql} LIMIT ?", [match, *params, limit + 1]).fetchall()
        if len(rows) <= limit:
            return len(rows), [int(r[0]) for r in rows]
        return int(store.scalar(f"SELECT count(*) {sql}", [match, *params])), None
    recycled = {int(r[0]) for r in store.conn.execute(f"SELECT id FROM {table} WHERE deleted_at IS NOT NULL")}

    def counted() -> int:
        """The index counts the rows, and those in the recycle bin (usually none) are taken off."""
        where, params = _where(dataclasses.replace(q, deleted=True))
        gone = int(store.scalar(f"SELECT count(*) FROM {table} t WHERE {where}", params)) if recycled else 0
        return int(store.scalar(f"SELECT count(*) FROM {index} WHERE {index} MATCH ?", (match,))) - gone

    if at_least - len(recycled) > limit:  # surely many
        return counted(), None
    if at_most is not None and at_most > COUNT_FIRST_FROM * limit:
        # probably many (a letter or two: "z" is in a sixth of the people): counting in the index is quicker than
        # the pass below, which makes a Python object of every row; the ids are listed only if they are few
        found = counted()
        if found > limit:
            return found, None
    # One pass over the index: the first ids are kept, the others only counted (those in the recycle bin,
    # usually none, are taken off).
    cursor = store.conn.execute(found_sql, (match,))
    ids = [int(r[0]) for r in cursor.fetchmany(limit + 1 + len(recycled)) if r[0] not in recycled]
    if len(ids) <= limit:
        return len(ids), ids
    found = len(ids)
    while rows := cursor.fetchmany(4096):
        found += len(rows) - (sum(r[0] in recycled for r in rows) if recycled else 0)
    return found, None


def fetch(store: Store, q: ListQuery, offset: int = 0, limit: int = 200, *,
          ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """One page of the record table: ``id`` plus every column of :func:`columns`.

    ``ids``: every record matching ``q`` (from :func:`matches`), when known; the page is picked among them.
    """
    form = spec(q.kind)
    cols = columns(q.kind)
    select = ", ".join(f"{c.sql} AS {c.name}" for c in cols)
    order = _order(form, cols, q)
    if ids is None:
        where, params = _where(q)
    else:  # the ids are exactly the matches: the search text is not compared again
        where, params = _where(q, words=())
        where, params = f"t.id IN (SELECT value FROM json_each(?)) AND {where}", [json.dumps(list(ids)), *params]
    # Pick the page's ids first, then compute the (possibly costly) columns for those rows only.
    sql = (f"WITH page AS MATERIALIZED (SELECT t.id FROM {form.table} t WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?) "
           f"SELECT t.id AS id, {select} FROM page JOIN {form.table} t ON t.id = page.id ORDER BY {order}")
    return store.query(sql, [*params, limit, offset])


def _order(form: FormSpec, cols: list[Column], q: ListQuery) -> str:
    direction = "DESC" if q.descending else "ASC"
    for col in cols:
        if col.name == q.sort:
            return f"{col.sort_sql or col.sql} {direction}, t.id {direction}"
    return ", ".join(f"t.{part}" for part in form.default_order.split(", ")) + ", t.id"


def row_index(store: Store, q: ListQuery, record_id: int) -> int | None:
    """The position of a record in the listing (to select it after saving)."""
    form = spec(q.kind)
    cols = columns(q.kind)
    where, params = _where(q)
    sql = (f"SELECT rn FROM (SELECT t.id AS id, row_number() OVER (ORDER BY {_order(form, cols, q)}) - 1 AS rn "
           f"FROM {form.table} t WHERE {where}) WHERE id = ?")
    value = store.scalar(sql, [*params, record_id])
    return None if value is None else int(value)


def choices_for_ref(store: Store, kind: str, search: str = "", limit: int = 50) -> list[dict[str, Any]]:
    """Records offered in a link field (the studio leader picker): id, name and a description."""
    q = ListQuery(kind, search=search)
    rows = fetch(store, q, 0, limit, ids=matches(store, q)[1] if search.strip() else None)
    if kind == "people":
        return [{"id": r["id"], "name": r["name"],
                 "text": f"{r['name']}（{r.get('employer') or ''}；{r.get('honours') or '无荣誉'}）"} for r in rows]
    return [{"id": r["id"], "name": r["name"], "text": r["name"]} for r in rows]


__all__ = [
    "SPECS",
    "ListQuery",
    "SaveResult",
    "ValidationFailed",
    "check",
    "choices_for_ref",
    "columns",
    "count",
    "counts",
    "delete",
    "fetch",
    "find_person_by_id_number",
    "get",
    "matches",
    "purge",
    "recycle_bin",
    "restore",
    "row_index",
    "save",
    "update_search_index",
]
